/*
 * witness.c: C2SP tlog-witness add-checkpoint and tlog-cosignature/v1 over
 * Ed25519 (see witness.h). It checks and signs; it neither listens nor
 * stores.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "seam/evidence.h"
#include "witness.h"

static const char EM_DASH[] = "\xe2\x80\x94 ";

/* SHA-256(name || "\n" || 0x04 || pk)[:4]: the cosignature/v1 key ID. */
static void
key_id(const char *name, const uint8_t pk[32], uint8_t id[4])
{
    size_t n = strlen(name);
    uint8_t *buf = xmalloc(n + 2 + 32), h[32];
    memcpy(buf, name, n);
    buf[n] = '\n';
    buf[n + 1] = 0x04;
    memcpy(buf + n + 2, pk, 32);
    seam_sha256(buf, n + 2 + 32, h);
    memcpy(id, h, 4);
    free(buf);
}

/* "cosignature/v1\ntime TS\n" || body (malloc'd, *mlen bytes). */
static uint8_t *
signed_message(const char *body, size_t blen, uint64_t ts, size_t *mlen)
{
    char head[64];
    int hn = snprintf(head, sizeof(head), "cosignature/v1\ntime %llu\n", (unsigned long long)ts);
    uint8_t *m = xmalloc((size_t)hn + blen);
    memcpy(m, head, (size_t)hn);
    memcpy(m + hn, body, blen);
    *mlen = (size_t)hn + blen;
    return m;
}

char *
witness_cosign(const char *name, const uint8_t sk[64], const char *body, size_t blen, uint64_t ts)
{
    uint8_t pk[32], blob[4 + 8 + 64];
    size_t mlen;
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    key_id(name, pk, blob);
    be64_put(blob + 4, ts);
    uint8_t *m = signed_message(body, blen, ts, &mlen);
    crypto_sign_detached(blob + 12, NULL, m, mlen, sk);
    free(m);
    char *b64 = seam_b64_encode(blob, sizeof(blob));
    char *line = xasprintf("%s%s %s\n", EM_DASH, name, b64);
    free(b64);
    return line;
}

int
witness_cosig_verify(const char *name, const uint8_t pk[32], const char *note, uint64_t *ts)
{
    return seam_cosignature_verify(note, name, pk, ts); /* the public library's check */
}

#define REFUSE(status, ...)                                                                        \
    do {                                                                                           \
        snprintf(why, whylen, __VA_ARGS__);                                                        \
        code = (status);                                                                           \
        goto out;                                                                                  \
    } while (0)

int
witness_add_checkpoint(const struct witness_state *st, const uint8_t log_pk[32], const char *name,
                       const uint8_t sk[64], const char *req, size_t len,
                       struct witness_state *next, char **resp, const char **ctype, char *why,
                       size_t whylen)
{
    uint8_t(*proof)[32] = xcalloc(64, 32);
    size_t nproof = 0;
    uint64_t old = 0, size = 0;
    uint8_t root[32];
    char *text = xmalloc(len + 1), origin[WITNESS_ORIGIN_MAX], err[160];
    int code = 200;
    memcpy(text, req, len);
    text[len] = '\0';
    *resp = NULL;
    *ctype = "text/plain; charset=utf-8";
    why[0] = '\0';
    if (memchr(req, '\0', len) != NULL)
        REFUSE(400, "the body holds a NUL byte");
    /* "old N\n", up to 63 proof lines, "\n", then the checkpoint */
    char *p = text, *nl = strchr(p, '\n');
    if (nl == NULL || strncmp(p, "old ", 4) != 0)
        REFUSE(400, "no old size line");
    *nl = '\0';
    char *endp;
    if (p[4] < '0' || p[4] > '9' || (p[4] == '0' && p[5] != '\0'))
        REFUSE(400, "bad old size");
    old = strtoull(p + 4, &endp, 10);
    if (*endp != '\0')
        REFUSE(400, "bad old size");
    for (p = nl + 1; *p != '\n'; p = nl + 1) {
        nl = strchr(p, '\n');
        if (nl == NULL)
            REFUSE(400, "no blank line before the checkpoint");
        *nl = '\0';
        size_t n;
        if (nproof == 63 || seam_b64_decode(p, proof[nproof], 32, &n) != 0 || n != 32)
            REFUSE(400, "bad consistency proof line");
        nproof++;
    }
    const char *note = p + 1;
    /* the origin first: an unknown log is 404, a bad signature 403 */
    const char *oend = strchr(note, '\n');
    if (oend == NULL || (size_t)(oend - note) != strlen(st->origin) ||
        strncmp(note, st->origin, (size_t)(oend - note)) != 0)
        REFUSE(404, "unknown log origin");
    /* other signatures (cosignatures) may follow the log's: it is checked alone */
    const char *sep = strstr(note, "\n\n");
    if (sep == NULL)
        REFUSE(400, "the checkpoint has no signature");
    char *own = xasprintf("%s%s ", EM_DASH, st->origin), *mine = strstr(sep + 1, own);
    int found = mine != NULL && mine[-1] == '\n';
    char *alone = NULL;
    if (found) {
        const char *lend = strchr(mine, '\n');
        alone = xasprintf("%.*s%.*s", (int)(sep + 2 - note), note,
                          (int)(lend ? lend + 1 - mine : (long)strlen(mine)), mine);
    }
    free(own);
    int bad = !found || seam_checkpoint_verify(alone, log_pk, origin, sizeof(origin), &size, root,
                                               err, sizeof(err)) != 0;
    free(alone);
    if (bad)
        REFUSE(403, "the log's signature does not verify: %s", found ? err : "none by its origin");
    if (old > size)
        REFUSE(400, "old size %llu is above the checkpoint's %llu", (unsigned long long)old,
               (unsigned long long)size);
    if (old != st->size) {
        *resp = xasprintf("%llu\n", (unsigned long long)st->size);
        *ctype = "text/x.tlog.size";
        REFUSE(409, "old size %llu is not the latest cosigned %llu", (unsigned long long)old,
               (unsigned long long)st->size);
    }
    if (old == size) {
        if (sodium_memcmp(root, st->root, 32) != 0 && !(old == 0 && st->size == 0)) {
            *resp = xasprintf("%llu\n", (unsigned long long)st->size);
            *ctype = "text/x.tlog.size";
            REFUSE(409, "a second root for size %llu: the log forked", (unsigned long long)size);
        }
    } else if (old == 0) {
        if (nproof != 0)
            REFUSE(400, "a proof from size 0");
    } else if (seam_verify_consistency(old, size, st->root, root,
                                       (const uint8_t(*)[SEAM_HASH_LEN])proof, nproof) != 0) {
        REFUSE(422, "size %llu does not extend the cosigned size %llu: the log forked",
               (unsigned long long)size, (unsigned long long)old);
    }
    *next = *st;
    next->size = size;
    memcpy(next->root, root, 32);
    *resp = witness_cosign(name, sk, note, (size_t)(sep - note) + 1, (uint64_t)time(NULL));
out:
    if (code != 200 && *resp == NULL)
        *resp = xasprintf("%s\n", why);
    free(proof);
    free(text);
    return code;
}
