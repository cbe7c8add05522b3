/* store_auth: the store_*() wrappers of store.h's accounts section (sessions, two-factor,
 * token management, the organization 2FA flag) — argument checks and the fault-injection
 * countdown, then st->ops->auth (store_auth_int.h). */
#include "store/store_auth_int.h"

#include <string.h>

#define AUTH_ENTER(st)                                                                             \
    do {                                                                                           \
        if (!(st))                                                                                 \
            return E_INVALID;                                                                      \
        if (store_fault(st))                                                                       \
            return E_UNAVAILABLE;                                                                  \
    } while (0)

#define AUTH_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return E_INVALID;                                                                      \
    } while (0)

static bool auth_nonempty(const char *s)
{
    return s && *s;
}

enum err store_user_create_first(struct store *st, const char *email, const char *password_hash,
                                 int64_t *id_out, struct errinfo *ei)
{
    AUTH_ENTER(st);
    char folded[STORE_EMAIL_MAX + 1];
    if (!store_email_fold(email, folded) || !password_hash)
        return errinfo_set(ei, E_INVALID, "email and password hash are required");
    return st->ops->auth->user_create_first(st, folded, password_hash, id_out, ei);
}

enum err store_session_create(struct store *st, const char *id_hash, int64_t user_id,
                              bool pending_2fa, double expires, const char *user_agent,
                              const char *ip)
{
    AUTH_ENTER(st);
    AUTH_CHECK(auth_nonempty(id_hash) && user_id > 0);
    return st->ops->auth->session_create(st, id_hash, user_id, pending_2fa, expires, user_agent,
                                         ip);
}

enum err store_session_lookup(struct store *st, struct arena *a, const char *id_hash, double now,
                              struct store_session *s_out, struct store_user *user_out)
{
    AUTH_ENTER(st);
    AUTH_CHECK(a && auth_nonempty(id_hash) && s_out && user_out);
    return st->ops->auth->session_lookup(st, a, id_hash, now, s_out, user_out);
}

enum err store_session_delete(struct store *st, const char *id_hash)
{
    AUTH_ENTER(st);
    AUTH_CHECK(auth_nonempty(id_hash));
    return st->ops->auth->session_delete(st, id_hash);
}

enum err store_session_delete_user(struct store *st, int64_t user_id, const char *keep_hash)
{
    AUTH_ENTER(st);
    return st->ops->auth->session_delete_user(st, user_id, keep_hash ? keep_hash : "");
}

enum err store_totp_get(struct store *st, struct arena *a, int64_t user_id, struct store_totp *out)
{
    AUTH_ENTER(st);
    AUTH_CHECK(a && out);
    return st->ops->auth->totp_get(st, a, user_id, out);
}

enum err store_totp_begin(struct store *st, int64_t user_id, const char *secret)
{
    AUTH_ENTER(st);
    AUTH_CHECK(auth_nonempty(secret));
    return st->ops->auth->totp_begin(st, user_id, secret);
}

enum err store_totp_enable(struct store *st, int64_t user_id, int64_t step,
                           const char *const *recovery_hashes, size_t n)
{
    AUTH_ENTER(st);
    AUTH_CHECK(step >= 0 && n <= STORE_RECOVERY_MAX && (recovery_hashes || n == 0));
    for (size_t i = 0; i < n; i++)
        AUTH_CHECK(auth_nonempty(recovery_hashes[i]));
    return st->ops->auth->totp_enable(st, user_id, step, recovery_hashes, n);
}

enum err store_totp_use_step(struct store *st, int64_t user_id, int64_t step)
{
    AUTH_ENTER(st);
    AUTH_CHECK(step >= 0);
    return st->ops->auth->totp_use_step(st, user_id, step);
}

enum err store_totp_disable(struct store *st, int64_t user_id)
{
    AUTH_ENTER(st);
    return st->ops->auth->totp_disable(st, user_id);
}

enum err store_recovery_use(struct store *st, int64_t user_id, const char *code_hash)
{
    AUTH_ENTER(st);
    AUTH_CHECK(auth_nonempty(code_hash));
    return st->ops->auth->recovery_use(st, user_id, code_hash);
}

int64_t store_recovery_count(struct store *st, int64_t user_id)
{
    if (!st || store_fault(st))
        return -1;
    return st->ops->auth->recovery_count(st, user_id);
}

enum err store_token_list(struct store *st, struct arena *a, int64_t user_id,
                          struct store_token **rows, size_t *n)
{
    AUTH_ENTER(st);
    AUTH_CHECK(a && rows && n);
    *rows = NULL;
    *n = 0;
    return st->ops->auth->token_list(st, a, user_id, rows, n);
}

enum err store_token_delete(struct store *st, int64_t user_id, int64_t token_id)
{
    AUTH_ENTER(st);
    return st->ops->auth->token_delete(st, user_id, token_id);
}

enum err store_org_set_require_2fa(struct store *st, int64_t org_id, bool required)
{
    AUTH_ENTER(st);
    return st->ops->auth->org_set_require_2fa(st, org_id, required);
}

enum err store_org_2fa_state(struct store *st, int64_t org_id, int64_t user_id, bool *required,
                             bool *user_enabled)
{
    AUTH_ENTER(st);
    AUTH_CHECK(required && user_enabled);
    *required = *user_enabled = false;
    return st->ops->auth->org_2fa_state(st, org_id, user_id, required, user_enabled);
}
