/*
 * server.h: what every thread of the daemon shares, set up in main and
 * read-only while serving: the configuration, the store, the broker's keys
 * and evidence log, the SLA calendars, and the handles of the threads main
 * starts (the HTTP face, push delivery, the SLA scheduler). Modules below the
 * handlers (forward, scheduler) take it from here, not from api.h.
 */
#ifndef SEAM_SERVER_H
#define SEAM_SERVER_H

#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "evlog.h"
#include "keys.h"
#include "store.h"

struct http;
struct fwd;
struct sla;
struct scheduler;
struct req;

struct server {
    /* The start's configuration, kept to the stop: for what only a restart changes (the
     * listening address, the data directory, ...). What a reload changes is read from the
     * snapshot in force (reload.h): a request's r->cfg, snapshot_hold() elsewhere. */
    const struct config *cfg;
    /* 1 when the HTTP face serves TLS ($.tls; on or off only at a restart): whatever the
     * broker sets for a browser (a session cookie) is Secure then. */
    int tls;
    struct store *store;
    struct keys keys;
    struct evlog lg;
    struct http *http; /* the HTTP face (http.c): its daemon and its watchdog */
    int64_t started_ms;
    json_t *rules_report;        /* the start's coverage check (the one in force: r->snap) */
    struct fwd *fwd;             /* push delivery */
    struct sla *sla;             /* the start's SLA calendars (the ones in force: r->sla) */
    struct scheduler *scheduler; /* SLA warnings and breaches */
    /* $.replication's node (replica.h), or NULL: a standby serves reads, sends writes on */
    struct replica *replica;
    /* What answers a GET or HEAD no endpoint serves (main registers the pages, web.h): 1 if
     * it answered; NULL or 0: the face answers 404. */
    int (*fallback)(struct req *r, const char *method, const char *path);
};

#endif
