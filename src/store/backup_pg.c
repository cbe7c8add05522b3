/* backup_pg: the PostgreSQL half of backup.h — pg_dump --format=custom streamed through
 * gzip into the dump file, and gunzip streamed into pg_restore.
 *
 * DESIGN
 * - The client programs are spawned with posix_spawn and argument vectors, never a shell.
 *   The connection settings of DATABASE_URL travel in the child's environment (PGHOST,
 *   PGPASSWORD, PGSSLMODE, … — libpq's own fallback variables, from PQconninfoParse), so
 *   no password shows in argv. The child's stderr is ours: its messages reach cron's mail.
 * - Which binaries: $SNAG_PG_BINDIR when set; else /usr/bin (Debian's pg_wrapper picks the
 *   newest installed client, which must not be older than the server); else the newest
 *   /usr/lib/postgresql/<major>/bin.
 * - A restore is refused while `snag serve` processes are connected (application_name
 *   "snag"), like the SQLite server lock. It runs as gunzip | pg_restore -f - | psql
 *   --single-transaction, psql first emptying snag's schema: one transaction, so a failed
 *   restore leaves the database as it was. (pg_restore --clean --if-exists, the usual
 *   habit, fails on the inherited constraints of the events partitions.) */
#include "store/backup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libpq-fe.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/xmalloc.h"

extern char **environ;

#define BACKUP_PATH_MAX 4096
#define BACKUP_ENV_MAX 64 /* libpq options we may pass on */

/* ---- finding and running the client programs -------------------------------------------- */

/* The path of program prog (pg_dump, pg_restore) into out. */
static enum err backup_pg_bin(const char *prog, char *out, size_t cap, struct errinfo *ei)
{
    const char *dir = getenv("SNAG_PG_BINDIR");
    if (dir && *dir) {
        snprintf(out, cap, "%s/%s", dir, prog);
        return E_OK;
    }
    snprintf(out, cap, "/usr/bin/%s", prog);
    if (access(out, X_OK) == 0)
        return E_OK;
    char pattern[128];
    glob_t g;
    snprintf(pattern, sizeof pattern, "/usr/lib/postgresql/*/bin/%s", prog);
    enum err e = E_NOTFOUND;
    if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0) {
        const char *best = g.gl_pathv[0];
        for (size_t i = 1; i < g.gl_pathc; i++) /* "9" < "15": compare as numbers */
            if (strtol(g.gl_pathv[i] + 20, NULL, 10) > strtol(best + 20, NULL, 10))
                best = g.gl_pathv[i];
        snprintf(out, cap, "%s", best);
        e = E_OK;
    }
    globfree(&g);
    if (e)
        errinfo_set(ei, E_NOTFOUND,
                    "%s not found (install postgresql-client, or set "
                    "SNAG_PG_BINDIR)",
                    prog);
    return e;
}

/* The child's environment: libpq's variables for every setting in url, then ours minus
 * those. *env is malloc'ed (its strings too, up to the first of environ's). */
struct backup_env {
    char **v;
    size_t n, owned;
};

static bool backup_env_overridden(const struct backup_env *env, const char *var)
{
    const char *eq = strchr(var, '=');
    size_t len = eq ? (size_t)(eq - var) : strlen(var);
    for (size_t i = 0; i < env->owned; i++)
        if (strncmp(env->v[i], var, len) == 0 && env->v[i][len] == '=')
            return true;
    return false;
}

static enum err backup_env_build(const char *url, struct backup_env *env, struct errinfo *ei)
{
    char *msg = NULL;
    size_t nenv = 0;
    PQconninfoOption *opts = PQconninfoParse(url, &msg);
    if (!opts) {
        errinfo_set(ei, E_INVALID, "bad DATABASE_URL: %.*s", msg ? (int)strcspn(msg, "\n") : 0,
                    msg ? msg : "");
        PQfreemem(msg);
        return E_INVALID;
    }
    while (environ[nenv])
        nenv++;
    env->v = xcalloc(BACKUP_ENV_MAX + nenv + 1, sizeof *env->v);
    for (PQconninfoOption *o = opts; o->keyword && env->owned < BACKUP_ENV_MAX; o++) {
        if (!o->val || !o->envvar)
            continue;
        size_t len = strlen(o->envvar) + strlen(o->val) + 2;
        env->v[env->owned] = xmalloc(len);
        snprintf(env->v[env->owned++], len, "%s=%s", o->envvar, o->val);
    }
    PQconninfoFree(opts);
    env->n = env->owned;
    for (size_t i = 0; i < nenv; i++)
        if (!backup_env_overridden(env, environ[i]))
            env->v[env->n++] = environ[i];
    return E_OK;
}

static void backup_env_free(struct backup_env *env)
{
    for (size_t i = 0; i < env->owned; i++)
        free(env->v[i]);
    free(env->v);
}

/* Spawns argv[0] with envp, its stdin on in_fd and its stdout on out_fd (-1: ours). */
static enum err backup_spawn(char *const argv[], char *const envp[], int in_fd, int out_fd,
                             pid_t *pid, struct errinfo *ei)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in_fd >= 0) /* dup2 clears CLOEXEC on the copy */
        posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    int rc = posix_spawn(pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return errinfo_set(ei, E_IO, "cannot run %s: %s", argv[0], strerror(rc));
    return E_OK;
}

static enum err backup_pipe(int p[2], struct errinfo *ei)
{
    if (pipe2(p, O_CLOEXEC) != 0)
        return errinfo_set(ei, E_IO, "pipe: %s", strerror(errno));
    return E_OK;
}

/* Waits for the child; anything but exit status 0 is an error. */
static enum err backup_wait(pid_t pid, const char *prog, struct errinfo *ei)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return errinfo_set(ei, E_IO, "waitpid: %s", strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return E_OK;
    if (WIFEXITED(status))
        return errinfo_set(ei, E_IO, "%s failed (exit status %d)", prog, WEXITSTATUS(status));
    return errinfo_set(ei, E_IO, "%s killed by signal %d", prog, WTERMSIG(status));
}

/* ---- dump ------------------------------------------------------------------------------- */

enum err backup_pg_dump(const char *url, gzFile gz, struct errinfo *ei)
{
    char bin[BACKUP_PATH_MAX];
    struct backup_env env = {0};
    pid_t pid = 0;
    enum err e = backup_pg_bin("pg_dump", bin, sizeof bin, ei);
    if (!e)
        e = backup_env_build(url, &env, ei);
    if (e)
        goto out;
    char fmt[] = "--format=custom", nopw[] = "--no-password";
    char *argv[] = {bin, fmt, nopw, NULL};
    int p[2];
    e = backup_pipe(p, ei);
    if (e)
        goto out;
    e = backup_spawn(argv, env.v, -1, p[1], &pid, ei);
    close(p[1]);
    if (!e) {
        e = backup_gz_from_fd(gz, p[0], ei);
        enum err w = backup_wait(pid, "pg_dump", e ? NULL : ei);
        e = e ? e : w;
    }
    close(p[0]);
out:
    backup_env_free(&env);
    return e;
}

/* ---- restore ---------------------------------------------------------------------------- */

/* E_CONFLICT while other sessions named "snag" (the servers) use the database. */
static enum err backup_pg_idle(const char *url, struct errinfo *ei)
{
    static const char *const keys[] = {"dbname", "application_name", "connect_timeout", NULL};
    const char *const vals[] = {url, "snag-restore", "10", NULL};
    enum err e = E_OK;
    PGresult *res = NULL;
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        e = errinfo_set(ei, E_UNAVAILABLE, "database unavailable: %.*s",
                        (int)strcspn(PQerrorMessage(c), "\n"), PQerrorMessage(c));
        goto out;
    }
    res = PQexec(c, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = 'snag' AND pid <> pg_backend_pid()");
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        e = errinfo_set(ei, E_DB, "cannot list the database's sessions");
    else if (strtol(PQgetvalue(res, 0, 0), NULL, 10) > 0)
        e = errinfo_set(ei, E_CONFLICT,
                        "%s snag server connection(s) use this database: stop every `snag "
                        "serve` before restoring",
                        PQgetvalue(res, 0, 0));
out:
    PQclear(res);
    PQfinish(c);
    return e;
}

/* The database name of url (pg_restore needs one in -d); NULL when the URL has none. */
static char *backup_pg_dbname(const char *url)
{
    char *name = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "dbname") == 0 && o->val && *o->val)
            name = xstrdup(o->val);
    PQconninfoFree(opts);
    return name;
}

/* Empties the schema snag's tables live in (the first of search_path): tables (their
 * partitions and owned sequences with them), functions and other sequences. psql runs it
 * in the restore's transaction, before the dump's own statements. */
#define BACKUP_PG_WIPE                                                                             \
    "DO $$ DECLARE r record; BEGIN "                                                               \
    "FOR r IN SELECT c.oid::regclass AS t FROM pg_class c "                                        \
    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "           \
    "AND NOT c.relispartition LOOP EXECUTE format('DROP TABLE IF EXISTS %s CASCADE', r.t); "       \
    "END LOOP; "                                                                                   \
    "FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p "                                     \
    "WHERE p.pronamespace = current_schema()::regnamespace LOOP "                                  \
    "EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.f); END LOOP; "                        \
    "FOR r IN SELECT c.oid::regclass AS s FROM pg_class c "                                        \
    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'S' LOOP "              \
    "EXECUTE format('DROP SEQUENCE IF EXISTS %s CASCADE', r.s); END LOOP; END $$"

/* Feeds the dump to pg_restore (stdin in) and waits for it. */
static enum err backup_pg_feed(const char *file, int in, pid_t rpid, struct errinfo *ei)
{
    enum err e =
        backup_gz_to_fd(file, in, BACKUP_PG_MAGIC, strlen(BACKUP_PG_MAGIC), "PostgreSQL", ei);
    close(in); /* end of input: pg_restore finishes */
    enum err w = backup_wait(rpid, "pg_restore", e ? NULL : ei);
    return e ? e : w;
}

/* gunzip | pg_restore -f - | psql -1 (wipe, then the dump's SQL): one transaction. psql
 * commits when its input ends, so we hold a write end of its pipe until pg_restore has
 * succeeded; on any failure psql is killed first, and the server rolls back. (pg_restore
 * --clean cannot drop the inherited constraints of the events partitions: hence the wipe.) */
static enum err backup_pg_pipeline(char *restore, char *psql, char *db, struct backup_env *env,
                                   const char *file, struct errinfo *ei)
{
    char f[] = "-f", dash[] = "-", noown[] = "--no-owner", nopriv[] = "--no-privileges", x[] = "-X",
         q[] = "-q", one[] = "--single-transaction", v[] = "-v", stop[] = "ON_ERROR_STOP=1",
         c[] = "-c", wipe[] = BACKUP_PG_WIPE, d[] = "-d", nopw[] = "--no-password",
         terse[] = "SET client_min_messages = warning";
    char *rargv[] = {restore, f, dash, noown, nopriv, NULL};
    char *pargv[] = {psql, x, q, nopw, one, v, stop, c, terse, c, wipe, f, dash, d, db, NULL};
    int in[2] = {-1, -1}, mid[2] = {-1, -1};
    int quiet = open("/dev/null", O_WRONLY | O_CLOEXEC); /* the dump's SELECT setval() rows */
    pid_t rpid = 0, ppid = 0;
    enum err e = backup_pipe(in, ei);
    if (!e)
        e = backup_pipe(mid, ei);
    if (!e)
        e = backup_spawn(pargv, env->v, mid[0], quiet, &ppid, ei);
    if (quiet >= 0)
        close(quiet);
    if (!e)
        e = backup_spawn(rargv, env->v, in[0], mid[1], &rpid, ei);
    if (in[0] >= 0)
        close(in[0]);
    if (mid[0] >= 0)
        close(mid[0]);
    if (!e)
        e = backup_pg_feed(file, in[1], rpid, ei);
    else if (in[1] >= 0)
        close(in[1]);
    if (e && ppid)
        kill(ppid, SIGKILL); /* before its input ends: no commit */
    if (mid[1] >= 0)
        close(mid[1]);
    enum err w = ppid ? backup_wait(ppid, "psql", e ? NULL : ei) : E_OK;
    return e ? e : w;
}

enum err backup_pg_restore(const char *url, const char *file, struct errinfo *ei)
{
    char restore[BACKUP_PATH_MAX], psql[BACKUP_PATH_MAX], head[sizeof BACKUP_PG_MAGIC];
    struct backup_env env = {0};
    char *db = NULL;
    long n = backup_gz_peek(file, head, strlen(BACKUP_PG_MAGIC));
    if (n != (long)strlen(BACKUP_PG_MAGIC) || memcmp(head, BACKUP_PG_MAGIC, (size_t)n) != 0)
        return errinfo_set(ei, E_INVALID, "%s is not a PostgreSQL dump", file);
    enum err e = backup_pg_bin("pg_restore", restore, sizeof restore, ei);
    if (!e)
        e = backup_pg_bin("psql", psql, sizeof psql, ei);
    if (!e)
        e = backup_env_build(url, &env, ei);
    if (!e)
        db = backup_pg_dbname(url);
    if (!e && !db)
        e = errinfo_set(ei, E_INVALID, "DATABASE_URL names no database");
    if (!e)
        e = backup_pg_idle(url, ei);
    if (!e)
        e = backup_pg_pipeline(restore, psql, db, &env, file, ei);
    free(db);
    backup_env_free(&env);
    return e;
}
