/*
 * progress.h: a long offline job's progress, on one line of stderr redrawn
 * in place: what is done, how many of how many, the rate and the time
 * left. Off unless a tool turns it on (seamctl does when stderr is a
 * terminal); then nothing is ever written, so the broker and the tests
 * that read a tool's stderr see nothing of it.
 *
 * A phase names what is counted and how many there are (0: unknown);
 * progress_step counts; store_scan steps once per record, so a job made of
 * scans need only name its phases. The line is redrawn at most four times a
 * second, and at the first step of the process, so that a short job shows
 * one line too. Process-wide state, for one thread: tools only.
 */
#ifndef SEAM_PROGRESS_H
#define SEAM_PROGRESS_H

#include <stdint.h>

/* Turns the line on (what: the job's name, borrowed for the process's life) or off. */
void progress_start(const char *what, int on);
/* A new phase: name (borrowed until the next phase), total or 0 if unknown. */
void progress_phase(const char *name, uint64_t total);
void progress_step(uint64_t n);
/* Erases the line (before the job prints its result or an error). */
void progress_end(void);

#endif
