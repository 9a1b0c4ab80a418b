/*
 * provider.c - see provider.h: the table of providers, by provider.kind.
 */
#include "provider.h"
#include "utf8.h"

#include <stdint.h>
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

void provider_error_text(struct provider_result *r, const char *text)
{
    size_t len = text ? strlen(text) : 0, i = 0, o = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(text + i, len - i, &cp);
        if (!n) { /* not UTF-8: one byte, shown as '?' */
            if (o + 1 >= sizeof(r->error_text))
                break;
            r->error_text[o++] = '?';
            i++;
            continue;
        }
        if (o + n >= sizeof(r->error_text))
            break;
        memcpy(r->error_text + o, text + i, n);
        o += n;
        i += n;
    }
    r->error_text[o] = '\0';
}
