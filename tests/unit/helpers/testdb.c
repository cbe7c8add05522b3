/* A fresh database per test program on SQLite or PostgreSQL (see testdb.h). */
#include "helpers/testdb.h"

#include <ftw.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int testdb_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int testdb_rmtree(const char *dir)
{
    return nftw(dir, testdb_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs one statement through admin_url; 0 on success. */
static int testdb_admin_exec(const char *admin_url, const char *sql)
{
    PGconn *c = PQconnectdb(admin_url);
    int rc = -1;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, sql);
        rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
        if (rc)
            fprintf(stderr, "testdb: %s: %s", sql, PQresultErrorMessage(r));
        PQclear(r);
    } else {
        fprintf(stderr, "testdb: cannot connect to SNAG_TEST_DATABASE_URL: %s", PQerrorMessage(c));
    }
    PQfinish(c);
    return rc;
}

static bool testdb_is_pg_url(const char *url)
{
    return url && (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0);
}

/* Creates snag_t_<pid>_<n> on the server of admin and sets t->url to admin with that
 * database name in place of its own (the query string kept). */
static int testdb_pg_create(struct testdb *t, const char *admin)
{
    static unsigned counter;
    int n = snprintf(t->admin, sizeof t->admin, "%s", admin);
    if (n < 0 || (size_t)n >= sizeof t->admin)
        return fprintf(stderr, "testdb: SNAG_TEST_DATABASE_URL is too long\n"), -1;
    snprintf(t->name, sizeof t->name, "snag_t_%ld_%u", (long)getpid(), counter++);
    const char *auth = strstr(admin, "://") + 3;
    const char *path = auth + strcspn(auth, "/?");
    const char *query = path + strcspn(path, "?");
    n = snprintf(t->url, sizeof t->url, "%.*s/%s%s", (int)(path - admin), admin, t->name, query);
    if (n < 0 || (size_t)n >= sizeof t->url)
        return fprintf(stderr, "testdb: SNAG_TEST_DATABASE_URL is too long\n"), -1;
    char sql[160];
    /* a database left by an earlier run whose process had the same pid */
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->name);
    if (testdb_admin_exec(t->admin, sql) != 0)
        return -1;
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", t->name);
    return testdb_admin_exec(t->admin, sql);
}

const char *testdb_open(struct testdb *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/snag-testdb-XXXXXX");
    if (!mkdtemp(t->dir)) {
        perror("testdb: mkdtemp");
        t->dir[0] = '\0';
        return NULL;
    }
    const char *env = getenv("SNAG_TEST_DATABASE_URL");
    if (testdb_is_pg_url(env)) {
        if (testdb_pg_create(t, env) != 0) {
            t->name[0] = '\0';
            testdb_close(t);
            return NULL;
        }
    } else {
        snprintf(t->url, sizeof t->url, "sqlite://%s/snag.db", t->dir);
    }
    return t->url;
}

int testdb_close(struct testdb *t)
{
    int rc = 0;
    if (t->name[0]) {
        char sql[160];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->name);
        rc = testdb_admin_exec(t->admin, sql);
        t->name[0] = '\0';
    }
    if (t->dir[0] && testdb_rmtree(t->dir) != 0)
        rc = -1;
    t->dir[0] = '\0';
    return rc;
}

bool testdb_is_pg(const struct testdb *t)
{
    return t->name[0] != '\0';
}

int testdb_pg_script(const char *cmd, const char *dir, const char *port)
{
    const char *src = getenv("SNAG_SOURCE_DIR");
    char line[1024];
    snprintf(line, sizeof line, "'%s/scripts/pg.sh' %s '%s' %s >/dev/null", src ? src : ".", cmd,
             dir, port ? port : "");
    return system(line);
}
