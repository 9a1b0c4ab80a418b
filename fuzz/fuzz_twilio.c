/*
 * fuzz_twilio.c - the Messages API's answers: a send's, as the sender
 * classifies it (the first two bytes are the HTTP status, the rest the JSON
 * body), and the same body as a page of ListMessage, as reconciliation
 * reads it. The sid and error text kept must always be NUL-terminated, a sid
 * must look like one, and a next page must be a path on the same API.
 */
#include "fuzz.h"
#include "twilio.h"

#include <stdlib.h>
#include <string.h>

static int each(void *arg, const struct twilio_listed *m)
{
    (void)arg;
    if (!twilio_sid_valid(m->sid) || !m->from || !m->to || !m->body || m->num_media < 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct provider_result r;
    char next[256];
    int skipped;
    long status;

    if (size < 2)
        return 0;
    status = (long)((data[0] << 8 | data[1]) % 600);
    memset(&r, 0xAA, sizeof(r));
    twilio_parse_send(status, (const char *)data + 2, size - 2, &r);
    if (!memchr(r.id, '\0', sizeof(r.id)) || !memchr(r.error_text, '\0', sizeof(r.error_text)))
        abort();
    if (r.outcome == PROVIDER_SENT && !twilio_sid_valid(r.id))
        abort();
    memset(next, 'x', sizeof(next));
    if (twilio_parse_list((const char *)data + 2, size - 2, each, NULL, next, sizeof(next),
                          &skipped) == 0 &&
        (!memchr(next, '\0', sizeof(next)) || (next[0] && (next[0] != '/' || next[1] == '/'))))
        abort();
    return 0;
}
