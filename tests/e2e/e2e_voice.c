/*
 * e2e_voice.c - calls to the line, through a real serve and the simulator
 * as Twilio Voice: the menu as TwiML; a topic rings exactly the voice peers
 * for it, from the line number; the first to press 1 joins the caller and
 * the other legs are hung up at once; a voicemail answering a leg never
 * wins; no answer leads to a voicemail, a coordinator's alert with a
 * reference, a text offering to go on by text, and a masked dial-back; the
 * crisis option connects with the caller's own caller ID, or says 988.
 * Asserted on what each phone heard and which numbers each side saw.
 */
#include "harness.h"
#include "voice_line.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define CALLER "+15557770001"
#define CASEY  "+15551230003" /* covers anxiety, takes no calls */
#define CRISIS "+18005550199"
/* What a signed webhook posted by a test says of the call (the handlers go by ?call= or ?leg=). */
#define SOME_CALL "CallSid=CA0123456789abcdef0123456789abcdef"

static const char roster[] =
    VOICE_PEERS "  - id: casey\n    name: Casey\n    phone: \"" CASEY
                "\"\n    topics: [anxiety]\n" VOICE_ALL_DAY VOICE_COORDINATORS;

#define READ "read-token-0123456789"

static int setup(void **state)
{
    struct line_opts o = {.roster = roster, .extra_config = "admin:\n  token: " READ "\n"};

    return line_setup(state, &o);
}

static int setup_crisis(void **state)
{
    struct line_opts o = {.roster = roster,
                          .extra_config = "voice:\n  crisis_number: \"" CRISIS "\"\n"};

    return line_setup(state, &o);
}

/* ---- the simulator's calls ---- */

/* GET /sim/calls, as a JSON array (caller decrefs). */
static json_t *calls(struct line *l)
{
    char *body = NULL;
    json_t *j = NULL, *list;

    if (line_sim(l, "GET", "/sim/calls", NULL, &body) == 200 && body)
        j = json_loads(body, 0, NULL);
    free(body);
    if (json_is_object(j)) {
        list = json_incref(json_object_get(j, "calls"));
        json_decref(j);
        j = list;
    }
    if (!json_is_array(j))
        fail_msg("GET /sim/calls did not answer a list of calls");
    return j;
}

static const char *str(const json_t *call, const char *key)
{
    const char *s = json_string_value(json_object_get(call, key));

    return s ? s : "";
}

/* The newest call to `to` (a copy, caller decrefs), or NULL. */
static json_t *call_to(struct line *l, const char *to)
{
    json_t *all = calls(l), *c, *found = NULL;
    size_t i;

    json_array_foreach(all, i, c) if (!strcmp(str(c, "to"), to)) found = c;
    json_incref(found);
    json_decref(all);
    return found;
}

/* Waits up to 8 s until the newest call to `to` has `key` == value. Returns its sid (static). */
static const char *wait_call(struct line *l, const char *to, const char *key, const char *value)
{
    static char sid[64];
    json_t *c = NULL;
    int i;

    for (i = 0; i < 160; i++, line_sleep(50)) {
        c = call_to(l, to);
        if (c && !strcmp(str(c, key), value)) {
            snprintf(sid, sizeof(sid), "%s", str(c, "sid"));
            json_decref(c);
            return sid;
        }
        json_decref(c);
    }
    c = call_to(l, to);
    fail_msg("the call to %s never had %s=%s (it has %s)", to, key, value,
             c ? str(c, key) : "no call");
    return NULL;
}

/* 1 when anything the party on the call to `to` heard contains needle. */
static int heard(struct line *l, const char *to, const char *needle)
{
    json_t *c = call_to(l, to), *s;
    size_t i;
    int hit = 0;

    json_array_foreach(json_object_get(c, "said"), i, s) if (strstr(json_string_value(s), needle))
        hit = 1;
    json_decref(c);
    return hit;
}

static void control(struct line *l, const char *path, const char *form)
{
    long st = line_sim(l, "POST", path, form, NULL);

    if (st != 200)
        fail_msg("POST %s %s: %ld", path, form, st);
}

static void act(struct line *l, const char *path, const char *sid, const char *extra)
{
    char form[256];

    snprintf(form, sizeof(form), "Call=%s%s", sid, extra ? extra : "");
    control(l, path, form);
}

/* The caller calls the line and waits at the menu. Returns the caller's call sid (static). */
static const char *dial_in(struct line *l)
{
    static char sid[64];

    control(l, "/sim/call", "From=%2B15557770001&To=%2B15005550006"); /* CALLER, LINE_NUMBER */
    snprintf(sid, sizeof(sid), "%s", wait_call(l, LINE_NUMBER, "waiting", "gather"));
    return sid;
}

/* Waits up to 8 s until the newest call to `to` is over without being answered or after. */
static void wait_hung_up(struct line *l, const char *to)
{
    json_t *c;
    int i, over = 0;

    for (i = 0; i < 160 && !over; i++, line_sleep(50)) {
        c = call_to(l, to);
        over =
            c && (!strcmp(str(c, "status"), "completed") || !strcmp(str(c, "status"), "canceled"));
        json_decref(c);
    }
    if (!over)
        fail_msg("the call to %s was never hung up", to);
}

/* Waits up to 8 s until the newest calls to a and b are in the same conference, talking. */
static void wait_together(struct line *l, const char *a, const char *b)
{
    json_t *x, *y;
    int i, same = 0;

    for (i = 0; i < 160 && !same; i++, line_sleep(50)) {
        x = call_to(l, a);
        y = call_to(l, b);
        same = x && y && *str(x, "conference") &&
               !strcmp(str(x, "conference"), str(y, "conference")) &&
               json_array_size(json_object_get(x, "in_conference_with")) > 0;
        json_decref(x);
        json_decref(y);
    }
    if (!same)
        fail_msg("the calls to %s and %s never met in one conference", a, b);
}

static int count_calls_to(struct line *l, const char *to)
{
    json_t *all = calls(l), *c;
    size_t i;
    int n = 0;

    json_array_foreach(all, i, c) if (!strcmp(str(c, "to"), to)) n++;
    json_decref(all);
    return n;
}

/* ---- tests ---- */

static void the_menu_is_twiml_and_forgeries_are_refused(void **state)
{
    struct line *l = *state;
    char body[8192], ctype[64];
    long st;

    st = line_post_signed(l, "/twilio/voice",
                          "CallSid=CA0123456789abcdef0123456789abcdef&AccountSid="
                          "AC0123456789abcdef0123456789abcdef&From=%2B15557770009&To=%2B15005550006"
                          "&CallStatus=ringing&Direction=inbound",
                          body, sizeof(body), ctype, sizeof(ctype));
    assert_int_equal(st, 200);
    assert_string_equal(ctype, "text/xml");
    assert_non_null(strstr(body, "<Gather input=\"dtmf\" numDigits=\"1\""));
    assert_non_null(strstr(body, "/twilio/voice/menu?call="));
    assert_non_null(strstr(body, "Test Line"));
    assert_non_null(strstr(body, "To talk about Anxiety and stress, press 1."));
    assert_non_null(strstr(body, "To talk about Grief and loss, press 2."));
    assert_non_null(strstr(body, "press 9"));
    /* No signature, a wrong one: refused, nothing stored. */
    assert_int_equal(line_post_raw(l, "/twilio/voice", "application/x-www-form-urlencoded",
                                   "CallSid=CA0123456789abcdef0123456789abcdee&From=%2B1555&To=x",
                                   "bm90IGEgc2lnbmF0dXJl"),
                     403);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls"), 1);
}

static void the_first_peer_to_press_1_joins_and_the_others_are_hung_up(void **state)
{
    struct line *l = *state;
    const char *caller = dial_in(l);
    char caller_sid[64], alex[64], blair[64];
    json_t *c;

    snprintf(caller_sid, sizeof(caller_sid), "%s", caller);
    assert_true(heard(l, LINE_NUMBER, "press 1"));
    act(l, "/sim/call/press", caller_sid, "&Digits=1"); /* anxiety */
    /* Exactly the voice peers for anxiety are rung, each from the line number. */
    snprintf(alex, sizeof(alex), "%s", wait_call(l, ALEX, "status", "ringing"));
    snprintf(blair, sizeof(blair), "%s", wait_call(l, BLAIR, "status", "ringing"));
    c = call_to(l, ALEX);
    assert_string_equal(str(c, "from"), LINE_NUMBER);
    json_decref(c);
    c = call_to(l, BLAIR);
    assert_string_equal(str(c, "from"), LINE_NUMBER);
    json_decref(c);
    assert_int_equal(count_calls_to(l, CASEY), 0);
    wait_call(l, LINE_NUMBER, "waiting", "conference");
    /* Both pick up and hear the whisper; Blair presses 1 first. */
    act(l, "/sim/call/answer", alex, NULL);
    act(l, "/sim/call/answer", blair, NULL);
    wait_call(l, BLAIR, "waiting", "gather");
    wait_call(l, ALEX, "waiting", "gather");
    assert_true(heard(l, BLAIR, "Anxiety and stress"));
    assert_true(heard(l, BLAIR, "Press 1 to take the call."));
    act(l, "/sim/call/press", blair, "&Digits=1");
    wait_together(l, BLAIR, LINE_NUMBER);
    /* Alex's leg is hung up at once, whisper or not. */
    wait_hung_up(l, ALEX);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls WHERE state = 'connected'"
                                   " AND peer_id = 'blair'"),
                     1);
    /* The dashboard and /metrics see the call, with no number in either. */
    {
        char *body = NULL;
        json_t *j, *call;
        assert_int_equal(line_admin(l, "GET", "/admin/api/status", READ, &body), 200);
        assert_null(strstr(body, "555777"));
        j = json_loads(body, 0, NULL);
        call = json_array_get(json_object_get(j, "calls"), 0);
        assert_string_equal(str(call, "state"), "connected");
        assert_string_equal(str(call, "peer"), "blair");
        assert_string_equal(str(call, "topic"), "anxiety");
        json_decref(j);
        free(body);
        assert_int_equal(line_admin(l, "GET", "/metrics", READ, &body), 200);
        assert_non_null(strstr(body, "peerline_calls_open{state=\"connected\"} 1"));
        free(body);
    }
    /* The caller hangs up: the call is over, and on record as a conversation. */
    act(l, "/sim/call/hangup", caller_sid, NULL);
    for (int i = 0;
         i < 100 && line_query(l, "SELECT COUNT(*) FROM calls WHERE state = 'ended'") != 1; i++)
        line_sleep(50);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations WHERE channel = 'voice'"
                                   " AND peer_id = 'blair' AND close_reason = 'call-talked'"),
                     1);
    /* A call is a conversation in the report: one contact, answered, by voice. */
    {
        char *out = NULL;
        assert_int_equal(line_cli(l, "report", "--format csv", &out), 0);
        assert_non_null(strstr(out, "\nchannel,voice,1,1,0,0,"));
        free(out);
    }
}

static void a_voicemail_on_a_leg_never_wins(void **state)
{
    struct line *l = *state;
    char caller[64], alex[64], blair[64];

    snprintf(caller, sizeof(caller), "%s", dial_in(l));
    act(l, "/sim/call/press", caller, "&Digits=1");
    snprintf(alex, sizeof(alex), "%s", wait_call(l, ALEX, "status", "ringing"));
    snprintf(blair, sizeof(blair), "%s", wait_call(l, BLAIR, "status", "ringing"));
    /* Alex's voicemail answers: it hears the whisper, presses nothing, hangs up. */
    act(l, "/sim/call/voicemail", alex, NULL);
    wait_hung_up(l, ALEX);
    /* Blair is still being rung, and still can take it. */
    {
        json_t *b = call_to(l, BLAIR);
        assert_string_equal(str(b, "status"), "ringing");
        json_decref(b);
    }
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls WHERE state = 'ringing'"), 1);
    act(l, "/sim/call/answer", blair, NULL);
    wait_call(l, BLAIR, "waiting", "gather");
    act(l, "/sim/call/press", blair, "&Digits=1");
    wait_together(l, BLAIR, LINE_NUMBER);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls WHERE peer_id = 'blair'"), 1);
    {
        json_t *a = call_to(l, ALEX);
        assert_string_equal(str(a, "conference"), ""); /* never joined */
        json_decref(a);
    }
}

static void no_answer_leaves_a_voicemail_and_a_peer_calls_back_masked(void **state)
{
    struct line *l = *state;
    char caller[64], alex[64], blair[64], back[64];
    long mark = line_mark(l);
    char *alert;
    json_t *c, *d;

    snprintf(caller, sizeof(caller), "%s", dial_in(l));
    act(l, "/sim/call/press", caller, "&Digits=1");
    snprintf(alex, sizeof(alex), "%s", wait_call(l, ALEX, "status", "ringing"));
    snprintf(blair, sizeof(blair), "%s", wait_call(l, BLAIR, "status", "ringing"));
    act(l, "/sim/call/decline", alex, "&Status=no-answer");
    act(l, "/sim/call/decline", blair, "&Status=busy");
    /* Nobody left to ring: the caller is not kept waiting out the ring time. */
    wait_call(l, LINE_NUMBER, "waiting", "record");
    assert_true(heard(l, LINE_NUMBER, "leave a message after the tone"));
    act(l, "/sim/call/record", caller, "&Seconds=12");
    wait_call(l, LINE_NUMBER, "status", "completed");
    /* The on-call coordinator gets a reference; the caller an offer to text. */
    alert = line_expect(l, mark, SAM, LINE_NUMBER, "#callback C", 5000);
    assert_non_null(alert);
    assert_non_null(strstr(alert, "voicemail"));
    assert_null(strstr(alert, CALLER));
    line_must_get(l, mark, CALLER, LINE_NUMBER, "sorry we missed your call");
    /* Alex calls back through the line. */
    {
        char cmd[64], *ref = strstr(alert, "#callback ") + strlen("#callback ");
        ref[strcspn(ref, " .")] = '\0';
        snprintf(cmd, sizeof(cmd), "#callback %s", ref);
        assert_int_equal(line_text(l, ALEX, LINE_NUMBER, cmd), 200);
    }
    free(alert);
    line_must_get(l, mark, ALEX, LINE_NUMBER, "Calling you now");
    for (int i = 0; i < 100 && count_calls_to(l, ALEX) < 2; i++)
        line_sleep(50);
    c = call_to(l, ALEX);
    assert_string_equal(str(c, "from"), LINE_NUMBER);
    snprintf(back, sizeof(back), "%s", str(c, "sid"));
    json_decref(c);
    /* A late webhook about the call, over long since, does not hang up the call back. */
    {
        char path[96];
        snprintf(path, sizeof(path), "/twilio/voice/nomessage?call=%ld",
                 line_query(l, "SELECT MAX(id) FROM calls"));
        assert_int_equal(line_post_signed(l, path, SOME_CALL, NULL, 0, NULL, 0), 200);
        line_sleep(300);
        c = call_to(l, ALEX);
        assert_string_equal(str(c, "status"), "ringing");
        json_decref(c);
    }
    act(l, "/sim/call/answer", back, NULL);
    wait_call(l, ALEX, "waiting", "gather");
    act(l, "/sim/call/press", back, "&Digits=1");
    /* The line dials the caller; the caller sees the line's number, never Alex's. */
    for (int i = 0; i < 100; i++, line_sleep(50)) {
        c = call_to(l, ALEX);
        d = json_array_get(json_object_get(c, "dialed"), 0);
        if (d)
            break;
        json_decref(c);
        c = NULL;
    }
    assert_non_null(d);
    assert_string_equal(json_string_value(json_object_get(d, "number")), CALLER);
    assert_string_equal(json_string_value(json_object_get(d, "callerId")), LINE_NUMBER);
    json_decref(c);
}

/* Past retention, the voicemail is deleted at the provider and the caller's number hashed. */
static void voicemail_recordings_go_with_retention(void **state)
{
    struct line *l = *state;
    char caller[64], blair[64], *out = NULL;

    snprintf(caller, sizeof(caller), "%s", dial_in(l));
    act(l, "/sim/call/press", caller, "&Digits=2");
    snprintf(blair, sizeof(blair), "%s", wait_call(l, BLAIR, "status", "ringing"));
    act(l, "/sim/call/decline", blair, "&Status=no-answer");
    wait_call(l, LINE_NUMBER, "waiting", "record");
    act(l, "/sim/call/record", caller, "&Seconds=30");
    wait_call(l, LINE_NUMBER, "status", "completed");
    for (int i = 0; i < 100 && line_query(l, "SELECT COUNT(*) FROM calls WHERE recording_sid"
                                             " IS NOT NULL AND state = 'ended'") != 1;
         i++)
        line_sleep(50);
    assert_int_equal(line_exec(l, "UPDATE calls SET created_at = created_at - 3456000000"), 0);
    assert_int_equal(line_cli(l, "purge", NULL, &out), 0);
    free(out);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls WHERE recording_sid IS NOT NULL"
                                   " OR caller NOT LIKE 'h:%'"),
                     0);
    for (int i = 0; i < 100 && line_query(l, "SELECT COUNT(*) FROM redactions WHERE sid LIKE 'RE%'"
                                             " AND outcome = 'redacted'") != 1;
         i++)
        line_sleep(100);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM redactions WHERE sid LIKE 'RE%'"
                                   " AND outcome = 'redacted'"),
                     1);
}

static void the_ring_time_is_bounded(void **state)
{
    struct line *l = *state;
    char caller[64];

    snprintf(caller, sizeof(caller), "%s", dial_in(l));
    act(l, "/sim/call/press", caller, "&Digits=2"); /* grief: Blair alone */
    wait_call(l, BLAIR, "status", "ringing");
    assert_int_equal(count_calls_to(l, ALEX), 0);
    /* Nobody answers: once the ring time is over, Blair's phone stops and the caller is asked
     * for a message. */
    assert_int_equal(line_exec(l, "UPDATE calls SET ring_until = CAST(strftime('%s', 'now') AS "
                                  "INTEGER) * 1000"),
                     0);
    wait_hung_up(l, BLAIR);
    wait_call(l, LINE_NUMBER, "waiting", "record");
    act(l, "/sim/call/hangup", caller, NULL);
}

static void the_crisis_option_connects_with_the_callers_own_number(void **state)
{
    struct line *l = *state;
    char caller[64];
    long mark = line_mark(l);
    json_t *c, *d;

    snprintf(caller, sizeof(caller), "%s", dial_in(l));
    act(l, "/sim/call/press", caller, "&Digits=9");
    for (int i = 0; i < 100; i++, line_sleep(50)) {
        c = call_to(l, LINE_NUMBER);
        d = json_array_get(json_object_get(c, "dialed"), 0);
        if (d)
            break;
        json_decref(c);
    }
    assert_non_null(d);
    assert_string_equal(json_string_value(json_object_get(d, "number")), CRISIS);
    assert_string_equal(json_string_value(json_object_get(d, "callerId")), CALLER);
    json_decref(c);
    line_must_get(l, mark, SAM, LINE_NUMBER, "crisis option");
    assert_int_equal(count_calls_to(l, ALEX) + count_calls_to(l, BLAIR), 0);
}

static void without_a_crisis_number_the_caller_is_told_988(void **state)
{
    struct line *l = *state;
    char caller[64];

    snprintf(caller, sizeof(caller), "%s", dial_in(l));
    act(l, "/sim/call/press", caller, "&Digits=9");
    wait_call(l, LINE_NUMBER, "status", "completed");
    assert_true(heard(l, LINE_NUMBER, "9 8 8"));
}

/* ---- races and losses the simulator cannot stage: the webhooks themselves, signed ---- */

/* Posts form, signed, to path?leg=ID for peer's leg of the newest call; the answer into body. */
static long post_leg(struct line *l, const char *peer, const char *path, const char *form,
                     char *body, size_t n)
{
    char sql[128], url[128];
    long leg;

    snprintf(sql, sizeof(sql), "SELECT MAX(id) FROM call_legs WHERE peer_id = '%s'", peer);
    leg = line_query(l, sql);
    assert_true(leg > 0);
    snprintf(url, sizeof(url), "%s?leg=%ld", path, leg);
    return line_post_signed(l, url, form, body, n, NULL, 0);
}

/* Waits up to 8 s until the one call to the line is in state. */
static void wait_state(struct line *l, const char *state)
{
    char sql[96];
    int i;

    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM calls WHERE state = '%s'", state);
    for (i = 0; i < 160 && line_query(l, sql) != 1; i++)
        line_sleep(50);
    assert_int_equal(line_query(l, sql), 1);
}

/* Blair pressed 1 and hung up, and the status of her leg came first: she wins nothing. */
static void a_peer_gone_before_their_key_press_wins_nothing(void **state)
{
    struct line *l = *state;
    char caller[64], alex[64], body[4096];

    snprintf(caller, sizeof(caller), "%s", dial_in(l));
    act(l, "/sim/call/press", caller, "&Digits=1");
    snprintf(alex, sizeof(alex), "%s", wait_call(l, ALEX, "status", "ringing"));
    wait_call(l, BLAIR, "status", "ringing");
    wait_call(l, LINE_NUMBER, "waiting", "conference");
    assert_int_equal(
        post_leg(l, "blair", "/twilio/voice/leg", SOME_CALL "&CallStatus=completed", NULL, 0), 204);
    assert_int_equal(
        post_leg(l, "blair", "/twilio/voice/accept", SOME_CALL "&Digits=1", body, sizeof(body)),
        200);
    assert_null(strstr(body, "<Conference"));
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls WHERE state = 'ringing'"
                                   " AND peer_id IS NULL"),
                     1);
    /* Alex still can take it. */
    act(l, "/sim/call/answer", alex, NULL);
    wait_call(l, ALEX, "waiting", "gather");
    act(l, "/sim/call/press", alex, "&Digits=1");
    wait_together(l, ALEX, LINE_NUMBER);
}

/*
 * Blair pressed 1 (the call is hers) but her leg dropped before she joined
 * the caller: the caller, still on hold, is offered a voicemail rather
 * than waiting for nobody.
 */
static void a_peer_who_never_joins_leaves_the_caller_a_voicemail(void **state)
{
    struct line *l = *state;
    char caller[64], body[4096], hold[128];
    long mark = line_mark(l);

    snprintf(caller, sizeof(caller), "%s", dial_in(l));
    act(l, "/sim/call/press", caller, "&Digits=1");
    wait_call(l, BLAIR, "status", "ringing");
    wait_call(l, LINE_NUMBER, "waiting", "conference");
    assert_int_equal(
        post_leg(l, "blair", "/twilio/voice/accept", SOME_CALL "&Digits=1", body, sizeof(body)),
        200);
    assert_non_null(strstr(body, "<Conference"));
    wait_hung_up(l, ALEX); /* the other leg goes at once */
    assert_int_equal(
        post_leg(l, "blair", "/twilio/voice/leg", SOME_CALL "&CallStatus=completed", NULL, 0), 204);
    /* Not over: the caller is still waiting. */
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls WHERE state = 'connected'"), 1);
    /* Their hold music asks again: nobody came, so they are asked for a message. */
    snprintf(hold, sizeof(hold), "/twilio/voice/hold?call=%ld",
             line_query(l, "SELECT MAX(id) FROM calls"));
    assert_int_equal(line_post_signed(l, hold, SOME_CALL, body, sizeof(body), NULL, 0), 200);
    assert_non_null(strstr(body, "<Redirect method=\"POST\">"));
    wait_call(l, LINE_NUMBER, "waiting", "record");
    assert_true(heard(l, LINE_NUMBER, "leave a message after the tone"));
    act(l, "/sim/call/record", caller, "&Seconds=5&Hangup=true");
    wait_state(l, "ended");
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls WHERE peer_id IS NULL"
                                   " AND answered_at IS NULL"),
                     1);
    line_must_get(l, mark, CALLER, LINE_NUMBER, "sorry we missed your call");
}

/* Twilio made a recording it says is 0 s long: it is still deleted with retention. */
static void an_empty_recording_is_still_deleted_with_retention(void **state)
{
    struct line *l = *state;
    char caller[64], blair[64], path[96], *out = NULL;

    snprintf(caller, sizeof(caller), "%s", dial_in(l));
    act(l, "/sim/call/press", caller, "&Digits=2");
    snprintf(blair, sizeof(blair), "%s", wait_call(l, BLAIR, "status", "ringing"));
    act(l, "/sim/call/decline", blair, "&Status=no-answer");
    wait_call(l, LINE_NUMBER, "waiting", "record");
    snprintf(path, sizeof(path), "/twilio/voice/recorded?call=%ld",
             line_query(l, "SELECT MAX(id) FROM calls"));
    assert_int_equal(line_post_signed(l, path,
                                      SOME_CALL "&RecordingSid=RE0123456789abcdef0123456789abcdef"
                                                "&RecordingDuration=0",
                                      NULL, 0, NULL, 0),
                     200);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls WHERE state = 'ended'"
                                   " AND outcome = 'no-message' AND recording_sid IS NOT NULL"),
                     1);
    assert_int_equal(line_exec(l, "UPDATE calls SET created_at = created_at - 3456000000"), 0);
    assert_int_equal(line_cli(l, "purge", NULL, &out), 0);
    free(out);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM redactions"
                                   " WHERE sid = 'RE0123456789abcdef0123456789abcdef'"),
                     1);
    act(l, "/sim/call/hangup", caller, NULL);
}

/* The caller hangs up as Blair presses 1: Blair is not left alone in an empty room. */
static void a_caller_gone_before_the_peer_joins_frees_the_peer(void **state)
{
    struct line *l = *state;
    char caller[64], blair[64], body[4096];

    snprintf(caller, sizeof(caller), "%s", dial_in(l));
    act(l, "/sim/call/press", caller, "&Digits=2"); /* grief: Blair alone */
    snprintf(blair, sizeof(blair), "%s", wait_call(l, BLAIR, "status", "ringing"));
    wait_call(l, LINE_NUMBER, "waiting", "conference");
    act(l, "/sim/call/answer", blair, NULL);
    wait_call(l, BLAIR, "waiting", "gather");
    /* Her key press is decided; before her phone joins, the caller is gone. */
    assert_int_equal(
        post_leg(l, "blair", "/twilio/voice/accept", SOME_CALL "&Digits=1", body, sizeof(body)),
        200);
    act(l, "/sim/call/hangup", caller, NULL);
    wait_state(l, "ended");
    wait_hung_up(l, BLAIR);
}

/*
 * A caller who waited for a voicemail and left none: the voicer closes the
 * call, and the texts it owes go out at once, not at the engine's next timer.
 */
static void a_voicemail_never_left_still_owes_texts_at_once(void **state)
{
    struct line *l = *state;
    char caller[64], blair[64];
    long mark;

    snprintf(caller, sizeof(caller), "%s", dial_in(l));
    act(l, "/sim/call/press", caller, "&Digits=2");
    snprintf(blair, sizeof(blair), "%s", wait_call(l, BLAIR, "status", "ringing"));
    act(l, "/sim/call/decline", blair, "&Status=no-answer");
    wait_call(l, LINE_NUMBER, "waiting", "record");
    assert_int_equal(line_idle(l), 0);
    line_sleep(300);
    mark = line_mark(l);
    /* Long past a voicemail's time, and no webhook will say it ended. */
    assert_int_equal(line_exec(l, "UPDATE calls SET ring_until = ring_until - 3600000"), 0);
    wait_state(l, "ended");
    line_must_get(l, mark, CALLER, LINE_NUMBER, "sorry we missed your call");
    line_must_get(l, mark, SAM, LINE_NUMBER, "#callback C");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_menu_is_twiml_and_forgeries_are_refused, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(the_first_peer_to_press_1_joins_and_the_others_are_hung_up,
                                        setup, line_teardown),
        cmocka_unit_test_setup_teardown(a_voicemail_on_a_leg_never_wins, setup, line_teardown),
        cmocka_unit_test_setup_teardown(no_answer_leaves_a_voicemail_and_a_peer_calls_back_masked,
                                        setup, line_teardown),
        cmocka_unit_test_setup_teardown(voicemail_recordings_go_with_retention, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(the_ring_time_is_bounded, setup, line_teardown),
        cmocka_unit_test_setup_teardown(the_crisis_option_connects_with_the_callers_own_number,
                                        setup_crisis, line_teardown),
        cmocka_unit_test_setup_teardown(without_a_crisis_number_the_caller_is_told_988, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_peer_gone_before_their_key_press_wins_nothing, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_peer_who_never_joins_leaves_the_caller_a_voicemail, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_caller_gone_before_the_peer_joins_frees_the_peer, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(an_empty_recording_is_still_deleted_with_retention, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_voicemail_never_left_still_owes_texts_at_once, setup,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
