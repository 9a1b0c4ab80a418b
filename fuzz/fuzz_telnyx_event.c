/*
 * fuzz_telnyx_event.c - Telnyx webhook bodies (JSON) read as events, and
 * Messages API answers classified: any bytes give one verdict, a refusal
 * says why, a text always has its numbers and a body, and nothing reads
 * past what it was given.
 */
#include "fuzz.h"
#include "telnyx.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct provider_inbound in;
    struct provider_result r;
    char why[200] = "";
    enum provider_verdict v;
    char *body = malloc(size + 1); /* exactly the input: a read past it is caught */

    if (!body)
        abort();
    memcpy(body, data, size);
    v = telnyx_parse_event(body, size, &in, why, sizeof(why));
    if (v != PROVIDER_OK && v != PROVIDER_BAD)
        abort();
    if (v != PROVIDER_OK && !why[0])
        abort();
    if (v == PROVIDER_OK && in.kind == PROVIDER_EV_TEXT && (!in.body || !in.from[0] || !in.to[0]))
        abort();
    if (v == PROVIDER_OK && !telnyx_id_valid(in.id))
        abort();
    provider_inbound_free(&in);
    telnyx_parse_send(size ? 200 + (long)(data[0] % 4) * 100 : 0, body, size, &r);
    if (r.outcome == PROVIDER_SENT && !telnyx_id_valid(r.id))
        abort();
    free(body);
    return 0;
}
