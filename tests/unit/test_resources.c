/*
 * test_resources.c - the roster's `resources:` (config/resources.c, SPEC
 * section 11) and their judgement with the config (gateway/engine/
 * rescheck.c, through linecheck_pair as `peerline check` runs it). A good
 * list loads with topics resolved to indices and a text per language; each
 * mistake is reported as `peerline check` prints it ("FILE:LINE:COL:
 * message"); a resource missing a language the line ships or offers, or
 * longer than two segments, is refused at its place; and the peer's
 * confirmation fits its budget with the longest label a resource may have.
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

#include "config.h"
#include "diag.h"
#include "linecheck.h"
#include "loadcase.h"
#include "resources.h"
#include "roster.h"
#include "texts.h"

static void *load_roster(const char *path, struct diag *d)
{
    return roster_load(path, NULL, d);
}

static void release_roster(void *r)
{
    roster_free(r);
}

/* Lines 1-10; the first resource starts on line 11. */
#define HEAD                                                                                       \
    "line_name: Test Line\n"                                                                       \
    "timezone: America/New_York\n"                                                                 \
    "topics:\n"                                                                                    \
    "  - {id: anxiety, label: Anxiety}\n"                                                          \
    "  - {id: grief, label: Grief}\n"                                                              \
    "peers:\n"                                                                                     \
    "  - {id: alex, name: Alex, phone: \"+15551230001\", topics: [anxiety]}\n"                     \
    "coordinators:\n"                                                                              \
    "  - {id: sam, name: Sam, phone: \"+15551239999\", on_call: true}\n"                           \
    "resources:\n"

static const char good[] = HEAD "  - id: lifeline\n"        /* 11 */
                                "    label: 988 Lifeline\n" /* 12 */
                                "    text:\n"               /* 13 */
                                "      en: \"Call or text 988, any time.\"\n"
                                "      es: \"Llama o escribe al 988, a cualquier hora.\"\n"
                                "  - id: grief-group\n" /* 16 */
                                "    label: Grief Group\n"
                                "    topics: [grief]\n"
                                "    text: {en: \"Grief group, Tuesdays.\", es: \"Grupo de duelo, "
                                "los martes.\"}\n";

static int setup(void **state)
{
    (void)state;
    return loadcase_setup("roster.yaml");
}

static int teardown(void **state)
{
    char path[160];

    (void)state;
    snprintf(path, sizeof(path), "%s/peerline.yaml", g_dir);
    unlink(path);
    return loadcase_teardown();
}

static void a_good_list_loads_resolved(void **state)
{
    struct roster *r = loadcase_ok(load_roster, good);
    const struct roster_resource *a, *b;

    (void)state;
    assert_int_equal(r->nresources, 2);
    a = &r->resources[0];
    b = &r->resources[1];
    assert_string_equal(a->id, "lifeline");
    assert_string_equal(a->label, "988 Lifeline");
    assert_int_equal(a->ntopics, 0); /* every topic */
    assert_true(resource_fits_topic(a, 0) && resource_fits_topic(a, 1) &&
                resource_fits_topic(a, -1));
    assert_string_equal(resource_text(a, "en"), "Call or text 988, any time.");
    assert_string_equal(resource_text(a, "es"), "Llama o escribe al 988, a cualquier hora.");
    assert_null(resource_text(a, "fr"));
    assert_int_equal(a->text_line, 13);
    assert_int_equal(a->text_col, 5);
    assert_int_equal(b->ntopics, 1);
    assert_int_equal(b->topics[0], roster_topic_index(r, "grief"));
    assert_true(resource_fits_topic(b, roster_topic_index(r, "grief")));
    assert_false(resource_fits_topic(b, roster_topic_index(r, "anxiety")));
    assert_false(resource_fits_topic(b, -1)); /* a topic no longer on the roster */
    /* Peers may type an id in any case. */
    assert_ptr_equal(resources_find(r->resources, r->nresources, "LifeLine"), a);
    assert_ptr_equal(resources_find(r->resources, r->nresources, "grief-group"), b);
    assert_null(resources_find(r->resources, r->nresources, "trevor"));
    roster_free(r);
}

static void a_roster_without_resources_has_none(void **state)
{
    struct roster *r = loadcase_ok(load_roster, HEAD);

    (void)state;
    assert_int_equal(r->nresources, 0);
    assert_null(resources_find(r->resources, r->nresources, "lifeline"));
    roster_free(r);
}

static void each_mistake_at_its_place(void **state)
{
    static const struct bad_case cases[] = {
        {"an unknown key, no label, no text",
         HEAD "  - id: lifeline\n"
              "    url: https://988lifeline.org\n",
         {{12, 5, "unknown key \"url\" in resource (id, label, topics, text)"},
          {11, 5, "resource lifeline: missing label"},
          {11, 5, "resource lifeline: missing text (each language's words, e.g. en: \"...\")"}}},
        {"no id",
         HEAD "  - {label: Lifeline, text: {en: a, es: b}}\n",
         {{11, 5, "resource: missing id"}}},
        {"an id with a space and capitals",
         HEAD "  - {id: Life Line, label: Lifeline, text: {en: a, es: b}}\n",
         {{11, 10, "resource id \"Life Line\" must be lower-case letters, digits, _ or -"}}},
        {"the same id twice",
         HEAD "  - {id: lifeline, label: Lifeline, text: {en: a, es: b}}\n"
              "  - {id: lifeline, label: Lifeline again, text: {en: c, es: d}}\n",
         {{12, 10, "duplicate resource id \"lifeline\""}}},
        {"an unknown topic, a topic twice",
         HEAD "  - {id: x, label: X, topics: [grief, grief, loneliness], text: {en: a, es: b}}\n",
         {{11, 39, "topic \"grief\" is listed twice"}, {11, 46, "unknown topic \"loneliness\""}}},
        {"an empty topic list",
         HEAD "  - {id: x, label: X, topics: [], text: {en: a, es: b}}\n",
         {{11, 31,
           "resource x: topics must be a list of topic ids, e.g. [grief] (leave it out for every "
           "topic)"}}},
        {"languages that are not codes, an empty text",
         HEAD "  - id: x\n"
              "    label: X\n"
              "    text:\n"
              "      EN: a\n"       /* 14 */
              "      english: b\n"  /* 15 */
              "      es: \"  \"\n", /* 16 */
         {{14, 7,
           "resource x: language \"EN\" must be a 2- or 3-letter lower-case code such as en "
           "or es"},
          {15, 7,
           "resource x: language \"english\" must be a 2- or 3-letter lower-case code such as en "
           "or es"},
          {16, 11, "resource x: the es text is empty"}}},
        {"text not a mapping",
         HEAD "  - {id: x, label: X, text: \"Call 988\"}\n",
         {{11, 29, "resource x: text must map each language to its text, e.g. en: \"...\""}}},
        {"a label too long for a list",
         HEAD
         "  - {id: x, label: Riverside County Crisis and Support Lines, text: {en: a, es: b}}\n",
         {{11, 20, "resource x: label is 41 characters (at most 40: peers read it in lists)"}}},
        {"an entry that is not a mapping",
         HEAD "  - lifeline\n",
         {{11, 5, "each resource must be a mapping with id, label and text"}}},
        {"resources not a list",
         HEAD "  id: lifeline\n",
         {{11, 3, "roster: resources must be a list of resources (id, label, text)"}}},
    };

    (void)state;
    loadcase_bad(load_roster, release_roster, cases, NCASES(cases));
}

/* The roster (written to g_path) judged with a config offering `languages`, as check does. */
static struct diag *judge(const char *roster_yaml, const char *languages)
{
    char cfg_path[160], cfg[1024];
    struct config *c;
    struct roster *r;
    struct texts *t;
    struct diag *d = diag_new();

    assert_non_null(d);
    snprintf(cfg_path, sizeof(cfg_path), "%s/peerline.yaml", g_dir);
    snprintf(cfg, sizeof(cfg),
             "roster: roster.yaml\n"
             "languages: %s\n"
             "provider:\n"
             "  account_sid: AC0123456789abcdef0123456789abcdef\n"
             "  auth_token: secret\n"
             "  line_number: \"+15005550006\"\n",
             languages);
    write_file(cfg_path, cfg, strlen(cfg));
    write_file(g_path, roster_yaml, strlen(roster_yaml));
    c = config_load(cfg_path, NULL, d);
    assert_non_null(c);
    r = roster_load(g_path, NULL, d);
    assert_non_null(r);
    /* A language the line adds (fr) has no shipped templates: the texts are not judged then. */
    t = strchr(languages, 'f') ? NULL : texts_new(c, d);
    assert_int_equal(diag_count(d), 0);
    linecheck_pair(c, t, r, d);
    texts_free(t);
    roster_free(r);
    config_free(c);
    return d;
}

static void expect(const struct diag *d, size_t i, int line, int col, const char *msg)
{
    char want[1024];

    snprintf(want, sizeof(want), "%s:%d:%d: %s", g_path, line, col, msg);
    assert_string_equal(diag_get(d, i), want);
}

static void check_wants_every_language(void **state)
{
    struct diag *d;

    (void)state;
    /* The shipped pair, good. */
    d = judge(good, "[en, es]");
    if (diag_count(d))
        diag_print(d, stderr);
    assert_int_equal(diag_count(d), 0);
    diag_free(d);

    /* Spanish is shipped, so it is required even of a line that offers English alone. */
    d = judge(HEAD "  - id: lifeline\n"
                   "    label: 988 Lifeline\n"
                   "    text:\n" /* 13 */
                   "      en: \"Call or text 988.\"\n",
              "[en]");
    assert_int_equal(diag_count(d), 1);
    expect(d, 0, 13, 5,
           "resource lifeline has no es text: each resource needs every language peerline ships "
           "(en, es) and every language the line offers");
    diag_free(d);

    /* A language the line adds is required too, and English, whatever the line offers. */
    d = judge(HEAD "  - {id: lifeline, label: Lifeline, text: {es: \"Llama al 988.\"}}\n",
              "[en, es, fr]");
    assert_int_equal(diag_count(d), 2);
    expect(d, 0, 11, 37,
           "resource lifeline has no en text: each resource needs every language peerline ships "
           "(en, es) and every language the line offers");
    expect(d, 1, 11, 37,
           "resource lifeline has no fr text: each resource needs every language peerline ships "
           "(en, es) and every language the line offers");
    diag_free(d);
}

static void check_counts_segments(void **state)
{
    char yaml[4096], en[400], es[200];
    struct diag *d;

    (void)state;
    /* 306 GSM-7 characters are two segments; 307 are three. */
    memset(en, 'a', 307);
    en[307] = '\0';
    /* 134 UCS-2 characters are two segments; 135 are three. */
    snprintf(es, sizeof(es), "%s", "Línea ");
    memset(es + strlen(es), 'b', 129);
    es[strlen("Línea ") + 129] = '\0';
    snprintf(yaml, sizeof(yaml),
             HEAD "  - id: long\n"
                  "    label: Long\n"
                  "    text:\n"
                  "      en: \"%s\"\n"  /* 14 */
                  "      es: \"%s\"\n", /* 15 */
             en, es);
    d = judge(yaml, "[en, es]");
    assert_int_equal(diag_count(d), 2);
    expect(d, 0, 14, 11,
           "resource long: the en text is 3 segments, 307 characters (at most 2 segments: 306 "
           "characters)");
    expect(d, 1, 15, 11,
           "resource long: the es text is 3 segments, 135 characters (at most 2 segments: 134 "
           "characters, since it needs UCS-2 for an accent like í, another script or an emoji)");
    diag_free(d);

    /* One character less of each: both fit. */
    en[306] = '\0';
    es[strlen(es) - 1] = '\0';
    snprintf(yaml, sizeof(yaml),
             HEAD "  - id: long\n    label: Long\n    text:\n      en: \"%s\"\n      es: \"%s\"\n",
             en, es);
    d = judge(yaml, "[en, es]");
    if (diag_count(d))
        diag_print(d, stderr);
    assert_int_equal(diag_count(d), 0);
    diag_free(d);
}

/* The peer's confirmation names the label: with the longest one allowed, it fits its budget. */
static void the_confirmation_fits_with_the_longest_label(void **state)
{
    struct diag *d;

    (void)state;
    d = judge(HEAD "  - {id: x, label: Riverside County Crisis and Support Line, text: {en: a, es: "
                   "b}}\n",
              "[en, es]");
    if (diag_count(d))
        diag_print(d, stderr);
    assert_int_equal(diag_count(d), 0);
    diag_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_good_list_loads_resolved),
        cmocka_unit_test(a_roster_without_resources_has_none),
        cmocka_unit_test(each_mistake_at_its_place),
        cmocka_unit_test(check_wants_every_language),
        cmocka_unit_test(check_counts_segments),
        cmocka_unit_test(the_confirmation_fits_with_the_longest_label),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
