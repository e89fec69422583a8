/*
 * outbox.h: the transactional outbox of push deliveries, in the store.
 * A message is written in the same transaction as the event it announces,
 * so a committed change is never lost for its partner; the forwarder
 * (forward.c) sends what is due and records each attempt's result here.
 *
 * A message: {"id" (the webhook-id: "msg_" and 32 hex digits, 48 bits of the
 * time in ms and 80 random bits; the same for every try and redelivery of
 * the message, never given to another, in this store or any other, restored
 * backups included; messages of before keep theirs, "msg_" and their
 * number in 16 hex digits), "seq", "partner", "url", "ticket",
 * "assignment", "type", "body" (the exact bytes to send), "state"
 * (pending, delivered, failed, disabled), "attempts", "next_at" (ms),
 * "created_at", "delivered_at"?, "last_status"?, "last_error"?}.
 */
#ifndef SEAM_OUTBOX_H
#define SEAM_OUTBOX_H

#include <jansson.h>

#include "common.h"
#include "config.h"
#include "store.h"

#define OUTBOX_ID_LEN 36 /* "msg_" and 32 hex digits */

/* Queues body (stolen) for partner, due now. */
enum seam_err outbox_enqueue(struct store_txn *t, const struct config_partner *p,
                             const char *ticket, const char *assignment, const char *type,
                             json_t *body) SEAM_WUR;

/* The same with a body that is JSON text already (copied). */
enum seam_err outbox_enqueue_text(struct store_txn *t, const struct config_partner *p,
                                  const char *ticket, const char *assignment, const char *type,
                                  const char *text, size_t len) SEAM_WUR;

/*
 * 1 if a message was queued (in a transaction that may yet have failed)
 * since the last call: whether the sender has anything new to look at.
 */
int outbox_take_news(void);
/* Every message stored, sent or not: how many, and each (its key and its JSON text). */
uint64_t outbox_count(struct store_txn *t);
enum seam_err outbox_scan(struct store_txn *t, store_scan_fn fn, void *ctx) SEAM_WUR;
/* Messages waiting for a try or a retry, on every channel (no scan: the count of the due index). */
uint64_t outbox_pending(struct store_txn *t);

/* The same to any endpoint: owner names it in the outbox (a partner id, "hub:ID"). */
enum seam_err outbox_enqueue_to(struct store_txn *t, const char *owner, const char *url,
                                const char *ticket, const char *assignment, const char *type,
                                json_t *body) SEAM_WUR;

/*
 * Queues an e-mail (mail_out.c): message is the whole RFC 5322 text (taken),
 * sent over SMTP to url from from to rcpt; message_id its Message-ID. The
 * message carries "channel": "mail", "mail_from", "rcpt" and "message_id"
 * besides the usual members; owner names it ("mail:customer:ID",
 * "mail:partner:ID").
 */
enum seam_err outbox_enqueue_mail(struct store_txn *t, const char *owner, const char *url,
                                  const char *from, const char *rcpt, const char *ticket,
                                  const char *assignment, const char *type, const char *message_id,
                                  char *message) SEAM_WUR;
/* A message's channel: "mail", "tmf" (a TMF621 hub's), "ebond" (a tmf621 partner's system)
 * or "webhook" (a partner's push). */
const char *outbox_channel(const json_t *m);

/* Up to max messages due at now (not in skip), oldest due first; *next: the next due time. */
typedef int (*outbox_skip_fn)(void *ctx, uint64_t seq);
enum seam_err outbox_due(struct store_txn *t, int64_t now, unsigned max, outbox_skip_fn skip,
                         void *ctx, json_t **messages, int64_t *next) SEAM_WUR;

/* What one attempt gave. status 0: no HTTP answer (error says why). */
struct outbox_attempt {
    uint64_t seq;
    long status;
    char error[128];
    long retry_after_s; /* from a 429 or 503, or -1 */
    int refused;        /* not sent: the stored message differs from the signed events */
};

/*
 * Records an attempt: failed at once when refused (never sent: the message
 * differs from the signed events); delivered on 2xx; disabled on 410; otherwise retried
 * along the schedule (with jitter, Retry-After honoured) until it is spent,
 * then failed. *dead is set when this attempt made the message a dead letter
 * (failed or disabled); *message is the updated message (new reference).
 */
enum seam_err outbox_record(struct store_txn *t, const struct config *cfg,
                            const struct outbox_attempt *a, int *dead, json_t **message) SEAM_WUR;

/* Whether pushes to partner are disabled (after a 410); redeliver enables them. */
int outbox_partner_disabled(struct store_txn *t, const char *partner);

/* A page of messages, newest first, filtered by state and partner (NULL: any). */
enum seam_err outbox_list(struct store_txn *t, const char *state, const char *partner,
                          const char *cursor, unsigned limit, json_t **page) SEAM_WUR;

/* The same, only the messages of channel (outbox_channel; NULL: any). */
enum seam_err outbox_list_channel(struct store_txn *t, const char *state, const char *partner,
                                  const char *channel, const char *cursor, unsigned limit,
                                  json_t **page) SEAM_WUR;

/* Sends a message again from its first try, with its id; re-enables its partner. */
enum seam_err outbox_redeliver(struct store_txn *t, const char *id, json_t **message) SEAM_WUR;

#endif
