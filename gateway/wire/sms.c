/*
 * sms.c - see sms.h.
 */
#include "sms.h"
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* GSM 03.38 basic set, as Unicode code points, and the extension set (2 septets each). */
static const uint16_t gsm_basic[] = {
    '@',    0x00a3, '$',    0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec, 0x00f2, 0x00c7, '\n',
    0x00d8, 0x00f8, '\r',   0x00c5, 0x00e5, 0x0394, '_',    0x03a6, 0x0393, 0x039b, 0x03a9,
    0x03a0, 0x03a8, 0x03a3, 0x0398, 0x039e, 0x00c6, 0x00e6, 0x00df, 0x00c9, ' ',    '!',
    '"',    '#',    0x00a4, '%',    '&',    '\'',   '(',    ')',    '*',    '+',    ',',
    '-',    '.',    '/',    ':',    ';',    '<',    '=',    '>',    '?',    0x00a1, 0x00c4,
    0x00d6, 0x00d1, 0x00dc, 0x00a7, 0x00bf, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
};
static const uint16_t gsm_ext[] = {'^', '{', '}', '\\', '[', '~', ']', '|', 0x20ac, '\f'};

/* Septets for cp in GSM-7, or 0 when it has none. */
static int gsm_septets(uint32_t cp)
{
    size_t i;

    if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
        return 1;
    for (i = 0; i < sizeof(gsm_basic) / sizeof(gsm_basic[0]); i++)
        if (gsm_basic[i] == cp)
            return 1;
    for (i = 0; i < sizeof(gsm_ext) / sizeof(gsm_ext[0]); i++)
        if (gsm_ext[i] == cp)
            return 2;
    return 0;
}

int sms_is_gsm7(const char *s)
{
    size_t len = strlen(s), i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(s + i, len - i, &cp);
        if (!n || !gsm_septets(cp))
            return 0;
        i += n;
    }
    return 1;
}

int sms_segments(const char *s)
{
    size_t len = strlen(s), i = 0, units = 0;
    int gsm = sms_is_gsm7(s);

    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(s + i, len - i, &cp);
        if (!n) {
            n = 1;
            cp = 0xfffd;
        }
        units += gsm ? (size_t)gsm_septets(cp) : (cp > 0xffff ? 2 : 1);
        i += n;
    }
    if (units == 0)
        return 0;
    if (gsm)
        return units <= 160 ? 1 : (int)((units + 152) / 153);
    return units <= 70 ? 1 : (int)((units + 66) / 67);
}

size_t sms_chars(const char *s)
{
    size_t len = strlen(s), i = 0, n = 0;

    while (i < len) {
        uint32_t cp;
        size_t k = utf8_next(s + i, len - i, &cp);
        i += k ? k : 1;
        n++;
    }
    return n;
}

int sms_split(const char *s, size_t max_chars, int (*fn)(void *arg, const char *part), void *arg)
{
    size_t len = strlen(s), pos = 0;
    char *part;
    int rc = 0;

    if (max_chars == 0)
        return -1;
    part = malloc(len + 1);
    if (!part)
        return -1;
    while (pos < len && !rc) {
        size_t i = pos, chars = 0, cut = 0, next;

        /* Walk max_chars characters, remembering the last space. */
        while (i < len && chars < max_chars) {
            uint32_t cp;
            size_t k = utf8_next(s + i, len - i, &cp);
            if (!k)
                k = 1;
            if (s[i] == ' ' || s[i] == '\n')
                cut = i;
            i += k;
            chars++;
        }
        if (i < len && (s[i] == ' ' || s[i] == '\n'))
            cut = i; /* the limit falls exactly on a space */
        if (i >= len) {
            cut = len;
            next = len;
        } else if (cut > pos) {
            next = cut + 1; /* drop the space we cut at */
        } else {
            cut = i; /* one long word: cut mid-word, on a character boundary */
            next = i;
        }
        memcpy(part, s + pos, cut - pos);
        part[cut - pos] = '\0';
        if (cut > pos)
            rc = fn(arg, part);
        pos = next;
    }
    free(part);
    return rc;
}
