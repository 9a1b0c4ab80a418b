/*
 * page.h - the self-contained HTML pages the daemons serve (the dashboard,
 * the simulator's page), each with a Content-Security-Policy that lets its
 * own inline <script> and <style> run, named by their SHA-256 hashes, and
 * nothing else: no 'unsafe-inline', so a script or an event handler that
 * found its way into the page does not run.
 *
 * The hashes are taken once, at start, from the very bytes that are served.
 * A page must keep its script and style in bare <script> and <style>
 * elements: an inline handler (onclick=...), a style="..." attribute or a
 * javascript: URL would be blocked by the policy, so page_init() refuses a
 * page that has one (tests/unit/test_page.c holds the shipped pages to it).
 */
#ifndef PEERLINE_PAGE_H
#define PEERLINE_PAGE_H

#include <stddef.h>

struct http_response;

#define PAGE_MAX_BLOCKS 4
/* The policy: fixed directives and up to PAGE_MAX_BLOCKS hashes of 'sha256-' + 44 + "' ". */
#define PAGE_CSP_MAX 640

struct page {
    const char *html;
    char csp[PAGE_CSP_MAX];
};

/*
 * Hashes html's inline scripts and styles into p's policy. 0, or -1 with a
 * message in err saying what and where ("line 12: ..."): a <script> or
 * <style> with attributes or without its end, more than PAGE_MAX_BLOCKS of
 * either, or markup the policy would block. Even then p serves the page,
 * with a policy that lets nothing inline run.
 */
int page_init(struct page *p, const char *html, char *err, size_t errlen);

/* Answers res with the page (200, text/html) and its policy. */
void page_serve(const struct page *p, struct http_response *res);

#endif
