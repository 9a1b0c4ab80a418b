/*
 * db_priv.h - shared by db.c and the drivers only: the table of functions
 * each driver fills in (the OpenSMTPD queue_backend shape). Every driver's
 * handle and statement begin with struct db and struct db_stmt, so db.c
 * finds the driver from either.
 */
#ifndef PEERLINE_DB_PRIV_H
#define PEERLINE_DB_PRIV_H

#include "db.h"

struct db_driver {
    enum db_kind kind;
    struct db *(*open)(const char *spec, char *err, size_t errlen);
    void (*close)(struct db *db);
    int (*exec)(struct db *db, const char *sql);
    int (*exec_schema)(struct db *db, const char *ddl);
    struct db_stmt *(*prepare)(struct db *db, const char *sql);
    void (*finalize)(struct db_stmt *p);
    void (*reset)(struct db_stmt *p);
    int (*bind_int64)(struct db_stmt *p, int idx, int64_t v);
    int (*bind_text)(struct db_stmt *p, int idx, const char *v);
    int (*bind_null)(struct db_stmt *p, int idx);
    int (*bind_blob)(struct db_stmt *p, int idx, const void *v, size_t n);
    int (*step)(struct db_stmt *p);
    /* Optional (NULL: db.c runs them one after another). */
    int (*run_many)(struct db_stmt *p, size_t n,
                    int (*bind)(void *arg, size_t i, struct db_stmt *p),
                    int (*row)(void *arg, size_t i, struct db_stmt *p), void *arg);
    int (*col_null)(struct db_stmt *p, int col);
    int64_t (*col_int64)(struct db_stmt *p, int col);
    const char *(*col_text)(struct db_stmt *p, int col);
    const void *(*col_blob)(struct db_stmt *p, int col, size_t *n);
    const char *(*stmt_sql)(const struct db_stmt *p);
    int64_t (*changes)(struct db *db);
    const char *(*errmsg)(struct db *db);
    int (*begin)(struct db *db, enum db_begin how);
    int (*commit)(struct db *db);
    int (*rollback)(struct db *db);
    int (*in_tx)(struct db *db);
    /* Optional (NULL: a no-op answering DB_OK, or 0). */
    void (*busy_timeout)(struct db *db, int ms);
    void (*deadline)(struct db *db, int ms);
    int (*checkpoint)(struct db *db, int truncate);
    int (*lazy_sync)(struct db *db);
    int (*hash_key)(struct db *db, const unsigned char key[32]);
    int64_t (*data_version)(struct db *db);
    void (*fence)(struct db *db, int64_t key);
    int (*fence_hold)(struct db *db);
    int64_t (*fence_epoch)(struct db *db);
    int (*notify)(struct db *db, const char *channel);
    int (*listen)(struct db *db, const char *channel);
    int (*wait)(struct db *db, int ms, char *channel, size_t n);
};

struct db {
    const struct db_driver *drv;
};

struct db_stmt {
    const struct db_driver *drv;
};

extern const struct db_driver db_driver_sqlite; /* db_sqlite.c */
extern const struct db_driver db_driver_pg;     /* db_pg.c */

#endif
