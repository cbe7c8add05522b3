/* jsonx: small helpers over cJSON — bounded parsing tied to an arena, typed getters, and
 * printing into an arena.
 *
 * DESIGN: cJSON allocates through hooks installed by jsonx_init(). Outside an arena scope they
 * are malloc/free: trees are heap-allocated and jsonx_parse() registers cJSON_Delete with the
 * arena so the tree dies with the request. Inside a scope (jsonx_arena_begin .. _end, per
 * thread) every cJSON allocation comes from the scope's arena and freeing arena memory is a
 * no-op, so a tree costs no malloc/free per node and dies with the arena at once. The rule
 * that keeps this sound: a tree built in a scope is never freed (cJSON_Delete, replace,
 * SetValuestring…) outside that scope, and never attached to a heap tree. Heap memory freed
 * inside a scope is still freed. */
#ifndef SNAG_CORE_JSONX_H
#define SNAG_CORE_JSONX_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

/* Installs the allocation hooks; call once before threads use cJSON (later calls are no-ops;
 * jsonx_arena_begin calls it too). */
void jsonx_init(void);
/* Opens this thread's arena scope on a (scopes do not nest); jsonx_arena_end closes it. */
void jsonx_arena_begin(struct arena *a);
void jsonx_arena_end(void);

/* Parses exactly p[0..len) (trailing whitespace allowed, nothing else) as one JSON value.
 * Rejects nesting deeper than LIMIT_JSON_DEPTH. On success the tree is owned by the arena
 * (a may be NULL: then the caller owns it and must cJSON_Delete it). Inside an arena scope the
 * tree lives in the scope's arena (E_TOOBIG when it does not fit the budget). */
enum err jsonx_parse(struct arena *a, const char *p, size_t len, cJSON **out,
                     struct errinfo *ei) WUR;

/* Ties an existing tree to the arena (deleted on arena_free; nothing to do for a tree that
 * lives in the current scope's arena). Returns -1 when the arena is over budget: the tree
 * has then been deleted already. */
int jsonx_own(struct arena *a, cJSON *tree);

/* cJSON_GetObjectItemCaseSensitive, faster: the first byte is compared before strcmp. */
cJSON *jsonx_get(const cJSON *obj, const char *key);

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
