/* store_zdicts: store.h's zstd dictionaries of stored event bodies — insert, get by dict_id,
 * a project's newest, touch, training samples and pruning — written once as portable SQL over
 * the query driver of store_orgs_int.h (one text for both engines).
 *
 * DESIGN
 * - A dictionary row is immutable except last_used, which only moves forward. The nodes that
 *   compress with a dictionary touch it (api/zdicts.c), and store_zdict_prune deletes only
 *   rows whose last_used is older than its bound, in one statement: a touch and a prune of
 *   the same row serialise on the row (PostgreSQL re-checks the DELETE's condition on the
 *   updated row; SQLite has one writer), so a dictionary a node has just confirmed is never
 *   deleted under it.
 * - The project's newest dictionary is never pruned: a restarted node adopts it instead of
 *   training a new one.
 * - Samples: the newest events by received time, read without a (project_id, received)
 *   index (one more index to write per ingested event is what this feature saves). SQLite
 *   walks events_received backwards from the newest row — the project_id condition is
 *   written +e.project_id so that the planner does not read every event of the project
 *   through the (project_id, event_id) index and sort them —, which is cheap for a project
 *   that has just had hundreds of events. PostgreSQL has no index on received alone (its
 *   partitions would be scanned whole), so it takes the newest events of the project's
 *   ZD_SAMPLE_ISSUES most recently seen issues, each through (issue_id, received, id): a
 *   bounded amount of work, and the same rows unless the project spreads its recent events
 *   over more issues than that. */
#include "store/store_issues_int.h"

#include <string.h>

#define ZD_COLS "z.id, z.project_id, z.dict_id, z.created, z.last_used, z.data"
#define ZD_SAMPLE_ISSUES "64" /* PostgreSQL: the issues samples are taken from */

static void zd_p_blob(struct store_q_params *p, const void *data, size_t len)
{
    if (p->n < STORE_Q_PARAMS_MAX)
        p->v[p->n] = (struct store_q_param){.t = SQT_BLOB, .s = data, .len = len};
    p->n++;
}

static enum err zd_fill(struct si_out *out, const struct store_q_row *r, void *dst)
{
    struct store_zdict *z = dst;
    const struct store_orgs_ops *o = out->o;
    z->id = o->col_int(r, 0);
    z->project_id = o->col_int(r, 1);
    z->dict_id = (uint32_t)o->col_int(r, 2);
    z->created = o->col_real(r, 3);
    z->last_used = o->col_real(r, 4);
    z->data = o->col_blob(r, 5, out->a, &z->len);
    return z->len == SIZE_MAX ? E_TOOBIG : E_OK;
}

static enum err zd_fill_blob(struct si_out *out, const struct store_q_row *r, void *dst)
{
    struct store_blob *b = dst;
    b->data = out->o->col_blob(r, 0, out->a, &b->len);
    return b->len == SIZE_MAX ? E_TOOBIG : E_OK;
}

enum err store_zdict_insert(struct store *st, int64_t project_id, uint32_t dict_id, double created,
                            const void *data, size_t len, int64_t *id_out)
{
    SI_ENTER(st);
    SI_CHECK(project_id > 0 && dict_id != 0 && data && len > 0 && len <= INT32_MAX);
    struct store_q_params p = {0};
    si_p_int(&p, project_id);
    si_p_int(&p, dict_id);
    si_p_real(&p, created);
    zd_p_blob(&p, data, len);
    int64_t id = 0;
    struct si_out out = {.o = st->ops->orgs, .fill = si_fill_int, .one = &id};
    /* The project is checked in the statement: a missing one inserts nothing (E_NOTFOUND)
     * on both engines instead of a foreign-key error only PostgreSQL maps. PostgreSQL types
     * a SELECT list's parameters as text unless told; SQLite's CAST would turn the blob into
     * a number (BYTEA has numeric affinity), so the texts differ in the casts only. */
    enum err e =
        si_exec(st,
                si_is_pg(st) ? "INSERT INTO zdicts (project_id, dict_id, created, last_used, data) "
                               "SELECT id, $2::bigint, $3::float8, $3::float8, $4::bytea "
                               "FROM projects WHERE id = $1 RETURNING id"
                             : "INSERT INTO zdicts (project_id, dict_id, created, last_used, data) "
                               "SELECT id, $2, $3, $3, $4 FROM projects WHERE id = $1 RETURNING id",
                &p, &out, NULL);
    if (!e && !out.found)
        e = E_NOTFOUND;
    if (!e && id_out)
        *id_out = id;
    return e;
}

enum err store_zdict_get(struct store *st, struct arena *a, uint32_t dict_id,
                         struct store_zdict *out)
{
    SI_ENTER(st);
    SI_CHECK(a && out && dict_id != 0);
    struct store_q_params p = {0};
    si_p_int(&p, dict_id);
    return si_one(st, a, "SELECT " ZD_COLS " FROM zdicts z WHERE z.dict_id = $1", &p, zd_fill, out);
}

enum err store_zdict_newest(struct store *st, struct arena *a, int64_t project_id,
                            struct store_zdict *out)
{
    SI_ENTER(st);
    SI_CHECK(a && out);
    struct store_q_params p = {0};
    si_p_int(&p, project_id);
    return si_one(st, a,
                  "SELECT " ZD_COLS " FROM zdicts z WHERE z.project_id = $1 "
                  "ORDER BY z.created DESC, z.id DESC LIMIT 1",
                  &p, zd_fill, out);
}

enum err store_zdict_touch(struct store *st, uint32_t dict_id, double now)
{
    SI_ENTER(st);
    SI_CHECK(dict_id != 0);
    struct store_q_params p = {0};
    si_p_int(&p, dict_id);
    si_p_real(&p, now);
    int64_t changed = 0;
    enum err e = si_exec(st,
                         "UPDATE zdicts SET last_used = CASE WHEN last_used < $2 THEN $2 "
                         "ELSE last_used END WHERE dict_id = $1",
                         &p, NULL, &changed);
    return e ? e : changed > 0 ? E_OK : E_NOTFOUND;
}

enum err store_zdict_samples(struct store *st, struct arena *a, int64_t project_id, int limit,
                             struct store_blob **rows, size_t *n)
{
    SI_ENTER(st);
    SI_CHECK(a && rows && n && limit > 0 && limit <= STORE_LIST_MAX);
    struct store_q_params p = {0};
    si_p_int(&p, project_id);
    si_p_int(&p, limit);
    void *r = NULL;
    enum err e =
        si_list(st, a,
                si_is_pg(st)
                    ? "SELECT x.data FROM (SELECT i.id FROM issues i WHERE i.project_id = $1 "
                      "ORDER BY i.last_seen DESC LIMIT " ZD_SAMPLE_ISSUES ") i CROSS JOIN LATERAL "
                      "(SELECT e.data, e.received, e.id FROM events e WHERE e.issue_id = i.id AND "
                      "e.data IS NOT NULL ORDER BY e.received DESC, e.id DESC LIMIT $2) x "
                      "ORDER BY x.received DESC, x.id DESC LIMIT $2"
                    : "SELECT e.data FROM events e WHERE +e.project_id = $1 AND e.data IS NOT NULL "
                      "ORDER BY e.received DESC, e.id DESC LIMIT $2",
                &p, zd_fill_blob, sizeof **rows, &r, n);
    *rows = r;
    return e;
}

enum err store_zdict_prune(struct store *st, double before, int64_t *deleted)
{
    SI_ENTER(st);
    SI_CHECK(deleted);
    struct store_q_params p = {0};
    si_p_real(&p, before);
    *deleted = 0;
    return si_exec(st,
                   "DELETE FROM zdicts WHERE last_used < $1 AND EXISTS (SELECT 1 FROM zdicts n "
                   "WHERE n.project_id = zdicts.project_id AND (n.created > zdicts.created OR "
                   "(n.created = zdicts.created AND n.id > zdicts.id)))",
                   &p, NULL, deleted);
}
