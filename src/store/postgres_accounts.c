/* postgres_accounts: users, API tokens, organizations, teams, projects and DSN keys on
 * PostgreSQL — store.h's management calls, each one statement on a pool connection (a CTE
 * where SQLite needs two, e.g. an org and its owner), except project creation, which is a
 * transaction so that a team of another org leaves no project behind. */
#include "store/postgres_int.h"

#include "core/clock.h"
#include "core/log.h"

/* ---- row fillers (column lists in postgres_sql.c) ---------------------------------------- */

static void pg_fill_user(struct pg_row *r, void *out)
{
    struct store_user *u = out;
    u->id = pg_col_int(r, 0);
    u->email = pg_col_text(r, 1);
    u->password_hash = pg_col_text(r, 2);
    u->is_superuser = pg_col_bool(r, 3);
    u->created = pg_col_real(r, 4);
}

static void pg_fill_org(struct pg_row *r, void *out)
{
    struct store_org *o = out;
    o->id = pg_col_int(r, 0);
    o->slug = pg_col_text(r, 1);
    o->name = pg_col_text(r, 2);
    o->created = pg_col_real(r, 3);
}

static void pg_fill_team(struct pg_row *r, void *out)
{
    struct store_team *t = out;
    t->id = pg_col_int(r, 0);
    t->org_id = pg_col_int(r, 1);
    t->slug = pg_col_text(r, 2);
    t->name = pg_col_text(r, 3);
    t->created = pg_col_real(r, 4);
}

static void pg_fill_project(struct pg_row *r, void *out)
{
    struct store_project *p = out;
    p->id = pg_col_int(r, 0);
    p->org_id = pg_col_int(r, 1);
    p->slug = pg_col_text(r, 2);
    p->name = pg_col_text(r, 3);
    p->platform = pg_col_text(r, 4);
    p->org_slug = pg_col_text(r, 5);
    p->created = pg_col_real(r, 6);
}

static void pg_fill_key(struct pg_row *r, void *out)
{
    struct store_key *k = out;
    k->id = pg_col_int(r, 0);
    k->project_id = pg_col_int(r, 1);
    k->public_key = pg_col_text(r, 2);
    k->label = pg_col_text(r, 3);
    k->active = pg_col_bool(r, 4);
    k->created = pg_col_real(r, 5);
    k->rate_window = pg_col_int(r, 6);
    k->rate_count = pg_col_int(r, 7);
}

static void pg_fill_text0(struct pg_row *r, void *out)
{
    *(const char **)out = pg_col_text(r, 0);
}

/* ---- one statement on a pool connection -------------------------------------------------- */

/* A write (not retried: it may have happened). *res, if res is not NULL, gets the result. */
static enum err pg_write(struct pg_store *s, enum pg_stmt id, const struct pg_params *p,
                         PGresult **res, struct errinfo *ei)
{
    struct pg_conn *c = NULL;
    enum err e = pg_acquire(s, &c, ei);
    if (e)
        return e;
    e = pg_exec(c, id, p, res, ei);
    pg_release(s, c);
    return e;
}

/* A write that returns one row into out. */
static enum err pg_write_one(struct pg_store *s, enum pg_stmt id, const struct pg_params *p,
                             struct arena *a, pg_fill_fn fill, void *out)
{
    PGresult *res = NULL;
    enum err e = pg_write(s, id, p, &res, NULL);
    return e ? e : pg_one(res, a, fill, out);
}

/* A write that must change a row: E_NOTFOUND when it changed none. */
static enum err pg_update(struct pg_store *s, enum pg_stmt id, const struct pg_params *p)
{
    PGresult *res = NULL;
    enum err e = pg_write(s, id, p, &res, NULL);
    if (e)
        return e;
    int64_t changes = pg_res_changes(res);
    PQclear(res);
    return changes > 0 ? E_OK : E_NOTFOUND;
}

/* A write returning one integer (a new id) into *id_out (which may be NULL). */
static enum err pg_insert_id(struct pg_store *s, enum pg_stmt id, const struct pg_params *p,
                             int64_t *id_out, struct errinfo *ei)
{
    PGresult *res = NULL;
    enum err e = pg_write(s, id, p, &res, ei);
    if (e)
        return e;
    if (id_out)
        *id_out = PQntuples(res) > 0 ? pg_res_int(res, 0, 0) : 0;
    PQclear(res);
    return E_OK;
}

static int64_t pg_count(struct pg_store *s, enum pg_stmt id, const struct pg_params *p)
{
    PGresult *res = NULL;
    if (pg_read(s, id, p, &res) != E_OK)
        return -1;
    int64_t n = PQntuples(res) > 0 ? pg_res_int(res, 0, 0) : -1;
    PQclear(res);
    return n;
}

/* ---- users and tokens ------------------------------------------------------------------- */

enum err pg_user_create(struct store *st, const char *email, const char *password_hash,
                        bool is_superuser, int64_t *id_out, struct errinfo *ei)
{
    struct pg_params p = {.n = 0};
    pg_p_text(&p, email);
    pg_p_text(&p, password_hash);
    pg_p_bool(&p, is_superuser);
    pg_p_real(&p, clock_now());
    enum err e = pg_insert_id(pg_of(st), PG_USER_INSERT, &p, id_out, ei);
    if (e == E_CONFLICT)
        errinfo_set(ei, E_CONFLICT, "a user with this email already exists");
    return e;
}

enum err pg_user_by_email(struct store *st, struct arena *a, const char *email,
                          struct store_user *out)
{
    struct pg_params p = {.n = 0};
    pg_p_text(&p, email);
    return pg_get(pg_of(st), PG_USER_BY_EMAIL, &p, a, pg_fill_user, out);
}

enum err pg_user_by_id(struct store *st, struct arena *a, int64_t id, struct store_user *out)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, id);
    return pg_get(pg_of(st), PG_USER_BY_ID, &p, a, pg_fill_user, out);
}

enum err pg_user_set_password(struct store *st, int64_t user_id, const char *password_hash)
{
    struct pg_params p = {.n = 0};
    pg_p_text(&p, password_hash);
    pg_p_int(&p, user_id);
    return pg_update(pg_of(st), PG_USER_SET_PASSWORD, &p);
}

int64_t pg_user_count(struct store *st)
{
    return pg_count(pg_of(st), PG_USER_COUNT, NULL);
}

enum err pg_token_create(struct store *st, int64_t user_id, const char *token_hash,
                         const char *label, const char *scopes, int64_t *id_out)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, user_id);
    pg_p_text(&p, token_hash);
    pg_p_text(&p, label);
    pg_p_text(&p, scopes);
    pg_p_real(&p, clock_now());
    return pg_insert_id(pg_of(st), PG_TOKEN_INSERT, &p, id_out, NULL);
}

/* Refreshes a token's last_used; best effort (a busy database only loses the stamp). */
static void pg_token_touch(struct pg_store *s, int64_t token_id, double now)
{
    struct pg_params p = {.n = 0};
    pg_p_real(&p, now);
    pg_p_int(&p, token_id);
    if (pg_write(s, PG_TOKEN_TOUCH, &p, NULL, NULL) != E_OK)
        log_debug("postgres: token %lld last_used not updated", (long long)token_id);
}

struct pg_token_row {
    struct store_user *user;
    const char *scopes;
    int64_t token_id;
    double last_used;
};

static void pg_fill_token(struct pg_row *r, void *out)
{
    struct pg_token_row *t = out;
    pg_fill_user(r, t->user);
    t->scopes = pg_col_text(r, 5);
    t->token_id = pg_col_int(r, 6);
    t->last_used = pg_col_real(r, 7);
}

enum err pg_token_lookup(struct store *st, struct arena *a, const char *token_hash,
                         struct store_user *user_out, const char **scopes_out)
{
    struct pg_params p = {.n = 0};
    struct pg_token_row t = {.user = user_out};
    pg_p_text(&p, token_hash);
    enum err e = pg_get(pg_of(st), PG_TOKEN_LOOKUP, &p, a, pg_fill_token, &t);
    if (e)
        return e;
    if (scopes_out)
        *scopes_out = t.scopes ? t.scopes : "";
    double now = clock_now();
    if (now - t.last_used >= PG_TOKEN_TOUCH_SECS)
        pg_token_touch(pg_of(st), t.token_id, now);
    return E_OK;
}

/* ---- organizations and teams ------------------------------------------------------------ */

enum err pg_org_create(struct store *st, int64_t owner_user_id, const char *slug, const char *name,
                       struct arena *a, struct store_org *out)
{
    struct pg_params p = {.n = 0};
    pg_p_text(&p, slug);
    pg_p_text(&p, name);
    pg_p_real(&p, clock_now());
    pg_p_int(&p, owner_user_id);
    return pg_write_one(pg_of(st), PG_ORG_INSERT, &p, a, pg_fill_org, out);
}

enum err pg_org_by_slug(struct store *st, struct arena *a, const char *slug, struct store_org *out)
{
    struct pg_params p = {.n = 0};
    pg_p_text(&p, slug);
    return pg_get(pg_of(st), PG_ORG_BY_SLUG, &p, a, pg_fill_org, out);
}

enum err pg_org_list_for_user(struct store *st, struct arena *a, int64_t user_id, bool superuser,
                              struct store_org **rows, size_t *n)
{
    struct pg_params p = {.n = 0};
    void *arr = NULL;
    if (!superuser)
        pg_p_int(&p, user_id);
    enum err e = pg_get_list(pg_of(st), superuser ? PG_ORG_LIST_ALL : PG_ORG_LIST_USER, &p, a,
                             pg_fill_org, sizeof **rows, &arr, n);
    *rows = arr;
    return e;
}

enum err pg_org_member_role(struct store *st, struct arena *a, int64_t org_id, int64_t user_id,
                            const char **role_out)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, org_id);
    pg_p_int(&p, user_id);
    return pg_get(pg_of(st), PG_MEMBER_ROLE, &p, a, pg_fill_text0, role_out);
}

enum err pg_team_create(struct store *st, int64_t org_id, const char *slug, const char *name,
                        struct arena *a, struct store_team *out)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, org_id);
    pg_p_text(&p, slug);
    pg_p_text(&p, name);
    pg_p_real(&p, clock_now());
    return pg_write_one(pg_of(st), PG_TEAM_INSERT, &p, a, pg_fill_team, out);
}

enum err pg_team_by_slug(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                         struct store_team *out)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, org_id);
    pg_p_text(&p, slug);
    return pg_get(pg_of(st), PG_TEAM_BY_SLUG, &p, a, pg_fill_team, out);
}

enum err pg_team_list(struct store *st, struct arena *a, int64_t org_id, struct store_team **rows,
                      size_t *n)
{
    struct pg_params p = {.n = 0};
    void *arr = NULL;
    pg_p_int(&p, org_id);
    enum err e = pg_get_list(pg_of(st), PG_TEAM_LIST, &p, a, pg_fill_team, sizeof **rows, &arr, n);
    *rows = arr;
    return e;
}

/* ---- projects and keys ------------------------------------------------------------------ */

/* The project row plus whether it was linked to the team (the statement's last column). */
struct pg_project_made {
    struct store_project *p;
    bool linked;
};

static void pg_fill_project_made(struct pg_row *r, void *out)
{
    struct pg_project_made *m = out;
    pg_fill_project(r, m->p);
    m->linked = pg_col_int(r, 7) > 0;
}

enum err pg_project_create(struct store *st, int64_t org_id, int64_t team_id, const char *slug,
                           const char *name, const char *platform, struct arena *a,
                           struct store_project *out)
{
    struct pg_store *s = pg_of(st);
    struct pg_params p = {.n = 0};
    struct pg_project_made made = {.p = out};
    PGresult *res = NULL;
    struct pg_conn *c = NULL;
    enum err e = pg_acquire(s, &c, NULL);
    if (e)
        return e;
    e = pg_begin(c, NULL);
    if (e)
        goto out;
    pg_p_int(&p, org_id);
    pg_p_text(&p, slug);
    pg_p_text(&p, name);
    pg_p_text(&p, platform);
    pg_p_real(&p, clock_now());
    pg_p_int(&p, team_id);
    e = pg_exec(c, PG_PROJECT_INSERT, &p, &res, NULL);
    if (!e)
        e = pg_one(res, a, pg_fill_project_made, &made);
    if (!e && team_id && !made.linked)
        e = E_NOTFOUND; /* no such team in this org: take the project back */
    e = pg_finish(c, e, NULL);
out:
    pg_release(s, c);
    return e;
}

enum err pg_project_by_slug(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                            struct store_project *out)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, org_id);
    pg_p_text(&p, slug);
    return pg_get(pg_of(st), PG_PROJECT_BY_SLUG, &p, a, pg_fill_project, out);
}

enum err pg_project_by_id(struct store *st, struct arena *a, int64_t id, struct store_project *out)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, id);
    return pg_get(pg_of(st), PG_PROJECT_BY_ID, &p, a, pg_fill_project, out);
}

enum err pg_project_list(struct store *st, struct arena *a, int64_t org_id,
                         struct store_project **rows, size_t *n)
{
    struct pg_params p = {.n = 0};
    void *arr = NULL;
    pg_p_int(&p, org_id);
    enum err e =
        pg_get_list(pg_of(st), PG_PROJECT_LIST, &p, a, pg_fill_project, sizeof **rows, &arr, n);
    *rows = arr;
    return e;
}

enum err pg_key_create(struct store *st, int64_t project_id, const char *public_key,
                       const char *label, struct arena *a, struct store_key *out)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, project_id);
    pg_p_text(&p, public_key);
    pg_p_text(&p, label);
    pg_p_real(&p, clock_now());
    return pg_write_one(pg_of(st), PG_KEY_INSERT, &p, a, pg_fill_key, out);
}

enum err pg_key_list(struct store *st, struct arena *a, int64_t project_id, struct store_key **rows,
                     size_t *n)
{
    struct pg_params p = {.n = 0};
    void *arr = NULL;
    pg_p_int(&p, project_id);
    enum err e = pg_get_list(pg_of(st), PG_KEY_LIST, &p, a, pg_fill_key, sizeof **rows, &arr, n);
    *rows = arr;
    return e;
}

enum err pg_key_by_public(struct store *st, struct arena *a, const char *public_key,
                          struct store_key *out)
{
    struct pg_params p = {.n = 0};
    pg_p_text(&p, public_key);
    return pg_get(pg_of(st), PG_KEY_BY_PUBLIC, &p, a, pg_fill_key, out);
}
