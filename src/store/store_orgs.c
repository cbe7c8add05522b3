/* store_orgs: store.h's organization resources — org update and delete, members and pending
 * invitations, team membership, project teams, settings and deletion, key updates, deletion
 * and rotation — written once as portable SQL over the backend query driver of
 * store_orgs_int.h. Each wrapper checks its arguments and runs the fault-injection countdown
 * first, as store_int.h describes.
 *
 * DESIGN
 * - Invitations are org_members rows without a user (0004_orgs.sql), so members and
 *   invitations share one id space, as in Sentry; accepting one fills in the user.
 * - "The last owner stays": role changes and removals run in a transaction that first
 *   touches the organization row (a row lock on PostgreSQL, the write lock on SQLite), so
 *   two owners demoting each other at once cannot both succeed.
 * - Rows are copied into the caller's arena while the backend's row is current. */
#include "store/store_orgs_int.h"

#include <string.h>

#include "core/clock.h"

#define ORGS_MEMBER_COLS                                                                           \
    "m.id, m.org_id, coalesce(m.user_id, 0), coalesce(u.email, m.email), m.role, m.created, "      \
    "coalesce(m.expires, 0)"
#define ORGS_MEMBER_FROM " FROM org_members m LEFT JOIN users u ON u.id = m.user_id"
#define ORGS_TEAM_COLS "t.id, t.org_id, t.slug, t.name, t.created"
#define ORGS_PROJECT_COLS "p.id, p.org_id, p.slug, p.name, p.platform, o.slug, p.created"
/* The org's owners who are users (invitations do not count). */
#define ORGS_OWNERS                                                                                \
    "(SELECT count(*) FROM org_members o WHERE o.org_id = $1 AND o.role = 'owner' "                \
    "AND o.user_id IS NOT NULL)"

#define ORGS_ENTER(st)                                                                             \
    do {                                                                                           \
        if (!(st))                                                                                 \
            return E_INVALID;                                                                      \
        if (store_fault(st))                                                                       \
            return E_UNAVAILABLE;                                                                  \
    } while (0)

#define ORGS_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return E_INVALID;                                                                      \
    } while (0)

/* ---- parameters ---------------------------------------------------------------------------- */

static void p_int(struct store_q_params *p, int64_t v)
{
    if (p->n < STORE_Q_PARAMS_MAX)
        p->v[p->n++] = (struct store_q_param){.t = SQT_INT, .i = v};
}

static void p_real(struct store_q_params *p, double v)
{
    if (p->n < STORE_Q_PARAMS_MAX)
        p->v[p->n++] = (struct store_q_param){.t = SQT_REAL, .r = v};
}

static void p_text(struct store_q_params *p, const char *v)
{
    if (p->n < STORE_Q_PARAMS_MAX)
        p->v[p->n++] = (struct store_q_param){.t = v ? SQT_TEXT : SQT_NULL, .s = v};
}

/* ---- rows into the arena --------------------------------------------------------------------- */

/* What a row callback fills: one struct, or a growing array of them. */
struct orgs_out {
    const struct store_orgs_ops *o;
    struct arena *a;
    enum err (*fill)(struct orgs_out *out, const struct store_q_row *r, void *dst);
    void *one; /* single row: its struct; NULL for a list */
    bool found;
    size_t elsize, n, cap;
    void *rows;
};

static enum err orgs_text(struct orgs_out *out, const struct store_q_row *r, int col,
                          const char **dst)
{
    const char *s = out->o->col_text(r, col);
    *dst = s ? arena_strdup(out->a, s) : NULL;
    return s && !*dst ? E_TOOBIG : E_OK;
}

static enum err orgs_fill_member(struct orgs_out *out, const struct store_q_row *r, void *dst)
{
    struct store_member *m = dst;
    const struct store_orgs_ops *o = out->o;
    m->id = o->col_int(r, 0);
    m->org_id = o->col_int(r, 1);
    m->user_id = o->col_int(r, 2);
    m->created = o->col_real(r, 5);
    m->expires = o->col_real(r, 6);
    enum err e = orgs_text(out, r, 3, &m->email);
    return e ? e : orgs_text(out, r, 4, &m->role);
}

static enum err orgs_fill_team(struct orgs_out *out, const struct store_q_row *r, void *dst)
{
    struct store_team *t = dst;
    t->id = out->o->col_int(r, 0);
    t->org_id = out->o->col_int(r, 1);
    t->created = out->o->col_real(r, 4);
    enum err e = orgs_text(out, r, 2, &t->slug);
    return e ? e : orgs_text(out, r, 3, &t->name);
}

static enum err orgs_fill_project(struct orgs_out *out, const struct store_q_row *r, void *dst)
{
    struct store_project *p = dst;
    p->id = out->o->col_int(r, 0);
    p->org_id = out->o->col_int(r, 1);
    p->created = out->o->col_real(r, 6);
    enum err e = orgs_text(out, r, 2, &p->slug);
    if (!e)
        e = orgs_text(out, r, 3, &p->name);
    if (!e)
        e = orgs_text(out, r, 4, &p->platform);
    return e ? e : orgs_text(out, r, 5, &p->org_slug);
}

static enum err orgs_fill_key(struct orgs_out *out, const struct store_q_row *r, void *dst)
{
    struct store_key *k = dst;
    k->id = out->o->col_int(r, 0);
    k->project_id = out->o->col_int(r, 1);
    k->active = out->o->col_bool(r, 4);
    k->created = out->o->col_real(r, 5);
    k->rate_window = out->o->col_int(r, 6);
    k->rate_count = out->o->col_int(r, 7);
    enum err e = orgs_text(out, r, 2, &k->public_key);
    return e ? e : orgs_text(out, r, 3, &k->label);
}

static enum err orgs_fill_text(struct orgs_out *out, const struct store_q_row *r, void *dst)
{
    return orgs_text(out, r, 0, dst);
}

static enum err orgs_fill_int(struct orgs_out *out, const struct store_q_row *r, void *dst)
{
    *(int64_t *)dst = out->o->col_int(r, 0);
    return E_OK;
}

/* The row callback: the first row into out->one, or every row appended to out->rows. */
static enum err orgs_row(const struct store_q_row *r, void *ctx)
{
    struct orgs_out *out = ctx;
    if (out->one) {
        if (out->found)
            return E_OK;
        out->found = true;
        return out->fill(out, r, out->one);
    }
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 16;
        void *rows = arena_alloc(out->a, cap * out->elsize);
        if (!rows)
            return E_TOOBIG;
        if (out->n)
            memcpy(rows, out->rows, out->n * out->elsize);
        out->rows = rows;
        out->cap = cap;
    }
    char *dst = (char *)out->rows + out->n * out->elsize;
    memset(dst, 0, out->elsize);
    out->n++;
    return out->fill(out, r, dst);
}

/* ---- running statements ------------------------------------------------------------------- */

/* One statement as a unit of work. */
struct orgs_stmt {
    const char *sql;
    const struct store_q_params *p;
    struct orgs_out *out; /* NULL: no rows wanted */
    int64_t changes;
};

static enum err orgs_stmt_run(struct store_q_conn *c, const struct store_orgs_ops *o,
                              struct orgs_stmt *s)
{
    return o->exec(c, s->sql, s->p, s->out ? orgs_row : NULL, s->out, &s->changes);
}

struct orgs_single {
    const struct store_orgs_ops *o;
    struct orgs_stmt *s;
};

static enum err orgs_single_work(struct store_q_conn *c, void *ctx)
{
    struct orgs_single *w = ctx;
    return orgs_stmt_run(c, w->o, w->s);
}

/* Runs one statement on a pool connection (autocommit). */
static enum err orgs_exec(struct store *st, struct orgs_stmt *s)
{
    struct orgs_single w = {st->ops->orgs, s};
    return st->ops->orgs->with_conn(st, false, orgs_single_work, &w);
}

/* A write that must change a row: else `none`. */
static enum err orgs_change(struct store *st, const char *sql, const struct store_q_params *p,
                            enum err none)
{
    struct orgs_stmt s = {sql, p, NULL, 0};
    enum err e = orgs_exec(st, &s);
    return e ? e : s.changes > 0 ? E_OK : none;
}

/* The first row into one (E_NOTFOUND when none). */
static enum err orgs_one(struct store *st, const char *sql, const struct store_q_params *p,
                         struct arena *a,
                         enum err (*fill)(struct orgs_out *, const struct store_q_row *, void *),
                         void *one)
{
    struct orgs_out out = {.o = st->ops->orgs, .a = a, .fill = fill, .one = one};
    struct orgs_stmt s = {sql, p, &out, 0};
    enum err e = orgs_exec(st, &s);
    return e ? e : out.found ? E_OK : E_NOTFOUND;
}

/* Every row (at most STORE_LIST_MAX, which the SQL's LIMIT $last enforces). */
static enum err orgs_list(struct store *st, const char *sql, struct store_q_params *p,
                          struct arena *a,
                          enum err (*fill)(struct orgs_out *, const struct store_q_row *, void *),
                          size_t elsize, void **rows, size_t *n)
{
    struct orgs_out out = {.o = st->ops->orgs, .a = a, .fill = fill, .elsize = elsize};
    p_int(p, STORE_LIST_MAX);
    struct orgs_stmt s = {sql, p, &out, 0};
    enum err e = orgs_exec(st, &s);
    *rows = e ? NULL : out.rows;
    *n = e ? 0 : out.n;
    return e;
}

/* ---- organizations ------------------------------------------------------------------------ */

enum err store_org_update(struct store *st, int64_t org_id, const char *name, const char *slug)
{
    ORGS_ENTER(st);
    struct store_q_params p = {0};
    p_int(&p, org_id);
    p_text(&p, name);
    p_text(&p, slug);
    return orgs_change(st,
                       "UPDATE organizations SET name = coalesce(CAST($2 AS TEXT), name), "
                       "slug = coalesce(CAST($3 AS TEXT), slug) WHERE id = $1",
                       &p, E_NOTFOUND);
}

enum err store_org_delete(struct store *st, int64_t org_id)
{
    ORGS_ENTER(st);
    struct store_q_params p = {0};
    p_int(&p, org_id);
    return orgs_change(st, "DELETE FROM organizations WHERE id = $1", &p, E_NOTFOUND);
}

/* ---- members and invitations ---------------------------------------------------------------- */

enum err store_member_list(struct store *st, struct arena *a, int64_t org_id,
                           struct store_member **rows, size_t *n)
{
    ORGS_ENTER(st);
    ORGS_CHECK(a && rows && n);
    struct store_q_params p = {0};
    p_int(&p, org_id);
    return orgs_list(st,
                     "SELECT " ORGS_MEMBER_COLS ORGS_MEMBER_FROM
                     " WHERE m.org_id = $1 ORDER BY m.id LIMIT $2",
                     &p, a, orgs_fill_member, sizeof **rows, (void **)rows, n);
}

enum err store_member_get(struct store *st, struct arena *a, int64_t org_id, int64_t member_id,
                          struct store_member *out)
{
    ORGS_ENTER(st);
    ORGS_CHECK(a && out);
    struct store_q_params p = {0};
    p_int(&p, org_id);
    p_int(&p, member_id);
    return orgs_one(
        st, "SELECT " ORGS_MEMBER_COLS ORGS_MEMBER_FROM " WHERE m.org_id = $1 AND m.id = $2", &p, a,
        orgs_fill_member, out);
}

enum err store_member_by_user(struct store *st, struct arena *a, int64_t org_id, int64_t user_id,
                              struct store_member *out)
{
    ORGS_ENTER(st);
    ORGS_CHECK(a && out);
    struct store_q_params p = {0};
    p_int(&p, org_id);
    p_int(&p, user_id);
    return orgs_one(
        st, "SELECT " ORGS_MEMBER_COLS ORGS_MEMBER_FROM " WHERE m.org_id = $1 AND m.user_id = $2",
        &p, a, orgs_fill_member, out);
}

/* Inserts an invitation unless the address is a member's, then reads it back. */
struct orgs_invite {
    const struct store_orgs_ops *o;
    struct store_q_params p;
    struct arena *a;
    struct store_member *out;
};

static enum err orgs_invite_work(struct store_q_conn *c, void *ctx)
{
    struct orgs_invite *w = ctx;
    int64_t id = 0;
    struct orgs_out ids = {.o = w->o, .a = w->a, .fill = orgs_fill_int, .one = &id};
    struct orgs_stmt ins = {
        "INSERT INTO org_members (org_id, role, created, email, token_hash, invited_by, expires) "
        "SELECT CAST($1 AS BIGINT), CAST($2 AS TEXT), CAST($3 AS DOUBLE PRECISION), "
        "CAST($4 AS TEXT), CAST($5 AS TEXT), CAST($6 AS BIGINT), CAST($7 AS DOUBLE PRECISION) "
        "WHERE NOT EXISTS (SELECT 1 FROM org_members x "
        "JOIN users u ON u.id = x.user_id WHERE x.org_id = $1 AND lower(u.email) = "
        "lower(CAST($4 AS TEXT))) RETURNING id",
        &w->p, &ids, 0};
    enum err e = orgs_stmt_run(c, w->o, &ins);
    if (!e && !ids.found)
        e = E_CONFLICT;
    if (e)
        return e;
    struct store_q_params g = {0};
    p_int(&g, id);
    struct orgs_out one = {.o = w->o, .a = w->a, .fill = orgs_fill_member, .one = w->out};
    struct orgs_stmt get = {"SELECT " ORGS_MEMBER_COLS ORGS_MEMBER_FROM " WHERE m.id = $1", &g,
                            &one, 0};
    e = orgs_stmt_run(c, w->o, &get);
    return e ? e : one.found ? E_OK : E_NOTFOUND;
}

enum err store_member_invite(struct store *st, int64_t org_id, const char *email, const char *role,
                             const char *token_hash, int64_t invited_by, double expires,
                             struct arena *a, struct store_member *out)
{
    ORGS_ENTER(st);
    ORGS_CHECK(email && *email && role && token_hash && *token_hash && a && out);
    struct orgs_invite w = {.o = st->ops->orgs, .a = a, .out = out};
    p_int(&w.p, org_id);
    p_text(&w.p, role);
    p_real(&w.p, clock_now());
    p_text(&w.p, email);
    p_text(&w.p, token_hash);
    p_int(&w.p, invited_by);
    p_real(&w.p, expires);
    return st->ops->orgs->with_conn(st, true, orgs_invite_work, &w);
}

static enum err orgs_accept_work(struct store_q_conn *c, void *ctx)
{
    struct orgs_invite *w = ctx;
    struct orgs_stmt upd = {"UPDATE org_members SET user_id = $3, email = NULL, token_hash = NULL, "
                            "expires = NULL WHERE id = $1 AND user_id IS NULL AND "
                            "token_hash = $2 AND expires > $4",
                            &w->p, NULL, 0};
    enum err e = orgs_stmt_run(c, w->o, &upd);
    if (!e && upd.changes == 0)
        e = E_NOTFOUND;
    if (e)
        return e;
    struct store_q_params g = {0};
    p_int(&g, w->p.v[0].i);
    struct orgs_out one = {.o = w->o, .a = w->a, .fill = orgs_fill_member, .one = w->out};
    struct orgs_stmt get = {"SELECT " ORGS_MEMBER_COLS ORGS_MEMBER_FROM " WHERE m.id = $1", &g,
                            &one, 0};
    e = orgs_stmt_run(c, w->o, &get);
    return e ? e : one.found ? E_OK : E_NOTFOUND;
}

enum err store_member_accept(struct store *st, int64_t member_id, const char *token_hash,
                             int64_t user_id, double now, struct arena *a, struct store_member *out)
{
    ORGS_ENTER(st);
    ORGS_CHECK(token_hash && *token_hash && user_id > 0 && a && out);
    struct orgs_invite w = {.o = st->ops->orgs, .a = a, .out = out};
    p_int(&w.p, member_id);
    p_text(&w.p, token_hash);
    p_int(&w.p, user_id);
    p_real(&w.p, now);
    return st->ops->orgs->with_conn(st, true, orgs_accept_work, &w);
}

static enum err orgs_fill_invitation(struct orgs_out *out, const struct store_q_row *r, void *dst)
{
    struct store_invitation *inv = dst;
    enum err e = orgs_fill_member(out, r, &inv->member);
    inv->has_account = out->o->col_bool(r, 10);
    if (!e)
        e = orgs_text(out, r, 7, &inv->token_hash);
    if (!e)
        e = orgs_text(out, r, 8, &inv->org_slug);
    return e ? e : orgs_text(out, r, 9, &inv->org_name);
}

enum err store_invitation_get(struct store *st, struct arena *a, int64_t member_id, double now,
                              struct store_invitation *out)
{
    ORGS_ENTER(st);
    ORGS_CHECK(a && out);
    struct store_q_params p = {0};
    p_int(&p, member_id);
    p_real(&p, now);
    return orgs_one(
        st,
        "SELECT " ORGS_MEMBER_COLS ", m.token_hash, o.slug, o.name, "
        "EXISTS (SELECT 1 FROM users x WHERE lower(x.email) = lower(m.email))" ORGS_MEMBER_FROM
        " JOIN organizations o ON o.id = m.org_id WHERE m.id = $1 AND "
        "m.user_id IS NULL AND m.token_hash IS NOT NULL AND m.expires > $2",
        &p, a, orgs_fill_invitation, out);
}

/* Registration by invitation (store_user_create_invited): $1 email, $2 password hash,
 * $3 now, $4 member id, $5 token hash. */
struct orgs_invited {
    const struct store_orgs_ops *o;
    struct store_q_params p;
    int64_t *user_id;
};

static enum err orgs_invited_work(struct store_q_conn *c, void *ctx)
{
    struct orgs_invited *w = ctx;
    int64_t id = 0;
    struct store_q_params email = {.n = 1, .v = {w->p.v[0]}};
    struct orgs_out taken = {.o = w->o, .fill = orgs_fill_int, .one = &id};
    struct orgs_stmt exists = {"SELECT 1 FROM users WHERE lower(email) = lower(CAST($1 AS TEXT))",
                               &email, &taken, 0};
    enum err e = orgs_stmt_run(c, w->o, &exists);
    if (e || taken.found)
        return e ? e : E_CONFLICT;
    struct orgs_out ids = {.o = w->o, .fill = orgs_fill_int, .one = &id};
    struct orgs_stmt ins = {"INSERT INTO users (email, password_hash, is_superuser, created) "
                            "SELECT m.email, CAST($2 AS TEXT), FALSE, CAST($3 AS DOUBLE PRECISION) "
                            "FROM org_members m WHERE m.id = $4 AND m.user_id IS NULL AND "
                            "m.token_hash = CAST($5 AS TEXT) AND m.expires > $3 AND "
                            "lower(m.email) = lower(CAST($1 AS TEXT)) RETURNING id",
                            &w->p, &ids, 0};
    e = orgs_stmt_run(c, w->o, &ins);
    if (e || !ids.found)
        return e ? e : E_NOTFOUND;
    struct store_q_params acc = {0};
    p_int(&acc, w->p.v[3].i);
    p_text(&acc, w->p.v[4].s);
    p_int(&acc, id);
    struct orgs_stmt upd = {"UPDATE org_members SET user_id = $3, email = NULL, token_hash = NULL, "
                            "expires = NULL WHERE id = $1 AND user_id IS NULL AND token_hash = $2",
                            &acc, NULL, 0};
    e = orgs_stmt_run(c, w->o, &upd);
    if (e || upd.changes == 0)
        return e ? e : E_NOTFOUND;
    *w->user_id = id;
    return E_OK;
}

enum err store_user_create_invited(struct store *st, const char *email, const char *password_hash,
                                   int64_t member_id, const char *token_hash, double now,
                                   int64_t *user_id_out)
{
    ORGS_ENTER(st);
    ORGS_CHECK(email && *email && password_hash && *password_hash && token_hash && *token_hash &&
               user_id_out);
    struct orgs_invited w = {.o = st->ops->orgs, .user_id = user_id_out};
    p_text(&w.p, email);
    p_text(&w.p, password_hash);
    p_real(&w.p, now);
    p_int(&w.p, member_id);
    p_text(&w.p, token_hash);
    return st->ops->orgs->with_conn(st, true, orgs_invited_work, &w);
}

/* A role change or removal that must leave an owner: under the org row's lock, run the
 * write; when it changed nothing, tell a missing member (E_NOTFOUND) from the last owner
 * (E_CONFLICT). */
struct orgs_guarded {
    const struct store_orgs_ops *o;
    const char *sql;
    struct store_q_params p; /* $1 org_id, $2 member_id, … */
};

static enum err orgs_guarded_work(struct store_q_conn *c, void *ctx)
{
    struct orgs_guarded *w = ctx;
    struct store_q_params org = {.n = 1, .v = {w->p.v[0]}};
    struct store_q_params member = {.n = 2, .v = {w->p.v[0], w->p.v[1]}};
    struct orgs_stmt lock = {"UPDATE organizations SET id = id WHERE id = $1", &org, NULL, 0};
    struct orgs_stmt write = {w->sql, &w->p, NULL, 0};
    int64_t found = 0;
    struct orgs_out one = {.o = w->o, .fill = orgs_fill_int, .one = &found};
    struct orgs_stmt exists = {"SELECT 1 FROM org_members WHERE org_id = $1 AND id = $2", &member,
                               &one, 0};
    enum err e = orgs_stmt_run(c, w->o, &lock);
    if (!e && lock.changes == 0)
        return E_NOTFOUND;
    if (!e)
        e = orgs_stmt_run(c, w->o, &write);
    if (e || write.changes > 0)
        return e;
    e = orgs_stmt_run(c, w->o, &exists);
    return e ? e : one.found ? E_CONFLICT : E_NOTFOUND;
}

enum err store_member_set_role(struct store *st, int64_t org_id, int64_t member_id,
                               const char *role)
{
    ORGS_ENTER(st);
    ORGS_CHECK(role && *role);
    struct orgs_guarded w = {
        st->ops->orgs,
        "UPDATE org_members SET role = $3 WHERE org_id = $1 AND id = $2 AND (role <> 'owner' "
        "OR CAST($3 AS TEXT) = 'owner' OR user_id IS NULL OR " ORGS_OWNERS " > 1)",
        {0}};
    p_int(&w.p, org_id);
    p_int(&w.p, member_id);
    p_text(&w.p, role);
    return st->ops->orgs->with_conn(st, true, orgs_guarded_work, &w);
}

enum err store_member_delete(struct store *st, int64_t org_id, int64_t member_id)
{
    ORGS_ENTER(st);
    struct orgs_guarded w = {st->ops->orgs,
                             "DELETE FROM org_members WHERE org_id = $1 AND id = $2 AND (role <> "
                             "'owner' OR user_id IS NULL OR " ORGS_OWNERS " > 1)",
                             {0}};
    p_int(&w.p, org_id);
    p_int(&w.p, member_id);
    return st->ops->orgs->with_conn(st, true, orgs_guarded_work, &w);
}

/* ---- teams --------------------------------------------------------------------------------- */

enum err store_team_update(struct store *st, int64_t team_id, const char *name, const char *slug)
{
    ORGS_ENTER(st);
    struct store_q_params p = {0};
    p_int(&p, team_id);
    p_text(&p, name);
    p_text(&p, slug);
    return orgs_change(st,
                       "UPDATE teams SET name = coalesce(CAST($2 AS TEXT), name), "
                       "slug = coalesce(CAST($3 AS TEXT), slug) WHERE id = $1",
                       &p, E_NOTFOUND);
}

enum err store_team_delete(struct store *st, int64_t team_id)
{
    ORGS_ENTER(st);
    struct store_q_params p = {0};
    p_int(&p, team_id);
    return orgs_change(st, "DELETE FROM teams WHERE id = $1", &p, E_NOTFOUND);
}

enum err store_team_members(struct store *st, struct arena *a, int64_t team_id,
                            struct store_member **rows, size_t *n)
{
    ORGS_ENTER(st);
    ORGS_CHECK(a && rows && n);
    struct store_q_params p = {0};
    p_int(&p, team_id);
    return orgs_list(st,
                     "SELECT " ORGS_MEMBER_COLS ORGS_MEMBER_FROM
                     " JOIN team_members tm ON tm.member_id = m.id WHERE tm.team_id = $1 "
                     "ORDER BY m.id LIMIT $2",
                     &p, a, orgs_fill_member, sizeof **rows, (void **)rows, n);
}

enum err store_team_member_add(struct store *st, int64_t team_id, int64_t member_id)
{
    ORGS_ENTER(st);
    struct store_q_params p = {0};
    p_int(&p, team_id);
    p_int(&p, member_id);
    return orgs_change(st,
                       "INSERT INTO team_members (team_id, member_id) SELECT t.id, m.id "
                       "FROM teams t JOIN org_members m ON m.org_id = t.org_id "
                       "WHERE t.id = $1 AND m.id = $2",
                       &p, E_NOTFOUND);
}

enum err store_team_member_remove(struct store *st, int64_t team_id, int64_t member_id)
{
    ORGS_ENTER(st);
    struct store_q_params p = {0};
    p_int(&p, team_id);
    p_int(&p, member_id);
    return orgs_change(st, "DELETE FROM team_members WHERE team_id = $1 AND member_id = $2", &p,
                       E_NOTFOUND);
}

enum err store_team_projects(struct store *st, struct arena *a, int64_t team_id,
                             struct store_project **rows, size_t *n)
{
    ORGS_ENTER(st);
    ORGS_CHECK(a && rows && n);
    struct store_q_params p = {0};
    p_int(&p, team_id);
    return orgs_list(st,
                     "SELECT " ORGS_PROJECT_COLS " FROM project_teams pt "
                     "JOIN projects p ON p.id = pt.project_id "
                     "JOIN organizations o ON o.id = p.org_id WHERE pt.team_id = $1 "
                     "ORDER BY p.slug LIMIT $2",
                     &p, a, orgs_fill_project, sizeof **rows, (void **)rows, n);
}

/* A count(*) query's result as a yes/no. */
static enum err orgs_exists(struct store *st, const char *sql, struct store_q_params *p, bool *yes)
{
    int64_t count = 0;
    enum err e = orgs_one(st, sql, p, NULL, orgs_fill_int, &count);
    *yes = !e && count > 0;
    return e;
}

enum err store_user_on_team(struct store *st, int64_t team_id, int64_t user_id, bool *yes)
{
    ORGS_ENTER(st);
    ORGS_CHECK(yes);
    struct store_q_params p = {0};
    p_int(&p, team_id);
    p_int(&p, user_id);
    return orgs_exists(st,
                       "SELECT count(*) FROM team_members tm JOIN org_members m "
                       "ON m.id = tm.member_id WHERE tm.team_id = $1 AND m.user_id = $2",
                       &p, yes);
}

enum err store_user_on_project(struct store *st, int64_t project_id, int64_t user_id, bool *yes)
{
    ORGS_ENTER(st);
    ORGS_CHECK(yes);
    struct store_q_params p = {0};
    p_int(&p, project_id);
    p_int(&p, user_id);
    return orgs_exists(st,
                       "SELECT count(*) FROM project_teams pt "
                       "JOIN team_members tm ON tm.team_id = pt.team_id "
                       "JOIN org_members m ON m.id = tm.member_id "
                       "WHERE pt.project_id = $1 AND m.user_id = $2",
                       &p, yes);
}

/* ---- projects ------------------------------------------------------------------------------ */

enum err store_project_teams(struct store *st, struct arena *a, int64_t project_id,
                             struct store_team **rows, size_t *n)
{
    ORGS_ENTER(st);
    ORGS_CHECK(a && rows && n);
    struct store_q_params p = {0};
    p_int(&p, project_id);
    return orgs_list(st,
                     "SELECT " ORGS_TEAM_COLS " FROM project_teams pt JOIN teams t "
                     "ON t.id = pt.team_id WHERE pt.project_id = $1 ORDER BY t.slug LIMIT $2",
                     &p, a, orgs_fill_team, sizeof **rows, (void **)rows, n);
}

enum err store_project_team_add(struct store *st, int64_t project_id, int64_t team_id)
{
    ORGS_ENTER(st);
    struct store_q_params p = {0};
    p_int(&p, project_id);
    p_int(&p, team_id);
    return orgs_change(st,
                       "INSERT INTO project_teams (project_id, team_id) SELECT p.id, t.id "
                       "FROM projects p JOIN teams t ON t.org_id = p.org_id "
                       "WHERE p.id = $1 AND t.id = $2",
                       &p, E_NOTFOUND);
}

enum err store_project_team_remove(struct store *st, int64_t project_id, int64_t team_id)
{
    ORGS_ENTER(st);
    struct store_q_params p = {0};
    p_int(&p, project_id);
    p_int(&p, team_id);
    return orgs_change(st, "DELETE FROM project_teams WHERE project_id = $1 AND team_id = $2", &p,
                       E_NOTFOUND);
}

enum err store_project_update(struct store *st, int64_t project_id,
                              const struct store_project_update *u)
{
    ORGS_ENTER(st);
    ORGS_CHECK(u);
    struct store_q_params p = {0};
    p_int(&p, project_id);
    p_text(&p, u->name);
    p_text(&p, u->slug);
    p_int(&p, u->set_platform);
    p_text(&p, u->platform);
    p_text(&p, u->settings_json);
    return orgs_change(st,
                       "UPDATE projects SET name = coalesce(CAST($2 AS TEXT), name), "
                       "slug = coalesce(CAST($3 AS TEXT), slug), "
                       "platform = CASE WHEN CAST($4 AS INTEGER) = 1 THEN CAST($5 AS TEXT) "
                       "ELSE platform END, "
                       "settings = coalesce(CAST($6 AS TEXT), settings) WHERE id = $1",
                       &p, E_NOTFOUND);
}

enum err store_project_settings(struct store *st, struct arena *a, int64_t project_id,
                                const char **json)
{
    ORGS_ENTER(st);
    ORGS_CHECK(a && json);
    struct store_q_params p = {0};
    p_int(&p, project_id);
    return orgs_one(st, "SELECT settings FROM projects WHERE id = $1", &p, a, orgs_fill_text, json);
}

enum err store_project_delete(struct store *st, int64_t project_id)
{
    ORGS_ENTER(st);
    struct store_q_params p = {0};
    p_int(&p, project_id);
    return orgs_change(st, "DELETE FROM projects WHERE id = $1", &p, E_NOTFOUND);
}

/* ---- keys ---------------------------------------------------------------------------------- */

enum err store_key_update(struct store *st, int64_t key_id, const struct store_key_update *u)
{
    ORGS_ENTER(st);
    ORGS_CHECK(u && u->active >= -1 && u->active <= 1 && u->rate_window >= 0 && u->rate_count >= 0);
    struct store_q_params p = {0};
    p_int(&p, key_id);
    p_text(&p, u->label);
    p_int(&p, u->active);
    p_int(&p, u->set_rate);
    p_int(&p, u->rate_window);
    p_int(&p, u->rate_count);
    return orgs_change(st,
                       "UPDATE project_keys SET label = coalesce(CAST($2 AS TEXT), label), "
                       "active = CASE WHEN CAST($3 AS INTEGER) < 0 THEN active "
                       "ELSE CAST($3 AS INTEGER) = 1 END, "
                       "rate_window = CASE WHEN CAST($4 AS INTEGER) = 1 "
                       "THEN CAST($5 AS INTEGER) ELSE rate_window END, "
                       "rate_count = CASE WHEN CAST($4 AS INTEGER) = 1 "
                       "THEN CAST($6 AS INTEGER) ELSE rate_count END WHERE id = $1",
                       &p, E_NOTFOUND);
}

enum err store_key_delete(struct store *st, int64_t key_id)
{
    ORGS_ENTER(st);
    struct store_q_params p = {0};
    p_int(&p, key_id);
    return orgs_change(st, "DELETE FROM project_keys WHERE id = $1", &p, E_NOTFOUND);
}

struct orgs_rotate {
    const struct store_orgs_ops *o;
    struct store_q_params p; /* $1 old key id, $2 new public key, $3 now */
    struct arena *a;
    struct store_key *out;
};

static enum err orgs_rotate_work(struct store_q_conn *c, void *ctx)
{
    struct orgs_rotate *w = ctx;
    struct orgs_out one = {.o = w->o, .a = w->a, .fill = orgs_fill_key, .one = w->out};
    struct store_q_params old = {.n = 1, .v = {w->p.v[0]}};
    struct orgs_stmt ins = {
        "INSERT INTO project_keys (project_id, public_key, label, active, created, rate_window, "
        "rate_count) SELECT project_id, CAST($2 AS TEXT), label, TRUE, "
        "CAST($3 AS DOUBLE PRECISION), rate_window, rate_count FROM project_keys WHERE id = $1 "
        "RETURNING id, project_id, public_key, label, active, created, rate_window, rate_count",
        &w->p, &one, 0};
    struct orgs_stmt off = {"UPDATE project_keys SET active = FALSE WHERE id = $1", &old, NULL, 0};
    enum err e = orgs_stmt_run(c, w->o, &ins);
    if (!e && !one.found)
        e = E_NOTFOUND;
    return e ? e : orgs_stmt_run(c, w->o, &off);
}

enum err store_key_rotate(struct store *st, int64_t key_id, const char *new_public_key,
                          struct arena *a, struct store_key *out)
{
    ORGS_ENTER(st);
    ORGS_CHECK(new_public_key && strlen(new_public_key) == 32 && a && out);
    struct orgs_rotate w = {.o = st->ops->orgs, .a = a, .out = out};
    p_int(&w.p, key_id);
    p_text(&w.p, new_public_key);
    p_real(&w.p, clock_now());
    return st->ops->orgs->with_conn(st, true, orgs_rotate_work, &w);
}
