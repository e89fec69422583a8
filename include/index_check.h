/*
 * index_check.h: the ticket indexes (index.h) against the records: their
 * first build on a store written without them, and their check. Part of
 * the ticket module; the only part of the indexes that reads records.
 */
#ifndef SEAM_INDEX_CHECK_H
#define SEAM_INDEX_CHECK_H

#include <stdint.h>

#include "common.h"
#include "evlog.h"
#include "store.h"

/*
 * Builds the indexes of a store that lacks them (written before them, or by
 * a build without them): every ticket's keys, batch tickets per write
 * transaction of its own (store_write: before the writer starts, or from a
 * tool), progress in the log; then marks them built. Resumable: an
 * interrupted build goes on from the last batch done (DB_META
 * "index.next"). *built (if not NULL): tickets indexed. SEAM_ECORRUPT
 * (logged, naming it) if a record cannot be decoded. With SEAM_NO_INDEXES:
 * marks the indexes not built, nothing else.
 */
enum seam_err index_migrate(struct store *s, size_t batch, uint64_t *built) SEAM_WUR;

/*
 * Checks the indexes against the records, in bounded memory (one ticket's
 * keys at a time): every key a record implies is in DB_INDEX and
 * DB_INDEX_OF ("missing"), every entry of DB_INDEX is implied by its
 * ticket's record ("extra"). Calls report per difference, naming the
 * ticket, the attribute and the value; returns how many. Nothing when the
 * indexes are not built (index_ready).
 */
uint64_t index_verify(struct store_txn *t, evlog_report_fn report, void *ctx);

#endif
