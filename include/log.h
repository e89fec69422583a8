/*
 * log.h: one line per event on stderr, "time level key=value ...".
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
void fatal(const char *fmt, ...) LOGFMT __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOGFMT __attribute__((noreturn));

#endif
