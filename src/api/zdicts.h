/* zdicts: the registry of per-project zstd dictionaries for stored event bodies — which
 * dictionary ingest compresses a project's events with, the dictionaries every reader needs
 * to decompress any stored body (whichever node compressed it), and the background job that
 * trains them. A dictionary trained on a project's own earlier events makes its bodies about
 * 7× smaller and their compression about 4× faster than zstd without one.
 *
 * DESIGN
 * - One owner of memory: the registry holds every CDict and DDict it made and frees them.
 *   Per project it keeps the current compression dictionary, refcounted: ingest takes a
 *   reference under the registry lock (a hash lookup, nothing else), compresses outside it
 *   and drops the reference; the job swaps in a new one the same way, and the last holder
 *   frees the old one. Decompression dictionaries live in a bounded LRU cache keyed by
 *   dictionary ID, loaded from the store on a miss (by whichever reader needs one, outside
 *   any lock), refcounted in the same way, so an eviction never frees one in use.
 * - Training: the job (zdicts_job_run, every ZDICTS_EVERY seconds on its own scheduler
 *   thread at a lowered priority) reads per-project event counters that ingest bumps in
 *   memory, so its look is cheap. A project gets its first dictionary once it has had
 *   ZDICTS_MIN_EVENTS events here, and a new one when its dictionary is ZDICTS_RETRAIN_AGE
 *   old and ZDICTS_RETRAIN_EVENTS more came in. Training reads the project's most recent
 *   stored bodies (decompressed with their own dictionaries), runs ZDICT in the job thread,
 *   stores the dictionary under a random unused ID (retrying on a collision) and only then
 *   lets ingest use it. Ingest never trains, never waits for the store, and never holds a
 *   lock over anything slow.
 * - Several nodes (PostgreSQL): each node may train its own dictionaries; before training,
 *   and when it first sees a project, a node adopts the project's newest stored dictionary
 *   when it is recent, so nodes mostly share one. Any node decompresses any body: the frame
 *   names its dictionary's ID and the dictionary is loaded from the database.
 * - Lifetime in the database: a node confirms the dictionaries it compresses with every
 *   ZDICTS_TOUCH_EVERY seconds (store_zdict_touch) and stops using one it could not confirm
 *   for ZDICTS_USE_TTL seconds (it then stores bodies without a dictionary). Every body
 *   compressed with a dictionary was therefore received before its last_used +
 *   ZDICTS_USE_TTL, so once that is older than the retention cutoff (with a day's slack for
 *   PostgreSQL's whole-day partitions and clocks) no kept event can need it:
 *   zdicts_prune_before() gives the retention job that bound.
 * - The counters count events since this process started: after a restart a project without
 *   a dictionary needs ZDICTS_MIN_EVENTS new events for its first one. */
#ifndef SNAG_API_ZDICTS_H
#define SNAG_API_ZDICTS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

#define ZDICTS_LEVEL 1                /* zstd level of stored bodies, with or without one */
#define ZDICTS_DICT_MAX (16 * 1024)   /* bytes of a trained dictionary */
#define ZDICTS_SAMPLES 512            /* most recent events a dictionary is trained from */
#define ZDICTS_SAMPLE_MAX (64 * 1024) /* bytes of one sample (longer bodies left out) */
#define ZDICTS_MIN_EVENTS 256         /* events before a project's first dictionary */
#define ZDICTS_MIN_SAMPLES 128        /* stored bodies training needs at least */
#define ZDICTS_RETRAIN_AGE 86400.0    /* a dictionary this old (seconds) is replaced… */
#define ZDICTS_RETRAIN_EVENTS 512     /* …once this many more events came in */
#define ZDICTS_EVERY 1.0              /* seconds between two looks of the job */
#define ZDICTS_RETRY 10.0             /* seconds before another try after a store error */
#define ZDICTS_RETRY_TRAIN 3600.0     /* …after samples zstd could make no dictionary of */
#define ZDICTS_TOUCH_EVERY 600.0      /* seconds between confirmations of one in use */
#define ZDICTS_USE_TTL 3600.0         /* ingest stops using one unconfirmed for this long */
#define ZDICTS_PRUNE_SLACK 86400.0    /* whole-day partitions and clock skew between nodes */
#define ZDICTS_DDICTS_MAX 64          /* decompression dictionaries kept in memory */
#define ZDICTS_MISSING_MAX 16         /* IDs the store lacked, remembered… */
#define ZDICTS_MISSING_TTL 60.0       /* …for this many seconds */
#define ZDICTS_ID_TRIES 8             /* dictionary IDs tried before giving up for now */
#define ZDICTS_NICE 10                /* added to the job thread's nice value */

struct zdicts;

/* A registry over st (borrowed: it must outlive the registry). No thread: the owner runs
 * zdicts_job_run on a scheduler. */
struct zdicts *zdicts_new(struct store *st);
/* Frees every dictionary; nothing may use the registry any more. NULL is fine. */
void zdicts_free(struct zdicts *z);

/* Ingest: compresses the normalised body of an event of project_id, received at now
 * (clock_now), for storage — with the project's current dictionary when it has one
 * confirmed within ZDICTS_USE_TTL, else without (level ZDICTS_LEVEL) — appending to out
 * (max raised to fit), and counts the event for the training trigger. Never reaches the
 * store. z NULL: without a dictionary, nothing counted. */
enum err zdicts_compress(struct zdicts *z, int64_t project_id, double now, const void *in,
                         size_t len, struct buf *out) WUR;

/* Readers: appends a stored body, decompressed, to out, never letting out->len pass max
 * (proto_zstd_decompress_dict: E_TOOBIG, E_PARSE, and E_NOTFOUND when the dictionary it names
 * is in neither memory nor the store). May ask the store for a dictionary: not inside a store
 * transaction. z NULL: bodies without a dictionary only. */
enum err zdicts_decompress(struct zdicts *z, const void *in, size_t len, size_t max,
                           struct buf *out, struct errinfo *ei) WUR;

/* A project or an organization was deleted through this node: every project stops using its
 * dictionary at once and the job looks at each again as if it were new. The deleted
 * projects' dictionaries are gone with them, and SQLite gives a new project the id of the
 * newest deleted one, which must not inherit its dictionary. (Other nodes never see an id
 * again: PostgreSQL's ids come from a sequence.) NULL is fine. */
void zdicts_clear(struct zdicts *z);

/* The training job, a scheduler entry point (arg: struct zdicts). Adopts, confirms and
 * trains as the DESIGN says; returns the first store error after looking at every project
 * (the scheduler then retries sooner). */
enum err zdicts_job_run(void *arg, const atomic_bool *stop);

/* What the registry did so far (tests, logs). */
struct zdicts_stats {
    uint64_t trained;     /* dictionaries this node trained and stored */
    uint64_t adopted;     /* stored dictionaries taken over (this node's earlier, others') */
    uint64_t train_fails; /* trainings zstd refused (too few or too similar samples) */
    uint64_t ddict_loads; /* decompression dictionaries loaded from the store */
    uint64_t dropped;     /* dictionaries in use that had disappeared from the store */
};
void zdicts_stats(struct zdicts *z, struct zdicts_stats *out);
/* The ID of the dictionary ingest uses for project_id at now; 0 when none. */
uint32_t zdicts_current(struct zdicts *z, int64_t project_id, double now);

/* For the retention job: dictionaries last used before this bound cannot be needed by any
 * event retention keeps when it deletes the events received before cutoff. */
double zdicts_prune_before(double cutoff);

/* Trains a dictionary for project_id from n samples (concatenated, sizes[i] bytes each) into
 * dict and stores it, received at now, under a random unused ID (*dict_id); a new ID is
 * tried on a collision. E_PARSE when zstd can make no dictionary of these samples,
 * E_NOTFOUND when the project is gone, E_CONFLICT after ZDICTS_ID_TRIES collisions, else
 * the store's error. The job trains with it; so does the bench's seeding. */
enum err zdicts_train_store(struct store *st, int64_t project_id, const void *samples,
                            const size_t *sizes, size_t n, double now, struct buf *dict,
                            uint32_t *dict_id, struct errinfo *ei);

#endif
