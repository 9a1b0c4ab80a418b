/*
 * twiml.c - see twiml.h.
 */
#include "twiml.h"

#include <string.h>

static void put(struct twiml *t, const char *s)
{
    if (!t->failed && buf_puts(t->b, s))
        t->failed = 1;
}

/* s with &, <, >, " and ' escaped: safe inside text and inside "..." attributes alike. */
static void esc(struct twiml *t, const char *s)
{
    static const char *const ent[] = {
        ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&apos;"};
    const char *run = s;

    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < sizeof(ent) / sizeof(ent[0]) && ent[c]) {
            if (!t->failed && buf_append(t->b, run, (size_t)(s - run)))
                t->failed = 1;
            put(t, ent[c]);
            run = s + 1;
        }
    }
    if (run && !t->failed && buf_append(t->b, run, (size_t)(s - run)))
        t->failed = 1;
}

/* ` name="value"` (nothing when value is NULL). */
static void attr(struct twiml *t, const char *name, const char *value)
{
    if (!value)
        return;
    put(t, " ");
    put(t, name);
    put(t, "=\"");
    esc(t, value);
    put(t, "\"");
}

static void attr_int(struct twiml *t, const char *name, int v)
{
    if (!t->failed && buf_printf(t->b, " %s=\"%d\"", name, v))
        t->failed = 1;
}

const char *twiml_lang(const char *code)
{
    static const char *const tags[][2] = {{"en", "en-US"}, {"es", "es-US"}, {"fr", "fr-CA"},
                                          {"pt", "pt-BR"}, {"de", "de-DE"}, {"it", "it-IT"},
                                          {"zh", "zh-CN"}, {"vi", "vi-VN"}, {"ko", "ko-KR"}};
    size_t i;

    for (i = 0; code && i < sizeof(tags) / sizeof(tags[0]); i++)
        if (!strcmp(code, tags[i][0]))
            return tags[i][1];
    return NULL;
}

void twiml_begin(struct twiml *t, struct buf *b, const char *lang)
{
    t->b = b;
    t->lang = twiml_lang(lang);
    t->failed = 0;
    buf_reset(b);
    put(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>");
}

int twiml_end(struct twiml *t)
{
    put(t, "</Response>");
    return t->failed ? -1 : 0;
}

void twiml_say(struct twiml *t, const char *text)
{
    put(t, "<Say");
    attr(t, "language", t->lang);
    put(t, ">");
    esc(t, text);
    put(t, "</Say>");
}

void twiml_play(struct twiml *t, const char *url, int loop)
{
    put(t, "<Play");
    attr_int(t, "loop", loop);
    put(t, ">");
    esc(t, url);
    put(t, "</Play>");
}

void twiml_pause(struct twiml *t, int seconds)
{
    put(t, "<Pause");
    attr_int(t, "length", seconds);
    put(t, "/>");
}

void twiml_redirect(struct twiml *t, const char *url)
{
    put(t, "<Redirect method=\"POST\">");
    esc(t, url);
    put(t, "</Redirect>");
}

void twiml_hangup(struct twiml *t)
{
    put(t, "<Hangup/>");
}

void twiml_gather(struct twiml *t, const struct twiml_gather *g)
{
    put(t, "<Gather");
    attr(t, "input", g->speech ? "dtmf speech" : "dtmf");
    if (g->num_digits > 0)
        attr_int(t, "numDigits", g->num_digits);
    attr_int(t, "timeout", g->timeout_s);
    attr(t, "action", g->action);
    attr(t, "method", "POST");
    attr(t, "language", g->speech ? t->lang : NULL);
    attr(t, "hints", g->speech ? g->hints : NULL);
    put(t, ">");
}

void twiml_gather_end(struct twiml *t)
{
    put(t, "</Gather>");
}

void twiml_dial_number(struct twiml *t, const char *action, const char *caller_id, int timeout_s,
                       const char *number)
{
    put(t, "<Dial");
    attr(t, "action", action);
    attr(t, "method", action ? "POST" : NULL);
    attr_int(t, "timeout", timeout_s);
    attr(t, "callerId", caller_id);
    put(t, "><Number>");
    esc(t, number);
    put(t, "</Number></Dial>");
}

void twiml_conference(struct twiml *t, const struct twiml_conference *c)
{
    put(t, "<Dial");
    attr(t, "action", c->action);
    attr(t, "method", c->action ? "POST" : NULL);
    put(t, "><Conference");
    attr(t, "startConferenceOnEnter", c->start_on_enter ? "true" : "false");
    attr(t, "endConferenceOnExit", c->end_on_exit ? "true" : "false");
    attr(t, "beep", "false");
    attr(t, "waitUrl", c->wait_url);
    attr(t, "waitMethod", c->wait_url ? "POST" : NULL);
    put(t, ">");
    esc(t, c->name);
    put(t, "</Conference></Dial>");
}

void twiml_record(struct twiml *t, const char *action, int max_s, int timeout_s)
{
    put(t, "<Record");
    attr(t, "action", action);
    attr(t, "method", "POST");
    attr_int(t, "maxLength", max_s);
    attr_int(t, "timeout", timeout_s);
    attr(t, "playBeep", "true");
    put(t, "/>");
}
