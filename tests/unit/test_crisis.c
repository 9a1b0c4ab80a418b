/*
 * test_crisis.c - gateway/engine/crisis.c: the tripwire's normal form (case,
 * accents, punctuation, other scripts, invalid UTF-8) and whole-word
 * matching, with the false positives it must not trip on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "crisis.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void norm_is(const char *in, const char *want)
{
    char out[256];
    size_t need = crisis_normalize(in, out, sizeof(out));

    assert_string_equal(out, want);
    assert_int_equal(need, strlen(want));
}

static void normal_form(void **state)
{
    (void)state;
    norm_is("", " ");
    norm_is("   ", " ");
    norm_is("Kill MYSELF", " kill myself ");
    norm_is("  kill,,myself!!! ", " kill myself ");
    norm_is("Suicídio", " suicidio ");
    norm_is("Suici\xcc\x81"
            "dio",
            " suicidio "); /* decomposed: i + combining acute */
    norm_is("HACERME DAÑO", " hacerme dano ");
    norm_is("Łódź", " lodz ");
    norm_is("don\xe2\x80\x99t", " don t "); /* a typographic apostrophe is a separator */
    norm_is("don't", " don t ");
    norm_is("self-harm", " self harm ");
    norm_is("\xd0\x9f\xd1\x80\xd0\xb8", " \xd0\x9f\xd1\x80\xd0\xb8 "); /* Cyrillic kept */
    norm_is("a\xff"
            "b",
            " a b ");                        /* invalid byte */
    norm_is("\xf0\x9f\x98\xa2sad", " sad "); /* emoji separates */
}

static void normal_form_truncates_safely(void **state)
{
    char out[6];
    size_t need;

    (void)state;
    need = crisis_normalize("kill myself", out, sizeof(out));
    assert_int_equal(need, strlen(" kill myself "));
    assert_int_equal(strlen(out), sizeof(out) - 1);
    assert_int_equal(crisis_normalize("abc", NULL, 0), 5);
}

static struct crisis *defaults(void)
{
    static char *phrases[] = {
        "suicide",   "kill myself",  "kms",          "overdose", "don't want to live",
        "self-harm", "quiero morir", "hacerme daño", "  ",       "!!"};
    struct crisis *c = crisis_new(phrases, N(phrases));

    assert_non_null(c);
    return c;
}

static void matches_whole_words_in_any_case(void **state)
{
    struct crisis *c = defaults();
    static const char *const hits[] = {
        "I want to kill myself",
        "KILL. MYSELF.",
        "thinking about suicide tonight",
        "suicide",
        "idk kms",
        "took an overdose",
        "I don\xe2\x80\x99t want to live",
        "self harm again",
        "Quiero MORIR",
        "quiero\nmorir",
        "no quiero hacerme dano",
        "no quiero hacerme daño",
    };
    static const char *const misses[] = {
        "",
        "I need a new skill myself",
        "my suicidesquad poster",
        "overdosed on coffee", /* not in this list: the defaults carry it */
        "self harmony",
        "kill my self",
        "500 kmsq",
        "quiero morirme de risa",
        "I don't want to lively",
        "I dont want to live", /* another word: the defaults list "dont" too */
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(hits); i++)
        if (!crisis_match(c, hits[i]))
            fail_msg("\"%s\" should match", hits[i]);
    for (i = 0; i < N(misses); i++)
        if (crisis_match(c, misses[i]))
            fail_msg("\"%s\" should not match", misses[i]);
    crisis_free(c);
}

static void long_texts_are_read_whole(void **state)
{
    struct crisis *c = defaults();
    size_t n = 5000;
    char *s = malloc(n + 32);

    (void)state;
    assert_non_null(s);
    memset(s, 'a', n);
    s[n] = '\0';
    memcpy(s + n, " kill myself", sizeof(" kill myself"));
    assert_int_equal(crisis_match(c, s), 1);
    s[n] = '\0';
    assert_int_equal(crisis_match(c, s), 0);
    free(s);
    crisis_free(c);
}

static void empty_list_matches_nothing(void **state)
{
    struct crisis *c = crisis_new(NULL, 0);

    (void)state;
    assert_non_null(c);
    assert_int_equal(crisis_match(c, "suicide"), 0);
    crisis_free(c);
    crisis_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normal_form),
        cmocka_unit_test(normal_form_truncates_safely),
        cmocka_unit_test(matches_whole_words_in_any_case),
        cmocka_unit_test(long_texts_are_read_whole),
        cmocka_unit_test(empty_list_matches_nothing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
