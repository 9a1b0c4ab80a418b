/*
 * bench_match.c - how fast the matcher decides, at the scale.
 *
 * Generates a realistic roster of 10,000 peers (11 topics incl. general,
 * several languages and IANA zones, overnight shifts, lapsed training,
 * crisis-trained peers, two coordinators) into a temporary directory, loads
 * it with roster_load(), builds the peers' live state and 1,000 waiting
 * texters from a fixed PRNG seed, and measures:
 *
 *   - roster load: roster_load() of the generated file;
 *   - match_prepare(): the once-per-run preparation;
 *   - match decision: one match_candidates() call per texter against a
 *     prepared ctx (median, p90, p99 over every call);
 *   - full re-match: match_assign() over every waiting texter from scratch,
 *     preparing as the engine does (ctx.prep = NULL), as after a reload.
 *
 * Run: `make bench` (builds with the default -O2 -g and runs it), or
 * build/bench/bench_match [ntexters] for a different queue length (e.g. 100
 * under valgrind --tool=callgrind). Timing is printed, never asserted.
 */
#include "common.h"
#include "diag.h"
#include "match.h"
#include "roster.h"
#include "schedule.h"
#include "tz.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NPEERS          10000
#define NTEXTERS        1000
#define DECISION_ROUNDS 5  /* timed passes over the texters (after one warm-up) */
#define REPEATS         20 /* prepare and full re-match repetitions */
#define MIN_MS          (60 * 1000LL)
#define HOUR_MS         (60 * MIN_MS)
#define DAY_MS          (24 * HOUR_MS)

/* ---- deterministic PRNG (splitmix64) ---- */

static uint64_t rng_state = 0x5eed1e55c0ffee11ull;

static uint64_t rng_next(void)
{
    return bench_splitmix64(&rng_state);
}

/* Uniform in [0, n). */
static int rnd(int n)
{
    return (int)(rng_next() % (uint64_t)n);
}

/* 1 with probability pct percent. */
static int chance(int pct)
{
    return rnd(1000) < pct * 10;
}

/* ---- timing ---- */

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* FNV-1a over ints: a fingerprint of the decisions, to compare matcher versions. */
static uint64_t fnv(uint64_t h, const int *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (uint32_t)v[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ---- the generated roster ---- */

static const char *const topic_ids[] = {"anxiety", "depression", "grief",  "relationships",
                                        "school",  "work",       "lgbtq",  "substance",
                                        "family",  "loneliness", "general"};
#define NTOPICS (sizeof(topic_ids) / sizeof(topic_ids[0]))
#define GENERAL (NTOPICS - 1)

static const char *const zones[] = {"America/New_York", "America/Chicago",    "America/Los_Angeles",
                                    "America/Denver",   "Europe/Berlin",      "Europe/London",
                                    "Asia/Kolkata",     "America/Mexico_City"};
/* Cumulative percentages for zones[]. */
static const int zone_cum[] = {30, 50, 70, 75, 83, 88, 95, 100};

static const char *const names[] = {"Alex",  "Blair",  "Casey", "Dana",   "Eli",   "Frankie",
                                    "Gabi",  "Harper", "Indra", "Jordan", "Kai",   "Luz",
                                    "Mateo", "Noor",   "Omar",  "Priya",  "Quinn", "Rosa",
                                    "Sam",   "Tariq",  "Uma",   "Val",    "Wren",  "Yusuf"};
static const char *const wdays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
static const char *const other_langs[] = {"fr", "zh", "vi", "ar", "ht"};

static void write_shift(FILE *f)
{
    int d, any = 0, start, len, end;

    fputs("{days: [", f);
    for (d = 0; d < 7; d++) {
        if (chance(60) || (d == 6 && !any)) {
            fprintf(f, "%s%s", any ? ", " : "", wdays[d]);
            any = 1;
        }
    }
    if (chance(35)) {
        /* Evening into the small hours: past midnight. */
        start = (20 + rnd(4)) * 60 + 30 * rnd(2);
        len = 4 * 60 + 30 * rnd(9);
    } else {
        start = (6 + rnd(14)) * 60 + 30 * rnd(2);
        len = 3 * 60 + 30 * rnd(11);
    }
    end = (start + len) % (24 * 60);
    fprintf(f, "], start: \"%02d:%02d\", end: \"%02d:%02d\"}", start / 60, start % 60, end / 60,
            end % 60);
}

static void write_peer(FILE *f, int i)
{
    int ntop = 1 + rnd(3), k, j, top[3], n = 0, z, zr, nsh;

    /* About 20% of peers cover general, among 1-3 topics each. */
    if (chance(20))
        top[n++] = (int)GENERAL;
    while (n < ntop) {
        int t = rnd((int)NTOPICS - 1);
        for (j = 0; j < n && top[j] != t; j++)
            ;
        if (j == n)
            top[n++] = t;
    }
    fprintf(f, "  - {id: p%05d, name: %s, phone: \"+1555%07d\", topics: [", i,
            names[rnd((int)(sizeof(names) / sizeof(names[0])))], 2000000 + i);
    for (k = 0; k < n; k++)
        fprintf(f, "%s%s", k ? ", " : "", topic_ids[top[k]]);
    fputs("]", f);
    /* Languages: most en only (the default), some bilingual, a few without en. */
    k = rnd(100);
    if (k < 25)
        fputs(", languages: [en, es]", f);
    else if (k < 30)
        fprintf(f, ", languages: [en, %s]", other_langs[rnd(5)]);
    else if (k < 33)
        fputs(", languages: [es]", f);
    else if (k < 60)
        fputs(", languages: [en]", f);
    fprintf(f, ", max_conversations: %d", 1 + rnd(3));
    zr = rnd(100);
    for (z = 0; zone_cum[z] <= zr; z++)
        ;
    if (z != 0 || chance(50)) /* the rest take the line's zone (New York) */
        fprintf(f, ", timezone: %s", zones[z]);
    nsh = 1 + rnd(3);
    fputs(", shifts: [", f);
    for (k = 0; k < nsh; k++) {
        if (k)
            fputs(", ", f);
        write_shift(f);
    }
    fputs("]", f);
    k = rnd(100);
    if (k < 6)
        fputs(", trained_until: 2025-11-30", f); /* lapsed */
    else if (k < 60)
        fprintf(f, ", trained_until: 2027-%02d-28", 1 + rnd(12));
    if (chance(10))
        fputs(", crisis_trained: true", f);
    fputs("}\n", f);
}

static int write_roster(const char *path)
{
    FILE *f = fopen(path, "w");
    size_t t;
    int i;

    if (!f)
        return -1;
    fputs("line_name: Benchmark Peer Line\ntimezone: America/New_York\ntopics:\n", f);
    for (t = 0; t < NTOPICS; t++)
        fprintf(f, "  - {id: %s, label: Topic %s, keywords: [%s, kw%zu]}\n", topic_ids[t],
                topic_ids[t], topic_ids[t], t);
    fputs("peers:\n", f);
    for (i = 0; i < NPEERS; i++)
        write_peer(f, i);
    fputs("coordinators:\n"
          "  - {id: sam, name: Sam, phone: \"+15559990001\", on_call: true}\n"
          "  - {id: robin, name: Robin, phone: \"+15559990002\", on_call: false}\n",
          f);
    return fclose(f) ? -1 : 0;
}

/* ---- live state and the queue ---- */

static void build_peers(const struct roster *r, struct match_peer *mp, int64_t now)
{
    size_t i;

    for (i = 0; i < r->npeers; i++) {
        struct match_peer *p = &mp[i];
        int k;

        memset(p, 0, sizeof(*p));
        p->numbers_usable = 4;
        if (chance(35))
            p->open = 1 + rnd(r->peers[i].max_conversations);
        if (chance(5)) {
            p->has_offer = 1;
            p->open++; /* an offer counts as open and holds a number */
        }
        p->numbers_free = p->numbers_usable - p->open;
        k = rnd(100);
        if (k < 3)
            p->last_end = now - 20000 - rnd(90000); /* inside the 2-minute cooldown */
        else if (k < 60)
            p->last_end = now - 5 * MIN_MS - (int64_t)rnd(6 * 3600) * 1000;
        k = rnd(100);
        if (k < 2) {
            p->manual = MATCH_MANUAL_ON;
            p->manual_until = now + HOUR_MS;
        } else if (k < 4) {
            p->manual = MATCH_MANUAL_OFF;
            p->manual_until = now + HOUR_MS;
        } else if (k < 5) {
            p->manual = MATCH_MANUAL_OFF;
            p->manual_until = now - HOUR_MS; /* lapsed */
        }
    }
}

/* A random peer covering topic t (through general too), or -1. */
static int peer_for_topic(const struct roster *r, int t)
{
    int tries;

    for (tries = 0; tries < 200; tries++) {
        int i = rnd((int)r->npeers);
        if (roster_peer_covers(&r->peers[i], t))
            return i;
    }
    return -1;
}

static void build_texters(const struct roster *r, struct match_texter *tx, int (*tried)[2],
                          size_t n, int64_t now)
{
    int es = roster_lang_index(r, "es"), fr = roster_lang_index(r, "fr");
    size_t k;

    for (k = 0; k < n; k++) {
        struct match_texter *t = &tx[k];
        int x;

        memset(t, 0, sizeof(*t));
        t->id = 100000 + (int64_t)k;
        /* general is the last topic: 15% ask for it, the rest for a named one. */
        t->topic = chance(15) ? r->general : rnd((int)r->ntopics - 1);
        x = rnd(100);
        t->lang = x < 90 ? 0 : x < 97 ? (es >= 0 ? es : 0) : (fr >= 0 ? fr : 0);
        t->urgent = chance(3);
        t->queued_at = now - (int64_t)rnd(30 * 60) * 1000;
        t->last_peer = -1;
        t->transferred_by = -1;
        t->self = -1;
        if (chance(20)) {
            t->last_peer = peer_for_topic(r, t->topic);
            t->last_peer_at = now - (int64_t)rnd(28) * DAY_MS - rnd(86400) * 1000LL;
        }
        if (chance(2))
            t->transferred_by = peer_for_topic(r, t->topic);
        if (chance(1))
            t->self = rnd((int)r->npeers);
        if (chance(10)) {
            tried[k][0] = peer_for_topic(r, t->topic);
            tried[k][1] = peer_for_topic(r, t->topic);
            t->tried = tried[k];
            t->ntried = chance(50) ? 2 : 1;
        }
    }
}

/* ---- main ---- */

int main(int argc, char **argv)
{
    char dir[] = "/tmp/peerline-bench-XXXXXX", path[sizeof(dir) + 16];
    size_t ntexters = NTEXTERS, i, r, nsamples, ncand_total = 0, npairs = 0, on_shift = 0;
    int64_t now, t0, t1, *samples = NULL, prep_ns[REPEATS], full_ns[REPEATS];
    struct diag *d = NULL;
    struct roster *ro = NULL;
    struct match_peer *peers = NULL, *scratch = NULL;
    struct match_texter *tx = NULL;
    struct match_pair *pairs = NULL;
    struct match_prep *prep = NULL;
    struct match_ctx ctx;
    int(*tried)[2] = NULL;
    int *out = NULL, status = 1, made_dir = 0, wrote = 0;
    long long fsize = 0;
    uint64_t cand_fp = 0xcbf29ce484222325ull, pair_fp = 0xcbf29ce484222325ull;
    FILE *f;

    if (argc > 1) {
        char *end;
        long v;

        errno = 0;
        v = strtol(argv[1], &end, 10);
        if (errno || *end || v < 1 || v > 1000000) {
            fprintf(stderr, "usage: %s [ntexters (1-1000000, default %d)]\n", argv[0], NTEXTERS);
            return 2;
        }
        ntexters = (size_t)v;
    }
    bench_print_machine("");

    /* A Wednesday, 23:30 UTC: evening in the Americas, small hours in Europe and India. */
    now = (tz_days_from_civil(2026, 5, 13) * 86400 + 23 * 3600 + 30 * 60) * 1000;

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    made_dir = 1;
    snprintf(path, sizeof(path), "%s/roster.yaml", dir);
    if (write_roster(path)) {
        perror(path);
        goto done;
    }
    wrote = 1;
    if ((f = fopen(path, "r"))) {
        fseek(f, 0, SEEK_END);
        fsize = ftell(f);
        fclose(f);
    }

    d = diag_new();
    if (!d)
        goto done;
    t0 = now_ns();
    ro = roster_load(path, NULL, d);
    t1 = now_ns();
    if (!ro) {
        fprintf(stderr, "bench: the generated roster did not load:\n");
        diag_print(d, stderr);
        goto done;
    }
    for (i = 0; i < ro->npeers; i++)
        on_shift += (size_t)schedule_on_shift(&ro->peers[i], now);
    printf("roster load (%zu peers, %lld KiB YAML): %.1f ms\n", ro->npeers, fsize / 1024,
           (double)(t1 - t0) / 1e6);
    printf("roster: %zu topics, %zu languages, %zu zones; on shift at the instant: %zu (%.0f%%)\n",
           ro->ntopics, ro->nlangs, ro->nzones, on_shift,
           100.0 * (double)on_shift / (double)ro->npeers);

    peers = calloc(ro->npeers, sizeof(*peers));
    scratch = calloc(ro->npeers, sizeof(*scratch));
    out = calloc(ro->npeers, sizeof(*out));
    tx = calloc(ntexters, sizeof(*tx));
    tried = calloc(ntexters, sizeof(*tried));
    pairs = calloc(ntexters, sizeof(*pairs));
    nsamples = ntexters * DECISION_ROUNDS;
    samples = calloc(nsamples, sizeof(*samples));
    if (!peers || !scratch || !out || !tx || !tried || !pairs || !samples) {
        fprintf(stderr, "bench: out of memory\n");
        goto done;
    }
    build_peers(ro, peers, now);
    build_texters(ro, tx, tried, ntexters, now);

    ctx.roster = ro;
    ctx.peers = peers;
    ctx.now = now;
    ctx.cooldown = 2 * MIN_MS;
    ctx.rematch_window = 14 * DAY_MS;
    ctx.prep = NULL;

    /* match_prepare() alone. */
    for (r = 0; r < REPEATS; r++) {
        t0 = now_ns();
        prep = match_prepare(&ctx);
        t1 = now_ns();
        if (!prep) {
            fprintf(stderr, "bench: match_prepare failed\n");
            goto done;
        }
        prep_ns[r] = t1 - t0;
        match_prep_free(prep);
        prep = NULL;
    }
    qsort(prep_ns, REPEATS, sizeof(int64_t), bench_cmp_i64);
    printf("match_prepare (%zu peers): median %.3f ms\n", ro->npeers,
           (double)prep_ns[REPEATS / 2] / 1e6);

    /* One decision per texter against one prepared ctx, as in a run. */
    ctx.prep = prep = match_prepare(&ctx);
    if (!prep) {
        fprintf(stderr, "bench: match_prepare failed\n");
        goto done;
    }
    for (i = 0; i < ntexters; i++) { /* warm-up, and the fingerprint of the rankings */
        size_t nc = match_candidates(&ctx, &tx[i], out);

        cand_fp = fnv(cand_fp, out, nc);
        cand_fp = fnv(cand_fp, (const int[]){(int)nc}, 1);
    }
    ncand_total = 0;
    for (r = 0; r < DECISION_ROUNDS; r++) {
        for (i = 0; i < ntexters; i++) {
            size_t nc;

            t0 = now_ns();
            nc = match_candidates(&ctx, &tx[i], out);
            t1 = now_ns();
            samples[r * ntexters + i] = t1 - t0;
            ncand_total += nc;
        }
    }
    qsort(samples, nsamples, sizeof(int64_t), bench_cmp_i64);
    printf("match decision (%zu peers, %zu texters): median %.1f us, p90 %.1f us, p99 %.1f us "
           "(target < 10 us median)\n",
           ro->npeers, ntexters, (double)bench_pct(samples, nsamples, 0.50) / 1e3,
           (double)bench_pct(samples, nsamples, 0.90) / 1e3,
           (double)bench_pct(samples, nsamples, 0.99) / 1e3);
    printf("  match_candidates: %zu calls, %.0f candidates ranked per call on average, "
           "fingerprint %016llx\n",
           nsamples, (double)ncand_total / (double)nsamples, (unsigned long long)cand_fp);
    match_prep_free(prep);
    ctx.prep = prep = NULL;

    /* The full re-match, from scratch as the engine runs it (prepare inside). */
    for (r = 0; r < REPEATS; r++) {
        t0 = now_ns();
        npairs = match_assign(&ctx, tx, ntexters, scratch, pairs);
        t1 = now_ns();
        full_ns[r] = t1 - t0;
    }
    qsort(full_ns, REPEATS, sizeof(int64_t), bench_cmp_i64);
    printf("full re-match (%zu peers, %zu texters): median %.1f ms (target < 50 ms), %zu offers\n",
           ro->npeers, ntexters, (double)full_ns[REPEATS / 2] / 1e6, npairs);
    for (i = 0; i < npairs; i++) {
        int pr[2] = {(int)pairs[i].texter, pairs[i].peer};

        pair_fp = fnv(pair_fp, pr, 2);
    }
    printf("  that is %.1f us per texter inside match_assign (prepare included); "
           "offers fingerprint %016llx\n",
           (double)full_ns[REPEATS / 2] / 1e3 / (double)ntexters, (unsigned long long)pair_fp);
    status = 0;
done:
    match_prep_free(prep);
    free(samples);
    free(pairs);
    free(tried);
    free(tx);
    free(out);
    free(scratch);
    free(peers);
    roster_free(ro);
    diag_free(d);
    if (wrote)
        unlink(path);
    if (made_dir)
        rmdir(dir);
    return status;
}
