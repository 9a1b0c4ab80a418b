/*
 * provider.c - see provider.h: the table of providers, by provider.kind.
 */
#include "provider.h"

#include <stdlib.h>
#include <string.h>

/* Indexed by enum provider_kind (config.h). */
static const struct provider *const providers[] = {
    [PROVIDER_TWILIO] = &provider_twilio,
    [PROVIDER_TELNYX] = &provider_telnyx,
};

const struct provider *provider_for(const struct config *cfg)
{
    return providers[cfg->provider.kind];
}

int provider_owns_path(const struct provider *p, const char *path)
{
    size_t i;

    for (i = 0; p->paths[i]; i++)
        if (!strcmp(p->paths[i], path))
            return 1;
    return 0;
}

void provider_inbound_free(struct provider_inbound *in)
{
    free(in->body);
    in->body = NULL;
}
