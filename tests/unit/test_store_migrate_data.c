/* `snag migrate-data` from SQLite to a real PostgreSQL: every kind of row arrives with its
 * id, counters and bytes (compression dictionaries too, and the bodies compressed with them
 * decompress on the target); sequences and issue counters continue where SQLite stopped; a
 * target that holds data is refused. Needs SNAG_TEST_DATABASE_URL (postgres://; skipped
 * otherwise) and uses its own database, snag_migrate_test, on that server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/zdicts.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/limits.h"
#include "proto/decompress.h"
#include "proto/zdict.h"
#include "store/migrate_data.h"
#include "store/store.h"
#include "helpers/testdb.h"

static char tmpdir[256], src_url[400], dst_url[512];

static void pg_admin(const char *sql)
{
    PGconn *c = PQconnectdb(getenv("SNAG_TEST_DATABASE_URL"));
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static struct store *open_store(const char *url)
{
    struct store *st = NULL;
    struct errinfo ei = {{0}};
    if (store_open(url, &st, &ei) || store_migrate(st, &ei))
        fail_msg("store %s: %s", url, ei.detail);
    return st;
}

struct ids {
    int64_t user, token, project, issues[3], zdict;
};

#define ZD_ID 77777u /* the source's compression dictionary */
#define ZD_EVENTS 6  /* events compressed with it (ids 200…), one more without (ids 300) */

/* The normalised body of event i of the dictionary's project. */
static char *zd_json(struct arena *a, int i)
{
    return arena_printf(a,
                        "{\"event_id\":\"%032x\",\"level\":\"error\",\"exception\":{\"values\":"
                        "[{\"type\":\"TypeError\",\"value\":\"x%d is undefined\"}]},\"tags\":[["
                        "\"browser\",\"Chrome %d\"]],\"extra\":{\"e\":\"tab\\there\"}}",
                        i, i % 9, 100 + i % 11);
}

/* A dictionary trained on the project's bodies, stored, and events compressed with it. */
static void fill_zdict(struct store *st, struct arena *a, int64_t project, struct ids *ids)
{
    struct buf samples, dict;
    size_t sizes[200];
    buf_init(&samples, 4 * MIB);
    buf_init(&dict, 0);
    for (int i = 0; i < 200; i++) {
        const char *j = zd_json(a, 1000 + i);
        sizes[i] = strlen(j);
        assert_int_equal(buf_append(&samples, j, sizes[i]), E_OK);
    }
    assert_int_equal(proto_zdict_train(samples.p, sizes, 200, 16 * 1024, 1, ZD_ID, &dict, NULL),
                     E_OK);
    assert_int_equal(
        store_zdict_insert(st, project, ZD_ID, clock_now() - 3600, dict.p, dict.len, &ids->zdict),
        E_OK);
    assert_int_equal(store_zdict_touch(st, ZD_ID, clock_now() - 60), E_OK);
    ZSTD_CDict *cd = proto_zdict_cdict(dict.p, dict.len, 1);
    assert_non_null(cd);
    for (int i = 0; i <= ZD_EVENTS; i++) {
        const char *j = zd_json(a, i);
        struct buf z;
        buf_init(&z, 0);
        if (i < ZD_EVENTS)
            assert_int_equal(proto_zstd_compress_dict(j, strlen(j), cd, &z), E_OK);
        else
            assert_int_equal(proto_zstd_compress(j, strlen(j), 1, &z), E_OK);
        struct store_event_in ev = {.project_id = project,
                                    .event_id =
                                        arena_printf(a, "%032x", i < ZD_EVENTS ? 200 + i : 300),
                                    .timestamp = 1.7e9,
                                    .received = clock_now() - 60,
                                    .hash = "zd",
                                    .title = "TypeError",
                                    .data = z.p,
                                    .data_len = z.len};
        assert_int_equal(store_ingest_batch(st, &ev, 1, NULL), E_OK);
        buf_free(&z);
    }
    ZSTD_freeCDict(cd);
    buf_free(&samples);
    buf_free(&dict);
}

/* The source: accounts, an org with a team, project and key, 30 events in 3 issues (one
 * resolved), bodies with every byte value that could trip an escaper. */
static void fill(struct store *st, struct arena *a, struct ids *ids)
{
    struct errinfo ei = {{0}};
    struct store_org o;
    struct store_team t;
    struct store_project p;
    struct store_key k;
    int64_t other = 0;
    assert_int_equal(
        store_user_create(st, "admin@example.com", "$argon2id$x", true, &ids->user, &ei), E_OK);
    assert_int_equal(store_user_create(st, "dev@example.com", "h", false, &other, &ei), E_OK);
    assert_int_equal(
        store_token_create(st, ids->user, "feedface", "cli", "org:read project:write", &ids->token),
        E_OK);
    assert_int_equal(store_org_create(st, ids->user, "acme", "Acme\tInc", a, &o), E_OK);
    assert_int_equal(store_team_create(st, o.id, "core", "Core", a, &t), E_OK);
    assert_int_equal(store_project_create(st, o.id, t.id, "web", "Web", "javascript", a, &p), E_OK);
    assert_int_equal(
        store_key_create(st, p.id, "00112233445566778899aabbccddeeff", "Default", a, &k), E_OK);
    ids->project = p.id;
    static const char body[] = "line\nbreak\ttab\\slash\r\x00\x01\xff end";
    struct store_event_in evs[30];
    for (int i = 0; i < 30; i++)
        evs[i] = (struct store_event_in){.project_id = p.id,
                                         .event_id = arena_printf(a, "%032x", 100 + i),
                                         .timestamp = 1.7e9 + i / 3.0,
                                         .received = clock_now() - 86400.0 * (i % 5),
                                         .level = i % 2 ? "warning" : "error",
                                         .environment = "prod",
                                         .user_key = arena_printf(a, "u%d", i % 7),
                                         .message = "it's \"quoted\"\n",
                                         .hash = arena_printf(a, "g%d", i % 3),
                                         .title = "TypeError: x is undefined",
                                         .metadata_json = "{\"value\":\"x\\ty\"}",
                                         .data = body,
                                         .data_len = sizeof body - 1};
    assert_int_equal(store_ingest_batch(st, evs, 30, &ei), E_OK);
    for (int i = 0; i < 3; i++)
        ids->issues[i] = evs[i].issue_id;
    assert_int_equal(store_issue_set_status(st, ids->issues[1], "resolved"), E_OK);
    /* two-factor state travels too: a confirmed secret, its codes, the org's requirement */
    static const char *const codes[] = {"c0ffee01", "c0ffee02", "c0ffee03"};
    assert_int_equal(store_totp_begin(st, ids->user, "JBSWY3DPEHPK3PXP"), E_OK);
    assert_int_equal(store_totp_enable(st, ids->user, 123456, codes, 3), E_OK);
    assert_int_equal(store_recovery_use(st, ids->user, "c0ffee02"), E_OK);
    assert_int_equal(store_org_set_require_2fa(st, o.id, true), E_OK);
    fill_zdict(st, a, p.id, ids);
}

static void check_issue(struct arena *a, struct store *x, struct store *y, int64_t id)
{
    struct store_issue i, j;
    assert_int_equal(store_issue_by_id(x, a, id, &i), E_OK);
    assert_int_equal(store_issue_by_id(y, a, id, &j), E_OK);
    assert_true(i.short_num == j.short_num && i.count == j.count && i.user_count == j.user_count &&
                i.first_seen == j.first_seen && i.last_seen == j.last_seen);
    assert_string_equal(i.status, j.status);
    assert_string_equal(i.metadata_json, j.metadata_json);
    assert_string_equal(i.hash, j.hash);
}

static void check_copy(struct store *src, struct store *dst, const struct ids *ids)
{
    struct arena *a = arena_new(0);
    struct store_user u;
    const char *scopes = NULL;
    assert_int_equal(store_user_count(dst), 2);
    assert_int_equal(store_token_lookup(dst, a, "feedface", &u, &scopes), E_OK);
    assert_true(u.id == ids->user && u.is_superuser);
    assert_string_equal(u.password_hash, "$argon2id$x");
    assert_string_equal(scopes, "org:read project:write");
    struct store_org o;
    const char *role = NULL;
    assert_int_equal(store_org_by_slug(dst, a, "acme", &o), E_OK);
    assert_string_equal(o.name, "Acme\tInc");
    assert_int_equal(store_org_member_role(dst, a, o.id, ids->user, &role), E_OK);
    assert_string_equal(role, "owner");
    bool required = false, enabled = false;
    assert_int_equal(store_org_2fa_state(dst, o.id, ids->user, &required, &enabled), E_OK);
    assert_true(required && enabled);
    struct store_totp totp;
    assert_int_equal(store_totp_get(dst, a, ids->user, &totp), E_OK);
    assert_int_equal(totp.last_step, 123456);
    assert_int_equal(store_recovery_count(dst, ids->user), 2);
    assert_int_equal(store_recovery_use(dst, ids->user, "c0ffee02"), E_NOTFOUND);
    assert_int_equal(store_recovery_use(dst, ids->user, "c0ffee03"), E_OK);
    struct store_key k;
    assert_int_equal(store_key_by_public(dst, a, "00112233445566778899aabbccddeeff", &k), E_OK);
    assert_true(k.project_id == ids->project && k.active);
    assert_int_equal(store_event_count(dst, ids->project), 30 + ZD_EVENTS + 1);
    for (int i = 0; i < 3; i++)
        check_issue(a, src, dst, ids->issues[i]);
    for (int i = 0; i < 30; i += 7) {
        struct store_event_row x, y;
        char *eid = arena_printf(a, "%032x", 100 + i);
        assert_int_equal(store_event_by_id(src, a, ids->project, eid, &x), E_OK);
        assert_int_equal(store_event_by_id(dst, a, ids->project, eid, &y), E_OK);
        assert_true(x.id == y.id && x.issue_id == y.issue_id && x.timestamp == y.timestamp &&
                    x.received == y.received && x.data_len == y.data_len);
        assert_memory_equal(x.data, y.data, x.data_len);
    }
    /* the dictionary row arrives whole, and the copied bodies decompress through it */
    struct store_zdict zx, zy;
    assert_int_equal(store_zdict_get(src, a, ZD_ID, &zx), E_OK);
    assert_int_equal(store_zdict_get(dst, a, ZD_ID, &zy), E_OK);
    assert_true(zx.id == zy.id && zx.id == ids->zdict && zx.project_id == zy.project_id &&
                zx.created == zy.created && zx.last_used == zy.last_used && zx.len == zy.len);
    assert_memory_equal(zx.data, zy.data, zx.len);
    struct zdicts *zd = zdicts_new(dst);
    for (int i = 0; i <= ZD_EVENTS; i++) {
        struct store_event_row y;
        char *eid = arena_printf(a, "%032x", i < ZD_EVENTS ? 200 + i : 300);
        assert_int_equal(store_event_by_id(dst, a, ids->project, eid, &y), E_OK);
        assert_int_equal(proto_zstd_frame_dict(y.data, y.data_len), i < ZD_EVENTS ? ZD_ID : 0);
        struct buf out;
        buf_init(&out, LIMIT_EVENT_SIZE);
        assert_int_equal(zdicts_decompress(zd, y.data, y.data_len, out.max, &out, NULL), E_OK);
        const char *want = zd_json(a, i);
        assert_int_equal(out.len, strlen(want));
        assert_memory_equal(out.p, want, out.len);
        buf_free(&out);
    }
    zdicts_free(zd);
    arena_free(a);
}

/* After the copy, PostgreSQL carries on: new ids follow the copied ones, a new issue gets
 * the project's next short number, and a resent event is still a duplicate. */
static void check_continues(struct store *dst, const struct ids *ids)
{
    struct arena *a = arena_new(0);
    struct errinfo ei = {{0}};
    int64_t uid = 0;
    assert_int_equal(store_user_create(dst, "new@example.com", "h", false, &uid, &ei), E_OK);
    assert_int_equal(uid, ids->user + 2);
    struct store_event_in ev[] = {{.project_id = ids->project,
                                   .event_id = "ffffffffffffffffffffffffffffffff",
                                   .timestamp = 1.8e9,
                                   .received = clock_now(),
                                   .hash = "brand-new",
                                   .title = "New"},
                                  {.project_id = ids->project,
                                   .event_id = "00000000000000000000000000000064",
                                   .timestamp = 1.8e9,
                                   .received = clock_now(),
                                   .hash = "g0",
                                   .title = "Again"}};
    assert_int_equal(store_ingest_batch(dst, ev, 2, &ei), E_OK);
    struct store_issue i;
    assert_int_equal(store_issue_by_id(dst, a, ev[0].issue_id, &i), E_OK);
    assert_int_equal(i.short_num, 5);
    assert_true(ev[1].duplicate);
    int64_t zid = 0;
    assert_int_equal(store_zdict_insert(dst, ids->project, ZD_ID + 1, clock_now(), "d", 1, &zid),
                     E_OK);
    assert_int_equal(zid, ids->zdict + 1);
    arena_free(a);
}

static void test_sqlite_to_postgres(void **state)
{
    (void)state;
    const char *base = getenv("SNAG_TEST_DATABASE_URL");
    if (!base || strncmp(base, "postgres", 8) != 0)
        skip();
    const char *slash = strrchr(base, '/');
    snprintf(dst_url, sizeof dst_url, "%.*s/snag_migrate_test", (int)(slash - base), base);
    pg_admin("DROP DATABASE IF EXISTS snag_migrate_test WITH (FORCE)");
    pg_admin("CREATE DATABASE snag_migrate_test");

    struct arena *a = arena_new(0);
    struct ids ids;
    struct store *src = open_store(src_url);
    fill(src, a, &ids);
    struct migrate_data_stats stats;
    struct errinfo ei = {{0}};
    enum err e = migrate_data(src_url, dst_url, &stats, &ei);
    if (e)
        fail_msg("migrate-data: %s", ei.detail);
    assert_int_equal(stats.events, 30 + ZD_EVENTS + 1);
    struct store *dst = open_store(dst_url);
    check_copy(src, dst, &ids);
    check_continues(dst, &ids);
    store_close(dst);
    /* the target holds data now: refused */
    assert_int_equal(migrate_data(src_url, dst_url, &stats, &ei), E_CONFLICT);
    assert_int_equal(migrate_data(dst_url, src_url, &stats, &ei), E_UNSUPPORTED);
    store_close(src);
    arena_free(a);
    pg_admin("DROP DATABASE IF EXISTS snag_migrate_test WITH (FORCE)");
}

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/snag-migrate-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(src_url, sizeof src_url, "sqlite://%s/snag.db", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testdb_rmtree(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite_to_postgres),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
