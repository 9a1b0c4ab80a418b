/*
 * ingest.h - group commit for what the provider tells us: inbound texts and
 * delivery statuses, durable before they are acknowledged.
 *
 * Webhook handlers queue an item and park their request (http_park); one
 * writer thread takes everything queued (up to INGEST_GROUP items), writes
 * it in one transaction, so one fsync, and hands every item of the group its
 * own result. Under a surge many texts share a commit; alone, a text waits
 * for its own commit only. When a group cannot be committed, its items are
 * written again one per transaction, so a bad item fails only itself; an
 * item that has waited too long (8 s: the provider gives up at 15) is
 * answered as failed without a try, so its answer still leaves in time.
 */
#ifndef PEERLINE_INGEST_H
#define PEERLINE_INGEST_H

#include <stddef.h>
#include <stdint.h>

/* The most items one transaction takes. */
#define INGEST_GROUP 256

enum ingest_kind { INGEST_TEXT, INGEST_STATUS };

struct ingest_item {
    enum ingest_kind kind;
    /* Both kinds; the strings belong to the caller and live until done. */
    const char *sid;
    int64_t received_at; /* ms */
    int64_t arrival_us;  /* latency_now_us() when the webhook arrived, for latency.h */
    int64_t deadline_us; /* answered as failed, unwritten, this long after arrival; 0: 8 s */
    /* INGEST_TEXT */
    const char *from, *to, *body;
    int num_media;
    /* INGEST_STATUS */
    const char *status;
    int error_code;
    /* The result, set before done is called: STORE_NEW, STORE_OK (already had it) or STORE_ERROR.
     */
    int rc;
    int64_t id; /* a new text's inbound row id */
    /* Called on the writer thread once rc is set (ingest_submit only). */
    void (*done)(struct ingest_item *it);
    void *arg;
    /* private */
    struct ingest_item *next;
    int finished;
    int late; /* past its deadline: answered as failed, not written */
};

struct ingest;

/*
 * Opens its own handle on the database and starts the writer. on_new(arg)
 * runs after each commit that stored something new (the engine's wake-up);
 * m (may be NULL) counts commits and learns when each new text arrived
 * (its timing, latency.h); with a gate (may be NULL), this writer has the
 * right of way over the process's others.
 * Returns NULL with a reason in err.
 */
struct metrics;
struct store_gate;
struct ingest *ingest_start(const char *database, struct store_gate *gate, struct metrics *m,
                            void (*on_new)(void *arg), void *arg, char *err, size_t errlen);
/* Queues it; it->done(it) follows on the writer thread once it is committed (or failed). */
void ingest_submit(struct ingest *g, struct ingest_item *it);
/* Queues it and waits for its result (it->done is ignored): for callers that cannot park. */
int ingest_submit_wait(struct ingest *g, struct ingest_item *it);
/* Writes what is queued, answers it, stops the writer, frees. */
void ingest_stop(struct ingest *g);

#endif
