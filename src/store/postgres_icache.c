/* postgres_icache: the ingest writer's memory of which issue each (project, hash) group went
 * to, so that a batch whose groups are all known can skip the lookup round trip
 * (postgres_ingest.c, the fast path).
 *
 * DESIGN
 * - Open addressing: a key lives in one of PG_ICACHE_WAYS slots from its home slot (FNV-1a
 *   of the hash mixed with the project id); a new key takes a free one of them, or the home
 *   slot when none is free. Slots are allocated on first use.
 * - Only a hint: the fast path locks the remembered issues and fails when one is gone
 *   (deleted, merged away), and the writer then forgets everything and looks again. Owned by
 *   the writer connection's holder (writer_mu): no lock of its own. */
#include "store/postgres_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/xmalloc.h"

static size_t pg_icache_home(int64_t project_id, const char *hash)
{
    return hash_fnv1a(hash, HASH_FNV1A_BASIS ^ (uint64_t)project_id) % PG_ICACHE_SLOTS;
}

static bool pg_icache_is(const struct pg_icache_slot *s, int64_t project_id, const char *hash)
{
    return s->issue_id && s->project_id == project_id && strcmp(s->hash, hash) == 0;
}

int64_t pg_icache_get(const struct pg_icache *c, int64_t project_id, const char *hash)
{
    if (!c->slots || !hash)
        return 0;
    size_t home = pg_icache_home(project_id, hash);
    for (size_t w = 0; w < PG_ICACHE_WAYS; w++) {
        const struct pg_icache_slot *s = &c->slots[(home + w) % PG_ICACHE_SLOTS];
        if (pg_icache_is(s, project_id, hash))
            return s->issue_id;
    }
    return 0;
}

void pg_icache_put(struct pg_icache *c, int64_t project_id, const char *hash, int64_t issue_id)
{
    size_t len = hash ? strlen(hash) : 0;
    if (!hash || len > PG_ICACHE_HASH_MAX || issue_id <= 0)
        return;
    if (!c->slots)
        c->slots = xcalloc(PG_ICACHE_SLOTS, sizeof *c->slots);
    size_t home = pg_icache_home(project_id, hash);
    struct pg_icache_slot *s = &c->slots[home];
    for (size_t w = 0; w < PG_ICACHE_WAYS; w++) {
        struct pg_icache_slot *t = &c->slots[(home + w) % PG_ICACHE_SLOTS];
        if (!t->issue_id || pg_icache_is(t, project_id, hash)) {
            s = t;
            break;
        }
    }
    s->project_id = project_id;
    s->issue_id = issue_id;
    memcpy(s->hash, hash, len + 1);
}

void pg_icache_clear(struct pg_icache *c)
{
    free(c->slots);
    c->slots = NULL;
}
