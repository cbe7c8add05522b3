/* migrate_data: `snag migrate-data --from URL --to URL` — copies a whole snag database from
 * SQLite to an empty PostgreSQL one (the move to several nodes): users, API tokens,
 * organizations and members, teams, projects and their teams, keys, issues with their
 * counters and short numbers, distinct issue users, the compression dictionaries of the
 * stored bodies and events (bodies byte for byte);
 * then event_ids, the daily partitions the events need and the id sequences. */
#ifndef SNAG_STORE_MIGRATE_DATA_H
#define SNAG_STORE_MIGRATE_DATA_H

#include <stdint.h>

#include "core/err.h"

struct migrate_data_stats {
    int64_t rows;   /* rows copied, all tables */
    int64_t events; /* of which events */
};

/* Migrates both databases to the current schema, then copies everything from `from` to
 * `to` in one transaction on the target. E_CONFLICT when the target already holds data
 * (nothing is copied); E_UNSUPPORTED unless from is sqlite:// and to is postgres://. */
enum err migrate_data(const char *from, const char *to, struct migrate_data_stats *out,
                      struct errinfo *ei) WUR;

#endif
