/* fuzz_envelope: libFuzzer target for the envelope framing (proto/envelope). Besides not
 * crashing, every parsed item must be consistent: its payload a slice inside the input, its
 * header an object, the count within LIMIT_ENVELOPE_ITEMS; else the target aborts so the
 * fuzzer reports it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/limits.h"
#include "proto/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_envelope(const struct envelope *env, const char *p, size_t len)
{
    if (!cJSON_IsObject(env->header) || env->nitems > LIMIT_ENVELOPE_ITEMS)
        abort();
    for (size_t i = 0; i < env->nitems; i++) {
        const struct envelope_item *it = &env->items[i];
        if (!cJSON_IsObject(it->header) || !it->type)
            abort();
        if (it->payload.p < p || it->payload.len > len || it->payload.p + it->payload.len > p + len)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new(ARENA_REQUEST_BUDGET);
    struct envelope env;
    const char *p = (const char *)data;
    if (proto_envelope_parse(a, p, size, &env, NULL) == E_OK)
        check_envelope(&env, p, size);
    arena_free(a);
    return 0;
}
