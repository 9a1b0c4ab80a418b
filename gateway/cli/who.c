/*
 * who.c - `peerline who`: the matcher's dry run against the roster, for a
 * coordinator checking a roster before saving it.
 *
 *   peerline who -c FILE --topic T [--lang L] [--urgent]
 *                [--at "2026-12-01 22:00 America/Chicago"]
 *
 * It asks the same pure matcher the gateway uses, with every peer idle (no
 * open chats or offers, no #on/#off): who would be offered a texter of that
 * topic and language at that moment, in order, and for every other peer the
 * rule that rules them out. A trainee is never offered a chat: they are
 * listed with whose chats they read along with, and whether they could now.
 */
#include "who.h"
#include "config.h"
#include "diag.h"
#include "match.h"
#include "parse.h"
#include "roster.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int usage(void)
{
    fprintf(stderr, "usage: peerline who -c FILE --topic T [--lang L] [--urgent]\n"
                    "                    [--at \"YYYY-MM-DD HH:MM [Area/City]\"]\n");
    return 2;
}

/*
 * "2026-12-01 22:00 America/Chicago" (the zone defaults to the line's) ->
 * Unix ms. Returns 0, or -1 with a reason printed.
 */
static int parse_at(const char *at, const struct roster *r, int64_t *ms, char *zone_name,
                    size_t zlen)
{
    char date[16], clock[8], zone[128] = "";
    const char *why;
    int64_t days;
    int minutes, y, m, d, n;
    struct tz *z = NULL;
    char err[256];

    n = sscanf(at, "%15s %7s %127s", date, clock, zone);
    if (n < 2) {
        fprintf(stderr, "peerline who: --at must be \"YYYY-MM-DD HH:MM [Area/City]\"\n");
        return -1;
    }
    if (parse_date(date, &days, &why) || parse_hhmm(clock, &minutes, &why)) {
        fprintf(stderr, "peerline who: --at: %s\n", why);
        return -1;
    }
    if (zone[0]) {
        z = tz_load(zone, NULL, err, sizeof(err));
        if (!z) {
            fprintf(stderr, "peerline who: --at: %s\n", err);
            return -1;
        }
    }
    tz_civil_from_days(days, &y, &m, &d);
    *ms = tz_from_local(z ? z : r->tz, y, m, d, minutes / 60, minutes % 60, 0) * 1000;
    snprintf(zone_name, zlen, "%s", z ? tz_name(z) : tz_name(r->tz));
    tz_free(z);
    return 0;
}

int who_main(int argc, char **argv)
{
    const char *cfg_path = NULL, *topic = NULL, *lang = "en", *at = NULL;
    struct config *cfg = NULL;
    struct roster *r = NULL;
    struct diag *d = diag_new();
    struct match_peer *mp = NULL;
    int *order = NULL, rc = 1, urgent = 0, i;
    char zone[128];
    int64_t now;
    size_t k, n;

    for (i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
            cfg_path = argv[++i];
        else if (!strcmp(argv[i], "--topic") && i + 1 < argc)
            topic = argv[++i];
        else if (!strcmp(argv[i], "--lang") && i + 1 < argc)
            lang = argv[++i];
        else if (!strcmp(argv[i], "--at") && i + 1 < argc)
            at = argv[++i];
        else if (!strcmp(argv[i], "--urgent"))
            urgent = 1;
        else {
            diag_free(d);
            return usage();
        }
    }
    if (!cfg_path || !topic || !d) {
        diag_free(d);
        return usage();
    }
    cfg = config_load(cfg_path, NULL, d);
    if (cfg)
        r = roster_load(cfg->roster, NULL, d);
    if (!r) {
        diag_print(d, stderr);
        goto done;
    }
    {
        struct match_texter t = {.id = 1, .last_peer = -1, .transferred_by = -1, .self = -1};
        struct match_ctx ctx;
        size_t npool = cfg->provider.npool ? cfg->provider.npool : 1;
        struct timespec ts;

        t.topic = roster_topic_index(r, topic);
        t.lang = roster_lang_index(r, lang);
        t.urgent = urgent;
        if (t.topic < 0) {
            fprintf(stderr, "peerline who: no topic \"%s\"; topics:", topic);
            for (k = 0; k < r->ntopics; k++)
                fprintf(stderr, " %s", r->topics[k].id);
            fprintf(stderr, "\n");
            goto done;
        }
        if (t.lang < 0)
            t.lang = 64; /* no peer speaks it: everyone is ruled out by language */
        if (at) {
            if (parse_at(at, r, &now, zone, sizeof(zone)))
                goto done;
        } else {
            clock_gettime(CLOCK_REALTIME, &ts);
            now = (int64_t)ts.tv_sec * 1000;
            snprintf(zone, sizeof(zone), "%s", tz_name(r->tz));
        }
        mp = calloc(r->npeers + 1, sizeof(*mp));
        order = calloc(r->npeers + 1, sizeof(*order));
        if (!mp || !order)
            goto done;
        for (k = 0; k < r->npeers; k++)
            mp[k].numbers_usable = mp[k].numbers_free = (int)npool;
        ctx =
            (struct match_ctx){r, mp, now, cfg->timers.cooldown, cfg->timers.rematch_window, NULL};
        {
            struct tz_local lt;

            tz_to_local(r->tz, now / 1000, &lt);
            printf("%s texter, topic %s (%s), language %s, at %04d-%02d-%02d %02d:%02d %s",
                   urgent ? "An urgent" : "A", r->topics[t.topic].id, r->topics[t.topic].label,
                   lang, lt.year, lt.month, lt.day, lt.hour, lt.min, tz_name(r->tz));
            printf("%s\n", at && strcmp(zone, tz_name(r->tz)) ? " (the line's time)" : "");
            printf("Every peer is taken as idle: no open chats, offers, #on or #off.\n");
        }
        n = match_candidates(&ctx, &t, order);
        printf("\nWould be offered, in order:\n");
        if (!n)
            printf("  no one\n");
        for (k = 0; k < n; k++) {
            const struct roster_peer *p = &r->peers[order[k]];
            printf("  %zu. %s (%s)%s\n", k + 1, p->id, p->name,
                   roster_peer_covers(p, t.topic) ? ""
                   : urgent && p->crisis_trained  ? ": crisis-trained, for an urgent texter"
                                                  : ": through general");
        }
        printf("\nWould not:\n");
        for (k = 0; k < r->npeers; k++) {
            int general;
            enum match_reason why;
            size_t j;

            for (j = 0; j < n && order[j] != (int)k; j++)
                ;
            if (j < n)
                continue;
            if (r->peers[k].trainee) {
                const struct roster_peer *tp = &r->peers[k];
                enum match_reason now_why = match_available(tp, &mp[k], now);
                printf("  %s (%s): in training: reads along with %s's chats%s%s%s\n", tp->id,
                       tp->name, tp->mentor >= 0 ? r->peers[tp->mentor].id : "any peer",
                       now_why == MATCH_OK ? "" : " (not now: ",
                       now_why == MATCH_OK ? "" : match_reason_text(now_why),
                       now_why == MATCH_OK ? "" : ")");
                continue;
            }
            why = match_check(&ctx, k, &t, &general);
            /* Eligible by every rule but passed over: someone covering the topic comes first. */
            printf("  %s (%s): %s\n", r->peers[k].id, r->peers[k].name,
                   why == MATCH_OK ? "covers only general; a peer covering the topic comes first"
                                   : match_reason_text(why));
        }
        rc = 0;
    }
done:
    free(mp);
    free(order);
    roster_free(r);
    config_free(cfg);
    diag_free(d);
    return rc;
}
