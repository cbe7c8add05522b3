/* jsonx: cJSON helpers. */
#include "core/jsonx.h"

#include <stdlib.h>
#include <string.h>

#include "core/limits.h"

static int jsonx_depth(const cJSON *item, int depth)
{
    if (depth > LIMIT_JSON_DEPTH)
        return depth;
    int max = depth;
    for (const cJSON *c = item->child; c; c = c->next) {
        int d = jsonx_depth(c, depth + 1);
        if (d > max)
            max = d;
        if (max > LIMIT_JSON_DEPTH)
            break;
    }
    return max;
}

static void jsonx_delete_hook(void *p)
{
    cJSON_Delete(p);
}

int jsonx_own(struct arena *a, cJSON *tree)
{
    if (a && tree)
        return arena_defer(a, jsonx_delete_hook, tree);
    return 0;
}

enum err jsonx_parse(struct arena *a, const char *p, size_t len, cJSON **out, struct errinfo *ei)
{
    *out = NULL;
    if (len == 0)
        return errinfo_set(ei, E_PARSE, "empty JSON document");
    const char *end = NULL;
    cJSON *tree = cJSON_ParseWithLengthOpts(p, len, &end, 0);
    if (!tree) {
        size_t off = end && end >= p ? (size_t)(end - p) : 0;
        return errinfo_set(ei, E_PARSE, "invalid JSON at byte %zu", off);
    }
    for (const char *q = end; q < p + len; q++) {
        if (*q != ' ' && *q != '\t' && *q != '\r' && *q != '\n') {
            cJSON_Delete(tree);
            return errinfo_set(ei, E_PARSE, "trailing data after JSON at byte %zu",
                               (size_t)(q - p));
        }
    }
    if (jsonx_depth(tree, 0) > LIMIT_JSON_DEPTH) {
        cJSON_Delete(tree);
        return errinfo_set(ei, E_PARSE, "JSON nested deeper than %d levels", LIMIT_JSON_DEPTH);
    }
    if (jsonx_own(a, tree) != 0)
        return errinfo_set(ei, E_TOOBIG, "request too large to parse");
    *out = tree;
    return E_OK;
}

const char *jsonx_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double jsonx_num(const cJSON *obj, const char *key, double fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

bool jsonx_bool(const cJSON *obj, const char *key, bool fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

cJSON *jsonx_obj(const cJSON *obj, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsObject(v) ? v : NULL;
}

cJSON *jsonx_arr(const cJSON *obj, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsArray(v) ? v : NULL;
}

cJSON *jsonx_set(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return NULL;
    if (cJSON_GetObjectItemCaseSensitive(obj, key)) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)) {
            cJSON_Delete(item);
            return NULL;
        }
    } else if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return NULL;
    }
    return item;
}

cJSON *jsonx_set_str(cJSON *obj, const char *key, const char *value)
{
    return jsonx_set(obj, key, cJSON_CreateString(value ? value : ""));
}

cJSON *jsonx_set_num(cJSON *obj, const char *key, double value)
{
    return jsonx_set(obj, key, cJSON_CreateNumber(value));
}

char *jsonx_print(struct arena *a, const cJSON *tree)
{
    char *s = cJSON_PrintUnformatted(tree);
    if (!s)
        return NULL;
    char *copy = arena_strdup(a, s);
    free(s);
    return copy;
}
