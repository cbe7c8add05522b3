/* Storage conformance for the organization resources (store.h's store_orgs.c section):
 * org update and delete, members and invitations (accept, expiry, the last owner), team
 * membership, project teams, settings and deletion, key updates, rate limits and rotation.
 * Written against store.h only, so scripts/test.sh runs it on SQLite and again on
 * PostgreSQL (SNAG_TEST_DATABASE_URL). Names carry a per-run tag. */
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
#include "core/ids.h"
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

/* An org owned by owner, with team "t" and project "p" on it. */
struct fixture {
    struct store_org org;
    struct store_team team;
    struct store_project proj;
};

static void new_org(struct arena *a, int64_t owner, const char *name, struct fixture *f)
{
    assert_int_equal(store_org_create(st, owner, tagged(a, name), name, a, &f->org), E_OK);
    assert_int_equal(store_team_create(st, f->org.id, "t", "T", a, &f->team), E_OK);
    assert_int_equal(
        store_project_create(st, f->org.id, f->team.id, "p", "P", "python", a, &f->proj), E_OK);
}

static int suite_setup(void **state)
{
    (void)state;
    assert_int_equal(ids_init(), 0);
    snprintf(run_tag, sizeof run_tag, "%lx%x", (unsigned long)time(NULL), (unsigned)getpid());
    const char *url = getenv("SNAG_TEST_DATABASE_URL");
    char buf[400];
    if (!url || !*url) {
        const char *t = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/snag-orgs-XXXXXX", t && *t ? t : "/tmp");
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

static void test_org_update_delete(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    int64_t u = new_user(a, "upd@x");
    struct fixture f, g;
    new_org(a, u, "upd", &f);
    new_org(a, u, "upd2", &g);
    assert_int_equal(store_org_update(st, f.org.id, "Renamed", NULL), E_OK);
    struct store_org o;
    assert_int_equal(store_org_by_slug(st, a, f.org.slug, &o), E_OK);
    assert_string_equal(o.name, "Renamed");
    assert_int_equal(store_org_update(st, f.org.id, NULL, g.org.slug), E_CONFLICT);
    const char *slug = tagged(a, "upd-new");
    assert_int_equal(store_org_update(st, f.org.id, NULL, slug), E_OK);
    assert_int_equal(store_org_by_slug(st, a, slug, &o), E_OK);
    assert_int_equal(store_org_delete(st, f.org.id), E_OK);
    assert_int_equal(store_org_by_slug(st, a, slug, &o), E_NOTFOUND);
    assert_int_equal(store_project_by_id(st, a, f.proj.id, &f.proj), E_NOTFOUND);
    assert_int_equal(store_org_delete(st, f.org.id), E_NOTFOUND);
    assert_int_equal(store_org_update(st, f.org.id, "x", NULL), E_NOTFOUND);
    arena_free(a);
}

static void test_invite_accept(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    int64_t owner = new_user(a, "inv-owner@x"), guest = new_user(a, "inv-guest@x");
    struct fixture f;
    new_org(a, owner, "inv", &f);
    struct store_member m, got;
    double now = clock_now();
    /* the owner's address is a member's: no invitation */
    assert_int_equal(store_member_invite(st, f.org.id, tagged(a, "INV-OWNER@x"), "member", "h0",
                                         owner, now + 60, a, &m),
                     E_CONFLICT);
    assert_int_equal(store_member_invite(st, f.org.id, tagged(a, "inv-guest@x"), "admin", "h1",
                                         owner, now + 60, a, &m),
                     E_OK);
    assert_int_equal(m.user_id, 0);
    assert_string_equal(m.role, "admin");
    assert_int_equal(store_member_invite(st, f.org.id, tagged(a, "inv-guest@x"), "member", "h2",
                                         owner, now + 60, a, &got),
                     E_CONFLICT);
    struct store_member *rows;
    size_t n;
    assert_int_equal(store_member_list(st, a, f.org.id, &rows, &n), E_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].user_id, owner);
    assert_string_equal(rows[0].role, "owner");
    assert_int_equal(rows[1].id, m.id);
    /* wrong token, expired, then right */
    assert_int_equal(store_member_accept(st, m.id, "nope", guest, now, a, &got), E_NOTFOUND);
    assert_int_equal(store_member_accept(st, m.id, "h1", guest, now + 120, a, &got), E_NOTFOUND);
    assert_int_equal(store_member_accept(st, m.id, "h1", guest, now, a, &got), E_OK);
    assert_int_equal(got.user_id, guest);
    assert_int_equal(got.id, m.id);
    assert_int_equal(store_member_accept(st, m.id, "h1", guest, now, a, &got), E_NOTFOUND);
    const char *role = NULL;
    assert_int_equal(store_org_member_role(st, a, f.org.id, guest, &role), E_OK);
    assert_string_equal(role, "admin");
    assert_int_equal(store_member_by_user(st, a, f.org.id, guest, &got), E_OK);
    assert_int_equal(got.id, m.id);
    /* an invitation for someone already in: accepting conflicts */
    struct store_member m2;
    assert_int_equal(store_member_invite(st, f.org.id, "other@example.com", "member", "h3", owner,
                                         now + 60, a, &m2),
                     E_OK);
    assert_int_equal(store_member_accept(st, m2.id, "h3", guest, now, a, &got), E_CONFLICT);
    assert_int_equal(store_member_get(st, a, f.org.id, m2.id, &got), E_OK);
    assert_int_equal(got.user_id, 0);
    arena_free(a);
}

static void test_last_owner(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    int64_t owner = new_user(a, "lo-owner@x"), second = new_user(a, "lo-second@x");
    struct fixture f;
    new_org(a, owner, "lo", &f);
    struct store_member me, inv;
    assert_int_equal(store_member_by_user(st, a, f.org.id, owner, &me), E_OK);
    assert_int_equal(store_member_set_role(st, f.org.id, me.id, "manager"), E_CONFLICT);
    assert_int_equal(store_member_delete(st, f.org.id, me.id), E_CONFLICT);
    assert_int_equal(store_member_set_role(st, f.org.id, me.id, "owner"), E_OK);
    assert_int_equal(store_member_set_role(st, f.org.id, 999999999, "member"), E_NOTFOUND);
    assert_int_equal(store_member_delete(st, f.org.id, 999999999), E_NOTFOUND);
    /* a pending owner invitation does not count as an owner */
    assert_int_equal(store_member_invite(st, f.org.id, tagged(a, "lo-second@x"), "owner", "t",
                                         owner, clock_now() + 60, a, &inv),
                     E_OK);
    assert_int_equal(store_member_set_role(st, f.org.id, me.id, "member"), E_CONFLICT);
    assert_int_equal(store_member_accept(st, inv.id, "t", second, clock_now(), a, &inv), E_OK);
    assert_int_equal(store_member_set_role(st, f.org.id, me.id, "member"), E_OK);
    assert_int_equal(store_member_delete(st, f.org.id, inv.id), E_CONFLICT);
    assert_int_equal(store_member_delete(st, f.org.id, me.id), E_OK);
    /* members of another org are not found through this one */
    struct fixture g;
    new_org(a, owner, "lo-other", &g);
    assert_int_equal(store_member_delete(st, g.org.id, inv.id), E_NOTFOUND);
    assert_int_equal(store_member_get(st, a, g.org.id, inv.id, &me), E_NOTFOUND);
    arena_free(a);
}

static void test_teams(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    int64_t owner = new_user(a, "tm-owner@x");
    struct fixture f, g;
    new_org(a, owner, "tm", &f);
    new_org(a, owner, "tm-other", &g);
    struct store_member me;
    assert_int_equal(store_member_by_user(st, a, f.org.id, owner, &me), E_OK);
    bool yes = true;
    assert_int_equal(store_user_on_team(st, f.team.id, owner, &yes), E_OK);
    assert_false(yes);
    assert_int_equal(store_team_member_add(st, f.team.id, me.id), E_OK);
    assert_int_equal(store_team_member_add(st, f.team.id, me.id), E_CONFLICT);
    assert_int_equal(store_team_member_add(st, g.team.id, me.id), E_NOTFOUND); /* other org */
    assert_int_equal(store_user_on_team(st, f.team.id, owner, &yes), E_OK);
    assert_true(yes);
    assert_int_equal(store_user_on_project(st, f.proj.id, owner, &yes), E_OK);
    assert_true(yes);
    struct store_member *rows;
    size_t n;
    assert_int_equal(store_team_members(st, a, f.team.id, &rows, &n), E_OK);
    assert_int_equal(n, 1);
    struct store_project *projects;
    assert_int_equal(store_team_projects(st, a, f.team.id, &projects, &n), E_OK);
    assert_int_equal(n, 1);
    assert_string_equal(projects[0].slug, "p");
    assert_int_equal(store_team_update(st, f.team.id, "Renamed", "t2"), E_OK);
    struct store_team t;
    assert_int_equal(store_team_by_slug(st, a, f.org.id, "t2", &t), E_OK);
    assert_string_equal(t.name, "Renamed");
    assert_int_equal(store_team_member_remove(st, f.team.id, me.id), E_OK);
    assert_int_equal(store_team_member_remove(st, f.team.id, me.id), E_NOTFOUND);
    assert_int_equal(store_team_delete(st, f.team.id), E_OK);
    assert_int_equal(store_team_delete(st, f.team.id), E_NOTFOUND);
    assert_int_equal(store_project_by_id(st, a, f.proj.id, &f.proj), E_OK); /* project stays */
    arena_free(a);
}

static void test_projects(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    int64_t owner = new_user(a, "pr-owner@x");
    struct fixture f, g;
    new_org(a, owner, "pr", &f);
    new_org(a, owner, "pr-other", &g);
    struct store_team t2;
    assert_int_equal(store_team_create(st, f.org.id, "second", "Second", a, &t2), E_OK);
    assert_int_equal(store_project_team_add(st, f.proj.id, t2.id), E_OK);
    assert_int_equal(store_project_team_add(st, f.proj.id, t2.id), E_CONFLICT);
    assert_int_equal(store_project_team_add(st, f.proj.id, g.team.id), E_NOTFOUND);
    struct store_team *teams;
    size_t n;
    assert_int_equal(store_project_teams(st, a, f.proj.id, &teams, &n), E_OK);
    assert_int_equal(n, 2);
    assert_int_equal(store_project_team_remove(st, f.proj.id, t2.id), E_OK);
    assert_int_equal(store_project_team_remove(st, f.proj.id, t2.id), E_NOTFOUND);
    const char *json = NULL;
    assert_int_equal(store_project_settings(st, a, f.proj.id, &json), E_OK);
    assert_string_equal(json, "{}");
    struct store_project_update u = {.name = "New",
                                     .set_platform = true,
                                     .platform = NULL,
                                     .settings_json = "{\"scrubIPAddresses\":true}"};
    assert_int_equal(store_project_update(st, f.proj.id, &u), E_OK);
    struct store_project p;
    assert_int_equal(store_project_by_id(st, a, f.proj.id, &p), E_OK);
    assert_string_equal(p.name, "New");
    assert_null(p.platform);
    assert_string_equal(p.slug, "p");
    assert_int_equal(store_project_settings(st, a, f.proj.id, &json), E_OK);
    assert_string_equal(json, "{\"scrubIPAddresses\":true}");
    struct store_project p2;
    assert_int_equal(store_project_create(st, f.org.id, 0, "q", "Q", NULL, a, &p2), E_OK);
    u = (struct store_project_update){.slug = "q"};
    assert_int_equal(store_project_update(st, f.proj.id, &u), E_CONFLICT);
    assert_int_equal(store_project_delete(st, f.proj.id), E_OK);
    assert_int_equal(store_project_delete(st, f.proj.id), E_NOTFOUND);
    assert_int_equal(store_project_by_id(st, a, f.proj.id, &p), E_NOTFOUND);
    arena_free(a);
}

static void test_keys(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    int64_t owner = new_user(a, "key-owner@x");
    struct fixture f;
    new_org(a, owner, "key", &f);
    char pk[33], pk2[33];
    ids_uuid4_hex(pk);
    ids_uuid4_hex(pk2);
    struct store_key k, got, fresh;
    assert_int_equal(store_key_create(st, f.proj.id, pk, "CI", a, &k), E_OK);
    assert_int_equal(k.rate_window, 0);
    struct store_key_update u = {
        .active = 0, .set_rate = true, .rate_window = 60, .rate_count = 100};
    assert_int_equal(store_key_update(st, k.id, &u), E_OK);
    assert_int_equal(store_key_by_public(st, a, pk, &got), E_OK);
    assert_false(got.active);
    assert_int_equal(got.rate_window, 60);
    assert_int_equal(got.rate_count, 100);
    assert_string_equal(got.label, "CI");
    u = (struct store_key_update){.label = "Renamed", .active = 1};
    assert_int_equal(store_key_update(st, k.id, &u), E_OK);
    assert_int_equal(store_key_by_public(st, a, pk, &got), E_OK);
    assert_true(got.active);
    assert_int_equal(got.rate_count, 100); /* kept */
    assert_string_equal(got.label, "Renamed");
    assert_int_equal(store_key_rotate(st, k.id, pk2, a, &fresh), E_OK);
    assert_true(fresh.active);
    assert_string_equal(fresh.public_key, pk2);
    assert_string_equal(fresh.label, "Renamed");
    assert_int_equal(fresh.rate_window, 60);
    assert_int_equal(store_key_by_public(st, a, pk, &got), E_OK);
    assert_false(got.active);
    struct store_key *rows;
    size_t n;
    assert_int_equal(store_key_list(st, a, f.proj.id, &rows, &n), E_OK);
    assert_int_equal(n, 2);
    assert_int_equal(store_key_delete(st, k.id), E_OK);
    assert_int_equal(store_key_delete(st, k.id), E_NOTFOUND);
    assert_int_equal(store_key_rotate(st, k.id, pk, a, &fresh), E_NOTFOUND);
    u = (struct store_key_update){.active = 2};
    assert_int_equal(store_key_update(st, fresh.id, &u), E_INVALID);
    arena_free(a);
}

static void test_fault_injection(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    struct store_member *rows;
    size_t n;
    store_fail_after(st, 1);
    assert_int_equal(store_member_list(st, a, 1, &rows, &n), E_UNAVAILABLE);
    assert_int_equal(store_member_list(st, a, 1, &rows, &n), E_OK);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_org_update_delete), cmocka_unit_test(test_invite_accept),
        cmocka_unit_test(test_last_owner),        cmocka_unit_test(test_teams),
        cmocka_unit_test(test_projects),          cmocka_unit_test(test_keys),
        cmocka_unit_test(test_fault_injection),
    };
    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
