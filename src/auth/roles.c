/* roles: the role → scope table (roles.h). Scope names are Sentry's. */
#include "auth/roles.h"

#include <string.h>

static const struct {
    const char *name, *title, *scopes;
} role_table[ROLE__MAX] = {
    [ROLE_MEMBER] = {"member", "Member",
                     "org:read member:read team:read project:read project:releases event:read "
                     "event:write event:admin alerts:read alerts:write"},
    [ROLE_ADMIN] = {"admin", "Admin",
                    "org:read member:read team:read team:write team:admin project:read "
                    "project:write project:admin project:releases event:read event:write "
                    "event:admin alerts:read alerts:write"},
    [ROLE_MANAGER] = {"manager", "Manager",
                      "org:read member:read member:write member:admin team:read team:write "
                      "team:admin project:read project:write project:admin project:releases "
                      "event:read event:write event:admin alerts:read alerts:write"},
    [ROLE_OWNER] = {"owner", "Owner",
                    "org:read org:write org:admin member:read member:write member:admin "
                    "team:read team:write team:admin project:read project:write project:admin "
                    "project:releases event:read event:write event:admin alerts:read "
                    "alerts:write"},
};

enum org_role role_parse(const char *name)
{
    for (int r = 0; name && r < ROLE__MAX; r++)
        if (strcmp(name, role_table[r].name) == 0)
            return (enum org_role)r;
    return ROLE__MAX;
}

const char *role_name(enum org_role r)
{
    return (unsigned)r < ROLE__MAX ? role_table[r].name : NULL;
}

const char *role_title(enum org_role r)
{
    return (unsigned)r < ROLE__MAX ? role_table[r].title : NULL;
}

const char *role_scopes(enum org_role r)
{
    return (unsigned)r < ROLE__MAX ? role_table[r].scopes : "";
}

bool role_has_scope(enum org_role r, const char *scope)
{
    size_t n = scope ? strlen(scope) : 0;
    if ((unsigned)r >= ROLE__MAX || n == 0)
        return false;
    for (const char *s = role_table[r].scopes; *s;) {
        size_t len = strcspn(s, " ");
        if (len == n && strncmp(s, scope, n) == 0)
            return true;
        s += len;
        s += strspn(s, " ");
    }
    return false;
}

bool role_team_bound(enum org_role r)
{
    return r == ROLE_ADMIN;
}

bool role_may_manage(enum org_role actor, enum org_role target)
{
    if ((unsigned)actor >= ROLE__MAX || (unsigned)target >= ROLE__MAX)
        return false;
    if (actor == ROLE_OWNER)
        return true;
    return actor == ROLE_MANAGER && target <= ROLE_MANAGER;
}
