/*
 * longpoll.h: requests parked until their owner's queue may have news.
 *
 * A handler reads longpoll_version(owner), runs its query, and if the page
 * is empty parks the request with that version and a deadline. The request
 * is suspended (no worker thread waits); when longpoll_notify(owner) runs
 * after a commit, or the deadline passes, the long-poll thread calls fill(r)
 * (which sets the answer, in a read transaction of its own) and resumes it.
 * A notify that came between the query and the park is not lost: the
 * version moved, so the request is filled at once.
 */
#ifndef SEAM_LONGPOLL_H
#define SEAM_LONGPOLL_H

#include <stdint.h>

#include "http.h"

typedef void (*longpoll_fill_fn)(struct req *r);

void longpoll_start(void);
/* Answers every parked request (fill) and stops the thread. */
void longpoll_stop(void);
uint64_t longpoll_version(const char *owner);
void longpoll_park(struct req *r, const char *owner, uint64_t seen, int64_t deadline_ms,
                   longpoll_fill_fn fill);
void longpoll_notify(const char *owner);

#endif
