/*
 * engine_debrief.c - #debrief: a peer asks to talk a chat over. The
 * on-call coordinators are told who asked and after which chat (its
 * reference only, never a word of it), and the peer that they were. A
 * #debrief about the same chat within DEBRIEF_AGAIN of the last one the
 * coordinators were told of is confirmed and counted, not sent again.
 *
 * Which chat: on a chat's number, the peer's latest chat on that number;
 * on the line, the chat whose check-in they were last sent (within
 * DEBRIEF_RECENT), else their latest chat. The check-in itself is sent
 * when an urgent chat ends (engine_offer_debrief, engine_conv.c).
 */
#include "engine_priv.h"
#include "command.h"
#include "config.h"
#include "log.h"
#include "roster.h"
#include "store.h"
#include "texts.h"

#include <stdint.h>

/* A check-in older than this no longer names the chat a #debrief on the line follows. */
#define DEBRIEF_RECENT (7LL * 24 * 3600 * 1000)
/* The coordinators hear of one peer's #debrief at most this often (each is still confirmed). */
#define DEBRIEF_AGAIN (10LL * 60 * 1000)

int engine_debrief(struct engine *e, const struct roster_peer *peer, const char *number,
                   const char *to)
{
    const char *id = peer->id[0] == '@' ? peer->id + 1 : peer->id;
    char ref[COMMAND_REF_MAX];
    int64_t conv = 0, told = 0;
    int rc = store_debrief_chat(e->st, peer->id, number, e->now - DEBRIEF_RECENT, &conv), sent;

    if (rc == STORE_ERROR || store_debrief_last_told(e->st, peer->id, conv, &told))
        return -1;
    if (told && e->now - told < DEBRIEF_AGAIN) {
        /* The coordinators heard of this a moment ago: not every one of them texted again. */
        if (store_debrief_add(e->st, peer->id, conv, "repeated", e->now))
            return -1;
        log_info("debrief.repeated", "peer=%s conv=%lld", peer->id, (long long)conv);
        return engine_say(e, 0, peer->phone, to, TX_DEBRIEF_ASKED, NULL, 0);
    }
    if (store_debrief_add(e->st, peer->id, conv, "asked", e->now))
        return -1;
    if (conv) {
        struct text_var v[] = {{"peer", peer->name}, {"peer_id", id}, {"ref", ref}};
        command_ref_format(conv, ref);
        rc = engine_tell_coordinators(e, 0, TX_ALERT_DEBRIEF, v, NVARS(v), 0, &sent);
    } else {
        struct text_var v[] = {{"peer", peer->name}, {"peer_id", id}};
        rc = engine_tell_coordinators(e, 0, TX_ALERT_DEBRIEF_NO_CHAT, v, NVARS(v), 0, &sent);
    }
    if (rc)
        return -1;
    log_info("debrief.asked", "peer=%s conv=%lld coordinators=%d", peer->id, (long long)conv, sent);
    return engine_say(e, 0, peer->phone, to, TX_DEBRIEF_ASKED, NULL, 0);
}
