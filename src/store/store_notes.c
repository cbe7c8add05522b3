/* store_notes: comments on issues (Sentry's notes) and user reports (the feedback a user
 * leaves for an event, from the API or, later, from ingest's user_report/feedback items). A
 * report is keyed by (project, event id) and linked to the event's issue when that event is
 * stored; a second report for the same event replaces the first. */
#include "store/store_issues_int.h"

#include <string.h>

#include "core/clock.h"

#define NOTE_COLS "c.id, c.issue_id, coalesce(c.user_id, 0), c.text, u.email, c.created, c.updated"
#define NOTE_FROM " FROM issue_comments c LEFT JOIN users u ON u.id = c.user_id"
/* A report stored before its event (feedback may overtake the event in the writer's queue,
 * or come in the same envelope) has no issue_id; it is linked when read. */
#define REPORT_EVENT_ISSUE                                                                         \
    "(SELECT e.issue_id FROM events e WHERE e.project_id = r.project_id AND "                      \
    "e.event_id = r.event_id LIMIT 1)"
#define REPORT_COLS                                                                                \
    "r.id, r.project_id, coalesce(r.issue_id, " REPORT_EVENT_ISSUE ", 0), r.event_id, r.name, "    \
    "r.email, r.comments, r.created"

static enum err note_fill(struct si_out *out, const struct store_q_row *r, void *dst)
{
    struct store_comment *c = dst;
    c->id = out->o->col_int(r, 0);
    c->issue_id = out->o->col_int(r, 1);
    c->user_id = out->o->col_int(r, 2);
    c->created = out->o->col_real(r, 5);
    c->updated = out->o->col_real(r, 6);
    enum err e = si_text_col(out, r, 3, &c->text);
    return e ? e : si_text_col(out, r, 4, &c->user_email);
}

enum err store_comment_list(struct store *st, struct arena *a, int64_t issue_id,
                            struct store_comment **rows, size_t *n)
{
    SI_ENTER(st);
    SI_CHECK(a && rows && n);
    struct store_q_params p = {0};
    si_p_int(&p, issue_id);
    return si_list(st, a,
                   "SELECT " NOTE_COLS NOTE_FROM " WHERE c.issue_id = $1 ORDER BY c.id DESC "
                   "LIMIT 1000",
                   &p, note_fill, sizeof **rows, (void **)rows, n);
}

enum err store_comment_get(struct store *st, struct arena *a, int64_t issue_id, int64_t id,
                           struct store_comment *out)
{
    SI_ENTER(st);
    SI_CHECK(a && out);
    struct store_q_params p = {0};
    si_p_int(&p, issue_id);
    si_p_int(&p, id);
    return si_one(st, a, "SELECT " NOTE_COLS NOTE_FROM " WHERE c.issue_id = $1 AND c.id = $2", &p,
                  note_fill, out);
}

enum err store_comment_create(struct store *st, int64_t issue_id, int64_t user_id, const char *text,
                              struct arena *a, struct store_comment *out)
{
    SI_ENTER(st);
    SI_CHECK(text && a && out);
    struct store_q_params p = {0};
    si_p_int(&p, issue_id);
    si_p_int(&p, user_id);
    si_p_text(&p, text);
    si_p_real(&p, clock_now());
    int64_t id = 0;
    enum err e = si_one(st, NULL,
                        "INSERT INTO issue_comments (issue_id, user_id, text, created, updated) "
                        "VALUES ($1, $2, $3, $4, $4) RETURNING id",
                        &p, si_fill_int, &id);
    return e ? e : store_comment_get(st, a, issue_id, id, out);
}

enum err store_comment_update(struct store *st, int64_t issue_id, int64_t id, const char *text)
{
    SI_ENTER(st);
    SI_CHECK(text);
    struct store_q_params p = {0};
    si_p_int(&p, issue_id);
    si_p_int(&p, id);
    si_p_text(&p, text);
    si_p_real(&p, clock_now());
    int64_t changes = 0;
    enum err e = si_exec(st,
                         "UPDATE issue_comments SET text = $3, updated = $4 WHERE issue_id = $1 "
                         "AND id = $2",
                         &p, NULL, &changes);
    return e ? e : changes ? E_OK : E_NOTFOUND;
}

enum err store_comment_delete(struct store *st, int64_t issue_id, int64_t id)
{
    SI_ENTER(st);
    struct store_q_params p = {0};
    si_p_int(&p, issue_id);
    si_p_int(&p, id);
    int64_t changes = 0;
    enum err e = si_exec(st, "DELETE FROM issue_comments WHERE issue_id = $1 AND id = $2", &p, NULL,
                         &changes);
    return e ? e : changes ? E_OK : E_NOTFOUND;
}

static enum err report_fill(struct si_out *out, const struct store_q_row *r, void *dst)
{
    struct store_user_report *u = dst;
    u->id = out->o->col_int(r, 0);
    u->project_id = out->o->col_int(r, 1);
    u->issue_id = out->o->col_int(r, 2);
    u->created = out->o->col_real(r, 7);
    const char **texts[] = {&u->event_id, &u->name, &u->email, &u->comments};
    enum err e = E_OK;
    for (int k = 0; k < 4 && !e; k++)
        e = si_text_col(out, r, 3 + k, texts[k]);
    return e;
}

enum err store_user_report_save(struct store *st, int64_t project_id, const char *event_id,
                                const char *name, const char *email, const char *comments,
                                struct arena *a, struct store_user_report *out)
{
    SI_ENTER(st);
    SI_CHECK(event_id && strlen(event_id) == 32 && a && out);
    struct store_q_params p = {0};
    si_p_int(&p, project_id);
    si_p_text(&p, event_id);
    si_p_text(&p, name ? name : "");
    si_p_text(&p, email ? email : "");
    si_p_text(&p, comments ? comments : "");
    si_p_real(&p, clock_now());
    return si_one(
        st, a,
        "INSERT INTO user_reports (project_id, issue_id, event_id, name, email, "
        "comments, created) VALUES ($1, (SELECT e.issue_id FROM events e WHERE "
        "e.project_id = $1 AND e.event_id = $2 LIMIT 1), $2, $3, $4, $5, $6) "
        "ON CONFLICT (project_id, event_id) DO UPDATE SET name = excluded.name, "
        "email = excluded.email, comments = excluded.comments, "
        "issue_id = excluded.issue_id, created = excluded.created RETURNING id, project_id, "
        "coalesce(issue_id, 0), event_id, name, email, comments, created",
        &p, report_fill, out);
}

enum err store_user_report_list(struct store *st, struct arena *a, int64_t project_id,
                                int64_t issue_id, struct store_user_report **rows, size_t *n)
{
    SI_ENTER(st);
    SI_CHECK(a && rows && n);
    struct store_q_params p = {0};
    si_p_int(&p, project_id);
    si_p_int(&p, issue_id);
    return si_list(
        st, a,
        "SELECT " REPORT_COLS " FROM user_reports r WHERE (r.project_id = $1 OR "
        "$1 = 0) AND (r.issue_id = $2 OR $2 = 0 OR (r.issue_id IS NULL AND " REPORT_EVENT_ISSUE
        " = $2)) ORDER BY r.id DESC LIMIT 1000",
        &p, report_fill, sizeof **rows, (void **)rows, n);
}
