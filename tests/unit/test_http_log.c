/*
 * test_http_log.c - gateway/base/http_log.c: libmicrohttpd's messages made
 * fit for a logfmt line: one line, no quotes or control bytes, numbers
 * masked, bounded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "http_log.h"

static void cleans_to(const char *in, const char *want)
{
    char out[HTTP_LOG_MSG_MAX + 4];

    assert_string_equal(http_log_clean(in, out, sizeof(out)), want);
}

static void test_one_clean_line(void **state)
{
    (void)state;
    cleans_to("Server reached connection limit. Closing inbound connection.\n",
              "Server reached connection limit. Closing inbound connection.");
    cleans_to("Failed to parse `Content-Length' header.\r\n",
              "Failed to parse `Content-Length' header.");
    cleans_to("a \"quoted\" \\ thing\twith\001controls", "a 'quoted' / thing with controls");
    cleans_to("", "");
    cleans_to(NULL, "");
}

static void test_numbers_are_masked(void **state)
{
    (void)state;
    cleans_to("for `/sim/messages?phone=+15551230001'", "for `/sim/messages?phone=+1******0001'");
    cleans_to("phone=%2B15551230001&x", "phone=%2B+1******0001&x");
    cleans_to("8005551234 and 1234567", "+8*****1234 and +1**4567"); /* as log_mask_phone does */
    /* short runs (ports, sizes, addresses) stay */
    cleans_to("127.0.0.1:8080 sent 123456 bytes", "127.0.0.1:8080 sent 123456 bytes");
}

static void test_bounded(void **state)
{
    char in[1000], out[HTTP_LOG_MSG_MAX + 4], tiny[8];

    (void)state;
    memset(in, 'a', sizeof(in) - 1);
    in[sizeof(in) - 1] = '\0';
    http_log_clean(in, out, sizeof(out));
    assert_int_equal(strlen(out), HTTP_LOG_MSG_MAX + 3);
    assert_string_equal(out + HTTP_LOG_MSG_MAX, "...");
    http_log_clean(in, tiny, sizeof(tiny));
    assert_string_equal(tiny, "aaaa...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_clean_line),
        cmocka_unit_test(test_numbers_are_masked),
        cmocka_unit_test(test_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
