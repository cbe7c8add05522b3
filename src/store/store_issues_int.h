/* store_issues_int: what the files of the issue extensions (store_issues_ext.c,
 * store_facets.c, store_notes.c) share — bound parameters, SQL text assembled from constant
 * fragments, and rows copied into the caller's arena, all over the portable query driver of
 * store_orgs_int.h (one SQL text for both engines). */
#ifndef SNAG_STORE_STORE_ISSUES_INT_H
#define SNAG_STORE_STORE_ISSUES_INT_H

#include "store/store_orgs_int.h"

#define SI_ENTER(st)                                                                               \
    do {                                                                                           \
        if (!(st))                                                                                 \
            return E_INVALID;                                                                      \
        if (store_fault(st))                                                                       \
            return E_UNAVAILABLE;                                                                  \
    } while (0)

#define SI_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return E_INVALID;                                                                      \
    } while (0)

/* The columns si_fill_issue reads, and their FROM. */
#define SI_ISSUE_COLS                                                                              \
    "i.id, i.project_id, i.short_num, p.slug, i.hash, i.title, i.culprit, i.type, i.level, "       \
    "i.status, i.metadata, i.first_seen, i.last_seen, i.times_seen, i.user_count, i.platform, "    \
    "i.logger"
#define SI_ISSUE_FROM " FROM issues i JOIN projects p ON p.id = i.project_id"
#define SI_EVENT_COLS "e.id, e.project_id, e.issue_id, e.event_id, e.timestamp, e.received, e.data"

/* SQL text under construction from constant fragments; values go to params as $n. Overflow
 * (text or parameters) sets bad, which the runner reports as E_INVALID. */
struct si_sql {
    char p[4096];
    size_t len;
    bool bad;
    struct store_q_params params;
};

void si_add(struct si_sql *t, const char *frag);
/* frag with each '?' replaced by the number of the parameter bound next (used n times). */
void si_cond(struct si_sql *t, const char *frag);
void si_p_int(struct store_q_params *p, int64_t v);
void si_p_real(struct store_q_params *p, double v);
void si_p_text(struct store_q_params *p, const char *v);
/* si_cond then bind v. */
void si_int(struct si_sql *t, const char *frag, int64_t v);
void si_real(struct si_sql *t, const char *frag, double v);
void si_text(struct si_sql *t, const char *frag, const char *v);

/* Rows into the arena: one struct (one != NULL) or a growing array. */
struct si_out;
typedef enum err (*si_fill_fn)(struct si_out *out, const struct store_q_row *r, void *dst);
struct si_out {
    const struct store_orgs_ops *o;
    struct arena *a;
    si_fill_fn fill;
    void *one;
    bool found;
    size_t elsize, n, cap;
    void *rows;
};

enum err si_text_col(struct si_out *out, const struct store_q_row *r, int col, const char **dst);
enum err si_fill_issue(struct si_out *out, const struct store_q_row *r, void *dst);
enum err si_fill_event(struct si_out *out, const struct store_q_row *r, void *dst);
enum err si_fill_int(struct si_out *out, const struct store_q_row *r, void *dst);
enum err si_row(const struct store_q_row *r, void *ctx);

/* One statement on connection c; out may be NULL; *changes may be NULL. */
enum err si_run(struct store_q_conn *c, const struct store_orgs_ops *o, const char *sql,
                const struct store_q_params *p, struct si_out *out, int64_t *changes);
/* One statement on a pool connection (autocommit). */
enum err si_exec(struct store *st, const char *sql, const struct store_q_params *p,
                 struct si_out *out, int64_t *changes);
/* Rows of sql into an arena array. */
enum err si_list(struct store *st, struct arena *a, const char *sql, const struct store_q_params *p,
                 si_fill_fn fill, size_t elsize, void **rows, size_t *n);
/* The first row into one; E_NOTFOUND when none. */
enum err si_one(struct store *st, struct arena *a, const char *sql, const struct store_q_params *p,
                si_fill_fn fill, void *one);

static inline bool si_is_pg(const struct store *st)
{
    return st->ops->name[0] == 'p';
}

#endif
