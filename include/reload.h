/*
 * reload.h: the configuration in force, as reference-counted snapshots, and
 * its reload (SIGHUP, seamctl reload).
 *
 * A snapshot is one loaded and checked configuration with what is built from
 * it (the SLA calendars, the rules' coverage report). Exactly one is in force
 * at a time. A thread that reads the configuration takes a reference to the
 * one in force (snapshot_hold) and drops it when done (snapshot_drop); a
 * request holds one from its first byte to its completion, so its handler,
 * its store job on the writer thread and its answer all see the same
 * configuration, and a reload in between changes nothing for it. A snapshot
 * is freed when the last reference goes, never before: a reload never frees
 * a configuration a request, a job or a delivery still reads.
 *
 * reload_run loads the file again, applies the command line's overrides,
 * runs the checks of the start (the file's validation, the rules' coverage
 * check, the calendars' time zones) and refuses changes that only a restart
 * can make (the listening address, the data directory, the federation, the
 * facts, the thread and store sizes: reload_restart_only lists them). Only
 * when every check passes is the new snapshot swapped in, atomically; when
 * any fails, the one in force stays and the log and /metrics say why.
 *
 * Tickets already routed keep what their routing decided (the rule, owners
 * and fallback chain are stored in the ticket); the event of each routing
 * names the configuration version that decided it (config.h, version).
 */
#ifndef SEAM_RELOAD_H
#define SEAM_RELOAD_H

#include <stdatomic.h>
#include <stdint.h>

#include <jansson.h>

#include "common.h"
#include "config.h"

struct sla;

struct snapshot {
    struct config *cfg;   /* owned */
    struct sla *sla;      /* the calendars of cfg, owned */
    json_t *rules_report; /* the coverage check of cfg's rules, owned */
    unsigned generation;  /* 1 for the start's, one more for each reload taken */
    int64_t loaded_ms;    /* when it was put in force */
    void *extra;          /* freed by extra_free with the snapshot (the TLS credentials) */
    void (*extra_free)(void *extra);
    _Atomic unsigned refs;
};

/*
 * Puts the start's configuration in force (generation 1), taking ownership of
 * cfg, sla and report. Called once by main before any thread reads it.
 */
void snapshot_start(struct config *cfg, struct sla *sla, json_t *report);
/* The snapshot in force, with a reference taken; never NULL after snapshot_start. Any thread. */
struct snapshot *snapshot_hold(void);
/* Drops a reference; the last one frees the snapshot. NULL is a no-op. Any thread. */
void snapshot_drop(struct snapshot *s);
/* Drops the reference of the one in force (at the stop, after every other thread has ended). */
void snapshot_stop(void);

/* What the command line overrides in every configuration it loads (main's -l and -d). */
struct reload_opts {
    const char *path;    /* the configuration file (-c) */
    const char *listen;  /* -l ADDR:PORT, or NULL */
    const char *datadir; /* -d DIR, or NULL */
    const char *state;   /* where the outcome of each attempt is written (JSON), or NULL */
};

/*
 * A hook that builds, for a configuration about to be put in force, what
 * another module needs from it (the TLS credentials): SEAM_OK with *extra set
 * (and *extra_free) or an error with *why a malloc'd sentence. Registered
 * before the first reload; it is also called by nobody else.
 */
typedef enum seam_err (*reload_extra_fn)(const struct config *cfg, void **extra,
                                         void (**extra_free)(void *), char **why);
void reload_on_load(reload_extra_fn fn);

/*
 * Loads opts->path again and swaps it in when every check passes. Returns
 * SEAM_OK when the new configuration is in force, SEAM_EINVAL when it was
 * refused (the old one stays; *why, if why is not NULL, is a malloc'd
 * summary). Each problem is logged. Called by one thread at a time (main's
 * signal loop).
 */
enum seam_err reload_run(const struct reload_opts *opts, char **why) SEAM_WUR;

/*
 * Refuses a new configuration that differs from old in what only a restart
 * changes: SEAM_OK, or SEAM_EINVAL with *why naming the keys.
 */
enum seam_err reload_restart_only(const struct config *old, const struct config *fresh,
                                  char **why) SEAM_WUR;

/* The reload metrics (Prometheus text, malloc'd). */
char *reload_metrics_text(void);

#endif
