/*
 * test_roster.c - config/roster.c: roster.yaml (SPEC section 3.2) as
 * coordinators write it. The SPEC's own example loads with every value
 * resolved (topic indices, interned languages, shift bitmasks and minutes,
 * training dates, zones); phone lookups find peers, coordinators and blocked
 * numbers; and each problem SPEC 3.2 lists is reported the way `peerline
 * check` prints it ("FILE:LINE:COL: message"), all of them at once. Each
 * roster is written into a mkdtemp() directory; time zones come from the
 * system zoneinfo.
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
#include "loadcase.h"
#include "roster.h"
#include "tz.h"

/* ---- helpers ---- */

static void *load_roster(const char *path, struct diag *d)
{
    return roster_load(path, NULL, d);
}

static void release_roster(void *r)
{
    roster_free(r);
}

static struct roster *load_text(const char *yaml, struct diag **d)
{
    return loadcase_text(load_roster, yaml, d);
}

static struct roster *load_ok(const char *yaml)
{
    return loadcase_ok(load_roster, yaml);
}

static void run_bad(const struct bad_case *cases, size_t n)
{
    loadcase_bad(load_roster, release_roster, cases, n);
}

static int setup_group(void **state)
{
    (void)state;
    return loadcase_setup("roster.yaml");
}

static int teardown_group(void **state)
{
    (void)state;
    return loadcase_teardown();
}

/*
 * Building blocks for the problem cases. Line numbers in the cases follow
 * from these: TOP is lines 1-2, TOPICS 3-6, PEERS_ALEX 7-13; a case's own
 * lines come after what it uses.
 */
#define TOP                                                                                        \
    "line_name: Test Line\n"                                                                       \
    "timezone: America/New_York\n"
#define TOPICS                                                                                     \
    "topics:\n"                                                                                    \
    "  - {id: anxiety, keywords: [anxiety, panic]}\n"                                              \
    "  - {id: grief, keywords: [grief, loss]}\n"                                                   \
    "  - {id: general}\n"
#define PEERS_ALEX                                                                                 \
    "peers:\n"                                                                                     \
    "  - id: alex\n"                                                                               \
    "    name: Alex\n"                                                                             \
    "    phone: \"+15551230001\"\n"                                                                \
    "    topics: [anxiety]\n"                                                                      \
    "    shifts:\n"                                                                                \
    "      - {days: [mon], start: \"18:00\", end: \"23:30\"}\n"
#define COORDS                                                                                     \
    "coordinators:\n"                                                                              \
    "  - {id: sam, name: Sam, phone: \"+15551239999\", on_call: true}\n"

/* SPEC section 3.2, word for word. */
static const char spec_example[] =
    "line_name: Riverside Peer Line\n"
    "timezone: America/New_York        # the line's own; required\n"
    "topics:\n"
    "  - id: anxiety\n"
    "    label: Anxiety and stress\n"
    "    keywords: [anxiety, anxious, panic, stress, worried]\n"
    "  - id: grief\n"
    "    label: Grief and loss\n"
    "    keywords: [grief, loss, died, funeral]\n"
    "  - id: general\n"
    "    label: Something else\n"
    "peers:\n"
    "  - id: alex\n"
    "    name: Alex                    # first name only: texters see it\n"
    "    phone: \"+15551230001\"\n"
    "    topics: [anxiety, general]\n"
    "    languages: [en, es]           # default [en]\n"
    "    max_conversations: 2          # default 1\n"
    "    timezone: America/Chicago     # IANA name; default the line's\n"
    "    shifts:\n"
    "      - days: [mon, wed, fri]     # the day a shift starts\n"
    "        start: \"18:00\"\n"
    "        end: \"23:30\"              # an end before start runs past midnight\n"
    "    trained_until: 2027-06-30     # inclusive, in the peer's timezone; then no new "
    "conversations\n"
    "    crisis_trained: true          # preferred for urgent conversations\n"
    "    voice: true                   # may be rung for calls (default false)\n"
    "coordinators:\n"
    "  - id: sam\n"
    "    name: Sam\n"
    "    phone: \"+15551239999\"\n"
    "    on_call: true                 # receives safety alerts; at least one is required\n"
    "blocked: [\"+15550009999\"]         # no conversations (safety replies still go out; 5.1)\n";

#define SUN (1u << 0)
#define MON (1u << 1)
#define TUE (1u << 2)
#define WED (1u << 3)
#define THU (1u << 4)
#define FRI (1u << 5)
#define SAT (1u << 6)

/* ---- valid rosters ---- */

static void test_spec_example(void **state)
{
    struct roster *r = load_ok(spec_example);
    const struct roster_peer *p;
    const struct roster_topic *t;

    (void)state;
    assert_string_equal(r->path, g_path);
    assert_string_equal(r->line_name, "Riverside Peer Line");
    assert_string_equal(tz_name(r->tz), "America/New_York");

    assert_int_equal(r->ntopics, 3);
    t = &r->topics[0];
    assert_string_equal(t->id, "anxiety");
    assert_string_equal(t->label, "Anxiety and stress");
    assert_int_equal(t->nkeywords, 5);
    assert_string_equal(t->keywords[0], "anxiety");
    assert_string_equal(t->keywords[4], "worried");
    assert_string_equal(r->topics[1].id, "grief");
    assert_string_equal(r->topics[1].label, "Grief and loss");
    assert_int_equal(r->topics[1].nkeywords, 4);
    assert_string_equal(r->topics[1].keywords[3], "funeral");
    assert_string_equal(r->topics[2].id, "general");
    assert_string_equal(r->topics[2].label, "Something else");
    assert_int_equal(r->topics[2].nkeywords, 0);
    assert_int_equal(r->general, 2);
    assert_int_equal(roster_topic_index(r, "grief"), 1);
    assert_int_equal(roster_topic_index(r, "sleep"), -1);

    assert_int_equal(r->nlangs, 2);
    assert_string_equal(r->langs[0], "en");
    assert_string_equal(r->langs[1], "es");
    assert_int_equal(roster_lang_index(r, "es"), 1);
    assert_int_equal(roster_lang_index(r, "fr"), -1);

    assert_int_equal(r->npeers, 1);
    p = &r->peers[0];
    assert_string_equal(p->id, "alex");
    assert_string_equal(p->name, "Alex");
    assert_string_equal(p->phone, "+15551230001");
    assert_int_equal(p->ntopics, 2);
    assert_int_equal(p->topics[0], 0);
    assert_int_equal(p->topics[1], 2);
    assert_true(roster_peer_covers(p, 0));
    assert_false(roster_peer_covers(p, 1));
    assert_true(roster_peer_covers(p, 2));
    assert_int_equal(p->langs, 0x3); /* en and es */
    assert_int_equal(p->max_conversations, 2);
    assert_string_equal(tz_name(p->tz), "America/Chicago");
    assert_int_equal(p->nshifts, 1);
    assert_int_equal(p->shifts[0].days, MON | WED | FRI);
    assert_int_equal(p->shifts[0].start, 18 * 60);
    assert_int_equal(p->shifts[0].end, 23 * 60 + 30);
    assert_int_equal(p->trained_until, 20999); /* 2027-06-30, days since 1970-01-01 */
    assert_true(p->crisis_trained);
    assert_true(p->voice);
    assert_ptr_equal(roster_peer_by_id(r, "alex"), p);
    assert_null(roster_peer_by_id(r, "bea"));

    assert_int_equal(r->ncoordinators, 1);
    assert_string_equal(r->coordinators[0].id, "sam");
    assert_string_equal(r->coordinators[0].name, "Sam");
    assert_string_equal(r->coordinators[0].phone, "+15551239999");
    assert_true(r->coordinators[0].on_call);

    assert_int_equal(r->nblocked, 1);
    assert_string_equal(r->blocked[0], "+15550009999");
    assert_true(roster_is_blocked(r, "+15550009999"));
    assert_false(roster_is_blocked(r, "+15551230001"));
    roster_free(r);
}

/* What a peer gets when it says nothing but id, name, phone and topics. */
static void test_peer_defaults(void **state)
{
    struct roster *r = load_ok(TOP TOPICS "peers:\n"
                                          "  - id: bea\n"
                                          "    name: Bea\n"
                                          "    phone: \"+15551230002\"\n"
                                          "    topics: [grief]\n" COORDS);
    const struct roster_peer *p = &r->peers[0];

    (void)state;
    assert_int_equal(p->ntopics, 1);
    assert_int_equal(p->topics[0], 1);
    assert_int_equal(p->langs, 0x1); /* [en] */
    assert_int_equal(p->max_conversations, 1);
    assert_ptr_equal(p->tz, r->tz); /* the line's zone */
    assert_string_equal(tz_name(p->tz), "America/New_York");
    assert_int_equal(p->nshifts, 0);
    assert_true(p->trained_until == INT64_MAX); /* no limit */
    assert_false(p->crisis_trained);
    assert_false(p->voice);
    assert_int_equal(r->nblocked, 0);
    assert_false(roster_is_blocked(r, "+15550009999"));
    /* a topic without a label is labelled by its id */
    assert_string_equal(r->topics[0].label, "anxiety");
    roster_free(r);
}

/* Languages are interned in order of first use; "en" is always index 0. */
static void test_languages_interned(void **state)
{
    struct roster *r = load_ok(TOP TOPICS "peers:\n"
                                          "  - {id: a, name: Ana, phone: \"+15551230001\", "
                                          "topics: [grief], languages: [es, fr]}\n"
                                          "  - {id: b, name: Bo, phone: \"+15551230002\", "
                                          "topics: [grief], languages: [fr, en]}\n"
                                          "  - {id: c, name: Cy, phone: \"+15551230003\", "
                                          "topics: [grief], languages: [es, es, haw]}\n" COORDS);

    (void)state;
    assert_int_equal(r->nlangs, 4);
    assert_string_equal(r->langs[0], "en");
    assert_string_equal(r->langs[1], "es");
    assert_string_equal(r->langs[2], "fr");
    assert_string_equal(r->langs[3], "haw");
    assert_int_equal(r->peers[0].langs, 0x6); /* es fr: no en unless listed */
    assert_int_equal(r->peers[1].langs, 0x5); /* en fr */
    assert_int_equal(r->peers[2].langs, 0xa); /* es haw */
    roster_free(r);
}

static void test_shift_days_and_times(void **state)
{
    struct roster *r = load_ok(TOP TOPICS "peers:\n"
                                          "  - id: dee\n"
                                          "    name: Dee\n"
                                          "    phone: \"+15551230004\"\n"
                                          "    topics: [grief]\n"
                                          "    timezone: Europe/Berlin\n"
                                          "    shifts:\n"
                                          "      - {days: [sun, SAT, Monday], start: \"00:00\", "
                                          "end: \"23:59\"}\n"
                                          "      - {days: [fri], start: \"22:00\", end: "
                                          "\"02:00\"}\n"
                                          "      - {days: [tue, thu], start: \"09:15\", end: "
                                          "\"00:00\"}\n" COORDS);
    const struct roster_peer *p = &r->peers[0];

    (void)state;
    assert_string_equal(tz_name(p->tz), "Europe/Berlin");
    assert_int_equal(p->nshifts, 3);
    assert_int_equal(p->shifts[0].days, SUN | SAT | MON); /* bit 0 = Sunday */
    assert_int_equal(p->shifts[0].start, 0);
    assert_int_equal(p->shifts[0].end, 23 * 60 + 59);
    assert_int_equal(p->shifts[1].days, FRI);
    assert_int_equal(p->shifts[1].start, 22 * 60);
    assert_int_equal(p->shifts[1].end, 2 * 60); /* past midnight */
    assert_int_equal(p->shifts[2].days, TUE | THU);
    assert_int_equal(p->shifts[2].start, 9 * 60 + 15);
    assert_int_equal(p->shifts[2].end, 0); /* until midnight */
    roster_free(r);
}

/* Phone lookups go through sorted indexes: file order must not matter. */
static void test_phone_lookups(void **state)
{
    static const char *const peer_phones[] = {"+15551230005", "+15551230001", "+442071838750",
                                              "+15551230003", "+15551230002"};
    struct roster *r = load_ok(TOP TOPICS "peers:\n"
                                          "  - {id: p0, name: Ann, phone: \"+15551230005\", "
                                          "topics: [grief]}\n"
                                          "  - {id: p1, name: Ben, phone: \"+15551230001\", "
                                          "topics: [grief]}\n"
                                          "  - {id: p2, name: Cat, phone: \"+442071838750\", "
                                          "topics: [grief]}\n"
                                          "  - {id: p3, name: Dan, phone: \"+15551230003\", "
                                          "topics: [grief]}\n"
                                          "  - {id: p4, name: Eve, phone: \"+15551230002\", "
                                          "topics: [grief]}\n"
                                          "coordinators:\n"
                                          "  - {id: zed, name: Zed, phone: \"+15551239999\"}\n"
                                          "  - {id: sam, name: Sam, phone: \"+15551239998\", "
                                          "on_call: yes}\n"
                                          "blocked: [\"+15550009999\", \"+15550000001\", "
                                          "\"+15550005555\"]\n");
    size_t i;

    (void)state;
    for (i = 0; i < 5; i++) {
        const struct roster_peer *p = roster_peer_by_phone(r, peer_phones[i]);
        assert_non_null(p);
        assert_ptr_equal(p, &r->peers[i]);
        assert_null(roster_coordinator_by_phone(r, peer_phones[i]));
        assert_false(roster_is_blocked(r, peer_phones[i]));
    }
    assert_null(roster_peer_by_phone(r, "+15551230004"));
    assert_null(roster_peer_by_phone(r, "+15551239999"));
    assert_null(roster_peer_by_phone(r, ""));
    assert_ptr_equal(roster_coordinator_by_phone(r, "+15551239999"), &r->coordinators[0]);
    assert_ptr_equal(roster_coordinator_by_phone(r, "+15551239998"), &r->coordinators[1]);
    assert_null(roster_coordinator_by_phone(r, "+15551239997"));
    assert_false(r->coordinators[0].on_call);
    assert_true(r->coordinators[1].on_call);
    assert_true(roster_is_blocked(r, "+15550009999"));
    assert_true(roster_is_blocked(r, "+15550000001"));
    assert_true(roster_is_blocked(r, "+15550005555"));
    assert_false(roster_is_blocked(r, "+15550005556"));
    assert_false(roster_is_blocked(r, "+15551239999"));
    roster_free(r);
}

/* ---- problems, one at a time ---- */

static void test_duplicates(void **state)
{
    static const struct bad_case cases[] = {
        {"duplicate peer id",
         TOP TOPICS PEERS_ALEX "  - id: alex\n"    /* 14 */
                               "    name: Alexa\n" /* 15 */
                               "    phone: \"+15551230002\"\n"
                               "    topics: [grief]\n" COORDS,
         {{14, 9, "duplicate peer id \"alex\""}}},
        {"duplicate peer phone",
         TOP TOPICS PEERS_ALEX "  - id: bea\n"                 /* 14 */
                               "    name: Bea\n"               /* 15 */
                               "    phone: \"+15551230001\"\n" /* 16 */
                               "    topics: [grief]\n" COORDS,
         {{16, 12, "duplicate phone: peers alex and bea have the same number"}}},
        {"duplicate coordinator id and phone",
         TOP TOPICS PEERS_ALEX COORDS "  - {id: sam, name: Sami, phone: \"+15551239999\"}\n",
         {{16, 10, "duplicate coordinator id \"sam\""},
          {16, 34, "duplicate phone: coordinators sam and sam have the same number"}}},
        /* One phone, one role: a coordinator who takes chats too needs a second number. */
        {"a coordinator with a peer's phone",
         TOP TOPICS PEERS_ALEX COORDS "  - {id: ann, name: Ann, phone: \"+15551230001\"}\n",
         {{16, 33, "duplicate phone: coordinator ann and peer alex have the same number"}}},
        {"duplicate topic id",
         TOP "topics:\n  - {id: grief}\n  - {id: grief, label: Loss}\n" PEERS_ALEX COORDS,
         {{5, 10, "duplicate topic id \"grief\""}, {10, 14, "unknown topic \"anxiety\""}}},
        {"a blocked number listed twice",
         TOP TOPICS PEERS_ALEX COORDS "blocked: [\"+15550009999\", \"+15550009999\"]\n",
         {{16, 27, "a blocked number is listed twice"}}},
    };

    (void)state;
    run_bad(cases, NCASES(cases));
}

static void test_unknown_topic(void **state)
{
    static const struct bad_case cases[] = {
        {"unknown topic id",
         TOP TOPICS "peers:\n"
                    "  - {id: alex, name: Alex, phone: \"+15551230001\", topics: [anxiety, "
                    "anxeity]}\n" COORDS,
         {{8, 69, "unknown topic \"anxeity\""}}},
        {"a topic listed twice",
         TOP TOPICS "peers:\n"
                    "  - {id: alex, name: Alex, phone: \"+15551230001\", topics: [grief, "
                    "grief]}\n" COORDS,
         {{8, 67, "topic \"grief\" is listed twice"}}},
    };

    (void)state;
    run_bad(cases, NCASES(cases));
}

static void test_bad_times_and_days(void **state)
{
    static const struct bad_case cases[] = {
        {"hour 25 and 6pm",
         TOP TOPICS PEERS_ALEX "      - {days: [tue], start: \"25:00\", end: \"6pm\"}\n" COORDS,
         {{14, 30, "shift start: time must be HH:MM in 24-hour form, e.g. \"18:00\""},
          {14, 44, "shift end: time must be HH:MM in 24-hour form, e.g. \"23:30\""}}},
        {"minute 60 and a time without a leading zero",
         TOP TOPICS PEERS_ALEX "      - {days: [tue], start: \"9:00\", end: \"17:60\"}\n" COORDS,
         {{14, 30, "shift start: time must be HH:MM in 24-hour form, e.g. \"18:00\""},
          {14, 43, "shift end: time must be HH:MM in 24-hour form, e.g. \"23:30\""}}},
        {"funday",
         TOP TOPICS PEERS_ALEX
         "      - {days: [mon, funday], start: \"09:00\", end: \"12:00\"}\n" COORDS,
         {{14, 22, "day must be one of mon, tue, wed, thu, fri, sat, sun"}}},
        {"days not a list",
         TOP TOPICS PEERS_ALEX
         "      - {days: weekdays, start: \"09:00\", end: \"12:00\"}\n" COORDS,
         {{14, 16, "shift: days must be a list such as [mon, wed, fri]"}}},
        {"missing end",
         TOP TOPICS PEERS_ALEX "      - {days: [tue], start: \"09:00\"}\n" COORDS,
         {{14, 9, "shift end: missing"}}},
        {"end equal to start",
         TOP TOPICS PEERS_ALEX "      - {days: [tue], start: \"18:00\", end: \"18:00\"}\n" COORDS,
         {{14, 44, "shift end equals its start; a shift needs a length"}}},
        {"unknown key in a shift",
         TOP TOPICS PEERS_ALEX "      - {days: [tue], start: \"18:00\", end: \"19:00\", "
                               "until: \"20:00\"}\n" COORDS,
         {{14, 53, "unknown key \"until\" in shift"}}},
    };

    (void)state;
    run_bad(cases, NCASES(cases));
}

static void test_bad_timezones(void **state)
{
    static const struct bad_case cases[] = {
        {"a peer on Mars",
         TOP TOPICS PEERS_ALEX "    timezone: Mars/Base\n" COORDS,
         {{14, 15, "unknown time zone \"Mars/Base\" (use an IANA name such as America/New_York)"}}},
        {"the line on Mars",
         "line_name: Test Line\ntimezone: Mars/Base\n" TOPICS PEERS_ALEX COORDS,
         {{2, 11, "unknown time zone \"Mars/Base\" (use an IANA name such as America/New_York)"}}},
        {"a path, not a name",
         TOP TOPICS PEERS_ALEX "    timezone: ../../etc/passwd\n" COORDS,
         {{14, 15,
           "time zone name must not contain \"..\" (use an IANA name such as "
           "America/New_York)"}}},
        {"missing line timezone",
         "line_name: Test Line\n" TOPICS PEERS_ALEX COORDS,
         {{1, 1, "roster: timezone is required (the line's IANA zone, e.g. America/New_York)"}}},
    };

    (void)state;
    run_bad(cases, NCASES(cases));
}

static void test_bad_numbers_and_dates(void **state)
{
    static const struct bad_case cases[] = {
        {"a local number",
         TOP TOPICS "peers:\n"
                    "  - {id: alex, name: Alex, phone: \"555-1234\", topics: [grief]}\n" COORDS,
         {{8, 35,
           "peer phone: phone number must be in E.164 form: + then country code and "
           "number, no spaces"}}},
        {"a plus and too few digits",
         TOP TOPICS "peers:\n"
                    "  - {id: alex, name: Alex, phone: \"+155512\", topics: [grief]}\n" COORDS,
         {{8, 35, "peer phone: phone number must have 7 to 15 digits after the + (E.164)"}}},
        {"a coordinator's number",
         TOP TOPICS PEERS_ALEX "coordinators:\n"
                               "  - {id: sam, name: Sam, phone: \"555 123 9999\", on_call: true}\n",
         {{15, 33,
           "coordinator phone: phone number must be in E.164 form: + then country code "
           "and number, no spaces"}}},
        {"a blocked number",
         TOP TOPICS PEERS_ALEX COORDS "blocked: [\"+1 555 000 9999\"]\n",
         {{16, 11, "blocked: phone number must be in E.164 form: only digits after the +"}}},
        {"30 February",
         TOP TOPICS PEERS_ALEX "    trained_until: 2027-02-30\n" COORDS,
         {{14, 20, "trained_until: no such calendar date"}}},
        {"a date without leading zeros",
         TOP TOPICS PEERS_ALEX "    trained_until: 2027-6-30\n" COORDS,
         {{14, 20, "trained_until: date must be YYYY-MM-DD, e.g. 2027-06-30"}}},
        {"max_conversations 0",
         TOP TOPICS PEERS_ALEX "    max_conversations: 0\n" COORDS,
         {{14, 24, "max_conversations must be a whole number from 1 to 20"}}},
        {"max_conversations a word",
         TOP TOPICS PEERS_ALEX "    max_conversations: two\n" COORDS,
         {{14, 24, "max_conversations must be a whole number from 1 to 20"}}},
    };

    (void)state;
    run_bad(cases, NCASES(cases));
}

static void test_unknown_keys(void **state)
{
    static const struct bad_case cases[] = {
        {"in a peer",
         TOP TOPICS PEERS_ALEX "    shift: []\n" COORDS,
         {{14, 5, "unknown key \"shift\" in peer"}}},
        {"in a topic",
         TOP "topics:\n  - {id: grief, keyword: [loss]}\n" PEERS_ALEX COORDS,
         {{4, 17, "unknown key \"keyword\" in topic"}, {9, 14, "unknown topic \"anxiety\""}}},
        {"at the top",
         TOP TOPICS PEERS_ALEX COORDS "blocklist: []\n",
         {{16, 1, "unknown key \"blocklist\" in the roster"}}},
        {"in a coordinator",
         TOP TOPICS PEERS_ALEX COORDS "  - {id: kim, name: Kim, phone: \"+15551239998\", "
                                      "pager: yes}\n",
         {{16, 49, "unknown key \"pager\" in coordinator"}}},
    };

    (void)state;
    run_bad(cases, NCASES(cases));
}

static void test_peer_without_topics(void **state)
{
    static const struct bad_case cases[] = {
        {"an empty list",
         TOP TOPICS "peers:\n"
                    "  - id: alex\n"
                    "    name: Alex\n"
                    "    phone: \"+15551230001\"\n"
                    "    topics: []\n" COORDS,
         {{11, 13, "peer alex has no topics; list at least one topic id"}}},
        {"no topics key",
         TOP TOPICS "peers:\n"
                    "  - id: alex\n"
                    "    name: Alex\n"
                    "    phone: \"+15551230001\"\n" COORDS,
         {{8, 5, "peer alex has no topics; list at least one topic id"}}},
    };

    (void)state;
    run_bad(cases, NCASES(cases));
}

static void test_coordinators_and_blocked(void **state)
{
    static const struct bad_case cases[] = {
        {"no on-call coordinator",
         TOP TOPICS PEERS_ALEX "coordinators:\n"
                               "  - {id: sam, name: Sam, phone: \"+15551239999\"}\n"
                               "  - {id: kim, name: Kim, phone: \"+15551239998\", on_call: no}\n",
         {{15, 3, "no coordinator is on_call: at least one must receive safety alerts"}}},
        {"no coordinators at all",
         TOP TOPICS PEERS_ALEX,
         {{1, 1, "no coordinator is on_call: at least one must receive safety alerts"}}},
        {"on_call not a boolean",
         TOP TOPICS PEERS_ALEX COORDS "  - {id: kim, name: Kim, phone: \"+15551239998\", "
                                      "on_call: maybe}\n",
         {{16, 58, "on_call must be true or false"}}},
        {"a blocked number that is a peer's",
         TOP TOPICS PEERS_ALEX COORDS "blocked: [\"+15550009999\", \"+15551230001\"]\n",
         {{16, 27, "blocked number belongs to peer alex"}}},
    };

    (void)state;
    run_bad(cases, NCASES(cases));
}

static void test_topic_keywords(void **state)
{
    static const struct bad_case cases[] = {
        {"a number as a keyword",
         TOP "topics:\n  - {id: anxiety, keywords: [anxiety, panic]}\n"
             "  - {id: grief, keywords: [grief, 2]}\n" PEERS_ALEX COORDS,
         {{5, 35, "keyword \"2\" is a number; numbers are menu choices"}}},
        /* reported at the keyword that repeats one of an earlier topic */
        {"the same keyword in two topics",
         TOP "topics:\n  - {id: anxiety, keywords: [anxiety, panic]}\n"
             "  - {id: grief, keywords: [grief, Panic]}\n" PEERS_ALEX COORDS,
         {{5, 35, "keyword \"Panic\" is already used by topic anxiety"}}},
        {"the same keyword twice in one topic",
         TOP "topics:\n  - {id: anxiety, keywords: [anxiety, panic, panic]}\n"
             "  - {id: grief, keywords: [grief]}\n" PEERS_ALEX COORDS,
         {{4, 46, "keyword \"panic\" is listed twice in topic anxiety"}}},
        {"no topics at all",
         TOP "topics: []\n" PEERS_ALEX COORDS,
         {{3, 9, "roster: at least one topic is required"}, {8, 14, "unknown topic \"anxiety\""}}},
        {"a topic id with capitals",
         TOP "topics:\n  - {id: Grief}\n  - {id: anxiety}\n" PEERS_ALEX COORDS,
         {{4, 10, "topic id \"Grief\" must be lower-case letters, digits, _ or -"}}},
    };

    (void)state;
    run_bad(cases, NCASES(cases));
}

static void test_other_peer_values(void **state)
{
    static const struct bad_case cases[] = {
        {"a name that is not a first name",
         TOP TOPICS
         "peers:\n"
         "  - {id: alex, name: Alex2, phone: \"+15551230001\", topics: [grief]}\n" COORDS,
         {{8, 22,
           "peer name must be a first name (texters see it): no digits, at most 24 "
           "letters"}}},
        {"a coordinator's name that is not a first name (a chat they take shows it)",
         TOP TOPICS
         "peers:\n"
         "  - {id: alex, name: Alex, phone: \"+15551230001\", topics: [grief]}\n"
         "coordinators:\n"
         "  - {id: sam, name: Sam the on-call coordinator, phone: \"+15551239999\", on_call: "
         "true}\n",
         {{10, 21,
           "coordinator name must be a first name (texters may see it): no digits, at most 24 "
           "letters"}}},
        {"an upper-case language and an empty language list",
         TOP TOPICS "peers:\n"
                    "  - {id: alex, name: Alex, phone: \"+15551230001\", topics: [grief], "
                    "languages: [EN]}\n"
                    "  - {id: bea, name: Bea, phone: \"+15551230002\", topics: [grief], "
                    "languages: []}\n" COORDS,
         {{8, 80, "language must be a lower-case code such as en or es"},
          {9, 77, "peer languages must not be empty (default is [en])"}}},
        {"crisis_trained not a boolean",
         TOP TOPICS PEERS_ALEX "    crisis_trained: often\n" COORDS,
         {{14, 21, "crisis_trained must be true or false"}}},
        {"a peer missing its phone",
         TOP TOPICS "peers:\n  - {id: alex, name: Alex, topics: [grief]}\n" COORDS,
         {{8, 5, "peer: missing phone"}}},
    };

    (void)state;
    run_bad(cases, NCASES(cases));
}

/*
 * Trainees (trainee: true, optional mentor): they need no topics (they read
 * along with any chat their mentor takes; topics, if listed, narrow them),
 * and the mentor resolves to the mentor's index.
 */
static void test_trainees(void **state)
{
    struct roster *r = load_ok(TOP TOPICS PEERS_ALEX
                               "  - {id: jo, name: Jo, phone: \"+15551230005\", trainee: true,"
                               " mentor: alex}\n"
                               "  - {id: kim, name: Kim, phone: \"+15551230006\", trainee: true,"
                               " topics: [grief]}\n"
                               "  - {id: lee, name: Lee, phone: \"+15551230007\", trainee: true,"
                               " topics: []}\n" COORDS);

    (void)state;
    assert_int_equal(r->npeers, 4);
    assert_false(r->peers[0].trainee);
    assert_true(r->peers[1].trainee);
    assert_int_equal(r->peers[1].mentor, 0); /* alex */
    assert_int_equal(r->peers[1].ntopics, 0);
    assert_true(r->peers[2].trainee);
    assert_int_equal(r->peers[2].mentor, -1); /* any peer who is not a trainee */
    assert_int_equal(r->peers[2].ntopics, 1);
    assert_int_equal(r->peers[3].ntopics, 0);
    assert_int_equal(r->peers[0].mentor, -1);
    /* A coordinator's stand-in is never a trainee. */
    assert_false(r->staff[0].trainee);
    roster_free(r);
}

static void test_trainee_mistakes(void **state)
{
    static const struct bad_case cases[] = {
        {"a mentor who is not in the roster",
         TOP TOPICS PEERS_ALEX "  - {id: jo, name: Jo, phone: \"+15551230005\", trainee: true, "
                               "mentor: alix}\n" COORDS,
         {{14, 70, "mentor \"alix\" is not a peer in this roster"}}},
        {"a mentor without trainee: true",
         TOP TOPICS PEERS_ALEX "  - {id: jo, name: Jo, phone: \"+15551230005\", topics: [grief], "
                               "mentor: alex}\n" COORDS,
         {{14, 72, "mentor is only for a trainee: add trainee: true to peer jo"}}},
        {"a mentor who is a trainee too",
         TOP TOPICS PEERS_ALEX "  - {id: jo, name: Jo, phone: \"+15551230005\", trainee: true}\n"
                               "  - {id: kim, name: Kim, phone: \"+15551230006\", trainee: true, "
                               "mentor: jo}\n" COORDS,
         {{15, 72, "mentor \"jo\" is a trainee too; a mentor is a peer who takes chats"}}},
        {"a trainee rung for calls",
         TOP TOPICS PEERS_ALEX "  - {id: jo, name: Jo, phone: \"+15551230005\", trainee: true, "
                               "voice: true}\n" COORDS,
         {{14, 69, "a trainee is never rung for calls: remove voice: true from peer jo"}}},
        {"a trainee who is their own mentor",
         TOP TOPICS PEERS_ALEX "  - {id: jo, name: Jo, phone: \"+15551230005\", trainee: true, "
                               "mentor: jo}\n" COORDS,
         {{14, 70, "peer jo cannot be their own mentor"}}},
        {"trainee not a boolean, a mentor that is a list, no topics for a peer who takes chats",
         TOP TOPICS PEERS_ALEX "  - {id: jo, name: Jo, phone: \"+15551230005\", trainee: soon}\n"
                               "  - {id: kim, name: Kim, phone: \"+15551230006\", trainee: true, "
                               "mentor: [alex]}\n" COORDS,
         {{14, 56, "trainee must be true or false"},
          {14, 5, "peer jo has no topics; list at least one topic id"},
          {15, 72, "mentor must be a peer id"}}},
    };

    (void)state;
    run_bad(cases, NCASES(cases));
}

/* The refusals shared with the config loader hold for the roster too. */
static void test_yaml_refusals(void **state)
{
    static const struct bad_case cases[] = {
        {"an anchor",
         TOP "topics:\n  - &t {id: grief}\n" PEERS_ALEX COORDS,
         {{4, 5, "YAML anchors (&name) are not allowed; write the value out"}}},
        {"an alias",
         TOP TOPICS PEERS_ALEX COORDS "blocked: *numbers\n",
         {{16, 10, "YAML aliases (*name) are not allowed; write the value out"}}},
        {"a duplicate key",
         TOP TOPICS PEERS_ALEX "    name: Al\n" COORDS,
         {{14, 5, "duplicate key \"name\""}}},
        {"a second document",
         TOP TOPICS PEERS_ALEX COORDS "---\n" TOP,
         {{16, 1, "only one YAML document is allowed (remove \"---\")"}}},
    };

    (void)state;
    run_bad(cases, NCASES(cases));
}

static void test_file_over_4mib_refused(void **state)
{
    size_t n = ROSTER_MAX_BYTES + 1;
    char *big = malloc(n);
    struct diag *d = diag_new();
    char want[256];

    (void)state;
    assert_non_null(big);
    memset(big, '&', n); /* an anchor-laden mess, if anyone parsed it */
    write_file(g_path, big, n);
    free(big);
    assert_null(roster_load(g_path, NULL, d));
    unlink(g_path);
    assert_int_equal(diag_count(d), 1);
    snprintf(want, sizeof(want), "%s: file is larger than 4194304 bytes; refused", g_path);
    assert_string_equal(diag_get(d, 0), want);
    diag_free(d);
}

/*
 * Problems found in single values: all of them, in file order, from one
 * load.
 */
static void test_value_problems_at_once(void **state)
{
    static const struct bad_case cases[] = {
        {"eight value problems",
         TOP TOPICS "peers:\n"                                                        /* 7 */
                    "  - id: alex\n"                                                  /* 8 */
                    "    name: Alex\n"                                                /* 9 */
                    "    phone: \"555-1234\"\n"                                       /* 10 */
                    "    topics: [anxiety, anxeity]\n"                                /* 11 */
                    "    timezone: Mars/Base\n"                                       /* 12 */
                    "    shifts:\n"                                                   /* 13 */
                    "      - {days: [mon, funday], start: \"25:00\", end: \"6pm\"}\n" /* 14 */
                    "    trained_until: 2027-02-30\n"                                 /* 15 */
                    "    shift: []\n" COORDS,                                         /* 16 */
         {{16, 5, "unknown key \"shift\" in peer"},
          {10, 12,
           "peer phone: phone number must be in E.164 form: + then country code and "
           "number, no spaces"},
          {11, 23, "unknown topic \"anxeity\""},
          {12, 15, "unknown time zone \"Mars/Base\" (use an IANA name such as America/New_York)"},
          {14, 22, "day must be one of mon, tue, wed, thu, fri, sat, sun"},
          {14, 38, "shift start: time must be HH:MM in 24-hour form, e.g. \"18:00\""},
          {14, 52, "shift end: time must be HH:MM in 24-hour form, e.g. \"23:30\""},
          {15, 20, "trained_until: no such calendar date"}}},
    };

    (void)state;
    run_bad(cases, NCASES(cases));
}

/*
 * Every kind of problem SPEC 3.2 lists, in one file: `peerline check` must
 * list all fourteen, the whole-roster ones (duplicates, on-call, blocked) too.
 */
static void test_all_problems_at_once(void **state)
{
    static const struct bad_case cases[] = {
        {"every kind of problem",
         TOP TOPICS "peers:\n"                                                        /* 7 */
                    "  - id: alex\n"                                                  /* 8 */
                    "    name: Alex\n"                                                /* 9 */
                    "    phone: \"+15551230001\"\n"                                   /* 10 */
                    "    topics: [anxiety, anxeity]\n"                                /* 11 */
                    "    timezone: Mars/Base\n"                                       /* 12 */
                    "    shifts:\n"                                                   /* 13 */
                    "      - {days: [mon, funday], start: \"25:00\", end: \"6pm\"}\n" /* 14 */
                    "    trained_until: 2027-02-30\n"                                 /* 15 */
                    "  - id: alex\n"                                                  /* 16 */
                    "    name: Bea\n"                                                 /* 17 */
                    "    phone: \"555-1234\"\n"                                       /* 18 */
                    "    topics: []\n"                                                /* 19 */
                    "    shift: []\n"                                                 /* 20 */
                    "  - id: cy\n"                                                    /* 21 */
                    "    name: Cy\n"                                                  /* 22 */
                    "    phone: \"+15551230001\"\n"                                   /* 23 */
                    "    topics: [grief]\n"                                           /* 24 */
                    "coordinators:\n"                                                 /* 25 */
                    "  - {id: sam, name: Sam, phone: \"+15551239999\"}\n"             /* 26 */
                    "blocked: [\"+15551230001\"]\n",                                  /* 27 */
         {/* value problems, in file order */
          {11, 23, "unknown topic \"anxeity\""},
          {12, 15, "unknown time zone \"Mars/Base\" (use an IANA name such as America/New_York)"},
          {14, 22, "day must be one of mon, tue, wed, thu, fri, sat, sun"},
          {14, 38, "shift start: time must be HH:MM in 24-hour form, e.g. \"18:00\""},
          {14, 52, "shift end: time must be HH:MM in 24-hour form, e.g. \"23:30\""},
          {15, 20, "trained_until: no such calendar date"},
          {20, 5, "unknown key \"shift\" in peer"},
          {18, 12,
           "peer phone: phone number must be in E.164 form: + then country code and "
           "number, no spaces"},
          {19, 13, "peer alex has no topics; list at least one topic id"},
          /* whole-roster problems */
          {16, 9, "duplicate peer id \"alex\""},
          {23, 12, "duplicate phone: peers alex and cy have the same number"},
          {26, 3, "no coordinator is on_call: at least one must receive safety alerts"},
          {27, 11, "blocked number belongs to peer alex"},
          {27, 11, "blocked number belongs to peer cy"}}},
        /* whole-roster problems must point at the right entry even when an
         * entry before it was skipped as malformed */
        {"whole-roster problems after a malformed entry",
         TOP TOPICS
         "peers:\n"          /* 7 */
         "  - just a name\n" /* 8 */
         "  - {id: alex, name: Alex, phone: \"+15551230001\", topics: [grief]}\n"
         "  - {id: alex, name: Bea, phone: \"+15551230002\", topics: [grief]}\n" COORDS /* 11-12 */
         "blocked: [\"5550009999\", \"+15551230001\"]\n",                               /* 13 */
         {{8, 5, "each peer must be a mapping (id, name, phone, ...)"},
          {13, 11,
           "blocked: phone number must be in E.164 form: + then country code and number, "
           "no spaces"},
          {10, 10, "duplicate peer id \"alex\""},
          {13, 25, "blocked number belongs to peer alex"}}},
    };
    struct diag *d;
    struct roster *r = load_text(cases[0].yaml, &d);

    (void)state;
    assert_null(r);
    /* The value problems are all there... */
    assert_true(diag_count(d) >= 9);
    diag_free(d);
    /* BUG: roster_load() (config/roster.c:601-602) runs check_whole() only
     * when no value problem was found, so duplicates, the on-call rule and
     * blocked peers are reported only on the *next* run, after the other
     * mistakes are fixed: 9 problems here instead of 14. Dropping that guard
     * is not enough: check_whole() indexes the YAML list with the index of
     * the loaded array (peers->kids[i], blocked->kids[i]), which differ once
     * a malformed entry was skipped; the second case checks that. */
    run_bad(cases, NCASES(cases));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_example),
        cmocka_unit_test(test_peer_defaults),
        cmocka_unit_test(test_languages_interned),
        cmocka_unit_test(test_shift_days_and_times),
        cmocka_unit_test(test_phone_lookups),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_unknown_topic),
        cmocka_unit_test(test_bad_times_and_days),
        cmocka_unit_test(test_bad_timezones),
        cmocka_unit_test(test_bad_numbers_and_dates),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_peer_without_topics),
        cmocka_unit_test(test_coordinators_and_blocked),
        cmocka_unit_test(test_topic_keywords),
        cmocka_unit_test(test_other_peer_values),
        cmocka_unit_test(test_trainees),
        cmocka_unit_test(test_trainee_mistakes),
        cmocka_unit_test(test_yaml_refusals),
        cmocka_unit_test(test_file_over_4mib_refused),
        cmocka_unit_test(test_value_problems_at_once),
        cmocka_unit_test(test_all_problems_at_once),
    };

    return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
