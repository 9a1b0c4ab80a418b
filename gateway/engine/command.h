/*
 * command.h - reading what people text: carrier keywords (STOP, HELP, ...),
 * the texter's BYE, menu choices and topic words, and peers' # commands.
 *
 * Pure functions over the message text. Keywords match the whole message,
 * trimmed, case-insensitive, with trailing "." or "!" forgiven (a person
 * who writes "Stop." means it).
 */
#ifndef PEERLINE_COMMAND_H
#define PEERLINE_COMMAND_H

#include <stddef.h>
#include <stdint.h>

struct roster;

enum keyword {
    KW_NONE,
    KW_STOP,    /* STOP STOPALL UNSUBSCRIBE CANCEL END QUIT REVOKE OPTOUT */
    KW_START,   /* START UNSTOP YES: opt back in (only meaningful after an opt-out) */
    KW_HELP,    /* HELP INFO */
    KW_BYE,     /* BYE: end the chat, not every text */
    KW_PRIVATE, /* PRIVATE (PRIVADO): no peer in training reads along in this chat */
};

enum keyword command_keyword(const char *body);

enum peer_cmd {
    CMD_NONE, /* not a # command: text to relay */
    CMD_TAKE, /* (coordinators: #take REF) */
    CMD_PASS,
    CMD_END,
    CMD_HELP,
    CMD_ON, /* #on [duration] */
    CMD_OFF,
    CMD_STATUS,
    CMD_TRANSFER, /* #transfer [topic] */
    CMD_ESCALATE, /* #escalate [note] */
    CMD_ACK,      /* #ack REF (coordinators) */
    CMD_CALLBACK, /* #callback REF: call a missed caller back, their number hidden */
    CMD_NOTE,     /* #note TEXT: a private note for whoever talks to this texter next */
    CMD_RES,      /* #res [ID]: the resources that fit, or send one to the texter */
    CMD_DEBRIEF,  /* #debrief: ask the on-call coordinators to check in */
    CMD_SUGGEST,  /* #suggest TEXT: a trainee's suggestion, to the peer only */
    CMD_UNSHADOW, /* #unshadow: a trainee stops reading along */
    CMD_UNKNOWN,  /* a #word we do not know: answered with the command list */
};

struct command {
    enum peer_cmd cmd;
    char arg[160]; /* the rest of the line, trimmed (e.g. "#transfer grief") */
};

/* Parses a peer's message. Returns 1 when it is a # command, 0 otherwise. */
int command_parse(const char *body, struct command *out);

/*
 * The text after a command word, leading spaces skipped, untrimmed and
 * uncut (a #note or #suggest may be longer than arg holds); "" when there
 * is none. body must be a # command (command_parse returned 1).
 */
const char *command_text(const char *body);

/* A bare ON, OFF or STATUS (the whole message): 1 and *out set, else 0. */
int command_parse_bare(const char *body, struct command *out);

/* Short conversation references for coordinators: "R" and Crockford base32 of the id. */
#define COMMAND_REF_MAX 16
void command_ref_format(int64_t id, char out[COMMAND_REF_MAX]);
/* Parses a reference (any case; I and L read as 1, O as 0). 0 on success. */
int command_ref_parse(const char *ref, int64_t *id);
/* Call references: "C" and the same base32 of a call's id (calls have their own letter). */
void command_call_ref_format(int64_t id, char out[COMMAND_REF_MAX]);
/* 0 and *id when ref is a call reference. */
int command_call_ref_parse(const char *ref, int64_t *id);

/* A bare menu number 1..ntopics ("2", " 2. ") -> topic index, else -1. */
int command_menu_choice(const char *body, size_t ntopics);

/*
 * The first topic (roster order) one of whose keywords appears in the text as
 * a word or phrase ("I feel so anxious" -> anxiety), or -1. Topic ids are not
 * matched: "general" is too common a word to mean a choice.
 */
int command_topic_in_text(const struct roster *r, const char *body);

#endif
