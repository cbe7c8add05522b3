/* search: Sentry's issue search language (the `query=` parameter of the issue lists), parsed
 * into a struct the store turns into SQL. Pure: bytes in, struct out; no database.
 *
 * Grammar (whitespace separates terms; all terms are ANDed):
 *   is:unresolved|resolved|ignored|archived    status; several is: statuses are ORed
 *   is:unassigned|assigned|bookmarked          flags
 *   [!]key:value  [!]key:"quoted \" value"  [!]key:[v1,"v 2"]   (a list ORs its values)
 *       key is level, environment, release, assigned, user.id, user.email, user.username,
 *       user.ip, or any other tag key (also written tags[key]); ! negates the whole term
 *   [!]has:key                                 the tag or field is (not) present
 *   word  "quoted phrase"                      free text, matched case-insensitively as one
 *                                              substring over title, culprit and message
 * Errors (E_PARSE, E_TOOBIG) put "Invalid query: <what> at position <n>" into errinfo, n being
 * the 0-based byte offset into the query. */
#ifndef SNAG_API_SEARCH_H
#define SNAG_API_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/slice.h"

#define SEARCH_MAX_QUERY_LEN 4096 /* bytes; longer queries are E_TOOBIG */
#define SEARCH_MAX_TERMS 64       /* filters + has: + free-text terms, each */
#define SEARCH_MAX_VALUES 64      /* values in one bracket list */

/* Bits of search_query.statuses (0 = any status). */
#define SEARCH_STATUS_UNRESOLVED 0x1u
#define SEARCH_STATUS_RESOLVED 0x2u
#define SEARCH_STATUS_IGNORED 0x4u

/* Bits of search_query.flags. */
#define SEARCH_IS_UNASSIGNED 0x1u
#define SEARCH_IS_ASSIGNED 0x2u
#define SEARCH_IS_BOOKMARKED 0x4u

enum search_field {
    SEARCH_FIELD_LEVEL,
    SEARCH_FIELD_ENVIRONMENT,
    SEARCH_FIELD_RELEASE,
    SEARCH_FIELD_ASSIGNED,
    SEARCH_FIELD_USER_ID,
    SEARCH_FIELD_USER_EMAIL,
    SEARCH_FIELD_USER_USERNAME,
    SEARCH_FIELD_USER_IP,
    SEARCH_FIELD_TAG, /* any other key: a tag filter */
    SEARCH_FIELD__MAX
};

/* key:value or key:[v1,v2]: matches when the field equals any of the values (none of them
 * when negated). */
struct search_filter {
    enum search_field field;
    const char *key; /* "level", "user.email", … or the tag key */
    const char **values;
    size_t nvalues; /* >= 1 */
    bool negated;
};

/* has:key / !has:key */
struct search_has {
    const char *key;
    bool negated;
};

struct search_query {
    unsigned statuses; /* SEARCH_STATUS_* bits, ORed; 0 = no status filter */
    unsigned flags;    /* SEARCH_IS_* bits, ANDed */
    struct search_filter *filters;
    size_t nfilters;
    struct search_has *has;
    size_t nhas;
    const char **terms; /* free-text terms in order, unquoted */
    size_t nterms;
    const char *text; /* the terms joined by single spaces, or NULL when there are none */
};

/* Parses query into *out. Everything out points to (strings, arrays) is allocated from a and
 * lives as long as it; query itself is not referenced afterwards. An empty or blank query
 * gives an all-zero result (no filters). Returns E_OK, E_PARSE or E_TOOBIG (query too long,
 * too many terms, or arena over budget), with the detail in ei. */
enum err search_parse(struct arena *a, struct slice query, struct search_query *out,
                      struct errinfo *ei) WUR;

/* The canonical key of a field ("level", "user.ip", …; "tag" for SEARCH_FIELD_TAG). */
const char *search_field_name(enum search_field f);

/* True when q has no free text, or q->text occurs (ASCII case-insensitively) in any of
 * title, culprit and message (each may be NULL). For stores without a suitable LIKE. */
bool search_text_matches(const struct search_query *q, const char *title, const char *culprit,
                         const char *message);

#endif
