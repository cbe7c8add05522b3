/* mail: EMAIL_URL parsing and RFC 5322 message building (see mail.h). */
#include "core/mail.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/ids.h"
#include "core/utf8.h"

#define MAIL_QP_LINE 76  /* RFC 2045 line length of quoted-printable text */
#define MAIL_EW_BYTES 45 /* bytes per encoded-word: 60 base64 + 12 = 72 <= 75 characters */
#define MAIL_URL_BAD "EMAIL_URL must look like smtp://user:password@host:port"

struct mail_scheme {
    const char *name;
    enum mail_transport transport;
    enum mail_tls tls;
    int port;
};

static const struct mail_scheme mail_schemes[] = {
    {"consolemail", MAIL_CONSOLE, MAIL_TLS_NONE, 0},
    {"dummymail", MAIL_DUMMY, MAIL_TLS_NONE, 0},
    {"smtp", MAIL_SMTP, MAIL_TLS_NONE, 25},
    {"smtps", MAIL_SMTP, MAIL_TLS_STARTTLS, 25},
    {"smtp+tls", MAIL_SMTP, MAIL_TLS_STARTTLS, 25},
    {"smtp+ssl", MAIL_SMTP, MAIL_TLS_IMPLICIT, 465},
};

static int mail_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes p[0..n) into out (cap bytes with the NUL); false on a bad escape, a control
 * character or overflow. */
static bool mail_pct_decode(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)p[i];
        if (c == '%') {
            int hi = i + 2 < n ? mail_hexval(p[i + 1]) : -1;
            int lo = i + 2 < n ? mail_hexval(p[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return false;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c < 0x20 || c == 0x7f || o + 1 >= cap)
            return false;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return true;
}

static const struct mail_scheme *mail_scheme_find(const char *url, size_t n)
{
    for (size_t i = 0; i < sizeof mail_schemes / sizeof *mail_schemes; i++)
        if (strlen(mail_schemes[i].name) == n && strncasecmp(url, mail_schemes[i].name, n) == 0)
            return &mail_schemes[i];
    return NULL;
}

/* host[:port] of p[0..n) into u. */
static bool mail_host_port(const char *p, size_t n, struct mail_url *u)
{
    const char *end = p + n, *colon;
    if (n && *p == '[') {
        const char *rb = memchr(p, ']', n);
        if (!rb)
            return false;
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
        if (rb + 1 < end && !colon)
            return false;
    } else {
        colon = memchr(p, ':', n);
    }
    size_t hn = (size_t)((colon ? colon : end) - p);
    if (hn == 0 || hn >= sizeof u->host)
        return false;
    for (size_t i = 0; i < hn; i++)
        if (!isalnum((unsigned char)p[i]) && !strchr(".-_[]:", p[i]))
            return false;
    memcpy(u->host, p, hn);
    u->host[hn] = '\0';
    if (!colon)
        return true;
    long port = 0;
    const char *d = colon + 1;
    if (d == end || end - d > 5)
        return false;
    for (; d < end; d++) {
        if (!isdigit((unsigned char)*d))
            return false;
        port = port * 10 + (*d - '0');
    }
    if (port < 1 || port > 65535)
        return false;
    u->port = (int)port;
    return true;
}

/* user:password@ of p[0..n) into u. */
static bool mail_userinfo(const char *p, size_t n, struct mail_url *u)
{
    const char *colon = memchr(p, ':', n);
    size_t un = colon ? (size_t)(colon - p) : n;
    if (!mail_pct_decode(p, un, u->user, sizeof u->user))
        return false;
    if (!colon)
        return true;
    return mail_pct_decode(colon + 1, n - un - 1, u->password, sizeof u->password);
}

enum err mail_url_parse(const char *url, struct mail_url *out, struct errinfo *ei)
{
    memset(out, 0, sizeof *out);
    if (!url || !*url) {
        out->transport = MAIL_CONSOLE;
        return E_OK;
    }
    const char *sep = strstr(url, "://");
    const struct mail_scheme *s = sep ? mail_scheme_find(url, (size_t)(sep - url)) : NULL;
    if (!s)
        return errinfo_set(ei, E_INVALID,
                           "EMAIL_URL: unknown scheme (use smtp://, smtp+tls://, smtps://, "
                           "smtp+ssl://, consolemail:// or dummymail://)");
    out->transport = s->transport;
    out->tls = s->tls;
    out->port = s->port;
    if (s->transport != MAIL_SMTP)
        return E_OK;
    const char *auth = sep + 3;
    size_t n = strcspn(auth, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (auth[i] == '@')
            at = auth + i; /* the last one: an unescaped @ may sit in the password */
    if (at && !mail_userinfo(auth, (size_t)(at - auth), out))
        return errinfo_set(ei, E_INVALID, "EMAIL_URL: bad user name or password encoding");
    const char *hp = at ? at + 1 : auth;
    if (!mail_host_port(hp, n - (size_t)(hp - auth), out))
        return errinfo_set(ei, E_INVALID, MAIL_URL_BAD " (bad host or port)");
    if (s->tls == MAIL_TLS_STARTTLS && out->port == 465 && strcasecmp(s->name, "smtps") == 0)
        out->tls = MAIL_TLS_IMPLICIT;
    return E_OK;
}

void mail_url_curl(const struct mail_url *u, char *out, size_t cap)
{
    snprintf(out, cap, "%s://%s:%d", u->tls == MAIL_TLS_IMPLICIT ? "smtps" : "smtp", u->host,
             u->port);
}

bool mail_addr_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    const char *at = s ? strrchr(s, '@') : NULL;
    if (n < 3 || n > MAIL_ADDR_MAX || !at || at == s || !at[1])
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || strchr("<>()[],;\\\"", *p))
            return false;
    return true;
}

bool mail_from_addr(const char *from, char out[MAIL_ADDR_MAX + 1])
{
    if (!from || strpbrk(from, "\r\n"))
        return false;
    const char *lt = strrchr(from, '<'), *p = from;
    size_t n = strlen(from);
    if (lt) {
        const char *gt = strchr(lt, '>');
        if (!gt || gt[1])
            return false;
        p = lt + 1;
        n = (size_t)(gt - p);
    }
    if (n > MAIL_ADDR_MAX)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return mail_addr_valid(out);
}

/* ---- building ---------------------------------------------------------------------------- */

static bool mail_ascii_line(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return false;
    return true;
}

/* The subject as RFC 2047 B encoded-words split at character boundaries, folded. */
static enum err mail_put_subject(struct buf *out, const char *s)
{
    if (mail_ascii_line(s))
        return buf_printf(out, "Subject: %s\r\n", s);
    enum err e = buf_append_cstr(out, "Subject:");
    size_t n = strlen(s), off = 0;
    while (!e && off < n) {
        size_t take = n - off < MAIL_EW_BYTES ? n - off : MAIL_EW_BYTES;
        while (take < n - off && ((unsigned char)s[off + take] & 0xC0) == 0x80)
            take--; /* never split a character */
        char b64[sodium_base64_ENCODED_LEN(MAIL_EW_BYTES, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof b64, (const unsigned char *)s + off, take,
                          sodium_base64_VARIANT_ORIGINAL);
        e = buf_printf(out, "%s=?utf-8?B?%s?=", off ? "\r\n " : " ", b64);
        off += take;
    }
    return e ? e : buf_append_cstr(out, "\r\n");
}

/* One quoted-printable byte: literal when safe, =XX otherwise; soft breaks keep lines short. */
static enum err mail_qp_byte(struct buf *out, unsigned char c, bool line_end, size_t *col)
{
    bool lit = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_end);
    size_t w = lit ? 1 : 3;
    enum err e = E_OK;
    if (*col + w > MAIL_QP_LINE - 1) {
        e = buf_append_cstr(out, "=\r\n");
        *col = 0;
    }
    if (!e)
        e = lit ? buf_append(out, &c, 1) : buf_printf(out, "=%02X", c);
    *col += w;
    return e;
}

static enum err mail_put_body(struct buf *out, const char *body)
{
    enum err e = E_OK;
    const char *p = body;
    while (!e && *p) {
        size_t n = strcspn(p, "\n"), len = n, col = 0;
        if (len && p[len - 1] == '\r')
            len--;
        for (size_t i = 0; !e && i < len; i++)
            e = mail_qp_byte(out, (unsigned char)p[i], i + 1 == len, &col);
        if (!e)
            e = buf_append_cstr(out, "\r\n");
        p += n + (p[n] == '\n');
    }
    return e;
}

static enum err mail_put_headers(struct buf *out, const struct mail_msg *m)
{
    char date[64], id[33];
    time_t t = (time_t)m->date;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    ids_random_hex(id, 16);
    enum err e = buf_printf(out, "From: %s\r\nTo: %s\r\n", m->from, m->to);
    if (!e)
        e = mail_put_subject(out, m->subject);
    if (!e)
        e = buf_printf(out,
                       "Date: %s\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n"
                       "Content-Transfer-Encoding: quoted-printable\r\n"
                       "Auto-Submitted: auto-generated\r\n\r\n",
                       date, id, m->host && *m->host ? m->host : "localhost");
    return e;
}

enum err mail_build(struct buf *out, const struct mail_msg *m, struct errinfo *ei)
{
    char addr[MAIL_ADDR_MAX + 1];
    if (!m->from || !mail_from_addr(m->from, addr) || !mail_ascii_line(m->from))
        return errinfo_set(ei, E_INVALID, "bad sender address");
    if (!mail_addr_valid(m->to))
        return errinfo_set(ei, E_INVALID, "bad recipient address");
    if (!m->subject || strlen(m->subject) > MAIL_SUBJECT_MAX)
        return errinfo_set(ei, E_INVALID, "missing or too long subject");
    for (const unsigned char *p = (const unsigned char *)m->subject; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return errinfo_set(ei, E_INVALID, "control character in the subject");
    if (!utf8_valid(m->subject, strlen(m->subject)))
        return errinfo_set(ei, E_INVALID, "subject is not UTF-8");
    if (m->host && !mail_ascii_line(m->host))
        return errinfo_set(ei, E_INVALID, "bad host name");
    if (!m->body || strlen(m->body) > MAIL_BODY_MAX)
        return errinfo_set(ei, E_TOOBIG, "missing or too long body");
    enum err e = mail_put_headers(out, m);
    if (!e)
        e = mail_put_body(out, m->body);
    return e ? errinfo_set(ei, e, "message too large") : E_OK;
}
