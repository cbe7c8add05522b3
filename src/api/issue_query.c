/* issue_query: request → store search, keyset cursors and Link header, issue JSON with the
 * caller's state (issue_query.h). Cursors are "<sort value>:<id>:<0|1>" (1: the page before
 * that row); clients treat them as opaque, as Sentry's. */
#include "api/issue_query.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/search.h"
#include "core/buf.h"
#include "core/clock.h"

#define IQ_LIST_MAX 20 /* repeatable parameters kept */
#define IQ_IDS_MAX 100

struct iq_collect {
    struct arena *a;
    const char *name;
    const char **v;
    size_t n;
};

static void iq_collect_fn(void *ctx, const char *k, const char *v)
{
    struct iq_collect *c = ctx;
    if (strcmp(k, c->name) != 0 || !*v || c->n >= IQ_IDS_MAX)
        return;
    if (!c->v)
        c->v = arena_calloc(c->a, IQ_IDS_MAX, sizeof *c->v);
    if (c->v)
        c->v[c->n++] = v;
}

static const char **iq_values(struct http_request *req, const char *name, size_t *n)
{
    struct iq_collect c = {http_arena(req), name, NULL, 0};
    http_query_each(req, iq_collect_fn, &c);
    *n = c.n;
    return c.v;
}

static bool iq_int(const char *s, int64_t *out)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    *out = v;
    return end != s && !*end && v > 0;
}

int64_t *issue_query_ids(struct http_request *req, size_t *n)
{
    size_t k = 0;
    const char **v = iq_values(req, "id", &k);
    int64_t *ids = k ? arena_calloc(http_arena(req), k, sizeof *ids) : NULL;
    *n = 0;
    for (size_t i = 0; ids && i < k; i++)
        if (iq_int(v[i], &ids[*n]))
            (*n)++;
    return ids;
}

/* "24h", "14d", "30m", "2w", "90s" → seconds; 0 when unusable. */
static double iq_period(const char *s)
{
    char *end = NULL;
    double v = s ? strtod(s, &end) : 0;
    if (!s || end == s || v <= 0)
        return 0;
    static const struct {
        char unit;
        double secs;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (end[0] == units[i].unit && !end[1])
            return v * units[i].secs;
    return 0;
}

static bool iq_time_range(struct http_request *req, struct store_issue_search *q)
{
    const char *period = http_query(req, "statsPeriod");
    const char *start = http_query(req, "start"), *end = http_query(req, "end");
    if (period && *period) {
        double secs = iq_period(period);
        if (secs <= 0) {
            http_respond_detail(req, 400, "statsPeriod: use a number and s, m, h, d or w");
            return false;
        }
        q->since = clock_now() - secs;
    }
    if ((start && clock_parse_iso(start, &q->since) != 0) ||
        (end && clock_parse_iso(end, &q->until) != 0)) {
        http_respond_detail(req, 400, "start and end must be ISO 8601 times");
        return false;
    }
    return true;
}

static enum store_sf iq_field(enum search_field f, const char **key)
{
    switch (f) {
    case SEARCH_FIELD_LEVEL:
        return STORE_SF_LEVEL;
    case SEARCH_FIELD_ENVIRONMENT:
        return STORE_SF_ENVIRONMENT;
    case SEARCH_FIELD_RELEASE:
        return STORE_SF_RELEASE;
    case SEARCH_FIELD_ASSIGNED:
        return STORE_SF_ASSIGNED;
    case SEARCH_FIELD_USER_ID:
    case SEARCH_FIELD_USER_EMAIL:
    case SEARCH_FIELD_USER_USERNAME:
    case SEARCH_FIELD_USER_IP:
        *key = search_field_name(f);
        return STORE_SF_TAG;
    case SEARCH_FIELD_TAG:
    default:
        return STORE_SF_TAG;
    }
}

/* The parsed query's terms in store terms. */
static bool iq_filters(struct http_request *req, const struct search_query *s,
                       struct store_issue_search *q)
{
    size_t n = s->nfilters + s->nhas;
    struct store_search_filter *f = n ? arena_calloc(http_arena(req), n, sizeof *f) : NULL;
    if (n && !f) {
        http_respond_detail(req, 413, "query too large");
        return false;
    }
    for (size_t i = 0; i < s->nfilters; i++) {
        const struct search_filter *sf = &s->filters[i];
        const char *key = sf->key;
        f[i] = (struct store_search_filter){iq_field(sf->field, &key), key, sf->values, sf->nvalues,
                                            sf->negated};
    }
    for (size_t i = 0; i < s->nhas; i++)
        f[s->nfilters + i] =
            (struct store_search_filter){STORE_SF_HAS, s->has[i].key, NULL, 0, s->has[i].negated};
    q->filters = f;
    q->nfilters = n;
    q->statuses = s->statuses; /* the same bits */
    q->flags = s->flags;
    q->text = s->text;
    return true;
}

static bool iq_query(struct http_request *req, struct store_issue_search *q)
{
    const char *query = http_query(req, "query");
    if (!query)
        query = "is:unresolved"; /* Sentry's implied default */
    struct search_query s;
    struct errinfo ei = {{0}};
    enum err e = search_parse(http_arena(req), (struct slice){query, strlen(query)}, &s, &ei);
    if (e) {
        http_respond_detail(req, e == E_TOOBIG ? 413 : 400, ei.detail);
        return false;
    }
    return iq_filters(req, &s, q);
}

static bool iq_projects(struct http_request *req, struct app *app, const struct store_org *org,
                        struct store_issue_search *q)
{
    size_t n = 0;
    const char **v = iq_values(req, "project", &n);
    int64_t *ids = n ? arena_calloc(http_arena(req), n, sizeof *ids) : NULL;
    q->nprojects = 0;
    for (size_t i = 0; i < n; i++) {
        struct store_project pr;
        int64_t id = 0;
        if (strcmp(v[i], "-1") == 0) { /* all projects */
            q->nprojects = 0;
            return true;
        }
        if (!iq_int(v[i], &id) || store_project_by_id(app->st, http_arena(req), id, &pr) ||
            pr.org_id != org->id) {
            http_respond_detail(req, 400, "Invalid project");
            return false;
        }
        ids[q->nprojects++] = id;
    }
    q->project_ids = ids;
    return true;
}

static bool iq_cursor(struct http_request *req, struct store_issue_cursor *c)
{
    const char *s = http_query(req, "cursor");
    if (!s || !*s)
        return false;
    char *end = NULL;
    c->value = strtod(s, &end);
    long long id = *end == ':' ? strtoll(end + 1, &end, 10) : 0;
    c->id = id;
    c->prev = *end == ':' && end[1] == '1';
    /* sort values are timestamps and counts: anything else is not a cursor we made */
    return id > 0 && isfinite(c->value) && fabs(c->value) <= 1e15;
}

static bool iq_sort(struct http_request *req, struct store_issue_search *q)
{
    const char *sort = http_query(req, "sort");
    static const char *const ok[] = {"date", "new", "freq", "user"};
    q->sort = "date";
    for (size_t i = 0; sort && i < sizeof ok / sizeof *ok; i++)
        if (strcmp(sort, ok[i]) == 0)
            q->sort = ok[i];
    if (sort && *sort && strcmp(q->sort, sort) != 0) {
        http_respond_detail(req, 400, "sort must be one of date, new, freq, user");
        return false;
    }
    return true;
}

bool issue_query_build(struct http_request *req, struct app *app, const struct store_org *org,
                       const struct store_project *project, int64_t user_id,
                       struct store_issue_search *q)
{
    memset(q, 0, sizeof *q);
    q->org_id = org->id;
    q->user_id = user_id;
    q->limit = api_limit(req, 25, 100);
    if (!iq_query(req, q) || !iq_time_range(req, q) || !iq_sort(req, q))
        return false;
    if (project) {
        q->project_ids = &project->id;
        q->nprojects = 1;
    } else if (!iq_projects(req, app, org, q)) {
        return false;
    }
    q->environments = iq_values(req, "environment", &q->nenvironments);
    q->ids = issue_query_ids(req, &q->nids);
    struct store_issue_cursor *c = arena_calloc(http_arena(req), 1, sizeof *c);
    q->cursor = c && iq_cursor(req, c) ? c : NULL;
    return true;
}

/* ---- Link ---------------------------------------------------------------------------------- */

/* Appends s percent-encoded (RFC 3986 unreserved characters stay). */
static void iq_escape(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_' || c == '.' || c == '~';
        char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
        if (buf_append(b, plain ? s : enc, plain ? 1 : 3) != E_OK)
            return; /* over the cap: the link is cut short */
    }
}

static void iq_qs_fn(void *ctx, const char *k, const char *v)
{
    struct buf *b = ctx;
    if (strcmp(k, "cursor") == 0)
        return;
    iq_escape(b, k);
    if (buf_append_cstr(b, "=") != E_OK)
        return; /* over the cap: the link is cut short */
    iq_escape(b, v);
    if (buf_append_cstr(b, "&") != E_OK)
        return;
}

void issue_query_link_header(struct http_request *req, const struct app *app, const char *prev,
                             bool has_prev, const char *next, bool has_next)
{
    struct buf qs;
    buf_init(&qs, 64 * 1024);
    http_query_each(req, iq_qs_fn, &qs);
    const char *base = app->cfg->domain, *path = http_path(req), *s = qs.p ? qs.p : "";
    char *link =
        arena_printf(http_arena(req),
                     "<%s%s?%scursor=%s>; rel=\"previous\"; results=\"%s\"; cursor=\"%s\", "
                     "<%s%s?%scursor=%s>; rel=\"next\"; results=\"%s\"; cursor=\"%s\"",
                     base, path, s, prev, has_prev ? "true" : "false", prev, base, path, s, next,
                     has_next ? "true" : "false", next);
    if (link)
        http_add_header(req, "Link", link);
    buf_free(&qs);
}

void issue_query_link(struct http_request *req, const struct app *app,
                      const struct store_issue_search *q, const struct store_issue *rows, size_t n,
                      bool more)
{
    char prev[80], next[80];
    const struct store_issue_cursor *c = q->cursor;
    bool back = c && c->prev;
    double first = n ? store_issue_sort_value(&rows[0], q->sort) : c ? c->value : 0;
    double last = n ? store_issue_sort_value(&rows[n - 1], q->sort) : c ? c->value : 0;
    int64_t first_id = n ? rows[0].id : c ? c->id : 0, last_id = n ? rows[n - 1].id : first_id;
    snprintf(prev, sizeof prev, "%.17g:%" PRId64 ":1", first, first_id);
    snprintf(next, sizeof next, "%.17g:%" PRId64 ":0", last, last_id);
    issue_query_link_header(req, app, prev, c && (!back || more), next, back ? c != NULL : more);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

const char *issue_query_stats_period(struct http_request *req)
{
    const char *p = http_query(req, "groupStatsPeriod");
    if (!p)
        p = http_query(req, "statsPeriod");
    if (!p || strcmp(p, "auto") == 0 || strcmp(p, "24h") == 0)
        return p && !*p ? NULL : "24h";
    return strcmp(p, "14d") == 0 ? "14d" : NULL;
}

cJSON *issue_query_stats(struct app *app, struct arena *a, int64_t issue_id, const char *period)
{
    bool days = strcmp(period, "14d") == 0;
    double step = days ? 86400 : 3600, now = clock_now();
    struct store_stat_bucket *b;
    size_t n;
    if (store_issue_stats(app->st, a, issue_id, now - (days ? 13 : 23) * step, now, step, &b, &n))
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateNumber(b[i].start));
        cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)b[i].count));
        cJSON_AddItemToArray(arr, pair);
    }
    return arr;
}

static void iq_set(cJSON *o, const char *key, cJSON *v)
{
    if (cJSON_GetObjectItemCaseSensitive(o, key))
        cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
    else
        cJSON_AddItemToObject(o, key, v);
}

static cJSON *iq_assignee(const struct store_issue_state *s)
{
    if (!s->assignee_id)
        return cJSON_CreateNull();
    cJSON *a = cJSON_CreateObject();
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, s->assignee_id);
    cJSON_AddStringToObject(a, "type", "user");
    cJSON_AddStringToObject(a, "id", id);
    cJSON_AddStringToObject(a, "name", s->assignee_email ? s->assignee_email : "");
    cJSON_AddStringToObject(a, "email", s->assignee_email ? s->assignee_email : "");
    return a;
}

cJSON *issue_query_json(struct http_request *req, struct app *app, const struct store_issue *i,
                        const struct store_project *project, int64_t user_id, const char *period)
{
    cJSON *o = api_json_issue(app, i, project);
    struct store_issue_state s;
    if (store_issue_state(app->st, http_arena(req), i->id, user_id, &s) == E_OK) {
        iq_set(o, "assignedTo", iq_assignee(&s));
        iq_set(o, "isBookmarked", cJSON_CreateBool(s.bookmarked));
        iq_set(o, "hasSeen", cJSON_CreateBool(s.seen));
        iq_set(o, "numComments", cJSON_CreateNumber((double)s.num_comments));
        iq_set(o, "userReportCount", cJSON_CreateNumber((double)s.user_reports));
    }
    cJSON *stats = period ? issue_query_stats(app, http_arena(req), i->id, period) : NULL;
    if (stats)
        cJSON_AddItemToObject(cJSON_AddObjectToObject(o, "stats"), period, stats);
    return o;
}
