/*
 * fuzz_http.c - what the HTTP server itself reads of a client's bytes (the
 * first byte picks; even: the whole input is a request, odd: the rest is a
 * message of libmicrohttpd's):
 *
 * - the request framing check (gateway/base/http_frame.c) over a request
 *   line and header fields as libmicrohttpd hands them over: the first line
 *   is "VERSION TARGET", each further line a field, split at its first ':'.
 *   A request accepted must frame one way only; a refusal says what and
 *   where.
 * - libmicrohttpd's messages, which may quote a request, cleaned for the
 *   log (gateway/base/http_log.c): one bounded line, no quote or control
 *   byte, no number left unmasked.
 *
 * Neither may crash or leak.
 */
#include "fuzz.h"
#include "http_frame.h"
#include "http_log.h"

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

static void message(const char *in)
{
    char out[HTTP_LOG_MSG_MAX + 4];
    const char *p;

    http_log_clean(in, out, sizeof(out));
    if (strlen(out) > HTTP_LOG_MSG_MAX + 3)
        abort();
    for (p = out; *p; p++) {
        if ((unsigned char)*p < ' ' || *p == 0x7f || *p == '"' || *p == '\\')
            abort(); /* would break the logfmt line */
        if (strspn(p, "0123456789") >= 7)
            abort(); /* a number left whole */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in;

    if (size && (data[0] & 1)) {
        in = fuzz_cstr(data + 1, size - 1);
        if (in)
            message(in);
    } else {
        in = fuzz_cstr(data, size);
        if (in)
            framing(in);
    }
    free(in);
    return 0;
}
