/* Unit tests for src/proto/zdict and the dictionary half of src/proto/decompress: training with
 * a chosen dictionary ID (and refusing bad IDs and hopeless samples), compression whose frames
 * name the dictionary, decompression that finds it through the caller's source (get and put
 * balanced on every path), bodies without a dictionary still decoding, the wrong or a missing
 * dictionary refused, and the output cap enforced with a dictionary as without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "core/buf.h"
#include "core/limits.h"
#include "proto/decompress.h"
#include "proto/zdict.h"

#define NSAMPLES 300
#define DICT_CAP (16 * 1024)

/* An event-like JSON text for sample k: shared structure, varying values. */
static size_t sample_json(char *out, size_t cap, unsigned k)
{
    static const char *const words[] = {"timeout",  "refused", "KeyError", "TypeError",
                                        "checkout", "payment", "login",    "search"};
    int n = snprintf(out, cap,
                     "{\"event_id\":\"%08x%08x%08x%08x\",\"level\":\"error\",\"platform\":"
                     "\"python\",\"timestamp\":%u.%03u,\"exception\":{\"values\":[{\"type\":\"%s\","
                     "\"value\":\"%s while handling %s #%u\",\"stacktrace\":{\"frames\":[{"
                     "\"filename\":\"app/views/%s.py\",\"function\":\"handle_%s\",\"lineno\":%u,"
                     "\"context_line\":\"    return service.%s(request, user_id=%u)\"}]}}]},"
                     "\"tags\":[[\"browser\",\"Firefox %u\"],[\"environment\",\"production\"]],"
                     "\"user\":{\"id\":\"%u\",\"ip_address\":\"10.0.%u.%u\"}}",
                     k * 2654435761u, k ^ 0x5bd1e995u, k * 40503u, ~k, 1700000000u + k, k % 1000,
                     words[k % 4], words[k % 8], words[(k / 8) % 8], k, words[4 + k % 4],
                     words[4 + k % 4], 10 + k % 90, words[4 + (k + 1) % 4], k * 7, 100 + k % 30,
                     k % 50, k % 200, k % 250);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* NSAMPLES samples, concatenated with their sizes. */
static void samples_make(struct buf *all, size_t *sizes)
{
    buf_init(all, 4 * MIB);
    for (unsigned k = 0; k < NSAMPLES; k++) {
        char s[2048];
        sizes[k] = sample_json(s, sizeof s, k);
        assert_true(sizes[k] > 0);
        assert_int_equal(buf_append(all, s, sizes[k]), E_OK);
    }
}

static void dict_make(uint32_t id, struct buf *dict)
{
    struct buf all;
    size_t sizes[NSAMPLES];
    samples_make(&all, sizes);
    buf_init(dict, 0);
    struct errinfo ei = {{0}};
    enum err e = proto_zdict_train(all.p, sizes, NSAMPLES, DICT_CAP, 1, id, dict, &ei);
    if (e)
        fail_msg("train: %s %s", err_name(e), ei.detail);
    buf_free(&all);
}

/* ---- a dictionary source that counts what it hands out ----------------------------------- */

struct src_ctx {
    uint32_t id;
    const ZSTD_DDict *dd;
    int gets, puts;
};

static const ZSTD_DDict *src_get(void *ctx, uint32_t dict_id)
{
    struct src_ctx *s = ctx;
    if (dict_id != s->id)
        return NULL;
    s->gets++;
    return s->dd;
}

static void src_put(void *ctx, const ZSTD_DDict *dd)
{
    struct src_ctx *s = ctx;
    assert_ptr_equal(dd, s->dd);
    s->puts++;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_train_ids(void **state)
{
    (void)state;
    struct buf all, dict;
    size_t sizes[NSAMPLES];
    samples_make(&all, sizes);
    static const uint32_t bad[] = {0, 1, PROTO_ZDICT_ID_MIN - 1, PROTO_ZDICT_ID_MAX + 1u};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        buf_init(&dict, 0);
        assert_int_equal(
            proto_zdict_train(all.p, sizes, NSAMPLES, DICT_CAP, 1, bad[i], &dict, NULL), E_INVALID);
        assert_int_equal(dict.len, 0);
        buf_free(&dict);
    }
    static const uint32_t good[] = {PROTO_ZDICT_ID_MIN, 123456789, PROTO_ZDICT_ID_MAX};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        buf_init(&dict, 0);
        assert_int_equal(
            proto_zdict_train(all.p, sizes, NSAMPLES, DICT_CAP, 1, good[i], &dict, NULL), E_OK);
        assert_true(dict.len > 1024 && dict.len <= DICT_CAP);
        assert_int_equal(proto_zdict_id(dict.p, dict.len), good[i]);
        buf_free(&dict);
    }
    /* three tiny samples: zstd can make nothing of them */
    static const size_t tiny[] = {4, 4, 4};
    buf_init(&dict, 0);
    struct errinfo ei = {{0}};
    assert_int_equal(proto_zdict_train("abcdabcdabcd", tiny, 3, DICT_CAP, 1, 40000, &dict, &ei),
                     E_PARSE);
    assert_true(ei.detail[0] != '\0');
    buf_free(&dict);
    /* raw bytes are not a dictionary: no digested form */
    assert_int_equal(proto_zdict_id(all.p, 4096), 0);
    assert_null(proto_zdict_cdict(all.p, 4096, 1));
    assert_null(proto_zdict_ddict(all.p, 4096));
    buf_free(&all);
}

/* Bodies compressed with the dictionary name it, come back identical, and are much smaller
 * than without it; the source is asked once per body and always given back. */
static void test_roundtrip(void **state)
{
    (void)state;
    struct buf dict;
    dict_make(70001, &dict);
    ZSTD_CDict *cd = proto_zdict_cdict(dict.p, dict.len, 1);
    ZSTD_DDict *dd = proto_zdict_ddict(dict.p, dict.len);
    assert_non_null(cd);
    assert_non_null(dd);
    struct src_ctx sc = {70001, dd, 0, 0};
    const struct proto_zdict_source src = {src_get, src_put, &sc};
    size_t with = 0, without = 0;
    for (unsigned k = 1000; k < 1100; k++) { /* events the dictionary was not trained on */
        char json[2048];
        size_t n = sample_json(json, sizeof json, k);
        struct buf z, plain, out;
        buf_init(&z, 0);
        buf_init(&plain, 0);
        buf_init(&out, LIMIT_EVENT_SIZE);
        assert_int_equal(proto_zstd_compress_dict(json, n, cd, &z), E_OK);
        assert_int_equal(proto_zstd_compress(json, n, 1, &plain), E_OK);
        assert_int_equal(proto_zstd_frame_dict(z.p, z.len), 70001);
        assert_int_equal(proto_zstd_frame_dict(plain.p, plain.len), 0);
        assert_int_equal(proto_zstd_decompress_dict(z.p, z.len, out.max, &src, &out, NULL), E_OK);
        assert_int_equal(out.len, n);
        assert_memory_equal(out.p, json, n);
        /* a body without a dictionary decodes through the same call, without asking */
        buf_reset(&out);
        assert_int_equal(proto_zstd_decompress_dict(plain.p, plain.len, out.max, &src, &out, NULL),
                         E_OK);
        assert_int_equal(out.len, n);
        assert_memory_equal(out.p, json, n);
        buf_reset(&out);
        assert_int_equal(proto_zstd_decompress_dict(plain.p, plain.len, out.max, NULL, &out, NULL),
                         E_OK);
        assert_int_equal(out.len, n);
        with += z.len;
        without += plain.len;
        buf_free(&z);
        buf_free(&plain);
        buf_free(&out);
    }
    assert_int_equal(sc.gets, 100);
    assert_int_equal(sc.puts, 100);
    if (with * 2 > without)
        fail_msg("the dictionary saves too little: %zu bytes with, %zu without", with, without);
    assert_int_equal(proto_zstd_compress_dict("x", 1, NULL, &dict), E_INVALID);
    ZSTD_freeCDict(cd);
    ZSTD_freeDDict(dd);
    buf_free(&dict);
}

/* No source, a source without the dictionary, the wrong dictionary under the right ID, and a
 * corrupt body: errors, never a crash, and every dictionary handed out is given back. */
static void test_missing_and_wrong(void **state)
{
    (void)state;
    struct buf d1, d2;
    dict_make(70001, &d1);
    dict_make(70002, &d2);
    ZSTD_CDict *cd = proto_zdict_cdict(d1.p, d1.len, 1);
    ZSTD_DDict *other = proto_zdict_ddict(d2.p, d2.len);
    char json[2048];
    size_t n = sample_json(json, sizeof json, 5000);
    struct buf z, out;
    buf_init(&z, 0);
    buf_init(&out, LIMIT_EVENT_SIZE);
    assert_int_equal(proto_zstd_compress_dict(json, n, cd, &z), E_OK);
    struct errinfo ei = {{0}};
    assert_int_equal(proto_zstd_decompress_dict(z.p, z.len, out.max, NULL, &out, &ei), E_NOTFOUND);
    assert_non_null(strstr(ei.detail, "70001"));
    struct src_ctx none = {12345, other, 0, 0};
    const struct proto_zdict_source src_none = {src_get, src_put, &none};
    assert_int_equal(proto_zstd_decompress_dict(z.p, z.len, out.max, &src_none, &out, NULL),
                     E_NOTFOUND);
    assert_int_equal(none.gets + none.puts, 0);
    /* dictionary 70002 handed out for 70001: zstd notices */
    struct src_ctx wrong = {70001, other, 0, 0};
    const struct proto_zdict_source src_wrong = {src_get, src_put, &wrong};
    assert_int_equal(proto_zstd_decompress_dict(z.p, z.len, out.max, &src_wrong, &out, NULL),
                     E_PARSE);
    assert_int_equal(wrong.gets, 1);
    assert_int_equal(wrong.puts, 1);
    /* truncated and corrupted bodies */
    ZSTD_DDict *right = proto_zdict_ddict(d1.p, d1.len);
    struct src_ctx ok = {70001, right, 0, 0};
    const struct proto_zdict_source src_ok = {src_get, src_put, &ok};
    buf_reset(&out);
    assert_int_equal(proto_zstd_decompress_dict(z.p, z.len - 3, out.max, &src_ok, &out, NULL),
                     E_PARSE);
    z.p[z.len / 2] ^= 0x55;
    z.p[z.len / 2 + 1] ^= 0xaa;
    buf_reset(&out);
    enum err e = proto_zstd_decompress_dict(z.p, z.len, out.max, &src_ok, &out, NULL);
    assert_true(e == E_PARSE || (e == E_OK && (out.len != n || memcmp(out.p, json, n) != 0)));
    assert_int_equal(ok.gets, ok.puts);
    assert_int_equal(ok.gets, 2);
    buf_free(&z);
    buf_free(&out);
    ZSTD_freeCDict(cd);
    ZSTD_freeDDict(other);
    ZSTD_freeDDict(right);
    buf_free(&d1);
    buf_free(&d2);
}

/* The cap holds with a dictionary: a frame that declares a larger size is refused at once,
 * one that does not stops at the cap, and an exact fit passes. */
static void test_cap(void **state)
{
    (void)state;
    struct buf dict;
    dict_make(70003, &dict);
    ZSTD_CDict *cd = proto_zdict_cdict(dict.p, dict.len, 1);
    ZSTD_DDict *dd = proto_zdict_ddict(dict.p, dict.len);
    struct src_ctx sc = {70003, dd, 0, 0};
    const struct proto_zdict_source src = {src_get, src_put, &sc};
    const size_t big = 200 * KIB, cap = 64 * KIB;
    char *text = malloc(big);
    for (size_t off = 0; off < big;) {
        char json[2048];
        size_t n = sample_json(json, sizeof json, (unsigned)off);
        n = n < big - off ? n : big - off;
        memcpy(text + off, json, n);
        off += n;
    }
    struct buf sized, unsized, out;
    buf_init(&sized, 0);
    buf_init(&unsized, 4 * MIB);
    assert_int_equal(proto_zstd_compress_dict(text, big, cd, &sized), E_OK);
    /* the same bytes as a stream that does not declare its size */
    ZSTD_CCtx *c = ZSTD_createCCtx();
    assert_false(ZSTD_isError(ZSTD_CCtx_refCDict(c, cd)));
    char *dst;
    assert_int_equal(buf_reserve(&unsized, ZSTD_compressBound(big), &dst), E_OK);
    ZSTD_inBuffer ib = {text, big, 0};
    ZSTD_outBuffer ob = {dst, ZSTD_compressBound(big), 0};
    assert_false(ZSTD_isError(ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_continue)));
    assert_int_equal(ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end), 0);
    buf_commit(&unsized, ob.pos);
    ZSTD_freeCCtx(c);
    assert_int_equal(proto_zstd_frame_dict(unsized.p, unsized.len), 70003);
    assert_int_equal(ZSTD_getFrameContentSize(unsized.p, unsized.len), ZSTD_CONTENTSIZE_UNKNOWN);

    const struct buf *bodies[] = {&sized, &unsized};
    for (size_t i = 0; i < 2; i++) {
        buf_init(&out, cap); /* as ingest's buffers: the cap is the buffer's too */
        enum err e =
            proto_zstd_decompress_dict(bodies[i]->p, bodies[i]->len, cap, &src, &out, NULL);
        if (e != E_TOOBIG || out.len > cap || out.cap > cap + 1)
            fail_msg("body %zu: %s, %zu bytes out (cap %zu, buffer %zu)", i, err_name(e), out.len,
                     cap, out.cap);
        buf_free(&out);
        buf_init(&out, 4 * MIB);
        assert_int_equal(
            proto_zstd_decompress_dict(bodies[i]->p, bodies[i]->len, big, &src, &out, NULL), E_OK);
        assert_int_equal(out.len, big);
        assert_memory_equal(out.p, text, big);
        buf_free(&out);
    }
    assert_int_equal(sc.gets, sc.puts);
    free(text);
    buf_free(&sized);
    buf_free(&unsized);
    ZSTD_freeCDict(cd);
    ZSTD_freeDDict(dd);
    buf_free(&dict);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_ids),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_missing_and_wrong),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
