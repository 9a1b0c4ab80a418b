/*
 * engine_admin.c - coordinators' actions from the admin API, carried out by
 * the engine like any other input: in order, each in one transaction with
 * the texts it causes, its row in `audit` saying who asked, when, and what
 * came of it.
 *
 *   peer-on  PEER [duration]   on for that long (default 2h), as #on
 *   peer-off PEER              off for the rest of the shift, as #off
 *   close    REF               the conversation closed; both sides told
 *   block    REF               the texter's number on the blocklist; any
 *                              open conversation closed, its peer told
 *   unblock  REF               off the blocklist again (not the roster's)
 *
 * The peer hears the usual #on/#off confirmation; the texter of a closed
 * chat is thanked; a blocked texter is told nothing.
 */
#include "engine_priv.h"
#include "command.h"
#include "config.h"
#include "log.h"
#include "roster.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

static int refuse(enum audit_state *st, char *result, size_t n, const char *why)
{
    *st = AUDIT_REFUSED;
    snprintf(result, n, "%s", why);
    return 0;
}

static int peer_action(struct engine *e, const struct store_audit *a, enum audit_state *st,
                       char *result, size_t n)
{
    const struct roster_peer *p = roster_peer_by_id(e->roster, a->target);
    const char *line = e->cfg->provider.line_number;

    if (!p || roster_peer_index(e->roster, p) < 0)
        return refuse(st, result, n, "no such peer on the roster");
    if (!strcmp(a->action, "peer-on")) {
        if (engine_peer_set_on(e, p, a->arg, line))
            return -1;
        snprintf(result, n, "%s is on for %s", p->id, a->arg[0] ? a->arg : "2h");
    } else {
        if (engine_peer_set_off(e, p, line))
            return -1;
        snprintf(result, n, "%s is off", p->id);
    }
    *st = AUDIT_DONE;
    return 0;
}

static int conv_action(struct engine *e, const struct store_audit *a, enum audit_state *st,
                       char *result, size_t n)
{
    struct store_conv c;
    int64_t id;
    int rc;

    if (command_ref_parse(a->target, &id))
        return refuse(st, result, n, "not a conversation reference");
    rc = store_conv_get(e->st, id, &c);
    if (rc == STORE_ERROR)
        return -1;
    if (rc != STORE_FOUND)
        return refuse(st, result, n, "no such conversation");
    if (!strcmp(a->action, "close")) {
        if (c.state == CONV_CLOSED)
            return refuse(st, result, n, "the conversation is already closed");
        if (engine_close_by_line(e, &c, "coordinator") ||
            engine_say(e, c.id, c.texter, c.line_number, TX_LINE_CLOSED_TEXTER, NULL, 0))
            return -1;
        snprintf(result, n, "%s closed", a->target);
    } else if (!strcmp(a->action, "block")) {
        /* Past retention only a hash of the number is left: nothing to block by. */
        if (!strncmp(c.texter, "h:", 2))
            return refuse(st, result, n, "too old: the number is no longer kept");
        if (store_block_add(e->st, c.texter, a->coordinator, e->now))
            return -1;
        rc = store_conv_open_by_texter(e->st, c.texter, &c);
        if (rc == STORE_ERROR || (rc == STORE_FOUND && engine_close_by_line(e, &c, "blocked")))
            return -1;
        snprintf(result, n, "%s's number is blocked", a->target);
    } else {
        if (roster_is_blocked(e->roster, c.texter))
            return refuse(st, result, n, "blocked by the roster: remove it there");
        if (store_block_remove(e->st, c.texter))
            return -1;
        snprintf(result, n, "%s's number is no longer blocked", a->target);
    }
    *st = AUDIT_DONE;
    return 0;
}

int engine_action(struct engine *e, const struct store_audit *a, enum audit_state *st, char *result,
                  size_t n)
{
    int rc;

    if (!strcmp(a->action, "peer-on") || !strcmp(a->action, "peer-off"))
        rc = peer_action(e, a, st, result, n);
    else if (!strcmp(a->action, "close") || !strcmp(a->action, "block") ||
             !strcmp(a->action, "unblock"))
        rc = conv_action(e, a, st, result, n);
    else
        rc = refuse(st, result, n, "unknown action");
    if (!rc)
        log_info("admin.action", "id=%lld by=%s action=%s target=%s outcome=%s", (long long)a->id,
                 a->coordinator, a->action, a->target, *st == AUDIT_DONE ? "done" : "refused");
    return rc;
}
