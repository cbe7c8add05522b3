/* mail_smtp: one message over SMTP with libcurl — plain, STARTTLS (required, so a
 * downgrade fails instead of sending in clear) or implicit TLS, with optional login.
 * libcurl escapes lines that start with a dot and adds the final ".". */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "core/mailq.h"

struct smtp_src {
    const char *p;
    size_t left;
};

static size_t smtp_read(char *dst, size_t size, size_t nmemb, void *arg)
{
    struct smtp_src *s = arg;
    size_t n = size * nmemb < s->left ? size * nmemb : s->left;
    memcpy(dst, s->p, n);
    s->p += n;
    s->left -= n;
    return n;
}

static void smtp_setopts(CURL *c, const struct mail_url *u, const char *url, char *from,
                         struct curl_slist *rcpt, struct smtp_src *src)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, MAILQ_CONNECT_TIMEOUT_SECS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, MAILQ_TIMEOUT_SECS);
    if (u->tls == MAIL_TLS_STARTTLS)
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (u->user[0]) {
        curl_easy_setopt(c, CURLOPT_USERNAME, u->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, u->password);
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, smtp_read);
    curl_easy_setopt(c, CURLOPT_READDATA, src);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)src->left);
}

enum err mail_smtp_deliver(const struct mail_url *u, const char *from_addr, const char *to_addr,
                           const char *msg, size_t len, struct errinfo *ei)
{
    char url[300], from[MAIL_ADDR_MAX + 3], to[MAIL_ADDR_MAX + 3];
    mail_url_curl(u, url, sizeof url);
    snprintf(from, sizeof from, "<%s>", from_addr);
    snprintf(to, sizeof to, "<%s>", to_addr);
    struct smtp_src src = {msg, len};
    enum err e = E_OK;
    CURL *c = curl_easy_init();
    struct curl_slist *rcpt = c ? curl_slist_append(NULL, to) : NULL;
    if (!c || !rcpt) {
        e = errinfo_set(ei, E_NOMEM, "libcurl: out of memory");
        goto out;
    }
    smtp_setopts(c, u, url, from, rcpt, &src);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        e = errinfo_set(ei, E_IO, "%s: %s", url, curl_easy_strerror(rc));
out:
    curl_slist_free_all(rcpt);
    if (c)
        curl_easy_cleanup(c);
    return e;
}
