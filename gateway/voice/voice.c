/*
 * voice.c - see voice.h.
 *
 * Each handler reads the call (and leg) it is about, decides, commits the
 * decision with the REST calls and texts it causes, and only then answers
 * with TwiML: a crash between the two leaves the decision, never an answer
 * nobody stored. One database handle under a mutex: calls are few.
 */
#include "voice.h"
#include "command.h"
#include "config.h"
#include "crisis.h"
#include "engine.h"
#include "form.h"
#include "hookwatch.h"
#include "http.h"
#include "log.h"
#include "match.h"
#include "parse.h"
#include "provider.h"
#include "roster.h"
#include "store_voice.h"
#include "texts.h"
#include "twilio.h"
#include "twiml.h"
#include "voice_words.h"
#include "wake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Menu digits: topics 1..8, the crisis option 9. */
#define MENU_TOPICS  8
#define CRISIS_DIGIT "9"
#define MENU_TRIES   3
/* A peer's leg hears the whisper this long before it counts as not taken. */
#define WHISPER_WAIT_S 8
/*
 * A peer who pressed 1 is in the caller's conference within seconds (their
 * answer says "connecting" and joins): a caller still on hold this long
 * after was never joined (the peer's leg dropped between the two).
 */
#define JOIN_GRACE_MS 45000
/* How long sending a waiting caller to voicemail is worth retrying (as voicer.c). */
#define VOICEMAIL_OP_MS (5 * 60000)

/* One voice webhook being answered. */
struct vreq {
    struct voice *v;
    const struct config *cfg;
    const struct http_request *req;
    struct http_response *res;
    struct form f;
    struct roster *r;
    int64_t now;
    struct twiml t;
    char lang[8];
};

static const char *pu(const struct vreq *q)
{
    return q->cfg->public_url;
}

void voice_room(int64_t call_id, char out[32])
{
    snprintf(out, 32, "peerline-call-%lld", (long long)call_id);
}

/* ---- saying things ---- */

static void say(struct vreq *q, enum voice_word w, const struct text_var *vars, size_t nvars)
{
    struct buf b = BUF_INIT(0);

    if (texts_fill(voice_words(w, q->lang), vars, nvars, &b))
        q->t.failed = 1;
    else
        twiml_say(&q->t, b.p ? b.p : "");
    buf_free(&b);
}

static void say1(struct vreq *q, enum voice_word w, const char *name, const char *value)
{
    struct text_var v[] = {{name, value}};

    say(q, w, v, 1);
}

/* "less than a minute", "about 3 minutes": how long someone waited, in words a voice reads. */
static void wait_words(const char *lang, int64_t ms, char *out, size_t n)
{
    long m = (long)(ms / 60000);
    int es = lang && !strcmp(lang, "es");

    if (m < 1)
        snprintf(out, n, "%s", es ? "menos de un minuto" : "less than a minute");
    else if (m == 1)
        snprintf(out, n, "%s", es ? "un minuto" : "about a minute");
    else
        snprintf(out, n, es ? "unos %ld minutos" : "about %ld minutes", m);
}

static void begin(struct vreq *q, const char *lang)
{
    snprintf(q->lang, sizeof(q->lang), "%s", lang && *lang ? lang : "en");
    twiml_begin(&q->t, &q->res->body, q->lang);
}

static void answer(struct vreq *q)
{
    if (twiml_end(&q->t)) {
        http_text(q->res, 500, "out of memory");
        return;
    }
    q->res->status = 200;
    q->res->content_type = "text/xml";
}

static void hang_up(struct vreq *q, enum voice_word w)
{
    say(q, w, NULL, 0);
    twiml_hangup(&q->t);
    answer(q);
}

/* PU + path, with "?name=id" when name is given. */
static const char *url(const struct vreq *q, char *out, size_t n, const char *path,
                       const char *name, int64_t id)
{
    if (name)
        snprintf(out, n, "%s%s?%s=%lld", pu(q), path, name, (long long)id);
    else
        snprintf(out, n, "%s%s", pu(q), path);
    return out;
}

/* ---- the database, one transaction per decision ---- */

static int begin_tx(struct vreq *q)
{
    pthread_mutex_lock(&q->v->mu);
    if (store_begin(q->v->st)) {
        pthread_mutex_unlock(&q->v->mu);
        return -1;
    }
    return 0;
}

/* Commits (ok) or rolls back; 0 when committed. */
static int end_tx(struct vreq *q, int ok)
{
    int rc = -1;

    if (ok && !store_commit(q->v->st))
        rc = 0;
    else
        store_rollback(q->v->st);
    pthread_mutex_unlock(&q->v->mu);
    if (!rc && q->v->wake)
        q->v->wake(q->v->arg);
    return rc;
}

/* Reads call ?call= (or the leg's) without a transaction; STORE_FOUND when there is one. */
static int get_call(struct vreq *q, int64_t id, struct store_call *c)
{
    int rc;

    pthread_mutex_lock(&q->v->mu);
    rc = store_call_get(q->v->st, id, c);
    pthread_mutex_unlock(&q->v->mu);
    return rc;
}

static int64_t query_id(const struct vreq *q, const char *name)
{
    const char *s = http_query(q->req, name), *why;
    long long v;

    if (!s || parse_int(s, 1, INT64_MAX, &v, &why))
        return 0;
    return (int64_t)v;
}

/* Hangs up every ring leg of the call still ringing (or about to). */
static int hang_up_legs(struct vreq *q, int64_t call_id)
{
    return store_leg_hang_up_live(q->v->st, call_id, q->now, q->now + 3600 * 1000);
}

/*
 * Ends the call with outcome (and files it among the conversations); its
 * legs are hung up. A call over already is left as it is: its ring legs
 * went when it ended, and a live leg now is a peer's #callback to it.
 */
static int finish(struct vreq *q, int64_t call_id, const char *outcome, int notify)
{
    int rc = store_call_end(q->v->st, call_id, outcome, notify, q->now);

    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_CONFLICT)
        return 0;
    if (hang_up_legs(q, call_id))
        return -1;
    return store_call_file(q->v->st, call_id) == STORE_ERROR ? -1 : 0;
}

/* ---- the caller's side ---- */

static void menu(struct vreq *q, const struct store_call *c, int again)
{
    const struct roster *r = q->r;
    struct twiml_gather g = {0};
    char action[1200], digit[4];
    size_t i;

    begin(q, c->lang);
    if (again)
        say(q, VW_MENU_AGAIN, NULL, 0);
    g.action = url(q, action, sizeof(action), "/twilio/voice/menu", "call", c->id);
    g.num_digits = 1;
    g.timeout_s = 6;
    g.speech = q->cfg->voice.speech;
    twiml_gather(&q->t, &g);
    if (!again)
        say1(q, VW_GREETING, "line", r->line_name);
    for (i = 0; i < r->ntopics && i < MENU_TOPICS; i++) {
        struct text_var v[] = {{"topic", r->topics[i].label}, {"digit", digit}};
        snprintf(digit, sizeof(digit), "%zu", i + 1);
        say(q, VW_MENU_ITEM, v, 2);
    }
    say(q, VW_MENU_CRISIS, NULL, 0);
    twiml_gather_end(&q->t);
    twiml_redirect(&q->t, action); /* nothing pressed: the menu handler counts the try */
    answer(q);
}

/* POST /twilio/voice: a call to the line. */
static void incoming(struct vreq *q)
{
    const char *sid = form_get(&q->f, "CallSid"), *from = form_get(&q->f, "From");
    const char *to = form_get(&q->f, "To"), *why;
    const char *caller = from && !parse_e164(from, &why) ? from : "anonymous";
    struct store_call c;
    char lang[8] = "", mfrom[LOG_MASK_LEN];
    int blocked = roster_is_blocked(q->r, caller), rc;

    if (!twilio_sid_valid(sid) || !to || parse_e164(to, &why)) {
        http_text(q->res, 400, "missing or malformed CallSid or To");
        return;
    }
    if (begin_tx(q))
        goto fail;
    rc = store_contact_lang(q->v->st, caller, lang);
    if (rc == STORE_ERROR || !lang[0])
        snprintf(lang, sizeof(lang), "%s", q->cfg->languages.items[0]);
    /* A call to a pool number is a call to the line: anything it leads to comes from the line. */
    rc = store_call_open(q->v->st, sid, caller, q->cfg->provider.line_number, lang, q->now, &c);
    /* Blocked: closed at once, and not filed (a report counts no blocked contact). */
    if (rc == STORE_NEW && blocked &&
        store_call_end(q->v->st, c.id, "blocked", 0, q->now) == STORE_ERROR)
        rc = STORE_ERROR;
    if (end_tx(q, rc != STORE_ERROR))
        goto fail;
    log_info("call.incoming", "call=%lld from=%s", (long long)c.id, log_mask_phone(caller, mfrom));
    if (blocked) {
        struct text_var v[] = {{"emergency", q->cfg->crisis.emergency}};
        begin(q, c.lang);
        say(q, VW_BLOCKED, v, 1);
        twiml_hangup(&q->t);
        answer(q);
        return;
    }
    menu(q, &c, 0);
    return;
fail:
    http_text(q->res, 500, "could not store the call");
}

static void voicemail_twiml(struct vreq *q, const struct store_call *c)
{
    char action[1200], after[1200];

    begin(q, c->lang);
    say(q, strcmp(c->caller, "anonymous") ? VW_VOICEMAIL : VW_VOICEMAIL_HIDDEN, NULL, 0);
    twiml_record(&q->t, url(q, action, sizeof(action), "/twilio/voice/recorded", "call", c->id),
                 (int)(q->cfg->voice.voicemail_max / 1000), 5);
    /* No message (silence): Twilio goes on past <Record> without calling its action. */
    twiml_redirect(&q->t, url(q, after, sizeof(after), "/twilio/voice/nomessage", "call", c->id));
    answer(q);
}

/* The voice peers who may be rung for c on topic: the matcher's candidates, voice only, free. */
static size_t ring_list(struct vreq *q, const struct store_call *c, int topic, int *out)
{
    const struct roster *r = q->r;
    struct match_peer *mp = calloc(r->npeers + 1, sizeof(*mp));
    int *cand = calloc(r->npeers + 1, sizeof(*cand));
    struct match_texter t = {0};
    size_t n = 0, i, k;

    if (!mp || !cand || engine_peers_now(q->cfg, q->v->st, r, q->now, mp))
        goto done;
    t.id = c->id;
    t.topic = topic;
    t.lang = roster_lang_index(r, c->lang);
    t.queued_at = q->now;
    t.last_peer = t.transferred_by = -1;
    t.self = roster_peer_index(r, roster_peer_by_phone(r, c->caller));
    if (t.lang < 0)
        goto done; /* no peer speaks it */
    {
        struct match_ctx ctx = {
            r, mp, q->now, q->cfg->timers.cooldown, q->cfg->timers.rematch_window, NULL};
        k = match_candidates(&ctx, &t, cand);
    }
    for (i = 0; i < k && n < (size_t)q->cfg->voice.max_ring; i++) {
        const struct roster_peer *p = &r->peers[cand[i]];
        int busy = p->voice ? store_peer_on_call(q->v->st, p->id) : 1;
        if (busy < 0) {
            n = (size_t)-1;
            goto done;
        }
        if (!busy)
            out[n++] = cand[i];
    }
done:
    free(mp);
    free(cand);
    return n;
}

/* Stores the ringing: the call, a leg and a dial per peer in chosen (n of them). */
static int store_ring(struct vreq *q, const struct store_call *c, const char *topic,
                      const int *chosen, size_t n, int64_t until)
{
    int64_t leg;
    size_t i;

    if (store_call_ring(q->v->st, c->id, topic, q->now, n ? until : q->now) != STORE_OK)
        return -1;
    for (i = 0; i < n; i++) {
        const struct roster_peer *p = &q->r->peers[chosen[i]];
        if (store_leg_add(q->v->st, c->id, p->id, p->phone, 0, q->now, &leg) ||
            store_vop_add(q->v->st, c->id, leg, VOP_DIAL, q->now, until))
            return -1;
    }
    if (!n && store_call_move(q->v->st, c->id, CALL_RINGING, CALL_VOICEMAIL, "no-peer", 0,
                              q->now) != STORE_OK)
        return -1;
    return 0;
}

/* A topic was chosen: ring the peers (or, with none free, straight to voicemail). */
static void ring(struct vreq *q, const struct store_call *c, int topic)
{
    const struct roster_topic *tp = &q->r->topics[topic];
    int64_t until = q->now + q->cfg->voice.ring_timeout;
    int *chosen = calloc(q->r->npeers + 1, sizeof(int));
    size_t n = (size_t)-1;
    char room[32], action[1200], wait[1200];

    if (chosen && !begin_tx(q)) {
        n = ring_list(q, c, topic, chosen);
        if (end_tx(q, n != (size_t)-1 && !store_ring(q, c, tp->id, chosen, n, until)))
            n = (size_t)-1;
    }
    free(chosen);
    if (n == (size_t)-1) {
        http_text(q->res, 500, "could not store the call");
        return;
    }
    log_info("call.ringing", "call=%lld topic=%s peers=%zu", (long long)c->id, tp->id, n);
    if (!n) {
        voicemail_twiml(q, c);
        return;
    }
    begin(q, c->lang);
    say1(q, VW_FINDING, "topic", tp->label);
    voice_room(c->id, room);
    {
        struct twiml_conference conf = {
            url(q, action, sizeof(action), "/twilio/voice/done", "call", c->id), room, 0, 1,
            url(q, wait, sizeof(wait), "/twilio/voice/hold", "call", c->id)};
        twiml_conference(&q->t, &conf);
    }
    answer(q);
}

static void crisis_option(struct vreq *q, const struct store_call *c)
{
    const char *number = q->cfg->voice.crisis_number;
    int connect = number && *number;
    int ok = !begin_tx(q);

    if (ok)
        ok = !end_tx(q, !store_call_urgent(q->v->st, c->id) &&
                            !finish(q, c->id, connect ? "crisis-line" : "told-988", 1));
    if (!ok) {
        http_text(q->res, 500, "could not store the call");
        return;
    }
    log_info("call.crisis", "call=%lld connect=%d", (long long)c->id, connect);
    begin(q, c->lang);
    if (connect) {
        say(q, VW_CRISIS_CONNECT, NULL, 0);
        /* The caller's own caller ID, so the crisis line can call them back. */
        twiml_dial_number(&q->t, NULL, strcmp(c->caller, "anonymous") ? c->caller : NULL, 30,
                          number);
        answer(q);
        return;
    }
    say1(q, VW_CRISIS_DIAL, "emergency", q->cfg->crisis.emergency);
    twiml_hangup(&q->t);
    answer(q);
}

/* Which topic (or -1: the crisis option; -2: nothing understood) the caller chose. */
static int choice(struct vreq *q)
{
    const char *digits = form_get(&q->f, "Digits"), *speech = form_get(&q->f, "SpeechResult");
    size_t ntopics = q->r->ntopics < MENU_TOPICS ? q->r->ntopics : MENU_TOPICS;
    int topic;

    if (digits && *digits) {
        if (!strcmp(digits, CRISIS_DIGIT))
            return -1;
        topic = command_menu_choice(digits, ntopics);
        return topic >= 0 ? topic : -2;
    }
    if (speech && *speech) {
        struct crisis *cr = crisis_new(q->cfg->crisis.phrases.items, q->cfg->crisis.phrases.n);
        int hit = cr && crisis_match(cr, speech);
        crisis_free(cr);
        if (hit)
            return -1;
        topic = command_topic_in_text(q->r, speech);
        return topic >= 0 ? topic : -2;
    }
    return -2;
}

/* POST /twilio/voice/menu?call=ID: the menu's answer (or silence). */
static void menu_answer(struct vreq *q)
{
    struct store_call c;
    int topic;

    if (get_call(q, query_id(q, "call"), &c) != STORE_FOUND) {
        http_text(q->res, 404, "no such call");
        return;
    }
    if (c.state != CALL_MENU) { /* asked twice: nothing more to decide */
        begin(q, c.lang);
        hang_up(q, VW_GOODBYE);
        return;
    }
    topic = choice(q);
    if (topic == -1) {
        crisis_option(q, &c);
        return;
    }
    if (topic == -2) {
        int rc;
        pthread_mutex_lock(&q->v->mu);
        rc = store_call_menu_try(q->v->st, c.id);
        pthread_mutex_unlock(&q->v->mu);
        if (rc) { /* uncounted, the menu could go round for ever */
            http_text(q->res, 500, "could not store the call");
            return;
        }
        if (c.menu_tries + 1 < MENU_TRIES) {
            menu(q, &c, 1);
            return;
        }
        /* Still nothing: whoever covers "something else" is better than a loop. */
        topic = q->r->general >= 0 ? q->r->general : 0;
    }
    ring(q, &c, topic);
}

/*
 * Inside the transaction: the caller of c is still on hold (this is their
 * waitUrl), so if c is connected, the peer who pressed 1 never joined them:
 * their leg dropped between the key press and the conference (hung up at
 * once, or their answer lost to a crash after its commit). The caller is
 * offered a voicemail as if nobody had answered, and that leg hung up.
 * *moved says so. 0, or -1 on a database error.
 */
static int stranded(struct vreq *q, const struct store_call *c, int *moved)
{
    struct store_leg l;
    int rc, live;

    *moved = 0;
    if (c->state != CALL_CONNECTED)
        return 0;
    rc = store_leg_winner(q->v->st, c->id, &l);
    if (rc == STORE_ERROR)
        return -1;
    live = rc == STORE_FOUND && l.state != LEG_DONE;
    if (live && q->now - c->answered_at < JOIN_GRACE_MS)
        return 0; /* on their way in */
    rc = store_call_unanswer(q->v->st, c->id, q->now);
    if (rc != STORE_OK)
        return rc == STORE_ERROR ? -1 : 0;
    *moved = 1;
    if (live && store_vop_add(q->v->st, c->id, l.id, VOP_HANGUP, q->now, q->now + 3600 * 1000))
        return -1;
    return store_vop_add(q->v->st, c->id, 0, VOP_VOICEMAIL, q->now, q->now + VOICEMAIL_OP_MS);
}

/*
 * POST /twilio/voice/hold?call=ID: the conference's waitUrl, asked again
 * after each round (<Redirect>), so a caller left waiting is noticed here.
 */
static void hold(struct vreq *q)
{
    struct store_call c;
    char again[1200];
    int64_t id = query_id(q, "call");
    int rc = STORE_ERROR, moved = 0;

    if (!begin_tx(q)) {
        rc = store_call_get(q->v->st, id, &c);
        if (end_tx(q, rc != STORE_ERROR && (rc != STORE_FOUND || !stranded(q, &c, &moved))))
            moved = 0;
    }
    if (moved)
        log_warnx("call.stranded", "call=%lld", (long long)id);
    begin(q, rc == STORE_FOUND ? c.lang : "en");
    say(q, VW_HOLD, NULL, 0);
    if (q->cfg->voice.hold_audio && *q->cfg->voice.hold_audio)
        twiml_play(&q->t, q->cfg->voice.hold_audio, 1);
    else
        twiml_pause(&q->t, 20);
    if (rc != STORE_OK) /* a call (or the database busy now): asked again after this round */
        twiml_redirect(&q->t, url(q, again, sizeof(again), "/twilio/voice/hold", "call", id));
    answer(q);
}

/*
 * Inside the transaction: the caller left the conference of call c (read
 * in it). A connected call is over; so is one still ringing (the caller
 * hung up while waiting: they hear from us), its legs hung up. The peer who
 * pressed 1 is hung up too: had the caller gone before they joined, they
 * would wait alone in the room.
 */
static int caller_left(struct vreq *q, const struct store_call *c)
{
    struct store_leg l;
    int rc;

    if (c->state != CALL_CONNECTED && c->state != CALL_RINGING)
        return 0;
    if (finish(q, c->id, c->state == CALL_CONNECTED ? "talked" : "abandoned",
               c->state == CALL_RINGING))
        return -1;
    if (c->state != CALL_CONNECTED)
        return 0;
    rc = store_leg_winner(q->v->st, c->id, &l);
    if (rc == STORE_ERROR)
        return -1;
    if (rc != STORE_FOUND || l.state == LEG_DONE)
        return 0;
    return store_vop_add(q->v->st, c->id, l.id, VOP_HANGUP, q->now, q->now + 3600 * 1000);
}

/* POST /twilio/voice/done?call=ID: the caller's conference is over. */
static void done(struct vreq *q)
{
    struct store_call c;
    int ok = !begin_tx(q), rc;

    if (ok) {
        rc = store_call_get(q->v->st, query_id(q, "call"), &c);
        ok = !end_tx(q, rc != STORE_ERROR && (rc != STORE_FOUND || !caller_left(q, &c)));
        if (ok && rc == STORE_FOUND)
            log_info("call.done", "call=%lld", (long long)c.id);
    }
    if (!ok) {
        http_text(q->res, 500, "could not store the call");
        return;
    }
    begin(q, "en");
    twiml_hangup(&q->t);
    answer(q);
}

/*
 * POST /twilio/voice/status: the line number's own call status callback
 * ("Call status changes", README). The caller hung up: a call at the menu
 * or still ringing is over (the legs hung up), and so is a connected one.
 * A call in voicemail is left to its <Record> action (or /nomessage), which
 * may still be on its way; the voicer closes it if neither comes.
 */
static void call_status(struct vreq *q)
{
    static const char *const over[] = {"completed", "busy", "failed", "no-answer", "canceled"};
    const char *sid = form_get(&q->f, "CallSid"), *st = form_get(&q->f, "CallStatus");
    struct store_call c;
    size_t i;
    int ended = 0, ok, rc;

    if (!twilio_sid_valid(sid) || !st) {
        http_text(q->res, 400, "missing or malformed CallSid or CallStatus");
        return;
    }
    for (i = 0; i < sizeof(over) / sizeof(over[0]); i++)
        ended |= !strcmp(st, over[i]);
    ok = !ended || !begin_tx(q);
    if (ended && ok) {
        rc = store_call_by_sid(q->v->st, sid, &c);
        if (rc == STORE_FOUND && c.state == CALL_MENU)
            ok = !finish(q, c.id, "hung-up", 0);
        else if (rc == STORE_FOUND)
            ok = !caller_left(q, &c);
        ok = !end_tx(q, ok && rc != STORE_ERROR);
    }
    if (!ok) {
        http_text(q->res, 500, "could not store the status");
        return;
    }
    q->res->status = 204;
    q->res->content_type = "text/plain";
}

/* POST /twilio/voice/voicemail?call=ID: no one answered in time (the voicer sent the caller here).
 */
static void voicemail(struct vreq *q)
{
    struct store_call c;

    if (get_call(q, query_id(q, "call"), &c) != STORE_FOUND) {
        http_text(q->res, 404, "no such call");
        return;
    }
    voicemail_twiml(q, &c);
}

/* POST /twilio/voice/recorded?call=ID and /nomessage?call=ID: the voicemail, or none. */
static void recorded(struct vreq *q, int none)
{
    const char *sid = form_get(&q->f, "RecordingSid"), *secs = form_get(&q->f, "RecordingDuration");
    const char *why;
    long long n = 0;
    struct store_call c;
    /* Any recording Twilio made is kept track of, so retention deletes it, even an empty one. */
    int kept = !none && twilio_sid_valid(sid);
    int message = kept && secs && !parse_int(secs, 1, 86400, &n, &why);
    int ok;

    if (get_call(q, query_id(q, "call"), &c) != STORE_FOUND) {
        http_text(q->res, 404, "no such call");
        return;
    }
    ok = !begin_tx(q);
    if (ok) {
        ok = (!kept || !store_call_recorded(q->v->st, c.id, sid, (int)n)) &&
             !finish(q, c.id, message ? "voicemail" : "no-message", 1);
        ok = !end_tx(q, ok);
    }
    if (!ok) {
        http_text(q->res, 500, "could not store the voicemail");
        return;
    }
    log_info("call.voicemail", "call=%lld seconds=%lld", (long long)c.id, n);
    begin(q, c.lang);
    hang_up(q, !message                        ? VW_NO_MESSAGE
               : strcmp(c.caller, "anonymous") ? VW_THANKS_MESSAGE
                                               : VW_THANKS_HIDDEN);
}

/* ---- the peers' side ---- */

/* The leg ?leg=ID and its call; -1 (with the answer made) when there is none. */
static int leg_and_call(struct vreq *q, struct store_leg *l, struct store_call *c)
{
    int rc;

    pthread_mutex_lock(&q->v->mu);
    rc = store_leg_get(q->v->st, query_id(q, "leg"), l);
    if (rc == STORE_FOUND)
        rc = store_call_get(q->v->st, l->call_id, c);
    pthread_mutex_unlock(&q->v->mu);
    if (rc == STORE_FOUND)
        return 0;
    if (rc == STORE_ERROR)
        http_text(q->res, 500, "database not answering");
    else
        http_text(q->res, 404, "no such call leg");
    return -1;
}

static const char *peer_lang(const struct vreq *q, const char *peer_id)
{
    const struct roster_peer *p = roster_peer_by_id(q->r, peer_id);
    int i;

    for (i = 0; p && i < (int)q->r->nlangs; i++)
        if (p->langs & (1ULL << i))
            return q->r->langs[i];
    return "en";
}

/* POST /twilio/voice/whisper?leg=ID: a peer's phone answered (a person, or their voicemail). */
static void whisper(struct vreq *q)
{
    struct store_leg l;
    struct store_call c;
    struct twiml_gather g = {0};
    char action[1200], wait[48], ref[COMMAND_REF_MAX];
    const struct roster_topic *tp;
    int i;

    if (leg_and_call(q, &l, &c))
        return;
    begin(q, peer_lang(q, l.peer_id));
    if (l.state == LEG_DONE || (!l.callback && c.state != CALL_RINGING)) {
        hang_up(q, VW_TAKEN_ELSEWHERE);
        return;
    }
    g.action = url(q, action, sizeof(action), "/twilio/voice/accept", "leg", l.id);
    g.num_digits = 1;
    g.timeout_s = WHISPER_WAIT_S;
    twiml_gather(&q->t, &g);
    for (i = 0; i < 2; i++) { /* said twice: the first words are often lost to "hello?" */
        if (l.callback) {
            struct text_var v[] = {{"line", q->r->line_name}, {"ref", ref}};
            command_call_ref_format(c.id, ref);
            say(q, VW_WHISPER_CALLBACK, v, 2);
        } else {
            int ti = roster_topic_index(q->r, c.topic);
            tp = ti >= 0 ? &q->r->topics[ti] : NULL;
            wait_words(q->lang, q->now - c.queued_at, wait, sizeof(wait));
            struct text_var v[] = {
                {"line", q->r->line_name}, {"topic", tp ? tp->label : c.topic}, {"wait", wait}};
            say(q, VW_WHISPER, v, 3);
        }
        twiml_pause(&q->t, 1);
    }
    twiml_gather_end(&q->t);
    /* A voicemail (or anyone who does not press 1) ends here: it never wins, never cancels. */
    hang_up(q, VW_NOT_TAKEN);
}

/*
 * Inside the transaction: whether leg l wins call c (*won). A ring leg wins
 * by the compare-and-set on the call: peerline's own accept record, and the
 * other legs are hung up at once. 0, or -1 on a database error.
 */
static int decide(struct vreq *q, const struct store_leg *l, const struct store_call *c, int *won)
{
    struct store_leg now;
    int rc;

    if (l->callback) {
        rc = store_leg_accept(q->v->st, l->id);
        *won = rc == STORE_OK && strcmp(c->caller, "anonymous");
        return rc == STORE_ERROR ? -1 : 0;
    }
    /*
     * The leg as it is now: one whose end was reported already (the peer
     * pressed 1 and hung up, and the status overtook the key press) wins
     * nothing, or the caller would wait for a peer who is gone.
     */
    rc = store_leg_get(q->v->st, l->id, &now);
    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    if (now.state == LEG_DONE)
        return 0;
    rc = store_call_accept(q->v->st, c->id, l->peer_id, q->now);
    *won = rc == STORE_OK;
    if (rc == STORE_ERROR)
        return -1;
    if (!*won)
        return store_leg_end(q->v->st, l->id, "lost", q->now);
    if (store_leg_accept(q->v->st, l->id) == STORE_ERROR)
        return -1;
    return hang_up_legs(q, c->id);
}

/* POST /twilio/voice/accept?leg=ID: the whisper's answer. The first 1 wins. */
static void accept(struct vreq *q)
{
    const char *digits = form_get(&q->f, "Digits");
    struct store_leg l;
    struct store_call c;
    char room[32];
    int won = 0, ok;

    if (leg_and_call(q, &l, &c))
        return;
    begin(q, peer_lang(q, l.peer_id));
    if (!digits || strcmp(digits, "1")) {
        hang_up(q, VW_NOT_TAKEN);
        return;
    }
    ok = !begin_tx(q);
    if (ok)
        ok = !end_tx(q, !decide(q, &l, &c, &won));
    if (!ok) {
        http_text(q->res, 500, "could not store the answer");
        return;
    }
    log_info("call.accept", "call=%lld leg=%lld won=%d", (long long)c.id, (long long)l.id, won);
    if (!won) {
        hang_up(q, VW_TAKEN_ELSEWHERE);
        return;
    }
    say(q, VW_CONNECTING, NULL, 0);
    if (l.callback) { /* masked dial-back: the caller sees the line's number, not the peer's */
        twiml_dial_number(&q->t, NULL, c.line_number, 30, c.caller);
    } else {
        struct twiml_conference conf = {NULL, room, 1, 1, NULL};
        voice_room(c.id, room);
        twiml_conference(&q->t, &conf);
    }
    answer(q);
}

/* POST /twilio/voice/leg?leg=ID: a peer's leg ended (StatusCallback). */
static void leg_status(struct vreq *q)
{
    const char *st = form_get(&q->f, "CallStatus");
    struct store_leg l;
    struct store_call c;
    int64_t live = 0;
    int ok;

    if (!st || !*st || strlen(st) > 20) {
        http_text(q->res, 400, "missing CallStatus");
        return;
    }
    if (leg_and_call(q, &l, &c))
        return;
    ok = !begin_tx(q);
    if (ok) {
        /*
         * Read again in the transaction: an accept or a ring time may have
         * moved them since. A connected call is not ended here: had the peer
         * talked, the caller's conference ends with them (/done); had they
         * never joined, the caller is still on hold, and /hold sees to them.
         */
        ok = store_leg_get(q->v->st, l.id, &l) == STORE_FOUND &&
             store_call_get(q->v->st, l.call_id, &c) == STORE_FOUND &&
             !store_leg_end(q->v->st, l.id, st, q->now);
        if (ok && c.state == CALL_RINGING) {
            /* Everyone declined or missed it: the caller need not wait out the ring time. */
            ok = !store_leg_live_count(q->v->st, c.id, &live);
            if (ok && !live)
                ok = !store_call_ring_over(q->v->st, c.id, q->now);
        }
        ok = !end_tx(q, ok);
    }
    if (!ok) {
        http_text(q->res, 500, "could not store the status");
        return;
    }
    q->res->status = 204;
    q->res->content_type = "text/plain";
}

/* ---- the HTTP surface ---- */

static const struct {
    const char *path;
    void (*fn)(struct vreq *q);
} routes[] = {
    {"/twilio/voice", incoming},
    {"/twilio/voice/menu", menu_answer},
    {"/twilio/voice/hold", hold},
    {"/twilio/voice/done", done},
    {"/twilio/voice/voicemail", voicemail},
    {"/twilio/voice/whisper", whisper},
    {"/twilio/voice/accept", accept},
    {"/twilio/voice/leg", leg_status},
    {"/twilio/voice/status", call_status},
};

static void recorded_msg(struct vreq *q)
{
    recorded(q, 0);
}

static void no_message(struct vreq *q)
{
    recorded(q, 1);
}

static void (*route_of(const char *path))(struct vreq *q)
{
    size_t i;

    if (!strcmp(path, "/twilio/voice/recorded"))
        return recorded_msg;
    if (!strcmp(path, "/twilio/voice/nomessage"))
        return no_message;
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (!strcmp(path, routes[i].path))
            return routes[i].fn;
    return NULL;
}

int voice_http(struct voice *v, const struct http_request *req, struct http_response *res)
{
    struct vreq q = {.v = v, .req = req, .res = res};
    void (*fn)(struct vreq *);
    char why[200];
    const char *what = "";
    size_t where = 0;

    if (strncmp(req->path, "/twilio/voice", 13) || (req->path[13] && req->path[13] != '/'))
        return 0;
    q.cfg = atomic_load(&v->cfg);
    fn = route_of(req->path);
    if (!fn || q.cfg->provider.kind != PROVIDER_TWILIO) {
        http_text(res, 404, "not found");
        return 1;
    }
    if (strcmp(req->method, "POST")) {
        http_text(res, 405, "method not allowed");
        res->header_name = "Allow";
        res->header_value = "POST";
        return 1;
    }
    q.now = wake_now_ms();
    /* Counted and alerted on as every signed endpoint is (hookwatch.h). */
    switch (provider_twilio.verify(q.cfg, req, q.now / 1000, why, sizeof(why))) {
    case PROVIDER_OK:
        hookwatch_good(v->watch);
        break;
    case PROVIDER_FORGED:
        hookwatch_forged(v->watch, req, why, res);
        return 1;
    default:
        hookwatch_bad(v->watch, why, res);
        return 1;
    }
    if (form_parse(req->body, req->body_len, &q.f, &what, &where)) {
        hookwatch_bad(v->watch, "bad form body", res);
        return 1;
    }
    q.r = v->hold_roster(v->arg);
    if (q.r)
        fn(&q);
    else
        http_text(res, 503, "no roster loaded");
    roster_free(q.r);
    form_free(&q.f);
    return 1;
}

int voice_open(struct voice *v, const struct config *cfg, char *err, size_t errlen)
{
    atomic_store(&v->cfg, cfg);
    if (pthread_mutex_init(&v->mu, NULL)) {
        snprintf(err, errlen, "cannot initialise a mutex");
        return -1;
    }
    v->opened = 1;
    v->st = store_open(cfg->database, err, errlen);
    if (!v->st)
        return -1;
    store_set_busy_timeout(v->st, 5000); /* well inside the 15 s Twilio waits for TwiML */
    store_set_deadline(v->st, 6000);
    return 0;
}

void voice_close(struct voice *v)
{
    if (!v->opened)
        return;
    v->opened = 0;
    store_close(v->st);
    v->st = NULL;
    pthread_mutex_destroy(&v->mu);
}

void voice_set_config(struct voice *v, const struct config *cfg)
{
    atomic_store(&v->cfg, cfg);
}
