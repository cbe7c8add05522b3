/* proto/event_tags: tag normalisation (protocol.md §7.3) — client tags from an object or a
 * list of pairs into an ordered list of [key, value] pairs, minus the keys the server derives,
 * deduplicated and within length limits — and the tags Sentry derives at save time (level,
 * environment, release, transaction, user, url, server_name, handled, mechanism, browser, os,
 * runtime, device). */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "proto/event_int.h"

/* Client tags kept per event; deduplication is quadratic, and no real SDK comes near. */

/* Keys the client may not set: the server derives them. */
static bool tag_reserved(const char *key)
{
    static const char *const reserved[] = {"release", "dist", "user", "filename", "function"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        if (strcmp(key, reserved[i]) == 0)
            return true;
    }
    return strncmp(key, "sentry:", 7) == 0;
}

static cJSON *tag_find(cJSON *list, const char *key)
{
    cJSON *pair;
    cJSON_ArrayForEach(pair, list)
    {
        const cJSON *k = cJSON_GetArrayItem(pair, 0);
        if (cJSON_IsString(k) && strcmp(k->valuestring, key) == 0)
            return pair;
    }
    return NULL;
}

static bool tag_len_ok(const char *s, size_t max_chars)
{
    size_t len = strlen(s);
    return len > 0 && utf8_count(s, len) <= max_chars;
}

static enum err tag_append(cJSON *list, const char *key, const char *value)
{
    cJSON *pair = cJSON_CreateArray();
    if (!pair || !cJSON_AddItemToArray(pair, cJSON_CreateString(key)) ||
        !cJSON_AddItemToArray(pair, cJSON_CreateString(value)) || cJSON_GetArraySize(pair) != 2 ||
        !cJSON_AddItemToArray(list, pair)) {
        cJSON_Delete(pair);
        return E_NOMEM;
    }
    return E_OK;
}

/* One client tag: the environment tag is remembered for promotion, not kept. */
static enum err tag_client_one(struct norm *n, cJSON *list, const cJSON *k, const cJSON *v,
                               const char **env)
{
    const char *key = ev_text(n->a, k);
    const char *value = ev_text(n->a, v);
    if (!key || !value || !tag_len_ok(key, LIMIT_TAG_KEY_CHARS) ||
        !tag_len_ok(value, LIMIT_TAG_VALUE_CHARS) || tag_reserved(key) ||
        cJSON_GetArraySize(list) >= LIMIT_TAGS || tag_find(list, key))
        return E_OK;
    if (strcmp(key, "environment") == 0) {
        if (!*env)
            *env = arena_strdup(n->a, value);
        return *env ? E_OK : E_TOOBIG;
    }
    return tag_append(list, key, value);
}

static enum err tag_collect(struct norm *n, const cJSON *in, cJSON *list, const char **env)
{
    enum err rc = E_OK;
    const cJSON *it;
    cJSON_ArrayForEach(it, in)
    {
        if (cJSON_IsObject(in)) {
            cJSON key = {.type = cJSON_String, .valuestring = it->string};
            rc = tag_client_one(n, list, &key, it, env);
        } else if (cJSON_IsArray(it) && cJSON_GetArraySize(it) == 2) {
            rc = tag_client_one(n, list, cJSON_GetArrayItem(it, 0), cJSON_GetArrayItem(it, 1), env);
        }
        if (rc != E_OK)
            break;
    }
    return rc;
}

enum err ev_tags_client(struct norm *n)
{
    enum err rc = E_OK;
    const char *env = NULL;
    cJSON *list = cJSON_CreateArray();
    if (!list)
        return E_NOMEM;
    const cJSON *in = jsonx_get(n->ev, "tags");
    if (cJSON_IsObject(in) || cJSON_IsArray(in))
        rc = tag_collect(n, in, list, &env);
    if (rc != E_OK) {
        cJSON_Delete(list);
        return rc;
    }
    /* list owns copies of everything, so the old tags can go now */
    if (!jsonx_set(n->ev, "tags", list))
        return E_NOMEM;
    const char *field = jsonx_str(n->ev, "environment");
    if (env && (!field || !*field) && !jsonx_set_str(n->ev, "environment", env))
        return E_NOMEM;
    return E_OK;
}

/* Sets a derived tag, replacing a client value of the same key; the value is stripped of
 * surrounding whitespace (SDKs send e.g. an OS version ending in "\n") and cut to size. */
static enum err tag_set(struct norm *n, const char *key, const char *value)
{
    while (value && isspace((unsigned char)*value))
        value++;
    size_t len = value ? strlen(value) : 0;
    while (len > 0 && isspace((unsigned char)value[len - 1]))
        len--;
    if (len == 0)
        return E_OK;
    cJSON *list = jsonx_arr(n->ev, "tags");
    char *v = arena_strndup(n->a, value, utf8_prefix_len(value, len, LIMIT_TAG_VALUE_CHARS));
    if (!list || !v)
        return E_TOOBIG;
    cJSON *pair = tag_find(list, key);
    if (!pair)
        return tag_append(list, key, v);
    return ev_set_text(cJSON_GetArrayItem(pair, 1), v);
}

/* "name version" of a context (browser, os, runtime), and "name" alone as NAME.name. */
static enum err tag_context(struct norm *n, const char *alias)
{
    cJSON *c = jsonx_obj(jsonx_obj(n->ev, "contexts"), alias);
    const char *name = jsonx_str(c, "name");
    if (!name || !*name)
        return E_OK;
    const char *version = jsonx_str(c, "version");
    const char *both = version && *version ? arena_concat(n->a, name, " ", version, NULL) : name;
    const char *dotted = arena_concat(n->a, alias, ".name", NULL);
    if (!both || !dotted)
        return E_TOOBIG;
    enum err rc = tag_set(n, alias, both);
    return rc == E_OK ? tag_set(n, dotted, name) : rc;
}

/* handled / mechanism from the last exception's mechanism. */
static enum err tag_mechanism(struct norm *n)
{
    cJSON *values = jsonx_arr(jsonx_obj(n->ev, "exception"), "values");
    cJSON *mech =
        jsonx_obj(cJSON_GetArrayItem(values, cJSON_GetArraySize(values) - 1), "mechanism");
    if (!mech)
        return E_OK;
    const cJSON *handled = jsonx_get(mech, "handled");
    enum err rc = E_OK;
    if (cJSON_IsBool(handled))
        rc = tag_set(n, "handled", cJSON_IsTrue(handled) ? "yes" : "no");
    return rc == E_OK ? tag_set(n, "mechanism", jsonx_str(mech, "type")) : rc;
}

enum err ev_tags_derived(struct norm *n)
{
    static const char *const attrs[] = {"level",   "logger", "environment",
                                        "release", "dist",   "transaction"};
    enum err rc = E_OK;
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0] && rc == E_OK; i++)
        rc = tag_set(n, attrs[i], jsonx_str(n->ev, attrs[i]));
    if (rc == E_OK)
        rc = tag_set(n, "server_name", n->server_name);
    if (rc == E_OK)
        rc = tag_set(n, "user", ev_user_key(n->a, n->ev));
    if (rc == E_OK)
        rc = tag_set(n, "url", jsonx_str(jsonx_obj(n->ev, "request"), "url"));
    if (rc == E_OK)
        rc = tag_mechanism(n);
    if (rc == E_OK)
        rc = tag_context(n, "browser");
    if (rc == E_OK)
        rc = tag_context(n, "os");
    if (rc == E_OK)
        rc = tag_context(n, "runtime");
    if (rc == E_OK)
        rc = tag_set(n, "device",
                     jsonx_str(jsonx_obj(jsonx_obj(n->ev, "contexts"), "device"), "model"));
    return rc;
}
