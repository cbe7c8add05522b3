/* Unit tests for src/proto/decompress. Inputs are built here with the real encoders (zlib,
 * brotli, zstd): round trips, the cap at and around the exact size, truncated and corrupt
 * streams, and 200 MB bombs that must stop at a 1 MiB cap without growing past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/slice.h"
#include "proto/decompress.h"

#define BIG (300 * KIB)
#define BOMB_SIZE ((size_t)200 * 1000 * 1000)
#define BOMB_CAP (1 * MIB)

/* ---- encoders ------------------------------------------------------------------------- */

/* Feeds len bytes of in (or of zeros when in is NULL) through deflate with window_bits. */
static void enc_zlib_bits(const void *in, size_t len, int window_bits, struct buf *out)
{
    static const uint8_t zeros[64 * 1024];
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY), Z_OK);
    size_t left = len;
    int flush;
    do {
        size_t n = in ? left : (left < sizeof zeros ? left : sizeof zeros);
        z.next_in = (Bytef *)(uintptr_t)(in ? (const uint8_t *)in + (len - left) : zeros);
        z.avail_in = (uInt)n;
        left -= n;
        flush = left ? Z_NO_FLUSH : Z_FINISH;
        do {
            char *dst;
            assert_int_equal(buf_reserve(out, 64 * 1024, &dst), E_OK);
            z.next_out = (Bytef *)dst;
            z.avail_out = 64 * 1024;
            deflate(&z, flush);
            buf_commit(out, 64 * 1024 - z.avail_out);
        } while (z.avail_out == 0);
    } while (flush != Z_FINISH);
    deflateEnd(&z);
}

static void enc_gzip(const void *in, size_t len, struct buf *out)
{
    enc_zlib_bits(in, len, 16 + MAX_WBITS, out);
}

static void enc_zlib(const void *in, size_t len, struct buf *out)
{
    enc_zlib_bits(in, len, MAX_WBITS, out);
}

static void enc_raw(const void *in, size_t len, struct buf *out)
{
    enc_zlib_bits(in, len, -MAX_WBITS, out);
}

/* Two gzip members, each holding half of the input. */
static void enc_gzip2(const void *in, size_t len, struct buf *out)
{
    enc_gzip(in, len / 2, out);
    enc_gzip(in ? (const char *)in + len / 2 : NULL, len - len / 2, out);
}

static void enc_br(const void *in, size_t len, struct buf *out)
{
    static const uint8_t zeros[64 * 1024];
    BrotliEncoderState *s = BrotliEncoderCreateInstance(NULL, NULL, NULL);
    BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, 5);
    size_t left = len;
    BrotliEncoderOperation op;
    do {
        size_t n = in ? left : (left < sizeof zeros ? left : sizeof zeros);
        const uint8_t *next_in = in ? (const uint8_t *)in + (len - left) : zeros;
        size_t avail_in = n;
        left -= n;
        op = left ? BROTLI_OPERATION_PROCESS : BROTLI_OPERATION_FINISH;
        do {
            char *dst;
            size_t avail_out = 64 * 1024;
            assert_int_equal(buf_reserve(out, avail_out, &dst), E_OK);
            uint8_t *next_out = (uint8_t *)dst;
            assert_true(BrotliEncoderCompressStream(s, op, &avail_in, &next_in, &avail_out,
                                                    &next_out, NULL));
            buf_commit(out, 64 * 1024 - avail_out);
        } while (avail_in || BrotliEncoderHasMoreOutput(s) ||
                 (op == BROTLI_OPERATION_FINISH && !BrotliEncoderIsFinished(s)));
    } while (op != BROTLI_OPERATION_FINISH);
    BrotliEncoderDestroyInstance(s);
}

/* zstd streaming; pledged tells the frame its content size (single segment). */
static void enc_zstd_stream(const void *in, size_t len, int pledged, struct buf *out)
{
    static const uint8_t zeros[64 * 1024];
    ZSTD_CCtx *c = ZSTD_createCCtx();
    if (pledged)
        ZSTD_CCtx_setPledgedSrcSize(c, len);
    size_t left = len, r;
    ZSTD_EndDirective op;
    do {
        size_t n = in ? left : (left < sizeof zeros ? left : sizeof zeros);
        ZSTD_inBuffer ib = {in ? (const uint8_t *)in + (len - left) : zeros, n, 0};
        left -= n;
        op = left ? ZSTD_e_continue : ZSTD_e_end;
        do {
            char *dst;
            assert_int_equal(buf_reserve(out, 64 * 1024, &dst), E_OK);
            ZSTD_outBuffer ob = {dst, 64 * 1024, 0};
            r = ZSTD_compressStream2(c, &ob, &ib, op);
            assert_false(ZSTD_isError(r));
            buf_commit(out, ob.pos);
        } while (ib.pos < ib.size || (op == ZSTD_e_end && r != 0));
    } while (op != ZSTD_e_end);
    ZSTD_freeCCtx(c);
}

static void enc_zstd(const void *in, size_t len, struct buf *out)
{
    enc_zstd_stream(in, len, 1, out);
}

static void enc_zstd_unsized(const void *in, size_t len, struct buf *out)
{
    enc_zstd_stream(in, len, 0, out);
}

/* Two zstd frames, each holding half of the input. */
static void enc_zstd2(const void *in, size_t len, struct buf *out)
{
    enc_zstd(in, len / 2, out);
    enc_zstd(in ? (const char *)in + len / 2 : NULL, len - len / 2, out);
}

static void enc_identity(const void *in, size_t len, struct buf *out)
{
    assert_non_null(in);
    assert_int_equal(buf_append(out, in, len), E_OK);
}

struct codec {
    const char *name;
    enum encoding enc;
    void (*encode)(const void *in, size_t len, struct buf *out);
};

enum { C_GZIP, C_GZIP2, C_ZLIB, C_RAW, C_BR, C_ZSTD, C_ZSTD_UNSIZED, C_ZSTD2, C_IDENTITY };

static const struct codec codecs[] = {
    [C_GZIP] = {"gzip", ENC_GZIP, enc_gzip},
    [C_GZIP2] = {"gzip, two members", ENC_GZIP, enc_gzip2},
    [C_ZLIB] = {"deflate (zlib)", ENC_DEFLATE, enc_zlib},
    [C_RAW] = {"deflate (raw)", ENC_DEFLATE, enc_raw},
    [C_BR] = {"br", ENC_BR, enc_br},
    [C_ZSTD] = {"zstd", ENC_ZSTD, enc_zstd},
    [C_ZSTD_UNSIZED] = {"zstd, no content size", ENC_ZSTD, enc_zstd_unsized},
    [C_ZSTD2] = {"zstd, two frames", ENC_ZSTD, enc_zstd2},
    [C_IDENTITY] = {"identity", ENC_IDENTITY, enc_identity},
};
#define NCODECS (sizeof codecs / sizeof *codecs)

/* Deterministic, somewhat compressible text. */
static char *make_text(size_t len)
{
    char *p = malloc(len + 1);
    uint32_t x = 12345;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245 + 12345;
        p[i] = (x >> 16) % 7 == 0 ? '\n' : (char)('a' + (x >> 16) % 26);
    }
    p[len] = '\0';
    return p;
}

static void encode(const struct codec *c, const void *in, size_t len, struct buf *out)
{
    buf_init(out, SIZE_MAX / 2);
    c->encode(in, len, out);
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_encoding_parse(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        enum encoding want;
    } cases[] = {
        {NULL, ENC_IDENTITY},
        {"", ENC_IDENTITY},
        {"  ", ENC_IDENTITY},
        {"identity", ENC_IDENTITY},
        {"IDENTITY", ENC_IDENTITY},
        {"UTF-8", ENC_IDENTITY},
        {"utf-8", ENC_IDENTITY},
        {"gzip", ENC_GZIP},
        {" GZip\t", ENC_GZIP},
        {"x-gzip", ENC_GZIP},
        {"deflate", ENC_DEFLATE},
        {"Deflate ", ENC_DEFLATE},
        {"br", ENC_BR},
        {"BR", ENC_BR},
        {"zstd", ENC_ZSTD},
        {"gzip, br", ENC_UNKNOWN},
        {"gzip,gzip", ENC_UNKNOWN},
        {"compress", ENC_UNKNOWN},
        {"xz", ENC_UNKNOWN},
        {"gzipx", ENC_UNKNOWN},
        {"utf8", ENC_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        enum encoding got = proto_encoding_parse(cases[i].in);
        if (got != cases[i].want)
            fail_msg("row %zu ('%s'): got %d, want %d", i, cases[i].in ? cases[i].in : "NULL", got,
                     cases[i].want);
    }
}

/* Every codec round-trips every payload, appended after what out already holds. */
static void test_roundtrip(void **state)
{
    (void)state;
    char *big = make_text(BIG);
    const struct slice payloads[] = {
        SLICE_LIT(""), SLICE_LIT("hello"), SLICE_LIT("{\"message\":\"x\"}\n"), {big, BIG}};
    for (size_t c = 0; c < NCODECS; c++) {
        for (size_t i = 0; i < sizeof payloads / sizeof *payloads; i++) {
            struct buf z, out;
            struct errinfo ei = {{0}};
            encode(&codecs[c], payloads[i].p, payloads[i].len, &z);
            buf_init(&out, 4 * MIB);
            assert_int_equal(buf_append(&out, "pre:", 4), E_OK);
            enum err e = proto_decompress(codecs[c].enc, z.p, z.len, 4 * MIB, &out, &ei);
            if (e != E_OK || out.len != 4 + payloads[i].len ||
                memcmp(out.p + 4, payloads[i].p, payloads[i].len) != 0)
                fail_msg("%s, payload %zu: %s (%s), %zu bytes", codecs[c].name, i, err_name(e),
                         ei.detail, out.len);
            buf_free(&z);
            buf_free(&out);
        }
    }
    free(big);
}

/* Exactly at the cap is fine; one byte less is E_TOOBIG; the buffer never grows past it. */
static void test_cap_exact(void **state)
{
    (void)state;
    const size_t n = 100000;
    char *text = make_text(n);
    static const struct {
        size_t max;
        enum err want;
    } caps[] = {{100000, E_OK}, {99999, E_TOOBIG}, {1, E_TOOBIG}, {200000, E_OK}};
    for (size_t c = 0; c < NCODECS; c++) {
        struct buf z;
        encode(&codecs[c], text, n, &z);
        for (size_t i = 0; i < sizeof caps / sizeof *caps; i++) {
            struct buf out;
            struct errinfo ei = {{0}};
            buf_init(&out, caps[i].max);
            enum err e = proto_decompress(codecs[c].enc, z.p, z.len, caps[i].max, &out, &ei);
            if (e != caps[i].want || out.len > caps[i].max || out.cap > caps[i].max + 1 ||
                (e == E_TOOBIG && !strstr(ei.detail, "exceeds")))
                fail_msg("%s, cap %zu: %s (%s), len %zu cap %zu", codecs[c].name, caps[i].max,
                         err_name(e), ei.detail, out.len, out.cap);
            buf_free(&out);
        }
        buf_free(&z);
    }
    free(text);
}

enum mutation { CUT_LAST, CUT_HALF, KEEP_TWO, EMPTY, FLIP_MIDDLE, TRAILING_GARBAGE, GARBAGE };

/* Applies m to the encoded bytes in z. */
static void mutate(struct buf *z, enum mutation m)
{
    static const char garbage[] = "this is not compressed data at all";
    switch (m) {
    case CUT_LAST:
        z->len -= 1;
        break;
    case CUT_HALF:
        z->len /= 2;
        break;
    case KEEP_TWO:
        z->len = 2;
        break;
    case EMPTY:
        z->len = 0;
        break;
    case FLIP_MIDDLE:
        z->p[z->len / 2] ^= 0x55;
        break;
    case TRAILING_GARBAGE:
        assert_int_equal(buf_append(z, "xyz", 3), E_OK);
        break;
    case GARBAGE:
        buf_reset(z);
        assert_int_equal(buf_append(z, garbage, sizeof garbage - 1), E_OK);
        break;
    }
}

static void test_broken(void **state)
{
    (void)state;
    static const struct {
        int codec;
        enum mutation m;
        const char *detail; /* expected in the error detail */
    } cases[] = {
        {C_GZIP, CUT_LAST, "failed to decode gzip payload"},
        {C_GZIP, CUT_HALF, "failed to decode gzip payload"},
        {C_GZIP, KEEP_TWO, "failed to decode gzip payload"},
        {C_GZIP, EMPTY, "failed to decode gzip payload"},
        {C_GZIP, FLIP_MIDDLE, "failed to decode gzip payload"},
        {C_GZIP, TRAILING_GARBAGE, "failed to decode gzip payload"},
        {C_GZIP, GARBAGE, "failed to decode gzip payload"},
        {C_GZIP2, CUT_LAST, "failed to decode gzip payload"},
        {C_ZLIB, CUT_LAST, "failed to decode deflate payload"},
        {C_ZLIB, CUT_HALF, "failed to decode deflate payload"},
        {C_ZLIB, EMPTY, "failed to decode deflate payload"},
        {C_ZLIB, FLIP_MIDDLE, "failed to decode deflate payload"},
        {C_ZLIB, TRAILING_GARBAGE, "failed to decode deflate payload"},
        {C_RAW, CUT_HALF, "failed to decode deflate payload"},
        {C_RAW, GARBAGE, "failed to decode deflate payload"},
        {C_BR, CUT_LAST, "failed to decode brotli payload"},
        {C_BR, CUT_HALF, "failed to decode brotli payload"},
        {C_BR, KEEP_TWO, "failed to decode brotli payload"},
        {C_BR, EMPTY, "failed to decode brotli payload"},
        {C_BR, TRAILING_GARBAGE, "failed to decode brotli payload"},
        {C_BR, GARBAGE, "failed to decode brotli payload"},
        {C_ZSTD, CUT_LAST, "failed to decode zstd payload"},
        {C_ZSTD, CUT_HALF, "failed to decode zstd payload"},
        {C_ZSTD, KEEP_TWO, "failed to decode zstd payload"},
        {C_ZSTD, EMPTY, "failed to decode zstd payload"},
        {C_ZSTD, TRAILING_GARBAGE, "failed to decode zstd payload"},
        {C_ZSTD, GARBAGE, "failed to decode zstd payload"},
        {C_ZSTD_UNSIZED, CUT_LAST, "failed to decode zstd payload"},
        {C_ZSTD2, CUT_LAST, "failed to decode zstd payload"},
    };
    char *text = make_text(BIG);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const struct codec *c = &codecs[cases[i].codec];
        struct buf z, out;
        struct errinfo ei = {{0}};
        encode(c, text, BIG, &z);
        mutate(&z, cases[i].m);
        buf_init(&out, 4 * MIB);
        enum err e = proto_decompress(c->enc, z.p, z.len, 4 * MIB, &out, &ei);
        if (e != E_PARSE || !strstr(ei.detail, cases[i].detail))
            fail_msg("row %zu (%s, mutation %d): %s '%s'", i, c->name, cases[i].m, err_name(e),
                     ei.detail);
        buf_free(&z);
        buf_free(&out);
    }
    free(text);
}

/* 200 MB of zeros at a 1 MiB cap: E_TOOBIG, fast, and the buffer stays within the cap. */
static void test_bomb(void **state)
{
    (void)state;
    static const int bombs[] = {C_GZIP, C_ZLIB, C_RAW, C_BR, C_ZSTD, C_ZSTD_UNSIZED};
    for (size_t i = 0; i < sizeof bombs / sizeof *bombs; i++) {
        const struct codec *c = &codecs[bombs[i]];
        struct buf z, out;
        struct errinfo ei = {{0}};
        encode(c, NULL, BOMB_SIZE, &z);
        buf_init(&out, BOMB_CAP);
        clock_t t0 = clock();
        enum err e = proto_decompress(c->enc, z.p, z.len, BOMB_CAP, &out, &ei);
        double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
        if (e != E_TOOBIG || out.cap > BOMB_CAP + 1 || secs > 2.0)
            fail_msg("%s bomb (%zu bytes): %s (%s), cap %zu, %.2f s", c->name, z.len, err_name(e),
                     ei.detail, out.cap, secs);
        buf_free(&z);
        buf_free(&out);
    }
}

/* A raw deflate stream whose first two bytes pass the zlib header check (a non-final stored
 * block with a set padding bit): decoding as zlib fails at once, the raw retry succeeds. */
static void test_raw_deflate_lookalike(void **state)
{
    (void)state;
    static const char data[29] = "twenty-nine bytes of payload!";
    uint8_t in[5 + 29 + 5] = {0x08, 0x1d, 0x00, 0xe2, 0xff};
    memcpy(in + 5, data, 29);
    memcpy(in + 5 + 29, "\x01\x00\x00\xff\xff", 5);
    struct buf out;
    struct errinfo ei = {{0}};
    buf_init(&out, 1024);
    assert_int_equal(proto_decompress(ENC_DEFLATE, in, sizeof in, 1024, &out, &ei), E_OK);
    assert_int_equal(out.len, 29);
    assert_memory_equal(out.p, data, 29);
    buf_free(&out);
}

static void test_unsupported_and_identity(void **state)
{
    (void)state;
    static const struct {
        enum encoding enc;
        const char *in;
        size_t max;
        enum err want;
    } cases[] = {
        {ENC_UNKNOWN, "x", 10, E_UNSUPPORTED},
        {ENC_IDENTITY, "0123456789", 10, E_OK},
        {ENC_IDENTITY, "0123456789", 9, E_TOOBIG},
        {ENC_IDENTITY, "", 0, E_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct buf out;
        buf_init(&out, cases[i].max);
        enum err e = proto_decompress(cases[i].enc, cases[i].in, strlen(cases[i].in), cases[i].max,
                                      &out, NULL);
        if (e != cases[i].want)
            fail_msg("row %zu: %s", i, err_name(e));
        buf_free(&out);
    }
}

/* Storage compression: out may start with max 0, the level is clamped, and it round-trips. */
static void test_zstd_compress(void **state)
{
    (void)state;
    static const int levels[] = {-5, 0, 1, 3, 19, 100};
    char *text = make_text(BIG);
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++) {
        struct buf z, out;
        buf_init(&z, 0);
        buf_init(&out, BIG);
        enum err e = proto_zstd_compress(text, BIG, levels[i], &z);
        enum err d = e ? e : proto_decompress(ENC_ZSTD, z.p, z.len, BIG, &out, NULL);
        if (e || d || out.len != BIG || memcmp(out.p, text, BIG) != 0 || z.len >= BIG)
            fail_msg("level %d: %s / %s, %zu -> %zu", levels[i], err_name(e), err_name(d), z.len,
                     out.len);
        buf_free(&z);
        buf_free(&out);
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoding_parse),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_cap_exact),
        cmocka_unit_test(test_broken),
        cmocka_unit_test(test_bomb),
        cmocka_unit_test(test_raw_deflate_lookalike),
        cmocka_unit_test(test_unsupported_and_identity),
        cmocka_unit_test(test_zstd_compress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
