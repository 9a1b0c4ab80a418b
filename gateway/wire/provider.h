/*
 * provider.h - the one small interface every telecom provider sits behind:
 * checking and reading its webhooks (inbound texts and delivery statuses),
 * and building and reading its send requests. provider_for() picks the
 * provider named by provider.kind; adding a third is one new file that
 * fills a struct provider, and one entry in provider.c's table.
 *
 * Pure: no I/O and no clock reads. The HTTP edge (webhook.c), the sender
 * (sender.c) and the simulator call these with bytes they already have.
 */
#ifndef PEERLINE_PROVIDER_H
#define PEERLINE_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct buf;
struct http_request;
struct http_response;

/* Longest provider id kept: Twilio's 34-character SIDs, Telnyx's 36-character UUIDs. */
#define PROVIDER_ID_MAX 64

/* ---- sending ---- */

/* Where and how texts are sent: fixed for a config, so worked out once. */
struct provider_endpoint {
    char url[1024];
    char userpwd[512];        /* HTTP Basic "user:password"; "" when not used */
    char authorization[640];  /* a whole "Authorization: ..." header line; "" when not used */
    const char *content_type; /* of the request body (a static string) */
};

/* One outbound text, as the sender hands it over. */
struct provider_send {
    const char *to, *from, *body;
    int64_t validity_s; /* its remaining useful life; 0: omit */
};

enum provider_outcome {
    PROVIDER_SENT,      /* accepted, with an id */
    PROVIDER_RETRY,     /* later: rate limits, 5xx, our credentials, network */
    PROVIDER_FINAL,     /* will never succeed */
    PROVIDER_OPTED_OUT, /* the recipient opted out at the carrier */
};

struct provider_result {
    enum provider_outcome outcome;
    char id[PROVIDER_ID_MAX]; /* PROVIDER_SENT */
    int error_code;           /* the provider's code, or the HTTP status when there is none */
    char error_text[160];     /* short, safe to log (never message text) */
};

/* ---- webhooks ---- */

enum provider_event {
    PROVIDER_EV_TEXT,    /* a text to one of the line's numbers */
    PROVIDER_EV_STATUS,  /* what became of a text we sent */
    PROVIDER_EV_IGNORED, /* well formed, signed, and of no interest: acknowledged only */
};

/* A webhook, read. */
struct provider_inbound {
    enum provider_event kind;
    /* TEXT: what dedupes it (a retried webhook carries the same); STATUS: the sent text's id. */
    char id[PROVIDER_ID_MAX];
    /* TEXT */
    char from[24], to[24];
    char *body; /* malloc'd; "" when the text had none */
    int num_media;
    /* STATUS: in Twilio's words (sent, delivered, undelivered, failed, ...); code 0 when none */
    char status[24];
    int error_code;
};

/* How a webhook was refused; why says what and where, for the 400 or the log. */
enum provider_verdict {
    PROVIDER_OK = 0,
    PROVIDER_BAD,    /* 400: not a webhook this provider sends */
    PROVIDER_FORGED, /* 403: missing, wrong or stale signature */
};

struct provider {
    const char *name; /* as provider.kind says it */
    /* The webhook paths it posts to, NULL-terminated. */
    const char *const *paths;
    /* The provider waits this long for a webhook's answer, then counts it failed. */
    int answer_within_ms;
    /* The send or status error code meaning "the recipient opted out at the carrier". */
    int opted_out_code;
    /* Is req from the provider? now_s is Unix seconds (for signed timestamps). */
    enum provider_verdict (*verify)(const struct config *cfg, const struct http_request *req,
                                    int64_t now_s, char *why, size_t whylen);
    /* Reads a verified webhook into *in (free with provider_inbound_free, whatever it returns). */
    enum provider_verdict (*parse)(const struct http_request *req, struct provider_inbound *in,
                                   char *why, size_t whylen);
    /* The answer once the webhook is safely stored (or needs nothing stored). */
    void (*answer)(const struct http_request *req, const struct provider_inbound *in,
                   struct http_response *res);
    /* Where and how to send; -1 with err when the config's values do not fit. */
    int (*endpoint)(const struct config *cfg, struct provider_endpoint *ep, char *err,
                    size_t errlen);
    /* The request body sending s. */
    int (*send_body)(const struct config *cfg, const struct provider_send *s, struct buf *out);
    /* Classifies the answer to a send. http_status 0 = network error. */
    void (*parse_send)(long http_status, const char *body, size_t len, struct provider_result *r);
};

extern const struct provider provider_twilio;
extern const struct provider provider_telnyx;

/* The provider provider.kind names. */
const struct provider *provider_for(const struct config *cfg);

/* 1 when path is one of p's webhook paths. */
int provider_owns_path(const struct provider *p, const char *path);

void provider_inbound_free(struct provider_inbound *in);

#endif
