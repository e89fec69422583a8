/*
 * witness.h: C2SP tlog-witness and tlog-cosignature (Ed25519,
 * cosignature/v1) for the broker's checkpoints. A witness keeps, per log,
 * the last checkpoint it cosigned; it cosigns a new one only if a
 * consistency proof shows it extends that one, so a log that forks its
 * history (a restored backup that writes) is refused by every witness.
 * Pure functions: the caller serialises requests and persists the state.
 */
#ifndef SEAM_WITNESS_H
#define SEAM_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define WITNESS_ORIGIN_MAX 256

/* What a witness remembers of one log: its latest cosigned checkpoint. */
struct witness_state {
    char origin[WITNESS_ORIGIN_MAX];
    uint64_t size;
    uint8_t root[32];
};

/*
 * The note signature line ("\u2014 name base64(keyid||timestamp||sig)\n",
 * malloc'd) cosigning the checkpoint body (its origin, size and root lines,
 * each with its newline) at POSIX time ts, by the witness's key sk.
 */
char *witness_cosign(const char *name, const uint8_t sk[64], const char *body, size_t blen,
                     uint64_t ts);

/*
 * Finds among the note's signature lines a cosignature by (name, pk) over the
 * note's body and checks it. Returns 0 and *ts (its time) if one verifies,
 * -1 otherwise.
 */
int witness_cosig_verify(const char *name, const uint8_t pk[32], const char *note, uint64_t *ts);

/*
 * Handles one add-checkpoint request body (req, len bytes) for the log of
 * origin st->origin signed by log_pk, as C2SP tlog-witness says: returns the
 * HTTP status (200, 400, 403, 404, 409, 422); *resp (malloc'd) is the body to
 * answer with and *ctype its content type; why says what was wrong. On 200
 * *next is the state to persist before answering (st is not changed).
 */
int witness_add_checkpoint(const struct witness_state *st, const uint8_t log_pk[32],
                           const char *name, const uint8_t sk[64], const char *req, size_t len,
                           struct witness_state *next, char **resp, const char **ctype, char *why,
                           size_t whylen);

/* `seam-partner witness ARGS` (partners/witness_serve.c): serves until SIGTERM. */
int witness_main(int argc, char **argv);

#endif
