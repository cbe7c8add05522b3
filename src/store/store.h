/* store: the one storage interface. Two backends implement it (sqlite.c, embedded default;
 * postgres.c, production) as a table of function pointers; callers use only the store_*()
 * wrappers below, which are also where argument checks and test fault injection live.
 *
 * DESIGN
 * - Threads: every function may be called from any thread. A backend keeps its own pool of
 *   connections; store_ingest_batch() is called by the single ingest writer thread.
 * - Memory: results are written into caller-provided structs whose strings and arrays are
 *   allocated from the caller's arena (`a`); the store keeps no pointer to them.
 * - Times are float epoch seconds. Ids are int64.
 * - Errors: E_NOTFOUND, E_CONFLICT (unique violation), E_UNAVAILABLE (database down or busy
 *   past its timeout), E_DB (anything else; detail in ei). */
#ifndef SNAG_STORE_STORE_H
#define SNAG_STORE_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

struct store;

/* ---- rows ------------------------------------------------------------------------- */

struct store_user {
    int64_t id;
    const char *email;
    const char *password_hash; /* argon2id encoded string */
    bool is_superuser;
    double created;
};

struct store_org {
    int64_t id;
    const char *slug, *name;
    double created;
};

struct store_team {
    int64_t id, org_id;
    const char *slug, *name;
    double created;
};

struct store_project {
    int64_t id, org_id;
    const char *slug, *name, *platform; /* platform may be NULL */
    const char *org_slug;
    double created;
};

struct store_key {
    int64_t id, project_id;
    const char *public_key; /* 32 lowercase hex */
    const char *label;
    bool active;
    double created;
    int64_t rate_window, rate_count; /* rate limit: rate_count events per rate_window
                                        seconds; both 0: none */
};

struct store_issue {
    int64_t id, project_id;
    int64_t short_num; /* per-project counter; short id = SLUG-<base32(short_num)> */
    const char *project_slug;
    const char *hash, *title, *culprit, *type, *level;
    const char *status;        /* unresolved | resolved | ignored */
    const char *metadata_json; /* JSON object text */
    const char *platform;      /* of the event that created the issue; may be NULL */
    const char *logger;        /* likewise */
    double first_seen, last_seen;
    int64_t count, user_count;
};

struct store_event_row {
    int64_t id, project_id, issue_id;
    char event_id[33];
    double timestamp, received;
    const void *data; /* stored (compressed) event body, arena-owned */
    size_t data_len;
};

/* ---- ingest ------------------------------------------------------------------------ */

/* One normalised, grouped event ready to commit. Strings are borrowed for the call. */
struct store_event_in {
    int64_t project_id;
    const char *event_id; /* 32 hex */
    double timestamp, received;
    const char *level, *platform, *environment, *release, *transaction, *logger;
    const char *user_key; /* distinct-user key or NULL */
    const char *message;  /* for search, may be NULL */
    const char *hash, *title, *culprit, *type, *metadata_json;
    const void *data; /* compressed normalised event */
    size_t data_len;
    /* results, set by store_ingest_batch */
    int64_t issue_id;
    bool duplicate; /* event_id already stored in this project: nothing changed */
};

/* Commits all n events in one transaction: for each, finds or creates the issue by
 * (project_id, hash) — a new issue gets the next short number of its project —, stores the
 * event unless its event_id already exists in the project (then duplicate = true and no
 * counter moves), and updates the issue: count, last_seen (max), first_seen (min), level
 * (latest), title/culprit/metadata (latest), user_count (distinct user_key), and status
 * resolved → unresolved (a new event reopens a resolved issue; ignored stays ignored).
 * Either everything is committed or nothing (error returned). On PostgreSQL the stored
 * (non-duplicate) events are also announced, in the same transaction, to the live listeners
 * of the other nodes (store_live_listen below): they hear of them exactly when they commit. */
enum err store_ingest_batch(struct store *st, struct store_event_in *evs, size_t n,
                            struct errinfo *ei) WUR;

/* ---- lifecycle ------------------------------------------------------------------------ */

/* url: sqlite:///abs/path.db, sqlite://relative.db, or postgres://… (when built in). */
enum err store_open(const char *url, struct store **out, struct errinfo *ei) WUR;
void store_close(struct store *st);
/* Applies pending migrations in order, each in a transaction; idempotent. */
enum err store_migrate(struct store *st, struct errinfo *ei) WUR;
/* Cheap round trip to the database: E_OK or E_UNAVAILABLE. */
enum err store_ping(struct store *st) WUR;
const char *store_backend_name(const struct store *st); /* "sqlite" | "postgres" */

/* ---- users and tokens ---------------------------------------------------------------- */

enum err store_user_create(struct store *st, const char *email, const char *password_hash,
                           bool is_superuser, int64_t *id_out, struct errinfo *ei) WUR;
enum err store_user_by_email(struct store *st, struct arena *a, const char *email,
                             struct store_user *out) WUR;
enum err store_user_by_id(struct store *st, struct arena *a, int64_t id,
                          struct store_user *out) WUR;
enum err store_user_set_password(struct store *st, int64_t user_id, const char *password_hash) WUR;
int64_t store_user_count(struct store *st);

/* token_hash: hex SHA-256 of the secret token (the secret itself is never stored).
 * scopes: space-separated. */
enum err store_token_create(struct store *st, int64_t user_id, const char *token_hash,
                            const char *label, const char *scopes, int64_t *id_out) WUR;
/* Finds the token's user; E_NOTFOUND if no such token. scopes_out may be NULL. */
enum err store_token_lookup(struct store *st, struct arena *a, const char *token_hash,
                            struct store_user *user_out, const char **scopes_out) WUR;

/* ---- accounts: first run, sessions, two-factor, token management (store_auth.c) ------- */

/* Creates a superuser only while the users table is empty (atomically, also across nodes):
 * E_CONFLICT once any user exists. */
enum err store_user_create_first(struct store *st, const char *email, const char *password_hash,
                                 int64_t *id_out, struct errinfo *ei) WUR;

struct store_session {
    int64_t user_id;
    bool pending_2fa; /* password checked, second factor not yet: only that step may use it */
    double created, expires;
    double last_seen; /* the latest store_session_touch() (created until then) */
};

/* id_hash: hex SHA-256 of the session id in the cookie (the id itself is never stored).
 * user_agent and ip (either may be NULL) describe the browser that signed in; they are
 * stored as given, so the caller bounds them. Also deletes the user's expired sessions. */
enum err store_session_create(struct store *st, const char *id_hash, int64_t user_id,
                              bool pending_2fa, double expires, const char *user_agent,
                              const char *ip) WUR;
/* The session and its user; E_NOTFOUND when absent or expired at now. */
enum err store_session_lookup(struct store *st, struct arena *a, const char *id_hash, double now,
                              struct store_session *s_out, struct store_user *user_out) WUR;
/* E_NOTFOUND when there was no such session. */
enum err store_session_delete(struct store *st, const char *id_hash) WUR;
/* Deletes every session of the user except keep_hash (NULL: all). */
enum err store_session_delete_user(struct store *st, int64_t user_id, const char *keep_hash) WUR;

/* ---- password reset links (store_password_reset.c) ---- */

/* Stores the user's reset link (token_hash: hex SHA-256 of its token), replacing any earlier
 * one, so a user has at most one live link. */
enum err store_password_reset_create(struct store *st, int64_t user_id, const char *token_hash,
                                     double now, double expires) WUR;
/* In one transaction: uses up the user's link when token_hash matches and it has not expired
 * at now, sets password_hash and deletes all the user's sessions. E_NOTFOUND (and nothing
 * changed) when there is no such live link. */
enum err store_password_reset_use(struct store *st, int64_t user_id, const char *token_hash,
                                  double now, const char *password_hash) WUR;

/* ---- the sessions a user sees on the account page (store_sessions.c) ---- */

/* One of the user's signed-in sessions. Strings are in the caller's arena. */
struct store_session_info {
    const char *id_hash;
    const char *user_agent, *ip; /* NULL: not known */
    double created, last_seen, expires;
};

/* Sets the session's last_seen to now unless it is already later (no such session: E_OK,
 * nothing done). Callers refresh it only every few minutes: it is a write. */
enum err store_session_touch(struct store *st, const char *id_hash, double now) WUR;
/* The user's sessions live at now — not expired, not waiting for a second factor — most
 * recently used first (at most STORE_LIST_MAX). */
enum err store_session_list(struct store *st, struct arena *a, int64_t user_id, double now,
                            struct store_session_info **rows, size_t *n) WUR;
/* Deletes the user's sessions live at now whose id_hash starts with prefix (lowercase hex,
 * at least 16 characters); E_NOTFOUND when there is none. Never another user's. */
enum err store_session_delete_prefix(struct store *st, int64_t user_id, const char *prefix,
                                     double now) WUR;

struct store_totp {
    const char *secret; /* base32 */
    bool enabled;       /* false: enrolment started, not confirmed */
    int64_t last_step;  /* the latest TOTP time step accepted (-1: none) */
};

/* E_NOTFOUND when the user has no secret (enrolled or pending). */
enum err store_totp_get(struct store *st, struct arena *a, int64_t user_id,
                        struct store_totp *out) WUR;
/* Starts (or restarts) enrolment with a new secret; E_CONFLICT when 2FA is already enabled. */
enum err store_totp_begin(struct store *st, int64_t user_id, const char *secret) WUR;
/* Confirms enrolment in one transaction: enabled, last_step = step, and the user's recovery
 * codes replaced by the n hashes. E_CONFLICT when there was no pending enrolment. */
enum err store_totp_enable(struct store *st, int64_t user_id, int64_t step,
                           const char *const *recovery_hashes, size_t n) WUR;
/* Records that step was used, only if it is later than the stored one: E_CONFLICT otherwise
 * (a replay that raced past the caller's check). */
enum err store_totp_use_step(struct store *st, int64_t user_id, int64_t step) WUR;
/* Removes the secret and the recovery codes. E_NOTFOUND when there was no secret. */
enum err store_totp_disable(struct store *st, int64_t user_id) WUR;
/* Consumes one recovery code (by hash): E_NOTFOUND when the user has no such unused code. */
enum err store_recovery_use(struct store *st, int64_t user_id, const char *code_hash) WUR;
/* Unused recovery codes of the user (-1 on error). */
int64_t store_recovery_count(struct store *st, int64_t user_id);

struct store_token {
    int64_t id;
    const char *label, *scopes; /* scopes space-separated */
    double created, last_used;  /* last_used 0: never */
};

/* The user's API tokens, newest first. */
enum err store_token_list(struct store *st, struct arena *a, int64_t user_id,
                          struct store_token **rows, size_t *n) WUR;
/* Revokes the user's token; E_NOTFOUND when the user has no such token. */
enum err store_token_delete(struct store *st, int64_t user_id, int64_t token_id) WUR;

/* Organizations that require two-factor authentication of their members. */
enum err store_org_set_require_2fa(struct store *st, int64_t org_id, bool required) WUR;
/* Whether the org requires 2FA and whether the user has it enabled. */
enum err store_org_2fa_state(struct store *st, int64_t org_id, int64_t user_id, bool *required,
                             bool *user_enabled) WUR;

/* ---- organizations, teams, projects, keys ---------------------------------------------- */

/* Creates the org and makes owner_user_id its owner. E_CONFLICT when the slug is taken. */
enum err store_org_create(struct store *st, int64_t owner_user_id, const char *slug,
                          const char *name, struct arena *a, struct store_org *out) WUR;
enum err store_org_by_slug(struct store *st, struct arena *a, const char *slug,
                           struct store_org *out) WUR;
/* Organizations the user belongs to (all of them for a superuser), by name. */
enum err store_org_list_for_user(struct store *st, struct arena *a, int64_t user_id, bool superuser,
                                 struct store_org **rows, size_t *n) WUR;
/* The user's role in the org ("owner", "manager", "admin", "member"); E_NOTFOUND if none. */
enum err store_org_member_role(struct store *st, struct arena *a, int64_t org_id, int64_t user_id,
                               const char **role_out) WUR;

enum err store_team_create(struct store *st, int64_t org_id, const char *slug, const char *name,
                           struct arena *a, struct store_team *out) WUR;
enum err store_team_by_slug(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                            struct store_team *out) WUR;
enum err store_team_list(struct store *st, struct arena *a, int64_t org_id,
                         struct store_team **rows, size_t *n) WUR;

/* Creates the project under the team. E_CONFLICT when the slug is taken in the org. */
enum err store_project_create(struct store *st, int64_t org_id, int64_t team_id, const char *slug,
                              const char *name, const char *platform, struct arena *a,
                              struct store_project *out) WUR;
enum err store_project_by_slug(struct store *st, struct arena *a, int64_t org_id, const char *slug,
                               struct store_project *out) WUR;
enum err store_project_by_id(struct store *st, struct arena *a, int64_t id,
                             struct store_project *out) WUR;
enum err store_project_list(struct store *st, struct arena *a, int64_t org_id,
                            struct store_project **rows, size_t *n) WUR;

enum err store_key_create(struct store *st, int64_t project_id, const char *public_key,
                          const char *label, struct arena *a, struct store_key *out) WUR;
enum err store_key_list(struct store *st, struct arena *a, int64_t project_id,
                        struct store_key **rows, size_t *n) WUR;
/* Ingest's key check: E_NOTFOUND when no such key (inactive keys are returned, active=false). */
enum err store_key_by_public(struct store *st, struct arena *a, const char *public_key,
                             struct store_key *out) WUR;

/* ---- organization resources: members and invitations, teams, project settings, keys
 * (store_orgs.c). Updates take NULL for "keep"; E_NOTFOUND when the row is gone; E_CONFLICT
 * on a taken slug. ------------------------------------------------------------------------ */

struct store_member {
    int64_t id, org_id;
    int64_t user_id;   /* 0: a pending invitation */
    const char *email; /* the user's address, or the invited one */
    const char *role;  /* owner | manager | admin | member */
    double created;
    double expires; /* invitations: when the token stops working; members: 0 */
};

enum err store_org_update(struct store *st, int64_t org_id, const char *name, const char *slug) WUR;
/* Deletes the org with its members, teams, projects, keys, issues and events. */
enum err store_org_delete(struct store *st, int64_t org_id) WUR;

/* Members and pending invitations of the org, oldest first. */
enum err store_member_list(struct store *st, struct arena *a, int64_t org_id,
                           struct store_member **rows, size_t *n) WUR;
enum err store_member_get(struct store *st, struct arena *a, int64_t org_id, int64_t member_id,
                          struct store_member *out) WUR;
/* The user's membership (never an invitation). */
enum err store_member_by_user(struct store *st, struct arena *a, int64_t org_id, int64_t user_id,
                              struct store_member *out) WUR;
/* A pending invitation of email (token_hash: hex SHA-256 of its token). E_CONFLICT when the
 * address is already invited or belongs to a member. */
enum err store_member_invite(struct store *st, int64_t org_id, const char *email, const char *role,
                             const char *token_hash, int64_t invited_by, double expires,
                             struct arena *a, struct store_member *out) WUR;
/* Turns invitation member_id into user_id's membership when token_hash matches and it has
 * not expired at now: E_NOTFOUND otherwise, E_CONFLICT when the user is already a member. */
enum err store_member_accept(struct store *st, int64_t member_id, const char *token_hash,
                             int64_t user_id, double now, struct arena *a,
                             struct store_member *out) WUR;
/* A pending invitation as the page its link opens shows it. */
struct store_invitation {
    struct store_member member; /* user_id 0; email: the invited address */
    const char *token_hash;     /* hex SHA-256 of its token */
    const char *org_slug, *org_name;
    bool has_account; /* a user with the invited address (any letter case) exists */
};
/* Invitation member_id while it is pending and unexpired at now: E_NOTFOUND when it was
 * accepted, cancelled, has expired or never was. */
enum err store_invitation_get(struct store *st, struct arena *a, int64_t member_id, double now,
                              struct store_invitation *out) WUR;
/* Registration by invitation: in one transaction, creates a user (not a superuser) with the
 * invited address and password_hash and makes them invitation member_id's member.
 * E_NOTFOUND unless the invitation is pending with token_hash, unexpired at now and invites
 * email (any letter case); E_CONFLICT when a user with that address exists. */
enum err store_user_create_invited(struct store *st, const char *email, const char *password_hash,
                                   int64_t member_id, const char *token_hash, double now,
                                   int64_t *user_id_out) WUR;
/* E_CONFLICT when it would leave the org without an owner (the last owner stays). */
enum err store_member_set_role(struct store *st, int64_t org_id, int64_t member_id,
                               const char *role) WUR;
enum err store_member_delete(struct store *st, int64_t org_id, int64_t member_id) WUR;

enum err store_team_update(struct store *st, int64_t team_id, const char *name,
                           const char *slug) WUR;
/* Deletes the team; its projects stay (without it). */
enum err store_team_delete(struct store *st, int64_t team_id) WUR;
enum err store_team_members(struct store *st, struct arena *a, int64_t team_id,
                            struct store_member **rows, size_t *n) WUR;
/* E_NOTFOUND unless team and member belong to the same org; E_CONFLICT when already on it. */
enum err store_team_member_add(struct store *st, int64_t team_id, int64_t member_id) WUR;
enum err store_team_member_remove(struct store *st, int64_t team_id, int64_t member_id) WUR;
enum err store_team_projects(struct store *st, struct arena *a, int64_t team_id,
                             struct store_project **rows, size_t *n) WUR;
/* Whether the user is on the team / on one of the project's teams. */
enum err store_user_on_team(struct store *st, int64_t team_id, int64_t user_id, bool *yes) WUR;
enum err store_user_on_project(struct store *st, int64_t project_id, int64_t user_id,
                               bool *yes) WUR;

enum err store_project_teams(struct store *st, struct arena *a, int64_t project_id,
                             struct store_team **rows, size_t *n) WUR;
/* E_NOTFOUND unless both belong to the same org; E_CONFLICT when already linked. */
enum err store_project_team_add(struct store *st, int64_t project_id, int64_t team_id) WUR;
enum err store_project_team_remove(struct store *st, int64_t project_id, int64_t team_id) WUR;

struct store_project_update {
    const char *name, *slug; /* NULL: keep */
    bool set_platform;
    const char *platform;      /* with set_platform; NULL clears it */
    const char *settings_json; /* a JSON object text, or NULL: keep */
};
enum err store_project_update(struct store *st, int64_t project_id,
                              const struct store_project_update *u) WUR;
/* The project's settings (a JSON object text, "{}" when none were set), in the arena. */
enum err store_project_settings(struct store *st, struct arena *a, int64_t project_id,
                                const char **json) WUR;
/* Deletes the project with its keys, issues and events. */
enum err store_project_delete(struct store *st, int64_t project_id) WUR;

struct store_key_update {
    const char *label; /* NULL: keep */
    int active;        /* -1: keep, else 0 or 1 */
    bool set_rate;     /* replace the rate limit with rate_window/rate_count (0, 0: none) */
    int64_t rate_window, rate_count;
};
enum err store_key_update(struct store *st, int64_t key_id, const struct store_key_update *u) WUR;
enum err store_key_delete(struct store *st, int64_t key_id) WUR;
/* In one transaction: a new active key with new_public_key and the old one's label and rate
 * limit, and the old key deactivated. out gets the new key. */
enum err store_key_rotate(struct store *st, int64_t key_id, const char *new_public_key,
                          struct arena *a, struct store_key *out) WUR;

/* ---- issues and events ------------------------------------------------------------------ */

enum err store_issue_by_id(struct store *st, struct arena *a, int64_t id,
                           struct store_issue *out) WUR;
enum err store_issue_set_status(struct store *st, int64_t id, const char *status) WUR;
/* Deletes the issue and its events. */
enum err store_issue_delete(struct store *st, int64_t id) WUR;

/* which: "latest" or "oldest". */
enum err store_event_edge_for_issue(struct store *st, struct arena *a, int64_t issue_id,
                                    const char *which, struct store_event_row *out) WUR;
enum err store_event_by_id(struct store *st, struct arena *a, int64_t project_id,
                           const char *event_id, struct store_event_row *out) WUR;
int64_t store_event_count(struct store *st, int64_t project_id); /* 0: all projects */

/* ---- issue search, actions, facets, comments and user reports (store_issues_ext.c,
 * store_facets.c). Written once as portable SQL over the query driver of store_orgs_int.h. */

/* One filter of an issue search (api/search.h's terms, in store terms). */
enum store_sf {
    STORE_SF_LEVEL,       /* the issue's level */
    STORE_SF_ENVIRONMENT, /* an event of the issue has it */
    STORE_SF_RELEASE,     /* likewise */
    STORE_SF_TAG,         /* issue_tag_values(key, value); user.id … are tags too */
    STORE_SF_HAS,         /* issue_tag_values has the key (values unused) */
    STORE_SF_ASSIGNED,    /* assignee's email or user id; "me" is the searching user */
};

struct store_search_filter {
    enum store_sf field;
    const char *key; /* tag key (STORE_SF_TAG, STORE_SF_HAS) */
    const char *const *values;
    size_t nvalues; /* >= 1 except STORE_SF_HAS */
    bool negated;
};

#define STORE_STATUS_UNRESOLVED 0x1u
#define STORE_STATUS_RESOLVED 0x2u
#define STORE_STATUS_IGNORED 0x4u
#define STORE_IS_UNASSIGNED 0x1u
#define STORE_IS_ASSIGNED 0x2u
#define STORE_IS_BOOKMARKED 0x4u
/* Most bound values one search may use (filters' values, projects, environments, ids). */
#define STORE_SEARCH_VALUES_MAX 20

/* Keyset position of a page: the sort value and id of the row it continues from. */
struct store_issue_cursor {
    double value;
    int64_t id;
    bool prev; /* the page before that row (else after it) */
};

struct store_issue_search {
    int64_t org_id;             /* required */
    const int64_t *project_ids; /* NULL/0: every project of the org */
    size_t nprojects;
    const char *const *environments; /* environment= parameters (ORed) */
    size_t nenvironments;
    const int64_t *ids; /* id= parameters: only these issues */
    size_t nids;
    unsigned statuses; /* STORE_STATUS_* bits; 0: any */
    unsigned flags;    /* STORE_IS_* bits */
    int64_t user_id;   /* the searching user (bookmarks, assigned:me) */
    const struct store_search_filter *filters;
    size_t nfilters;
    const char *text;    /* free text over title, culprit and the events' messages */
    double since, until; /* last_seen >= since, first_seen <= until (0: open) */
    const char *sort;    /* date | new | freq | user (NULL: date) */
    const struct store_issue_cursor *cursor; /* NULL: the first page */
    int limit;                               /* 1..STORE_LIST_MAX */
};

/* A page of issues in sort order; *more says whether rows follow the page (for a prev cursor:
 * precede it). E_INVALID when the search has too many values. */
enum err store_issue_search(struct store *st, struct arena *a, const struct store_issue_search *q,
                            struct store_issue **rows, size_t *n, bool *more) WUR;
/* The sort value of row for sort (the cursor's value). */
double store_issue_sort_value(const struct store_issue *row, const char *sort);

/* Per-user and shared state of an issue, for the API's issue shape. */
struct store_issue_state {
    int64_t assignee_id; /* 0: nobody */
    const char *assignee_email;
    bool bookmarked, seen;
    int64_t num_comments, user_reports;
};
enum err store_issue_state(struct store *st, struct arena *a, int64_t issue_id, int64_t user_id,
                           struct store_issue_state *out) WUR;

/* The changes of an issue update; what is not set stays. */
struct store_issue_update {
    const char *status; /* NULL: keep */
    bool set_assignee;
    int64_t assignee_id; /* with set_assignee; 0 clears */
    int bookmarked;      /* -1 keep, 0, 1 (for user_id) */
    int seen;            /* -1 keep, 0, 1 (for user_id) */
    int64_t user_id;
};
/* Applies u to every issue of ids (one transaction); *changed gets how many exist. */
enum err store_issue_update_many(struct store *st, const int64_t *ids, size_t n,
                                 const struct store_issue_update *u, int64_t *changed) WUR;
/* Deletes the issues (with their events); *deleted gets how many there were. */
enum err store_issue_delete_many(struct store *st, const int64_t *ids, size_t n,
                                 int64_t *deleted) WUR;
/* Merges the issues of ids (>= 2, one project, else E_INVALID) into the one with the most
 * events (ties: the newest): their events, users, comments and reports move to it, their
 * hashes become its aliases (ingest follows them), the counters are recomputed and the others
 * deleted; its facets are rebuilt by the facets job. *parent gets its id. */
enum err store_issue_merge(struct store *st, const int64_t *ids, size_t n, int64_t *parent) WUR;
/* The issue an alias (a merged issue's hash) leads to; E_NOTFOUND when none. */
enum err store_issue_alias_find(struct store *st, int64_t project_id, const char *hash,
                                int64_t *issue_id) WUR;

/* ---- events: neighbours and project lists ---- */

/* The issue's events just after (next = newer) and before `of` in (received, id) order; ""
 * when none. */
enum err store_event_neighbours(struct store *st, int64_t issue_id,
                                const struct store_event_row *of, char next[33], char prev[33]) WUR;
/* A project's events, newest first (received desc, id desc), after the keyset position
 * (before_received, before_id) when before_id > 0; *more when rows follow. */
enum err store_event_list_project(struct store *st, struct arena *a, int64_t project_id,
                                  double before_received, int64_t before_id, int limit,
                                  struct store_event_row **rows, size_t *n, bool *more) WUR;
/* An issue's events after a keyset position, like store_event_list_project. */
enum err store_event_list_issue(struct store *st, struct arena *a, int64_t issue_id,
                                double before_received, int64_t before_id, int limit,
                                struct store_event_row **rows, size_t *n, bool *more) WUR;

/* ---- facets: tag values and hourly counts per issue (the facets job keeps them) ---- */

struct store_tag_value {
    const char *key, *value;
    int64_t count;
    double first_seen, last_seen;
};
struct store_tag_key {
    const char *key;
    int64_t total, unique_values; /* events with the tag; distinct values */
};
/* The issue's tag keys by key (hidden search keys user.id … left out). */
enum err store_issue_tag_keys(struct store *st, struct arena *a, int64_t issue_id,
                              struct store_tag_key **rows, size_t *n) WUR;
/* The values of one key (key NULL: of every key), most frequent first, at most limit. */
enum err store_issue_tag_values(struct store *st, struct arena *a, int64_t issue_id,
                                const char *key, int limit, struct store_tag_value **rows,
                                size_t *n) WUR;

struct store_stat_bucket {
    double start;
    int64_t count;
};
/* The issue's counts per bucket of `step` seconds (3600 or 86400) from since (rounded down to
 * a bucket) to until, every bucket present (zeros included), oldest first; at most 1000. */
enum err store_issue_stats(struct store *st, struct arena *a, int64_t issue_id, double since,
                           double until, double step, struct store_stat_bucket **rows,
                           size_t *n) WUR;
/* The same counts summed over all the issues of each of n projects (a project list's
 * sparklines): *rows gets n * *nb buckets, project_ids[k]'s at (*rows)[k * *nb] onwards,
 * every bucket present, oldest first. One statement per 30 projects. */
enum err store_project_stats(struct store *st, struct arena *a, const int64_t *project_ids,
                             size_t n, double since, double until, double step,
                             struct store_stat_bucket **rows, size_t *nb) WUR;

/* What one facets pass did. */
struct store_facets_result {
    int64_t events;  /* events read */
    int64_t rebuilt; /* issues recomputed from their events */
    bool skipped;    /* another node holds the facets lock */
    bool more;       /* a batch came back full: call again */
};
/* One pass of the facets job: first the issues waiting in facet_rebuild (a merge, or events
 * gone by retention), recomputed from their events up to the cursor; then one batch of at
 * most batch events after the cursor and received at most lag seconds before now, whose
 * stored bodies are read (decode(data, ctx) gives their tags) and counted into
 * issue_tag_values and issue_stats, the cursor moving in the same transaction. On
 * PostgreSQL it runs under an advisory lock (others: skipped). */
struct store_facets_tag {
    const char *key, *value;
};
typedef enum err (*store_facets_decode_fn)(struct arena *a, const void *data, size_t len,
                                           struct store_facets_tag **tags, size_t *n, void *ctx);
enum err store_facets_run(struct store *st, size_t batch, double now, double lag,
                          store_facets_decode_fn decode, void *ctx, struct store_facets_result *out,
                          struct errinfo *ei) WUR;
/* Queues for rebuild the issues whose tag values still count events that are gone (retention
 * removed events received before cutoff); *queued gets how many. */
enum err store_facets_prune(struct store *st, double cutoff, int64_t *queued) WUR;

/* ---- zstd dictionaries of stored event bodies (store_zdicts.c; api/zdicts.h owns them) ---- */

struct store_zdict {
    int64_t id, project_id;
    uint32_t dict_id; /* the zstd dictionary ID its frames carry; never 0 */
    double created, last_used;
    const void *data; /* the whole dictionary, arena-owned */
    size_t len;
};

/* One stored event body (arena-owned). */
struct store_blob {
    const void *data;
    size_t len;
};

/* Stores a project's dictionary, last used at created. E_CONFLICT when dict_id is taken
 * (another node's dictionary: pick another id), E_NOTFOUND when the project is gone.
 * id_out may be NULL. */
enum err store_zdict_insert(struct store *st, int64_t project_id, uint32_t dict_id, double created,
                            const void *data, size_t len, int64_t *id_out) WUR;
/* The dictionary whose ID is dict_id; E_NOTFOUND when there is none. */
enum err store_zdict_get(struct store *st, struct arena *a, uint32_t dict_id,
                         struct store_zdict *out) WUR;
/* The project's newest dictionary (latest created, then highest id); E_NOTFOUND when none. */
enum err store_zdict_newest(struct store *st, struct arena *a, int64_t project_id,
                            struct store_zdict *out) WUR;
/* Records that a node compresses with dict_id at now (last_used never moves back);
 * E_NOTFOUND when it is gone. Atomic against store_zdict_prune: once this returned E_OK, a
 * prune with before <= now keeps the dictionary. */
enum err store_zdict_touch(struct store *st, uint32_t dict_id, double now) WUR;
/* The stored bodies of the project's most recent events (latest received first), at most
 * limit (1..STORE_LIST_MAX): the samples a dictionary is trained from. PostgreSQL takes them
 * from the project's 64 most recently seen issues only (store_zdicts.c says why). */
enum err store_zdict_samples(struct store *st, struct arena *a, int64_t project_id, int limit,
                             struct store_blob **rows, size_t *n) WUR;
/* Deletes every dictionary last used before `before` whose project has a newer one (created
 * later); *deleted gets how many. The caller picks `before` so that every event compressed
 * with such a dictionary has been removed by retention (api/zdicts.h: zdicts_prune_before). */
enum err store_zdict_prune(struct store *st, double before, int64_t *deleted) WUR;

/* ---- comments and user reports ---- */

struct store_comment {
    int64_t id, issue_id, user_id; /* user_id 0: the author's account is gone */
    const char *text, *user_email;
    double created, updated;
};
enum err store_comment_list(struct store *st, struct arena *a, int64_t issue_id,
                            struct store_comment **rows, size_t *n) WUR;
enum err store_comment_get(struct store *st, struct arena *a, int64_t issue_id, int64_t id,
                           struct store_comment *out) WUR;
enum err store_comment_create(struct store *st, int64_t issue_id, int64_t user_id, const char *text,
                              struct arena *a, struct store_comment *out) WUR;
enum err store_comment_update(struct store *st, int64_t issue_id, int64_t id, const char *text) WUR;
enum err store_comment_delete(struct store *st, int64_t issue_id, int64_t id) WUR;

struct store_user_report {
    int64_t id, project_id, issue_id; /* issue_id 0: the event is not (yet) stored */
    const char *event_id, *name, *email, *comments;
    double created;
};
/* Stores a report for event_id (32 hex) of the project, linked to the event's issue when the
 * event is stored; a second report for the same event replaces the first. This is also what
 * ingest calls for `user_report` / `feedback` envelope items. */
enum err store_user_report_save(struct store *st, int64_t project_id, const char *event_id,
                                const char *name, const char *email, const char *comments,
                                struct arena *a, struct store_user_report *out) WUR;
/* Reports of a project (issue_id 0) or of an issue, newest first. */
enum err store_user_report_list(struct store *st, struct arena *a, int64_t project_id,
                                int64_t issue_id, struct store_user_report **rows, size_t *n) WUR;

/* ---- retention and partitions ----------------------------------------------------------- */

struct store_retention_result {
    int64_t events_deleted;     /* rows deleted one by one (SQLite; PostgreSQL's default
                                   partition) — events of dropped partitions are not counted */
    int64_t partitions_dropped; /* PostgreSQL: whole expired daily partitions */
    int64_t issues_updated;     /* aggregates recomputed from the remaining events */
    int64_t issues_deleted;     /* issues left without events */
    bool skipped;               /* another node holds the retention lock: nothing done */
    bool interrupted;           /* *stop became true: the rest is left for the next run */
};

/* Removes the events received before cutoff, then recomputes the aggregates of the issues
 * they belonged to from the events that remain — times_seen, first_seen, last_seen (min and
 * max event timestamp), the distinct users and user_count — and deletes the issues left
 * without events. Works in transactions of at most max_batch rows (or issues), yielding to
 * ingest between them, so a large backlog never stalls ingest. SQLite deletes row by row.
 * PostgreSQL rounds cutoff down to a UTC day boundary and drops whole daily partitions
 * (plus the expired rows of the default partition and of event_ids); it runs under an
 * advisory lock, so with several nodes one runs it and the others return skipped. The
 * issues to recompute are recorded in the same transaction as the delete, so an
 * interrupted run (stop, crash, lost database) is finished by the next one. stop may be
 * NULL; it is checked between transactions. */
enum err store_retention_run(struct store *st, double cutoff, size_t max_batch,
                             const atomic_bool *stop, struct store_retention_result *out,
                             struct errinfo *ei) WUR;

/* PostgreSQL: creates the daily events partitions from the day before now's UTC day to a
 * week after it (rows of those days that already sit in the default partition move in);
 * *created (may be NULL) gets how many were made. Idempotent and safe on several nodes (an
 * advisory lock serialises them). SQLite: nothing to do. */
enum err store_partitions_maintain(struct store *st, double now, int *created,
                                   struct errinfo *ei) WUR;

/* The file of a sqlite:// URL (a pointer into url), or NULL for any other URL. */
const char *store_sqlite_path(const char *url);

/* ---- live updates across nodes ----------------------------------------------------------- */

/* One event another node committed, as the live listener decoded it; strings are borrowed
 * for the callback. title (at most LIMIT_TITLE_CHARS characters) and level may be NULL. */
struct store_live_event {
    const char *event_id;
    int64_t issue_id, project_id;
    const char *title, *level;
};
/* Runs on the listener's thread; it must not block (hand the events over and return). n >= 1:
 * events of one notification, in commit order. n == 0 (evs NULL): the listener has just
 * reconnected after a time without a connection, so notifications sent meanwhile are lost. */
typedef void (*store_live_fn)(void *ctx, const struct store_live_event *evs, size_t n);

/* PostgreSQL: starts this handle's listener — a connection of its own that LISTENs for the
 * events the other nodes (other store handles) commit and passes them to fn; those this
 * handle committed itself are left out. The first connection is made before it returns
 * (E_OK: listening from now on, unless the database is unreachable right now — then it
 * keeps trying in the background, with backoff, as it does after losing the connection).
 * E_UNSUPPORTED on SQLite (one node: nothing to hear), E_CONFLICT when already listening. */
enum err store_live_listen(struct store *st, store_live_fn fn, void *ctx) WUR;
/* Stops the listener and waits for its thread: fn is not called after this returns. Nothing
 * to do when there is none; store_close() does it too. */
void store_live_stop(struct store *st);

/* ---- backend plumbing -------------------------------------------------------------------- */

/* Test fault injection: the Nth wrapper call from now fails with E_UNAVAILABLE (0 = off). */
void store_fail_after(struct store *st, int n);

#endif
