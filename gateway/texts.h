/*
 * texts.h - every text peerline writes to a person, by id and language.
 *
 * These few lines are the whole interface a texter sees (SPEC section 5.5):
 * plain, warm, short, one GSM-7 segment where they are routine, no emoji or
 * curly quotes. Placeholders are {name}; texts_render() fills them. English
 * ships built in; a language without a template falls back to English.
 */
#ifndef PEERLINE_TEXTS_H
#define PEERLINE_TEXTS_H

#include <stddef.h>

struct buf;

enum text_id {
    TX_WELCOME,      /* first text ever to a number: who we are, BYE/STOP/HELP */
    TX_MENU,         /* {menu} */
    TX_MENU_AGAIN,   /* {menu} */
    TX_QUEUED,       /* {position} {topic} */
    TX_STILL_QUEUED, /* {position} */
    TX_LEFT_QUEUE,
    TX_NOT_IN_CHAT,
    TX_INTRO_TEXTER, /* {peer} */
    TX_INTRO_PEER,
    TX_OFFER, /* {kind} {topic} {lang} {wait} {expires} */
    TX_OFFER_WAITING,
    TX_OFFER_GONE,
    TX_OFFER_WITHDRAWN,
    TX_PASSED,
    TX_ALREADY_IN_CHAT,
    TX_BYE_TEXTER,
    TX_TEXTER_LEFT, /* to the peer when the texter ends the chat */
    TX_END_TEXTER,  /* {peer} */
    TX_END_PEER,
    TX_CLOSED_NUMBER,
    TX_STOP_CONFIRM,  /* {line} */
    TX_START_CONFIRM, /* {line} */
    TX_HELP,          /* {line} */
    TX_PEER_HELP,
    TX_PEER_STEPPED_AWAY,
    TX_RELAY_FAILED_TEXTER,
    TX_RELAY_FAILED_PEER,
    TX_POOL_STRANGER,         /* {line} {line_number} */
    TX_NO_PICTURES,           /* to whoever sent a picture */
    TX_PICTURE_NOT_PASSED,    /* to the other side, when a text was only a picture */
    TX_CLOSED_BY_LINE,        /* to a peer whose chat the line closed (the texter was blocked) */
    TX_TEXTER_UNREACHABLE,    /* to a peer whose texter can no longer receive texts */
    TX_TROUBLE,               /* a text we could not handle at all */
    TX_QUEUED_ESTIMATE,       /* {position} {topic} {wait} */
    TX_QUEUED_NO_SHIFT,       /* {position} {when} */
    TX_QUEUED_NO_ONE,         /* {position} */
    TX_QUEUE_UPDATE,          /* {position} */
    TX_QUEUE_UPDATE_ESTIMATE, /* {position} {wait} */
    TX_UPDATE_NO_SHIFT,       /* {position} {when} */
    TX_UPDATE_NO_ONE,         /* {position} */
    TX_MAX_WAIT,
    TX_NUDGE_PEER,
    TX_SILENT_PEER_REQUEUED,
    TX_IDLE_CLOSED_TEXTER,
    TX_IDLE_CLOSED_PEER,
    TX_IDLE_URGENT_PEER,
    TX_MISSED_OFFERS,
    TX_ON,  /* {until} */
    TX_OFF, /* {until} */
    TX_OFF_UNTIL_ON,
    TX_STATUS,             /* {state} {open} {queue} */
    TX_TRANSFERRED_TEXTER, /* {peer} */
    TX_TRANSFERRED_PEER,
    TX_TRANSFER_UNKNOWN, /* {topic} {topics} */
    TX_ESCALATED_PEER,   /* {ref} */
    TX_ALERT_ESCALATE,   /* {ref} {peer} {topic} {note} */
    TX_ALERT_IDLE,       /* {ref} {topic} */
    TX_ACKED,            /* {ref} */
    TX_NO_ALERT,         /* {ref} */
    TX_TAKE_REF_REFUSED, /* {ref} */
    TX_STAFF_HELP,
    TX_ONLY_IN_CHAT,
    TX_COUNT
};

struct text_var {
    const char *name;
    const char *value;
};

/* The raw template (English when `lang` has none). */
const char *texts_template(enum text_id id, const char *lang);

/*
 * Appends the template with each {name} replaced by its value from vars.
 * An unknown placeholder is left as written (check catches those).
 * Returns 0, or -1 when out of memory.
 */
int texts_render(enum text_id id, const char *lang, const struct text_var *vars, size_t nvars,
                 struct buf *out);

/* "English", "Spanish", ... for a language code (the code itself if unknown). */
const char *texts_language_name(const char *code);

#endif
