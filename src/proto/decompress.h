/* proto/decompress: HTTP Content-Encoding decoding into a capped buffer — identity, gzip
 * (x-gzip), deflate (zlib-wrapped, raw deflate as fallback), br, zstd. The cap is enforced
 * while decompressing, so a bomb stops at the cap (E_TOOBIG → 413) without allocating more. */
#ifndef SNAG_PROTO_DECOMPRESS_H
#define SNAG_PROTO_DECOMPRESS_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

enum encoding {
    ENC_IDENTITY,
    ENC_GZIP,
    ENC_DEFLATE,
    ENC_BR,
    ENC_ZSTD,
    ENC_UNKNOWN,
};

/* NULL, "", "identity" and "UTF-8" (any case, surrounding whitespace) mean identity. */
enum encoding proto_encoding_parse(const char *header);

/* Appends the decoded bytes of in[0..len) to out, never letting out->len exceed max (nor
 * out->max, which caps the buffer as well). E_TOOBIG over max, E_PARSE for corrupt or
 * truncated data (detail says which codec; trailing bytes after the stream are corrupt, but
 * concatenated gzip members and zstd frames are decoded), E_UNSUPPORTED for ENC_UNKNOWN.
 * On error out keeps what was decoded so far; the caller frees it either way. */
enum err proto_decompress(enum encoding enc, const void *in, size_t len, size_t max,
                          struct buf *out, struct errinfo *ei) WUR;

/* Compresses with zstd (level clamped to 1..19) for storage, appending to out (whose max is
 * raised to fit ZSTD_compressBound when smaller, so buf_init(out, 0) is fine). The caller
 * frees out with buf_free. Each calling thread keeps one zstd context, freed at its exit. */
enum err proto_zstd_compress(const void *in, size_t len, int level, struct buf *out) WUR;

#endif
