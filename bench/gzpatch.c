/* gzpatch: gzip members with id slots stored verbatim (see gzpatch.h).
 *
 * Layout: a 10-byte gzip header, then a raw deflate stream in which each stretch of text
 * between slots is compressed and ended with Z_FULL_FLUSH (byte-aligned, history reset, so
 * nothing later refers back across a slot), each slot is a hand-written stored block
 * (BFINAL=0 BTYPE=00, LEN, NLEN, bytes), the last stretch ends with Z_FINISH; then CRC-32
 * and ISIZE. */
#include "gzpatch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void put_le32(unsigned char *p, unsigned long v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Deflates one stretch, appending to gz->z (which has room: see gzpatch_build). */
static int gz_stretch(z_stream *s, struct gzpatch *gz, const char *p, size_t n, size_t cap,
                      int flush)
{
    s->next_in = (Bytef *)(uintptr_t)p;
    s->avail_in = (uInt)n;
    s->next_out = gz->z + gz->len;
    s->avail_out = (uInt)(cap - gz->len);
    int rc = deflate(s, flush);
    if (rc != Z_OK && rc != Z_STREAM_END)
        return -1;
    if (s->avail_in != 0 || s->avail_out == 0)
        return -1;
    gz->len = cap - s->avail_out;
    return 0;
}

static void gz_stored_slot(struct gzpatch *gz, const char *p, size_t n)
{
    unsigned char *o = gz->z + gz->len;
    o[0] = 0x00; /* BFINAL=0, BTYPE=00, padding to the byte boundary */
    o[1] = (unsigned char)(n & 0xff);
    o[2] = (unsigned char)(n >> 8);
    o[3] = (unsigned char)(~n & 0xff);
    o[4] = (unsigned char)((~n >> 8) & 0xff);
    memcpy(o + 5, p, n);
    gz->slot_off[gz->nslots++] = gz->len + 5;
    gz->len += 5 + n;
}

static int gz_verify(const struct gzpatch *gz, const char *plain, size_t len)
{
    unsigned char *out = malloc(len + 1);
    z_stream s;
    memset(&s, 0, sizeof s);
    int ok = out && inflateInit2(&s, 15 + 16) == Z_OK;
    if (ok) {
        s.next_in = gz->z;
        s.avail_in = (uInt)gz->len;
        s.next_out = out;
        s.avail_out = (uInt)(len + 1);
        ok = inflate(&s, Z_FINISH) == Z_STREAM_END && s.total_out == len &&
             memcmp(out, plain, len) == 0;
        inflateEnd(&s);
    }
    free(out);
    return ok ? 0 : -1;
}

int gzpatch_build(struct gzpatch *gz, const char *plain, size_t len, const size_t *slots,
                  size_t nslots, size_t slot_len)
{
    static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    memset(gz, 0, sizeof *gz);
    if (nslots > GZPATCH_MAX_SLOTS || slot_len > 0xffff)
        return -1;
    size_t cap = compressBound((uLong)len) + 64 * (nslots + 2) + 32;
    z_stream s;
    memset(&s, 0, sizeof s);
    gz->z = malloc(cap);
    if (!gz->z || deflateInit2(&s, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    memcpy(gz->z, header, sizeof header);
    gz->len = sizeof header;
    size_t pos = 0;
    int rc = 0;
    for (size_t i = 0; i < nslots && rc == 0; i++) {
        rc = gz_stretch(&s, gz, plain + pos, slots[i] - pos, cap, Z_FULL_FLUSH);
        if (rc == 0)
            gz_stored_slot(gz, plain + slots[i], slot_len);
        pos = slots[i] + slot_len;
    }
    if (rc == 0)
        rc = gz_stretch(&s, gz, plain + pos, len - pos, cap, Z_FINISH);
    deflateEnd(&s);
    if (rc != 0 || gz->len + 8 > cap)
        return -1;
    gz->crc_off = gz->len;
    put_le32(gz->z + gz->len, crc32(0L, (const Bytef *)plain, (uInt)len));
    put_le32(gz->z + gz->len + 4, (unsigned long)len);
    gz->len += 8;
    return gz_verify(gz, plain, len);
}

void gzpatch_set_crc(const struct gzpatch *gz, unsigned char *z, const char *plain, size_t len)
{
    put_le32(z + gz->crc_off, crc32(0L, (const Bytef *)plain, (uInt)len));
}

void gzpatch_free(struct gzpatch *gz)
{
    free(gz->z);
    gz->z = NULL;
}
