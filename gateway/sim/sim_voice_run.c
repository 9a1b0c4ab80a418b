/*
 * sim_voice_run.c - a call's thread: it runs the call's TwiML as Twilio
 * would, from its first document until the call ends.
 *
 * An outbound call first rings (parked until the control API answers or
 * declines it); an inbound one starts at once. Then, one document at a
 * time: fetch it (sim_voice_fetch.c signs the request), read it with
 * twiml_read, run its verbs in order. <Say> and <Play> are kept on the call
 * for tests to read; <Gather>, <Record>, <Dial> (a <Number> leg or a
 * <Conference>) and <Play loop="0"> park the thread on the call's condition
 * variable until someone acts (park()). A verb's action, a <Redirect> or a
 * REST update names the next document; a document that runs out hangs up.
 * When the call is over its status callback is posted (finish()).
 *
 * What the gateway gets wrong is recorded on the call with Twilio's error
 * code (call_error: 11100 bad URL, 11200 HTTP error, 11205 no answer, 12100
 * unreadable document, 12200 bad TwiML, 12300 wrong Content-Type, 13214 and
 * 13224 bad numbers) and the call goes on or ends as Twilio's would.
 *
 * The thread takes v->mu to change its call and never holds it across a
 * request; parked, it waits on c->cv with v->mu.
 */
#include "buf.h"
#include "config.h"
#include "form.h"
#include "log.h"
#include "parse.h"
#include "sim_voice_priv.h"
#include "twiml_read.h"
#include "wake.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SV_MAX_LINE  512 /* bytes kept of one <Say> */
#define SV_MAX_STEPS 32  /* documents run in a row with no one acting (a Redirect loop) */

/* What a verb tells the document loop. */
enum { V_NEXT, V_GOTO, V_END };

/* Why a parked call woke. */
enum { WOKE_POKE, WOKE_HANGUP, WOKE_REDIRECT, WOKE_STOP };

/* Where a call's next document comes from. */
struct sv_src {
    char url[SV_URL];
    char method[8];
    struct form extra; /* parameters the verb adds (Digits, DialCallStatus, ...) */
    char *twiml;       /* or this TwiML itself */
};

/* One call's thread, running documents. */
struct run {
    struct sim_voice *v;
    struct sv_call *c;
    char doc_url[SV_URL]; /* the document being run: where Gather and Record post by default */
    struct sv_src next;
    int first;     /* the next document is an inbound call's first (CallStatus=ringing) */
    int waited;    /* someone acted since the last document */
    int in_gather; /* running the verbs nested in a <Gather> */
};

/* ---- small helpers ---- */

/* Appends a copy of s (cut to maxlen bytes on a UTF-8 boundary); the oldest goes when full. */
static void push_line(char **list, size_t *n, size_t max, const char *s, size_t maxlen)
{
    size_t len = strlen(s);
    char *dup;

    if (len > maxlen) {
        len = maxlen;
        while (len && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    dup = strndup(s, len);
    if (!dup)
        return;
    if (*n == max) {
        free(list[0]);
        memmove(list, list + 1, (max - 1) * sizeof(*list));
        (*n)--;
    }
    list[(*n)++] = dup;
}

static void src_clear(struct sv_src *src)
{
    form_free(&src->extra);
    free(src->twiml);
    memset(src, 0, sizeof(*src));
}

static void src_set(struct sv_src *src, const char *url, const char *method)
{
    src_clear(src);
    sv_copy(src->url, sizeof(src->url), url);
    sv_copy(src->method, sizeof(src->method), method);
}

/* ---- what a call's thread records (takes v->mu) ---- */

static void call_error(struct run *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records an error for the call ("CODE: what"); the log gets the sid and the code only. */
static void call_error(struct run *x, int code, const char *fmt, ...)
{
    char msg[SV_URL + 200], line[SV_URL + 220];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(line, sizeof(line), "%d: %s", code, msg);
    pthread_mutex_lock(&x->v->mu);
    push_line(x->c->errors, &x->c->nerrors, SV_MAX_LIST, line, sizeof(line));
    pthread_mutex_unlock(&x->v->mu);
    log_warnx("sim.call_error", "sid=%s code=%d", x->c->sid, code);
}

static void hear(struct run *x, const char *text)
{
    pthread_mutex_lock(&x->v->mu);
    push_line(x->c->said, &x->c->nsaid, SV_MAX_SAID, text, SV_MAX_LINE);
    pthread_mutex_unlock(&x->v->mu);
}

static void played(struct run *x, const char *url)
{
    pthread_mutex_lock(&x->v->mu);
    push_line(x->c->played, &x->c->nplayed, SV_MAX_LIST, url, SV_URL);
    pthread_mutex_unlock(&x->v->mu);
}

/* ---- parking (v->mu held) ---- */

/*
 * Parks x's call in state w until it is poked, hung up, redirected or the
 * simulator stops; says which. Whoever settles on the call is told first.
 */
static int park(struct run *x, enum sv_wait w)
{
    struct sim_voice *v = x->v;
    struct sv_call *c = x->c;
    int why;

    c->wait = w;
    c->busy = 0;
    x->waited = 1;
    pthread_cond_broadcast(&c->cv);
    while (!c->poked && !c->end_status[0] && !c->redirect && !v->stopping)
        pthread_cond_wait(&c->cv, &v->mu);
    c->wait = SV_WAIT_NONE;
    c->busy = 1;
    why = v->stopping        ? WOKE_STOP
          : c->end_status[0] ? WOKE_HANGUP
          : c->redirect      ? WOKE_REDIRECT
                             : WOKE_POKE;
    if (why == WOKE_POKE)
        c->poked = 0;
    return why;
}

/* Takes a pending REST redirect as the next document (v->mu held). */
static int take_redirect(struct run *x)
{
    struct sv_call *c = x->c;

    src_set(&x->next, c->redirect_url, c->redirect_method);
    x->next.twiml = c->redirect_twiml;
    c->redirect_twiml = NULL;
    c->redirect = 0;
    return V_GOTO;
}

/* Before each verb: V_END when the call is ending, V_GOTO for a redirect, -1 to go on. */
static int interrupted(struct run *x)
{
    int rc = -1;

    pthread_mutex_lock(&x->v->mu);
    if (x->v->stopping || x->c->end_status[0])
        rc = V_END;
    else if (x->c->redirect)
        rc = take_redirect(x);
    pthread_mutex_unlock(&x->v->mu);
    return rc;
}

/* What a verb does after waking for a reason other than its input (v->mu held). */
static int woke_to(struct run *x, int why)
{
    return why == WOKE_REDIRECT ? take_redirect(x) : V_END;
}

/* ---- documents ---- */

static int is_xml(const char *ctype)
{
    return !strncasecmp(ctype, "text/xml", 8) || !strncasecmp(ctype, "application/xml", 15);
}

/* Fetches x->next (with the call's parameters and CallStatus=status) into body; 0 or -1. */
static int fetch(struct run *x, const char *status, struct buf *body)
{
    struct form f = {0};
    char ctype[96] = "";
    long st;
    size_t i;

    sv_call_params(x->v, x->c, status, &f);
    for (i = 0; i < x->next.extra.n; i++)
        sv_add_param(&f, x->next.extra.params[i].key, x->next.extra.params[i].value);
    st = sv_request(x->v, x->next.method, x->next.url, &f, body, ctype, sizeof(ctype));
    form_free(&f);
    if (st == SV_REFUSED)
        call_error(x, 11205,
                   "%s %s: not sent: the simulator calls only public_url and loopback "
                   "addresses",
                   x->next.method, x->next.url);
    else if (st == -1)
        call_error(x, 12100, "%s %s: document larger than %d bytes", x->next.method, x->next.url,
                   TWIML_READ_MAX_DOC);
    else if (st == 0)
        call_error(x, 11205, "%s %s: no answer", x->next.method, x->next.url);
    else if (st < 200 || st > 299)
        call_error(x, 11200, "%s %s answered %ld", x->next.method, x->next.url, st);
    else if (body && !is_xml(ctype))
        call_error(x, 12300, "%s %s answered Content-Type \"%s\", not text/xml", x->next.method,
                   x->next.url, ctype);
    else
        return 0;
    return -1;
}

/* Posts x->next after the caller hung up (CallStatus=completed); its answer is not run. */
static void post_after_hangup(struct run *x)
{
    if (!sv_stopping(x->v))
        (void)fetch(x, "completed", NULL);
}

/* The next document: fetched (or x->next's own TwiML) and read. NULL (error recorded) if not. */
static struct twiml_read_doc *load(struct run *x)
{
    struct buf body = BUF_INIT(TWIML_READ_MAX_DOC);
    struct twiml_read_doc *doc = NULL;
    char err[256];
    int failed;

    if (x->next.twiml) {
        failed = twiml_read(x->next.twiml, strlen(x->next.twiml), &doc, err, sizeof(err));
        x->doc_url[0] = '\0';
    } else {
        failed = fetch(x, x->first ? "ringing" : "in-progress", &body);
        if (!failed)
            failed = twiml_read(body.p ? body.p : "", body.len, &doc, err, sizeof(err));
        else
            err[0] = '\0';
        sv_copy(x->doc_url, sizeof(x->doc_url), x->next.url);
    }
    if (failed && err[0])
        call_error(x, 12100, "%s: %s", x->next.twiml ? "Twiml" : x->next.url, err);
    buf_free(&body);
    if (!failed && x->first) {
        pthread_mutex_lock(&x->v->mu);
        sv_copy(x->c->status, sizeof(x->c->status), "in-progress");
        x->c->answered = wake_now_ms();
        pthread_mutex_unlock(&x->v->mu);
        x->first = 0;
    }
    return failed ? NULL : doc;
}

/* ---- attributes ---- */

static int attr_int(struct run *x, const struct twiml_read_node *n, const char *name, long long lo,
                    long long hi, long long def, long long *out)
{
    const char *s = twiml_read_value(n, name), *why;

    *out = def;
    if (!s)
        return 0;
    if (parse_int(s, lo, hi, out, &why)) {
        *out = def;
        call_error(x, 12200, "<%s %s=\"%s\"> (line %d): %s", n->name, name, s, n->line, why);
        return -1;
    }
    return 0;
}

static int attr_bool(struct run *x, const struct twiml_read_node *n, const char *name, int def,
                     int *out)
{
    const char *s = twiml_read_value(n, name);

    *out = def;
    if (!s)
        return 0;
    if (strcmp(s, "true") && strcmp(s, "false")) {
        call_error(x, 12200, "<%s %s=\"%s\"> (line %d): true or false", n->name, name, s, n->line);
        return -1;
    }
    *out = !strcmp(s, "true");
    return 0;
}

static int attr_method(struct run *x, const struct twiml_read_node *n, const char *name,
                       char out[8])
{
    const char *s = twiml_read_value(n, name);

    sv_copy(out, 8, "POST");
    if (!s || !sv_norm_method(s, out))
        return 0;
    call_error(x, 12200, "<%s %s=\"%s\"> (line %d): GET or POST", n->name, name, s, n->line);
    return -1;
}

/* An absolute URL attribute (def when absent, "" allowed there); -1 when not a URL. */
static int attr_url(struct run *x, const struct twiml_read_node *n, const char *name,
                    const char *def, char out[SV_URL])
{
    const char *s = twiml_read_value(n, name);

    sv_copy(out, SV_URL, s ? s : def);
    if (!s || sv_valid_url(s))
        return 0;
    call_error(x, 11100, "<%s %s=\"%s\"> (line %d): not an absolute http(s) URL", n->name, name, s,
               n->line);
    return -1;
}

/* ---- verbs ---- */

static int v_say(struct run *x, const struct twiml_read_node *n)
{
    long long loop;

    attr_int(x, n, "loop", 0, 1000, 1, &loop);
    hear(x, n->text);
    return V_NEXT;
}

/* <Play loop="0"> outside a <Gather> plays until someone redirects or hangs up the call. */
static int v_play(struct run *x, const struct twiml_read_node *n)
{
    long long loop;
    int why;

    if (!sv_valid_url(n->text)) {
        call_error(x, 11100, "<Play> (line %d): \"%s\" is not an absolute http(s) URL", n->line,
                   n->text);
        return V_END;
    }
    attr_int(x, n, "loop", 0, 1000, 1, &loop);
    played(x, n->text);
    if (loop || x->in_gather)
        return V_NEXT;
    pthread_mutex_lock(&x->v->mu);
    while ((why = park(x, SV_WAIT_PLAY)) == WOKE_POKE)
        ;
    why = woke_to(x, why);
    pthread_mutex_unlock(&x->v->mu);
    return why;
}

static int v_pause(struct run *x, const struct twiml_read_node *n)
{
    long long length;

    attr_int(x, n, "length", 0, 3600, 1, &length);
    return V_NEXT;
}

static int v_hangup(struct run *x, const struct twiml_read_node *n)
{
    (void)x;
    (void)n;
    return V_END;
}

static int v_redirect(struct run *x, const struct twiml_read_node *n)
{
    char method[8];

    if (!sv_valid_url(n->text)) {
        call_error(x, 11100, "<Redirect> (line %d): \"%s\" is not an absolute http(s) URL", n->line,
                   n->text);
        return V_END;
    }
    if (attr_method(x, n, "method", method))
        return V_END;
    src_set(&x->next, n->text, method);
    return V_GOTO;
}

struct verb {
    const char *name;
    int (*run)(struct run *x, const struct twiml_read_node *n);
    const char *attrs; /* the attributes Twilio documents for it */
};

static int v_gather(struct run *x, const struct twiml_read_node *n);
static int v_dial(struct run *x, const struct twiml_read_node *n);
static int v_record(struct run *x, const struct twiml_read_node *n);

static const struct verb verbs[] = {
    {"Say", v_say, " voice language loop "},
    {"Play", v_play, " loop digits "},
    {"Pause", v_pause, " length "},
    {"Gather", v_gather,
     " input numDigits timeout action method language finishOnKey speechTimeout hints "
     "actionOnEmptyResult partialResultCallback partialResultCallbackMethod profanityFilter "
     "speechModel enhanced bargeIn debug "},
    {"Redirect", v_redirect, " method "},
    {"Dial", v_dial,
     " action method timeout callerId record hangupOnStar timeLimit answerOnBridge ringTone "
     "recordingStatusCallback recordingStatusCallbackMethod recordingStatusCallbackEvent trim "
     "sequential referUrl referMethod "},
    {"Record", v_record,
     " action method maxLength playBeep timeout finishOnKey trim transcribe transcribeCallback "
     "recordingStatusCallback recordingStatusCallbackMethod recordingStatusCallbackEvent "},
    {"Hangup", v_hangup, " "},
};

static const struct verb *find_verb(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (!strcmp(verbs[i].name, name))
            return &verbs[i];
    return NULL;
}

/* An attribute Twilio does not know for a verb is recorded (Twilio warns, 12200), not fatal. */
static void check_attrs(struct run *x, const struct verb *vb, const struct twiml_read_node *n)
{
    char key[TWIML_READ_MAX_NAME + 3];
    size_t i;

    for (i = 0; i < n->nattrs; i++) {
        snprintf(key, sizeof(key), " %s ", n->attrs[i].name);
        if (!strstr(vb->attrs, key))
            call_error(x, 12200, "<%s> (line %d) has no attribute %s", n->name, n->line,
                       n->attrs[i].name);
    }
}

/* Runs verbs from n on; the allowed set is every verb, or only Say/Play/Pause in a Gather. */
static int run_verbs(struct run *x, const struct twiml_read_node *n)
{
    for (; n; n = n->next) {
        const struct verb *vb = find_verb(n->name);
        int rc = interrupted(x);
        if (rc >= 0)
            return rc;
        if (!vb || (x->in_gather && vb->run != v_say && vb->run != v_play && vb->run != v_pause)) {
            call_error(x, 12200, "unsupported verb <%s>%s (line %d)", n->name,
                       x->in_gather ? " in <Gather>" : "", n->line);
            return V_END;
        }
        check_attrs(x, vb, n);
        rc = vb->run(x, n);
        if (rc != V_NEXT)
            return rc;
    }
    return x->in_gather ? V_NEXT : V_END; /* a document that runs out hangs up */
}

/* The input a <Gather> parks for: digits or speech, "" for a timeout (v->mu held). */
static int gather_wait(struct run *x, int speech, int digits, char *input, int *was_speech)
{
    struct sv_call *c = x->c;
    int why;

    c->gather_speech = speech;
    c->gather_digits = digits;
    c->has_input = 0;
    while ((why = park(x, SV_WAIT_GATHER)) == WOKE_POKE && !c->has_input)
        ;
    sv_copy(input, SV_MAX_INPUT, c->input);
    *was_speech = c->speech;
    c->has_input = 0;
    return why;
}

/*
 * The keys a <Gather> takes from what was pressed: up to its finishOnKey
 * ('#' by default, "" none), which is not sent, and at most numDigits.
 */
static void keys_taken(const struct twiml_read_node *n, size_t digits, char *keys)
{
    const char *fin = twiml_read_value(n, "finishOnKey");
    char *end = fin && !*fin ? NULL : strchr(keys, fin ? *fin : '#');

    if (end)
        *end = '\0';
    if (digits && strlen(keys) > digits)
        keys[digits] = '\0';
}

static int v_gather(struct run *x, const struct twiml_read_node *n)
{
    const char *input = twiml_read_value(n, "input");
    char action[SV_URL], method[8], got[SV_MAX_INPUT];
    long long digits, timeout;
    int speech, rc, why;

    if (input && strcmp(input, "dtmf") && strcmp(input, "speech") && strcmp(input, "dtmf speech") &&
        strcmp(input, "speech dtmf"))
        call_error(x, 12200, "<Gather input=\"%s\"> (line %d): dtmf, speech or dtmf speech", input,
                   n->line);
    attr_int(x, n, "numDigits", 1, 32, 0, &digits);
    attr_int(x, n, "timeout", 1, 600, 5, &timeout);
    if (attr_url(x, n, "action", x->doc_url, action) || attr_method(x, n, "method", method))
        return V_END;
    if (!action[0]) {
        call_error(x, 11100, "<Gather> (line %d) in inline Twiml needs an action", n->line);
        return V_END;
    }
    x->in_gather = 1;
    rc = run_verbs(x, n->kids);
    x->in_gather = 0;
    if (rc != V_NEXT)
        return rc;
    pthread_mutex_lock(&x->v->mu);
    if (x->c->machine) { /* a machine presses nothing: the Gather times out */
        pthread_mutex_unlock(&x->v->mu);
        return V_NEXT;
    }
    why = gather_wait(x, input && strstr(input, "speech"), (int)digits, got, &speech);
    rc = why == WOKE_POKE ? V_NEXT : woke_to(x, why);
    pthread_mutex_unlock(&x->v->mu);
    if (!speech)
        keys_taken(n, (size_t)digits, got);
    if (why != WOKE_POKE || !got[0])
        return rc; /* hung up, redirected, or timed out: on with the next verb */
    src_set(&x->next, action, method);
    sv_add_param(&x->next.extra, speech ? "SpeechResult" : "Digits", got);
    if (speech)
        sv_add_param(&x->next.extra, "Confidence", "0.92");
    return V_GOTO;
}

/* What a <Record> parks for: seconds spoken, and whether the caller then hung up. */
static int record_wait(struct run *x, int *seconds, int *hangup)
{
    struct sv_call *c = x->c;
    int why;

    c->has_record = 0;
    while ((why = park(x, SV_WAIT_RECORD)) == WOKE_POKE && !c->has_record)
        ;
    *seconds = c->has_record ? c->record_s : 0;
    *hangup = why == WOKE_HANGUP || c->record_hangup;
    c->has_record = 0;
    return why;
}

static int v_record(struct run *x, const struct twiml_read_node *n)
{
    char action[SV_URL], method[8], sid[SIM_ID_LEN], url[SV_URL];
    long long max_len, timeout;
    int beep, seconds = 0, hangup = 0, why;

    attr_int(x, n, "maxLength", 1, 14400, 3600, &max_len);
    attr_int(x, n, "timeout", 0, 600, 5, &timeout);
    attr_bool(x, n, "playBeep", 1, &beep);
    if (attr_url(x, n, "action", x->doc_url, action) || attr_method(x, n, "method", method))
        return V_END;
    if (!action[0]) {
        call_error(x, 11100, "<Record> (line %d) in inline Twiml needs an action", n->line);
        return V_END;
    }
    pthread_mutex_lock(&x->v->mu);
    why = x->c->machine ? WOKE_POKE : record_wait(x, &seconds, &hangup);
    if (why == WOKE_REDIRECT || why == WOKE_STOP) {
        why = woke_to(x, why);
        pthread_mutex_unlock(&x->v->mu);
        return why;
    }
    if (hangup && !x->c->end_status[0])
        sv_copy(x->c->end_status, sizeof(x->c->end_status), "completed");
    pthread_mutex_unlock(&x->v->mu);
    if (!seconds && !hangup)
        return V_NEXT; /* silence: no recording, on with the next verb */
    sv_rec_add(x->v, x->c, seconds < max_len ? seconds : (int)max_len, sid);
    snprintf(url, sizeof(url), "%s" SV_API_PREFIX "%s/Recordings/%s",
             x->v->s->cfg->provider.api_base, x->v->s->cfg->provider.account_sid, sid);
    src_set(&x->next, action, method);
    sv_add_param(&x->next.extra, "RecordingSid", sid);
    sv_add_param(&x->next.extra, "RecordingUrl", url);
    sv_add_int_param(&x->next.extra, "RecordingDuration", seconds < max_len ? seconds : max_len);
    if (!hangup)
        return V_GOTO;
    /* as Twilio marks a recording a hangup ended */
    sv_add_param(&x->next.extra, "Digits", "hangup");
    post_after_hangup(x);
    return V_END;
}

/* ---- <Dial> ---- */

/* How a <Dial> ended, for its action. */
struct dial_end {
    char status[16]; /* DialCallStatus */
    char leg[SIM_ID_LEN];
    long long seconds;
};

/* After a <Dial>: its action (a new document, or posted after a hangup), or the next verb. */
static int dial_done(struct run *x, int why, const char *action, const char *method,
                     const struct dial_end *e)
{
    if (why == WOKE_REDIRECT || why == WOKE_STOP) {
        pthread_mutex_lock(&x->v->mu);
        why = woke_to(x, why);
        pthread_mutex_unlock(&x->v->mu);
        return why;
    }
    if (!action[0])
        return why == WOKE_HANGUP ? V_END : V_NEXT;
    src_set(&x->next, action, method);
    sv_add_param(&x->next.extra, "DialCallStatus", e->status);
    if (e->leg[0])
        sv_add_param(&x->next.extra, "DialCallSid", e->leg);
    sv_add_int_param(&x->next.extra, "DialCallDuration", e->seconds);
    if (why != WOKE_HANGUP)
        return V_GOTO;
    post_after_hangup(x);
    return V_END;
}

/* Rings number for x's call; parks until the leg ends or the call does (v->mu held). */
static int dial_leg(struct run *x, const char *number, const char *caller_id, struct dial_end *e)
{
    struct sim_voice *v = x->v;
    struct sv_call *c = x->c, *leg;
    const char *why_not;
    int why;

    leg = sv_new_call(v, "outbound-dial", caller_id[0] ? caller_id : c->from, number, &why_not);
    if (!leg) {
        sv_copy(e->status, sizeof(e->status), "failed");
        return WOKE_POKE;
    }
    sv_copy(leg->parent, sizeof(leg->parent), c->sid);
    sv_copy(leg->status, sizeof(leg->status), "ringing");
    leg->busy = 0;
    sv_copy(c->leg, sizeof(c->leg), leg->sid);
    sv_copy(e->leg, sizeof(e->leg), leg->sid);
    while ((why = park(x, SV_WAIT_DIAL)) == WOKE_POKE && !sv_is_over(leg))
        ;
    if (!sv_is_over(leg)) /* the caller hung up or was redirected: the leg goes too */
        sv_end_leg(v, leg, leg->answered ? "completed" : "canceled");
    sv_copy(e->status, sizeof(e->status), leg->status);
    e->seconds = leg->answered ? (leg->ended - leg->answered) / 1000 : 0;
    c->leg[0] = '\0';
    return why;
}

static int dial_number(struct run *x, const char *number, const char *caller_id, const char *action,
                       const char *method)
{
    struct sv_call *c = x->c;
    struct dial_end e = {"failed", "", 0};
    const char *why_not;
    int why = WOKE_POKE;

    if (parse_e164(number, &why_not)) {
        call_error(x, 13224, "<Dial>: \"%s\" is not a number Twilio can call (%s)", number,
                   why_not);
        return dial_done(x, why, action, method, &e);
    }
    pthread_mutex_lock(&x->v->mu);
    if (c->ndialed < SV_MAX_LIST) {
        sv_copy(c->dialed[c->ndialed].number, SV_NUM, number);
        sv_copy(c->dialed[c->ndialed].caller_id, SV_NUM, caller_id);
        c->ndialed++;
    }
    why = dial_leg(x, number, caller_id, &e);
    pthread_mutex_unlock(&x->v->mu);
    return dial_done(x, why, action, method, &e);
}

/* What the waitUrl answers: heard (Say), played (Play); fetched once. */
static void hold_music(struct run *x, const char *url, const char *method)
{
    struct buf body = BUF_INIT(TWIML_READ_MAX_DOC);
    struct twiml_read_doc *doc = NULL;
    const struct twiml_read_node *n;
    struct sv_src keep = x->next;
    char err[256];

    memset(&x->next, 0, sizeof(x->next));
    src_set(&x->next, url, method);
    if (!fetch(x, "in-progress", &body) &&
        twiml_read(body.p ? body.p : "", body.len, &doc, err, sizeof(err)))
        call_error(x, 12100, "waitUrl %s: %s", url, err);
    for (n = doc ? twiml_read_root(doc)->kids : NULL; n; n = n->next) {
        if (!strcmp(n->name, "Say"))
            hear(x, n->text);
        else if (!strcmp(n->name, "Play") && sv_valid_url(n->text))
            played(x, n->text);
        else if (strcmp(n->name, "Pause") && strcmp(n->name, "Redirect"))
            call_error(x, 12200, "unsupported verb <%s> in a waitUrl document (line %d)", n->name,
                       n->line);
    }
    twiml_read_free(doc);
    buf_free(&body);
    src_clear(&x->next);
    x->next = keep;
}

static int dial_conference(struct run *x, const struct twiml_read_node *conf, const char *action,
                           const char *method)
{
    struct sim_voice *v = x->v;
    struct sv_call *c = x->c;
    struct dial_end e = {"completed", "", 0};
    char wait_url[SV_URL], wait_method[8];
    int start, end, started, why;
    int64_t t0;

    attr_bool(x, conf, "startConferenceOnEnter", 1, &start);
    attr_bool(x, conf, "endConferenceOnExit", 0, &end);
    if (!conf->text[0] || strlen(conf->text) >= SV_NAME ||
        attr_url(x, conf, "waitUrl", "", wait_url) ||
        attr_method(x, conf, "waitMethod", wait_method)) {
        call_error(x, 12200, "<Conference> (line %d): a name (under %d bytes) and a waitUrl",
                   conf->line, SV_NAME);
        return V_END;
    }
    pthread_mutex_lock(&v->mu);
    if (sv_conf_join(v, c, conf->text, start, end)) {
        pthread_mutex_unlock(&v->mu);
        call_error(x, 12200, "too many conferences at once");
        return V_END;
    }
    started = sv_conf_find(v, c->conference)->started;
    pthread_mutex_unlock(&v->mu);
    if (!started && wait_url[0])
        hold_music(x, wait_url, wait_method);
    pthread_mutex_lock(&v->mu);
    t0 = wake_now_ms();
    while ((why = park(x, SV_WAIT_CONFERENCE)) == WOKE_POKE && !c->kicked)
        ;
    sv_conf_leave(v, c);
    pthread_mutex_unlock(&v->mu);
    e.seconds = (wake_now_ms() - t0) / 1000;
    return dial_done(x, why, action, method, &e);
}

static int v_dial(struct run *x, const struct twiml_read_node *n)
{
    char action[SV_URL], method[8];
    const char *caller_id = twiml_read_value(n, "callerId"), *why;
    const struct twiml_read_node *k = n->kids;
    long long timeout;

    attr_int(x, n, "timeout", 1, 600, 30, &timeout);
    if (attr_url(x, n, "action", "", action) || attr_method(x, n, "method", method))
        return V_END;
    if (caller_id && parse_e164(caller_id, &why)) {
        call_error(x, 13214, "<Dial callerId=\"%s\"> (line %d): %s", caller_id, n->line, why);
        caller_id = NULL;
    }
    if (!k && n->text[0])
        return dial_number(x, n->text, caller_id ? caller_id : "", action, method);
    if (!k || k->next || (strcmp(k->name, "Number") && strcmp(k->name, "Conference"))) {
        call_error(x, 12200,
                   "<Dial> (line %d): the simulator dials one <Number> or one <Conference>",
                   n->line);
        return V_END;
    }
    if (!strcmp(k->name, "Conference"))
        return dial_conference(x, k, action, method);
    return dial_number(x, k->text, caller_id ? caller_id : "", action, method);
}

/* ---- a call's thread ---- */

/* Runs documents from x->next until the call ends. */
static void run_documents(struct run *x)
{
    int steps = 0;

    for (;;) {
        struct twiml_read_doc *doc;
        int rc;
        if (interrupted(x) == V_END)
            return;
        if (x->waited)
            steps = 0;
        x->waited = 0;
        if (++steps > SV_MAX_STEPS) {
            call_error(x, 12200, "%d documents in a row with no one acting (a <Redirect> loop?)",
                       SV_MAX_STEPS);
            return;
        }
        doc = load(x);
        if (!doc)
            return;
        rc = run_verbs(x, twiml_read_root(doc)->kids);
        twiml_read_free(doc);
        if (rc != V_GOTO)
            return;
    }
}

/* An outbound call rings until answered (1) or ended (0). */
static int ring(struct run *x)
{
    struct sv_call *c = x->c;
    int why;

    pthread_mutex_lock(&x->v->mu);
    sv_copy(c->status, sizeof(c->status), "ringing");
    while ((why = park(x, SV_WAIT_RINGING)) == WOKE_POKE && !c->answer)
        ;
    if (why == WOKE_POKE) {
        c->machine = c->answer == 2;
        sv_copy(c->status, sizeof(c->status), "in-progress");
        c->answered = wake_now_ms();
        src_set(&x->next, c->url, c->method);
        x->next.twiml = c->twiml && !c->url[0] ? strdup(c->twiml) : NULL;
    }
    pthread_mutex_unlock(&x->v->mu);
    return why == WOKE_POKE;
}

/* The call is over: its final status, its conference left, its status callback posted. */
static void finish(struct run *x)
{
    struct sim_voice *v = x->v;
    struct sv_call *c = x->c;
    char cb[SV_URL], cb_method[8], masked[LOG_MASK_LEN], stamp[64];
    struct form f = {0};
    int stopping;

    pthread_mutex_lock(&v->mu);
    if (!c->end_status[0])
        sv_copy(c->end_status, sizeof(c->end_status), "completed");
    if (c->conference[0])
        sv_conf_leave(v, c);
    sv_copy(c->status, sizeof(c->status), c->end_status);
    c->ended = wake_now_ms();
    c->wait = SV_WAIT_NONE;
    sv_copy(cb, sizeof(cb), c->status_cb);
    sv_copy(cb_method, sizeof(cb_method), c->status_cb_method);
    sv_call_params(v, c, c->status, &f);
    sv_add_int_param(&f, "CallDuration", c->answered ? (c->ended - c->answered) / 1000 : 0);
    sim_rfc2822(c->ended, stamp, sizeof(stamp));
    sv_add_param(&f, "Timestamp", stamp);
    sv_add_param(&f, "CallbackSource", "call-progress-events");
    sv_add_param(&f, "SequenceNumber", "0");
    stopping = v->stopping;
    pthread_mutex_unlock(&v->mu);
    if (cb[0] && !stopping && v->s->callbacks) /* --no-callbacks: none, as for texts */
        (void)sv_request(v, cb_method, cb, &f, NULL, NULL, 0);
    form_free(&f);
    log_info("sim.call_end", "sid=%s direction=%s to=%s status=%s", c->sid, c->direction,
             log_mask_phone(c->to, masked), c->status);
    pthread_mutex_lock(&v->mu);
    c->busy = 0;
    c->threaded = 0;
    v->threads--;
    pthread_cond_broadcast(&c->cv);
    pthread_cond_broadcast(&v->idle);
    pthread_mutex_unlock(&v->mu); /* c may be gone from here on */
}

static void *call_main(void *arg)
{
    struct sv_call *c = arg;
    struct run x;

    memset(&x, 0, sizeof(x));
    x.v = c->v;
    x.c = c;
    if (!strcmp(c->direction, "inbound")) {
        pthread_mutex_lock(&x.v->mu);
        sv_copy(c->status, sizeof(c->status), "ringing");
        src_set(&x.next, c->url, c->method);
        pthread_mutex_unlock(&x.v->mu);
        x.first = 1;
        run_documents(&x);
    } else if (ring(&x)) {
        run_documents(&x);
    }
    src_clear(&x.next);
    finish(&x);
    return NULL;
}

/* Starts c's thread. 0, or -1 (c is then over, "failed"). */
int sv_run_start(struct sim_voice *v, struct sv_call *c, const char **why)
{
    pthread_attr_t a;
    pthread_t t;
    int rc = -1;

    if (v->threads >= SV_MAX_LIVE) {
        *why = "too many calls at once";
        goto fail;
    }
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    c->threaded = 1;
    v->threads++;
    if (pthread_create(&t, &a, call_main, c)) {
        c->threaded = 0;
        v->threads--;
        *why = "cannot start a thread";
    } else {
        rc = 0;
    }
    pthread_attr_destroy(&a);
    if (!rc)
        return 0;
fail:
    sv_copy(c->status, sizeof(c->status), "failed");
    c->ended = wake_now_ms();
    c->busy = 0;
    return -1;
}
