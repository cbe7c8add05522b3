/* jsonx: small helpers over cJSON — bounded parsing tied to an arena, typed getters, and
 * printing into an arena. cJSON trees themselves are heap-allocated; jsonx_parse() registers
 * cJSON_Delete with the arena so the tree dies with the request. */
#ifndef SNAG_CORE_JSONX_H
#define SNAG_CORE_JSONX_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

/* Parses exactly p[0..len) (trailing whitespace allowed, nothing else) as one JSON value.
 * Rejects nesting deeper than LIMIT_JSON_DEPTH. On success the tree is owned by the arena
 * (a may be NULL: then the caller owns it and must cJSON_Delete it). */
enum err jsonx_parse(struct arena *a, const char *p, size_t len, cJSON **out,
                     struct errinfo *ei) WUR;

/* Ties an existing tree to the arena (deleted on arena_free). Returns -1 when the arena is
 * over budget: the tree has then been deleted already. */
int jsonx_own(struct arena *a, cJSON *tree);

/* Getters: NULL / fallback when the key is absent or of another type. Keys match
 * case-sensitively. */
const char *jsonx_str(const cJSON *obj, const char *key);
double jsonx_num(const cJSON *obj, const char *key, double fallback);
bool jsonx_bool(const cJSON *obj, const char *key, bool fallback);
cJSON *jsonx_obj(const cJSON *obj, const char *key);
cJSON *jsonx_arr(const cJSON *obj, const char *key);

/* Replaces (or adds) key in obj. Returns the new item, NULL on OOM. */
cJSON *jsonx_set_str(cJSON *obj, const char *key, const char *value);
cJSON *jsonx_set_num(cJSON *obj, const char *key, double value);
cJSON *jsonx_set(cJSON *obj, const char *key, cJSON *item);

/* Compact serialisation copied into the arena (NULL over budget). */
char *jsonx_print(struct arena *a, const cJSON *tree);

#endif
