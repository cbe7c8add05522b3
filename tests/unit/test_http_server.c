/* Unit tests for src/http/server.c's listening: one daemon per thread on one port
 * (SO_REUSEPORT) still refuses a port another server holds, whether that one shares the
 * port option or not; every connection of a burst is answered, and a quiesced server stops
 * taking new ones, whether its threads poll() (the default) or use epoll. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http.h"

static enum handler_result hello(struct http_request *req, void *app)
{
    (void)app;
    http_respond(req, 200, "text/plain", "hi", 2);
    return HANDLER_DONE;
}

static const struct route routes[] = {{HTTP_GET, "/hello", hello, 0, 0}};

static bool use_epoll; /* the servers a test starts: epoll instead of poll() */

static enum err start(const char *bind, int port, int threads, struct http_server **out)
{
    struct http_server_opts o = {.bind = bind,
                                 .port = port,
                                 .threads = threads,
                                 .epoll = use_epoll,
                                 .routes = routes,
                                 .nroutes = 1};
    return http_server_start(&o, out, NULL);
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* GET /hello on fd; true on a 200 answer. */
static bool hello_ok(int fd)
{
    static const char rq[] = "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (write(fd, rq, sizeof rq - 1) != (ssize_t)(sizeof rq - 1))
        return false;
    char buf[512];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    return strncmp(buf, "HTTP/1.1 200", 12) == 0;
}

static void test_port_held_by_another_server(void **state)
{
    (void)state;
    struct http_server *a = NULL, *b = NULL;
    assert_int_equal(start("127.0.0.1", 0, 2, &a), E_OK);
    int port = http_server_port(a);
    assert_true(port > 0);
    assert_int_equal(start("127.0.0.1", port, 2, &b), E_IO); /* would share it unnoticed */
    assert_int_equal(start("127.0.0.1", port, 1, &b), E_IO);
    assert_int_equal(start("0.0.0.0", port, 2, &b), E_IO);
    http_server_stop(a);
    /* once it is free, it can be taken again */
    assert_int_equal(start("127.0.0.1", port, 2, &b), E_OK);
    http_server_stop(b);
}

static void test_burst_of_connections_all_answered(void **state)
{
    (void)state;
    struct http_server *s = NULL;
    assert_int_equal(start("127.0.0.1", 0, 4, &s), E_OK);
    int port = http_server_port(s), fds[64];
    for (size_t i = 0; i < 64; i++)
        assert_true((fds[i] = connect_to(port)) >= 0);
    for (size_t i = 0; i < 64; i++) {
        assert_true(hello_ok(fds[i]));
        close(fds[i]);
    }
    http_server_quiesce(s);
    int fd = connect_to(port);
    assert_true(fd < 0); /* every listening socket closed */
    http_server_stop(s);
}

static void test_burst_with_epoll(void **state)
{
    use_epoll = true;
    test_burst_of_connections_all_answered(state);
    use_epoll = false;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_held_by_another_server),
        cmocka_unit_test(test_burst_of_connections_all_answered),
        cmocka_unit_test(test_burst_with_epoll),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
