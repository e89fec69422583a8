/*
 * fanout.h: who hears of a change, without the module that made it knowing
 * who listens. The listeners are registered by main before any thread
 * starts and only read afterwards (no lock); a tool that registers none
 * (seamctl) changes tickets with no one told.
 *
 * Observers run inside a ticket's write transaction, after the change and
 * its event are written, and may write in it: what they queue (the TMF621
 * hubs' notifications, in the outbox) is committed with the change or not
 * at all. fanout_changed runs them in the order registered and stops at the
 * first error, which fails the write.
 *
 * Hooks run after the durable commit, on the thread that saw it (the
 * writer's, in a job's done callback), and must not block: they wake what
 * waits for news (the long-polls of the owners whose queues changed, the
 * push thread when the outbox has news). They are told only which owners'
 * queues may have changed, never the ticket itself.
 *
 * A listener never calls back into the module that told it; so the modules
 * below the handlers (ticket, forward, scheduler) call no handler file.
 */
#ifndef SEAM_FANOUT_H
#define SEAM_FANOUT_H

#include <stddef.h>

#include "common.h"
#include "store.h"
#include "seam/ticket.h"

/*
 * An observer: tk is the ticket after the change, status_before its status
 * before (an enum ticket_status; -1 when filed), event the type of the
 * event it wrote.
 */
typedef enum seam_err (*fanout_observer_fn)(struct store_txn *t, const struct ticket *tk,
                                            int status_before, enum event_type event);
void fanout_observe(fanout_observer_fn fn);
/* Runs every observer in t; the first error is the answer. */
enum seam_err fanout_changed(struct store_txn *t, const struct ticket *tk, int status_before,
                             enum event_type event) SEAM_WUR;

/* What a commit changed: the owners (partner ids, or the lead's) whose queues may have news. */
struct fanout_news {
    const char *const *owners;
    size_t n_owners;
};
typedef void (*fanout_hook_fn)(void *ctx, const struct fanout_news *news);
void fanout_on_commit(fanout_hook_fn fn, void *ctx);
/* Runs every hook, in the order registered, after a commit. */
void fanout_committed(const struct fanout_news *news);
/*
 * After the commit of a change of one ticket: the owners are those of its
 * assignments (the one place that reads them).
 */
void fanout_ticket_committed(const struct ticket *tk);
/*
 * A batch of the replicated log applied to this store (replica.h: a standby
 * follows the leader's commits): each ticket record the write set (store.h)
 * puts is announced as fanout_ticket_committed does, so that a standby's
 * long-polls wake as the leader's do.
 */
void fanout_batch_applied(void *ctx, const void *ws, size_t len); /* a replica_applied_fn */

#endif
