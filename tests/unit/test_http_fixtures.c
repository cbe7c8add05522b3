/* Data-driven ingest and API tests: every file in tests/fixtures/http/ is one HTTP exchange
 * sent over a real socket to the real server (router → handlers → writer → a fresh
 * database) running in this process, under ASan in the test build.
 *
 * Fixture format, one directive per line ('#' starts a comment line):
 *   request: METHOD PATH            {pid}, {key}, {other_pid}, {other_key}, {token} substituted
 *   header: Name: value             repeatable
 *   body: text                      \n \r \t \\ escapes; repeatable (lines are joined)
 *   encode: gzip|deflate|rawdeflate|br|zstd   compress the body before sending
 *   body-repeat: CHAR COUNT         appends COUNT copies of CHAR (before encoding)
 *   chunked: yes                    send with Transfer-Encoding: chunked
 *   status: N                       expected status
 *   contains: text                  expected in the response (headers or body); repeatable
 *   stored: N                       events stored in project {pid} after the request
 *   fail-store: N                   the Nth store call from now fails (database down)
 *
 * Backend: SQLite in a temporary folder, or with SNAG_TEST_DATABASE_URL=postgres://… a fresh
 * database created on that server for this run (helpers/testdb.h; the fixtures name org
 * "org-a" and count events, so they need an empty one) and dropped at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <brotli/encode.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "helpers/httptest.h"

static struct {
    struct httptest ht;
    int64_t pid, other_pid;
    char key[33], other_key[33], token[TOKEN_LEN + 1];
} E;

static int env_setup(void **state)
{
    (void)state;
    setenv("GLITCHTIP_MAX_UNZIPPED_PAYLOAD_SIZE", "4194304", 1);
    httptest_start(&E.ht, HT_WRITER);
    print_message("database: %s\n", E.ht.db.url);
    int64_t uid = httptest_user(&E.ht, "owner@example.com", true);
    struct httptest_org a, b;
    httptest_org(&E.ht, uid, "org-a", "org-a", "t", "p", true, &a);
    httptest_org(&E.ht, uid, "org-b", "org-b", "t", "p", true, &b);
    E.pid = a.project_id;
    E.other_pid = b.project_id;
    snprintf(E.key, sizeof E.key, "%s", a.key);
    snprintf(E.other_key, sizeof E.other_key, "%s", b.key);
    httptest_token(&E.ht, uid, TOKEN_ALL_SCOPES, E.token);
    return 0;
}

static int env_teardown(void **state)
{
    (void)state;
    return httptest_stop(&E.ht);
}

/* ---- fixture parsing ------------------------------------------------------------------ */

struct fixture {
    char method[16], path[1024];
    struct buf headers, body, contains;
    char encode[16];
    int chunked, status, fail_store;
    long stored;
};

static void subst(const char *in, struct buf *out)
{
    char pid[24], opid[24];
    snprintf(pid, sizeof pid, "%lld", (long long)E.pid);
    snprintf(opid, sizeof opid, "%lld", (long long)E.other_pid);
    const struct {
        const char *name, *value;
    } vars[] = {{"{pid}", pid},
                {"{other_pid}", opid},
                {"{key}", E.key},
                {"{other_key}", E.other_key},
                {"{token}", E.token}};
    while (*in) {
        size_t i, done = 0;
        for (i = 0; i < sizeof vars / sizeof *vars && !done; i++) {
            size_t n = strlen(vars[i].name);
            if (strncmp(in, vars[i].name, n) == 0) {
                assert_int_equal(buf_append_cstr(out, vars[i].value), E_OK);
                in += n;
                done = 1;
            }
        }
        if (!done) {
            char c = *in++;
            if (c == '\\' && *in) {
                char e = *in++;
                c = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e == '0' ? '\0' : e;
            }
            assert_int_equal(buf_append(out, &c, 1), E_OK);
        }
    }
}

static void fixture_line(struct fixture *f, char *line)
{
    line[strcspn(line, "\n")] = '\0';
    if (line[0] == '#' || line[0] == '\0')
        return;
    char *colon = strchr(line, ':');
    assert_non_null(colon);
    *colon = '\0';
    char *val = colon + 1;
    while (*val == ' ')
        val++;
    if (strcmp(line, "request") == 0) {
        struct buf b;
        buf_init(&b, 4096);
        subst(val, &b);
        char *sp = strchr(b.p, ' ');
        assert_non_null(sp);
        snprintf(f->method, sizeof f->method, "%.*s", (int)(sp - b.p), b.p);
        snprintf(f->path, sizeof f->path, "%s", sp + 1);
        buf_free(&b);
    } else if (strcmp(line, "header") == 0) {
        subst(val, &f->headers);
        assert_int_equal(buf_append(&f->headers, "\r\n", 2), E_OK);
    } else if (strcmp(line, "body") == 0) {
        subst(val, &f->body);
    } else if (strcmp(line, "body-repeat") == 0) {
        char c = val[0];
        long n = strtol(val + 2, NULL, 10);
        for (long i = 0; i < n; i++)
            assert_int_equal(buf_append(&f->body, &c, 1), E_OK);
    } else if (strcmp(line, "encode") == 0) {
        snprintf(f->encode, sizeof f->encode, "%s", val);
    } else if (strcmp(line, "chunked") == 0) {
        f->chunked = strcmp(val, "yes") == 0;
    } else if (strcmp(line, "status") == 0) {
        f->status = (int)strtol(val, NULL, 10);
    } else if (strcmp(line, "contains") == 0) {
        subst(val, &f->contains);
        assert_int_equal(buf_append(&f->contains, "\0", 1), E_OK);
    } else if (strcmp(line, "fail-store") == 0) {
        f->fail_store = (int)strtol(val, NULL, 10);
    } else if (strcmp(line, "stored") == 0) {
        f->stored = strtol(val, NULL, 10);
    } else {
        fail_msg("unknown fixture directive '%s'", line);
    }
}

/* ---- encoding ---------------------------------------------------------------------------- */

static void zlib_encode(struct buf *body, int window_bits)
{
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, body->len) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)body->p;
    z.avail_in = (uInt)body->len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    buf_reset(body);
    assert_int_equal(buf_append(body, out, n), E_OK);
    free(out);
}

static void encode_body(struct fixture *f)
{
    struct buf *b = &f->body;
    if (!f->encode[0])
        return;
    if (strcmp(f->encode, "gzip") == 0) {
        zlib_encode(b, 15 + 16);
    } else if (strcmp(f->encode, "deflate") == 0) {
        zlib_encode(b, 15);
    } else if (strcmp(f->encode, "rawdeflate") == 0) {
        zlib_encode(b, -15);
    } else if (strcmp(f->encode, "br") == 0) {
        size_t n = BrotliEncoderMaxCompressedSize(b->len) + 64;
        uint8_t *out = malloc(n);
        assert_true(BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, b->len, (const uint8_t *)b->p,
                                          &n, out));
        buf_reset(b);
        assert_int_equal(buf_append(b, out, n), E_OK);
        free(out);
    } else if (strcmp(f->encode, "zstd") == 0) {
        size_t cap = ZSTD_compressBound(b->len);
        void *out = malloc(cap);
        size_t n = ZSTD_compress(out, cap, b->p, b->len, 3);
        assert_false(ZSTD_isError(n));
        buf_reset(b);
        assert_int_equal(buf_append(b, out, n), E_OK);
        free(out);
    } else {
        fail_msg("unknown encoding %s", f->encode);
    }
}

/* ---- exchange --------------------------------------------------------------------------- */

static void send_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the server may close early (413): read what it said */
        s += w;
        n -= (size_t)w;
    }
}

static void exchange(struct fixture *f, struct buf *resp)
{
    int fd = httptest_connect(&E.ht);
    struct buf req;
    buf_init(&req, 1 << 30);
    assert_int_equal(buf_printf(&req, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n",
                                f->method, f->path),
                     E_OK);
    if (f->headers.len)
        assert_int_equal(buf_append(&req, f->headers.p, f->headers.len), E_OK);
    if (f->chunked)
        assert_int_equal(buf_append_cstr(&req, "Transfer-Encoding: chunked\r\n\r\n"), E_OK);
    else if (f->body.len || strcmp(f->method, "POST") == 0 || strcmp(f->method, "PUT") == 0)
        assert_int_equal(buf_printf(&req, "Content-Length: %zu\r\n\r\n", f->body.len), E_OK);
    else
        assert_int_equal(buf_append_cstr(&req, "\r\n"), E_OK);
    send_all(fd, req.p, req.len);
    if (f->chunked) {
        for (size_t off = 0; off < f->body.len; off += 1000) {
            size_t n = f->body.len - off < 1000 ? f->body.len - off : 1000;
            char hdr[32];
            int h = snprintf(hdr, sizeof hdr, "%zx\r\n", n);
            send_all(fd, hdr, (size_t)h);
            send_all(fd, f->body.p + off, n);
            send_all(fd, "\r\n", 2);
        }
        send_all(fd, "0\r\n\r\n", 5);
    } else if (f->body.len) {
        send_all(fd, f->body.p, f->body.len);
    }
    buf_free(&req);
    char chunk[65536];
    ssize_t r;
    while ((r = recv(fd, chunk, sizeof chunk, 0)) > 0)
        assert_int_equal(buf_append(resp, chunk, (size_t)r), E_OK);
    close(fd);
}

static void run_fixture(const char *path)
{
    struct fixture f;
    memset(&f, 0, sizeof f);
    f.stored = -1;
    buf_init(&f.headers, 1 << 20);
    buf_init(&f.body, 256u << 20);
    buf_init(&f.contains, 1 << 20);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[1 << 16];
    while (fgets(line, sizeof line, fp))
        fixture_line(&f, line);
    fclose(fp);
    encode_body(&f);
    struct buf resp;
    buf_init(&resp, 1 << 24);
    store_fail_after(E.ht.st, f.fail_store);
    exchange(&f, &resp);
    store_fail_after(E.ht.st, 0);
    int status = 0;
    if (resp.p && strncmp(resp.p, "HTTP/1.1 ", 9) == 0)
        status = (int)strtol(resp.p + 9, NULL, 10);
    if (status != f.status)
        fail_msg("%s: status %d, want %d; response:\n%.2000s", path, status, f.status,
                 resp.p ? resp.p : "(none)");
    for (const char *c = f.contains.p; c && c < f.contains.p + f.contains.len; c += strlen(c) + 1)
        if (!strstr(resp.p, c))
            fail_msg("%s: response lacks '%s':\n%.2000s", path, c, resp.p);
    if (f.stored >= 0) {
        int64_t n = store_event_count(E.ht.st, E.pid);
        if (n != f.stored)
            fail_msg("%s: %lld events stored, want %ld", path, (long long)n, f.stored);
    }
    buf_free(&resp);
    buf_free(&f.headers);
    buf_free(&f.body);
    buf_free(&f.contains);
}

static int fixture_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_http_fixtures(void **state)
{
    (void)state;
    const char *src = getenv("SNAG_SOURCE_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/fixtures/http", src ? src : ".");
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *names[1024];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 1024)
        if (strstr(e->d_name, ".http"))
            names[n++] = strdup(e->d_name);
    closedir(d);
    assert_true(n > 0);
    qsort(names, n, sizeof *names, fixture_cmp);
    for (size_t i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        print_message("fixture %s\n", names[i]);
        run_fixture(path);
        free(names[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_fixtures),
    };
    return cmocka_run_group_tests(tests, env_setup, env_teardown);
}
