/*
 * twilio.c - see twilio.h.
 *
 * The signed string is the full URL followed by every POST parameter's name
 * and value, sorted by name (then value, for repeated names), with no
 * separators. Parameters are sorted as pointers into the caller's form, so
 * nothing is copied but the concatenation.
 */
#include "twilio.h"
#include "buf.h"
#include "config.h"
#include "form.h"
#include "http.h"
#include "parse.h"
#include "tz.h"
#include "utf8.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int cmp_param(const void *a, const void *b)
{
    const struct form_param *x = *(const struct form_param *const *)a;
    const struct form_param *y = *(const struct form_param *const *)b;
    int c = strcmp(x->key, y->key);

    return c ? c : strcmp(x->value, y->value);
}

int twilio_signature(const char *auth_token, const char *url, const struct form *params,
                     char out[TWILIO_SIG_LEN])
{
    const struct form_param **sorted = NULL;
    struct buf data = BUF_INIT(0);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    size_t i, n = params ? params->n : 0;
    int rc = -1;

    if (n) {
        sorted = malloc(n * sizeof(*sorted));
        if (!sorted)
            goto fail;
        for (i = 0; i < n; i++)
            sorted[i] = &params->params[i];
        qsort(sorted, n, sizeof(*sorted), cmp_param);
    }
    if (buf_puts(&data, url))
        goto fail;
    for (i = 0; i < n; i++)
        if (buf_puts(&data, sorted[i]->key) || buf_puts(&data, sorted[i]->value))
            goto fail;
    if (!HMAC(EVP_sha1(), auth_token, (int)strlen(auth_token), (const unsigned char *)data.p,
              data.len, mac, &maclen) ||
        maclen != 20)
        goto fail;
    EVP_EncodeBlock((unsigned char *)out, mac, 20);
    rc = 0;
fail:
    free(sorted);
    buf_free(&data);
    return rc;
}

/*
 * Writes the URL with its default port toggled: added when absent, removed
 * when present and default. Returns -1 when there is nothing to toggle.
 */
static int port_variant(const char *url, char *out, size_t outlen)
{
    const char *host, *end, *colon;
    const char *port;
    size_t hl;

    if (!strncmp(url, "https://", 8)) {
        host = url + 8;
        port = "443";
    } else if (!strncmp(url, "http://", 7)) {
        host = url + 7;
        port = "80";
    } else {
        return -1;
    }
    end = host + strcspn(host, "/?#");
    colon = memchr(host, ':', (size_t)(end - host));
    if (host[0] == '[') { /* IPv6 literal: the port colon follows ']' */
        const char *rb = memchr(host, ']', (size_t)(end - host));
        colon = rb && rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
    }
    if (colon) {
        if ((size_t)(end - colon - 1) != strlen(port) || strncmp(colon + 1, port, strlen(port)))
            return -1;
        hl = (size_t)(colon - url);
        if ((size_t)snprintf(out, outlen, "%.*s%s", (int)hl, url, end) >= outlen)
            return -1;
        return 0;
    }
    hl = (size_t)(end - url);
    if ((size_t)snprintf(out, outlen, "%.*s:%s%s", (int)hl, url, port, end) >= outlen)
        return -1;
    return 0;
}

static int sig_matches(const char *token, const char *url, const struct form *params,
                       const char *signature)
{
    char want[TWILIO_SIG_LEN];

    if (twilio_signature(token, url, params, want))
        return 0;
    return strlen(signature) == TWILIO_SIG_LEN - 1 &&
           CRYPTO_memcmp(want, signature, TWILIO_SIG_LEN - 1) == 0;
}

int twilio_verify(const char *auth_token, const char *url, const struct form *params,
                  const char *signature)
{
    char alt[2048];
    int ok;

    if (!signature || !*signature || !auth_token || !*auth_token)
        return 0;
    ok = sig_matches(auth_token, url, params, signature);
    /* Both variants are always computed, so timing does not tell which matched. */
    if (port_variant(url, alt, sizeof(alt)) == 0)
        ok |= sig_matches(auth_token, alt, params, signature);
    return ok;
}

int twilio_send_body(const struct twilio_send *s, struct buf *out)
{
    if (form_add(out, "To", s->to) || form_add(out, "From", s->from) ||
        form_add(out, "Body", s->body))
        return -1;
    if (s->status_callback && *s->status_callback &&
        form_add(out, "StatusCallback", s->status_callback))
        return -1;
    if (s->validity_s > 0) {
        char v[24];
        int64_t vs = s->validity_s > 36000 ? 36000 : s->validity_s;
        snprintf(v, sizeof(v), "%lld", (long long)vs);
        if (form_add(out, "ValidityPeriod", v))
            return -1;
    }
    return 0;
}

int twilio_sid_valid(const char *sid)
{
    size_t i;

    if (!sid || strlen(sid) != 34)
        return 0;
    if (sid[0] < 'A' || sid[0] > 'Z' || sid[1] < 'A' || sid[1] > 'Z')
        return 0;
    for (i = 2; i < 34; i++)
        if (!strchr("0123456789abcdefABCDEF", sid[i]))
            return 0;
    return 1;
}

static void set_error(struct provider_result *r, enum provider_outcome o, int code,
                      const char *text)
{
    r->outcome = o;
    r->error_code = code;
    /* Stored: whole characters only (PostgreSQL refuses a split one). */
    utf8_copy(r->error_text, sizeof(r->error_text), text);
}

void twilio_parse_send(long http_status, const char *body, size_t len, struct provider_result *r)
{
    json_t *root = NULL;
    json_error_t jerr;
    int code = 0;

    memset(r, 0, sizeof(*r));
    if (http_status == 0) {
        set_error(r, PROVIDER_RETRY, 0, "network error");
        return;
    }
    if (body && len)
        root = json_loadb(body, len, 0, &jerr);
    if (http_status == 201 || http_status == 200) {
        const char *sid = json_string_value(json_object_get(root, "sid"));
        if (!twilio_sid_valid(sid)) {
            /* Accepted but unreadable: do not resend blindly into a duplicate. */
            set_error(r, PROVIDER_FINAL, (int)http_status, "accepted without a readable sid");
            goto done;
        }
        r->outcome = PROVIDER_SENT;
        snprintf(r->id, sizeof(r->id), "%s", sid);
        goto done;
    }
    code = (int)json_integer_value(json_object_get(root, "code"));
    {
        const char *msg = json_string_value(json_object_get(root, "message"));
        char text[160];
        snprintf(text, sizeof(text), "HTTP %ld%s%.120s", http_status, msg ? ": " : "",
                 msg ? msg : "");
        /*
         * 401/403 (20003) is our credentials, not the message: retried, so
         * texts wait out a token rotation instead of being dropped.
         */
        if (http_status == 429 || http_status >= 500 || http_status == 401 || http_status == 403 ||
            code == 20003 || code == 20429 || code == 21611 || code == 30001)
            set_error(r, PROVIDER_RETRY, code ? code : (int)http_status, text);
        else if (code == 21610)
            set_error(r, PROVIDER_OPTED_OUT, code, text);
        else
            set_error(r, PROVIDER_FINAL, code ? code : (int)http_status, text);
    }
done:
    json_decref(root);
}

/* n decimal digits at *p into *v; advances *p. */
static int digits(const char **p, int n, int *v)
{
    *v = 0;
    while (n--) {
        if (**p < '0' || **p > '9')
            return -1;
        *v = *v * 10 + (*(*p)++ - '0');
    }
    return 0;
}

int twilio_parse_date(const char *s, int64_t *ms)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int day, mon, year, hh, mm, ss, zh, zm, sign;
    const char *p = s, *mp;

    if (!s || strlen(s) < 31 || p[3] != ',' || p[4] != ' ')
        return -1;
    p += 5;
    if (digits(&p, 2, &day) || *p++ != ' ')
        return -1;
    for (mp = months; *mp && strncmp(mp, p, 3); mp += 3)
        ;
    if (!*mp || p[3] != ' ')
        return -1;
    mon = (int)(mp - months) / 3 + 1;
    p += 4;
    if (digits(&p, 4, &year) || *p++ != ' ' || digits(&p, 2, &hh) || *p++ != ':' ||
        digits(&p, 2, &mm) || *p++ != ':' || digits(&p, 2, &ss) || *p++ != ' ')
        return -1;
    if (*p != '+' && *p != '-')
        return -1;
    sign = *p++ == '-' ? -1 : 1;
    if (digits(&p, 2, &zh) || digits(&p, 2, &zm) || *p)
        return -1;
    if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || zh > 23 || zm > 59)
        return -1;
    *ms = ((tz_days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss) -
           sign * (zh * 3600 + zm * 60)) *
          1000;
    return 0;
}

int twilio_parse_list(const char *body, size_t len,
                      int (*fn)(void *arg, const struct twilio_listed *m), void *arg, char *next,
                      size_t nextlen, int *skipped)
{
    json_error_t jerr;
    json_t *root = body ? json_loadb(body, len, 0, &jerr) : NULL;
    json_t *msgs = json_object_get(root, "messages"), *m;
    const char *nx = json_string_value(json_object_get(root, "next_page_uri"));
    size_t i;
    int rc = 0;

    *skipped = 0;
    if (nextlen)
        next[0] = '\0';
    if (!json_is_array(msgs)) {
        json_decref(root);
        return -1;
    }
    json_array_foreach(msgs, i, m)
    {
        struct twilio_listed l = {0};
        const char *dir = json_string_value(json_object_get(m, "direction"));
        const char *media = json_string_value(json_object_get(m, "num_media"));

        l.sid = json_string_value(json_object_get(m, "sid"));
        l.from = json_string_value(json_object_get(m, "from"));
        l.to = json_string_value(json_object_get(m, "to"));
        l.body = json_string_value(json_object_get(m, "body"));
        {
            /* "receiving" may not have its whole body yet: only "received" counts. */
            const char *st = json_string_value(json_object_get(m, "status"));
            l.inbound = dir && !strcmp(dir, "inbound") && (!st || !strcmp(st, "received"));
        }
        if (twilio_parse_date(json_string_value(json_object_get(m, "date_sent")), &l.sent_at))
            l.sent_at = 0;
        for (; media && *media >= '0' && *media <= '9' && l.num_media < 100; media++)
            l.num_media = l.num_media * 10 + (*media - '0');
        if (!twilio_sid_valid(l.sid) || !l.from || !l.to || strlen(l.from) > 20 ||
            strlen(l.to) > 20) {
            (*skipped)++;
            continue;
        }
        if (!l.body)
            l.body = "";
        if (fn(arg, &l)) {
            rc = -1;
            break;
        }
    }
    /* Only a path on the same API: never follow a link to somewhere else. */
    if (!rc && nx && nx[0] == '/' && strncmp(nx, "//", 2) && strlen(nx) < nextlen)
        snprintf(next, nextlen, "%s", nx);
    json_decref(root);
    return rc;
}

/* ---- the provider interface (provider.h) ---- */

#define TWIML_EMPTY "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>"

static const char *const twilio_paths[] = {"/twilio/sms", "/twilio/spool", "/twilio/status", NULL};

/* Twilio's webhooks are forms: the body read into *f, or PROVIDER_BAD with why. */
static enum provider_verdict read_form(const struct http_request *req, struct form *f, char *why,
                                       size_t whylen)
{
    const char *ct = http_header(req, "Content-Type");
    const char *what = "";
    size_t n = strlen("application/x-www-form-urlencoded"), where = 0;

    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", n) ||
        (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' ')) {
        snprintf(why, whylen, "expected Content-Type: application/x-www-form-urlencoded");
        return PROVIDER_BAD;
    }
    if (form_parse(req->body, req->body_len, f, &what, &where)) {
        snprintf(why, whylen, "bad form body at byte %zu: %s", where, what);
        return PROVIDER_BAD;
    }
    return PROVIDER_OK;
}

static enum provider_verdict tw_verify(const struct config *cfg, const struct http_request *req,
                                       int64_t now_s, char *why, size_t whylen)
{
    struct form f;
    char url[4096];
    enum provider_verdict v;

    (void)now_s;
    v = read_form(req, &f, why, whylen);
    if (v)
        return v;
    if ((size_t)snprintf(url, sizeof(url), "%s%s", cfg->public_url, req->raw_uri) >= sizeof(url) ||
        !twilio_verify(cfg->provider.auth_token, url, &f, http_header(req, "X-Twilio-Signature"))) {
        snprintf(why, whylen, "X-Twilio-Signature does not match");
        v = PROVIDER_FORGED;
    }
    form_free(&f);
    return v;
}

static enum provider_verdict tw_status(const struct form *f, struct provider_inbound *in, char *why,
                                       size_t whylen)
{
    const char *sid = form_get(f, "MessageSid");
    const char *st = form_get(f, "MessageStatus");
    const char *code = form_get(f, "ErrorCode");
    const char *what;
    long long ec = 0;

    if (!st)
        st = form_get(f, "SmsStatus");
    if (!twilio_sid_valid(sid) || !st || !*st || strlen(st) >= sizeof(in->status)) {
        snprintf(why, whylen, "missing MessageSid or MessageStatus");
        return PROVIDER_BAD;
    }
    if (code && *code && parse_int(code, 0, 999999, &ec, &what)) {
        snprintf(why, whylen, "ErrorCode must be a number");
        return PROVIDER_BAD;
    }
    in->kind = PROVIDER_EV_STATUS;
    snprintf(in->id, sizeof(in->id), "%s", sid);
    snprintf(in->status, sizeof(in->status), "%s", st);
    in->error_code = (int)ec;
    return PROVIDER_OK;
}

static enum provider_verdict tw_text(const struct form *f, struct provider_inbound *in, char *why,
                                     size_t whylen)
{
    const char *sid = form_get(f, "MessageSid");
    const char *from = form_get(f, "From"), *to = form_get(f, "To");
    const char *body = form_get(f, "Body"), *media = form_get(f, "NumMedia");
    const char *what;
    long long nmedia = 0;

    if (!twilio_sid_valid(sid)) {
        snprintf(why, whylen, "missing or malformed MessageSid");
        return PROVIDER_BAD;
    }
    if (!from || parse_e164(from, &what) || !to || parse_e164(to, &what)) {
        snprintf(why, whylen, "From and To must be E.164 phone numbers");
        return PROVIDER_BAD;
    }
    if (media && parse_int(media, 0, 100, &nmedia, &what)) {
        snprintf(why, whylen, "NumMedia must be a number from 0 to 100");
        return PROVIDER_BAD;
    }
    in->body = strdup(body ? body : "");
    if (!in->body) {
        snprintf(why, whylen, "out of memory");
        return PROVIDER_BAD;
    }
    in->kind = PROVIDER_EV_TEXT;
    snprintf(in->id, sizeof(in->id), "%s", sid);
    snprintf(in->from, sizeof(in->from), "%s", from);
    snprintf(in->to, sizeof(in->to), "%s", to);
    in->num_media = (int)nmedia;
    return PROVIDER_OK;
}

static enum provider_verdict tw_parse(const struct http_request *req, struct provider_inbound *in,
                                      char *why, size_t whylen)
{
    struct form f;
    enum provider_verdict v;

    memset(in, 0, sizeof(*in));
    v = read_form(req, &f, why, whylen);
    if (v)
        return v;
    if (!strcmp(req->path, "/twilio/status"))
        v = tw_status(&f, in, why, whylen);
    else
        v = tw_text(&f, in, why, whylen);
    form_free(&f);
    return v;
}

/* A text: empty TwiML, so Twilio sends nothing back itself. A status: nothing at all. */
static void tw_answer(const struct http_request *req, const struct provider_inbound *in,
                      struct http_response *res)
{
    (void)req;
    buf_reset(&res->body);
    if (in->kind == PROVIDER_EV_STATUS) {
        res->status = 204;
        res->content_type = "text/plain";
        return;
    }
    res->status = 200;
    res->content_type = "text/xml";
    buf_puts(&res->body, TWIML_EMPTY);
}

static int tw_endpoint(const struct config *cfg, struct provider_endpoint *ep, char *err,
                       size_t errlen)
{
    memset(ep, 0, sizeof(*ep));
    ep->content_type = "application/x-www-form-urlencoded";
    if ((size_t)snprintf(ep->url, sizeof(ep->url), "%s/2010-04-01/Accounts/%s/Messages.json",
                         cfg->provider.api_base, cfg->provider.account_sid) >= sizeof(ep->url) ||
        (size_t)snprintf(ep->userpwd, sizeof(ep->userpwd), "%s:%s", cfg->provider.account_sid,
                         cfg->provider.auth_token) >= sizeof(ep->userpwd)) {
        snprintf(err, errlen, "provider.api_base or the credentials are too long");
        return -1;
    }
    return 0;
}

static int tw_send_body(const struct config *cfg, const struct provider_send *s, struct buf *out)
{
    char cb[1100];
    struct twilio_send ts = {s->to, s->from, s->body, cb, s->validity_s};

    if ((size_t)snprintf(cb, sizeof(cb), "%s/twilio/status", cfg->public_url) >= sizeof(cb))
        return -1;
    return twilio_send_body(&ts, out);
}

const struct provider provider_twilio = {
    .name = "twilio",
    .paths = twilio_paths,
    .answer_within_ms = 15000,
    .opted_out_code = 21610,
    .verify = tw_verify,
    .parse = tw_parse,
    .answer = tw_answer,
    .endpoint = tw_endpoint,
    .send_body = tw_send_body,
    .parse_send = twilio_parse_send,
};
