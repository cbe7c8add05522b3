/* fixtures: listing the data-driven test cases of a tests/fixtures/ folder, sorted so runs
 * are reproducible. */
#ifndef SNAG_TEST_FIXTURES_H
#define SNAG_TEST_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>

/* The files of dir ending in suffix, sorted by name: full paths when full_path, else the
 * names without the suffix. malloc'd; free with fixture_list_free. *n set (0 when the folder
 * is missing or empty). */
char **fixture_list(const char *dir, const char *suffix, bool full_path, size_t *n);
void fixture_list_free(char **names, size_t n);

#endif
