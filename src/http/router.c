/* router: matching a request path against the route table. Patterns are literal segments,
 * {name} placeholders (one segment) and a final {*name} tail (the rest of the path, zero or
 * more segments); matching is segment by segment, so no regexes and no allocation. */
#include <string.h>

#include "http/http.h"

enum http_method http_method_parse(const char *s)
{
    static const char *names[HTTP__MAX] = {
        [HTTP_GET] = "GET",         [HTTP_HEAD] = "HEAD",   [HTTP_POST] = "POST",
        [HTTP_PUT] = "PUT",         [HTTP_PATCH] = "PATCH", [HTTP_DELETE] = "DELETE",
        [HTTP_OPTIONS] = "OPTIONS",
    };
    for (int i = 0; i < HTTP_OTHER; i++)
        if (strcmp(s, names[i]) == 0)
            return (enum http_method)i;
    return HTTP_OTHER;
}

/* Next segment of p (skipping slashes); returns false at the end. */
static bool router_next_segment(const char **p, struct slice *seg)
{
    const char *s = *p;
    while (*s == '/')
        s++;
    if (*s == '\0')
        return false;
    const char *e = s;
    while (*e && *e != '/')
        e++;
    seg->p = s;
    seg->len = (size_t)(e - s);
    *p = e;
    return true;
}

static bool router_is_tail(struct slice ps)
{
    return ps.len >= 3 && ps.p[0] == '{' && ps.p[1] == '*' && ps.p[ps.len - 1] == '}';
}

/* Records the placeholder ps (name without braces and skip leading chars) = value. */
static bool router_add_param(struct route_match *m, struct slice ps, size_t skip,
                             struct slice value)
{
    if (m->nparams == ROUTE_MAX_PARAMS)
        return false;
    m->names[m->nparams] = ps.p + 1 + skip;
    m->name_lens[m->nparams] = ps.len - 2 - skip;
    m->values[m->nparams] = value;
    m->nparams++;
    return true;
}

/* The rest of the path from p without its leading slashes (trailing ones kept). */
static struct slice router_tail(const char *p)
{
    while (*p == '/')
        p++;
    return (struct slice){p, strlen(p)};
}

static bool router_match_path(const char *pattern, const char *path, struct route_match *m)
{
    struct slice ps = {0}, qs = {0};
    m->nparams = 0;
    for (;;) {
        bool more_p = router_next_segment(&pattern, &ps);
        if (more_p && router_is_tail(ps))
            return router_add_param(m, ps, 1, router_tail(path));
        bool more_q = router_next_segment(&path, &qs);
        if (!more_p || !more_q)
            return more_p == more_q;
        if (ps.len >= 2 && ps.p[0] == '{' && ps.p[ps.len - 1] == '}') {
            if (!router_add_param(m, ps, 0, qs))
                return false;
        } else if (ps.len != qs.len || memcmp(ps.p, qs.p, ps.len) != 0) {
            return false;
        }
    }
}

bool route_find(const struct route *routes, size_t n, enum http_method m, const char *path,
                struct route_match *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        struct route_match tmp;
        memset(&tmp, 0, sizeof tmp);
        if (!router_match_path(routes[i].pattern, path, &tmp))
            continue;
        /* A tail route (the UI's catch-all) answers only its own method: another method on a
         * path nothing else knows stays a 404, not a 405. */
        if (strstr(routes[i].pattern, "{*") && routes[i].method != m &&
            !(m == HTTP_HEAD && routes[i].method == HTTP_GET))
            continue;
        out->path_matched = true;
        if (routes[i].flags & ROUTE_INGEST)
            out->ingest_path = true;
        enum http_method want = routes[i].method;
        if (want == m || (m == HTTP_HEAD && want == HTTP_GET)) {
            tmp.route = &routes[i];
            tmp.path_matched = true;
            tmp.ingest_path = out->ingest_path || (routes[i].flags & ROUTE_INGEST);
            *out = tmp;
            return true;
        }
    }
    return false;
}
