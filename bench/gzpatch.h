/* gzpatch: gzip bodies whose event ids can be changed without recompressing.
 *
 * The load generator must send a fresh event_id in every request, yet must not spend its
 * time compressing. gzpatch_build() compresses a body once, but emits every id slot as a
 * stored (uncompressed) deflate block: the slot's bytes appear verbatim in the gzip member,
 * so they can be overwritten in place; only the CRC-32 in the trailer then has to be
 * recomputed over the patched plain text (gzpatch_set_crc(), about a microsecond). Every
 * built member is inflated once and compared with its plain text before it is used. */
#ifndef SNAG_BENCH_GZPATCH_H
#define SNAG_BENCH_GZPATCH_H

#include <stddef.h>

#define GZPATCH_MAX_SLOTS 4

struct gzpatch {
    unsigned char *z; /* the gzip member, malloc'd; gzpatch_free() releases it */
    size_t len;
    size_t slot_off[GZPATCH_MAX_SLOTS]; /* where each slot's bytes sit in z */
    size_t nslots;
    size_t crc_off; /* the trailer's CRC-32 (little endian) */
};

/* Compresses plain[0..len) with the nslots slots (offsets into plain, each slot_len bytes,
 * ascending, not overlapping) stored verbatim. Returns 0, or -1 on a zlib error or when the
 * round trip does not reproduce plain. */
int gzpatch_build(struct gzpatch *gz, const char *plain, size_t len, const size_t *slots,
                  size_t nslots, size_t slot_len);

/* Writes the CRC-32 of the (patched) plain text into z, a copy of gz->z. */
void gzpatch_set_crc(const struct gzpatch *gz, unsigned char *z, const char *plain, size_t len);

void gzpatch_free(struct gzpatch *gz);

#endif
