/*
 * e2e_shadow.c - trainees reading along (README "Trainees"), seen from the
 * phones: a trainee on shift is never offered a chat; when their mentor
 * takes one, the trainee's phone gets an introduction and then exactly the
 * two sides' texts ("Texter: ...", "Alex: ...") from a pool number of its
 * own, nothing else and never a number; the texter is told someone reads
 * along; #suggest reaches the peer only; PRIVATE, #unshadow, the chat's end
 * and urgency each stop the copy (an urgent chat is not read along with
 * unless trainees.shadow_urgent says so); a trainee with no mentor reads
 * along with any peer.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#define T1  "+15559870001"
#define T2  "+15559870002"
#define JO  "+15551230005" /* trainee, mentor alex */
#define KIM "+15551230006" /* trainee, no mentor */

#define ALL_DAY                                                                                    \
    "    shifts:\n"                                                                                \
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"00:00\", end: \"12:00\"}\n"      \
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"12:00\", end: \"00:00\"}\n"

#define TOPICS                                                                                     \
    "line_name: Test Line\n"                                                                       \
    "timezone: America/New_York\n"                                                                 \
    "topics:\n"                                                                                    \
    "  - {id: anxiety, label: Anxiety and stress, keywords: [anxious, panic]}\n"                   \
    "  - {id: grief, label: Grief and loss, keywords: [grief, died]}\n"                            \
    "  - {id: general, label: Something else}\n"

#define COORDS                                                                                     \
    "coordinators:\n"                                                                              \
    "  - {id: sam, name: Sam, phone: \"" SAM "\", on_call: true}\n"

/* Alex (Jo's mentor), Blair, Jo and Kim: everyone on shift all day. */
static const char roster[] = TOPICS "peers:\n"
                                    "  - id: alex\n"
                                    "    name: Alex\n"
                                    "    phone: \"" ALEX "\"\n"
                                    "    topics: [anxiety, general]\n"
                                    "    max_conversations: 2\n"
                                    "    crisis_trained: true\n" ALL_DAY "  - id: blair\n"
                                    "    name: Blair\n"
                                    "    phone: \"" BLAIR "\"\n"
                                    "    topics: [grief]\n" ALL_DAY "  - id: jo\n"
                                    "    name: Jo\n"
                                    "    phone: \"" JO "\"\n"
                                    "    trainee: true\n"
                                    "    mentor: alex\n" ALL_DAY "  - id: kim\n"
                                    "    name: Kim\n"
                                    "    phone: \"" KIM "\"\n"
                                    "    trainee: true\n" ALL_DAY COORDS;

#define READ "read-token-0123456789"

static int setup(void **state)
{
    static const struct line_opts o = {.roster = roster,
                                       .extra_config = "admin:\n  token: " READ "\n"};

    return line_setup(state, &o);
}

static int setup_urgent_allowed(void **state)
{
    static const struct line_opts o = {.roster = roster,
                                       .extra_config = "trainees:\n  shadow_urgent: true\n"};

    return line_setup(state, &o);
}

/*
 * Every text the line sent to `to`, oldest first, one per line as
 * "FROM|BODY" (malloc'd): what that phone shows, in order.
 */
static char *phone_shows(struct line *l, const char *to)
{
    char *out = NULL, *body = NULL;
    json_t *j, *arr;
    size_t i, len = 0;
    FILE *f = open_memstream(&out, &len);

    assert_non_null(f);
    assert_int_equal(line_sim(l, "GET", "/sim/messages", NULL, &body), 200);
    j = json_loads(body, 0, NULL);
    assert_non_null(j);
    arr = json_object_get(j, "messages");
    for (i = 0; i < json_array_size(arr); i++) {
        json_t *m = json_array_get(arr, i);
        const char *dir = json_string_value(json_object_get(m, "direction"));
        const char *mto = json_string_value(json_object_get(m, "to"));

        if (dir && !strcmp(dir, "outbound-api") && mto && !strcmp(mto, to))
            fprintf(f, "%s|%s\n", json_string_value(json_object_get(m, "from")),
                    json_string_value(json_object_get(m, "body")));
    }
    fclose(f);
    json_decref(j);
    free(body);
    return out;
}

/* No "+" and seven digits anywhere in what the phone was sent (only the FROM column has one). */
static void no_number_in_bodies(const char *shows)
{
    const char *line = shows;

    while (line && *line) {
        const char *bar = strchr(line, '|'), *end = strchr(line, '\n'), *p;

        assert_non_null(bar);
        for (p = bar; p && p < end && (p = strchr(p, '+')) && p < end; p++)
            if (strspn(p + 1, "0123456789") >= 7)
                fail_msg("a number reached the trainee: %.*s", (int)(end - bar), bar);
        line = end ? end + 1 : NULL;
    }
}

/* Alex has no shift: only Jo, a trainee, is at work. */
static const char alone[] = TOPICS "peers:\n"
                                   "  - {id: alex, name: Alex, phone: \"" ALEX "\","
                                   " topics: [anxiety, general]}\n"
                                   "  - id: jo\n"
                                   "    name: Jo\n"
                                   "    phone: \"" JO "\"\n"
                                   "    trainee: true\n"
                                   "    topics: [anxiety]\n" ALL_DAY COORDS;

static int setup_alone(void **state)
{
    static const struct line_opts o = {.roster = alone};

    return line_setup(state, &o);
}

/* A trainee on shift is never offered a chat: the texter waits for a peer who takes chats. */
/* T1 talks with Alex, Jo (Alex's trainee) reading along from POOL_A. */
static void jo_reads_along(struct line *l)
{
    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    line_must_get(l, 0, JO, POOL_A, "Reading along, read-only");
}

static void a_trainee_is_never_offered_a_chat(void **state)
{
    struct line *l = *state;
    char *out = NULL;
    long m;

    assert_int_equal(line_cli(l, "who", "--topic anxiety", &out), 0);
    assert_non_null(strstr(out, "Would be offered, in order:\n  no one"));
    assert_non_null(strstr(out, "jo (Jo): in training: reads along with any peer's chats"));
    free(out);
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I'm anxious"), 200);
    /* No one is on shift for them, so they are told so: a trainee is no one to wait for. */
    line_must_get(l, m, T1, LINE_NUMBER, "No peer is on shift now");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, 0, JO, NULL), 0);
    /* Alex comes on: the offer is Alex's. */
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#on"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, 0, JO, NULL), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM offers WHERE peer_id = 'jo'"), 0);
}

/*
 * Alex takes a chat: Jo (Alex's trainee; Kim has no mentor and comes second)
 * gets an introduction on a number of Jo's own, then both sides' texts from
 * then on (not what the texter wrote before they were told), in order, and
 * nothing else: not the peer's #note or other commands, not a
 * system text, never a number. The texter hears someone reads along; the
 * dashboard shows Jo reading along with the chat's reference.
 */
static void the_mentor_takes_a_chat_and_the_trainee_reads_along(void **state)
{
    struct line *l = *state;
    char *jo, *shows, ref[16], want[1024], *body = NULL;
    long m;

    line_connect(l, T1, "I'm anxious about tomorrow", ALEX, POOL_A, "Alex");
    line_must_get(l, 0, T1, LINE_NUMBER, "A peer in training is reading along");
    line_must_get(l, 0, ALEX, POOL_A, "Jo, a peer in training, is reading along");
    line_must_get(l, 0, JO, POOL_A, "Reading along, read-only: Alex's chat about Anxiety");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I can't sleep"), 200);
    line_must_get(l, m, ALEX, POOL_A, "I can't sleep");
    line_must_get(l, m, JO, POOL_A, "Texter: I can't sleep");
    assert_int_equal(line_text(l, ALEX, POOL_A, "#status"), 200);
    line_must_get(l, m, ALEX, POOL_A, "Open chats: 1");
    assert_int_equal(line_text(l, ALEX, POOL_A, "#note worried about exams"), 200);
    assert_int_equal(line_text(l, ALEX, POOL_A, "That sounds hard. What's on your mind?"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "That sounds hard.");
    line_must_get(l, m, JO, POOL_A, "Alex: That sounds hard. What's on your mind?");
    assert_int_equal(line_idle(l), 0);
    /* The dashboard: Jo is a trainee, not a peer ready for chats, reading along by reference. */
    assert_int_equal(line_admin(l, "GET", "/admin/api/status", READ, &body), 200);
    {
        json_t *j = json_loads(body, 0, NULL), *peers = json_object_get(j, "peers");
        size_t i;
        int seen = 0;

        assert_non_null(j);
        /* Alex (room for a second chat) and Blair: never a trainee. */
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(j, "now_counts"), "peers_ready")),
            2);
        for (i = 0; i < json_array_size(peers); i++) {
            json_t *p = json_array_get(peers, i);
            const char *id = json_string_value(json_object_get(p, "id"));
            if (!strcmp(id, "jo")) {
                seen = 1;
                assert_true(json_is_true(json_object_get(p, "trainee")));
                assert_false(json_is_true(json_object_get(p, "ready")));
                snprintf(ref, sizeof(ref), "%s",
                         json_string_value(json_object_get(p, "reading_along")));
            }
            if (!strcmp(id, "kim"))
                assert_true(json_is_null(json_object_get(p, "reading_along")));
        }
        assert_true(seen);
        json_decref(j);
    }
    free(body);
    assert_int_equal(ref[0], 'R');
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM shadows WHERE trainee_id = 'jo'"), 1);
    /* The chat ends: Jo is told, and that is the last of it. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#end"), 200);
    line_must_get(l, m, JO, POOL_A, "The chat you were reading along with has ended");
    assert_int_equal(line_idle(l), 0);
    jo = phone_shows(l, JO);
    snprintf(want, sizeof(want),
             POOL_A "|Reading along, read-only: Alex's chat about Anxiety and stress. #suggest "
                    "TEXT goes to them only; #unshadow stops.\n" POOL_A
                    "|Texter: I can't sleep\n" POOL_A
                    "|Alex: That sounds hard. What's on your mind?\n" POOL_A
                    "|The chat you were reading along with has ended, so your copy has stopped. "
                    "Thank you for learning with us.\n");
    assert_string_equal(jo, want);
    no_number_in_bodies(jo);
    free(jo);
    /* Kim, with no mentor, came second: nothing. */
    assert_int_equal(line_count(l, 0, KIM, NULL), 0);
    /* The texter's phone: the reading-along line right after the introduction. */
    shows = phone_shows(l, T1);
    {
        static const char next[] = LINE_NUMBER "|A peer in training is reading along to learn; "
                                               "they can't text you. Reply PRIVATE";
        const char *intro = strstr(shows, "You're now texting with Alex");
        assert_non_null(intro);
        intro = strchr(intro, '\n');
        assert_non_null(intro);
        assert_int_equal(strncmp(intro + 1, next, strlen(next)), 0);
    }
    free(shows);
    assert_true(line_metric(l, READ, "peerline_shadowed_chats_total") == 1);
    /* peerline report: the chat counts as read along with. */
    assert_int_equal(line_cli(l, "report", "", &body), 0);
    {
        const char *all = strstr(body, "\nall,,");
        assert_non_null(all);
        assert_int_equal(strncmp(strchr(all + 1, '\n') - 2, ",1", 2), 0);
        assert_non_null(strstr(body, "\npeer,alex,1,1,"));
    }
    free(body);
}

/* #suggest reaches the peer only, from the chat's number, marked; anything else is not relayed. */
static void a_suggestion_reaches_the_peer_only(void **state)
{
    struct line *l = *state;
    long m;

    jo_reads_along(l);
    /* A picture is not passed on: the copy says one was sent, as the peer's phone does. */
    m = line_mark(l);
    assert_int_equal(line_text_media(l, T1, LINE_NUMBER, "", 1), 200);
    line_must_get(l, m, ALEX, POOL_A, "(They sent a picture.");
    line_must_get(l, m, JO, POOL_A, "Texter: (They sent a picture. Pictures are not passed on.)");
    m = line_mark(l);
    assert_int_equal(line_text(l, JO, POOL_A, "#suggest Ask what helped them last time"), 200);
    line_must_get(l, m, ALEX, POOL_A,
                  "Suggestion from Jo (in training): Ask what helped them last time");
    line_must_get(l, m, JO, POOL_A, "Sent to Alex as a suggestion");
    /* Anything else Jo writes there stays there: a reminder, relayed to no one. */
    assert_int_equal(line_text(l, JO, POOL_A, "hello, can you hear me?"), 200);
    line_must_get(l, m, JO, POOL_A, "This copy is read-only");
    /* Nor does a command of a peer's do anything from a copy's thread. */
    assert_int_equal(line_text(l, JO, POOL_A, "#end"), 200);
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, m, T1, NULL), 0);
    assert_int_equal(line_occurrences(l, NULL, NULL, "hello, can you hear me?"), 0);
    assert_int_equal(line_occurrences(l, T1, NULL, "what helped"), 0);
    assert_int_equal(line_occurrences(l, JO, NULL, "what helped"), 0); /* not copied back */
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations WHERE state = 'active'"), 1);
    /* #suggest anywhere else: where it works. */
    assert_int_equal(line_text(l, JO, LINE_NUMBER, "#suggest breathe"), 200);
    line_must_get(l, m, JO, LINE_NUMBER, "#suggest works only in the thread");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_occurrences(l, ALEX, NULL, "breathe"), 0);
}

/*
 * PRIVATE from the texter: confirmed to them, the copy stops (Jo told, the
 * peer told), later texts are not copied, and the chat is never read along
 * with again, even by another trainee after it went back to the line.
 */
static void private_stops_the_copy_for_good(void **state)
{
    struct line *l = *state;
    char *shows;
    long m;

    jo_reads_along(l);
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "private"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Done: no peer in training will read along");
    line_must_get(l, m, JO, POOL_A, "The texter asked for privacy, so your copy");
    line_must_get(l, m, ALEX, POOL_A, "The texter asked for privacy: Jo no longer reads along");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "It's about my family"), 200);
    line_must_get(l, m, ALEX, POOL_A, "It's about my family");
    assert_int_equal(line_text(l, ALEX, POOL_A, "Tell me more"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Tell me more");
    assert_int_equal(line_idle(l), 0);
    shows = phone_shows(l, JO);
    assert_null(strstr(shows, "family"));
    assert_null(strstr(shows, "Tell me more"));
    free(shows);
    assert_int_equal(line_occurrences(l, ALEX, NULL, "private"), 0); /* never relayed */
    /* Back in line and taken by Blair: Kim (no mentor) could read along, but it is private. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#transfer grief"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "#take");
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#take"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Blair");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, 0, KIM, NULL), 0);
    assert_int_equal(line_occurrences(l, BLAIR, NULL, "peer in training"), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM shadows"), 1);
}

/* Waits up to ms for a query to count n. */
static void wait_count(struct line *l, const char *sql, long n, int ms)
{
    int waited;

    for (waited = 0; waited < ms; waited += 50) {
        if (line_query(l, sql) == n)
            return;
        line_sleep(50);
    }
    fail_msg("still not %ld: %s", n, sql);
}

#define JO_COPY                                                                                    \
    "SELECT COUNT(*) FROM outbox WHERE to_number = '" JO "' AND body LIKE 'Texter: I failed%'"

/*
 * Jo reads along with T1's chat; the provider is put in `fault` and T1
 * writes words Jo must never see once the copy ends. Returns the mark
 * before those words.
 */
static long words_for_the_copy(struct line *l, const char *fault)
{
    long m;

    jo_reads_along(l);
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_sim(l, "POST", "/sim/fault", fault, NULL), 200);
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I failed all my exams"), 200);
    return m;
}

/* The provider is back: the peer gets the words, Jo never does (Jo is told why, when given). */
static void only_the_peer_gets_the_words(struct line *l, long m, const char *why)
{
    char *jo;

    assert_int_equal(line_sim(l, "POST", "/sim/fault", "mode=none&latency_ms=0", NULL), 200);
    line_must_get(l, m, ALEX, POOL_A, "I failed all my exams");
    if (why)
        line_must_get(l, m, JO, POOL_A, why);
    assert_int_equal(line_idle(l), 0);
    jo = line_all_to(l, JO);
    if (strstr(jo, "failed all my exams"))
        fail_msg("the trainee got the texter's words after the copy ended:\n%s", jo);
    free(jo);
}

/*
 * Copies are the last texts to go: when the provider is away a while, the
 * texter's words may still wait for the trainee when the texter says
 * PRIVATE. Those never go.
 */
static void private_also_withdraws_copies_not_sent_yet(void **state)
{
    struct line *l = *state;
    long m = words_for_the_copy(l, "mode=down");

    /* The copy was tried, failed, and waits for its next try (retry.first_delay: 2 s). */
    wait_count(l, JO_COPY " AND state = 'pending' AND attempts > 0", 1, 5000);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "PRIVATE"), 200);
    /* Handled while the provider is still away. */
    wait_count(l, "SELECT COUNT(*) FROM inbound WHERE processed_at IS NULL", 0, 5000);
    only_the_peer_gets_the_words(l, m, "asked for privacy");
    assert_int_equal(line_query(l, JO_COPY " AND state = 'suppressed'"), 1);
}

/* A copy the provider is taking its time over when PRIVATE comes is not tried again. */
static void private_also_withdraws_a_copy_being_sent(void **state)
{
    struct line *l = *state;
    /* Every send is held 2 s, then refused. */
    long m = words_for_the_copy(l, "mode=down&latency_ms=2000");

    wait_count(l, JO_COPY " AND state = 'sending'", 1, 15000);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "PRIVATE"), 200);
    wait_count(l, "SELECT COUNT(*) FROM inbound WHERE processed_at IS NULL", 0, 5000);
    wait_count(l, JO_COPY " AND state = 'suppressed'", 1, 5000);
    /* The held send is refused (the connection dropped): it must not go back to the queue. */
    {
        char needle[64];
        snprintf(needle, sizeof(needle), "event=send.retry id=%ld ",
                 line_query(l, "SELECT id FROM outbox WHERE to_number = '" JO "'"
                               " AND body LIKE 'Texter: I failed%'"));
        assert_int_equal(line_log_wait(l, needle, 15000), 1);
    }
    only_the_peer_gets_the_words(l, m, "asked for privacy");
}

/* A trainee removed from the roster gets none of the copies still waiting. */
static void a_trainee_leaving_the_roster_gets_no_waiting_copy(void **state)
{
    static const char without_jo[] = TOPICS "peers:\n"
                                            "  - id: alex\n"
                                            "    name: Alex\n"
                                            "    phone: \"" ALEX "\"\n"
                                            "    topics: [anxiety, general]\n"
                                            "    max_conversations: 2\n" ALL_DAY COORDS;
    struct line *l = *state;
    long m = words_for_the_copy(l, "mode=down");

    wait_count(l, JO_COPY " AND state = 'pending' AND attempts > 0", 1, 5000);
    assert_int_equal(line_rewrite(l->roster, without_jo), 0);
    kill(l->gw, SIGHUP);
    wait_count(l, "SELECT COUNT(*) FROM shadows WHERE end_reason = 'roster'", 1, 10000);
    only_the_peer_gets_the_words(l, m, NULL); /* Jo, gone from the roster, is told nothing */
    line_must_get(l, m, ALEX, POOL_A, "no longer reading along");
}

/* With trainees but no pool, no one can read along: "Private" is words for the peer. */
static int setup_no_pool(void **state)
{
    static const struct line_opts o = {.roster = roster, .no_pool = 1};

    return line_setup(state, &o);
}

static void private_without_a_pool_is_words_for_the_peer(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, LINE_NUMBER, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "Private"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "Private");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_occurrences(l, T1, NULL, "peer in training"), 0);
    assert_int_equal(line_count(l, 0, JO, NULL), 0);
}

/* On a line with no trainees, "Private" is words for the peer, like any other. */
static void private_without_trainees_is_words_for_the_peer(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "Private"), 200);
    line_must_get(l, m, ALEX, POOL_A, "Private");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_occurrences(l, T1, NULL, "peer in training"), 0);
}

/* #unshadow, here from the line number: the copy stops, Jo and the peer are told. */
static void unshadow_stops_the_copy(void **state)
{
    struct line *l = *state;
    long m;

    jo_reads_along(l);
    m = line_mark(l);
    assert_int_equal(line_text(l, JO, LINE_NUMBER, "#unshadow"), 200);
    line_must_get(l, m, JO, POOL_A, "OK, you've stopped reading along");
    line_must_get(l, m, ALEX, POOL_A, "Jo is no longer reading along with this chat");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "are you there?"), 200);
    line_must_get(l, m, ALEX, POOL_A, "are you there?");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_occurrences(l, JO, NULL, "are you there?"), 0);
    /* Again: nothing to stop. */
    assert_int_equal(line_text(l, JO, POOL_A, "#unshadow"), 200);
    line_must_get(l, m, JO, POOL_A, "You're not reading along with any chat right now");
    /* The texter was never told anything about it. */
    assert_int_equal(line_occurrences(l, T1, NULL, "stopped"), 0);
}

/*
 * Urgent chats, by default: crisis words before the take mean no trainee at
 * all; a chat that becomes urgent while read along with stops the copy
 * before the crisis words could reach it; #escalate stops it too.
 */
static void urgent_chats_are_not_read_along_by_default(void **state)
{
    struct line *l = *state;
    char *shows;
    long m;

    /* Crisis words first: Alex takes the urgent chat alone. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I want to kill myself"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take");
    assert_int_equal(line_text(l, ALEX, POOL_A, "#take"), 200);
    line_must_get(l, m, ALEX, POOL_A, "I want to kill myself");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, 0, JO, NULL), 0);
    assert_int_equal(line_count(l, 0, KIM, NULL), 0);
    assert_int_equal(line_occurrences(l, T1, NULL, "peer in training"), 0);
    /* A second chat, read along with, turns urgent: the crisis words are not copied. */
    line_connect(l, T2, "I'm anxious", ALEX, POOL_B, "Alex");
    line_must_get(l, 0, JO, POOL_A, "Reading along, read-only");
    m = line_mark(l);
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "honestly I want to die"), 200);
    line_must_get(l, m, ALEX, POOL_B, "honestly I want to die");
    line_must_get(l, m, JO, POOL_A, "became urgent, so your copy has stopped");
    line_must_get(l, m, ALEX, POOL_B, "Jo is no longer reading along");
    assert_int_equal(line_idle(l), 0);
    shows = phone_shows(l, JO);
    assert_null(strstr(shows, "want to die"));
    free(shows);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM shadows WHERE end_reason = 'urgent'"), 1);
}

static void escalate_stops_the_copy(void **state)
{
    struct line *l = *state;
    long m;

    jo_reads_along(l);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#escalate needs a coordinator"), 200);
    line_must_get(l, m, JO, POOL_A, "became urgent, so your copy has stopped");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "thank you"), 200);
    line_must_get(l, m, ALEX, POOL_A, "thank you");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_occurrences(l, JO, NULL, "thank you"), 0);
    assert_int_equal(line_occurrences(l, JO, NULL, "coordinator"), 0);
}

/* With trainees.shadow_urgent: true, an urgent chat is read along with, crisis words and all. */
static void urgent_chats_are_read_along_when_the_line_allows(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I want to kill myself"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take");
    assert_int_equal(line_text(l, ALEX, POOL_A, "#take"), 200);
    line_must_get(l, m, JO, POOL_A, "Reading along, read-only: Alex's chat");
    line_must_get(l, m, T1, LINE_NUMBER, "A peer in training is reading along");
    /* And #escalate keeps it going too. */
    assert_int_equal(line_text(l, ALEX, POOL_A, "#escalate"), 200);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "still here"), 200);
    line_must_get(l, m, JO, POOL_A, "Texter: still here");
    assert_int_equal(line_occurrences(l, JO, NULL, "became urgent"), 0);
    /* What they wrote before they were told someone reads along stays with the peer. */
    assert_int_equal(line_occurrences(l, JO, NULL, "kill myself"), 0);
}

/*
 * Kim, with no mentor, reads along with Blair's chat (Jo's mentor is Alex);
 * the texter's BYE ends it, and Kim is told.
 */
static void a_trainee_without_a_mentor_reads_along_with_anyone(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "My dad died", BLAIR, POOL_A, "Blair");
    line_must_get(l, 0, KIM, POOL_A, "Reading along, read-only: Blair's chat about Grief");
    assert_int_equal(line_count(l, 0, JO, NULL), 0);
    m = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, POOL_A, "I'm so sorry."), 200);
    line_must_get(l, m, KIM, POOL_A, "Blair: I'm so sorry.");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "BYE"), 200);
    line_must_get(l, m, KIM, POOL_A, "The chat you were reading along with has ended");
    assert_int_equal(line_idle(l), 0);
    /* Kim's replies there are answered as on any closed number. */
    m = line_mark(l);
    assert_int_equal(line_text(l, KIM, POOL_A, "#suggest too late"), 200);
    line_must_get(l, m, KIM, POOL_A, "#suggest works only in the thread");
    assert_int_equal(line_occurrences(l, BLAIR, NULL, "too late"), 0);
}

/* A coordinator who takes an urgent chat (#take REF) is never read along with, even when allowed.
 */
static void a_coordinators_chat_is_not_read_along(void **state)
{
    struct line *l = *state;
    char *alert, take[32];
    const char *p;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I want to kill myself"), 200);
    alert = line_expect(l, m, SAM, LINE_NUMBER, "peerline alert R", 5000);
    assert_non_null(alert);
    p = strstr(alert, "alert R") + 6;
    snprintf(take, sizeof(take), "#take %.*s", (int)strcspn(p, ": "), p);
    free(alert);
    line_must_get(l, m, ALEX, POOL_A, "#take"); /* offered to Alex first; Sam takes it over */
    assert_int_equal(line_text(l, SAM, LINE_NUMBER, take), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Sam");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "thank you for being here"), 200);
    line_must_get(l, m, SAM, POOL_A, "thank you for being here");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, 0, JO, NULL), 0);
    assert_int_equal(line_count(l, 0, KIM, NULL), 0);
    assert_int_equal(line_occurrences(l, T1, NULL, "peer in training"), 0);
}

/* #transfer puts the chat back in line: the copy ends, and Jo is told why. */
static void the_copy_ends_when_the_chat_goes_back_to_the_line(void **state)
{
    struct line *l = *state;
    long m;

    jo_reads_along(l);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#transfer"), 200);
    line_must_get(l, m, JO, POOL_A, "went back to the line, so your copy has stopped");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM shadows WHERE end_reason = 'requeued'"),
                     1);
    /* HELP in the old thread: the trainee's own commands. */
    m = line_mark(l);
    assert_int_equal(line_text(l, JO, POOL_A, "#help"), 200);
    line_must_get(l, m, JO, POOL_A, "In training you read along");
}

/*
 * STOP from the trainee on the copy's number: the copy ends (nothing more
 * may be sent there), the peer is told, the coordinators hear as for any
 * peer's opt-out.
 */
static void the_copy_ends_when_the_trainee_opts_out_of_its_number(void **state)
{
    struct line *l = *state;
    long m;

    jo_reads_along(l);
    m = line_mark(l);
    assert_int_equal(line_text(l, JO, POOL_A, "STOP"), 200);
    line_must_get(l, m, ALEX, POOL_A, "Jo is no longer reading along");
    line_must_get(l, m, SAM, LINE_NUMBER, "Jo");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "one more thing"), 200);
    line_must_get(l, m, ALEX, POOL_A, "one more thing");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, m, JO, NULL), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM shadows WHERE end_reason = 'opt-out'"), 1);
}

/* A roster without Jo (reloaded): Jo's copy ends at once; the peer is told. */
static void the_copy_ends_when_the_trainee_leaves_the_roster(void **state)
{
    static const char without_jo[] = TOPICS "peers:\n"
                                            "  - id: alex\n"
                                            "    name: Alex\n"
                                            "    phone: \"" ALEX "\"\n"
                                            "    topics: [anxiety, general]\n"
                                            "    max_conversations: 2\n" ALL_DAY COORDS;
    struct line *l = *state;
    long m;

    jo_reads_along(l);
    m = line_mark(l);
    assert_int_equal(line_rewrite(l->roster, without_jo), 0);
    kill(l->gw, SIGHUP);
    /* Jo's name left with the roster. */
    line_must_get(l, m, ALEX, POOL_A, "The peer in training is no longer reading along");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "are you still there"), 200);
    line_must_get(l, m, ALEX, POOL_A, "are you still there");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, m, JO, NULL), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM shadows WHERE end_reason = 'roster'"), 1);
}

/*
 * One chat at a time per trainee: Alex takes two chats; Jo (Alex's) reads
 * the first, and the second goes to Kim (no mentor), on a number of Kim's.
 */
static void a_trainee_reads_one_chat_at_a_time(void **state)
{
    struct line *l = *state;

    jo_reads_along(l);
    line_connect(l, T2, "panic again", ALEX, POOL_B, "Alex");
    line_must_get(l, 0, KIM, POOL_A, "Reading along, read-only: Alex's chat");
    line_must_get(l, 0, ALEX, POOL_B, "Kim, a peer in training, is reading along");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_occurrences(l, JO, NULL, "panic again"), 0);
    assert_int_equal(line_occurrences(l, KIM, NULL, "I'm anxious"), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM shadows WHERE ended_at IS NULL"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_trainee_is_never_offered_a_chat, setup_alone,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(the_mentor_takes_a_chat_and_the_trainee_reads_along, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_suggestion_reaches_the_peer_only, setup, line_teardown),
        cmocka_unit_test_setup_teardown(private_stops_the_copy_for_good, setup, line_teardown),
        cmocka_unit_test_setup_teardown(private_also_withdraws_copies_not_sent_yet, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(private_also_withdraws_a_copy_being_sent, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_trainee_leaving_the_roster_gets_no_waiting_copy, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(private_without_a_pool_is_words_for_the_peer, setup_no_pool,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(private_without_trainees_is_words_for_the_peer,
                                        line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(unshadow_stops_the_copy, setup, line_teardown),
        cmocka_unit_test_setup_teardown(urgent_chats_are_not_read_along_by_default, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(escalate_stops_the_copy, setup, line_teardown),
        cmocka_unit_test_setup_teardown(urgent_chats_are_read_along_when_the_line_allows,
                                        setup_urgent_allowed, line_teardown),
        cmocka_unit_test_setup_teardown(a_trainee_without_a_mentor_reads_along_with_anyone, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_trainee_reads_one_chat_at_a_time, setup, line_teardown),
        cmocka_unit_test_setup_teardown(a_coordinators_chat_is_not_read_along, setup_urgent_allowed,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(the_copy_ends_when_the_chat_goes_back_to_the_line, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(the_copy_ends_when_the_trainee_opts_out_of_its_number,
                                        setup, line_teardown),
        cmocka_unit_test_setup_teardown(the_copy_ends_when_the_trainee_leaves_the_roster, setup,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
