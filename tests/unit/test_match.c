/*
 * test_match.c - matcher/match.c and matcher/schedule.c against SPEC section
 * 5.4. Rosters are real: small roster.yaml files loaded with roster_load(),
 * with IANA zone names so DST is the system's own. Instants are wall-clock
 * times turned into UTC with tz_from_local(); around DST changes the UTC
 * values are also written out (checked with Python's zoneinfo), so a wrong
 * offset cannot hide behind a wrong conversion. Peer state (struct
 * match_peer) and texters are built by hand for each case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "match.h"
#include "roster.h"
#include "schedule.h"
#include "tz.h"

/* ---- helpers ---- */

#define MINUTE (60 * 1000LL)
#define HOUR   (60 * MINUTE)
#define DAY    (24 * HOUR)
#define NEVER  INT64_MAX
#define MAXP   80 /* peers in any roster here */

static char g_dir[64];

static int setup_group(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/test_match.XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown_group(void **state)
{
    (void)state;
    return rmdir(g_dir);
}

/* Writes `yaml` as a roster file, loads it, removes the file; it must load clean. */
static struct roster *load_roster(const char *yaml)
{
    char path[128];
    struct diag *d = diag_new();
    struct roster *r;
    FILE *f;

    snprintf(path, sizeof(path), "%s/roster.yaml", g_dir);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(yaml, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    r = roster_load(path, NULL, d);
    unlink(path);
    if (!r) {
        diag_print(d, stderr);
        fail_msg("roster did not load: %s", diag_count(d) ? diag_get(d, 0) : "?");
    }
    diag_free(d);
    return r;
}

/* Roster text: a New York line with four topics, then the case's peers. */
#define T_ANXIETY 0
#define T_GRIEF   1
#define T_GENERAL 2
#define T_SLEEP   3 /* nobody covers it but general peers */

#define HEAD                                                                                       \
    "line_name: Test Line\n"                                                                       \
    "timezone: America/New_York\n"                                                                 \
    "topics:\n"                                                                                    \
    "  - {id: anxiety, keywords: [anxiety]}\n"                                                     \
    "  - {id: grief, keywords: [grief]}\n"                                                         \
    "  - {id: general}\n"                                                                          \
    "  - {id: sleep, keywords: [sleep]}\n"                                                         \
    "coordinators:\n"                                                                              \
    "  - {id: sam, name: Sam, phone: \"+15559999999\", on_call: true}\n"                           \
    "peers:\n"

/* One peer as a flow mapping; `n` makes the phone unique, `rest` adds keys. */
#define PEER(id, n, rest) "  - {id: " id ", name: Pat, phone: \"+155500000" n "\", " rest "}\n"

/* A peer who is idle, has two free numbers and is on (#on) for ever. */
static struct match_peer idle(void)
{
    struct match_peer p = {
        .numbers_usable = 2, .numbers_free = 2, .manual = MATCH_MANUAL_ON, .manual_until = NEVER};
    return p;
}

/* A peer left to their shifts: no manual state. */
static struct match_peer by_shift(void)
{
    struct match_peer p = idle();

    p.manual = MATCH_MANUAL_NONE;
    p.manual_until = 0;
    return p;
}

static struct match_texter texter(int topic)
{
    struct match_texter t = {
        .id = 1, .topic = topic, .lang = 0, .last_peer = -1, .transferred_by = -1, .self = -1};
    return t;
}

/* A roster, the live state of its peers, and a context over both. */
struct fix {
    struct roster *r;
    struct match_peer mp[MAXP];
    struct match_ctx ctx;
};

static void fix_init(struct fix *f, const char *yaml, int64_t now)
{
    size_t i;

    f->r = load_roster(yaml);
    assert_true(f->r->npeers <= MAXP);
    for (i = 0; i < f->r->npeers; i++)
        f->mp[i] = idle();
    f->ctx.roster = f->r;
    f->ctx.peers = f->mp;
    f->ctx.now = now;
    f->ctx.cooldown = 2 * MINUTE;
    f->ctx.rematch_window = 14 * DAY;
    f->ctx.prep = NULL; /* each call prepares for itself: the live state changes between calls */
}

static void fix_free(struct fix *f)
{
    roster_free(f->r);
}

/* Milliseconds of a wall-clock time in `tz`. */
static int64_t at(const struct tz *tz, int y, int mo, int d, int h, int mi)
{
    return tz_from_local(tz, y, mo, d, h, mi, 0) * 1000;
}

/* The zone a name was loaded under, from the roster's peers or the line. */
static const struct tz *zone_of(const struct roster *r, const char *name)
{
    size_t i;

    if (!strcmp(tz_name(r->tz), name))
        return r->tz;
    for (i = 0; i < r->npeers; i++)
        if (!strcmp(tz_name(r->peers[i].tz), name))
            return r->peers[i].tz;
    fail_msg("no zone %s in the roster", name);
    return NULL;
}

static int peer_index(const struct roster *r, const char *id)
{
    const struct roster_peer *p = roster_peer_by_id(r, id);

    assert_non_null(p);
    return (int)(p - r->peers);
}

/* match_check's reason, with the general flag it sets. */
static enum match_reason check(const struct fix *f, const char *id, const struct match_texter *t,
                               int *general)
{
    int g = -1;
    enum match_reason why = match_check(&f->ctx, (size_t)peer_index(f->r, id), t, &g);

    assert_true(g == 0 || g == 1);
    if (general)
        *general = g;
    return why;
}

#define CHECK(f, id, t, want)                                                                      \
    do {                                                                                           \
        enum match_reason got_ = check((f), (id), (t), NULL);                                      \
        if (got_ != (want))                                                                        \
            fail_msg("%s: peer %s is \"%s\", expected \"%s\"", what, (id),                         \
                     match_reason_text(got_), match_reason_text(want));                            \
    } while (0)

/*
 * The candidates for t must be exactly `want`, a space-separated list of
 * peer ids, best first ("" for none).
 */
static void expect_candidates(const char *what, const struct fix *f, const struct match_texter *t,
                              const char *want)
{
    int out[MAXP];
    size_t n = match_candidates(&f->ctx, t, out), i;
    char got[512] = "";

    for (i = 0; i < n; i++) {
        size_t len = strlen(got);
        snprintf(got + len, sizeof(got) - len, "%s%s", i ? " " : "", f->r->peers[out[i]].id);
    }
    if (strcmp(got, want))
        fail_msg("%s: candidates \"%s\", expected \"%s\"", what, got, want);
}

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* ---- availability: shifts, DST, training, manual state ---- */

/* A shift is read in the peer's own zone, not the line's. */
static void test_on_shift_in_own_timezone(void **state)
{
    static const struct {
        const char *what, *zone;
        int y, mo, d, h, mi;
        enum match_reason chi, nyc;
    } cases[] = {
        {"18:30 in New York is 17:30 in Chicago", "America/New_York", 2026, 6, 1, 18, 30,
         MATCH_OFF_SHIFT, MATCH_OK},
        {"23:00 in Chicago is Tuesday 00:00 in New York", "America/Chicago", 2026, 6, 1, 23, 0,
         MATCH_OK, MATCH_OFF_SHIFT},
        {"start is inclusive", "America/Chicago", 2026, 6, 1, 18, 0, MATCH_OK, MATCH_OK},
        {"end is exclusive", "America/Chicago", 2026, 6, 1, 23, 30, MATCH_OFF_SHIFT,
         MATCH_OFF_SHIFT},
        {"a minute before the end", "America/Chicago", 2026, 6, 1, 23, 29, MATCH_OK,
         MATCH_OFF_SHIFT},
        {"Tuesday is not a shift day", "America/Chicago", 2026, 6, 2, 19, 0, MATCH_OFF_SHIFT,
         MATCH_OFF_SHIFT},
        {"Monday morning", "America/New_York", 2026, 6, 1, 9, 0, MATCH_OFF_SHIFT, MATCH_OFF_SHIFT},
    };
    struct fix f;
    size_t i;

    (void)state;
    fix_init(&f,
             HEAD PEER("chi", "1",
                       "topics: [anxiety], timezone: America/Chicago, "
                       "shifts: [{days: [mon], start: \"18:00\", end: \"23:30\"}]")
                 PEER("nyc", "2",
                      "topics: [anxiety], "
                      "shifts: [{days: [mon], start: \"18:00\", end: \"23:30\"}]"),
             0);
    f.mp[0] = by_shift();
    f.mp[1] = by_shift();
    for (i = 0; i < NCASES(cases); i++) {
        const char *what = cases[i].what;
        struct match_texter t = texter(T_ANXIETY);

        f.ctx.now = at(zone_of(f.r, cases[i].zone), cases[i].y, cases[i].mo, cases[i].d, cases[i].h,
                       cases[i].mi);
        CHECK(&f, "chi", &t, cases[i].chi);
        CHECK(&f, "nyc", &t, cases[i].nyc);
    }
    fix_free(&f);
}

/* fri 22:00-02:00: named by its start day, it runs into Saturday. */
static void test_shift_past_midnight(void **state)
{
    static const struct {
        const char *what;
        int y, mo, d, h, mi;
        enum match_reason want;
    } cases[] = {
        {"Friday 21:59", 2026, 6, 5, 21, 59, MATCH_OFF_SHIFT},
        {"Friday 22:00", 2026, 6, 5, 22, 0, MATCH_OK},
        {"Friday 23:00", 2026, 6, 5, 23, 0, MATCH_OK},
        {"Saturday 00:00", 2026, 6, 6, 0, 0, MATCH_OK},
        {"Saturday 01:00", 2026, 6, 6, 1, 0, MATCH_OK},
        {"Saturday 01:59", 2026, 6, 6, 1, 59, MATCH_OK},
        {"Saturday 02:00", 2026, 6, 6, 2, 0, MATCH_OFF_SHIFT},
        {"Saturday 03:00", 2026, 6, 6, 3, 0, MATCH_OFF_SHIFT},
        {"Saturday 23:00", 2026, 6, 6, 23, 0, MATCH_OFF_SHIFT},
        {"Thursday 01:00", 2026, 6, 4, 1, 0, MATCH_OFF_SHIFT},
        {"Friday 01:00 (Thursday has no shift)", 2026, 6, 5, 1, 0, MATCH_OFF_SHIFT},
        {"Sunday 01:00", 2026, 6, 7, 1, 0, MATCH_OFF_SHIFT},
        {"Friday 31 July 23:00", 2026, 7, 31, 23, 0, MATCH_OK},
        {"Saturday 1 August 01:00, across a month end", 2026, 8, 1, 1, 0, MATCH_OK},
    };
    struct fix f;
    size_t i;

    (void)state;
    fix_init(&f,
             HEAD PEER("owl", "1",
                       "topics: [anxiety], "
                       "shifts: [{days: [fri], start: \"22:00\", end: \"02:00\"}]"),
             0);
    f.mp[0] = by_shift();
    for (i = 0; i < NCASES(cases); i++) {
        const char *what = cases[i].what;
        struct match_texter t = texter(T_ANXIETY);

        f.ctx.now = at(f.r->tz, cases[i].y, cases[i].mo, cases[i].d, cases[i].h, cases[i].mi);
        CHECK(&f, "owl", &t, cases[i].want);
    }
    fix_free(&f);
}

/*
 * 09:00-17:00 stays 09:00-17:00 on the wall clock across DST: New York
 * springs forward on 2026-03-08, Berlin on 2026-03-29. The same UTC time of
 * day can be off shift before the change and on after it.
 */
static void test_shift_across_dst(void **state)
{
    static const struct {
        const char *what, *peer;
        int64_t utc; /* seconds */
        enum match_reason want;
    } cases[] = {
        {"NY Mon 2 Mar 09:30 EST", "nyc", 1772461800, MATCH_OK},
        {"NY Mon 9 Mar 09:30 EDT", "nyc", 1773063000, MATCH_OK},
        {"NY Mon 2 Mar 08:45 EST (13:45Z)", "nyc", 1772459100, MATCH_OFF_SHIFT},
        {"NY Mon 9 Mar 09:45 EDT (13:45Z)", "nyc", 1773063900, MATCH_OK},
        {"NY Mon 2 Mar 16:30 EST (21:30Z)", "nyc", 1772487000, MATCH_OK},
        {"NY Mon 9 Mar 17:30 EDT (21:30Z)", "nyc", 1773091800, MATCH_OFF_SHIFT},
        {"Berlin Sat 28 Mar 09:30 CET", "ber", 1774686600, MATCH_OK},
        {"Berlin Mon 30 Mar 09:30 CEST", "ber", 1774855800, MATCH_OK},
        {"Berlin Sat 28 Mar 08:30 CET (07:30Z)", "ber", 1774683000, MATCH_OFF_SHIFT},
        {"Berlin Sun 29 Mar 09:30 CEST (07:30Z), the day of the change", "ber", 1774769400,
         MATCH_OK},
    };
    struct fix f;
    const struct tz *ny, *berlin;
    size_t i;

    (void)state;
    fix_init(&f,
             HEAD PEER("nyc", "1",
                       "topics: [anxiety], shifts: [{days: [sun, mon, tue, wed, thu, "
                       "fri, sat], start: \"09:00\", end: \"17:00\"}]")
                 PEER("ber", "2",
                      "topics: [anxiety], timezone: Europe/Berlin, "
                      "shifts: [{days: [sun, mon, tue, wed, thu, fri, sat], "
                      "start: \"09:00\", end: \"17:00\"}]"),
             0);
    f.mp[0] = by_shift();
    f.mp[1] = by_shift();
    ny = zone_of(f.r, "America/New_York");
    berlin = zone_of(f.r, "Europe/Berlin");
    /* 09:30 local is a different UTC time of day before and after each change */
    assert_int_equal(at(ny, 2026, 3, 2, 9, 30), 1772461800LL * 1000);
    assert_int_equal(at(ny, 2026, 3, 9, 9, 30), 1773063000LL * 1000);
    assert_int_equal(1773063000 - 1772461800, 7 * 86400 - 3600);
    assert_int_equal(at(berlin, 2026, 3, 28, 9, 30), 1774686600LL * 1000);
    assert_int_equal(at(berlin, 2026, 3, 30, 9, 30), 1774855800LL * 1000);
    assert_int_equal(1774855800 - 1774686600, 2 * 86400 - 3600);
    for (i = 0; i < NCASES(cases); i++) {
        const char *what = cases[i].what;
        struct match_texter t = texter(T_ANXIETY);

        f.ctx.now = cases[i].utc * 1000;
        CHECK(&f, cases[i].peer, &t, cases[i].want);
    }
    fix_free(&f);
}

/* trained_until is the last day, inclusive, in the peer's own zone. */
static void test_training_expiry(void **state)
{
    static const struct {
        const char *what, *zone;
        int y, mo, d, h, mi;
        enum match_reason tia, ned;
    } cases[] = {
        {"Chicago 30 June 00:00", "America/Chicago", 2026, 6, 30, 0, 0, MATCH_OK, MATCH_OK},
        {"Chicago 30 June 23:59 (already 1 July in UTC)", "America/Chicago", 2026, 6, 30, 23, 59,
         MATCH_OK, MATCH_OK},
        {"Chicago 1 July 00:00", "America/Chicago", 2026, 7, 1, 0, 0, MATCH_NOT_TRAINED, MATCH_OK},
        {"New York 1 July 00:30 is still 30 June in Chicago", "America/New_York", 2026, 7, 1, 0, 30,
         MATCH_OK, MATCH_OK},
        {"a year later", "America/Chicago", 2027, 6, 30, 12, 0, MATCH_NOT_TRAINED, MATCH_OK},
        {"far ahead", "America/Chicago", 2090, 1, 1, 12, 0, MATCH_NOT_TRAINED, MATCH_OK},
    };
    struct fix f;
    size_t i;

    (void)state;
    fix_init(&f,
             HEAD PEER("tia", "1",
                       "topics: [anxiety], timezone: America/Chicago, "
                       "trained_until: 2026-06-30")
                 PEER("ned", "2", "topics: [anxiety]"), /* no limit */
             0);
    assert_int_equal(at(zone_of(f.r, "America/Chicago"), 2026, 6, 30, 23, 59), 1782881940LL * 1000);
    for (i = 0; i < NCASES(cases); i++) {
        const char *what = cases[i].what;
        struct match_texter t = texter(T_ANXIETY);

        f.ctx.now = at(zone_of(f.r, cases[i].zone), cases[i].y, cases[i].mo, cases[i].d, cases[i].h,
                       cases[i].mi);
        CHECK(&f, "tia", &t, cases[i].tia);
        CHECK(&f, "ned", &t, cases[i].ned);
        assert_int_equal(schedule_trained(&f.r->peers[0], f.ctx.now), cases[i].tia == MATCH_OK);
    }
    /* an expired peer is not offered even when #on */
    f.ctx.now = at(f.r->tz, 2026, 7, 2, 12, 0);
    {
        struct match_texter t = texter(T_ANXIETY);
        expect_candidates("after expiry", &f, &t, "ned");
    }
    fix_free(&f);
}

/* #on overrides an off shift, #off an on shift, until manual_until (exclusive). */
static void test_manual_state(void **state)
{
    static const struct {
        const char *what;
        enum match_manual manual;
        int64_t until; /* relative to now */
        int on_shift;
        enum match_reason want;
    } cases[] = {
        {"shift only, on", MATCH_MANUAL_NONE, 0, 1, MATCH_OK},
        {"shift only, off", MATCH_MANUAL_NONE, 0, 0, MATCH_OFF_SHIFT},
        {"#on while off shift", MATCH_MANUAL_ON, HOUR, 0, MATCH_OK},
        {"#on while on shift", MATCH_MANUAL_ON, HOUR, 1, MATCH_OK},
        {"#off while on shift", MATCH_MANUAL_OFF, HOUR, 1, MATCH_MANUAL_OFF_NOW},
        {"#off while off shift", MATCH_MANUAL_OFF, HOUR, 0, MATCH_MANUAL_OFF_NOW},
        {"#on with 1 ms left", MATCH_MANUAL_ON, 1, 0, MATCH_OK},
        {"#on lapsing right now", MATCH_MANUAL_ON, 0, 0, MATCH_OFF_SHIFT},
        {"#on lapsed an hour ago, off shift", MATCH_MANUAL_ON, -HOUR, 0, MATCH_OFF_SHIFT},
        {"#off lapsed, back on shift", MATCH_MANUAL_OFF, -MINUTE, 1, MATCH_OK},
    };
    struct fix f;
    size_t i;

    (void)state;
    fix_init(&f,
             HEAD PEER("nyc", "1",
                       "topics: [anxiety], "
                       "shifts: [{days: [mon], start: \"09:00\", end: \"17:00\"}]"),
             0);
    for (i = 0; i < NCASES(cases); i++) {
        const char *what = cases[i].what;
        struct match_texter t = texter(T_ANXIETY);

        f.ctx.now = at(f.r->tz, 2026, 6, 1, cases[i].on_shift ? 10 : 20, 0);
        f.mp[0] = by_shift();
        f.mp[0].manual = cases[i].manual;
        f.mp[0].manual_until =
            cases[i].manual == MATCH_MANUAL_NONE ? 0 : f.ctx.now + cases[i].until;
        CHECK(&f, "nyc", &t, cases[i].want);
        expect_candidates(what, &f, &t, cases[i].want == MATCH_OK ? "nyc" : "");
    }
    fix_free(&f);
}

/* ---- who covers what ---- */

static void test_language(void **state)
{
    struct fix f;
    struct match_texter t = texter(T_ANXIETY);
    const char *what = "language";
    int es;

    (void)state;
    fix_init(&f,
             HEAD PEER("ann", "1", "topics: [anxiety]")
                 PEER("eli", "2", "topics: [anxiety], languages: [es]")
                     PEER("bia", "3", "topics: [anxiety], languages: [es, en]"),
             0);
    es = roster_lang_index(f.r, "es");
    assert_int_equal(es, 1);
    t.lang = 0;
    CHECK(&f, "ann", &t, MATCH_OK);
    CHECK(&f, "eli", &t, MATCH_LANGUAGE);
    CHECK(&f, "bia", &t, MATCH_OK);
    expect_candidates("english", &f, &t, "ann bia");
    t.lang = es;
    CHECK(&f, "ann", &t, MATCH_LANGUAGE);
    CHECK(&f, "eli", &t, MATCH_OK);
    CHECK(&f, "bia", &t, MATCH_OK);
    expect_candidates("spanish", &f, &t, "eli bia");
    t.lang = -1;
    CHECK(&f, "bia", &t, MATCH_LANGUAGE);
    t.lang = 64;
    CHECK(&f, "bia", &t, MATCH_LANGUAGE);
    expect_candidates("no such language", &f, &t, "");
    fix_free(&f);
}

static void test_topic(void **state)
{
    struct fix f;
    struct match_texter t = texter(T_GRIEF);
    const char *what = "topic";
    int general = -1;

    (void)state;
    fix_init(&f, HEAD PEER("ann", "1", "topics: [anxiety]") PEER("gia", "2", "topics: [grief]"), 0);
    assert_int_equal(check(&f, "ann", &t, &general), MATCH_TOPIC);
    assert_int_equal(check(&f, "gia", &t, &general), MATCH_OK);
    assert_int_equal(general, 0);
    expect_candidates("grief", &f, &t, "gia");
    t.topic = T_SLEEP; /* nobody, and no general peer */
    CHECK(&f, "ann", &t, MATCH_TOPIC);
    CHECK(&f, "gia", &t, MATCH_TOPIC);
    expect_candidates("sleep", &f, &t, "");
    fix_free(&f);
}

/* A general peer is a candidate only when no peer covering the topic can be offered now. */
static void test_general_fallback(void **state)
{
    static const struct {
        const char *what;
        int topic, lang_es;
        int ann_off, ann_offer, ann_full, ann_lang_es_only;
        const char *want;
    } cases[] = {
        {"a topic peer is free", T_ANXIETY, 0, 0, 0, 0, 0, "ann"},
        {"the topic peer is #off", T_ANXIETY, 0, 1, 0, 0, 0, "gus"},
        {"the topic peer has an offer", T_ANXIETY, 0, 0, 1, 0, 0, "gus"},
        {"the topic peer is full", T_ANXIETY, 0, 0, 0, 1, 0, "gus"},
        {"the topic peer does not speak Spanish", T_ANXIETY, 1, 0, 0, 0, 0, "gus"},
        {"nobody covers sleep", T_SLEEP, 0, 0, 0, 0, 0, "gus"},
        {"general itself is the topic", T_GENERAL, 0, 0, 0, 0, 0, "gus"},
    };
    struct fix f;
    size_t i;

    (void)state;
    /* gus comes first in the roster, so roster order cannot be why ann wins */
    fix_init(&f,
             HEAD PEER("gus", "1", "topics: [general], languages: [en, es]")
                 PEER("ann", "2", "topics: [anxiety]"),
             0);
    for (i = 0; i < NCASES(cases); i++) {
        struct match_texter t = texter(cases[i].topic);
        struct match_peer *ann = &f.mp[1];
        int general = -1;

        f.mp[0] = idle();
        *ann = idle();
        if (cases[i].ann_off)
            ann->manual = MATCH_MANUAL_OFF;
        ann->has_offer = cases[i].ann_offer;
        if (cases[i].ann_full)
            ann->open = 1;
        t.lang = cases[i].lang_es ? roster_lang_index(f.r, "es") : 0;
        /* gus passes every rule; whether he is used is the fallback's call */
        assert_int_equal(check(&f, "gus", &t, &general), MATCH_OK);
        assert_int_equal(general, cases[i].topic != T_GENERAL);
        expect_candidates(cases[i].what, &f, &t, cases[i].want);
    }
    fix_free(&f);
}

/* An urgent texter: any crisis-trained peer qualifies, and they come first. */
static void test_urgent(void **state)
{
    struct fix f;
    struct match_texter t = texter(T_ANXIETY);
    const char *what = "urgent";
    int general = -1;

    (void)state;
    fix_init(&f,
             HEAD PEER("ann", "1", "topics: [anxiety]") PEER("gus", "2", "topics: [general]")
                 PEER("cat", "3", "topics: [grief], crisis_trained: true, max_conversations: 2"),
             0);
    CHECK(&f, "cat", &t, MATCH_TOPIC);
    expect_candidates("not urgent", &f, &t, "ann");

    t.urgent = 1;
    assert_int_equal(check(&f, "cat", &t, &general), MATCH_OK);
    assert_int_equal(general, 0);
    expect_candidates("urgent: crisis-trained first, then the topic's peers", &f, &t, "cat ann");

    t.last_peer = peer_index(f.r, "ann");
    t.last_peer_at = f.ctx.now - DAY;
    expect_candidates("crisis-trained before the last peer", &f, &t, "cat ann");
    t.last_peer = -1;

    f.mp[2].open = 1;
    f.mp[2].numbers_free = 1;
    expect_candidates("crisis-trained before fewer open", &f, &t, "cat ann");
    f.mp[2] = idle();

    t.topic = T_SLEEP;
    expect_candidates("urgent, a topic nobody covers", &f, &t, "cat");
    t.topic = T_ANXIETY;

    f.mp[2].manual = MATCH_MANUAL_OFF;
    expect_candidates("crisis peer #off", &f, &t, "ann");
    f.mp[0].manual = MATCH_MANUAL_OFF;
    expect_candidates("only the general peer is left", &f, &t, "gus");
    fix_free(&f);
}

/* ---- limits ---- */

static void test_capacity(void **state)
{
    static const struct {
        const char *peer;
        int usable, open, free;
        enum match_reason want;
    } cases[] = {
        {"m1", 5, 0, 5, MATCH_OK},        {"m1", 5, 1, 4, MATCH_FULL},
        {"m1", 0, 0, 0, MATCH_FULL},                                   /* no usable number at all */
        {"m2", 3, 1, 2, MATCH_OK},        {"m2", 3, 2, 1, MATCH_FULL}, /* max_conversations binds */
        {"m3", 1, 1, 0, MATCH_FULL},                                   /* numbers bind: min(3, 1) */
        {"m3", 2, 1, 1, MATCH_OK},        {"m3", 2, 2, 0, MATCH_FULL},
        {"m3", 3, 1, 0, MATCH_NO_NUMBER}, /* room, but every number in use */
    };
    struct fix f;
    size_t i;

    (void)state;
    fix_init(&f,
             HEAD PEER("m1", "1", "topics: [anxiety]")
                 PEER("m2", "2", "topics: [anxiety], max_conversations: 2")
                     PEER("m3", "3", "topics: [anxiety], max_conversations: 3"),
             0);
    for (i = 0; i < NCASES(cases); i++) {
        char what[64];
        struct match_texter t = texter(T_ANXIETY);
        struct match_peer *mp = &f.mp[peer_index(f.r, cases[i].peer)];

        snprintf(what, sizeof(what), "case %zu", i);
        *mp = idle();
        mp->numbers_usable = cases[i].usable;
        mp->open = cases[i].open;
        mp->numbers_free = cases[i].free;
        CHECK(&f, cases[i].peer, &t, cases[i].want);
    }
    fix_free(&f);
}

static void test_cooldown(void **state)
{
    static const struct {
        const char *what;
        int64_t cooldown, since_end; /* since_end < 0: never ended one */
        enum match_reason want;
    } cases[] = {
        {"never had a conversation", 2 * MINUTE, -1, MATCH_OK},
        {"ended a minute ago", 2 * MINUTE, MINUTE, MATCH_COOLDOWN},
        {"1 ms short of the cooldown", 2 * MINUTE, 2 * MINUTE - 1, MATCH_COOLDOWN},
        {"exactly the cooldown ago", 2 * MINUTE, 2 * MINUTE, MATCH_OK},
        {"an hour ago", 2 * MINUTE, HOUR, MATCH_OK},
        {"no cooldown configured", 0, 0, MATCH_OK},
    };
    struct fix f;
    size_t i;

    (void)state;
    fix_init(&f, HEAD PEER("ann", "1", "topics: [anxiety]"), 1790000000000LL);
    for (i = 0; i < NCASES(cases); i++) {
        const char *what = cases[i].what;
        struct match_texter t = texter(T_ANXIETY);

        f.ctx.cooldown = cases[i].cooldown;
        f.mp[0] = idle();
        f.mp[0].last_end = cases[i].since_end < 0 ? 0 : f.ctx.now - cases[i].since_end;
        CHECK(&f, "ann", &t, cases[i].want);
    }
    fix_free(&f);
}

/* The texter themself, the peer who transferred them, a peer with an open offer. */
static void test_exclusions(void **state)
{
    struct fix f;
    struct match_texter t = texter(T_ANXIETY);
    const char *what = "exclusions";

    (void)state;
    fix_init(&f,
             HEAD PEER("ann", "1", "topics: [anxiety]") PEER("ben", "2", "topics: [anxiety]")
                 PEER("cal", "3", "topics: [anxiety]"),
             0);
    expect_candidates("everyone", &f, &t, "ann ben cal");

    t.self = peer_index(f.r, "ann");
    CHECK(&f, "ann", &t, MATCH_SELF);
    expect_candidates("a peer texting the line for support", &f, &t, "ben cal");
    f.mp[0].manual = MATCH_MANUAL_OFF; /* the self rule is reported before any other */
    CHECK(&f, "ann", &t, MATCH_SELF);
    f.mp[0] = idle();
    t.self = -1;

    t.transferred_by = peer_index(f.r, "ben");
    CHECK(&f, "ben", &t, MATCH_TRANSFERRED);
    expect_candidates("transferred by ben", &f, &t, "ann cal");
    t.tried = (const int[]){0, 2};
    t.ntried = 2;
    expect_candidates("transferred by ben, never offered even when all others were tried", &f, &t,
                      "ann cal");
    t.tried = NULL;
    t.ntried = 0;
    t.transferred_by = -1;

    f.mp[2].has_offer = 1;
    CHECK(&f, "cal", &t, MATCH_HAS_OFFER);
    expect_candidates("cal has an offer waiting", &f, &t, "ann ben");
    f.mp[2].open = 1; /* the offer counts as open: both rules hold; the offer is reported */
    CHECK(&f, "cal", &t, MATCH_HAS_OFFER);
    fix_free(&f);
}

/* A peer who passed or let the offer expire comes back only when everyone else was tried. */
static void test_tried(void **state)
{
    static const struct {
        const char *what;
        int tried[3];
        size_t ntried;
        int ben_off, gus_off;
        const char *want;
    } cases[] = {
        {"nobody tried", {0}, 0, 0, 0, "ann ben"},
        {"ann passed", {0}, 1, 0, 0, "ben"},
        {"ann passed, ben is #off", {0}, 1, 1, 1, "ann"},
        {"ann passed, ben is #off, a general peer is free", {0}, 1, 1, 0, "gus"},
        {"both passed, a general peer is free", {1, 0}, 2, 0, 0, "gus"},
        {"both passed, no general peer", {1, 0}, 2, 0, 1, "ann ben"},
        {"everyone passed: exact topic first, then general", {2, 1, 0}, 3, 0, 0, "ann ben gus"},
    };
    struct fix f;
    size_t i;

    (void)state;
    fix_init(&f,
             HEAD PEER("ann", "1", "topics: [anxiety]") PEER("ben", "2", "topics: [anxiety]")
                 PEER("gus", "3", "topics: [general]"),
             0);
    for (i = 0; i < NCASES(cases); i++) {
        struct match_texter t = texter(T_ANXIETY);
        int general;

        f.mp[1] = idle();
        f.mp[2] = idle();
        if (cases[i].ben_off)
            f.mp[1].manual = MATCH_MANUAL_OFF;
        if (cases[i].gus_off)
            f.mp[2].manual = MATCH_MANUAL_OFF;
        t.tried = cases[i].tried;
        t.ntried = cases[i].ntried;
        expect_candidates(cases[i].what, &f, &t, cases[i].want);
        /* match_check leaves the tried rule to match_candidates */
        assert_int_equal(match_check(&f.ctx, 0, &t, &general), MATCH_OK);
    }
    fix_free(&f);
}

/* ---- preference order ---- */

/*
 * Among candidates: (crisis-trained first for urgent texters, see
 * test_urgent) then the last peer within rematch_window, then exact topic
 * over general, then fewest open, then longest since the last conversation
 * ended, then roster order. gus (general) is first in the roster; he only
 * competes with the others once everyone has been tried.
 */
static void test_preferences(void **state)
{
    static const struct {
        const char *what;
        int open[5];          /* gus p1 p2 p3 p4 */
        int64_t ended_ago[5]; /* 0: never */
        int last_peer;        /* -1: none */
        int64_t last_peer_ago;
        int all_tried;
        const char *want;
    } cases[] = {
        {"all alike: roster order", {0}, {0}, -1, 0, 0, "p1 p2 p3 p4"},
        {"fewest open", {0, 1, 0, 1, 0}, {0}, -1, 0, 0, "p2 p4 p1 p3"},
        {"longest since last end; never ended counts as longest",
         {0},
         {0, HOUR, 3 * HOUR, 0, 2 * HOUR},
         -1,
         0,
         0,
         "p3 p2 p4 p1"},
        {"fewer open before longer since",
         {0, 0, 1, 0, 0},
         {0, HOUR, 0, 2 * HOUR, 3 * HOUR},
         -1,
         0,
         0,
         "p4 p3 p1 p2"},
        {"last peer 13 days ago", {0}, {0}, 3, 13 * DAY, 0, "p3 p1 p2 p4"},
        {"last peer exactly 14 days ago", {0}, {0}, 3, 14 * DAY, 0, "p3 p1 p2 p4"},
        {"last peer 14 days and 1 ms ago: no longer preferred",
         {0},
         {0},
         3,
         14 * DAY + 1,
         0,
         "p1 p2 p3 p4"},
        {"last peer beats fewer open", {0, 0, 0, 1, 0}, {0}, 3, DAY, 0, "p3 p1 p2 p4"},
        {"last peer beats longer since",
         {0},
         {0, 5 * HOUR, 5 * HOUR, MINUTE * 10, 5 * HOUR},
         3,
         DAY,
         0,
         "p3 p1 p2 p4"},
        {"all tried: exact topic over general, even with more open",
         {0, 1, 1, 1, 1},
         {0},
         -1,
         0,
         1,
         "p1 p2 p3 p4 gus"},
        {"all tried: the last peer over exact topic", {0}, {0}, 0, DAY, 1, "gus p1 p2 p3 p4"},
    };
    struct fix f;
    size_t i, k;

    (void)state;
    fix_init(&f,
             HEAD PEER("gus", "1", "topics: [general], max_conversations: 3")
                 PEER("p1", "2", "topics: [anxiety], max_conversations: 3")
                     PEER("p2", "3", "topics: [anxiety], max_conversations: 3")
                         PEER("p3", "4", "topics: [anxiety], max_conversations: 3")
                             PEER("p4", "5", "topics: [anxiety], max_conversations: 3"),
             400 * DAY);
    for (i = 0; i < NCASES(cases); i++) {
        static const int everyone[] = {0, 1, 2, 3, 4};
        struct match_texter t = texter(T_ANXIETY);

        for (k = 0; k < 5; k++) {
            f.mp[k] = idle();
            f.mp[k].numbers_usable = 3;
            f.mp[k].numbers_free = 3 - cases[i].open[k];
            f.mp[k].open = cases[i].open[k];
            f.mp[k].last_end = cases[i].ended_ago[k] ? f.ctx.now - cases[i].ended_ago[k] : 0;
        }
        t.last_peer = cases[i].last_peer;
        t.last_peer_at = f.ctx.now - cases[i].last_peer_ago;
        if (cases[i].all_tried) {
            t.tried = everyone;
            t.ntried = 5;
        }
        expect_candidates(cases[i].what, &f, &t, cases[i].want);
    }
    fix_free(&f);
}

/* Candidate lists longer than 64 take another code path; same rules. */
static void test_many_peers(void **state)
{
    char *yaml = malloc(16384);
    size_t len, i;
    struct fix f;
    struct match_texter t = texter(T_ANXIETY);
    int out[MAXP];
    size_t n;

    (void)state;
    assert_non_null(yaml);
    len = (size_t)snprintf(yaml, 16384, "%s", HEAD);
    for (i = 0; i < 70; i++)
        len += (size_t)snprintf(yaml + len, 16384 - len,
                                "  - {id: p%zu, name: Pat, phone: \"+1555100%04zu\", topics: "
                                "[anxiety], max_conversations: 2}\n",
                                i, i);
    assert_true(len < 16384);
    fix_init(&f, yaml, 0);
    free(yaml);
    assert_int_equal(f.r->npeers, 70);
    for (i = 0; i < 70; i++)
        if (i % 3 == 0) {
            f.mp[i].open = 1;
            f.mp[i].numbers_free = 1;
        }
    f.mp[5].has_offer = 1;
    n = match_candidates(&f.ctx, &t, out);
    assert_int_equal(n, 69);
    /* first every peer with nothing open, in roster order; then those with one */
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 2);
    assert_int_equal(out[2], 4);
    assert_int_equal(out[3], 7); /* 5 has an offer, 6 has one open */
    for (i = 1; i < n; i++) {
        int a = out[i - 1], b = out[i];
        assert_true(f.mp[a].open < f.mp[b].open || (f.mp[a].open == f.mp[b].open && a < b));
    }
    assert_int_equal(out[n - 1], 69);
    fix_free(&f);
}

/* ---- match_assign ---- */

static void test_assign_order_and_one_offer_each(void **state)
{
    struct fix f;
    struct match_texter t[4];
    struct match_peer scratch[MAXP];
    struct match_pair out[4];
    size_t n;

    (void)state;
    fix_init(&f,
             HEAD PEER("ann", "1", "topics: [anxiety], max_conversations: 3")
                 PEER("ben", "2", "topics: [anxiety], max_conversations: 3")
                     PEER("cal", "3", "topics: [anxiety], max_conversations: 3"),
             10 * HOUR);
    t[0] = texter(T_ANXIETY);
    t[0].id = 10;
    t[0].queued_at = 300;
    t[1] = texter(T_ANXIETY);
    t[1].id = 11;
    t[1].queued_at = 500;
    t[1].urgent = 1;
    t[2] = texter(T_ANXIETY);
    t[2].id = 12;
    t[2].queued_at = 100;
    t[3] = texter(T_ANXIETY);
    t[3].id = 9;
    t[3].queued_at = 100;
    n = match_assign(&f.ctx, t, 4, scratch, out);
    /* urgent first; then by arrival, ties by id; three peers, one offer each */
    assert_int_equal(n, 3);
    assert_int_equal(out[0].texter, 1);
    assert_int_equal(out[0].peer, 0);
    assert_int_equal(out[1].texter, 3);
    assert_int_equal(out[1].peer, 1);
    assert_int_equal(out[2].texter, 2);
    assert_int_equal(out[2].peer, 2);
    /* scratch shows the offers; the caller's state is untouched */
    assert_int_equal(scratch[0].has_offer, 1);
    assert_int_equal(scratch[0].open, 1);
    assert_int_equal(scratch[0].numbers_free, 1);
    assert_int_equal(f.mp[0].has_offer, 0);
    assert_int_equal(f.mp[0].open, 0);
    fix_free(&f);
}

/* One peer with room for three still gets a single offer per run. */
static void test_assign_never_two_offers(void **state)
{
    struct fix f;
    struct match_texter t[3];
    struct match_peer scratch[MAXP];
    struct match_pair out[3];
    size_t i;

    (void)state;
    fix_init(&f, HEAD PEER("ann", "1", "topics: [anxiety], max_conversations: 3"), 0);
    f.mp[0].numbers_usable = f.mp[0].numbers_free = 3;
    for (i = 0; i < 3; i++) {
        t[i] = texter(T_ANXIETY);
        t[i].id = (int64_t)i;
        t[i].queued_at = (int64_t)(100 - i);
    }
    assert_int_equal(match_assign(&f.ctx, t, 3, scratch, out), 1);
    assert_int_equal(out[0].texter, 2); /* the earliest */
    assert_int_equal(out[0].peer, 0);
    assert_int_equal(match_assign(&f.ctx, t, 0, scratch, out), 0);
    fix_free(&f);
}

/*
 * The urgent texter gets the crisis-trained peer although queued later; a
 * texter whose only peer was taken waits, and does not hold up a texter
 * behind them whose topic has a free peer.
 */
static void test_assign_urgent_and_no_blocking(void **state)
{
    struct fix f;
    struct match_texter t[4];
    struct match_peer scratch[MAXP];
    struct match_pair out[4];

    (void)state;
    fix_init(&f,
             HEAD PEER("ann", "1", "topics: [anxiety]")
                 PEER("cat", "2", "topics: [anxiety], crisis_trained: true")
                     PEER("gia", "3", "topics: [grief]"),
             0);
    t[0] = texter(T_ANXIETY);
    t[0].id = 1;
    t[0].queued_at = 0;
    t[1] = texter(T_ANXIETY);
    t[1].id = 2;
    t[1].queued_at = 100;
    t[1].urgent = 1;
    t[2] = texter(T_ANXIETY);
    t[2].id = 3;
    t[2].queued_at = 200;
    t[3] = texter(T_GRIEF);
    t[3].id = 4;
    t[3].queued_at = 300;
    assert_int_equal(match_assign(&f.ctx, t, 4, scratch, out), 3);
    assert_int_equal(out[0].texter, 1);
    assert_int_equal(out[0].peer, peer_index(f.r, "cat"));
    assert_int_equal(out[1].texter, 0);
    assert_int_equal(out[1].peer, peer_index(f.r, "ann"));
    assert_int_equal(out[2].texter, 3); /* texter 2 waits; texter 3 is served */
    assert_int_equal(out[2].peer, peer_index(f.r, "gia"));
    fix_free(&f);
}

/* Same inputs, same pairs: no hidden state, no dependence on the caller's order. */
static void test_assign_deterministic(void **state)
{
    struct fix f;
    struct match_texter t[6];
    struct match_peer scratch[MAXP], before[MAXP];
    struct match_pair a[6], b[6];
    size_t na, nb, i;

    (void)state;
    fix_init(&f,
             HEAD PEER("ann", "1", "topics: [anxiety, general], max_conversations: 2")
                 PEER("ben", "2", "topics: [grief], crisis_trained: true")
                     PEER("cal", "3", "topics: [general], languages: [en, es]")
                         PEER("dot", "4", "topics: [anxiety, grief], max_conversations: 2"),
             50 * DAY);
    f.mp[1].last_end = f.ctx.now - HOUR;
    f.mp[3].open = 1;
    f.mp[3].numbers_free = 1;
    for (i = 0; i < 6; i++) {
        t[i] = texter((int)(i % 4));
        t[i].id = (int64_t)(100 - i);
        t[i].queued_at = (int64_t)((i * 7) % 4);
    }
    t[4].urgent = 1;
    t[5].lang = roster_lang_index(f.r, "es");
    memcpy(before, f.mp, sizeof(before));
    na = match_assign(&f.ctx, t, 6, scratch, a);
    nb = match_assign(&f.ctx, t, 6, scratch, b);
    assert_int_equal(na, nb);
    assert_true(na > 0);
    for (i = 0; i < na; i++) {
        assert_int_equal(a[i].texter, b[i].texter);
        assert_int_equal(a[i].peer, b[i].peer);
    }
    assert_memory_equal(before, f.mp, sizeof(before));
    /* and no peer twice */
    for (i = 0; i < na; i++) {
        size_t j;
        for (j = 0; j < i; j++)
            assert_int_not_equal(a[i].peer, a[j].peer);
    }
    fix_free(&f);
}

/* ---- schedule_next_change ---- */

static void test_next_change(void **state)
{
    static const struct {
        const char *what, *peer;
        int64_t now, want; /* seconds; want 0: never */
    } cases[] = {
        {"Mon 12:00 -> the shift starts Mon 18:00", "eve", 1780329600, 1780351200},
        {"Mon 19:00 -> it ends Mon 23:30", "eve", 1780354800, 1780371000},
        {"exactly at the start -> the end", "eve", 1780351200, 1780371000},
        {"Tue 12:00 -> next Monday 18:00", "eve", 1780416000, 1780956000},
        {"Fri 31 Jul 23:00 -> Sat 1 Aug 02:00", "owl", 1785553200, 1785564000},
        {"Sat 7 Mar 12:00 -> Sun 8 Mar 09:00 EDT (DST day)", "sun", 1772902800, 1772974800},
        {"Sun 8 Mar 10:00 EDT -> 17:00 EDT", "sun", 1772978400, 1773003600},
        {"Berlin Sat 28 Mar 23:00 CET -> Sun 06:00 CEST", "ber", 1774735200, 1774756800},
        {"no shifts: never", "non", 1780329600, 0},
    };
    struct fix f;
    size_t i;

    (void)state;
    fix_init(&f,
             HEAD PEER("eve", "1",
                       "topics: [anxiety], "
                       "shifts: [{days: [mon], start: \"18:00\", end: \"23:30\"}]")
                 PEER("owl", "2",
                      "topics: [anxiety], "
                      "shifts: [{days: [fri], start: \"22:00\", end: \"02:00\"}]")
                     PEER("sun", "3",
                          "topics: [anxiety], "
                          "shifts: [{days: [sun], start: \"09:00\", end: \"17:00\"}]")
                         PEER("ber", "4",
                              "topics: [anxiety], timezone: Europe/Berlin, "
                              "shifts: [{days: [sat], start: \"22:00\", end: "
                              "\"06:00\"}]") PEER("non", "5", "topics: [anxiety]"),
             0);
    /* the instants above, from wall clocks */
    assert_int_equal(at(f.r->tz, 2026, 6, 1, 12, 0), 1780329600LL * 1000);
    assert_int_equal(at(f.r->tz, 2026, 6, 1, 18, 0), 1780351200LL * 1000);
    assert_int_equal(at(f.r->tz, 2026, 6, 1, 23, 30), 1780371000LL * 1000);
    assert_int_equal(at(f.r->tz, 2026, 6, 8, 18, 0), 1780956000LL * 1000);
    assert_int_equal(at(f.r->tz, 2026, 8, 1, 2, 0), 1785564000LL * 1000);
    assert_int_equal(at(f.r->tz, 2026, 3, 8, 9, 0), 1772974800LL * 1000);
    for (i = 0; i < NCASES(cases); i++) {
        const struct roster_peer *p = roster_peer_by_id(f.r, cases[i].peer);
        int64_t got = schedule_next_change(p, cases[i].now * 1000);
        int64_t want = cases[i].want ? cases[i].want * 1000 : INT64_MAX;

        if (got != want)
            fail_msg("%s: %lld, expected %lld", cases[i].what, (long long)got, (long long)want);
        /* the answer does change there, and not just before */
        if (cases[i].want) {
            assert_int_not_equal(schedule_on_shift(p, want - 1), schedule_on_shift(p, want));
            assert_int_equal(schedule_on_shift(p, cases[i].now * 1000),
                             schedule_on_shift(p, want - 1));
        }
    }
    fix_free(&f);
}

/* The shift stretch at or after an instant, with back-to-back shifts joined. */
static void test_shift_at(void **state)
{
    struct fix f;
    const struct roster_peer *eve, *two, *non;
    int64_t s, e;

    (void)state;
    fix_init(&f,
             HEAD PEER("eve", "1",
                       "topics: [anxiety], "
                       "shifts: [{days: [mon], start: \"18:00\", end: \"23:30\"}]")
                 PEER("two", "2",
                      "topics: [anxiety], "
                      "shifts: [{days: [mon], start: \"12:00\", end: \"18:00\"}, "
                      "{days: [mon], start: \"18:00\", end: \"20:00\"}]")
                     PEER("non", "3", "topics: [anxiety]"),
             0);
    eve = roster_peer_by_id(f.r, "eve");
    two = roster_peer_by_id(f.r, "two");
    non = roster_peer_by_id(f.r, "non");
    /* Monday 1 June 2026, New York. Before the shift: the next one. */
    assert_int_equal(schedule_shift_at(eve, at(f.r->tz, 2026, 6, 1, 12, 0), &s, &e), 1);
    assert_int_equal(s, at(f.r->tz, 2026, 6, 1, 18, 0));
    assert_int_equal(e, at(f.r->tz, 2026, 6, 1, 23, 30));
    /* During it: the one they are in. */
    assert_int_equal(schedule_shift_at(eve, at(f.r->tz, 2026, 6, 1, 19, 0), &s, &e), 1);
    assert_int_equal(s, at(f.r->tz, 2026, 6, 1, 18, 0));
    /* After it: next Monday's. */
    assert_int_equal(schedule_shift_at(eve, at(f.r->tz, 2026, 6, 2, 9, 0), &s, &e), 1);
    assert_int_equal(s, at(f.r->tz, 2026, 6, 8, 18, 0));
    /* Back-to-back shifts are one stretch, 12:00 to 20:00. */
    assert_int_equal(schedule_shift_at(two, at(f.r->tz, 2026, 6, 1, 13, 0), &s, &e), 1);
    assert_int_equal(s, at(f.r->tz, 2026, 6, 1, 12, 0));
    assert_int_equal(e, at(f.r->tz, 2026, 6, 1, 20, 0));
    assert_int_equal(schedule_shift_at(non, at(f.r->tz, 2026, 6, 1, 13, 0), &s, &e), 0);
    fix_free(&f);
}

/* Whether anyone could serve a texter now, and if not, when someone could. */
static void test_coverage(void **state)
{
    struct fix f;
    struct match_texter t;
    int64_t next = 0;

    (void)state;
    fix_init(&f,
             HEAD PEER("eve", "1",
                       "topics: [anxiety], "
                       "shifts: [{days: [mon], start: \"18:00\", end: \"23:30\"}]")
                 PEER("gen", "2",
                      "topics: [general], "
                      "shifts: [{days: [mon], start: \"20:00\", end: \"22:00\"}]"),
             0);
    f.ctx.now = at(f.r->tz, 2026, 6, 1, 12, 0);
    f.mp[0].manual = f.mp[1].manual = MATCH_MANUAL_NONE; /* by their shifts alone */
    t = texter(T_ANXIETY);
    /* Monday noon: no one on shift; eve comes on at 18:00. */
    assert_int_equal(match_coverage(&f.ctx, &t, &next), 0);
    assert_int_equal(next, at(f.r->tz, 2026, 6, 1, 18, 0));
    /* Busy does not matter: at 19:00 eve is on shift, full or not. */
    f.ctx.now = at(f.r->tz, 2026, 6, 1, 19, 0);
    f.mp[0].open = 5;
    assert_int_equal(match_coverage(&f.ctx, &t, &next), 1);
    /* #off until 21:00: the general peer (on at 20:00) is the first back. */
    f.mp[0].manual = MATCH_MANUAL_OFF;
    f.mp[0].manual_until = at(f.r->tz, 2026, 6, 1, 21, 0);
    assert_int_equal(match_coverage(&f.ctx, &t, &next), 0);
    assert_int_equal(next, at(f.r->tz, 2026, 6, 1, 20, 0));
    /* A language no one speaks: no one, ever. */
    t.lang = 5;
    assert_int_equal(match_coverage(&f.ctx, &t, &next), 0);
    assert_int_equal(next, INT64_MAX);
    fix_free(&f);
}

/*
 * A trainee is never offered a chat, whatever else holds: idle, on, every
 * topic, crisis-trained, urgent texter, the texter's last peer, the only
 * one free. Nor do they count as someone on shift for a waiting texter.
 * match_available still says whether they are at work (they read along
 * only then).
 */
static void test_trainees_never_offered(void **state)
{
    const char *what = "trainees";
    struct fix f;
    struct match_texter t;
    struct match_peer scratch[MAXP];
    struct match_pair pairs[4];
    int64_t next = 0;
    int out[MAXP];

    (void)state;
    fix_init(&f,
             HEAD PEER("jo", "1",
                       "topics: [anxiety, general], crisis_trained: true, trainee: true, "
                       "shifts: [{days: [mon], start: \"00:00\", end: \"23:59\"}]")
                 PEER("kim", "2", "trainee: true, mentor: eve") PEER("eve", "3", "topics: [grief]"),
             0);
    f.ctx.now = at(f.r->tz, 2026, 6, 1, 12, 0);
    t = texter(T_ANXIETY);
    t.urgent = 1;
    t.last_peer = 0;
    t.last_peer_at = f.ctx.now;
    CHECK(&f, "jo", &t, MATCH_TRAINEE);
    CHECK(&f, "kim", &t, MATCH_TRAINEE);
    expect_candidates("an urgent texter only a trainee could take", &f, &t, "");
    assert_int_equal(match_peer_ready(&f.ctx, 0), MATCH_TRAINEE);
    assert_int_equal(match_peer_ready(&f.ctx, 2), MATCH_OK);
    assert_int_equal(match_assign(&f.ctx, &t, 1, scratch, pairs), 0);
    /* With eve on it, eve alone: a grief texter goes to eve, never to a trainee. */
    t = texter(T_GRIEF);
    assert_int_equal(match_candidates(&f.ctx, &t, out), 1);
    assert_int_equal(out[0], 2);
    /* No one "on shift" for anxiety: trainees do not cover a texter. */
    t = texter(T_ANXIETY);
    f.mp[0].manual = MATCH_MANUAL_NONE;
    f.mp[0].manual_until = 0;
    assert_int_equal(match_coverage(&f.ctx, &t, &next), 0);
    assert_int_equal(next, INT64_MAX);
    /* At work, by shift or #on, as any peer. */
    assert_int_equal(match_available(&f.r->peers[0], &f.mp[0], f.ctx.now), MATCH_OK);
    assert_int_equal(match_available(&f.r->peers[0], &f.mp[0], at(f.r->tz, 2026, 6, 2, 12, 0)),
                     MATCH_OFF_SHIFT);
    f.mp[0].manual = MATCH_MANUAL_OFF;
    f.mp[0].manual_until = NEVER;
    assert_int_equal(match_available(&f.r->peers[0], &f.mp[0], f.ctx.now), MATCH_MANUAL_OFF_NOW);
    assert_int_equal(match_available(&f.r->peers[1], &f.mp[1], f.ctx.now), MATCH_OK); /* #on */
    assert_string_equal(match_reason_text(MATCH_TRAINEE),
                        "in training (reads along, never offered)");
    fix_free(&f);
}

/* The phrases `peerline who` prints. */
static void test_reason_texts(void **state)
{
    (void)state;
    assert_string_equal(match_reason_text(MATCH_OK), "can be offered");
    assert_string_equal(match_reason_text(MATCH_OFF_SHIFT), "off shift");
    assert_string_equal(match_reason_text(MATCH_FULL), "at capacity");
    assert_string_equal(match_reason_text(MATCH_NOT_TRAINED), "training expired");
    assert_string_equal(match_reason_text(MATCH_TRIED), "already passed or missed this texter");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_on_shift_in_own_timezone),
        cmocka_unit_test(test_shift_past_midnight),
        cmocka_unit_test(test_shift_across_dst),
        cmocka_unit_test(test_training_expiry),
        cmocka_unit_test(test_manual_state),
        cmocka_unit_test(test_language),
        cmocka_unit_test(test_topic),
        cmocka_unit_test(test_general_fallback),
        cmocka_unit_test(test_urgent),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_cooldown),
        cmocka_unit_test(test_exclusions),
        cmocka_unit_test(test_tried),
        cmocka_unit_test(test_preferences),
        cmocka_unit_test(test_many_peers),
        cmocka_unit_test(test_assign_order_and_one_offer_each),
        cmocka_unit_test(test_assign_never_two_offers),
        cmocka_unit_test(test_assign_urgent_and_no_blocking),
        cmocka_unit_test(test_assign_deterministic),
        cmocka_unit_test(test_next_change),
        cmocka_unit_test(test_shift_at),
        cmocka_unit_test(test_coverage),
        cmocka_unit_test(test_trainees_never_offered),
        cmocka_unit_test(test_reason_texts),
    };

    return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
