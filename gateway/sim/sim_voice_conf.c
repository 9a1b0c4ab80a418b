/*
 * sim_voice_conf.c - the conferences calls meet in (<Dial><Conference>).
 *
 * A conference exists while someone is in it: the first call to join a
 * name opens it, the last to leave closes it. It has started once a
 * participant with startConferenceOnEnter joined (until then the others
 * wait, hearing the waitUrl's hold music); one with endConferenceOnExit
 * leaving ends it for everyone (each is poked and told it was kicked). Who
 * is in which is each call's own c->conference; here is only the list of
 * names (at most SV_MAX_LIVE). Every function wants v->mu held.
 */
#include "sim_voice_priv.h"

#include <string.h>

struct sv_conf *sv_conf_find(struct sim_voice *v, const char *name)
{
    size_t i;

    for (i = 0; *name && i < v->nconfs; i++)
        if (!strcmp(v->confs[i].name, name))
            return &v->confs[i];
    return NULL;
}

int sv_conf_join(struct sim_voice *v, struct sv_call *c, const char *name, int start, int end)
{
    struct sv_conf *conf = sv_conf_find(v, name);

    if (!conf) {
        if (v->nconfs == SV_MAX_LIVE)
            return -1;
        conf = &v->confs[v->nconfs++];
        memset(conf, 0, sizeof(*conf));
        sv_copy(conf->name, sizeof(conf->name), name);
    }
    sv_copy(c->conference, sizeof(c->conference), name);
    c->conf_end = end;
    c->kicked = 0;
    if (start)
        conf->started = 1;
    return 0;
}

/* c leaves its conference; one with endConferenceOnExit ends it for everyone. */
void sv_conf_leave(struct sim_voice *v, struct sv_call *c)
{
    struct sv_conf *conf = sv_conf_find(v, c->conference);
    char name[SV_NAME];
    size_t i, left = 0;

    sv_copy(name, sizeof(name), c->conference);
    c->conference[0] = '\0';
    if (!conf)
        return;
    for (i = 0; i < v->ncalls; i++) {
        struct sv_call *m = v->calls[i];
        if (strcmp(m->conference, name))
            continue;
        if (c->conf_end) {
            m->kicked = 1;
            sv_poke(m);
        } else {
            left++;
        }
    }
    if (!left)
        *conf = v->confs[--v->nconfs];
}
