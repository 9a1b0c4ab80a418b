/*
 * form.c - see form.h. Decoding happens in place in a private copy of each
 * pair, so a value never grows while it is decoded.
 */
#include "form.h"
#include "buf.h"
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int form_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Decodes s[0..len) into a new string. On error sets *why and *at (the
 * offset in s where the offending character starts).
 */
static char *decode(const char *s, size_t len, const char **why, size_t *at)
{
    char *out = malloc(len + 1);
    size_t *src = malloc((len + 1) * sizeof(size_t)); /* out[k] came from s[src[k]] */
    size_t i, o = 0, k;

    if (!out || !src) {
        *why = "out of memory";
        *at = 0;
        goto fail;
    }
    for (i = 0; i < len; i++) {
        src[o] = i;
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            int hi = -1, lo = -1;

            if (i + 2 < len) {
                hi = form_hexval(s[i + 1]);
                lo = form_hexval(s[i + 2]);
            }
            if (hi < 0 || lo < 0) {
                *why = "bad percent escape";
                *at = i;
                goto fail;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
        if (out[o - 1] == '\0') {
            *why = "NUL byte";
            *at = src[o - 1];
            goto fail;
        }
    }
    out[o] = '\0';
    for (k = 0; k < o;) {
        uint32_t cp;
        size_t n = utf8_next(out + k, o - k, &cp);
        if (!n) {
            *why = "text is not valid UTF-8";
            *at = src[k];
            goto fail;
        }
        k += n;
    }
    free(src);
    return out;
fail:
    free(src);
    free(out);
    return NULL;
}

int form_parse(const char *body, size_t len, struct form *f, const char **why, size_t *where)
{
    size_t pos = 0;

    f->params = NULL;
    f->n = 0;
    while (pos < len) {
        const char *pair = body + pos, *amp, *eq;
        size_t plen, klen, at = 0;
        struct form_param *np;
        char *k, *v;

        amp = memchr(pair, '&', len - pos);
        plen = amp ? (size_t)(amp - pair) : len - pos;
        /* cppcheck-suppress knownConditionTrueFalse ; "a&&b" has an empty pair */
        if (plen == 0) {
            pos += 1;
            continue;
        }
        if (f->n == FORM_MAX_PARAMS) {
            *why = "too many parameters";
            *where = pos;
            goto fail;
        }
        eq = memchr(pair, '=', plen);
        klen = eq ? (size_t)(eq - pair) : plen;
        if (klen == 0) {
            *why = "parameter with an empty name";
            *where = pos;
            goto fail;
        }
        k = decode(pair, klen, why, &at);
        if (!k) {
            *where = pos + at;
            goto fail;
        }
        v = eq ? decode(eq + 1, plen - klen - 1, why, &at) : strdup("");
        if (!v) {
            *where = pos + klen + 1 + at;
            free(k);
            goto fail;
        }
        np = realloc(f->params, (f->n + 1) * sizeof(*np));
        if (!np) {
            free(k);
            free(v);
            *why = "out of memory";
            *where = pos;
            goto fail;
        }
        f->params = np;
        f->params[f->n].key = k;
        f->params[f->n].value = v;
        f->n++;
        pos += plen + 1;
    }
    return 0;
fail:
    form_free(f);
    return -1;
}

void form_free(struct form *f)
{
    size_t i;

    for (i = 0; i < f->n; i++) {
        free(f->params[i].key);
        free(f->params[i].value);
    }
    free(f->params);
    f->params = NULL;
    f->n = 0;
}

const char *form_get(const struct form *f, const char *key)
{
    size_t i;

    for (i = 0; i < f->n; i++)
        if (!strcmp(f->params[i].key, key))
            return f->params[i].value;
    return NULL;
}

static int encode(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            if (buf_append(b, p, 1))
                return -1;
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            if (buf_append(b, e, 3))
                return -1;
        }
    }
    return 0;
}

int form_add(struct buf *b, const char *key, const char *value)
{
    if (b->len && buf_append(b, "&", 1))
        return -1;
    if (encode(b, key) || buf_append(b, "=", 1) || encode(b, value))
        return -1;
    return 0;
}
