/*
 * fuzz_twilio.c - the Messages API's answers, as the sender classifies
 * them: the first two bytes are the HTTP status, the rest the JSON body. The
 * sid and error text kept must always be NUL-terminated and a sid must look
 * like one.
 */
#include "fuzz.h"
#include "twilio.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct twilio_result r;
    long status;

    if (size < 2)
        return 0;
    status = (long)((data[0] << 8 | data[1]) % 600);
    memset(&r, 0xAA, sizeof(r));
    twilio_parse_send(status, (const char *)data + 2, size - 2, &r);
    if (!memchr(r.sid, '\0', sizeof(r.sid)) || !memchr(r.error_text, '\0', sizeof(r.error_text)))
        abort();
    if (r.outcome == TWILIO_SENT && !twilio_sid_valid(r.sid))
        abort();
    return 0;
}
