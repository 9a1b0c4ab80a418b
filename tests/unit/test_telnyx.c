/*
 * test_telnyx.c - Telnyx's webhook signatures: Ed25519 over
 * "{timestamp}|{raw body}" with the account's public key; a changed body,
 * timestamp or key is forged, an old or future timestamp is stale, and
 * anything not shaped as Telnyx sends it is malformed, saying which. Then
 * the rest of the wire: webhook events read (texts deduplicated by event
 * id, statuses in Twilio's words), the send request's JSON, and the
 * Messages API's answers classified.
 */
#include "buf.h"
#include "telnyx.h"

#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define NOW 1795576239LL

struct keys {
    char pub[64];
    char other_pub[64];
    EVP_PKEY *key;
};

static void b64(const unsigned char *in, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static EVP_PKEY *new_key(char pub[64])
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    EVP_PKEY *k = NULL;
    unsigned char raw[32];
    size_t n = sizeof(raw);

    assert_non_null(c);
    assert_int_equal(EVP_PKEY_keygen_init(c), 1);
    assert_int_equal(EVP_PKEY_keygen(c, &k), 1);
    EVP_PKEY_CTX_free(c);
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, raw, &n), 1);
    b64(raw, n, pub);
    return k;
}

/* The signature Telnyx would send for timestamp|body. */
static void sign(EVP_PKEY *k, const char *ts, const char *body, char sig[96])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char msg[512], raw[64];
    size_t n = sizeof(raw);
    int len = snprintf((char *)msg, sizeof(msg), "%s|%s", ts, body);

    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, raw, &n, msg, (size_t)len), 1);
    EVP_MD_CTX_free(md);
    b64(raw, n, sig);
}

static int setup(void **state)
{
    static struct keys k;
    EVP_PKEY *other;

    k.key = new_key(k.pub);
    other = new_key(k.other_pub);
    EVP_PKEY_free(other);
    *state = &k;
    return 0;
}

static int teardown(void **state)
{
    struct keys *k = *state;

    EVP_PKEY_free(k->key);
    return 0;
}

static const char BODY[] = "{\"data\":{\"event_type\":\"message.received\",\"id\":\"b3e1\","
                           "\"payload\":{\"text\":\"hi\"}}}";

static void a_signed_webhook_verifies(void **state)
{
    struct keys *k = *state;
    char sig[96];
    const char *why = NULL;

    sign(k->key, "1795576239", BODY, sig);
    assert_int_equal(telnyx_verify(k->pub, "1795576239", BODY, strlen(BODY), sig, NOW, &why),
                     TELNYX_OK);
    /* Within the tolerance either way. */
    assert_int_equal(telnyx_verify(k->pub, "1795576239", BODY, strlen(BODY), sig,
                                   NOW + TELNYX_TOLERANCE_S, &why),
                     TELNYX_OK);
    assert_int_equal(telnyx_verify(k->pub, "1795576239", BODY, strlen(BODY), sig,
                                   NOW - TELNYX_TOLERANCE_S, &why),
                     TELNYX_OK);
}

static void anything_changed_is_forged(void **state)
{
    struct keys *k = *state;
    char sig[96], body[sizeof(BODY)];
    const char *why = NULL;

    sign(k->key, "1795576239", BODY, sig);
    memcpy(body, BODY, sizeof(BODY));
    body[sizeof(BODY) - 5] = 'X'; /* the text changed in transit */
    assert_int_equal(telnyx_verify(k->pub, "1795576239", body, strlen(body), sig, NOW, &why),
                     TELNYX_FORGED);
    assert_string_equal(why, "signature does not match");
    /* The same signature with another timestamp, or checked with another key. */
    assert_int_equal(telnyx_verify(k->pub, "1795576240", BODY, strlen(BODY), sig, NOW, &why),
                     TELNYX_FORGED);
    assert_int_equal(telnyx_verify(k->other_pub, "1795576239", BODY, strlen(BODY), sig, NOW, &why),
                     TELNYX_FORGED);
    /* A body cut short. */
    assert_int_equal(telnyx_verify(k->pub, "1795576239", BODY, strlen(BODY) - 1, sig, NOW, &why),
                     TELNYX_FORGED);
}

static void old_or_future_timestamps_are_stale(void **state)
{
    struct keys *k = *state;
    char sig[96];
    const char *why = NULL;

    sign(k->key, "1795576239", BODY, sig);
    assert_int_equal(telnyx_verify(k->pub, "1795576239", BODY, strlen(BODY), sig,
                                   NOW + TELNYX_TOLERANCE_S + 1, &why),
                     TELNYX_STALE);
    assert_int_equal(telnyx_verify(k->pub, "1795576239", BODY, strlen(BODY), sig,
                                   NOW - TELNYX_TOLERANCE_S - 1, &why),
                     TELNYX_STALE);
}

static void malformed_headers_and_keys_say_which(void **state)
{
    struct keys *k = *state;
    char sig[96];
    const char *why = NULL;

    sign(k->key, "1795576239", BODY, sig);
    assert_int_equal(telnyx_verify(k->pub, NULL, BODY, strlen(BODY), sig, NOW, &why),
                     TELNYX_MALFORMED);
    assert_string_equal(why, "missing or malformed telnyx-timestamp");
    assert_int_equal(telnyx_verify(k->pub, "17955x6239", BODY, strlen(BODY), sig, NOW, &why),
                     TELNYX_MALFORMED);
    assert_int_equal(telnyx_verify(k->pub, "1795576239", BODY, strlen(BODY), NULL, NOW, &why),
                     TELNYX_MALFORMED);
    assert_string_equal(why, "missing or malformed telnyx-signature-ed25519");
    assert_int_equal(telnyx_verify(k->pub, "1795576239", BODY, strlen(BODY), "c2ln", NOW, &why),
                     TELNYX_MALFORMED);
    sig[5] = '*';
    assert_int_equal(telnyx_verify(k->pub, "1795576239", BODY, strlen(BODY), sig, NOW, &why),
                     TELNYX_MALFORMED);
    assert_int_equal(telnyx_verify("", "1795576239", BODY, strlen(BODY), sig, NOW, &why),
                     TELNYX_MALFORMED);
    assert_string_equal(why, "provider.public_key is not the base64 of an Ed25519 public key");
    assert_int_equal(telnyx_verify("AAAA", "1795576239", BODY, strlen(BODY), sig, NOW, &why),
                     TELNYX_MALFORMED);
}

#define RECEIVED(payload)                                                                          \
    "{\"data\":{\"record_type\":\"event\",\"event_type\":\"message.received\","                    \
    "\"id\":\"bf6307bd-884d-4c1f-b6ea-c62b8c495d3c\",\"payload\":" payload "}}"

static enum provider_verdict parse(const char *body, struct provider_inbound *in, char *why)
{
    return telnyx_parse_event(body, strlen(body), in, why, 200);
}

static void a_received_text_is_read(void **state)
{
    struct provider_inbound in;
    char why[200];

    (void)state;
    assert_int_equal(
        parse(RECEIVED("{\"id\":\"7ee4241c-f127-47e5-9c34-3aac291f8058\","
                       "\"direction\":\"inbound\",\"type\":\"MMS\","
                       "\"from\":{\"phone_number\":\"+15551230001\",\"carrier\":\"x\"},"
                       "\"to\":[{\"phone_number\":\"+15005550006\"}],"
                       "\"text\":\"hola \\u00e9\",\"media\":[{\"url\":\"u\"},{}]}"),
              &in, why),
        PROVIDER_OK);
    assert_int_equal(in.kind, PROVIDER_EV_TEXT);
    /* Deduplicated by the event's id: a retried webhook carries the same one. */
    assert_string_equal(in.id, "bf6307bd-884d-4c1f-b6ea-c62b8c495d3c");
    assert_string_equal(in.from, "+15551230001");
    assert_string_equal(in.to, "+15005550006");
    assert_string_equal(in.body, "hola \xc3\xa9");
    assert_int_equal(in.num_media, 2);
    provider_inbound_free(&in);

    /* No text at all (a picture alone): an empty body. */
    assert_int_equal(parse(RECEIVED("{\"from\":{\"phone_number\":\"+15551230001\"},"
                                    "\"to\":[{\"phone_number\":\"+15005550006\"}],\"text\":null}"),
                           &in, why),
                     PROVIDER_OK);
    assert_string_equal(in.body, "");
    provider_inbound_free(&in);
}

static void delivery_events_speak_twilios_words(void **state)
{
    static const struct {
        const char *type, *status, *errors, *want;
        int code;
    } cases[] = {
        {"message.sent", "sent", "[]", "sent", 0},
        {"message.finalized", "delivered", "[]", "delivered", 0},
        {"message.finalized", "delivery_failed", "[{\"code\":\"40300\"}]", "undelivered", 40300},
        {"message.finalized", "sending_failed", "[{\"code\":40008}]", "failed", 40008},
        {"message.finalized", "expired", "[]", "undelivered", 0},
        {"message.finalized", "delivery_unconfirmed", "[]", "sent", 0},
    };
    struct provider_inbound in;
    char body[600], why[200];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(body, sizeof(body),
                 "{\"data\":{\"event_type\":\"%s\",\"id\":\"86f58db9-0fe3-4adc-9d1f-46e66e6e9323\","
                 "\"payload\":{\"id\":\"40385f64-5717-4562-b3fc-2c963f66afa6\","
                 "\"to\":[{\"phone_number\":\"+15551230001\",\"status\":\"%s\"}],\"errors\":%s}}}",
                 cases[i].type, cases[i].status, cases[i].errors);
        assert_int_equal(parse(body, &in, why), PROVIDER_OK);
        assert_int_equal(in.kind, PROVIDER_EV_STATUS);
        /* A status belongs to the sent message's id, the one POST /v2/messages gave. */
        assert_string_equal(in.id, "40385f64-5717-4562-b3fc-2c963f66afa6");
        assert_string_equal(in.status, cases[i].want);
        assert_int_equal(in.error_code, cases[i].code);
        provider_inbound_free(&in);
    }
    /* Events of no interest are acknowledged, not refused. */
    assert_int_equal(
        parse("{\"data\":{\"event_type\":\"number_order.complete\",\"id\":\"e-1\"}}", &in, why),
        PROVIDER_OK);
    assert_int_equal(in.kind, PROVIDER_EV_IGNORED);
    provider_inbound_free(&in);
}

static void bad_events_say_what_and_where(void **state)
{
    static const struct {
        const char *body, *why;
    } cases[] = {
        {"{\"data\":", "bad JSON at byte"},
        {"[]", "data.event_type is missing"},
        {"{\"data\":{\"event_type\":\"message.received\",\"id\":\"a\",\"id\":\"b\"}}",
         "bad JSON at byte"},
        {"{\"data\":{\"event_type\":\"message.received\"}}", "data.id is missing or malformed"},
        {"{\"data\":{\"event_type\":\"message.received\",\"id\":\"x y\"}}",
         "data.id is missing or malformed"},
        {RECEIVED("{}"), "data.payload.from.phone_number must be an E.164 phone number"},
        {RECEIVED("{\"from\":{\"phone_number\":\"5551230001\"}}"),
         "data.payload.from.phone_number must be an E.164 phone number"},
        {RECEIVED("{\"from\":{\"phone_number\":\"+15551230001\"},\"to\":[]}"),
         "data.payload.to[0].phone_number must be an E.164 phone number"},
        {RECEIVED("{\"from\":{\"phone_number\":\"+15551230001\"},"
                  "\"to\":[{\"phone_number\":\"+15005550006\"}],\"text\":7}"),
         "data.payload.text must be a string"},
        {"{\"data\":{\"event_type\":\"message.finalized\",\"id\":\"e-1\",\"payload\":{\"id\":\"\"}}"
         "}",
         "data.payload.id is missing or malformed"},
        {"{\"data\":{\"event_type\":\"message.finalized\",\"id\":\"e-1\",\"payload\":{\"id\":\"m-"
         "1\","
         "\"to\":[{\"status\":\"DROP TABLE\"}]}}}",
         "data.payload.to[0].status is missing or malformed"},
    };
    struct provider_inbound in;
    char why[200];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(cases[i].body, &in, why), PROVIDER_BAD);
        if (!strstr(why, cases[i].why))
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, why, cases[i].why);
        provider_inbound_free(&in);
    }
}

static void the_send_request_is_telnyx_json(void **state)
{
    struct buf b = BUF_INIT(0);
    struct telnyx_send s = {"+15551230001", "+15005550007", "two \"words\"\n",
                            "https://line.example.org/telnyx/sms", "prof-1"};

    (void)state;
    assert_int_equal(telnyx_send_body(&s, &b), 0);
    assert_string_equal(b.p, "{\"from\":\"+15005550007\",\"to\":\"+15551230001\","
                             "\"text\":\"two \\\"words\\\"\\n\",\"webhook_url\":"
                             "\"https://line.example.org/telnyx/sms\","
                             "\"use_profile_webhooks\":false,\"messaging_profile_id\":\"prof-1\"}");
    buf_free(&b);
    s.messaging_profile_id = "";
    assert_int_equal(telnyx_send_body(&s, &b), 0);
    assert_null(strstr(b.p, "messaging_profile_id"));
    buf_free(&b);
}

static void send_answers_are_classified(void **state)
{
    static const struct {
        long http;
        const char *body;
        enum provider_outcome want;
        int code;
    } cases[] = {
        {200, "{\"data\":{\"id\":\"40385f64-5717-4562-b3fc-2c963f66afa6\"}}", PROVIDER_SENT, 0},
        {200, "{\"data\":{}}", PROVIDER_FINAL, 200},
        {200, "", PROVIDER_FINAL, 200},
        {401, "{\"errors\":[{\"code\":\"10009\",\"title\":\"Authentication failed\"}]}",
         PROVIDER_RETRY, 10009},
        {422, "{\"errors\":[{\"code\":\"10004\",\"title\":\"Missing required parameter\"}]}",
         PROVIDER_FINAL, 10004},
        {400, "{\"errors\":[{\"code\":\"40300\",\"title\":\"Blocked due to STOP message\"}]}",
         PROVIDER_OPTED_OUT, 40300},
        {429, "{\"errors\":[{\"code\":\"10011\"}]}", PROVIDER_RETRY, 10011},
        {500, "<html>", PROVIDER_RETRY, 500},
        {404, "", PROVIDER_FINAL, 404},
        {0, NULL, PROVIDER_RETRY, 0},
    };
    struct provider_result r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        telnyx_parse_send(cases[i].http, cases[i].body, cases[i].body ? strlen(cases[i].body) : 0,
                          &r);
        assert_int_equal(r.outcome, cases[i].want);
        assert_int_equal(r.error_code, cases[i].code);
        if (r.outcome == PROVIDER_SENT)
            assert_string_equal(r.id, "40385f64-5717-4562-b3fc-2c963f66afa6");
        else
            assert_string_equal(r.id, "");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_signed_webhook_verifies),
        cmocka_unit_test(anything_changed_is_forged),
        cmocka_unit_test(old_or_future_timestamps_are_stale),
        cmocka_unit_test(malformed_headers_and_keys_say_which),
        cmocka_unit_test(a_received_text_is_read),
        cmocka_unit_test(delivery_events_speak_twilios_words),
        cmocka_unit_test(bad_events_say_what_and_where),
        cmocka_unit_test(the_send_request_is_telnyx_json),
        cmocka_unit_test(send_answers_are_classified),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
