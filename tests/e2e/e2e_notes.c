/*
 * e2e_notes.c - peers' private notes, seen from the phones (SPEC section
 * 11): `#note TEXT` in a chat's thread is kept and answered "Note saved";
 * the next peer who takes the texter (after #transfer, after a silent
 * peer is relieved, by a coordinator's #take REF, or when the texter comes
 * back, to another peer or the same one) gets the notes right after
 * their introduction and before the texter's waiting words, newest first,
 * as few texts as fit, from the chat's pool number. The texter never gets
 * one; no log, no status answer and no simulator log holds a note's words.
 * A coordinator reads a chat's notes only with their own token, and each
 * read is in the audit. Retention takes a note's words, and a later take
 * gets none. /metrics and `peerline report` count the notes written.
 */
#include "harness.h"

#include "command.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define T1   "+15559870001"
#define T2   "+15559870002"
#define T3   "+15559870003"
#define READ "read-token-0123456789"
#define SAMT "sam-token-0123456789"

#define HEADING "Private notes from recent chats with this texter, newest first:"
#define SAVED   "Note saved. The next peer who takes this texter will see it; the texter never will."
#define NOTE1   "Finds nights hardest; ask about her sister"
#define NOTE2   "Mentioned a school nurse she trusts"

/* No cooldown between chats: a peer may take the texter again at once. */
#define TIMERS "timers:\n  cooldown: 0s\n"

static int setup_notes(void **state)
{
    static const struct line_opts o = {.extra_config = TIMERS};

    return line_setup(state, &o);
}

static int setup_admin(void **state)
{
    static const struct line_opts o = {.extra_config = TIMERS "admin:\n"
                                                              "  token: " READ "\n"
                                                              "  coordinator_tokens:\n"
                                                              "    sam: " SAMT "\n"};

    return line_setup(state, &o);
}

/* A peer who does not answer is relieved after 2 s. */
static int setup_silence(void **state)
{
    static const struct line_opts o = {.extra_config = "timers:\n"
                                                       "  cooldown: 0s\n"
                                                       "  peer_silence: 1s\n"};

    return line_setup(state, &o);
}

/* A 40-day-old note is still within this window: only the purge can keep it from a peer. */
static int setup_long_window(void **state)
{
    static const struct line_opts o = {.extra_config = "timers:\n"
                                                       "  cooldown: 0s\n"
                                                       "  rematch_window: 60d\n"};

    return line_setup(state, &o);
}

/* No pool: every chat's thread is the line number. */
static int setup_no_pool(void **state)
{
    static const struct line_opts o = {.extra_config = TIMERS, .no_pool = 1};

    return line_setup(state, &o);
}

/* No earlier conversation's notes are handed over: only the current one's. */
static int setup_no_window(void **state)
{
    static const struct line_opts o = {.extra_config = "timers:\n"
                                                       "  cooldown: 0s\n"
                                                       "  rematch_window: 0s\n"};

    return line_setup(state, &o);
}

/* peer writes `#note body` on number and is told it is saved. */
static void note(struct line *l, const char *peer, const char *number, const char *body)
{
    char text[1024];
    char *got;
    long m = line_mark(l);

    snprintf(text, sizeof(text), "#note %s", body);
    assert_int_equal(line_text(l, peer, number, text), 200);
    got = line_expect(l, m, peer, number, "Note saved", 5000);
    assert_non_null(got);
    assert_string_equal(got, SAVED);
    free(got);
}

/* The pool number peer was offered a chat on since m (into number). */
static void offered_on(struct line *l, long m, const char *peer, char number[16])
{
    line_must_get(l, m, peer, NULL, "#take");
    snprintf(number, 16, "%s", line_find(l, m, peer, POOL_A, "#take", 0) > 0 ? POOL_A : POOL_B);
}

/*
 * peer takes the offer on number; returns the body of the first text after
 * their introduction there (NULL: none), and checks that `then` (if given)
 * came after the introduction and no earlier than that text.
 */
static char *take(struct line *l, const char *peer, const char *number, const char *then)
{
    long m, intro, next;
    char *body;

    m = line_mark(l);
    assert_int_equal(line_text(l, peer, number, "#take"), 200);
    intro = line_find(l, m, peer, number, "You're connected", 5000);
    assert_true(intro > 0);
    if (then)
        assert_true(line_find(l, m, peer, number, then, 5000) > intro);
    assert_int_equal(line_idle(l), 0);
    /* The first text on the thread after the introduction. */
    body = line_expect(l, intro, peer, number, NULL, 0);
    next = line_find(l, intro, peer, number, NULL, 0);
    if (then && body)
        assert_true(line_find(l, m, peer, number, then, 0) >= next);
    return body;
}

/* None of these words in the texter's phone, the gateway's log or the simulator's log. */
static void nowhere_else(struct line *l, const char *const *words)
{
    char path[320], *all = line_all_to(l, T1), *gw = line_read_file(l->gateway_log), *sim;
    size_t i;

    snprintf(path, sizeof(path), "%s/sim.log", l->dir);
    sim = line_read_file(path);
    assert_non_null(all);
    assert_non_null(gw);
    for (i = 0; words[i]; i++) {
        if (strstr(all, words[i]))
            fail_msg("the texter got a note's words: %s", words[i]);
        if (strstr(gw, words[i]))
            fail_msg("the gateway's log holds a note's words: %s", words[i]);
        if (sim && strstr(sim, words[i]))
            fail_msg("the simulator's log holds a note's words: %s", words[i]);
    }
    free(all);
    free(gw);
    free(sim);
}

static void a_note_reaches_the_next_peer_after_transfer(void **state)
{
    static const char *const words[] = {"nights hardest", "her sister", "school nurse", NULL};
    struct line *l = *state;
    char *got;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    note(l, ALEX, POOL_A, NOTE1);
    /* The note is Alex's alone: the texter's thread saw nothing. */
    assert_int_equal(line_occurrences(l, T1, NULL, "sister"), 0);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#transfer grief"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Alex is passing you on");
    line_must_get(l, m, BLAIR, POOL_A, "#take");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hello is anyone there now"), 200);
    assert_int_equal(line_idle(l), 0);
    /* Blair: introduced, then the note, then what the texter wrote meanwhile. */
    got = take(l, BLAIR, POOL_A, "hello is anyone there now");
    assert_non_null(got);
    assert_string_equal(got, HEADING "\nAlex, 1 min ago: " NOTE1);
    free(got);
    /*
     * Blair adds one, asks for a coordinator and hands the texter back; no
     * peer is left, and Sam takes them (#take REF): both notes, newest
     * first, in one text.
     */
    note(l, BLAIR, POOL_A, NOTE2);
    m = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#escalate"), 200);
    line_must_get(l, m, SAM, LINE_NUMBER, "peerline alert");
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#transfer general"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Blair is passing you on");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM notes"), 2);
    {
        char take_ref[32], ref[COMMAND_REF_MAX];
        command_ref_format(line_query(l, "SELECT id FROM conversations"), ref);
        snprintf(take_ref, sizeof(take_ref), "#take %s", ref);
        m = line_mark(l);
        assert_int_equal(line_text(l, SAM, LINE_NUMBER, take_ref), 200);
    }
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Sam");
    got = line_expect(l, m, SAM, NULL, "Private notes", 5000);
    assert_non_null(got);
    assert_string_equal(got, HEADING "\nBlair, 1 min ago: " NOTE2 "\nAlex, 1 min ago: " NOTE1);
    free(got);
    assert_int_equal(line_idle(l), 0);
    nowhere_else(l, words);
}

static void a_chats_own_notes_whatever_the_window(void **state)
{
    struct line *l = *state;
    char number[16], *got;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    note(l, ALEX, POOL_A, NOTE1);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#transfer grief"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "#take");
    got = take(l, BLAIR, POOL_A, NULL);
    assert_non_null(got);
    assert_string_equal(got, HEADING "\nAlex, 1 min ago: " NOTE1);
    free(got);
    m = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#end"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Blair has ended the chat");
    assert_int_equal(line_idle(l), 0);
    /* Back in a new conversation: the window (0s) keeps the old chat's notes. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I'm anxious again tonight"), 200);
    offered_on(l, m, ALEX, number);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, number, "#take"), 200);
    line_must_get(l, m, ALEX, number, "I'm anxious again tonight");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_find(l, m, ALEX, number, "Private notes", 0), 0);
}

/* The texter said BYE before the peer wrote their note: it is kept still, for a while. */
static void a_note_just_after_the_chat_ends(void **state)
{
    struct line *l = *state;
    char number[16], *got;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "BYE"), 200);
    line_must_get(l, m, ALEX, POOL_A, "one last message");
    note(l, ALEX, POOL_A, NOTE1);
    /* A note is not the last word: nothing reached the texter, the window is still open. */
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_occurrences(l, T1, NULL, "sister"), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations WHERE last_word_until > 0"),
                     1);
    /* Back later, to Blair: the note is there. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "my grief is heavy today"), 200);
    offered_on(l, m, BLAIR, number);
    got = take(l, BLAIR, number, "my grief is heavy today");
    assert_non_null(got);
    assert_string_equal(got, HEADING "\nAlex, 1 min ago: " NOTE1);
    free(got);
    /* Long after a chat ended, a note has nowhere to go. */
    assert_int_equal(line_exec(l, "UPDATE conversations SET closed_at = closed_at - 3600000"
                                  " WHERE state = 'closed'"),
                     0);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#note too late"), 200);
    line_must_get(l, m, ALEX, POOL_A, "no longer delivered");
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM notes"), 1);
}

/*
 * A thread's late note goes to the last chat its peer took there, never to a
 * texter they were only offered (who left before #take) nor to an earlier one.
 */
static void a_late_note_never_lands_on_a_texter_only_offered(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, LINE_NUMBER, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#end"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Alex has ended the chat");
    assert_int_equal(line_idle(l), 0);
    m = line_mark(l);
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "I'm anxious too"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "#take");
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "BYE"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "withdrawn");
    assert_int_equal(line_idle(l), 0);
    note(l, ALEX, LINE_NUMBER, "T1 talked about her sister");
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM notes WHERE texter = '" T2 "'"), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM notes WHERE texter = '" T1 "'"), 1);
}

/* Right after a #transfer, the note is about the texter handed on, not the one before. */
static void a_note_after_transfer_follows_that_texter(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, LINE_NUMBER, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#end"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Alex has ended the chat");
    assert_int_equal(line_idle(l), 0);
    line_connect(l, T2, "I'm anxious too", ALEX, LINE_NUMBER, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#transfer grief"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "Transferred");
    assert_int_equal(line_idle(l), 0);
    note(l, ALEX, LINE_NUMBER, "T2 lost her dog last week");
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM notes WHERE texter = '" T1 "'"), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM notes WHERE texter = '" T2 "'"), 1);
    /* Blair takes T2: the note is there. */
    line_must_get(l, m, BLAIR, LINE_NUMBER, "#take");
    {
        char *got = take(l, BLAIR, LINE_NUMBER, NULL);
        assert_non_null(got);
        assert_string_equal(got, HEADING "\nAlex, 1 min ago: T2 lost her dog last week");
        free(got);
    }
}

/* Sam (#take REF) takes urgent texter on a number of Sam's, into number. */
static void sam_takes(struct line *l, const char *texter, char number[16])
{
    char take_ref[32], ref[COMMAND_REF_MAX], sql[160];
    long m = line_mark(l);

    assert_int_equal(line_text(l, texter, LINE_NUMBER, "honestly I want to die"), 200);
    line_must_get(l, m, SAM, LINE_NUMBER, "peerline alert");
    assert_int_equal(line_idle(l), 0);
    snprintf(sql, sizeof(sql), "SELECT id FROM conversations WHERE texter = '%s'", texter);
    command_ref_format(line_query(l, sql), ref);
    snprintf(take_ref, sizeof(take_ref), "#take %s", ref);
    assert_int_equal(line_text(l, SAM, LINE_NUMBER, take_ref), 200);
    line_must_get(l, m, texter, LINE_NUMBER, "You're now texting with Sam");
    assert_int_equal(line_idle(l), 0);
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM conversations WHERE texter = '%s' AND peer_number = '" POOL_A
             "'",
             texter);
    snprintf(number, 16, "%s", line_query(l, sql) ? POOL_A : POOL_B);
}

/*
 * A coordinator's chats are theirs as a peer's are: a late note after the
 * texter's BYE is kept on it, and never on a texter they had on that number
 * before.
 */
static void a_coordinators_late_note_lands_on_their_last_chat(void **state)
{
    struct line *l = *state;
    char n1[16], n2[16], n3[16];
    long m;

    sam_takes(l, T1, n1);
    m = line_mark(l);
    assert_int_equal(line_text(l, SAM, n1, "#transfer"), 200);
    line_must_get(l, m, SAM, n1, "Transferred");
    assert_int_equal(line_idle(l), 0);
    sam_takes(l, T2, n2);
    sam_takes(l, T3, n3);
    assert_string_equal(n3, n1); /* the number T1's chat had */
    m = line_mark(l);
    assert_int_equal(line_text(l, T3, LINE_NUMBER, "BYE"), 200);
    line_must_get(l, m, SAM, n3, "one last message");
    assert_int_equal(line_idle(l), 0);
    note(l, SAM, n3, "T3 is staying with a friend tonight");
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM notes WHERE texter = '" T3 "'"), 1);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM notes WHERE texter = '" T1 "'"), 0);
}

static void notes_follow_the_texter_back(void **state)
{
    static const char *const words[] = {"nights hardest", "school nurse", NULL};
    struct line *l = *state;
    char number[16], *got;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    note(l, ALEX, POOL_A, NOTE1);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#end"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Alex has ended the chat");
    assert_int_equal(line_idle(l), 0);
    /* Back a while later, about anxiety again: Alex, who wrote the note, gets it too. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I'm anxious again tonight"), 200);
    offered_on(l, m, ALEX, number);
    got = take(l, ALEX, number, "I'm anxious again tonight");
    assert_non_null(got);
    assert_string_equal(got, HEADING "\nAlex, 1 min ago: " NOTE1);
    free(got);
    note(l, ALEX, number, NOTE2);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, number, "#end"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Alex has ended the chat");
    assert_int_equal(line_idle(l), 0);
    /* Back about grief: Blair, another peer, gets both notes of both chats, newest first. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "my grief is heavy today"), 200);
    offered_on(l, m, BLAIR, number);
    got = take(l, BLAIR, number, "my grief is heavy today");
    assert_non_null(got);
    assert_string_equal(got, HEADING "\nAlex, 1 min ago: " NOTE2 "\nAlex, 1 min ago: " NOTE1);
    free(got);
    assert_int_equal(line_query(l, "SELECT COUNT(DISTINCT conversation_id) FROM notes"), 2);
    nowhere_else(l, words);
}

static void a_note_reaches_the_peer_after_a_silent_one(void **state)
{
    static const char *const words[] = {"nights hardest", NULL};
    struct line *l = *state;
    char number[16], *got;
    long m = line_mark(l);

    /* Blair is off: Alex, the other peer for "something else", gets the texter. */
    assert_int_equal(line_text(l, BLAIR, LINE_NUMBER, "#off"), 200);
    line_must_get(l, m, BLAIR, LINE_NUMBER, "You're off");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hello there, can we talk"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Reply with a number");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "3"), 200);
    offered_on(l, m, ALEX, number);
    got = take(l, ALEX, number, "hello there, can we talk");
    assert_non_null(got);
    assert_string_equal(got, "hello there, can we talk");
    free(got);
    note(l, ALEX, number, NOTE1);
    m = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, LINE_NUMBER, "#on"), 200);
    line_must_get(l, m, BLAIR, LINE_NUMBER, "You're on until");
    /* Alex does not answer: nudged, then relieved; Blair is offered the texter. */
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "are you still there with me"), 200);
    line_must_get(l, m, ALEX, number, "The texter is waiting for your reply");
    line_must_get(l, m, ALEX, number, "No reply came");
    offered_on(l, m, BLAIR, number);
    got = take(l, BLAIR, number, "are you still there with me");
    assert_non_null(got);
    assert_string_equal(got, HEADING "\nAlex, 1 min ago: " NOTE1);
    free(got);
    nowhere_else(l, words);
}

static void long_notes_go_whole_in_as_few_texts_as_fit(void **state)
{
    struct line *l = *state;
    char body[720], want[700], *got;
    long m, first;
    int i;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    /* Three notes of 650 characters: each kept to its first 600, and Alex told so. */
    for (i = 0; i < 3; i++) {
        memset(body, 'a' + i, 650);
        body[650] = '\0';
        {
            char text[740];
            snprintf(text, sizeof(text), "#note %s", body);
            m = line_mark(l);
            assert_int_equal(line_text(l, ALEX, POOL_A, text), 200);
        }
        got = line_expect(l, m, ALEX, POOL_A, "Note saved", 5000);
        assert_non_null(got);
        assert_string_equal(got, "Note saved, but only its first 600 characters. The next peer "
                                 "who takes this texter will see it; the texter never will.");
        free(got);
    }
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#transfer grief"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "#take");
    got = take(l, BLAIR, POOL_A, NULL);
    assert_non_null(got);
    /* Heading and the two newest (1,300 characters) in one text; the third would not fit. */
    {
        char all[1400], c[601], b[601];
        memset(c, 'c', 600);
        c[600] = '\0';
        memset(b, 'b', 600);
        b[600] = '\0';
        snprintf(all, sizeof(all), HEADING "\nAlex, 1 min ago: %s\nAlex, 1 min ago: %s", c, b);
        assert_string_equal(got, all);
    }
    free(got);
    first = line_find(l, m, BLAIR, POOL_A, "Private notes", 0);
    got = line_expect(l, first, BLAIR, POOL_A, "aaaa", 5000);
    assert_non_null(got);
    memset(want, 'a', 600);
    want[600] = '\0';
    snprintf(body, sizeof(body), "Alex, 1 min ago: %s", want);
    assert_string_equal(got, body);
    free(got);
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, first - 1, BLAIR, POOL_A), 2);
}

static void a_note_needs_words_and_a_chat_taken(void **state)
{
    struct line *l = *state;
    char *got;
    long m;

    /* On the line number: it works inside a chat. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#note is this kept"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "That works inside a chat");
    /* Offered, not taken yet: #take first. */
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I'm anxious"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#note not yet taken"), 200);
    got = line_expect(l, m, ALEX, POOL_A, "Notes are", 5000);
    assert_non_null(got);
    assert_string_equal(got, "Notes are for chats you've taken: reply #take first, then #note "
                             "and your note.");
    free(got);
    /* Taken: #note alone says how. */
    assert_int_equal(line_text(l, ALEX, POOL_A, "#take"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#note   "), 200);
    got = line_expect(l, m, ALEX, POOL_A, "Write your note", 5000);
    assert_non_null(got);
    assert_string_equal(got, "Write your note after #note, e.g. #note prefers short replies. The "
                             "next peer who takes this texter sees it; the texter never does.");
    free(got);
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM notes"), 0);
    /* Nothing of it reached the texter. */
    assert_int_equal(line_occurrences(l, T1, NULL, "is this kept"), 0);
    assert_int_equal(line_occurrences(l, T1, NULL, "not yet taken"), 0);
}

static void retention_takes_a_notes_words(void **state)
{
    struct line *l = *state;
    char number[16], *out = NULL, *got;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    note(l, ALEX, POOL_A, NOTE1);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#end"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Alex has ended the chat");
    assert_int_equal(line_idle(l), 0);
    /* 40 days old: past retention (30 days), within this line's rematch_window (60 days). */
    assert_int_equal(line_exec(l, "UPDATE notes SET created_at = created_at - 3456000000;"
                                  "UPDATE inbound SET received_at = received_at - 3456000000,"
                                  " processed_at = processed_at - 3456000000;"
                                  "UPDATE outbox SET created_at = created_at - 3456000000;"
                                  "UPDATE conversations SET created_at = created_at - 3456000000,"
                                  " queued_at = queued_at - 3456000000,"
                                  " matched_at = matched_at - 3456000000,"
                                  " closed_at = closed_at - 3456000000;"),
                     0);
    assert_true(line_db_contains(l, "nights hardest"));
    assert_int_equal(line_cli(l, "purge", NULL, &out), 0);
    assert_non_null(strstr(out, " sent, 1 notes\n"));
    free(out);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM notes"), 1);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM notes WHERE body IS NULL"), 1);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM notes WHERE texter IS NULL"), 1);
    assert_false(line_db_contains(l, "nights hardest"));
    /* Back: Alex takes them again, and gets no note. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I'm anxious again tonight"), 200);
    offered_on(l, m, ALEX, number);
    got = take(l, ALEX, number, "I'm anxious again tonight");
    assert_non_null(got);
    assert_string_equal(got, "I'm anxious again tonight");
    free(got);
    assert_int_equal(line_occurrences(l, ALEX, NULL, "Private notes"), 0);
    /* Still counted. */
    assert_int_equal(line_cli(l, "report", NULL, &out), 0);
    assert_non_null(strstr(out, "\ntool,notes_written,1,"));
    free(out);
}

/* GET path with token: the JSON answer (fails the test unless 200 and JSON). */
static json_t *get_json(struct line *l, const char *path, const char *token)
{
    char *body = NULL;
    json_error_t err;
    json_t *j;

    assert_int_equal(line_admin(l, "GET", path, token, &body), 200);
    j = json_loads(body, 0, &err);
    if (!j)
        fail_msg("not JSON (%s): %s", err.text, body);
    free(body);
    return j;
}

static void a_coordinator_reads_notes_with_their_own_token(void **state)
{
    struct line *l = *state;
    char ref[COMMAND_REF_MAX], path[96], *body = NULL;
    json_t *j, *n, *actions, *a;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    note(l, ALEX, POOL_A, NOTE1);
    command_ref_format(line_query(l, "SELECT id FROM conversations"), ref);
    snprintf(path, sizeof(path), "/admin/api/conversations/%s/notes", ref);
    /* No token, a wrong one: 401. The read-only token: 403. None of them audited. */
    assert_int_equal(line_admin(l, "GET", path, NULL, NULL), 401);
    assert_int_equal(line_admin(l, "GET", path, "wrong-token-0123456789", NULL), 401);
    assert_int_equal(line_admin(l, "GET", path, READ, &body), 403);
    assert_null(strstr(body, "sister"));
    free(body);
    body = NULL;
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM audit"), 0);
    /* Sam's own token: the note, its writer and when. */
    j = get_json(l, path, SAMT);
    assert_string_equal(json_string_value(json_object_get(j, "ref")), ref);
    assert_int_equal(json_array_size(json_object_get(j, "notes")), 1);
    n = json_array_get(json_object_get(j, "notes"), 0);
    assert_string_equal(json_string_value(json_object_get(n, "body")), NOTE1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(n, "writer"), "peer_id")),
                        "alex");
    assert_string_equal(json_string_value(json_object_get(json_object_get(n, "writer"), "name")),
                        "Alex");
    assert_true(json_is_string(json_object_get(n, "created_at")));
    json_decref(j);
    /* The read is in the audit, by Sam, done. */
    j = get_json(l, "/admin/api/audit", READ);
    actions = json_object_get(j, "actions");
    assert_int_equal(json_array_size(actions), 1);
    a = json_array_get(actions, 0);
    assert_string_equal(json_string_value(json_object_get(a, "action")), "read-notes");
    assert_string_equal(json_string_value(json_object_get(a, "coordinator")), "sam");
    assert_string_equal(json_string_value(json_object_get(a, "target")), ref);
    assert_string_equal(json_string_value(json_object_get(a, "state")), "done");
    assert_string_equal(json_string_value(json_object_get(a, "result")), "notes read: 1");
    json_decref(j);
    /* A chat that is not there, a path that is no reference: 404, not audited. */
    assert_int_equal(line_admin(l, "GET", "/admin/api/conversations/R9ZZZ/notes", SAMT, NULL), 404);
    assert_int_equal(line_admin(l, "GET", "/admin/api/conversations/nope!/notes", SAMT, NULL), 404);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM audit"), 1);
    /* Never on the dashboard's status. */
    assert_int_equal(line_admin(l, "GET", "/admin/api/status", READ, &body), 200);
    assert_null(strstr(body, "sister"));
    assert_null(strstr(body, "nights"));
    free(body);
    body = NULL;
    assert_int_equal(line_admin(l, "GET", "/admin/api/status", SAMT, &body), 200);
    assert_null(strstr(body, "sister"));
    free(body);
    /* Counted for /metrics and the report. */
    assert_true(line_metric(l, READ, "peerline_notes_written_total") == 1);
    assert_int_equal(line_cli(l, "report", NULL, &body), 0);
    assert_non_null(strstr(body, "\ntool,notes_written,1,"));
    free(body);
    assert_int_equal(line_cli(l, "report", "--format json", &body), 0);
    assert_non_null(strstr(body, "\"notes_written\": 1"));
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_note_reaches_the_next_peer_after_transfer, setup_notes,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_chats_own_notes_whatever_the_window, setup_no_window,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_note_just_after_the_chat_ends, setup_notes,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_late_note_never_lands_on_a_texter_only_offered,
                                        setup_no_pool, line_teardown),
        cmocka_unit_test_setup_teardown(a_note_after_transfer_follows_that_texter, setup_no_pool,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_coordinators_late_note_lands_on_their_last_chat,
                                        setup_notes, line_teardown),
        cmocka_unit_test_setup_teardown(notes_follow_the_texter_back, setup_notes, line_teardown),
        cmocka_unit_test_setup_teardown(a_note_reaches_the_peer_after_a_silent_one, setup_silence,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(long_notes_go_whole_in_as_few_texts_as_fit, setup_notes,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_note_needs_words_and_a_chat_taken, setup_notes,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(retention_takes_a_notes_words, setup_long_window,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_coordinator_reads_notes_with_their_own_token, setup_admin,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
