/*
 * fuzz_page.c - the scanner that takes a page's inline scripts and styles
 * into its Content-Security-Policy (gateway/base/page.c). It reads only the
 * pages peerline compiles in, but a careless edit is input too: whatever the
 * markup, it must not read past it, a refusal must say what and where, and
 * the policy must never let anything inline run unhashed.
 */
#include "fuzz.h"
#include "page.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *html = fuzz_cstr(data, size), err[200] = "";
    struct page p;
    int rc;

    if (!html)
        return 0;
    rc = page_init(&p, html, err, sizeof(err));
    if (rc && strncmp(err, "line ", 5))
        abort();
    if (strstr(p.csp, "unsafe") || !strstr(p.csp, "script-src ") ||
        strlen(p.csp) >= sizeof(p.csp) - 1 || p.html != html)
        abort();
    if (rc && !strstr(p.csp, "script-src 'none';"))
        abort();
    free(html);
    return 0;
}
