/*
 * scheduler.h: the thread that emits SLA warnings and breaches when their
 * instants come (within a second), from the due index in the store, so
 * that nothing is missed across a restart: what fell due while the broker
 * was down is emitted at start, and an instant is emitted once (its index
 * entry goes in the same transaction as its event).
 */
#ifndef SEAM_SCHEDULER_H
#define SEAM_SCHEDULER_H

#include <stdint.h>

#include "server.h"

struct scheduler;

struct scheduler *scheduler_start(struct server *srv);
/* Look again now (the clock moved, or a clock was scheduled). */
void scheduler_kick(struct scheduler *s);
void scheduler_stop(struct scheduler *s);
/* Instants set aside since start because their ticket could not be worked. */
uint64_t scheduler_parked_total(void);

#endif
