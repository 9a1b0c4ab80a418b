/*
 * test_sim_reach.c - gateway/sim/sim_reach.c: where the simulator may send a
 * request. Under public_url (the gateway) or a loopback host, as libcurl
 * reads the URL; nothing else, however the URL is spelled to look local.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sim_reach.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_loopback_urls(void **state)
{
    static const char *const yes[] = {
        "http://127.0.0.1:8080/twilio/voice",
        "http://127.0.0.1",
        "https://127.9.9.9/x?y=1",
        "http://localhost:8025/",
        "HTTP://LOCALHOST/",
        "http://[::1]:8080/voice",
        "http://[::1]/",
        "http://127.0.0.1#@example.org/", /* after '#' is the fragment, not a host */
    };
    static const char *const no[] = {
        "http://0.0.0.0:8080/",
        "http://[::]:80/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://example.org/",
        "http://127.0.0.1@example.org/", /* userinfo: the host is example.org */
        "http://example.org#@127.0.0.1/",
        "http://127.0.0.1:80@example.org/",
        "http://127.0.0.1.example.org/",
        "http://localhost.example.org/",
        "http://foo.localhost/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:25/",
        "ftp://127.0.0.1/",
        "127.0.0.1:8080/x",
        "/relative",
        "",
        "http://",
        "http://[::1/",
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(yes); i++)
        if (!sim_reach_loopback(yes[i]))
            fail_msg("%s: not taken for loopback", yes[i]);
    for (i = 0; i < N(no); i++)
        if (sim_reach_loopback(no[i]))
            fail_msg("%s: taken for loopback", no[i]);
    assert_int_equal(sim_reach_loopback(NULL), 0);
}

static void test_allowed(void **state)
{
    static const struct {
        const char *public_url, *url;
        int ok;
    } cases[] = {
        {"https://line.example.org", "https://line.example.org/twilio/voice", 1},
        {"https://line.example.org", "https://line.example.org?x=1", 1},
        {"https://line.example.org", "https://line.example.org", 1},
        {"https://line.example.org/peer", "https://line.example.org/peer/twilio/sms", 1},
        {"https://line.example.org/", "https://line.example.org/twilio/status", 1},
        {"https://line.example.org/", "https://line.example.org.evil.example/x", 0},
        {"https://line.example.org", "http://127.0.0.1:8080/hold.xml", 1},
        {"https://line.example.org", "https://line.example.org.evil.example/x", 0},
        {"https://line.example.org", "https://line.example.org@evil.example/x", 0},
        {"https://line.example.org", "https://line.example.org:443@evil.example/", 0},
        {"https://line.example.org/peer", "https://line.example.org/peerless/x", 0},
        {"https://line.example.org", "http://line.example.org/x", 0}, /* another scheme */
        {"https://line.example.org", "https://other.example.org/x", 0},
        {"https://line.example.org", "http://0.0.0.0:8080/x", 0},
        {"", "https://other.example.org/x", 0},
        {NULL, "http://127.0.0.1/x", 1},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        const char *why = NULL;
        int ok = sim_reach_allowed(cases[i].public_url, cases[i].url, &why);
        if (ok != cases[i].ok)
            fail_msg("public_url %s, %s: %s", cases[i].public_url ? cases[i].public_url : "(none)",
                     cases[i].url, ok ? "allowed" : "refused");
        if (!ok && (!why || !strstr(why, "only to public_url (the gateway) or a loopback")))
            fail_msg("%s refused without saying why: %s", cases[i].url, why ? why : "(null)");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_urls),
        cmocka_unit_test(test_allowed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
