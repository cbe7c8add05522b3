/* store_int: what the files of the store module share and nobody else sees — the table of
 * backend operations (one per store_*() call in store.h) and the base struct every backend
 * embeds as its first member. The wrappers in store.c check arguments, run the fault
 * injection countdown and then call st->ops->x(); a backend may therefore assume its
 * arguments are valid (non-NULL where store.h does not allow NULL, known enum strings). */
#ifndef SNAG_STORE_STORE_INT_H
#define SNAG_STORE_STORE_INT_H

#include <stdatomic.h>

#include "store/store.h"

struct store_ops {
    const char *name; /* "sqlite" | "postgres" */
    void (*close)(struct store *st);
    enum err (*migrate)(struct store *st, struct errinfo *ei);
    enum err (*ping)(struct store *st);
    enum err (*ingest_batch)(struct store *st, struct store_event_in *evs, size_t n,
                             struct errinfo *ei);

    enum err (*user_create)(struct store *st, const char *email, const char *password_hash,
                            bool is_superuser, int64_t *id_out, struct errinfo *ei);
    enum err (*user_by_email)(struct store *st, struct arena *a, const char *email,
                              struct store_user *out);
    enum err (*user_by_id)(struct store *st, struct arena *a, int64_t id, struct store_user *out);
    enum err (*user_set_password)(struct store *st, int64_t user_id, const char *password_hash);
    int64_t (*user_count)(struct store *st);
    enum err (*token_create)(struct store *st, int64_t user_id, const char *token_hash,
                             const char *label, const char *scopes, int64_t *id_out);
    enum err (*token_lookup)(struct store *st, struct arena *a, const char *token_hash,
                             struct store_user *user_out, const char **scopes_out);

    enum err (*org_create)(struct store *st, int64_t owner_user_id, const char *slug,
                           const char *name, struct arena *a, struct store_org *out);
    enum err (*org_by_slug)(struct store *st, struct arena *a, const char *slug,
                            struct store_org *out);
    enum err (*org_list_for_user)(struct store *st, struct arena *a, int64_t user_id,
                                  bool superuser, struct store_org **rows, size_t *n);
    enum err (*org_member_role)(struct store *st, struct arena *a, int64_t org_id, int64_t user_id,
                                const char **role_out);
    enum err (*team_create)(struct store *st, int64_t org_id, const char *slug, const char *name,
                            struct arena *a, struct store_team *out);
    enum err (*team_by_slug)(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                             struct store_team *out);
    enum err (*team_list)(struct store *st, struct arena *a, int64_t org_id,
                          struct store_team **rows, size_t *n);
    enum err (*project_create)(struct store *st, int64_t org_id, int64_t team_id, const char *slug,
                               const char *name, const char *platform, struct arena *a,
                               struct store_project *out);
    enum err (*project_by_slug)(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                                struct store_project *out);
    enum err (*project_by_id)(struct store *st, struct arena *a, int64_t id,
                              struct store_project *out);
    enum err (*project_list)(struct store *st, struct arena *a, int64_t org_id,
                             struct store_project **rows, size_t *n);
    enum err (*key_create)(struct store *st, int64_t project_id, const char *public_key,
                           const char *label, struct arena *a, struct store_key *out);
    enum err (*key_list)(struct store *st, struct arena *a, int64_t project_id,
                         struct store_key **rows, size_t *n);
    enum err (*key_by_public)(struct store *st, struct arena *a, const char *public_key,
                              struct store_key *out);

    enum err (*issue_by_id)(struct store *st, struct arena *a, int64_t id, struct store_issue *out);
    enum err (*issue_set_status)(struct store *st, int64_t id, const char *status);
    enum err (*issue_delete)(struct store *st, int64_t id);
    enum err (*event_edge_for_issue)(struct store *st, struct arena *a, int64_t issue_id,
                                     bool latest, struct store_event_row *out);
    enum err (*event_by_id)(struct store *st, struct arena *a, int64_t project_id,
                            const char *event_id, struct store_event_row *out);
    int64_t (*event_count)(struct store *st, int64_t project_id);

    enum err (*retention_run)(struct store *st, double cutoff, size_t max_batch,
                              const atomic_bool *stop, struct store_retention_result *out,
                              struct errinfo *ei);
    enum err (*partitions_maintain)(struct store *st, double now, int *created, struct errinfo *ei);
    /* live updates across nodes: NULL where there is only one node (SQLite) */
    enum err (*live_listen)(struct store *st, store_live_fn fn, void *ctx);
    void (*live_stop)(struct store *st);

    /* accounts: sessions, two-factor, token management (store_auth_int.h) */
    const struct store_auth_ops *auth;
    /* organization resources: a query driver for store_orgs.c (store_orgs_int.h) */
    const struct store_orgs_ops *orgs;
};

/* The base of every backend's handle; backends put it first and cast. */
struct store {
    const struct store_ops *ops;
    atomic_int fail_after; /* store_fail_after(): > 0 counts wrapper calls down to a failure */
};

/* Backends' constructors, called by store_open() with the part of the URL after the scheme.
 * On success *out is a fully initialised store (ops and fail_after set). */
enum err store_sqlite_open(const char *path, struct store **out, struct errinfo *ei);
/* url is the whole postgres:// or postgresql:// URL (a libpq connection URI). */
enum err store_pg_open(const char *url, struct store **out, struct errinfo *ei);

/* True when this wrapper call is the one store_fail_after() asked to fail (store.c). */
bool store_fault(struct store *st);

/* PostgreSQL only: an issue's coarse sort keys as computed from its own last_seen and
 * times_seen (migration 0010_issue_hot.sql), and the SET list that recomputes them. Every
 * writer of those two columns runs it afterwards, in a statement of its own (see
 * PG_ING_ISSUE_SORT_KEYS). */
#define STORE_PG_LAST_SEEN_MINUTE "floor(last_seen / 60)"
#define STORE_PG_TIMES_SEEN_DIGITS "length(times_seen::text)"
#define STORE_PG_SORT_KEYS_SET                                                                     \
    "last_seen_minute = " STORE_PG_LAST_SEEN_MINUTE                                                \
    ", times_seen_digits = " STORE_PG_TIMES_SEEN_DIGITS

/* Emails are kept and looked up lowercased (ASCII), at most STORE_EMAIL_MAX characters:
 * writes it into out and returns true, or false for an empty or over-long email. */
#define STORE_EMAIL_MAX 254
bool store_email_fold(const char *email, char out[STORE_EMAIL_MAX + 1]);

/* Limits the wrappers enforce (rows per list call). */
#define STORE_LIST_MAX 1000
/* Most rows (or issues) store_retention_run() may touch in one transaction. */
#define STORE_BATCH_MAX 10000

#endif
