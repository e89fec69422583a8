/*
 * verify_outbox.h: the push outbox against the signed events. A message's
 * body is bytes the broker will sign (webhook-signature) and send to a
 * partner or a TMF621 hub, so a change to it on disk must be found by
 * `seamctl verify` and must never leave the broker: what a body says of its
 * ticket (its id, summary and description, the claim it names) must be what
 * the ticket's signed creation event says, and that event's signature must
 * verify with the broker's key.
 */
#ifndef SEAM_VERIFY_OUTBOX_H
#define SEAM_VERIFY_OUTBOX_H

#include <jansson.h>

#include "common.h"
#include "evlog.h"
#include "store.h"

/*
 * Checks one outbox message m (as outbox_due gives it) in a read
 * transaction. SEAM_OK: it says of its ticket what the signed events say
 * (or nothing). SEAM_ECORRUPT: it differs, or is not a message; why (of
 * whylen bytes) says how. Any other error: the store could not be read
 * (why says so), which is no verdict on the message.
 */
enum seam_err outbox_check_message(struct store_txn *t, const uint8_t pk[32], const json_t *m,
                                   char *why, size_t whylen) SEAM_WUR;

/* Every message of the outbox (any state); each difference to report; returns their number. */
uint64_t outbox_verify(struct store_txn *t, const uint8_t pk[32], evlog_report_fn report,
                       void *ctx);

#endif
