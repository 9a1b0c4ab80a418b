/*
 * test_http_frame.c - gateway/base/http_frame.c: the request framing check.
 * What Twilio, Telnyx, proxies and browsers send passes; each ambiguous
 * form is refused saying what and where (the header's position and name).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "http_frame.h"

/* Headers as "Name: value" strings, NULL-terminated; the first refusal's why, or NULL. */
static const char *check(const char *version, const char *target, const char *const *headers,
                         struct http_frame *f)
{
    char name[64];

    http_frame_init(f, version, target);
    for (; *headers; headers++) {
        const char *colon = strchr(*headers, ':');
        size_t n = colon ? (size_t)(colon - *headers) : strlen(*headers);
        snprintf(name, sizeof(name), "%.*s", (int)n, *headers);
        http_frame_header(f, name, colon ? colon + 1 : NULL);
    }
    return http_frame_done(f) ? f->why : NULL;
}

static void refused(const char *version, const char *target, const char *const *headers,
                    const char *why_part)
{
    struct http_frame f;
    const char *why = check(version, target, headers, &f);

    if (!why)
        fail_msg("accepted, expected a refusal with \"%s\"", why_part);
    if (!strstr(why, why_part))
        fail_msg("refused with \"%s\", expected \"%s\"", why, why_part);
}

static void accepted(const char *version, const char *target, const char *const *headers)
{
    struct http_frame f;
    const char *why = check(version, target, headers, &f);

    if (why)
        fail_msg("refused: %s", why);
}

static void test_what_clients_send_passes(void **state)
{
    const char *const twilio[] = {
        "Host: line.example.org",        "Content-Type: application/x-www-form-urlencoded",
        "X-Twilio-Signature: abc=",      "Content-Length: 412",
        "I-Twilio-Idempotency-Token: x", NULL};
    const char *const chunked[] = {"Host: h", "transfer-encoding:  Chunked", NULL};
    const char *const old[] = {"Content-Length: 0", NULL};
    const char *const get[] = {"Host: 127.0.0.1:8080", "Accept: */*", NULL};

    (void)state;
    accepted("HTTP/1.1", "/twilio/sms?x=1", twilio);
    accepted("HTTP/1.1", "/telnyx/sms", chunked);
    accepted("HTTP/1.0", "/healthz", old); /* HTTP/1.0 needs no Host */
    accepted("HTTP/1.1", "/admin/api/status", get);
    accepted("HTTP/1.1", NULL, get); /* no target given: not checked */
}

static void test_content_length(void **state)
{
    const char *const two[] = {"Host: h", "Content-Length: 5", "Content-Length: 45", NULL};
    const char *const same[] = {"Host: h", "Content-Length: 5", "content-length: 5", NULL};
    const char *const sign[] = {"Host: h", "Content-Length: +5", NULL};
    const char *const list[] = {"Host: h", "Content-Length: 5, 5", NULL};
    const char *const empty[] = {"Host: h", "Content-Length:", NULL};
    const char *const huge[] = {"Host: h", "Content-Length: 1234567890123456789", NULL};

    (void)state;
    refused("HTTP/1.1", "/", two, "header 3 (Content-Length): a second Content-Length");
    refused("HTTP/1.1", "/", same, "header 3 (content-length): a second Content-Length");
    refused("HTTP/1.1", "/", sign, "header 2 (Content-Length): must be digits only");
    refused("HTTP/1.1", "/", list, "must be digits only");
    refused("HTTP/1.1", "/", empty, "must be 1 to 18 digits");
    refused("HTTP/1.1", "/", huge, "must be 1 to 18 digits");
}

static void test_transfer_encoding(void **state)
{
    const char *const with_cl[] = {"Host: h", "Content-Length: 4", "Transfer-Encoding: chunked",
                                   NULL};
    const char *const twice[] = {"Host: h", "Transfer-Encoding: chunked",
                                 "Transfer-Encoding: chunked", NULL};
    const char *const gzip[] = {"Host: h", "Transfer-Encoding: gzip, chunked", NULL};
    const char *const identity[] = {"Host: h", "Transfer-Encoding: identity", NULL};
    /* libmicrohttpd reads "chunked " as not chunked: a body until the connection closes */
    const char *const trailing[] = {"Host: h", "Transfer-Encoding: chunked ", NULL};
    const char *const cl_space[] = {"Host: h", "Content-Length: 3 ", NULL};
    const char *const http10[] = {"Transfer-Encoding: chunked", NULL};

    (void)state;
    refused("HTTP/1.1", "/", with_cl, "headers: both Content-Length and Transfer-Encoding");
    refused("HTTP/1.1", "/", twice, "header 3 (Transfer-Encoding): a second Transfer-Encoding");
    refused("HTTP/1.1", "/", gzip, "only \"chunked\" is understood");
    refused("HTTP/1.1", "/", identity, "only \"chunked\" is understood");
    refused("HTTP/1.1", "/", trailing, "only \"chunked\" is understood (nothing after it)");
    refused("HTTP/1.1", "/", cl_space, "header 2 (Content-Length): must be digits only");
    refused("HTTP/1.0", "/", http10, "header 1 (Transfer-Encoding): not allowed in an HTTP/1.0");
}

static void test_field_names(void **state)
{
    const char *const space[] = {"Host: h", "Transfer-Encoding : chunked", NULL};
    const char *const tab[] = {"Host: h", "Content-Length\t: 3", NULL};
    const char *const empty[] = {"Host: h", ": x", NULL};
    const char *const ctl[] = {"Host: h", "X-\001: x", NULL};
    const char *const sep[] = {"Host: h", "X(y): x", NULL};

    (void)state;
    refused("HTTP/1.1", "/", space, "header 2: its name is not a token");
    refused("HTTP/1.1", "/", tab, "header 2: its name is not a token");
    refused("HTTP/1.1", "/", empty, "header 2: its name is not a token");
    refused("HTTP/1.1", "/", ctl, "its name is not a token");
    refused("HTTP/1.1", "/", sep, "its name is not a token");
}

static void test_host_and_target(void **state)
{
    const char *const none[] = {"Accept: */*", NULL};
    const char *const two[] = {"Host: a", "Host: b", NULL};
    const char *const ok[] = {"Host: a", NULL};

    (void)state;
    refused("HTTP/1.1", "/", none, "headers: no Host in an HTTP/1.1 request");
    refused("HTTP/1.1", "/", two, "header 2 (Host): a second Host");
    refused("HTTP/1.1", "/a b", ok, "request target: byte 3 is a space");
    refused("HTTP/1.1", "/a\tb", ok, "request target: byte 3");
    refused("HTTP/1.1", "/a\177", ok, "request target: byte 3");
}

static void test_first_problem_is_kept(void **state)
{
    const char *const many[] = {"Host: a", "Host: b", "Content-Length: x", NULL};
    struct http_frame f;

    (void)state;
    assert_non_null(check("HTTP/1.1", "/", many, &f));
    assert_string_equal(f.why, "header 2 (Host): a second Host");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_what_clients_send_passes),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_transfer_encoding),
        cmocka_unit_test(test_field_names),
        cmocka_unit_test(test_host_and_target),
        cmocka_unit_test(test_first_problem_is_kept),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
