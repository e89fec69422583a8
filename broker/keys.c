/*
 * keys.c: generating, storing and loading the broker's signing key. The
 * secret file is created with O_EXCL and mode 0600 and is never
 * overwritten; loading refuses a secret file others may read.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "log.h"
#include "seam/evidence.h"

static enum seam_err
write_new(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return errno == EEXIST ? SEAM_EEXIST : SEAM_EIO;
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    if (w != (ssize_t)len || fsync(fd) != 0) {
        close(fd);
        unlink(path);
        return SEAM_EIO;
    }
    close(fd);
    return SEAM_OK;
}

enum seam_err
keys_generate(const char *dir, struct keys *out)
{
    char *skp = xasprintf("%s/broker.key", dir), *pkp = xasprintf("%s/broker.pub", dir);
    char *sk64 = NULL, *pk64 = NULL, *line = NULL;
    struct keys k;
    enum seam_err rc;
    crypto_sign_keypair(k.pk, k.sk);
    sk64 = seam_b64_encode(k.sk, 64);
    line = xasprintf("%s\n", sk64);
    rc = write_new(skp, line, 0600);
    if (rc != SEAM_OK)
        goto out;
    free(line);
    pk64 = seam_b64_encode(k.pk, 32);
    line = xasprintf("%s\n", pk64);
    unlink(pkp); /* the public half follows the secret one */
    rc = write_new(pkp, line, 0644);
    if (rc != SEAM_OK) {
        unlink(skp);
        goto out;
    }
    *out = k;
out:
    if (sk64)
        sodium_memzero(sk64, strlen(sk64));
    if (line)
        sodium_memzero(line, strlen(line));
    free(sk64);
    free(pk64);
    free(line);
    free(skp);
    free(pkp);
    sodium_memzero(&k, sizeof(k));
    return rc;
}

enum seam_err
keys_load(const char *dir, struct keys *out)
{
    char *skp = xasprintf("%s/broker.key", dir), *pkp = xasprintf("%s/broker.pub", dir);
    char *text = NULL;
    struct keys k;
    struct stat st;
    size_t n;
    enum seam_err rc = SEAM_ECRYPTO;

    if (stat(skp, &st) != 0) {
        rc = SEAM_ENOTFOUND;
        goto out;
    }
    if (st.st_mode & 077) {
        char real[PATH_MAX];
        const char *p = realpath(skp, real) != NULL ? real : skp;
        log_warnx("keys: %s may be read by others (mode %04o); fix it with: chmod 600 %s", p,
                  (unsigned)(st.st_mode & 07777), p);
        goto out;
    }
    if (read_file(skp, 256, &text, &n) != SEAM_OK)
        goto out;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    if (seam_b64_decode(text, k.sk, 64, &n) != 0 || n != 64)
        goto out;
    sodium_memzero(text, strlen(text));
    free(text);
    text = NULL;
    if (seam_pubkey_parse(pkp, k.pk) != 0)
        goto out;
    uint8_t derived[32];
    crypto_sign_ed25519_sk_to_pk(derived, k.sk);
    if (sodium_memcmp(derived, k.pk, 32) != 0) {
        log_warnx("keys: broker.pub does not belong to broker.key");
        goto out;
    }
    *out = k;
    rc = SEAM_OK;
out:
    if (text) {
        sodium_memzero(text, strlen(text));
        free(text);
    }
    sodium_memzero(&k, sizeof(k));
    free(skp);
    free(pkp);
    return rc;
}

char *
keys_public_b64(const struct keys *k)
{
    return seam_b64_encode(k->pk, 32);
}

void
keys_wipe(struct keys *k)
{
    sodium_memzero(k, sizeof(*k));
}
