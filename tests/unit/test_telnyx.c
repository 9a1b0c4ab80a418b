/*
 * test_telnyx.c - Telnyx's webhook signatures: Ed25519 over
 * "{timestamp}|{raw body}" with the account's public key; a changed body,
 * timestamp or key is forged, an old or future timestamp is stale, and
 * anything not shaped as Telnyx sends it is malformed, saying which.
 */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_signed_webhook_verifies),
        cmocka_unit_test(anything_changed_is_forged),
        cmocka_unit_test(old_or_future_timestamps_are_stale),
        cmocka_unit_test(malformed_headers_and_keys_say_which),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
