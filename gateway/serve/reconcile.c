/*
 * reconcile.c - see reconcile.h.
 */
#include "reconcile.h"
#include "api.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "parse.h"
#include "store.h"
#include "twilio.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/*
 * A text younger than this is left to its webhook, which may still be on its
 * way (Twilio waits up to 15 s for our answer): taking it here would only
 * make a false "recovered" warning. If the webhook was lost, a later look
 * recovers it.
 */
#define RECONCILE_FRESH_MS (15 * 1000)
/* Bounds on one look: pages per number, and bytes per page. */
#define RECONCILE_PAGES    50
#define RECONCILE_PAGE_MAX (4u << 20)

struct look {
    const struct config *cfg;
    struct store *st;
    int64_t now;
    int found;
};

static int listed(void *arg, const struct twilio_listed *m)
{
    struct look *lk = arg;
    char masked[LOG_MASK_LEN];
    const char *why;
    int rc;

    /* Only texts to us from a phone: what a webhook would have brought. */
    if (!m->inbound || !config_is_own_number(lk->cfg, m->to) || parse_e164(m->from, &why))
        return 0;
    if (m->sent_at > lk->now - RECONCILE_FRESH_MS)
        return 0;
    rc = store_inbound_add(lk->st, m->sid, m->from, m->to, m->body, m->num_media, lk->now);
    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_NEW) {
        lk->found++;
        log_warnx("reconcile.recovered", "sid=%s from=%s", m->sid, log_mask_phone(m->from, masked));
    }
    return 0;
}

/* Every page of texts to `number` since `since` (ISO 8601, UTC). */
static int look_number(struct look *lk, const char *number, const char *since)
{
    const struct config *cfg = lk->cfg;
    char url[2048], next[1024] = "";
    char *to = curl_easy_escape(NULL, number, 0);
    int pages, skipped, rc;

    if (!to)
        return -1;
    snprintf(url, sizeof(url),
             "%s/2010-04-01/Accounts/%s/Messages.json?To=%s&DateSent%%3E=%s&PageSize=100",
             cfg->provider.api_base, cfg->provider.account_sid, to, since);
    curl_free(to);
    for (pages = 0; pages < RECONCILE_PAGES; pages++) {
        struct buf page = BUF_INIT(0);
        long status = api_request(cfg, url, NULL, &page, RECONCILE_PAGE_MAX);
        if (status != 200) {
            log_warnx("reconcile.failed", "status=%ld", status);
            buf_free(&page);
            return -1;
        }
        rc = twilio_parse_list(page.p, page.len, listed, lk, next, sizeof(next), &skipped);
        buf_free(&page);
        if (rc) {
            log_warnx("reconcile.failed", "%s", "err=\"unreadable list or database\"");
            return -1;
        }
        if (skipped)
            log_warnx("reconcile.skipped", "messages=%d", skipped);
        if (!next[0])
            return 0;
        snprintf(url, sizeof(url), "%s%s", cfg->provider.api_base, next);
    }
    /* Newest first: what is older than these pages waits for the next look. */
    log_warnx("reconcile.page_cap", "pages=%d hint=\"a busy window: looked at the newest only\"",
              RECONCILE_PAGES);
    return 0;
}

/* u from its host on, without any user:password@ (never logged). */
static const char *without_userinfo(const char *u)
{
    const char *host = strstr(u, "://"), *at, *slash;

    if (!host)
        return u;
    host += 3;
    at = strchr(host, '@');
    slash = strchr(host, '/');
    return at && (!slash || at < slash) ? at + 1 : host;
}

/* The URL without a #fragment (Twilio's connection overrides, e.g. #rc=3). */
static size_t url_len(const char *u)
{
    const char *h = strchr(u, '#');

    return h ? (size_t)(h - u) : strlen(u);
}

int reconcile_check_numbers(const struct config *cfg)
{
    char url[1024], want[1024], masked[LOG_MASK_LEN];
    size_t i;
    int bad = 0;

    if (cfg->provider.kind != PROVIDER_TWILIO)
        return 0;
    snprintf(want, sizeof(want), "%s/twilio/sms", cfg->public_url);
    for (i = 0; i <= cfg->provider.npool; i++) {
        const char *number = i ? cfg->provider.pool[i - 1] : cfg->provider.line_number;
        char *e = curl_easy_escape(NULL, number, 0);
        struct buf page = BUF_INIT(0);
        json_t *root, *n;
        const char *sms, *method, *fallback;
        long status;

        if (!e)
            return -1;
        snprintf(url, sizeof(url),
                 "%s/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json?PhoneNumber=%s",
                 cfg->provider.api_base, cfg->provider.account_sid, e);
        curl_free(e);
        status = api_request(cfg, url, NULL, &page, RECONCILE_PAGE_MAX);
        root = status == 200 ? json_loadb(page.p ? page.p : "", page.len, 0, NULL) : NULL;
        buf_free(&page);
        if (!root) {
            log_warnx("provider.numbers_unreadable", "status=%ld", status);
            return -1;
        }
        {
            /* PhoneNumber matches partially: find this very number in the answer. */
            json_t *list = json_object_get(root, "incoming_phone_numbers"), *x;
            size_t k;
            n = NULL;
            json_array_foreach(list, k, x)
            {
                const char *pn = json_string_value(json_object_get(x, "phone_number"));
                if (pn && !strcmp(pn, number)) {
                    n = x;
                    break;
                }
            }
        }
        sms = json_string_value(json_object_get(n, "sms_url"));
        method = json_string_value(json_object_get(n, "sms_method"));
        fallback = json_string_value(json_object_get(n, "sms_fallback_url"));
        log_mask_phone(number, masked);
        if (!n) {
            log_warnx("provider.number_missing", "number=%s hint=\"not a number of this account\"",
                      masked);
            bad++;
        } else if (!sms || url_len(sms) != strlen(want) || strncmp(sms, want, strlen(want)) ||
                   (method && strcmp(method, "POST"))) {
            const char *shown = sms ? without_userinfo(sms) : "",
                       *scheme = sms ? strstr(sms, "://") : NULL;
            int slen = scheme ? (int)(scheme + 3 - sms) : 0;
            log_warnx("provider.webhook_mismatch",
                      "number=%s want=\"POST %s\" have=\"%s %.*s%.*s\" hint=\"texts to this number "
                      "fail or go elsewhere: set its SMS URL\"",
                      masked, want, method ? method : "?", slen, sms ? sms : "",
                      (int)url_len(shown), shown);
            bad++;
        } else if (!fallback || !*fallback) {
            log_info("provider.no_fallback_url",
                     "number=%s hint=\"set a Fallback URL (README: Twilio does not retry)\"",
                     masked);
        }
        json_decref(root);
    }
    return bad;
}

int reconcile_run(const struct config *cfg, struct store *st, int64_t now, int *found)
{
    struct look lk = {cfg, st, now, 0};
    time_t since = (time_t)((now - cfg->reconcile.window) / 1000);
    struct tm tm;
    char iso[32];
    size_t i;
    int bad = 0;

    *found = 0;
    if (cfg->provider.kind != PROVIDER_TWILIO)
        return 0; /* Telnyx: issue 9 */
    gmtime_r(&since, &tm);
    strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
    bad |= look_number(&lk, cfg->provider.line_number, iso);
    for (i = 0; i < cfg->provider.npool; i++)
        bad |= look_number(&lk, cfg->provider.pool[i], iso);
    *found = lk.found;
    return bad ? -1 : 0;
}
