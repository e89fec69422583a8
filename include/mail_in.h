/*
 * mail_in.h: e-mail in (see mail_in.c). A thread fetches new messages from
 * the mailbox of $.mail.imap_url and applies each once: a customer's reply
 * to a notification becomes a note on its ticket, a new mail from a known
 * customer to the support address files a complaint, and everything else
 * goes to the lead's triage queue. The parser is public for its tests.
 */
#ifndef SEAM_MAIL_IN_H
#define SEAM_MAIL_IN_H

#include <stddef.h>

#include <jansson.h>

#include "common.h"
#include "server.h"
#include "store.h"
#include "ticket.h"

/* What the parser took from one message; every string is UTF-8 and owned. */
struct mail_parsed {
    char *message_id; /* "<...>"; a digest of the bytes when the message has none */
    char *from;       /* the sender's address ("" when there is none) */
    char *subject;    /* decoded (RFC 2047) */
    char *refs;       /* In-Reply-To and References, as written */
    char **to;        /* the addresses of To and Cc */
    size_t nto;
    char *text;          /* the text/plain body, decoded, quoted history stripped */
    int automatic;       /* Auto-Submitted (not "no") or Precedence bulk/list/junk */
    const char *problem; /* why it cannot be applied (static text), or NULL */
};

/*
 * Parses raw[0..len): the head (unfolded, encoded words decoded, at most
 * MAIL_MAX_HEADERS fields), and the first text/plain part (nested
 * multiparts up to MAIL_MAX_DEPTH, base64 and quoted-printable, UTF-8,
 * US-ASCII or ISO-8859-1). Never fails: what it cannot read is named in
 * problem. mail_parsed_free frees it.
 */
#define MAIL_MAX_HEADERS 500
#define MAIL_MAX_DEPTH 8
void mail_parse(const char *raw, size_t len, struct mail_parsed *out);
void mail_parsed_free(struct mail_parsed *m);

/* A header value with its RFC 2047 encoded words decoded (UTF-8). Free it. */
char *mail_decode_words(const char *s);

/* The reply's own text: quoted history ("> " lines and the attribution line before them, an
 * "Original Message" block) and the signature ("-- ") cut off, blank ends trimmed. Free it. */
char *mail_strip_quoted(const char *text);

/* The ticket a reply refers to: the first id <TICKET[.…]@domain> in refs whose domain is ours
 * and whose ticket part is a ticket id's shape; 0 and tid set, or -1. */
int mail_ticket_ref(const char *refs, const char *domain, char *tid, size_t tidsz);

/*
 * The lead's triage queue: a page of items oldest first after cursor (an
 * item id or NULL), of one state ("open", "attached", "filed", "dismissed";
 * NULL: all). Resolved items stay, with their state, "resolved_at" and
 * "resolved_by"; nothing is ever deleted.
 */
enum seam_err mail_triage_list(struct store_txn *t, const char *cursor, const char *state,
                               unsigned limit, json_t **page) SEAM_WUR;

/*
 * Resolving an open triage item, once (the lead's desk), in a write txn:
 * "attach" makes its text a note on ticket, spoken by the ticket's
 * customer; "file" files it as a new complaint of customer (NULL: the
 * sender's) with $.mail.complaint_facts; "dismiss" keeps reason. Attaching
 * or filing for a customer whose address is not the sender's needs
 * confirm_sender. The item records its new state, by and when, and the
 * ticket. SEAM_ENOTFOUND: no such item; SEAM_ECONFLICT: resolved already, or
 * the ticket takes no note; SEAM_EINVAL: res->why (and res->field) say why.
 */
struct mail_triage_op {
    const char *id, *op; /* the item ("tri_..."); "attach", "file" or "dismiss" */
    const char *ticket, *customer, *reason;
    int confirm_sender;
    const char *by; /* who resolves it ("lead:northwind/mary") */
};
struct mail_triage_result {
    json_t *item;     /* the item after (new reference) */
    struct ticket tk; /* the ticket noted or filed, when has_ticket */
    int has_ticket;
    const char *why, *field;
};
enum seam_err mail_triage_resolve(struct store_txn *t, const struct ticket_ctx *c,
                                  const struct mail_triage_op *op,
                                  struct mail_triage_result *res) SEAM_WUR;

struct mail_in;
/* Starts the fetching thread if $.mail.imap_url is set (else NULL). */
struct mail_in *mail_in_start(struct server *srv);
/* Stops and frees it, before the writer stops; NULL is a no-op. */
void mail_in_stop(struct mail_in *m);
/* Messages applied, found applied already, and put in the triage queue since start. */
void mail_in_counts(uint64_t *applied, uint64_t *duplicates, uint64_t *triaged);

#endif
