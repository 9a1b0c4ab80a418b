/*
 * twiml.h - writing TwiML, the XML a Twilio voice webhook answers with:
 * only the verbs peerline's call flow uses, every text and attribute
 * escaped. Pure: it appends to a buf; the first failure sticks and
 * twiml_end() reports it, so callers check once.
 */
#ifndef PEERLINE_TWIML_H
#define PEERLINE_TWIML_H

#include "buf.h"

struct twiml {
    struct buf *b;
    const char *lang; /* Twilio's language tag for <Say> and <Gather>, e.g. "en-US"; may be NULL */
    int failed;
};

/* Starts a document in b (emptied first), spoken in lang (a peerline code: "en", "es"). */
void twiml_begin(struct twiml *t, struct buf *b, const char *lang);
/* Ends it: 0, or -1 when anything could not be written (out of memory). */
int twiml_end(struct twiml *t);

/* Twilio's language tag for a peerline language code ("en" -> "en-US"); NULL when unknown. */
const char *twiml_lang(const char *code);

void twiml_say(struct twiml *t, const char *text);
/* loop 0 plays forever (Twilio's meaning). */
void twiml_play(struct twiml *t, const char *url, int loop);
void twiml_pause(struct twiml *t, int seconds);
void twiml_redirect(struct twiml *t, const char *url);
void twiml_hangup(struct twiml *t);

/* <Gather ...>: what it says goes inside, then twiml_gather_end(). */
struct twiml_gather {
    const char *action;
    int num_digits; /* 0: any number, ended by '#' or the timeout */
    int timeout_s;
    int speech;        /* also listen for speech */
    const char *hints; /* speech hints, comma-separated; may be NULL */
};
void twiml_gather(struct twiml *t, const struct twiml_gather *g);
void twiml_gather_end(struct twiml *t);

/* <Dial><Number>: a call to number, showing caller_id (may be NULL: the line's). */
void twiml_dial_number(struct twiml *t, const char *action, const char *caller_id, int timeout_s,
                       const char *number);

/* <Dial><Conference>: into the room `name`; wait_url is what is heard while it has not started. */
struct twiml_conference {
    const char *action; /* the Dial's: requested once this party leaves; may be NULL */
    const char *name;
    int start_on_enter, end_on_exit;
    const char *wait_url; /* may be NULL */
};
void twiml_conference(struct twiml *t, const struct twiml_conference *c);

/* <Record>: a message of at most max_s seconds, ended by timeout_s of silence. */
void twiml_record(struct twiml *t, const char *action, int max_s, int timeout_s);

#endif
