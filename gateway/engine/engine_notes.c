/*
 * engine_notes.c - peers' private notes (SPEC section 11), the engine's side.
 *
 * `#note TEXT` in an active chat's thread (or in the thread of the last
 * chat they took there, when it closed or they handed it back less than
 * NOTES_AFTER_CLOSE ago: a chat often ends before its peer has written)
 * keeps a note on the chat, with
 * the texter's number and the writer's first name; the peer is told it was
 * saved (or that only its first NOTES_MAX_CHARS characters were). When a
 * peer takes a texter (start_chat: a first take, after #transfer, after a
 * re-queue, a coordinator's #take REF, the texter's return), right after
 * their introduction they get that texter's notes written in this
 * conversation or, before it, within timers.rematch_window, newest first, at most NOTES_MAX_SHOWN,
 * each as "NAME, AGE ago: TEXT" under a heading, packed into as few texts as one outbox text
 * carries (notes.h). The texter never gets a note; a note's words are never logged (only the chat,
 * the writer and a count).
 */
#include "engine_priv.h"
#include "buf.h"
#include "command.h"
#include "config.h"
#include "log.h"
#include "notes.h"
#include "roster.h"
#include "sms.h"
#include "store.h"
#include "texts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int engine_note_write(struct engine *e, const struct roster_peer *peer, const struct store_conv *c,
                      const struct store_inbound *in)
{
    const char *text = command_text(in->body);
    size_t n;
    char *body, max[16];
    int cut, rc;

    n = notes_keep(text, &cut);
    if (!n)
        return engine_say(e, c->id, peer->phone, in->to, TX_NOTE_USAGE, NULL, 0);
    body = strndup(text, n);
    if (!body)
        return -1;
    rc = store_note_add(e->st, c->id, c->texter, peer->id, peer->name, body, e->now);
    if (!rc)
        log_info("note.saved", "conv=%lld peer=%s chars=%zu shortened=%d", (long long)c->id,
                 peer->id, sms_chars(body), cut);
    free(body);
    if (rc)
        return -1;
    if (!cut)
        return engine_say(e, c->id, peer->phone, in->to, TX_NOTE_SAVED, NULL, 0);
    snprintf(max, sizeof(max), "%d", NOTES_MAX_CHARS);
    {
        struct text_var v[] = {{"max", max}};
        return engine_say(e, c->id, peer->phone, in->to, TX_NOTE_SHORTENED, v, NVARS(v));
    }
}

int engine_note_after(struct engine *e, const struct roster_peer *peer,
                      const struct store_inbound *in)
{
    struct store_conv c;
    int64_t conv, at, since = e->now - NOTES_AFTER_CLOSE;
    int handed_back, rc = store_peer_last_chat(e->st, peer->id, in->to, &conv, &handed_back, &at);

    /* The thread's last chat is the one they took or handed back last on it, nothing older. */
    if (rc == STORE_ERROR || (rc == STORE_FOUND && (rc = store_conv_get(e->st, conv, &c)) < 0))
        return -1;
    if (rc != STORE_FOUND)
        return 1;
    /* Closed lately (by them or a later peer), or handed back lately and still going on. */
    if (c.state == CONV_CLOSED ? c.closed_at < since : !handed_back || at < since)
        return 1;
    return engine_note_write(e, peer, &c, in);
}

/* The notes to hand over, copied out of the store's rows. */
struct found {
    char *body[NOTES_MAX_SHOWN];
    char writer[NOTES_MAX_SHOWN][64];
    int64_t at[NOTES_MAX_SHOWN];
    size_t n;
};

static int keep(void *arg, const struct store_note *note)
{
    struct found *f = arg;

    if (f->n >= NOTES_MAX_SHOWN || !note->body)
        return 0;
    f->body[f->n] = strdup(note->body);
    if (!f->body[f->n])
        return -1;
    snprintf(f->writer[f->n], sizeof(f->writer[0]), "%s", note->writer);
    f->at[f->n++] = note->created_at;
    return 0;
}

struct send_ctx {
    struct engine *e;
    const struct store_conv *c;
    const char *to;
};

static int send_text(void *arg, const char *text)
{
    struct send_ctx *sc = arg;

    return engine_send(sc->e, sc->c->id, sc->to, sc->c->peer_number, OUT_SYSTEM, text, 0) ? -1 : 0;
}

int engine_notes_hand_over(struct engine *e, const struct roster_peer *peer,
                           const struct store_conv *c)
{
    struct found f = {{0}, {{0}}, {0}, 0};
    struct buf heading = BUF_INIT(0);
    char *items[NOTES_MAX_SHOWN] = {0};
    struct send_ctx sc = {e, c, peer->phone};
    const char *lang;
    size_t i;
    int rc = -1;

    /* This conversation's own notes whatever their age; earlier ones within the window. */
    int64_t since = e->now - e->cfg->timers.rematch_window;

    if (c->created_at < since)
        since = c->created_at;
    if (store_notes_recent(e->st, c->texter, since, NOTES_MAX_SHOWN, keep, &f))
        goto done;
    if (!f.n) {
        rc = 0;
        goto done;
    }
    lang = engine_lang_of(e, peer->phone);
    if (engine_render(e, TX_NOTES_HEADING, lang, NULL, 0, &heading))
        goto done;
    for (i = 0; i < f.n; i++) {
        struct buf line = BUF_INIT(0);
        char age[32];

        notes_age(e->now - f.at[i], lang, age, sizeof(age));
        {
            struct text_var v[] = {{"writer", f.writer[i]}, {"age", age}, {"note", f.body[i]}};
            if (engine_render(e, TX_NOTE_LINE, lang, v, NVARS(v), &line)) {
                buf_free(&line);
                goto done;
            }
        }
        items[i] = buf_take(&line);
        if (!items[i])
            goto done;
    }
    if (notes_pack(heading.p ? heading.p : "", (const char *const *)items, f.n, SMS_MAX_CHARS,
                   send_text, &sc))
        goto done;
    log_info("notes.handed_over", "conv=%lld peer=%s notes=%zu", (long long)c->id, peer->id, f.n);
    rc = 0;
done:
    for (i = 0; i < NOTES_MAX_SHOWN; i++) {
        free(f.body[i]);
        free(items[i]);
    }
    buf_free(&heading);
    return rc;
}
