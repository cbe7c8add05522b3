/* Storage conformance for the issue extensions (store.h's store_issues_ext.c section): the
 * search (status, level, environment, tags, has:, negation, free text, flags), keyset pages
 * that stay stable while issues arrive, bulk updates and per-user state, merges with hash
 * aliases, the facets pass (tag values, hourly stats, rebuild after a merge, recount after
 * retention), event neighbours and pages, comments and user reports. Written against store.h
 * only (and the facets job's decoder), so scripts/test.sh runs it on SQLite and PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/ids.h"
#include "helpers/testdb.h"
#include "proto/decompress.h"
#include "store/store.h"
#include "worker/facets.h"

#define DAY 86400.0

static struct {
    struct testdb db;
    struct store *st;
    struct store_org org;
    struct store_project proj;
    int64_t user;
    double now;
    int64_t a, b, c; /* issues */
} T;

static struct arena *A;

/* Compressed body with tags and a user, as ingest stores it. */
static void body(const char *tags_json, const char *user_id, const void **data, size_t *len)
{
    char *json = arena_printf(A, "{\"tags\":%s,\"user\":{\"id\":\"%s\"}}", tags_json, user_id);
    struct buf z;
    buf_init(&z, 0);
    assert_int_equal(proto_zstd_compress(json, strlen(json), 1, &z), E_OK);
    void *copy = arena_alloc(A, z.len);
    memcpy(copy, z.p, z.len);
    *data = copy;
    *len = z.len;
    buf_free(&z);
}

static int64_t ingest(const char *hash, const char *level, const char *env, const char *browser,
                      const char *message, double received)
{
    char eid[33];
    ids_uuid4_hex(eid);
    struct store_event_in ev = {
        .project_id = T.proj.id,
        .event_id = arena_strdup(A, eid),
        .timestamp = received,
        .received = received,
        .level = level,
        .platform = "python",
        .environment = env,
        .release = "1.0",
        .user_key = "id:1",
        .message = message,
        .hash = hash,
        .title = arena_printf(A, "Error %s", hash),
        .culprit = "app.views",
        .type = "error",
        .metadata_json = "{}",
    };
    body(arena_printf(A, "[[\"browser\",\"%s\"],[\"level\",\"%s\"]]", browser, level), "1",
         &ev.data, &ev.data_len);
    struct errinfo ei = {{0}};
    assert_int_equal(store_ingest_batch(T.st, &ev, 1, &ei), E_OK);
    return ev.issue_id;
}

/* Facets passes of `batch` events each until nothing is left to count. */
static void facets_in_batches(size_t batch)
{
    struct store_facets_result r = {.more = true};
    struct facets_scratch s;
    facets_scratch_init(&s, NULL);
    for (int k = 0; k < 20 && r.more; k++)
        assert_int_equal(store_facets_run(T.st, batch, T.now, 0, facets_decode, &s, &r, NULL),
                         E_OK);
    facets_scratch_free(&s);
    assert_false(r.more);
}

static void facets(void)
{
    facets_in_batches(2);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(ids_init(), 0);
    A = arena_new(0);
    const char *url = testdb_open(&T.db);
    struct errinfo ei = {{0}};
    if (!url || store_open(url, &T.st, &ei) || store_migrate(T.st, &ei))
        return -1;
    assert_int_equal(store_user_create(T.st, "alice@example.com", "x", false, &T.user, NULL), E_OK);
    struct store_team team;
    assert_int_equal(store_org_create(T.st, T.user, "acme", "Acme", A, &T.org), E_OK);
    assert_int_equal(store_team_create(T.st, T.org.id, "t", "T", A, &team), E_OK);
    assert_int_equal(store_project_create(T.st, T.org.id, team.id, "p", "P", "python", A, &T.proj),
                     E_OK);
    T.now = clock_now();
    T.a = ingest("a", "error", "prod", "Chrome", "boom", T.now - 10 * DAY);
    ingest("a", "error", "prod", "Chrome", "boom", T.now - 300);
    ingest("a", "error", "prod", "Chrome", "boom", T.now - 200);
    T.b = ingest("b", "warning", "staging", "Firefox", "careful", T.now - 250);
    ingest("b", "warning", "staging", "Firefox", "careful", T.now - 150);
    T.c = ingest("c", "error", "prod", "Safari", "a needle here", T.now - 100);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_close(T.st);
    arena_free(A);
    return testdb_close(&T.db);
}

/* Runs a search and returns the ids in order as "a b c" letters. */
static const char *search(struct store_issue_search *q)
{
    struct store_issue *rows;
    size_t n;
    bool more;
    q->org_id = T.org.id;
    q->user_id = T.user;
    if (!q->limit)
        q->limit = 100;
    assert_int_equal(store_issue_search(T.st, A, q, &rows, &n, &more), E_OK);
    char *s = arena_strdup(A, "");
    for (size_t i = 0; i < n; i++)
        s = arena_printf(A, "%s%s", s,
                         rows[i].id == T.a   ? "a"
                         : rows[i].id == T.b ? "b"
                         : rows[i].id == T.c ? "c"
                                             : "?");
    return s;
}

static void test_search(void **state)
{
    (void)state;
    facets();
    static const char *warning[] = {"warning"}, *prod[] = {"prod"}, *chrome[] = {"Chrome"},
                      *both[] = {"Chrome", "Firefox"}, *one[] = {"1"};
    struct store_search_filter f_level = {STORE_SF_LEVEL, NULL, warning, 1, false};
    struct store_search_filter f_nlevel = {STORE_SF_LEVEL, NULL, warning, 1, true};
    struct store_search_filter f_env = {STORE_SF_ENVIRONMENT, NULL, prod, 1, false};
    struct store_search_filter f_tag = {STORE_SF_TAG, "browser", chrome, 1, false};
    struct store_search_filter f_list = {STORE_SF_TAG, "browser", both, 2, false};
    struct store_search_filter f_ntag = {STORE_SF_TAG, "browser", chrome, 1, true};
    struct store_search_filter f_has = {STORE_SF_HAS, "browser", NULL, 0, false};
    struct store_search_filter f_user = {STORE_SF_TAG, "user.id", one, 1, false};
    struct {
        struct store_issue_search q;
        const char *want;
    } cases[] = {
        {{.statuses = STORE_STATUS_UNRESOLVED}, "cba"},
        {{.statuses = STORE_STATUS_RESOLVED}, ""},
        {{.filters = &f_level, .nfilters = 1}, "b"},
        {{.filters = &f_nlevel, .nfilters = 1}, "ca"},
        {{.filters = &f_env, .nfilters = 1}, "ca"},
        {{.filters = &f_tag, .nfilters = 1}, "a"},
        {{.filters = &f_list, .nfilters = 1}, "ba"},
        {{.filters = &f_ntag, .nfilters = 1}, "cb"},
        {{.filters = &f_has, .nfilters = 1}, "cba"},
        {{.filters = &f_user, .nfilters = 1}, "cba"},
        {{.text = "NEEDLE"}, "c"},
        {{.text = "error b"}, "b"},
        {{.text = "100%"}, ""},
        {{.sort = "freq"}, "abc"},
        {{.sort = "new"}, "cba"},
        {{.since = T.now - 120}, "c"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = search(&cases[i].q);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
    }
}

/* Pages of one issue each stay stable while new issues arrive and old ones get events. */
static void test_keyset_pages(void **state)
{
    (void)state;
    struct store_issue_cursor cur = {0};
    char seen[64] = "";
    for (int page = 0; page < 5; page++) {
        struct store_issue_search q = {
            .org_id = T.org.id, .sort = "date", .limit = 1, .cursor = page ? &cur : NULL};
        struct store_issue *rows;
        size_t n;
        bool more;
        assert_int_equal(store_issue_search(T.st, A, &q, &rows, &n, &more), E_OK);
        if (n == 0)
            break;
        assert_int_equal(n, 1);
        size_t len = strlen(seen);
        seen[len] = rows[0].id == T.a ? 'a' : rows[0].id == T.b ? 'b' : 'c';
        seen[len + 1] = '\0';
        cur = (struct store_issue_cursor){store_issue_sort_value(&rows[0], "date"), rows[0].id,
                                          false};
        /* meanwhile: a new issue and a new event for the top issue */
        ingest(page == 0 ? "new1" : "new2", "error", "prod", "Opera", "x", T.now - 50 + page);
        ingest("c", "error", "prod", "Safari", "a needle here", T.now - 40 + page);
    }
    assert_string_equal(seen, "cba");
    /* the previous page of b's position is c's */
    struct store_issue *rows;
    size_t n;
    bool more;
    struct store_issue b;
    assert_int_equal(store_issue_by_id(T.st, A, T.b, &b), E_OK);
    struct store_issue_cursor prev = {b.last_seen, b.id, true};
    struct store_issue_search q = {.org_id = T.org.id, .limit = 5, .cursor = &prev};
    assert_int_equal(store_issue_search(T.st, A, &q, &rows, &n, &more), E_OK);
    assert_int_equal(n, 3); /* new1, new2 and c are newer than b */
    assert_int_equal(rows[0].id, T.c);
    assert_false(more);
}

static void test_update_state(void **state)
{
    (void)state;
    int64_t ids[] = {T.a, T.b, 999999};
    int64_t changed = 0;
    struct store_issue_update u = {.status = "resolved",
                                   .bookmarked = 1,
                                   .seen = 1,
                                   .set_assignee = true,
                                   .assignee_id = T.user,
                                   .user_id = T.user};
    assert_int_equal(store_issue_update_many(T.st, ids, 3, &u, &changed), E_OK);
    assert_int_equal(changed, 2);
    struct store_issue_state s;
    assert_int_equal(store_issue_state(T.st, A, T.a, T.user, &s), E_OK);
    assert_true(s.bookmarked && s.seen);
    assert_int_equal(s.assignee_id, T.user);
    assert_string_equal(s.assignee_email, "alice@example.com");
    struct store_issue_search q = {.statuses = STORE_STATUS_RESOLVED,
                                   .flags = STORE_IS_BOOKMARKED | STORE_IS_ASSIGNED};
    assert_string_equal(search(&q), "ba");
    static const char *me[] = {"me"};
    struct store_search_filter f = {STORE_SF_ASSIGNED, NULL, me, 1, false};
    struct store_issue_search q2 = {.filters = &f, .nfilters = 1};
    assert_string_equal(search(&q2), "ba");
    struct store_issue_update clear = {.status = "unresolved",
                                       .bookmarked = 0,
                                       .seen = 0,
                                       .set_assignee = true,
                                       .user_id = T.user};
    assert_int_equal(store_issue_update_many(T.st, ids, 2, &clear, &changed), E_OK);
    assert_int_equal(store_issue_state(T.st, A, T.a, T.user, &s), E_OK);
    assert_false(s.bookmarked || s.seen || s.assignee_id);
    struct store_issue_search q3 = {.flags = STORE_IS_UNASSIGNED, .ids = ids, .nids = 2};
    assert_string_equal(search(&q3), "ba");
}

static int64_t tag_count(int64_t issue, const char *key, const char *value)
{
    struct store_tag_value *v;
    size_t n;
    assert_int_equal(store_issue_tag_values(T.st, A, issue, key, 100, &v, &n), E_OK);
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].value, value) == 0)
            return v[i].count;
    return 0;
}

static int64_t stats_total(int64_t issue, double step)
{
    struct store_stat_bucket *b;
    size_t n;
    assert_int_equal(store_issue_stats(T.st, A, issue, T.now - 14 * DAY, T.now, step, &b, &n),
                     E_OK);
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += b[i].count;
    return sum;
}

static void test_facets_merge(void **state)
{
    (void)state;
    facets();
    assert_int_equal(tag_count(T.a, "browser", "Chrome"), 3);
    assert_int_equal(tag_count(T.b, "browser", "Firefox"), 2);
    assert_int_equal(stats_total(T.a, 3600), 3);
    assert_int_equal(stats_total(T.a, DAY), 3);
    struct store_tag_key *keys;
    size_t nk;
    assert_int_equal(store_issue_tag_keys(T.st, A, T.a, &keys, &nk), E_OK);
    assert_int_equal(nk, 2); /* browser, level: user.id is hidden */
    assert_string_equal(keys[0].key, "browser");
    assert_int_equal(keys[0].total, 3);
    int64_t ids[] = {T.b, T.a}, parent = 0;
    assert_int_equal(store_issue_merge(T.st, ids, 2, &parent), E_OK);
    assert_int_equal(parent, T.a);
    struct store_issue a;
    assert_int_equal(store_issue_by_id(T.st, A, T.a, &a), E_OK);
    assert_int_equal(a.count, 5);
    assert_int_equal(store_issue_by_id(T.st, A, T.b, &a), E_NOTFOUND);
    int64_t via = 0;
    assert_int_equal(store_issue_alias_find(T.st, T.proj.id, "b", &via), E_OK);
    assert_int_equal(via, T.a);
    /* ingest follows the alias: b's hash now lands in a */
    assert_int_equal(ingest("b", "warning", "staging", "Firefox", "careful", T.now - 30), T.a);
    assert_int_equal(store_issue_by_id(T.st, A, T.a, &a), E_OK);
    assert_int_equal(a.count, 6);
    /* one batch with both the parent's own hash and the alias: counted once each */
    struct store_event_in two[2];
    for (int i = 0; i < 2; i++) {
        char eid[33];
        ids_uuid4_hex(eid);
        two[i] = (struct store_event_in){.project_id = T.proj.id,
                                         .event_id = arena_strdup(A, eid),
                                         .timestamp = T.now - 20 + i,
                                         .received = T.now - 20 + i,
                                         .level = "error",
                                         .hash = i ? "b" : "a",
                                         .title = "Error a",
                                         .type = "error",
                                         .metadata_json = "{}"};
        body("[]", "1", &two[i].data, &two[i].data_len);
    }
    struct errinfo ei = {{0}};
    assert_int_equal(store_ingest_batch(T.st, two, 2, &ei), E_OK);
    assert_true(two[0].issue_id == T.a && two[1].issue_id == T.a);
    assert_int_equal(store_issue_by_id(T.st, A, T.a, &a), E_OK);
    assert_int_equal(a.count, 8);
    facets(); /* the two carry no tags, so only the hourly count moves */
    assert_int_equal(tag_count(T.a, "browser", "Firefox"), 3);
    assert_int_equal(tag_count(T.a, "browser", "Chrome"), 3);
    assert_int_equal(stats_total(T.a, 3600), 8);
    int64_t other[] = {T.a, T.a};
    assert_int_equal(store_issue_merge(T.st, other, 2, &parent), E_INVALID);
}

/* A project list's sparklines: one series per id in the order given (an id twice gets the
 * same series, an unknown one zeros), also past one statement's worth of projects. */
static void test_project_stats(void **state)
{
    (void)state;
    facets();
    int64_t ids[40];
    for (size_t i = 0; i < 40; i++)
        ids[i] = i == 0 || i == 35 ? T.proj.id : -(int64_t)i;
    struct store_stat_bucket *b;
    size_t nb;
    assert_int_equal(store_project_stats(T.st, A, ids, 40, T.now - 23 * 3600, T.now, 3600, &b, &nb),
                     E_OK);
    assert_int_equal(nb, 24);
    assert_true(b[23].start <= T.now && T.now < b[23].start + 3600);
    int64_t sums[40] = {0};
    for (size_t i = 0; i < 40; i++)
        for (size_t k = 0; k < nb; k++) {
            assert_true(b[i * nb + k].start == b[23].start - (double)(23 - k) * 3600);
            sums[i] += b[i * nb + k].count;
        }
    /* every event so far but a's 10-day-old one */
    assert_int_equal(sums[0], store_event_count(T.st, T.proj.id) - 1);
    assert_int_equal(sums[35], sums[0]);
    assert_int_equal(sums[1] + sums[34] + sums[39], 0);
    assert_int_equal(store_project_stats(T.st, A, ids, 1, T.now - 13 * DAY, T.now, DAY, &b, &nb),
                     E_OK);
    assert_int_equal(nb, 14);
    int64_t days = 0;
    for (size_t k = 0; k < nb; k++)
        days += b[k].count;
    assert_int_equal(days, sums[0] + 1);
    assert_int_equal(store_project_stats(T.st, A, NULL, 0, T.now - DAY, T.now, DAY, &b, &nb), E_OK);
    assert_int_equal(store_project_stats(T.st, A, ids, 1, T.now - 2000 * DAY, T.now, DAY, &b, &nb),
                     E_INVALID);
}

static void test_retention_prune(void **state)
{
    (void)state;
    struct store_retention_result r;
    assert_int_equal(store_retention_run(T.st, T.now - 5 * DAY, 100, NULL, &r, NULL), E_OK);
    int64_t queued = 0;
    assert_int_equal(store_facets_prune(T.st, T.now - 5 * DAY, &queued), E_OK);
    assert_int_equal(queued, 1);
    facets();
    assert_int_equal(tag_count(T.a, "browser", "Chrome"), 2);
    assert_int_equal(stats_total(T.a, 3600), 7); /* 8 events, the 10-day-old one expired */
    assert_int_equal(store_facets_prune(T.st, T.now - 5 * DAY, &queued), E_OK);
    assert_int_equal(queued, 0);
}

static void test_events_notes(void **state)
{
    (void)state;
    struct store_event_row *rows;
    size_t n;
    bool more;
    assert_int_equal(store_event_list_issue(T.st, A, T.a, 0, 0, 2, &rows, &n, &more), E_OK);
    assert_int_equal(n, 2);
    assert_true(more);
    char next[33], prev[33];
    assert_int_equal(store_event_neighbours(T.st, T.a, &rows[0], next, prev), E_OK);
    assert_string_equal(next, "");
    assert_string_equal(prev, rows[1].event_id);
    struct store_event_row *page2;
    size_t n2;
    assert_int_equal(store_event_list_project(T.st, A, T.proj.id, rows[1].received, rows[1].id, 100,
                                              &page2, &n2, &more),
                     E_OK);
    assert_false(more);
    for (size_t i = 0; i < n2; i++)
        assert_true(page2[i].id != rows[0].id && page2[i].id != rows[1].id);
    struct store_comment c;
    assert_int_equal(store_comment_create(T.st, T.a, T.user, "looking", A, &c), E_OK);
    assert_string_equal(c.user_email, "alice@example.com");
    assert_int_equal(store_comment_update(T.st, T.a, c.id, "fixed"), E_OK);
    struct store_comment *cs;
    assert_int_equal(store_comment_list(T.st, A, T.a, &cs, &n), E_OK);
    assert_int_equal(n, 1);
    assert_string_equal(cs[0].text, "fixed");
    assert_int_equal(store_comment_delete(T.st, T.a, c.id), E_OK);
    assert_int_equal(store_comment_delete(T.st, T.a, c.id), E_NOTFOUND);
    struct store_user_report rep;
    assert_int_equal(store_user_report_save(T.st, T.proj.id, rows[0].event_id, "Ann",
                                            "ann@example.com", "it broke", A, &rep),
                     E_OK);
    assert_int_equal(rep.issue_id, T.a);
    assert_int_equal(store_user_report_save(T.st, T.proj.id, rows[0].event_id, "Ann",
                                            "ann@example.com", "again", A, &rep),
                     E_OK);
    struct store_user_report *reps;
    assert_int_equal(store_user_report_list(T.st, A, 0, T.a, &reps, &n), E_OK);
    assert_int_equal(n, 1);
    assert_string_equal(reps[0].comments, "again");
}

/* ---- the sort orders' pages, across the coarse keys PostgreSQL reads them through ------ */

static struct {
    struct store_project proj;
    char names[12];
    int64_t ids[12];
    size_t n;
} S;

/* n events of issue `hash` in project at t, t+0.001, …, with bodies without tags. */
static struct store_event_in *events_at(int64_t project, const char *hash, int n, double t)
{
    struct store_event_in *evs = arena_calloc(A, (size_t)n, sizeof *evs);
    for (int i = 0; i < n; i++) {
        char eid[33];
        ids_uuid4_hex(eid);
        evs[i] = (struct store_event_in){.project_id = project,
                                         .event_id = arena_strdup(A, eid),
                                         .timestamp = t + i * 0.001,
                                         .received = t + i * 0.001,
                                         .level = "error",
                                         .hash = hash,
                                         .title = "Error",
                                         .type = "error",
                                         .metadata_json = "{}"};
        body("[]", "1", &evs[i].data, &evs[i].data_len);
    }
    return evs;
}

/* n events of a new or known issue `name` (one letter) in S's project at t, t+0.001, … */
static void sort_ingest(char name, int n, double t)
{
    char hash[2] = {name, '\0'};
    struct store_event_in *evs = events_at(S.proj.id, arena_strdup(A, hash), n, t);
    struct errinfo ei = {{0}};
    assert_int_equal(store_ingest_batch(T.st, evs, (size_t)n, &ei), E_OK);
    if (!memchr(S.names, name, S.n)) {
        S.names[S.n] = name;
        S.ids[S.n++] = evs[0].issue_id;
    }
}

static char sort_name(int64_t id)
{
    for (size_t i = 0; i < S.n; i++)
        if (S.ids[i] == id)
            return S.names[i];
    return '?';
}

/* Every page of S's project in the given order, limit issues each, as "ab|cd|e". */
static const char *sort_pages(const char *sort, int limit)
{
    char *out = arena_strdup(A, "");
    struct store_issue_cursor cur = {0};
    bool more = true;
    for (int page = 0; more && page < 10; page++) {
        struct store_issue_search q = {.org_id = T.org.id,
                                       .user_id = T.user,
                                       .project_ids = &S.proj.id,
                                       .nprojects = 1,
                                       .sort = sort,
                                       .limit = limit,
                                       .cursor = page ? &cur : NULL};
        struct store_issue *rows;
        size_t n;
        assert_int_equal(store_issue_search(T.st, A, &q, &rows, &n, &more), E_OK);
        out = arena_printf(A, "%s%s", out, page ? "|" : "");
        for (size_t i = 0; i < n; i++)
            out = arena_printf(A, "%s%c", out, sort_name(rows[i].id));
        if (n)
            cur = (struct store_issue_cursor){store_issue_sort_value(&rows[n - 1], sort),
                                              rows[n - 1].id, false};
    }
    return out;
}

/* Last seen across and within minutes, an issue that moves to a later minute, event counts
 * across a power of ten, and a merge that moves its parent in both orders. */
static void test_sort_pages(void **state)
{
    (void)state;
    struct store_team team;
    assert_int_equal(store_team_create(T.st, T.org.id, "s", "S", A, &team), E_OK);
    assert_int_equal(
        store_project_create(T.st, T.org.id, team.id, "sorts", "Sorts", "python", A, &S.proj),
        E_OK);
    double base = (double)((int64_t)(T.now / 60) * 60) - 7200; /* a minute's start */
    sort_ingest('x', 1, base);
    sort_ingest('y', 1, base + 120);
    sort_ingest('z', 1, base + 130); /* y and z share a minute */
    sort_ingest('w', 1, base + 185);
    sort_ingest('v', 1, base + 60);
    sort_ingest('x', 1, base + 190); /* x moves from the first minute to w's */
    assert_string_equal(sort_pages("date", 2), "xw|zy|v");
    sort_ingest('p', 9, base + 1);
    sort_ingest('q', 10, base + 2);
    sort_ingest('r', 11, base + 3);
    assert_string_equal(sort_pages("date", 3), "xwz|yvr|qp");
    assert_string_equal(sort_pages("freq", 3), "rqp|xvw|zy");
    sort_ingest('c', 5, base + 300);
    int64_t ids[] = {S.ids[8], S.ids[5]}, parent = 0; /* c into p */
    assert_true(sort_name(ids[0]) == 'c' && sort_name(ids[1]) == 'p');
    assert_int_equal(store_issue_merge(T.st, ids, 2, &parent), E_OK);
    assert_int_equal(parent, S.ids[5]);
    assert_string_equal(sort_pages("date", 4), "pxwz|yvrq");
    assert_string_equal(sort_pages("freq", 2), "pr|qx|vw|zy");
}

/* 6,000 events of one issue with 5,001 distinct (key, value) pairs: more than the tuple
 * index's first size, and more than one batch writes (FX_TUPLES_MAX), so the batch ends early
 * and the next one goes on; each pair counted once, with its first and last time received. */
static void test_facets_batch(void **state)
{
    (void)state;
    enum { N = 6000, VALUES = 5000 };
    double t0 = T.now - 10;
    struct store_event_in *evs = events_at(T.proj.id, "many", N, t0);
    for (int i = 0; i < N; i++)
        body(arena_printf(A, "[[\"browser\",\"Chrome\"],[\"n\",\"v%d\"]]", i % VALUES), "7",
             &evs[i].data, &evs[i].data_len);
    struct errinfo ei = {{0}};
    assert_int_equal(store_ingest_batch(T.st, evs, N, &ei), E_OK);
    facets_in_batches(10000);
    int64_t issue = evs[0].issue_id;
    struct store_tag_value *v;
    size_t n;
    assert_int_equal(store_issue_tag_values(T.st, A, issue, "browser", 10, &v, &n), E_OK);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].count, N);
    assert_true(fabs(v[0].first_seen - t0) < 1e-6);
    assert_true(fabs(v[0].last_seen - (t0 + (N - 1) * 0.001)) < 1e-6);
    assert_int_equal(store_issue_tag_values(T.st, A, issue, "n", 1000, &v, &n), E_OK);
    assert_int_equal(n, 1000); /* v0 … v999, events i and i + 5,000; the rest once each */
    assert_int_equal(v[0].count, 2);
    assert_int_equal(v[999].count, 2);
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].value, "v7") == 0)
            assert_true(fabs(v[i].last_seen - v[i].first_seen - VALUES * 0.001) < 1e-6);
    struct store_tag_key *keys;
    assert_int_equal(store_issue_tag_keys(T.st, A, issue, &keys, &n), E_OK);
    assert_int_equal(n, 2);
    assert_string_equal(keys[1].key, "n");
    assert_int_equal(keys[1].total, N);
    assert_int_equal(keys[1].unique_values, VALUES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search),       cmocka_unit_test(test_keyset_pages),
        cmocka_unit_test(test_update_state), cmocka_unit_test(test_project_stats),
        cmocka_unit_test(test_facets_merge), cmocka_unit_test(test_retention_prune),
        cmocka_unit_test(test_events_notes), cmocka_unit_test(test_sort_pages),
        cmocka_unit_test(test_facets_batch), /* last: it adds an issue to T's project */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
