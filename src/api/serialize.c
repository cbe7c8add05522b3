/* serialize: Sentry-shaped JSON for users, sessions, organisations, teams, projects, keys and
 * issues. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "auth/roles.h"
#include "auth/sessions.h"
#include "core/clock.h"
#include "core/jsonx.h"

void api_iso_time(double t, char out[32])
{
    clock_format_iso(t, out);
}

static void api_add_time(cJSON *o, const char *key, double t)
{
    char iso[32];
    api_iso_time(t, iso);
    cJSON_AddStringToObject(o, key, iso);
}

static void api_add_id(cJSON *o, const char *key, int64_t id)
{
    char s[24];
    snprintf(s, sizeof s, "%" PRId64, id);
    cJSON_AddStringToObject(o, key, s);
}

static void api_add_str_or_null(cJSON *o, const char *key, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

cJSON *api_json_user(const struct store_user *u)
{
    cJSON *o = cJSON_CreateObject();
    api_add_id(o, "id", u->id);
    cJSON_AddStringToObject(o, "email", u->email);
    cJSON_AddStringToObject(o, "username", u->email);
    cJSON_AddStringToObject(o, "name", u->email);
    cJSON_AddBoolToObject(o, "isSuperuser", u->is_superuser);
    cJSON_AddBoolToObject(o, "isActive", true);
    api_add_time(o, "dateJoined", u->created);
    return o;
}

cJSON *api_json_session(const struct store_session_info *s, bool current)
{
    char id[SESSION_PUBLIC_ID_LEN + 1];
    snprintf(id, sizeof id, "%.*s", SESSION_PUBLIC_ID_LEN, s->id_hash);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    api_add_time(o, "created", s->created);
    api_add_time(o, "lastSeen", s->last_seen);
    api_add_time(o, "expires", s->expires);
    api_add_str_or_null(o, "userAgent", s->user_agent);
    api_add_str_or_null(o, "ipAddress", s->ip);
    cJSON_AddBoolToObject(o, "current", current);
    return o;
}

cJSON *api_json_org(const struct store_org *org)
{
    cJSON *o = cJSON_CreateObject();
    api_add_id(o, "id", org->id);
    cJSON_AddStringToObject(o, "slug", org->slug);
    cJSON_AddStringToObject(o, "name", org->name);
    api_add_time(o, "dateCreated", org->created);
    cJSON_AddBoolToObject(o, "isEarlyAdopter", false);
    cJSON *status = cJSON_AddObjectToObject(o, "status");
    cJSON_AddStringToObject(status, "id", "active");
    cJSON_AddStringToObject(status, "name", "active");
    return o;
}

cJSON *api_json_team(const struct store_team *t)
{
    cJSON *o = cJSON_CreateObject();
    api_add_id(o, "id", t->id);
    cJSON_AddStringToObject(o, "slug", t->slug);
    cJSON_AddStringToObject(o, "name", t->name);
    api_add_time(o, "dateCreated", t->created);
    cJSON_AddBoolToObject(o, "isMember", true);
    return o;
}

cJSON *api_json_project(const struct store_project *p)
{
    cJSON *o = cJSON_CreateObject();
    api_add_id(o, "id", p->id);
    cJSON_AddStringToObject(o, "slug", p->slug);
    cJSON_AddStringToObject(o, "name", p->name);
    api_add_str_or_null(o, "platform", p->platform);
    api_add_time(o, "dateCreated", p->created);
    cJSON_AddBoolToObject(o, "isMember", true);
    cJSON_AddBoolToObject(o, "hasAccess", true);
    cJSON_AddStringToObject(o, "status", "active");
    if (p->org_slug) {
        cJSON *org = cJSON_AddObjectToObject(o, "organization");
        api_add_id(org, "id", p->org_id);
        cJSON_AddStringToObject(org, "slug", p->org_slug);
    }
    return o;
}

/* Splits GLITCHTIP_DOMAIN into scheme and host[:port][/prefix] for DSNs. */
static void api_domain_parts(const char *domain, char *scheme, size_t sn, const char **rest)
{
    const char *sep = strstr(domain, "://");
    if (!sep) {
        snprintf(scheme, sn, "http");
        *rest = domain;
        return;
    }
    snprintf(scheme, sn, "%.*s", (int)(sep - domain), domain);
    *rest = sep + 3;
}

cJSON *api_json_key(const struct app *app, const struct store_key *k)
{
    char scheme[16], buf[1200];
    const char *host;
    api_domain_parts(app->cfg->domain, scheme, sizeof scheme, &host);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", k->public_key);
    cJSON_AddStringToObject(o, "name", k->label ? k->label : "Default");
    cJSON_AddStringToObject(o, "label", k->label ? k->label : "Default");
    cJSON_AddStringToObject(o, "public", k->public_key);
    cJSON_AddNullToObject(o, "secret");
    api_add_id(o, "projectId", k->project_id);
    cJSON_AddBoolToObject(o, "isActive", k->active);
    api_add_time(o, "dateCreated", k->created);
    if (k->rate_window > 0 && k->rate_count > 0) {
        cJSON *rl = cJSON_AddObjectToObject(o, "rateLimit");
        cJSON_AddNumberToObject(rl, "window", (double)k->rate_window);
        cJSON_AddNumberToObject(rl, "count", (double)k->rate_count);
    } else {
        cJSON_AddNullToObject(o, "rateLimit");
    }
    cJSON *dsn = cJSON_AddObjectToObject(o, "dsn");
    snprintf(buf, sizeof buf, "%s://%s@%s/%" PRId64, scheme, k->public_key, host, k->project_id);
    cJSON_AddStringToObject(dsn, "public", buf);
    cJSON_AddStringToObject(dsn, "secret", buf);
    snprintf(buf, sizeof buf, "%s/api/%" PRId64 "/security/?sentry_key=%s", app->cfg->domain,
             k->project_id, k->public_key);
    cJSON_AddStringToObject(dsn, "security", buf);
    cJSON_AddStringToObject(dsn, "csp", buf);
    snprintf(buf, sizeof buf, "%s/api/%" PRId64 "/minidump/?sentry_key=%s", app->cfg->domain,
             k->project_id, k->public_key);
    cJSON_AddStringToObject(dsn, "minidump", buf);
    snprintf(buf, sizeof buf, "%s/api/%" PRId64 "/store/", app->cfg->domain, k->project_id);
    cJSON_AddStringToObject(dsn, "store", buf);
    snprintf(buf, sizeof buf, "%s/api/%" PRId64 "/envelope/", app->cfg->domain, k->project_id);
    cJSON_AddStringToObject(dsn, "envelope", buf);
    return o;
}

cJSON *api_json_member(const struct store_member *m, double now)
{
    bool pending = m->user_id == 0;
    cJSON *o = cJSON_CreateObject();
    api_add_id(o, "id", m->id);
    cJSON_AddStringToObject(o, "email", m->email ? m->email : "");
    cJSON_AddStringToObject(o, "name", m->email ? m->email : "");
    cJSON_AddStringToObject(o, "role", m->role);
    cJSON_AddStringToObject(o, "orgRole", m->role);
    const char *title = role_title(role_parse(m->role));
    cJSON_AddStringToObject(o, "roleName", title ? title : m->role);
    cJSON_AddBoolToObject(o, "pending", pending);
    cJSON_AddBoolToObject(o, "expired", pending && m->expires <= now);
    cJSON_AddStringToObject(o, "inviteStatus", "approved");
    api_add_time(o, "dateCreated", m->created);
    if (pending) {
        cJSON_AddNullToObject(o, "user");
        return o;
    }
    cJSON *u = cJSON_AddObjectToObject(o, "user");
    api_add_id(u, "id", m->user_id);
    cJSON_AddStringToObject(u, "email", m->email ? m->email : "");
    cJSON_AddStringToObject(u, "username", m->email ? m->email : "");
    cJSON_AddStringToObject(u, "name", m->email ? m->email : "");
    return o;
}

char *api_short_id(struct arena *a, const char *project_slug, int64_t num)
{
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; /* Crockford */
    char digits[16];
    int n = 0;
    uint64_t v = num > 0 ? (uint64_t)num : 0;
    do {
        digits[n++] = alphabet[v % 32];
        v /= 32;
    } while (v && n < 15);
    char rev[16];
    for (int i = 0; i < n; i++)
        rev[i] = digits[n - 1 - i];
    rev[n] = '\0';
    char *s = arena_printf(a, "%s-%s", project_slug, rev);
    for (char *p = s; p && *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return s;
}

cJSON *api_json_issue(const struct app *app, const struct store_issue *i,
                      const struct store_project *project)
{
    cJSON *o = cJSON_CreateObject();
    api_add_id(o, "id", i->id);
    struct arena *tmp = arena_new(0);
    cJSON_AddStringToObject(o, "shortId", api_short_id(tmp, project->slug, i->short_num));
    arena_free(tmp);
    cJSON_AddStringToObject(o, "title", i->title);
    cJSON_AddStringToObject(o, "culprit", i->culprit ? i->culprit : "");
    cJSON_AddStringToObject(o, "level", i->level);
    cJSON_AddStringToObject(o, "status", i->status);
    cJSON_AddObjectToObject(o, "statusDetails");
    cJSON_AddStringToObject(o, "type", i->type);
    cJSON *meta = i->metadata_json ? cJSON_Parse(i->metadata_json) : NULL;
    cJSON_AddItemToObject(o, "metadata", meta ? meta : cJSON_CreateObject());
    char count[24];
    snprintf(count, sizeof count, "%" PRId64, i->count);
    cJSON_AddStringToObject(o, "count", count);
    cJSON_AddNumberToObject(o, "userCount", (double)i->user_count);
    api_add_time(o, "firstSeen", i->first_seen);
    api_add_time(o, "lastSeen", i->last_seen);
    api_add_str_or_null(o, "platform", i->platform ? i->platform : project->platform);
    api_add_str_or_null(o, "logger", i->logger);
    cJSON_AddBoolToObject(o, "isPublic", false);
    cJSON_AddBoolToObject(o, "isBookmarked", false);
    cJSON_AddBoolToObject(o, "isSubscribed", false);
    cJSON_AddBoolToObject(o, "hasSeen", false);
    cJSON_AddNullToObject(o, "assignedTo");
    cJSON_AddNumberToObject(o, "numComments", 0);
    cJSON_AddItemToObject(o, "annotations", cJSON_CreateArray());
    char link[1200];
    snprintf(link, sizeof link, "%s/issues/%" PRId64 "/", app->cfg->domain, i->id);
    cJSON_AddStringToObject(o, "permalink", link);
    cJSON *proj = cJSON_AddObjectToObject(o, "project");
    api_add_id(proj, "id", project->id);
    cJSON_AddStringToObject(proj, "name", project->name);
    cJSON_AddStringToObject(proj, "slug", project->slug);
    api_add_str_or_null(proj, "platform", project->platform);
    return o;
}
