/*
 * crosscheck.c - see crosscheck.h.
 */
#include "crosscheck.h"
#include "config.h"
#include "diag.h"
#include "roster.h"

#include <string.h>

void crosscheck_files(const struct config *c, const struct roster *r, struct diag *d)
{
    size_t i, j;

    for (i = 0; i < c->admin.ntokens; i++) {
        for (j = 0; j < r->ncoordinators; j++)
            if (!strcmp(r->coordinators[j].id, c->admin.coordinator_tokens[i].id))
                break;
        if (j == r->ncoordinators)
            diag_add(d, c->path, 0, 0, "admin.coordinator_tokens: %s is not a coordinator id in %s",
                     c->admin.coordinator_tokens[i].id, r->path);
    }
    for (i = 0; i < r->npeers; i++)
        if (config_is_own_number(c, r->peers[i].phone))
            diag_add(d, r->path, 0, 0, "peer %s has one of the line's own numbers as phone",
                     r->peers[i].id);
    for (i = 0; i < r->ncoordinators; i++)
        if (config_is_own_number(c, r->coordinators[i].phone))
            diag_add(d, r->path, 0, 0, "coordinator %s has one of the line's own numbers as phone",
                     r->coordinators[i].id);
}
