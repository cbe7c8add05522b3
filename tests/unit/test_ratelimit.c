/* The per-key rate limiter (api/ratelimit.h) and the role table (auth/roles.h): counting in
 * a window, the sliding estimate across windows, Retry-After, no-limit keys, bounded memory
 * under many keys, threads; and what each role may do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>

#include "api/ratelimit.h"
#include "auth/roles.h"

static void test_fixed_window(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(64);
    int retry = 0;
    double t0 = 6000.0; /* the start of a 60 s window */
    for (int i = 0; i < 5; i++)
        assert_true(ratelimit_hit(rl, 1, 60, 5, t0 + i, &retry));
    assert_false(ratelimit_hit(rl, 1, 60, 5, t0 + 10, &retry));
    assert_int_equal(retry, 50);                               /* until the window ends */
    assert_true(ratelimit_hit(rl, 2, 60, 5, t0 + 10, &retry)); /* other keys are apart */
    /* in the next window the previous one still weighs: 10% in, 4.5 of its 5 count */
    assert_false(ratelimit_hit(rl, 1, 60, 5, t0 + 60 + 6, &retry));
    /* half way, 2.5: two more fit */
    assert_true(ratelimit_hit(rl, 1, 60, 5, t0 + 60 + 30, &retry));
    assert_true(ratelimit_hit(rl, 1, 60, 5, t0 + 60 + 30, &retry));
    assert_false(ratelimit_hit(rl, 1, 60, 5, t0 + 60 + 30, &retry));
    /* two windows later everything is forgotten */
    for (int i = 0; i < 5; i++)
        assert_true(ratelimit_hit(rl, 1, 60, 5, t0 + 240 + i, &retry));
    ratelimit_free(rl);
}

static void test_sliding_estimate(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(64);
    int retry = 0;
    for (int i = 0; i < 10; i++)
        assert_true(ratelimit_hit(rl, 7, 10, 10, 100.0 + i * 0.5, &retry));
    /* at 110 + 1 (10% into the next window) the estimate is 9: one more fits */
    assert_true(ratelimit_hit(rl, 7, 10, 10, 111.0, &retry));
    assert_false(ratelimit_hit(rl, 7, 10, 10, 111.0, &retry));
    assert_true(retry >= 1 && retry <= 10);
    /* at the time it said, one is allowed again */
    assert_true(ratelimit_hit(rl, 7, 10, 10, 111.0 + retry, &retry));
    ratelimit_free(rl);
}

static void test_no_limit_and_change(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(0);
    for (int i = 0; i < 1000; i++)
        assert_true(ratelimit_hit(rl, 3, 0, 0, 1.0, NULL));
    assert_true(ratelimit_hit(rl, 3, 60, 1, 1.0, NULL));
    assert_false(ratelimit_hit(rl, 3, 60, 1, 2.0, NULL));
    assert_true(ratelimit_hit(rl, 3, 30, 1, 2.0, NULL)); /* a new limit starts afresh */
    ratelimit_free(rl);
}

static void test_bounded_memory(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(128);
    /* far more keys than slots: nothing breaks, a fresh key is always allowed */
    for (int64_t k = 1; k <= 100000; k++)
        assert_true(ratelimit_hit(rl, k, 60, 1, 10.0, NULL));
    /* a key that keeps being used stays tracked among recently used ones */
    assert_true(ratelimit_hit(rl, -5, 60, 1, 11.0, NULL));
    assert_false(ratelimit_hit(rl, -5, 60, 1, 11.5, NULL));
    ratelimit_free(rl);
}

struct worker_arg {
    struct ratelimit *rl;
    int allowed;
};

static void *worker(void *p)
{
    struct worker_arg *w = p;
    for (int i = 0; i < 5000; i++)
        w->allowed += ratelimit_hit(w->rl, 42, 3600, 1000, 7200.0, NULL);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(64);
    pthread_t t[4];
    struct worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct worker_arg){rl, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        total += args[i].allowed;
    }
    assert_int_equal(total, 1000); /* exactly the limit, however the threads interleave */
    ratelimit_free(rl);
}

static void test_roles(void **state)
{
    (void)state;
    static const struct {
        enum org_role r;
        const char *scope;
        bool yes;
    } cases[] = {
        {ROLE_MEMBER, "org:read", true},       {ROLE_MEMBER, "event:write", true},
        {ROLE_MEMBER, "event:admin", true},    {ROLE_MEMBER, "team:write", false},
        {ROLE_MEMBER, "project:write", false}, {ROLE_MEMBER, "member:write", false},
        {ROLE_ADMIN, "team:admin", true},      {ROLE_ADMIN, "project:admin", true},
        {ROLE_ADMIN, "member:write", false},   {ROLE_ADMIN, "org:write", false},
        {ROLE_MANAGER, "member:admin", true},  {ROLE_MANAGER, "org:write", false},
        {ROLE_MANAGER, "org:admin", false},    {ROLE_OWNER, "org:admin", true},
        {ROLE_OWNER, "org:writ", false},       {ROLE__MAX, "org:read", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (role_has_scope(cases[i].r, cases[i].scope) != cases[i].yes)
            fail_msg("role %d scope %s: want %d", cases[i].r, cases[i].scope, cases[i].yes);
    assert_int_equal(role_parse("manager"), ROLE_MANAGER);
    assert_int_equal(role_parse("Owner"), ROLE__MAX);
    assert_int_equal(role_parse(NULL), ROLE__MAX);
    assert_string_equal(role_title(ROLE_ADMIN), "Admin");
    assert_true(role_team_bound(ROLE_ADMIN));
    assert_false(role_team_bound(ROLE_MANAGER));
    assert_true(role_may_manage(ROLE_OWNER, ROLE_OWNER));
    assert_true(role_may_manage(ROLE_MANAGER, ROLE_MANAGER));
    assert_false(role_may_manage(ROLE_MANAGER, ROLE_OWNER));
    assert_false(role_may_manage(ROLE_ADMIN, ROLE_MEMBER));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_window),
        cmocka_unit_test(test_sliding_estimate),
        cmocka_unit_test(test_no_limit_and_change),
        cmocka_unit_test(test_bounded_memory),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
