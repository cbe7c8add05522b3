/* proto/decompress: Content-Encoding decoders (gzip, deflate, br, zstd) writing into a capped
 * struct buf, plus zstd compression and decompression of stored bodies, with or without a
 * dictionary (proto/zdict.h), on per-thread contexts.
 *
 * DESIGN: every codec is a small "step" function behind one driver loop (decode_run). The
 * driver hands each step at most the room left under the cap, so the output never grows past
 * it; once the cap is reached it asks the codec for one more byte into a scratch byte, and any
 * byte there means the payload is too big. A bomb therefore costs at most `max` bytes of
 * output buffer plus the codec's own window (zlib 32 KiB, brotli at most 16 MiB, zstd bounded
 * by windowLogMax, see zstd_window_log).
 * The input is always complete (an HTTP body), so a codec that wants more input than there is
 * has seen a truncated stream. */
#include "proto/decompress.h"

#include <brotli/decode.h>
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#define DECODE_CHUNK (64 * 1024)
/* zstd window logs: every standard level (1..19) fits 8 MiB; larger windows are allowed only
 * as far as the cap needs, and never past zstd's own default maximum (128 MiB). */
#define ZSTD_WINDOWLOG_FLOOR 23
#define ZSTD_WINDOWLOG_CEILING 27

enum step {
    STEP_MORE,  /* progress made, call again */
    STEP_END,   /* end of a stream / frame / member */
    STEP_TRUNC, /* wants more input, and there is none */
    STEP_ERR,   /* corrupt data */
    STEP_NOMEM, /* the codec could not allocate */
    STEP_BIG,   /* the stream declares more than the cap allows (zstd) */
};

struct decoder {
    const char *name; /* for "failed to decode <name> payload" */
    const uint8_t *in;
    size_t in_left;
    size_t limit; /* the cap on out->len */
    enum step (*step)(struct decoder *d, uint8_t *dst, size_t room, size_t *produced);
    /* Called on STEP_END: E_OK to go on with the next member/frame (or stop when no input is
     * left), else an error. */
    enum err (*on_end)(struct decoder *d, struct errinfo *ei);
    bool done;
    z_stream *z; /* the thread's (thread_codec) */
    BrotliDecoderState *br;
    ZSTD_DCtx *zd;
};

/* ---- zlib (gzip and deflate) ---------------------------------------------------------- */

static enum step zlib_step(struct decoder *d, uint8_t *dst, size_t room, size_t *produced)
{
    uInt in_n = d->in_left > UINT_MAX ? UINT_MAX : (uInt)d->in_left;
    uInt out_n = room > UINT_MAX ? UINT_MAX : (uInt)room;
    d->z->next_in = (Bytef *)(uintptr_t)d->in; /* zlib never writes through next_in */
    d->z->avail_in = in_n;
    d->z->next_out = dst;
    d->z->avail_out = out_n;
    int r = inflate(d->z, Z_NO_FLUSH);
    d->in += in_n - d->z->avail_in;
    d->in_left -= in_n - d->z->avail_in;
    *produced = out_n - d->z->avail_out;
    switch (r) {
    case Z_OK:
        return STEP_MORE;
    case Z_STREAM_END:
        return STEP_END;
    case Z_BUF_ERROR: /* no progress possible although there is room for output */
        return d->in_left == 0 ? STEP_TRUNC : STEP_ERR;
    case Z_MEM_ERROR:
        return STEP_NOMEM;
    default:
        return STEP_ERR;
    }
}

/* After a gzip member: another member may follow (RFC 1952 allows concatenation). */
static enum err gzip_on_end(struct decoder *d, struct errinfo *ei)
{
    if (d->in_left == 0)
        return E_OK;
    if (d->in_left >= 2 && d->in[0] == 0x1f && d->in[1] == 0x8b) {
        if (inflateReset(d->z) != Z_OK)
            return errinfo_set(ei, E_NOMEM, "cannot reset gzip decoder");
        return E_OK;
    }
    return errinfo_set(ei, E_PARSE, "failed to decode gzip payload: trailing data");
}

static enum err single_stream_on_end(struct decoder *d, struct errinfo *ei)
{
    if (d->in_left == 0)
        return E_OK;
    return errinfo_set(ei, E_PARSE, "failed to decode %s payload: trailing data", d->name);
}

/* RFC 1950 header: CM = 8 (deflate), CINFO <= 7, and the check bits. */
static bool zlib_header_ok(const uint8_t *p, size_t len)
{
    return len >= 2 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 && ((p[0] << 8) | p[1]) % 31 == 0;
}

/* ---- brotli --------------------------------------------------------------------------- */

static enum step br_step(struct decoder *d, uint8_t *dst, size_t room, size_t *produced)
{
    size_t out_left = room;
    BrotliDecoderResult r =
        BrotliDecoderDecompressStream(d->br, &d->in_left, &d->in, &out_left, &dst, NULL);
    *produced = room - out_left;
    switch (r) {
    case BROTLI_DECODER_RESULT_SUCCESS:
        return STEP_END;
    case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
        return STEP_MORE;
    case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
        return STEP_TRUNC;
    default:
        return STEP_ERR;
    }
}

/* ---- zstd ----------------------------------------------------------------------------- */

static enum step zstd_step(struct decoder *d, uint8_t *dst, size_t room, size_t *produced)
{
    ZSTD_inBuffer in = {d->in, d->in_left, 0};
    ZSTD_outBuffer out = {dst, room, 0};
    size_t r = ZSTD_decompressStream(d->zd, &out, &in);
    d->in += in.pos;
    d->in_left -= in.pos;
    *produced = out.pos;
    if (ZSTD_isError(r)) {
        ZSTD_ErrorCode c = ZSTD_getErrorCode(r);
        if (c == ZSTD_error_frameParameter_windowTooLarge)
            return STEP_BIG;
        return c == ZSTD_error_memory_allocation ? STEP_NOMEM : STEP_ERR;
    }
    if (r == 0)
        return STEP_END;
    /* Not at the end of a frame, all input used and output not full: it needs more. */
    if (d->in_left == 0 && out.pos < out.size)
        return STEP_TRUNC;
    return STEP_MORE;
}

/* zstd frames may be concatenated; the context starts the next one by itself. */
static enum err zstd_on_end(struct decoder *d, struct errinfo *ei)
{
    (void)d;
    (void)ei;
    return E_OK;
}

/* The smallest window log that covers limit (within floor and ceiling), so the decoder's
 * window stays near the cap. */
static int zstd_window_log(size_t limit)
{
    int log = ZSTD_WINDOWLOG_FLOOR;
    while (log < ZSTD_WINDOWLOG_CEILING && ((size_t)1 << log) < limit)
        log++;
    return log;
}

/* ---- the driver ----------------------------------------------------------------------- */

static enum err decode_fail(struct decoder *d, enum step s, struct errinfo *ei)
{
    if (s == STEP_NOMEM)
        return errinfo_set(ei, E_NOMEM, "out of memory decoding %s payload", d->name);
    if (s == STEP_BIG)
        return errinfo_set(ei, E_TOOBIG, "decompressed payload exceeds %zu bytes", d->limit);
    if (s == STEP_TRUNC)
        return errinfo_set(ei, E_PARSE, "failed to decode %s payload: truncated", d->name);
    return errinfo_set(ei, E_PARSE, "failed to decode %s payload", d->name);
}

/* One codec step into dst[0..n), with its outcome turned into an error or d->done. */
static enum err decode_step(struct decoder *d, uint8_t *dst, size_t n, size_t *produced,
                            struct errinfo *ei)
{
    size_t in_before = d->in_left;
    *produced = 0;
    enum step s = d->step(d, dst, n, produced);
    if (s == STEP_MORE && *produced == 0 && d->in_left == in_before)
        s = STEP_ERR; /* a codec that neither reads nor writes would loop forever */
    if (s == STEP_MORE)
        return E_OK;
    if (s != STEP_END)
        return decode_fail(d, s, ei);
    if (d->in_left == 0) {
        d->done = true;
        return E_OK;
    }
    return d->on_end(d, ei);
}

/* Steps the codec until the input is used up, growing out by at most DECODE_CHUNK at a time
 * and never past d->limit. At the cap, a probe into one scratch byte tells "exactly at the
 * cap" (fine) from "more to come" (E_TOOBIG). */
static enum err decode_run(struct decoder *d, struct buf *out, struct errinfo *ei)
{
    while (!d->done) {
        size_t room = out->len < d->limit ? d->limit - out->len : 0;
        size_t produced;
        enum err e;
        if (room == 0) {
            uint8_t scratch;
            e = decode_step(d, &scratch, 1, &produced, ei);
            if (!e && produced)
                e = errinfo_set(ei, E_TOOBIG, "decompressed payload exceeds %zu bytes", d->limit);
        } else {
            char *dst;
            size_t n = room < DECODE_CHUNK ? room : DECODE_CHUNK;
            if ((e = buf_reserve(out, n, &dst)))
                return errinfo_set(ei, e, "decompressed payload exceeds %zu bytes", d->limit);
            e = decode_step(d, (uint8_t *)dst, n, &produced, ei);
            buf_commit(out, produced);
        }
        if (e)
            return e;
    }
    return E_OK;
}

/* ---- per-thread codec state --------------------------------------------------------------- */

/* The zlib inflate stream and the zstd contexts are made once per thread, on first use, and
 * freed when the thread exits: making them per body cost more than the work on a 3 KB event
 * (ZSTD_compress() 22.8 against 8.4 µs with a kept context; inflateInit2/inflateEnd ~40 KB
 * allocated and freed per gzip request). */
enum thread_codec { TC_INFLATE, TC_ZSTD_C, TC_ZSTD_D, TC__MAX };

static pthread_key_t tc_keys[TC__MAX];
static pthread_once_t tc_keys_once = PTHREAD_ONCE_INIT;

static void tc_inflate_free(void *p)
{
    inflateEnd(p);
    free(p);
}

static void tc_zstd_c_free(void *p)
{
    ZSTD_freeCCtx(p);
}

static void tc_zstd_d_free(void *p)
{
    ZSTD_freeDCtx(p);
}

static void (*const tc_frees[TC__MAX])(void *) = {tc_inflate_free, tc_zstd_c_free, tc_zstd_d_free};

static void tc_keys_init(void)
{
    for (int i = 0; i < TC__MAX; i++)
        if (pthread_key_create(&tc_keys[i], tc_frees[i]) != 0)
            abort();
}

/* A new inflate stream; the window size is set again by each use's inflateReset2 (all uses
 * have 32 KiB windows, so switching between gzip, zlib and raw keeps the memory). */
static void *tc_inflate_new(void)
{
    z_stream *z = calloc(1, sizeof *z);
    if (z && inflateInit2(z, MAX_WBITS) != Z_OK) {
        free(z);
        z = NULL;
    }
    return z;
}

static void *tc_zstd_c_new(void)
{
    return ZSTD_createCCtx();
}

static void *tc_zstd_d_new(void)
{
    return ZSTD_createDCtx();
}

/* This thread's object of kind k, made now if it has none; NULL when out of memory. */
static void *thread_codec(enum thread_codec k)
{
    static void *(*const makers[TC__MAX])(void) = {tc_inflate_new, tc_zstd_c_new, tc_zstd_d_new};
    pthread_once(&tc_keys_once, tc_keys_init);
    void *o = pthread_getspecific(tc_keys[k]);
    if (o)
        return o;
    if (!(o = makers[k]()))
        return NULL;
    if (pthread_setspecific(tc_keys[k], o) != 0) {
        tc_frees[k](o);
        return NULL;
    }
    return o;
}

/* ---- per-encoding set-up -------------------------------------------------------------- */

static enum err decode_zlib(struct decoder *d, int window_bits, struct buf *out, struct errinfo *ei)
{
    d->step = zlib_step;
    d->z = thread_codec(TC_INFLATE);
    if (!d->z || inflateReset2(d->z, window_bits) != Z_OK)
        return errinfo_set(ei, E_NOMEM, "cannot start %s decoder", d->name);
    return decode_run(d, out, ei);
}

static enum err decode_gzip(struct decoder *d, struct buf *out, struct errinfo *ei)
{
    d->name = "gzip";
    d->on_end = gzip_on_end;
    return decode_zlib(d, 16 + MAX_WBITS, out, ei);
}

/* zlib-wrapped deflate as the RFC says; raw deflate when the zlib header is wrong, or when
 * data that happened to look like a zlib header fails before producing anything. */
static enum err decode_deflate(struct decoder *d, struct buf *out, struct errinfo *ei)
{
    const uint8_t *in = d->in;
    size_t in_left = d->in_left, start = out->len;
    d->name = "deflate";
    d->on_end = single_stream_on_end;
    if (zlib_header_ok(in, in_left)) {
        enum err e = decode_zlib(d, MAX_WBITS, out, ei);
        if (e != E_PARSE || out->len != start)
            return e;
        d->in = in;
        d->in_left = in_left;
        d->done = false;
    }
    return decode_zlib(d, -MAX_WBITS, out, ei);
}

static enum err decode_br(struct decoder *d, struct buf *out, struct errinfo *ei)
{
    d->name = "brotli";
    d->step = br_step;
    d->on_end = single_stream_on_end;
    d->br = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (!d->br)
        return errinfo_set(ei, E_NOMEM, "cannot start brotli decoder");
    enum err e = decode_run(d, out, ei);
    BrotliDecoderDestroyInstance(d->br);
    return e;
}

/* A frame that declares a content size over the room left is refused before decoding. */
static enum err zstd_too_big(struct decoder *d, struct buf *out, struct errinfo *ei)
{
    unsigned long long declared = ZSTD_getFrameContentSize(d->in, d->in_left);
    size_t room = out->len < d->limit ? d->limit - out->len : 0;
    if (declared < ZSTD_CONTENTSIZE_ERROR && declared > room)
        return errinfo_set(ei, E_TOOBIG, "decompressed payload exceeds %zu bytes", d->limit);
    return E_OK;
}

/* Runs d->zd (fresh or reset, a dictionary already referenced) with the window capped. */
static enum err zstd_run(struct decoder *d, struct buf *out, struct errinfo *ei)
{
    d->name = "zstd";
    d->step = zstd_step;
    d->on_end = zstd_on_end;
    if (ZSTD_isError(ZSTD_DCtx_setParameter(d->zd, ZSTD_d_windowLogMax, zstd_window_log(d->limit))))
        return errinfo_set(ei, E_NOMEM, "cannot configure zstd decoder");
    return decode_run(d, out, ei);
}

static enum err decode_zstd(struct decoder *d, struct buf *out, struct errinfo *ei)
{
    enum err e = zstd_too_big(d, out, ei);
    if (e)
        return e;
    d->zd = ZSTD_createDCtx();
    if (!d->zd)
        return errinfo_set(ei, E_NOMEM, "cannot start zstd decoder");
    e = zstd_run(d, out, ei);
    ZSTD_freeDCtx(d->zd);
    return e;
}

static enum err decode_identity(struct decoder *d, struct buf *out, struct errinfo *ei)
{
    size_t room = out->len < d->limit ? d->limit - out->len : 0;
    if (d->in_left > room)
        return errinfo_set(ei, E_TOOBIG, "payload exceeds %zu bytes", d->limit);
    enum err e = buf_append(out, d->in, d->in_left);
    return e ? errinfo_set(ei, e, "payload exceeds %zu bytes", d->limit) : E_OK;
}

/* ---- public --------------------------------------------------------------------------- */

static bool enc_is(const char *p, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

enum encoding proto_encoding_parse(const char *header)
{
    if (!header)
        return ENC_IDENTITY;
    while (isspace((unsigned char)*header))
        header++;
    size_t n = strlen(header);
    while (n && isspace((unsigned char)header[n - 1]))
        n--;
    if (n == 0 || enc_is(header, n, "identity") || enc_is(header, n, "utf-8"))
        return ENC_IDENTITY;
    if (enc_is(header, n, "gzip") || enc_is(header, n, "x-gzip"))
        return ENC_GZIP;
    if (enc_is(header, n, "deflate"))
        return ENC_DEFLATE;
    if (enc_is(header, n, "br"))
        return ENC_BR;
    if (enc_is(header, n, "zstd"))
        return ENC_ZSTD;
    return ENC_UNKNOWN;
}

enum err proto_decompress(enum encoding enc, const void *in, size_t len, size_t max,
                          struct buf *out, struct errinfo *ei)
{
    struct decoder d = {.in = in, .in_left = len, .limit = max < out->max ? max : out->max};
    switch (enc) {
    case ENC_IDENTITY:
        return decode_identity(&d, out, ei);
    case ENC_GZIP:
        return decode_gzip(&d, out, ei);
    case ENC_DEFLATE:
        return decode_deflate(&d, out, ei);
    case ENC_BR:
        return decode_br(&d, out, ei);
    case ENC_ZSTD:
        return decode_zstd(&d, out, ei);
    default:
        return errinfo_set(ei, E_UNSUPPORTED, "unsupported Content-Encoding");
    }
}

/* ---- stored bodies: per-thread contexts ----------------------------------------------------- */

/* ---- stored bodies: compression ------------------------------------------------------------ */

/* Room for the compressed form of len bytes at the end of out (max raised to fit). */
static enum err zstd_reserve(size_t len, struct buf *out, char **dst, size_t *bound)
{
    *bound = ZSTD_compressBound(len);
    if (ZSTD_isError(*bound) || *bound > SIZE_MAX - out->len - 1)
        return E_TOOBIG;
    if (out->max < out->len + *bound)
        out->max = out->len + *bound;
    return buf_reserve(out, *bound, dst);
}

enum err proto_zstd_compress(const void *in, size_t len, int level, struct buf *out)
{
    char *dst;
    size_t bound;
    enum err e = zstd_reserve(len, out, &dst, &bound);
    if (e)
        return e;
    if (level < 1)
        level = 1;
    if (level > 19)
        level = 19;
    ZSTD_CCtx *cctx = thread_codec(TC_ZSTD_C);
    if (!cctx)
        return E_NOMEM;
    size_t n = ZSTD_compressCCtx(cctx, dst, bound, in, len, level);
    if (ZSTD_isError(n))
        return E_INVALID;
    buf_commit(out, n);
    return E_OK;
}

enum err proto_zstd_compress_dict(const void *in, size_t len, const ZSTD_CDict *cdict,
                                  struct buf *out)
{
    if (!cdict)
        return E_INVALID;
    char *dst;
    size_t bound;
    enum err e = zstd_reserve(len, out, &dst, &bound);
    if (e)
        return e;
    ZSTD_CCtx *cctx = thread_codec(TC_ZSTD_C);
    if (!cctx)
        return E_NOMEM;
    /* the one-shot CDict call writes the content size and the dictionary ID into the frame */
    size_t n = ZSTD_compress_usingCDict(cctx, dst, bound, in, len, cdict);
    if (ZSTD_isError(n))
        return E_INVALID;
    buf_commit(out, n);
    return E_OK;
}

/* ---- stored bodies: decompression ---------------------------------------------------------- */

enum err proto_zstd_decompress_dict(const void *in, size_t len, size_t max,
                                    const struct proto_zdict_source *src, struct buf *out,
                                    struct errinfo *ei)
{
    struct decoder d = {.in = in, .in_left = len, .limit = max < out->max ? max : out->max};
    enum err e = zstd_too_big(&d, out, ei);
    if (e)
        return e;
    uint32_t dict_id = ZSTD_getDictID_fromFrame(in, len);
    const ZSTD_DDict *dd = NULL;
    if (dict_id) {
        dd = src ? src->get(src->ctx, dict_id) : NULL;
        if (!dd)
            return errinfo_set(ei, E_NOTFOUND, "zstd dictionary %u is not available", dict_id);
    }
    d.zd = thread_codec(TC_ZSTD_D);
    if (!d.zd)
        e = errinfo_set(ei, E_NOMEM, "cannot start zstd decoder");
    else if (dd && ZSTD_isError(ZSTD_DCtx_refDDict(d.zd, dd)))
        e = errinfo_set(ei, E_NOMEM, "cannot use zstd dictionary %u", dict_id);
    else
        e = zstd_run(&d, out, ei);
    /* the next call starts clean, and no context keeps a pointer to the dictionary */
    if (d.zd)
        ZSTD_DCtx_reset(d.zd, ZSTD_reset_session_and_parameters);
    if (dd)
        src->put(src->ctx, dd);
    return e;
}
