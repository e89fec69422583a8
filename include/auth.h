/*
 * auth.h: bearer tokens and principals. A token is "seam_" and 43
 * characters of base64url (32 random bytes); the store keeps only its
 * BLAKE2b-256 hash, so a stolen store yields no token. Lookups go by that
 * hash; the stored hash is compared again in constant time.
 */
#ifndef SEAM_AUTH_H
#define SEAM_AUTH_H

#include <jansson.h>

#include "common.h"
#include "store.h"

enum role {
    ROLE_CUSTOMER = 1,
    ROLE_PARTNER = 2,
    ROLE_LEAD = 4,
    ROLE_AUDITOR = 8,
    ROLE_BROKER = 16, /* the broker itself (escalations); never a token's role */
};
#define ROLE_PUBLIC 0 /* endpoint needs no token */

struct principal {
    enum role role;
    char subject[64];  /* customer id, partner id, or the lead's user */
    char token_id[17]; /* first 16 hex digits of the token hash */
    /* The acting user (users.h), when the token was issued to one or a
     * session signed in: "SUBJECT/NAME" and its kind; "" for a principal's
     * own token. session: the credential was a session cookie. */
    char user[97]; /* USER_ID_MAX + 1 */
    char kind[16];
    int session;
};

const char *auth_role_name(enum role r);
int auth_role_parse(const char *s); /* -1 if unknown */

/*
 * From an Authorization header value: SEAM_OK, SEAM_ENOTFOUND (no valid
 * token: 401), or the store's error when it could not be read (5xx).
 */
enum seam_err auth_check(struct store_txn *t, const char *authorization,
                         struct principal *out) SEAM_WUR;

/*
 * Verifies a partner's "seam-signature: t=T,s=SIG" header for its request
 * against the partner's public key: the signature over
 * seam_partner_message() and T within SEAM_SIGNATURE_WINDOW_S of now. Being
 * a replay is not judged here: the signature is recorded with the action
 * it signed, in its transaction (replay.h). On success *out holds what goes
 * into the event (new reference); otherwise *why says what is wrong.
 */
#define SEAM_SIGNATURE_WINDOW_S 300
enum seam_err auth_partner_signature(const uint8_t pk[32], const char *header, const char *method,
                                     const char *path, const char *body, size_t len, json_t **out,
                                     const char **why) SEAM_WUR;

/*
 * In a write txn: a new token; *token (malloc'd) is the secret, shown once.
 * user (NULL: none) names the user (users.h) it is issued to, whose
 * principal role and subject are.
 */
enum seam_err auth_token_issue(struct store_txn *t, enum role role, const char *subject,
                               const char *user, char **token, char token_id[17]) SEAM_WUR;
/* Calls fn for every token record (JSON, borrowed), in hash order. */
typedef void (*auth_token_fn)(void *ctx, const json_t *token);
enum seam_err auth_token_each(struct store_txn *t, auth_token_fn fn, void *ctx) SEAM_WUR;
/* Revokes by token id (16 hex digits) or by the token itself. */
enum seam_err auth_token_revoke(struct store_txn *t, const char *id_or_token) SEAM_WUR;

#endif
