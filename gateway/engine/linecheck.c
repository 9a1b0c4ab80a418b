/*
 * linecheck.c - see linecheck.h.
 */
#include "linecheck.h"
#include "config.h"
#include "crosscheck.h"
#include "diag.h"
#include "rescheck.h"
#include "roster.h"
#include "texts.h"

#include <string.h>

size_t linecheck_pair(const struct config *c, const struct texts *t, const struct roster *r,
                      struct diag *d)
{
    size_t before = diag_count(d);

    crosscheck_files(c, r, d);
    rescheck_resources(c, r, d);
    if (t)
        texts_check(t, c, r, d);
    return diag_count(d) - before;
}

int linecheck_load(const char *config_path, struct line_files *out, struct diag *d)
{
    size_t before = diag_count(d);

    memset(out, 0, sizeof(*out));
    out->cfg = config_load(config_path, NULL, d);
    if (!out->cfg)
        goto fail;
    /* Every problem at once, as `check` lists them: each file's, then the pair's. */
    out->roster = roster_load(out->cfg->roster, NULL, d);
    out->texts = texts_new(out->cfg, d);
    if (out->roster)
        linecheck_pair(out->cfg, out->texts, out->roster, d);
    if (!out->roster || !out->texts || diag_count(d) > before)
        goto fail;
    return 0;
fail:
    linecheck_free(out);
    return -1;
}

void linecheck_free(struct line_files *f)
{
    texts_free(f->texts);
    roster_free(f->roster);
    config_free(f->cfg);
    memset(f, 0, sizeof(*f));
}
