/* store_facets_count: the facets pass's counting of one batch (store_facets_int.h) — each
 * event's tags counted into distinct (issue, key, value) tuples in a hash index, its hour into
 * buckets — and the writing of those counts: on SQLite a prepared statement per row, on
 * PostgreSQL a statement per thousand rows, passed as one JSON parameter. */
#include "store/store_facets_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/jsonx.h"
#include "core/xmalloc.h"

#define FX_SLOTS_FIRST 4096 /* tuple index slots of a run at first */
#define FX_JSON_ROWS 1000   /* rows per statement on PostgreSQL */

/* Room for one more element in *arr (malloc'd, owned by the run), first for `first`. */
static void fx_grow(void **arr, size_t n, size_t *cap, size_t elsize, size_t first)
{
    if (n < *cap)
        return;
    *cap = *cap ? *cap * 2 : first;
    *arr = xrealloc(*arr, *cap * elsize);
}

_Static_assert(sizeof((struct fx_run *)0)->hash_key == crypto_shorthash_KEYBYTES,
               "fx_run.hash_key holds a shorthash key");

/* SipHash (libsodium's shorthash) under the run's random key: tag values come from clients,
 * who must not be able to aim them all at one slot of the index. */
static uint64_t fx_hash(const struct fx_run *r, int64_t issue, const char *key, const char *value)
{
    unsigned char hk[crypto_shorthash_BYTES], hv[crypto_shorthash_BYTES];
    crypto_shorthash(hk, (const unsigned char *)key, strlen(key), r->hash_key);
    crypto_shorthash(hv, (const unsigned char *)value, strlen(value), r->hash_key);
    uint64_t a, b;
    memcpy(&a, hk, sizeof a);
    memcpy(&b, hv, sizeof b);
    return (a * 0x9E3779B97F4A7C15ULL) ^ b ^ (uint64_t)issue;
}

/* Makes room for one more tuple in the index, rebuilding it twice as large when half full. */
static void fx_index_grow(struct fx_run *r)
{
    if ((r->ntuples + 1) * 2 <= r->nslots)
        return;
    r->nslots = r->nslots ? r->nslots * 2 : FX_SLOTS_FIRST;
    r->slots = xrealloc(r->slots, r->nslots * sizeof *r->slots);
    memset(r->slots, 0, r->nslots * sizeof *r->slots);
    for (size_t t = 0; t < r->ntuples; t++) {
        size_t i = r->tuples[t].hash & (r->nslots - 1);
        while (r->slots[i])
            i = (i + 1) & (r->nslots - 1);
        r->slots[i] = (uint32_t)(t + 1);
    }
}

/* Counts one tag of an event: a tuple seen before in the batch just counts, a new one is
 * copied into the batch's arena. */
static enum err fx_count(struct fx_run *r, int64_t issue, const struct store_facets_tag *tag,
                         double received)
{
    fx_index_grow(r);
    uint64_t h = fx_hash(r, issue, tag->key, tag->value);
    size_t i = h & (r->nslots - 1);
    for (; r->slots[i]; i = (i + 1) & (r->nslots - 1)) {
        struct fx_tuple *t = &r->tuples[r->slots[i] - 1];
        if (t->hash == h && t->issue == issue && !strcmp(t->key, tag->key) &&
            !strcmp(t->value, tag->value)) {
            t->count++;
            t->lo = received < t->lo ? received : t->lo;
            t->hi = received > t->hi ? received : t->hi;
            return E_OK;
        }
    }
    fx_grow((void **)&r->tuples, r->ntuples, &r->cap, sizeof *r->tuples, FX_SLOTS_FIRST / 2);
    struct fx_tuple *t = &r->tuples[r->ntuples];
    *t = (struct fx_tuple){.issue = issue,
                           .key = arena_strdup(r->a, tag->key),
                           .value = arena_strdup(r->a, tag->value),
                           .hash = h,
                           .count = 1,
                           .lo = received,
                           .hi = received};
    if (!t->key || !t->value)
        return E_TOOBIG;
    r->slots[i] = (uint32_t)++r->ntuples;
    return E_OK;
}

/* Decodes one event's tags into tuples and its hour into buckets. */
enum err fx_take(struct fx_run *r, const struct store_event_row *ev)
{
    struct store_facets_tag *tags = NULL;
    size_t n = 0;
    arena_reset(r->ev);
    enum err e = ev->data ? r->decode(r->ev, ev->data, ev->data_len, &tags, &n, r->ctx) : E_OK;
    if (e) { /* an unreadable body has no tags; its hour still counts */
        n = 0;
        e = E_OK;
    }
    for (size_t k = 0; k < n && !e; k++)
        e = fx_count(r, ev->issue_id, &tags[k], ev->received);
    if (e)
        return e;
    fx_grow((void **)&r->buckets, r->nbuckets, &r->bcap, sizeof *r->buckets, r->batch);
    r->buckets[r->nbuckets++] =
        (struct fx_bucket){ev->issue_id, floor(ev->received / FX_BUCKET) * FX_BUCKET, 1};
    return E_OK;
}

static int fx_cmp_tuple(const void *pa, const void *pb)
{
    const struct fx_tuple *a = pa, *b = pb;
    if (a->issue != b->issue)
        return a->issue < b->issue ? -1 : 1;
    int c = strcmp(a->key, b->key);
    return c ? c : strcmp(a->value, b->value);
}

static int fx_cmp_bucket(const void *pa, const void *pb)
{
    const struct fx_bucket *a = pa, *b = pb;
    if (a->issue != b->issue)
        return a->issue < b->issue ? -1 : 1;
    return a->start < b->start ? -1 : a->start > b->start;
}

#define FX_TAG_CONFLICT                                                                            \
    " ON CONFLICT (issue_id, key, value) DO UPDATE SET "                                           \
    "times_seen = issue_tag_values.times_seen + excluded.times_seen, "                             \
    "first_seen = CASE WHEN excluded.first_seen < issue_tag_values.first_seen "                    \
    "THEN excluded.first_seen ELSE issue_tag_values.first_seen END, "                              \
    "last_seen = CASE WHEN excluded.last_seen > issue_tag_values.last_seen "                       \
    "THEN excluded.last_seen ELSE issue_tag_values.last_seen END"
#define FX_STATS_CONFLICT                                                                          \
    " ON CONFLICT (issue_id, bucket_start) DO UPDATE SET count = issue_stats.count + "             \
    "excluded.count"

/* PostgreSQL's statements: rows from the JSON array in $1 (fx_by_json). */
#define FX_JSON_ROWS_OF                                                                            \
    " FROM json_array_elements(CAST($1 AS TEXT)::json) AS t "                                      \
    "WHERE EXISTS (SELECT 1 FROM issues WHERE id = (t->>0)::bigint)"
#define FX_TAGS_BY_JSON                                                                            \
    "INSERT INTO issue_tag_values (issue_id, key, value, times_seen, first_seen, last_seen) "      \
    "SELECT (t->>0)::bigint, t->>1, t->>2, (t->>3)::bigint, (t->>4)::float8, "                     \
    "(t->>5)::float8" FX_JSON_ROWS_OF FX_TAG_CONFLICT
#define FX_BUCKETS_BY_JSON                                                                         \
    "INSERT INTO issue_stats (issue_id, bucket_start, count) "                                     \
    "SELECT (t->>0)::bigint, (t->>1)::float8, (t->>2)::bigint" FX_JSON_ROWS_OF FX_STATS_CONFLICT

/* SQLite: one prepared statement per row, which costs little in process. */
static enum err fx_tags_by_row(struct store_q_conn *c, struct fx_run *r)
{
    enum err e = E_OK;
    for (size_t i = 0; i < r->ntuples && !e; i++) {
        const struct fx_tuple *t = &r->tuples[i];
        struct store_q_params p = {0};
        si_p_int(&p, t->issue);
        si_p_text(&p, t->key);
        si_p_text(&p, t->value);
        si_p_int(&p, t->count);
        si_p_real(&p, t->lo);
        si_p_real(&p, t->hi);
        e = fx_exec(c, r,
                    "INSERT INTO issue_tag_values (issue_id, key, value, times_seen, first_seen, "
                    "last_seen) SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM issues "
                    "WHERE id = $1)" FX_TAG_CONFLICT,
                    &p);
    }
    return e;
}

static enum err fx_buckets_by_row(struct store_q_conn *c, struct fx_run *r)
{
    enum err e = E_OK;
    for (size_t i = 0; i < r->nbuckets && !e; i++) {
        struct store_q_params p = {0};
        si_p_int(&p, r->buckets[i].issue);
        si_p_real(&p, r->buckets[i].start);
        si_p_int(&p, r->buckets[i].count);
        e = fx_exec(c, r,
                    "INSERT INTO issue_stats (issue_id, bucket_start, count) SELECT $1, $2, $3 "
                    "WHERE EXISTS (SELECT 1 FROM issues WHERE id = $1)" FX_STATS_CONFLICT,
                    &p);
    }
    return e;
}

/* PostgreSQL: a statement per FX_JSON_ROWS rows, which come as one JSON parameter (a
 * statement per row cost the server ~125 µs to parse and plan: more than ingest itself).
 * Numbers go as raw text, integers exact and doubles with 17 digits so they read back
 * exactly. */
static void fx_json_raw(cJSON *row, const char *text)
{
    cJSON_AddItemToArray(row, cJSON_CreateRaw(text));
}

/* Adds tuple or bucket i's columns to row. */
typedef void (*fx_row_fn)(struct fx_run *r, size_t i, cJSON *row);

/* Runs sql once per FX_JSON_ROWS of the n rows, which it reads as JSON from $1. */
static enum err fx_by_json(struct store_q_conn *c, struct fx_run *r, size_t n, fx_row_fn add,
                           const char *sql)
{
    enum err e = E_OK;
    for (size_t from = 0; from < n && !e; from += FX_JSON_ROWS) {
        jsonx_arena_begin(r->a);
        cJSON *rows = cJSON_CreateArray();
        for (size_t i = from; i < n && i < from + FX_JSON_ROWS; i++) {
            cJSON *row = cJSON_CreateArray();
            add(r, i, row);
            cJSON_AddItemToArray(rows, row);
        }
        char *json = jsonx_print(r->a, rows);
        jsonx_arena_end();
        struct store_q_params p = {0};
        si_p_text(&p, json);
        e = json ? fx_exec(c, r, sql, &p) : E_TOOBIG;
    }
    return e;
}

static void fx_tag_row(struct fx_run *r, size_t i, cJSON *row)
{
    const struct fx_tuple *t = &r->tuples[i];
    fx_json_raw(row, arena_printf(r->a, "%" PRId64, t->issue));
    cJSON_AddItemToArray(row, cJSON_CreateString(t->key));
    cJSON_AddItemToArray(row, cJSON_CreateString(t->value));
    fx_json_raw(row, arena_printf(r->a, "%" PRId64, t->count));
    fx_json_raw(row, arena_printf(r->a, "%.17g", t->lo));
    fx_json_raw(row, arena_printf(r->a, "%.17g", t->hi));
}

static void fx_bucket_row(struct fx_run *r, size_t i, cJSON *row)
{
    const struct fx_bucket *b = &r->buckets[i];
    fx_json_raw(row, arena_printf(r->a, "%" PRId64, b->issue));
    fx_json_raw(row, arena_printf(r->a, "%.17g", b->start));
    fx_json_raw(row, arena_printf(r->a, "%" PRId64, b->count));
}

/* Sorts the buckets and folds equal ones into one with their summed count. */
static void fx_fold_buckets(struct fx_run *r)
{
    qsort(r->buckets, r->nbuckets, sizeof *r->buckets, fx_cmp_bucket);
    size_t n = 0;
    for (size_t i = 0; i < r->nbuckets; i++) {
        if (n && fx_cmp_bucket(&r->buckets[n - 1], &r->buckets[i]) == 0)
            r->buckets[n - 1].count += r->buckets[i].count;
        else
            r->buckets[n++] = r->buckets[i];
    }
    r->nbuckets = n;
}

/* Writes the aggregated tuples and buckets (inside the caller's transaction), in key order:
 * neighbouring rows of the indexes, and one lock order for every writer. */
enum err fx_flush(struct store_q_conn *c, struct fx_run *r)
{
    bool pg = si_is_pg(r->st);
    qsort(r->tuples, r->ntuples, sizeof *r->tuples, fx_cmp_tuple);
    fx_fold_buckets(r);
    enum err e =
        pg ? fx_by_json(c, r, r->ntuples, fx_tag_row, FX_TAGS_BY_JSON) : fx_tags_by_row(c, r);
    if (!e)
        e = pg ? fx_by_json(c, r, r->nbuckets, fx_bucket_row, FX_BUCKETS_BY_JSON)
               : fx_buckets_by_row(c, r);
    return e;
}

void fx_reset(struct fx_run *r)
{
    if (r->a) {
        arena_reset(r->a);
    } else {
        r->a = arena_new(0);
        r->ev = arena_new(0);
        crypto_shorthash_keygen(r->hash_key);
    }
    r->ntuples = r->nbuckets = 0;
    if (r->slots) /* the sort in fx_flush moved the tuples: the index starts over */
        memset(r->slots, 0, r->nslots * sizeof *r->slots);
}

void fx_release(struct fx_run *r)
{
    arena_free(r->a);
    arena_free(r->ev);
    free(r->tuples);
    free(r->slots);
    free(r->buckets);
}
