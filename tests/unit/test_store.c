/*
 * test_store.c - the store against a real SQLite file: deduplication,
 * the schema's guards (one open conversation per texter, one open offer per
 * conversation and per peer, one open (peer, number)), compare-and-set state
 * changes, outbox claims in thread order with leases, and opt-outs.
 */
#include "store.h"
#include "storedb.h"
#include "store_voice.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

struct fixture {
    struct storedb db;
    struct store *st;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f || !(f->st = storedb_open(&f->db, "store", "var/test.db")))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    int rc = storedb_remove(&f->db, f->st);

    free(f);
    return rc;
}

static void file_is_private_and_reopens(void **state)
{
    struct fixture *f = *state;
    struct store *again;
    struct stat sb;
    char err[256];

    assert_int_equal(stat(f->db.path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    again = store_open(f->db.path, err, sizeof(err));
    assert_non_null(again); /* migrations are idempotent */
    store_close(again);
}

/*
 * Opening a second handle keeps the first one's locks: another process that
 * opens and closes the database (peerline purge, sqlite3) must not take
 * itself for its last user and checkpoint and delete the write-ahead log the
 * line still writes to. (prepare_file once opened and closed the file for
 * every handle, which drops every POSIX lock the process holds on it.)
 */
static void another_process_never_takes_the_log(void **state)
{
    struct fixture *f = *state;
    struct store *second;
    char err[256], wal[128];
    pid_t pid;
    int status;

    /* The first handle in a transaction (as the engine often is) while a second one opens. */
    assert_int_equal(store_begin(f->st), STORE_OK);
    assert_int_equal(store_inbound_add(f->st, "SM1", "+15550000001", "+15005550006", "one", 0, 1),
                     STORE_NEW);
    second = store_open(f->db.path, err, sizeof(err));
    assert_non_null(second);
    assert_int_equal(store_commit(f->st), STORE_OK);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /*
         * Seen from another process, this one still holds SQLite's shared
         * lock on the file (the range SQLite's unix VFS uses), so that
         * process's SQLite never takes itself for the last user.
         */
        struct flock fl = {
            .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0x40000002, .l_len = 510};
        int fd = open(f->db.path, O_RDWR),
            ok = fd >= 0 && !fcntl(fd, F_GETLK, &fl) && fl.l_type != F_UNLCK;
        sqlite3 *db = NULL;

        if (fd >= 0)
            close(fd);
        ok = ok && sqlite3_open_v2(f->db.path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
             sqlite3_exec(db, "SELECT COUNT(*) FROM inbound", NULL, NULL, NULL) == SQLITE_OK;
        sqlite3_close(db);
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    snprintf(wal, sizeof(wal), "%s-wal", f->db.path);
    assert_int_equal(access(wal, F_OK), 0); /* still ours */
    assert_int_equal(store_inbound_add(second, "SM2", "+15550000001", "+15005550006", "two", 0, 2),
                     STORE_NEW);
    store_close(second);
    {
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_open_v2(f->db.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM inbound", -1, &st, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 2); /* seen by every other process */
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
}

static void inbound_is_deduplicated_by_sid(void **state)
{
    struct fixture *f = *state;
    struct store_inbound in;

    assert_int_equal(store_inbound_add(f->st, "SM1", "+15550000001", "+15550000009", "hi", 0, 1),
                     STORE_NEW);
    assert_int_equal(store_inbound_add(f->st, "SM1", "+15550000001", "+15550000009", "hi", 0, 2),
                     STORE_OK);
    assert_int_equal(store_inbound_add(f->st, "SM2", "+15550000001", "+15550000009", "yo", 0, 3),
                     STORE_NEW);
    assert_int_equal(store_inbound_next(f->st, &in), STORE_FOUND);
    assert_string_equal(in.sid, "SM1");
    assert_string_equal(in.body, "hi");
    assert_int_equal(store_inbound_done(f->st, in.id, 0, 0, 5), STORE_OK);
    /* Done twice is a conflict, not a second handling. */
    assert_int_equal(store_inbound_done(f->st, in.id, 0, 0, 6), STORE_CONFLICT);
    store_inbound_clear(&in);
    assert_int_equal(store_inbound_next(f->st, &in), STORE_FOUND);
    assert_string_equal(in.sid, "SM2");
    store_inbound_clear(&in);
}

static void one_open_conversation_per_texter(void **state)
{
    struct fixture *f = *state;
    struct store_conv c;
    int64_t a, b;

    assert_int_equal(store_conv_create(f->st, "+15550000001", "+15550000009", "en", 10, &a), 0);
    assert_int_equal(store_conv_create(f->st, "+15550000001", "+15550000009", "en", 11, &b),
                     STORE_ERROR);
    assert_int_equal(store_conv_open_by_texter(f->st, "+15550000001", &c), STORE_FOUND);
    assert_int_equal(c.id, a);
    assert_int_equal(c.state, CONV_MENU);
    assert_int_equal(store_conv_close(f->st, a, CONV_MENU, "test", 12), STORE_OK);
    assert_int_equal(store_conv_open_by_texter(f->st, "+15550000001", &c), STORE_OK);
    assert_int_equal(store_conv_create(f->st, "+15550000001", "+15550000009", "en", 13, &b), 0);
}

static void state_changes_are_compare_and_set(void **state)
{
    struct fixture *f = *state;
    struct store_conv c;
    int64_t id;

    assert_int_equal(store_conv_create(f->st, "+15550000001", "+15550000009", "en", 10, &id), 0);
    /* Not queued yet: it cannot be offered. */
    assert_int_equal(store_conv_offer(f->st, id, "alex", "+15550000007"), STORE_CONFLICT);
    assert_int_equal(store_conv_queue_any(f->st), 0); /* the engine's look before matching */
    assert_int_equal(store_conv_queue(f->st, id, "anxiety", 20), STORE_OK);
    assert_int_equal(store_conv_queue_any(f->st), 1);
    assert_int_equal(store_conv_offer(f->st, id, "alex", "+15550000007"), STORE_OK);
    assert_int_equal(store_conv_queue_any(f->st), 0); /* offered: no longer waiting to be matched */
    assert_int_equal(store_conv_offer(f->st, id, "blair", "+15550000007"), STORE_CONFLICT);
    assert_int_equal(store_conv_activate(f->st, id, 30), STORE_OK);
    assert_int_equal(store_conv_activate(f->st, id, 31), STORE_CONFLICT);
    assert_int_equal(store_conv_close(f->st, id, CONV_OFFERED, "wrong", 40), STORE_CONFLICT);
    assert_int_equal(store_conv_get(f->st, id, &c), STORE_FOUND);
    assert_int_equal(c.state, CONV_ACTIVE);
    assert_string_equal(c.peer_id, "alex");
    assert_int_equal(c.queued_at, 20);
    assert_int_equal(c.matched_at, 30);
    /* Requeued, it keeps its place in line. */
    assert_int_equal(store_conv_requeue(f->st, id, CONV_ACTIVE), STORE_OK);
    assert_int_equal(store_conv_get(f->st, id, &c), STORE_FOUND);
    assert_int_equal(c.state, CONV_QUEUED);
    assert_int_equal(c.queued_at, 20);
    assert_string_equal(c.peer_id, "");
}

static void one_open_peer_number_and_offer(void **state)
{
    struct fixture *f = *state;
    struct store_offer o;
    int64_t a, b;

    assert_int_equal(store_conv_create(f->st, "+15550000001", "+15550000009", "en", 10, &a), 0);
    assert_int_equal(store_conv_create(f->st, "+15550000002", "+15550000009", "en", 11, &b), 0);
    assert_int_equal(store_conv_queue(f->st, a, "anxiety", 12), STORE_OK);
    assert_int_equal(store_conv_queue(f->st, b, "anxiety", 13), STORE_OK);
    assert_int_equal(store_conv_offer(f->st, a, "alex", "+15550000007"), STORE_OK);
    /* The same peer on the same number twice: refused by the schema. */
    assert_int_equal(store_conv_offer(f->st, b, "alex", "+15550000007"), STORE_ERROR);
    assert_int_equal(store_offer_create(f->st, a, "alex", "+15550000007", 14, 100), STORE_OK);
    /* A second open offer to the same peer, or for the same conversation: refused. */
    assert_int_equal(store_offer_create(f->st, b, "alex", "+15550000008", 15, 100), STORE_ERROR);
    assert_int_equal(store_offer_create(f->st, a, "blair", "+15550000008", 15, 100), STORE_ERROR);
    assert_int_equal(store_offer_open_for_conv(f->st, a, &o), STORE_FOUND);
    assert_int_equal(store_offer_decide(f->st, o.id, OFFER_PASSED, 16), STORE_OK);
    assert_int_equal(store_offer_decide(f->st, o.id, OFFER_TAKEN, 17), STORE_CONFLICT);
    assert_int_equal(store_offer_create(f->st, b, "alex", "+15550000008", 18, 50), STORE_OK);
    assert_int_equal(store_offer_open_for_conv(f->st, b, &o), STORE_FOUND);
    assert_string_equal(o.peer_id, "alex");
}

/* One timer of a kind per conversation; claimed once, by one owner, until its lease runs out. */
static void timers_are_claimed_once_with_a_lease(void **state)
{
    struct fixture *f = *state;
    struct store_timer t;
    int64_t a, next, qid;

    assert_int_equal(store_conv_create(f->st, "+15550000001", "+15550000009", "en", 10, &a), 0);
    assert_int_equal(store_timer_set(f->st, TIMER_QUEUE_UPDATE, a, 100, 0), STORE_OK);
    assert_int_equal(store_timer_set(f->st, TIMER_QUEUE_UPDATE, a, 200, 0), STORE_OK); /* moved */
    assert_int_equal(store_timer_add(f->st, TIMER_PEER_SILENCE, a, 300), STORE_OK);
    assert_int_equal(store_timer_add(f->st, TIMER_PEER_SILENCE, a, 999), STORE_OK); /* kept */
    assert_int_equal(store_timer_next(f->st, &next), STORE_OK);
    assert_int_equal(next, 200);
    assert_int_equal(store_timer_claim(f->st, "one", 199, 1000, &t), STORE_OK); /* not due */
    assert_int_equal(store_timer_claim(f->st, "one", 250, 1000, &t), STORE_FOUND);
    assert_int_equal(t.kind, TIMER_QUEUE_UPDATE);
    assert_int_equal(t.conv_id, a);
    /* Leased: nobody else gets it until the lease runs out. */
    assert_int_equal(store_timer_claim(f->st, "two", 260, 1000, &t), STORE_OK);
    assert_int_equal(store_timer_claim(f->st, "two", 1251, 1000, &t), STORE_FOUND);
    assert_int_equal(t.kind, TIMER_QUEUE_UPDATE);
    /* Only the holder of the lease removes it. */
    qid = t.id;
    assert_int_equal(store_timer_done(f->st, qid, "one"), STORE_OK);
    assert_int_equal(store_timer_claim(f->st, "three", 2200, 1000, &t), STORE_FOUND);
    assert_int_equal(t.kind, TIMER_PEER_SILENCE); /* the queue update is still leased to two */
    assert_int_equal(t.due_at, 300);
    assert_int_equal(store_timer_done(f->st, qid, "two"), STORE_OK); /* two fired it */
    /* Set again while being fired (re-armed): done leaves the new one in place. */
    assert_int_equal(store_timer_set(f->st, TIMER_PEER_SILENCE, a, 5000, 1), STORE_OK);
    assert_int_equal(store_timer_done(f->st, t.id, "three"), STORE_OK);
    assert_int_equal(store_timer_claim(f->st, "four", 5000, 1000, &t), STORE_FOUND);
    assert_int_equal(t.stage, 1);
    assert_int_equal(store_timer_clear_all(f->st, a), STORE_OK);
    assert_int_equal(store_timer_next(f->st, &next), STORE_OK);
    assert_int_equal(next, INT64_MAX);
}

struct claimed {
    int64_t ids[16];
    char bodies[16][32];
    int n;
};

static int on_claim(void *arg, const struct store_out *o)
{
    struct claimed *c = arg;

    c->ids[c->n] = o->id;
    snprintf(c->bodies[c->n], sizeof(c->bodies[0]), "%s", o->body);
    c->n++;
    return 0;
}

static void add_out(struct store *st, const char *to, const char *from, enum out_kind kind,
                    const char *body)
{
    struct store_out o = {0};

    snprintf(o.to, sizeof(o.to), "%s", to);
    snprintf(o.from, sizeof(o.from), "%s", from);
    o.kind = kind;
    o.body = (char *)body;
    o.expires_at = 1000000;
    assert_int_equal(store_outbox_add(st, &o, 100), STORE_OK);
}

static void outbox_claims_one_per_thread_in_order(void **state)
{
    struct fixture *f = *state;
    struct claimed c = {0};
    int64_t due, one, n = 0;
    int re = 0;

    add_out(f->st, "+15550000001", "+15550000009", OUT_RELAY, "one");
    add_out(f->st, "+15550000001", "+15550000009", OUT_RELAY, "two");
    add_out(f->st, "+15550000002", "+15550000009", OUT_SYSTEM, "other");
    add_out(f->st, "+15550000003", "+15550000009", OUT_SAFETY, "urgent");
    assert_int_equal(store_outbox_claim(f->st, "node", 200, 1000, 10, on_claim, &c), STORE_OK);
    /* Safety first, then by kind and age; only the head of each (to, from) thread. */
    assert_int_equal(c.n, 3);
    assert_string_equal(c.bodies[0], "urgent");
    assert_string_equal(c.bodies[1], "one");
    assert_string_equal(c.bodies[2], "other");
    one = c.ids[1];
    /* "two" waits for "one": a retry keeps the order. */
    memset(&c, 0, sizeof(c));
    assert_int_equal(store_outbox_claim(f->st, "node", 201, 1000, 10, on_claim, &c), STORE_OK);
    assert_int_equal(c.n, 0);
    assert_int_equal(store_outbox_retry(f->st, one, 500, 500, "HTTP 500"), STORE_OK);
    assert_int_equal(store_outbox_next_due(f->st, &due), STORE_OK);
    assert_int_equal(due, 500);
    assert_int_equal(store_outbox_claim(f->st, "node", 300, 1000, 10, on_claim, &c), STORE_OK);
    assert_int_equal(c.n, 0);
    assert_int_equal(store_outbox_claim(f->st, "node", 500, 1000, 10, on_claim, &c), STORE_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.bodies[0], "one");
    assert_int_equal(store_outbox_sent(f->st, c.ids[0], "SMaaa", 1, 501), STORE_OK);
    memset(&c, 0, sizeof(c));
    assert_int_equal(store_outbox_claim(f->st, "node", 502, 1000, 10, on_claim, &c), STORE_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.bodies[0], "two");
    /* A crash now: this node reclaims its own lease at start. */
    assert_int_equal(store_outbox_reclaim(f->st, "node", 503, &re), STORE_OK);
    assert_int_equal(re, 3); /* "two", "other", "urgent" were still 'sending' */
    assert_int_equal(store_outbox_count(f->st, OUT_SENT, &n), STORE_OK);
    assert_int_equal(n, 1);
}

static void safety_texts_never_wait_behind_a_retry(void **state)
{
    struct fixture *f = *state;
    struct claimed c = {0};

    add_out(f->st, "+15550000001", "+15550000009", OUT_RELAY, "relay");
    assert_int_equal(store_outbox_claim(f->st, "node", 200, 1000, 10, on_claim, &c), STORE_OK);
    assert_int_equal(store_outbox_retry(f->st, c.ids[0], 5000, 500, "HTTP 500"), STORE_OK);
    /* The relay is stuck in retries; crisis resources to the same person go at once... */
    add_out(f->st, "+15550000001", "+15550000009", OUT_SAFETY, "call 988");
    add_out(f->st, "+15550000001", "+15550000009", OUT_SYSTEM, "system");
    memset(&c, 0, sizeof(c));
    assert_int_equal(store_outbox_claim(f->st, "node", 300, 1000, 10, on_claim, &c), STORE_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.bodies[0], "call 988");
    /* ...while an ordinary text keeps its place behind the relay. */
    assert_int_equal(store_outbox_sent(f->st, c.ids[0], "SMs", 1, 301), STORE_OK);
    memset(&c, 0, sizeof(c));
    assert_int_equal(store_outbox_claim(f->st, "node", 400, 1000, 10, on_claim, &c), STORE_OK);
    assert_int_equal(c.n, 0);
}

static void held_relays_take_what_follows(void **state)
{
    struct fixture *f = *state;
    struct store_out o = {0};
    struct claimed c = {0};
    int merged = -1;
    int64_t due;

    snprintf(o.to, sizeof(o.to), "+15550000001");
    snprintf(o.from, sizeof(o.from), "+15550000009");
    o.conv_id = 7;
    o.kind = OUT_RELAY;
    o.body = "so";
    o.expires_at = 1000000;
    o.not_before = 2100;
    assert_int_equal(store_outbox_add(f->st, &o, 100), STORE_OK);
    assert_int_equal(store_outbox_next_due(f->st, &due), STORE_OK);
    assert_int_equal(due, 2100);
    assert_int_equal(store_outbox_merge_relay(f->st, 7, o.to, o.from, "I'm low", 1600, &merged),
                     STORE_OK);
    assert_int_equal(merged, 1);
    /* Not into another conversation's row, nor past the length of one text. */
    assert_int_equal(store_outbox_merge_relay(f->st, 8, o.to, o.from, "x", 1600, &merged),
                     STORE_OK);
    assert_int_equal(merged, 0);
    assert_int_equal(store_outbox_merge_relay(f->st, 7, o.to, o.from, "12345", 12, &merged),
                     STORE_OK);
    assert_int_equal(merged, 0);
    assert_int_equal(store_outbox_claim(f->st, "node", 2000, 1000, 10, on_claim, &c), STORE_OK);
    assert_int_equal(c.n, 0); /* held until 2100 */
    assert_int_equal(store_outbox_claim(f->st, "node", 2100, 1000, 10, on_claim, &c), STORE_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.bodies[0], "so\nI'm low");
    /* Once it is on its way, nothing more joins it. */
    assert_int_equal(store_outbox_merge_relay(f->st, 7, o.to, o.from, "more", 1600, &merged),
                     STORE_OK);
    assert_int_equal(merged, 0);
}

static void welcome_rating_and_last_word(void **state)
{
    struct fixture *f = *state;
    struct store_conv c;
    int64_t id;
    int is_new = -1, rated = -1;

    /* A number known from a language choice still gets its welcome, once. */
    assert_int_equal(store_contact_set_lang(f->st, "+15550000001", "es", 100), STORE_OK);
    assert_int_equal(store_contact_touch(f->st, "+15550000001", 200, &is_new), STORE_OK);
    assert_int_equal(is_new, 1);
    assert_int_equal(store_contact_touch(f->st, "+15550000001", 300, &is_new), STORE_OK);
    assert_int_equal(is_new, 0);

    assert_int_equal(store_conv_create(f->st, "+15550000001", "+15550000009", "es", 300, &id),
                     STORE_OK);
    assert_int_equal(store_conv_queue(f->st, id, "anxiety", 300), STORE_OK);
    assert_int_equal(store_conv_offer(f->st, id, "alex", "+15550000008"), STORE_OK);
    assert_int_equal(store_conv_activate(f->st, id, 400), STORE_OK);
    assert_int_equal(store_conv_close(f->st, id, CONV_ACTIVE, "texter-bye", 500), STORE_OK);
    assert_int_equal(store_conv_set_last_word(f->st, id, 1500), STORE_OK);
    assert_int_equal(store_conv_last_word(f->st, "alex", "+15550000008", 1000, &c), STORE_FOUND);
    assert_int_equal(c.id, id);
    assert_int_equal(store_conv_last_word(f->st, "alex", "+15550000008", 1500, &c), STORE_OK);
    assert_int_equal(store_conv_last_word(f->st, "blair", "+15550000008", 1000, &c), STORE_OK);

    /* A rating only within the window, and only once. */
    assert_int_equal(store_conv_rate(f->st, "+15550000001", 0, 3, &rated), STORE_OK);
    assert_int_equal(rated, 0); /* never asked */
    assert_int_equal(store_conv_rating_asked(f->st, id, 600), STORE_OK);
    assert_int_equal(store_conv_rate(f->st, "+15550000001", 700, 3, &rated), STORE_OK);
    assert_int_equal(rated, 0); /* asked before the window */
    assert_int_equal(store_conv_rate(f->st, "+15550000001", 600, 4, &rated), STORE_OK);
    assert_int_equal(rated, 1);
    assert_int_equal(store_conv_rate(f->st, "+15550000001", 600, 5, &rated), STORE_OK);
    assert_int_equal(rated, 0);
}

static void leases_of_other_nodes_wait_for_expiry(void **state)
{
    struct fixture *f = *state;
    struct claimed c = {0};
    int re = 0;

    add_out(f->st, "+15550000001", "+15550000009", OUT_RELAY, "one");
    assert_int_equal(store_outbox_claim(f->st, "a", 100, 1000, 10, on_claim, &c), STORE_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(store_outbox_reclaim(f->st, "b", 500, &re), STORE_OK);
    assert_int_equal(re, 0);
    assert_int_equal(store_outbox_reclaim(f->st, "b", 1101, &re), STORE_OK);
    assert_int_equal(re, 1);
}

/*
 * The purge works through ranges of rows: every old row goes, across range
 * boundaries, with the provider error text that may quote a number; what is
 * still to be sent, and what is recent, stays.
 */
/* One-row reads: found with the row, or none with a zeroed struct; a failed step is an error. */
static void one_row_reads_say_found_none_or_error(void **state)
{
    struct fixture *f = *state;
    struct store_inbound in;
    struct store_conv c;
    struct store_contact ct;

    memset(&in, 0x5a, sizeof(in));
    assert_int_equal(store_inbound_get(f->st, 42, &in), STORE_OK);
    assert_null(in.body); /* nothing to free, nothing left from before */
    assert_int_equal(in.id, 0);
    memset(&c, 0x5a, sizeof(c));
    assert_int_equal(store_conv_get(f->st, 42, &c), STORE_OK);
    assert_int_equal(c.id, 0);
    assert_string_equal(c.texter, "");
    memset(&ct, 0x5a, sizeof(ct));
    assert_int_equal(store_contact_get(f->st, "+15550000001", &ct), STORE_OK);
    assert_string_equal(ct.lang, "");

    assert_int_equal(store_inbound_add(f->st, "SM1", "+15550000001", "+15550000009", "hi", 0, 1),
                     STORE_NEW);
    assert_int_equal(store_inbound_next(f->st, &in), STORE_FOUND);
    {
        struct store_inbound again;
        assert_int_equal(store_inbound_get(f->st, in.id, &again), STORE_FOUND);
        assert_string_equal(again.body, "hi");
        assert_string_equal(again.from, "+15550000001");
        store_inbound_clear(&again);
    }
    store_inbound_clear(&in);

    storedb_sql(&f->db, "DROP TABLE contacts");
    assert_int_equal(store_contact_get(f->st, "+15550000001", &ct), STORE_ERROR);
}

static void purge_covers_every_range(void **state)
{
    struct fixture *f = *state;
    struct store_purged c;

    storedb_sql(&f->db,
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)"
                " INSERT INTO outbox (to_number, from_number, body, kind, state, created_at,"
                " not_before, expires_at, provider_sid, error_text)"
                " SELECT '+15550000001', '+15550000009', 'words ' || i, 1,"
                " CASE WHEN i = 1500 THEN 'pending' ELSE 'failed' END, CASE WHEN i > 2400 THEN 9000"
                " ELSE 100 END, 0, 99999, 'SM' || i,"
                " 'The To number +15550000001 is not a valid phone number.' FROM n");
    assert_int_equal(store_purge(f->st, 5000, 6000, &c), STORE_OK);
    assert_int_equal(c.outbox, 2399);     /* 2,500 less the 100 recent and the pending one */
    assert_int_equal(c.redactions, 2399); /* each with its provider id queued */
    assert_int_equal(storedb_count(&f->db, "SELECT COUNT(*) FROM outbox WHERE body IS NOT NULL"),
                     101);
    assert_int_equal(storedb_count(&f->db,
                                   "SELECT COUNT(*) FROM outbox WHERE error_text LIKE '%+1555%'"
                                   " AND created_at < 5000 AND state <> 'pending'"),
                     0);
    assert_int_equal(
        storedb_count(&f->db, "SELECT COUNT(*) FROM outbox WHERE to_number = '+15550000001'"), 101);
    /* Again: nothing left to do. */
    assert_int_equal(store_purge(f->st, 5000, 6000, &c), STORE_OK);
    assert_int_equal(c.outbox + c.redactions, 0);
}

/* With retention.hash_key set, numbers are hashed with a key derived from it, not the database's.
 */
static void purge_hashes_with_the_configured_key(void **state)
{
    struct fixture *f = *state;
    struct store_purged c;
    unsigned char key[SHA256_DIGEST_LENGTH], mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;
    char want[64] = "h:", q[160];
    const char *secret = "a-secret-kept-outside-the-database-0123";

    storedb_sql(
        &f->db,
        "INSERT INTO outbox (to_number, from_number, body, kind, state, created_at, not_before,"
        " expires_at) VALUES ('+15550000001', '+15550000009', 'words', 1, 'sent', 100, 0, 9)");
    assert_int_equal(store_use_hash_key(f->st, secret), 0);
    assert_int_equal(store_purge(f->st, 5000, 6000, &c), STORE_OK);
    SHA256((const unsigned char *)secret, strlen(secret), key);
    HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)"+15550000001", 12, mac, &n);
    for (i = 0; i < 16; i++)
        snprintf(want + 2 + 2 * i, 3, "%02x", mac[i]);
    snprintf(q, sizeof(q), "SELECT COUNT(*) FROM outbox WHERE to_number = '%s'", want);
    assert_int_equal(storedb_count(&f->db, q), 1);
}

/* A running node's periodic reclaim leaves its own live sends alone (no double send). */
static void own_live_leases_survive_the_periodic_reclaim(void **state)
{
    struct fixture *f = *state;
    struct claimed c = {0};
    int re = 0;

    add_out(f->st, "+15550000001", "+15550000009", OUT_RELAY, "one");
    assert_int_equal(store_outbox_claim(f->st, "a", 100, 1000, 10, on_claim, &c), STORE_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(store_outbox_reclaim(f->st, NULL, 500, &re), STORE_OK);
    assert_int_equal(re, 0);
    c.n = 0;
    assert_int_equal(store_outbox_claim(f->st, "a", 600, 1000, 10, on_claim, &c), STORE_OK);
    assert_int_equal(c.n, 0); /* still leased: nothing to send again */
    assert_int_equal(store_outbox_reclaim(f->st, NULL, 1101, &re), STORE_OK);
    assert_int_equal(re, 1);
}

static void failed_relays_are_reported_once(void **state)
{
    struct fixture *f = *state;
    struct claimed c = {0};
    struct store_out o;

    add_out(f->st, "+15550000001", "+15550000009", OUT_RELAY, "lost");
    assert_int_equal(store_outbox_claim(f->st, "n", 100, 1000, 10, on_claim, &c), STORE_OK);
    assert_int_equal(store_outbox_finish(f->st, c.ids[0], OUT_FAILED, 21211, "bad", 200), STORE_OK);
    assert_int_equal(store_outbox_failed_relay(f->st, &o), STORE_FOUND);
    assert_int_equal(o.error_code, 21211);
    assert_int_equal(store_outbox_failure_handled(f->st, o.id), STORE_OK);
    store_out_clear(&o);
    assert_int_equal(store_outbox_failed_relay(f->st, &o), STORE_OK);
}

static void status_callback_marks_undelivered_relays(void **state)
{
    struct fixture *f = *state;
    struct claimed c = {0};
    struct store_out o;

    add_out(f->st, "+15550000001", "+15550000009", OUT_RELAY, "hello");
    assert_int_equal(store_outbox_claim(f->st, "n", 100, 1000, 10, on_claim, &c), STORE_OK);
    assert_int_equal(store_outbox_sent(f->st, c.ids[0], "SMbbb", 1, 150), STORE_OK);
    assert_int_equal(store_status_add(f->st, "SMbbb", "undelivered", 30003, 160), STORE_NEW);
    assert_int_equal(store_status_add(f->st, "SMbbb", "undelivered", 30003, 161), STORE_OK);
    assert_int_equal(store_outbox_status(f->st, "SMbbb", "undelivered", 30003, &o), STORE_FOUND);
    assert_int_equal(o.state, OUT_FAILED);
    store_out_clear(&o);
    assert_int_equal(store_outbox_failed_relay(f->st, &o), STORE_FOUND);
    assert_int_equal(o.error_code, 30003);
    store_out_clear(&o);
}

static void optouts_are_per_scope(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(store_optout_check(f->st, "+15550000009", "+15550000001"), STORE_OK);
    assert_int_equal(store_optout_set(f->st, "+15550000009", "+15550000001", "keyword", 1), 0);
    assert_int_equal(store_optout_set(f->st, "+15550000009", "+15550000001", "keyword", 2), 0);
    assert_int_equal(store_optout_check(f->st, "+15550000009", "+15550000001"), STORE_FOUND);
    assert_int_equal(store_optout_check(f->st, "+15550000008", "+15550000001"), STORE_OK);
    assert_int_equal(store_optout_clear(f->st, "+15550000009", "+15550000001"), 0);
    assert_int_equal(store_optout_check(f->st, "+15550000009", "+15550000001"), STORE_OK);
}

static void a_newer_schema_is_refused(void **state)
{
    struct fixture *f = *state;
    sqlite3 *db = NULL;
    char err[256];
    struct store *st;

    store_close(f->st);
    f->st = NULL;
    assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    st = store_open(f->db.path, err, sizeof(err));
    assert_null(st);
    assert_non_null(strstr(err, "newer than this peerline"));
}

/*
 * The webhooks' writer has the right of way: while it holds or waits for
 * the write lock, another handle is told to end its transaction; a group
 * commit shares savepoints; a checkpoint runs beside an open reader.
 */
static void the_first_writer_goes_first(void **state)
{
    struct fixture *f = *state;
    struct store_gate gate = {0};
    struct store *first;
    char err[256];
    int64_t t;

    first = store_open(f->db.path, err, sizeof(err));
    assert_non_null(first);
    store_use_gate(first, &gate, 1);
    store_use_gate(f->st, &gate, 0);
    assert_int_equal(store_gate_wanted(f->st), 0);
    assert_int_equal(store_begin(first), 0);
    assert_int_equal(store_gate_wanted(f->st), 1);
    assert_int_equal(store_gate_wanted(first), 0); /* never told to yield to itself */
    assert_int_equal(store_inbound_add(first, "SM00000000000000000000000000000001", "+15559870001",
                                       "+15005550006", "one", 0, 1),
                     STORE_NEW);
    assert_int_equal(store_last_id(first), 1);
    assert_int_equal(store_commit(first), 0);
    assert_int_equal(store_gate_wanted(f->st), 0);
    /* A rolled-back transaction leaves the gate open too. */
    assert_int_equal(store_begin(first), 0);
    store_rollback(first);
    assert_int_equal(store_gate_wanted(f->st), 0);
    /* The other handle still gets its turn: it waits at most STORE_GATE_MS, then goes. */
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(store_savepoint(f->st), 0);
    assert_int_equal(store_inbound_add(f->st, "SM00000000000000000000000000000002", "+15559870001",
                                       "+15005550006", "undone", 0, 2),
                     STORE_NEW);
    assert_int_equal(store_rollback_to(f->st), 0); /* undone alone... */
    assert_int_equal(store_savepoint(f->st), 0);
    assert_int_equal(store_inbound_add(f->st, "SM00000000000000000000000000000003", "+15559870001",
                                       "+15005550006", "kept", 0, 3),
                     STORE_NEW);
    assert_int_equal(store_release(f->st), 0); /* ...the rest of the group kept */
    assert_int_equal(store_commit(f->st), 0);
    assert_int_equal(store_inbound_add(first, "SM00000000000000000000000000000002", "+15559870001",
                                       "+15005550006", "again", 0, 4),
                     STORE_NEW);
    assert_int_equal(store_inbound_add(first, "SM00000000000000000000000000000003", "+15559870001",
                                       "+15005550006", "dup", 0, 4),
                     STORE_OK);
    assert_int_equal(store_checkpoint(first), 0);
    assert_int_equal(store_timer_next(f->st, &t), 0);
    store_close(first);
}

/*
 * The sender claims inside its round's transaction: the leases hold only if
 * the round commits; rolled back, the rows are free for the next claim.
 */
static void a_claim_inside_a_round_is_undone_with_it(void **state)
{
    struct fixture *f = *state;
    struct claimed c = {0};

    add_out(f->st, "+15559870001", "+15005550006", OUT_RELAY, "one");
    add_out(f->st, "+15559870002", "+15005550006", OUT_RELAY, "two");
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(store_in_transaction(f->st), 1);
    assert_int_equal(store_outbox_claim(f->st, "node", 200, 1000, 8, on_claim, &c), STORE_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(store_in_transaction(f->st), 1); /* joined, not committed */
    store_rollback(f->st);
    c.n = 0;
    assert_int_equal(store_outbox_claim(f->st, "node", 200, 1000, 8, on_claim, &c), STORE_OK);
    assert_int_equal(c.n, 2); /* free again, and claimed now on their own */
    assert_int_equal(store_in_transaction(f->st), 0);
    c.n = 0;
    assert_int_equal(store_outbox_claim(f->st, "node", 300, 1000, 8, on_claim, &c), STORE_OK);
    assert_int_equal(c.n, 0); /* leased */
}

/* Calls: the first 1 wins by the call's compare-and-set; a peer who never joined is undone. */
static void calls_have_one_winner_and_can_be_undone(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct store_call c;
    struct store_leg l;
    int64_t a, b, now = 1000000;

    assert_int_equal(store_call_open(st, "CA0123456789abcdef0123456789abcdef", "+15557770001",
                                     "+15005550006", "en", now, &c),
                     STORE_NEW);
    assert_int_equal(store_call_ring(st, c.id, "grief", now, now + 45000), STORE_OK);
    assert_int_equal(store_call_ring(st, c.id, "grief", now, now + 45000), STORE_CONFLICT);
    assert_int_equal(store_leg_add(st, c.id, "alex", "+15551230001", 0, now, &a), STORE_OK);
    assert_int_equal(store_leg_add(st, c.id, "blair", "+15551230002", 0, now, &b), STORE_OK);
    assert_int_equal(store_peer_on_call(st, "alex"), 1);
    assert_int_equal(store_peer_on_call(st, "casey"), 0);
    assert_int_equal(store_leg_winner(st, c.id, &l), STORE_OK); /* nobody yet */
    /* Both press 1: the call is Blair's, Alex's press loses. */
    assert_int_equal(store_call_accept(st, c.id, "blair", now + 1000), STORE_OK);
    assert_int_equal(store_leg_accept(st, b), STORE_OK);
    assert_int_equal(store_call_accept(st, c.id, "alex", now + 1001), STORE_CONFLICT);
    /* Two accepted ring legs on one call: refused by the schema. */
    assert_int_equal(store_leg_accept(st, a), STORE_ERROR);
    assert_int_equal(store_leg_end(st, a, "lost", now + 1001), STORE_OK);
    assert_int_equal(store_peer_on_call(st, "alex"), 0);
    assert_int_equal(store_leg_winner(st, c.id, &l), STORE_FOUND);
    assert_int_equal(l.id, b);
    assert_int_equal(l.state, LEG_ACCEPTED);
    /* Blair's leg ends: the call is not stale until a while after, then it is. */
    assert_int_equal(store_leg_end(st, b, "completed", now + 2000), STORE_OK);
    assert_int_equal(store_call_stale(st, 0, 0, 0, now + 2000, &c), STORE_OK);
    assert_int_equal(store_call_stale(st, 0, 0, 0, now + 2001, &c), STORE_FOUND);
    assert_int_equal(c.state, CALL_CONNECTED);
    /* Or the caller was still on hold: the call goes back to no answer, a voicemail next. */
    assert_int_equal(store_call_unanswer(st, c.id, now + 3000), STORE_OK);
    assert_int_equal(store_call_unanswer(st, c.id, now + 3000), STORE_CONFLICT);
    assert_int_equal(store_call_get(st, c.id, &c), STORE_FOUND);
    assert_int_equal(c.state, CALL_VOICEMAIL);
    assert_string_equal(c.peer_id, "");
    assert_int_equal(c.answered_at, 0);
    assert_int_equal(c.ring_until, now + 3000);
    assert_string_equal(c.outcome, "no-answer");
    assert_int_equal(store_call_end(st, c.id, "voicemail", 1, now + 4000), STORE_OK);
    assert_int_equal(store_call_end(st, c.id, "no-message", 1, now + 4001), STORE_CONFLICT);
    assert_int_equal(store_call_stale(st, INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, &c),
                     STORE_OK);
}

/* A database path that is a symlink to a file not made yet: made, private. */
static void a_symlinked_path_is_made_private(void **state)
{
    struct fixture *f = *state;
    struct store *st;
    struct stat sb;
    char err[256], target[128], link[128];

    snprintf(target, sizeof(target), "%s/real.db", f->db.dir);
    snprintf(link, sizeof(link), "%s/var/link.db", f->db.dir);
    assert_int_equal(symlink(target, link), 0);
    st = store_open(link, err, sizeof(err));
    if (!st)
        fail_msg("%s", err);
    store_close(st);
    assert_int_equal(stat(target, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(file_is_private_and_reopens, setup, teardown),
        cmocka_unit_test_setup_teardown(inbound_is_deduplicated_by_sid, setup, teardown),
        cmocka_unit_test_setup_teardown(one_open_conversation_per_texter, setup, teardown),
        cmocka_unit_test_setup_teardown(state_changes_are_compare_and_set, setup, teardown),
        cmocka_unit_test_setup_teardown(one_open_peer_number_and_offer, setup, teardown),
        cmocka_unit_test_setup_teardown(timers_are_claimed_once_with_a_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(outbox_claims_one_per_thread_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(safety_texts_never_wait_behind_a_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(held_relays_take_what_follows, setup, teardown),
        cmocka_unit_test_setup_teardown(welcome_rating_and_last_word, setup, teardown),
        cmocka_unit_test_setup_teardown(one_row_reads_say_found_none_or_error, setup, teardown),
        cmocka_unit_test_setup_teardown(purge_covers_every_range, setup, teardown),
        cmocka_unit_test_setup_teardown(purge_hashes_with_the_configured_key, setup, teardown),
        cmocka_unit_test_setup_teardown(own_live_leases_survive_the_periodic_reclaim, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(leases_of_other_nodes_wait_for_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_relays_are_reported_once, setup, teardown),
        cmocka_unit_test_setup_teardown(status_callback_marks_undelivered_relays, setup, teardown),
        cmocka_unit_test_setup_teardown(optouts_are_per_scope, setup, teardown),
        cmocka_unit_test_setup_teardown(the_first_writer_goes_first, setup, teardown),
        cmocka_unit_test_setup_teardown(a_claim_inside_a_round_is_undone_with_it, setup, teardown),
        cmocka_unit_test_setup_teardown(a_newer_schema_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(another_process_never_takes_the_log, setup, teardown),
        cmocka_unit_test_setup_teardown(a_symlinked_path_is_made_private, setup, teardown),
        cmocka_unit_test_setup_teardown(calls_have_one_winner_and_can_be_undone, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
