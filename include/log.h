/*
 * log.h: one line per event on stderr, "time level key=value ...";
 * a request's line may wait a few milliseconds in a buffer (log.c).
 * log_warn appends strerror(errno); fatal/fatalx exit(1).
 * Never log tokens, keys or request bodies.
 */
#ifndef SEAM_LOG_H
#define SEAM_LOG_H

#define LOGFMT __attribute__((format(printf, 1, 2)))

void log_init(int debug);
void log_warn(const char *fmt, ...) LOGFMT;
void log_warnx(const char *fmt, ...) LOGFMT;
void log_info(const char *fmt, ...) LOGFMT;
void log_debug(const char *fmt, ...) LOGFMT;
/* An info line that may wait in the buffer (see log.c): a request's line. */
void log_access(const char *fmt, ...) LOGFMT;
/* Buffers log_access lines from now on, written out every ms milliseconds; 0 or -1 (thread). */
int log_buffer_start(int ms);
/* Writes what waits and stops buffering (before exit, at a stop). */
void log_buffer_stop(void);
void log_flush(void);
void fatal(const char *fmt, ...) LOGFMT __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOGFMT __attribute__((noreturn));

#endif
