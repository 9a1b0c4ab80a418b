/*
 * sim_voice_fetch.c - the requests a call makes to the gateway, as Twilio
 * makes them: TwiML documents fetched (GET or POST), a Gather's or a
 * Record's action, a Dial's action, the status callback when a call ends.
 *
 * Each is signed with X-Twilio-Signature (HMAC-SHA1 with the auth token over
 * public_url + path + query and, for a POST, every parameter sorted), sent
 * to the gateway's own address when the URL is under public_url (and only
 * there or to a loopback address: sim_reach.h), with
 * Twilio's 15 s timeout and its User-Agent. A request in flight is
 * abandoned when the simulator stops. The answer is capped by the buffer
 * the caller gives (TWIML_READ_MAX_DOC for documents).
 *
 * Nothing here holds v->mu across a request.
 */
#include "buf.h"
#include "config.h"
#include "form.h"
#include "log.h"
#include "sim_reach.h"
#include "sim_voice_priv.h"
#include "twilio.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SV_FETCH_S 15L /* Twilio's own webhook timeout */

/* ---- parameters ---- */

int sv_add_param(struct form *f, const char *k, const char *v)
{
    struct form_param *np = realloc(f->params, (f->n + 1) * sizeof(*np));

    if (!np)
        return -1;
    f->params = np;
    np[f->n].key = strdup(k);
    np[f->n].value = strdup(v ? v : "");
    if (!np[f->n].key || !np[f->n].value) {
        free(np[f->n].key);
        free(np[f->n].value);
        return -1;
    }
    f->n++;
    return 0;
}

void sv_add_int_param(struct form *f, const char *k, long long v)
{
    char n[24];

    snprintf(n, sizeof(n), "%lld", v);
    sv_add_param(f, k, n);
}

/* ---- requests ---- */

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    return buf_append(arg, p, size * n) ? 0 : size * n;
}

int sv_stopping(struct sim_voice *v)
{
    int stop;

    pthread_mutex_lock(&v->mu);
    stop = v->stopping;
    pthread_mutex_unlock(&v->mu);
    return stop;
}

/* libcurl's progress callback: a request in flight is abandoned when the simulator stops. */
static int abort_on_stop(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                         curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return sv_stopping(arg);
}

/* Where a request for url goes: under public_url, to the gateway's own address. */
static void target_url(const struct sim *s, const char *url, char *out, size_t n)
{
    size_t k = strlen(s->cfg->public_url);

    if (!strncmp(url, s->cfg->public_url, k) && (url[k] == '/' || url[k] == '?' || !url[k]))
        snprintf(out, n, "%s%s", s->gateway, url + k);
    else
        sv_copy(out, n, url);
}

/* One request as Twilio makes it (sim_voice_priv.h says what it returns). */
long sv_request(struct sim_voice *v, const char *method, const char *url, const struct form *params,
                struct buf *out, char *ctype, size_t ctypelen)
{
    struct buf body = BUF_INIT(0), full = BUF_INIT(0);
    struct form none = {0};
    struct curl_slist *h = NULL;
    char sig[TWILIO_SIG_LEN], hdr[64 + TWILIO_SIG_LEN], target[SV_URL + 600];
    int get = !strcmp(method, "GET");
    long status = 0;
    CURL *c = NULL;
    CURLcode rc;
    const char *why;
    size_t i;

    if (!sim_reach_allowed(v->s->cfg->public_url, url, &why)) {
        log_warnx("sim.request_refused", "what=call why=\"%s\"", why);
        return SV_REFUSED;
    }
    for (i = 0; i < params->n; i++)
        if (form_add(&body, params->params[i].key, params->params[i].value))
            goto done;
    if (buf_puts(&full, url) ||
        (get && body.len &&
         (buf_puts(&full, strchr(url, '?') ? "&" : "?") || buf_puts(&full, body.p))))
        goto done;
    if (twilio_signature(v->s->cfg->provider.auth_token, full.p, get ? &none : params, sig))
        goto done;
    target_url(v->s, full.p, target, sizeof(target));
    snprintf(hdr, sizeof(hdr), "X-Twilio-Signature: %s", sig);
    h = curl_slist_append(h, hdr);
    if (!get)
        h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
    if (!(c = curl_easy_init()))
        goto done;
    curl_easy_setopt(c, CURLOPT_URL, target);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (get)
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    else
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.p ? body.p : "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, out ? collect : sim_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abort_on_stop);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, v);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, SV_FETCH_S);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "TwilioProxy/1.1");
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        char *ct = NULL;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
        if (ctype)
            sv_copy(ctype, ctypelen, ct);
    } else if (rc == CURLE_WRITE_ERROR) {
        status = -1;
    }
done:
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    buf_free(&body);
    buf_free(&full);
    return status;
}

/* The parameters Twilio sends with every request about call c. */
void sv_call_params(const struct sim_voice *v, const struct sv_call *c, const char *status,
                    struct form *f)
{
    sv_add_param(f, "AccountSid", v->s->cfg->provider.account_sid);
    sv_add_param(f, "ApiVersion", "2010-04-01");
    sv_add_param(f, "CallSid", c->sid);
    sv_add_param(f, "CallStatus", status);
    sv_add_param(f, "Called", c->to);
    sv_add_param(f, "Caller", c->from);
    sv_add_param(f, "Direction", c->direction);
    sv_add_param(f, "From", c->from);
    sv_add_param(f, "To", c->to);
    if (c->parent[0])
        sv_add_param(f, "ParentCallSid", c->parent);
}
