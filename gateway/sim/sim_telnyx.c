/*
 * sim_telnyx.c - the simulator speaking Telnyx (sim_priv.h; the wire
 * contract is README "Telnyx").
 *
 * It owns Telnyx's side of the wire and nothing else:
 *
 *   POST /v2/messages   Bearer provider.api_key, a JSON body; checks what
 *                       Telnyx checks (to, from, text, webhook_url, the
 *                       messaging profile), then the shared fault switches
 *                       and carrier opt-outs (40300); answers {"data": message}
 *                       or {"errors": [{code, title, detail}]} (code a string)
 *   message.received    a phone's text, POSTed to {public_url}/telnyx/sms
 *   message.sent,       delivery events for a text the gateway sent, POSTed
 *   message.finalized   to its webhook_url (or the profile's, the same URL)
 *
 * Every webhook is signed as Telnyx signs: telnyx-timestamp (Unix seconds)
 * and telnyx-signature-ed25519, the base64 of an Ed25519 signature over
 * "{timestamp}|{raw body}" with the key given by --telnyx-signing-key.
 *
 * The log and the switches are sim_core.c's, the control API sim.c's: a text is recorded
 * in the same vocabulary as in Twilio mode (its sid is Telnyx's message id).
 * A final status maps to Telnyx's as: delivered -> "delivered";
 * undelivered -> "delivery_failed" (40008, after message.sent); failed ->
 * "sending_failed" (40004, never sent).
 */
#include "sim_priv.h"
#include "buf.h"
#include "http.h"
#include "log.h"
#include "parse.h"
#include "sim_reach.h"
#include "sms.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TELNYX_KEY_FILE_MAX 4096
#define TELNYX_SIG_B64      (4 * ((64 + 2) / 3) + 1)

/* Telnyx's delivery error codes (message.finalized), per the final status. */
#define CODE_UNDELIVERABLE 40008 /* delivery_failed: the carrier did not accept it */
#define CODE_REJECTED      40004 /* sending_failed: rejected by the destination */

/* ---- ids, times, keys ---- */

/* 16 bytes as a UUID string, with version 4 and the RFC 4122 variant set. */
static void uuid_format(unsigned char r[16], char out[SIM_ID_LEN])
{
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(out, SIM_ID_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1],
             r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
             r[15]);
}

static void uuid_new(char out[SIM_ID_LEN])
{
    unsigned char r[16];

    RAND_bytes(r, sizeof(r));
    uuid_format(r, out);
}

/* A UUID derived from seed, so a retried webhook carries the same message id. */
static void uuid_from(const char *seed, char out[SIM_ID_LEN])
{
    unsigned char h[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)seed, strlen(seed), h);
    uuid_format(h, out);
}

/* Now as Telnyx writes times: "2026-11-25T06:00:00.000+00:00". */
static void iso_now(char *out, size_t n)
{
    struct timespec ts;
    struct tm tm;
    char sec[24];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%03u+00:00", sec, (unsigned)(ts.tv_nsec / 1000000L) % 1000u);
}

/* Strict base64 of exactly 32 bytes into out. 0, or -1. */
static int b64_32(const char *s, size_t n, unsigned char out[32])
{
    unsigned char tmp[48];
    int got;

    if (n != 44 || s[43] != '=' || s[42] == '=')
        return -1;
    got = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
    if (got != 33)
        return -1;
    memcpy(out, tmp, 32);
    OPENSSL_cleanse(tmp, sizeof(tmp));
    return 0;
}

/* Reads at most TELNYX_KEY_FILE_MAX bytes of path into b. 0, or -1. */
static int read_small_file(const char *path, struct buf *b)
{
    char chunk[512];
    size_t n;
    FILE *f = fopen(path, "rb");
    int rc = -1;

    if (!f)
        return -1;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_append(b, chunk, n))
            goto done;
    rc = ferror(f) ? -1 : 0;
done:
    OPENSSL_cleanse(chunk, sizeof(chunk));
    fclose(f);
    return rc;
}

/* The base64 public half of a private seed into out (45 bytes). 0, or -1. */
static int public_of(const unsigned char seed[32], char out[45])
{
    unsigned char pub[32];
    size_t len = sizeof(pub);
    EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    int rc = -1;

    if (!pk || EVP_PKEY_get_raw_public_key(pk, pub, &len) != 1 || len != sizeof(pub))
        goto fail;
    EVP_EncodeBlock((unsigned char *)out, pub, (int)sizeof(pub));
    rc = 0;
fail:
    EVP_PKEY_free(pk);
    return rc;
}

int sim_telnyx_load_key(struct sim *s, const char *path, char *err, size_t errlen)
{
    struct buf b = BUF_INIT(TELNYX_KEY_FILE_MAX);
    char pub[45];
    size_t n;
    int rc = -1;

    if (read_small_file(path, &b)) {
        snprintf(err, errlen, "cannot read it (or it is over %d bytes)", TELNYX_KEY_FILE_MAX);
        goto fail;
    }
    n = b.len;
    while (n && strchr(" \t\r\n", b.p[n - 1]))
        n--;
    if (!b.p || b64_32(b.p, n, s->signing_key)) {
        snprintf(err, errlen, "it must hold the base64 of a 32-byte Ed25519 private key");
        goto fail;
    }
    if (public_of(s->signing_key, pub)) {
        snprintf(err, errlen, "OpenSSL cannot make an Ed25519 key of it");
        goto fail;
    }
    /* A mismatch is allowed (to watch the gateway refuse forgeries), but said. */
    if (!s->cfg->provider.public_key || strcmp(pub, s->cfg->provider.public_key))
        log_warnx("sim.key_mismatch", "why=\"the signing key is not provider.public_key's pair: "
                                      "the gateway will refuse every webhook\"");
    rc = 0;
fail:
    if (b.p)
        OPENSSL_cleanse(b.p, b.len);
    buf_free(&b);
    return rc;
}

/* ---- the Messages API ---- */

void sim_telnyx_error(struct http_response *res, int http, const char *code, const char *title,
                      const char *detail)
{
    char url[96];

    snprintf(url, sizeof(url), "https://developers.telnyx.com/docs/overview/errors/%s", code);
    sim_json_reply(res, http,
                   json_pack("{s:[{s:s, s:s, s:s, s:{s:s}}]}", "errors", "code", code, "title",
                             title, "detail", detail, "meta", "url", url));
}

/* 1 when the request carries "Authorization: Bearer {provider.api_key}". */
static int bearer_ok(const struct sim *s, const struct http_request *req)
{
    const char *h = http_header(req, "Authorization"), *key = s->cfg->provider.api_key;

    return h && key && *key && !strncasecmp(h, "Bearer ", 7) && !strcmp(h + 7, key);
}

/*
 * What every API call goes through first: Bearer auth, a JSON object body,
 * then the fault switches. Returns the body (a new reference) to go on, or
 * NULL with res already answered.
 */
static json_t *api_call(struct sim *s, const struct http_request *req, struct http_response *res)
{
    json_t *j;
    char mode[8];

    if (!bearer_ok(s, req)) {
        sim_telnyx_error(res, 401, "10009", "Authentication failed",
                         "The required authentication headers were either invalid or not "
                         "included in the request.");
        return NULL;
    }
    j = json_loadb(req->body ? req->body : "", req->body_len, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        sim_telnyx_error(res, 400, "10015", "Bad Request",
                         "The request failed because it was not well-formed.");
        return NULL;
    }
    if (!sim_fault_take(s, res, mode))
        return j;
    json_decref(j);
    if (!strcmp(mode, "429"))
        sim_telnyx_error(res, 429, "10011", "Too many requests",
                         "You have exceeded the maximum number of allowed requests.");
    else if (!strcmp(mode, "500"))
        sim_telnyx_error(res, 500, "10007", "Unexpected error", "An unexpected error occured.");
    return NULL;
}

/* What POST /v2/messages was asked, every field optional until checked. */
struct send_req {
    const char *to, *from, *text, *profile, *webhook, *failover;
    json_t *media;        /* media_urls, an array or NULL */
    int profile_webhooks; /* use_profile_webhooks: -1 absent, else 0/1 */
};

/* A string field: 0 when absent or a string (into *out), -1 when of another type. */
static int str_field(json_t *j, const char *key, const char **out)
{
    json_t *v = json_object_get(j, key);

    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    *out = json_string_value(v);
    return 0;
}

/* Reads the fields into r; returns the name of a field of the wrong type, or NULL. */
static const char *send_fields(json_t *j, struct send_req *r)
{
    json_t *pw = json_object_get(j, "use_profile_webhooks");

    memset(r, 0, sizeof(*r));
    if (str_field(j, "to", &r->to))
        return "to";
    if (str_field(j, "from", &r->from))
        return "from";
    if (str_field(j, "text", &r->text))
        return "text";
    if (str_field(j, "messaging_profile_id", &r->profile))
        return "messaging_profile_id";
    if (str_field(j, "webhook_url", &r->webhook))
        return "webhook_url";
    if (str_field(j, "webhook_failover_url", &r->failover))
        return "webhook_failover_url";
    r->media = json_object_get(j, "media_urls");
    if (r->media && !json_is_array(r->media))
        return "media_urls";
    if (pw && !json_is_boolean(pw))
        return "use_profile_webhooks";
    r->profile_webhooks = pw ? json_is_true(pw) : -1;
    return NULL;
}

/* Why Telnyx would refuse a send: a 422 pointing at the parameter at fault. */
struct problem {
    const char *code, *title, *detail, *field;
};

static int refuse(struct problem *p, const char *code, const char *title, const char *detail,
                  const char *field)
{
    p->code = code;
    p->title = title;
    p->detail = detail;
    p->field = field;
    return -1;
}

static void answer_problem(struct http_response *res, const struct problem *p)
{
    char url[96], pointer[64];

    snprintf(url, sizeof(url), "https://developers.telnyx.com/docs/overview/errors/%s", p->code);
    snprintf(pointer, sizeof(pointer), "/%s", p->field);
    sim_json_reply(res, 422,
                   json_pack("{s:[{s:s, s:s, s:s, s:{s:s}, s:{s:s}}]}", "errors", "code", p->code,
                             "title", p->title, "detail", p->detail, "source", "pointer", pointer,
                             "meta", "url", url));
}

static int is_url(const char *u)
{
    return !strncmp(u, "http://", 7) || !strncmp(u, "https://", 8);
}

static int present(const char *v)
{
    return v && *v;
}

/* The numbers of a send, as Telnyx checks them. 0, or -1 with p filled. */
static int numbers_valid(const struct sim *s, const struct send_req *r, struct problem *p)
{
    const char *why, *profile = s->cfg->provider.messaging_profile_id;

    if (!present(r->to))
        return refuse(p, "10004", "Missing required parameter", "The 'to' parameter is required.",
                      "to");
    if (parse_e164(r->to, &why))
        return refuse(p, "10016", "Phone number must be in +E.164 format",
                      "The 'to' parameter must be in +E.164 format.", "to");
    if (!present(r->from) && !present(r->profile))
        return refuse(p, "10004", "Missing required parameter",
                      "The 'from' parameter (or a messaging_profile_id) is required.", "from");
    if (present(r->from) && parse_e164(r->from, &why))
        return refuse(p, "10016", "Phone number must be in +E.164 format",
                      "The 'from' parameter must be in +E.164 format.", "from");
    if (present(r->from) && !config_is_own_number(s->cfg, r->from))
        return refuse(p, "10002", "Invalid phone number",
                      "The 'from' number is not a messaging-enabled number on this account.",
                      "from");
    if (present(r->profile) && present(profile) && strcmp(r->profile, profile))
        return refuse(p, "10017", "Associated resource does not exist",
                      "No messaging profile has this id.", "messaging_profile_id");
    return 0;
}

/* The content and URLs of a send, as Telnyx checks them. 0, or -1 with p filled. */
static int content_valid(const struct send_req *r, struct problem *p)
{
    if (!present(r->text) && !json_array_size(r->media))
        return refuse(p, "10004", "Missing required parameter",
                      "The 'text' parameter (or media_urls) is required.", "text");
    if (r->text && sms_chars(r->text) > SMS_MAX_CHARS)
        return refuse(p, "10015", "Bad Request", "The text exceeds 1600 characters.", "text");
    if (present(r->webhook) && !is_url(r->webhook))
        return refuse(p, "10003", "Invalid URL",
                      "The URL provided was invalid, malformed, or too long.", "webhook_url");
    if (present(r->failover) && !is_url(r->failover))
        return refuse(p, "10003", "Invalid URL",
                      "The URL provided was invalid, malformed, or too long.",
                      "webhook_failover_url");
    return 0;
}

/* "GSM-7" or "UCS-2", as Telnyx reports a text's encoding. */
static const char *encoding_of(const char *text)
{
    return sms_is_gsm7(text) ? "GSM-7" : "UCS-2";
}

/*
 * A message resource as Telnyx shows it (the API's answer and every event's
 * payload). status is to[0].status; errors (a new reference taken) may be NULL.
 */
static json_t *message_json(const struct sim *s, const char *id, const char *direction,
                            const char *from, const char *to, const char *text, const char *status,
                            const char *webhook, json_t *errors)
{
    const char *profile = s->cfg->provider.messaging_profile_id;
    char now[40];

    iso_now(now, sizeof(now));
    return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:{s:s, s:s, s:s}, s:[{s:s, s:s, s:s, s:s}],"
                     " s:[], s:s, s:[], s:s?, s:n, s:s, s:i, s:[], s:n, s:s, s:o}",
                     "record_type", "message", "direction", direction, "id", id, "type", "SMS",
                     "messaging_profile_id", profile && *profile ? profile : NULL, "from",
                     "phone_number", from, "carrier", "", "line_type", "Wireless", "to",
                     "phone_number", to, "status", status, "carrier", "", "line_type", "Wireless",
                     "cc", "text", text, "media", "webhook_url", webhook, "webhook_failover_url",
                     "encoding", encoding_of(text), "parts", sms_segments(text), "tags", "cost",
                     "received_at", now, "errors", errors ? errors : json_array());
}

/* Where a send's delivery events go: its webhook_url, else the profile's (ours). */
static void events_url(const struct sim *s, const struct send_req *r, char *out, size_t n)
{
    out[0] = '\0';
    if (present(r->webhook))
        snprintf(out, n, "%s", r->webhook);
    else if (r->profile_webhooks != 0)
        snprintf(out, n, "%s/telnyx/sms", s->cfg->public_url);
}

/* Accepts a valid send: records it, answers 200 {"data": ...}, queues its events. */
static void send_accept(struct sim *s, const struct send_req *r, struct http_response *res)
{
    const char *from = r->from ? r->from : "", *text = r->text ? r->text : "";
    char id[SIM_ID_LEN], final[16], url[512];

    uuid_new(id);
    sim_next_delivery(s, final);
    sim_record(s, id, "outbound-api", from, r->to, text, final);
    events_url(s, r, url, sizeof(url));
    sim_json_reply(res, 200,
                   json_pack("{s:o}", "data",
                             message_json(s, id, "outbound", from, r->to, text, "queued",
                                          url[0] ? url : NULL, NULL)));
    if (!url[0] || !s->callbacks)
        return;
    if (strcmp(final, "failed")) /* a text that failed was never sent */
        sim_enqueue_callback(s, url, id, "sent", 0, from, r->to, text);
    sim_enqueue_callback(s, url, id, final,
                         !strcmp(final, "undelivered") ? CODE_UNDELIVERABLE
                         : !strcmp(final, "failed")    ? CODE_REJECTED
                                                       : 0,
                         from, r->to, text);
}

/* POST /v2/messages: send a text. */
static void messages_api(struct sim *s, const struct http_request *req, struct http_response *res)
{
    struct send_req r;
    struct problem p;
    const char *bad;
    json_t *j = api_call(s, req, res);

    if (!j)
        return;
    if ((bad = send_fields(j, &r))) {
        refuse(&p, "10015", "Bad Request", "A parameter has the wrong type.", bad);
        answer_problem(res, &p);
        goto done;
    }
    if (numbers_valid(s, &r, &p) || content_valid(&r, &p)) {
        answer_problem(res, &p);
        goto done;
    }
    if (present(r.from) && sim_opted_out(s, r.to, r.from)) {
        sim_telnyx_error(res, 400, "40300", "Blocked due to STOP message",
                         "Messages cannot be sent from 'from' to 'to' due to an existing block "
                         "rule.");
        goto done;
    }
    send_accept(s, &r, res);
done:
    json_decref(j);
}

int sim_telnyx_api(struct sim *s, const struct http_request *req, struct http_response *res)
{
    if (strcmp(req->path, "/v2/messages"))
        return 0;
    if (strcmp(req->method, "POST")) {
        sim_telnyx_error(res, 404, "10005", "Resource not found",
                         "The requested resource or URL could not be found.");
        return 1;
    }
    messages_api(s, req, res);
    return 1;
}

/* ---- signed webhooks ---- */

/* The base64 Ed25519 signature of "{ts}|{body}" into sig. 0, or -1. */
static int sign(const struct sim *s, const char *ts, const char *body, char sig[TELNYX_SIG_B64])
{
    unsigned char raw[64];
    size_t rawlen = sizeof(raw), tlen = strlen(ts), blen = strlen(body);
    EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, s->signing_key, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    char *msg = malloc(tlen + 1 + blen);
    int rc = -1;

    if (!pk || !md || !msg)
        goto fail;
    memcpy(msg, ts, tlen);
    msg[tlen] = '|';
    memcpy(msg + tlen + 1, body, blen);
    if (EVP_DigestSignInit(md, NULL, NULL, NULL, pk) != 1 ||
        EVP_DigestSign(md, raw, &rawlen, (unsigned char *)msg, tlen + 1 + blen) != 1 ||
        rawlen != sizeof(raw))
        goto fail;
    EVP_EncodeBlock((unsigned char *)sig, raw, (int)sizeof(raw));
    rc = 0;
fail:
    free(msg);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    return rc;
}

/* POSTs an event (JSON text) to url, signed now. Returns the HTTP status, 0 on network error. */
static long post_event(const struct sim *s, const char *url, const char *body)
{
    char ts[24], sig[TELNYX_SIG_B64], hdr[64 + TELNYX_SIG_B64];
    struct curl_slist *h = NULL;
    long status = 0;
    CURL *c = NULL;

    snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
    if (sign(s, ts, body, sig))
        goto fail;
    snprintf(hdr, sizeof(hdr), "telnyx-timestamp: %s", ts);
    h = curl_slist_append(h, hdr);
    snprintf(hdr, sizeof(hdr), "telnyx-signature-ed25519: %s", sig);
    h = curl_slist_append(h, hdr);
    h = curl_slist_append(h, "Content-Type: application/json");
    c = curl_easy_init();
    if (!c || !h)
        goto fail;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sim_sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "telnyx-webhooks");
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
fail:
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    return status;
}

/*
 * An event's JSON text (malloc'd; NULL when out of memory): payload (whose
 * reference is taken) wrapped as Telnyx wraps it, for delivery attempt
 * `attempt` to delivered_to.
 */
static char *event_text(const char *event_id, const char *type, json_t *payload, int attempt,
                        const char *delivered_to)
{
    char now[40];
    json_t *j;
    char *txt;

    iso_now(now, sizeof(now));
    j = json_pack("{s:{s:s, s:s, s:s, s:s, s:o}, s:{s:i, s:s}}", "data", "record_type", "event",
                  "event_type", type, "id", event_id, "occurred_at", now, "payload", payload,
                  "meta", "attempt", attempt, "delivered_to", delivered_to);
    txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return txt;
}

/* The payload of message.received: an inbound message, with pictures when it has them. */
static json_t *received_payload(const struct sim *s, const struct sim_inbound *in,
                                const char *msg_id, long long nmedia)
{
    json_t *p = message_json(s, msg_id, "inbound", in->from, in->to, in->body, "webhook_delivered",
                             NULL, NULL);
    json_t *media = json_array();
    char url[160];
    long long i;

    for (i = 0; i < nmedia; i++) {
        snprintf(url, sizeof(url), "https://media.sim.invalid/%s/%lld.jpg", msg_id, i);
        json_array_append_new(media, json_pack("{s:s, s:s, s:n, s:n}", "url", url, "content_type",
                                               "image/jpeg", "sha256", "size"));
    }
    json_object_set_new(p, "media", media);
    json_object_set_new(p, "type", json_string(nmedia ? "MMS" : "SMS"));
    return p;
}

/* One delivery attempt of message.received to path under public_url (signed, at the gateway). */
static long deliver_received(struct sim *s, const struct sim_inbound *in, const char *event_id,
                             const char *msg_id, long long nmedia, int attempt, const char *path)
{
    char delivered_to[600], url[600];
    char *body;
    long status;

    snprintf(delivered_to, sizeof(delivered_to), "%s%s", s->cfg->public_url, path);
    snprintf(url, sizeof(url), "%s%s", s->gateway, path);
    body = event_text(event_id, "message.received", received_payload(s, in, msg_id, nmedia),
                      attempt, delivered_to);
    if (!body)
        return 0;
    status = post_event(s, url, body);
    free(body);
    return status;
}

long sim_telnyx_inbound(struct sim *s, const struct sim_inbound *in, char sid[SIM_ID_LEN], long *id)
{
    char event_id[SIM_ID_LEN], fallback[512];
    long long nmedia = 0;
    const char *why;
    long status;

    if (in->nmedia && parse_int(in->nmedia, 0, 10, &nmedia, &why))
        nmedia = 0;
    /* A retried webhook carries the same event id and message. */
    if (in->sid && *in->sid)
        snprintf(event_id, sizeof(event_id), "%s", in->sid);
    else
        uuid_new(event_id);
    uuid_from(event_id, sid);
    *id = sim_record(s, sid, "inbound", in->from, in->to, in->body, "received");
    status = deliver_received(s, in, event_id, sid, nmedia, 1, "/telnyx/sms");
    pthread_mutex_lock(&s->mu);
    snprintf(fallback, sizeof(fallback), "%s", s->fallback_url);
    pthread_mutex_unlock(&s->mu);
    if ((status == 0 || status >= 400) && fallback[0])
        /* As Telnyx does: a failed delivery goes to the failover URL. */
        status = deliver_received(s, in, event_id, sid, nmedia, 2,
                                  fallback + strlen(s->cfg->public_url));
    return status;
}

/* Telnyx's to[0].status for a queued report's status (the log's vocabulary). */
static const char *event_status(const char *status)
{
    if (!strcmp(status, "undelivered"))
        return "delivery_failed";
    if (!strcmp(status, "failed"))
        return "sending_failed";
    return status; /* "sent", "delivered" */
}

/* The errors array of a failed delivery (an empty one otherwise). */
static json_t *event_errors(int code)
{
    char c[16];

    if (!code)
        return json_array();
    snprintf(c, sizeof(c), "%d", code);
    return json_pack("[{s:s, s:s, s:s}]", "code", c, "title",
                     code == CODE_UNDELIVERABLE ? "Undeliverable" : "Rejected by destination",
                     "detail",
                     code == CODE_UNDELIVERABLE ? "The carrier did not accept the message."
                                                : "The recipient's carrier rejected the message.");
}

void sim_telnyx_post_event(struct sim *s, const struct sim_callback *cb)
{
    char event_id[SIM_ID_LEN];
    const char *type = strcmp(cb->status, "sent") ? "message.finalized" : "message.sent", *why = "";
    json_t *payload;
    char *body;

    uuid_new(event_id);
    payload = message_json(s, cb->sid, "outbound", cb->from, cb->to, cb->text ? cb->text : "",
                           event_status(cb->status), cb->url, event_errors(cb->error_code));
    body = event_text(event_id, type, payload, 1, cb->url);
    if (body && sim_reach_allowed(s->cfg->public_url, cb->url, &why))
        post_event(s, cb->url, body);
    else if (body)
        log_warnx("sim.request_refused", "what=event why=\"%s\"", why);
    free(body);
}
