/*
 * e2e_texter.c - the texts people actually send, seen from the phones: a
 * Spanish texter matched only to a Spanish-speaking peer, with every system
 * text in Spanish; a burst of fragments and a flood reaching the peer merged,
 * without losing a word; pictures; emoji and other scripts; a 2,000-character
 * reply split on word boundaries; empty texts.
 */
#include "harness.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(spanish_texter_gets_a_spanish_peer_and_spanish_texts,
                                        setup_langs, line_teardown),
        cmocka_unit_test_setup_teardown(spanish_with_no_spanish_peer_is_told_honestly, setup_langs,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
