/*
 * test_record_format.c: the store's format record (record_format_stamp,
 * record_format_read). A new, empty store is stamped with RECORD_FORMAT; a
 * stamp does not overwrite a format already recorded (older or newer); a
 * store that holds tickets but no format (written before the format
 * existed) is not stamped, so that record_migrate still brings its records
 * to this format; a malformed format is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "store.h"
#include "tap.h"

struct put {
    enum store_db db;
    const char *key, *val;
};

static enum seam_err
do_put(struct store_txn *t, void *arg)
{
    const struct put *p = arg;
    return store_put(t, p->db, p->key, strlen(p->key), p->val, strlen(p->val), 0);
}

/* A new store in a new directory, with one value put first if p is not NULL. */
static struct store *
fresh(const struct put *p, char **dir)
{
    struct store *s = NULL;
    *dir = tap_tmpdir();
    if (*dir == NULL || store_open(*dir, (size_t)1 << 20, (size_t)1 << 24, 1, &s) != SEAM_OK)
        return NULL;
    if (p != NULL && store_write(s, do_put, (void *)p, NULL, NULL) != SEAM_OK) {
        store_close(s);
        return NULL;
    }
    return s;
}

static void
gone(struct store *s, char *dir)
{
    char path[512];
    store_close(s);
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
    free(dir);
}

int
main(void)
{
    char *dir;
    unsigned f = 0;
    struct store *s = fresh(NULL, &dir);
    ok(s != NULL, "a new store");
    ok(record_format_read(s, &f) == SEAM_OK && f == 1, "without a format record it reads as 1");
    ok(record_format_stamp(s) == SEAM_OK && record_format_read(s, &f) == SEAM_OK &&
           f == RECORD_FORMAT,
       "stamped, the new store is at this build's format (%u)", f);
    ok(record_format_stamp(s) == SEAM_OK && record_format_read(s, &f) == SEAM_OK &&
           f == RECORD_FORMAT,
       "a second stamp changes nothing");
    gone(s, dir);

    static const struct put newer = {DB_META, "format", "7"};
    s = fresh(&newer, &dir);
    ok(s != NULL && record_format_stamp(s) == SEAM_OK && record_format_read(s, &f) == SEAM_OK &&
           f == 7,
       "a newer format recorded is kept as it is (%u)", f);
    gone(s, dir);

    static const struct put old = {DB_TICKETS, "T0123456789abcdef0123", "{}"};
    s = fresh(&old, &dir);
    ok(s != NULL && record_format_stamp(s) == SEAM_OK && record_format_read(s, &f) == SEAM_OK &&
           f == 1,
       "a store with tickets and no format is left at 1, for the migration");
    gone(s, dir);

    static const struct put bad = {DB_META, "format", "two"};
    s = fresh(&bad, &dir);
    ok(s != NULL && record_format_read(s, &f) == SEAM_ECORRUPT, "a format that is not a number is "
                                                                "an error");
    gone(s, dir);
    return done_testing();
}
