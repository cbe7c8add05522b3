/* fuzz_event: libFuzzer target for event normalisation and grouping. Bytes are parsed as JSON
 * (jsonx_parse), normalised and grouped; afterwards every string of the event must be valid
 * UTF-8 and the summary complete, else the target aborts so the fuzzer reports it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/ids.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "proto/event.h"
#include "proto/grouping.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(const cJSON *node)
{
    for (const cJSON *c = node->child; c; c = c->next) {
        if (c->string && !utf8_valid(c->string, strlen(c->string)))
            abort();
        if (cJSON_IsString(c) && c->valuestring &&
            !utf8_valid(c->valuestring, strlen(c->valuestring)))
            abort();
        check_utf8(c);
    }
}

static void check_summary(const struct event_summary *s)
{
    if (strlen(s->event_id) != 32 || strlen(s->hash) != 32 || !s->title || !s->culprit ||
        !s->platform || !s->level || !s->type || !s->metadata_json)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (ids_init() != 0)
            abort();
        ready = 1;
    }
    struct arena *a = arena_new(ARENA_REQUEST_BUDGET);
    cJSON *ev = NULL;
    struct event_ctx ctx = {
        .received = 1700000000.0, .sent_at = 1699990000.0, .client_ip = "192.0.2.1"};
    struct event_summary sum;
    if (jsonx_parse(a, (const char *)data, size, &ev, NULL) != E_OK || !cJSON_IsObject(ev))
        goto out;
    if (proto_event_normalize(a, ev, &ctx, &sum, NULL) != E_OK)
        goto out;
    check_utf8(ev);
    if (proto_event_group(a, ev, &sum, NULL) != E_OK)
        goto out;
    check_summary(&sum);
out:
    arena_free(a);
    return 0;
}
