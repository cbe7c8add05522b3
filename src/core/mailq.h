/* mailq: the outgoing mail queue of `snag serve` — request handlers build a message and
 * queue it; one thread of the queue's own delivers it (libcurl SMTP, or stderr for
 * consolemail://), so a slow or dead mail server never holds a request thread.
 *
 * DESIGN
 * - Bounded: at most MAILQ_MAX messages wait; mailq_send() beyond that fails (E_UNAVAILABLE)
 *   rather than grow. Messages are built (and checked for header injection) in
 *   mailq_send(), in the caller's thread, so bad input is the caller's error at once.
 * - Delivery: up to attempts tries per message, waiting backoff, 4×backoff, … seconds
 *   between them; each failure is logged, and a message that fails every try is dropped
 *   with an error in the log (mail is a convenience here: every link it carries is also
 *   shown in the UI or can be requested again).
 * - Ownership: a queued message is a heap copy owned by the queue.
 * - Stopping: mailq_stop() lets the message being sent finish (libcurl's timeouts bound
 *   it), drops what is still waiting with a warning, joins the thread and frees everything.
 * - Thread-safety: mailq_send() and the counters may be called from any thread. */
#ifndef SNAG_CORE_MAILQ_H
#define SNAG_CORE_MAILQ_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/mail.h"

#define MAILQ_MAX 256
#define MAILQ_ATTEMPTS 3
#define MAILQ_BACKOFF_SECS 2.0
#define MAILQ_CONNECT_TIMEOUT_SECS 10L
#define MAILQ_TIMEOUT_SECS 60L

/* Delivers one built message (from_addr and to_addr are bare addresses). */
typedef enum err (*mailq_deliver_fn)(void *ctx, const char *from_addr, const char *to_addr,
                                     const char *msg, size_t len, struct errinfo *ei);

struct mailq_config {
    struct mail_url url;
    const char *from;    /* DEFAULT_FROM_EMAIL: "addr" or "Name <addr>"; copied */
    const char *host;    /* the Message-ID's host (GLITCHTIP_DOMAIN's); copied */
    unsigned attempts;   /* 0: MAILQ_ATTEMPTS */
    double backoff;      /* seconds before the second try; 0: MAILQ_BACKOFF_SECS */
    mailq_deliver_fn fn; /* NULL: by url (SMTP, console, dummy); tests set their own */
    void *fn_ctx;
};

struct mailq;

/* Starts the queue and its thread; NULL when the sender is unusable or the thread could not
 * start (detail in ei). Calls curl_global_init() for SMTP: call it at start-up, before other
 * threads exist. */
struct mailq *mailq_start(const struct mailq_config *c, struct errinfo *ei);
/* Stops, joins and frees (see DESIGN). NULL is fine. */
void mailq_stop(struct mailq *q);

/* Builds and queues one message to `to`. E_INVALID (bad address, header injection),
 * E_TOOBIG, E_UNAVAILABLE (queue full or stopping). */
enum err mailq_send(struct mailq *q, const char *to, const char *subject, const char *body,
                    struct errinfo *ei) WUR;
/* Waits until nothing is queued or being sent, up to secs; true when idle (tests). */
bool mailq_drain(struct mailq *q, double secs);
/* Messages delivered, and dropped after their last failed try. */
unsigned long mailq_sent(struct mailq *q, unsigned long *failed);

/* Sends one message over SMTP with libcurl (mail_smtp.c); libcurl dot-stuffs the body. */
enum err mail_smtp_deliver(const struct mail_url *u, const char *from_addr, const char *to_addr,
                           const char *msg, size_t len, struct errinfo *ei) WUR;

#endif
