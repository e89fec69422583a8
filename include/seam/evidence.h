/*
 * seam/evidence.h: the public evidence library of seam.
 *
 * Everything a third party needs to check seam's evidence offline with only
 * the broker's Ed25519 public key: RFC 6962 Merkle hashing, inclusion and
 * consistency proofs (generation from a node store, and verification as in
 * RFC 9162 section 2.1), C2SP signed-note checkpoints, event signatures, and
 * the verification of one ticket's exported evidence document.
 *
 * The library has no global state and is safe to call from any thread.
 * It depends on libsodium (sodium_init() must have run) and Jansson.
 *
 * Return convention: 0 on success, -1 on failure; functions that take an
 * err buffer write a one-line reason there on failure.
 */
#ifndef SEAM_EVIDENCE_H
#define SEAM_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SEAM_HASH_LEN 32
#define SEAM_PK_LEN 32
#define SEAM_SK_LEN 64
#define SEAM_SIG_LEN 64
/* A proof has at most one hash per tree level, plus one (consistency). */
#define SEAM_PROOF_MAX 65

/*
 * Names of the evidence document formats, their "format" field: /1 holds
 * every event whole; /2 is one principal's view (events it may not see
 * given by hash only, restricted content by disclosure). See
 * seam_evidence_verify.
 */
#define SEAM_EVIDENCE_FORMAT "seam-evidence/1"
#define SEAM_EVIDENCE_FORMAT_VIEW "seam-evidence/2"

/* Domain-separation prefixes of the broker's signatures. */
#define SEAM_EVENT_CONTEXT "seam.event.v1"
#define SEAM_HEAD_CONTEXT "seam.head.v1"
#define SEAM_PARTNER_CONTEXT "seam.partner.v1"

/*
 * What a partner signs for a request (Ed25519 with SEAM_PARTNER_CONTEXT):
 * "METHOD\nPATH\nTIMESTAMP\nhex(SHA-256(body))". malloc'd. The header is
 * "seam-signature: t=TIMESTAMP,s=base64(signature)".
 */
char *seam_partner_message(const char *method, const char *path, long long timestamp,
                           const void *body, size_t len);
/* The same from the body's SHA-256 in hex, as events keep it. */
char *seam_partner_message_hex(const char *method, const char *path, long long timestamp,
                               const char *body_sha256_hex);

/*
 * Checks the partners' own signatures kept in an evidence document's events
 * (data.partner_signature), each with the key key_of(ctx, partner id) gives
 * (NULL: that partner's are counted as unchecked). Returns 0 if every
 * checked one verifies; *checked and *unchecked count them.
 */
typedef const uint8_t *(*seam_partner_key_fn)(void *ctx, const char *partner);
int seam_evidence_partner_signatures(const char *doc, size_t len, seam_partner_key_fn key_of,
                                     void *ctx, size_t *checked, size_t *unchecked, char *err,
                                     size_t errlen);
/*
 * The same for the users' personal signatures (data.user_signature, the
 * signing user's id in its "user"). A user may have had several keys (one
 * at a time, revoked in turn): key_of(ctx, user id, i) gives the i-th key
 * given for the user (i from 0; NULL past the last), and a signature
 * verifies if it does with any of them.
 */
typedef const uint8_t *(*seam_user_key_fn)(void *ctx, const char *user, size_t i);
int seam_evidence_user_signatures(const char *doc, size_t len, seam_user_key_fn key_of, void *ctx,
                                  size_t *checked, size_t *unchecked, char *err, size_t errlen);

/* RFC 6962: SHA-256(0x00 || data). */
void seam_leaf_hash(const void *data, size_t len, uint8_t out[SEAM_HASH_LEN]);
/* RFC 6962: SHA-256(0x01 || left || right). */
void seam_node_hash(const uint8_t left[SEAM_HASH_LEN], const uint8_t right[SEAM_HASH_LEN],
                    uint8_t out[SEAM_HASH_LEN]);
/* Plain SHA-256, and its lower-case hex (65 bytes with the NUL). */
void seam_sha256(const void *data, size_t len, uint8_t out[SEAM_HASH_LEN]);
void seam_sha256_hex(const void *data, size_t len, char out[2 * SEAM_HASH_LEN + 1]);

/*
 * A node store: writes the hash of the perfect subtree at `level` whose
 * leftmost leaf is index << level. Returns 0, or -1 if it has no such node.
 */
typedef int (*seam_node_fn)(void *ctx, unsigned level, uint64_t index, uint8_t out[SEAM_HASH_LEN]);

/* Merkle tree hash of the first `size` leaves (size 0: SHA-256 of ""). */
int seam_merkle_root(seam_node_fn get, void *ctx, uint64_t size, uint8_t out[SEAM_HASH_LEN]);

/* Inclusion proof of leaf `index` in the tree of `size` leaves; *n hashes. */
int seam_merkle_inclusion(seam_node_fn get, void *ctx, uint64_t index, uint64_t size,
                          uint8_t proof[SEAM_PROOF_MAX][SEAM_HASH_LEN], size_t *n);

/* Consistency proof between tree sizes m <= size; *n hashes. */
int seam_merkle_consistency(seam_node_fn get, void *ctx, uint64_t m, uint64_t size,
                            uint8_t proof[SEAM_PROOF_MAX][SEAM_HASH_LEN], size_t *n);

/* RFC 9162 2.1.3.2. Returns 0 if the proof leads from leaf to root. */
int seam_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[SEAM_HASH_LEN],
                          const uint8_t (*proof)[SEAM_HASH_LEN], size_t n,
                          const uint8_t root[SEAM_HASH_LEN]);

/* RFC 9162 2.1.4.2. Returns 0 if root1 (size1) is a prefix of root2 (size2). */
int seam_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t root1[SEAM_HASH_LEN],
                            const uint8_t root2[SEAM_HASH_LEN],
                            const uint8_t (*proof)[SEAM_HASH_LEN], size_t n);

/*
 * Signs a checkpoint as a C2SP signed note: body "origin\nsize\nbase64(root)\n",
 * a blank line, and "\u2014 origin base64(keyid||sig)\n". *out is malloc'd.
 */
int seam_checkpoint_sign(const char *origin, uint64_t size, const uint8_t root[SEAM_HASH_LEN],
                         const uint8_t sk[SEAM_SK_LEN], char **out);

/*
 * Verifies a checkpoint note against pk. On success writes its size and root
 * and, if origin is not NULL, copies its origin line (at most origin_len-1
 * bytes) there. The note must be byte-exact: one signature line by origin.
 */
int seam_checkpoint_verify(const char *note, const uint8_t pk[SEAM_PK_LEN], char *origin,
                           size_t origin_len, uint64_t *size, uint8_t root[SEAM_HASH_LEN],
                           char *err, size_t errlen);

/*
 * A checkpoint with its witnesses' cosignatures (C2SP tlog-cosignature):
 * the log's note (its text and its one signature line by its origin)
 * followed by other signature lines, "\u2014 NAME BASE64\n" each.
 * seam_checkpoint_split writes the length of the log's own note, and
 * returns 0 if every line after it is a well-formed signature line (there
 * may be none), -1 otherwise.
 */
int seam_checkpoint_split(const char *note, size_t *log_len);

/*
 * Finds among the note's signature lines a cosignature/v1 (Ed25519) by the
 * witness (name, pk) over the note's text, and checks it: 0 and *ts (its
 * POSIX time, if ts is not NULL) if one verifies, -1 otherwise.
 */
int seam_cosignature_verify(const char *note, const char *name, const uint8_t pk[SEAM_PK_LEN],
                            uint64_t *ts);

/*
 * A witness's verifier key as C2SP signed notes write it,
 * "NAME+HEXKEYID+BASE64(0x04 || Ed25519 public key)" (0x04: cosignature/v1;
 * the key ID is SHA-256(NAME || "\n" || 0x04 || key)[:4]). Writes the name
 * (NUL-terminated; at most name_len-1 bytes) and the key; 0 or -1. The
 * text of the vkey of (name, pk) is seam_witness_vkey (malloc'd).
 */
#define SEAM_WITNESS_NAME_MAX 256
int seam_witness_vkey_parse(const char *vkey, char *name, size_t name_len, uint8_t pk[SEAM_PK_LEN]);
char *seam_witness_vkey(const char *name, const uint8_t pk[SEAM_PK_LEN]);

/* A witness whose cosignature an evidence document must carry. */
struct seam_witness {
    char name[SEAM_WITNESS_NAME_MAX];
    uint8_t pk[SEAM_PK_LEN];
};

/*
 * seam_evidence_verify, then the witnesses: the checkpoint the document's
 * proofs lead to must carry a valid cosignature by at least `needed` of the
 * n witnesses (needed 0: all n). On failure err names each witness whose
 * cosignature is missing or does not verify.
 */
int seam_evidence_verify_witnessed(const char *doc, size_t len, const uint8_t pk[SEAM_PK_LEN],
                                   const struct seam_witness *w, size_t n, size_t needed,
                                   size_t *n_events, char *err, size_t errlen);

/* Ed25519 over context || 0x00 || msg. */
void seam_sign_ctx(const char *context, const void *msg, size_t len, const uint8_t sk[SEAM_SK_LEN],
                   uint8_t sig[SEAM_SIG_LEN]);
int seam_verify_ctx(const char *context, const void *msg, size_t len,
                    const uint8_t sig[SEAM_SIG_LEN], const uint8_t pk[SEAM_PK_LEN]);

/* Standard base64 with padding; decode accepts only the canonical form. */
char *seam_b64_encode(const uint8_t *in, size_t n); /* malloc'd */
int seam_b64_decode(const char *in, uint8_t *out, size_t out_len, size_t *n);

/* Reads a public key: 44 characters of base64 ("whpk_" may precede them), or a file holding
 * them. */
int seam_pubkey_parse(const char *text, uint8_t pk[SEAM_PK_LEN]);

/*
 * Restricted content of an event (event format 2). The signed event does
 * not hold a restricted member of its data: its "sd" array holds the
 * lower-case hex SHA-256 of the member's disclosure, the canonical JSON text
 * ["salt","name",value] with a random 128-bit salt (unpadded base64url), as
 * SD-JWT (RFC 9901) does. Whoever is given the disclosure can check it
 * against the signed digest; whoever is not learns nothing of the value.
 *
 * seam_disclosure_new makes one for member name with value (any JSON),
 * salted from libsodium's randombytes: the text (malloc'd) and its digest.
 */
char *seam_disclosure_new(const char *name, const json_t *value,
                          char digest[2 * SEAM_HASH_LEN + 1]);
/*
 * The same from a value's text, which must be canonical JSON already (as
 * Jansson writes it with JSON_SORT_KEYS | JSON_COMPACT: a member of a
 * canonical object's text is), for a writer that never builds the value as
 * a tree. The name must need no escaping (letters, digits, '_', '-', '.'):
 * NULL otherwise.
 */
char *seam_disclosure_text(const char *name, const char *value, size_t vlen,
                           char digest[2 * SEAM_HASH_LEN + 1]);

/*
 * Checks one disclosure's form (canonical JSON array of a salt of 22
 * base64url characters, a member name and a value) and writes its digest;
 * on success *name and *value are borrowed from *parsed (a new reference the
 * caller releases). Returns 0 or -1.
 */
int seam_disclosure_parse(const char *text, char digest[2 * SEAM_HASH_LEN + 1], json_t **parsed,
                          const char **name, json_t **value);

/*
 * The event opened: the signed event's JSON (bytes) with each disclosure's
 * member put back into its data; NULL if the bytes are not JSON or a
 * disclosure is malformed, not among the event's digests, or names a member
 * its data has. A new reference. Events of format 1 have no disclosures.
 */
json_t *seam_event_open(const char *bytes, const char *const *disclosures, size_t n);

/*
 * Verifies one ticket's evidence document (as produced by GET
 * /v1/tickets/{id}/evidence and seamctl export) with only the public key:
 * the document must be byte-exact canonical JSON (plus one final newline),
 * every event's broker signature, chain (seq, prev) and inclusion proof must
 * hold, the checkpoint must be signed by pk, and the signed head must cover
 * the last event.
 *
 * Format /2 (one principal's view) also allows, in place of an event, its
 * hash alone ({"hash": hex SHA-256 of its bytes}): the chain runs through
 * it (the next event's prev, or the head's last, must be that hash), so
 * nothing is removed, added or reordered unseen, but its content is not
 * shown. A shown event carries "disclosures" (strings), each of which must
 * be well formed and hash to one of the event's signed "sd" digests, once.
 * The signed head also names the view ("view": lead, auditor,
 * customer:ID, partner:ID).
 *
 * Either format's checkpoint may carry the witnesses' cosignature lines
 * after the broker's (seam_checkpoint_split); the signed head then holds
 * "checkpoint_sha256", the SHA-256 (hex) of the whole note, so that no line
 * of it can change unseen. The cosignatures themselves are checked only by
 * seam_evidence_verify_witnessed, against keys the caller trusts. On
 * success, if n_events is not NULL, writes the count of events (shown or
 * not).
 */
int seam_evidence_verify(const char *doc, size_t len, const uint8_t pk[SEAM_PK_LEN],
                         size_t *n_events, char *err, size_t errlen);

#endif
