/* fuzz_decompress: libFuzzer target for Content-Encoding decoding (proto/decompress). The
 * first byte picks the encoding (identity, gzip, deflate, br, zstd), the rest is the body;
 * the output is capped at 1 MiB. Besides not crashing, the output must never exceed the cap
 * (nor the buffer grow past it), else the target aborts so the fuzzer reports it. */
#include <stdint.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/limits.h"
#include "proto/decompress.h"

#define FUZZ_CAP (1 * MIB)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum encoding encs[] = {ENC_IDENTITY, ENC_GZIP, ENC_DEFLATE, ENC_BR, ENC_ZSTD};
    if (size == 0)
        return 0;
    enum encoding enc = encs[data[0] % (sizeof encs / sizeof *encs)];
    struct buf out;
    buf_init(&out, FUZZ_CAP);
    enum err e = proto_decompress(enc, data + 1, size - 1, FUZZ_CAP, &out, NULL);
    if (out.len > FUZZ_CAP || out.cap > FUZZ_CAP + 1)
        abort();
    if (e != E_OK && e != E_PARSE && e != E_TOOBIG && e != E_NOMEM)
        abort();
    buf_free(&out);
    return 0;
}
