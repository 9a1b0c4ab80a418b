/*
 * store.c - opening the database, the schema and its migrations, the
 * keyed hash, and checking every table file's SQL against the schema. The
 * statement and transaction helpers are store_db.c's.
 *
 * The schema is written once, in SQLite's words; the PostgreSQL driver
 * translates its column types (db_exec_schema). A SQLite database is
 * created with mode 0600 (SQLite gives its -wal and -shm files the same
 * mode), put in WAL mode with synchronous=FULL so a commit is on disk
 * before a webhook is answered, and secure_delete so purged text is
 * overwritten. The schema version lives in PRAGMA user_version (SQLite) or
 * the peerline_schema table (PostgreSQL); a database newer than this binary
 * is refused rather than guessed at.
 */
#include "store_priv.h"
#include "log.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/rand.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

/* migrations[i] brings the schema from version i to i+1. */
static const char *const migrations[] = {
    /* 0 -> 1: the relay */
    "CREATE TABLE inbound ("
    "  id INTEGER PRIMARY KEY,"
    "  provider_sid TEXT NOT NULL UNIQUE,"
    "  from_number TEXT NOT NULL,"
    "  to_number TEXT NOT NULL,"
    "  body TEXT," /* NULL once purged */
    "  num_media INTEGER NOT NULL DEFAULT 0,"
    "  received_at INTEGER NOT NULL,"
    "  processed_at INTEGER," /* NULL: the engine has not handled it */
    "  conversation_id INTEGER,"
    "  pending_relay INTEGER NOT NULL DEFAULT 0,"
    "  failed INTEGER NOT NULL DEFAULT 0);" /* handled with no effect: see engine.c */
    "CREATE INDEX inbound_todo ON inbound(id) WHERE processed_at IS NULL;"
    "CREATE INDEX inbound_pending ON inbound(conversation_id, id) WHERE pending_relay = 1;"

    "CREATE TABLE status_events ("
    "  id INTEGER PRIMARY KEY,"
    "  provider_sid TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  error_code INTEGER,"
    "  received_at INTEGER NOT NULL,"
    "  processed_at INTEGER,"
    "  UNIQUE(provider_sid, status));"
    "CREATE INDEX status_todo ON status_events(id) WHERE processed_at IS NULL;"

    "CREATE TABLE contacts ("
    "  number TEXT PRIMARY KEY,"
    "  first_seen INTEGER NOT NULL,"
    "  welcomed_at INTEGER," /* the welcome went out (once, with their first conversation) */
    "  last_peer_id TEXT,"
    "  last_peer_at INTEGER,"
    "  lang TEXT,"              /* the language they chose, NULL: the default */
    "  last_safety_at INTEGER," /* crisis resources sent; at most one per safety_every... */
    "  safety_conv INTEGER,"    /* ...per conversation: the one they went to */
    "  last_alert_at INTEGER,"  /* coordinators alerted about them, and about which chat */
    "  alert_conv INTEGER,"
    "  flood_start INTEGER,"                    /* the current 10-minute window of their texts... */
    "  flood_count INTEGER NOT NULL DEFAULT 0," /* ...how many, and whether they were told */
    "  flood_told INTEGER NOT NULL DEFAULT 0);"

    "CREATE TABLE conversations ("
    "  id INTEGER PRIMARY KEY,"
    "  texter TEXT NOT NULL,"
    "  line_number TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('menu','queued','offered','active','closed')),"
    "  topic TEXT,"
    "  lang TEXT NOT NULL DEFAULT 'en',"
    "  urgent INTEGER NOT NULL DEFAULT 0,"
    "  peer_id TEXT,"
    "  peer_number TEXT,"
    "  transferred_by TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  queued_at INTEGER,"
    "  matched_at INTEGER,"
    "  closed_at INTEGER,"
    "  close_reason TEXT,"
    "  last_texter_at INTEGER,"
    "  last_peer_at INTEGER,"
    "  last_notice_at INTEGER,"
    "  last_word_until INTEGER," /* after BYE: the peer's one last message, until then */
    "  rating_asked_at INTEGER," /* the texter was asked to rate the chat */
    "  rating INTEGER CHECK (rating BETWEEN 1 AND 5),"
    "  CHECK (state NOT IN ('offered','active') OR (peer_id IS NOT NULL AND peer_number IS NOT "
    "NULL)));"
    "CREATE UNIQUE INDEX conv_open_texter ON conversations(texter) WHERE state <> 'closed';"
    "CREATE UNIQUE INDEX conv_open_peer_number ON conversations(peer_id, peer_number)"
    "  WHERE state IN ('offered','active');"
    "CREATE INDEX conv_queue ON conversations(urgent DESC, queued_at, id) WHERE state = 'queued';"

    "CREATE TABLE offers ("
    "  id INTEGER PRIMARY KEY,"
    "  conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
    "  peer_id TEXT NOT NULL,"
    "  peer_number TEXT NOT NULL,"
    /* 'transferred': the peer handed the chat back (#transfer, silence); never offered again. */
    "  state TEXT NOT NULL CHECK (state IN"
    "    ('open','taken','passed','expired','cancelled','transferred')),"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  decided_at INTEGER);"
    "CREATE UNIQUE INDEX offer_open_conv ON offers(conversation_id) WHERE state = 'open';"
    "CREATE UNIQUE INDEX offer_open_peer ON offers(peer_id) WHERE state = 'open';"
    "CREATE INDEX offer_due ON offers(expires_at) WHERE state = 'open';"
    "CREATE INDEX offer_conv ON offers(conversation_id);"

    /* Every timer a conversation has, one of each kind; claimed with a lease. */
    "CREATE TABLE timers ("
    "  id INTEGER PRIMARY KEY,"
    "  kind INTEGER NOT NULL," /* enum timer_kind */
    "  conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
    "  due_at INTEGER NOT NULL,"
    "  stage INTEGER NOT NULL DEFAULT 0,"
    "  lease_owner TEXT,"
    "  lease_until INTEGER,"
    "  UNIQUE (kind, conversation_id));"
    "CREATE INDEX timers_due ON timers(due_at);"

    /* Safety alerts to coordinators, by conversation. */
    "CREATE TABLE alerts ("
    "  id INTEGER PRIMARY KEY,"
    "  conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
    "  kind TEXT NOT NULL,"
    "  raised_by TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  acked_by TEXT,"
    "  acked_at INTEGER);"
    "CREATE INDEX alerts_open ON alerts(conversation_id) WHERE acked_at IS NULL;"

    /*
     * Coordinators' actions from the admin API: who asked what, when, and
     * what came of it. The engine carries them out in order ('pending'),
     * each in one transaction with what it causes; the rows stay as the audit.
     */
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  created_at INTEGER NOT NULL,"
    "  coordinator TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  target TEXT NOT NULL,"
    "  arg TEXT,"
    "  state TEXT NOT NULL CHECK (state IN ('pending','done','refused')),"
    "  result TEXT,"
    "  done_at INTEGER);"
    "CREATE INDEX audit_pending ON audit(id) WHERE state = 'pending';"

    /* Settings of the database itself: the key texter numbers are hashed with. */
    "CREATE TABLE meta ("
    "  name TEXT PRIMARY KEY,"
    "  value BLOB NOT NULL);"

    /* Provider message ids whose text retention removed: redacted at the provider too. */
    "CREATE TABLE redactions ("
    "  sid TEXT PRIMARY KEY,"
    "  created_at INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_at INTEGER NOT NULL DEFAULT 0,"
    "  done_at INTEGER,"
    "  outcome TEXT);" /* 'redacted', 'not found', or why it was given up */
    "CREATE INDEX redactions_todo ON redactions(next_at) WHERE done_at IS NULL;"

    /* Numbers blocked by a coordinator (the roster's `blocked` list adds to these). */
    "CREATE TABLE blocklist ("
    "  number TEXT PRIMARY KEY,"
    "  added_by TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"

    "CREATE TABLE peer_state ("
    "  peer_id TEXT PRIMARY KEY,"
    "  manual TEXT CHECK (manual IN ('on','off')),"
    "  manual_until INTEGER,"
    "  last_end INTEGER,"
    "  missed_offers INTEGER NOT NULL DEFAULT 0);"

    "CREATE TABLE peer_numbers ("
    "  peer_id TEXT NOT NULL,"
    "  number TEXT NOT NULL,"
    "  last_used INTEGER NOT NULL,"
    "  PRIMARY KEY (peer_id, number));"

    "CREATE TABLE optouts ("
    "  scope TEXT NOT NULL,"
    "  number TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (scope, number));"
    "CREATE INDEX optouts_number ON optouts(number);"

    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  conversation_id INTEGER,"
    "  to_number TEXT NOT NULL,"
    "  from_number TEXT NOT NULL,"
    "  body TEXT,"             /* NULL once purged */
    "  kind INTEGER NOT NULL," /* enum out_kind: also the send priority */
    "  origin_inbound INTEGER,"
    "  after_optout INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL CHECK (state IN"
    "    ('pending','sending','sent','failed','expired','suppressed')),"
    "  created_at INTEGER NOT NULL,"
    "  not_before INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  lease_owner TEXT,"
    "  lease_until INTEGER,"
    "  provider_sid TEXT UNIQUE,"
    "  provider_status TEXT,"
    "  segments INTEGER,"
    "  error_code INTEGER,"
    "  error_text TEXT,"
    "  sent_at INTEGER,"
    "  done_at INTEGER,"
    "  failure_handled INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX outbox_ready ON outbox(kind, id) WHERE state = 'pending';"
    "CREATE INDEX outbox_thread ON outbox(to_number, from_number, id)"
    "  WHERE state IN ('pending','sending');"
    "CREATE INDEX outbox_failed ON outbox(id) WHERE failure_handled = 0"
    "  AND state IN ('failed','expired','suppressed') AND kind = 1;",

    /* 2: retention forgets a contact only when no recent conversation is theirs */
    "CREATE INDEX conv_texter ON conversations(texter);",

    /* 3: calls (README "Calls"): the call, each peer's leg, and the REST calls they need */
    "CREATE TABLE calls ("
    "  id INTEGER PRIMARY KEY,"
    "  call_sid TEXT NOT NULL UNIQUE," /* the caller's call at the provider */
    "  caller TEXT NOT NULL,"
    "  line_number TEXT NOT NULL,"
    "  lang TEXT NOT NULL DEFAULT 'en',"
    "  state TEXT NOT NULL CHECK (state IN ('menu','ringing','connected','voicemail','ended')),"
    "  topic TEXT,"
    "  urgent INTEGER NOT NULL DEFAULT 0,"
    "  menu_tries INTEGER NOT NULL DEFAULT 0,"
    "  peer_id TEXT," /* who pressed 1 first: peerline's own accept record */
    "  created_at INTEGER NOT NULL,"
    "  queued_at INTEGER,"  /* a topic was chosen and peers rung */
    "  ring_until INTEGER," /* then the caller is offered voicemail */
    "  answered_at INTEGER,"
    "  ended_at INTEGER,"
    "  outcome TEXT,"
    "  recording_sid TEXT,"
    "  recording_secs INTEGER,"
    "  notified INTEGER NOT NULL DEFAULT 1," /* 0: the engine owes texts about it */
    "  conversation_id INTEGER);"            /* its record among the conversations, once over */
    "CREATE INDEX calls_ringing ON calls(ring_until) WHERE state = 'ringing';"
    "CREATE INDEX calls_unnotified ON calls(id) WHERE notified = 0;"
    "CREATE TABLE call_legs ("
    "  id INTEGER PRIMARY KEY,"
    "  call_id INTEGER NOT NULL,"
    "  peer_id TEXT NOT NULL,"
    "  peer_phone TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('ring','callback')),"
    "  state TEXT NOT NULL CHECK (state IN ('pending','ringing','accepted','done')),"
    "  leg_sid TEXT UNIQUE,"
    "  created_at INTEGER NOT NULL,"
    "  ended_at INTEGER,"
    "  end_status TEXT);"
    "CREATE UNIQUE INDEX call_one_winner ON call_legs(call_id) WHERE state = 'accepted'"
    "  AND kind = 'ring';"
    "CREATE INDEX call_legs_call ON call_legs(call_id);"
    "CREATE TABLE voice_ops ("
    "  id INTEGER PRIMARY KEY,"
    "  call_id INTEGER NOT NULL,"
    "  leg_id INTEGER,"
    "  op TEXT NOT NULL CHECK (op IN ('dial','hangup','voicemail')),"
    "  state TEXT NOT NULL CHECK (state IN ('pending','done','failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  not_before INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  lease_until INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  done_at INTEGER,"
    "  error_code INTEGER);"
    "CREATE INDEX voice_ops_ready ON voice_ops(not_before, id) WHERE state = 'pending';"
    "ALTER TABLE conversations ADD COLUMN channel TEXT NOT NULL DEFAULT 'sms';",

    /*
     * 4: what the voicer and the dashboard ask every second looks at open
     * calls only, and whether a peer is on a call at their live legs only,
     * not at every call ever taken
     */
    "CREATE INDEX calls_open ON calls(id) WHERE state <> 'ended';"
    "CREATE INDEX call_legs_peer ON call_legs(peer_id)"
    "  WHERE state IN ('pending','ringing','accepted');",

    /*
     * 5: a text the engine kept but did not act on, and why ('own_number':
     * it came from one of the line's own numbers); NULL for every other
     * text. Counted for /metrics through the index, never by a table scan.
     */
    ("ALTER TABLE inbound ADD COLUMN ignored TEXT;"
     "CREATE INDEX inbound_ignored ON inbound(ignored) WHERE ignored IS NOT NULL;"),

    /*
     * 6: peers' tools (SPEC section 11). Notes are message text: the purge
     * clears body and texter, the row stays to be counted. A shadow is a
     * trainee's read-only copy of one chat on a number of their own; at
     * most one open per trainee, and one per (trainee, number). A texter's
     * PRIVATE marks their conversation: never shadowed again.
     */
    ("CREATE TABLE notes ("
     "  id INTEGER PRIMARY KEY,"
     "  conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
     "  texter TEXT," /* NULL once purged */
     "  peer_id TEXT NOT NULL,"
     "  writer TEXT NOT NULL," /* the writer's first name when they wrote it */
     "  body TEXT,"            /* NULL once purged */
     "  created_at INTEGER NOT NULL);"
     "CREATE INDEX notes_texter ON notes(texter, created_at) WHERE body IS NOT NULL;"
     "CREATE INDEX notes_conv ON notes(conversation_id);"
     "CREATE TABLE shadows ("
     "  id INTEGER PRIMARY KEY,"
     "  conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
     "  trainee_id TEXT NOT NULL,"
     "  number TEXT NOT NULL,"
     "  started_at INTEGER NOT NULL,"
     "  ended_at INTEGER,"
     "  end_reason TEXT);"
     "CREATE UNIQUE INDEX shadow_open_trainee ON shadows(trainee_id) WHERE ended_at IS NULL;"
     /* a chat's copy now, and (reports) whether it ever had one */
     "CREATE INDEX shadows_conv ON shadows(conversation_id);"
     "ALTER TABLE conversations ADD COLUMN private INTEGER NOT NULL DEFAULT 0;"
     "CREATE TABLE resource_sends ("
     "  id INTEGER PRIMARY KEY,"
     "  conversation_id INTEGER NOT NULL REFERENCES conversations(id),"
     "  resource_id TEXT NOT NULL,"
     "  peer_id TEXT NOT NULL,"
     "  lang TEXT NOT NULL,"
     "  sent_at INTEGER NOT NULL);"
     "CREATE INDEX resource_sends_at ON resource_sends(sent_at);"
     "CREATE TABLE debriefs ("
     "  id INTEGER PRIMARY KEY,"
     "  peer_id TEXT NOT NULL,"
     "  conversation_id INTEGER," /* the chat it follows; NULL: none known */
     /* offered: the check-in; asked: a #debrief told the coordinators; repeated: one not */
     "  kind TEXT NOT NULL CHECK (kind IN ('offered','asked','repeated')),"
     "  created_at INTEGER NOT NULL);"
     "CREATE INDEX debriefs_at ON debriefs(created_at);"),
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/*
 * PostgreSQL's peerline_hash(): HMAC-SHA256 from the built-in sha256(),
 * keyed by the session's own settings (db_hash_key sets them), so the key
 * is never written into the database's catalog.
 */
static const char pg_hash_function[] =
    "CREATE OR REPLACE FUNCTION peerline_hash(t text) RETURNS text LANGUAGE sql STABLE AS $$"
    " SELECT CASE WHEN t IS NULL THEN NULL ELSE 'h:' || left(encode(sha256("
    "decode(current_setting('peerline.hash_opad'), 'hex') || sha256("
    "decode(current_setting('peerline.hash_ipad'), 'hex') || convert_to(t, 'UTF8'))),"
    " 'hex'), 32) END $$";

static int fail_db(struct store *s, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", what, db_errmsg(s->db));
    return -1;
}

/* The schema's version: SQLite's user_version, or PostgreSQL's peerline_schema table. */
static int schema_version(struct store *s, int *v)
{
    const char *sql = db_kind(s->db) == DB_SQLITE
                          ? "PRAGMA user_version"
                          : "SELECT COALESCE(MAX(version), 0) FROM peerline_schema";
    struct db_stmt *p = db_prepare(s->db, sql);
    int rc = db_step(p);

    *v = rc == DB_ROW ? (int)db_col_int64(p, 0) : -1;
    db_finalize(p);
    return rc == DB_ROW ? 0 : -1;
}

static int set_schema_version(struct store *s, int v)
{
    char sql[96];

    if (db_kind(s->db) == DB_SQLITE)
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
    else
        snprintf(sql, sizeof(sql),
                 "DELETE FROM peerline_schema; INSERT INTO peerline_schema"
                 " VALUES (%d)",
                 v);
    return db_exec(s->db, sql);
}

/*
 * Brings the schema up to date in one serialised transaction: several
 * instances starting together migrate once (the others wait for the lock,
 * then read the new version and find nothing to do).
 */
static int migrate(struct store *s, char *err, size_t errlen)
{
    int v, from;

    /*
     * Most opens find the schema current: they take no lock and write
     * nothing, so `who` and `report` can read a database they may not write.
     */
    if (!schema_version(s, &v) && v >= SCHEMA_VERSION) {
        if (v == SCHEMA_VERSION)
            return 0;
        snprintf(err, errlen,
                 "database schema version %d is newer than this peerline understands (%d); "
                 "run the newer peerline",
                 v, SCHEMA_VERSION);
        return -1;
    }
    if (db_begin(s->db, DB_BEGIN_SERIAL))
        return fail_db(s, "cannot lock the schema", err, errlen);
    if (db_kind(s->db) == DB_PG &&
        db_exec(s->db, "CREATE TABLE IF NOT EXISTS peerline_schema (version BIGINT NOT NULL)")) {
        fail_db(s, "cannot create the schema table", err, errlen);
        goto fail;
    }
    if (schema_version(s, &v)) {
        fail_db(s, "cannot read schema version", err, errlen);
        goto fail;
    }
    if (v > SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "database schema version %d is newer than this peerline understands (%d); "
                 "run the newer peerline",
                 v, SCHEMA_VERSION);
        goto fail;
    }
    from = v;
    for (; v < SCHEMA_VERSION; v++)
        if (db_exec_schema(s->db, migrations[v])) {
            snprintf(err, errlen, "cannot migrate the schema to version %d: %s", v + 1,
                     db_errmsg(s->db));
            goto fail;
        }
    if (from == 0 && db_kind(s->db) == DB_PG && db_exec(s->db, pg_hash_function)) {
        fail_db(s, "cannot create peerline_hash()", err, errlen);
        goto fail;
    }
    if (from != v && set_schema_version(s, v)) {
        fail_db(s, "cannot record the schema version", err, errlen);
        goto fail;
    }
    if (db_commit(s->db)) {
        fail_db(s, "cannot commit the schema", err, errlen);
        goto fail;
    }
    if (from != v)
        log_info("store.migrated", "version=%d", v);
    return 0;
fail:
    db_rollback(s->db);
    return -1;
}

/*
 * Creates the parent directory (0700) and the file (0600) if missing. A
 * file that exists is not opened here: closing any descriptor of it would
 * drop every POSIX lock this process holds on it (SQLite's own handles'
 * too), and another process's SQLite could then take itself for the last
 * user of the database and checkpoint and delete the write-ahead log the
 * line is still writing to, losing what is in it.
 */
static int prepare_file(const char *path, char *err, size_t errlen)
{
    char dir[4096];
    char *slash;
    struct stat sb;
    int fd;

    if (!stat(path, &sb))
        return 0;

    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
        snprintf(err, errlen, "database path too long");
        return -1;
    }
    slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0700) && errno != EEXIST) {
            snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
            return -1;
        }
    }
    /* Not O_EXCL: it refuses a symlink to a file not made yet, which this makes. */
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

static const char hash_key_sql[] = "SELECT value FROM meta WHERE name = 'hash_key'";

/* The database's hash key (made once, at random: whoever is first wins), and peerline_hash(). */
static int hash_key(struct store *s, char *err, size_t errlen)
{
    unsigned char fresh[sizeof(s->db_key)];
    struct db_stmt *p = db_prepare(s->db, hash_key_sql);
    const void *v;
    size_t n = 0;
    int rc = -1;

    if (db_step(p) != DB_ROW) { /* the first open: make one */
        db_finalize(p);
        p = NULL;
        if (RAND_bytes(fresh, sizeof(fresh)) != 1) {
            snprintf(err, errlen, "no randomness for the hash key");
            return -1;
        }
        p = db_prepare(s->db, "INSERT INTO meta (name, value) VALUES ('hash_key', ?1)"
                              " ON CONFLICT (name) DO NOTHING");
        db_bind_blob(p, 1, fresh, sizeof(fresh));
        if (db_step(p) != DB_DONE)
            goto done;
        db_finalize(p);
        p = db_prepare(s->db, hash_key_sql);
        if (db_step(p) != DB_ROW)
            goto done;
    }
    v = db_col_blob(p, 0, &n);
    if (!v || n != sizeof(s->db_key))
        goto done;
    memcpy(s->db_key, v, sizeof(s->db_key));
    if (db_hash_key(s->db, s->db_key))
        goto done;
    rc = 0;
done:
    if (rc)
        snprintf(err, errlen, "cannot set up the hash key: %s", db_errmsg(s->db));
    db_finalize(p);
    OPENSSL_cleanse(fresh, sizeof(fresh));
    return rc;
}

int store_use_hash_key(struct store *s, const char *secret)
{
    unsigned char key[32];
    int rc;

    if (!secret || !*secret)
        return db_hash_key(s->db, s->db_key) ? -1 : 0;
    /* Any length of secret in, a 256-bit key out. */
    if (!SHA256((const unsigned char *)secret, strlen(secret), key))
        return -1;
    rc = db_hash_key(s->db, key) ? -1 : 0;
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

int store_is_postgres(const char *database)
{
    return db_is_uri(database);
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
    static const char *const *const tables[] = {
        store_sql_core,   store_sql_inbound, store_sql_conv,  store_sql_peer,
        store_sql_outbox, store_sql_timer,   store_sql_admin, store_sql_purge,
        store_sql_voice,  store_sql_notes,   store_sql_res,   store_sql_shadow};
    struct store *s = calloc(1, sizeof(*s));
    struct db_stmt *p;
    size_t i, t;

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!db_is_uri(path) && prepare_file(path, err, errlen))
        goto fail;
    s->db = db_open(path, err, errlen);
    if (!s->db)
        goto fail;
    /*
     * A migration waits as long as another instance's takes (PostgreSQL: no
     * lock timeout until it is done); SQLite's busy timeout is its usual.
     */
    db_busy_timeout(s->db, db_kind(s->db) == DB_PG ? 0 : 10000);
    if (db_kind(s->db) == DB_SQLITE &&
        db_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                       /* serve checkpoints on its own thread (checkpoint.h); this is a backstop */
                       " PRAGMA wal_autocheckpoint=10000;"
                       /* savepoints' journals in memory, not a temp file per group */
                       " PRAGMA temp_store=MEMORY;"
                       "PRAGMA secure_delete=ON;")) {
        fail_db(s, "cannot set up the database", err, errlen);
        goto fail;
    }
    if (migrate(s, err, errlen) || hash_key(s, err, errlen))
        goto fail;
    /* A lock held longer than this (another writer stuck) fails the statement: retried later. */
    db_busy_timeout(s->db, 10000);
    for (i = 0; i < ST_COUNT; i++) {
        /* A statement PostgreSQL needs in its own words (store_dialect.c), else the one SQL. */
        const char *sql = db_kind(s->db) == DB_PG ? store_sql_pg[i] : NULL;

        for (t = 0; t < sizeof(tables) / sizeof(tables[0]) && !sql; t++)
            sql = tables[t][i];
        if (!sql) {
            snprintf(err, errlen, "internal: statement %zu has no SQL", i);
            goto fail;
        }
        /*
         * Each statement is checked against the tables now, but kept
         * prepared only once this handle uses it (store_stmt): a handle
         * that runs three statements does not hold all of them.
         */
        p = db_prepare(s->db, sql);
        if (!p) {
            snprintf(err, errlen,
                     "the database's tables do not match this peerline (statement %zu: %s); "
                     "was it made by a development build? Move it aside to start afresh",
                     i, db_errmsg(s->db));
            goto fail;
        }
        db_finalize(p);
        s->sql[i] = sql;
    }
    return s;
fail:
    store_close(s);
    return NULL;
}

void store_close(struct store *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < ST_COUNT; i++)
        db_finalize(s->st[i]);
    db_close(s->db);
    OPENSSL_cleanse(s->db_key, sizeof(s->db_key));
    free(s);
}
