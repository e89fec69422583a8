/*
 * ebond_client.h: the thread that registers seam's hub listener at each
 * tmf621 partner's system, or polls its TroubleTickets (see ebond_client.c);
 * and what a TroubleTicket of the partner means for its claim, through the
 * state machine (the callback's handler, the poll and the outbox's answer
 * use it). Write functions run in the writer's transaction.
 */
#ifndef SEAM_EBOND_CLIENT_H
#define SEAM_EBOND_CLIENT_H

#include <jansson.h>

#include "ebond.h"
#include "server.h"
#include "ticket.h"

/* Starts the thread when a partner's delivery is tmf621; curl_global_init must have run. */
void ebond_client_start(struct server *srv);
/* Stops it, before the store's writer stops (it waits for its jobs' commits). */
void ebond_client_stop(void);

/* Records a claim's link (ebond_link_put) and the claim's signed event assignment.linked, the
 * broker's, in a transaction of its own (not written when the claim is no longer live). */
enum seam_err ebond_link_record(struct store_txn *t, const struct ticket_ctx *c,
                                const char *assignment, const char *remote) SEAM_WUR;

/* What ebond_apply made of a TroubleTicket. */
struct ebond_outcome {
    int acted;       /* how many actions it took */
    int unknown;     /* its status is not in the partner's map: the lead was told */
    int forbidden;   /* the claim is another partner's, or linked to another TroubleTicket */
    char status[64]; /* the partner's status */
    char assignment[TICKET_ID_LEN + 1];
};

/*
 * Turns partner's TroubleTicket tt (an event's or a poll's) into its claim's
 * actions, through the state machine, as the partner (writer). The claim is
 * tt's externalId. SEAM_ENOTFOUND: no such claim; SEAM_ECONFLICT: the claim
 * is another partner's, or tt is another TroubleTicket than the claim's;
 * SEAM_EINVAL: tt is no TroubleTicket. *out the ticket after (ticket_free;
 * its id empty when nothing changed).
 */
enum seam_err ebond_apply(struct store_txn *t, const struct ticket_ctx *c,
                          const struct config_partner *p, const json_t *tt, struct ticket *out,
                          struct ebond_outcome *o, struct ticket_refusal *why) SEAM_WUR;

/* What a partner's TroubleTicket did to its claim, for /metrics. */
enum ebond_event_outcome {
    EBOND_EVENT_APPLIED,        /* one or more actions taken */
    EBOND_EVENT_UNCHANGED,      /* nothing new */
    EBOND_EVENT_UNKNOWN_STATUS, /* a status the partner's map does not know: told to the lead */
    EBOND_EVENT_REFUSED,        /* another partner's claim, another TroubleTicket, or refused */
    EBOND_EVENT_OUTCOMES
};
/* The outcome of ebond_apply's rc and o. */
enum ebond_event_outcome ebond_client_outcome(enum seam_err rc, const struct ebond_outcome *o);
/* Counts one (the hub's callbacks, api_ebond.c; polling). */
void ebond_client_count_event(const char *partner, enum ebond_event_outcome outcome);
/* The eBonding series of /metrics (malloc'd): each tmf621 partner's listener, calls and events. */
char *ebond_client_metrics(void);

/* The claims of partner linked to a TroubleTicket and still live, for polling (read). */
enum seam_err ebond_live_links(struct store_txn *t, const char *partner, json_t **links) SEAM_WUR;

#endif
