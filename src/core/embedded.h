/* embedded: files compiled into the binary at build time (cmake/embed.cmake writes the
 * tables). Each table ends with an entry whose name is NULL; data is NUL-terminated. */
#ifndef SNAG_CORE_EMBEDDED_H
#define SNAG_CORE_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
    const char *name;
    const unsigned char *data;
    size_t size;
};

#endif
