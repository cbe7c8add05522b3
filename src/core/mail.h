/* mail: outgoing mail without the sending — EMAIL_URL as GlitchTip (django-environ) reads it,
 * and RFC 5322 messages built from a sender, a recipient, a subject and a plain-text body.
 * Pure functions (no sockets, no threads), so all of it is unit-tested; core/mailq.h queues
 * the messages and hands them to libcurl.
 *
 * EMAIL_URL forms (django-environ's; values are percent-decoded):
 *   ""  or consolemail://         print each message to stderr (GlitchTip's default)
 *   dummymail://                  drop every message
 *   smtp://[user:pass@]host[:port]        plain SMTP (port 25)
 *   smtp+tls:// and smtps://      STARTTLS, required (django-environ's EMAIL_USE_TLS; port 25)
 *   smtp+ssl://                   implicit TLS (EMAIL_USE_SSL; port 465); smtps:// on port 465
 *                                 is implicit TLS too, as STARTTLS can never work there
 * A query string (?timeout=…) is accepted and ignored. */
#ifndef SNAG_CORE_MAIL_H
#define SNAG_CORE_MAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define MAIL_ADDR_MAX 254    /* RFC 5321 path limit */
#define MAIL_SUBJECT_MAX 255 /* bytes of UTF-8 before encoding */
#define MAIL_BODY_MAX (256 * 1024)
#define MAIL_MESSAGE_MAX (512 * 1024) /* a built message, headers and encoded body */

enum mail_transport { MAIL_CONSOLE, MAIL_DUMMY, MAIL_SMTP };
enum mail_tls { MAIL_TLS_NONE, MAIL_TLS_STARTTLS, MAIL_TLS_IMPLICIT };

struct mail_url {
    enum mail_transport transport;
    enum mail_tls tls;
    char host[256]; /* an IPv6 literal keeps its brackets */
    int port;
    char user[256], password[256];
};

/* Parses EMAIL_URL (NULL or "" → console). E_INVALID with a detail naming EMAIL_URL. */
enum err mail_url_parse(const char *url, struct mail_url *out, struct errinfo *ei) WUR;
/* The URL libcurl connects to: smtp://host:port or smtps://host:port (implicit TLS). */
void mail_url_curl(const struct mail_url *u, char *out, size_t cap);

/* Whether s is one address (local@domain) fit for a header and an SMTP path: no CR, LF,
 * angle brackets, spaces or control characters. */
bool mail_addr_valid(const char *s);
/* The address of a From value, "addr" or "Display Name <addr>", into out; false when it is
 * neither or holds CR/LF. */
bool mail_from_addr(const char *from, char out[MAIL_ADDR_MAX + 1]);

struct mail_msg {
    const char *from;    /* "addr" or "Name <addr>" */
    const char *to;      /* one address */
    const char *subject; /* UTF-8, one line */
    const char *body;    /* UTF-8 plain text, lines end in \n or \r\n */
    const char *host;    /* right-hand side of the Message-ID */
    double date;         /* epoch seconds */
};

/* Appends the whole message to out (CRLF line ends; subject as RFC 2047 encoded-words when
 * not ASCII; body quoted-printable). E_INVALID for a header injection or a bad address,
 * E_TOOBIG past the limits. */
enum err mail_build(struct buf *out, const struct mail_msg *m, struct errinfo *ei) WUR;

#endif
