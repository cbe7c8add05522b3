/* store_password_reset: the password-reset links of users (0007_password_resets) — one live
 * link per user, written once as portable SQL over the query driver (store_issues_int.h).
 * Using a link is one transaction that deletes the link first, so two concurrent uses of one
 * token (even on two nodes) cannot both succeed. */
#include "store/store_issues_int.h"

enum err store_password_reset_create(struct store *st, int64_t user_id, const char *token_hash,
                                     double now, double expires)
{
    SI_ENTER(st);
    SI_CHECK(user_id > 0 && token_hash && *token_hash && expires > now);
    struct store_q_params p = {0};
    si_p_int(&p, user_id);
    si_p_text(&p, token_hash);
    si_p_real(&p, now);
    si_p_real(&p, expires);
    return si_exec(st,
                   "INSERT INTO password_resets (user_id, token_hash, created, expires) "
                   "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET "
                   "token_hash = excluded.token_hash, created = excluded.created, "
                   "expires = excluded.expires",
                   &p, NULL, NULL);
}

struct pr_use {
    const struct store_orgs_ops *o;
    struct store_q_params link, pass, user;
};

static enum err pr_use_work(struct store_q_conn *c, void *ctx)
{
    struct pr_use *w = ctx;
    int64_t changes = 0;
    enum err e = si_run(c, w->o,
                        "DELETE FROM password_resets WHERE user_id = $1 AND token_hash = $2 "
                        "AND expires > $3",
                        &w->link, NULL, &changes);
    if (!e && changes != 1)
        return E_NOTFOUND;
    if (!e)
        e = si_run(c, w->o, "UPDATE users SET password_hash = $2 WHERE id = $1", &w->pass, NULL,
                   &changes);
    if (!e && changes != 1)
        return E_NOTFOUND;
    return e ? e : si_run(c, w->o, "DELETE FROM sessions WHERE user_id = $1", &w->user, NULL, NULL);
}

enum err store_password_reset_use(struct store *st, int64_t user_id, const char *token_hash,
                                  double now, const char *password_hash)
{
    SI_ENTER(st);
    SI_CHECK(user_id > 0 && token_hash && *token_hash && password_hash && *password_hash);
    struct pr_use w = {.o = st->ops->orgs};
    si_p_int(&w.link, user_id);
    si_p_text(&w.link, token_hash);
    si_p_real(&w.link, now);
    si_p_int(&w.pass, user_id);
    si_p_text(&w.pass, password_hash);
    si_p_int(&w.user, user_id);
    return st->ops->orgs->with_conn(st, true, pr_use_work, &w);
}
