/*
 * e2e_http.c - the gateway's HTTP server as a client on a raw socket sees
 * it: signed webhooks from clients that half-close once their request is
 * sent, each answered 200 once stored; requests whose framing is ambiguous
 * (request smuggling behind a proxy) refused with 400 and the connection
 * closed, so a request pipelined behind them is never answered; the
 * headers every answer carries; libmicrohttpd's own messages in the log as
 * logfmt lines, a flood of them limited; a crowd of idle connections from
 * one address that leaves room for /healthz and /metrics; a limit per
 * address; deadlines that cut clients trickling headers or a body, and
 * idle keep-alive connections. Every connection goes to 127.0.0.1, and
 * every crowd is bounded (a hundred or so sockets).
 */
#include "form.h"
#include "harness.h"
#include "twilio.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The status of an answer that starts out (0: none). */
static int status_of(const char *out)
{
    return strncmp(out, "HTTP/1.", 7) ? 0 : (int)strtol(out + 9, NULL, 10);
}

/*
 * A signed Twilio SMS webhook as raw bytes (malloc'd), with a MessageSid of
 * its own: from the texter number `from`, "hc N".
 */
static char *signed_webhook(struct line *l, const char *from, int n, size_t *len)
{
    char form_body[512], url[128], sig[TWILIO_SIG_LEN], *req;
    const char *why;
    struct form f;
    size_t where;
    int k;

    snprintf(form_body, sizeof(form_body),
             "From=%%2B%s&To=%%2B15005550006&Body=hc+%d&NumMedia=0"
             "&MessageSid=SM%032x&AccountSid=AC0123456789abcdef0123456789abcdef",
             from + 1, n, (unsigned)n);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/twilio/sms", l->gw_port);
    if (form_parse(form_body, strlen(form_body), &f, &why, &where))
        return NULL;
    k = twilio_signature(TOKEN, url, &f, sig);
    form_free(&f);
    if (k)
        return NULL;
    req = malloc(2048);
    if (!req)
        return NULL;
    k = snprintf(req, 2048,
                 "POST /twilio/sms HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                 "Content-Type: application/x-www-form-urlencoded\r\n"
                 "X-Twilio-Signature: %s\r\nContent-Length: %zu\r\n\r\n%s",
                 l->gw_port, sig, strlen(form_body), form_body);
    *len = (size_t)k;
    return req;
}

#define HALF_CLIENTS 16 /* at once */
#define HALF_EACH    25 /* webhooks each, one after the other */

struct half {
    struct line *l;
    int first; /* this client's first webhook number */
    int ok;    /* answered 200 */
    int none;  /* answered nothing before the server closed */
};

/* One client: a webhook, shutdown(SHUT_WR), read the answer; HALF_EACH times. */
static void *half_client(void *arg)
{
    struct half *h = arg;
    char from[16], out[512];
    int i;

    for (i = 0; i < HALF_EACH; i++) {
        int n = h->first + i, fd;
        size_t len;
        char *req;

        snprintf(from, sizeof(from), "+1555987%04d", n % 40);
        req = signed_webhook(h->l, from, n, &len);
        fd = line_raw_connect(h->l->gw_port);
        if (!req || fd < 0) {
            free(req);
            if (fd >= 0)
                close(fd);
            h->none++;
            continue;
        }
        line_raw_send(fd, req, len);
        shutdown(fd, SHUT_WR); /* the request is complete; nothing more will come */
        line_raw_read(fd, out, sizeof(out), 15000);
        close(fd);
        free(req);
        if (status_of(out) == 200)
            h->ok++;
        else if (!out[0])
            h->none++;
    }
    return NULL;
}

/*
 * Clients that send a whole signed webhook and then half-close their side
 * (shutdown(SHUT_WR)), many at once: every webhook is stored and every one
 * gets its 200 on the socket that can still take it.
 */
static void half_closed_webhooks_are_all_answered(void **state)
{
    struct line *l = *state;
    struct half h[HALF_CLIENTS];
    pthread_t t[HALF_CLIENTS];
    int i, ok = 0, none = 0;

    if (line_provider_telnyx())
        skip(); /* Twilio's signed form webhooks */
    for (i = 0; i < HALF_CLIENTS; i++) {
        h[i] = (struct half){.l = l, .first = i * HALF_EACH};
        assert_int_equal(pthread_create(&t[i], NULL, half_client, &h[i]), 0);
    }
    for (i = 0; i < HALF_CLIENTS; i++) {
        pthread_join(t[i], NULL);
        ok += h[i].ok;
        none += h[i].none;
    }
    if (ok != HALF_CLIENTS * HALF_EACH)
        fail_msg("%d of %d half-closed webhooks answered 200 (%d got no answer)", ok,
                 HALF_CLIENTS * HALF_EACH, none);
    assert_int_equal(line_inbound_rows(l), HALF_CLIENTS * HALF_EACH);
}

#define HEALTHZ "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

/*
 * Sends req with a plain GET /healthz pipelined behind it, on one
 * connection. The answer (its start) in out; 1 when the server closed.
 */
static int pipelined(struct line *l, const char *req, char *out, size_t outlen)
{
    char both[2048];
    int n = snprintf(both, sizeof(both), "%s" HEALTHZ, req), fd = line_raw_connect(l->gw_port),
        closed;

    assert_true(fd >= 0);
    line_raw_send(fd, both, (size_t)n);
    closed = line_raw_read(fd, out, outlen, 3000);
    close(fd);
    return closed;
}

/*
 * The request is answered 400, the one behind it not at all, and the
 * connection closed; 0 when so, else 1 with what went otherwise printed.
 */
static int refused_and_closed(struct line *l, const char *what, const char *req)
{
    char out[4096];
    int closed = pipelined(l, req, out, sizeof(out)), bad = 0;

    if (status_of(out) != 400) {
        print_message("%s: answered %d, not 400\n", what, status_of(out));
        bad = 1;
    }
    if (strstr(out, "HTTP/1.1 200")) {
        print_message("%s: the request pipelined behind it was answered too\n", what);
        bad = 1;
    }
    if (!closed) {
        print_message("%s: the connection was kept open\n", what);
        bad = 1;
    }
    return bad;
}

#define POST "POST /twilio/sms HTTP/1.1\r\nHost: 127.0.0.1\r\n"
#define FORM "Content-Type: application/x-www-form-urlencoded\r\n"

/*
 * Each way a proxy and the gateway could disagree on where a request ends,
 * with a second request behind it: refused, and nothing after it read.
 */
static void ambiguous_framing_is_refused_and_closed(void **state)
{
    struct line *l = *state;
    char out[4096];
    int bad = 0;

    /* The control: two plain requests on one connection are both answered. */
    assert_int_equal(pipelined(l, HEALTHZ, out, sizeof(out)), 0);
    assert_non_null(strstr(strstr(out, "HTTP/1.1 200") + 1, "HTTP/1.1 200"));

    bad += refused_and_closed(l, "two different Content-Lengths",
                              POST FORM "Content-Length: 5\r\nContent-Length: 45\r\n\r\nBody=");
    bad += refused_and_closed(l, "the same Content-Length twice",
                              POST FORM "Content-Length: 5\r\nContent-Length: 5\r\n\r\nBody=");
    bad += refused_and_closed(l, "Content-Length and Transfer-Encoding",
                              POST FORM "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                                        "5\r\nBody=\r\n0\r\n\r\n");
    bad += refused_and_closed(l, "Transfer-Encoding and Content-Length",
                              POST FORM "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
                                        "5\r\nBody=\r\n0\r\n\r\n");
    bad +=
        refused_and_closed(l, "\"Transfer-Encoding :\" (a space before the colon)",
                           POST FORM "Transfer-Encoding : chunked\r\n\r\n5\r\nBody=\r\n0\r\n\r\n");
    bad += refused_and_closed(l, "Transfer-Encoding twice",
                              POST FORM
                              "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "5\r\nBody=\r\n0\r\n\r\n");
    bad += refused_and_closed(l, "a Transfer-Encoding other than chunked",
                              POST FORM
                              "Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nBody=\r\n0\r\n\r\n");
    bad +=
        refused_and_closed(l, "\"chunked \" (to libmicrohttpd, a body until the close)",
                           POST FORM "Transfer-Encoding: chunked \r\n\r\n5\r\nBody=\r\n0\r\n\r\n");
    bad += refused_and_closed(
        l, "Transfer-Encoding in HTTP/1.0",
        "POST /twilio/sms HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n" FORM
        "Transfer-Encoding: chunked\r\n\r\n5\r\nBody=\r\n0\r\n\r\n");
    bad += refused_and_closed(l, "no Host", "GET /healthz HTTP/1.1\r\n\r\n");
    bad += refused_and_closed(
        l, "two Hosts", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: example.org\r\n\r\n");
    bad += refused_and_closed(l, "a space in the request target",
                              "GET /healthz /admin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert_int_equal(bad, 0);
    assert_int_equal(line_inbound_rows(l), 0);
}

#define READ_TOKEN "read-token-0123456789"

static int setup_admin(void **state)
{
    static const struct line_opts o = {.extra_config = "admin:\n  token: " READ_TOKEN "\n"};

    return line_setup(state, &o);
}

/* One request on its own connection: the answer's status, and its head (headers) in head. */
static int answer_head(struct line *l, const char *req, char *head, size_t headlen)
{
    char out[65536], *end;
    int fd = line_raw_connect(l->gw_port);

    assert_true(fd >= 0);
    line_raw_send(fd, req, strlen(req));
    line_raw_read(fd, out, sizeof(out), 5000);
    close(fd);
    end = strstr(out, "\r\n\r\n");
    if (end)
        *end = '\0';
    snprintf(head, headlen, "%.*s", (int)(headlen - 1), out);
    return status_of(out);
}

/* The head holds both headers that tell a browser not to guess types nor leak the URL. */
static int guarded(const char *what, const char *head)
{
    int ok = strstr(head, "\r\nX-Content-Type-Options: nosniff") &&
             strstr(head, "\r\nReferrer-Policy: no-referrer");

    if (!ok)
        print_message("%s: no nosniff or no Referrer-Policy in:\n%s\n", what, head);
    return ok;
}

/* A page, an API answer, errors (ours and a refusal) and /healthz all carry the headers. */
static void every_answer_carries_the_security_headers(void **state)
{
    struct line *l = *state;
    char head[8192];
    int bad = 0;

#define CLOSE "Host: 127.0.0.1\r\nConnection: close\r\n\r\n"
    assert_int_equal(answer_head(l, "GET /admin HTTP/1.1\r\n" CLOSE, head, sizeof(head)), 200);
    bad += !guarded("the dashboard page", head);
    assert_int_equal(
        answer_head(
            l, "GET /admin/api/status HTTP/1.1\r\nAuthorization: Bearer " READ_TOKEN "\r\n" CLOSE,
            head, sizeof(head)),
        200);
    bad += !guarded("the admin API", head);
    assert_int_equal(answer_head(l, "GET /admin/api/status HTTP/1.1\r\n" CLOSE, head, sizeof(head)),
                     401);
    bad += !guarded("a 401", head);
    assert_int_equal(answer_head(l, "GET /nowhere HTTP/1.1\r\n" CLOSE, head, sizeof(head)), 404);
    bad += !guarded("a 404", head);
    assert_int_equal(
        answer_head(l, "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", head, sizeof(head)),
        400);
    bad += !guarded("a framing refusal", head);
    assert_int_equal(answer_head(l, "GET /healthz HTTP/1.1\r\n" CLOSE, head, sizeof(head)), 200);
    bad += !guarded("/healthz", head);
#undef CLOSE
    assert_int_equal(bad, 0);
}

/*
 * libmicrohttpd's own messages (here: a Content-Length it cannot read, two
 * messages each) reach the gateway's log as logfmt lines, and a flood of
 * them is cut to a few, the rest counted once the window turns.
 */
static void the_servers_own_messages_are_logfmt_and_limited(void **state)
{
    struct line *l = *state;
    const char *bad_cl = "POST /twilio/sms HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Content-Length: 1%2B15551230001\r\n\r\n";
    char out[1024], *log, *p, *next;
    int i, server = 0, suppressed = 0, bare = 0;

    for (i = 0; i < 60; i++) {
        int fd = line_raw_connect(l->gw_port);
        assert_true(fd >= 0);
        line_raw_send(fd, bad_cl, strlen(bad_cl));
        line_raw_read(fd, out, sizeof(out), 5000);
        close(fd);
        assert_int_equal(status_of(out), 400);
    }
    /* The next window: one more message lets the count of the ones held back out. */
    line_sleep(10500);
    {
        int fd = line_raw_connect(l->gw_port);
        assert_true(fd >= 0);
        line_raw_send(fd, bad_cl, strlen(bad_cl));
        line_raw_read(fd, out, sizeof(out), 5000);
        close(fd);
    }
    assert_true(line_log_wait(l, "event=http.server_suppressed count=", 5000));
    log = line_read_file(l->gateway_log);
    assert_non_null(log);
    for (p = log; p && *p; p = next) {
        next = strchr(p, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(p, "time=", 5)) {
            print_message("not a logfmt line: %s\n", p);
            bare++;
        }
        server += strstr(p, " event=http.server msg=\"") != NULL;
        suppressed += strstr(p, " event=http.server_suppressed count=") != NULL;
    }
    free(log);
    assert_int_equal(bare, 0);
    /* 122 messages: at most 10 in each of the two windows, and one count of the rest. */
    if (server < 1 || server > 20)
        fail_msg("%d http.server lines for 122 messages (want 1 to 20)", server);
    assert_int_equal(suppressed, 1);
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define CROWD_LIMIT 48

static int setup_crowd(void **state)
{
    static const struct line_opts o = {.extra_config = "admin:\n  token: " READ_TOKEN "\n"
                                                       "http:\n  connection_limit: 48\n"
                                                       "  idle_timeout: 60s\n"};

    return line_setup(state, &o);
}

/* Connections from the crowd still open (the server has not closed them). */
static int still_open(const int *fds, int n)
{
    int i, open = 0;

    for (i = 0; i < n; i++) {
        struct pollfd p = {.fd = fds[i], .events = POLLIN};
        char c;
        if (fds[i] < 0)
            continue;
        if (poll(&p, 1, 0) == 0 || recv(fds[i], &c, 1, MSG_DONTWAIT) > 0)
            open++;
    }
    return open;
}

/*
 * Twice the connection limit of idle connections from one address (some
 * new and silent, some kept alive after an answer) no longer shut the door:
 * /healthz and /metrics on a new connection are answered at once, and the
 * crowd holds no more than the limit.
 */
static void a_crowd_of_idle_connections_leaves_room(void **state)
{
    struct line *l = *state;
    int fds[2 * CROWD_LIMIT], i, st;
    char out[1024], head[2048];
    long long t0, took;

    for (i = 0; i < 2 * CROWD_LIMIT; i++) {
        fds[i] = line_raw_connect(l->gw_port);
        assert_true(fds[i] >= 0);
        if (i % 4 == 0) { /* kept alive after an answer, then idle */
            const char *get = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
            ssize_t n;
            line_raw_send(fds[i], get, strlen(get));
            n = recv(fds[i], out, sizeof(out) - 1, 0);
            out[n > 0 ? n : 0] = '\0';
        }
    }
    t0 = now_ms();
    st = answer_head(l, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                     head, sizeof(head));
    took = now_ms() - t0;
    print_message("/healthz with %d idle connections held: %d in %lld ms\n", 2 * CROWD_LIMIT, st,
                  took);
    assert_int_equal(st, 200);
    assert_true(took < 3000);
    assert_int_equal(answer_head(l,
                                 "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
                                 "Bearer " READ_TOKEN "\r\nConnection: close\r\n\r\n",
                                 head, sizeof(head)),
                     200);
    /* The crowd keeps at most the limit (less the two just answered, gone or going). */
    st = still_open(fds, 2 * CROWD_LIMIT);
    print_message("%d of the crowd still open (limit %d)\n", st, CROWD_LIMIT);
    assert_true(st <= CROWD_LIMIT);
    for (i = 0; i < 2 * CROWD_LIMIT; i++)
        close(fds[i]);
}

static int setup_per_address(void **state)
{
    static const struct line_opts o = {.extra_config = "http:\n  connection_limit: 48\n"
                                                       "  per_ip_limit: 8\n"
                                                       "  idle_timeout: 60s\n"};

    return line_setup(state, &o);
}

/*
 * One address holds at most http.per_ip_limit connections: past it, a new
 * one is closed unanswered (the line's own clients, the simulator and the
 * harness, are on 127.0.0.1 too, so some of the 8 may be theirs). Once
 * they go, the address gets in again.
 */
static void one_address_holds_at_most_its_limit(void **state)
{
    struct line *l = *state;
    int fds[12], i, refused = 0;
    char out[256];

    for (i = 0; i < 12; i++) {
        fds[i] = line_raw_connect(l->gw_port);
        assert_true(fds[i] >= 0);
        line_sleep(20); /* accepted, or refused, one after the other */
    }
    line_sleep(300);
    for (i = 0; i < 12; i++) {
        struct pollfd p = {.fd = fds[i], .events = POLLIN};
        char c;
        if (poll(&p, 1, 0) == 1 && recv(fds[i], &c, 1, MSG_DONTWAIT) <= 0)
            refused++; /* closed by the server without a byte */
    }
    print_message("%d of 12 connections from one address refused (limit 8)\n", refused);
    assert_true(refused >= 4);
    for (i = 0; i < 12; i++)
        close(fds[i]);
    line_sleep(300);
    assert_int_equal(
        answer_head(l, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", out, sizeof(out)), 200);
}

static int setup_deadlines(void **state)
{
    static const struct line_opts o = {.extra_config = "http:\n  idle_timeout: 1s\n"
                                                       "  header_timeout: 1s\n"
                                                       "  body_timeout: 1s\n"};

    return line_setup(state, &o);
}

/*
 * Sends head, then trickle one byte every 200 ms, for up to 8 s or until
 * the server closes the connection; the milliseconds it held on (-1: it
 * never closed).
 */
static long long trickle(struct line *l, const char *head, const char *drip)
{
    int fd = line_raw_connect(l->gw_port);
    long long t0 = now_ms();
    const char *p = drip;

    assert_true(fd >= 0);
    line_raw_send(fd, head, strlen(head));
    while (now_ms() - t0 < 8000) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        char buf[512];
        if (poll(&pf, 1, 200) > 0 && recv(fd, buf, sizeof(buf), 0) <= 0) {
            close(fd);
            return now_ms() - t0;
        }
        if (!*p)
            p = drip;
        if (send(fd, p++, 1, MSG_NOSIGNAL) < 0) {
            close(fd);
            return now_ms() - t0;
        }
    }
    close(fd);
    return -1;
}

/*
 * Slowloris, three ways: headers a byte at a time, a body a byte at a
 * time, and a kept-alive connection that says nothing more. Each is cut
 * at its deadline though it never stops sending (libmicrohttpd's own
 * timeout restarts at every byte); nothing is stored.
 */
static void slow_clients_meet_their_deadlines(void **state)
{
    struct line *l = *state;
    long long held;
    char out[1024];
    int fd, closed, bad = 0;

    held = trickle(l, "POST /twilio/sms HTTP/1.1\r\nHost: 127.0.0.1\r\n", "X-Slow: aaaaaaaa\r\n");
    print_message("headers trickled: %s after %lld ms\n", held < 0 ? "still open" : "cut",
                  held < 0 ? 8000 : held);
    bad += held < 0;
    held = trickle(
        l, "POST /twilio/sms HTTP/1.1\r\nHost: 127.0.0.1\r\n" FORM "Content-Length: 1000\r\n\r\n",
        "Body=aaaa&");
    print_message("body trickled: %s after %lld ms\n", held < 0 ? "still open" : "cut",
                  held < 0 ? 8000 : held);
    bad += held < 0;
    /* Kept alive after an answer, then silent: closed after http.idle_timeout. */
    fd = line_raw_connect(l->gw_port);
    assert_true(fd >= 0);
    line_raw_send(fd, HEALTHZ, strlen(HEALTHZ));
    closed = line_raw_read(fd, out, sizeof(out), 6000);
    close(fd);
    assert_int_equal(status_of(out), 200);
    print_message("kept alive and silent: %s within 6 s\n", closed ? "closed" : "still open");
    bad += !closed;
    assert_int_equal(bad, 0);
    assert_int_equal(line_inbound_rows(l), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(half_closed_webhooks_are_all_answered, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(ambiguous_framing_is_refused_and_closed, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(every_answer_carries_the_security_headers, setup_admin,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(the_servers_own_messages_are_logfmt_and_limited,
                                        line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(a_crowd_of_idle_connections_leaves_room, setup_crowd,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(one_address_holds_at_most_its_limit, setup_per_address,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(slow_clients_meet_their_deadlines, setup_deadlines,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
