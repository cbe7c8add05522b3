/* store: the store_*() wrappers of store.h — the one place for argument checks and test
 * fault injection — and store_open(), which picks the backend from the URL scheme. Every
 * wrapper checks, counts down store_fail_after() and then calls st->ops (store_int.h). */
#include "store/store_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/xmalloc.h"

/* ---- fault injection and argument checks --------------------------------------------- */

/* True when this call is the one store_fail_after() asked to fail (the countdown then
 * switches itself off). Thread-safe: exactly one caller sees the count reach zero. */
bool store_fault(struct store *st)
{
    int n = atomic_load(&st->fail_after);
    while (n > 0) {
        if (atomic_compare_exchange_weak(&st->fail_after, &n, n - 1))
            return n == 1;
    }
    return false;
}

/* The common prologue: st present and no injected fault. */
#define STORE_ENTER(st)                                                                            \
    do {                                                                                           \
        if (!(st))                                                                                 \
            return E_INVALID;                                                                      \
        if (store_fault(st))                                                                       \
            return E_UNAVAILABLE;                                                                  \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return E_INVALID;                                                                      \
    } while (0)

static bool store_status_valid(const char *s)
{
    return s && (strcmp(s, "unresolved") == 0 || strcmp(s, "resolved") == 0 ||
                 strcmp(s, "ignored") == 0);
}

/* ---- lifecycle -------------------------------------------------------------------------- */

/* mkdir -p of the directory part of path (nothing when there is none), mode 0700. */
static enum err store_make_parent(const char *path, struct errinfo *ei)
{
    enum err e = E_OK;
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        goto out;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            e = errinfo_set(ei, E_UNAVAILABLE, "cannot create %s: %s", dir, strerror(errno));
            goto out;
        }
        *p = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        e = errinfo_set(ei, E_UNAVAILABLE, "cannot create %s: %s", dir, strerror(errno));
out:
    free(dir);
    return e;
}

static bool store_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* sqlite:///abs → "/abs"; sqlite://rel → "rel" */
const char *store_sqlite_path(const char *url)
{
    if (!url || !store_has_prefix(url, "sqlite://"))
        return NULL;
    return url + strlen("sqlite://");
}

enum err store_open(const char *url, struct store **out, struct errinfo *ei)
{
    if (!url || !out)
        return errinfo_set(ei, E_INVALID, "no database URL");
    *out = NULL;
    if (store_has_prefix(url, "postgres://") || store_has_prefix(url, "postgresql://"))
        return store_pg_open(url, out, ei);
    const char *path = store_sqlite_path(url);
    if (!path)
        return errinfo_set(ei, E_INVALID,
                           "unsupported DATABASE_URL (use sqlite:///abs/path.db, "
                           "sqlite://relative.db or postgres://...)");
    if (!*path || path[strlen(path) - 1] == '/')
        return errinfo_set(ei, E_INVALID, "DATABASE_URL names no SQLite file");
    enum err e = store_make_parent(path, ei);
    if (e)
        return e;
    return store_sqlite_open(path, out, ei);
}

void store_close(struct store *st)
{
    if (st)
        st->ops->close(st);
}

enum err store_migrate(struct store *st, struct errinfo *ei)
{
    STORE_ENTER(st);
    return st->ops->migrate(st, ei);
}

enum err store_ping(struct store *st)
{
    STORE_ENTER(st);
    return st->ops->ping(st);
}

const char *store_backend_name(const struct store *st)
{
    return st ? st->ops->name : "none";
}

void store_fail_after(struct store *st, int n)
{
    if (st)
        atomic_store(&st->fail_after, n > 0 ? n : 0);
}

/* ---- ingest ----------------------------------------------------------------------------- */

static bool store_event_in_valid(const struct store_event_in *ev)
{
    return ev->project_id > 0 && ev->event_id && ev->hash && (ev->data || ev->data_len == 0);
}

enum err store_ingest_batch(struct store *st, struct store_event_in *evs, size_t n,
                            struct errinfo *ei)
{
    STORE_ENTER(st);
    if (n == 0)
        return E_OK;
    if (!evs)
        return errinfo_set(ei, E_INVALID, "no events");
    for (size_t i = 0; i < n; i++) {
        if (!store_event_in_valid(&evs[i]))
            return errinfo_set(ei, E_INVALID, "event %zu lacks project, event_id or hash", i);
        evs[i].issue_id = 0;
        evs[i].duplicate = false;
    }
    return st->ops->ingest_batch(st, evs, n, ei);
}

/* ---- users and tokens ------------------------------------------------------------------- */

bool store_email_fold(const char *email, char out[STORE_EMAIL_MAX + 1])
{
    size_t n = email ? strlen(email) : 0;
    if (n == 0 || n > STORE_EMAIL_MAX)
        return false;
    for (size_t i = 0; i <= n; i++)
        out[i] = (char)tolower((unsigned char)email[i]);
    return true;
}

enum err store_user_create(struct store *st, const char *email, const char *password_hash,
                           bool is_superuser, int64_t *id_out, struct errinfo *ei)
{
    STORE_ENTER(st);
    char folded[STORE_EMAIL_MAX + 1];
    if (!store_email_fold(email, folded) || !password_hash)
        return errinfo_set(ei, E_INVALID,
                           "an email (at most %d characters) and a password hash "
                           "are required",
                           STORE_EMAIL_MAX);
    return st->ops->user_create(st, folded, password_hash, is_superuser, id_out, ei);
}

enum err store_user_by_email(struct store *st, struct arena *a, const char *email,
                             struct store_user *out)
{
    STORE_ENTER(st);
    CHECK(a && email && out);
    char folded[STORE_EMAIL_MAX + 1];
    if (!store_email_fold(email, folded))
        return E_NOTFOUND;
    return st->ops->user_by_email(st, a, folded, out);
}

enum err store_user_by_id(struct store *st, struct arena *a, int64_t id, struct store_user *out)
{
    STORE_ENTER(st);
    CHECK(a && out);
    return st->ops->user_by_id(st, a, id, out);
}

enum err store_user_set_password(struct store *st, int64_t user_id, const char *password_hash)
{
    STORE_ENTER(st);
    CHECK(password_hash);
    return st->ops->user_set_password(st, user_id, password_hash);
}

int64_t store_user_count(struct store *st)
{
    if (!st || store_fault(st))
        return -1;
    return st->ops->user_count(st);
}

enum err store_token_create(struct store *st, int64_t user_id, const char *token_hash,
                            const char *label, const char *scopes, int64_t *id_out)
{
    STORE_ENTER(st);
    CHECK(token_hash && *token_hash);
    return st->ops->token_create(st, user_id, token_hash, label ? label : "", scopes ? scopes : "",
                                 id_out);
}

enum err store_token_lookup(struct store *st, struct arena *a, const char *token_hash,
                            struct store_user *user_out, const char **scopes_out)
{
    STORE_ENTER(st);
    CHECK(a && token_hash && user_out);
    return st->ops->token_lookup(st, a, token_hash, user_out, scopes_out);
}

/* ---- organizations, teams, projects, keys ----------------------------------------------- */

enum err store_org_create(struct store *st, int64_t owner_user_id, const char *slug,
                          const char *name, struct arena *a, struct store_org *out)
{
    STORE_ENTER(st);
    CHECK(slug && *slug && name && a && out);
    return st->ops->org_create(st, owner_user_id, slug, name, a, out);
}

enum err store_org_by_slug(struct store *st, struct arena *a, const char *slug,
                           struct store_org *out)
{
    STORE_ENTER(st);
    CHECK(a && slug && out);
    return st->ops->org_by_slug(st, a, slug, out);
}

enum err store_org_list_for_user(struct store *st, struct arena *a, int64_t user_id, bool superuser,
                                 struct store_org **rows, size_t *n)
{
    STORE_ENTER(st);
    CHECK(a && rows && n);
    return st->ops->org_list_for_user(st, a, user_id, superuser, rows, n);
}

enum err store_org_member_role(struct store *st, struct arena *a, int64_t org_id, int64_t user_id,
                               const char **role_out)
{
    STORE_ENTER(st);
    CHECK(a && role_out);
    return st->ops->org_member_role(st, a, org_id, user_id, role_out);
}

enum err store_team_create(struct store *st, int64_t org_id, const char *slug, const char *name,
                           struct arena *a, struct store_team *out)
{
    STORE_ENTER(st);
    CHECK(slug && *slug && name && a && out);
    return st->ops->team_create(st, org_id, slug, name, a, out);
}

enum err store_team_by_slug(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                            struct store_team *out)
{
    STORE_ENTER(st);
    CHECK(a && slug && out);
    return st->ops->team_by_slug(st, a, org_id, slug, out);
}

enum err store_team_list(struct store *st, struct arena *a, int64_t org_id,
                         struct store_team **rows, size_t *n)
{
    STORE_ENTER(st);
    CHECK(a && rows && n);
    return st->ops->team_list(st, a, org_id, rows, n);
}

enum err store_project_create(struct store *st, int64_t org_id, int64_t team_id, const char *slug,
                              const char *name, const char *platform, struct arena *a,
                              struct store_project *out)
{
    STORE_ENTER(st);
    CHECK(slug && *slug && name && a && out);
    return st->ops->project_create(st, org_id, team_id, slug, name, platform, a, out);
}

enum err store_project_by_slug(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                               struct store_project *out)
{
    STORE_ENTER(st);
    CHECK(a && slug && out);
    return st->ops->project_by_slug(st, a, org_id, slug, out);
}

enum err store_project_by_id(struct store *st, struct arena *a, int64_t id,
                             struct store_project *out)
{
    STORE_ENTER(st);
    CHECK(a && out);
    return st->ops->project_by_id(st, a, id, out);
}

enum err store_project_list(struct store *st, struct arena *a, int64_t org_id,
                            struct store_project **rows, size_t *n)
{
    STORE_ENTER(st);
    CHECK(a && rows && n);
    return st->ops->project_list(st, a, org_id, rows, n);
}

enum err store_key_create(struct store *st, int64_t project_id, const char *public_key,
                          const char *label, struct arena *a, struct store_key *out)
{
    STORE_ENTER(st);
    CHECK(public_key && *public_key && a && out);
    return st->ops->key_create(st, project_id, public_key, label ? label : "", a, out);
}

enum err store_key_list(struct store *st, struct arena *a, int64_t project_id,
                        struct store_key **rows, size_t *n)
{
    STORE_ENTER(st);
    CHECK(a && rows && n);
    return st->ops->key_list(st, a, project_id, rows, n);
}

enum err store_key_by_public(struct store *st, struct arena *a, const char *public_key,
                             struct store_key *out)
{
    STORE_ENTER(st);
    CHECK(a && public_key && out);
    return st->ops->key_by_public(st, a, public_key, out);
}

/* ---- issues and events ------------------------------------------------------------------ */

enum err store_issue_by_id(struct store *st, struct arena *a, int64_t id, struct store_issue *out)
{
    STORE_ENTER(st);
    CHECK(a && out);
    return st->ops->issue_by_id(st, a, id, out);
}

enum err store_issue_set_status(struct store *st, int64_t id, const char *status)
{
    STORE_ENTER(st);
    CHECK(store_status_valid(status));
    return st->ops->issue_set_status(st, id, status);
}

enum err store_issue_delete(struct store *st, int64_t id)
{
    STORE_ENTER(st);
    return st->ops->issue_delete(st, id);
}

enum err store_event_edge_for_issue(struct store *st, struct arena *a, int64_t issue_id,
                                    const char *which, struct store_event_row *out)
{
    STORE_ENTER(st);
    CHECK(a && which && out);
    bool latest = strcmp(which, "latest") == 0;
    CHECK(latest || strcmp(which, "oldest") == 0);
    return st->ops->event_edge_for_issue(st, a, issue_id, latest, out);
}

enum err store_event_by_id(struct store *st, struct arena *a, int64_t project_id,
                           const char *event_id, struct store_event_row *out)
{
    STORE_ENTER(st);
    CHECK(a && event_id && out);
    return st->ops->event_by_id(st, a, project_id, event_id, out);
}

int64_t store_event_count(struct store *st, int64_t project_id)
{
    if (!st || store_fault(st))
        return -1;
    return st->ops->event_count(st, project_id);
}

/* ---- retention and partitions ----------------------------------------------------------- */

enum err store_retention_run(struct store *st, double cutoff, size_t max_batch,
                             const atomic_bool *stop, struct store_retention_result *out,
                             struct errinfo *ei)
{
    STORE_ENTER(st);
    CHECK(out && max_batch >= 1 && max_batch <= STORE_BATCH_MAX);
    memset(out, 0, sizeof *out);
    return st->ops->retention_run(st, cutoff, max_batch, stop, out, ei);
}

enum err store_partitions_maintain(struct store *st, double now, int *created, struct errinfo *ei)
{
    int made = 0;
    STORE_ENTER(st);
    enum err e = st->ops->partitions_maintain(st, now, &made, ei);
    if (created)
        *created = made;
    return e;
}

/* ---- live updates across nodes ---------------------------------------------------------- */

enum err store_live_listen(struct store *st, store_live_fn fn, void *ctx)
{
    STORE_ENTER(st);
    CHECK(fn);
    if (!st->ops->live_listen)
        return E_UNSUPPORTED;
    return st->ops->live_listen(st, fn, ctx);
}

void store_live_stop(struct store *st)
{
    if (st && st->ops->live_stop)
        st->ops->live_stop(st);
}
