/* sqlite_ingest: the SQLite backend's ingest of an event batch — one transaction on the
 * writer connection; per event, find or create the issue, insert the event (a duplicate
 * event_id does nothing), record its user and update the issue's counters. */
#include "store/sqlite_int.h"

/* ---- ingest ----------------------------------------------------------------------------- */

/* The issue of the event already stored under ev's event_id (E_NOTFOUND if none). */
static enum err sq_ing_event_find(struct sq_conn *c, const struct store_event_in *ev,
                                  int64_t *issue_id, struct errinfo *ei)
{
    struct sq_q q;
    enum err e = sq_prep(c, SQ_ING_EVENT_FIND, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    sq_text(&q, ev->event_id);
    return sq_run_int(&q, ei, "find event", issue_id);
}

static enum err sq_ing_issue_find(struct sq_conn *c, const struct store_event_in *ev,
                                  int64_t *issue_id, struct errinfo *ei)
{
    struct sq_q q;
    enum err e = sq_prep(c, SQ_ING_ISSUE_FIND, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    sq_text(&q, ev->hash);
    return sq_run_int(&q, ei, "find issue", issue_id);
}

/* Creates the issue with the project's next short number; counters start at zero (the
 * update that follows counts the event). */
static enum err sq_ing_issue_create(struct sq_conn *c, const struct store_event_in *ev,
                                    int64_t *issue_id, struct errinfo *ei)
{
    int64_t short_num = 0;
    struct sq_q q;
    enum err e = sq_prep(c, SQ_ING_COUNTER, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    e = sq_run_int(&q, ei, "bump issue counter", &short_num);
    if (e == E_NOTFOUND)
        return errinfo_set(ei, E_NOTFOUND, "project %lld not found", (long long)ev->project_id);
    if (!e)
        e = sq_prep(c, SQ_ING_ISSUE_INSERT, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    sq_text(&q, ev->hash);
    sq_int(&q, short_num);
    sq_text(&q, ev->title);
    sq_text(&q, ev->culprit);
    sq_text(&q, ev->type);
    sq_text(&q, ev->level);
    sq_text(&q, ev->metadata_json);
    sq_real(&q, ev->timestamp);
    sq_real(&q, ev->timestamp);
    sq_text(&q, ev->platform);
    sq_text(&q, ev->logger);
    e = sq_run(&q, ei, "insert issue", NULL);
    if (!e)
        *issue_id = sqlite3_last_insert_rowid(c->db);
    return e;
}

/* Inserts the event; *stored is false when its event_id was already there. */
static enum err sq_ing_event_insert(struct sq_conn *c, const struct store_event_in *ev,
                                    int64_t issue_id, bool *stored, struct errinfo *ei)
{
    struct sq_q q;
    int changes = 0;
    enum err e = sq_prep(c, SQ_ING_EVENT_INSERT, &q);
    if (e)
        return e;
    sq_int(&q, ev->project_id);
    sq_int(&q, issue_id);
    sq_text(&q, ev->event_id);
    sq_real(&q, ev->timestamp);
    sq_real(&q, ev->received);
    sq_text(&q, ev->level);
    sq_text(&q, ev->platform);
    sq_text(&q, ev->environment);
    sq_text(&q, ev->release);
    sq_text(&q, ev->transaction);
    sq_text(&q, ev->user_key);
    sq_text(&q, ev->message);
    sq_blob(&q, ev->data_len ? ev->data : NULL, ev->data_len);
    e = sq_run(&q, ei, "insert event", &changes);
    *stored = changes > 0;
    return e;
}

/* Records the event's user; *is_new is true when the issue had not seen it. */
static enum err sq_ing_user(struct sq_conn *c, const struct store_event_in *ev, int64_t issue_id,
                            bool *is_new, struct errinfo *ei)
{
    struct sq_q q;
    int changes = 0;
    *is_new = false;
    if (!ev->user_key || !*ev->user_key)
        return E_OK;
    enum err e = sq_prep(c, SQ_ING_USER_INSERT, &q);
    if (e)
        return e;
    sq_int(&q, issue_id);
    sq_text(&q, ev->user_key);
    e = sq_run(&q, ei, "insert issue user", &changes);
    *is_new = changes > 0;
    return e;
}

static enum err sq_ing_issue_update(struct sq_conn *c, const struct store_event_in *ev,
                                    int64_t issue_id, bool new_user, struct errinfo *ei)
{
    struct sq_q q;
    enum err e = sq_prep(c, SQ_ING_ISSUE_UPDATE, &q);
    if (e)
        return e;
    sq_int(&q, issue_id);
    sq_int(&q, new_user ? 1 : 0);
    sq_real(&q, ev->timestamp);
    sq_text(&q, ev->level);
    sq_text(&q, ev->title);
    sq_text(&q, ev->culprit);
    sq_text(&q, ev->type);
    sq_text(&q, ev->metadata_json);
    return sq_run(&q, ei, "update issue", NULL);
}

/* One event of a batch, inside the batch's transaction. */
static enum err sq_ing_one(struct sq_conn *c, struct store_event_in *ev, struct errinfo *ei)
{
    int64_t issue_id = 0;
    bool stored = false, new_user = false;
    enum err e = sq_ing_issue_find(c, ev, &issue_id, ei);
    if (e == E_NOTFOUND) {
        /* Do not create an issue for an event that turns out to be a duplicate. */
        e = sq_ing_event_find(c, ev, &ev->issue_id, ei);
        if (e == E_OK) {
            ev->duplicate = true;
            return E_OK;
        }
        if (e == E_NOTFOUND)
            e = sq_ing_issue_create(c, ev, &issue_id, ei);
    }
    if (!e)
        e = sq_ing_event_insert(c, ev, issue_id, &stored, ei);
    if (!e && !stored) {
        ev->duplicate = true;
        return sq_ing_event_find(c, ev, &ev->issue_id, ei);
    }
    if (!e)
        e = sq_ing_user(c, ev, issue_id, &new_user, ei);
    if (!e)
        e = sq_ing_issue_update(c, ev, issue_id, new_user, ei);
    ev->issue_id = issue_id;
    return e;
}

enum err sq_ingest_batch(struct store *st, struct store_event_in *evs, size_t n, struct errinfo *ei)
{
    struct sq_store *s = sq_of(st);
    pthread_mutex_lock(&s->writer_mu);
    enum err e = sq_begin(&s->writer, ei);
    if (!e) {
        for (size_t i = 0; i < n && !e; i++)
            e = sq_ing_one(&s->writer, &evs[i], ei);
        e = sq_finish(&s->writer, e, ei);
    }
    pthread_mutex_unlock(&s->writer_mu);
    return e;
}
