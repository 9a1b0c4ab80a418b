/*
 * hookwatch.c - see hookwatch.h.
 */
#include "hookwatch.h"
#include "http.h"
#include "log.h"

void hookwatch_init(struct hookwatch *h)
{
    atomic_init(&h->forged, 0);
    atomic_init(&h->streak, 0);
    h->forged_total = NULL;
    h->bad_total = NULL;
    h->on_streak = NULL;
    h->arg = NULL;
}

void hookwatch_good(struct hookwatch *h)
{
    if (h && atomic_load(&h->streak))
        atomic_store(&h->streak, 0);
}

void hookwatch_forged(struct hookwatch *h, const struct http_request *req, const char *why,
                      struct http_response *res)
{
    unsigned long n = 0, streak = 0;

    if (h) {
        n = atomic_fetch_add(&h->forged, 1) + 1;
        streak = atomic_fetch_add(&h->streak, 1) + 1;
        if (h->forged_total)
            atomic_fetch_add(h->forged_total, 1);
    }
    /* Every real request fails like this when public_url or a key is wrong: say so loudly. */
    log_warnx("webhook.bad_signature",
              "path=%s failures=%lu why=\"%s\" hint=\"check public_url matches the webhook URL "
              "set at the provider, and the provider's credentials\"",
              req->path, n, why);
    http_text(res, 403, "signature does not match");
    /* In a row, the coordinators hear of it (once: the engine rate-limits its alert). */
    if (h && streak == HOOKWATCH_ALERT && h->on_streak)
        h->on_streak(h->arg);
}

void hookwatch_bad(struct hookwatch *h, const char *why, struct http_response *res)
{
    if (h && h->bad_total)
        atomic_fetch_add(h->bad_total, 1);
    http_text(res, 400, why);
}
