/* proto/decompress: HTTP Content-Encoding decoding into a capped buffer — identity, gzip
 * (x-gzip), deflate (zlib-wrapped, raw deflate as fallback), br, zstd. The cap is enforced
 * while decompressing, so a bomb stops at the cap (E_TOOBIG → 413) without allocating more. */
#ifndef SNAG_PROTO_DECOMPRESS_H
#define SNAG_PROTO_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

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

/* The same with a digested dictionary (proto/zdict.h), at the level it was made for: the
 * frame names the dictionary's ID, so proto_zstd_decompress_dict finds it again. Uses the
 * same per-thread context. */
enum err proto_zstd_compress_dict(const void *in, size_t len, const ZSTD_CDict *cdict,
                                  struct buf *out) WUR;

/* Where proto_zstd_decompress_dict finds the dictionary a frame names. get returns the one
 * with that ID, held for the caller until put (NULL: unknown ID, or it could not be loaded);
 * both may be called from any thread. */
struct proto_zdict_source {
    const ZSTD_DDict *(*get)(void *ctx, uint32_t dict_id);
    void (*put)(void *ctx, const ZSTD_DDict *ddict);
    void *ctx;
};

/* Decodes a stored body: proto_decompress(ENC_ZSTD, …) with the same cap and errors, except
 * that a body whose first frame names a dictionary is decoded with the one src gives
 * (E_NOTFOUND when src is NULL or gives none). A body naming no dictionary (ID 0: every body
 * stored before dictionaries) decodes without one. Every frame of a body must name the same
 * dictionary (else E_PARSE). Each calling thread keeps one decompression context, freed at
 * its exit. */
enum err proto_zstd_decompress_dict(const void *in, size_t len, size_t max,
                                    const struct proto_zdict_source *src, struct buf *out,
                                    struct errinfo *ei) WUR;

#endif
