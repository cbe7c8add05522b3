/* Unit tests for src/core/mail and src/core/mailq: EMAIL_URL forms (table) and the config
 * error naming it, message building (headers, encoded subject, quoted-printable body, CRLF),
 * header injection refused, the queue's retries, bound and shutdown, and one real SMTP
 * conversation with libcurl against a sink thread, which shows libcurl dot-stuffs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/config.h"
#include "core/ids.h"
#include "core/mail.h"
#include "core/mailq.h"

/* ---- EMAIL_URL --------------------------------------------------------------------------- */

static void test_mail_url_table(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        bool ok;
        enum mail_transport tr;
        enum mail_tls tls;
        const char *host;
        int port;
        const char *user, *pass;
    } rows[] = {
        {"", true, MAIL_CONSOLE, MAIL_TLS_NONE, "", 0, "", ""},
        {"consolemail://", true, MAIL_CONSOLE, MAIL_TLS_NONE, "", 0, "", ""},
        {"dummymail://", true, MAIL_DUMMY, MAIL_TLS_NONE, "", 0, "", ""},
        {"smtp://mail.example.com", true, MAIL_SMTP, MAIL_TLS_NONE, "mail.example.com", 25, "", ""},
        {"smtp://u:p@mail.example.com:2525", true, MAIL_SMTP, MAIL_TLS_NONE, "mail.example.com",
         2525, "u", "p"},
        {"smtp+tls://USER:PASS@smtp.example.com:587", true, MAIL_SMTP, MAIL_TLS_STARTTLS,
         "smtp.example.com", 587, "USER", "PASS"},
        {"smtps://a%40b.c:p%3Aw%25d@h:587", true, MAIL_SMTP, MAIL_TLS_STARTTLS, "h", 587, "a@b.c",
         "p:w%d"},
        {"smtps://h:465", true, MAIL_SMTP, MAIL_TLS_IMPLICIT, "h", 465, "", ""},
        {"smtp+ssl://h", true, MAIL_SMTP, MAIL_TLS_IMPLICIT, "h", 465, "", ""},
        {"smtp+ssl://u@h:2465", true, MAIL_SMTP, MAIL_TLS_IMPLICIT, "h", 2465, "u", ""},
        {"SMTP://H:25", true, MAIL_SMTP, MAIL_TLS_NONE, "H", 25, "", ""},
        {"smtp://u:p@w@h:25", true, MAIL_SMTP, MAIL_TLS_NONE, "h", 25, "u", "p@w"},
        {"smtp://[::1]:2525", true, MAIL_SMTP, MAIL_TLS_NONE, "[::1]", 2525, "", ""},
        {"smtp://h:25/?timeout=10", true, MAIL_SMTP, MAIL_TLS_NONE, "h", 25, "", ""},
        {"http://h", false, 0, 0, NULL, 0, NULL, NULL},
        {"filemail:///tmp/mail", false, 0, 0, NULL, 0, NULL, NULL},
        {"mail.example.com", false, 0, 0, NULL, 0, NULL, NULL},
        {"smtp://", false, 0, 0, NULL, 0, NULL, NULL},
        {"smtp://u:p@", false, 0, 0, NULL, 0, NULL, NULL},
        {"smtp://h:0", false, 0, 0, NULL, 0, NULL, NULL},
        {"smtp://h:99999", false, 0, 0, NULL, 0, NULL, NULL},
        {"smtp://h:2x", false, 0, 0, NULL, 0, NULL, NULL},
        {"smtp://h:", false, 0, 0, NULL, 0, NULL, NULL},
        {"smtp://u:%zz@h", false, 0, 0, NULL, 0, NULL, NULL},
        {"smtp://u:p%0Ax@h", false, 0, 0, NULL, 0, NULL, NULL},
        {"smtp://[::1", false, 0, 0, NULL, 0, NULL, NULL},
        {"smtp://ho st", false, 0, 0, NULL, 0, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct mail_url u;
        struct errinfo ei = {{0}};
        enum err e = mail_url_parse(rows[i].url, &u, &ei);
        if (!rows[i].ok) {
            if (e != E_INVALID || !strstr(ei.detail, "EMAIL_URL"))
                fail_msg("'%s': accepted or detail '%s'", rows[i].url, ei.detail);
            continue;
        }
        if (e || u.transport != rows[i].tr || u.tls != rows[i].tls ||
            strcmp(u.host, rows[i].host) || u.port != rows[i].port ||
            strcmp(u.user, rows[i].user) || strcmp(u.password, rows[i].pass))
            fail_msg("'%s': e=%d tr=%d tls=%d host=%s port=%d user=%s pass=%s (%s)", rows[i].url, e,
                     u.transport, u.tls, u.host, u.port, u.user, u.password, ei.detail);
    }
}

static void test_mail_url_curl_and_config(void **state)
{
    (void)state;
    struct mail_url u;
    char out[300];
    assert_int_equal(mail_url_parse("smtp+ssl://x:y@mx.example.com", &u, NULL), E_OK);
    mail_url_curl(&u, out, sizeof out);
    assert_string_equal(out, "smtps://mx.example.com:465");
    assert_int_equal(mail_url_parse("smtp+tls://mx.example.com:587", &u, NULL), E_OK);
    mail_url_curl(&u, out, sizeof out);
    assert_string_equal(out, "smtp://mx.example.com:587");

    /* through config_load: a bad EMAIL_URL or DEFAULT_FROM_EMAIL is a start-up error */
    struct config c;
    struct errinfo ei = {{0}};
    setenv("GLITCHTIP_DOMAIN", "https://errors.example.org:8443/", 1);
    unsetenv("DEFAULT_FROM_EMAIL");
    setenv("EMAIL_URL", "smtp://u:p@mx.example.com:587", 1);
    assert_int_equal(config_load(&c, &ei), E_OK);
    assert_string_equal(c.default_from_email, "snag@errors.example.org");
    assert_string_equal(c.domain_host, "errors.example.org");
    assert_int_equal(c.mail.port, 587);
    setenv("EMAIL_URL", "smtp://mx.example.com:port", 1);
    assert_int_equal(config_load(&c, &ei), E_INVALID);
    assert_non_null(strstr(ei.detail, "EMAIL_URL"));
    setenv("EMAIL_URL", "consolemail://", 1);
    setenv("DEFAULT_FROM_EMAIL", "Snag <snag@example.org", 1);
    assert_int_equal(config_load(&c, &ei), E_INVALID);
    assert_non_null(strstr(ei.detail, "DEFAULT_FROM_EMAIL"));
    setenv("DEFAULT_FROM_EMAIL", "Snag <snag@example.org>", 1);
    assert_int_equal(config_load(&c, &ei), E_OK);
    unsetenv("EMAIL_URL");
    unsetenv("DEFAULT_FROM_EMAIL");
    unsetenv("GLITCHTIP_DOMAIN");
}

/* ---- building ---------------------------------------------------------------------------- */

static char *build(const struct mail_msg *m, enum err *e)
{
    struct buf b;
    buf_init(&b, MAIL_MESSAGE_MAX);
    struct errinfo ei = {{0}};
    *e = mail_build(&b, m, &ei);
    size_t n;
    char *s = buf_steal(&b, &n);
    buf_free(&b);
    return s;
}

/* Every line ends in CRLF and none is longer than 998 bytes. */
static void assert_crlf(const char *s)
{
    size_t col = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\n' && (p == s || p[-1] != '\r'))
            fail_msg("bare LF at %zu", (size_t)(p - s));
        if (*p == '\r' && p[1] != '\n')
            fail_msg("bare CR at %zu", (size_t)(p - s));
        col = *p == '\n' ? 0 : col + 1;
        assert_true(col <= 998);
    }
    assert_true(strlen(s) >= 2 && strcmp(s + strlen(s) - 2, "\r\n") == 0);
}

static void test_mail_build_headers(void **state)
{
    (void)state;
    struct mail_msg m = {.from = "Snag <snag@example.org>",
                         .to = "ann@example.com",
                         .subject = "Hello there",
                         .body = "line one\nline two\r\n",
                         .host = "example.org",
                         .date = 1764064800.0}; /* 2025-11-25 10:00:00 UTC */
    enum err e;
    char *s = build(&m, &e);
    assert_int_equal(e, E_OK);
    assert_crlf(s);
    static const char *const want[] = {
        "From: Snag <snag@example.org>\r\n",
        "\r\nTo: ann@example.com\r\n",
        "\r\nSubject: Hello there\r\n",
        "\r\nDate: Tue, 25 Nov 2025 10:00:00 +0000\r\n",
        "\r\nMIME-Version: 1.0\r\n",
        "\r\nContent-Type: text/plain; charset=utf-8\r\n",
        "\r\nContent-Transfer-Encoding: quoted-printable\r\n",
        "\r\n\r\nline one\r\nline two\r\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(s, want[i]))
            fail_msg("missing %s in:\n%s", want[i], s);
    const char *mid = strstr(s, "Message-ID: <");
    assert_non_null(mid);
    assert_non_null(strstr(mid, "@example.org>\r\n"));
    assert_int_equal(strncmp(s, "From: ", 6), 0);
    free(s);
}

/* Decodes the encoded-words of a Subject header value back into UTF-8. */
static void decode_subject(const char *hdr, char *out, size_t cap)
{
    size_t o = 0;
    const char *p = hdr;
    while ((p = strstr(p, "=?utf-8?B?"))) {
        p += 10;
        const char *end = strstr(p, "?=");
        assert_non_null(end);
        assert_true(end - p + 12 <= 75); /* RFC 2047: an encoded-word is at most 75 chars */
        size_t n = 0;
        assert_int_equal(sodium_base642bin((unsigned char *)out + o, cap - o - 1, p,
                                           (size_t)(end - p), NULL, &n, NULL,
                                           sodium_base64_VARIANT_ORIGINAL),
                         0);
        o += n;
        p = end + 2;
    }
    out[o] = '\0';
}

static void test_mail_build_encoding(void **state)
{
    (void)state;
    const char *subject = "Caf\xc3\xa9 \xe2\x98\x95 — un tr\xc3\xa8s long sujet qui d\xc3\xa9passe "
                          "largement une seule encoded-word \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
    char body[400];
    snprintf(body, sizeof body, "a=b trailing \n\xc3\xa9t\xc3\xa9\n.dot\n%0200d\n", 7);
    struct mail_msg m = {.from = "snag@example.org",
                         .to = "b@example.com",
                         .subject = subject,
                         .body = body,
                         .host = "example.org",
                         .date = 0};
    enum err e;
    char *s = build(&m, &e);
    assert_int_equal(e, E_OK);
    assert_crlf(s);
    const char *subj = strstr(s, "\r\nSubject: =?utf-8?B?");
    assert_non_null(subj);
    const char *subj_end = strstr(subj + 2, "\r\nDate:");
    char hdr[1024], dec[512];
    snprintf(hdr, sizeof hdr, "%.*s", (int)(subj_end - subj), subj);
    assert_non_null(strstr(hdr, "?=\r\n =?utf-8?B?")); /* folded into several words */
    decode_subject(hdr, dec, sizeof dec);
    assert_string_equal(dec, subject);

    const char *b = strstr(s, "\r\n\r\n") + 4;
    assert_int_equal(strncmp(b, "a=3Db trailing=20\r\n=C3=A9t=C3=A9\r\n.dot\r\n", 39), 0);
    /* the 200-digit line is soft-broken into lines of at most 76 characters */
    const char *digits = strstr(b, ".dot\r\n") + 6;
    size_t col = 0, soft = 0;
    for (const char *p = digits; *p; p++) {
        if (*p == '\r')
            continue;
        if (*p == '\n') {
            soft += p > digits + 1 && p[-2] == '=';
            col = 0;
            continue;
        }
        assert_true(++col <= 76);
    }
    assert_true(soft >= 2);
    free(s);
}

static void test_mail_build_injection(void **state)
{
    (void)state;
    static const struct {
        const char *from, *to, *subject;
    } bad[] = {
        {"snag@example.org", "ann@example.com\r\nBcc: eve@example.net", "Hi"},
        {"snag@example.org", "ann@example.com\nBcc: eve@example.net", "Hi"},
        {"snag@example.org", "ann@example.com", "Hi\r\nBcc: eve@example.net"},
        {"snag@example.org", "ann@example.com", "Hi\nthere"},
        {"snag@example.org", "ann@example.com", "Hi\rthere"},
        {"Snag\r\nBcc: eve@example.net <snag@example.org>", "ann@example.com", "Hi"},
        {"snag@example.org", "Ann <ann@example.com>", "Hi"},
        {"snag@example.org", "ann example.com", "Hi"},
        {"snag@example.org", "ann@", "Hi"},
        {"snag@example.org", "", "Hi"},
        {"snag@example.org", "ann@example.com", "bad \xc3\x28 utf-8"},
        {"nobody", "ann@example.com", "Hi"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mail_msg m = {.from = bad[i].from,
                             .to = bad[i].to,
                             .subject = bad[i].subject,
                             .body = "x\n",
                             .host = "example.org"};
        enum err e;
        char *s = build(&m, &e);
        if (e != E_INVALID)
            fail_msg("row %zu accepted:\n%s", i, s);
        free(s);
    }
    char addr[MAIL_ADDR_MAX + 1];
    assert_true(mail_from_addr("Snag Alerts <alerts@example.org>", addr));
    assert_string_equal(addr, "alerts@example.org");
    assert_true(mail_from_addr("alerts@example.org", addr));
    assert_false(mail_from_addr("Snag <alerts@example.org", addr));
    assert_false(mail_from_addr("Snag <alerts@example.org> x", addr));
}

/* ---- the queue --------------------------------------------------------------------------- */

struct capture {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int fail_first; /* tries that fail before one succeeds; -1: all fail */
    int tries, delivered;
    bool hold; /* block inside delivery until cleared */
    char last_to[300];
};

static enum err capture_fn(void *ctx, const char *from_addr, const char *to_addr, const char *msg,
                           size_t len, struct errinfo *ei)
{
    struct capture *c = ctx;
    (void)msg, (void)len;
    pthread_mutex_lock(&c->mu);
    while (c->hold)
        pthread_cond_wait(&c->cv, &c->mu);
    c->tries++;
    bool fail = c->fail_first < 0 || c->tries <= c->fail_first;
    if (!fail) {
        c->delivered++;
        snprintf(c->last_to, sizeof c->last_to, "%s>%s", from_addr, to_addr);
    }
    pthread_mutex_unlock(&c->mu);
    return fail ? errinfo_set(ei, E_IO, "refused by the test") : E_OK;
}

static struct mailq *capture_queue(struct capture *c)
{
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    struct mailq_config mc = {.from = "Snag <snag@example.org>",
                              .host = "example.org",
                              .backoff = 0.01,
                              .fn = capture_fn,
                              .fn_ctx = c};
    struct mailq *q = mailq_start(&mc, NULL);
    assert_non_null(q);
    return q;
}

static void capture_free(struct capture *c)
{
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
}

static void test_mailq_retry(void **state)
{
    (void)state;
    struct capture c = {.fail_first = 2};
    struct mailq *q = capture_queue(&c);
    assert_int_equal(mailq_send(q, "ann@example.com", "Hi", "body\n", NULL), E_OK);
    assert_true(mailq_drain(q, 10));
    unsigned long failed = 9;
    assert_int_equal(mailq_sent(q, &failed), 1);
    assert_int_equal(failed, 0);
    assert_int_equal(c.tries, 3);
    assert_string_equal(c.last_to, "snag@example.org>ann@example.com");

    c.fail_first = -1; /* every try fails: given up after MAILQ_ATTEMPTS */
    c.tries = 0;
    assert_int_equal(mailq_send(q, "bob@example.com", "Hi", "body\n", NULL), E_OK);
    assert_true(mailq_drain(q, 10));
    assert_int_equal(mailq_sent(q, &failed), 1);
    assert_int_equal(failed, 1);
    assert_int_equal(c.tries, MAILQ_ATTEMPTS);

    struct errinfo ei = {{0}};
    assert_int_equal(mailq_send(q, "bob@example.com\r\nBcc: x@y.z", "Hi", "b\n", &ei), E_INVALID);
    assert_int_equal(mailq_send(NULL, "bob@example.com", "Hi", "b\n", &ei), E_UNAVAILABLE);
    mailq_stop(q);
    capture_free(&c);
}

static void test_mailq_bounded_and_stop(void **state)
{
    (void)state;
    struct capture c = {.fail_first = 0, .hold = true};
    struct mailq *q = capture_queue(&c);
    size_t queued = 0;
    enum err e = E_OK;
    while (!e && queued < MAILQ_MAX + 5) {
        e = mailq_send(q, "ann@example.com", "Hi", "body\n", NULL);
        queued += !e;
    }
    assert_int_equal(e, E_UNAVAILABLE);
    assert_true(queued >= MAILQ_MAX && queued <= MAILQ_MAX + 1);
    assert_false(mailq_drain(q, 0.05));
    pthread_mutex_lock(&c.mu);
    c.hold = false;
    c.fail_first = -1;
    pthread_cond_broadcast(&c.cv);
    pthread_mutex_unlock(&c.mu);
    mailq_stop(q); /* what still waits is dropped and freed (ASan/LSan watch) */
    assert_true(c.tries < (int)queued * MAILQ_ATTEMPTS);
    capture_free(&c);
}

/* ---- one SMTP conversation with libcurl -------------------------------------------------- */

struct sink {
    int lfd, port;
    char data[8192];
    char from[1024], rcpt[1024];
};

static void sink_say(int fd, const char *s)
{
    ssize_t n = write(fd, s, strlen(s));
    (void)n;
}

/* Reads one CRLF line into line; false at EOF. */
static bool sink_line(int fd, char *line, size_t cap)
{
    size_t n = 0;
    char ch;
    while (read(fd, &ch, 1) == 1) {
        if (ch == '\n') {
            line[n && line[n - 1] == '\r' ? n - 1 : n] = '\0';
            return true;
        }
        if (n + 1 < cap)
            line[n++] = ch;
    }
    return false;
}

static void *sink_main(void *arg)
{
    struct sink *s = arg;
    int fd = accept(s->lfd, NULL, NULL);
    char line[1024];
    bool data = false;
    sink_say(fd, "220 sink\r\n");
    while (fd >= 0 && sink_line(fd, line, sizeof line)) {
        if (data) {
            if (strcmp(line, ".") == 0) {
                data = false;
                sink_say(fd, "250 OK\r\n");
            } else if (strlen(s->data) + strlen(line) + 3 < sizeof s->data) {
                strncat(s->data, line, sizeof s->data - strlen(s->data) - 1);
                strncat(s->data, "\r\n", sizeof s->data - strlen(s->data) - 1);
            }
        } else if (strncmp(line, "EHLO", 4) == 0) {
            sink_say(fd, "250 sink\r\n");
        } else if (strncmp(line, "MAIL FROM:", 10) == 0) {
            snprintf(s->from, sizeof s->from, "%s", line + 10);
            sink_say(fd, "250 OK\r\n");
        } else if (strncmp(line, "RCPT TO:", 8) == 0) {
            snprintf(s->rcpt, sizeof s->rcpt, "%s", line + 8);
            sink_say(fd, "250 OK\r\n");
        } else if (strcmp(line, "DATA") == 0) {
            data = true;
            sink_say(fd, "354 go ahead\r\n");
        } else if (strcmp(line, "QUIT") == 0) {
            sink_say(fd, "221 bye\r\n");
            break;
        } else {
            sink_say(fd, "502 no\r\n");
        }
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static void test_mail_smtp_roundtrip(void **state)
{
    (void)state;
    static struct sink s;
    memset(&s, 0, sizeof s);
    s.lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(s.lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(s.lfd, 1), 0);
    assert_int_equal(getsockname(s.lfd, (struct sockaddr *)&sa, &sl), 0);
    s.port = ntohs(sa.sin_port);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, sink_main, &s), 0);

    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", s.port);
    struct mailq_config mc = {.from = "Snag <snag@example.org>", .host = "example.org"};
    assert_int_equal(mail_url_parse(url, &mc.url, NULL), E_OK);
    struct mailq *q = mailq_start(&mc, NULL);
    assert_non_null(q);
    assert_int_equal(mailq_send(q, "ann@example.com", "Dots", "first\n.hidden\n.\nlast\n", NULL),
                     E_OK);
    assert_true(mailq_drain(q, 20));
    unsigned long failed = 0;
    assert_int_equal(mailq_sent(q, &failed), 1);
    mailq_stop(q);
    pthread_join(t, NULL);
    close(s.lfd);
    assert_string_equal(s.from, "<snag@example.org>");
    assert_string_equal(s.rcpt, "<ann@example.com>");
    /* libcurl dot-stuffed the lines that start with a dot */
    assert_non_null(strstr(s.data, "\r\n\r\nfirst\r\n..hidden\r\n..\r\nlast\r\n"));
    assert_non_null(strstr(s.data, "Subject: Dots\r\n"));
}

int main(void)
{
    if (ids_init() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mail_url_table),
        cmocka_unit_test(test_mail_url_curl_and_config),
        cmocka_unit_test(test_mail_build_headers),
        cmocka_unit_test(test_mail_build_encoding),
        cmocka_unit_test(test_mail_build_injection),
        cmocka_unit_test(test_mailq_retry),
        cmocka_unit_test(test_mailq_bounded_and_stop),
        cmocka_unit_test(test_mail_smtp_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
