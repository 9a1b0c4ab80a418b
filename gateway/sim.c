/*
 * sim.c - see sim.h.
 *
 * State is a log of texts (both directions) and a fault switch, under one
 * mutex. The HTTP server runs a thread per connection, so a /sim/sms call
 * that waits on the gateway never blocks the gateway's own calls to the
 * Messages API. Status callbacks are posted by a separate thread from a
 * queue, as Twilio does, after the API call has been answered.
 */
#include "sim.h"
#include "sim_priv.h"
#include "buf.h"
#include "config.h"
#include "diag.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "parse.h"
#include "roster.h"
#include "tz.h"
#include "sms.h"
#include "twilio.h"
#include "wake.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SIM_MAX_BODY (64 * 1024)

extern const char sim_page_html[];

/* ---- helpers ---- */

static void new_sid(const char *prefix, char out[40])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[16];
    int i;

    RAND_bytes(r, sizeof(r));
    out[0] = prefix[0];
    out[1] = prefix[1];
    for (i = 0; i < 16; i++) {
        out[2 + 2 * i] = hex[r[i] >> 4];
        out[3 + 2 * i] = hex[r[i] & 15];
    }
    out[34] = '\0';
}

static void rfc2822(int64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, n, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

long sim_record(struct sim *s, const char *sid, const char *dir, const char *from, const char *to,
                const char *body, const char *status)
{
    struct sim_text *t;
    long id;

    pthread_mutex_lock(&s->mu);
    if (s->ntexts == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct sim_text *nt = realloc(s->texts, cap * sizeof(*nt));
        if (!nt) {
            pthread_mutex_unlock(&s->mu);
            return -1;
        }
        s->texts = nt;
        s->cap = cap;
    }
    t = &s->texts[s->ntexts++];
    memset(t, 0, sizeof(*t));
    t->id = id = ++s->next_id;
    snprintf(t->sid, sizeof(t->sid), "%s", sid);
    snprintf(t->direction, sizeof(t->direction), "%s", dir);
    snprintf(t->from, sizeof(t->from), "%s", from);
    snprintf(t->to, sizeof(t->to), "%s", to);
    t->body = strdup(body ? body : "");
    snprintf(t->status, sizeof(t->status), "%s", status);
    t->at = wake_now_ms();
    pthread_mutex_unlock(&s->mu);
    return id;
}

void sim_set_gateway_status(struct sim *s, long id, long status)
{
    size_t i;

    pthread_mutex_lock(&s->mu);
    for (i = 0; i < s->ntexts; i++)
        if (s->texts[i].id == id)
            s->texts[i].gateway_status = status;
    pthread_mutex_unlock(&s->mu);
}

void sim_json_reply(struct http_response *res, int status, json_t *j)
{
    char *txt = json_dumps(j, JSON_COMPACT);

    res->status = status;
    res->content_type = "application/json";
    buf_reset(&res->body);
    buf_puts(&res->body, txt ? txt : "{}");
    free(txt);
    json_decref(j);
}

/* An error body shaped like Twilio's. */
static void twilio_error(struct http_response *res, int http, int code, const char *msg)
{
    char more[96];

    snprintf(more, sizeof(more), "https://www.twilio.com/docs/errors/%d", code);
    sim_json_reply(res, http,
                   json_pack("{s:i, s:s, s:s, s:i}", "code", code, "message", msg, "more_info",
                             more, "status", http));
}

static int own_number(const struct config *c, const char *n)
{
    return config_is_own_number(c, n);
}

/* 1 when phone has opted out of our number at the carrier. Caller holds s->mu. */
static int carrier_opted_out(const struct sim *s, const char *phone, const char *number)
{
    size_t i;

    for (i = 0; i < s->noptouts; i++)
        if (!strcmp(s->optouts[i][0], phone) && !strcmp(s->optouts[i][1], number))
            return 1;
    return 0;
}

int sim_opted_out(struct sim *s, const char *phone, const char *number)
{
    int opted;

    pthread_mutex_lock(&s->mu);
    opted = carrier_opted_out(s, phone, number);
    pthread_mutex_unlock(&s->mu);
    return opted;
}

/* ---- the Messages API ---- */

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

void sim_enqueue_callback(struct sim *s, const char *url, const char *sid, const char *status,
                          int error_code, const char *from, const char *to, const char *text)
{
    struct sim_callback *cb = calloc(1, sizeof(*cb));

    if (!cb)
        return;
    if (text && !(cb->text = strdup(text))) {
        free(cb);
        return;
    }
    snprintf(cb->url, sizeof(cb->url), "%s", url);
    snprintf(cb->sid, sizeof(cb->sid), "%s", sid);
    snprintf(cb->status, sizeof(cb->status), "%s", status);
    cb->error_code = error_code;
    snprintf(cb->from, sizeof(cb->from), "%s", from);
    snprintf(cb->to, sizeof(cb->to), "%s", to);
    pthread_mutex_lock(&s->mu);
    if (s->cb_tail)
        s->cb_tail->next = cb;
    else
        s->cb_head = cb;
    s->cb_tail = cb;
    pthread_mutex_unlock(&s->mu);
    wake_signal(&s->cb_wake);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts))
        ;
}

int sim_fault_take(struct sim *s, struct http_response *res, char mode[8])
{
    int64_t start = wake_now_ms(), left;

    mode[0] = '\0';

    /* Held in short steps, so turning latency down releases calls already waiting. */
    for (;;) {
        pthread_mutex_lock(&s->mu);
        left = start + s->latency_ms - wake_now_ms();
        pthread_mutex_unlock(&s->mu);
        if (left <= 0)
            break;
        sleep_ms(left < 100 ? (long)left : 100);
    }
    pthread_mutex_lock(&s->mu);
    if (!strcmp(s->fault_mode, "down") || (s->fault_mode[0] && s->fault_count > 0)) {
        snprintf(mode, 8, "%s", s->fault_mode);
        if (strcmp(mode, "down") && --s->fault_count == 0)
            s->fault_mode[0] = '\0';
        s->faults++;
    }
    pthread_mutex_unlock(&s->mu);
    if (!mode[0])
        return 0;
    if (strcmp(mode, "429") && strcmp(mode, "500"))
        res->drop = 1; /* "drop" and "down": the connection closes with no answer */
    return 1;
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
        twilio_error(res, 429, 20429, "Too Many Requests");
    else if (!strcmp(mode, "500"))
        twilio_error(res, 500, 20500, "Internal Server Error");
    else
        res->drop = 1; /* "drop" and "down": the connection closes with no answer */
    return 1;
}

void sim_next_delivery(struct sim *s, char out[16])
{
    pthread_mutex_lock(&s->mu);
    if (s->delivery_count > 0 && strcmp(s->delivery, "delivered")) {
        snprintf(out, 16, "%s", s->delivery);
        if (--s->delivery_count == 0)
            snprintf(s->delivery, sizeof(s->delivery), "delivered");
    } else {
        snprintf(out, 16, "delivered");
    }
    pthread_mutex_unlock(&s->mu);
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
static int api_call(struct sim *s, const struct http_request *req, const char *account,
                    struct form *f, struct http_response *res)
{
    const char *why;
    size_t where;

    if (strcmp(account, s->cfg->provider.account_sid)) {
        twilio_error(res, 404, 20404, "The requested resource was not found");
        return 1;
    }
    if (!basic_auth_ok(s, req)) {
        twilio_error(res, 401, 20003, "Authenticate");
        return 1;
    }
    if (form_parse(req->body, req->body_len, f, &why, &where)) {
        twilio_error(res, 400, 20001, "Invalid request body");
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

    if (api_call(s, req, account, &f, res))
        goto done;
    to = form_get(&f, "To");
    from = form_get(&f, "From");
    body = form_get(&f, "Body");
    validity = form_get(&f, "ValidityPeriod");
    cb = form_get(&f, "StatusCallback");
    if (!to || !*to) {
        twilio_error(res, 400, 21604, "A 'To' phone number is required.");
        goto done;
    }
    if (parse_e164(to, &why)) {
        twilio_error(res, 400, 21211, "The 'To' number is not a valid phone number.");
        goto done;
    }
    if ((!from || !*from) && !form_get(&f, "MessagingServiceSid")) {
        twilio_error(res, 400, 21603, "A 'From' phone number is required.");
        goto done;
    }
    if (from && !own_number(s->cfg, from)) {
        twilio_error(res, 400, 21606,
                     "The From phone number is not a valid, SMS-capable inbound phone number "
                     "or short code for your account.");
        goto done;
    }
    if ((!body || !*body) && !form_get(&f, "MediaUrl") && !form_get(&f, "ContentSid")) {
        twilio_error(res, 400, 21602, "Message body is required.");
        goto done;
    }
    if (body && sms_chars(body) > SMS_MAX_CHARS) {
        twilio_error(res, 400, 21617,
                     "The concatenated message body exceeds the 1600 character limit.");
        goto done;
    }
    if (validity && parse_int(validity, 1, 36000, &vp, &why)) {
        twilio_error(res, 400, 21624, "Invalid validity period value.");
        goto done;
    }
    if (cb && strncmp(cb, "http://", 7) && strncmp(cb, "https://", 8)) {
        twilio_error(res, 400, 21609, "Invalid StatusCallback url.");
        goto done;
    }
    opted = from && sim_opted_out(s, to, from);
    if (opted) {
        twilio_error(res, 400, 21610, "Attempt to send to unsubscribed recipient");
        goto done;
    }
    new_sid("SM", sid);
    next_delivery(s, final, &error_code);
    sim_record(s, sid, "outbound-api", from ? from : "", to, body ? body : "", final);
    rfc2822(t, now, sizeof(now));
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

    rfc2822(t->at, date, sizeof(date));
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

    if (api_call(s, req, account, &f, res))
        goto done;
    if ((size && parse_int(size, 1, 1000, &ps, &why)) ||
        (page && parse_int(page, 0, 1000000, &pg, &why)) ||
        (after && (since = iso_ms(after)) < 0)) {
        twilio_error(res, 400, 20001, "Invalid Parameter");
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

    if (api_call(s, req, account, &f, res))
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

/*
 * POST /sim/numbers [sms_url=URL] [sms_fallback_url=URL]: what the numbers
 * report (sms_url "": the gateway's), and the Fallback URL texts are posted
 * to, signed, when the gateway answers an error or nothing (it must be
 * under public_url, which the simulator maps to the gateway's address).
 */
static void set_numbers(struct sim *s, const struct http_request *req, struct http_response *res)
{
    struct form f = {0};
    const char *url = NULL, *fb = NULL, *why;
    size_t where, n = strlen(s->cfg->public_url);

    if (form_parse(req->body, req->body_len, &f, &why, &where) ||
        (!(url = form_get(&f, "sms_url")) && !(fb = form_get(&f, "sms_fallback_url"))) ||
        (url && strlen(url) >= sizeof(s->sms_url)) ||
        ((fb = form_get(&f, "sms_fallback_url")) &&
         (strlen(fb) >= sizeof(s->fallback_url) || (*fb && strncmp(fb, s->cfg->public_url, n))))) {
        sim_json_reply(res, 400,
                       json_pack("{s:s}", "error",
                                 "sms_url=URL and/or sms_fallback_url=URL under public_url"));
        form_free(&f);
        return;
    }
    pthread_mutex_lock(&s->mu);
    if (url)
        snprintf(s->sms_url, sizeof(s->sms_url), "%s", url);
    if (fb)
        snprintf(s->fallback_url, sizeof(s->fallback_url), "%s", fb);
    pthread_mutex_unlock(&s->mu);
    sim_json_reply(
        res, 200,
        json_pack("{s:s, s:s}", "sms_url", s->sms_url, "sms_fallback_url", s->fallback_url));
    form_free(&f);
}

/* ---- posting signed webhooks to the gateway ---- */

size_t sim_sink(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
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

    if (api_call(s, req, account, &f, res)) {
        form_free(&f);
        return;
    }
    body = form_get(&f, "Body");
    if (!body || *body) {
        twilio_error(res, 400, 20001, "Body may only be set to an empty string (to redact).");
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
        twilio_error(res, 404, 20404, "The requested resource was not found");
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
static long twilio_inbound(struct sim *s, const struct sim_inbound *in, char sid[SIM_ID_LEN],
                           long *id)
{
    struct form out = {0};
    char url[600], sign[600], segs[16];
    long status;

    if (in->sid && *in->sid)
        snprintf(sid, SIM_ID_LEN, "%s", in->sid);
    else
        new_sid("SM", sid);
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

/* POST /sim/sms: a phone texts one of the line's numbers, delivered as the provider would. */
static void phone_sends(struct sim *s, const struct http_request *req, struct http_response *res)
{
    struct form f = {0};
    struct sim_inbound in;
    const char *body, *why;
    char sid[SIM_ID_LEN];
    size_t where;
    long id = 0, status;

    if (form_parse(req->body, req->body_len, &f, &why, &where)) {
        sim_json_reply(res, 400, json_pack("{s:s}", "error", why));
        return;
    }
    body = form_get(&f, "Body");
    in.from = form_get(&f, "From");
    in.to = form_get(&f, "To");
    in.body = body ? body : "";
    in.sid = form_get(&f, "MessageSid");
    in.nmedia = form_get(&f, "NumMedia");
    if (!in.from || parse_e164(in.from, &why) || !in.to || !own_number(s->cfg, in.to)) {
        sim_json_reply(
            res, 400,
            json_pack("{s:s}", "error", "From must be E.164 and To one of the line's numbers"));
        goto done;
    }
    if (s->kind == PROVIDER_TELNYX)
        status = sim_telnyx_inbound(s, &in, sid, &id);
    else
        status = twilio_inbound(s, &in, sid, &id);
    sim_set_gateway_status(s, id, status);
    sim_json_reply(res, 200,
                   json_pack("{s:s, s:i, s:i}", "sid", sid, "status", (int)status, "id", (int)id));
done:
    form_free(&f);
}

/* ---- status callbacks ---- */

/* Posts one delivery report as Twilio's status callback. */
static void twilio_post_status(struct sim *s, const struct sim_callback *cb)
{
    struct form f = {0};

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
    post_signed(s, cb->url, cb->url, &f);
    form_free(&f);
}

static void free_callback(struct sim_callback *cb)
{
    free(cb->text);
    free(cb);
}

static void *callback_loop(void *arg)
{
    struct sim *s = arg;

    for (;;) {
        struct sim_callback *cb;

        pthread_mutex_lock(&s->mu);
        cb = s->cb_head;
        if (cb) {
            s->cb_head = cb->next;
            if (!s->cb_head)
                s->cb_tail = NULL;
        }
        pthread_mutex_unlock(&s->mu);
        if (!cb) {
            if (s->stopping)
                return NULL;
            wake_wait(&s->cb_wake, 500);
            continue;
        }
        if (s->kind == PROVIDER_TELNYX)
            sim_telnyx_post_event(s, cb);
        else
            twilio_post_status(s, cb);
        free_callback(cb);
    }
}

/* ---- control API ---- */

static void list_messages(struct sim *s, const struct http_request *req, struct http_response *res)
{
    const char *since = http_query(req, "since"), *phone = http_query(req, "phone");
    long long after = 0;
    const char *why;
    json_t *arr = json_array();
    size_t i;

    if (since && parse_int(since, 0, 1LL << 40, &after, &why))
        after = 0;
    pthread_mutex_lock(&s->mu);
    for (i = 0; i < s->ntexts; i++) {
        const struct sim_text *t = &s->texts[i];
        if (t->id <= after)
            continue;
        if (phone && strcmp(phone, t->from) && strcmp(phone, t->to))
            continue;
        json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I}", "id",
                                             (int)t->id, "sid", t->sid, "direction", t->direction,
                                             "from", t->from, "to", t->to, "body", t->body,
                                             "status", t->status, "gateway_status",
                                             (int)t->gateway_status, "at", (json_int_t)t->at));
    }
    pthread_mutex_unlock(&s->mu);
    sim_json_reply(res, 200, json_pack("{s:o}", "messages", arr));
}

/* POST /sim/optout Phone=...&Number=...: the phone opts out of our number at the carrier. */
static void set_optout(struct sim *s, const struct http_request *req, struct http_response *res)
{
    struct form f = {0};
    const char *phone, *number, *why;
    size_t where;

    if (form_parse(req->body, req->body_len, &f, &why, &where)) {
        sim_json_reply(res, 400, json_pack("{s:s}", "error", why));
        return;
    }
    phone = form_get(&f, "Phone");
    number = form_get(&f, "Number");
    if (!phone || parse_e164(phone, &why) || !number || !own_number(s->cfg, number)) {
        sim_json_reply(res, 400, json_pack("{s:s}", "error", "Phone=E.164&Number=one of ours"));
        goto done;
    }
    pthread_mutex_lock(&s->mu);
    if (!carrier_opted_out(s, phone, number)) {
        void *n = realloc(s->optouts, (s->noptouts + 1) * sizeof(*s->optouts));
        if (n) {
            s->optouts = n;
            snprintf(s->optouts[s->noptouts][0], 24, "%s", phone);
            snprintf(s->optouts[s->noptouts][1], 24, "%s", number);
            s->noptouts++;
        }
    }
    pthread_mutex_unlock(&s->mu);
    sim_json_reply(res, 200, json_pack("{s:s}", "optout", "ok"));
done:
    form_free(&f);
}

static json_t *fault_state(struct sim *s)
{
    json_t *j;

    pthread_mutex_lock(&s->mu);
    j = json_pack("{s:s, s:I, s:I, s:s, s:I, s:I}", "mode",
                  s->fault_mode[0] ? s->fault_mode : "none", "count", (json_int_t)s->fault_count,
                  "latency_ms", (json_int_t)s->latency_ms, "delivery", s->delivery,
                  "delivery_count", (json_int_t)s->delivery_count, "faults", (json_int_t)s->faults);
    pthread_mutex_unlock(&s->mu);
    return j;
}

/*
 * POST /sim/fault: any of
 *   mode=500|429|drop|down|none [count=N]   N (default 1) API calls answered 500
 *                                            or 429, or dropped unanswered;
 *                                            down: every call dropped until none
 *   latency_ms=MS                            wait this long before every answer
 *   delivery=delivered|undelivered|failed [delivery_count=N]
 *                                            the final status the next N sends
 *                                            report by status callback
 * All or nothing: a bad field changes no switch. Answers the switches' state.
 */
static void set_fault(struct sim *s, const struct http_request *req, struct http_response *res)
{
    static const char *const modes[] = {"500", "429", "drop", "down", "none"};
    static const char *const finals[] = {"delivered", "undelivered", "failed"};
    struct form f = {0};
    const char *mode, *count, *latency, *delivery, *dcount, *why;
    long long n = 1, ms = 0, dn = 1;
    size_t where, i;
    int ok_mode = 0, ok_final = 0;

    if (form_parse(req->body, req->body_len, &f, &why, &where)) {
        sim_json_reply(res, 400, json_pack("{s:s}", "error", why));
        return;
    }
    mode = form_get(&f, "mode");
    count = form_get(&f, "count");
    latency = form_get(&f, "latency_ms");
    delivery = form_get(&f, "delivery");
    dcount = form_get(&f, "delivery_count");
    for (i = 0; mode && i < sizeof(modes) / sizeof(modes[0]); i++)
        ok_mode |= !strcmp(mode, modes[i]);
    for (i = 0; delivery && i < sizeof(finals) / sizeof(finals[0]); i++)
        ok_final |= !strcmp(delivery, finals[i]);
    if ((!mode && !latency && !delivery) || (mode && !ok_mode) || (delivery && !ok_final) ||
        (count && parse_int(count, 0, 1000000, &n, &why)) ||
        (latency && parse_int(latency, 0, 30000, &ms, &why)) ||
        (dcount && parse_int(dcount, 0, 1000000, &dn, &why))) {
        sim_json_reply(res, 400,
                       json_pack("{s:s}", "error",
                                 "mode=500|429|drop|down|none [count=N], latency_ms=0..30000, "
                                 "delivery=delivered|undelivered|failed [delivery_count=N]"));
        goto done;
    }
    pthread_mutex_lock(&s->mu);
    if (mode) {
        int off = !strcmp(mode, "none") || (strcmp(mode, "down") && n == 0);
        snprintf(s->fault_mode, sizeof(s->fault_mode), "%s", off ? "" : mode);
        s->fault_count = off || !strcmp(mode, "down") ? 0 : (long)n;
    }
    if (latency)
        s->latency_ms = (long)ms;
    if (delivery) {
        snprintf(s->delivery, sizeof(s->delivery), "%s", dn ? delivery : "delivered");
        s->delivery_count = strcmp(s->delivery, "delivered") ? (long)dn : 0;
    }
    pthread_mutex_unlock(&s->mu);
    sim_json_reply(res, 200, fault_state(s));
done:
    form_free(&f);
}

/* GET /sim/phones: the line's numbers and every rostered phone, for the page. */
static void phones(struct sim *s, struct http_response *res)
{
    struct diag *d = diag_new();
    struct roster *r = d ? roster_load(s->cfg->roster, NULL, d) : NULL;
    json_t *numbers, *peers, *coords;
    size_t i, k;

    if (!r) {
        sim_json_reply(
            res, 500,
            json_pack("{s:s}", "error", "the roster does not load: run peerline check -c CONFIG"));
        diag_free(d);
        return;
    }
    numbers = json_pack("[s]", s->cfg->provider.line_number);
    for (i = 0; i < s->cfg->provider.npool; i++)
        json_array_append_new(numbers, json_string(s->cfg->provider.pool[i]));
    peers = json_array();
    for (i = 0; i < r->npeers; i++) {
        const struct roster_peer *p = &r->peers[i];
        json_t *topics = json_array(), *langs = json_array();
        for (k = 0; k < p->ntopics; k++)
            json_array_append_new(topics, json_string(r->topics[p->topics[k]].id));
        for (k = 0; k < r->nlangs; k++)
            if (p->langs & (1ULL << k))
                json_array_append_new(langs, json_string(r->langs[k]));
        json_array_append_new(peers,
                              json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", p->id, "name", p->name,
                                        "phone", p->phone, "topics", topics, "languages", langs));
    }
    coords = json_array();
    for (i = 0; i < r->ncoordinators; i++)
        json_array_append_new(coords, json_pack("{s:s, s:s, s:s}", "id", r->coordinators[i].id,
                                                "name", r->coordinators[i].name, "phone",
                                                r->coordinators[i].phone));
    sim_json_reply(res, 200,
                   json_pack("{s:s, s:s, s:o, s:o, s:o}", "line_name", r->line_name, "line_number",
                             s->cfg->provider.line_number, "numbers", numbers, "peers", peers,
                             "coordinators", coords));
    roster_free(r);
    diag_free(d);
}

/* Twilio's REST API: 1 when req was a call to it (res answered), else 0. */
static int twilio_api(struct sim *s, const struct http_request *req, struct http_response *res)
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

static void handle(void *arg, const struct http_request *req, struct http_response *res)
{
    struct sim *s = arg;
    int post = !strcmp(req->method, "POST");

    if (sim_voice_handle(s, req, res))
        return;
    if (s->kind == PROVIDER_TELNYX ? sim_telnyx_api(s, req, res) : twilio_api(s, req, res))
        return;
    if (post && !strcmp(req->path, "/sim/sms")) {
        phone_sends(s, req, res);
        return;
    }
    if (post && !strcmp(req->path, "/sim/optout")) {
        set_optout(s, req, res);
        return;
    }
    if (post && !strcmp(req->path, "/sim/numbers")) {
        set_numbers(s, req, res);
        return;
    }
    if (post && !strcmp(req->path, "/sim/fault")) {
        set_fault(s, req, res);
        return;
    }
    if (!strcmp(req->method, "GET") && !strcmp(req->path, "/sim/messages")) {
        list_messages(s, req, res);
        return;
    }
    if (!strcmp(req->method, "GET") && !strcmp(req->path, "/sim/fault")) {
        sim_json_reply(res, 200, fault_state(s));
        return;
    }
    if (!strcmp(req->method, "GET") && !strcmp(req->path, "/sim/phones")) {
        phones(s, res);
        return;
    }
    if (!strcmp(req->method, "GET") && !strcmp(req->path, "/")) {
        http_page(res, sim_page_html);
        return;
    }
    if (!strcmp(req->method, "GET") && !strcmp(req->path, "/healthz")) {
        http_text(res, 200, "ok");
        return;
    }
    if (s->kind == PROVIDER_TELNYX)
        sim_telnyx_error(res, 404, "10005", "Resource not found",
                         "The requested resource or URL could not be found.");
    else
        twilio_error(res, 404, 20404, "The requested resource was not found");
}

/*
 * Telnyx signs its webhooks with the account's private key, which only it
 * holds: the simulator must be given one (the gateway's provider.public_key
 * must be its public half). 0 to go on, -1 (told on stderr) to refuse.
 */
static int signing_key(struct sim *s, const char *path)
{
    char err[512];

    if (s->kind != PROVIDER_TELNYX && path) {
        fprintf(stderr, "peerline sim: --telnyx-signing-key is only used with provider.kind "
                        "telnyx\n");
        return -1;
    }
    if (s->kind != PROVIDER_TELNYX)
        return 0;
    if (!path) {
        fprintf(stderr, "peerline sim: provider.kind is telnyx, so the simulator signs webhooks "
                        "as Telnyx does: give it --telnyx-signing-key FILE (FILE holds the base64 "
                        "of the 32-byte Ed25519 private key whose public half is "
                        "provider.public_key)\n");
        return -1;
    }
    if (sim_telnyx_load_key(s, path, err, sizeof(err))) {
        fprintf(stderr, "peerline sim: --telnyx-signing-key %s: %s\n", path, err);
        return -1;
    }
    return 0;
}

int sim_main(int argc, char **argv)
{
    struct sim s;
    struct diag *d = diag_new();
    struct config *cfg = NULL;
    struct http_server *http = NULL;
    struct http_opts ho = {0};
    const char *cfg_path = NULL, *listen = "127.0.0.1:8025", *gateway = NULL, *key = NULL, *why;
    char host[256], err[256];
    pthread_t cbt;
    sigset_t sigs;
    int i, port, sig, rc = 1, cb_started = 0;

    memset(&s, 0, sizeof(s));
    s.callbacks = 1;
    snprintf(s.delivery, sizeof(s.delivery), "delivered");
    for (i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
            cfg_path = argv[++i];
        else if (!strcmp(argv[i], "--listen") && i + 1 < argc)
            listen = argv[++i];
        else if (!strcmp(argv[i], "--gateway") && i + 1 < argc)
            gateway = argv[++i];
        else if (!strcmp(argv[i], "--telnyx-signing-key") && i + 1 < argc)
            key = argv[++i];
        else if (!strcmp(argv[i], "--no-callbacks"))
            s.callbacks = 0;
        else {
            fprintf(stderr, "usage: peerline sim -c FILE [--listen HOST:PORT] [--gateway URL] "
                            "[--no-callbacks] [--telnyx-signing-key FILE]\n");
            diag_free(d);
            return 2;
        }
    }
    if (!cfg_path || !d) {
        fprintf(stderr, "peerline sim: -c FILE is required (the gateway's config)\n");
        diag_free(d);
        return 2;
    }
    cfg = config_load(cfg_path, NULL, d);
    if (!cfg) {
        diag_print(d, stderr);
        diag_free(d);
        return 1;
    }
    diag_free(d);
    if (parse_listen(listen, host, sizeof(host), &port, 1, &why)) {
        fprintf(stderr, "peerline sim: --listen: %s\n", why);
        goto out;
    }
    s.cfg = cfg;
    s.kind = cfg->provider.kind;
    if (signing_key(&s, key))
        goto out;
    if (gateway)
        snprintf(s.gateway, sizeof(s.gateway), "%s", gateway);
    else
        snprintf(s.gateway, sizeof(s.gateway), "http://%s%s%s:%d",
                 strchr(cfg->listen_host, ':') ? "[" : "", cfg->listen_host,
                 strchr(cfg->listen_host, ':') ? "]" : "", cfg->listen_port);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_mutex_init(&s.mu, NULL);
    wake_init(&s.cb_wake);
    if (sim_voice_start(&s))
        goto stop;
    if (pthread_create(&cbt, NULL, callback_loop, &s) == 0)
        cb_started = 1;
    ho.host = host;
    ho.port = port;
    ho.max_body = SIM_MAX_BODY;
    ho.conn_limit = 256;
    ho.timeout_s = 60;
    ho.thread_per_conn = 1;
    http = http_start(&ho, handle, &s, err, sizeof(err));
    if (!http) {
        fprintf(stderr, "peerline sim: %s\n", err);
        goto stop;
    }
    log_info("sim.started", "listen=%s:%d gateway=%s", host, http_port(http), s.gateway);
    while (sigwait(&sigs, &sig))
        ;
    rc = 0;
    sim_voice_shutdown(&s); /* calls end before the server stops: they may be calling it */
    http_stop(http);
stop:
    sim_voice_free(&s);
    s.stopping = 1;
    wake_signal(&s.cb_wake);
    if (cb_started)
        pthread_join(cbt, NULL);
    while (s.cb_head) {
        struct sim_callback *n = s.cb_head->next;
        free_callback(s.cb_head);
        s.cb_head = n;
    }
    for (i = 0; (size_t)i < s.ntexts; i++)
        free(s.texts[i].body);
    free(s.texts);
    free(s.optouts);
    wake_destroy(&s.cb_wake);
    pthread_mutex_destroy(&s.mu);
    curl_global_cleanup();
out:
    OPENSSL_cleanse(s.signing_key, sizeof(s.signing_key));
    config_free(cfg);
    return rc;
}

/* ---- for sim_voice*.c (see sim_priv.h) ---- */

void sim_twilio_error(struct http_response *res, int http, int code, const char *msg)
{
    twilio_error(res, http, code, msg);
}

int sim_twilio_api_call(struct sim *s, const struct http_request *req, const char *account,
                        struct form *f, struct http_response *res)
{
    return api_call(s, req, account, f, res);
}

void sim_new_sid(const char *prefix, char out[SIM_ID_LEN])
{
    new_sid(prefix, out);
}

void sim_rfc2822(int64_t ms, char *out, size_t n)
{
    rfc2822(ms, out, n);
}
