/*
 * ebond.h: partners whose own systems speak TMF621 v4 (delivery mode
 * "tmf621", see ebond.c). The store's side, below the state machine: what
 * goes into the outbox for such a partner (ticket.c calls it in the change's
 * transaction), the link of a claim to the partner's TroubleTicket, the hub
 * listener seam registered at the partner (its capability kept as a hash)
 * and the partner's token file. What a TroubleTicket of the partner means
 * for its claim is ebond_client.h's (it acts through ticket.h); the calls
 * out are forward.c's (through the outbox) and ebond_client.c's (the
 * listener, polling).
 */
#ifndef SEAM_EBOND_H
#define SEAM_EBOND_H

#include <jansson.h>

#include "common.h"
#include "config.h"
#include "store.h"
#include "seam/ticket.h"

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
/* Calls fn for each claim linked to a TroubleTicket (claim id, TroubleTicket id) until it returns
 * non-zero. A read. */
typedef int (*ebond_link_fn)(void *ctx, const char *assignment, const char *remote);
enum seam_err ebond_links_each(struct store_txn *t, ebond_link_fn fn, void *ctx) SEAM_WUR;

/* Records status as the last of the claim's TroubleTicket (writer): *changed whether it differs
 * from the one recorded before (a status is acted on once, when it changes). */
enum seam_err ebond_seen_update(struct store_txn *t, const char *assignment, const char *status,
                                int *changed) SEAM_WUR;

/*
 * The partner's notes on a claim's TroubleTicket (writer): how many of them seam has taken
 * (*n, 0 at first), and the same set; the notes seam itself sent there (a hash of each text,
 * recorded when it is queued), so that they do not come back as the partner's:
 * ebond_note_take_sent answers 1 (and forgets it) for such a text, 0 otherwise.
 */
enum seam_err ebond_notes_taken(struct store_txn *t, const char *assignment, size_t *n) SEAM_WUR;
enum seam_err ebond_notes_set_taken(struct store_txn *t, const char *assignment, size_t n) SEAM_WUR;
enum seam_err ebond_note_take_sent(struct store_txn *t, const char *assignment, const char *text,
                                   int *sent) SEAM_WUR;

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

#endif
