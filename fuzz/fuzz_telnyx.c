/*
 * fuzz_telnyx.c - Telnyx's webhook signature check on arbitrary headers,
 * keys and bodies: the input is "KEY\nTIMESTAMP\nSIGNATURE\nBODY" (missing
 * lines are missing headers). Every verdict must be one of the four and
 * say why when it refuses; nothing may read past what it was given.
 */
#include "fuzz.h"
#include "telnyx.h"

#include <stdlib.h>
#include <string.h>

/* The next line of [*p, end) as a fresh string (NULL past the end), advancing *p. */
static char *line(const char **p, const char *end)
{
    const char *nl;
    char *s;

    if (*p >= end)
        return NULL;
    nl = memchr(*p, '\n', (size_t)(end - *p));
    if (!nl)
        nl = end;
    s = malloc((size_t)(nl - *p) + 1);
    if (!s)
        abort();
    memcpy(s, *p, (size_t)(nl - *p));
    s[nl - *p] = '\0';
    *p = nl < end ? nl + 1 : end;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    char *key = line(&p, end), *ts = line(&p, end), *sig = line(&p, end);
    char *body = malloc((size_t)(end - p) + 1); /* exactly the rest: a read past it is caught */
    const char *why = NULL;
    enum telnyx_verdict v;

    if (!body)
        abort();
    memcpy(body, p, (size_t)(end - p));
    v = telnyx_verify(key, ts, body, (size_t)(end - p), sig, 1795576239, &why);
    if (v != TELNYX_OK && v != TELNYX_MALFORMED && v != TELNYX_STALE && v != TELNYX_FORGED)
        abort();
    if (v != TELNYX_OK && (!why || !*why))
        abort();
    free(key);
    free(ts);
    free(sig);
    free(body);
    return 0;
}
