/*
 * twilio.h - the Twilio wire formats, as pure functions: the webhook
 * signature (X-Twilio-Signature), the Messages API request body, and the
 * classification of its answers (SPEC section 6).
 *
 * No I/O here: the HTTP edge (serve.c), the sender (sender.c) and the
 * simulator (sim.c) call these with bytes they already have. The provider
 * interface (provider.h) for Twilio, provider_twilio, is built from them.
 */
#ifndef PEERLINE_TWILIO_H
#define PEERLINE_TWILIO_H

#include <stddef.h>
#include <stdint.h>

#include "provider.h"

struct buf;
struct form;

/* Base64 of a 20-byte HMAC-SHA1, plus NUL. */
#define TWILIO_SIG_LEN 29
#define TWILIO_SID_MAX 64

/*
 * Computes the signature Twilio sends for a POST to `url` with `params`:
 * base64(HMAC-SHA1(auth_token, url + each key+value sorted by key then
 * value)). Returns 0, or -1 if the URL is too long or memory ran out.
 */
int twilio_signature(const char *auth_token, const char *url, const struct form *params,
                     char out[TWILIO_SIG_LEN]);

/*
 * 1 when `signature` matches `url`, or `url` with its default port added or
 * removed (the variants Twilio's own validators accept); compared in
 * constant time. 0 otherwise, including a missing signature.
 */
int twilio_verify(const char *auth_token, const char *url, const struct form *params,
                  const char *signature);

/* One outbound text, as the sender hands it over. */
struct twilio_send {
    const char *to, *from, *body;
    const char *status_callback; /* may be NULL */
    int64_t validity_s;          /* 0: omit; else clamped to 1..36000 */
};

/* The form body for POST .../Messages.json. */
int twilio_send_body(const struct twilio_send *s, struct buf *out);

/* Classifies an answer of the Messages API. http_status 0 = network error. */
void twilio_parse_send(long http_status, const char *body, size_t len, struct provider_result *r);

/* SPEC: SIDs look like two letters then 32 hex digits. */
int twilio_sid_valid(const char *sid);

/* One message of a ListMessage page, as reconciliation needs it. */
struct twilio_listed {
    const char *sid, *from, *to, *body; /* valid until the parse returns */
    int inbound;                        /* direction "inbound" */
    int num_media;
    int64_t sent_at; /* date_sent in ms since the epoch; 0 when missing or unreadable */
};

/*
 * Twilio's dates (RFC 2822 as Twilio writes them: "Wed, 25 Nov 2026
 * 03:10:39 +0000") to ms since the epoch. Returns 0, or -1 when s is not
 * such a date.
 */
int twilio_parse_date(const char *s, int64_t *ms);

/*
 * Reads one page of GET .../Messages.json: fn is called for each message
 * whose sid, from and to are well formed (others are skipped and counted in
 * *skipped); the next page's URI (relative, "/2010-04-01/...") goes to next
 * (room for nextlen; "" on the last page). Returns 0, or -1 when the body
 * is not a message list at all. fn returning non-zero stops the walk (-1).
 */
int twilio_parse_list(const char *body, size_t len,
                      int (*fn)(void *arg, const struct twilio_listed *m), void *arg, char *next,
                      size_t nextlen, int *skipped);

#endif
