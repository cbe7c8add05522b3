/* reqs: pre-built request templates for the load generator (see reqs.h). */
#include "reqs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eventgen.h"

#define REQS_BODY_MAX 16384
#define REQS_HEAD_MAX 1024

/* Offsets of every event-id placeholder in body. */
static size_t reqs_find_slots(const char *body, size_t len, size_t *slots)
{
    size_t n = 0;
    const char *p = body, *end = body + len;
    while (n < GZPATCH_MAX_SLOTS) {
        const char *hit = memmem(p, (size_t)(end - p), EVENTGEN_ID_PLACEHOLDER, EVENTGEN_ID_LEN);
        if (!hit)
            break;
        slots[n++] = (size_t)(hit - body);
        p = hit + EVENTGEN_ID_LEN;
    }
    return n;
}

static int reqs_head(const struct reqs_opts *o, size_t body_len, char *out)
{
    int store = o->kind == REQS_STORE;
    int n = snprintf(out, REQS_HEAD_MAX,
                     "POST /api/%ld/%s/%s%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     "User-Agent: snag-bench/1.0\r\n%s%s%s"
                     "Content-Type: %s\r\n%sContent-Length: %zu\r\n\r\n",
                     o->project, store ? "store" : "envelope",
                     store ? "" : "?sentry_key=", store ? "" : o->key, o->port,
                     store ? "X-Sentry-Auth: Sentry sentry_version=7, sentry_client=snag-bench/1.0"
                             ", sentry_key="
                           : "",
                     store ? o->key : "", store ? "\r\n" : "",
                     store ? "application/json" : "application/x-sentry-envelope",
                     o->gzip ? "Content-Encoding: gzip\r\n" : "", body_len);
    return n > 0 && n < REQS_HEAD_MAX ? n : -1;
}

/* Assembles t->req from the header and the (plain or compressed) body. */
static int reqs_assemble(struct reqs_tmpl *t, const struct reqs_opts *o)
{
    const char *body = o->gzip ? (const char *)t->gz.z : t->plain;
    size_t body_len = o->gzip ? t->gz.len : t->plain_len;
    char head[REQS_HEAD_MAX];
    int hn = reqs_head(o, body_len, head);
    if (hn < 0)
        return -1;
    t->body_off = (size_t)hn;
    t->len = t->body_off + body_len;
    t->req = malloc(t->len);
    if (!t->req)
        return -1;
    memcpy(t->req, head, t->body_off);
    memcpy(t->req + t->body_off, body, body_len);
    for (size_t i = 0; i < t->nslots; i++)
        t->slot[i] = t->body_off + (o->gzip ? t->gz.slot_off[i] : t->plain_slot[i]);
    return 0;
}

static int reqs_build_one(struct reqs_tmpl *t, const struct reqs_opts *o, unsigned g, double ts)
{
    char *body = malloc(REQS_BODY_MAX);
    if (!body)
        return -1;
    size_t len = o->kind == REQS_STORE
                     ? eventgen_event(body, REQS_BODY_MAX, g, EVENTGEN_ID_PLACEHOLDER, ts)
                     : eventgen_envelope(body, REQS_BODY_MAX, g, EVENTGEN_ID_PLACEHOLDER, ts);
    t->plain = body;
    t->plain_len = len;
    t->nslots = reqs_find_slots(body, len, t->plain_slot);
    if (len == 0 || t->nslots == 0)
        return -1;
    if (o->gzip && gzpatch_build(&t->gz, body, len, t->plain_slot, t->nslots, EVENTGEN_ID_LEN))
        return -1;
    return reqs_assemble(t, o);
}

int reqs_build(struct reqs *r, const struct reqs_opts *o)
{
    memset(r, 0, sizeof *r);
    r->o = *o;
    if (o->kind == REQS_GET) {
        r->max_len = 4096;
        return 0;
    }
    r->n = o->groups ? o->groups : 1;
    r->t = calloc(r->n, sizeof *r->t);
    if (!r->t)
        return -1;
    double now = (double)time(NULL), body = 0, plain = 0;
    for (size_t i = 0; i < r->n; i++) {
        struct reqs_tmpl *t = &r->t[i];
        if (reqs_build_one(t, o, (unsigned)i, now) != 0) {
            fprintf(stderr, "loadgen: cannot build the request template of group %zu\n", i);
            return -1;
        }
        if (t->len > r->max_len)
            r->max_len = t->len;
        if (t->plain_len > r->max_len)
            r->max_len = t->plain_len; /* the gzip scratch holds the plain body */
        body += (double)(t->len - t->body_off);
        plain += (double)t->plain_len;
    }
    r->body_bytes = body / (double)r->n;
    r->plain_bytes = plain / (double)r->n;
    return 0;
}

static size_t reqs_render_get(const struct reqs *r, uint64_t rnd, char *out)
{
    const struct reqs_opts *o = &r->o;
    const char *mark = strstr(o->path, "{id}");
    char path[1024];
    long id = o->id_max > 0 ? 1 + (long)(rnd % (uint64_t)o->id_max) : 1;
    int pn = mark ? snprintf(path, sizeof path, "%.*s%ld%s", (int)(mark - o->path), o->path, id,
                             mark + 4)
                  : snprintf(path, sizeof path, "%s", o->path);
    if (pn < 0 || (size_t)pn >= sizeof path)
        return 0;
    int n = snprintf(out, r->max_len,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: snag-bench/1.0\r\n"
                     "Accept: application/json\r\n%s%s%s\r\n",
                     path, o->port, o->token ? "Authorization: Bearer " : "",
                     o->token ? o->token : "", o->token ? "\r\n" : "");
    return n > 0 && (size_t)n < r->max_len ? (size_t)n : 0;
}

size_t reqs_render(const struct reqs *r, uint64_t rnd, const char *event_id, char *out,
                   char *scratch)
{
    if (r->o.kind == REQS_GET)
        return reqs_render_get(r, rnd, out);
    const struct reqs_tmpl *t = &r->t[rnd % r->n];
    memcpy(out, t->req, t->len);
    for (size_t i = 0; i < t->nslots; i++)
        memcpy(out + t->slot[i], event_id, EVENTGEN_ID_LEN);
    if (r->o.gzip) {
        memcpy(scratch, t->plain, t->plain_len);
        for (size_t i = 0; i < t->nslots; i++)
            memcpy(scratch + t->plain_slot[i], event_id, EVENTGEN_ID_LEN);
        gzpatch_set_crc(&t->gz, (unsigned char *)out + t->body_off, scratch, t->plain_len);
    }
    return t->len;
}

void reqs_free(struct reqs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->t[i].req);
        free(r->t[i].plain);
        gzpatch_free(&r->t[i].gz);
    }
    free(r->t);
    r->t = NULL;
}
