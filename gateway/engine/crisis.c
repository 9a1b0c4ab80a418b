/*
 * crisis.c - see crisis.h.
 */
#include "crisis.h"
#include "utf8.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct crisis {
    char **phrases; /* normalised: " kill myself " */
    size_t n;
};

/*
 * The ASCII letter a Latin-1 or Latin Extended-A letter is read as ("é" ->
 * 'e'), 0 when it is not one of those letters.
 */
static char fold(uint32_t cp)
{
    static const char latin1[] = /* U+00C0 .. U+00FF */
        "aaaaaaaceeeeiiii"       /* C0-CF */
        "dnooooo\0ouuuuy\0s"     /* D0-DF: x (D7) and thorn (DE) are not folded */
        "aaaaaaaceeeeiiii"       /* E0-EF */
        "dnooooo\0ouuuuy\0y";    /* F0-FF */

    if (cp >= 0xc0 && cp <= 0xff)
        return latin1[cp - 0xc0];
    if (cp >= 0x100 && cp <= 0x17f) { /* Latin Extended-A: pairs of upper and lower case */
        static const char ext[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii\0\0jjkkk"
                                  "llllllllllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuw"
                                  "wyyyzzzzzzs";
        size_t i = cp - 0x100;
        return i < sizeof(ext) - 1 ? ext[i] : 0;
    }
    return 0;
}

size_t crisis_normalize(const char *in, char *out, size_t outlen)
{
    size_t len = strlen(in), i = 0, o = 0;
    int space = 1; /* the last byte written was a separator */

#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (o + 1 < outlen)                                                                        \
            out[o] = (char)(ch);                                                                   \
        o++;                                                                                       \
    } while (0)

    PUT(' ');
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(in + i, len - i, &cp);
        char c;

        if (!n) { /* not UTF-8: read the byte as a separator */
            n = 1;
            cp = ' ';
        }
        if (cp >= 0x300 && cp <= 0x36f) {
            /* A combining accent (text written decomposed): "i" + U+0301 reads "i". */
        } else if (cp < 0x80 && isalnum((int)cp)) {
            PUT(tolower((int)cp));
            space = 0;
        } else if ((c = fold(cp))) {
            PUT(c);
            space = 0;
        } else if (cp >= 0x80 && cp < 0x2000 && cp != 0xd7 && cp != 0xf7 &&
                   !(cp >= 0x80 && cp < 0xc0)) {
            size_t k;
            for (k = 0; k < n; k++) /* another script's letter: kept as it is */
                PUT(in[i + k]);
            space = 0;
        } else if (!space) {
            PUT(' ');
            space = 1;
        }
        i += n;
    }
    if (!space)
        PUT(' ');
    if (outlen)
        out[o < outlen ? o : outlen - 1] = '\0';
#undef PUT
    return o;
}

static char *normalized(const char *s)
{
    size_t need = crisis_normalize(s, NULL, 0);
    char *out = malloc(need + 1);

    if (out)
        crisis_normalize(s, out, need + 1);
    return out;
}

struct crisis *crisis_new(char *const *phrases, size_t n)
{
    struct crisis *c = calloc(1, sizeof(*c));
    size_t i;

    if (!c)
        return NULL;
    c->phrases = calloc(n + 1, sizeof(char *));
    if (!c->phrases)
        goto fail;
    for (i = 0; i < n; i++) {
        char *p = normalized(phrases[i]);
        if (!p)
            goto fail;
        if (strlen(p) <= 2) { /* nothing but separators: it could match anything */
            free(p);
            continue;
        }
        c->phrases[c->n++] = p;
    }
    return c;
fail:
    crisis_free(c);
    return NULL;
}

void crisis_free(struct crisis *c)
{
    size_t i;

    if (!c)
        return;
    for (i = 0; i < c->n; i++)
        free(c->phrases[i]);
    free(c->phrases);
    free(c);
}

int crisis_match(const struct crisis *c, const char *text)
{
    char small[1024], *big = NULL, *t = small;
    size_t need = crisis_normalize(text, small, sizeof(small)), i;
    int hit = 0;

    if (need >= sizeof(small)) {
        big = malloc(need + 1);
        if (!big)
            return 1; /* cannot look: err on the side of safety */
        crisis_normalize(text, big, need + 1);
        t = big;
    }
    for (i = 0; i < c->n && !hit; i++)
        hit = strstr(t, c->phrases[i]) != NULL;
    free(big);
    return hit;
}
