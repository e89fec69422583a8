/*
 * dirlock.h: the data directory's owner lock. A running seam-broker holds
 * an exclusive flock(2) on DATADIR/seam.lock for its whole life (the kernel
 * drops it when the process ends, kill -9 included), so that a second
 * broker, or a seamctl command that must have the store to itself (migrate,
 * restore), refuses instead of forking the history. The file names its
 * holder ("seam-broker pid 1234") for the refusal's message. Small seamctl
 * writes (customer add, token issue) do not take it: LMDB's own writer lock
 * orders them with the broker's batches.
 */
#ifndef SEAM_DIRLOCK_H
#define SEAM_DIRLOCK_H

#include "common.h"

/*
 * Takes the lock of dir (creating DATADIR/seam.lock, mode 0600) for who
 * ("seam-broker", "seamctl restore"). On success *fd holds it: keep it open
 * as long as the directory is yours (close it, or exit, to release).
 * SEAM_EBUSY: another process holds it; *holder (malloc'd, may be NULL) is
 * what that process wrote ("seam-broker pid 1234"). SEAM_EIO: the file
 * could not be made or locked (errno says why).
 */
enum seam_err dirlock_take(const char *dir, const char *who, int *fd, char **holder) SEAM_WUR;

/* 1 if some process holds dir's lock now (without taking it); 0 otherwise. */
int dirlock_held(const char *dir, char **holder);

#endif
