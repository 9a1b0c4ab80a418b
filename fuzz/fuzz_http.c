/*
 * fuzz_http.c - the HTTP server's own parsing of what a client sends: the
 * request framing check (gateway/base/http_frame.c) over a request line
 * and header fields as libmicrohttpd hands them over. The input's first
 * line is "VERSION TARGET", each further line a field, split at its first
 * ':'. Neither may crash; a request accepted must frame one way only, and a
 * refusal says what and where.
 */
#include "fuzz.h"
#include "http_frame.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Counts what the checker counts, independently, to hold it to its word. */
struct seen {
    unsigned cl, te, host, bad_name;
};

static void tally(struct seen *s, const char *name)
{
    const char *p;

    if (!*name)
        s->bad_name++;
    for (p = name; *p; p++)
        if (*p <= ' ' || *p == 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *p))
            s->bad_name++;
    s->cl += !strcasecmp(name, "Content-Length");
    s->te += !strcasecmp(name, "Transfer-Encoding");
    s->host += !strcasecmp(name, "Host");
}

static void framing(char *in)
{
    char *line = in, *next, *target;
    struct http_frame f;
    struct seen s = {0};
    int http11;

    next = strchr(line, '\n');
    if (next)
        *next++ = '\0';
    target = strchr(line, ' ');
    if (target)
        *target++ = '\0';
    http11 = !strcmp(line, "HTTP/1.1");
    http_frame_init(&f, line, target);
    for (line = next; line; line = next) {
        char *colon;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        colon = strchr(line, ':');
        if (colon)
            *colon++ = '\0';
        tally(&s, line);
        http_frame_header(&f, line, colon);
    }
    if (http_frame_done(&f) == 0) {
        if (s.cl > 1 || s.te > 1 || (s.cl && s.te) || s.bad_name || (http11 && s.host != 1) ||
            s.host > 1 || (target && strpbrk(target, " \t")))
            abort(); /* accepted a request that frames more than one way */
    } else if (strncmp(f.why, "header", 6) && strncmp(f.why, "request target: ", 16)) {
        abort(); /* a refusal says what and where */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fuzz_cstr(data, size);

    if (!in)
        return 0;
    framing(in);
    free(in);
    return 0;
}
