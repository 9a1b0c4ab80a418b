/*
 * utf8.c - see utf8.h.
 */
#include "utf8.h"

#include <string.h>

size_t utf8_next(const char *str, size_t len, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    uint32_t c;
    size_t n, i;

    if (len == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
        c = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        c = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

int utf8_valid(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(s + i, len - i, &cp);
        if (!n || cp == 0)
            return 0;
        i += n;
    }
    return 1;
}

size_t utf8_prefix(const char *s, size_t len, size_t max_chars)
{
    size_t i = 0, n = 0;

    while (i < len && n < max_chars) {
        uint32_t cp;
        size_t k = utf8_next(s + i, len - i, &cp);
        i += k ? k : 1;
        n++;
    }
    return i;
}

size_t utf8_copy(char *dst, size_t n, const char *src)
{
    size_t len = src ? strlen(src) : 0, i = 0, o = 0;

    if (!n)
        return 0;
    while (i < len) {
        uint32_t cp;
        size_t k = utf8_next(src + i, len - i, &cp);
        const char *from = k ? src + i : "?";
        size_t w = k ? k : 1;
        if (o + w >= n)
            break;
        memcpy(dst + o, from, w);
        o += w;
        i += k ? k : 1;
    }
    dst[o] = '\0';
    return o;
}
