/* Unit tests for src/api/keycache.c against a real store (SQLite or, in the PostgreSQL pass,
 * PostgreSQL): hits within the TTL, a change seen after it, forget/clear seen at once,
 * unknown keys cached too, errors not cached. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api/keycache.h"
#include "core/ids.h"
#include "helpers/testdb.h"
#include "store/store.h"

static void test_keycache(void **state)
{
    (void)state;
    assert_int_equal(ids_init(), 0);
    struct testdb db;
    const char *url = testdb_open(&db);
    assert_non_null(url);
    struct store *st;
    assert_int_equal(store_open(url, &st, NULL), E_OK);
    assert_int_equal(store_migrate(st, NULL), E_OK);
    struct arena *a = arena_new(0);
    int64_t uid;
    struct store_org org;
    struct store_team team;
    struct store_project proj;
    struct store_key key, got;
    char pk[33], unknown[33];
    ids_uuid4_hex(pk);
    ids_uuid4_hex(unknown);
    assert_int_equal(store_user_create(st, "k@example.com", "x", true, &uid, NULL), E_OK);
    assert_int_equal(store_org_create(st, uid, "o", "o", a, &org), E_OK);
    assert_int_equal(store_team_create(st, org.id, "t", "t", a, &team), E_OK);
    assert_int_equal(store_project_create(st, org.id, team.id, "p", "p", NULL, a, &proj), E_OK);
    assert_int_equal(store_key_create(st, proj.id, pk, "Default", a, &key), E_OK);

    struct keycache *kc = keycache_new();
    double t = 1000.0;
    assert_int_equal(keycache_lookup(kc, st, a, pk, t, &got), E_OK);
    assert_true(got.active && got.id == key.id && got.project_id == proj.id);
    assert_string_equal(got.public_key, pk);

    /* disabled behind the cache's back: still active within the TTL, inactive after it */
    struct store_key_update u = {.active = 0};
    assert_int_equal(store_key_update(st, key.id, &u), E_OK);
    assert_int_equal(keycache_lookup(kc, st, a, pk, t + 0.5, &got), E_OK);
    assert_true(got.active);
    assert_int_equal(keycache_lookup(kc, st, a, pk, t + KEYCACHE_TTL + 0.01, &got), E_OK);
    assert_false(got.active);

    /* forget: a change made through this node's API is seen at once */
    u.active = 1;
    assert_int_equal(store_key_update(st, key.id, &u), E_OK);
    keycache_forget(kc, pk);
    assert_int_equal(keycache_lookup(kc, st, a, pk, t + KEYCACHE_TTL + 0.02, &got), E_OK);
    assert_true(got.active);

    /* unknown keys are cached as unknown for the TTL too */
    assert_int_equal(keycache_lookup(kc, st, a, unknown, t, &got), E_NOTFOUND);
    assert_int_equal(store_key_create(st, proj.id, unknown, "Late", a, &key), E_OK);
    assert_int_equal(keycache_lookup(kc, st, a, unknown, t + 0.5, &got), E_NOTFOUND);
    keycache_clear(kc);
    assert_int_equal(keycache_lookup(kc, st, a, unknown, t + 0.6, &got), E_OK);

    /* a database error is passed through and not cached */
    keycache_clear(kc);
    store_fail_after(st, 1);
    assert_int_equal(keycache_lookup(kc, st, a, pk, t + 10, &got), E_UNAVAILABLE);
    assert_int_equal(keycache_lookup(kc, st, a, pk, t + 10.1, &got), E_OK);

    keycache_free(kc);
    arena_free(a);
    store_close(st);
    assert_int_equal(testdb_close(&db), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keycache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
