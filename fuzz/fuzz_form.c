/*
 * fuzz_form.c - the webhook's form-body parser, then the signature check
 * over whatever it parsed. The first line of the input is the signature
 * header, the rest the body. Neither may crash, leak, or accept a
 * signature it did not compute.
 */
#include "form.h"
#include "fuzz.h"
#include "twilio.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t siglen = nl ? (size_t)(nl - data) : 0;
    char *sig = fuzz_cstr(data, siglen);
    const char *body = (const char *)data + (nl ? siglen + 1 : 0);
    size_t len = size - (nl ? siglen + 1 : 0), where = 0;
    const char *why = NULL;
    struct form f = {0};
    char good[TWILIO_SIG_LEN];

    if (!sig)
        return 0;
    if (form_parse(body, len, &f, &why, &where) == 0) {
        size_t i;
        for (i = 0; i < f.n; i++) /* every value is a C string */
            (void)strlen(f.params[i].value);
        (void)form_get(&f, "Body");
        (void)twilio_verify("fuzz-auth-token", "https://line.example.org/twilio/sms", &f, sig);
        if (twilio_signature("fuzz-auth-token", "https://line.example.org:443/twilio/sms", &f,
                             good) == 0 &&
            !twilio_verify("fuzz-auth-token", "https://line.example.org/twilio/sms", &f, good))
            abort(); /* the port variant must verify */
    } else if (!why || where > len) {
        abort(); /* a refusal says what and where */
    }
    form_free(&f);
    free(sig);
    return 0;
}
