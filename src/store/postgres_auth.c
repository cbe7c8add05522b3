/* postgres_auth: the PostgreSQL backend's accounts operations (store_auth_int.h) — the
 * first-run superuser, sign-in sessions, two-factor secrets and recovery codes, API token
 * management and the organization 2FA flag. The SQL is sent per call with its parameters
 * (PQexecParams: one round trip, like a prepared statement) so that it stays out of the
 * shared statement table. Single statements autocommit; the first-run insert and enabling
 * 2FA are transactions. */
#include "store/postgres_int.h"
#include "store/store_auth_int.h"

#include "core/clock.h"

#define PGA_USER_COLS "u.id, u.email, u.password_hash, u.is_superuser, u.created"
/* pg_advisory_xact_lock key serialising first-run sign-ups ("snag-1st" as an int64). */
#define PGA_FIRST_RUN_LOCK "8317692657571017076"

/* Runs sql with p on a pool connection; *res (may be NULL) gets the result. */
static enum err pga_exec(struct store *st, const char *sql, const struct pg_params *p,
                         PGresult **res, struct errinfo *ei)
{
    struct pg_store *s = pg_of(st);
    struct pg_conn *c = NULL;
    enum err e = pg_acquire(s, &c, ei);
    if (e)
        return e;
    e = pg_exec_sql(c, sql, p, res, ei);
    pg_release(s, c);
    return e;
}

/* A write that must change at least one row: else `none`. */
static enum err pga_change(struct store *st, const char *sql, const struct pg_params *p,
                           enum err none)
{
    PGresult *res = NULL;
    enum err e = pga_exec(st, sql, p, &res, NULL);
    if (e)
        return e;
    int64_t changes = pg_res_changes(res);
    PQclear(res);
    return changes > 0 ? E_OK : none;
}

/* The first row of a query into out (E_NOTFOUND when none). */
static enum err pga_one(struct store *st, const char *sql, const struct pg_params *p,
                        struct arena *a, pg_fill_fn fill, void *out)
{
    PGresult *res = NULL;
    enum err e = pga_exec(st, sql, p, &res, NULL);
    return e ? e : pg_one(res, a, fill, out);
}

/* ---- first run ------------------------------------------------------------------------- */

/* Under a transaction-level advisory lock, so that two nodes' first runs are serialised and
 * the second one's NOT EXISTS (a fresh snapshot in READ COMMITTED) sees the first user. */
static enum err pga_first_tx(struct pg_conn *c, const struct pg_params *p, int64_t *id_out,
                             struct errinfo *ei)
{
    PGresult *res = NULL;
    enum err e =
        pg_exec_sql(c, "SELECT pg_advisory_xact_lock(" PGA_FIRST_RUN_LOCK ")", NULL, NULL, ei);
    if (!e)
        e = pg_exec_sql(c,
                        "INSERT INTO users (email, password_hash, is_superuser, created) "
                        "SELECT $1, $2, true, $3 WHERE NOT EXISTS (SELECT 1 FROM users) "
                        "RETURNING id",
                        p, &res, ei);
    if (e)
        return e;
    if (PQntuples(res) == 0)
        e = errinfo_set(ei, E_CONFLICT, "a user already exists");
    else if (id_out)
        *id_out = pg_res_int(res, 0, 0);
    PQclear(res);
    return e;
}

static enum err pga_user_create_first(struct store *st, const char *email,
                                      const char *password_hash, int64_t *id_out,
                                      struct errinfo *ei)
{
    struct pg_store *s = pg_of(st);
    struct pg_params p = {.n = 0};
    pg_p_text(&p, email);
    pg_p_text(&p, password_hash);
    pg_p_real(&p, clock_now());
    struct pg_conn *c = NULL;
    enum err e = pg_acquire(s, &c, ei);
    if (e)
        return e;
    e = pg_begin(c, ei);
    if (!e)
        e = pg_finish(c, pga_first_tx(c, &p, id_out, ei), ei);
    pg_release(s, c);
    return e;
}

/* ---- sessions ---------------------------------------------------------------------------- */

static enum err pga_session_create(struct store *st, const char *id_hash, int64_t user_id,
                                   bool pending_2fa, double expires, const char *user_agent,
                                   const char *ip)
{
    double now = clock_now();
    struct pg_params p = {.n = 0};
    pg_p_text(&p, id_hash);
    pg_p_int(&p, user_id);
    pg_p_bool(&p, pending_2fa);
    pg_p_real(&p, now);
    pg_p_real(&p, expires);
    pg_p_text(&p, user_agent);
    pg_p_text(&p, ip);
    /* one statement: prune the user's expired sessions and add the new one */
    return pga_exec(st,
                    "WITH pruned AS (DELETE FROM sessions WHERE user_id = $2 AND expires <= $4) "
                    "INSERT INTO sessions (id_hash, user_id, pending_2fa, created, expires, "
                    "last_seen, user_agent, ip) VALUES ($1, $2, $3, $4, $5, $4, $6, $7)",
                    &p, NULL, NULL);
}

struct pga_session_row {
    struct store_session *s;
    struct store_user *u;
};

static void pga_fill_session(struct pg_row *r, void *out)
{
    struct pga_session_row *o = out;
    o->u->id = pg_col_int(r, 0);
    o->u->email = pg_col_text(r, 1);
    o->u->password_hash = pg_col_text(r, 2);
    o->u->is_superuser = pg_col_bool(r, 3);
    o->u->created = pg_col_real(r, 4);
    o->s->user_id = o->u->id;
    o->s->pending_2fa = pg_col_bool(r, 5);
    o->s->created = pg_col_real(r, 6);
    o->s->expires = pg_col_real(r, 7);
    o->s->last_seen = pg_col_real(r, 8);
}

static enum err pga_session_lookup(struct store *st, struct arena *a, const char *id_hash,
                                   double now, struct store_session *s_out,
                                   struct store_user *user_out)
{
    struct pg_params p = {.n = 0};
    pg_p_text(&p, id_hash);
    pg_p_real(&p, now);
    struct pga_session_row row = {s_out, user_out};
    return pga_one(st,
                   "SELECT " PGA_USER_COLS ", s.pending_2fa, s.created, s.expires, s.last_seen "
                   "FROM sessions s JOIN users u ON u.id = s.user_id "
                   "WHERE s.id_hash = $1 AND s.expires > $2",
                   &p, a, pga_fill_session, &row);
}

static enum err pga_session_delete(struct store *st, const char *id_hash)
{
    struct pg_params p = {.n = 0};
    pg_p_text(&p, id_hash);
    return pga_change(st, "DELETE FROM sessions WHERE id_hash = $1", &p, E_NOTFOUND);
}

static enum err pga_session_delete_user(struct store *st, int64_t user_id, const char *keep_hash)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, user_id);
    pg_p_text(&p, keep_hash);
    return pga_exec(st, "DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2", &p, NULL,
                    NULL);
}

/* ---- two-factor ------------------------------------------------------------------------ */

static void pga_fill_totp(struct pg_row *r, void *out)
{
    struct store_totp *t = out;
    t->secret = pg_col_text(r, 0);
    t->enabled = pg_col_bool(r, 1);
    t->last_step = pg_col_int(r, 2);
}

static enum err pga_totp_get(struct store *st, struct arena *a, int64_t user_id,
                             struct store_totp *out)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, user_id);
    return pga_one(st, "SELECT secret, enabled, last_step FROM user_totp WHERE user_id = $1", &p, a,
                   pga_fill_totp, out);
}

static enum err pga_totp_begin(struct store *st, int64_t user_id, const char *secret)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, user_id);
    pg_p_text(&p, secret);
    pg_p_real(&p, clock_now());
    return pga_change(st,
                      "INSERT INTO user_totp (user_id, secret, enabled, last_step, created) "
                      "VALUES ($1, $2, false, -1, $3) ON CONFLICT (user_id) DO UPDATE SET "
                      "secret = excluded.secret, last_step = -1, created = excluded.created "
                      "WHERE user_totp.enabled = false",
                      &p, E_CONFLICT);
}

/* One statement does it all: enable (only a pending enrolment), then replace the codes;
 * the data-modifying CTEs see the same snapshot, so the codes are inserted only when the
 * update matched. */
static enum err pga_totp_enable(struct store *st, int64_t user_id, int64_t step,
                                const char *const *recovery_hashes, size_t n)
{
    struct pg_params p = {.n = 0};
    struct pg_array arr;
    pg_array_init(&arr, PG_OID_TEXT);
    for (size_t i = 0; i < n; i++)
        pg_array_text(&arr, recovery_hashes[i]);
    pg_p_int(&p, user_id);
    pg_p_int(&p, step);
    enum err e = pg_array_done(&arr, &p);
    if (!e)
        e = pga_change(st,
                       "WITH en AS (UPDATE user_totp SET enabled = true, last_step = $2 "
                       "WHERE user_id = $1 AND enabled = false RETURNING user_id), "
                       "del AS (DELETE FROM recovery_codes WHERE user_id IN (SELECT user_id "
                       "FROM en)), ins AS (INSERT INTO recovery_codes (user_id, code_hash) "
                       "SELECT en.user_id, h FROM en, unnest($3::text[]) AS h) "
                       "SELECT 1 FROM en",
                       &p, E_CONFLICT);
    pg_array_free(&arr);
    return e;
}

static enum err pga_totp_use_step(struct store *st, int64_t user_id, int64_t step)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, step);
    pg_p_int(&p, user_id);
    return pga_change(st,
                      "UPDATE user_totp SET last_step = $1 WHERE user_id = $2 AND last_step < $1",
                      &p, E_CONFLICT);
}

static enum err pga_totp_disable(struct store *st, int64_t user_id)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, user_id);
    return pga_change(st,
                      "WITH codes AS (DELETE FROM recovery_codes WHERE user_id = $1) "
                      "DELETE FROM user_totp WHERE user_id = $1",
                      &p, E_NOTFOUND);
}

static enum err pga_recovery_use(struct store *st, int64_t user_id, const char *code_hash)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, user_id);
    pg_p_text(&p, code_hash);
    return pga_change(st, "DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2", &p,
                      E_NOTFOUND);
}

static int64_t pga_recovery_count(struct store *st, int64_t user_id)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, user_id);
    PGresult *res = NULL;
    if (pga_exec(st, "SELECT count(*) FROM recovery_codes WHERE user_id = $1", &p, &res, NULL))
        return -1;
    int64_t n = PQntuples(res) > 0 ? pg_res_int(res, 0, 0) : -1;
    PQclear(res);
    return n;
}

/* ---- tokens ------------------------------------------------------------------------------ */

static void pga_fill_token(struct pg_row *r, void *out)
{
    struct store_token *t = out;
    t->id = pg_col_int(r, 0);
    t->label = pg_col_text(r, 1);
    t->scopes = pg_col_text(r, 2);
    t->created = pg_col_real(r, 3);
    t->last_used = pg_col_real(r, 4);
}

static enum err pga_token_list(struct store *st, struct arena *a, int64_t user_id,
                               struct store_token **rows, size_t *n)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, user_id);
    pg_p_int(&p, STORE_LIST_MAX);
    PGresult *res = NULL;
    void *out = NULL;
    enum err e = pga_exec(st,
                          "SELECT id, label, scopes, created, coalesce(last_used, 0) "
                          "FROM api_tokens WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
                          &p, &res, NULL);
    if (!e)
        e = pg_list(res, a, pga_fill_token, sizeof **rows, &out, n);
    *rows = out;
    return e;
}

static enum err pga_token_delete(struct store *st, int64_t user_id, int64_t token_id)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, token_id);
    pg_p_int(&p, user_id);
    return pga_change(st, "DELETE FROM api_tokens WHERE id = $1 AND user_id = $2", &p, E_NOTFOUND);
}

/* ---- organizations --------------------------------------------------------------------- */

static enum err pga_org_set_require_2fa(struct store *st, int64_t org_id, bool required)
{
    struct pg_params p = {.n = 0};
    pg_p_bool(&p, required);
    pg_p_int(&p, org_id);
    return pga_change(st, "UPDATE organizations SET require_2fa = $1 WHERE id = $2", &p,
                      E_NOTFOUND);
}

struct pga_2fa_state {
    bool *required, *user_enabled;
};

static void pga_fill_2fa_state(struct pg_row *r, void *out)
{
    struct pga_2fa_state *o = out;
    *o->required = pg_col_bool(r, 0);
    *o->user_enabled = pg_col_bool(r, 1);
}

static enum err pga_org_2fa_state(struct store *st, int64_t org_id, int64_t user_id, bool *required,
                                  bool *user_enabled)
{
    struct pg_params p = {.n = 0};
    pg_p_int(&p, user_id);
    pg_p_int(&p, org_id);
    struct pga_2fa_state o = {required, user_enabled};
    return pga_one(st,
                   "SELECT o.require_2fa, coalesce((SELECT t.enabled FROM user_totp t "
                   "WHERE t.user_id = $1), false) FROM organizations o WHERE o.id = $2",
                   &p, NULL, pga_fill_2fa_state, &o);
}

const struct store_auth_ops pg_auth_ops = {
    .user_create_first = pga_user_create_first,
    .session_create = pga_session_create,
    .session_lookup = pga_session_lookup,
    .session_delete = pga_session_delete,
    .session_delete_user = pga_session_delete_user,
    .totp_get = pga_totp_get,
    .totp_begin = pga_totp_begin,
    .totp_enable = pga_totp_enable,
    .totp_use_step = pga_totp_use_step,
    .totp_disable = pga_totp_disable,
    .recovery_use = pga_recovery_use,
    .recovery_count = pga_recovery_count,
    .token_list = pga_token_list,
    .token_delete = pga_token_delete,
    .org_set_require_2fa = pga_org_set_require_2fa,
    .org_2fa_state = pga_org_2fa_state,
};
