/* mailq: the outgoing mail queue and its delivery thread (see mailq.h for the DESIGN). */
#include "core/mailq.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"

struct mailq_item {
    char *msg; /* owned */
    size_t len;
    char to[MAIL_ADDR_MAX + 1];
};

struct mailq {
    struct mail_url url;
    char *from, *host, from_addr[MAIL_ADDR_MAX + 1];
    unsigned attempts;
    double backoff;
    mailq_deliver_fn fn;
    void *fn_ctx;
    bool curl_inited;
    pthread_mutex_t mu;
    pthread_cond_t cv;   /* work arrived, or stop */
    pthread_cond_t idle; /* the thread finished a message */
    struct mailq_item ring[MAILQ_MAX];
    size_t head, count;
    bool busy, stop;
    unsigned long sent, failed;
    pthread_t thread;
};

/* consolemail:// — the whole message on stderr in one write, as GlitchTip's console backend. */
static enum err mailq_console(void *ctx, const char *from_addr, const char *to_addr,
                              const char *msg, size_t len, struct errinfo *ei)
{
    (void)ctx;
    (void)ei;
    log_info("mail from %s to %s (consolemail; set EMAIL_URL to send it)", from_addr, to_addr);
    fprintf(stderr, "%.*s\n-------------------------------------------------------------\n",
            (int)len, msg);
    return E_OK;
}

static enum err mailq_dummy(void *ctx, const char *from_addr, const char *to_addr, const char *msg,
                            size_t len, struct errinfo *ei)
{
    (void)ctx, (void)from_addr, (void)to_addr, (void)msg, (void)len, (void)ei;
    return E_OK;
}

static enum err mailq_smtp(void *ctx, const char *from_addr, const char *to_addr, const char *msg,
                           size_t len, struct errinfo *ei)
{
    return mail_smtp_deliver(ctx, from_addr, to_addr, msg, len, ei);
}

/* Waits up to secs for stop; true when stopping. Called with mu held. */
static bool mailq_wait_stop(struct mailq *q, double secs)
{
    struct timespec ts = clock_deadline(CLOCK_MONOTONIC, secs);
    while (!q->stop && pthread_cond_timedwait(&q->cv, &q->mu, &ts) == 0)
        ;
    return q->stop;
}

/* Tries one message up to q->attempts times; true when delivered. Called without mu. */
static bool mailq_deliver(struct mailq *q, const struct mailq_item *it)
{
    double wait = q->backoff;
    for (unsigned i = 1;; i++) {
        struct errinfo ei = {{0}};
        enum err e = q->fn(q->fn_ctx, q->from_addr, it->to, it->msg, it->len, &ei);
        if (!e)
            return true;
        log_warn("mail to %s: try %u of %u failed: %s", it->to, i, q->attempts,
                 ei.detail[0] ? ei.detail : err_name(e));
        if (i >= q->attempts)
            return false;
        pthread_mutex_lock(&q->mu);
        bool stop = mailq_wait_stop(q, wait);
        pthread_mutex_unlock(&q->mu);
        if (stop)
            return false;
        wait *= 4;
    }
}

static void *mailq_main(void *arg)
{
    struct mailq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->stop && q->count == 0)
            pthread_cond_wait(&q->cv, &q->mu);
        if (q->stop)
            break;
        struct mailq_item it = q->ring[q->head];
        q->head = (q->head + 1) % MAILQ_MAX;
        q->count--;
        q->busy = true;
        pthread_mutex_unlock(&q->mu);
        bool ok = mailq_deliver(q, &it);
        if (!ok)
            log_error("mail to %s not sent: giving up", it.to);
        free(it.msg);
        pthread_mutex_lock(&q->mu);
        q->busy = false;
        q->sent += ok;
        q->failed += !ok;
        pthread_cond_broadcast(&q->idle);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

/* The delivery function for the URL (or the test's). */
static bool mailq_pick(struct mailq *q, const struct mailq_config *c, struct errinfo *ei)
{
    q->fn = c->fn;
    q->fn_ctx = c->fn_ctx;
    if (q->fn)
        return true;
    q->fn = c->url.transport == MAIL_SMTP    ? mailq_smtp
            : c->url.transport == MAIL_DUMMY ? mailq_dummy
                                             : mailq_console;
    q->fn_ctx = &q->url;
    if (c->url.transport != MAIL_SMTP)
        return true;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        errinfo_set(ei, E_UNAVAILABLE, "libcurl could not be initialised");
        return false;
    }
    q->curl_inited = true;
    return true;
}

static void mailq_free(struct mailq *q)
{
    for (size_t i = 0; i < q->count; i++)
        free(q->ring[(q->head + i) % MAILQ_MAX].msg);
    pthread_cond_destroy(&q->cv);
    pthread_cond_destroy(&q->idle);
    pthread_mutex_destroy(&q->mu);
    if (q->curl_inited)
        curl_global_cleanup();
    free(q->from);
    free(q->host);
    free(q);
}

struct mailq *mailq_start(const struct mailq_config *c, struct errinfo *ei)
{
    struct mailq *q = xcalloc(1, sizeof *q);
    q->url = c->url;
    q->from = xstrdup(c->from ? c->from : "");
    q->host = xstrdup(c->host ? c->host : "localhost");
    q->attempts = c->attempts ? c->attempts : MAILQ_ATTEMPTS;
    q->backoff = c->backoff > 0 ? c->backoff : MAILQ_BACKOFF_SECS;
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cv, &ca);
    pthread_cond_init(&q->idle, &ca);
    pthread_condattr_destroy(&ca);
    bool ok = mail_from_addr(q->from, q->from_addr);
    if (!ok)
        errinfo_set(ei, E_INVALID, "DEFAULT_FROM_EMAIL is not a usable address");
    if (ok)
        ok = mailq_pick(q, c, ei);
    if (ok && pthread_create(&q->thread, NULL, mailq_main, q) != 0) {
        errinfo_set(ei, E_UNAVAILABLE, "cannot start the mail thread");
        ok = false;
    }
    if (!ok) {
        mailq_free(q);
        return NULL;
    }
    return q;
}

void mailq_stop(struct mailq *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->stop = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    if (q->count)
        log_warn("mail: %zu queued message(s) dropped at shutdown", q->count);
    mailq_free(q);
}

enum err mailq_send(struct mailq *q, const char *to, const char *subject, const char *body,
                    struct errinfo *ei)
{
    if (!q)
        return errinfo_set(ei, E_UNAVAILABLE, "mail is not configured");
    struct buf b;
    buf_init(&b, MAIL_MESSAGE_MAX);
    struct mail_msg m = {.from = q->from,
                         .to = to,
                         .subject = subject,
                         .body = body,
                         .host = q->host,
                         .date = clock_now()};
    enum err e = mail_build(&b, &m, ei);
    if (e) {
        buf_free(&b);
        return e;
    }
    pthread_mutex_lock(&q->mu);
    if (q->stop || q->count >= MAILQ_MAX) {
        e = errinfo_set(ei, E_UNAVAILABLE, "the mail queue is full");
    } else {
        struct mailq_item *it = &q->ring[(q->head + q->count) % MAILQ_MAX];
        it->msg = buf_steal(&b, &it->len);
        snprintf(it->to, sizeof it->to, "%s", to);
        q->count++;
        pthread_cond_signal(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    buf_free(&b);
    return e;
}

bool mailq_drain(struct mailq *q, double secs)
{
    double until = clock_mono() + secs;
    pthread_mutex_lock(&q->mu);
    while ((q->count || q->busy) && clock_mono() < until) {
        struct timespec ts = clock_deadline(CLOCK_MONOTONIC, 0.05);
        pthread_cond_timedwait(&q->idle, &q->mu, &ts);
    }
    bool idle = !q->count && !q->busy;
    pthread_mutex_unlock(&q->mu);
    return idle;
}

unsigned long mailq_sent(struct mailq *q, unsigned long *failed)
{
    pthread_mutex_lock(&q->mu);
    unsigned long n = q->sent;
    if (failed)
        *failed = q->failed;
    pthread_mutex_unlock(&q->mu);
    return n;
}
