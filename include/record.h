/*
 * record.h: how a ticket is stored. The only code that knows the record's
 * encoding; everything else works on struct ticket (seam/ticket.h).
 */
#ifndef SEAM_RECORD_H
#define SEAM_RECORD_H

#include <stddef.h>

#include "common.h"
#include "store.h"
#include "seam/ticket.h"

/* Decodes a stored record into *out (ticket_free); SEAM_ECORRUPT if it is not one. */
enum seam_err record_decode(const void *bytes, size_t len, struct ticket *out) SEAM_WUR;

/* The record's text (malloc'd); with_head 0: without the event-chain head (the lead's view). */
char *record_encode(const struct ticket *t, int with_head, size_t *len);

/* Loads the ticket id; SEAM_ENOTFOUND if there is none. */
enum seam_err record_load(struct store_txn *t, const char *id, struct ticket *out) SEAM_WUR;

/* Stores the ticket (store_flags as store_put); SEAM_ETOOBIG past max_bytes (> 0): nothing stored.
 */
enum seam_err record_save(struct store_txn *t, const struct ticket *tk, unsigned store_flags,
                          size_t max_bytes) SEAM_WUR;

#endif
