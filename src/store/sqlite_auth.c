/* sqlite_auth: the SQLite backend's accounts operations (store_auth_int.h) — the first-run
 * superuser, sign-in sessions, two-factor secrets and recovery codes, API token management
 * and the organization 2FA flag. The statements are prepared per call (they run a few times
 * per sign-in, not per event) so that they stay out of sqlite.c's shared statement table;
 * values are always bound. Writes go through pool connections and autocommit, except
 * enabling 2FA, which is one transaction. */
#include "store/sqlite_int.h"
#include "store/store_auth_int.h"

#include "core/clock.h"

#define SQA_USER_COLS "u.id, u.email, u.password_hash, u.is_superuser, u.created"

/* Prepares sql on c for this call only (sq_done() finalizes it). */
static enum err sqa_prep(struct sq_conn *c, const char *sql, struct sq_q *q)
{
    *q = (struct sq_q){.db = c->db, .next = 1, .rc = SQLITE_OK, .owned = true};
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &q->s, NULL);
    return rc == SQLITE_OK ? E_OK : sq_err(c->db, rc, NULL, "prepare");
}

/* Runs a write on a pool connection; *changes (may be NULL) gets the rows changed. The
 * binder fills the parameters from ctx. */
typedef void (*sqa_bind_fn)(struct sq_q *q, const void *ctx);

static enum err sqa_write(struct store *st, const char *sql, sqa_bind_fn bind, const void *ctx,
                          int *changes)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sqa_prep(c, sql, &q);
    if (!e) {
        bind(&q, ctx);
        e = sq_run(&q, NULL, "accounts write", changes);
    }
    sq_release(s, c);
    return e;
}

/* A write that must change at least one row: else `none`. */
static enum err sqa_change(struct store *st, const char *sql, sqa_bind_fn bind, const void *ctx,
                           enum err none)
{
    int changes = 0;
    enum err e = sqa_write(st, sql, bind, ctx, &changes);
    return e ? e : changes > 0 ? E_OK : none;
}

/* ---- parameter binders --------------------------------------------------------------- */

struct sqa_args {
    int64_t i1, i2;
    const char *t1, *t2, *t3;
    double r1;
};

static void sqa_bind_i1(struct sq_q *q, const void *ctx)
{
    sq_int(q, ((const struct sqa_args *)ctx)->i1);
}

static void sqa_bind_i1_i2(struct sq_q *q, const void *ctx)
{
    const struct sqa_args *a = ctx;
    sq_int(q, a->i1);
    sq_int(q, a->i2);
}

static void sqa_bind_i1_t1(struct sq_q *q, const void *ctx)
{
    const struct sqa_args *a = ctx;
    sq_int(q, a->i1);
    sq_text(q, a->t1);
}

static void sqa_bind_t1(struct sq_q *q, const void *ctx)
{
    sq_text(q, ((const struct sqa_args *)ctx)->t1);
}

/* ---- first run ------------------------------------------------------------------------- */

static void sqa_bind_first(struct sq_q *q, const void *ctx)
{
    const struct sqa_args *a = ctx;
    sq_text(q, a->t1);
    sq_text(q, a->t2);
    sq_real(q, a->r1);
}

/* One statement: SQLite runs it under the database write lock, so two first runs cannot
 * both see an empty table. */
static enum err sqa_user_create_first(struct store *st, const char *email,
                                      const char *password_hash, int64_t *id_out,
                                      struct errinfo *ei)
{
    struct sqa_args a = {.t1 = email, .t2 = password_hash, .r1 = clock_now()};
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    int changes = 0;
    enum err e = sqa_prep(c,
                          "INSERT INTO users (email, password_hash, is_superuser, created) "
                          "SELECT ?, ?, 1, ? WHERE NOT EXISTS (SELECT 1 FROM users)",
                          &q);
    if (!e) {
        sqa_bind_first(&q, &a);
        e = sq_run(&q, ei, "create first user", &changes);
    }
    if (!e && changes == 0)
        e = errinfo_set(ei, E_CONFLICT, "a user already exists");
    if (!e && id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    sq_release(s, c);
    return e;
}

/* ---- sessions ---------------------------------------------------------------------------- */

static void sqa_bind_session(struct sq_q *q, const void *ctx)
{
    const struct sqa_args *a = ctx;
    sq_text(q, a->t1);
    sq_int(q, a->i1);
    sq_int(q, a->i2);
    sq_real(q, clock_now());
    sq_real(q, a->r1);
    sq_text(q, a->t2);
    sq_text(q, a->t3);
}

static void sqa_bind_prune(struct sq_q *q, const void *ctx)
{
    const struct sqa_args *a = ctx;
    sq_int(q, a->i1);
    sq_real(q, a->r1);
}

static enum err sqa_session_create(struct store *st, const char *id_hash, int64_t user_id,
                                   bool pending_2fa, double expires, const char *user_agent,
                                   const char *ip)
{
    struct sqa_args prune = {.i1 = user_id, .r1 = clock_now()};
    enum err e = sqa_write(st, "DELETE FROM sessions WHERE user_id = ? AND expires <= ?",
                           sqa_bind_prune, &prune, NULL);
    struct sqa_args a = {
        .t1 = id_hash, .i1 = user_id, .i2 = pending_2fa, .r1 = expires, .t2 = user_agent, .t3 = ip};
    if (!e)
        e = sqa_write(st,
                      "INSERT INTO sessions (id_hash, user_id, pending_2fa, created, expires, "
                      "last_seen, user_agent, ip) VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?6, ?7)",
                      sqa_bind_session, &a, NULL);
    return e;
}

struct sqa_session_row {
    struct store_session *s;
    struct store_user *u;
};

static void sqa_fill_session(struct sq_row *r, void *out)
{
    struct sqa_session_row *o = out;
    sq_fill_user(r, o->u);
    o->s->user_id = o->u->id;
    o->s->pending_2fa = sq_col_int(r, 5) != 0;
    o->s->created = sq_col_real(r, 6);
    o->s->expires = sq_col_real(r, 7);
    o->s->last_seen = sq_col_real(r, 8);
}

static enum err sqa_session_lookup(struct store *st, struct arena *a, const char *id_hash,
                                   double now, struct store_session *s_out,
                                   struct store_user *user_out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    struct sqa_session_row row = {s_out, user_out};
    enum err e = sqa_prep(c,
                          "SELECT " SQA_USER_COLS ", s.pending_2fa, s.created, s.expires, "
                          "s.last_seen FROM sessions s JOIN users u ON u.id = s.user_id "
                          "WHERE s.id_hash = ? AND s.expires > ?",
                          &q);
    if (!e) {
        sq_text(&q, id_hash);
        sq_real(&q, now);
        e = sq_one(&q, a, sqa_fill_session, &row);
    }
    sq_release(s, c);
    return e;
}

static enum err sqa_session_delete(struct store *st, const char *id_hash)
{
    struct sqa_args a = {.t1 = id_hash};
    return sqa_change(st, "DELETE FROM sessions WHERE id_hash = ?", sqa_bind_t1, &a, E_NOTFOUND);
}

static enum err sqa_session_delete_user(struct store *st, int64_t user_id, const char *keep_hash)
{
    struct sqa_args a = {.i1 = user_id, .t1 = keep_hash};
    return sqa_write(st, "DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?", sqa_bind_i1_t1,
                     &a, NULL);
}

/* ---- two-factor ------------------------------------------------------------------------ */

static void sqa_fill_totp(struct sq_row *r, void *out)
{
    struct store_totp *t = out;
    t->secret = sq_col_text(r, 0);
    t->enabled = sq_col_int(r, 1) != 0;
    t->last_step = sq_col_int(r, 2);
}

static enum err sqa_totp_get(struct store *st, struct arena *a, int64_t user_id,
                             struct store_totp *out)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e =
        sqa_prep(c, "SELECT secret, enabled, last_step FROM user_totp WHERE user_id = ?", &q);
    if (!e) {
        sq_int(&q, user_id);
        e = sq_one(&q, a, sqa_fill_totp, out);
    }
    sq_release(s, c);
    return e;
}

static void sqa_bind_begin(struct sq_q *q, const void *ctx)
{
    const struct sqa_args *a = ctx;
    sq_int(q, a->i1);
    sq_text(q, a->t1);
    sq_real(q, clock_now());
}

static enum err sqa_totp_begin(struct store *st, int64_t user_id, const char *secret)
{
    struct sqa_args a = {.i1 = user_id, .t1 = secret};
    return sqa_change(st,
                      "INSERT INTO user_totp (user_id, secret, enabled, last_step, created) "
                      "VALUES (?, ?, 0, -1, ?) ON CONFLICT (user_id) DO UPDATE SET "
                      "secret = excluded.secret, last_step = -1, created = excluded.created "
                      "WHERE user_totp.enabled = 0",
                      sqa_bind_begin, &a, E_CONFLICT);
}

/* Runs sql with (i1, i2 or t1 per bind) on c inside the caller's transaction. */
static enum err sqa_exec_on(struct sq_conn *c, const char *sql, sqa_bind_fn bind,
                            const struct sqa_args *a, int *changes)
{
    struct sq_q q;
    enum err e = sqa_prep(c, sql, &q);
    if (e)
        return e;
    bind(&q, a);
    return sq_run(&q, NULL, "enable two-factor", changes);
}

static enum err sqa_totp_enable_tx(struct sq_conn *c, int64_t user_id, int64_t step,
                                   const char *const *hashes, size_t n)
{
    struct sqa_args a = {.i1 = step, .i2 = user_id};
    int changes = 0;
    enum err e = sqa_exec_on(c,
                             "UPDATE user_totp SET enabled = 1, last_step = ? "
                             "WHERE user_id = ? AND enabled = 0",
                             sqa_bind_i1_i2, &a, &changes);
    if (!e && changes == 0)
        e = E_CONFLICT;
    a.i1 = user_id;
    if (!e)
        e = sqa_exec_on(c, "DELETE FROM recovery_codes WHERE user_id = ?", sqa_bind_i1, &a, NULL);
    for (size_t i = 0; i < n && !e; i++) {
        a.t1 = hashes[i];
        e = sqa_exec_on(c, "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)",
                        sqa_bind_i1_t1, &a, NULL);
    }
    return e;
}

static enum err sqa_totp_enable(struct store *st, int64_t user_id, int64_t step,
                                const char *const *recovery_hashes, size_t n)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    enum err e = sq_begin(c, NULL);
    if (!e) {
        e = sqa_totp_enable_tx(c, user_id, step, recovery_hashes, n);
        e = sq_finish(c, e, NULL);
    }
    sq_release(s, c);
    return e;
}

static enum err sqa_totp_use_step(struct store *st, int64_t user_id, int64_t step)
{
    struct sqa_args a = {.i1 = step, .i2 = user_id};
    return sqa_change(st,
                      "UPDATE user_totp SET last_step = ?1 WHERE user_id = ?2 AND last_step < ?1",
                      sqa_bind_i1_i2, &a, E_CONFLICT);
}

static enum err sqa_totp_disable(struct store *st, int64_t user_id)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sqa_args a = {.i1 = user_id};
    int changes = 0;
    enum err e = sq_begin(c, NULL);
    if (e)
        goto out;
    e = sqa_exec_on(c, "DELETE FROM recovery_codes WHERE user_id = ?", sqa_bind_i1, &a, NULL);
    if (!e)
        e = sqa_exec_on(c, "DELETE FROM user_totp WHERE user_id = ?", sqa_bind_i1, &a, &changes);
    if (!e && changes == 0)
        e = E_NOTFOUND;
    e = sq_finish(c, e, NULL);
out:
    sq_release(s, c);
    return e;
}

static enum err sqa_recovery_use(struct store *st, int64_t user_id, const char *code_hash)
{
    struct sqa_args a = {.i1 = user_id, .t1 = code_hash};
    return sqa_change(st, "DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?",
                      sqa_bind_i1_t1, &a, E_NOTFOUND);
}

static int64_t sqa_recovery_count(struct store *st, int64_t user_id)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    int64_t n = -1;
    enum err e = sqa_prep(c, "SELECT count(*) FROM recovery_codes WHERE user_id = ?", &q);
    if (!e) {
        sq_int(&q, user_id);
        e = sq_run_int(&q, NULL, "count recovery codes", &n);
    }
    sq_release(s, c);
    return e ? -1 : n;
}

/* ---- tokens ------------------------------------------------------------------------------ */

static void sqa_fill_token(struct sq_row *r, void *out)
{
    struct store_token *t = out;
    t->id = sq_col_int(r, 0);
    t->label = sq_col_text(r, 1);
    t->scopes = sq_col_text(r, 2);
    t->created = sq_col_real(r, 3);
    t->last_used = sq_col_real(r, 4);
}

static enum err sqa_token_list(struct store *st, struct arena *a, int64_t user_id,
                               struct store_token **rows, size_t *n)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    void *p = NULL;
    enum err e = sqa_prep(c,
                          "SELECT id, label, scopes, created, coalesce(last_used, 0) "
                          "FROM api_tokens WHERE user_id = ? ORDER BY id DESC LIMIT ?",
                          &q);
    if (!e) {
        sq_int(&q, user_id);
        sq_int(&q, STORE_LIST_MAX);
        e = sq_list(&q, a, sqa_fill_token, sizeof **rows, &p, n);
    }
    *rows = p;
    sq_release(s, c);
    return e;
}

static enum err sqa_token_delete(struct store *st, int64_t user_id, int64_t token_id)
{
    struct sqa_args a = {.i1 = token_id, .i2 = user_id};
    return sqa_change(st, "DELETE FROM api_tokens WHERE id = ? AND user_id = ?", sqa_bind_i1_i2, &a,
                      E_NOTFOUND);
}

/* ---- organizations --------------------------------------------------------------------- */

static enum err sqa_org_set_require_2fa(struct store *st, int64_t org_id, bool required)
{
    struct sqa_args a = {.i1 = required, .i2 = org_id};
    return sqa_change(st, "UPDATE organizations SET require_2fa = ? WHERE id = ?", sqa_bind_i1_i2,
                      &a, E_NOTFOUND);
}

static enum err sqa_org_2fa_state(struct store *st, int64_t org_id, int64_t user_id, bool *required,
                                  bool *user_enabled)
{
    struct sq_store *s = sq_of(st);
    struct sq_conn *c = sq_acquire(s);
    struct sq_q q;
    enum err e = sqa_prep(c,
                          "SELECT o.require_2fa, coalesce((SELECT t.enabled FROM user_totp t "
                          "WHERE t.user_id = ?), 0) FROM organizations o WHERE o.id = ?",
                          &q);
    if (e)
        goto out;
    sq_int(&q, user_id);
    sq_int(&q, org_id);
    int rc = sq_step(&q);
    if (rc == SQLITE_ROW) {
        *required = sqlite3_column_int64(q.s, 0) != 0;
        *user_enabled = sqlite3_column_int64(q.s, 1) != 0;
    } else {
        e = rc == SQLITE_DONE ? E_NOTFOUND : sq_err(c->db, rc, NULL, "org 2fa state");
    }
    sq_done(&q);
out:
    sq_release(s, c);
    return e;
}

const struct store_auth_ops sq_auth_ops = {
    .user_create_first = sqa_user_create_first,
    .session_create = sqa_session_create,
    .session_lookup = sqa_session_lookup,
    .session_delete = sqa_session_delete,
    .session_delete_user = sqa_session_delete_user,
    .totp_get = sqa_totp_get,
    .totp_begin = sqa_totp_begin,
    .totp_enable = sqa_totp_enable,
    .totp_use_step = sqa_totp_use_step,
    .totp_disable = sqa_totp_disable,
    .recovery_use = sqa_recovery_use,
    .recovery_count = sqa_recovery_count,
    .token_list = sqa_token_list,
    .token_delete = sqa_token_delete,
    .org_set_require_2fa = sqa_org_set_require_2fa,
    .org_2fa_state = sqa_org_2fa_state,
};
