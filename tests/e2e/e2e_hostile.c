/*
 * e2e_hostile.c - hostile HTTP at the gateway's port, byte by byte over raw
 * sockets: bodies and headers too big, bad percent-encoding, NUL bytes,
 * invalid UTF-8, forged duplicate parameters, wrong methods, paths with
 * "..", a slow client and a crowd of idle ones. Each gets the right answer
 * (or the door), nothing is stored, and the gateway keeps answering. Forged
 * webhooks that pile up alert the on-call coordinator.
 */
#include "harness.h"

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
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define IDLE 1000 /* idle connections opened at once (twice the gateway's limit) */

/* One raw request; returns the status the server answered (0: none). */
static int exchange(struct line *l, const char *req, size_t len)
{
    char out[4096];
    int fd = line_raw_connect(l->gw_port), status = 0;

    assert_true(fd >= 0);
    line_raw_send(fd, req, len);
    shutdown(fd, SHUT_WR);
    line_raw_read(fd, out, sizeof(out), 5000);
    close(fd);
    if (!strncmp(out, "HTTP/1.", 7))
        status = (int)strtol(out + 9, NULL, 10);
    return status;
}

static int post_form(struct line *l, const char *path, const char *body)
{
    char req[8192];
    int n = snprintf(req, sizeof(req),
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n"
                     "X-Twilio-Signature: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     path, strlen(body), body);

    return exchange(l, req, (size_t)n);
}

/* The gateway still answers, and stored nothing of what it was sent. */
static void still_fine(struct line *l)
{
    char out[512];
    int fd = line_raw_connect(l->gw_port);
    const char *get = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

    assert_true(fd >= 0);
    line_raw_send(fd, get, strlen(get));
    line_raw_read(fd, out, sizeof(out), 5000);
    close(fd);
    assert_non_null(strstr(out, "200"));
    assert_int_equal(line_inbound_rows(l), 0);
}

static void too_big_is_refused(void **state)
{
    struct line *l = *state;
    size_t big = 100 * 1024, n;
    char *req = malloc(big + 512);
    int st;

    /* A body over 64 KiB: 413, announced by Content-Length, refused unread. */
    assert_non_null(req);
    n = (size_t)snprintf(req, big + 512,
                         "POST /twilio/sms HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n"
                         "Content-Length: %zu\r\n\r\n",
                         big);
    memset(req + n, 'a', big);
    st = exchange(l, req, n + big);
    assert_int_equal(st, 413);
    /* Headers over the connection's memory: refused (or the door shut), never a crash. */
    n = (size_t)snprintf(req, big + 512, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ");
    memset(req + n, 'b', big - n - 8);
    memcpy(req + big - 8, "\r\n\r\n", 4);
    st = exchange(l, req, big - 4);
    assert_true(st == 0 || st >= 400);
    free(req);
    still_fine(l);
}

static void bad_bytes_are_400(void **state)
{
    struct line *l = *state;

    if (line_provider_telnyx())
        skip(); /* Twilio's form webhooks */
    assert_int_equal(post_form(l, "/twilio/sms", "Body=%zz&From=%2B15559870001"), 400);
    assert_int_equal(post_form(l, "/twilio/sms", "Body=a%00b&From=%2B15559870001"), 400);
    assert_int_equal(post_form(l, "/twilio/sms", "Body=%FF%FE&From=%2B15559870001"), 400);
    assert_int_equal(post_form(l, "/twilio/sms", "Body=%E2%82&From=%2B15559870001"), 400);
    /* Well formed but forged, with a parameter twice: the signature check refuses it. */
    assert_int_equal(post_form(l, "/twilio/sms",
                               "From=%2B15559870001&From=%2B15551230001&To=%2B15005550006"
                               "&Body=hi&MessageSid=SM0123456789abcdef0123456789abcdef"),
                     403);
    still_fine(l);
}

static void wrong_methods_and_paths(void **state)
{
    struct line *l = *state;
    const char *get = "GET /twilio/sms HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const char *del = "DELETE /twilio/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const char *dots = "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const char *adm = "GET /twilio/../admin/api/status HTTP/1.1\r\nHost: x\r\n"
                      "Connection: close\r\n\r\n";

    if (line_provider_telnyx())
        skip(); /* Twilio's paths */
    assert_int_equal(exchange(l, get, strlen(get)), 405);
    assert_int_equal(exchange(l, del, strlen(del)), 405);
    assert_int_equal(exchange(l, dots, strlen(dots)), 404);
    assert_true(exchange(l, adm, strlen(adm)) >= 400); /* never the API without a token */
    assert_int_equal(post_form(l, "/twilio/../twilio/sms", "Body=hi"), 404);
    still_fine(l);
}

/*
 * A wrong public_url or auth token makes every real text fail its signature
 * check: after three, the on-call coordinator is told (once an hour).
 */
static void forged_webhooks_alert_the_coordinators(void **state)
{
    struct line *l = *state;
    const char *form = "From=%2B15559870001&To=%2B15005550006&Body=hello"
                       "&MessageSid=SM0123456789abcdef0123456789abcdef";
    int i;

    if (line_provider_telnyx())
        skip(); /* Twilio's signature (e2e_telnyx has Telnyx's) */
    for (i = 0; i < 3; i++)
        assert_int_equal(post_form(l, "/twilio/sms", form), 403);
    line_must_get(l, 0, SAM, LINE_NUMBER, "3 texts or calls to the line were refused");
    for (i = 0; i < 3; i++)
        assert_int_equal(post_form(l, "/twilio/sms", form), 403);
    line_sleep(1500);
    assert_int_equal(line_count(l, 0, SAM, NULL), 1);
    assert_int_equal(line_count(l, 0, ALEX, NULL), 0); /* peers are not the ones to fix it */
    still_fine(l);
}

#define READ           "read-token-0123456789"
#define BAD_SIGNATURES "peerline_webhooks_total{outcome=\"bad_signature\"}"

static int setup_metrics(void **state)
{
    static const struct line_opts o = {.extra_config = "admin:\n  token: " READ "\n"};

    return line_setup(state, &o);
}

/*
 * Every signed endpoint is one door: a forged call webhook (any of the voice
 * paths), status callback or Fallback URL post is counted in /metrics like a
 * forged text, and three in a row alert the on-call coordinator, as a wrong
 * public_url fails calls as surely as texts.
 */
static void forged_calls_and_callbacks_are_counted_and_alerted(void **state)
{
    static const char *const paths[] = {
        "/twilio/voice",          "/twilio/voice/status",    "/twilio/voice/menu?call=1",
        "/twilio/voice/hold",     "/twilio/voice/done",      "/twilio/voice/voicemail",
        "/twilio/voice/recorded", "/twilio/voice/nomessage", "/twilio/voice/whisper?leg=1",
        "/twilio/voice/accept",   "/twilio/voice/leg",       "/twilio/status",
        "/twilio/spool"};
    struct line *l = *state;
    const char *call = "CallSid=CA0123456789abcdef0123456789abcdef&From=%2B15559870001"
                       "&To=%2B15005550006&CallStatus=ringing&Digits=1";
    size_t i, n = sizeof(paths) / sizeof(paths[0]);

    if (line_provider_telnyx())
        skip(); /* Twilio's signature and voice (e2e_telnyx has Telnyx's) */
    assert_true(line_metric(l, READ, BAD_SIGNATURES) == 0);
    /* Calls alone: three in a row are enough. */
    for (i = 0; i < 3; i++)
        assert_int_equal(post_form(l, paths[i], call), 403);
    assert_true(line_metric(l, READ, BAD_SIGNATURES) == 3); /* counted before the 403 */
    line_must_get(l, 0, SAM, LINE_NUMBER, "3 texts or calls to the line were refused");
    for (; i < n; i++)
        if (post_form(l, paths[i], call) != 403)
            fail_msg("a forged POST %s was not refused with 403", paths[i]);
    assert_true(line_metric(l, READ, BAD_SIGNATURES) == (double)n);
    line_sleep(1500);
    assert_int_equal(line_count(l, 0, SAM, NULL), 1); /* at most hourly */
    assert_int_equal(line_count(l, 0, ALEX, NULL), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls"), 0);
    still_fine(l);
}

static int setup_short_timeout(void **state)
{
    static const struct line_opts o = {.extra_config = "http:\n  connection_timeout: 1s\n"};

    return line_setup(state, &o);
}

static void slow_and_idle_clients_are_dropped(void **state)
{
    struct line *l = *state;
    const char *part = "POST /twilio/sms HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le";
    int fds[IDLE], i, n = IDLE, closed = 0;
    struct rlimit rl;
    char out[256];

    /* Room for the crowd in this process (the gateway caps itself at 512). */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < IDLE + 64) {
        rl.rlim_cur = rl.rlim_max < IDLE + 64 ? rl.rlim_max : IDLE + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < IDLE + 64)
            n = (int)rl.rlim_cur - 64;
    }

    /* Slowloris: half a header, then nothing. The server hangs up. */
    fds[0] = line_raw_connect(l->gw_port);
    assert_true(fds[0] >= 0);
    line_raw_send(fds[0], part, strlen(part));
    assert_true(line_raw_read(fds[0], out, sizeof(out), 8000));
    close(fds[0]);
    /*
     * A crowd that connects and says nothing: past the connection limit turned
     * away, the rest dropped when idle, and the door stays open.
     */
    for (i = 0; i < n; i++)
        fds[i] = line_raw_connect(l->gw_port);
    for (i = 0; i < n; i++) {
        if (fds[i] < 0 || line_raw_read(fds[i], out, sizeof(out), 8000))
            closed++;
        if (fds[i] >= 0)
            close(fds[i]);
    }
    assert_int_equal(closed, n);
    still_fine(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(too_big_is_refused, line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(bad_bytes_are_400, line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(wrong_methods_and_paths, line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(forged_webhooks_alert_the_coordinators, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(forged_calls_and_callbacks_are_counted_and_alerted,
                                        setup_metrics, line_teardown),
        cmocka_unit_test_setup_teardown(slow_and_idle_clients_are_dropped, setup_short_timeout,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
