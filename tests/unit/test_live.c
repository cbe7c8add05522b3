/* Live updates: the broadcast hub alone (scoping, a full subscriber queue → resync, a full
 * inbox, the writer's side never sending, other nodes' events looking like local ones), then the
 * whole path over real sockets — the WebSocket handshake on GET /api/0/live/ (401 without
 * credentials, 400 without the upgrade headers, 200 for a plain GET), an event committed by the
 * writer reaching the member of its organization and not a user of another one, ping → pong, and a
 * protocol error closing the connection. Backend: helpers/testdb.h (SQLite, or PostgreSQL with
 * SNAG_TEST_DATABASE_URL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/live.h"
#include "core/clock.h"
#include "helpers/httptest.h"

/* ---- the hub alone -------------------------------------------------------------------- */

struct fake_conn {
    int cap, n;
    char last[512];
    int resyncs;
};

static int wakes;

static int64_t fake_org(void *ctx, int64_t project_id)
{
    (void)ctx;
    return project_id == 99 ? -1 : project_id / 10;
}

static bool fake_send(void *conn, const char *msg, size_t len)
{
    struct fake_conn *c = conn;
    if (c->n >= c->cap)
        return false;
    c->n++;
    snprintf(c->last, sizeof c->last, "%.*s", (int)len, msg);
    if (strstr(c->last, "\"resync\""))
        c->resyncs++;
    return true;
}

static void fake_wake(void *ctx)
{
    (void)ctx;
    wakes++;
}

static struct live *hub(void)
{
    struct live_hooks h = {fake_org, fake_send, fake_wake, NULL};
    wakes = 0;
    return live_hub_new(&h);
}

static struct store_event_in ev(int64_t project, int64_t issue, bool dup)
{
    return (struct store_event_in){.project_id = project,
                                   .event_id = "0123456789abcdef0123456789abcdef",
                                   .title = "ValueError: <b>x</b>",
                                   .level = "error",
                                   .issue_id = issue,
                                   .duplicate = dup};
}

static void test_hub_scoping(void **state)
{
    (void)state;
    struct live *lv = hub();
    struct store_event_in none = ev(10, 1, false);
    live_publish(lv, &none, 1);
    assert_int_equal(wakes, 0); /* nobody listens: nothing formatted, nobody woken */
    struct fake_conn a = {.cap = 10}, b = {.cap = 10}, su = {.cap = 10};
    int64_t org1 = 1, org2 = 2;
    live_subscribe(lv, &a, false, &org1, 1);
    live_subscribe(lv, &b, false, &org2, 1);
    live_subscribe(lv, &su, true, NULL, 0);
    struct store_event_in evs[] = {ev(10, 5, false), ev(20, 6, false), ev(10, 5, true),
                                   ev(99, 7, false)};
    live_publish(lv, evs, 4);
    assert_int_equal(wakes, 1);
    assert_int_equal(a.n + b.n + su.n, 0); /* the writer's side never sends */
    live_pump(lv);
    assert_int_equal(a.n, 1);
    assert_non_null(strstr(a.last, "\"issueId\":\"5\""));
    assert_non_null(strstr(a.last, "\"projectId\":\"10\""));
    assert_non_null(strstr(a.last, "\"type\":\"event\""));
    assert_int_equal(b.n, 1);
    assert_non_null(strstr(b.last, "\"issueId\":\"6\""));
    assert_int_equal(su.n, 2); /* duplicates and unknown projects are not sent */
    live_hub_free(lv);
}

static void test_hub_overflow(void **state)
{
    (void)state;
    struct live *lv = hub();
    struct fake_conn slow = {.cap = 2}, fast = {.cap = 100};
    int64_t org1 = 1;
    live_subscribe(lv, &slow, false, &org1, 1);
    live_subscribe(lv, &fast, false, &org1, 1);
    struct store_event_in evs[5];
    for (int i = 0; i < 5; i++)
        evs[i] = ev(10, i + 1, false);
    live_publish(lv, evs, 5);
    live_pump(lv);
    assert_int_equal(slow.n, 2);
    assert_int_equal(fast.n, 5);
    slow.cap = 10; /* the client caught up: it is told to resync, then gets what is new */
    live_pump(lv);
    assert_int_equal(slow.resyncs, 1);
    live_publish(lv, evs, 1);
    live_pump(lv);
    assert_int_equal(slow.n, 4);
    assert_non_null(strstr(slow.last, "\"type\":\"event\""));
    live_hub_free(lv);
}

static void test_hub_inbox_full(void **state)
{
    (void)state;
    struct live *lv = hub();
    struct fake_conn c = {.cap = 100000};
    live_subscribe(lv, &c, true, NULL, 0);
    struct store_event_in *evs = calloc(LIVE_INBOX_MAX + 1, sizeof *evs);
    for (int i = 0; i < LIVE_INBOX_MAX + 1; i++)
        evs[i] = ev(10, 1, false);
    live_publish(lv, evs, LIVE_INBOX_MAX); /* fills the inbox */
    live_publish(lv, evs, 1);              /* dropped: everyone must resync */
    live_pump(lv);
    assert_int_equal(c.resyncs, 1);
    assert_int_equal(c.n, 1 + LIVE_INBOX_MAX);
    free(evs);
    live_hub_free(lv);
}

/* Another node's event (decoded by the store's listener) becomes the very message a local
 * commit makes; a listener that missed some makes everyone resync. */
static void test_hub_remote(void **state)
{
    (void)state;
    struct live *lv = hub();
    struct store_live_event remote = {.event_id = "0123456789abcdef0123456789abcdef",
                                      .issue_id = 5,
                                      .project_id = 10,
                                      .title = "ValueError: <b>x</b>",
                                      .level = "error"};
    live_publish_remote(lv, &remote, 1);
    assert_int_equal(wakes, 0); /* nobody listens */
    struct fake_conn c = {.cap = 10};
    int64_t org1 = 1;
    live_subscribe(lv, &c, false, &org1, 1);
    struct store_event_in local = ev(10, 5, false);
    live_publish(lv, &local, 1);
    live_pump(lv);
    assert_int_equal(c.n, 1);
    char first[512];
    snprintf(first, sizeof first, "%s", c.last);
    live_publish_remote(lv, &remote, 1);
    live_pump(lv);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.last, first);
    remote.project_id = 20; /* another org's */
    remote.title = remote.level = NULL;
    live_publish_remote(lv, &remote, 1);
    live_pump(lv);
    assert_int_equal(c.n, 2);
    live_publish_remote(lv, NULL, 0);
    live_pump(lv);
    assert_int_equal(c.resyncs, 1);
    live_hub_free(lv);
}

/* ---- over real sockets ---------------------------------------------------------------- */

static struct {
    struct httptest ht;
    int64_t pid_a, pid_b;
    char tok_a[TOKEN_LEN + 1], tok_b[TOKEN_LEN + 1];
} E;

static int64_t setup_user(const char *email, const char *slug, char *token)
{
    int64_t uid = httptest_user(&E.ht, email, false);
    struct httptest_org org;
    httptest_org(&E.ht, uid, slug, slug, "t", "p", false, &org);
    httptest_token(&E.ht, uid, TOKEN_ALL_SCOPES, token);
    return org.project_id;
}

static int env_setup(void **state)
{
    (void)state;
    httptest_start(&E.ht, HT_WRITER | HT_LIVE);
    E.pid_a = setup_user("a@example.com", "org-a", E.tok_a);
    E.pid_b = setup_user("b@example.com", "org-b", E.tok_b);
    return 0;
}

static int env_teardown(void **state)
{
    (void)state;
    return httptest_stop(&E.ht);
}

/* Reads until the end of the response head (or timeout); returns its length. */
static size_t read_head(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0)
            break;
        ssize_t r = recv(fd, buf + n, 1, 0); /* byte by byte: frames follow the head */
        if (r <= 0)
            break;
        n++;
        buf[n] = '\0';
        if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    buf[n] = '\0';
    return n;
}

static int ws_open(const char *token, const char *extra_headers, char *head, size_t cap)
{
    int fd = httptest_connect(&E.ht);
    char req[1024];
    snprintf(req, sizeof req,
             "GET /api/0/live/ HTTP/1.1\r\nHost: localhost\r\n%s%s%s%s"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
             token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "",
             extra_headers);
    assert_true(send(fd, req, strlen(req), 0) > 0);
    read_head(fd, head, cap);
    return fd;
}

static const char upgrade_headers[] =
    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n";

/* One server frame (unmasked, < 64 KiB): returns the opcode, -1 on timeout or close. */
static int read_frame(int fd, char *payload, size_t cap, int timeout_ms)
{
    unsigned char h[4];
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0 || recv(fd, h, 2, MSG_WAITALL) != 2)
        return -1;
    size_t len = h[1] & 0x7f;
    if (len == 126) {
        if (recv(fd, h + 2, 2, MSG_WAITALL) != 2)
            return -1;
        len = (size_t)h[2] << 8 | h[3];
    }
    assert_true(len < cap);
    if (len && recv(fd, payload, len, MSG_WAITALL) != (ssize_t)len)
        return -1;
    payload[len] = '\0';
    return h[0] & 0x0f;
}

static void send_frame(int fd, int opcode, const char *payload, size_t len, bool masked)
{
    unsigned char f[140] = {(unsigned char)(0x80 | opcode), (unsigned char)len};
    size_t n = 2;
    if (masked) {
        f[1] |= 0x80;
        memset(f + 2, 0, 4); /* mask key 0: payload unchanged */
        n = 6;
    }
    memcpy(f + n, payload, len);
    assert_true(send(fd, f, n + len, 0) == (ssize_t)(n + len));
}

static void test_ws_refused(void **state)
{
    (void)state;
    char head[2048];
    int fd = ws_open(NULL, upgrade_headers, head, sizeof head);
    assert_non_null(strstr(head, " 401 "));
    close(fd);
    fd = ws_open(E.tok_a, "", head, sizeof head); /* a plain GET: the status */
    assert_non_null(strstr(head, " 200 "));
    close(fd);
    fd = ws_open(E.tok_a,
                 "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n", head,
                 sizeof head);
    assert_non_null(strstr(head, " 400 "));
    assert_non_null(strstr(head, "Sec-WebSocket-Version: 13"));
    close(fd);
}

static int committed;
static pthread_mutex_t committed_mu = PTHREAD_MUTEX_INITIALIZER;

static void job_done(struct writer_job *job, enum err result)
{
    (void)job;
    assert_int_equal(result, E_OK);
    pthread_mutex_lock(&committed_mu);
    committed++;
    pthread_mutex_unlock(&committed_mu);
}

static void submit_event(int64_t project_id, const char *event_id)
{
    static struct writer_job job;
    memset(&job, 0, sizeof job);
    job.ev = (struct store_event_in){.project_id = project_id,
                                     .event_id = event_id,
                                     .timestamp = clock_now(),
                                     .received = clock_now(),
                                     .level = "error",
                                     .platform = "python",
                                     .hash = "live-test-hash",
                                     .title = "LiveError: it works",
                                     .culprit = "live.py",
                                     .type = "error",
                                     .metadata_json = "{}",
                                     .data = "x",
                                     .data_len = 1};
    job.done = job_done;
    int before = committed;
    assert_int_equal(writer_submit(E.ht.app.writer, &job), E_OK);
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&committed_mu);
        int now = committed;
        pthread_mutex_unlock(&committed_mu);
        if (now > before)
            return;
        usleep(10000);
    }
    fail_msg("event not committed");
}

static void test_ws_events_scoped(void **state)
{
    (void)state;
    char head[2048], msg[1024];
    int a = ws_open(E.tok_a, upgrade_headers, head, sizeof head);
    assert_non_null(strstr(head, " 101 "));
    assert_non_null(strstr(head, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")); /* RFC 6455's example */
    assert_int_equal(read_frame(a, msg, sizeof msg, 5000), 1);
    assert_string_equal(msg, "{\"type\":\"hello\"}");
    int b = ws_open(E.tok_b, upgrade_headers, head, sizeof head);
    assert_int_equal(read_frame(b, msg, sizeof msg, 5000), 1);

    submit_event(E.pid_a, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_int_equal(read_frame(a, msg, sizeof msg, 5000), 1);
    assert_non_null(strstr(msg, "\"eventId\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""));
    assert_non_null(strstr(msg, "\"title\":\"LiveError: it works\""));
    assert_int_equal(read_frame(b, msg, sizeof msg, 300), -1); /* org-b sees nothing */

    send_frame(a, 0x9, "hi", 2, true); /* ping → pong */
    assert_int_equal(read_frame(a, msg, sizeof msg, 5000), 0xA);
    assert_string_equal(msg, "hi");
    send_frame(b, 0x1, "x", 1, false); /* unmasked client frame: protocol error, closed */
    int op;
    while ((op = read_frame(b, msg, sizeof msg, 5000)) == 0x8)
        ;
    assert_int_equal(op, -1);
    close(a);
    close(b);
}

int main(void)
{
    const struct CMUnitTest hub_tests[] = {
        cmocka_unit_test(test_hub_scoping),
        cmocka_unit_test(test_hub_overflow),
        cmocka_unit_test(test_hub_inbox_full),
        cmocka_unit_test(test_hub_remote),
    };
    const struct CMUnitTest ws_tests[] = {
        cmocka_unit_test(test_ws_refused),
        cmocka_unit_test(test_ws_events_scoped),
    };
    int r = cmocka_run_group_tests(hub_tests, NULL, NULL);
    return r + cmocka_run_group_tests(ws_tests, env_setup, env_teardown);
}
