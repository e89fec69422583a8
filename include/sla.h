/*
 * sla.h: SLA clocks. Each assignment has its own: time to acknowledge and
 * time to resolve, in business time of its owner's calendar (the partner's
 * SLA policy, or the lead's), targets by the ticket's priority. A new owner
 * (after a hand-back or a forced assignment) starts a fresh clock; the
 * resolve clock pauses while the ticket is pending on the customer. Every
 * due instant (a warning at the policy's fraction, and the breach) is
 * indexed in DB_DUE so the scheduler finds them; the functions that change
 * a clock keep that index in step, in the caller's write transaction.
 *
 * An assignment's clock is its struct sla_clock (seam/ticket.h): policy,
 * targets, elapsed business time, the running segment's start (null while
 * paused), the business time it took to acknowledge and to resolve, and the
 * warnings and breaches it has had; and its shown due instants.
 */
#ifndef SEAM_SLA_H
#define SEAM_SLA_H

#include <jansson.h>

#include "calendar.h"
#include "config.h"
#include "store.h"
#include "seam/ticket.h"

enum sla_kind { SLA_WARN_ACK, SLA_ACK, SLA_WARN_RESOLVE, SLA_RESOLVE, SLA_KINDS };
extern const char *const sla_kind_names[SLA_KINDS];

struct sla;

/* The calendars of the configuration, opened once; NULL if a zone is unknown to ICU. */
struct sla *sla_new(const struct config *cfg);
void sla_free(struct sla *s);

/* The owner's calendar (a partner's or the lead's policy). */
struct calendar *sla_calendar_of(const struct sla *s, const struct config *cfg, const char *owner);

/* A new assignment's clock, started at `at`; paused from the start if the ticket is pending. */
enum seam_err sla_start(struct store_txn *t, const struct sla *s, const struct config *cfg,
                        const struct ticket *tk, struct assignment *asg, int64_t at) SEAM_WUR;
/*
 * The ticket's priority changed (a TMF621 severity): the claim's targets
 * become the policy's for the new priority and its running clocks are
 * re-planned: the ack clock's due from the claim's start, the resolve
 * clock's from now with the business time so far kept. Clocks stopped,
 * paused or already breached keep what they had.
 */
enum seam_err sla_replan(struct store_txn *t, const struct sla *s, const struct config *cfg,
                         const struct ticket *tk, struct assignment *asg, int64_t at) SEAM_WUR;
/* Acknowledged: the ack clock stops. */
enum seam_err sla_acked(struct store_txn *t, const struct sla *s, const struct config *cfg,
                        struct assignment *asg, int64_t at) SEAM_WUR;
/* The ticket waits on the customer: every live resolve clock pauses. */
enum seam_err sla_pause(struct store_txn *t, const struct sla *s, const struct config *cfg,
                        struct ticket *tk, int64_t at) SEAM_WUR;
/* The customer answered: every paused resolve clock runs again. */
enum seam_err sla_resume(struct store_txn *t, const struct sla *s, const struct config *cfg,
                         struct ticket *tk, int64_t at) SEAM_WUR;
/* The assignment is resolved or ended: its clocks stop, its time is recorded. */
enum seam_err sla_stop(struct store_txn *t, const struct sla *s, const struct config *cfg,
                       struct assignment *asg, int64_t at) SEAM_WUR;

/*
 * A due instant has come: if `at` is still the assignment's current instant
 * of that kind, records the warning or breach on the clock, clears the
 * index entry and returns 1; returns 0 if the entry is stale (the clock
 * moved or stopped; the caller deletes it), -1 on a store error.
 */
int sla_fired(struct store_txn *t, struct assignment *asg, enum sla_kind kind, int64_t at);
int sla_kind_parse(const char *name); /* -1 if unknown */
/* Deletes an index entry (a stale one). */
enum seam_err sla_drop(struct store_txn *t, const uint8_t *key, size_t len) SEAM_WUR;

/*
 * The lead's end-to-end clock of a ticket: the customer's experience, from
 * filing to resolution, bounces included, in the lead's calendar with its
 * resolve target for the priority; paused while pending, running again
 * after a reopen. Kept in the ticket's e2e; driven by status changes.
 */
void sla_e2e_start(const struct sla *s, const struct config *cfg, struct ticket *tk, int64_t at);
/* The ticket's priority changed: the end-to-end target is the new priority's; a running
 * clock keeps its time so far and is due by the new target. */
void sla_e2e_replan(const struct sla *s, const struct config *cfg, struct ticket *tk, int64_t at);
void sla_e2e_status(const struct sla *s, const struct config *cfg, struct ticket *tk,
                    enum ticket_status before, int64_t at);

/* DB_DUE key: be64 instant || kind || assignment id (21). */
#define SLA_DUE_KEY_LEN (8 + 1 + 21)

/*
 * Instants the scheduler set aside because their ticket could not be worked
 * (DB_META keys: this prefix, then the due key in hex; values JSON: ticket,
 * assignment, kind, due, parked_at, error). sla_parked_report calls report
 * once per instant (a sentence for the lead) and returns how many there are.
 */
#define SLA_PARKED_PREFIX "sla_parked/"
uint64_t sla_parked_report(struct store_txn *t, void (*report)(void *ctx, const char *problem),
                           void *ctx);

/* One entry of the due index, decoded (the key's layout is this module's alone). */
struct sla_due {
    int64_t at; /* the instant, ms since the epoch */
    enum sla_kind kind;
    char assignment[22];
    char ticket[22];
    uint8_t key[SLA_DUE_KEY_LEN]; /* the entry as stored, for sla_due_drop and sla_park */
};
typedef int (*sla_due_fn)(void *ctx, const struct sla_due *d);
/* Calls fn for each due instant, earliest first, until it returns non-zero. */
enum seam_err sla_due_each(struct store_txn *t, sla_due_fn fn, void *ctx) SEAM_WUR;
/* Deletes an entry (a stale one; already gone is fine). */
enum seam_err sla_due_drop(struct store_txn *t, const struct sla_due *d) SEAM_WUR;
/*
 * Sets an instant aside because its ticket could not be worked (why): out of
 * the due index, into the parked instants (SLA_PARKED_PREFIX), in t.
 */
enum seam_err sla_park(struct store_txn *t, const struct sla_due *d, enum seam_err why) SEAM_WUR;

#endif
