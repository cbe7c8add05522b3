/* search: a cursor-based parser for Sentry's issue search language (see search.h for the
 * grammar). Each term is recognised by its first bytes: a quote starts a free-text phrase,
 * `[!]key:` starts a filter, anything else is a free-text word. Values are copied into the
 * arena unescaped and NUL-terminated, so the result outlives the query string. */
#include "api/search.h"

#include <string.h>

struct parser {
    struct arena *a;
    const char *s;
    size_t len, pos;
    struct search_query *q;
    struct errinfo *ei;
};

/* A parsed value: its text (arena copy) and where it started, for error messages. */
struct value {
    const char *text;
    size_t pos;
};

static const char *const field_names[SEARCH_FIELD__MAX] = {
    [SEARCH_FIELD_LEVEL] = "level",
    [SEARCH_FIELD_ENVIRONMENT] = "environment",
    [SEARCH_FIELD_RELEASE] = "release",
    [SEARCH_FIELD_ASSIGNED] = "assigned",
    [SEARCH_FIELD_USER_ID] = "user.id",
    [SEARCH_FIELD_USER_EMAIL] = "user.email",
    [SEARCH_FIELD_USER_USERNAME] = "user.username",
    [SEARCH_FIELD_USER_IP] = "user.ip",
    [SEARCH_FIELD_TAG] = "tag",
};

static const struct {
    const char *name;
    unsigned status, flag;
} is_values[] = {
    {"unresolved", SEARCH_STATUS_UNRESOLVED, 0}, {"resolved", SEARCH_STATUS_RESOLVED, 0},
    {"ignored", SEARCH_STATUS_IGNORED, 0},       {"archived", SEARCH_STATUS_IGNORED, 0},
    {"unassigned", 0, SEARCH_IS_UNASSIGNED},     {"assigned", 0, SEARCH_IS_ASSIGNED},
    {"bookmarked", 0, SEARCH_IS_BOOKMARKED},
};

const char *search_field_name(enum search_field f)
{
    return (unsigned)f < SEARCH_FIELD__MAX ? field_names[f] : "";
}

static enum err perr(struct parser *ps, size_t at, const char *what)
{
    return errinfo_set(ps->ei, E_PARSE, "Invalid query: %s at position %zu", what, at);
}

/* An error naming the key, e.g. "empty value after 'level:'". */
static enum err perr_key(struct parser *ps, size_t at, const char *what, struct slice key)
{
    return errinfo_set(ps->ei, E_PARSE, "Invalid query: %s '%.*s:' at position %zu", what,
                       (int)(key.len > 64 ? 64 : key.len), key.p, at);
}

static enum err toobig(struct parser *ps, const char *what)
{
    return errinfo_set(ps->ei, E_TOOBIG, "Invalid query: %s at position %zu", what, ps->pos);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_key_char(char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

static bool at_end(const struct parser *ps)
{
    return ps->pos >= ps->len;
}

static char cur(const struct parser *ps)
{
    return at_end(ps) ? '\0' : ps->s[ps->pos];
}

static void skip_spaces(struct parser *ps)
{
    while (!at_end(ps) && is_space(ps->s[ps->pos]))
        ps->pos++;
}

/* A term ends at whitespace or at the end of the query. */
static bool at_term_end(const struct parser *ps)
{
    return at_end(ps) || is_space(ps->s[ps->pos]);
}

/* Reads a quoted string starting at the opening quote; unescapes \" and \\. */
static enum err parse_quoted(struct parser *ps, const char **out)
{
    size_t open = ps->pos++;
    char *dst = arena_alloc(ps->a, ps->len - open);
    if (!dst)
        return toobig(ps, "query too large");
    size_t n = 0;
    while (!at_end(ps) && ps->s[ps->pos] != '"') {
        char c = ps->s[ps->pos++];
        if (c == '\\' && !at_end(ps) && (cur(ps) == '"' || cur(ps) == '\\'))
            c = ps->s[ps->pos++];
        dst[n++] = c;
    }
    if (at_end(ps))
        return perr(ps, open, "unterminated quote");
    ps->pos++;
    dst[n] = '\0';
    *out = dst;
    return E_OK;
}

/* Reads a bare run up to whitespace (and, inside a list, up to ',' or ']'). */
static enum err parse_bare(struct parser *ps, bool in_list, const char **out)
{
    size_t start = ps->pos;
    while (!at_term_end(ps) && !(in_list && (cur(ps) == ',' || cur(ps) == ']')))
        ps->pos++;
    *out = arena_strndup(ps->a, ps->s + start, ps->pos - start);
    return *out ? E_OK : toobig(ps, "query too large");
}

/* One value: quoted or bare, never empty. */
static enum err parse_value(struct parser *ps, bool in_list, struct value *v)
{
    v->pos = ps->pos;
    enum err e = cur(ps) == '"' ? parse_quoted(ps, &v->text) : parse_bare(ps, in_list, &v->text);
    if (e != E_OK)
        return e;
    if (!*v->text)
        return perr(ps, v->pos, in_list ? "empty list item" : "empty value");
    return E_OK;
}

/* `[v1, "v 2", …]` starting at the '['. */
static enum err parse_list(struct parser *ps, struct value *vals, size_t *n)
{
    size_t open = ps->pos++;
    *n = 0;
    for (;;) {
        skip_spaces(ps);
        if (at_end(ps))
            return perr(ps, open, "unterminated list");
        if (*n == SEARCH_MAX_VALUES)
            return toobig(ps, "too many values in a list");
        enum err e = parse_value(ps, true, &vals[*n]);
        if (e != E_OK)
            return e;
        (*n)++;
        skip_spaces(ps);
        if (at_end(ps))
            return perr(ps, open, "unterminated list");
        if (cur(ps) == ']')
            break;
        if (cur(ps) != ',')
            return perr(ps, ps->pos, "expected ',' or ']' in list");
        ps->pos++;
    }
    ps->pos++;
    return E_OK;
}

/* The value part of a filter: a list or a single value, followed by the end of the term. */
static enum err parse_values(struct parser *ps, struct slice key, size_t term, struct value *vals,
                             size_t *n)
{
    if (at_term_end(ps))
        return perr_key(ps, term, "empty value after", key);
    enum err e;
    if (cur(ps) == '[') {
        e = parse_list(ps, vals, n);
    } else {
        *n = 1;
        e = parse_value(ps, false, &vals[0]);
    }
    if (e != E_OK)
        return e;
    if (!at_term_end(ps))
        return perr(ps, ps->pos, "expected a space");
    return E_OK;
}

static enum err apply_is(struct parser *ps, const struct value *vals, size_t n, bool negated,
                         size_t term)
{
    if (negated)
        return perr(ps, term, "'is:' cannot be negated");
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < sizeof is_values / sizeof is_values[0] &&
               strcmp(is_values[k].name, vals[i].text))
            k++;
        if (k == sizeof is_values / sizeof is_values[0])
            return perr(ps, vals[i].pos, "unknown 'is:' value");
        ps->q->statuses |= is_values[k].status;
        ps->q->flags |= is_values[k].flag;
    }
    return E_OK;
}

/* Lazily gives an array of SEARCH_MAX_TERMS elements of size sz. */
static enum err ensure_array(struct parser *ps, void **arr, size_t used, size_t sz)
{
    if (used == SEARCH_MAX_TERMS)
        return toobig(ps, "too many search terms");
    if (!*arr)
        *arr = arena_calloc(ps->a, SEARCH_MAX_TERMS, sz);
    return *arr ? E_OK : toobig(ps, "query too large");
}

static enum err apply_has(struct parser *ps, const struct value *vals, size_t n, bool negated)
{
    if (n != 1)
        return perr(ps, vals[1].pos, "'has:' takes a single key");
    struct search_query *q = ps->q;
    void *arr = q->has;
    enum err e = ensure_array(ps, &arr, q->nhas, sizeof *q->has);
    if (e != E_OK)
        return e;
    q->has = arr;
    q->has[q->nhas++] = (struct search_has){vals[0].text, negated};
    return E_OK;
}

static enum search_field field_of(struct slice key)
{
    for (int f = 0; f < SEARCH_FIELD_TAG; f++)
        if (slice_eq_cstr(key, field_names[f]))
            return (enum search_field)f;
    return SEARCH_FIELD_TAG;
}

static enum err apply_filter(struct parser *ps, struct slice key, const struct value *vals,
                             size_t n, bool negated)
{
    struct search_query *q = ps->q;
    void *arr = q->filters;
    enum err e = ensure_array(ps, &arr, q->nfilters, sizeof *q->filters);
    if (e != E_OK)
        return e;
    q->filters = arr;
    const char **v = arena_calloc(ps->a, n, sizeof *v);
    char *k = arena_slice_dup(ps->a, key);
    if (!v || !k)
        return toobig(ps, "query too large");
    for (size_t i = 0; i < n; i++)
        v[i] = vals[i].text;
    q->filters[q->nfilters++] = (struct search_filter){field_of(key), k, v, n, negated};
    return E_OK;
}

static enum err add_text(struct parser *ps, const char *term)
{
    if (!*term)
        return E_OK;
    struct search_query *q = ps->q;
    void *arr = q->terms;
    enum err e = ensure_array(ps, &arr, q->nterms, sizeof *q->terms);
    if (e != E_OK)
        return e;
    q->terms = arr;
    q->terms[q->nterms++] = term;
    return E_OK;
}

/* Finds `key:` or `tags[key]:` at pos; sets *key and returns the offset after the colon,
 * or 0 when the term is not a filter. */
static size_t scan_key(const struct parser *ps, size_t pos, struct slice *key)
{
    const char *s = ps->s;
    size_t i = pos;
    if (ps->len - pos > 5 && memcmp(s + pos, "tags[", 5) == 0) {
        i = pos + 5;
        while (i < ps->len && s[i] != ']' && !is_space(s[i]))
            i++;
        if (i == pos + 5 || i + 1 >= ps->len || s[i] != ']' || s[i + 1] != ':')
            return 0;
        *key = (struct slice){s + pos + 5, i - pos - 5};
        return i + 2;
    }
    if (i >= ps->len || !is_alpha(s[i]))
        return 0;
    while (i < ps->len && is_key_char(s[i]))
        i++;
    if (i >= ps->len || s[i] != ':')
        return 0;
    *key = (struct slice){s + pos, i - pos};
    return i + 1;
}

static enum err parse_filter(struct parser *ps, size_t term, struct slice key, bool negated)
{
    struct value vals[SEARCH_MAX_VALUES];
    size_t n = 0;
    enum err e = parse_values(ps, key, term, vals, &n);
    if (e != E_OK)
        return e;
    if (slice_eq_cstr(key, "is"))
        return apply_is(ps, vals, n, negated, term);
    if (slice_eq_cstr(key, "has"))
        return apply_has(ps, vals, n, negated);
    return apply_filter(ps, key, vals, n, negated);
}

static enum err parse_term(struct parser *ps)
{
    size_t term = ps->pos;
    const char *text = NULL;
    enum err e;
    if (cur(ps) == '"') {
        e = parse_quoted(ps, &text);
        if (e == E_OK && !at_term_end(ps))
            e = perr(ps, ps->pos, "expected a space");
        return e == E_OK ? add_text(ps, text) : e;
    }
    bool negated = cur(ps) == '!';
    struct slice key = {0};
    size_t after = scan_key(ps, term + negated, &key);
    if (after) {
        ps->pos = after;
        return parse_filter(ps, term, key, negated);
    }
    e = parse_bare(ps, false, &text);
    return e == E_OK ? add_text(ps, text) : e;
}

/* Joins the free-text terms with single spaces into q->text. */
static enum err join_terms(struct parser *ps)
{
    struct search_query *q = ps->q;
    if (q->nterms == 0)
        return E_OK;
    size_t total = 0;
    for (size_t i = 0; i < q->nterms; i++)
        total += strlen(q->terms[i]) + 1;
    char *t = arena_alloc(ps->a, total);
    if (!t)
        return toobig(ps, "query too large");
    size_t n = 0;
    for (size_t i = 0; i < q->nterms; i++) {
        size_t l = strlen(q->terms[i]);
        if (i)
            t[n++] = ' ';
        memcpy(t + n, q->terms[i], l);
        n += l;
    }
    t[n] = '\0';
    q->text = t;
    return E_OK;
}

enum err search_parse(struct arena *a, struct slice query, struct search_query *out,
                      struct errinfo *ei)
{
    struct parser ps = {a, query.p, query.len, 0, out, ei};
    memset(out, 0, sizeof *out);
    if (query.len > SEARCH_MAX_QUERY_LEN)
        return errinfo_set(ei, E_TOOBIG, "Invalid query: longer than %d bytes",
                           SEARCH_MAX_QUERY_LEN);
    const char *nul = query.len ? memchr(query.p, '\0', query.len) : NULL;
    if (nul)
        return perr(&ps, (size_t)(nul - query.p), "NUL byte");
    enum err e = E_OK;
    skip_spaces(&ps);
    while (e == E_OK && !at_end(&ps)) {
        e = parse_term(&ps);
        skip_spaces(&ps);
    }
    if (e == E_OK)
        e = join_terms(&ps);
    if (e != E_OK)
        memset(out, 0, sizeof *out);
    return e;
}

/* ASCII case-insensitive strstr. */
static bool contains_ci(const char *hay, const char *needle)
{
    if (!hay)
        return false;
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i]) {
            unsigned char h = (unsigned char)hay[i], c = (unsigned char)needle[i];
            if (h >= 'A' && h <= 'Z')
                h = (unsigned char)(h + 32);
            if (c >= 'A' && c <= 'Z')
                c = (unsigned char)(c + 32);
            if (h != c)
                break;
            i++;
        }
        if (i == n)
            return true;
    }
    return n == 0;
}

bool search_text_matches(const struct search_query *q, const char *title, const char *culprit,
                         const char *message)
{
    if (!q->text)
        return true;
    return contains_ci(title, q->text) || contains_ci(culprit, q->text) ||
           contains_ci(message, q->text);
}
