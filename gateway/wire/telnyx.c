/*
 * telnyx.c - see telnyx.h.
 */
#include "telnyx.h"
#include "utf8.h"
#include "buf.h"
#include "http.h"
#include "parse.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

    if (parse_ed25519_key(public_key_b64, key, why)) {
        *why = "provider.public_key is not the base64 of an Ed25519 public key";
        return v;
    }
    if (parse_seconds(timestamp, &ts)) {
        *why = "missing or malformed telnyx-timestamp";
        return v;
    }
    if (parse_base64(signature_b64, sig, sizeof(sig), why)) {
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

/* ---- the provider interface (provider.h) ---- */

static const char *const telnyx_paths[] = {"/telnyx/sms", NULL};

static enum provider_verdict tx_verify(const struct config *cfg, const struct http_request *req,
                                       int64_t now_s, char *why, size_t whylen)
{
    const char *what = "";

    if (telnyx_verify(cfg->provider.public_key, http_header(req, "telnyx-timestamp"), req->body,
                      req->body_len, http_header(req, "telnyx-signature-ed25519"), now_s,
                      &what) == TELNYX_OK)
        return PROVIDER_OK;
    snprintf(why, whylen, "%s", what);
    return PROVIDER_FORGED;
}

/* Telnyx's ids are UUIDs; anything of 1 to 63 letters, digits, '-' and '_' is taken. */
int telnyx_id_valid(const char *id)
{
    size_t i, n = id ? strlen(id) : 0;

    if (!n || n >= PROVIDER_ID_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_')
            return 0;
    return 1;
}

/* The E.164 number of a {"phone_number": ...} object into out; -1 when there is none. */
static int phone_of(const json_t *o, char *out, size_t outlen)
{
    const char *n = json_string_value(json_object_get(o, "phone_number"));
    const char *why;

    if (!n || parse_e164(n, &why) || strlen(n) >= outlen)
        return -1;
    snprintf(out, outlen, "%s", n);
    return 0;
}

static enum provider_verdict bad(char *why, size_t whylen, const char *what)
{
    snprintf(why, whylen, "%s", what);
    return PROVIDER_BAD;
}

static enum provider_verdict tx_text(const json_t *payload, struct provider_inbound *in, char *why,
                                     size_t whylen)
{
    const json_t *text = json_object_get(payload, "text");
    const json_t *media = json_object_get(payload, "media");

    if (phone_of(json_object_get(payload, "from"), in->from, sizeof(in->from)))
        return bad(why, whylen, "data.payload.from.phone_number must be an E.164 phone number");
    if (phone_of(json_array_get(json_object_get(payload, "to"), 0), in->to, sizeof(in->to)))
        return bad(why, whylen, "data.payload.to[0].phone_number must be an E.164 phone number");
    if (text && !json_is_string(text) && !json_is_null(text))
        return bad(why, whylen, "data.payload.text must be a string");
    if (media && !json_is_array(media) && !json_is_null(media))
        return bad(why, whylen, "data.payload.media must be a list");
    in->num_media = media ? (int)json_array_size(media) : 0;
    if (in->num_media > 100)
        return bad(why, whylen, "data.payload.media has more than 100 items");
    in->body = strdup(json_is_string(text) ? json_string_value(text) : "");
    if (!in->body)
        return bad(why, whylen, "out of memory");
    in->kind = PROVIDER_EV_TEXT;
    return PROVIDER_OK;
}

/* Telnyx's delivery words in Twilio's, which the outbox speaks. */
static const char *status_word(const char *st)
{
    static const char *const map[][2] = {
        {"delivery_failed", "undelivered"},
        {"sending_failed", "failed"},
        {"expired", "undelivered"},
        {"delivery_unconfirmed", "sent"},
        {"gw_timeout", "sent"},
        {"dlr_unconfirmed", "sent"},
    };
    size_t i;

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(st, map[i][0]))
            return map[i][1];
    return st;
}

/* A code as Telnyx writes it (a string of digits, or a number) as an int; 0 when none. */
static int code_of(const json_t *c)
{
    const char *s = json_string_value(c);
    long long v = 0;
    const char *why;

    if (json_is_integer(c))
        v = json_integer_value(c);
    else if (s && parse_int(s, 0, 999999, &v, &why))
        v = 0;
    return v < 0 || v > 999999 ? 0 : (int)v;
}

static enum provider_verdict tx_status(const json_t *payload, struct provider_inbound *in,
                                       char *why, size_t whylen)
{
    const char *id = json_string_value(json_object_get(payload, "id"));
    const json_t *to = json_array_get(json_object_get(payload, "to"), 0);
    const char *st = json_string_value(json_object_get(to, "status"));
    size_t i;

    if (!telnyx_id_valid(id))
        return bad(why, whylen, "data.payload.id is missing or malformed");
    if (!st || !*st || strlen(st) > 20)
        return bad(why, whylen, "data.payload.to[0].status is missing or malformed");
    for (i = 0; st[i]; i++)
        if (!islower((unsigned char)st[i]) && st[i] != '_')
            return bad(why, whylen, "data.payload.to[0].status is missing or malformed");
    in->kind = PROVIDER_EV_STATUS;
    snprintf(in->id, sizeof(in->id), "%s", id);
    snprintf(in->status, sizeof(in->status), "%s", status_word(st));
    in->error_code =
        code_of(json_object_get(json_array_get(json_object_get(payload, "errors"), 0), "code"));
    return PROVIDER_OK;
}

enum provider_verdict telnyx_parse_event(const char *body, size_t len, struct provider_inbound *in,
                                         char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *root;
    const json_t *data, *payload;
    const char *type, *id;
    enum provider_verdict v;

    memset(in, 0, sizeof(*in));
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(why, whylen, "bad JSON at byte %d: %s", jerr.position, jerr.text);
        return PROVIDER_BAD;
    }
    data = json_object_get(root, "data");
    payload = json_object_get(data, "payload");
    type = json_string_value(json_object_get(data, "event_type"));
    id = json_string_value(json_object_get(data, "id"));
    if (!json_is_object(data) || !type) {
        v = bad(why, whylen, "data.event_type is missing");
    } else if (!telnyx_id_valid(id)) {
        v = bad(why, whylen, "data.id is missing or malformed");
    } else if (!strcmp(type, "message.received")) {
        snprintf(in->id, sizeof(in->id), "%s", id);
        v = json_is_object(payload) ? tx_text(payload, in, why, whylen)
                                    : bad(why, whylen, "data.payload is missing");
    } else if (!strcmp(type, "message.sent") || !strcmp(type, "message.finalized")) {
        v = json_is_object(payload) ? tx_status(payload, in, why, whylen)
                                    : bad(why, whylen, "data.payload is missing");
    } else {
        in->kind = PROVIDER_EV_IGNORED;
        snprintf(in->id, sizeof(in->id), "%s", id);
        v = PROVIDER_OK;
    }
    json_decref(root);
    return v;
}

static enum provider_verdict tx_parse(const struct http_request *req, struct provider_inbound *in,
                                      char *why, size_t whylen)
{
    const char *ct = http_header(req, "Content-Type");
    size_t n = strlen("application/json");

    if (!ct || strncasecmp(ct, "application/json", n) ||
        (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' ')) {
        memset(in, 0, sizeof(*in));
        return bad(why, whylen, "expected Content-Type: application/json");
    }
    return telnyx_parse_event(req->body, req->body_len, in, why, whylen);
}

/* Telnyx wants any 2xx, fast; it reads no body. */
static void tx_answer(const struct http_request *req, const struct provider_inbound *in,
                      struct http_response *res)
{
    (void)req;
    (void)in;
    buf_reset(&res->body);
    res->status = 200;
    res->content_type = "text/plain";
}

static int tx_endpoint(const struct config *cfg, struct provider_endpoint *ep, char *err,
                       size_t errlen)
{
    memset(ep, 0, sizeof(*ep));
    ep->content_type = "application/json";
    if ((size_t)snprintf(ep->url, sizeof(ep->url), "%s/v2/messages", cfg->provider.api_base) >=
            sizeof(ep->url) ||
        (size_t)snprintf(ep->authorization, sizeof(ep->authorization), "Authorization: Bearer %s",
                         cfg->provider.api_key) >= sizeof(ep->authorization)) {
        snprintf(err, errlen, "provider.api_base or provider.api_key is too long");
        return -1;
    }
    return 0;
}

int telnyx_send_body(const struct telnyx_send *s, struct buf *out)
{
    json_t *o = json_object();
    char *text = NULL;
    int rc = -1;

    if (!o || json_object_set_new(o, "from", json_string(s->from)) ||
        json_object_set_new(o, "to", json_string(s->to)) ||
        json_object_set_new(o, "text", json_string(s->body)))
        goto fail;
    if (s->webhook_url && *s->webhook_url &&
        (json_object_set_new(o, "webhook_url", json_string(s->webhook_url)) ||
         json_object_set_new(o, "use_profile_webhooks", json_false())))
        goto fail;
    if (s->messaging_profile_id && *s->messaging_profile_id &&
        json_object_set_new(o, "messaging_profile_id", json_string(s->messaging_profile_id)))
        goto fail;
    text = json_dumps(o, JSON_COMPACT);
    if (!text || buf_puts(out, text))
        goto fail;
    rc = 0;
fail:
    free(text);
    json_decref(o);
    return rc;
}

static int tx_send_body(const struct config *cfg, const struct provider_send *s, struct buf *out)
{
    char hook[1100];
    struct telnyx_send ts = {s->to, s->from, s->body, hook, cfg->provider.messaging_profile_id};

    if ((size_t)snprintf(hook, sizeof(hook), "%s/telnyx/sms", cfg->public_url) >= sizeof(hook))
        return -1;
    return telnyx_send_body(&ts, out);
}

static void set_result(struct provider_result *r, enum provider_outcome o, int code,
                       const char *text)
{
    r->outcome = o;
    r->error_code = code;
    /* Stored: whole characters only (PostgreSQL refuses a split one). */
    utf8_copy(r->error_text, sizeof(r->error_text), text);
}

void telnyx_parse_send(long http_status, const char *body, size_t len, struct provider_result *r)
{
    json_t *root = NULL, *err;
    json_error_t jerr;
    const char *id, *title;
    char text[160];
    int code;

    memset(r, 0, sizeof(*r));
    if (http_status == 0) {
        set_result(r, PROVIDER_RETRY, 0, "network error");
        return;
    }
    if (body && len)
        root = json_loadb(body, len, 0, &jerr);
    if (http_status >= 200 && http_status < 300) {
        id = json_string_value(json_object_get(json_object_get(root, "data"), "id"));
        if (!telnyx_id_valid(id)) /* accepted, so never resent blindly into a duplicate */
            set_result(r, PROVIDER_FINAL, (int)http_status, "accepted without a readable id");
        else {
            r->outcome = PROVIDER_SENT;
            snprintf(r->id, sizeof(r->id), "%s", id);
        }
        goto done;
    }
    err = json_array_get(json_object_get(root, "errors"), 0);
    code = code_of(json_object_get(err, "code"));
    title = json_string_value(json_object_get(err, "title"));
    snprintf(text, sizeof(text), "HTTP %ld%s%.120s", http_status, title ? ": " : "",
             title ? title : "");
    /* 401/403 are our credentials, not the text: retried, so texts wait out a key rotation. */
    if (http_status == 429 || http_status >= 500 || http_status == 401 || http_status == 403 ||
        code == 10011 || code == 10007 || code == 10008)
        set_result(r, PROVIDER_RETRY, code ? code : (int)http_status, text);
    else if (code == 40300)
        set_result(r, PROVIDER_OPTED_OUT, code, text);
    else
        set_result(r, PROVIDER_FINAL, code ? code : (int)http_status, text);
done:
    json_decref(root);
}

const struct provider provider_telnyx = {
    .name = "telnyx",
    .paths = telnyx_paths,
    .answer_within_ms = 2000,
    .opted_out_code = 40300,
    .verify = tx_verify,
    .parse = tx_parse,
    .answer = tx_answer,
    .endpoint = tx_endpoint,
    .send_body = tx_send_body,
    .parse_send = telnyx_parse_send,
};
