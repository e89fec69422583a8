/*
 * mail_out.h: notifications by e-mail (see mail_out.c). What a ticket's
 * change means for its customer and for the partners that asked to be told
 * becomes mail in the outbox (outbox.h, channel "mail"), in the change's own
 * transaction; the forwarder (forward.c) hands it to the SMTP relay.
 */
#ifndef SEAM_MAIL_OUT_H
#define SEAM_MAIL_OUT_H

#include <jansson.h>

#include "common.h"
#include "ticket.h"

/* The configuration the observer reads (immutable while serving); main sets it once. */
void mail_out_init(const struct config *cfg);

/*
 * The fan-out observer (fanout.h; main registers it): in the writer's
 * transaction of a ticket's change, queues the mails it means. status_before:
 * the ticket's status before (-1: a filing); event: the event written. The
 * new assignments are those the last event made (event_seq); the claim of an
 * SLA warning is named by its event. Nothing when $.mail is absent.
 */
enum seam_err mail_notify(struct store_txn *t, const struct ticket *tk, int status_before,
                          enum event_type event) SEAM_WUR;

/* The head of one message. */
struct mail_head {
    const char *from, *to, *subject;
    const char *message_id;       /* "<...@...>" */
    const char *in_reply_to;      /* NULL: none */
    const char *references;       /* NULL: none */
    const char *list_unsubscribe; /* NULL: none */
    int64_t date_ms;
};

/*
 * The whole message (CRLF line ends): Date, From, To, Subject (RFC 2047
 * encoded where it is not plain ASCII or is long), Message-ID, the
 * threading and List-Unsubscribe headers, MIME-Version and a text/plain;
 * charset=utf-8 body in quoted-printable. Free it.
 */
char *mail_compose(const struct mail_head *h, const char *body);

/* The subject as an RFC 2047 header value (B encoding, words of at most 75 characters, folded).
 * Free it. */
char *mail_encode_subject(const char *subject);

/* The domain of the Message-IDs (the from address's), borrowed. */
const char *mail_domain(const struct config *cfg);

#endif
