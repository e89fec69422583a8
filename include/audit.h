/*
 * audit.h: what the lead company (and its auditors) learn from the record:
 * the SLA report per partner and period, and the list of breaches with the
 * way to their evidence. Both read one transaction; they change nothing.
 */
#ifndef SEAM_AUDIT_H
#define SEAM_AUDIT_H

#include <jansson.h>

#include "config.h"
#include "store.h"

struct audit_period {
    int64_t from, to;    /* assignments made in [from, to); 0: open */
    const char *partner; /* NULL: every owner */
    /* 0: every ticket; else only the tickets whose fact number fact - 1 (an
     * index of the configuration's table) is value (as corrected; NULL: the
     * fact not given). */
    int fact;
    const char *value;
    /* NULL: every ticket; else only those that came by this channel (ticket_channels[];
     * "api" also holds the tickets filed before channels were recorded). */
    const char *channel;
    int exact; /* from the records even where the aggregates could answer */
};

/*
 * Per owner (partners and the lead) and overall: tickets, assignments,
 * acknowledged and resolved within SLA (count and %), p50/p90/p99 of the
 * business time to acknowledge and to resolve (minutes), breaches,
 * hand-backs and the business time attributed for them, disputed claims,
 * and the time open tickets spent without an owner (which must be 0).
 */
enum seam_err audit_sla(struct store_txn *t, const struct audit_period *p,
                        json_t **report) SEAM_WUR;
/*
 * The report comes from the aggregates when the period's bounds are days'
 * starts in the lead's time zone (or open), no fact is asked and the
 * aggregates are built; else, and with exact, from the records (a scan,
 * holding the business times of the period's assignments). Its member
 * "percentiles" says which ("source": "aggregates" or "records") and the
 * percentiles' relative error bound ("relative_error").
 */
/* The same as CSV, one line per owner and one overall (malloc'd). */
char *audit_sla_csv(const json_t *report);
/*
 * The breaches in the period (of assignments made in it, the partner's if
 * p->partner), newest ticket first: ticket, assignment, partner, clock,
 * due, evidence; a page {"items","next_cursor"} of the tickets strictly
 * after cursor (a ticket id or NULL) until limit items are in (a ticket's
 * breaches are never split between pages). It walks the index of the
 * "breached" flag (with the partner's, if given), never every ticket.
 */
struct ticket_ctx;
enum seam_err audit_breaches(struct store_txn *t, const struct ticket_ctx *c,
                             const struct audit_period *p, const char *cursor, unsigned limit,
                             json_t **list) SEAM_WUR;

/*
 * Builds the SLA aggregates of every ticket (a store written before them, or
 * whose lead time zone changed), batch tickets a write transaction, logging
 * progress; resumes where an interrupted build stopped. Nothing to do when
 * they are built. Offline: before the writer starts.
 */
enum seam_err audit_agg_build(struct store *s, size_t batch) SEAM_WUR;
/* seamctl verify: the aggregates against the records; names each difference
 * through report and returns their number. */
uint64_t audit_agg_verify(struct store_txn *t, void (*report)(void *, const char *), void *ctx);

#endif
