/* proto/parameterize: hand-written matchers standing in for Sentry's parameterisation
 * regexes (sentry/grouping/parameterization.py).
 *
 * DESIGN: one left-to-right scan; at each position the matchers are tried in Sentry's
 * priority order and the first that matches replaces its text by its placeholder. Every
 * matcher needs a word boundary on its left (as the regexes' \b does), so a match never
 * starts inside a word. Bytes >= 0x80 count as word characters, like Python's Unicode \w. */
#include "proto/parameterize.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define HOSTNAME_MAX 253

struct text {
    const char *s;
    size_t len;
};

static bool is_word(unsigned char c)
{
    return isalnum(c) || c == '_' || c >= 0x80;
}

/* True when position i starts a word (nothing word-like right before it). */
static bool left_edge(struct text t, size_t i)
{
    return i == 0 || !is_word((unsigned char)t.s[i - 1]);
}

/* True when position i ends a word (i is past the end or a non-word character). */
static bool right_edge(struct text t, size_t i)
{
    return i >= t.len || !is_word((unsigned char)t.s[i]);
}

static size_t span(struct text t, size_t i, int (*cls)(int))
{
    size_t j = i;
    while (j < t.len && cls((unsigned char)t.s[j]))
        j++;
    return j - i;
}

static size_t hex_run(struct text t, size_t i)
{
    return span(t, i, isxdigit);
}

static size_t digit_run(struct text t, size_t i)
{
    return span(t, i, isdigit);
}

static bool email_local_char(unsigned char c)
{
    return isalnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static bool host_char(unsigned char c)
{
    return isalnum(c) || c == '.' || c == '-';
}

static size_t match_email(struct text t, size_t i)
{
    if (i > 0 && email_local_char((unsigned char)t.s[i - 1]))
        return 0;
    size_t j = i;
    while (j < t.len && email_local_char((unsigned char)t.s[j]))
        j++;
    if (j == i || j >= t.len || t.s[j] != '@')
        return 0;
    size_t d = ++j;
    while (j < t.len && host_char((unsigned char)t.s[j]))
        j++;
    while (j > d && (t.s[j - 1] == '.' || t.s[j - 1] == '-'))
        j--;
    size_t dot = j;
    while (dot > d && t.s[dot - 1] != '.')
        dot--;
    if (dot <= d + 1 || j - dot < 2)
        return 0;
    for (size_t k = dot; k < j; k++) {
        if (!isalpha((unsigned char)t.s[k]))
            return 0;
    }
    return j - i;
}

static size_t match_url(struct text t, size_t i)
{
    static const char *const schemes[] = {"https://", "http://", "wss://", "ws://", "ftp://"};
    if (!left_edge(t, i))
        return 0;
    for (size_t k = 0; k < sizeof schemes / sizeof schemes[0]; k++) {
        size_t n = strlen(schemes[k]);
        if (t.len - i <= n || strncasecmp(t.s + i, schemes[k], n) != 0)
            continue;
        size_t j = i + n;
        if (isspace((unsigned char)t.s[j]) || strchr("/$.?#", t.s[j]))
            return 0;
        while (j < t.len && !isspace((unsigned char)t.s[j]))
            j++;
        return j - i;
    }
    return 0;
}

/* A subset of the top-level domains Sentry's hostname pattern knows. */
static bool is_tld(const char *p, size_t n)
{
    static const char *const tlds[] = {
        "com", "net", "org", "io",   "dev", "app", "de", "uk",  "fr",    "jp",    "ru",
        "cn",  "eu",  "us",  "ca",   "au",  "nl",  "it", "es",  "ch",    "se",    "br",
        "in",  "gov", "edu", "info", "biz", "co",  "me", "xyz", "cloud", "local", "internal"};
    for (size_t k = 0; k < sizeof tlds / sizeof tlds[0]; k++) {
        if (strlen(tlds[k]) == n && strncasecmp(p, tlds[k], n) == 0)
            return true;
    }
    return false;
}

static size_t label_len(struct text t, size_t i)
{
    size_t j = i;
    while (j < t.len && j - i < 64 && (isalnum((unsigned char)t.s[j]) || t.s[j] == '-'))
        j++;
    return j - i;
}

static size_t match_hostname(struct text t, size_t i)
{
    if (!left_edge(t, i))
        return 0;
    size_t j = i, labels = 0;
    for (;;) {
        size_t n = label_len(t, j);
        if (n == 0 || n > 63)
            return 0;
        if (labels > 0 && is_tld(t.s + j, n) && right_edge(t, j + n))
            return j + n - i;
        j += n;
        if (j >= t.len || t.s[j] != '.' || j - i > HOSTNAME_MAX)
            return 0;
        j++;
        labels++;
    }
}

static size_t match_ipv4(struct text t, size_t i)
{
    if (!left_edge(t, i) || (i > 0 && t.s[i - 1] == '.'))
        return 0;
    size_t j = i;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (j >= t.len || t.s[j] != '.')
                return 0;
            j++;
        }
        size_t n = digit_run(t, j);
        if (n == 0 || n > 3)
            return 0;
        int v = 0;
        for (size_t k = 0; k < n; k++)
            v = v * 10 + (t.s[j + k] - '0');
        if (v > 255)
            return 0;
        j += n;
    }
    if (!right_edge(t, j) || (j + 1 < t.len && t.s[j] == '.' && isdigit((unsigned char)t.s[j + 1])))
        return 0;
    return j - i;
}

static int hex_or_colon(int c)
{
    return isxdigit(c) || c == ':';
}

/* Number of ':'-separated groups of 1-4 hex digits in p[0..n), or -1 when one is empty or
 * too long. An empty run has no groups. */
static int ipv6_groups(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    int groups = 0;
    size_t glen = 0;
    for (size_t k = 0; k <= n; k++) {
        if (k < n && p[k] != ':') {
            glen++;
            continue;
        }
        if (glen == 0 || glen > 4)
            return -1;
        groups++;
        glen = 0;
    }
    return groups;
}

/* Validates a run of hex digits and colons as an IPv6 address (one "::" at most). */
static bool ipv6_valid(const char *p, size_t n)
{
    const char *dbl = memmem(p, n, "::", 2);
    if (!dbl)
        return ipv6_groups(p, n) == 8;
    size_t left = (size_t)(dbl - p);
    if (memmem(dbl + 1, n - left - 1, "::", 2))
        return false;
    int l = ipv6_groups(p, left), r = ipv6_groups(dbl + 2, n - left - 2);
    return l >= 0 && r >= 0 && l + r <= 7;
}

static size_t match_ipv6(struct text t, size_t i)
{
    if (!left_edge(t, i) || (i > 0 && t.s[i - 1] == ':'))
        return 0;
    size_t n = span(t, i, hex_or_colon);
    if (n < 2 || !right_edge(t, i + n) || !ipv6_valid(t.s + i, n))
        return 0;
    return n;
}

static size_t match_ip(struct text t, size_t i)
{
    size_t n = match_ipv4(t, i);
    return n ? n : match_ipv6(t, i);
}

static size_t match_uuid(struct text t, size_t i)
{
    static const size_t parts[] = {8, 4, 4, 4, 12};
    if (!left_edge(t, i))
        return 0;
    size_t j = i;
    for (size_t k = 0; k < 5; k++) {
        if (k > 0) {
            if (j >= t.len || t.s[j] != '-')
                return 0;
            j++;
        }
        if (hex_run(t, j) != parts[k])
            return 0;
        j += parts[k];
    }
    return right_edge(t, j) ? j - i : 0;
}

static size_t match_hex_len(struct text t, size_t i, size_t want)
{
    if (!left_edge(t, i) || hex_run(t, i) != want || !right_edge(t, i + want))
        return 0;
    return want;
}

static size_t match_sha1(struct text t, size_t i)
{
    return match_hex_len(t, i, 40);
}

static size_t match_md5(struct text t, size_t i)
{
    return match_hex_len(t, i, 32);
}

/* Fixed-shape digit patterns: 'd' a digit, anything else literal. */
static bool shape(struct text t, size_t i, const char *pat)
{
    size_t n = strlen(pat);
    if (t.len - i < n)
        return false;
    for (size_t k = 0; k < n; k++) {
        char c = t.s[i + k];
        if (pat[k] == 'd' ? !isdigit((unsigned char)c) : c != pat[k])
            return false;
    }
    return true;
}

/* Optional ".123" fraction and "Z" / "+01:00" zone after a time. */
static size_t time_tail(struct text t, size_t j)
{
    if (j < t.len && (t.s[j] == '.' || t.s[j] == ',') && digit_run(t, j + 1) > 0)
        j += 1 + digit_run(t, j + 1);
    if (j < t.len && t.s[j] == 'Z')
        return j + 1;
    if (j < t.len && (t.s[j] == '+' || t.s[j] == '-')) {
        if (shape(t, j + 1, "dd:dd"))
            return j + 6;
        if (shape(t, j + 1, "dddd"))
            return j + 5;
    }
    return j;
}

static size_t match_date(struct text t, size_t i)
{
    if (!left_edge(t, i))
        return 0;
    size_t j = i;
    if (shape(t, i, "dddd-dd-dd")) {
        j = i + 10;
        if (j < t.len && (t.s[j] == 'T' || t.s[j] == ' ') && shape(t, j + 1, "dd:dd")) {
            j += 6;
            if (shape(t, j, ":dd"))
                j += 3;
            j = time_tail(t, j);
        }
    } else if (shape(t, i, "dd:dd:dd")) {
        j = time_tail(t, i + 8);
    } else if (shape(t, i, "d:dd:dd")) {
        j = time_tail(t, i + 7);
    } else {
        return 0;
    }
    return right_edge(t, j) ? j - i : 0;
}

static size_t match_duration(struct text t, size_t i)
{
    if (!left_edge(t, i))
        return 0;
    size_t j = i + digit_run(t, i);
    if (j == i)
        return 0;
    if (j < t.len && t.s[j] == '.' && digit_run(t, j + 1) > 0)
        j += 1 + digit_run(t, j + 1);
    if (t.len - j >= 2 && t.s[j] == 'm' && t.s[j + 1] == 's' && right_edge(t, j + 2))
        return j + 2 - i;
    if (j < t.len && t.s[j] == 's' && right_edge(t, j + 1))
        return j + 1 - i;
    return 0;
}

static size_t match_hex(struct text t, size_t i)
{
    if (!left_edge(t, i))
        return 0;
    if (t.len - i > 2 && t.s[i] == '0' && (t.s[i + 1] == 'x' || t.s[i + 1] == 'X')) {
        size_t n = hex_run(t, i + 2);
        return n > 0 && right_edge(t, i + 2 + n) ? n + 2 : 0;
    }
    size_t n = hex_run(t, i);
    if (n < 8 || !right_edge(t, i + n))
        return 0;
    bool digit = false, alpha = false;
    for (size_t k = i; k < i + n; k++) {
        digit |= isdigit((unsigned char)t.s[k]) != 0;
        alpha |= isalpha((unsigned char)t.s[k]) != 0;
    }
    return digit && alpha ? n : 0;
}

/* Start of a number: an optional '-' that itself starts a word, then a digit. */
static size_t number_start(struct text t, size_t i)
{
    if (!left_edge(t, i) || (i > 0 && t.s[i - 1] == '.'))
        return 0;
    size_t j = i;
    if (t.s[j] == '-')
        j++;
    return j < t.len && isdigit((unsigned char)t.s[j]) ? j - i + 1 : 0;
}

static size_t match_float(struct text t, size_t i)
{
    if (number_start(t, i) == 0)
        return 0;
    size_t j = i + (t.s[i] == '-');
    j += digit_run(t, j);
    size_t groups = 0;
    while (j + 1 < t.len && t.s[j] == '.' && isdigit((unsigned char)t.s[j + 1])) {
        j += 1 + digit_run(t, j + 1);
        groups++;
    }
    return groups > 0 && right_edge(t, j) ? j - i : 0;
}

static size_t match_int(struct text t, size_t i)
{
    if (number_start(t, i) == 0)
        return 0;
    size_t j = i + (t.s[i] == '-');
    j += digit_run(t, j);
    return right_edge(t, j) ? j - i : 0;
}

static size_t match_quoted(struct text t, size_t i)
{
    if (i == 0 || t.s[i - 1] != '=' || (t.s[i] != '\'' && t.s[i] != '"'))
        return 0;
    const char *end = memchr(t.s + i + 1, t.s[i], t.len - i - 1);
    return end ? (size_t)(end - (t.s + i)) + 1 : 0;
}

static size_t match_bool(struct text t, size_t i)
{
    static const char *const words[] = {"true", "True", "false", "False"};
    if (i == 0 || t.s[i - 1] != '=')
        return 0;
    for (size_t k = 0; k < 4; k++) {
        size_t n = strlen(words[k]);
        if (t.len - i >= n && memcmp(t.s + i, words[k], n) == 0 && right_edge(t, i + n))
            return n;
    }
    return 0;
}

struct pattern {
    const char *placeholder;
    size_t (*match)(struct text t, size_t i);
};

static const struct pattern patterns[] = {
    {"<email>", match_email},       {"<url>", match_url},
    {"<hostname>", match_hostname}, {"<ip>", match_ip},
    {"<uuid>", match_uuid},         {"<sha1>", match_sha1},
    {"<md5>", match_md5},           {"<date>", match_date},
    {"<duration>", match_duration}, {"<hex>", match_hex},
    {"<float>", match_float},       {"<int>", match_int},
    {"<quoted_str>", match_quoted}, {"<bool>", match_bool},
};

char *proto_parameterize(struct arena *a, const char *s)
{
    struct text t = {s, strlen(s)};
    /* The widest expansion is "<quoted_str>" (12 bytes) for two quote characters. */
    char *out = arena_alloc(a, t.len * 6 + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    while (i < t.len) {
        size_t n = 0;
        const char *ph = NULL;
        for (size_t k = 0; k < sizeof patterns / sizeof patterns[0] && n == 0; k++) {
            n = patterns[k].match(t, i);
            ph = patterns[k].placeholder;
        }
        if (n == 0) {
            out[o++] = s[i++];
            continue;
        }
        memcpy(out + o, ph, strlen(ph));
        o += strlen(ph);
        i += n;
    }
    out[o] = '\0';
    return out;
}

static bool blank(const char *p, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (!isspace((unsigned char)p[k]))
            return false;
    }
    return true;
}

char *proto_trim_for_grouping(struct arena *a, const char *s)
{
    size_t len = strlen(s);
    char *out = arena_alloc(a, len + 4);
    if (!out)
        return NULL;
    size_t o = 0, lines = 0, i = 0;
    while (i < len && lines < 2) {
        size_t e = i;
        while (e < len && s[e] != '\n' && s[e] != '\r')
            e++;
        if (!blank(s + i, e - i)) {
            if (lines++ > 0)
                out[o++] = '\n';
            memcpy(out + o, s + i, e - i);
            o += e - i;
        }
        i = e + (e < len);
        if (s[e] == '\r' && i < len && s[i] == '\n')
            i++;
    }
    size_t b = 0;
    while (b < o && isspace((unsigned char)out[b]))
        b++;
    while (o > b && isspace((unsigned char)out[o - 1]))
        o--;
    memmove(out, out + b, o - b);
    o -= b;
    out[o] = '\0';
    if (o != len || memcmp(out, s, len) != 0) {
        memcpy(out + o, "...", 4);
    }
    return out;
}

char *proto_normalize_message(struct arena *a, const char *s)
{
    char *trimmed = proto_trim_for_grouping(a, s);
    return trimmed ? proto_parameterize(a, trimmed) : NULL;
}
