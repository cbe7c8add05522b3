/* Unit tests for src/auth/throttle with an injected clock: the free allowance, doubling and
 * capped lock-outs, the forgetting window, success clearing only the pair, the per-ip count
 * across emails, case-insensitive emails, bounded memory under churn, and threads hammering
 * one table (run under ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/throttle.h"

#define T0 1700000000.0

/* Each row: a failure at time t, then the wait throttle_fail returned and throttle_check
 * gives at the same moment. */
static void test_throttle_doubling(void **state)
{
    (void)state;
    static const struct {
        double t;
        unsigned wait;
    } fails[] = {
        /* the free allowance */
        {0, 0},
        {1, 0},
        {2, 0},
        {3, 0},
        /* the 5th failure locks for 1 s, each further one doubles the lock */
        {4, 1},
        {5, 2},
        {7, 4},
        {11, 8},
        {19, 16},
        {35, 32},
        {67, 64},
        {131, 128},
        {259, 256},
        {515, 512},
        /* capped */
        {1027, 900},
        {1927, 900},
        {2827, 900},
    };
    struct throttle *t = throttle_new(0);
    for (size_t i = 0; i < sizeof fails / sizeof fails[0]; i++) {
        double now = T0 + fails[i].t;
        unsigned before = throttle_check(t, "10.0.0.1", "ann@example.com", now);
        unsigned got = throttle_fail(t, "10.0.0.1", "ann@example.com", now);
        unsigned check = throttle_check(t, "10.0.0.1", "ann@example.com", now);
        if (before != 0 || got != fails[i].wait || check != fails[i].wait)
            fail_msg("failure %zu at +%.0f: before %u, fail %u, check %u, want %u", i + 1,
                     fails[i].t, before, got, check, fails[i].wait);
    }
    /* the wait counts down and is rounded up */
    assert_int_equal(throttle_check(t, "10.0.0.1", "ann@example.com", T0 + 2827 + 0.5), 900);
    assert_int_equal(throttle_check(t, "10.0.0.1", "ann@example.com", T0 + 2827 + 1), 899);
    assert_int_equal(throttle_check(t, "10.0.0.1", "ann@example.com", T0 + 2827 + 899.5), 1);
    assert_int_equal(throttle_check(t, "10.0.0.1", "ann@example.com", T0 + 2827 + 900), 0);
    throttle_free(t);
}

static void test_throttle_window_and_success(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(0);
    const char *ip = "192.0.2.7", *em = "bob@example.com";
    for (int i = 0; i < 6; i++)
        throttle_fail(t, ip, em, T0 + i);
    assert_int_equal(throttle_failures(t, ip, em, T0 + 6), 6);
    assert_int_equal(throttle_check(t, ip, em, T0 + 6), 1);
    /* an hour without failures forgets them */
    double later = T0 + 5 + THROTTLE_WINDOW_SECS + 1;
    assert_int_equal(throttle_failures(t, ip, em, later), 0);
    assert_int_equal(throttle_fail(t, ip, em, later), 0);
    assert_int_equal(throttle_failures(t, ip, em, later), 1);
    /* success clears the pair */
    for (int i = 1; i < 4; i++)
        throttle_fail(t, ip, em, later + i);
    assert_int_equal(throttle_failures(t, ip, em, later + 4), 4);
    throttle_success(t, ip, em, later + 4);
    assert_int_equal(throttle_failures(t, ip, em, later + 4), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(throttle_fail(t, ip, em, later + 5 + i), 0);
    throttle_free(t);
}

static void test_throttle_keys(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(0);
    /* emails compare case-insensitively; ips and emails do not run into each other */
    for (int i = 0; i < 5; i++)
        throttle_fail(t, "10.0.0.1", i % 2 ? "Carol@Example.COM" : "carol@example.com", T0);
    assert_int_equal(throttle_check(t, "10.0.0.1", "CAROL@example.com", T0), 1);
    assert_int_equal(throttle_check(t, "10.0.0.2", "carol@example.com", T0), 0);
    assert_int_equal(throttle_check(t, "10.0.0.1", "dave@example.com", T0), 0);
    assert_int_equal(throttle_check(t, "10.0.0.1carol@example.com", "", T0), 0);
    assert_int_equal(throttle_check(t, "10.0.0.", "1carol@example.com", T0), 0);
    /* a spray: one ip, a new email each time; the ip locks after its allowance, for every
     * email (known or not), and other ips are unaffected */
    const char *ip = "198.51.100.9";
    char em[64];
    for (int i = 0; i < THROTTLE_IP_FREE; i++) {
        snprintf(em, sizeof em, "user%d@example.com", i);
        assert_int_equal(throttle_fail(t, ip, em, T0 + i), 0);
    }
    assert_int_equal(throttle_fail(t, ip, "last@example.com", T0 + 30), 1);
    assert_int_equal(throttle_check(t, ip, "never-seen@example.com", T0 + 30), 1);
    assert_int_equal(throttle_check(t, "198.51.100.10", "last@example.com", T0 + 30), 0);
    /* success clears the pair, not the ip */
    throttle_success(t, ip, "last@example.com", T0 + 30);
    assert_int_equal(throttle_check(t, ip, "last@example.com", T0 + 30), 1);
    assert_int_equal(throttle_fail(t, ip, "x@example.com", T0 + 31), 2);
    /* NULL strings are treated as empty */
    assert_int_equal(throttle_fail(t, NULL, NULL, T0), 0);
    assert_int_equal(throttle_check(t, "", "", T0), 0);
    assert_int_equal(throttle_failures(t, "", "", T0), 1);
    throttle_free(t);
}

/* Memory is fixed: churn through many keys; live slots never exceed the table; a pair under
 * attack (failing constantly) keeps its lock while cold entries are evicted around it. */
static void test_throttle_bounded(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(64);
    char ip[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(ip, sizeof ip, "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        throttle_fail(t, ip, "victim@example.com", T0 + i * 0.001);
        if (i % 4 == 0)
            throttle_fail(t, "203.0.113.1", "victim@example.com", T0 + i * 0.001);
        assert_true(throttle_used(t, T0 + i * 0.001) <= 64);
    }
    assert_int_equal(throttle_used(t, T0 + 20), 64);
    assert_int_equal(throttle_check(t, "203.0.113.1", "victim@example.com", T0 + 20), 900);
    /* after the window everything is gone */
    assert_int_equal(throttle_used(t, T0 + 20 + THROTTLE_WINDOW_SECS + 901), 0);
    throttle_free(t);
    t = throttle_new(1); /* rounded up to one set */
    throttle_fail(t, "a", "b", T0);
    assert_int_equal(throttle_used(t, T0), 2);
    throttle_free(t);
    throttle_free(NULL);
}

#define THREADS 8
#define PER_THREAD 5000

struct worker {
    struct throttle *t;
    int id;
};

static void *hammer(void *arg)
{
    struct worker *w = arg;
    char ip[32], em[32];
    for (int i = 0; i < PER_THREAD; i++) {
        double now = T0 + i * 0.01;
        throttle_fail(w->t, "203.0.113.50", "shared@example.com", now);
        snprintf(ip, sizeof ip, "10.1.%d.%d", w->id, i % 50);
        snprintf(em, sizeof em, "u%d@example.com", i % 7);
        switch (i % 4) {
        case 0:
            throttle_fail(w->t, ip, em, now);
            break;
        case 1:
            (void)throttle_check(w->t, ip, em, now);
            break;
        case 2:
            throttle_success(w->t, ip, em, now);
            break;
        default:
            (void)throttle_used(w->t, now);
            break;
        }
    }
    return NULL;
}

static void test_throttle_threads(void **state)
{
    (void)state;
    struct throttle *t = throttle_new(0);
    pthread_t th[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){t, i};
        assert_int_equal(pthread_create(&th[i], NULL, hammer, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    /* no failure was lost */
    assert_int_equal(throttle_failures(t, "203.0.113.50", "shared@example.com", T0 + 50),
                     THREADS * PER_THREAD);
    assert_true(throttle_used(t, T0 + 50) <= THROTTLE_SLOTS_DEFAULT);
    throttle_free(t);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_throttle_doubling),
        cmocka_unit_test(test_throttle_window_and_success),
        cmocka_unit_test(test_throttle_keys),
        cmocka_unit_test(test_throttle_bounded),
        cmocka_unit_test(test_throttle_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
