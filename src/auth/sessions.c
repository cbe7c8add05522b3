/* sessions: session ids, cookie parsing and Set-Cookie values (see sessions.h). */
#include "auth/sessions.h"

#include <string.h>

#include "core/ids.h"

void session_generate(char out[SESSION_ID_LEN + 1])
{
    ids_random_hex(out, SESSION_ID_LEN / 2);
}

static const char *session_skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

bool session_cookie_find(const char *header, const char *name, const char **val, size_t *len)
{
    size_t nlen = strlen(name);
    const char *p = header;
    while (p && *p) {
        p = session_skip_spaces(p);
        size_t item = strcspn(p, ";");
        if (item > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            *val = p + nlen + 1;
            *len = item - nlen - 1;
            while (*len && ((*val)[*len - 1] == ' ' || (*val)[*len - 1] == '\t'))
                (*len)--;
            return true;
        }
        p += item;
        if (*p == ';')
            p++;
    }
    return false;
}

char *session_set_cookie(struct arena *a, const char *name, const char *value, long max_age,
                         bool http_only, bool secure)
{
    return arena_printf(a, "%s=%s; Path=/; Max-Age=%ld; SameSite=Lax%s%s", name, value, max_age,
                        http_only ? "; HttpOnly" : "", secure ? "; Secure" : "");
}
