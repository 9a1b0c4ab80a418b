/*
 * test_twiml_read.c - gateway/sim/twiml_read.c: the TwiML documents the gateway
 * emits read into a tree (attributes, text, the five entities, nesting), and
 * everything else refused with the line it is on: other XML (comments,
 * DOCTYPE, CDATA, processing instructions, character references,
 * namespaces), malformed XML, and documents past the size, depth, element and
 * attribute bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twiml_read.h"

#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"

/* ---- helpers ---- */

static struct twiml_read_doc *read_ok(const char *xml)
{
    struct twiml_read_doc *d = NULL;
    char err[256] = "";

    if (twiml_read(xml, strlen(xml), &d, err, sizeof(err)))
        fail_msg("refused: %s\n%s", err, xml);
    assert_non_null(d);
    return d;
}

/* xml must be refused with a message containing `why` (and "line N:" for the right N). */
static void read_bad_len(const char *xml, size_t len, int line, const char *why)
{
    struct twiml_read_doc *d = (struct twiml_read_doc *)&d; /* garbage the reader must overwrite */
    char err[256] = "", want[32];

    if (!twiml_read(xml, len, &d, err, sizeof(err))) {
        twiml_read_free(d);
        fail_msg("accepted: %.*s", (int)len, xml);
    }
    assert_null(d);
    if (!strstr(err, why))
        fail_msg("\"%s\" does not say \"%s\"", err, why);
    snprintf(want, sizeof(want), "line %d:", line);
    if (strncmp(err, want, strlen(want)))
        fail_msg("\"%s\" is not at %s", err, want);
}

static void read_bad(const char *xml, int line, const char *why)
{
    read_bad_len(xml, strlen(xml), line, why);
}

static size_t count_kids(const struct twiml_read_node *n)
{
    size_t k = 0;

    for (n = n->kids; n; n = n->next)
        k++;
    return k;
}

/* ---- what the gateway sends ---- */

static void test_menu(void **state)
{
    const char *xml =
        DECL "<Response>\n"
             "  <Gather input=\"dtmf speech\" numDigits=\"1\" timeout=\"6\"\n"
             "          action=\"https://line.example.org/twilio/voice/menu?a=1&amp;b=2\""
             " method=\"POST\" language=\"en-US\">\n"
             "    <Say language=\"en-US\">Press 1 for anxiety &amp; stress.</Say>\n"
             "    <Pause length=\"1\"/>\n"
             "  </Gather>\n"
             "  <Say>We didn&apos;t hear you. &lt;Goodbye&gt; &quot;now&quot;</Say>\n"
             "  <Hangup/>\n"
             "</Response>\n";
    struct twiml_read_doc *d = read_ok(xml);
    const struct twiml_read_node *r = twiml_read_root(d), *g, *say, *p;

    (void)state;
    assert_string_equal(r->name, "Response");
    assert_int_equal(count_kids(r), 3);
    g = r->kids;
    assert_string_equal(g->name, "Gather");
    assert_int_equal(g->line, 2);
    assert_int_equal(g->nattrs, 6);
    assert_string_equal(twiml_read_value(g, "action"),
                        "https://line.example.org/twilio/voice/menu?a=1&b=2");
    assert_string_equal(twiml_read_value(g, "input"), "dtmf speech");
    assert_null(twiml_read_value(g, "finishOnKey"));
    assert_null(twiml_read_value(g, "numdigits")); /* case-sensitive, as XML is */
    assert_string_equal(g->text, "");
    say = g->kids;
    assert_string_equal(say->name, "Say");
    assert_string_equal(say->text, "Press 1 for anxiety & stress.");
    assert_string_equal(twiml_read_value(say, "language"), "en-US");
    p = say->next;
    assert_string_equal(p->name, "Pause");
    assert_string_equal(twiml_read_value(p, "length"), "1");
    assert_null(p->kids);
    assert_null(p->next);
    assert_string_equal(g->next->text, "We didn't hear you. <Goodbye> \"now\"");
    assert_string_equal(g->next->next->name, "Hangup");
    assert_null(g->next->next->next);
    twiml_read_free(d);
}

static void test_dial_conference(void **state)
{
    const char *xml =
        "<Response><Dial action='https://x.example/done?call=7' method='POST'>"
        "<Conference startConferenceOnEnter=\"false\" endConferenceOnExit=\"true\" beep=\"false\""
        " waitUrl=\"https://x.example/hold\" waitMethod=\"POST\">call-7</Conference>"
        "</Dial></Response>";
    struct twiml_read_doc *d = read_ok(xml);
    const struct twiml_read_node *dial = twiml_read_root(d)->kids, *conf = dial->kids;

    (void)state;
    assert_string_equal(twiml_read_value(dial, "action"), "https://x.example/done?call=7");
    assert_string_equal(conf->name, "Conference");
    assert_string_equal(conf->text, "call-7");
    assert_string_equal(twiml_read_value(conf, "endConferenceOnExit"), "true");
    twiml_read_free(d);
}

static void test_small_documents(void **state)
{
    struct twiml_read_doc *d;

    (void)state;
    d = read_ok("<Response/>");
    assert_null(twiml_read_root(d)->kids);
    twiml_read_free(d);
    d = read_ok("\xEF\xBB\xBF" DECL "\r\n<Response >\t</Response >\n\n");
    assert_string_equal(twiml_read_root(d)->text, "");
    twiml_read_free(d);
    d = read_ok("<?xml version='1.0'?><Response><Say>  caf\xC3\xA9  </Say></Response>");
    assert_string_equal(twiml_read_root(d)->kids->text, "caf\xC3\xA9");
    twiml_read_free(d);
    d = read_ok("<Response><Say voice = \"alice\" loop=''>hi</Say></Response>");
    assert_string_equal(twiml_read_value(twiml_read_root(d)->kids, "voice"), "alice");
    assert_string_equal(twiml_read_value(twiml_read_root(d)->kids, "loop"), "");
    twiml_read_free(d);
    twiml_read_free(NULL);
    assert_null(twiml_read_root(NULL));
    assert_null(twiml_read_value(NULL, "x"));
}

/* ---- refusals ---- */

static void test_other_xml(void **state)
{
    (void)state;
    read_bad(DECL "\n<!DOCTYPE r [<!ENTITY x \"y\">]><Response/>", 2, "DOCTYPE");
    read_bad("<Response><!-- hi --></Response>", 1, "comments");
    read_bad("<!-- hi --><Response/>", 1, "comments");
    read_bad("<Response><Say><![CDATA[x]]></Say></Response>", 1, "CDATA");
    read_bad("<Response><?php echo 1 ?></Response>", 1, "processing instructions");
    read_bad("<?xml-stylesheet href='x'?><Response/>", 1, "processing instructions");
    read_bad("<Response><Say>&#60;</Say></Response>", 1, "character references");
    read_bad("<Response><Say>&#x3c;</Say></Response>", 1, "character references");
    read_bad("<Response><Say>&nbsp;</Say></Response>", 1, "unknown entity");
    read_bad("<Response><Say>a & b</Say></Response>", 1, "unknown entity");
    read_bad("<Response><Say a=\"&bogus;\"/></Response>", 1, "unknown entity");
    read_bad("<Response xmlns:t=\"x\"><t:Say/></Response>", 1, "namespaces");
    read_bad("<?xml version=\"1.1\"?><Response/>", 1, "version 1.1");
    read_bad("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Response/>", 1, "only UTF-8");
    read_bad("<?xml version=\"1.0\" foo=\"bar\"?><Response/>", 1, "unknown foo");
    read_bad("\n\n<?xml version=\"1.0\"?><Response/>", 3, "processing instructions");
}

static void test_malformed(void **state)
{
    (void)state;
    read_bad("", 1, "expected <Response>");
    read_bad("   \n ", 2, "expected <Response>");
    read_bad("hello", 1, "expected <Response>");
    read_bad("<Response>", 1, "not closed");
    read_bad("<Response><Say>hi</Response>", 1, "</Response> closes <Say>");
    read_bad("<Response></Say></Response>", 1, "</Say> closes <Response>");
    read_bad("<Response/><Response/>", 1, "content after </Response>");
    read_bad("<Response/>trailing", 1, "content after");
    read_bad("<Say>hi</Say>", 1, "not <Response>");
    read_bad("<Response><Say loop=1>x</Say></Response>", 1, "must be quoted");
    read_bad("<Response><Say loop>x</Say></Response>", 1, "has no value");
    read_bad("<Response><Say loop=\"1\"voice=\"a\">x</Say></Response>", 1, "expected a space");
    read_bad("<Response><Say a=\"1\" a=\"2\">x</Say></Response>", 1, "repeated");
    read_bad("<Response><Say a=\"<\">x</Say></Response>", 1, "'<' inside");
    read_bad("<Response><Say a=\"x>x</Say></Response>", 1, "'<' inside");
    read_bad("<Response><Say a=\"x", 1, "unterminated");
    read_bad("<Response><1Say/></Response>", 1, "expected a name");
    read_bad("<Response><Say/ ></Response>", 1, "expected '>'");
    read_bad("<Response>\n<Dial>+15551230001<Number>+15551230002</Number></Dial></Response>", 2,
             "text mixed");
    read_bad("<Response><Dial><Number>+1</Number>+1555</Dial></Response>", 1, "text mixed");
    read_bad("<Response>hello<Say/></Response>", 1, "text mixed");
}

static void test_bytes(void **state)
{
    (void)state;
    read_bad("<Response><Say>\xC3\x28</Say></Response>", 1, "not valid UTF-8");
    read_bad("<Response>\n<Say>\xED\xA0\x80</Say></Response>", 2, "not valid UTF-8");
    read_bad_len("<Response>\n\n<Say>a\0b</Say></Response>", 33, 3, "NUL byte");
    read_bad("<Response><Say>bell\a</Say></Response>", 1, "control character 0x07");
    read_bad("<Response><Say>\x1b[31m</Say></Response>", 1, "control character 0x1b");
}

static void test_bounds(void **state)
{
    struct twiml_read_doc *d;
    char *big;
    size_t i, n;
    char attrs[1024] = "<Response><Say";

    (void)state;
    /* depth: Response > Gather > Say is 3; four levels are fine, five are not */
    d = read_ok("<Response><Dial><Number><X/></Number></Dial></Response>");
    twiml_read_free(d);
    read_bad("<Response><Dial><Number><X><Y/></X></Number></Dial></Response>", 1, "deeper than 4");

    /* size: exactly TWIML_READ_MAX_DOC is read, one more byte is not */
    big = malloc(TWIML_READ_MAX_DOC + 2);
    assert_non_null(big);
    n = (size_t)snprintf(big, TWIML_READ_MAX_DOC, "<Response><Say>");
    while (n < TWIML_READ_MAX_DOC - strlen("</Say></Response>"))
        big[n++] = 'a';
    memcpy(big + n, "</Say></Response>", strlen("</Say></Response>") + 1);
    assert_int_equal(strlen(big), TWIML_READ_MAX_DOC);
    d = read_ok(big);
    assert_int_equal(strlen(twiml_read_root(d)->kids->text), TWIML_READ_MAX_DOC - 32);
    twiml_read_free(d);
    read_bad_len(big, TWIML_READ_MAX_DOC + 1, 1, "larger than");

    /* elements: TWIML_READ_MAX_NODES in all (Response counts) */
    n = (size_t)snprintf(big, TWIML_READ_MAX_DOC, "<Response>");
    for (i = 1; i < TWIML_READ_MAX_NODES; i++)
        n += (size_t)snprintf(big + n, TWIML_READ_MAX_DOC - n, "<Pause/>");
    snprintf(big + n, TWIML_READ_MAX_DOC - n, "</Response>");
    d = read_ok(big);
    twiml_read_free(d);
    snprintf(big + n, TWIML_READ_MAX_DOC - n, "<Pause/></Response>");
    read_bad(big, 1, "more than 256 elements");
    free(big);

    /* attributes: TWIML_READ_MAX_ATTRS on one element */
    n = strlen(attrs);
    for (i = 0; i < TWIML_READ_MAX_ATTRS; i++)
        n += (size_t)snprintf(attrs + n, sizeof(attrs) - n, " a%zu=\"%zu\"", i, i);
    snprintf(attrs + n, sizeof(attrs) - n, "/></Response>");
    d = read_ok(attrs);
    assert_int_equal(twiml_read_root(d)->kids->nattrs, TWIML_READ_MAX_ATTRS);
    twiml_read_free(d);
    snprintf(attrs + n, sizeof(attrs) - n, " z=\"1\"/></Response>");
    read_bad(attrs, 1, "too many attributes");

    /* names */
    read_bad("<Response><Saaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaay/></Response>", 1,
             "longer than 32");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_menu),
        cmocka_unit_test(test_dial_conference),
        cmocka_unit_test(test_small_documents),
        cmocka_unit_test(test_other_xml),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
