/* store_sessions: the sign-in sessions a user sees and revokes on the account page — the
 * last-use stamp, the list of live sessions and revoking one by the prefix of its hash.
 * Written once as portable SQL over the query driver (store_issues_int.h); creating, looking
 * up and deleting a session by its cookie stay in the backends' auth files. */
#include "store/store_issues_int.h"

#include <string.h>

/* Live: usable to sign in requests now. */
#define SS_LIVE "user_id = $1 AND expires > $2 AND pending_2fa = FALSE"
#define SS_PREFIX_MIN 16

static bool ss_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

enum err store_session_touch(struct store *st, const char *id_hash, double now)
{
    SI_ENTER(st);
    SI_CHECK(id_hash && *id_hash);
    struct store_q_params p = {0};
    si_p_text(&p, id_hash);
    si_p_real(&p, now);
    return si_exec(st, "UPDATE sessions SET last_seen = $2 WHERE id_hash = $1 AND last_seen < $2",
                   &p, NULL, NULL);
}

static enum err ss_fill(struct si_out *out, const struct store_q_row *r, void *dst)
{
    struct store_session_info *s = dst;
    s->created = out->o->col_real(r, 3);
    s->last_seen = out->o->col_real(r, 4);
    s->expires = out->o->col_real(r, 5);
    enum err e = si_text_col(out, r, 0, &s->id_hash);
    if (!e)
        e = si_text_col(out, r, 1, &s->user_agent);
    return e ? e : si_text_col(out, r, 2, &s->ip);
}

enum err store_session_list(struct store *st, struct arena *a, int64_t user_id, double now,
                            struct store_session_info **rows, size_t *n)
{
    SI_ENTER(st);
    SI_CHECK(a && rows && n);
    struct store_q_params p = {0};
    si_p_int(&p, user_id);
    si_p_real(&p, now);
    return si_list(st, a,
                   "SELECT id_hash, user_agent, ip, created, last_seen, expires FROM sessions "
                   "WHERE " SS_LIVE " ORDER BY last_seen DESC, created DESC, id_hash LIMIT 1000",
                   &p, ss_fill, sizeof **rows, (void **)rows, n);
}

enum err store_session_delete_prefix(struct store *st, int64_t user_id, const char *prefix,
                                     double now)
{
    SI_ENTER(st);
    SI_CHECK(prefix && strlen(prefix) >= SS_PREFIX_MIN && ss_hex(prefix));
    struct store_q_params p = {0};
    si_p_int(&p, user_id);
    si_p_real(&p, now);
    si_p_text(&p, prefix);
    int64_t changes = 0;
    enum err e = si_exec(st,
                         "DELETE FROM sessions WHERE " SS_LIVE
                         " AND substr(id_hash, 1, length(CAST($3 AS TEXT))) = $3",
                         &p, NULL, &changes);
    return e ? e : changes > 0 ? E_OK : E_NOTFOUND;
}
