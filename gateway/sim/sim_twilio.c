/*
 * sim_twilio.c - the simulator speaking Twilio's messaging: the Messages
 * API (send, list with paging and filters, redact or delete), the numbers'
 * webhook settings (IncomingPhoneNumbers), a phone's text posted to the
 * gateway as a signed webhook (and to the Fallback URL when the gateway
 * fails it), and status callbacks. Field names, codes and shapes follow
 * Twilio's OpenAPI description; sim_twilio_api_call() is the REST edge the
 * voice resources (sim_voice_rest.c) share.
 */
#include "sim_priv.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "parse.h"
#include "sim_reach.h"
#include "sms.h"
#include "twilio.h"
#include "tz.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* An error body shaped like Twilio's. */
void sim_twilio_error(struct http_response *res, int http, int code, const char *msg)
{
    char more[96];

    snprintf(more, sizeof(more), "https://www.twilio.com/docs/errors/%d", code);
    sim_json_reply(res, http,
                   json_pack("{s:i, s:s, s:s, s:i}", "code", code, "message", msg, "more_info",
                             more, "status", http));
}

static int basic_auth_ok(const struct sim *s, const struct http_request *req)
{
    const char *h = http_header(req, "Authorization");
    char want[512], enc[700];
    int n;

    if (!h || strncasecmp(h, "Basic ", 6))
        return 0;
    n = snprintf(want, sizeof(want), "%s:%s", s->cfg->provider.account_sid,
                 s->cfg->provider.auth_token);
    if (n < 0 || (size_t)n >= sizeof(want))
        return 0;
    EVP_EncodeBlock((unsigned char *)enc, (const unsigned char *)want, n);
    return !strcmp(h + 6, enc);
}

/*
 * The fault switches for a Twilio API call: 1 when a switch answers it
 * instead (res filled with a Twilio error, or marked to drop).
 */
static int faulted(struct sim *s, struct http_response *res)
{
    char mode[8];

    if (!sim_fault_take(s, res, mode))
        return 0;
    if (!strcmp(mode, "429"))
        sim_twilio_error(res, 429, 20429, "Too Many Requests");
    else if (!strcmp(mode, "500"))
        sim_twilio_error(res, 500, 20500, "Internal Server Error");
    else
        res->drop = 1; /* "drop" and "down": the connection closes with no answer */
    return 1;
}

/* The final status of a Twilio send, with Twilio's error code for it. */
static void next_delivery(struct sim *s, char out[16], int *error_code)
{
    sim_next_delivery(s, out);
    /* Twilio's codes: 30003 unreachable handset; 30008 unknown error */
    *error_code = !strcmp(out, "undelivered") ? 30003 : !strcmp(out, "failed") ? 30008 : 0;
}

/*
 * What every Messages API call goes through first: the account in the path,
 * Basic auth, a form body, then the fault switches. Returns 0 to go on (the
 * form parsed into f), or 1 with res already answered.
 */
int sim_twilio_api_call(struct sim *s, const struct http_request *req, const char *account,
                        struct form *f, struct http_response *res)
{
    const char *why;
    size_t where;

    if (strcmp(account, s->cfg->provider.account_sid)) {
        sim_twilio_error(res, 404, 20404, "The requested resource was not found");
        return 1;
    }
    if (!basic_auth_ok(s, req)) {
        sim_twilio_error(res, 401, 20003, "Authenticate");
        return 1;
    }
    if (form_parse(req->body, req->body_len, f, &why, &where)) {
        sim_twilio_error(res, 400, 20001, "Invalid request body");
        return 1;
    }
    return faulted(s, res);
}

static void messages_api(struct sim *s, const struct http_request *req, const char *account,
                         struct http_response *res)
{
    struct form f = {0};
    const char *to, *from, *body, *validity, *cb, *why;
    char sid[40], now[64], uri[160], media[200], segs[16], final[16];
    long long vp;
    int opted, error_code;
    int64_t t = wake_now_ms();

    if (sim_twilio_api_call(s, req, account, &f, res))
        goto done;
    to = form_get(&f, "To");
    from = form_get(&f, "From");
    body = form_get(&f, "Body");
    validity = form_get(&f, "ValidityPeriod");
    cb = form_get(&f, "StatusCallback");
    if (!to || !*to) {
        sim_twilio_error(res, 400, 21604, "A 'To' phone number is required.");
        goto done;
    }
    if (parse_e164(to, &why)) {
        sim_twilio_error(res, 400, 21211, "The 'To' number is not a valid phone number.");
        goto done;
    }
    if ((!from || !*from) && !form_get(&f, "MessagingServiceSid")) {
        sim_twilio_error(res, 400, 21603, "A 'From' phone number is required.");
        goto done;
    }
    if (from && !config_is_own_number(s->cfg, from)) {
        sim_twilio_error(res, 400, 21606,
                         "The From phone number is not a valid, SMS-capable inbound phone number "
                         "or short code for your account.");
        goto done;
    }
    if ((!body || !*body) && !form_get(&f, "MediaUrl") && !form_get(&f, "ContentSid")) {
        sim_twilio_error(res, 400, 21602, "Message body is required.");
        goto done;
    }
    if (body && sms_chars(body) > SMS_MAX_CHARS) {
        sim_twilio_error(res, 400, 21617,
                         "The concatenated message body exceeds the 1600 character limit.");
        goto done;
    }
    if (validity && parse_int(validity, 1, 36000, &vp, &why)) {
        sim_twilio_error(res, 400, 21624, "Invalid validity period value.");
        goto done;
    }
    if (cb && strncmp(cb, "http://", 7) && strncmp(cb, "https://", 8)) {
        sim_twilio_error(res, 400, 21609, "Invalid StatusCallback url.");
        goto done;
    }
    opted = from && sim_opted_out(s, to, from);
    if (opted) {
        sim_twilio_error(res, 400, 21610, "Attempt to send to unsubscribed recipient");
        goto done;
    }
    sim_new_sid("SM", sid);
    next_delivery(s, final, &error_code);
    sim_record(s, sid, "outbound-api", from ? from : "", to, body ? body : "", final);
    sim_rfc2822(t, now, sizeof(now));
    snprintf(uri, sizeof(uri), "/2010-04-01/Accounts/%s/Messages/%s.json", account, sid);
    snprintf(media, sizeof(media), "/2010-04-01/Accounts/%s/Messages/%s/Media.json", account, sid);
    snprintf(segs, sizeof(segs), "%d", sms_segments(body ? body : ""));
    sim_json_reply(
        res, 201,
        json_pack("{s:s, s:s, s:s, s:s, s:n, s:s, s:s, s:n, s:n, s:s, s:n, s:s, s:s, s:n,"
                  " s:s, s:s, s:s, s:{s:s}, s:s, s:s}",
                  "account_sid", account, "api_version", "2010-04-01", "body", body ? body : "",
                  "date_created", now, "date_sent", "date_updated", now, "direction",
                  "outbound-api", "error_code", "error_message", "from", from ? from : "",
                  "messaging_service_sid", "num_media", "0", "num_segments", segs, "price",
                  "price_unit", "USD", "sid", sid, "status", "queued", "subresource_uris", "media",
                  media, "to", to, "uri", uri));
    if (cb && s->callbacks) {
        if (strcmp(final, "failed")) /* a failed text was never sent */
            sim_enqueue_callback(s, cb, sid, "sent", 0, from ? from : "", to, NULL);
        sim_enqueue_callback(s, cb, sid, final, error_code, from ? from : "", to, NULL);
    }
done:
    form_free(&f);
}

/* "2026-11-24T10:00:00Z" (or +00:00) -> ms since the epoch; -1 if not that. */
static int64_t iso_ms(const char *v)
{
    int y, mo, d, h, mi, sec, n = 0;

    if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
        !tz_valid_date(y, mo, d) || h > 23 || mi > 59 || sec > 59 || h < 0 || mi < 0 || sec < 0 ||
        (strcmp(v + n, "Z") && strcmp(v + n, "+00:00")))
        return -1;
    return ((tz_days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL + sec * 1000LL;
}

static json_t *listed_json(const char *account, const struct sim_text *t)
{
    char date[64], uri[160];

    sim_rfc2822(t->at, date, sizeof(date));
    snprintf(uri, sizeof(uri), "/2010-04-01/Accounts/%s/Messages/%s.json", account, t->sid);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "account_sid",
                     account, "api_version", "2010-04-01", "body", t->body, "date_created", date,
                     "date_sent", date, "date_updated", date, "direction", t->direction, "from",
                     t->from, "num_media", "0", "sid", t->sid, "status", t->status, "to", t->to,
                     "uri", uri);
}

/*
 * GET .../Messages.json (ListMessage): To, From and DateSent> filters,
 * newest first, PageSize (1-1000, default 50) and Page, with next_page_uri
 * to follow, as Twilio pages.
 */
static void list_api(struct sim *s, const struct http_request *req, const char *account,
                     struct http_response *res)
{
    const char *to = http_query(req, "To"), *from = http_query(req, "From");
    const char *after = http_query(req, "DateSent>"), *size = http_query(req, "PageSize");
    const char *page = http_query(req, "Page"), *why;
    long long ps = 50, pg = 0;
    int64_t since = 0;
    json_t *arr = json_array();
    struct form f = {0};
    char next[600] = "", self[600];
    size_t i, skip, taken = 0;

    if (sim_twilio_api_call(s, req, account, &f, res))
        goto done;
    if ((size && parse_int(size, 1, 1000, &ps, &why)) ||
        (page && parse_int(page, 0, 1000000, &pg, &why)) ||
        (after && (since = iso_ms(after)) < 0)) {
        sim_twilio_error(res, 400, 20001, "Invalid Parameter");
        goto done;
    }
    skip = (size_t)(ps * pg);
    pthread_mutex_lock(&s->mu);
    for (i = s->ntexts; i-- > 0;) {
        const struct sim_text *t = &s->texts[i];
        if ((to && strcmp(t->to, to)) || (from && strcmp(t->from, from)) || t->at < since)
            continue;
        if (skip) {
            skip--;
            continue;
        }
        if ((long long)taken == ps) { /* one more exists: there is a next page */
            /* The next page keeps every filter this one had, and only those. */
            char *et = to ? curl_easy_escape(NULL, to, 0) : NULL;
            char *ef = from ? curl_easy_escape(NULL, from, 0) : NULL;
            char *ea = after ? curl_easy_escape(NULL, after, 0) : NULL;
            snprintf(next, sizeof(next),
                     "/2010-04-01/Accounts/%s/Messages.json?PageSize=%lld&Page=%lld%s%s%s%s%s%s",
                     account, ps, pg + 1, et ? "&To=" : "", et ? et : "", ef ? "&From=" : "",
                     ef ? ef : "", ea ? "&DateSent%3E=" : "", ea ? ea : "");
            curl_free(et);
            curl_free(ef);
            curl_free(ea);
            break;
        }
        json_array_append_new(arr, listed_json(account, t));
        taken++;
    }
    pthread_mutex_unlock(&s->mu);
    snprintf(self, sizeof(self), "/2010-04-01/Accounts/%s/Messages.json", account);
    sim_json_reply(res, 200,
                   json_pack("{s:o, s:I, s:I, s:I, s:I, s:s, s:s, s:s?, s:n}", "messages", arr,
                             "page", (json_int_t)pg, "page_size", (json_int_t)ps, "start",
                             (json_int_t)(ps * pg), "end", (json_int_t)(ps * pg + (long long)taken),
                             "uri", self, "first_page_uri", self, "next_page_uri",
                             next[0] ? next : NULL, "previous_page_uri"));
    arr = NULL;
done:
    json_decref(arr);
    form_free(&f);
}

/*
 * GET .../IncomingPhoneNumbers.json?PhoneNumber=...: the line's numbers, with
 * the SMS URL set (POST /sim/numbers), by default the gateway's own.
 */
static void numbers_api(struct sim *s, const struct http_request *req, const char *account,
                        struct http_response *res)
{
    const char *want = http_query(req, "PhoneNumber");
    json_t *arr = json_array();
    struct form f = {0};
    char url[600], self[200], fallback[512];
    size_t i;

    if (sim_twilio_api_call(s, req, account, &f, res))
        goto done;
    pthread_mutex_lock(&s->mu);
    snprintf(fallback, sizeof(fallback), "%s", s->fallback_url);
    if (s->sms_url[0])
        snprintf(url, sizeof(url), "%s", s->sms_url);
    else
        snprintf(url, sizeof(url), "%s/twilio/sms", s->cfg->public_url);
    pthread_mutex_unlock(&s->mu);
    for (i = 0; i <= s->cfg->provider.npool; i++) {
        const char *n = i ? s->cfg->provider.pool[i - 1] : s->cfg->provider.line_number;
        if (want && strcmp(want, n))
            continue;
        json_array_append_new(arr,
                              json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "account_sid", account,
                                        "phone_number", n, "sms_url", url, "sms_method", "POST",
                                        "sms_fallback_url", fallback, "status", "in-use"));
    }
    snprintf(self, sizeof(self), "/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json", account);
    sim_json_reply(res, 200,
                   json_pack("{s:o, s:i, s:i, s:s, s:s, s:n, s:n}", "incoming_phone_numbers", arr,
                             "page", 0, "page_size", 50, "uri", self, "first_page_uri", self,
                             "next_page_uri", "previous_page_uri"));
    arr = NULL;
done:
    json_decref(arr);
    form_free(&f);
}

/* POSTs params to url, signed for sign_url. Returns the HTTP status, 0 on network error. */
static long post_signed(struct sim *s, const char *url, const char *sign_url,
                        const struct form *params)
{
    struct buf body = BUF_INIT(0);
    char sig[TWILIO_SIG_LEN], hdr[64 + TWILIO_SIG_LEN];
    struct curl_slist *h = NULL;
    long status = 0;
    CURL *c;
    size_t i;

    for (i = 0; i < params->n; i++)
        form_add(&body, params->params[i].key, params->params[i].value);
    if (twilio_signature(s->cfg->provider.auth_token, sign_url, params, sig))
        goto done;
    snprintf(hdr, sizeof(hdr), "X-Twilio-Signature: %s", sig);
    h = curl_slist_append(h, hdr);
    h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
    c = curl_easy_init();
    if (!c)
        goto done;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.p ? body.p : "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sim_sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "TwilioProxy/1.1");
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
done:
    curl_slist_free_all(h);
    buf_free(&body);
    return status;
}

/*
 * POST .../Messages/{Sid}.json (UpdateMessage): Body="" redacts a message's
 * text, as Twilio does; any other Body is refused (only an empty one is
 * allowed). An unknown Sid is 404 (20404).
 */
static void update_message(struct sim *s, const struct http_request *req, const char *account,
                           const char *msid, struct http_response *res)
{
    struct form f = {0};
    const char *body;
    size_t i;
    int found = 0;

    if (sim_twilio_api_call(s, req, account, &f, res)) {
        form_free(&f);
        return;
    }
    body = form_get(&f, "Body");
    if (!body || *body) {
        sim_twilio_error(res, 400, 20001, "Body may only be set to an empty string (to redact).");
        form_free(&f);
        return;
    }
    pthread_mutex_lock(&s->mu);
    for (i = 0; i < s->ntexts; i++) {
        if (!strcmp(s->texts[i].sid, msid)) {
            free(s->texts[i].body);
            s->texts[i].body = strdup("");
            found = 1;
        }
    }
    pthread_mutex_unlock(&s->mu);
    form_free(&f);
    if (!found) {
        sim_twilio_error(res, 404, 20404, "The requested resource was not found");
        return;
    }
    sim_json_reply(res, 200,
                   json_pack("{s:s, s:s, s:s}", "sid", msid, "account_sid", account, "body", ""));
}

static int add_param(struct form *f, const char *k, const char *v)
{
    struct form_param *np = realloc(f->params, (f->n + 1) * sizeof(*np));

    if (!np)
        return -1;
    f->params = np;
    f->params[f->n].key = strdup(k);
    f->params[f->n].value = strdup(v ? v : "");
    f->n++;
    return 0;
}

/*
 * Delivers a phone's text to the gateway as Twilio would: a signed form to
 * the SMS URL, then to the Fallback URL when the gateway fails it. Records
 * it; *id gets its log id and sid its MessageSid. Returns the gateway's HTTP
 * status (0: no answer).
 */
long sim_twilio_inbound(struct sim *s, const struct sim_inbound *in, char sid[SIM_ID_LEN], long *id)
{
    struct form out = {0};
    char url[600], sign[600], segs[16];
    long status;

    if (in->sid && *in->sid)
        snprintf(sid, SIM_ID_LEN, "%s", in->sid);
    else
        sim_new_sid("SM", sid);
    snprintf(segs, sizeof(segs), "%d", sms_segments(in->body));
    add_param(&out, "ToCountry", "US");
    add_param(&out, "ToState", "");
    add_param(&out, "SmsMessageSid", sid);
    add_param(&out, "NumMedia", in->nmedia ? in->nmedia : "0");
    add_param(&out, "ToCity", "");
    add_param(&out, "FromZip", "");
    add_param(&out, "SmsSid", sid);
    add_param(&out, "FromState", "");
    add_param(&out, "SmsStatus", "received");
    add_param(&out, "FromCity", "");
    add_param(&out, "Body", in->body);
    add_param(&out, "FromCountry", "US");
    add_param(&out, "To", in->to);
    add_param(&out, "ToZip", "");
    add_param(&out, "NumSegments", segs);
    add_param(&out, "MessageSid", sid);
    add_param(&out, "AccountSid", s->cfg->provider.account_sid);
    add_param(&out, "From", in->from);
    add_param(&out, "ApiVersion", "2010-04-01");
    *id = sim_record(s, sid, "inbound", in->from, in->to, in->body, "received");
    snprintf(url, sizeof(url), "%s/twilio/sms", s->gateway);
    snprintf(sign, sizeof(sign), "%s/twilio/sms", s->cfg->public_url);
    status = post_signed(s, url, sign, &out);
    pthread_mutex_lock(&s->mu);
    snprintf(sign, sizeof(sign), "%s", s->fallback_url);
    pthread_mutex_unlock(&s->mu);
    if ((status == 0 || status >= 400) && sign[0]) {
        /* As Twilio does: an error (or no answer) sends the text to the Fallback URL. */
        snprintf(url, sizeof(url), "%s%s", s->gateway, sign + strlen(s->cfg->public_url));
        status = post_signed(s, url, sign, &out);
    }
    form_free(&out);
    return status;
}

/* Posts one delivery report as Twilio's status callback. */
void sim_twilio_post_status(struct sim *s, const struct sim_callback *cb)
{
    struct form f = {0};
    const char *why;

    add_param(&f, "SmsSid", cb->sid);
    add_param(&f, "SmsStatus", cb->status);
    add_param(&f, "MessageStatus", cb->status);
    add_param(&f, "To", cb->to);
    add_param(&f, "MessageSid", cb->sid);
    add_param(&f, "AccountSid", s->cfg->provider.account_sid);
    add_param(&f, "From", cb->from);
    add_param(&f, "ApiVersion", "2010-04-01");
    if (cb->error_code) {
        char code[16];
        snprintf(code, sizeof(code), "%d", cb->error_code);
        add_param(&f, "ErrorCode", code);
    }
    if (sim_reach_allowed(s->cfg->public_url, cb->url, &why))
        post_signed(s, cb->url, cb->url, &f);
    else
        log_warnx("sim.request_refused", "what=status_callback why=\"%s\"", why);
    form_free(&f);
}

/* Twilio's REST API: 1 when req was a call to it (res answered), else 0. */
int sim_twilio_api(struct sim *s, const struct http_request *req, struct http_response *res)
{
    const char *prefix = "/2010-04-01/Accounts/";
    int post = !strcmp(req->method, "POST");

    if (!post && !strcmp(req->method, "GET") && !strncmp(req->path, prefix, strlen(prefix))) {
        const char *rest = req->path + strlen(prefix), *slash = strchr(rest, '/');
        char account[64];
        if (slash && (size_t)(slash - rest) < sizeof(account)) {
            memcpy(account, rest, (size_t)(slash - rest));
            account[slash - rest] = '\0';
            if (!strcmp(slash, "/Messages.json")) {
                list_api(s, req, account, res);
                return 1;
            }
            if (!strcmp(slash, "/IncomingPhoneNumbers.json")) {
                numbers_api(s, req, account, res);
                return 1;
            }
        }
    }
    if (post && !strncmp(req->path, prefix, strlen(prefix))) {
        char account[64];
        const char *rest = req->path + strlen(prefix), *slash = strchr(rest, '/');
        if (slash && (size_t)(slash - rest) < sizeof(account)) {
            char msid[40];
            size_t n;
            memcpy(account, rest, (size_t)(slash - rest));
            account[slash - rest] = '\0';
            if (!strcmp(slash, "/Messages.json")) {
                messages_api(s, req, account, res);
                return 1;
            }
            /* /Messages/{Sid}.json: UpdateMessage (redaction) */
            n = strlen(slash);
            if (!strncmp(slash, "/Messages/", 10) && n > 15 && n - 15 < sizeof(msid) &&
                !strcmp(slash + n - 5, ".json")) {
                memcpy(msid, slash + 10, n - 15);
                msid[n - 15] = '\0';
                update_message(s, req, account, msid, res);
                return 1;
            }
        }
    }
    return 0;
}
