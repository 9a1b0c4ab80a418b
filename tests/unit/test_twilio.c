/*
 * test_twilio.c - gateway/wire/twilio.c: the X-Twilio-Signature (checked against Twilio's
 * documented worked example and HMAC-SHA1 values computed independently with Python's hmac module),
 * verification including the default-port URL variants, the Messages API request body, the
 * classification of Messages API answers, and SID syntax.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "form.h"
#include "twilio.h"
#include "utf8.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Twilio's documented example (security docs): token, URL, parameters and signature. */
static const char doc_token[] = "12345";
static const char doc_url[] = "https://mycompany.com/myapp.php?foo=1&bar=2";
static const char doc_sig[] = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
static const char *const doc_params[] = {
    "CallSid", "CA1234567890ABCDE", "Caller", "+14158675309", "Digits", "1234",
    "From",    "+14158675309",      "To",     "+18005551212", NULL,
};

/* ---- helpers ---- */

/* A form from a NULL-terminated key, value, key, value, ... list. Free with form_free. */
static struct form make_form(const char *const *kv)
{
    struct form f = {NULL, 0};
    size_t n = 0, i;

    while (kv[2 * n])
        n++;
    if (n) {
        f.params = calloc(n, sizeof(*f.params));
        assert_non_null(f.params);
    }
    for (i = 0; i < n; i++) {
        f.params[i].key = strdup(kv[2 * i]);
        f.params[i].value = strdup(kv[2 * i + 1]);
        assert_non_null(f.params[i].key);
        assert_non_null(f.params[i].value);
    }
    f.n = n;
    return f;
}

static void sign(const char *token, const char *url, const struct form *f, char out[TWILIO_SIG_LEN])
{
    memset(out, 'x', TWILIO_SIG_LEN);
    assert_int_equal(twilio_signature(token, url, f, out), 0);
    assert_int_equal(strlen(out), TWILIO_SIG_LEN - 1);
}

/* ---- signature ---- */

static void test_signature_documented_example(void **state)
{
    static const char *const shuffled[] = {
        "To",      "+18005551212",      "Digits", "1234",         "Caller", "+14158675309",
        "CallSid", "CA1234567890ABCDE", "From",   "+14158675309", NULL,
    };
    struct form f = make_form(doc_params), g = make_form(shuffled);
    char sig[TWILIO_SIG_LEN];

    (void)state;
    sign(doc_token, doc_url, &f, sig);
    assert_string_equal(sig, doc_sig);
    sign(doc_token, doc_url, &g, sig); /* parameter order does not matter */
    assert_string_equal(sig, doc_sig);
    /* the caller's form is not reordered */
    assert_string_equal(g.params[0].key, "To");
    assert_string_equal(g.params[4].key, "From");
    form_free(&f);
    form_free(&g);
}

static void test_signature_sorting(void **state)
{
    /* expected values: base64(hmac.new(b"12345", url + "".join(k + v for k, v in
     * sorted(pairs)), sha1)) */
    static const char url[] = "https://example.com/twilio/sms";
    static const char *const repeated[] = {"To", "+14155550100", "MediaUrl", "b", "MediaUrl",
                                           "a",  "Body",         "x",        NULL};
    static const char *const repeated_swapped[] = {"MediaUrl",     "a",        "Body", "x", "To",
                                                   "+14155550100", "MediaUrl", "b",    NULL};
    static const char *const byte_order[] = {"a", "1", "B", "1", NULL}; /* "B" < "a" */
    static const char *const none[] = {NULL};
    struct form f;
    char sig[TWILIO_SIG_LEN];

    (void)state;
    f = make_form(repeated);
    sign("12345", url, &f, sig);
    assert_string_equal(sig, "p+2hqIeUe4lOnrSX5uCk+qna048="); /* MediaUrl a before MediaUrl b */
    form_free(&f);
    f = make_form(repeated_swapped);
    sign("12345", url, &f, sig);
    assert_string_equal(sig, "p+2hqIeUe4lOnrSX5uCk+qna048=");
    form_free(&f);
    f = make_form(byte_order);
    sign("12345", url, &f, sig);
    assert_string_equal(sig, "v+nKGPb0rMzDyCRztre9/BmATbI=");
    form_free(&f);
    f = make_form(none);
    sign("12345", url, &f, sig);
    assert_string_equal(sig, "bZBOs6LuOonB3XJ5LNXzUFOlCCg=");
    sign("12345", url, NULL, sig); /* no form at all: the URL alone */
    assert_string_equal(sig, "bZBOs6LuOonB3XJ5LNXzUFOlCCg=");
}

/* ---- verification ---- */

static void test_verify_documented_example(void **state)
{
    static const char *const changed_value[] = {
        "CallSid", "CA1234567890ABCDE", "Caller", "+14158675309", "Digits", "1235",
        "From",    "+14158675309",      "To",     "+18005551212", NULL,
    };
    static const char *const extra[] = {
        "CallSid", "CA1234567890ABCDE", "Caller", "+14158675309", "Digits", "1234",
        "From",    "+14158675309",      "To",     "+18005551212", "Body",   "",
        NULL,
    };
    static const char *const missing[] = {
        "CallSid", "CA1234567890ABCDE", "Caller", "+14158675309", "From", "+14158675309",
        "To",      "+18005551212",      NULL,
    };
    struct form f = make_form(doc_params), g;
    char bad[TWILIO_SIG_LEN + 1];
    size_t i;

    (void)state;
    assert_int_equal(twilio_verify(doc_token, doc_url, &f, doc_sig), 1);

    /* one character changed, anywhere */
    for (i = 0; i < TWILIO_SIG_LEN - 1; i++) {
        snprintf(bad, sizeof(bad), "%s", doc_sig);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        if (twilio_verify(doc_token, doc_url, &f, bad) != 0)
            fail_msg("signature changed at %zu accepted: %s", i, bad);
    }
    snprintf(bad, sizeof(bad), "%s", doc_sig);
    bad[TWILIO_SIG_LEN - 2] = '\0'; /* truncated */
    assert_int_equal(twilio_verify(doc_token, doc_url, &f, bad), 0);
    snprintf(bad, sizeof(bad), "%s=", doc_sig); /* one too many */
    assert_int_equal(twilio_verify(doc_token, doc_url, &f, bad), 0);
    assert_int_equal(twilio_verify(doc_token, doc_url, &f, "rsoydt4t1cutdk1pdd93/vvr8b8="), 0);

    assert_int_equal(twilio_verify("12346", doc_url, &f, doc_sig), 0);
    assert_int_equal(twilio_verify("", doc_url, &f, doc_sig), 0);
    assert_int_equal(twilio_verify(NULL, doc_url, &f, doc_sig), 0);
    assert_int_equal(twilio_verify(doc_token, doc_url, &f, NULL), 0);
    assert_int_equal(twilio_verify(doc_token, doc_url, &f, ""), 0);
    assert_int_equal(
        twilio_verify(doc_token, "https://mycompany.com/myapp.php?foo=1&bar=3", &f, doc_sig), 0);
    assert_int_equal(
        twilio_verify(doc_token, "http://mycompany.com/myapp.php?foo=1&bar=2", &f, doc_sig), 0);

    g = make_form(changed_value);
    assert_int_equal(twilio_verify(doc_token, doc_url, &g, doc_sig), 0);
    form_free(&g);
    g = make_form(extra);
    assert_int_equal(twilio_verify(doc_token, doc_url, &g, doc_sig), 0);
    form_free(&g);
    g = make_form(missing);
    assert_int_equal(twilio_verify(doc_token, doc_url, &g, doc_sig), 0);
    form_free(&g);
    form_free(&f);
}

static void test_verify_port_variants(void **state)
{
    /* {url the signature was made for, url the request arrived at, verifies} */
    static const struct {
        const char *signed_url, *url;
        int ok;
    } cases[] = {
        {"https://example.com:443/twilio/sms", "https://example.com/twilio/sms", 1},
        {"https://example.com/twilio/sms", "https://example.com:443/twilio/sms", 1},
        {"http://example.com:80/twilio/sms", "http://example.com/twilio/sms", 1},
        {"http://example.com/twilio/sms", "http://example.com:80/twilio/sms", 1},
        {"https://example.com:443/sms?a=1&b=2", "https://example.com/sms?a=1&b=2", 1},
        {"https://example.com?a=1", "https://example.com:443?a=1", 1},
        {"https://example.com:443", "https://example.com", 1},
        {"https://[2001:db8::1]:443/sms", "https://[2001:db8::1]/sms", 1},
        {"https://[2001:db8::1]/sms", "https://[2001:db8::1]:443/sms", 1},
        {"https://example.com/twilio/sms", "https://example.com/twilio/sms", 1},
        /* not a default port: no variant */
        {"https://example.com:8443/twilio/sms", "https://example.com/twilio/sms", 0},
        {"https://example.com/twilio/sms", "https://example.com:8443/twilio/sms", 0},
        {"https://example.com:8443/twilio/sms", "https://example.com:443/twilio/sms", 0},
        /* the default port of the other scheme */
        {"https://example.com:80/twilio/sms", "https://example.com/twilio/sms", 0},
        {"http://example.com:443/twilio/sms", "http://example.com/twilio/sms", 0},
        {"https://example.com:4430/twilio/sms", "https://example.com/twilio/sms", 0},
        {"https://example.com:44/twilio/sms", "https://example.com/twilio/sms", 0},
        /* a port-looking thing in the path is not a port */
        {"https://example.com/a:443/sms", "https://example.com/a/sms", 0},
        {"https://example.com/twilio/sms", "http://example.com/twilio/sms", 0},
    };
    struct form f = make_form(doc_params);
    char sig[TWILIO_SIG_LEN];
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        sign(doc_token, cases[i].signed_url, &f, sig);
        if (twilio_verify(doc_token, cases[i].url, &f, sig) != cases[i].ok)
            fail_msg("signed for %s, arrived at %s: want %s", cases[i].signed_url, cases[i].url,
                     cases[i].ok ? "valid" : "invalid");
    }
    form_free(&f);
}

/* ---- request body ---- */

static void test_send_body(void **state)
{
    static const struct {
        struct twilio_send s;
        const char *want;
    } cases[] = {
        {{"+14155550123", "+14155550100", "Hi & bye", "https://x.example/status?id=1", 600},
         "To=%2B14155550123&From=%2B14155550100&Body=Hi%20%26%20bye"
         "&StatusCallback=https%3A%2F%2Fx.example%2Fstatus%3Fid%3D1&ValidityPeriod=600"},
        {{"+14155550123", "+14155550100", "a+b=c", NULL, 0},
         "To=%2B14155550123&From=%2B14155550100&Body=a%2Bb%3Dc"},
        {{"+14155550123", "+14155550100", "x", "", 0}, /* empty callback: omitted too */
         "To=%2B14155550123&From=%2B14155550100&Body=x"},
        {{"+14155550123", "+14155550100", "caf\xc3\xa9", NULL, 36000},
         "To=%2B14155550123&From=%2B14155550100&Body=caf%C3%A9&ValidityPeriod=36000"},
        {{"+14155550123", "+14155550100", "x", NULL, 36001},
         "To=%2B14155550123&From=%2B14155550100&Body=x&ValidityPeriod=36000"},
        {{"+14155550123", "+14155550100", "x", NULL, 9000000000LL},
         "To=%2B14155550123&From=%2B14155550100&Body=x&ValidityPeriod=36000"},
        {{"+14155550123", "+14155550100", "x", NULL, 1},
         "To=%2B14155550123&From=%2B14155550100&Body=x&ValidityPeriod=1"},
        {{"+14155550123", "+14155550100", "", NULL, 0},
         "To=%2B14155550123&From=%2B14155550100&Body="},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        struct buf b = BUF_INIT(0);

        assert_int_equal(twilio_send_body(&cases[i].s, &b), 0);
        assert_non_null(b.p);
        if (strcmp(b.p, cases[i].want))
            fail_msg("case %zu:\n got  %s\n want %s", i, b.p, cases[i].want);
        buf_free(&b);
    }
}

static void test_send_body_round_trip(void **state)
{
    struct twilio_send s = {"+14155550123", "+14155550100", "Hello, 1+1=2 & 50% \xf0\x9f\x98\x80",
                            "https://cb.example/s?x=1", 100000};
    struct buf b = BUF_INIT(0);
    struct form f;
    const char *why = NULL;
    size_t where = 0;

    (void)state;
    assert_int_equal(twilio_send_body(&s, &b), 0);
    assert_int_equal(form_parse(b.p, b.len, &f, &why, &where), 0);
    assert_int_equal(f.n, 5);
    assert_string_equal(form_get(&f, "To"), s.to);
    assert_string_equal(form_get(&f, "From"), s.from);
    assert_string_equal(form_get(&f, "Body"), s.body);
    assert_string_equal(form_get(&f, "StatusCallback"), s.status_callback);
    assert_string_equal(form_get(&f, "ValidityPeriod"), "36000");
    form_free(&f);
    buf_free(&b);
}

/* ---- answers ---- */

static void test_parse_send(void **state)
{
    static const struct {
        long status;
        const char *body;
        enum provider_outcome outcome;
        int code;
    } cases[] = {
        /* accepted */
        {201, "{\"sid\":\"SM0123456789abcdef0123456789ABCDEF\",\"status\":\"queued\"}",
         PROVIDER_SENT, 0},
        {200, "{\"sid\":\"SM0123456789abcdef0123456789abcdef\"}", PROVIDER_SENT, 0},
        /* accepted, but no usable sid: never resend blindly */
        {201, "{\"status\":\"queued\"}", PROVIDER_FINAL, 201},
        {201, "{\"sid\":\"SM123\"}", PROVIDER_FINAL, 201},
        {201, "{\"sid\":12345}", PROVIDER_FINAL, 201},
        {201, "{\"sid\":\"SM0123456789abcdef0123456789abcdeg\"}", PROVIDER_FINAL, 201},
        {201, "", PROVIDER_FINAL, 201},
        {201, "not json", PROVIDER_FINAL, 201},
        /* refused for good */
        {400, "{\"code\":21211,\"message\":\"Invalid 'To' Phone Number\",\"status\":400}",
         PROVIDER_FINAL, 21211},
        /* our credentials, not the message: retried (and logged as an error) */
        {401, "{\"code\":20003,\"message\":\"Authenticate\",\"status\":401}", PROVIDER_RETRY,
         20003},
        {403, "", PROVIDER_RETRY, 403},
        {404, "", PROVIDER_FINAL, 404},
        {400, "{}", PROVIDER_FINAL, 400},
        /* opted out at the carrier */
        {400, "{\"code\":21610,\"message\":\"Attempt to send to unsubscribed recipient\"}",
         PROVIDER_OPTED_OUT, 21610},
        /* try again */
        {429, "", PROVIDER_RETRY, 429},
        {429, "{\"code\":20429,\"message\":\"Too Many Requests\"}", PROVIDER_RETRY, 20429},
        {400, "{\"code\":20429}", PROVIDER_RETRY, 20429},
        {400, "{\"code\":21611}", PROVIDER_RETRY, 21611},
        {400, "{\"code\":30001}", PROVIDER_RETRY, 30001},
        {500, "{\"code\":20500,\"message\":\"Internal Server Error\"}", PROVIDER_RETRY, 20500},
        {500, "<html>Internal Server Error</html>", PROVIDER_RETRY, 500},
        {502, "", PROVIDER_RETRY, 502},
        {503, "Service Unavailable", PROVIDER_RETRY, 503},
        {0, "", PROVIDER_RETRY, 0},
        {0, NULL, PROVIDER_RETRY, 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        struct provider_result r;
        const char *body = cases[i].body;

        memset(&r, 0x5a, sizeof(r));
        twilio_parse_send(cases[i].status, body, body ? strlen(body) : 0, &r);
        if (r.outcome != cases[i].outcome || r.error_code != cases[i].code)
            fail_msg("case %zu (HTTP %ld %s): outcome %d code %d, want %d %d", i, cases[i].status,
                     body ? body : "(null)", (int)r.outcome, r.error_code, (int)cases[i].outcome,
                     cases[i].code);
        assert_non_null(memchr(r.error_text, '\0', sizeof(r.error_text)));
        if (r.outcome == PROVIDER_SENT) { /* the body starts {"sid":" then 34 characters */
            assert_int_equal(strlen(r.id), 34);
            assert_memory_equal(r.id, body + 8, 34);
        } else {
            assert_string_equal(r.id, ""); /* no sid unless sent */
        }
    }
}

static void test_parse_send_details(void **state)
{
    static const char ok[] =
        "{\"account_sid\":\"AC0123456789abcdef0123456789abcdef\","
        "\"sid\":\"SMfedcba9876543210fedcba9876543210\",\"status\":\"queued\"}";
    static const char err[] = "{\"code\":21211,\"message\":\"The 'To' number +1555 is not a valid "
                              "phone number.\",\"more_info\":\"https://www.twilio.com/docs/errors/"
                              "21211\",\"status\":400}";
    char huge[600];
    struct provider_result r;

    (void)state;
    twilio_parse_send(201, ok, strlen(ok), &r);
    assert_int_equal(r.outcome, PROVIDER_SENT);
    assert_string_equal(r.id, "SMfedcba9876543210fedcba9876543210");
    assert_int_equal(r.error_code, 0);

    twilio_parse_send(400, err, strlen(err), &r);
    assert_int_equal(r.outcome, PROVIDER_FINAL);
    assert_int_equal(r.error_code, 21211);
    assert_string_equal(r.error_text,
                        "HTTP 400: The 'To' number +1555 is not a valid phone number.");

    twilio_parse_send(503, "", 0, &r);
    assert_string_equal(r.error_text, "HTTP 503");

    /* a long message is cut to fit */
    memcpy(huge, "{\"code\":21211,\"message\":\"", 25);
    memset(huge + 25, 'm', 500);
    memcpy(huge + 25 + 500, "\"}", 3);
    twilio_parse_send(400, huge, strlen(huge), &r);
    assert_int_equal(r.error_code, 21211);
    assert_true(strlen(r.error_text) < sizeof(r.error_text));
    assert_int_equal(strncmp(r.error_text, "HTTP 400: mmm", 13), 0);

    /* len bounds the body: the sid is outside the first 2 bytes */
    twilio_parse_send(201, ok, 2, &r);
    assert_int_equal(r.outcome, PROVIDER_FINAL);
}

static void test_sid_valid(void **state)
{
    static const char *good[] = {"SM0123456789abcdef0123456789abcdef",
                                 "MM0123456789ABCDEF0123456789ABCDEF",
                                 "AC00000000000000000000000000000000"};
    static const char *bad[] = {
        "",
        "SM",
        "SM0123456789abcdef0123456789abcde",   /* 31 hex */
        "SM0123456789abcdef0123456789abcdef0", /* 33 hex */
        "sm0123456789abcdef0123456789abcdef",  /* lower-case prefix */
        "S10123456789abcdef0123456789abcdef",
        "1M0123456789abcdef0123456789abcdef",
        "SM0123456789abcdef0123456789abcdeg", /* not hex */
        "SM 123456789abcdef0123456789abcdef",
        "SM0123456789abcdef0123456789abcde\n",
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(good); i++)
        if (!twilio_sid_valid(good[i]))
            fail_msg("\"%s\" refused", good[i]);
    for (i = 0; i < N(bad); i++)
        if (twilio_sid_valid(bad[i]))
            fail_msg("\"%s\" accepted", bad[i]);
    assert_int_equal(twilio_sid_valid(NULL), 0);
}

struct listed_seen {
    int n, inbound;
    char last_sid[64], last_body[64];
    int media;
    int64_t sent_at;
};

static int on_listed(void *arg, const struct twilio_listed *m)
{
    struct listed_seen *l = arg;

    l->n++;
    l->inbound += m->inbound;
    snprintf(l->last_sid, sizeof(l->last_sid), "%s", m->sid);
    snprintf(l->last_body, sizeof(l->last_body), "%s", m->body);
    l->media = m->num_media;
    l->sent_at = m->sent_at;
    return 0;
}

/* A ListMessage page as reconciliation reads it: bad entries skipped, only same-API next pages. */
static void test_parse_list(void **state)
{
    const char *page =
        "{\"messages\": ["
        "{\"sid\": \"SM0123456789abcdef0123456789abcdef\", \"from\": \"+15559870001\","
        " \"to\": \"+15005550006\", \"body\": \"hi\", \"direction\": \"inbound\","
        " \"num_media\": \"2\", \"date_sent\": \"Wed, 25 Nov 2026 03:10:39 +0000\"},"
        "{\"sid\": \"not-a-sid\", \"from\": \"+15559870001\", \"to\": \"+15005550006\"},"
        "{\"sid\": \"SMfedcba9876543210fedcba9876543210\", \"from\": \"+15005550006\","
        " \"to\": \"+15559870001\", \"body\": null, \"direction\": \"outbound-api\"}],"
        " \"next_page_uri\": \"/2010-04-01/Accounts/AC1/Messages.json?Page=1\"}";
    const char *away = "{\"messages\": [], \"next_page_uri\": \"https://elsewhere.example/x\"}";
    struct listed_seen l = {0};
    char next[128];
    int skipped;

    (void)state;
    assert_int_equal(
        twilio_parse_list(page, strlen(page), on_listed, &l, next, sizeof(next), &skipped), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.sent_at, 0); /* the last had no date_sent */
    assert_int_equal(l.inbound, 1);
    assert_int_equal(skipped, 1);
    assert_string_equal(l.last_sid, "SMfedcba9876543210fedcba9876543210");
    assert_string_equal(l.last_body, ""); /* a redacted body reads as empty */
    assert_string_equal(next, "/2010-04-01/Accounts/AC1/Messages.json?Page=1");
    assert_int_equal(
        twilio_parse_list(away, strlen(away), on_listed, &l, next, sizeof(next), &skipped), 0);
    assert_string_equal(next, ""); /* never followed off the API */
    assert_int_equal(twilio_parse_list("[]", 2, on_listed, &l, next, sizeof(next), &skipped), -1);
    assert_int_equal(twilio_parse_list("{", 1, on_listed, &l, next, sizeof(next), &skipped), -1);
}

/* Twilio's RFC 2822 dates, as ListMessage has them; anything else is refused. */
static void test_parse_date(void **state)
{
    int64_t ms = 0;

    (void)state;
    assert_int_equal(twilio_parse_date("Thu, 01 Jan 1970 00:00:00 +0000", &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(twilio_parse_date("Wed, 25 Nov 2026 03:10:39 +0000", &ms), 0);
    assert_int_equal(ms, 1795576239000LL);
    assert_int_equal(twilio_parse_date("Tue, 29 Feb 2028 23:59:59 -0130", &ms), 0);
    assert_int_equal(ms, 1835481599000LL + 5400000LL);
    assert_int_equal(twilio_parse_date(NULL, &ms), -1);
    assert_int_equal(twilio_parse_date("", &ms), -1);
    assert_int_equal(twilio_parse_date("2026-11-25T03:10:39Z", &ms), -1);
    assert_int_equal(twilio_parse_date("Wed, 25 Now 2026 03:10:39 +0000", &ms), -1);
    assert_int_equal(twilio_parse_date("Wed, 25 Nov 2026 24:10:39 +0000", &ms), -1);
    assert_int_equal(twilio_parse_date("Wed, 25 Nov 2026 03:10:39 +0000 ", &ms), -1);
    assert_int_equal(twilio_parse_date("Wed, 25 Nov 2026 03:10:39 0000", &ms), -1);
    assert_int_equal(twilio_parse_date("Wed, 2x Nov 2026 03:10:39 +0000", &ms), -1);
}

/*
 * A provider's error text is stored: cut to fit, it keeps whole characters
 * (PostgreSQL refuses a split one, and the send's result would be lost).
 */
static void test_error_text_is_whole_characters(void **state)
{
    struct provider_result r;
    char msg[400], body[600];
    size_t i;

    (void)state;
    /* 119 'a's, then 2-byte e-acutes: the message's cut at 120 bytes splits one. */
    memset(msg, 'a', 119);
    for (i = 0; i < 40; i++)
        memcpy(msg + 119 + 2 * i, "\xc3\xa9", 2);
    msg[119 + 80] = '\0';
    snprintf(body, sizeof(body), "{\"code\":21211,\"message\":\"%s\",\"status\":400}", msg);
    twilio_parse_send(400, body, strlen(body), &r);
    assert_int_equal(r.error_code, 21211);
    assert_true(strlen(r.error_text) < sizeof(r.error_text));
    assert_true(utf8_valid(r.error_text, strlen(r.error_text)));
    /* A byte that is not UTF-8 is kept out, as '?'. */
    utf8_copy(r.error_text, sizeof(r.error_text), "bad \xff byte");
    assert_string_equal(r.error_text, "bad ? byte");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_text_is_whole_characters),
        cmocka_unit_test(test_signature_documented_example),
        cmocka_unit_test(test_signature_sorting),
        cmocka_unit_test(test_verify_documented_example),
        cmocka_unit_test(test_verify_port_variants),
        cmocka_unit_test(test_send_body),
        cmocka_unit_test(test_send_body_round_trip),
        cmocka_unit_test(test_parse_send),
        cmocka_unit_test(test_parse_send_details),
        cmocka_unit_test(test_sid_valid),
        cmocka_unit_test(test_parse_list),
        cmocka_unit_test(test_parse_date),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
