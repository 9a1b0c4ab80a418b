/*
 * rescheck.c - see rescheck.h.
 */
#include "rescheck.h"
#include "config.h"
#include "diag.h"
#include "resources.h"
#include "roster.h"
#include "sms.h"
#include "texts.h"

#include <string.h>

/* Every language shipped or offered must be there; reported at the resource's text:. */
static void needs_language(const struct roster *r, const struct roster_resource *res,
                           const char *lang, struct diag *d)
{
    if (resource_text(res, lang))
        return;
    diag_add(d, r->path, res->text_line ? res->text_line : res->line,
             res->text_line ? res->text_col : res->col,
             "resource %s has no %s text: each resource needs every language peerline ships "
             "(en, es) and every language the line offers",
             res->id ? res->id : "?", lang);
}

static void fits_segments(const struct roster *r, const struct roster_resource *res,
                          const struct roster_resource_text *t, struct diag *d)
{
    int segs = sms_segments(t->text), gsm = sms_is_gsm7(t->text);

    if (segs <= RESCHECK_SEGMENTS)
        return;
    if (gsm)
        diag_add(d, r->path, t->line, t->col,
                 "resource %s: the %s text is %d segments, %zu characters (at most %d segments: "
                 "%d characters)",
                 res->id ? res->id : "?", t->lang, segs, sms_chars(t->text), RESCHECK_SEGMENTS,
                 RESCHECK_SEGMENTS * 153);
    else
        diag_add(d, r->path, t->line, t->col,
                 "resource %s: the %s text is %d segments, %zu characters (at most %d segments: "
                 "%d characters, since it needs UCS-2 for an accent like í, another script or an "
                 "emoji)",
                 res->id ? res->id : "?", t->lang, segs, sms_chars(t->text), RESCHECK_SEGMENTS,
                 RESCHECK_SEGMENTS * 67);
}

size_t rescheck_resources(const struct config *c, const struct roster *r, struct diag *d)
{
    size_t before = diag_count(d), i, k;
    const char *lang;

    for (i = 0; i < r->nresources; i++) {
        const struct roster_resource *res = &r->resources[i];

        for (k = 0; (lang = texts_shipped(k)); k++)
            needs_language(r, res, lang, d);
        for (k = 0; k < c->languages.n; k++) {
            size_t s;
            for (s = 0; texts_shipped(s) && strcmp(texts_shipped(s), c->languages.items[k]); s++)
                ;
            if (!texts_shipped(s)) /* a shipped one is asked for above */
                needs_language(r, res, c->languages.items[k], d);
        }
        for (k = 0; k < res->ntexts; k++)
            fits_segments(r, res, &res->texts[k], d);
    }
    return diag_count(d) - before;
}
