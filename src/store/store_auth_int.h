/* store_auth_int: the accounts part of the backend operations — sessions, two-factor
 * authentication, API token management and the organization 2FA flag (store.h's "accounts"
 * section). A table of its own, reached through store_ops.auth, so that these operations
 * live in files of their own (sqlite_auth.c, postgres_auth.c) and the wrappers in
 * store_auth.c. The wrappers check arguments first, as store_int.h describes. */
#ifndef SNAG_STORE_STORE_AUTH_INT_H
#define SNAG_STORE_STORE_AUTH_INT_H

#include "store/store_int.h"

struct store_auth_ops {
    enum err (*user_create_first)(struct store *st, const char *email, const char *password_hash,
                                  int64_t *id_out, struct errinfo *ei);
    enum err (*session_create)(struct store *st, const char *id_hash, int64_t user_id,
                               bool pending_2fa, double expires, const char *user_agent,
                               const char *ip);
    enum err (*session_lookup)(struct store *st, struct arena *a, const char *id_hash, double now,
                               struct store_session *s_out, struct store_user *user_out);
    enum err (*session_delete)(struct store *st, const char *id_hash);
    enum err (*session_delete_user)(struct store *st, int64_t user_id, const char *keep_hash);
    enum err (*totp_get)(struct store *st, struct arena *a, int64_t user_id,
                         struct store_totp *out);
    enum err (*totp_begin)(struct store *st, int64_t user_id, const char *secret);
    enum err (*totp_enable)(struct store *st, int64_t user_id, int64_t step,
                            const char *const *recovery_hashes, size_t n);
    enum err (*totp_use_step)(struct store *st, int64_t user_id, int64_t step);
    enum err (*totp_disable)(struct store *st, int64_t user_id);
    enum err (*recovery_use)(struct store *st, int64_t user_id, const char *code_hash);
    int64_t (*recovery_count)(struct store *st, int64_t user_id);
    enum err (*token_list)(struct store *st, struct arena *a, int64_t user_id,
                           struct store_token **rows, size_t *n);
    enum err (*token_delete)(struct store *st, int64_t user_id, int64_t token_id);
    enum err (*org_set_require_2fa)(struct store *st, int64_t org_id, bool required);
    enum err (*org_2fa_state)(struct store *st, int64_t org_id, int64_t user_id, bool *required,
                              bool *user_enabled);
};

extern const struct store_auth_ops sq_auth_ops; /* sqlite_auth.c */
extern const struct store_auth_ops pg_auth_ops; /* postgres_auth.c */

/* Most recovery codes one user may hold. */
#define STORE_RECOVERY_MAX 16

#endif
