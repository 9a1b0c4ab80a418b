/*
 * test_texts.c - gateway/texts.c: every English template exists and is plain ASCII, {name}
 * placeholders are filled (unknown ones left as written), and the SPEC 5.5 budget: rendered
 * with the longest plausible values, every routine text is one GSM-7 segment.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "sms.h"
#include "texts.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* For failure messages. */
static const char *const names[TX_COUNT] = {
    [TX_WELCOME] = "TX_WELCOME",
    [TX_MENU] = "TX_MENU",
    [TX_MENU_AGAIN] = "TX_MENU_AGAIN",
    [TX_QUEUED] = "TX_QUEUED",
    [TX_STILL_QUEUED] = "TX_STILL_QUEUED",
    [TX_LEFT_QUEUE] = "TX_LEFT_QUEUE",
    [TX_NOT_IN_CHAT] = "TX_NOT_IN_CHAT",
    [TX_INTRO_TEXTER] = "TX_INTRO_TEXTER",
    [TX_INTRO_PEER] = "TX_INTRO_PEER",
    [TX_OFFER] = "TX_OFFER",
    [TX_OFFER_WAITING] = "TX_OFFER_WAITING",
    [TX_OFFER_GONE] = "TX_OFFER_GONE",
    [TX_OFFER_WITHDRAWN] = "TX_OFFER_WITHDRAWN",
    [TX_PASSED] = "TX_PASSED",
    [TX_ALREADY_IN_CHAT] = "TX_ALREADY_IN_CHAT",
    [TX_BYE_TEXTER] = "TX_BYE_TEXTER",
    [TX_TEXTER_LEFT] = "TX_TEXTER_LEFT",
    [TX_END_TEXTER] = "TX_END_TEXTER",
    [TX_END_PEER] = "TX_END_PEER",
    [TX_CLOSED_NUMBER] = "TX_CLOSED_NUMBER",
    [TX_STOP_CONFIRM] = "TX_STOP_CONFIRM",
    [TX_START_CONFIRM] = "TX_START_CONFIRM",
    [TX_HELP] = "TX_HELP",
    [TX_PEER_HELP] = "TX_PEER_HELP",
    [TX_PEER_STEPPED_AWAY] = "TX_PEER_STEPPED_AWAY",
    [TX_RELAY_FAILED_TEXTER] = "TX_RELAY_FAILED_TEXTER",
    [TX_RELAY_FAILED_PEER] = "TX_RELAY_FAILED_PEER",
    [TX_POOL_STRANGER] = "TX_POOL_STRANGER",
};

static const char *name_of(int id)
{
    return id >= 0 && id < TX_COUNT && names[id] ? names[id] : "(unnamed text id)";
}

/* Renders id into a fresh string in *b (caller frees b). */
static const char *render(enum text_id id, const struct text_var *v, size_t nv, struct buf *b)
{
    assert_int_equal(texts_render(id, "en", v, nv, b), 0);
    return b->p ? b->p : "";
}

/* ---- templates ---- */

static void test_every_template_exists(void **state)
{
    int id;

    (void)state;
    for (id = 0; id < TX_COUNT; id++) {
        const char *t = texts_template((enum text_id)id, "en");

        assert_non_null(t);
        if (strlen(t) < 10)
            fail_msg("%s (%d) has no real English template: \"%s\"", name_of(id), id, t);
        /* a language without templates falls back to English */
        assert_string_equal(texts_template((enum text_id)id, "es"), t);
        assert_string_equal(texts_template((enum text_id)id, "xx"), t);
    }
    assert_string_equal(texts_template(TX_COUNT, "en"), "");
    assert_string_equal(texts_template((enum text_id) - 1, "en"), "");
}

static void test_templates_plain_ascii(void **state)
{
    int id;

    (void)state;
    for (id = 0; id < TX_COUNT; id++) {
        const unsigned char *t = (const unsigned char *)texts_template((enum text_id)id, "en");
        size_t i;

        for (i = 0; t[i]; i++)
            if (t[i] >= 0x80 || t[i] == '`')
                fail_msg("%s: byte 0x%02x at %zu (curly quote, emoji or other non-ASCII)",
                         name_of(id), t[i], i);
        if (!sms_is_gsm7((const char *)t))
            fail_msg("%s is not GSM-7: \"%s\"", name_of(id), (const char *)t);
    }
}

static void test_placeholders_are_known(void **state)
{
    static const char *const known[] = {"line",  "menu", "position", "topic",       "peer", "kind",
                                        "lang",  "wait", "expires",  "line_number", "when", "until",
                                        "state", "open", "queue",    "topics",      "ref",  "note"};
    int id;

    (void)state;
    for (id = 0; id < TX_COUNT; id++) {
        const char *t = texts_template((enum text_id)id, "en"), *open;

        while ((open = strchr(t, '{'))) {
            const char *close = strchr(open, '}');
            size_t i, n;

            if (!close)
                fail_msg("%s: unclosed {", name_of(id));
            n = (size_t)(close - open - 1);
            for (i = 0; i < N(known); i++)
                if (strlen(known[i]) == n && !strncmp(known[i], open + 1, n))
                    break;
            if (i == N(known))
                fail_msg("%s: unknown placeholder %.*s", name_of(id), (int)(n + 2), open);
            t = close + 1;
        }
    }
}

/* ---- rendering ---- */

static void test_render(void **state)
{
    struct buf b = BUF_INIT(0);

    (void)state;
    {
        struct text_var v[] = {{"line", "Hope Line"}, {"line_number", "+14155550100"}};

        assert_string_equal(render(TX_POOL_STRANGER, v, N(v), &b),
                            "This number does not take texts. To reach Hope Line, text "
                            "+14155550100.");
        buf_free(&b);
    }
    {
        /* order of vars does not matter; extra vars are ignored */
        struct text_var v[] = {{"peer", "Sam"}, {"topic", "grief"}, {"position", "3"}};

        assert_string_equal(render(TX_QUEUED, v, N(v), &b),
                            "Thanks. You're number 3 in line to talk about grief. A peer will "
                            "text you here as soon as one is free.");
        buf_free(&b);
    }
    {
        /* an unknown placeholder is left as written */
        struct text_var v[] = {{"position", "3"}};

        assert_string_equal(render(TX_QUEUED, v, N(v), &b),
                            "Thanks. You're number 3 in line to talk about {topic}. A peer will "
                            "text you here as soon as one is free.");
        buf_free(&b);
        assert_string_equal(render(TX_QUEUED, NULL, 0, &b), texts_template(TX_QUEUED, "en"));
        buf_free(&b);
    }
    {
        /* a name that is a prefix of the placeholder is not it */
        struct text_var v[] = {{"line", "Hope"}, {"line_num", "x"}};

        assert_string_equal(render(TX_POOL_STRANGER, v, N(v), &b),
                            "This number does not take texts. To reach Hope, text "
                            "{line_number}.");
        buf_free(&b);
    }
    {
        /* values are inserted literally, never expanded again; NULL is empty */
        struct text_var v[] = {{"peer", "{line}"}, {"line", "X"}};

        assert_string_equal(render(TX_END_TEXTER, v, N(v), &b),
                            "{line} has ended the chat. Thank you for reaching out. Text us any "
                            "time to talk again. STOP/END/QUIT stop all texts.");
        buf_free(&b);
        v[0].value = NULL;
        assert_string_equal(render(TX_INTRO_TEXTER, v, N(v), &b),
                            "You're now texting with , a trained volunteer peer. Reply here to "
                            "talk. BYE ends the chat; STOP/END/QUIT stop all texts.");
        buf_free(&b);
    }
    /* no placeholders: the template itself; rendering appends to what is there */
    assert_int_equal(buf_puts(&b, ">> "), 0);
    assert_string_equal(render(TX_PASSED, NULL, 0, &b), ">> OK, passed. Thank you.");
    buf_free(&b);
}

static void test_language_names(void **state)
{
    (void)state;
    assert_string_equal(texts_language_name("en"), "English");
    assert_string_equal(texts_language_name("es"), "Spanish");
    assert_string_equal(texts_language_name("ht"), "Haitian Creole");
    assert_string_equal(texts_language_name("xx"), "xx");
    assert_string_equal(texts_language_name(""), "");
}

/* ---- the segment budget (SPEC 5.5) ---- */

static void test_budget(void **state)
{
    /* the longest plausible values */
    static const struct text_var v[] = {
        {"line", "Riverside Peer Support Line NY"},            /* 30 */
        {"peer", "Maria-Guadalupe Fernande"},                  /* 24 */
        {"topic", "Relationships, family, friends or school"}, /* 40 */
        {"position", "999"},
        {"wait", "23 h 59 min"},
        {"expires", "59 min"},
        {"kind", "URGENT"},
        {"lang", "Haitian Creole"},
        {"line_number", "+123456789012345"},
        {"menu", "1 Anxiety and stress, 2 Grief and loss, 3 Anything else"},
        {"when", "23 h 59 min"},
        {"until", "Wed 23:30"},
        {"state", "off until Wed 23:30"},
        {"open", "3"},
        {"queue", "anxiety 12, grief 3"},
        {"topics", "anxiety, grief, general"},
        {"ref", "R1ZZZ"},
        {"note", "x"},
    };
    char report[2048];
    size_t rl = 0;
    int id;

    (void)state;
    assert_int_equal(strlen(v[0].value), 30);
    assert_int_equal(strlen(v[1].value), 24);
    assert_int_equal(strlen(v[2].value), 40);
    report[0] = '\0';
    for (id = 0; id < TX_COUNT; id++) {
        struct buf b = BUF_INIT(0);
        const char *s = render((enum text_id)id, v, N(v), &b);
        int segs = sms_segments(s);

        if (strchr(s, '{'))
            fail_msg("%s: placeholder left unfilled: %s", name_of(id), s);
        if (!sms_is_gsm7(s))
            fail_msg("%s renders to non-GSM-7 text: %s", name_of(id), s);
        /* Menus, topic lists and coordinator alerts carry roster or peer words of any length. */
        if (id != TX_MENU && id != TX_MENU_AGAIN && id != TX_TRANSFER_UNKNOWN &&
            id != TX_ALERT_ESCALATE && segs != 1 && rl < sizeof(report) - 200)
            rl += (size_t)snprintf(report + rl, sizeof(report) - rl,
                                   "\n  %s: %zu chars, %d segments: %s", name_of(id), sms_chars(s),
                                   segs, s);
        buf_free(&b);
    }
    if (rl)
        fail_msg("texts over one GSM-7 segment (160 chars):%s", report);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_template_exists),  cmocka_unit_test(test_templates_plain_ascii),
        cmocka_unit_test(test_placeholders_are_known), cmocka_unit_test(test_render),
        cmocka_unit_test(test_language_names),         cmocka_unit_test(test_budget),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
