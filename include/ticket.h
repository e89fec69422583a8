/*
 * ticket.h: tickets, their assignments and their events, and the customer
 * records tickets belong to. Write functions run in the writer's
 * transaction (store_job apply); read functions in any read transaction.
 * A ticket record is JSON (the broker's own state); the views returned to
 * principals are built from it by ticket_view.
 */
#ifndef SEAM_TICKET_H
#define SEAM_TICKET_H

#include <jansson.h>

#include "auth.h"
#include "common.h"
#include "config.h"
#include "evlog.h"
#include "store.h"

#define SUMMARY_MAX 200
#define DESCRIPTION_MAX 8000

struct ticket_ctx {
    const struct config *cfg;
    const struct evlog *lg;
};

struct ticket_input {
    char *summary, *description, *service, *symptom, *equipment; /* service, equipment optional */
    int priority;
};

/* Creates a ticket filed by the customer `who`; *record is a new reference. */
enum seam_err ticket_create(struct store_txn *t, const struct ticket_ctx *c,
                            const struct principal *who, const struct ticket_input *in,
                            json_t **record) SEAM_WUR;

/* Loads a ticket record (new reference); SEAM_ENOTFOUND if there is none. */
enum seam_err ticket_load(struct store_txn *t, const char *id, json_t **record) SEAM_WUR;

/* Whether who may see the ticket at all (a customer: only its own). */
int ticket_visible(const json_t *record, const struct principal *who);

/* What who sees of the record: the customer's one face, or the lead's view. */
json_t *ticket_view(const json_t *record, const struct principal *who);

/* A page of who's tickets, newest first, after cursor (a ticket id or NULL). */
enum seam_err ticket_list(struct store_txn *t, const struct principal *who, const char *cursor,
                          unsigned limit, json_t **page) SEAM_WUR;

/* Customers: {"id","name","bundle","region","contact"?,"created_at"}. */
enum seam_err customer_add(struct store_txn *t, const struct config *cfg, const char *id,
                           const char *name, const char *bundle, const char *region,
                           const char *contact) SEAM_WUR;
enum seam_err customer_load(struct store_txn *t, const char *id, json_t **record) SEAM_WUR;

/*
 * Checks every ticket record against its signed creation event: the fields
 * the customer filed, the customer, bundle and region must be what the event
 * says. Calls report per problem; returns the number of problems.
 */
uint64_t ticket_verify_records(struct store_txn *t, evlog_report_fn report, void *ctx);

/* Whether s could be a ticket id (shape only). */
int ticket_id_valid(const char *s);

#endif
