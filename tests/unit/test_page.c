/*
 * test_page.c - gateway/base/page.c: a page's Content-Security-Policy names
 * its inline scripts and styles by the SHA-256 of exactly the bytes served
 * (checked against hashes computed elsewhere), never 'unsafe-inline'; markup
 * the policy would block (inline handlers, style attributes, javascript:
 * URLs, scripts with attributes) is refused with its line; and the pages
 * peerline ships (the dashboard, the simulator's page) pass.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "http.h"
#include "page.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

extern const char admin_page_html[];
extern const char sim_page_html[];

static void test_hashes(void **state)
{
    struct page p;
    char err[200] = "";

    (void)state;
    /* python3: base64(sha256(b"alert(1)")), and so on */
    assert_int_equal(page_init(&p,
                               "<p>hi</p><script>alert(1)</script>"
                               "<style>p{color:red}</style><SCRIPT>\n  var x = 1;\n</SCRIPT >",
                               err, sizeof(err)),
                     0);
    assert_non_null(strstr(p.csp,
                           "script-src 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=' "
                           "'sha256-lntYEl2VCmAryz6L783NtTNL3RSpQ3+Ve7enxWiEfVc=';"));
    assert_non_null(
        strstr(p.csp, "style-src 'sha256-p0bF+un5yUb9MBO6xRb8kPHlY2BdpHVtLiFkDrZPF64=';"));
    assert_non_null(strstr(p.csp, "frame-ancestors 'none'"));
    assert_null(strstr(p.csp, "unsafe"));

    /* No script at all: none may run. */
    assert_int_equal(page_init(&p, "<p>plain</p>", err, sizeof(err)), 0);
    assert_non_null(strstr(p.csp, "script-src 'none';"));
    assert_non_null(strstr(p.csp, "style-src 'none';"));
}

static void test_refused(void **state)
{
    static const struct {
        const char *html, *why;
    } cases[] = {
        {"<p>\n<button onclick=\"go()\">Go</button>", "line 2: an inline event handler"},
        {"<body ONLOAD='x()'>", "line 1: an inline event handler"},
        {"<p>\n\n<div class=a style=\"color:red\">", "line 3: a style=\"...\" attribute"},
        {"<a href=\"javascript:go()\">", "line 1: a javascript: URL"},
        {"<a href=' JavaScript:go()'>", "line 1: a javascript: URL"},
        {"<script src=\"/x.js\"></script>", "line 1: a <script> or <style> with attributes"},
        {"<style media=print>p{}</style>", "a <script> or <style> with attributes"},
        {"<script>alert(1)", "without its end tag"},
        {"<script>1</script><script>2</script><script>3</script><script>4</script>"
         "<script>5</script>",
         "more inline scripts"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        struct page p;
        char err[200] = "";

        if (page_init(&p, cases[i].html, err, sizeof(err)) != -1)
            fail_msg("accepted: %s", cases[i].html);
        if (!strstr(err, cases[i].why))
            fail_msg("%s: said \"%s\", not \"%s\"", cases[i].html, err, cases[i].why);
        /* Still served, with nothing inline allowed. */
        assert_ptr_equal(p.html, cases[i].html);
        assert_non_null(strstr(p.csp, "script-src 'none';"));
    }
}

/* Not handlers: attributes whose names only start like one, text, comments, script text. */
static void test_not_refused(void **state)
{
    static const char *const ok[] = {
        "<details open><summary>x</summary></details>",
        "<p>one onclick=\"x\" in text is text</p>",
        "<!-- <button onclick=\"x\"> in a comment -->",
        "<script>el.setAttribute(\"onclick\", \"x\"); s = '<a style=x>';</script>",
        "<input aria-label=\"style=\" value='javascript'>",
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(ok); i++) {
        struct page p;
        char err[200] = "";

        if (page_init(&p, ok[i], err, sizeof(err)))
            fail_msg("refused: %s (%s)", ok[i], err);
    }
}

static void test_shipped_pages(void **state)
{
    const char *const pages[] = {admin_page_html, sim_page_html};
    size_t i;

    (void)state;
    for (i = 0; i < N(pages); i++) {
        struct page p;
        struct http_response res = {.status = 500, .body = BUF_INIT(0)};
        char err[200] = "";

        if (page_init(&p, pages[i], err, sizeof(err)))
            fail_msg("page %zu: %s", i, err);
        assert_non_null(strstr(p.csp, "script-src 'sha256-"));
        assert_non_null(strstr(p.csp, "style-src 'sha256-"));
        assert_null(strstr(p.csp, "unsafe"));
        page_serve(&p, &res);
        assert_int_equal(res.status, 200);
        assert_string_equal(res.header_name, "Content-Security-Policy");
        assert_string_equal(res.header_value, p.csp);
        assert_int_equal(res.body.len, strlen(pages[i]));
        buf_free(&res.body);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashes),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_not_refused),
        cmocka_unit_test(test_shipped_pages),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
