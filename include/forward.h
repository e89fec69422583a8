/*
 * forward.h: the push-delivery thread (see forward.c).
 */
#ifndef SEAM_FORWARD_H
#define SEAM_FORWARD_H

#include <stdint.h>

#include "server.h"

struct fwd;

/* Starts the thread; curl_global_init must have run. */
struct fwd *forward_start(struct server *srv);
/* Something may be due now (a commit queued a message): look at once. */
void forward_kick(struct fwd *f);
/* Stops the thread; unfinished tries stay pending. NULL is a no-op. */
void forward_stop(struct fwd *f);
/* Dead letters whose escalation failed (their ticket could not be worked) since start. */
uint64_t forward_escalations_failed(void);
/* Messages that became dead letters (committed) since start: hub 0, a partner's push (a
 * webhook); hub 1, a TMF621 hub's notification; 2, an e-mail; 3, a call to a tmf621 partner's
 * TMF621 API. Any thread. */
uint64_t forward_dead_letters(int hub);
/* Messages never sent since start because they differed from the signed events
 * (verify_outbox.h). Any thread. */
uint64_t forward_refused(void);
/* Frees it, once the writer has stopped (its answers touch it). */
void forward_free(struct fwd *f);

#endif
