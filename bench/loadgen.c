/* loadgen: snag's HTTP load generator for `make bench` (bench/run.sh).
 *
 * One thread, one epoll loop, N non-blocking keep-alive HTTP/1.1 connections to 127.0.0.1.
 * Requests come pre-built (reqs.h): per request only the event id (and, for gzip, the CRC) is
 * patched, so the generator's own cost stays small next to the server's. Closed loop by
 * default (every connection sends its next request as soon as the answer arrives); with
 * --rate R it is open loop: request k is due at start + k/R, sent on the next idle
 * connection, and its latency is counted from when it was due, so a stalled server cannot
 * hide its queueing (coordinated omission). Stops after --duration seconds or --count
 * requests, then waits for the answers still in flight (up to --drain seconds).
 *
 * Prints one line of key=value pairs on stdout: counts per status, errors, throughput of
 * 200 answers, latency quantiles from a histogram (hist.h), mean body sizes. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "eventgen.h"
#include "hist.h"
#include "reqs.h"

#define LG_RBUF_INIT 16384
#define LG_RBUF_MAX (8u << 20)
#define LG_MAX_CONNS 4096
#define LG_STATUS_MAX 600
#define LG_TIMER_TAG (-1)
#define LG_MAX_CONN_ERRORS 1000

enum conn_state { C_CONNECTING, C_IDLE, C_SENDING, C_RECEIVING };

struct conn {
    int fd, idx;
    enum conn_state st;
    char *w;
    size_t wlen, woff;
    char *r;
    size_t rlen, rcap, scan;
    double due; /* latency is measured from here */
};

struct lg {
    struct reqs reqs;
    struct conn *c;
    int nconns, ep, tfd, port;
    int *idle, nidle;
    char *scratch;
    struct hist h;
    uint64_t seed, issued, inflight, completed, ok, errors, timeouts, count, conn_errors;
    uint64_t status[LG_STATUS_MAX];
    double rate, duration, drain, t0, t_stop, t_last;
    int stopping;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* A random-looking id, unique per (seed, k): splitmix64 is a bijection of its input. */
static void lg_event_id(uint64_t seed, uint64_t k, char *out)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t hi = splitmix64(seed ^ k), lo = splitmix64(hi ^ seed);
    for (int i = 0; i < 16; i++) {
        out[i] = hex[(hi >> (60 - 4 * i)) & 15];
        out[16 + i] = hex[(lo >> (60 - 4 * i)) & 15];
    }
}

/* ---- connections ---------------------------------------------------------------------- */

static void conn_open(struct lg *lg, struct conn *c);

static void lg_push_idle(struct lg *lg, struct conn *c)
{
    c->st = C_IDLE;
    lg->idle[lg->nidle++] = c->idx;
}

static void conn_close(struct lg *lg, struct conn *c)
{
    if (c->fd < 0)
        return;
    epoll_ctl(lg->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
}

/* A broken connection: the request in flight counts as an error; reconnect. */
static void conn_fail(struct lg *lg, struct conn *c)
{
    if (c->st == C_SENDING || c->st == C_RECEIVING) {
        lg->errors++;
        lg->inflight--;
        lg->completed++;
    }
    if (c->st == C_CONNECTING && ++lg->conn_errors > LG_MAX_CONN_ERRORS && !lg->stopping) {
        fprintf(stderr, "loadgen: cannot connect to 127.0.0.1:%d\n", lg->port);
        lg->stopping = 1;
        lg->t_stop = now_s();
    }
    if (c->st == C_IDLE) { /* drop it from the idle stack */
        for (int i = 0; i < lg->nidle; i++)
            if (lg->idle[i] == c->idx)
                lg->idle[i] = lg->idle[--lg->nidle];
    }
    conn_close(lg, c);
    c->st = C_CONNECTING;
    if (!lg->stopping)
        conn_open(lg, c);
}

static void conn_open(struct lg *lg, struct conn *c)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)lg->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        perror("loadgen: socket");
        exit(2);
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP,
                             .data.u32 = (uint32_t)c->idx};
    epoll_ctl(lg->ep, EPOLL_CTL_ADD, c->fd, &ev);
    c->st = C_CONNECTING;
    if (connect(c->fd, (const struct sockaddr *)&sa, sizeof sa) == 0)
        lg_push_idle(lg, c);
    else if (errno != EINPROGRESS)
        conn_fail(lg, c);
}

/* ---- responses ------------------------------------------------------------------------ */

/* The value of header name (lower case, with ':') in the header block, or NULL. */
static const char *resp_header(const char *head, size_t len, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = head; p + n < head + len; p++) {
        if (p[0] == '\n' && strncasecmp(p + 1, name, n) == 0) {
            p += 1 + n;
            while (*p == ' ')
                p++;
            return p;
        }
    }
    return NULL;
}

/* 1 when c->r holds a whole response (then *status, *close), 0 when more is needed, -1 when
 * it cannot be parsed. */
static int resp_complete(struct conn *c, int *status, int *close_after)
{
    size_t from = c->scan > 3 ? c->scan - 3 : 0;
    const char *end = memmem(c->r + from, c->rlen - from, "\r\n\r\n", 4);
    if (!end) {
        c->scan = c->rlen;
        return 0;
    }
    size_t head_len = (size_t)(end - c->r) + 4;
    if (c->rlen < 12 || memcmp(c->r, "HTTP/1.", 7) != 0)
        return -1;
    *status = (int)strtol(c->r + 9, NULL, 10);
    const char *cl = resp_header(c->r, head_len, "content-length:");
    if (!cl)
        return -1;
    size_t body = (size_t)strtoull(cl, NULL, 10);
    const char *conn = resp_header(c->r, head_len, "connection:");
    *close_after = conn && strncasecmp(conn, "close", 5) == 0;
    return c->rlen >= head_len + body ? 1 : 0;
}

static void conn_finish(struct lg *lg, struct conn *c, int status, int close_after)
{
    double t = now_s();
    double us = (t - c->due) * 1e6;
    hist_add(&lg->h, us > 0 ? (uint64_t)us : 0);
    lg->status[status > 0 && status < LG_STATUS_MAX ? status : 0]++;
    lg->ok += status == 200;
    lg->inflight--;
    lg->completed++;
    lg->t_last = t;
    if (close_after) {
        c->st = C_IDLE;
        conn_fail(lg, c); /* not in flight any more: only reconnects */
        return;
    }
    lg_push_idle(lg, c);
}

static int conn_grow(struct conn *c)
{
    if (c->rlen < c->rcap)
        return 0;
    if (c->rcap >= LG_RBUF_MAX)
        return -1;
    size_t cap = c->rcap ? c->rcap * 2 : LG_RBUF_INIT;
    char *r = realloc(c->r, cap);
    if (!r)
        return -1;
    c->r = r;
    c->rcap = cap;
    return 0;
}

static void conn_read(struct lg *lg, struct conn *c)
{
    for (;;) {
        if (conn_grow(c) != 0)
            return conn_fail(lg, c);
        ssize_t n = recv(c->fd, c->r + c->rlen, c->rcap - c->rlen, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0 || c->st != C_RECEIVING)
            return conn_fail(lg, c); /* EOF, error, or bytes nobody asked for */
        c->rlen += (size_t)n;
        int status = 0, close_after = 0;
        int rc = resp_complete(c, &status, &close_after);
        if (rc < 0)
            return conn_fail(lg, c);
        if (rc > 0)
            return conn_finish(lg, c, status, close_after);
    }
}

static void conn_write(struct lg *lg, struct conn *c)
{
    while (c->woff < c->wlen) {
        ssize_t n = send(c->fd, c->w + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0)
            return conn_fail(lg, c);
        c->woff += (size_t)n;
    }
    c->st = C_RECEIVING;
    c->rlen = c->scan = 0;
    conn_read(lg, c);
}

static void conn_start(struct lg *lg, struct conn *c, double due)
{
    char id[EVENTGEN_ID_LEN];
    uint64_t k = lg->issued++;
    lg_event_id(lg->seed, k, id);
    c->wlen = reqs_render(&lg->reqs, splitmix64(lg->seed + 7 * k), id, c->w, lg->scratch);
    c->woff = 0;
    c->due = due;
    c->st = C_SENDING;
    lg->inflight++;
    conn_write(lg, c);
}

static void conn_event(struct lg *lg, struct conn *c, uint32_t events)
{
    if (c->st == C_CONNECTING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || (events & (EPOLLERR | EPOLLHUP)))
            return conn_fail(lg, c);
        return lg_push_idle(lg, c);
    }
    if (c->st == C_SENDING && (events & EPOLLOUT))
        conn_write(lg, c);
    if ((c->st == C_RECEIVING || c->st == C_IDLE) && (events & (EPOLLIN | EPOLLRDHUP)))
        conn_read(lg, c);
    else if (events & (EPOLLERR | EPOLLHUP))
        conn_fail(lg, c);
}

/* ---- scheduling ----------------------------------------------------------------------- */

static double lg_due(const struct lg *lg, double now)
{
    return lg->rate > 0 ? lg->t0 + (double)lg->issued / lg->rate : now;
}

static void lg_arm_timer(struct lg *lg, double at)
{
    struct itimerspec its = {{0, 0}, {0, 0}};
    its.it_value.tv_sec = (time_t)at;
    its.it_value.tv_nsec = (long)((at - (double)(time_t)at) * 1e9);
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    timerfd_settime(lg->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void lg_check_stop(struct lg *lg, double now)
{
    if (lg->stopping)
        return;
    if ((lg->duration > 0 && now >= lg->t0 + lg->duration) ||
        (lg->count > 0 && lg->issued >= lg->count)) {
        lg->stopping = 1;
        lg->t_stop = now;
    }
}

/* Starts every request that is due on an idle connection. */
static void lg_dispatch(struct lg *lg)
{
    double now = now_s();
    while (lg->nidle > 0) {
        lg_check_stop(lg, now);
        if (lg->stopping)
            return;
        double due = lg_due(lg, now);
        if (due > now) {
            lg_arm_timer(lg, due);
            return;
        }
        struct conn *c = &lg->c[lg->idle[--lg->nidle]];
        conn_start(lg, c, due);
    }
}

static void lg_loop(struct lg *lg)
{
    struct epoll_event evs[256];
    for (;;) {
        lg_dispatch(lg);
        double now = now_s();
        lg_check_stop(lg, now);
        if (lg->stopping && (lg->inflight == 0 || now > lg->t_stop + lg->drain))
            break;
        int n = epoll_wait(lg->ep, evs, 256, 50);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u32 == (uint32_t)LG_TIMER_TAG) {
                uint64_t ticks;
                if (read(lg->tfd, &ticks, sizeof ticks) < 0)
                    continue;
                continue;
            }
            conn_event(lg, &lg->c[evs[i].data.u32], evs[i].events);
        }
    }
    lg->timeouts = lg->inflight;
}

/* ---- setup and report ----------------------------------------------------------------- */

static void lg_usage(void)
{
    fprintf(stderr,
            "usage: loadgen --port P [--mode store|envelope|get] [--gzip] [--project ID --key K]\n"
            "               [--path P --token T --id-max N] [--conns 64] [--groups 100]\n"
            "               [--duration S | --count N] [--rate R] [--drain S]\n");
    exit(2);
}

static enum reqs_kind lg_mode(const char *s)
{
    if (strcmp(s, "store") == 0)
        return REQS_STORE;
    if (strcmp(s, "envelope") == 0)
        return REQS_ENVELOPE;
    if (strcmp(s, "get") == 0)
        return REQS_GET;
    lg_usage();
    return REQS_STORE;
}

static void lg_args(struct lg *lg, struct reqs_opts *o, int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", 1, 0, 'p'},    {"mode", 1, 0, 'm'},     {"gzip", 0, 0, 'z'},
        {"project", 1, 0, 'P'}, {"key", 1, 0, 'k'},      {"path", 1, 0, 'u'},
        {"token", 1, 0, 't'},   {"id-max", 1, 0, 'i'},   {"conns", 1, 0, 'c'},
        {"groups", 1, 0, 'g'},  {"duration", 1, 0, 'd'}, {"count", 1, 0, 'n'},
        {"rate", 1, 0, 'r'},    {"drain", 1, 0, 'D'},    {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'p':
            lg->port = o->port = (int)strtol(optarg, NULL, 10);
            break;
        case 'm':
            o->kind = lg_mode(optarg);
            break;
        case 'z':
            o->gzip = 1;
            break;
        case 'P':
            o->project = strtol(optarg, NULL, 10);
            break;
        case 'k':
            o->key = optarg;
            break;
        case 'u':
            o->path = optarg;
            break;
        case 't':
            o->token = optarg;
            break;
        case 'i':
            o->id_max = strtol(optarg, NULL, 10);
            break;
        case 'c':
            lg->nconns = (int)strtol(optarg, NULL, 10);
            break;
        case 'g':
            o->groups = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'd':
            lg->duration = strtod(optarg, NULL);
            break;
        case 'n':
            lg->count = strtoull(optarg, NULL, 10);
            break;
        case 'r':
            lg->rate = strtod(optarg, NULL);
            break;
        case 'D':
            lg->drain = strtod(optarg, NULL);
            break;
        default:
            lg_usage();
        }
    }
    int bad_ingest = o->kind != REQS_GET && (!o->key || o->project <= 0);
    if (lg->port <= 0 || bad_ingest || (o->kind == REQS_GET && !o->path) || lg->nconns < 1 ||
        lg->nconns > LG_MAX_CONNS || (lg->duration <= 0 && lg->count == 0))
        lg_usage();
}

static void lg_setup(struct lg *lg)
{
    if (getrandom(&lg->seed, sizeof lg->seed, 0) != sizeof lg->seed)
        lg->seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
    lg->ep = epoll_create1(EPOLL_CLOEXEC);
    lg->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct epoll_event tev = {.events = EPOLLIN, .data.u32 = (uint32_t)LG_TIMER_TAG};
    if (lg->ep < 0 || lg->tfd < 0 || epoll_ctl(lg->ep, EPOLL_CTL_ADD, lg->tfd, &tev) != 0) {
        perror("loadgen: epoll");
        exit(2);
    }
    lg->c = calloc((size_t)lg->nconns, sizeof *lg->c);
    lg->idle = calloc((size_t)lg->nconns, sizeof *lg->idle);
    lg->scratch = malloc(lg->reqs.max_len);
    if (!lg->c || !lg->idle || !lg->scratch)
        exit(2);
    for (int i = 0; i < lg->nconns; i++) {
        struct conn *c = &lg->c[i];
        c->idx = i;
        c->fd = -1;
        c->w = malloc(lg->reqs.max_len);
        if (!c->w)
            exit(2);
        conn_open(lg, c);
    }
}

static void lg_report(const struct lg *lg, const struct reqs_opts *o)
{
    static const char *const modes[] = {"store", "envelope", "get"};
    double elapsed = lg->t_last > lg->t0 ? lg->t_last - lg->t0 : 1e-9;
    printf("mode=%s gzip=%d conns=%d rate=%.0f sent=%llu completed=%llu ok=%llu errors=%llu "
           "timeouts=%llu conn_errors=%llu elapsed=%.3f ok_per_s=%.1f req_per_s=%.1f",
           modes[o->kind], o->gzip, lg->nconns, lg->rate, (unsigned long long)lg->issued,
           (unsigned long long)lg->completed, (unsigned long long)lg->ok,
           (unsigned long long)lg->errors, (unsigned long long)lg->timeouts,
           (unsigned long long)lg->conn_errors, elapsed, (double)lg->ok / elapsed,
           (double)lg->completed / elapsed);
    static const double qs[] = {0.5, 0.9, 0.99, 0.999};
    static const char *const qn[] = {"p50", "p90", "p99", "p999"};
    for (int i = 0; i < 4; i++)
        printf(" %s_ms=%.3f", qn[i], (double)hist_quantile(&lg->h, qs[i]) / 1000.0);
    printf(" max_ms=%.3f body_bytes=%.0f plain_bytes=%.0f", (double)lg->h.max_us / 1000.0,
           lg->reqs.body_bytes, lg->reqs.plain_bytes);
    for (int s = 0; s < LG_STATUS_MAX; s++)
        if (lg->status[s])
            printf(" status_%d=%llu", s, (unsigned long long)lg->status[s]);
    printf("\n");
}

int main(int argc, char **argv)
{
    static struct lg lg; /* the histogram is large: not on the stack */
    struct reqs_opts o = {.kind = REQS_STORE, .groups = 100};
    lg.nconns = 64;
    lg.drain = 30;
    lg_args(&lg, &o, argc, argv);
    if (reqs_build(&lg.reqs, &o) != 0)
        return 2;
    lg_setup(&lg);
    lg.t0 = now_s();
    lg_loop(&lg);
    lg_report(&lg, &o);
    for (int i = 0; i < lg.nconns; i++) {
        conn_close(&lg, &lg.c[i]);
        free(lg.c[i].w);
        free(lg.c[i].r);
    }
    reqs_free(&lg.reqs);
    return lg.timeouts || lg.errors || lg.conn_errors > LG_MAX_CONN_ERRORS ? 1 : 0;
}
