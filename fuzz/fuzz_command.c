/*
 * fuzz_command.c - what peers and texters type: # commands, bare ON/OFF/
 * STATUS, conversation references and menu numbers, and how much of a
 * #note is kept. Any bytes in, a bounded answer out.
 */
#include "command.h"
#include "fuzz.h"
#include "notes.h"
#include "sms.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size), ref[COMMAND_REF_MAX];
    struct command c;
    int64_t id;
    int t;

    if (!s)
        return 0;
    memset(&c, 0, sizeof(c));
    if (command_parse(s, &c)) {
        const char *text = command_text(s);
        if (!memchr(c.arg, '\0', sizeof(c.arg)))
            abort();
        size_t len, kept;
        int cut;
        if (text < s || text > s + strlen(s)) /* the text is within the message */
            abort();
        /* A #note keeps whole characters, at most NOTES_MAX_CHARS of them. */
        len = strlen(text);
        kept = notes_keep(text, &cut);
        if (kept > len || (!cut && kept < len && strspn(text + kept, " \t\r\n") != len - kept))
            abort();
        {
            char *note = strndup(text, kept);
            if (note && (sms_chars(note) > NOTES_MAX_CHARS ||
                         (utf8_valid(text, len) && !utf8_valid(note, kept))))
                abort();
            free(note);
        }
    }
    (void)command_keyword(s);
    (void)command_parse_bare(s, &c);
    if (command_ref_parse(s, &id) == 0) {
        int64_t back;
        command_ref_format(id, ref); /* a reference parses back to the same id */
        if (command_ref_parse(ref, &back) || back != id)
            abort();
    }
    t = command_menu_choice(s, 9);
    if (t < -1 || t >= 9)
        abort();
    free(s);
    return 0;
}
