/* sqlite_accounts: the SQLite backend's users, API tokens, organizations and their members,
 * teams, projects and their client keys. */
#include "store/sqlite_int.h"

#include "core/clock.h"
#include "core/log.h"

#define SQ_TOKEN_TOUCH_SECS 60.0 /* last_used is refreshed at most this often */

/* ---- users and tokens ------------------------------------------------------------------- */

enum err sq_user_create(struct store *st, const char *email, const char *password_hash,
                        bool is_superuser, int64_t *id_out, struct errinfo *ei)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, SQ_USER_INSERT, &q);
    if (e)
        goto out;
    sq_text(&q, email);
    sq_text(&q, password_hash);
    sq_int(&q, is_superuser);
    sq_real(&q, clock_now());
    e = sq_run(&q, ei, "create user", NULL);
    if (!e && id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    if (e == E_CONFLICT)
        errinfo_set(ei, E_CONFLICT, "a user with this email already exists");
out:
    sq_release(s, c);
    return e;
}

enum err sq_user_by_email(struct store *st, struct arena *a, const char *email,
                          struct store_user *out)
{
    return sq_get_by_text(st, SQ_USER_BY_EMAIL, 0, email, a, sq_fill_user, out);
}

enum err sq_user_by_id(struct store *st, struct arena *a, int64_t id, struct store_user *out)
{
    return sq_get_by_id(st, SQ_USER_BY_ID, id, a, sq_fill_user, out);
}

enum err sq_user_set_password(struct store *st, int64_t user_id, const char *hash)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    int changes = 0;
    enum err e = sq_prep(c, SQ_USER_SET_PASSWORD, &q);
    if (!e) {
        sq_text(&q, hash);
        sq_int(&q, user_id);
        e = sq_run(&q, NULL, "set password", &changes);
    }
    sq_release(s, c);
    return e ? e : changes ? E_OK : E_NOTFOUND;
}

int64_t sq_user_count(struct store *st)
{
    int64_t n = -1;
    return sq_count(st, SQ_USER_COUNT, 0, &n) ? -1 : n;
}

enum err sq_token_create(struct store *st, int64_t user_id, const char *token_hash,
                         const char *label, const char *scopes, int64_t *id_out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, SQ_TOKEN_INSERT, &q);
    if (!e) {
        sq_int(&q, user_id);
        sq_text(&q, token_hash);
        sq_text(&q, label);
        sq_text(&q, scopes);
        sq_real(&q, clock_now());
        e = sq_run(&q, NULL, "create token", NULL);
    }
    if (!e && id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    sq_release(s, c);
    return e;
}

/* Refreshes a token's last_used; best effort (a busy database only loses the stamp). */
static void sq_token_touch(struct sq_conn *c, int64_t token_id, double now)
{
    struct sq_q q;
    if (sq_prep(c, SQ_TOKEN_TOUCH, &q) != E_OK)
        return;
    sq_real(&q, now);
    sq_int(&q, token_id);
    if (sq_run(&q, NULL, "touch token", NULL) != E_OK)
        log_debug("sqlite: token %lld last_used not updated", (long long)token_id);
}

enum err sq_token_lookup(struct store *st, struct arena *a, const char *token_hash,
                         struct store_user *user_out, const char **scopes_out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, SQ_TOKEN_LOOKUP, &q);
    if (e)
        goto out;
    sq_text(&q, token_hash);
    int rc = sq_step(&q);
    if (rc != SQLITE_ROW) {
        e = rc == SQLITE_DONE ? E_NOTFOUND : sq_err(c->db, rc, NULL, "token lookup");
        sq_done(&q);
        goto out;
    }
    struct sq_row r = {q.s, a, false};
    sq_fill_user(&r, user_out);
    const char *scopes = sq_col_text(&r, 5);
    int64_t token_id = sq_col_int(&r, 6);
    double last_used = sq_col_real(&r, 7), now = clock_now();
    sq_done(&q);
    if (r.oom) {
        e = E_TOOBIG;
        goto out;
    }
    if (scopes_out)
        *scopes_out = scopes ? scopes : "";
    if (now - last_used >= SQ_TOKEN_TOUCH_SECS)
        sq_token_touch(c, token_id, now);
out:
    sq_release(s, c);
    return e;
}

/* ---- organizations, teams, projects, keys ----------------------------------------------- */

static enum err sq_org_insert(struct sq_conn *c, int64_t owner, const char *slug, const char *name,
                              int64_t *org_id)
{
    struct sq_q q;
    double now = clock_now();
    enum err e = sq_prep(c, SQ_ORG_INSERT, &q);
    if (e)
        return e;
    sq_text(&q, slug);
    sq_text(&q, name);
    sq_real(&q, now);
    e = sq_run(&q, NULL, "create organization", NULL);
    if (e)
        return e;
    *org_id = sqlite3_last_insert_rowid(c->db);
    e = sq_prep(c, SQ_MEMBER_INSERT, &q);
    if (e)
        return e;
    sq_int(&q, *org_id);
    sq_int(&q, owner);
    sq_text(&q, "owner");
    sq_real(&q, now);
    return sq_run(&q, NULL, "add organization owner", NULL);
}

enum err sq_org_create(struct store *st, int64_t owner_user_id, const char *slug, const char *name,
                       struct arena *a, struct store_org *out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    int64_t org_id = 0;
    struct sq_q q;
    enum err e = sq_begin(c, NULL);
    if (e)
        goto out;
    e = sq_org_insert(c, owner_user_id, slug, name, &org_id);
    if (!e)
        e = sq_prep(c, SQ_ORG_BY_ID, &q);
    if (!e) {
        sq_int(&q, org_id);
        e = sq_one(&q, a, sq_fill_org, out);
    }
    e = sq_finish(c, e, NULL);
out:
    sq_release(s, c);
    return e;
}

enum err sq_org_by_slug(struct store *st, struct arena *a, const char *slug, struct store_org *out)
{
    return sq_get_by_text(st, SQ_ORG_BY_SLUG, 0, slug, a, sq_fill_org, out);
}

enum err sq_org_list_for_user(struct store *st, struct arena *a, int64_t user_id, bool superuser,
                              struct store_org **rows, size_t *n)
{
    void *p = NULL;
    enum err e = sq_list_by_id(st, superuser ? SQ_ORG_LIST_ALL : SQ_ORG_LIST_USER, user_id, a,
                               sq_fill_org, sizeof **rows, &p, n);
    *rows = p;
    return e;
}

static void sq_fill_text0(struct sq_row *r, void *out)
{
    *(const char **)out = sq_col_text(r, 0);
}

enum err sq_org_member_role(struct store *st, struct arena *a, int64_t org_id, int64_t user_id,
                            const char **role_out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, SQ_MEMBER_ROLE, &q);
    if (!e) {
        sq_int(&q, org_id);
        sq_int(&q, user_id);
        e = sq_one(&q, a, sq_fill_text0, role_out);
    }
    sq_release(s, c);
    return e;
}

/* An insert followed by reading the new row back (by rowid) on the same connection. */
static enum err sq_insert_and_get(struct sq_conn *c, struct sq_q *ins, const char *what,
                                  enum sq_stmt get, struct arena *a, sq_fill_fn fill, void *out)
{
    enum err e = sq_run(ins, NULL, what, NULL);
    if (e)
        return e;
    int64_t id = sqlite3_last_insert_rowid(c->db);
    struct sq_q q;
    e = sq_prep(c, get, &q);
    if (e)
        return e;
    sq_int(&q, id);
    return sq_one(&q, a, fill, out);
}

enum err sq_team_create(struct store *st, int64_t org_id, const char *slug, const char *name,
                        struct arena *a, struct store_team *out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, SQ_TEAM_INSERT, &q);
    if (!e) {
        sq_int(&q, org_id);
        sq_text(&q, slug);
        sq_text(&q, name);
        sq_real(&q, clock_now());
        e = sq_insert_and_get(c, &q, "create team", SQ_TEAM_BY_ID, a, sq_fill_team, out);
    }
    sq_release(s, c);
    return e;
}

enum err sq_team_by_slug(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                         struct store_team *out)
{
    return sq_get_by_text(st, SQ_TEAM_BY_SLUG, org_id, slug, a, sq_fill_team, out);
}

enum err sq_team_list(struct store *st, struct arena *a, int64_t org_id, struct store_team **rows,
                      size_t *n)
{
    void *p = NULL;
    enum err e = sq_list_by_id(st, SQ_TEAM_LIST, org_id, a, sq_fill_team, sizeof **rows, &p, n);
    *rows = p;
    return e;
}

/* Links the project to the team, which must belong to the org (else E_NOTFOUND). */
static enum err sq_project_link_team(struct sq_conn *c, int64_t project_id, int64_t team_id,
                                     int64_t org_id)
{
    struct sq_q q;
    int changes = 0;
    enum err e = sq_prep(c, SQ_PROJECT_TEAM_INSERT, &q);
    if (e)
        return e;
    sq_int(&q, project_id);
    sq_int(&q, team_id);
    sq_int(&q, org_id);
    e = sq_run(&q, NULL, "link project to team", &changes);
    return e ? e : changes ? E_OK : E_NOTFOUND;
}

enum err sq_project_create(struct store *st, int64_t org_id, int64_t team_id, const char *slug,
                           const char *name, const char *platform, struct arena *a,
                           struct store_project *out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_begin(c, NULL);
    if (e)
        goto out;
    e = sq_prep(c, SQ_PROJECT_INSERT, &q);
    if (!e) {
        sq_int(&q, org_id);
        sq_text(&q, slug);
        sq_text(&q, name);
        sq_text(&q, platform);
        sq_real(&q, clock_now());
        e = sq_insert_and_get(c, &q, "create project", SQ_PROJECT_BY_ID, a, sq_fill_project, out);
    }
    if (!e && team_id)
        e = sq_project_link_team(c, out->id, team_id, org_id);
    e = sq_finish(c, e, NULL);
out:
    sq_release(s, c);
    return e;
}

enum err sq_project_by_slug(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                            struct store_project *out)
{
    return sq_get_by_text(st, SQ_PROJECT_BY_SLUG, org_id, slug, a, sq_fill_project, out);
}

enum err sq_project_by_id(struct store *st, struct arena *a, int64_t id, struct store_project *out)
{
    return sq_get_by_id(st, SQ_PROJECT_BY_ID, id, a, sq_fill_project, out);
}

enum err sq_project_list(struct store *st, struct arena *a, int64_t org_id,
                         struct store_project **rows, size_t *n)
{
    void *p = NULL;
    enum err e =
        sq_list_by_id(st, SQ_PROJECT_LIST, org_id, a, sq_fill_project, sizeof **rows, &p, n);
    *rows = p;
    return e;
}

enum err sq_key_create(struct store *st, int64_t project_id, const char *public_key,
                       const char *label, struct arena *a, struct store_key *out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sq_prep(c, SQ_KEY_INSERT, &q);
    if (!e) {
        sq_int(&q, project_id);
        sq_text(&q, public_key);
        sq_text(&q, label);
        sq_real(&q, clock_now());
        e = sq_insert_and_get(c, &q, "create key", SQ_KEY_BY_ID, a, sq_fill_key, out);
    }
    sq_release(s, c);
    return e;
}

enum err sq_key_list(struct store *st, struct arena *a, int64_t project_id, struct store_key **rows,
                     size_t *n)
{
    void *p = NULL;
    enum err e = sq_list_by_id(st, SQ_KEY_LIST, project_id, a, sq_fill_key, sizeof **rows, &p, n);
    *rows = p;
    return e;
}

enum err sq_key_by_public(struct store *st, struct arena *a, const char *public_key,
                          struct store_key *out)
{
    return sq_get_by_text(st, SQ_KEY_BY_PUBLIC, 0, public_key, a, sq_fill_key, out);
}
