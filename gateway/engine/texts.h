/*
 * texts.h - every text peerline writes to a person, by id and language.
 *
 * These few lines are the whole interface a texter sees (SPEC section 5.5):
 * plain, warm, short, no emoji or curly quotes in English. Each template has
 * a config name (the id without TX_, lower case: "welcome") and {name}
 * placeholders; texts_render() fills them. English (texts_en.c) and Spanish
 * (texts_es.c) ship complete; a line may override any template, or add a
 * language, under `texts:` in peerline.yaml. texts_check() is what
 * `peerline check` runs: every offered language complete, every placeholder
 * the same as English's, every routine text within its segment budget with
 * the roster's longest names filled in.
 */
#ifndef PEERLINE_TEXTS_H
#define PEERLINE_TEXTS_H

#include <stddef.h>

struct buf;
struct config;
struct diag;
struct roster;

enum text_id {
    TX_WELCOME,      /* {line} */
    TX_MENU,         /* {menu} {switch} */
    TX_MENU_AGAIN,   /* {menu} {switch} */
    TX_QUEUED,       /* {position} {topic} */
    TX_STILL_QUEUED, /* {position} */
    TX_LEFT_QUEUE,
    TX_NOT_IN_CHAT,
    TX_INTRO_TEXTER, /* {peer} */
    TX_INTRO_PEER,
    TX_OFFER, /* {expires} {lang} {topic} {wait} */
    TX_OFFER_WAITING,
    TX_OFFER_GONE,
    TX_OFFER_WITHDRAWN,
    TX_PASSED,
    TX_ALREADY_IN_CHAT,
    TX_BYE_TEXTER,
    TX_TEXTER_LEFT,
    TX_END_TEXTER, /* {peer} */
    TX_END_PEER,
    TX_CLOSED_NUMBER,
    TX_STOP_CONFIRM,  /* {crisis_line} {emergency} {line} */
    TX_START_CONFIRM, /* {line} */
    TX_HELP,          /* {crisis_line} {emergency} {line} */
    TX_PEER_HELP,
    TX_PEER_STEPPED_AWAY,
    TX_RELAY_FAILED_TEXTER,
    TX_RELAY_FAILED_PEER,
    TX_POOL_STRANGER, /* {line} {line_number} */
    TX_NO_PICTURES,
    TX_PICTURE_NOT_PASSED,
    TX_CLOSED_BY_LINE,
    TX_TEXTER_UNREACHABLE,
    TX_TROUBLE,               /* {crisis_line} {emergency} */
    TX_QUEUED_ESTIMATE,       /* {position} {topic} {wait} */
    TX_QUEUED_NO_SHIFT,       /* {position} {when} */
    TX_QUEUED_NO_ONE,         /* {crisis_line} {emergency} {position} */
    TX_QUEUE_UPDATE,          /* {position} */
    TX_QUEUE_UPDATE_ESTIMATE, /* {position} {wait} */
    TX_UPDATE_NO_SHIFT,       /* {position} {when} */
    TX_UPDATE_NO_ONE,         /* {crisis_line} {emergency} {position} */
    TX_MAX_WAIT,              /* {crisis_line} {emergency} */
    TX_NUDGE_PEER,
    TX_SILENT_PEER_REQUEUED,
    TX_IDLE_CLOSED_TEXTER,
    TX_IDLE_CLOSED_PEER,
    TX_IDLE_URGENT_PEER,
    TX_MISSED_OFFERS,
    TX_ON,  /* {until} */
    TX_OFF, /* {until} */
    TX_OFF_UNTIL_ON,
    TX_STATUS,             /* {open} {queue} {state} */
    TX_TRANSFERRED_TEXTER, /* {peer} */
    TX_TRANSFERRED_PEER,
    TX_TRANSFER_UNKNOWN, /* {topic} {topics} */
    TX_ESCALATED_PEER,   /* {ref} */
    TX_ALERT_ESCALATE,   /* {note} {peer} {ref} {topic} */
    TX_ALERT_IDLE,       /* {ref} {topic} */
    TX_ACKED,            /* {ref} */
    TX_NO_ALERT,         /* {ref} */
    TX_TAKE_REF_REFUSED, /* {ref} */
    TX_STAFF_HELP,
    TX_ONLY_IN_CHAT,
    TX_SAFETY,                 /* {crisis_line} {emergency} */
    TX_ALERT_CRISIS,           /* {ref} */
    TX_ALERT_CRISIS_OPTED_OUT, /* {ref} */
    TX_ALERT_CRISIS_BLOCKED,   /* {ref} */
    TX_ALERT_UNACKED,          /* {ref} */
    TX_ALERT_URGENT_BYE,       /* {ref} {topic} */
    TX_ALERT_PEER_OPTOUT,      /* {peer} */
    TX_ALERT_CRISIS_UNHANDLED,
    TX_ALERT_SIGNATURES, /* {count} */
    TX_LINE_CLOSED_TEXTER,
    TX_LANG_OFFER,
    TX_LANG_SET,
    TX_FLOOD,
    TX_RATING_ASK,
    TX_RATING_THANKS,
    TX_TEXTER_BYE_PEER, /* {minutes} */
    TX_LAST_WORD_SENT,
    TX_OFFER_URGENT, /* {expires} {lang} {topic} {wait} */
    TX_STATE_ON_SHIFT,
    TX_STATE_OFF_SHIFT,
    TX_STATE_ON_UNTIL,  /* {until} */
    TX_STATE_OFF_UNTIL, /* {until} */
    TX_STATE_ON,
    TX_STATE_OFF,
    TX_STATE_COORDINATOR,
    TX_ALERT_VOICEMAIL,       /* {ref} {topic} {seconds} */
    TX_ALERT_MISSED_CALL,     /* {ref} {topic} */
    TX_ALERT_CRISIS_CALL,     /* {ref} */
    TX_MISSED_CALL,           /* {line} {crisis_line} {emergency} */
    TX_CALLBACK_STARTED,      /* {ref} */
    TX_CALLBACK_REFUSED,      /* {ref} */
    TX_RELAY_SHORTENED,       /* {max}: to the peer, the texter's text was cut */
    TX_REPLY_SHORTENED,       /* {max}: to the peer, their own text was cut */
    TX_DEBRIEF_OFFER,         /* {ref}: to a peer, after an urgent chat of theirs ended */
    TX_DEBRIEF_ASKED,         /* to the peer who sent #debrief */
    TX_ALERT_DEBRIEF,         /* {peer} {peer_id} {ref}: to the on-call coordinators */
    TX_ALERT_DEBRIEF_NO_CHAT, /* {peer} {peer_id}: the same, no chat of theirs known */
    TX_NOTE_SAVED,            /* #note: kept */
    TX_NOTE_SHORTENED,        /* {max}: #note kept, but only its first {max} characters */
    TX_NOTE_USAGE,            /* #note with no words */
    TX_NOTE_NOT_TAKEN,        /* #note on a chat offered, not taken yet */
    TX_NOTES_HEADING,         /* before the notes a peer gets on taking a texter */
    TX_NOTE_LINE, /* {writer} {age} {note}: one of them (unbudgeted: the writer's length) */
    TX_RES_LIST,  /* {list}: #res, the resources that fit (roster data: unbudgeted) */
    TX_RES_NONE,  /* #res, and none fits the chat's topic and language */
    TX_RES_SENT,  /* {resource}: #res ID went to the texter (the label) */
    /* Trainees reading along (engine_shadow.c). */
    TX_SHADOW_INTRO,        /* {peer} {topic}: to a trainee, from the number of their copy */
    TX_SHADOW_TEXTER,       /* to the texter, after the introduction */
    TX_SHADOW_PEER,         /* {trainee}: to the peer, on the chat's number */
    TX_SUGGESTION,          /* {trainee} {text}: to the peer; its length is the trainee's */
    TX_SUGGESTION_SENT,     /* {peer}: to the trainee */
    TX_SHADOW_READ_ONLY,    /* {peer}: to the trainee, for anything else they write */
    TX_SHADOW_END_CLOSED,   /* to the trainee */
    TX_SHADOW_END_REQUEUED, /* to the trainee */
    TX_SHADOW_END_URGENT,   /* to the trainee */
    TX_SHADOW_END_PRIVATE,  /* to the trainee */
    TX_SHADOW_END_UNSHADOW, /* to the trainee */
    TX_SHADOW_STOPPED_PEER, /* {trainee}: to the peer */
    TX_SHADOW_PRIVATE_PEER, /* {trainee}: to the peer */
    TX_PRIVATE_TEXTER,      /* to the texter, after PRIVATE */
    TX_NOT_SHADOWING,       /* to a trainee's #unshadow with no copy open */
    TX_SUGGEST_WHERE,       /* to a trainee's #suggest outside a copy's thread */
    TX_TRAINEE_HELP,        /* to a trainee: their commands */
    TX_NONE,
    TX_COUNT
};

struct text_var {
    const char *name;
    const char *value;
};

struct texts;

/*
 * The shipped templates with the config's overrides, for the languages the
 * config offers (cfg->languages; the first is the default). Every problem in
 * the overrides (unknown language or template, placeholders that differ from
 * English's, an offered language with a template missing) goes to d with its
 * line and column, and NULL is returned.
 */
struct texts *texts_new(const struct config *cfg, struct diag *d);
void texts_free(struct texts *t);

/*
 * The segment budget (SPEC 5.5), with the roster's longest line name, peer
 * name, topic label and resource label filled in: a GSM-7 text fits one
 * segment; a text that needs UCS-2 (accents, other scripts) fits two. Menus,
 * topic and resource lists and alerts carrying a peer's note are left out:
 * their length is the roster's or the writer's. Problems go to d at the
 * template's place (or the file).
 */
void texts_check(const struct texts *t, const struct config *cfg, const struct roster *r,
                 struct diag *d);

/* `code` if the line offers it, else the default language. */
const char *texts_lang(const struct texts *t, const char *code);
/* The offered languages, in order. */
size_t texts_languages(const struct texts *t, const char *const **codes);

/* The template (in `lang`, or the default language). */
const char *texts_template(const struct texts *t, enum text_id id, const char *lang);

/*
 * Appends the template with each {name} replaced by its value from vars.
 * An unknown placeholder is left as written. Returns 0, or -1 out of memory.
 */
int texts_render(const struct texts *t, enum text_id id, const char *lang,
                 const struct text_var *vars, size_t nvars, struct buf *out);
/* As texts_render, for any template s (the spoken ones of voice_words.h). */
int texts_fill(const char *s, const struct text_var *vars, size_t nvars, struct buf *out);

/* A template's config name ("welcome"), and back (-1: no such template). */
const char *texts_name(enum text_id id);
int texts_id(const char *name);

/* The i-th language peerline ships complete ("en", "es"), or NULL past the last. */
const char *texts_shipped(size_t i);

/* "Spanish" in English, "español" in Spanish; the code itself if unknown. */
const char *texts_language_name(const char *code, const char *in_lang);
/* "Wed" / "mié" for 0 = Sunday .. 6. */
const char *texts_day_name(int wday, const char *lang);

#endif
