/* reqs: the load generator's pre-built HTTP requests. One template per event group (store
 * or envelope, plain or gzip) is built before the clock starts; sending request k is then a
 * copy of the template and an overwrite of its event-id bytes (and, for gzip, of the CRC —
 * see gzpatch.h), so the generator measures the server, not itself. GET requests (issue
 * list, issue detail) are formatted per request from a path that may hold "{id}". */
#ifndef SNAG_BENCH_REQS_H
#define SNAG_BENCH_REQS_H

#include <stddef.h>
#include <stdint.h>

#include "gzpatch.h"

enum reqs_kind { REQS_STORE, REQS_ENVELOPE, REQS_GET };

struct reqs_opts {
    enum reqs_kind kind;
    int gzip;
    int port;
    long project;      /* ingest: project id */
    const char *key;   /* ingest: public DSN key */
    unsigned groups;   /* ingest: number of templates, one per event group */
    const char *path;  /* GET: path, "{id}" replaced by 1..id_max at random */
    const char *token; /* GET: Bearer token, may be NULL */
    long id_max;
};

struct reqs_tmpl {
    char *req; /* full request, header and body */
    size_t len, body_off;
    char *plain; /* the uncompressed body (gzip: for the CRC) */
    size_t plain_len;
    size_t slot[GZPATCH_MAX_SLOTS];       /* event-id offsets in req */
    size_t plain_slot[GZPATCH_MAX_SLOTS]; /* and in plain */
    size_t nslots;
    struct gzpatch gz;
};

struct reqs {
    struct reqs_opts o;
    struct reqs_tmpl *t;
    size_t n;
    size_t max_len;    /* the largest request: size the send buffers with this */
    double body_bytes; /* mean body size as sent */
    double plain_bytes;
};

/* Builds the templates; 0 on success, -1 with a message on stderr. */
int reqs_build(struct reqs *r, const struct reqs_opts *o);

/* Writes request number k into out (r->max_len bytes; scratch likewise, used for gzip) with
 * the given 32-hex event id, choosing the template or id with rnd. Returns its length. */
size_t reqs_render(const struct reqs *r, uint64_t rnd, const char *event_id, char *out,
                   char *scratch);

void reqs_free(struct reqs *r);

#endif
