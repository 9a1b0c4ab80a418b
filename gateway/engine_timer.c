/*
 * engine_timer.c - what happens when time passes: offers expire, waiting
 * texters hear their place, a long wait brings resources, a silent peer is
 * nudged and then relieved, a quiet chat closes.
 */
#include "engine_priv.h"
#include "buf.h"
#include "command.h"
#include "config.h"
#include "log.h"
#include "roster.h"
#include "store.h"
#include "texts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int engine_expire_offer(struct engine *e, const struct store_offer *o)
{
    const struct roster_peer *p = roster_peer_by_id(e->roster, o->peer_id);
    int rc;

    rc = store_offer_decide(e->st, o->id, OFFER_EXPIRED, e->now);
    if (rc == STORE_CONFLICT)
        return 0;
    if (rc || store_conv_requeue(e->st, o->conv_id, CONV_OFFERED) == STORE_ERROR ||
        store_peer_number_used(e->st, o->peer_id, o->number, e->now))
        return -1;
    log_info("offer.expired", "conv=%lld peer=%s", (long long)o->conv_id, o->peer_id);
    if (p)
        return engine_say(e, o->conv_id, p->phone, o->number, TX_OFFER_GONE, NULL, 0);
    return 0;
}
