/* fuzz_zdict: libFuzzer target for stored bodies compressed with a dictionary
 * (proto_zstd_decompress_dict and proto/zdict.h's DDict). An input is
 *
 *   flags (1 byte) | dictionary length (2 bytes, little-endian) | dictionary | body
 *
 * flags bit 0: decode with a dictionary source (else none); bit 1: the source hands out its
 * dictionary for whatever ID the body names (a wrong dictionary), else only for its own ID.
 * The source's dictionary is the input's (NULL when those bytes are not a zstd dictionary).
 * Besides not crashing: the output never exceeds the 1 MiB cap (nor the buffer grows past
 * it), every dictionary handed out is given back, and the result is one of the documented
 * errors — else the target aborts so the fuzzer reports it. fuzz/gen_corpus.c writes the seed
 * corpus (a trained dictionary with bodies that name it, and hostile variants). */
#include <stdint.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/limits.h"
#include "proto/decompress.h"
#include "proto/zdict.h"

#define FUZZ_CAP (1 * MIB)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_source {
    const ZSTD_DDict *dd;
    uint32_t id;
    int any_id;
    int gets, puts;
};

static const ZSTD_DDict *fz_get(void *ctx, uint32_t dict_id)
{
    struct fz_source *s = ctx;
    if (!s->dd || (!s->any_id && dict_id != s->id))
        return NULL;
    s->gets++;
    return s->dd;
}

static void fz_put(void *ctx, const ZSTD_DDict *dd)
{
    struct fz_source *s = ctx;
    if (dd != s->dd)
        abort();
    s->puts++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t dlen = (size_t)data[1] | (size_t)data[2] << 8;
    if (dlen > size - 3)
        dlen = size - 3;
    const uint8_t *dict = data + 3, *body = dict + dlen;
    size_t blen = size - 3 - dlen;
    ZSTD_DDict *dd = proto_zdict_ddict(dict, dlen);
    struct fz_source s = {dd, proto_zdict_id(dict, dlen), data[0] & 2, 0, 0};
    const struct proto_zdict_source src = {fz_get, fz_put, &s};
    struct buf out;
    buf_init(&out, FUZZ_CAP);
    enum err e =
        proto_zstd_decompress_dict(body, blen, FUZZ_CAP, data[0] & 1 ? &src : NULL, &out, NULL);
    if (out.len > FUZZ_CAP || out.cap > FUZZ_CAP + 1 || s.gets != s.puts)
        abort();
    if (e != E_OK && e != E_PARSE && e != E_TOOBIG && e != E_NOMEM && e != E_NOTFOUND)
        abort();
    buf_free(&out);
    ZSTD_freeDDict(dd);
    return 0;
}
