/* gen_corpus: writes the seed corpora of fuzz_decompress (fuzz/corpus/fuzz_decompress/) and
 * fuzz_zdict (fuzz/corpus/fuzz_zdict/), and seeds fuzz_envelope (fuzz/corpus/fuzz_envelope/)
 * from tests/fixtures/envelopes/. Run once from the repository root after changing it; its
 * output is committed:
 *   cc -std=c11 -D_GNU_SOURCE fuzz/gen_corpus.c -o /tmp/gen_corpus \
 *      $(pkg-config --cflags --libs zlib libbrotlienc libzstd) && /tmp/gen_corpus
 * Not part of the build (CMake only builds fuzz/fuzz_*.c). */
#include <brotli/encode.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zdict.h>
#include <zlib.h>
#include <zstd.h>

#define DEC_DIR "fuzz/corpus/fuzz_decompress"
#define ENV_DIR "fuzz/corpus/fuzz_envelope"
#define ZD_DIR "fuzz/corpus/fuzz_zdict"
#define FIX_DIR "tests/fixtures/envelopes"
#define OUT_MAX (1 << 20)

/* The first byte of a fuzz_decompress input picks the encoding. */
enum { SEL_IDENTITY, SEL_GZIP, SEL_DEFLATE, SEL_BR, SEL_ZSTD };

static const char envelope[] =
    "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"dsn\":\"https://k@host/42\"}\n"
    "{\"type\":\"attachment\",\"length\":10,\"filename\":\"hello.txt\"}\n\xef\xbb\xbfHello\r\n\n"
    "{\"type\":\"event\",\"length\":41}\n{\"message\":\"hello world\",\"level\":\"error\"}\n";
static const char event[] = "{\"message\":\"boom\",\"level\":\"error\",\"platform\":\"python\"}";

static unsigned char out[OUT_MAX];

static void write_file(const char *dir, const char *name, int sel, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    if (sel >= 0)
        fputc(sel, f);
    fwrite(p, 1, n, f);
    fclose(f);
}

static size_t zlib_enc(const void *in, size_t len, int bits, unsigned char *dst, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 9, Z_DEFLATED, bits, 9, Z_DEFAULT_STRATEGY);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = dst;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

static size_t br_enc(const void *in, size_t len, unsigned char *dst, size_t cap)
{
    size_t n = cap;
    BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, len, in, &n, dst);
    return n;
}

static size_t zstd_unsized(const void *in, size_t len, unsigned char *dst, size_t cap)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    ZSTD_inBuffer ib = {in, len, 0};
    ZSTD_outBuffer ob = {dst, cap, 0};
    ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_continue);
    ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end);
    ZSTD_freeCCtx(c);
    return ob.pos;
}

static void gen_decompress(void)
{
    static unsigned char zeros[2 << 20];
    size_t n, m;
    write_file(DEC_DIR, "identity-envelope", SEL_IDENTITY, envelope, sizeof envelope - 1);
    write_file(DEC_DIR, "identity-empty", SEL_IDENTITY, "", 0);
    n = zlib_enc(envelope, sizeof envelope - 1, 31, out, OUT_MAX);
    write_file(DEC_DIR, "gzip-envelope", SEL_GZIP, out, n);
    write_file(DEC_DIR, "gzip-truncated", SEL_GZIP, out, n - 3);
    m = zlib_enc(event, sizeof event - 1, 31, out + n, OUT_MAX - n);
    write_file(DEC_DIR, "gzip-two-members", SEL_GZIP, out, n + m);
    n = zlib_enc("", 0, 31, out, OUT_MAX);
    write_file(DEC_DIR, "gzip-empty", SEL_GZIP, out, n);
    n = zlib_enc(zeros, sizeof zeros, 31, out, OUT_MAX);
    write_file(DEC_DIR, "gzip-2mib-zeros", SEL_GZIP, out, n);
    n = zlib_enc(event, sizeof event - 1, 15, out, OUT_MAX);
    write_file(DEC_DIR, "deflate-zlib-event", SEL_DEFLATE, out, n);
    out[n / 2] ^= 0x20;
    write_file(DEC_DIR, "deflate-zlib-corrupt", SEL_DEFLATE, out, n);
    n = zlib_enc(envelope, sizeof envelope - 1, -15, out, OUT_MAX);
    write_file(DEC_DIR, "deflate-raw-envelope", SEL_DEFLATE, out, n);
    static const unsigned char lookalike[] = "\x08\x1d\x00\xe2\xff"
                                             "twenty-nine bytes of payload!\x01\x00\x00\xff\xff";
    write_file(DEC_DIR, "deflate-raw-zlib-lookalike", SEL_DEFLATE, lookalike, sizeof lookalike - 1);
    n = br_enc(envelope, sizeof envelope - 1, out, OUT_MAX);
    write_file(DEC_DIR, "br-envelope", SEL_BR, out, n);
    write_file(DEC_DIR, "br-truncated", SEL_BR, out, n / 2);
    n = br_enc("", 0, out, OUT_MAX);
    write_file(DEC_DIR, "br-empty", SEL_BR, out, n);
    n = br_enc(zeros, sizeof zeros, out, OUT_MAX);
    write_file(DEC_DIR, "br-2mib-zeros", SEL_BR, out, n);
    n = ZSTD_compress(out, OUT_MAX, envelope, sizeof envelope - 1, 3);
    write_file(DEC_DIR, "zstd-envelope", SEL_ZSTD, out, n);
    write_file(DEC_DIR, "zstd-truncated", SEL_ZSTD, out, n - 1);
    m = ZSTD_compress(out + n, OUT_MAX - n, event, sizeof event - 1, 19);
    write_file(DEC_DIR, "zstd-two-frames", SEL_ZSTD, out, n + m);
    n = zstd_unsized(event, sizeof event - 1, out, OUT_MAX);
    write_file(DEC_DIR, "zstd-unsized-checksum", SEL_ZSTD, out, n);
    n = zstd_unsized(zeros, sizeof zeros, out, OUT_MAX);
    write_file(DEC_DIR, "zstd-2mib-zeros", SEL_ZSTD, out, n);
    n = ZSTD_compress(out, OUT_MAX, zeros, sizeof zeros, 1);
    write_file(DEC_DIR, "zstd-2mib-zeros-sized", SEL_ZSTD, out, n);
}

/* ---- fuzz_zdict: flags | dictionary length (LE16) | dictionary | body ------------------------ */

#define ZD_SAMPLES 300
#define ZD_DICT_MAX (16 * 1024)
#define ZD_SOURCE 1 /* flags: decode with a dictionary source */
#define ZD_ANY_ID 2 /* flags: the source hands its dictionary out for any ID */

static unsigned char zd_samples[ZD_SAMPLES * 1024];
static size_t zd_sizes[ZD_SAMPLES];

/* An event body like those snag stores, k-th of its kind. */
static size_t zd_event(char *dst, size_t cap, unsigned k)
{
    int n = snprintf(dst, cap,
                     "{\"event_id\":\"%08x%08x%08x%08x\",\"level\":\"error\",\"platform\":"
                     "\"python\",\"exception\":{\"values\":[{\"type\":\"KeyError\",\"value\":"
                     "\"'k%u'\",\"stacktrace\":{\"frames\":[{\"filename\":\"app/v%u.py\","
                     "\"lineno\":%u}]}}]},\"tags\":[[\"browser\",\"Firefox %u\"]],\"user\":"
                     "{\"id\":\"%u\"}}",
                     k * 2654435761u, k, ~k, k * 40503u, k % 40, k % 7, 10 + k % 90, 100 + k % 20,
                     k % 31);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* A dictionary trained on ZD_SAMPLES bodies, with ID id (zstd's own training and header, as
 * proto/zdict.c makes them). */
static size_t zd_dict(unsigned id, unsigned char *dict)
{
    size_t off = 0;
    for (unsigned k = 0; k < ZD_SAMPLES; k++) {
        zd_sizes[k] = zd_event((char *)zd_samples + off, sizeof zd_samples - off, k);
        off += zd_sizes[k];
    }
    static unsigned char trained[ZD_DICT_MAX];
    size_t n = ZDICT_trainFromBuffer(trained, sizeof trained, zd_samples, zd_sizes, ZD_SAMPLES);
    size_t hdr = ZDICT_getDictHeaderSize(trained, n);
    ZDICT_params_t p = {.compressionLevel = 1, .dictID = id};
    n = ZDICT_finalizeDictionary(dict, ZD_DICT_MAX, trained + hdr, n - hdr, zd_samples, zd_sizes,
                                 ZD_SAMPLES, p);
    if (ZDICT_isError(n)) {
        fprintf(stderr, "dictionary: %s\n", ZDICT_getErrorName(n));
        exit(1);
    }
    return n;
}

static void zd_write(const char *name, int flags, const unsigned char *dict, size_t dlen,
                     const void *body, size_t blen)
{
    static unsigned char in[OUT_MAX + ZD_DICT_MAX + 3];
    in[0] = (unsigned char)flags;
    in[1] = (unsigned char)(dlen & 0xff);
    in[2] = (unsigned char)(dlen >> 8);
    memcpy(in + 3, dict, dlen);
    memcpy(in + 3 + dlen, body, blen);
    write_file(ZD_DIR, name, -1, in, 3 + dlen + blen);
}

/* zstd_unsized with a dictionary: a frame that names it but not its size. */
static size_t zd_unsized(ZSTD_CDict *cd, const void *in, size_t len, unsigned char *dst, size_t cap)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_refCDict(c, cd);
    ZSTD_inBuffer ib = {in, len, 0};
    ZSTD_outBuffer ob = {dst, cap, 0};
    ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_continue);
    ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end);
    ZSTD_freeCCtx(c);
    return ob.pos;
}

static void gen_zdict(void)
{
    static unsigned char dict[ZD_DICT_MAX], other[ZD_DICT_MAX], zeros[2 << 20];
    size_t dlen = zd_dict(40001, dict), olen = zd_dict(40002, other);
    char ev[1024];
    size_t evlen = zd_event(ev, sizeof ev, 5000);
    ZSTD_CDict *cd = ZSTD_createCDict(dict, dlen, 1);
    ZSTD_CCtx *c = ZSTD_createCCtx();
    size_t n = ZSTD_compress_usingCDict(c, out, OUT_MAX, ev, evlen, cd);
    zd_write("dict-event", ZD_SOURCE, dict, dlen, out, n);
    zd_write("dict-event-no-source", 0, dict, dlen, out, n);
    zd_write("dict-event-wrong-dict", ZD_SOURCE | ZD_ANY_ID, other, olen, out, n);
    zd_write("dict-event-no-dict", ZD_SOURCE, dict, 0, out, n);
    zd_write("dict-event-truncated", ZD_SOURCE, dict, dlen, out, n - 2);
    out[n / 2] ^= 0x40;
    zd_write("dict-event-corrupt", ZD_SOURCE, dict, dlen, out, n);
    n = ZSTD_compress(out, OUT_MAX, ev, evlen, 1);
    zd_write("plain-event", ZD_SOURCE, dict, dlen, out, n);
    n = ZSTD_compress_usingCDict(c, out, OUT_MAX, zeros, sizeof zeros, cd);
    zd_write("dict-2mib-zeros-sized", ZD_SOURCE, dict, dlen, out, n);
    n = zd_unsized(cd, zeros, sizeof zeros, out, OUT_MAX);
    zd_write("dict-2mib-zeros", ZD_SOURCE, dict, dlen, out, n);
    ZSTD_freeCCtx(c);
    ZSTD_freeCDict(cd);
}

/* The broken fixtures worth seeding; every "ok-" fixture is seeded too. */
static const char *bad_seeds[] = {
    "bad-truncated-sized-payload.env", "bad-length-larger-than-body.env", "bad-huge-length.env",
    "bad-item-header-bad-json.env",    "bad-length-one-short.env",
};

static int wanted(const char *name)
{
    size_t len = strlen(name);
    if (len < 5 || strcmp(name + len - 4, ".env") != 0)
        return 0;
    if (strncmp(name, "ok-", 3) == 0)
        return 1;
    for (size_t i = 0; i < sizeof bad_seeds / sizeof *bad_seeds; i++)
        if (strcmp(name, bad_seeds[i]) == 0)
            return 1;
    return 0;
}

/* Copies envelope fixtures (each a few hundred bytes at most) as seeds. */
static void gen_envelope(void)
{
    DIR *d = opendir(FIX_DIR);
    if (!d) {
        perror(FIX_DIR);
        exit(1);
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!wanted(e->d_name))
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", FIX_DIR, e->d_name);
        FILE *f = fopen(path, "rb");
        size_t n = f ? fread(out, 1, OUT_MAX, f) : 0;
        if (f)
            fclose(f);
        if (n > 0)
            write_file(ENV_DIR, e->d_name, -1, out, n);
    }
    closedir(d);
}

int main(void)
{
    gen_decompress();
    gen_zdict();
    gen_envelope();
    return 0;
}
