/*
 * spool.c - see spool.h.
 */
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
#include <unistd.h>

/* A spool bigger than this is not read whole: replay waits for an operator. */
#define SPOOL_MAX (64u << 20)

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

int spool_append(const char *path, const char *body, size_t len)
{
    char head[32];
    int n = snprintf(head, sizeof(head), "%zu\n", len), fd, rc = -1;
    size_t total = (size_t)n + len + 1;
    char *rec = malloc(total);

    if (!rec)
        return -1;
    memcpy(rec, head, (size_t)n);
    memcpy(rec + n, body, len);
    rec[total - 1] = '\n';
    fd = open_locked(path);
    if (fd >= 0) {
        if (write(fd, rec, total) == (ssize_t)total && fsync(fd) == 0)
            rc = 0;
        if (close(fd) && !rc) /* closing also releases the lock */
            rc = -1;
    }
    free(rec);
    return rc;
}

/* Stores one spooled form body; 1 when it was new, 0 known or unusable, -1 database. */
static int replay_one(struct store *st, const char *body, size_t len, long long now)
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
        rc = store_inbound_add(st, sid, from, to, text ? text : "", (int)nmedia, now);
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

static int replay_file(const char *path, struct store *st, long long now, int *stored)
{
    struct stat sb;
    char *data = NULL;
    size_t off = 0, got = 0;
    int fd, rc = -1;

    *stored = 0;
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    if (flock(fd, LOCK_EX)) /* an append begun before the rename finishes first */
        goto done;
    if (fstat(fd, &sb) || sb.st_size == 0) {
        rc = sb.st_size == 0 ? 0 : -1;
        goto done;
    }
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
    while (off < got) {
        char *end;
        unsigned long long len = strtoull(data + off, &end, 10);
        int one;
        if (end == data + off || *end != '\n' || len > got - (size_t)(end + 1 - data) - 1 ||
            end[1 + len] != '\n') {
            log_warnx("spool.torn", "offset=%zu", off); /* a crash mid-append: never answered */
            break;
        }
        one = replay_one(st, end + 1, (size_t)len, now);
        if (one < 0)
            goto done; /* the database again: keep the whole spool, dedupe makes it safe */
        *stored += one;
        off = (size_t)(end + 1 - data) + (size_t)len + 1;
    }
    rc = 0; /* every record is in the database, or could never be */
done:
    free(data);
    close(fd);
    return rc;
}

int spool_replay(const char *path, struct store *st, long long now, int *stored)
{
    char busy[4096];
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
    rc = replay_file(busy, st, now, stored);
    if (rc == 0 && unlink(busy))
        rc = -1;
    return rc;
}
