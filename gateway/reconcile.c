/*
 * reconcile.c - see reconcile.h.
 */
#include "reconcile.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "parse.h"
#include "store.h"
#include "twilio.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Bounds on one look: pages per number, and bytes per page. */
#define RECONCILE_PAGES    50
#define RECONCILE_PAGE_MAX (4u << 20)

struct page {
    struct buf body;
    int too_big;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    struct page *pg = arg;

    if (pg->body.len + size * n > RECONCILE_PAGE_MAX || buf_append(&pg->body, p, size * n)) {
        pg->too_big = 1;
        return 0; /* stops the transfer */
    }
    return size * n;
}

/* GET url with the account's credentials. Returns the HTTP status, 0 on no answer. */
static long get(const struct config *cfg, const char *url, struct page *pg)
{
    char userpwd[512];
    long status = 0;
    CURL *c = curl_easy_init();

    if (!c)
        return 0;
    snprintf(userpwd, sizeof(userpwd), "%s:%s", cfg->provider.account_sid,
             cfg->provider.auth_token);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, pg);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->retry.request_timeout);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    OPENSSL_cleanse(userpwd, sizeof(userpwd));
    return status;
}

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
    rc = store_inbound_add(lk->st, m->sid, m->from, m->to, m->body, m->num_media, lk->now);
    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_NEW) {
        lk->found++;
        log_warnx("reconcile.recovered", "sid=%s from=%s", m->sid,
                  log_mask_phone(m->from, masked));
    }
    return 0;
}

/* Every page of texts to `number` since `since` (ISO 8601, UTC). */
static int look_number(struct look *lk, const char *number, const char *since)
{
    const struct config *cfg = lk->cfg;
    char url[2048], next[1024] = "";
    char *to = curl_easy_escape(NULL, number, 0);
    int pages, skipped, rc = -1;

    if (!to)
        return -1;
    snprintf(url, sizeof(url),
             "%s/2010-04-01/Accounts/%s/Messages.json?To=%s&DateSent%%3E=%s&PageSize=100",
             cfg->provider.api_base, cfg->provider.account_sid, to, since);
    curl_free(to);
    for (pages = 0; pages < RECONCILE_PAGES; pages++) {
        struct page pg = {BUF_INIT(0), 0};
        long status = get(cfg, url, &pg);
        if (status != 200 || pg.too_big) {
            log_warnx("reconcile.failed", "status=%ld%s", status, pg.too_big ? " too_big=1" : "");
            buf_free(&pg.body);
            return -1;
        }
        rc = twilio_parse_list(pg.body.p, pg.body.len, listed, lk, next, sizeof(next), &skipped);
        buf_free(&pg.body);
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
    return 0; /* a bounded look: the rest waits for the next one */
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
