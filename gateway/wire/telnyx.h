/*
 * telnyx.h - the Telnyx wire formats, as pure functions: webhook
 * signatures, webhook events, and the Messages API's requests and answers.
 * provider_telnyx (provider.h) is built from them.
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

#include "provider.h"

#define TELNYX_TOLERANCE_S 300

enum telnyx_verdict {
    TELNYX_OK,
    TELNYX_MALFORMED, /* a header or the key is missing or not what Telnyx sends */
    TELNYX_STALE,     /* signed too long ago (or in the future) */
    TELNYX_FORGED     /* well formed, but not signed by that key over this body */
};

/*
 * Checks one webhook. now_s is Unix seconds. On anything but TELNYX_OK,
 * *why says what was wrong (a static string).
 */
enum telnyx_verdict telnyx_verify(const char *public_key_b64, const char *timestamp,
                                  const char *body, size_t len, const char *signature_b64,
                                  int64_t now_s, const char **why);

/* 1 when id looks like a Telnyx id (a UUID; any 1 to 63 of letters, digits, '-', '_'). */
int telnyx_id_valid(const char *id);

/*
 * Reads one webhook body (message.received: a text; message.sent and
 * message.finalized: a delivery status in Twilio's words; anything else:
 * ignored). Texts are deduplicated by the event's id (data.id), statuses
 * belong to the sent message's id (data.payload.id). Free *in with
 * provider_inbound_free whatever this returns.
 */
enum provider_verdict telnyx_parse_event(const char *body, size_t len, struct provider_inbound *in,
                                         char *why, size_t whylen);

/* One outbound text, as POST {api_base}/v2/messages takes it. */
struct telnyx_send {
    const char *to, *from, *body;
    const char *webhook_url;          /* delivery events go here; may be NULL */
    const char *messaging_profile_id; /* may be NULL or "" */
};

/* The JSON body for POST /v2/messages. */
int telnyx_send_body(const struct telnyx_send *s, struct buf *out);

/* Classifies an answer of POST /v2/messages. http_status 0 = network error. */
void telnyx_parse_send(long http_status, const char *body, size_t len, struct provider_result *r);

extern const struct provider provider_telnyx;

#endif
