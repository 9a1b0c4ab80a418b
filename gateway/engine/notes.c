/*
 * notes.c - see notes.h.
 */
#include "notes.h"
#include "buf.h"
#include "sms.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t notes_keep(const char *text, int *cut)
{
    size_t len = strlen(text), n;

    while (len && blank(text[len - 1]))
        len--;
    n = utf8_prefix(text, len, NOTES_MAX_CHARS);
    *cut = n < len;
    while (n && blank(text[n - 1]))
        n--;
    return n;
}

void notes_age(int64_t ms, const char *lang, char *out, size_t n)
{
    int64_t min = ms / 60000;

    if (min < 1)
        min = 1;
    if (min < 60)
        snprintf(out, n, "%lld min", (long long)min);
    else if (min < 48 * 60)
        snprintf(out, n, "%lld h", (long long)(min / 60));
    else
        snprintf(out, n, "%lld %s", (long long)(min / (24 * 60)),
                 lang && !strcmp(lang, "es") ? "días" : "days");
}

int notes_pack(const char *heading, const char *const *items, size_t nitems, size_t max_chars,
               int (*fn)(void *arg, const char *text), void *arg)
{
    struct buf b = BUF_INIT(0);
    size_t i, chars = sms_chars(heading);
    int rc = 0;

    if (buf_puts(&b, heading))
        rc = -1;
    for (i = 0; i < nitems && !rc; i++) {
        size_t c = sms_chars(items[i]);

        if (b.len && chars + 1 + c > max_chars) { /* a text of its own from here */
            rc = fn(arg, b.p);
            buf_reset(&b);
            chars = 0;
            if (rc)
                break;
        }
        if (b.len) {
            if (buf_puts(&b, "\n"))
                rc = -1;
            chars++;
        }
        if (!rc && buf_puts(&b, items[i]))
            rc = -1;
        chars += c;
    }
    if (!rc && b.len)
        rc = fn(arg, b.p);
    buf_free(&b);
    return rc;
}
