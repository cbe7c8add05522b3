/* Storage conformance for the accounts operations (store.h's "accounts" section): the
 * first-run superuser, sessions, two-factor secrets and recovery codes, token management
 * and the organization 2FA flag. Written against store.h only, so scripts/test.sh runs it on
 * SQLite and again on PostgreSQL (SNAG_TEST_DATABASE_URL). Names carry a per-run tag, so a
 * reused database does not get in the way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "store/store.h"

static struct store *st;
static char tmpdir[256]; /* empty when SNAG_TEST_DATABASE_URL is used */
static char run_tag[32];

static const char *tagged(struct arena *a, const char *name)
{
    return arena_printf(a, "%s-%s", name, run_tag);
}

static int64_t new_user(struct arena *a, const char *name)
{
    int64_t id = 0;
    assert_int_equal(store_user_create(st, tagged(a, name), "hash", false, &id, NULL), E_OK);
    return id;
}

static int suite_setup(void **state)
{
    (void)state;
    snprintf(run_tag, sizeof run_tag, "%lx%x", (unsigned long)time(NULL), (unsigned)getpid());
    const char *url = getenv("SNAG_TEST_DATABASE_URL");
    char buf[400];
    if (!url || !*url) {
        const char *t = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/snag-acc-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmpdir))
            return -1;
        snprintf(buf, sizeof buf, "sqlite://%s/test.db", tmpdir);
        url = buf;
    }
    struct errinfo ei = {{0}};
    if (store_open(url, &st, &ei) || store_migrate(st, &ei)) {
        fprintf(stderr, "store setup: %s\n", ei.detail);
        return -1;
    }
    return 0;
}

static int suite_teardown(void **state)
{
    (void)state;
    store_close(st);
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
    }
    return 0;
}

/* Runs first on a fresh database: the first user only while there is none. */
static void test_first_user(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    int64_t id = 0;
    bool empty = store_user_count(st) == 0;
    enum err e = store_user_create_first(st, tagged(a, "first@x"), "h", &id, NULL);
    assert_int_equal(e, empty ? E_OK : E_CONFLICT);
    if (empty) {
        struct store_user u;
        assert_int_equal(store_user_by_id(st, a, id, &u), E_OK);
        assert_true(u.is_superuser);
    }
    assert_int_equal(store_user_create_first(st, tagged(a, "second@x"), "h", &id, NULL),
                     E_CONFLICT);
    assert_int_equal(store_user_by_email(st, a, tagged(a, "second@x"), &(struct store_user){0}),
                     E_NOTFOUND);
    arena_free(a);
}

static void test_sessions(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    int64_t uid = new_user(a, "sess@x");
    double now = clock_now();
    const char *h1 = tagged(a, "h1"), *h2 = tagged(a, "h2"), *h3 = tagged(a, "h3");
    assert_int_equal(store_session_create(st, h1, uid, false, now + 100, NULL, NULL), E_OK);
    assert_int_equal(store_session_create(st, h2, uid, true, now + 100, NULL, NULL), E_OK);
    assert_int_equal(store_session_create(st, h1, uid, false, now + 100, NULL, NULL), E_CONFLICT);
    struct store_session s;
    struct store_user u;
    assert_int_equal(store_session_lookup(st, a, h1, now, &s, &u), E_OK);
    assert_true(s.user_id == uid && u.id == uid && !s.pending_2fa && s.expires == now + 100);
    assert_string_equal(u.email, tagged(a, "sess@x"));
    assert_int_equal(store_session_lookup(st, a, h2, now, &s, &u), E_OK);
    assert_true(s.pending_2fa);
    /* expired: gone for lookups */
    assert_int_equal(store_session_lookup(st, a, h1, now + 101, &s, &u), E_NOTFOUND);
    assert_int_equal(store_session_lookup(st, a, "nope", now, &s, &u), E_NOTFOUND);
    /* delete one, then all but one */
    assert_int_equal(store_session_delete(st, h2), E_OK);
    assert_int_equal(store_session_delete(st, h2), E_NOTFOUND);
    assert_int_equal(store_session_create(st, h3, uid, false, now + 100, NULL, NULL), E_OK);
    assert_int_equal(store_session_delete_user(st, uid, h3), E_OK);
    assert_int_equal(store_session_lookup(st, a, h1, now, &s, &u), E_NOTFOUND);
    assert_int_equal(store_session_lookup(st, a, h3, now, &s, &u), E_OK);
    assert_int_equal(store_session_delete_user(st, uid, NULL), E_OK);
    assert_int_equal(store_session_lookup(st, a, h3, now, &s, &u), E_NOTFOUND);
    /* bad arguments */
    assert_int_equal(store_session_create(st, "", uid, false, now, NULL, NULL), E_INVALID);
    assert_int_equal(store_session_lookup(st, a, NULL, now, &s, &u), E_INVALID);
    arena_free(a);
}

/* A hex session hash: 16 times c, then the run tag (hex too). */
static const char *hex_hash(struct arena *a, char c)
{
    char head[17];
    memset(head, c, 16);
    head[16] = '\0';
    return arena_printf(a, "%s%s", head, run_tag);
}

/* The account page's view: last use, browser and address, the live list and revoking by the
 * hash's prefix, never across users. */
static void test_session_info(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    int64_t uid = new_user(a, "info@x"), other = new_user(a, "info-other@x");
    double now = clock_now();
    const char *h1 = hex_hash(a, 'a'), *h2 = hex_hash(a, 'b'), *hp = hex_hash(a, 'c');
    const char *hx = hex_hash(a, 'd'), *ho = hex_hash(a, 'e');
    assert_int_equal(store_session_create(st, h1, uid, false, now + 100, "Firefox/1", "10.0.0.1"),
                     E_OK);
    assert_int_equal(store_session_create(st, h2, uid, false, now + 100, NULL, NULL), E_OK);
    assert_int_equal(store_session_create(st, hp, uid, true, now + 100, "pending", NULL), E_OK);
    assert_int_equal(store_session_create(st, hx, uid, false, now + 30, "soon gone", NULL), E_OK);
    assert_int_equal(store_session_create(st, ho, other, false, now + 100, "other", NULL), E_OK);
    struct store_session s;
    struct store_user u;
    assert_int_equal(store_session_lookup(st, a, h1, now, &s, &u), E_OK);
    assert_true(s.last_seen == s.created && s.created > 0);
    /* touched: later only, and first in the list */
    assert_int_equal(store_session_touch(st, h2, now + 10), E_OK);
    assert_int_equal(store_session_touch(st, h2, now + 5), E_OK);
    assert_int_equal(store_session_lookup(st, a, h2, now, &s, &u), E_OK);
    assert_true(s.last_seen == now + 10);
    assert_int_equal(store_session_touch(st, "f00d", now), E_OK); /* gone: nothing to do */
    struct store_session_info *rows;
    size_t n;
    assert_int_equal(store_session_list(st, a, uid, now + 50, &rows, &n), E_OK);
    assert_int_equal(n, 2); /* not the pending one, not the expired one */
    assert_string_equal(rows[0].id_hash, h2);
    assert_null(rows[0].user_agent);
    assert_null(rows[0].ip);
    assert_string_equal(rows[1].id_hash, h1);
    assert_string_equal(rows[1].user_agent, "Firefox/1");
    assert_string_equal(rows[1].ip, "10.0.0.1");
    assert_true(rows[1].expires == now + 100 && rows[1].last_seen == rows[1].created);
    /* revoking by prefix: only the user's own live sessions */
    assert_int_equal(store_session_delete_prefix(st, other, "aaaaaaaaaaaaaaaa", now), E_NOTFOUND);
    assert_int_equal(store_session_delete_prefix(st, uid, "eeeeeeeeeeeeeeee", now), E_NOTFOUND);
    assert_int_equal(store_session_delete_prefix(st, uid, "cccccccccccccccc", now), E_NOTFOUND);
    assert_int_equal(store_session_delete_prefix(st, uid, "aaaaaaaaaaaaaaaa", now), E_OK);
    assert_int_equal(store_session_delete_prefix(st, uid, "aaaaaaaaaaaaaaaa", now), E_NOTFOUND);
    assert_int_equal(store_session_lookup(st, a, h1, now, &s, &u), E_NOTFOUND);
    assert_int_equal(store_session_lookup(st, a, ho, now, &s, &u), E_OK);
    assert_int_equal(store_session_delete_prefix(st, uid, "bbbb", now), E_INVALID);
    assert_int_equal(store_session_delete_prefix(st, uid, "BBBBBBBBBBBBBBBB", now), E_INVALID);
    assert_int_equal(store_session_list(st, a, other, now, &rows, &n), E_OK);
    assert_int_equal(n, 1);
    arena_free(a);
}

static void test_totp_and_recovery(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    int64_t uid = new_user(a, "totp@x");
    struct store_totp t;
    assert_int_equal(store_totp_get(st, a, uid, &t), E_NOTFOUND);
    assert_int_equal(store_totp_enable(st, uid, 5, NULL, 0), E_CONFLICT); /* nothing pending */
    assert_int_equal(store_totp_begin(st, uid, "AAAA"), E_OK);
    assert_int_equal(store_totp_begin(st, uid, "BBBB"), E_OK); /* a restart replaces it */
    assert_int_equal(store_totp_get(st, a, uid, &t), E_OK);
    assert_true(!t.enabled && t.last_step == -1);
    assert_string_equal(t.secret, "BBBB");
    const char *hashes[] = {"c1", "c2", "c3"};
    assert_int_equal(store_totp_enable(st, uid, 100, hashes, 3), E_OK);
    assert_int_equal(store_totp_enable(st, uid, 100, hashes, 3), E_CONFLICT);
    assert_int_equal(store_totp_begin(st, uid, "CCCC"), E_CONFLICT); /* enabled stays */
    assert_int_equal(store_totp_get(st, a, uid, &t), E_OK);
    assert_true(t.enabled && t.last_step == 100);
    assert_string_equal(t.secret, "BBBB");
    /* steps only move forward */
    assert_int_equal(store_totp_use_step(st, uid, 100), E_CONFLICT);
    assert_int_equal(store_totp_use_step(st, uid, 99), E_CONFLICT);
    assert_int_equal(store_totp_use_step(st, uid, 101), E_OK);
    assert_int_equal(store_totp_use_step(st, uid, 101), E_CONFLICT);
    /* each recovery code once */
    assert_int_equal(store_recovery_count(st, uid), 3);
    assert_int_equal(store_recovery_use(st, uid, "c2"), E_OK);
    assert_int_equal(store_recovery_use(st, uid, "c2"), E_NOTFOUND);
    assert_int_equal(store_recovery_use(st, uid, "zz"), E_NOTFOUND);
    assert_int_equal(store_recovery_count(st, uid), 2);
    int64_t other = new_user(a, "totp2@x");
    assert_int_equal(store_recovery_use(st, other, "c1"), E_NOTFOUND);
    /* disable removes secret and codes */
    assert_int_equal(store_totp_disable(st, uid), E_OK);
    assert_int_equal(store_totp_disable(st, uid), E_NOTFOUND);
    assert_int_equal(store_totp_get(st, a, uid, &t), E_NOTFOUND);
    assert_int_equal(store_recovery_count(st, uid), 0);
    assert_int_equal(store_totp_enable(st, uid, -1, NULL, 0), E_INVALID);
    arena_free(a);
}

static void test_tokens(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    int64_t uid = new_user(a, "tok@x"), other = new_user(a, "tok2@x");
    int64_t t1, t2;
    assert_int_equal(store_token_create(st, uid, tagged(a, "th1"), "one", "org:read", &t1), E_OK);
    assert_int_equal(store_token_create(st, uid, tagged(a, "th2"), "two", "", &t2), E_OK);
    struct store_token *rows;
    size_t n;
    assert_int_equal(store_token_list(st, a, uid, &rows, &n), E_OK);
    assert_int_equal(n, 2);
    assert_true(rows[0].id == t2 && rows[1].id == t1 && rows[1].last_used == 0);
    assert_string_equal(rows[1].label, "one");
    assert_string_equal(rows[1].scopes, "org:read");
    assert_int_equal(store_token_delete(st, other, t1), E_NOTFOUND); /* not theirs */
    assert_int_equal(store_token_delete(st, uid, t1), E_OK);
    assert_int_equal(store_token_delete(st, uid, t1), E_NOTFOUND);
    struct store_user u;
    assert_int_equal(store_token_lookup(st, a, tagged(a, "th1"), &u, NULL), E_NOTFOUND);
    assert_int_equal(store_token_list(st, a, uid, &rows, &n), E_OK);
    assert_true(n == 1 && rows[0].id == t2);
    assert_int_equal(store_token_list(st, a, other, &rows, &n), E_OK);
    assert_int_equal(n, 0);
    arena_free(a);
}

static void test_org_require_2fa(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    int64_t uid = new_user(a, "org2fa@x");
    struct store_org org;
    assert_int_equal(store_org_create(st, uid, tagged(a, "org2fa"), "O", a, &org), E_OK);
    bool req = true, on = true;
    assert_int_equal(store_org_2fa_state(st, org.id, uid, &req, &on), E_OK);
    assert_true(!req && !on);
    assert_int_equal(store_org_set_require_2fa(st, org.id, true), E_OK);
    assert_int_equal(store_totp_begin(st, uid, "AAAA"), E_OK);
    assert_int_equal(store_org_2fa_state(st, org.id, uid, &req, &on), E_OK);
    assert_true(req && !on); /* pending enrolment is not 2FA */
    assert_int_equal(store_totp_enable(st, uid, 1, NULL, 0), E_OK);
    assert_int_equal(store_org_2fa_state(st, org.id, uid, &req, &on), E_OK);
    assert_true(req && on);
    assert_int_equal(store_org_set_require_2fa(st, org.id, false), E_OK);
    assert_int_equal(store_org_2fa_state(st, org.id, uid, &req, &on), E_OK);
    assert_false(req);
    assert_int_equal(store_org_set_require_2fa(st, -5, true), E_NOTFOUND);
    assert_int_equal(store_org_2fa_state(st, -5, uid, &req, &on), E_NOTFOUND);
    arena_free(a);
}

static void test_fault_injection(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    struct store_session s;
    struct store_user u;
    struct store_totp t;
    store_fail_after(st, 1);
    assert_int_equal(store_session_lookup(st, a, "x", 0, &s, &u), E_UNAVAILABLE);
    assert_int_equal(store_session_lookup(st, a, "x", 0, &s, &u), E_NOTFOUND);
    store_fail_after(st, 2);
    assert_int_equal(store_totp_get(st, a, 1, &t) == E_UNAVAILABLE, false);
    assert_int_equal(store_recovery_count(st, 1), -1);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_user),      cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_session_info),    cmocka_unit_test(test_totp_and_recovery),
        cmocka_unit_test(test_tokens),          cmocka_unit_test(test_org_require_2fa),
        cmocka_unit_test(test_fault_injection),
    };
    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
