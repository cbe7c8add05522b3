/* postgres_sql: the fixed SQL of the PostgreSQL backend, one text per enum pg_stmt, prepared
 * once per connection. Values are always parameters ($n); the ingest statements take whole
 * batches as binary arrays and unnest() them, so a batch costs a handful of round trips
 * whatever its size. */
#include "store/postgres_int.h"

#define USER_COLS "u.id, u.email, u.password_hash, u.is_superuser, u.created"
#define ORG_COLS "o.id, o.slug, o.name, o.created"
#define TEAM_COLS "t.id, t.org_id, t.slug, t.name, t.created"
#define PROJECT_COLS "p.id, p.org_id, p.slug, p.name, p.platform, o.slug, p.created"
#define PROJECT_FROM " FROM projects p JOIN organizations o ON o.id = p.org_id"
#define KEY_COLS                                                                                   \
    "k.id, k.project_id, k.public_key, k.label, k.active, k.created, k.rate_window, k.rate_count"
#define ISSUE_COLS                                                                                 \
    "i.id, i.project_id, i.short_num, p.slug, i.hash, i.title, i.culprit, i.type, i.level, "       \
    "i.status, i.metadata, i.first_seen, i.last_seen, i.times_seen, i.user_count, i.platform, "    \
    "i.logger"
#define ISSUE_FROM " FROM issues i JOIN projects p ON p.id = i.project_id"
#define EVENT_COLS "e.id, e.project_id, e.issue_id, e.event_id, e.timestamp, e.received, e.data"

/* "this event is the newest so far" for the columns that follow the newest event */
#define NEWEST(col)                                                                                \
#col " = CASE WHEN u.ts >= i.last_seen THEN coalesce(u." #col ", i." #col ") "                 \
         "ELSE i." #col " END, "

const char *const pg_sql[PG__MAX] = {
    [PG_PING] = "SELECT 1",
    [PG_MIG_LOCK] = "SELECT pg_advisory_xact_lock($1)",
    [PG_MIG_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
    [PG_MIG_RECORD] = "INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, $3)",
    [PG_USER_INSERT] = "INSERT INTO users (email, password_hash, is_superuser, created) "
                       "VALUES ($1, $2, $3, $4) RETURNING id",
    [PG_USER_BY_EMAIL] = "SELECT " USER_COLS " FROM users u WHERE u.email = $1",
    [PG_USER_BY_ID] = "SELECT " USER_COLS " FROM users u WHERE u.id = $1",
    [PG_USER_SET_PASSWORD] = "UPDATE users SET password_hash = $1 WHERE id = $2",
    [PG_USER_COUNT] = "SELECT count(*) FROM users",
    [PG_TOKEN_INSERT] = "INSERT INTO api_tokens (user_id, token_hash, label, scopes, created) "
                        "VALUES ($1, $2, $3, $4, $5) RETURNING id",
    [PG_TOKEN_LOOKUP] = "SELECT " USER_COLS ", t.scopes, t.id, coalesce(t.last_used, 0) "
                        "FROM api_tokens t JOIN users u ON u.id = t.user_id "
                        "WHERE t.token_hash = $1",
    [PG_TOKEN_TOUCH] = "UPDATE api_tokens SET last_used = $1 WHERE id = $2",
    /* the org and its owner in one statement */
    [PG_ORG_INSERT] = "WITH o AS (INSERT INTO organizations (slug, name, created) "
                      "VALUES ($1, $2, $3) RETURNING *), "
                      "m AS (INSERT INTO org_members (org_id, user_id, role, created) "
                      "SELECT id, $4, 'owner', $3 FROM o) "
                      "SELECT " ORG_COLS " FROM o",
    [PG_ORG_BY_SLUG] = "SELECT " ORG_COLS " FROM organizations o WHERE o.slug = $1",
    [PG_ORG_LIST_ALL] = "SELECT " ORG_COLS " FROM organizations o ORDER BY o.name, o.id",
    [PG_ORG_LIST_USER] = "SELECT " ORG_COLS " FROM organizations o "
                         "JOIN org_members m ON m.org_id = o.id WHERE m.user_id = $1 "
                         "ORDER BY o.name, o.id",
    [PG_MEMBER_ROLE] = "SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2",
    [PG_TEAM_INSERT] = "INSERT INTO teams AS t (org_id, slug, name, created) "
                       "VALUES ($1, $2, $3, $4) RETURNING " TEAM_COLS,
    [PG_TEAM_BY_SLUG] = "SELECT " TEAM_COLS " FROM teams t WHERE t.org_id = $1 AND t.slug = $2",
    [PG_TEAM_LIST] = "SELECT " TEAM_COLS " FROM teams t WHERE t.org_id = $1 ORDER BY t.slug",
    /* the project, linked to team $6 when that team belongs to the org; the last column
     * says whether it was linked */
    [PG_PROJECT_INSERT] =
        "WITH p AS (INSERT INTO projects (org_id, slug, name, platform, created) "
        "VALUES ($1, $2, $3, $4, $5) RETURNING *), "
        "l AS (INSERT INTO project_teams (project_id, team_id) "
        "SELECT p.id, t.id FROM p, teams t WHERE t.id = $6 AND t.org_id = $1 RETURNING 1) "
        "SELECT " PROJECT_COLS ", (SELECT count(*) FROM l) "
        "FROM p JOIN organizations o ON o.id = p.org_id",
    [PG_PROJECT_BY_SLUG] =
        "SELECT " PROJECT_COLS PROJECT_FROM " WHERE p.org_id = $1 AND p.slug = $2",
    [PG_PROJECT_BY_ID] = "SELECT " PROJECT_COLS PROJECT_FROM " WHERE p.id = $1",
    [PG_PROJECT_LIST] = "SELECT " PROJECT_COLS PROJECT_FROM " WHERE p.org_id = $1 ORDER BY p.slug",
    [PG_KEY_INSERT] = "INSERT INTO project_keys AS k (project_id, public_key, label, created) "
                      "VALUES ($1, $2, $3, $4) RETURNING " KEY_COLS,
    [PG_KEY_LIST] = "SELECT " KEY_COLS " FROM project_keys k WHERE k.project_id = $1 "
                    "ORDER BY k.id",
    [PG_KEY_BY_PUBLIC] = "SELECT " KEY_COLS " FROM project_keys k WHERE k.public_key = $1",
    [PG_ISSUE_BY_ID] = "SELECT " ISSUE_COLS ISSUE_FROM " WHERE i.id = $1",
    [PG_ISSUE_SET_STATUS] = "UPDATE issues SET status = $1 WHERE id = $2",
    /* events, their event_ids rows and the issue's users go by the issues_deleted trigger
     * (0009_ingest_fks.sql) */
    [PG_ISSUE_DELETE] = "DELETE FROM issues WHERE id = $1",
    [PG_EVENT_LATEST] = "SELECT " EVENT_COLS " FROM events e WHERE e.issue_id = $1 "
                        "ORDER BY e.received DESC, e.id DESC LIMIT 1",
    [PG_EVENT_OLDEST] = "SELECT " EVENT_COLS " FROM events e WHERE e.issue_id = $1 "
                        "ORDER BY e.received, e.id LIMIT 1",
    /* event_ids says which partition (received) and row: one index probe, not one per day */
    [PG_EVENT_BY_ID] = "SELECT " EVENT_COLS " FROM event_ids x "
                       "JOIN events e ON e.id = x.row_id AND e.received = x.received "
                       "WHERE x.project_id = $1 AND x.event_id = $2",
    [PG_EVENT_COUNT] = "SELECT count(*) FROM event_ids WHERE project_id = $1",
    [PG_EVENT_COUNT_ALL] = "SELECT count(*) FROM event_ids",

    /* ---- ingest: every statement takes a whole batch; ord is the 1-based array index */

    /* Claims the batch's event_ids (sorted, so two writers lock in the same order); returns
     * the ones that were new, with the events row id reserved for them. A concurrent
     * transaction claiming the same id makes this wait for its outcome. */
    [PG_ING_CLAIM] =
        "WITH t AS (SELECT * FROM unnest($1::int8[], $2::text[], $3::float8[]) "
        "WITH ORDINALITY AS t(p, e, r, ord)), "
        "ins AS (INSERT INTO event_ids (project_id, event_id, row_id, received) "
        "SELECT p, e, nextval('events_id_seq'), r FROM t ORDER BY ord "
        "ON CONFLICT DO NOTHING RETURNING project_id, event_id, row_id) "
        "SELECT t.ord, ins.row_id FROM ins JOIN t ON t.p = ins.project_id AND t.e = ins.event_id",
    /* the issue of each already stored event */
    [PG_ING_DUP_FIND] = "SELECT t.ord, e.issue_id "
                        "FROM unnest($1::int8[], $2::text[]) WITH ORDINALITY AS t(p, e, ord) "
                        "JOIN event_ids x ON x.project_id = t.p AND x.event_id = t.e "
                        "JOIN events e ON e.id = x.row_id AND e.received = x.received",
    /* a merged issue's hash leads to the issue it was merged into (issue_aliases) */
    [PG_ING_ISSUE_FIND] = "SELECT t.ord, coalesce(i.id, a.issue_id) "
                          "FROM unnest($1::int8[], $2::text[]) WITH ORDINALITY AS t(p, h, ord) "
                          "LEFT JOIN issues i ON i.project_id = t.p AND i.hash = t.h "
                          "LEFT JOIN issue_aliases a ON a.project_id = t.p AND a.hash = t.h "
                          "WHERE i.id IS NOT NULL OR a.issue_id IS NOT NULL",
    /* New issues of a project are created only under its row lock, so a writer that holds
     * it and then looks again sees every issue created before it. NO KEY UPDATE: the claim
     * has already taken FOR KEY SHARE on these rows (event_ids' foreign key), which FOR
     * UPDATE conflicts with — two writers would each wait for the other's share lock. */
    [PG_ING_PROJECT_LOCK] = "SELECT id FROM projects WHERE id = ANY($1::int8[]) "
                            "ORDER BY id FOR NO KEY UPDATE",
    [PG_ING_COUNTER] = "UPDATE projects p SET issue_counter = p.issue_counter + c.n "
                       "FROM unnest($1::int8[], $2::int8[]) AS c(id, n) WHERE p.id = c.id "
                       "RETURNING p.id, p.issue_counter",
    [PG_ING_ISSUE_INSERT] =
        "WITH t AS (SELECT * FROM unnest($1::int8[], $2::text[], $3::int8[], $4::text[], "
        "$5::text[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::text[], $11::text[]) "
        "WITH ORDINALITY AS t(p, h, num, title, culprit, type, level, meta, ts, plat, lg, ord)), "
        "ins AS (INSERT INTO issues (project_id, hash, short_num, title, culprit, type, level, "
        "metadata, first_seen, last_seen, platform, logger) SELECT p, h, num, coalesce(title, ''), "
        "coalesce(culprit, ''), coalesce(type, 'error'), coalesce(level, 'error'), "
        "coalesce(meta, '{}'), ts, ts, plat, lg FROM t ORDER BY ord "
        "RETURNING id, project_id, hash) "
        "SELECT t.ord, ins.id FROM ins JOIN t ON t.p = ins.project_id AND t.h = ins.hash",
    /* issue rows are locked in id order before they are updated (no deadlocks between two
     * writers updating the same issues); fails when one is gone (0009_ingest_fks.sql) */
    [PG_ING_ISSUE_LOCK] = "SELECT snag_lock_issues($1::int8[])",
    [PG_ING_EVENT_INSERT] =
        "INSERT INTO events (id, project_id, issue_id, event_id, timestamp, received, level, "
        "platform, environment, release, transaction_name, user_key, message, data) "
        "SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::text[], $5::float8[], "
        "$6::float8[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], "
        "$12::text[], $13::text[], $14::bytea[])",
    /* One row per issue of the batch: n events, the oldest and newest timestamps and the
     * newest event's fields; the distinct (issue, user) pairs come in $10/$11. */
    [PG_ING_ISSUE_UPDATE] =
        "WITH nu AS (INSERT INTO issue_users (issue_id, user_key) "
        "SELECT DISTINCT i, k FROM unnest($10::int8[], $11::text[]) AS x(i, k) ORDER BY 1, 2 "
        "ON CONFLICT DO NOTHING RETURNING issue_id), "
        "c AS (SELECT issue_id, count(*) AS n FROM nu GROUP BY issue_id) "
        "UPDATE issues i SET times_seen = i.times_seen + u.n, "
        "user_count = i.user_count + coalesce(c.n, 0), "
        "status = CASE i.status WHEN 'resolved' THEN 'unresolved' ELSE i.status END, " NEWEST(level)
            NEWEST(title) NEWEST(culprit) NEWEST(
                type) "metadata = CASE WHEN u.ts >= i.last_seen THEN coalesce(u.meta, i.metadata) "
                      "ELSE i.metadata END, "
                      "first_seen = least(i.first_seen, u.min_ts), last_seen = "
                      "greatest(i.last_seen, u.ts) "
                      "FROM unnest($1::int8[], $2::int8[], $3::float8[], $4::float8[], $5::text[], "
                      "$6::text[], $7::text[], $8::text[], $9::text[]) "
                      "AS u(id, n, min_ts, ts, level, title, culprit, type, meta) "
                      "LEFT JOIN c ON c.issue_id = u.id WHERE i.id = u.id",

    /* The coarse sort keys (0010_issue_hot.sql) follow last_seen and times_seen in a
     * statement of their own, run after the update above (and after the creation of new
     * issues, which leaves them at their defaults); it finds something to change about once
     * a minute per issue. Assigning an indexed column in the update above, even its old
     * value, made that update twice as dear. The retention recount runs it too. */
    [PG_ING_ISSUE_SORT_KEYS] = "UPDATE issues SET " STORE_PG_SORT_KEYS_SET " "
                               "WHERE id = ANY($1::int8[]) "
                               "AND (last_seen_minute <> " STORE_PG_LAST_SEEN_MINUTE " "
                               "OR times_seen_digits <> " STORE_PG_TIMES_SEEN_DIGITS ")",

    /* The fast path's claim and events in one statement (postgres_ingest.c), on the bet
     * that no event_id of the batch was stored before: a plain INSERT claims them (a
     * speculative one, ON CONFLICT, writes twice the WAL), so a stored one fails the
     * statement with a unique violation, and the writer then rolls back and takes the usual
     * path, which tells duplicates apart. A concurrent transaction claiming the same id makes
     * this wait for its outcome, as the usual claim does. */
    [PG_ING_FAST_EVENTS] =
        "WITH t AS MATERIALIZED (SELECT *, nextval('events_id_seq') AS id FROM unnest($1::int8[], "
        "$2::int8[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::text[], $8::text[], "
        "$9::text[], $10::text[], $11::text[], $12::text[], $13::bytea[]) "
        "WITH ORDINALITY AS t(p, i, e, ts, r, lv, pl, en, re, tx, uk, msg, data, ord)), "
        "c AS (INSERT INTO event_ids (project_id, event_id, row_id, received) "
        "SELECT p, e, id, r FROM t ORDER BY ord) "
        "INSERT INTO events (id, project_id, issue_id, event_id, timestamp, received, "
        "level, platform, environment, release, transaction_name, user_key, message, data) "
        "SELECT id, p, i, e, ts, r, lv, pl, en, re, tx, uk, msg, data FROM t",

    /* ---- retention and partitions (postgres_retention.c) */

    /* a job waits this long for a table lock, then fails and is retried later, rather
     * than keep ingest queued behind it */
    [PG_LOCK_TIMEOUT] = "SELECT set_config('lock_timeout', '5s', true)",
    [PG_TRY_LOCK] = "SELECT pg_try_advisory_lock($1)",
    [PG_UNLOCK] = "SELECT pg_advisory_unlock($1)",
    [PG_PRT_ADD] = "SELECT snag_events_add_partitions("
                   "(to_timestamp($1) AT TIME ZONE 'UTC')::date - 1, 9)",
    [PG_RET_DROP] = "SELECT snag_events_drop_partitions($1)",
    /* the expired rows of the default partition, max $2 at a time */
    [PG_RET_DEFAULT] = "WITH d AS (DELETE FROM events_default WHERE (id, received) IN "
                       "(SELECT id, received FROM events_default WHERE received < $1 LIMIT $2) "
                       "RETURNING issue_id), "
                       "m AS (INSERT INTO issue_recount (issue_id) SELECT DISTINCT issue_id "
                       "FROM d ON CONFLICT DO NOTHING) "
                       "SELECT count(*) FROM d",
    [PG_RET_EVENT_IDS] = "DELETE FROM event_ids WHERE (project_id, event_id) IN "
                         "(SELECT project_id, event_id FROM event_ids WHERE received < $1 "
                         "LIMIT $2)",
    /* several nodes may recount at once: each takes rows nobody else holds */
    [PG_RET_CLAIM] = "DELETE FROM issue_recount WHERE issue_id IN (SELECT issue_id "
                     "FROM issue_recount ORDER BY issue_id LIMIT $1 FOR UPDATE SKIP LOCKED) "
                     "RETURNING issue_id",
    [PG_RET_USERS_PRUNE] = "DELETE FROM issue_users u WHERE u.issue_id = ANY($1::int8[]) "
                           "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.issue_id = u.issue_id "
                           "AND e.user_key = u.user_key)",
    [PG_RET_ISSUE_EMPTY] = "DELETE FROM issues i WHERE i.id = ANY($1::int8[]) "
                           "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.issue_id = i.id)",
    [PG_RET_ISSUE_UPDATE] =
        "UPDATE issues i SET times_seen = a.n, first_seen = a.lo, last_seen = a.hi, "
        "user_count = (SELECT count(*) FROM issue_users u WHERE u.issue_id = i.id) "
        "FROM (SELECT issue_id, count(*) AS n, min(timestamp) AS lo, max(timestamp) AS hi "
        "FROM events WHERE issue_id = ANY($1::int8[]) GROUP BY issue_id) a "
        "WHERE i.id = a.issue_id",

    /* ---- live updates across nodes (postgres_live.c): every payload of a batch, delivered
     * to the listeners when the ingest transaction commits */
    [PG_LIVE_NOTIFY] = "SELECT pg_notify('" PG_LIVE_CHANNEL "', p) FROM unnest($1::text[]) AS p",
};
