/*
 * ebond.h: partners whose own systems speak TMF621 v4 (delivery mode
 * "tmf621", see ebond.c). The store's side: what goes into the outbox for
 * such a partner, the link of a claim to the partner's TroubleTicket, the hub
 * listener seam registered at the partner (its capability kept as a hash),
 * and the partner's TroubleTicket turned into the claim's actions. Write
 * functions run in the writer's transaction; the calls out are forward.c's
 * (through the outbox) and ebond_client.c's (the listener, polling).
 */
#ifndef SEAM_EBOND_H
#define SEAM_EBOND_H

#include <jansson.h>

#include "common.h"
#include "config.h"
#include "store.h"
#include "ticket.h"

#define EBOND_OWNER_PREFIX "ebond:" /* the outbox's owner of a message: "ebond:PARTNER" */
#define EBOND_CREATE "ebond.create" /* POST of a TroubleTicket */
#define EBOND_PATCH "ebond.patch"   /* PATCH (merge patch) of the partner's TroubleTicket */
#define EBOND_NOTE "ebond.note"     /* PATCH (JSON Patch: add /note/-) */
#define EBOND_REMOTE_MAX 128        /* the longest TroubleTicket id of a partner kept */
/* A capability: "L" and the listener's 16 hex digits, "." and the secret's 64. */
#define EBOND_CAP_LEN (1 + 16 + 1 + 64)

/*
 * After a change (in its transaction, ticket.c's push_changes): for a claim
 * of a tmf621 partner, what the partner's system is told. A new claim is
 * created there as a TroubleTicket (externalId: the claim's id; only what
 * the partner may see); on a claim linked already, the customer's answer to
 * a question is noted, a cancellation and a reopen patched. event: the
 * change's event type; text: its text (a note), or NULL.
 */
enum seam_err ebond_queue(struct store_txn *t, const struct config_partner *p,
                          const struct ticket *tk, const struct assignment *a, int created,
                          enum event_type event, const char *text) SEAM_WUR;

/*
 * The bearer token in a tmf621 partner's token_file (malloc'd, trimmed of the
 * line's end; the caller wipes and frees it), or NULL when the file cannot be
 * read, is empty or holds more than one line. Read at each call, so a
 * replaced file takes effect at once. Any thread.
 */
char *ebond_token_read(const char *file);

/* The partner's TroubleTicket id of a claim: SEAM_ENOTFOUND if none is known yet. */
enum seam_err ebond_link_get(struct store_txn *t, const char *assignment, char *out,
                             size_t cap) SEAM_WUR;
/* Records it (writer), from the answer to the creation or the first event naming it. */
enum seam_err ebond_link_put(struct store_txn *t, const char *assignment,
                             const char *remote) SEAM_WUR;
/* The same, and the claim's signed event assignment.linked (the broker's; not written, in a
 * transaction of its own, when the claim is no longer live). */
enum seam_err ebond_link_record(struct store_txn *t, const struct ticket_ctx *c,
                                const char *assignment, const char *remote) SEAM_WUR;

/*
 * The hub listener of partner (writer): a new capability (cap, EBOND_CAP_LEN
 * + 1 bytes) replaces the one stored; only its hash is kept. *rec (may be
 * NULL) the record, {"listener","hash","hub"?,"callback"}.
 */
enum seam_err ebond_listener_new(struct store_txn *t, const struct config_partner *p,
                                 char cap[EBOND_CAP_LEN + 1], char **callback) SEAM_WUR;
/* Records the partner's id of the listener once it registered it. */
enum seam_err ebond_listener_registered(struct store_txn *t, const char *partner,
                                        const char *hub_id) SEAM_WUR;
/* The stored record of partner's listener (new reference), or NULL. */
json_t *ebond_listener_get(struct store_txn *t, const char *partner);

/*
 * Whether cap is partner's listener's capability: 0 yes; 401 no listener
 * has it; 403 it is another partner's.
 */
int ebond_capability_check(struct store_txn *t, const struct config *cfg, const char *partner,
                           const char *cap);

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

/* The claims of partner linked to a TroubleTicket and still live, for polling (read). */
enum seam_err ebond_live_links(struct store_txn *t, const char *partner, json_t **links) SEAM_WUR;

/* Counters since start: statuses not in a map; callbacks refused. */
uint64_t ebond_unknown_statuses(void);

#endif
