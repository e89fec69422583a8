/*
 * users.h: the people of the federation and their sessions. A user belongs
 * to one principal (auth.h): a customer record (kind "customer"; several
 * users may share one, a household), a partner ("agent" or "supervisor"),
 * the lead company ("desk" or "manager") or an audit firm ("auditor"). Its
 * id is "SUBJECT/NAME" (fibernet/alice), unique in the store; the acting
 * principal of its requests is "ROLE:SUBJECT/NAME" (partner:fibernet/alice).
 *
 * A user record is JSON: {"id","role","subject","name","kind","created_at",
 * "epoch", "password"? (crypto_pwhash_str's Argon2id string), "totp"?
 * (base32 secret), "totp_step"? (the last time step used, never taken
 * again), "disabled_at"?, "signing_key"? (a staff user's Ed25519 public
 * key, base64), "signing_key_added_at"?, "revoked_keys"? ([{"key",
 * "revoked_at"}], never taken again)}. Raising "epoch" ends every session
 * of the user (sign-out everywhere).
 *
 * A session is a random id (32 bytes, base64url) handed out once in a
 * cookie; the store keeps it only under its BLAKE2b-256 hash with {"user",
 * "epoch","created","seen","csrf"} (ms since the epoch; csrf: the token
 * state-changing requests must echo). A link (an invitation or a password
 * reset) is "seaml_" and 43 characters, also kept only as a hash, with
 * {"user","kind","expires"}; it is deleted when used.
 *
 * The databases DB_USERS, DB_SESSIONS and DB_LINKS are this module's. Every
 * function taking a store_txn reads or writes in it as its comment says;
 * the in-memory sign-in limiter (users_limit_*) is shared by the HTTP
 * threads under its own mutex.
 */
#ifndef SEAM_USERS_H
#define SEAM_USERS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "auth.h"
#include "config.h"
#include "store.h"

#define USER_ID_MAX 96   /* SUBJECT (<= 63) "/" NAME (<= 32) */
#define USER_NAME_MAX 32 /* 1-32 of a-z 0-9 . - _ */
#define SESSION_COOKIE "__Host-seam_session"
#define LINK_PREFIX "seaml_"
#define PASSWORD_MIN 10
#define PASSWORD_MAX 1024

/* The kind of a user and the role of its principal: ROLE_* of kind, or 0 if unknown. */
enum role users_kind_role(const char *kind);
/* Whether kind is staff (everything but "customer"): TOTP may be required of them. */
int users_kind_staff(const char *kind);

/* Splits "SUBJECT/NAME" (both valid): 0, or -1. subject has 64 bytes, name 33. */
int users_id_split(const char *id, char *subject, char *name);

/*
 * In a write txn: a new user without a password (SEAM_EEXIST: the id is
 * taken; SEAM_EINVAL: a bad id or kind). The caller has checked that the
 * principal exists (the partner, the customer record, the lead).
 */
enum seam_err users_add(struct store_txn *t, const char *id, const char *kind) SEAM_WUR;
/* The user's record (new reference), or SEAM_ENOTFOUND. */
enum seam_err users_load(struct store_txn *t, const char *id, json_t **out) SEAM_WUR;
/* Calls fn for every user, in id order; with subject, only that principal's. */
typedef void (*users_each_fn)(void *ctx, const json_t *user);
enum seam_err users_each(struct store_txn *t, const char *subject, users_each_fn fn,
                         void *ctx) SEAM_WUR;
/* In a write txn: disables the user (kept; its sessions and tokens stop working). */
enum seam_err users_disable(struct store_txn *t, const char *id) SEAM_WUR;
/* A user's own mail address (notices to a partner's agents, mail.notify), or none (email NULL).
 * SEAM_EINVAL for an address that is not local@domain. */
enum seam_err users_email_set(struct store_txn *t, const char *id, const char *email) SEAM_WUR;
/* In a write txn: ends every session of the user (its epoch is raised). */
enum seam_err users_end_sessions(struct store_txn *t, const char *id) SEAM_WUR;

/*
 * Personal signing keys (staff users only): in a write txn, sets the
 * user's key (the one before, if any, is revoked) or revokes it.
 * SEAM_ENOTFOUND: no such user; SEAM_ECONFLICT: disabled, or not staff;
 * SEAM_EEXIST: the key was revoked before (a revoked key is never taken
 * again); users_key_revoke with no key: SEAM_ENOTFOUND.
 */
enum seam_err users_key_set(struct store_txn *t, const char *id, const uint8_t pk[32]) SEAM_WUR;
enum seam_err users_key_revoke(struct store_txn *t, const char *id) SEAM_WUR;
/* A user record's active signing key: 0 and pk filled, or -1 (none, or disabled). */
int users_key_get(const json_t *user, uint8_t pk[32]);
/* A public key's text (44 characters of base64): 0 and pk filled, or -1. */
int users_key_parse(const char *b64, uint8_t pk[32]);

/*
 * In a write txn: a one-time link of kind "invite" or "reset" for the user,
 * valid ttl_ms from now. *link (malloc'd) is the secret, shown once.
 */
enum seam_err users_link_new(struct store_txn *t, const char *id, const char *kind, int64_t ttl_ms,
                             char **link) SEAM_WUR;
/* In a read txn: the user a link (unused, unexpired) is for; id has USER_ID_MAX + 1 bytes. */
enum seam_err users_link_peek(struct store_txn *t, const char *link, char *id) SEAM_WUR;
/*
 * In a write txn: uses the link: the user gets password_hash (from
 * users_password_hash) and, when totp_new is set and the user has no TOTP
 * secret yet, a new one, copied into totp_out (33 bytes; "" otherwise).
 * The link is deleted, every session of the user ended.
 * SEAM_ENOTFOUND: the link is unknown, used or expired, or the user disabled.
 */
enum seam_err users_link_use(struct store_txn *t, const char *link, const char *password_hash,
                             int totp_new, char *totp_out) SEAM_WUR;

/*
 * Argon2id through crypto_pwhash_str: opslimit USERS_PWHASH_OPS, memlimit
 * USERS_PWHASH_MEM (docs/operations.md says why). out has
 * crypto_pwhash_STRBYTES (128) bytes. 0, or -1 (out of memory).
 * users_password_verify: 0 if password matches hash.
 */
#define USERS_PWHASH_OPS 2u
#define USERS_PWHASH_MEM ((size_t)19 << 20)
int users_password_hash(const char *password, size_t len, char out[128]);
int users_password_verify(const char *hash, const char *password, size_t len);

/* ---- sessions ---- */

/*
 * In a write txn: a new session for the user, whose record must still have
 * epoch, not be disabled, and (totp_step > 0) not have used totp_step or a
 * later step (that step is then recorded). sid (44 bytes) is the cookie's
 * value, csrf (65 bytes) the CSRF token. SEAM_ENOTFOUND: the user is gone,
 * disabled, or signed out everywhere since; SEAM_ECONFLICT: the code was
 * used already.
 */
enum seam_err users_session_new(struct store_txn *t, const char *id, int64_t epoch,
                                int64_t totp_step, char sid[44], char csrf[65]) SEAM_WUR;

/* What a session check yields beside the principal. */
struct session_info {
    uint8_t key[32]; /* the hash the session is stored under */
    char csrf[65];
    int64_t created, seen;
    int stale; /* "seen" is old enough to be written again (users_session_touch) */
};

/*
 * In a read txn: the principal of a session cookie's value, if the session
 * exists, is within idle_ms of its last use and absolute_ms of its start,
 * and its user is active with the same epoch. SEAM_ENOTFOUND otherwise (401).
 */
enum seam_err users_session_check(struct store_txn *t, const char *sid, int64_t idle_ms,
                                  int64_t absolute_ms, struct principal *who,
                                  struct session_info *info) SEAM_WUR;
/* In a write txn: the session's last use is now (idle expiry starts again). */
enum seam_err users_session_touch(struct store_txn *t, const uint8_t key[32]) SEAM_WUR;
/* Queues users_session_touch to the writer and returns (no answer waits for it). */
void users_session_touch_submit(struct store *s, const uint8_t key[32]);
/* In a write txn: the session is gone (sign-out). */
enum seam_err users_session_end(struct store_txn *t, const uint8_t key[32]) SEAM_WUR;

/*
 * In a read txn: a token's or session's user still active (not disabled,
 * still there): SEAM_OK, SEAM_ENOTFOUND (401), or the store's error. Fills
 * who->kind.
 */
enum seam_err users_principal_check(struct store_txn *t, struct principal *who) SEAM_WUR;

/* ---- TOTP (RFC 6238): HMAC-SHA-1, 30 s steps, 6 digits ---- */

#define TOTP_STEP_S 30
/* The code of a step for a key, with digest "sha1", "sha256" or "sha512" and 6-8 digits. */
uint32_t totp_code(const uint8_t *key, size_t klen, uint64_t step, const char *digest,
                   unsigned digits);
/*
 * Whether code (6 digits) is the key's (base32) for the step of now_s or
 * one step either side; *step is the step it matched.
 */
int totp_check(const char *secret_b32, const char *code, int64_t now_s, int64_t *step);
/* Base32 (RFC 4648, no padding): decode (-1: not base32), encode. */
int base32_decode(const char *in, uint8_t *out, size_t cap, size_t *len);
void base32_encode(const uint8_t *in, size_t n, char *out);

/* ---- failed sign-ins ---- */

/*
 * Failed sign-ins per account and per client address: after max failures
 * (within 15 minutes of each other) the key is locked for base_ms, doubled
 * for each failure past max, at most an hour. users_limit_check: 0, or the
 * milliseconds until the key unlocks. A success clears the account's count.
 */
int64_t users_limit_check(const char *key, int64_t now);
void users_limit_fail(const char *key, unsigned max, int64_t base_ms, int64_t now);
void users_limit_clear(const char *key);

#endif
