/*
 * sla_agg.h: the SLA aggregates, kept as tickets change, and the
 * log-bucketed histogram their percentiles are read from.
 *
 * A ticket's contribution is a pure function of its record
 * (sla_agg_assignment, sla_agg_ticket): for each assignment, the counts the
 * SLA report gives (claims, acknowledged and resolved in time, breaches,
 * hand-backs by reason, disputed) and the histogram buckets of its
 * acknowledge and resolve times; once per ticket and owner, the ticket-level
 * counts (the ticket, its flags, the time it spent without owner, the
 * lead's end-to-end clock). record_save calls sla_agg_record in the same
 * write transaction as the record: it subtracts the ticket's last
 * contribution (kept in DB_SLA_CONTRIB, so no old record is decoded) and
 * adds the new one to the rows of DB_SLA_AGG, one per day (in the lead's
 * time zone) x priority x owner. So the rows are, exactly, the sum of the
 * contributions of the records; the exact report (audit.c) counts with the
 * same functions.
 *
 * A ticket-level count must be counted once per ticket in any period
 * although its assignments fall on several days: it is added on each
 * distinct day d_i of the owner's assignments and subtracted on a "link"
 * row keyed (d_{i-1}, gap d_i - d_{i-1}); a period [F, T) takes a link row
 * only when both its days fall in it, which leaves exactly one +1 per
 * ticket whose assignments meet the period.
 *
 * The calendar (the lead's time zone) is set once at start by
 * sla_agg_use, before any thread; without it days are UTC days.
 */
#ifndef SEAM_SLA_AGG_H
#define SEAM_SLA_AGG_H

#include <stdint.h>

#include "config.h"
#include "store.h"
#include "seam/ticket.h"

/* ---- the histogram ---- */

/*
 * Bucket 0 holds 0 (and negative values); bucket b >= 1 holds the values v
 * (ms) with GAMMA^(b-2) < v <= GAMMA^(b-1), read back as 2 GAMMA^(b-1) /
 * (GAMMA + 1): within (GAMMA - 1)/(GAMMA + 1) = 0.0099 of any value in it
 * (DDSketch's bound). SLA_HIST_ERROR states it rounded up. Values past the
 * last bucket (about 37 years) go to the last bucket.
 */
#define SLA_HIST_GAMMA 1.02
#define SLA_HIST_BUCKETS 1400
#define SLA_HIST_ERROR 0.01

unsigned sla_hist_bucket(int64_t ms);
/* The value a bucket reads back as (ms). */
double sla_hist_value(unsigned bucket);
/* The nearest-rank p-th percentile (0 < p <= 100) of the counts of
 * SLA_HIST_BUCKETS buckets, read back (ms); -1 without data. */
double sla_hist_quantile(const int64_t *counts, int p);

/* ---- a contribution ---- */

/* The counts of a contribution, by number. Assignment-level first, then
 * ticket-level (from AGG_TICKETS on). */
enum {
    AGG_ASSIGNMENTS,
    AGG_ACKED,
    AGG_ACK_WITHIN,
    AGG_RESOLVED,
    AGG_RESOLVE_WITHIN,
    AGG_BREACHES,
    AGG_HANDBACKS,
    AGG_HANDBACK_MS,
    AGG_DISPUTED,
    AGG_DISPUTED_HANDBACKS,
    AGG_DISPUTED_HANDBACK_MS,
    AGG_HB_REASON,                                      /* + handback reason */
    AGG_HIST_ACK = AGG_HB_REASON + HB_COUNT,            /* + bucket */
    AGG_HIST_RESOLVE = AGG_HIST_ACK + SLA_HIST_BUCKETS, /* + bucket */
    AGG_TICKETS = AGG_HIST_RESOLVE + SLA_HIST_BUCKETS,  /* ticket-level from here */
    AGG_FLAGGED,                                        /* + flag */
    AGG_WITHOUT_OWNER_MS = AGG_FLAGGED + FLAG_COUNT,
    AGG_E2E_RESOLVED,
    AGG_E2E_WITHIN,
    AGG_HIST_E2E, /* + bucket */
    AGG_FIELDS = AGG_HIST_E2E + SLA_HIST_BUCKETS
};

typedef void (*sla_agg_add_fn)(void *ctx, unsigned field, int64_t v);
/* The counts of one assignment of tk (its owner's). */
void sla_agg_assignment(const struct ticket *tk, const struct assignment *a, sla_agg_add_fn add,
                        void *ctx);
/* The ticket-level counts of tk, counted once per owner and once overall. */
void sla_agg_ticket(const struct ticket *tk, sla_agg_add_fn add, void *ctx);
/* The open time of tk that no live assignment covered (ms). */
int64_t sla_agg_without_owner(const struct ticket *tk);

/* ---- the aggregates in the store ---- */

/* The lead's calendar for days (cfg NULL: UTC). Before any thread. 0, or -1
 * if ICU does not know the time zone. */
int sla_agg_use(const struct config *cfg);
/* The lead's day of an instant, and a day's first instant. */
int64_t sla_agg_day(int64_t ms);
int64_t sla_agg_day_start(int64_t day);
/* The first instant of a local date "YYYY-MM-DD" (exactly 10 characters); -1 if malformed. */
int64_t sla_agg_parse_date(const char *s);

/* Brings the aggregates in step with tk's record (a write or staged transaction). */
enum seam_err sla_agg_record(struct store_txn *t, const struct ticket *tk) SEAM_WUR;

/* Whether the aggregates hold every ticket of the store (built, in this time zone). */
int sla_agg_ready(struct store_txn *t);
/* Marks them so (after a build), or not. */
enum seam_err sla_agg_set_ready(struct store_txn *t, int ready) SEAM_WUR;
/* A resumed build's next ticket id, "" for the first; and setting it (NULL: delete). */
enum seam_err sla_agg_build_next(struct store_txn *t, char *id, size_t size) SEAM_WUR;
enum seam_err sla_agg_set_build_next(struct store_txn *t, const char *id) SEAM_WUR;

/*
 * Calls row for each row of the days [from_day, to_day) (to_day INT64_MAX:
 * open) that a period of those days takes (see above), with its owner ("" for
 * the overall ticket-level row) and its counts, sparse (field, value) pairs.
 */
typedef void (*sla_agg_row_fn)(void *ctx, const char *owner, size_t owner_len,
                               const uint32_t *field, const int64_t *v, size_t n);
enum seam_err sla_agg_rows(struct store_txn *t, int64_t from_day, int64_t to_day,
                           sla_agg_row_fn row, void *ctx) SEAM_WUR;

/*
 * The check (seamctl verify): sla_agg_check_ticket for each record compares
 * its computed contribution with the stored one and folds it into a
 * fingerprint per day; sla_agg_check_end folds the rows in too and reports
 * each day whose rows are not the sum of the contributions, and stored
 * contributions of tickets that have no record. Returns the problems found.
 * The days are taken in the time zone the store's aggregates were built in.
 */
struct sla_agg_check;
struct sla_agg_check *sla_agg_check_new(struct store_txn *t);
uint64_t sla_agg_check_ticket(struct sla_agg_check *c, struct store_txn *t, const struct ticket *tk,
                              void (*report)(void *, const char *), void *ctx);
uint64_t sla_agg_check_end(struct sla_agg_check *c, struct store_txn *t,
                           void (*report)(void *, const char *), void *ctx);

#endif
