/* A fresh, empty database for one test program, on the backend the run asks for:
 * SNAG_TEST_DATABASE_URL unset (or sqlite://…) → a SQLite file in a new temporary folder;
 * SNAG_TEST_DATABASE_URL=postgres://… → a database snag_t_<pid>_<n> created on that server
 * (CREATE DATABASE through libpq on that URL) and dropped again by testdb_close().
 *
 *     struct testdb db;
 *     const char *url = testdb_open(&db);      // NULL on failure (reason on stderr)
 *     setenv("DATABASE_URL", url, 1);          // or store_open(url, …)
 *     setenv("SNAG_DATA_DIR", db.dir, 1);      // a temporary folder, on both backends
 *     …  store_close(st);                      // close every connection first
 *     testdb_close(&db);                       // 0 when everything was removed
 */
#ifndef SNAG_TESTDB_H
#define SNAG_TESTDB_H

#include <stdbool.h>

struct testdb {
    char dir[64];    /* temporary folder (holds the SQLite file); removed by testdb_close */
    char url[640];   /* the DATABASE_URL of the fresh database */
    char admin[512]; /* PostgreSQL: the URL the database was created through; else "" */
    char name[64];   /* PostgreSQL: the database name; else "" */
};

/* Creates the database; returns t->url, or NULL (with a message on stderr). */
const char *testdb_open(struct testdb *t);
/* Drops the PostgreSQL database (WITH (FORCE)) and removes the folder; 0 on success. */
int testdb_close(struct testdb *t);
/* Removes dir and everything below it; 0 on success. */
int testdb_rmtree(const char *dir);
/* True when the run is on PostgreSQL. */
bool testdb_is_pg(const struct testdb *t);

/* Runs `scripts/pg.sh CMD DIR [PORT]` (SNAG_SOURCE_DIR names the source tree) on the server
 * the run's PostgreSQL tests may stop and start (SNAG_TEST_PG_DIR, SNAG_TEST_PG_PORT);
 * system()'s status. */
int testdb_pg_script(const char *cmd, const char *dir, const char *port);

#endif
