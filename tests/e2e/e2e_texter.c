/*
 * e2e_texter.c - the texts people actually send, seen from the phones: a
 * Spanish texter matched only to a Spanish-speaking peer, with every system
 * text in Spanish; a burst of fragments and a flood reaching the peer merged,
 * without losing a word; pictures; emoji and other scripts; a 2,000-character
 * relay split on word boundaries; a 60,000-character text shortened to what
 * one text holds; empty texts.
 */
#include "harness.h"
#include "sms.h"

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
#define WAIT 5000

#define ALL_DAY                                                                                    \
    "    shifts:\n"                                                                                \
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"00:00\", end: \"12:00\"}\n"      \
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"12:00\", end: \"00:00\"}\n"

/* Blair (English only) comes first in the roster; Alex speaks Spanish too. */
static const char roster_langs[] = "line_name: Test Line\n"
                                   "timezone: America/New_York\n"
                                   "topics:\n"
                                   "  - {id: anxiety, label: Ansiedad, keywords: [anxious]}\n"
                                   "peers:\n"
                                   "  - id: blair\n"
                                   "    name: Blair\n"
                                   "    phone: \"" BLAIR "\"\n"
                                   "    topics: [anxiety]\n" ALL_DAY "  - id: alex\n"
                                   "    name: Alex\n"
                                   "    phone: \"" ALEX "\"\n"
                                   "    topics: [anxiety]\n"
                                   "    languages: [en, es]\n" ALL_DAY "coordinators:\n"
                                   "  - {id: sam, name: Sam, phone: \"" SAM "\", on_call: true}\n";

static int setup_langs(void **state)
{
    static const struct line_opts o = {.roster = roster_langs};

    return line_setup(state, &o);
}

/* Fails when any of the English words appear in what `to` received after `since`. */
static void nothing_in_english(struct line *l, long since, const char *to)
{
    static const char *const english[] = {"You", "you", "Thanks", "Reply", "chat ended", "peer"};
    long id = since;
    size_t i;
    char *body;

    while ((id = line_find(l, id, to, NULL, NULL, 0)) > 0) {
        body = line_expect(l, id - 1, to, NULL, NULL, 0);
        assert_non_null(body);
        for (i = 0; i < sizeof(english) / sizeof(english[0]); i++)
            if (strstr(body, english[i]))
                fail_msg("English \"%s\" in a text to the Spanish texter: %s", english[i], body);
        free(body);
    }
}

static void spanish_texter_gets_a_spanish_peer_and_spanish_texts(void **state)
{
    struct line *l = *state;
    long m = line_mark(l), start;

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hola"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Para español, responde ES");
    start = m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "es"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "¿De qué te gustaría hablar?");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "1"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Eres el número 1 en la fila para Ansiedad");
    /* Blair comes first but does not speak Spanish: only Alex is offered it. */
    line_must_get(l, m, ALEX, POOL_A, "Spanish");
    assert_int_equal(line_count(l, m, BLAIR, NULL), 0);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#take"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Ya estás con Alex");
    assert_int_equal(line_text(l, ALEX, POOL_A, "Hola, soy Alex. ¿Cómo estás?"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Hola, soy Alex. ¿Cómo estás?");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "BYE"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Chat terminado");
    assert_int_equal(line_count(l, m, BLAIR, NULL), 0);
    nothing_in_english(l, start, T1);
    /* The choice is kept: the next conversation starts in Spanish. */
    line_sleep(200);
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hola otra vez"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "¿De qué te gustaría hablar?");
    line_must_get(l, m, T1, LINE_NUMBER, "For English, reply EN");
}

static void spanish_with_no_spanish_peer_is_told_honestly(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    /* Alex, the only Spanish speaker, is off. */
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#off"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "off");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "ES"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "en español");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "anxious"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "no hay pares de turno");
    line_sleep(300);
    assert_int_equal(line_count(l, m, BLAIR, NULL), 0);
}

static int setup_gap(void **state)
{
    static const struct line_opts o = {.limits = "  relay_gap: 2s\n"};

    return line_setup(state, &o);
}

static int setup_flood(void **state)
{
    static const struct line_opts o = {.limits = "  relay_gap: 1s\n  flood_after: 5\n"};

    return line_setup(state, &o);
}

static void a_burst_of_fragments_reaches_the_peer_as_one_text(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "so"), 200);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I've been"), 200);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "feeling really"), 200);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "low lately"), 200);
    line_must_get(l, m, ALEX, POOL_A, "so\nI've been\nfeeling really\nlow lately");
    line_sleep(2500);
    assert_int_equal(line_count(l, m, ALEX, NULL), 1);
    /* The reply comes back the same way: held a moment, then whole. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "I'm here."), 200);
    assert_int_equal(line_text(l, ALEX, POOL_A, "Tell me more?"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "I'm here.\nTell me more?");
    assert_int_equal(line_count(l, m, T1, NULL), 1);
}

static void a_flood_is_merged_without_losing_a_word(void **state)
{
    struct line *l = *state;
    char word[32], *all;
    const char *at;
    long m;
    int i, texts;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    for (i = 1; i <= 40; i++) {
        snprintf(word, sizeof(word), "word%02d", i);
        assert_int_equal(line_text(l, T1, LINE_NUMBER, word), 200);
    }
    line_must_get(l, m, ALEX, POOL_A, "word40");
    line_must_get(l, m, T1, LINE_NUMBER, "Nothing is lost");
    line_sleep(1500);
    /* Every word, in order, in far fewer texts than were sent. */
    all = line_all_to(l, ALEX);
    at = all;
    for (i = 1; i <= 40; i++) {
        snprintf(word, sizeof(word), "word%02d", i);
        at = strstr(at, word);
        if (!at)
            fail_msg("%s is missing or out of order", word);
    }
    free(all);
    texts = line_count(l, m, ALEX, NULL);
    assert_true(texts >= 1 && texts <= 10);
    /* One notice, and no other reply to the texter. */
    assert_int_equal(line_count(l, m, T1, NULL), 1);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM inbound WHERE body LIKE 'word%'"), 40);
}

static void emoji_and_other_scripts_arrive_intact(void **state)
{
    struct line *l = *state;
    static const char text[] = "\xf0\x9f\x98\xa2 \xd0\x9c\xd0\xbd\xd0\xb5 "
                               "\xe4\xbd\xa0\xe5\xa5\xbd \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7";
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, text), 200);
    line_must_get(l, m, ALEX, POOL_A, text);
    assert_int_equal(line_text(l, ALEX, POOL_A, "\xf0\x9f\x92\x9b here for you"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "\xf0\x9f\x92\x9b here for you");
}

/* GSM-7 segments of n plain characters: 160 alone, 153 each when split. */
static long gsm_segments(size_t n)
{
    return n <= 160 ? 1 : (long)((n + 152) / 153);
}

/* n characters of numbered words ("word0 word1 ..."), GSM-7 (free it). */
static char *short_words(size_t n, int first)
{
    char *s = malloc(n + 32);
    size_t len = 0;

    assert_non_null(s);
    while (len < n)
        len += (size_t)snprintf(s + len, n + 32 - len, "%sword%d", len ? " " : "", first++);
    s[n] = '\0';
    return s;
}

/*
 * A relay over 1,600 characters (what a texter wrote while waiting: a
 * thousand characters twice) goes as two texts, split on a word boundary.
 */
static void a_long_relay_is_split_on_word_boundaries(void **state)
{
    struct line *l = *state;
    char *t1 = short_words(1000, 0), *t2 = short_words(1000, 500), *p1, *p2, sql[200];
    char *whole = malloc(2100);
    size_t len1, len2, n;
    long m = line_mark(l), first, second;

    assert_non_null(whole);
    n = (size_t)snprintf(whole, 2100, "I'm anxious\n%s\n%s", t1, t2);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I'm anxious"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, t1), 200);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, t2), 200);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#take"), 200);
    first = line_find(l, m, ALEX, POOL_A, "I'm anxious", WAIT);
    assert_true(first > 0);
    second = line_find(l, first, ALEX, POOL_A, NULL, WAIT);
    assert_true(second > 0);
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, first - 1, ALEX, NULL), 2);
    p1 = line_expect(l, first - 1, ALEX, POOL_A, NULL, 0);
    p2 = line_expect(l, second - 1, ALEX, POOL_A, NULL, 0);
    assert_non_null(p1);
    assert_non_null(p2);
    len1 = strlen(p1);
    len2 = strlen(p2);
    assert_true(len1 <= 1600 && len2 <= 1600);
    /* Cut at a space or a newline: the two parts, joined by it, are the texts word for word. */
    assert_int_equal(len1 + 1 + len2, n);
    assert_memory_equal(p1, whole, len1);
    assert_true(whole[len1] == ' ' || whole[len1] == '\n');
    assert_memory_equal(p2, whole + len1 + 1, len2);
    /* Segments are counted per part for cost reporting. */
    snprintf(sql, sizeof(sql),
             "SELECT SUM(segments) FROM outbox WHERE to_number = '%s' AND kind = 1", ALEX);
    assert_int_equal(line_query(l, sql), gsm_segments(len1) + gsm_segments(len2));
    free(p1);
    free(p2);
    free(t1);
    free(t2);
    free(whole);
}

/*
 * A text of exactly n characters: numbered words of 99 letters ("word0aaa...
 * word1aaa..."), few spaces, so that 60,000 of them fit a form under 64 KiB.
 */
static char *long_words(size_t n)
{
    char *s = malloc(n + 1);
    size_t len = 0;
    int w = 0;

    assert_non_null(s);
    while (len < n) {
        size_t start = len;
        len += (size_t)snprintf(s + len, n + 1 - len, "%sword%d", len ? " " : "", w++);
        while (len < n && len - start < 100)
            s[len++] = 'a';
    }
    s[n] = '\0';
    return s;
}

/* n times the UTF-8 character ch (n * strlen(ch) bytes). */
static char *repeated(const char *ch, size_t n)
{
    size_t k = strlen(ch), i;
    char *s = malloc(n * k + 1);

    assert_non_null(s);
    for (i = 0; i < n; i++)
        memcpy(s + i * k, ch, k);
    s[n * k] = '\0';
    return s;
}

/* The one relay to `to` since m: its body (free it); fails unless there is exactly one. */
static char *the_relay(struct line *l, long m, const char *to, const char *starts)
{
    long id = line_find(l, m, to, NULL, starts, WAIT);
    char *body;

    assert_true(id > 0);
    body = line_expect(l, id - 1, to, NULL, starts, 0);
    assert_non_null(body);
    assert_int_equal(line_find(l, id, to, NULL, starts, 0), 0);
    return body;
}

/*
 * One inbound text costs at most what one text may hold (1,600 characters,
 * Twilio's limit for a body): a signed 60,000-character text reaches the peer
 * as its first 1,600 characters (11 segments, not 416) and one short note
 * that it was shortened; the whole text stays in the database, and the
 * crisis tripwire reads all of it. A peer's own huge text reaches the texter
 * the same way, cut between two characters, and the peer is the one told.
 */
static void a_huge_text_is_shortened_not_fanned_out(void **state)
{
    struct line *l = *state;
    char *big = long_words(60000), *mine = repeated("\xc3\xa9", 9000), *got; /* é */
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, big), 200);
    line_must_get(l, m, ALEX, POOL_A, "was too long to pass on whole");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, m, ALEX, NULL), 2); /* the first part, and the note */
    got = the_relay(l, m, ALEX, "word0aaa");
    assert_int_equal(strlen(got), 1600);
    assert_memory_equal(got, big, 1600);
    assert_true(sms_segments(got) <= (1600 + 152) / 153);
    free(got);
    assert_int_equal(line_count(l, m, T1, NULL), 0); /* the texter is not scolded */
    assert_int_equal(line_query(l, "SELECT MAX(length(body)) FROM inbound"), 60000);
    /* Crisis words past the cut are still read: safety text, alert. */
    memcpy(big + 50000, " want to die ", 13);
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, big), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "988");
    line_must_get(l, m, SAM, LINE_NUMBER, "crisis words");
    /* The peer's own: the texter reads the first 1,600 characters; the peer hears why. */
    assert_int_equal(line_idle(l), 0);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, mine), 200);
    line_must_get(l, m, ALEX, POOL_A, "Your message was too long");
    assert_int_equal(line_idle(l), 0);
    got = the_relay(l, m, T1, "\xc3\xa9\xc3\xa9\xc3\xa9");
    assert_int_equal(strlen(got), 3200); /* 1,600 characters of two bytes: none cut in half */
    assert_memory_equal(got, mine, 3200);
    assert_true(sms_segments(got) <= (1600 + 66) / 67);
    free(got);
    assert_int_equal(line_count(l, m, T1, NULL), 1);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM outbox WHERE length(body) > 1600"), 0);
    free(big);
    free(mine);
}

/*
 * On a line that holds relays for relay_gap, the note that a text was cut
 * still comes after it: the peer reads the first 1,600 characters, then the
 * note, never a note about a text that has not come. (Texts to one phone
 * from one number leave in order, so the note waits behind its relay.)
 */
static void the_cut_note_follows_its_relay(void **state)
{
    struct line *l = *state;
    char *big = long_words(3000);
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, big), 200);
    line_must_get(l, m, ALEX, POOL_A, "was too long to pass on whole");
    /* When the note is there, the part it speaks of is there already. */
    assert_int_equal(line_count(l, m, ALEX, POOL_A), 2);
    free(big);
}

/*
 * What a texter writes while waiting is kept for the peer, each text at most
 * 1,600 characters of it; the peer reads it after #take, with the note.
 */
static void a_huge_text_while_waiting_is_shortened_too(void **state)
{
    struct line *l = *state;
    char *big = long_words(60000), *all;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I'm anxious"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, big), 200);
    line_sleep(300);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#take"), 200);
    line_must_get(l, m, ALEX, POOL_A, "was too long to pass on whole");
    assert_int_equal(line_idle(l), 0);
    /* Introduction, what they wrote (13 + 1,600 characters: two texts), the note. */
    assert_true(line_count(l, m, ALEX, NULL) <= 4);
    all = line_all_to(l, ALEX);
    assert_non_null(strstr(all, "I'm anxious"));
    assert_non_null(strstr(all, "word15a"));
    assert_null(strstr(all, "word16a")); /* past the first 1,600 characters */
    free(all);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM outbox WHERE length(body) > 1600"), 0);
    assert_int_equal(line_query(l, "SELECT MAX(length(body)) FROM inbound"), 60000);
    free(big);
}

static void empty_texts_are_ignored(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, ""), 200);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "   "), 200);
    line_sleep(500);
    assert_int_equal(line_count(l, m, T1, NULL), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations"), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM inbound"), 2); /* stored all the same */
    /* In a chat, too: nothing is relayed. */
    line_connect(l, T2, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T2, LINE_NUMBER, " "), 200);
    assert_int_equal(line_text(l, ALEX, POOL_A, ""), 200);
    line_sleep(500);
    assert_int_equal(line_count(l, m, ALEX, NULL), 0);
    assert_int_equal(line_count(l, m, T2, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(spanish_texter_gets_a_spanish_peer_and_spanish_texts,
                                        setup_langs, line_teardown),
        cmocka_unit_test_setup_teardown(spanish_with_no_spanish_peer_is_told_honestly, setup_langs,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_burst_of_fragments_reaches_the_peer_as_one_text,
                                        setup_gap, line_teardown),
        cmocka_unit_test_setup_teardown(a_flood_is_merged_without_losing_a_word, setup_flood,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(emoji_and_other_scripts_arrive_intact, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_long_relay_is_split_on_word_boundaries,
                                        line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(empty_texts_are_ignored, line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(a_huge_text_is_shortened_not_fanned_out, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_huge_text_while_waiting_is_shortened_too,
                                        line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(the_cut_note_follows_its_relay, setup_gap, line_teardown),

    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
