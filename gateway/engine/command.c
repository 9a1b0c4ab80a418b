/*
 * command.c - see command.h.
 */
#include "command.h"
#include "roster.h"
#include "utf8.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Copies body trimmed of spaces and trailing . or ! into out (size n). */
static void trim(const char *body, char *out, size_t n)
{
    size_t len;

    while (*body && isspace((unsigned char)*body))
        body++;
    len = strlen(body);
    while (len &&
           (isspace((unsigned char)body[len - 1]) || body[len - 1] == '.' || body[len - 1] == '!'))
        len--;
    if (len >= n)
        len = n - 1;
    memcpy(out, body, len);
    out[len] = '\0';
}

static int word_in(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (!strcasecmp(w, *list))
            return 1;
    return 0;
}

enum keyword command_keyword(const char *body)
{
    static const char *const stop[] = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END",
                                       "QUIT", "REVOKE",  "OPTOUT",      NULL};
    static const char *const start[] = {"START", "UNSTOP", "YES", NULL};
    static const char *const help[] = {"HELP", "INFO", NULL};
    char w[16];

    if (strlen(body) > 64)
        return KW_NONE;
    trim(body, w, sizeof(w));
    if (word_in(w, stop))
        return KW_STOP;
    if (word_in(w, start))
        return KW_START;
    if (word_in(w, help))
        return KW_HELP;
    if (!strcasecmp(w, "BYE"))
        return KW_BYE;
    if (!strcasecmp(w, "PRIVATE") || !strcasecmp(w, "PRIVADO"))
        return KW_PRIVATE;
    return KW_NONE;
}

int command_parse(const char *body, struct command *out)
{
    static const struct {
        const char *word;
        enum peer_cmd cmd;
    } words[] = {{"take", CMD_TAKE},
                 {"pass", CMD_PASS},
                 {"end", CMD_END},
                 {"help", CMD_HELP},
                 {"on", CMD_ON},
                 {"off", CMD_OFF},
                 {"status", CMD_STATUS},
                 {"transfer", CMD_TRANSFER},
                 {"escalate", CMD_ESCALATE},
                 {"ack", CMD_ACK},
                 {"callback", CMD_CALLBACK},
                 {"note", CMD_NOTE},
                 {"res", CMD_RES},
                 {"debrief", CMD_DEBRIEF},
                 {"suggest", CMD_SUGGEST},
                 {"unshadow", CMD_UNSHADOW}};
    char word[24];
    size_t i, n = 0;
    const char *p = body, *rest;

    memset(out, 0, sizeof(*out));
    while (*p && isspace((unsigned char)*p))
        p++;
    if (*p != '#')
        return 0;
    p++;
    while (p[n] && !isspace((unsigned char)p[n]) && n < sizeof(word) - 1) {
        word[n] = (char)tolower((unsigned char)p[n]);
        n++;
    }
    word[n] = '\0';
    rest = p + n;
    while (*rest && !isspace((unsigned char)*rest)) /* an over-long word */
        rest++;
    trim(rest, out->arg, sizeof(out->arg));
    out->cmd = CMD_UNKNOWN;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (!strcmp(word, words[i].word))
            out->cmd = words[i].cmd;
    return 1;
}

const char *command_text(const char *body)
{
    const char *p = body;

    while (*p && isspace((unsigned char)*p))
        p++;
    if (*p == '#')
        p++;
    while (*p && !isspace((unsigned char)*p))
        p++;
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

int command_parse_bare(const char *body, struct command *out)
{
    char w[16];

    memset(out, 0, sizeof(*out));
    if (strlen(body) > 32)
        return 0;
    trim(body, w, sizeof(w));
    if (!strcasecmp(w, "on"))
        out->cmd = CMD_ON;
    else if (!strcasecmp(w, "off"))
        out->cmd = CMD_OFF;
    else if (!strcasecmp(w, "status"))
        out->cmd = CMD_STATUS;
    return out->cmd != CMD_NONE;
}

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void command_ref_format(int64_t id, char out[COMMAND_REF_MAX])
{
    char tmp[COMMAND_REF_MAX];
    uint64_t v = id > 0 ? (uint64_t)id : 0;
    size_t n = 0, i;

    do {
        tmp[n++] = crockford[v % 32];
        v /= 32;
    } while (v && n < sizeof(tmp) - 1);
    out[0] = 'R';
    for (i = 0; i < n; i++)
        out[1 + i] = tmp[n - 1 - i];
    out[1 + n] = '\0';
}

int command_ref_parse(const char *ref, int64_t *id)
{
    uint64_t v = 0;
    size_t i, n;

    while (*ref && isspace((unsigned char)*ref))
        ref++;
    n = strlen(ref);
    while (n && isspace((unsigned char)ref[n - 1]))
        n--;
    if (n < 2 || n > 14 || (ref[0] != 'R' && ref[0] != 'r'))
        return -1;
    for (i = 1; i < n; i++) {
        int c = toupper((unsigned char)ref[i]);
        const char *p;

        if (c == 'I' || c == 'L')
            c = '1';
        else if (c == 'O')
            c = '0';
        p = strchr(crockford, c);
        if (!p || !c || v > (uint64_t)INT64_MAX / 32)
            return -1;
        v = v * 32 + (uint64_t)(p - crockford);
    }
    if (v == 0 || v > (uint64_t)INT64_MAX)
        return -1;
    *id = (int64_t)v;
    return 0;
}

void command_call_ref_format(int64_t id, char out[COMMAND_REF_MAX])
{
    command_ref_format(id, out);
    out[0] = 'C'; /* "R..." are chats */
}

int command_call_ref_parse(const char *ref, int64_t *id)
{
    char r[COMMAND_REF_MAX];

    if (!ref || (ref[0] != 'C' && ref[0] != 'c') || strlen(ref) >= sizeof(r))
        return -1;
    snprintf(r, sizeof(r), "R%s", ref + 1);
    return command_ref_parse(r, id);
}

int command_menu_choice(const char *body, size_t ntopics)
{
    char w[32];
    char *end;
    long v;

    if (strlen(body) >= sizeof(w))
        return -1;
    trim(body, w, sizeof(w));
    if (!w[0] || !isdigit((unsigned char)w[0]))
        return -1;
    v = strtol(w, &end, 10);
    if (*end || v < 1 || (size_t)v > ntopics)
        return -1;
    return (int)(v - 1);
}

/*
 * 1 when the code point is part of a word: ASCII letters and digits, and the
 * letters of other scripts (Latin-1 and beyond, below the general punctuation
 * block). Punctuation, symbols and emoji (U+2000 and up) separate words.
 */
static int word_cp(uint32_t cp)
{
    if (cp < 0x80)
        return isalnum((int)cp);
    if (cp == 0xd7 || cp == 0xf7 || cp < 0xc0)
        return 0; /* x, division sign, Latin-1 punctuation */
    return cp < 0x2000 || (cp >= 0x3040 && cp < 0xfe00);
}

/* The code point that ends just before p (text starts at start). */
static uint32_t cp_before(const char *start, const char *p)
{
    const char *q = p;
    uint32_t cp = 0;

    if (p == start)
        return ' ';
    do
        q--;
    while (q > start && ((unsigned char)*q & 0xc0) == 0x80);
    if (!utf8_next(q, (size_t)(p - q), &cp))
        return ' ';
    return cp;
}

static uint32_t cp_at(const char *p)
{
    uint32_t cp = 0;

    if (!*p || !utf8_next(p, strlen(p) < 4 ? strlen(p) : 4, &cp))
        return ' ';
    return cp;
}

/* 1 when phrase occurs in text (both lower-case) with word boundaries around it. */
static int has_phrase(const char *text, const char *phrase)
{
    size_t pl = strlen(phrase);
    const char *p = text;

    if (!pl)
        return 0;
    while ((p = strstr(p, phrase))) {
        int before = !word_cp(cp_before(text, p));
        int after = !word_cp(cp_at(p + pl));
        if (before && after)
            return 1;
        p++;
    }
    return 0;
}

int command_topic_in_text(const struct roster *r, const char *body)
{
    size_t len = strlen(body), i, k;
    char *low = malloc(len + 1);
    int found = -1;

    if (!low)
        return -1;
    for (i = 0; i <= len; i++)
        low[i] = (char)tolower((unsigned char)body[i]);
    for (i = 0; i < r->ntopics && found < 0; i++) {
        for (k = 0; k < r->topics[i].nkeywords && found < 0; k++)
            if (has_phrase(low, r->topics[i].keywords[k]))
                found = (int)i;
    }
    free(low);
    return found;
}
