/*
 * crosscheck.c - see crosscheck.h.
 */
#include "crosscheck.h"
#include "config.h"
#include "diag.h"
#include "roster.h"
#include "twins.h"

#include <stdlib.h>
#include <string.h>

/*
 * Each token's coordinator id against the roster's, by sorting both together
 * (twins.h): a token's twin below ncoordinators is its coordinator.
 */
static void tokens_name_coordinators(const struct config *c, const struct roster *r, struct diag *d)
{
    size_t n = r->ncoordinators + c->admin.ntokens, i;
    const char **ids = calloc(n + 1, sizeof(*ids));
    size_t *twin = calloc(n + 1, sizeof(*twin));

    if (!ids || !twin)
        goto oom;
    for (i = 0; i < r->ncoordinators; i++)
        ids[i] = r->coordinators[i].id;
    for (i = 0; i < c->admin.ntokens; i++)
        ids[r->ncoordinators + i] = c->admin.coordinator_tokens[i].id;
    if (twins_find(ids, n, 0, twin))
        goto oom;
    for (i = 0; i < c->admin.ntokens; i++) {
        size_t t = twin[r->ncoordinators + i];
        if (t == TWINS_NONE || t >= r->ncoordinators)
            diag_add(d, c->path, 0, 0, "admin.coordinator_tokens: %s is not a coordinator id in %s",
                     c->admin.coordinator_tokens[i].id, r->path);
    }
    goto done;
oom:
    diag_add(d, c->path, 0, 0, "out of memory");
done:
    free(ids);
    free(twin);
}

void crosscheck_files(const struct config *c, const struct roster *r, struct diag *d)
{
    size_t i;

    tokens_name_coordinators(c, r, d);
    for (i = 0; i < r->npeers; i++)
        if (config_is_own_number(c, r->peers[i].phone))
            diag_add(d, r->path, 0, 0, "peer %s has one of the line's own numbers as phone",
                     r->peers[i].id);
    for (i = 0; i < r->ncoordinators; i++)
        if (config_is_own_number(c, r->coordinators[i].phone))
            diag_add(d, r->path, 0, 0, "coordinator %s has one of the line's own numbers as phone",
                     r->coordinators[i].id);
}
