/*
 * fuzz_form.c - the webhook's form-body parser, then the signature check
 * over whatever it parsed. The first line of the input is the signature
 * header, the rest the body. Neither may crash, leak, or accept a
 * signature it did not compute. The Body parsed is cut as a relay cuts it.
 */
#include "form.h"
#include "fuzz.h"
#include "sms.h"
#include "twilio.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

/*
 * What a relay carries of a Body (utf8_prefix, RELAY_MAX_CHARS and less): at
 * most that many characters, all of them when there are fewer, and never
 * half a character of the valid UTF-8 form_parse lets through.
 */
static void relay_cut(const char *body)
{
    static const size_t max[] = {0, 1, 2, 3, 70, 160, 1600};
    size_t len, chars, i, n;
    char *cut;

    if (!body)
        return;
    len = strlen(body);
    chars = sms_chars(body);
    for (i = 0; i < sizeof(max) / sizeof(max[0]); i++) {
        n = utf8_prefix(body, len, max[i]);
        if (n > len || !utf8_valid(body, n))
            abort();
        cut = fuzz_cstr((const uint8_t *)body, n);
        if (!cut || sms_chars(cut) != (chars < max[i] ? chars : max[i]))
            abort();
        free(cut);
    }
}

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
        relay_cut(form_get(&f, "Body"));
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
