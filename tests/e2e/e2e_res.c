/*
 * e2e_res.c - resources (SPEC section 11) through a real `peerline serve`
 * and `peerline sim`: a peer in a chat texts #res and reads, on the chat's
 * pool number, the resources that fit the chat's topic and the texter's
 * language, in the peer's own language; #res ID sends that resource's text
 * to the texter from the line number, in the texter's language, confirms
 * to the peer, and is counted in /metrics. An unknown id, or one that does
 * not fit, gets the list; #res outside a chat says it works inside one. A
 * coordinator's edit to a resource's text reaches the next #res without a
 * restart, and `peerline check` (and the reload) refuse a resource with no
 * Spanish, with its line and column. Run under Twilio and Telnyx alike.
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

#define T1   "+15559880001"
#define T2   "+15559880002"
#define DANI "+15551230004" /* peer: grief; reads Spanish only */
#define READ "res-test-read-token-0123"

#define ALL_DAY                                                                                    \
    "    shifts:\n"                                                                                \
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"00:00\", end: \"12:00\"}\n"      \
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"12:00\", end: \"00:00\"}\n"

/* The roster up to its resources: (which are appended). */
#define BASE                                                                                       \
    "line_name: Test Line\n"                                                                       \
    "timezone: America/New_York\n"                                                                 \
    "topics:\n"                                                                                    \
    "  - {id: anxiety, label: Anxiety and stress, keywords: [anxious, panic]}\n"                   \
    "  - {id: grief, label: Grief and loss, keywords: [grief, died]}\n"                            \
    "  - {id: general, label: Something else}\n"                                                   \
    "peers:\n"                                                                                     \
    "  - id: alex\n"                                                                               \
    "    name: Alex\n"                                                                             \
    "    phone: \"" ALEX "\"\n"                                                                    \
    "    topics: [anxiety, general]\n"                                                             \
    "    languages: [en, es]\n"                                                                    \
    "    max_conversations: 2\n" ALL_DAY "  - id: dani\n"                                          \
    "    name: Dani\n"                                                                             \
    "    phone: \"" DANI "\"\n"                                                                    \
    "    topics: [grief]\n"                                                                        \
    "    languages: [es]\n" ALL_DAY "coordinators:\n"                                              \
    "  - {id: sam, name: Sam, phone: \"" SAM "\", on_call: true}\n"                                \
    "resources:\n"

#define LIFELINE_EN "988 Lifeline: call or text 988, any time, free."
#define LIFELINE_ES "Línea 988: llama o escribe al 988, a cualquier hora, gratis."
#define CALM_EN     "Calm Line: breathe with a volunteer at 555-0100, 9am-9pm."
#define DUELO_ES    "Grupo de duelo: los martes a las 19 h, en la biblioteca."

#define LIFELINE(en)                                                                               \
    "  - id: lifeline\n"                                                                           \
    "    label: 988 Lifeline\n"                                                                    \
    "    text:\n"                                                                                  \
    "      en: \"" en "\"\n"                                                                       \
    "      es: \"" LIFELINE_ES "\"\n"

#define OTHERS                                                                                     \
    "  - id: calm\n"                                                                               \
    "    label: Calm Line\n"                                                                       \
    "    topics: [anxiety]\n"                                                                      \
    "    text: {en: \"" CALM_EN "\", es: \"Línea Calma: respira con alguien al 555-0100.\"}\n"    \
    "  - id: duelo\n"                                                                              \
    "    label: Grupo de duelo\n"                                                                  \
    "    topics: [grief]\n"                                                                        \
    "    text: {en: \"Grief group: Tuesdays at 7pm, at the library.\", es: \"" DUELO_ES "\"}\n"

static const char roster[] = BASE LIFELINE(LIFELINE_EN) OTHERS;

#define EN_LIST                                                                                    \
    "Resources: lifeline (988 Lifeline), calm (Calm Line). Send #res ID to text one to the "       \
    "texter."

static int setup_res(void **state)
{
    static const struct line_opts o = {.roster = roster,
                                       .extra_config = "admin:\n  token: " READ "\n"};

    return line_setup(state, &o);
}

/* Fails unless `to` gets, from `from`, exactly `body` (waiting up to 5 s). */
static void must_get_exactly(struct line *l, long since, const char *to, const char *from,
                             const char *body)
{
    char *got = line_expect(l, since, to, from, body, 5000);

    if (!got)
        fail_msg("%s never got from %s: %s", to, from, body);
    assert_string_equal(got, body);
    free(got);
}

/* A Spanish texter (ES, then a keyword) taken by `peer` on POOL_A. */
static void connect_spanish(struct line *l, const char *texter, const char *first, const char *peer,
                            const char *name)
{
    char intro[64];
    long m = line_mark(l);

    assert_int_equal(line_text(l, texter, LINE_NUMBER, "ES"), 200);
    line_must_get(l, m, texter, LINE_NUMBER, "español");
    m = line_mark(l);
    assert_int_equal(line_text(l, texter, LINE_NUMBER, first), 200);
    line_must_get(l, m, peer, POOL_A, "#take");
    m = line_mark(l);
    assert_int_equal(line_text(l, peer, POOL_A, "#take"), 200);
    snprintf(intro, sizeof(intro), "Ya estás con %s", name);
    line_must_get(l, m, texter, LINE_NUMBER, intro);
    assert_int_equal(line_idle(l), 0);
}

static void res_lists_what_fits_the_chat(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#res"), 200);
    /* Every-topic and anxiety resources; not the grief group. */
    must_get_exactly(l, m, ALEX, POOL_A, EN_LIST);
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, m, T1, NULL), 0); /* the texter sees nothing of it */
}

static void res_id_goes_to_the_texter_from_the_line_number(void **state)
{
    struct line *l = *state;
    char *log;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#res LifeLine"), 200);
    must_get_exactly(l, m, T1, LINE_NUMBER, LIFELINE_EN);
    must_get_exactly(l, m, ALEX, POOL_A,
                     "Sent 988 Lifeline to the texter, from the line's main number.");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, m, T1, NULL), 1);
    assert_int_equal(line_count(l, m, ALEX, NULL), 1);
    /* Recorded and counted by id; logged by id, never its text. */
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM resource_sends WHERE resource_id ="
                                   " 'lifeline' AND peer_id = 'alex' AND lang = 'en'"),
                     1);
    assert_true(line_metric(l, READ, "peerline_resources_sent_total{resource=\"lifeline\"}") == 1);
    assert_true(line_metric(l, READ, "peerline_resources_sent_total{resource=\"calm\"}") == -1);
    assert_true(line_log_wait(l, "event=resource.sent", 1000));
    log = line_read_file(l->gateway_log);
    assert_non_null(log);
    assert_null(strstr(log, "any time, free"));
    free(log);
    /* A second send counts again. */
    assert_int_equal(line_text(l, ALEX, POOL_A, "#res calm"), 200);
    must_get_exactly(l, m, T1, LINE_NUMBER, CALM_EN);
    assert_int_equal(line_idle(l), 0);
    assert_true(line_metric(l, READ, "peerline_resources_sent_total{resource=\"calm\"}") == 1);
}

static void an_id_that_does_not_fit_gets_the_list(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#res trevor"), 200);
    must_get_exactly(l, m, ALEX, POOL_A, EN_LIST);
    m = line_mark(l);
    /* The grief group exists, but this chat is about anxiety. */
    assert_int_equal(line_text(l, ALEX, POOL_A, "#res duelo"), 200);
    must_get_exactly(l, m, ALEX, POOL_A, EN_LIST);
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, m, T1, NULL), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM resource_sends"), 0);
}

/* The texter chose Spanish: they read Spanish; Alex, who reads English first, reads English. */
static void a_spanish_chat_gets_the_spanish_text(void **state)
{
    struct line *l = *state;
    long m;

    connect_spanish(l, T1, "anxious", ALEX, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#res"), 200);
    must_get_exactly(l, m, ALEX, POOL_A, EN_LIST);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#res lifeline"), 200);
    must_get_exactly(l, m, T1, LINE_NUMBER, LIFELINE_ES);
    must_get_exactly(l, m, ALEX, POOL_A,
                     "Sent 988 Lifeline to the texter, from the line's main number.");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM resource_sends WHERE resource_id ="
                                   " 'lifeline' AND lang = 'es'"),
                     1);
}

/* A peer who reads Spanish only gets the list and the confirmation in Spanish. */
static void a_spanish_peer_reads_spanish(void **state)
{
    struct line *l = *state;
    long m;

    connect_spanish(l, T2, "my dad died", DANI, "Dani");
    m = line_mark(l);
    assert_int_equal(line_text(l, DANI, POOL_A, "#res"), 200);
    must_get_exactly(
        l, m, DANI, POOL_A,
        "Recursos: lifeline (988 Lifeline), duelo (Grupo de duelo). Envía #res ID para mandarle "
        "uno a la persona.");
    m = line_mark(l);
    assert_int_equal(line_text(l, DANI, POOL_A, "#res DUELO"), 200);
    must_get_exactly(l, m, T2, LINE_NUMBER, DUELO_ES);
    must_get_exactly(
        l, m, DANI, POOL_A,
        "Enviamos Grupo de duelo a la persona, desde el número principal de la línea.");
}

static void res_outside_a_chat_says_where_it_works(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#res"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "That works inside a chat");
    /* Offered, not taken yet: nothing reaches the texter. */
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I'm anxious"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#res lifeline"), 200);
    line_must_get(l, m, ALEX, POOL_A, "That works inside a chat");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, m, T1, NULL), 0);
}

/* A coordinator edits a resource's text: the next #res sends the new words, no restart. */
static void an_edited_resource_is_sent_after_the_reload(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    assert_int_equal(line_rewrite(l->roster,
                                  BASE LIFELINE("988 Lifeline: call, text or chat 988, free.")
                                      OTHERS),
                     0);
    assert_true(line_log_wait(l, "event=roster.reloaded", 5000));
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#res lifeline"), 200);
    must_get_exactly(l, m, T1, LINE_NUMBER, "988 Lifeline: call, text or chat 988, free.");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_occurrences(l, T1, NULL, LIFELINE_EN), 0);
}

static int lines_in(const char *s)
{
    int n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* A resource with no Spanish: check refuses it at its text:, and so does the reload. */
static void check_refuses_a_resource_without_spanish(void **state)
{
    static const char no_spanish[] = BASE "  - id: lifeline\n"
                                          "    label: 988 Lifeline\n"
                                          "    text:\n"
                                          "      en: \"" LIFELINE_EN "\"\n";
    struct line *l = *state;
    char want[160], *out = NULL;
    long m;

    assert_int_equal(line_rewrite(l->roster, no_spanish), 0);
    snprintf(want, sizeof(want), "roster.yaml:%d:5: resource lifeline has no es text",
             lines_in(BASE) + 3);
    assert_true(line_log_wait(l, "event=roster.reload_failed problems=1 kept=running", 5000));
    assert_true(line_log_wait(l, want, 100));
    assert_int_equal(line_cli(l, "check", NULL, &out), 1);
    assert_non_null(strstr(out, want));
    free(out);
    /* The line runs on as it was: the Spanish text is still there to send. */
    connect_spanish(l, T1, "anxious", ALEX, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#res lifeline"), 200);
    must_get_exactly(l, m, T1, LINE_NUMBER, LIFELINE_ES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(res_lists_what_fits_the_chat, setup_res, line_teardown),
        cmocka_unit_test_setup_teardown(res_id_goes_to_the_texter_from_the_line_number, setup_res,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(an_id_that_does_not_fit_gets_the_list, setup_res,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_spanish_chat_gets_the_spanish_text, setup_res,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_spanish_peer_reads_spanish, setup_res, line_teardown),
        cmocka_unit_test_setup_teardown(res_outside_a_chat_says_where_it_works, setup_res,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(an_edited_resource_is_sent_after_the_reload, setup_res,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(check_refuses_a_resource_without_spanish, setup_res,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
