/*
 * keys.h: the broker's Ed25519 key pair, kept in the data directory as
 * broker.key (secret, base64 of 64 bytes, mode 0600) and broker.pub
 * (base64 of 32 bytes). Loaded once at start; read-only afterwards.
 */
#ifndef SEAM_KEYS_H
#define SEAM_KEYS_H

#include <stdint.h>

#include "common.h"

struct keys {
    uint8_t pk[32];
    uint8_t sk[64];
};

/* Creates a new pair in dir; SEAM_EEXIST if broker.key exists. */
enum seam_err keys_generate(const char *dir, struct keys *out) SEAM_WUR;
/* Loads the pair from dir and checks that the halves belong together. */
enum seam_err keys_load(const char *dir, struct keys *out) SEAM_WUR;
/* Base64 of the public key; malloc'd. */
char *keys_public_b64(const struct keys *k);
/* Wipes the secret half. */
void keys_wipe(struct keys *k);

#endif
