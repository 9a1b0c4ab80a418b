/*
 * spool.c - see spool.h.
 */
#define _GNU_SOURCE /* memmem */
#include "spool.h"
#include "form.h"
#include "log.h"
#include "parse.h"
#include "store.h"
#include "twilio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A spool bigger than this is not read whole: it is set aside for an operator. */
#define SPOOL_MAX (64u << 20)
/* Every record starts on a line of its own with this, so a torn one never hides the next. */
#define MAGIC     "\nPLSPOOL1 "
#define MAGIC_LEN (sizeof(MAGIC) - 1)

/*
 * Opens the spool for appending, locked: retried when the replayer renamed
 * the file away between our open and our lock, so a record is never written
 * to a file already being replayed.
 */
static int open_locked(const char *path)
{
    int tries;

    for (tries = 0; tries < 10; tries++) {
        struct stat a, b;
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return -1;
        if (flock(fd, LOCK_EX) == 0 && fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
            a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            return fd;
        close(fd);
    }
    errno = EAGAIN;
    return -1;
}

/* A new file's name is durable only once its directory is synced. */
static void sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    int fd;

    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if ((size_t)(slash - path) < sizeof(dir))
        snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
    else
        return;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int spool_append(const char *path, const char *body, size_t len, long long received_at)
{
    char head[64];
    int n = snprintf(head, sizeof(head), MAGIC "%zu %lld\n", len, received_at), fd, rc = -1;
    size_t total = (size_t)n + len;
    char *rec = malloc(total);
    struct stat sb;

    if (!rec)
        return -1;
    memcpy(rec, head, (size_t)n);
    memcpy(rec + n, body, len);
    fd = open_locked(path);
    if (fd >= 0 && fstat(fd, &sb) == 0) {
        if (write(fd, rec, total) == (ssize_t)total && fsync(fd) == 0) {
            rc = 0;
            if (sb.st_size == 0)
                sync_dir(path);
        } else {
            /* Not answered 200: take back whatever part of it landed (best effort). */
            (void)ftruncate(fd, sb.st_size);
        }
    }
    if (fd >= 0 && close(fd) && !rc) /* closing also releases the lock */
        rc = -1;
    free(rec);
    return rc;
}

/* Stores one spooled form body; 1 when it was new, 0 known or unusable, -1 database. */
static int replay_one(struct store *st, const char *body, size_t len, long long received_at)
{
    struct form f = {0};
    const char *sid, *from, *to, *text, *media, *why;
    char masked[LOG_MASK_LEN];
    long long nmedia = 0;
    size_t where;
    int rc = 0;

    if (form_parse(body, len, &f, &why, &where))
        return 0;
    sid = form_get(&f, "MessageSid");
    from = form_get(&f, "From");
    to = form_get(&f, "To");
    text = form_get(&f, "Body");
    media = form_get(&f, "NumMedia");
    if (twilio_sid_valid(sid) && from && !parse_e164(from, &why) && to && !parse_e164(to, &why) &&
        !(media && parse_int(media, 0, 100, &nmedia, &why))) {
        rc = store_inbound_add(st, sid, from, to, text ? text : "", (int)nmedia, received_at);
        if (rc == STORE_NEW) {
            log_info("spool.replayed", "sid=%s from=%s", sid, log_mask_phone(from, masked));
            rc = 1;
        } else if (rc == STORE_ERROR) {
            rc = -1;
        } else {
            rc = 0;
        }
    }
    form_free(&f);
    return rc;
}

/* Replays one whole file: 0 done, -1 the database failed (keep it), -2 the file is unusable. */
static int replay_file(const char *path, struct store *st, int *stored)
{
    struct stat sb;
    char *data = NULL;
    const char *p, *end;
    size_t got = 0;
    int fd, rc = -2;

    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -2;
    if (flock(fd, LOCK_EX) || fstat(fd, &sb)) /* an append begun before the rename ends first */
        goto done;
    if ((unsigned long long)sb.st_size > SPOOL_MAX) {
        log_errorx("spool.too_big", "bytes=%lld", (long long)sb.st_size);
        goto done;
    }
    data = malloc((size_t)sb.st_size + 1);
    if (!data)
        goto done;
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, data + got, (size_t)sb.st_size - got);
        if (n <= 0)
            goto done;
        got += (size_t)n;
    }
    data[got] = '\0';
    end = data + got;
    rc = 0;
    /* Record by record; a torn one (a crash mid-append: never answered) is skipped. */
    for (p = data; (p = memmem(p, (size_t)(end - p), MAGIC, MAGIC_LEN));) {
        const char *num = p + MAGIC_LEN, *body;
        char *stop;
        unsigned long long len = strtoull(num, &stop, 10);
        long long at = *stop == ' ' ? strtoll(stop + 1, &stop, 10) : -1;
        int one;

        p += MAGIC_LEN;
        if (stop == num || at < 0 || *stop != '\n' || len > (size_t)(end - stop - 1)) {
            log_warnx("spool.torn", "offset=%zu", (size_t)(num - data));
            continue;
        }
        body = stop + 1;
        if (memchr(body, '\n', (size_t)len)) { /* runs into the next record: torn */
            log_warnx("spool.torn", "offset=%zu", (size_t)(num - data));
            continue;
        }
        one = replay_one(st, body, (size_t)len, at);
        if (one < 0) {
            rc = -1; /* the database again: keep the whole file, dedupe makes it safe */
            goto done;
        }
        *stored += one;
        p = body + len;
    }
done:
    free(data);
    close(fd);
    return rc;
}

int spool_replay(const char *path, struct store *st, int *stored)
{
    char busy[4096], bad[4200];
    int rc;

    *stored = 0;
    if ((size_t)snprintf(busy, sizeof(busy), "%s.replaying", path) >= sizeof(busy))
        return -1;
    /*
     * Replayed under another name, so appends meanwhile start a new spool; a
     * replay cut short (a crash, the database again) is finished first.
     */
    if (access(busy, F_OK) && rename(path, busy))
        return errno == ENOENT ? 0 : -1;
    rc = replay_file(busy, st, stored);
    if (rc == -2) {
        /* Unreadable or too big: set aside for an operator, so the spool keeps working. */
        snprintf(bad, sizeof(bad), "%s.bad-%lld", path, (long long)time(NULL));
        log_errorx("spool.set_aside", "file=\"%s\" hint=\"replay it by hand\"", bad);
        rc = rename(busy, bad) ? -1 : 0;
    } else if (rc == 0 && unlink(busy)) {
        rc = -1;
    }
    return rc;
}
