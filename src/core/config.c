/* config: environment and .env parsing with validation. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ids.h"
#include "core/limits.h"

static char *config_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* One KEY=VALUE line; `export ` prefix, comments and matching quotes handled. */
static void config_dotenv_line(char *line)
{
    char *s = config_trim(line);
    if (*s == '\0' || *s == '#')
        return;
    if (strncmp(s, "export ", 7) == 0)
        s = config_trim(s + 7);
    char *eq = strchr(s, '=');
    if (!eq)
        return;
    *eq = '\0';
    char *key = config_trim(s), *val = config_trim(eq + 1);
    size_t n = strlen(val);
    if (n >= 2 && (val[0] == '"' || val[0] == '\'') && val[n - 1] == val[0]) {
        val[n - 1] = '\0';
        val++;
    } else {
        char *hash = strstr(val, " #");
        if (hash) {
            *hash = '\0';
            val = config_trim(val);
        }
    }
    if (*key)
        setenv(key, val, 0);
}

enum err config_load_dotenv(const char *path, struct errinfo *ei)
{
    if (!path)
        return E_OK;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? E_OK : errinfo_set(ei, E_IO, "cannot read %s", path);
    char line[4096];
    while (fgets(line, sizeof line, f))
        config_dotenv_line(line);
    fclose(f);
    return E_OK;
}

static const char *config_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static enum err config_int(const char *name, long lo, long hi, long def, long *out,
                           struct errinfo *ei)
{
    const char *v = config_env(name);
    if (!v) {
        *out = def;
        return E_OK;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *config_trim(end) != '\0' || n < lo || n > hi)
        return errinfo_set(ei, E_INVALID, "%s must be a whole number from %ld to %ld, not '%s'",
                           name, lo, hi, v);
    *out = n;
    return E_OK;
}

static enum err config_bool(const char *name, bool def, bool *out, struct errinfo *ei)
{
    const char *v = config_env(name);
    if (!v) {
        *out = def;
        return E_OK;
    }
    static const char *yes[] = {"1", "true", "yes", "on", "t", "y"};
    static const char *no[] = {"0", "false", "no", "off", "f", "n"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
            *out = strcasecmp(v, yes[i]) == 0;
            return E_OK;
        }
    }
    return errinfo_set(ei, E_INVALID, "%s must be true or false, not '%s'", name, v);
}

static enum err config_str(const char *name, const char *def, char *out, size_t cap,
                           struct errinfo *ei)
{
    const char *v = config_env(name);
    if (!v)
        v = def;
    if (strlen(v) >= cap)
        return errinfo_set(ei, E_INVALID, "%s is too long", name);
    memcpy(out, v, strlen(v) + 1);
    return E_OK;
}

static enum err config_check_urls(struct config *c, struct errinfo *ei)
{
    const char *u = c->database_url;
    if (strncmp(u, "sqlite://", 9) != 0 && strncmp(u, "postgres://", 11) != 0 &&
        strncmp(u, "postgresql://", 13) != 0)
        return errinfo_set(ei, E_INVALID,
                           "DATABASE_URL must start with sqlite://, postgres:// or "
                           "postgresql://, not '%s'",
                           u);
    if (strncmp(c->domain, "http://", 7) != 0 && strncmp(c->domain, "https://", 8) != 0)
        return errinfo_set(ei, E_INVALID, "GLITCHTIP_DOMAIN must be an http:// or https:// URL");
    size_t n = strlen(c->domain);
    while (n > 8 && c->domain[n - 1] == '/')
        c->domain[--n] = '\0';
    return E_OK;
}

/* The host of GLITCHTIP_DOMAIN (checked to be http[s]://…) without port or path. */
static void config_domain_host(struct config *c)
{
    const char *h = strstr(c->domain, "://") + 3;
    size_t n = h[0] == '[' ? strcspn(h, "]") + 1 : strcspn(h, ":/?#");
    if (n >= sizeof c->domain_host || n == 0) {
        snprintf(c->domain_host, sizeof c->domain_host, "localhost");
        return;
    }
    memcpy(c->domain_host, h, n);
    c->domain_host[n] = '\0';
}

/* EMAIL_URL and DEFAULT_FROM_EMAIL (default snag@<domain host>), checked at start-up. */
static enum err config_mail(struct config *c, struct errinfo *ei)
{
    config_domain_host(c);
    enum err e = mail_url_parse(c->email_url, &c->mail, ei);
    if (e)
        return e;
    char def_from[300];
    snprintf(def_from, sizeof def_from, "snag@%s", c->domain_host);
    if ((e = config_str("DEFAULT_FROM_EMAIL", def_from, c->default_from_email,
                        sizeof c->default_from_email, ei)))
        return e;
    char addr[MAIL_ADDR_MAX + 1];
    for (const char *p = c->default_from_email; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            return errinfo_set(ei, E_INVALID, "DEFAULT_FROM_EMAIL must be plain ASCII");
    if (!mail_from_addr(c->default_from_email, addr))
        return errinfo_set(ei, E_INVALID,
                           "DEFAULT_FROM_EMAIL must be an address or 'Name <address>', not '%s'",
                           c->default_from_email);
    return E_OK;
}

enum err config_load(struct config *c, struct errinfo *ei)
{
    memset(c, 0, sizeof *c);
    long n;
    enum err e;
    if ((e = config_int("PORT", 1, 65535, 8000, &n, ei)))
        return e;
    c->port = (int)n;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if ((e = config_int("SNAG_THREADS", 1, 256, ncpu > 0 ? ncpu : 2, &n, ei)))
        return e;
    c->threads = (int)n;
    if ((e = config_bool("SNAG_HTTP_EPOLL", false, &c->http_epoll, ei)))
        return e;
    if ((e = config_str("SNAG_BIND", "0.0.0.0", c->bind, sizeof c->bind, ei)) ||
        (e = config_str("SNAG_DATA_DIR", "./data", c->data_dir, sizeof c->data_dir, ei)))
        return e;
    char def_db[1100];
    snprintf(def_db, sizeof def_db, "sqlite://%s/snag.db", c->data_dir);
    char def_domain[64];
    snprintf(def_domain, sizeof def_domain, "http://localhost:%d", c->port);
    if ((e = config_str("DATABASE_URL", def_db, c->database_url, sizeof c->database_url, ei)) ||
        (e = config_str("GLITCHTIP_DOMAIN", def_domain, c->domain, sizeof c->domain, ei)) ||
        (e = config_str("SECRET_KEY", "", c->secret_key, sizeof c->secret_key, ei)) ||
        (e = config_str("EMAIL_URL", "", c->email_url, sizeof c->email_url, ei)))
        return e;
    if ((e = config_check_urls(c, ei)) || (e = config_mail(c, ei)))
        return e;
    if ((e = config_int("GLITCHTIP_MAX_UNZIPPED_PAYLOAD_SIZE", 1024, 1L << 34,
                        (long)LIMIT_ENVELOPE_DECOMPRESSED, &n, ei)))
        return e;
    c->max_unzipped = (size_t)n;
    long legacy;
    if ((e = config_int("GLITCHTIP_MAX_EVENT_LIFE_DAYS", 1, 36500, 90, &legacy, ei)) ||
        (e = config_int("GLITCHTIP_RETENTION_DAYS", 1, 36500, legacy, &n, ei)))
        return e;
    c->retention_days = (int)n;
    bool open_reg;
    if ((e = config_bool("ENABLE_USER_REGISTRATION", false, &c->enable_user_registration, ei)) ||
        (e = config_bool("ENABLE_OPEN_USER_REGISTRATION", false, &open_reg, ei)) ||
        (e = config_bool("ENABLE_ORGANIZATION_CREATION", open_reg, &c->enable_organization_creation,
                         ei)))
        return e;
    return E_OK;
}

static enum err config_read_secret(const char *path, struct config *c, struct errinfo *ei)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return errinfo_set(ei, E_IO, "cannot read %s", path);
    char buf[256] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = config_trim(buf);
    if (strlen(s) < 32)
        return errinfo_set(ei, E_INVALID, "%s holds no usable secret key", path);
    snprintf(c->secret_key, sizeof c->secret_key, "%s", s);
    return E_OK;
}

enum err config_ensure_secret(struct config *c, struct errinfo *ei)
{
    if (c->secret_key[0])
        return E_OK;
    c->secret_key_generated = true;
    char path[1100];
    snprintf(path, sizeof path, "%s/secret_key", c->data_dir);
    if (access(path, F_OK) == 0)
        return config_read_secret(path, c, ei);
    if (mkdir(c->data_dir, 0700) != 0 && errno != EEXIST)
        return errinfo_set(ei, E_IO, "cannot create data folder %s", c->data_dir);
    char key[65];
    ids_random_hex(key, 32);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return errinfo_set(ei, E_IO, "cannot create %s", path);
    ssize_t w = write(fd, key, 64);
    close(fd);
    if (w != 64)
        return errinfo_set(ei, E_IO, "cannot write %s", path);
    snprintf(c->secret_key, sizeof c->secret_key, "%s", key);
    return E_OK;
}
