/*
 * http_frame.c - see http_frame.h.
 */
#include "http_frame.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void http_frame_init(struct http_frame *f, const char *version, const char *target)
{
    const unsigned char *t;

    memset(f, 0, sizeof(*f));
    f->http11 = version && !strcmp(version, "HTTP/1.1");
    f->http10 = version && !strcmp(version, "HTTP/1.0");
    for (t = (const unsigned char *)target; t && *t; t++)
        if (*t <= ' ' || *t == 0x7f) {
            f->bad = 1;
            snprintf(f->why, sizeof(f->why),
                     "request target: byte %zu is a space or a control byte",
                     (size_t)(t - (const unsigned char *)target) + 1);
            break;
        }
}

/*
 * Records the first problem: about the header just seen when name is given
 * ("header 3 (Content-Length): ..."), about the headers as a whole when not.
 */
static void refuse(struct http_frame *f, const char *name, const char *what)
{
    if (f->bad)
        return;
    f->bad = 1;
    if (name)
        snprintf(f->why, sizeof(f->why), "header %u (%.40s): %s", f->headers, name, what);
    else
        snprintf(f->why, sizeof(f->why), "headers: %s", what);
}

/* RFC 9110 tchar: what a field name is made of. */
static int tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!tchar((unsigned char)*s))
            return 0;
    return 1;
}

/*
 * The value as libmicrohttpd reads it: leading whitespace skipped, trailing
 * kept ("chunked " is not chunked to it, so it must not be to us either).
 */
static const char *value_of(const char *v, size_t *len)
{
    while (*v == ' ' || *v == '\t')
        v++;
    *len = strlen(v);
    return v;
}

void http_frame_header(struct http_frame *f, const char *name, const char *value)
{
    size_t len, i;
    const char *v;

    f->headers++;
    if (!name)
        name = "";
    v = value_of(value ? value : "", &len);
    if (!token(name)) { /* "Transfer-Encoding :" is no Transfer-Encoding to libmicrohttpd */
        if (!f->bad)
            snprintf(f->why, sizeof(f->why),
                     "header %u: its name is not a token (spaces, controls or separators)",
                     f->headers);
        f->bad = 1;
        return;
    }
    if (!strcasecmp(name, "Content-Length")) {
        if (++f->content_length > 1)
            refuse(f, name, "a second Content-Length");
        if (!len || len > 18)
            refuse(f, name, "must be 1 to 18 digits");
        for (i = 0; i < len; i++)
            if (v[i] < '0' || v[i] > '9')
                refuse(f, name, "must be digits only");
    } else if (!strcasecmp(name, "Transfer-Encoding")) {
        if (++f->transfer_encoding > 1)
            refuse(f, name, "a second Transfer-Encoding");
        if (len != 7 || strncasecmp(v, "chunked", 7))
            refuse(f, name, "only \"chunked\" is understood (nothing after it)");
        if (f->http10)
            refuse(f, name, "not allowed in an HTTP/1.0 request");
    } else if (!strcasecmp(name, "Host")) {
        if (++f->host > 1)
            refuse(f, name, "a second Host");
    }
}

int http_frame_done(struct http_frame *f)
{
    if (f->content_length && f->transfer_encoding)
        refuse(f, NULL, "both Content-Length and Transfer-Encoding");
    if (f->http11 && !f->host)
        refuse(f, NULL, "no Host in an HTTP/1.1 request");
    return f->bad ? -1 : 0;
}
