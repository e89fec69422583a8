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

struct server {
    const struct config *cfg;
    struct store *store;
    struct keys keys;
    struct evlog lg;
    struct http *http; /* the HTTP face (http.c): its daemon and its watchdog */
    int64_t started_ms;
    json_t *rules_report;        /* the coverage check, made at start */
    struct fwd *fwd;             /* push delivery */
    struct sla *sla;             /* SLA calendars */
    struct scheduler *scheduler; /* SLA warnings and breaches */
};

#endif
