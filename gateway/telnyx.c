/*
 * telnyx.c - see telnyx.h.
 */
#include "telnyx.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/*
 * Strict base64 (RFC 4648, padded) of exactly `want` bytes into out.
 * Returns 0, or -1 when s is not that.
 */
static int b64_exact(const char *s, unsigned char *out, size_t want)
{
    unsigned char tmp[96];
    size_t n = s ? strlen(s) : 0, pad = 0;
    int got;

    if (!n || n % 4 || n > sizeof(tmp) / 3 * 4)
        return -1;
    pad = (s[n - 1] == '=') + (n > 1 && s[n - 2] == '=');
    got = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
    if (got < 0 || (size_t)got - pad != want)
        return -1;
    memcpy(out, tmp, want);
    return 0;
}

int telnyx_public_key_valid(const char *s)
{
    unsigned char key[32];

    return !b64_exact(s, key, sizeof(key));
}

/* Unix seconds, digits only, 1 to 12 of them. */
static int parse_seconds(const char *s, int64_t *v)
{
    size_t i;

    *v = 0;
    if (!s || !*s || strlen(s) > 12)
        return -1;
    for (i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

enum telnyx_verdict telnyx_verify(const char *public_key_b64, const char *timestamp,
                                  const char *body, size_t len, const char *signature_b64,
                                  int64_t now_s, const char **why)
{
    unsigned char key[32], sig[64];
    EVP_PKEY *pk = NULL;
    EVP_MD_CTX *md = NULL;
    unsigned char *msg = NULL;
    size_t tlen;
    int64_t ts;
    enum telnyx_verdict v = TELNYX_MALFORMED;

    if (b64_exact(public_key_b64, key, sizeof(key))) {
        *why = "provider.public_key is not the base64 of an Ed25519 public key";
        return v;
    }
    if (parse_seconds(timestamp, &ts)) {
        *why = "missing or malformed telnyx-timestamp";
        return v;
    }
    if (b64_exact(signature_b64, sig, sizeof(sig))) {
        *why = "missing or malformed telnyx-signature-ed25519";
        return v;
    }
    if (ts < now_s - TELNYX_TOLERANCE_S || ts > now_s + TELNYX_TOLERANCE_S) {
        *why = "telnyx-timestamp is more than 300 s from now";
        return TELNYX_STALE;
    }
    tlen = strlen(timestamp);
    msg = malloc(tlen + 1 + len);
    pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key, sizeof(key));
    md = EVP_MD_CTX_new();
    if (!msg || !pk || !md) {
        *why = "out of memory";
        goto done;
    }
    memcpy(msg, timestamp, tlen);
    msg[tlen] = '|';
    if (len)
        memcpy(msg + tlen + 1, body, len);
    v = TELNYX_FORGED;
    *why = "signature does not match";
    if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1 &&
        EVP_DigestVerify(md, sig, sizeof(sig), msg, tlen + 1 + len) == 1) {
        v = TELNYX_OK;
        *why = "";
    }
done:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    free(msg);
    return v;
}
