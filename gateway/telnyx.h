/*
 * telnyx.h - Telnyx's webhook signatures (issue 9's first piece).
 *
 * Telnyx signs every webhook with Ed25519: the telnyx-signature-ed25519
 * header is the base64 of a 64-byte signature over
 * "{telnyx-timestamp}|{raw body}", checked against the account's public key
 * (base64 of 32 bytes, provider.public_key). A timestamp more than
 * TELNYX_TOLERANCE_S away from now is refused, so a recorded webhook cannot
 * be replayed later. Pure: no I/O, the time is the caller's.
 */
#ifndef PEERLINE_TELNYX_H
#define PEERLINE_TELNYX_H

#include <stddef.h>
#include <stdint.h>

#define TELNYX_TOLERANCE_S 300

enum telnyx_verdict {
    TELNYX_OK,
    TELNYX_MALFORMED, /* a header or the key is missing or not what Telnyx sends */
    TELNYX_STALE,     /* signed too long ago (or in the future) */
    TELNYX_FORGED     /* well formed, but not signed by that key over this body */
};

/* 1 when s is the base64 of 32 bytes (an Ed25519 public key), as provider.public_key must be. */
int telnyx_public_key_valid(const char *s);

/*
 * Checks one webhook. now_s is Unix seconds. On anything but TELNYX_OK,
 * *why says what was wrong (a static string).
 */
enum telnyx_verdict telnyx_verify(const char *public_key_b64, const char *timestamp,
                                  const char *body, size_t len, const char *signature_b64,
                                  int64_t now_s, const char **why);

#endif
