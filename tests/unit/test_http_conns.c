/*
 * test_http_conns.c - gateway/base/http_conns.c: the addresses a
 * per-address limit counts by (an IPv6 client's /64 as one), who makes
 * room at the connection limit (the longest idle first, then the oldest
 * request still arriving after a second, never one being handled), the
 * per-address limit, and the deadlines. Connections are socketpairs: the
 * table shuts one down, and its other end reads the end of the stream.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_conns.h"

static struct sockaddr_in v4(const char *a)
{
    struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(40000)};

    assert_int_equal(inet_pton(AF_INET, a, &s.sin_addr), 1);
    return s;
}

static struct sockaddr_in6 v6(const char *a)
{
    struct sockaddr_in6 s = {.sin6_family = AF_INET6, .sin6_port = htons(40000)};

    assert_int_equal(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
    return s;
}

#define SA(x) ((const struct sockaddr *)(const void *)&(x))

static void same_key(const struct sockaddr *a, const struct sockaddr *b, int same)
{
    unsigned char ka[HTTP_CONNS_KEY_LEN], kb[HTTP_CONNS_KEY_LEN];
    size_t la = http_conns_addr_key(a, ka), lb = http_conns_addr_key(b, kb);

    assert_true(la > 0 && lb > 0);
    assert_int_equal(la == lb && !memcmp(ka, kb, la), same);
}

static void test_address_keys(void **state)
{
    struct sockaddr_in a = v4("203.0.113.7"), b = v4("203.0.113.8");
    struct sockaddr_in6 m = v6("::ffff:203.0.113.7"), x = v6("2001:db8:1:2::1"),
                        y = v6("2001:db8:1:2:ffff:ffff:ffff:ffff"), z = v6("2001:db8:1:3::1");
    struct sockaddr other = {.sa_family = AF_UNIX};
    unsigned char k[HTTP_CONNS_KEY_LEN];

    (void)state;
    same_key(SA(a), SA(a), 1);
    same_key(SA(a), SA(b), 0);
    same_key(SA(a), SA(m), 1); /* an IPv4 client of a dual-stack socket */
    same_key(SA(x), SA(y), 1); /* one /64: one client */
    same_key(SA(x), SA(z), 0);
    assert_int_equal(http_conns_addr_key(&other, k), 0);
    assert_int_equal(http_conns_addr_key(NULL, k), 0);
}

/* A guarded connection: our end in the table, the client's end in *peer. */
static struct http_conn *conn(struct http_conns *t, const struct sockaddr *addr, int *peer,
                              int *ours)
{
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    *ours = sv[0];
    *peer = sv[1];
    return http_conns_open(t, sv[0], addr);
}

/* 1 when the table shut the connection whose client end is peer, waiting up to ms. */
static int was_shut(int peer, int ms)
{
    struct pollfd p = {.fd = peer, .events = POLLIN};
    char c;

    return poll(&p, 1, ms) == 1 && recv(peer, &c, 1, MSG_DONTWAIT) == 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static void test_room_at_the_limit(void **state)
{
    struct http_conns_opts o = {.limit = 3};
    struct http_conns *t = http_conns_new(&o);
    struct sockaddr_in a = v4("198.51.100.1");
    struct http_conn *c[3];
    struct http_conns_stats st;
    int peer[3], ours[3], i;

    (void)state;
    assert_non_null(t);
    for (i = 0; i < 3; i++)
        c[i] = conn(t, SA(a), &peer[i], &ours[i]);
    http_conns_phase(t, c[0], HTTP_HANDLING); /* a webhook parked for its commit */
    http_conns_phase(t, c[1], HTTP_HEADERS);  /* a request arriving, just now */
    http_conns_phase(t, c[2], HTTP_HANDLING);
    /* Nothing idle, nothing slow: the new one is refused. */
    assert_int_equal(http_conns_admit(t, SA(a), sizeof(a)), 0);
    /* The request still arriving after a second makes room; the handled ones never. */
    sleep_ms(HTTP_CONNS_GRACE_MS + 100);
    assert_int_equal(http_conns_admit(t, SA(a), sizeof(a)), 1);
    assert_true(was_shut(peer[1], 1000));
    assert_false(was_shut(peer[0], 0));
    assert_false(was_shut(peer[2], 0));
    http_conns_close(t, c[1]); /* libmicrohttpd cleans it up */
    close(ours[1]);
    close(peer[1]);
    c[1] = conn(t, SA(a), &peer[1], &ours[1]); /* the one let in: waiting for its request */
    /* At the limit again: the idle one goes first, even the youngest. */
    http_conns_phase(t, c[0], HTTP_BODY);
    sleep_ms(HTTP_CONNS_GRACE_MS + 100);
    assert_int_equal(http_conns_admit(t, SA(a), sizeof(a)), 1);
    assert_true(was_shut(peer[1], 1000));
    assert_false(was_shut(peer[0], 0));
    http_conns_stats(t, &st);
    assert_int_equal(st.open, 2);
    assert_int_equal(st.refused_full, 1);
    assert_int_equal(st.evicted, 2);
    for (i = 0; i < 3; i++) {
        http_conns_close(t, c[i]);
        close(ours[i]);
        close(peer[i]);
    }
    http_conns_free(t);
}

static void test_per_address(void **state)
{
    struct http_conns_opts o = {.limit = 100, .per_addr = 2};
    struct http_conns *t = http_conns_new(&o);
    struct sockaddr_in a = v4("198.51.100.1"), b = v4("198.51.100.2");
    struct sockaddr_in6 x = v6("2001:db8::1"), y = v6("2001:db8::2");
    struct http_conn *c[4];
    struct http_conns_stats st;
    int peer[4], ours[4], i;

    (void)state;
    assert_non_null(t);
    c[0] = conn(t, SA(a), &peer[0], &ours[0]);
    c[1] = conn(t, SA(a), &peer[1], &ours[1]);
    c[2] = conn(t, SA(x), &peer[2], &ours[2]);
    c[3] = conn(t, SA(x), &peer[3], &ours[3]);
    assert_int_equal(http_conns_admit(t, SA(a), sizeof(a)), 0);
    assert_int_equal(http_conns_admit(t, SA(b), sizeof(b)), 1);
    assert_int_equal(http_conns_admit(t, SA(y), sizeof(y)), 0); /* the same /64 */
    http_conns_close(t, c[0]);
    assert_int_equal(http_conns_admit(t, SA(a), sizeof(a)), 1);
    http_conns_stats(t, &st);
    assert_int_equal(st.refused_addr, 2);
    assert_int_equal(st.open, 3);
    for (i = 0; i < 4; i++) {
        if (i)
            http_conns_close(t, c[i]);
        close(ours[i]);
        close(peer[i]);
    }
    http_conns_free(t);
}

static void test_deadlines(void **state)
{
    struct http_conns_opts o = {.idle_ms = 200, .header_ms = 300, .body_ms = 400};
    struct http_conns *t = http_conns_new(&o);
    struct sockaddr_in a = v4("198.51.100.1");
    struct http_conn *c[4];
    struct http_conns_stats st;
    int peer[4], ours[4], i;

    (void)state;
    assert_non_null(t);
    for (i = 0; i < 4; i++)
        c[i] = conn(t, SA(a), &peer[i], &ours[i]);
    http_conns_phase(t, c[1], HTTP_HEADERS);
    http_conns_phase(t, c[2], HTTP_BODY);
    http_conns_phase(t, c[3], HTTP_HANDLING); /* no deadline of ours */
    for (i = 0; i < 3; i++)
        assert_true(was_shut(peer[i], 3000));
    assert_false(was_shut(peer[3], 500));
    http_conns_stats(t, &st);
    assert_int_equal(st.cut_idle, 1);
    assert_int_equal(st.cut_headers, 1);
    assert_int_equal(st.cut_body, 1);
    assert_int_equal(st.open, 1);
    for (i = 0; i < 4; i++) {
        http_conns_close(t, c[i]);
        close(ours[i]);
        close(peer[i]);
    }
    http_conns_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_keys),
        cmocka_unit_test(test_room_at_the_limit),
        cmocka_unit_test(test_per_address),
        cmocka_unit_test(test_deadlines),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
