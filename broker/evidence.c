/*
 * evidence.c: the public evidence library (include/seam/evidence.h).
 *
 * RFC 6962 hashing, proof generation over an abstract node store, proof
 * verification after RFC 9162, C2SP signed-note checkpoints, and the offline
 * verification of one ticket's evidence document. It keeps no state and
 * knows nothing of LMDB or HTTP: the broker, seamctl and the partner agent
 * all link this same code.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "json_fast.h"
#include "seam/evidence.h"

#define H SEAM_HASH_LEN

/*
 * SHA-256 through OpenSSL's libcrypto, which uses the processor's SHA
 * instructions where it has them (four times libsodium's portable code on
 * an event; every event is hashed twice and its Merkle nodes once each).
 * libsodium answers if libcrypto cannot.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* SHA-256 of a || b. */
static void
sha256_two(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[H])
{
    pthread_once(&sha256_once, sha256_fetch);
    EVP_MD_CTX *c = sha256_md != NULL ? EVP_MD_CTX_new() : NULL;
    unsigned int n = 0;
    int done = c != NULL && EVP_DigestInit_ex2(c, sha256_md, NULL) == 1 &&
               EVP_DigestUpdate(c, a, alen) == 1 && EVP_DigestUpdate(c, b, blen) == 1 &&
               EVP_DigestFinal_ex(c, out, &n) == 1 && n == H;
    EVP_MD_CTX_free(c);
    if (!done) {
        crypto_hash_sha256_state st;
        crypto_hash_sha256_init(&st);
        crypto_hash_sha256_update(&st, a, alen);
        crypto_hash_sha256_update(&st, b, blen);
        crypto_hash_sha256_final(&st, out);
    }
}

void
seam_sha256(const void *data, size_t len, uint8_t out[H])
{
    sha256_two(data, len, "", 0, out);
}

void
seam_sha256_hex(const void *data, size_t len, char out[2 * H + 1])
{
    uint8_t h[H];
    seam_sha256(data, len, h);
    sodium_bin2hex(out, 2 * H + 1, h, H);
}

void
seam_leaf_hash(const void *data, size_t len, uint8_t out[H])
{
    const uint8_t zero = 0x00;
    sha256_two(&zero, 1, data, len, out);
}

void
seam_node_hash(const uint8_t left[H], const uint8_t right[H], uint8_t out[H])
{
    uint8_t buf[1 + 2 * H];
    buf[0] = 0x01;
    memcpy(buf + 1, left, H);
    memcpy(buf + 1 + H, right, H);
    seam_sha256(buf, sizeof(buf), out);
}

/* Largest power of two strictly smaller than n (n >= 2). */
static uint64_t
split_point(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

static int
is_pow2(uint64_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}

static unsigned
log2u(uint64_t n)
{
    unsigned l = 0;
    while (n > 1) {
        n >>= 1;
        l++;
    }
    return l;
}

/*
 * Hash of leaves [lo, hi). Every range RFC 6962's recursions ask for starts
 * at a multiple of the largest power of two not above its size, so each
 * perfect part is one node of the store.
 */
static int
range_hash(seam_node_fn get, void *ctx, uint64_t lo, uint64_t hi, uint8_t out[H])
{
    uint64_t n = hi - lo;
    if (is_pow2(n) && lo % n == 0)
        return get(ctx, log2u(n), lo >> log2u(n), out);
    uint64_t k = split_point(n);
    uint8_t l[H], r[H];
    if (range_hash(get, ctx, lo, lo + k, l) != 0 || range_hash(get, ctx, lo + k, hi, r) != 0)
        return -1;
    seam_node_hash(l, r, out);
    return 0;
}

int
seam_merkle_root(seam_node_fn get, void *ctx, uint64_t size, uint8_t out[H])
{
    if (size == 0) {
        seam_sha256("", 0, out);
        return 0;
    }
    return range_hash(get, ctx, 0, size, out);
}

static int
path(seam_node_fn get, void *ctx, uint64_t m, uint64_t lo, uint64_t hi,
     uint8_t proof[SEAM_PROOF_MAX][H], size_t *n)
{
    if (hi - lo <= 1)
        return 0;
    uint64_t k = split_point(hi - lo);
    int rc;
    if (m - lo < k)
        rc = path(get, ctx, m, lo, lo + k, proof, n) || range_hash(get, ctx, lo + k, hi, proof[*n]);
    else
        rc = path(get, ctx, m, lo + k, hi, proof, n) || range_hash(get, ctx, lo, lo + k, proof[*n]);
    if (rc != 0 || *n >= SEAM_PROOF_MAX - 1)
        return -1;
    (*n)++;
    return 0;
}

int
seam_merkle_inclusion(seam_node_fn get, void *ctx, uint64_t index, uint64_t size,
                      uint8_t proof[SEAM_PROOF_MAX][H], size_t *n)
{
    size_t len = 0;
    if (index >= size)
        return -1;
    if (path(get, ctx, index, 0, size, proof, &len) != 0)
        return -1;
    *n = len;
    return 0;
}

static int
subproof(seam_node_fn get, void *ctx, uint64_t m, uint64_t lo, uint64_t hi, int complete,
         uint8_t proof[SEAM_PROOF_MAX][H], size_t *n)
{
    uint64_t size = hi - lo;
    if (m == size) {
        if (complete)
            return 0;
        if (*n >= SEAM_PROOF_MAX || range_hash(get, ctx, lo, hi, proof[*n]) != 0)
            return -1;
        (*n)++;
        return 0;
    }
    uint64_t k = split_point(size);
    int rc;
    if (m <= k)
        rc = subproof(get, ctx, m, lo, lo + k, complete, proof, n) || (*n >= SEAM_PROOF_MAX) ||
             range_hash(get, ctx, lo + k, hi, proof[*n]);
    else
        rc = subproof(get, ctx, m - k, lo + k, hi, 0, proof, n) || (*n >= SEAM_PROOF_MAX) ||
             range_hash(get, ctx, lo, lo + k, proof[*n]);
    if (rc != 0)
        return -1;
    (*n)++;
    return 0;
}

int
seam_merkle_consistency(seam_node_fn get, void *ctx, uint64_t m, uint64_t size,
                        uint8_t proof[SEAM_PROOF_MAX][H], size_t *n)
{
    size_t len = 0;
    if (m > size)
        return -1;
    if (m > 0 && m < size && subproof(get, ctx, m, 0, size, 1, proof, &len) != 0)
        return -1;
    *n = len;
    return 0;
}

int
seam_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[H],
                      const uint8_t (*proof)[H], size_t n, const uint8_t root[H])
{
    if (index >= size)
        return -1;
    uint64_t fn = index, sn = size - 1;
    uint8_t r[H];
    memcpy(r, leaf, H);
    for (size_t i = 0; i < n; i++) {
        if (sn == 0)
            return -1;
        if ((fn & 1) || fn == sn) {
            seam_node_hash(proof[i], r, r);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            seam_node_hash(r, proof[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return -1;
    return sodium_memcmp(r, root, H) == 0 ? 0 : -1;
}

int
seam_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t root1[H],
                        const uint8_t root2[H], const uint8_t (*proof)[H], size_t n)
{
    if (size1 > size2)
        return -1;
    if (size1 == size2)
        return n == 0 && sodium_memcmp(root1, root2, H) == 0 ? 0 : -1;
    if (size1 == 0)
        return n == 0 ? 0 : -1;
    if (n == 0)
        return -1;
    size_t i = 0;
    uint8_t fr[H], sr[H];
    if (is_pow2(size1)) {
        memcpy(fr, root1, H);
    } else {
        memcpy(fr, proof[0], H);
        i = 1;
    }
    memcpy(sr, fr, H);
    uint64_t fn = size1 - 1, sn = size2 - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    for (; i < n; i++) {
        if (sn == 0)
            return -1;
        if ((fn & 1) || fn == sn) {
            seam_node_hash(proof[i], fr, fr);
            seam_node_hash(proof[i], sr, sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            seam_node_hash(sr, proof[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return -1;
    return sodium_memcmp(fr, root1, H) == 0 && sodium_memcmp(sr, root2, H) == 0 ? 0 : -1;
}

char *
seam_b64_encode(const uint8_t *in, size_t n)
{
    size_t len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(len);
    if (out == NULL)
        abort();
    sodium_bin2base64(out, len, in, n, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

int
seam_b64_decode(const char *in, uint8_t *out, size_t out_len, size_t *n)
{
    size_t len = 0;
    if (sodium_base642bin(out, out_len, in, strlen(in), NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return -1;
    /* Only the canonical spelling: re-encode and compare. */
    char *again = seam_b64_encode(out, len);
    int same = strcmp(again, in) == 0;
    free(again);
    if (!same)
        return -1;
    *n = len;
    return 0;
}

static int
b64_exact(const char *in, uint8_t *out, size_t want)
{
    size_t n;
    return seam_b64_decode(in, out, want, &n) == 0 && n == want ? 0 : -1;
}

int
seam_pubkey_parse(const char *text, uint8_t pk[SEAM_PK_LEN])
{
    char buf[128];
    /* Standard Webhooks' form of a webhook public key: whpk_ and the base64. */
    if (strncmp(text, "whpk_", 5) == 0 && b64_exact(text + 5, pk, SEAM_PK_LEN) == 0)
        return 0;
    size_t len = strlen(text);
    /* The key's text, or a file holding it: a path may be 44 characters too. */
    if (len == 44 && b64_exact(text, pk, SEAM_PK_LEN) == 0)
        return 0;
    {
        FILE *f = fopen(text, "r");
        if (f == NULL)
            return -1;
        size_t r = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[r] = '\0';
        while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == '\r'))
            buf[--r] = '\0';
        text = buf;
    }
    if (strncmp(text, "whpk_", 5) == 0)
        text += 5;
    return b64_exact(text, pk, SEAM_PK_LEN);
}

/* context || 0x00 || msg, malloc'd: what the broker's signatures cover. */
static uint8_t *
ctx_message(const char *context, const void *msg, size_t len, size_t *out_len)
{
    size_t cl = strlen(context);
    uint8_t *buf = malloc(cl + 1 + len);
    if (buf == NULL)
        abort();
    memcpy(buf, context, cl);
    buf[cl] = 0;
    memcpy(buf + cl + 1, msg, len);
    *out_len = cl + 1 + len;
    return buf;
}

void
seam_sign_ctx(const char *context, const void *msg, size_t len, const uint8_t sk[SEAM_SK_LEN],
              uint8_t sig[SEAM_SIG_LEN])
{
    size_t n;
    uint8_t *buf = ctx_message(context, msg, len, &n);
    crypto_sign_detached(sig, NULL, buf, n, sk);
    free(buf);
}

int
seam_verify_ctx(const char *context, const void *msg, size_t len, const uint8_t sig[SEAM_SIG_LEN],
                const uint8_t pk[SEAM_PK_LEN])
{
    size_t n;
    uint8_t *buf = ctx_message(context, msg, len, &n);
    int rc = crypto_sign_verify_detached(sig, buf, n, pk);
    free(buf);
    return rc == 0 ? 0 : -1;
}

/* C2SP signed-note key id: SHA-256(name || "\n" || 0x01 || pk)[:4]. */
static void
note_key_id(const char *name, const uint8_t pk[SEAM_PK_LEN], uint8_t id[4])
{
    crypto_hash_sha256_state st;
    uint8_t h[H];
    const uint8_t sep[2] = {'\n', 0x01};
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
    crypto_hash_sha256_update(&st, sep, 2);
    crypto_hash_sha256_update(&st, pk, SEAM_PK_LEN);
    crypto_hash_sha256_final(&st, h);
    memcpy(id, h, 4);
}

static const char EM_DASH[] = "\xe2\x80\x94 ";

int
seam_checkpoint_sign(const char *origin, uint64_t size, const uint8_t root[H],
                     const uint8_t sk[SEAM_SK_LEN], char **out)
{
    uint8_t pk[SEAM_PK_LEN], blob[4 + SEAM_SIG_LEN];
    if (origin[0] == '\0' || strchr(origin, '\n') || strchr(origin, ' '))
        return -1;
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    char *root64 = seam_b64_encode(root, H);
    size_t blen = strlen(origin) + strlen(root64) + 32;
    char *body = malloc(blen);
    if (body == NULL)
        abort();
    snprintf(body, blen, "%s\n%llu\n%s\n", origin, (unsigned long long)size, root64);
    free(root64);
    note_key_id(origin, pk, blob);
    crypto_sign_detached(blob + 4, NULL, (const uint8_t *)body, strlen(body), sk);
    char *sig64 = seam_b64_encode(blob, sizeof(blob));
    size_t olen = strlen(body) + strlen(origin) + strlen(sig64) + 16;
    char *note = malloc(olen);
    if (note == NULL)
        abort();
    snprintf(note, olen, "%s\n%s%s %s\n", body, EM_DASH, origin, sig64);
    free(body);
    free(sig64);
    *out = note;
    return 0;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        if (err != NULL)                                                                           \
            snprintf(err, errlen, __VA_ARGS__);                                                    \
        goto fail;                                                                                 \
    } while (0)

static int
parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int
seam_checkpoint_verify(const char *note, const uint8_t pk[SEAM_PK_LEN], char *origin,
                       size_t origin_len, uint64_t *size, uint8_t root[H], char *err, size_t errlen)
{
    char *body = NULL, name[256], sigline[256], rootb64[64];
    uint8_t blob[4 + SEAM_SIG_LEN], id[4], r[H];
    uint64_t sz;
    const char *sep = strstr(note, "\n\n");
    if (sep == NULL)
        FAIL("checkpoint: no blank line between text and signature");
    size_t body_len = (size_t)(sep - note) + 1;
    body = malloc(body_len + 1);
    if (body == NULL)
        abort();
    memcpy(body, note, body_len);
    body[body_len] = '\0';

    /* Body: exactly three lines. */
    const char *l1 = body, *e1 = strchr(l1, '\n');
    const char *l2 = e1 + 1, *e2 = strchr(l2, '\n');
    const char *l3 = e2 ? e2 + 1 : NULL, *e3 = l3 ? strchr(l3, '\n') : NULL;
    if (e2 == NULL || e3 == NULL || e3[1] != '\0')
        FAIL("checkpoint: text must be origin, size and root lines");
    if ((size_t)(e1 - l1) == 0 || (size_t)(e1 - l1) >= sizeof(name))
        FAIL("checkpoint: bad origin line");
    memcpy(name, l1, (size_t)(e1 - l1));
    name[e1 - l1] = '\0';
    if (parse_u64(l2, (size_t)(e2 - l2), &sz) != 0)
        FAIL("checkpoint: bad tree size line");
    if ((size_t)(e3 - l3) >= sizeof(rootb64))
        FAIL("checkpoint: bad root line");
    memcpy(rootb64, l3, (size_t)(e3 - l3));
    rootb64[e3 - l3] = '\0';
    if (b64_exact(rootb64, r, H) != 0)
        FAIL("checkpoint: root is not 32 bytes of base64");

    /* Signature: exactly one line "— name base64". */
    const char *s = sep + 2;
    size_t dl = strlen(EM_DASH), nl = strlen(name);
    if (strncmp(s, EM_DASH, dl) != 0 || strncmp(s + dl, name, nl) != 0 || s[dl + nl] != ' ')
        FAIL("checkpoint: signature line does not name the origin");
    s += dl + nl + 1;
    const char *end = strchr(s, '\n');
    if (end == NULL || end[1] != '\0' || (size_t)(end - s) >= sizeof(sigline))
        FAIL("checkpoint: expected exactly one signature line");
    memcpy(sigline, s, (size_t)(end - s));
    sigline[end - s] = '\0';
    if (b64_exact(sigline, blob, sizeof(blob)) != 0)
        FAIL("checkpoint: malformed signature");
    note_key_id(name, pk, id);
    if (memcmp(id, blob, 4) != 0)
        FAIL("checkpoint: signed by another key (key id differs)");
    if (crypto_sign_verify_detached(blob + 4, (const uint8_t *)body, body_len, pk) != 0)
        FAIL("checkpoint: signature does not verify");

    if (origin != NULL) {
        if (strlen(name) >= origin_len)
            FAIL("checkpoint: origin too long");
        memcpy(origin, name, strlen(name) + 1);
    }
    *size = sz;
    memcpy(root, r, H);
    free(body);
    return 0;
fail:
    free(body);
    return -1;
}

int
seam_checkpoint_split(const char *note, size_t *log_len)
{
    const char *sep = strstr(note, "\n\n");
    if (sep == NULL)
        return -1;
    const char *l = strchr(sep + 2, '\n');
    if (l == NULL)
        return -1;
    *log_len = (size_t)(l + 1 - note);
    size_t dl = strlen(EM_DASH);
    for (l++; *l != '\0';) {
        const char *end = strchr(l, '\n'), *sp;
        uint8_t blob[128];
        char b64[200];
        size_t n;
        if (end == NULL || strncmp(l, EM_DASH, dl) != 0)
            return -1;
        sp = memchr(l + dl, ' ', (size_t)(end - l - dl));
        if (sp == NULL || sp == l + dl || (size_t)(end - sp - 1) >= sizeof(b64))
            return -1;
        memcpy(b64, sp + 1, (size_t)(end - sp - 1));
        b64[end - sp - 1] = '\0';
        if (seam_b64_decode(b64, blob, sizeof(blob), &n) != 0 || n < 5)
            return -1;
        l = end + 1;
    }
    return 0;
}

/* The cosignature/v1 key ID: SHA-256(name || "\n" || 0x04 || pk)[:4]. */
static void
cosig_key_id(const char *name, const uint8_t pk[SEAM_PK_LEN], uint8_t id[4])
{
    crypto_hash_sha256_state st;
    uint8_t h[H];
    const uint8_t sep[2] = {'\n', 0x04};
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
    crypto_hash_sha256_update(&st, sep, 2);
    crypto_hash_sha256_update(&st, pk, SEAM_PK_LEN);
    crypto_hash_sha256_final(&st, h);
    memcpy(id, h, 4);
}

int
seam_cosignature_verify(const char *note, const char *name, const uint8_t pk[SEAM_PK_LEN],
                        uint64_t *ts)
{
    const char *sep = strstr(note, "\n\n");
    if (sep == NULL)
        return -1;
    size_t blen = (size_t)(sep - note) + 1, nl = strlen(name), dl = strlen(EM_DASH);
    uint8_t id[4];
    int rc = -1;
    cosig_key_id(name, pk, id);
    for (const char *l = sep + 2; *l != '\0' && rc != 0;) {
        const char *end = strchr(l, '\n');
        size_t ll = end ? (size_t)(end - l) : strlen(l);
        if (ll > dl + nl + 1 && strncmp(l, EM_DASH, dl) == 0 && strncmp(l + dl, name, nl) == 0 &&
            l[dl + nl] == ' ' && ll - dl - nl - 1 < 200) {
            char b64[200], head[64];
            uint8_t blob[4 + 8 + SEAM_SIG_LEN];
            size_t n;
            memcpy(b64, l + dl + nl + 1, ll - dl - nl - 1);
            b64[ll - dl - nl - 1] = '\0';
            if (seam_b64_decode(b64, blob, sizeof(blob), &n) == 0 && n == sizeof(blob) &&
                memcmp(blob, id, 4) == 0) {
                uint64_t t = 0;
                for (int i = 0; i < 8; i++)
                    t = t << 8 | blob[4 + i];
                int hn = snprintf(head, sizeof(head), "cosignature/v1\ntime %llu\n",
                                  (unsigned long long)t);
                uint8_t *m = malloc((size_t)hn + blen);
                if (m == NULL)
                    abort();
                memcpy(m, head, (size_t)hn);
                memcpy(m + hn, note, blen);
                if (crypto_sign_verify_detached(blob + 12, m, (size_t)hn + blen, pk) == 0) {
                    if (ts != NULL)
                        *ts = t;
                    rc = 0;
                }
                free(m);
            }
        }
        l = end ? end + 1 : l + ll;
    }
    return rc;
}

char *
seam_witness_vkey(const char *name, const uint8_t pk[SEAM_PK_LEN])
{
    uint8_t id[4], key[1 + SEAM_PK_LEN];
    cosig_key_id(name, pk, id);
    key[0] = 0x04;
    memcpy(key + 1, pk, SEAM_PK_LEN);
    char *b64 = seam_b64_encode(key, sizeof(key));
    size_t n = strlen(name) + strlen(b64) + 12;
    char *out = malloc(n);
    if (out == NULL)
        abort();
    snprintf(out, n, "%s+%02x%02x%02x%02x+%s", name, id[0], id[1], id[2], id[3], b64);
    free(b64);
    return out;
}

int
seam_witness_vkey_parse(const char *vkey, char *name, size_t name_len, uint8_t pk[SEAM_PK_LEN])
{
    const char *p1 = strchr(vkey, '+'), *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
    uint8_t key[1 + SEAM_PK_LEN], id[4];
    char hex[9];
    if (p1 == NULL || p2 == NULL || p1 == vkey || (size_t)(p1 - vkey) >= name_len ||
        p2 - p1 - 1 != 8 || strcspn(vkey, " \n\t") < (size_t)(p1 - vkey) ||
        b64_exact(p2 + 1, key, sizeof(key)) != 0 || key[0] != 0x04)
        return -1;
    memcpy(name, vkey, (size_t)(p1 - vkey));
    name[p1 - vkey] = '\0';
    cosig_key_id(name, key + 1, id);
    snprintf(hex, sizeof(hex), "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
    if (strncmp(hex, p1 + 1, 8) != 0)
        return -1;
    memcpy(pk, key + 1, SEAM_PK_LEN);
    return 0;
}

/* The canonical text of a JSON value: sorted keys, no spaces. */
static char *
canonical(const json_t *v)
{
    return json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Only the listed keys, each present. */
static int
exact_keys(const json_t *obj, const char *const *keys, size_t n)
{
    if (!json_is_object(obj) || json_object_size(obj) != n)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (json_object_get(obj, keys[i]) == NULL)
            return -1;
    return 0;
}

static int
str_eq(const json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* Whether s is 64 lower-case hex digits. */
static int
is_hex64(const char *s)
{
    if (s == NULL || strlen(s) != 2 * H)
        return 0;
    for (size_t i = 0; i < 2 * H; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

#define SALT_BYTES 16
#define SALT_CHARS 22 /* unpadded base64url of 16 bytes */

/* A fresh salt: 16 random bytes as unpadded base64url. */
static void
disclosure_salt(char salt64[SALT_CHARS + 1])
{
    uint8_t salt[SALT_BYTES];
    randombytes_buf(salt, sizeof(salt));
    sodium_bin2base64(salt64, SALT_CHARS + 1, salt, sizeof(salt),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

char *
seam_disclosure_new(const char *name, const json_t *value, char digest[2 * H + 1])
{
    char salt64[SALT_CHARS + 1];
    disclosure_salt(salt64);
    json_t *d = json_pack("[s, s, O]", salt64, name, value);
    char *text = d ? canonical(d) : NULL;
    json_decref(d);
    if (text == NULL)
        abort();
    seam_sha256_hex(text, strlen(text), digest);
    return text;
}

char *
seam_disclosure_text(const char *name, const char *value, size_t vlen, char digest[2 * H + 1])
{
    size_t nlen = strlen(name);
    if (nlen == 0)
        return NULL;
    for (size_t i = 0; i < nlen; i++) /* written as it is: nothing to escape */
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              (name[i] >= '0' && name[i] <= '9') || name[i] == '_' || name[i] == '-' ||
              name[i] == '.'))
            return NULL;
    char salt64[SALT_CHARS + 1];
    disclosure_salt(salt64);
    /* ["salt","name",value] */
    size_t len = 2 + SALT_CHARS + 3 + nlen + 2 + vlen + 1;
    char *text = malloc(len + 1);
    if (text == NULL)
        abort();
    int n = snprintf(text, len + 1, "[\"%s\",\"%s\",", salt64, name);
    memcpy(text + n, value, vlen);
    text[n + vlen] = ']';
    text[n + vlen + 1] = '\0';
    seam_sha256_hex(text, (size_t)n + vlen + 1, digest);
    return text;
}

int
seam_disclosure_parse(const char *text, char digest[2 * H + 1], json_t **parsed, const char **name,
                      json_t **value)
{
    uint8_t salt[SALT_BYTES];
    size_t n;
    if (text == NULL)
        return -1;
    json_t *d = json_loads_depth(text, JSON_REJECT_DUPLICATES, JSON_DEPTH_STORED, NULL);
    char *again = d ? canonical(d) : NULL;
    const char *salt64 = json_string_value(json_array_get(d, 0));
    const char *nm = json_string_value(json_array_get(d, 1));
    int good = json_is_array(d) && json_array_size(d) == 3 && again != NULL &&
               strcmp(again, text) == 0 && salt64 != NULL && strlen(salt64) == SALT_CHARS &&
               sodium_base642bin(salt, sizeof(salt), salt64, SALT_CHARS, NULL, &n, NULL,
                                 sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
               n == SALT_BYTES && nm != NULL && nm[0] != '\0';
    free(again);
    if (!good) {
        json_decref(d);
        return -1;
    }
    seam_sha256_hex(text, strlen(text), digest);
    *parsed = d;
    *name = nm;
    *value = json_array_get(d, 2);
    return 0;
}

/*
 * An event's "sd" digests, checked: present (a sorted array of distinct
 * hex digests) exactly when the event is of format 2. *sd is borrowed, NULL
 * for format 1.
 */
static int
event_digests(const json_t *ev, const json_t **sd)
{
    json_t *v = json_object_get(ev, "v"), *d = json_object_get(ev, "sd");
    if (!json_is_integer(v))
        return -1;
    if (json_integer_value(v) == 1 && d == NULL) {
        *sd = NULL;
        return 0;
    }
    if (json_integer_value(v) != 2 || !json_is_array(d))
        return -1;
    const char *before = "";
    for (size_t i = 0; i < json_array_size(d); i++) {
        const char *h = json_string_value(json_array_get(d, i));
        if (!is_hex64(h) || strcmp(before, h) >= 0)
            return -1;
        before = h;
    }
    *sd = d;
    return 0;
}

/* Whether digest is one of sd's. */
static int
digest_in(const json_t *sd, const char *digest)
{
    for (size_t i = 0; i < json_array_size(sd); i++)
        if (strcmp(json_string_value(json_array_get(sd, i)), digest) == 0)
            return 1;
    return 0;
}

/*
 * The object a disclosure's name belongs to, and the member's name in it:
 * "actor.M" names member M of the event's actor (who acted, restricted where
 * a view may not see the person), any other name a member of its data.
 */
static json_t *
disclosure_target(json_t *ev, const char *name, const char **member)
{
    static const char actor[] = "actor.";
    if (strncmp(name, actor, sizeof(actor) - 1) == 0) {
        *member = name + sizeof(actor) - 1;
        return (*member)[0] != '\0' ? json_object_get(ev, "actor") : NULL;
    }
    *member = name;
    return json_object_get(ev, "data");
}

/*
 * Checks disclosures (strings) against the parsed event: each well formed,
 * hashing to one of its digests, at most once, naming a member its data (or
 * its actor, for "actor.M") does not hold; into (not NULL) gets each member.
 * 0, or -1 with *why.
 */
static int
check_disclosures(const json_t *ev, const char *const *texts, size_t n, json_t *into,
                  const char **why)
{
    const json_t *sd;
    json_t *seen = json_object();
    int rc = -1;
    *why = "the event's digests are malformed";
    if (event_digests(ev, &sd) != 0)
        goto out;
    *why = "a disclosure given for an event without digests";
    if (sd == NULL && n > 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        char digest[2 * H + 1];
        json_t *parsed = NULL, *value;
        const char *name;
        *why = "a disclosure is malformed";
        if (seam_disclosure_parse(texts[i], digest, &parsed, &name, &value) != 0)
            goto out;
        const char *member;
        json_t *target = disclosure_target((json_t *)ev, name, &member);
        int bad = !digest_in(sd, digest)                                       ? 1
                  : json_object_get(seen, digest) != NULL                      ? 2
                  : !json_is_object(target) || json_object_get(target, member) ? 3
                                                                               : 0;
        *why = bad == 1   ? "a disclosure matches none of the event's signed digests"
               : bad == 2 ? "a disclosure is given twice"
                          : "a disclosure names a member the event holds";
        json_object_set_new(seen, digest, json_true());
        if (bad == 0 && into != NULL)
            json_object_set(disclosure_target(into, name, &member), member, value);
        json_decref(parsed);
        if (bad)
            goto out;
    }
    rc = 0;
out:
    json_decref(seen);
    return rc;
}

json_t *
seam_event_open(const char *bytes, const char *const *disclosures, size_t n)
{
    const char *why;
    json_t *ev =
        bytes ? json_loads_depth(bytes, JSON_REJECT_DUPLICATES, JSON_DEPTH_STORED, NULL) : NULL;
    if (!json_is_object(ev) || !json_is_object(json_object_get(ev, "data")) ||
        check_disclosures(ev, disclosures, n, ev, &why) != 0) {
        json_decref(ev);
        return NULL;
    }
    return ev;
}

int
seam_evidence_verify(const char *doc, size_t len, const uint8_t pk[SEAM_PK_LEN], size_t *n_events,
                     char *err, size_t errlen)
{
    static const char *const top_keys[] = {"checkpoint", "events",     "format",
                                           "head",       "public_key", "ticket"};
    static const char *const ev_keys[] = {"event", "leaf_index", "proof", "signature"};
    static const char *const ev2_keys[] = {"disclosures", "event", "leaf_index", "proof",
                                           "signature"};
    static const char *const hidden_keys[] = {"hash"};
    static const char *const head_keys[] = {"body", "signature"};
    static const char *const hb_keys[] = {"events", "last", "ticket", "tree_size"};
    static const char *const hb2_keys[] = {"events", "events_sha256", "last",
                                           "ticket", "tree_size",     "view"};
    json_t *root = NULL, *ev = NULL, *hb = NULL;
    char *canon = NULL, *log_note = NULL, prev_hex[2 * H + 1] = "", note_hex[2 * H + 1] = "";
    int cosigned = 0;
    const char **texts = NULL;
    uint8_t cp_root[H], key[SEAM_PK_LEN], sig[SEAM_SIG_LEN];
    uint8_t(*proof)[H] = NULL;
    uint64_t cp_size, last_leaf = 0;
    json_error_t jerr;
    size_t i, shown = 0;
    int view = 0;

    root = json_load_depth(doc, len, JSON_REJECT_DUPLICATES, JSON_DEPTH_DEFAULT, &jerr);
    if (root == NULL)
        FAIL("evidence: not JSON (line %d: %s)", jerr.line, jerr.text);
    canon = canonical(root);
    if (canon == NULL || strlen(canon) + 1 != len || memcmp(canon, doc, len - 1) != 0 ||
        doc[len - 1] != '\n')
        FAIL("evidence: not in canonical form (sorted keys, no spaces, one final newline)");
    if (exact_keys(root, top_keys, 6) != 0)
        FAIL("evidence: expected exactly the fields checkpoint, events, format, head, "
             "public_key, ticket");
    const char *format = json_string_value(json_object_get(root, "format"));
    const char *ticket = json_string_value(json_object_get(root, "ticket"));
    const char *pk64 = json_string_value(json_object_get(root, "public_key"));
    const char *note = json_string_value(json_object_get(root, "checkpoint"));
    json_t *events = json_object_get(root, "events");
    if (format != NULL && strcmp(format, SEAM_EVIDENCE_FORMAT_VIEW) == 0)
        view = 1;
    else if (format == NULL || strcmp(format, SEAM_EVIDENCE_FORMAT) != 0)
        FAIL("evidence: unknown format");
    if (ticket == NULL || pk64 == NULL || note == NULL || !json_is_array(events))
        FAIL("evidence: a field has the wrong type");
    if (b64_exact(pk64, key, SEAM_PK_LEN) != 0 || sodium_memcmp(key, pk, SEAM_PK_LEN) != 0)
        FAIL("evidence: public_key is not the key given to verify with");
    size_t log_len;
    if (seam_checkpoint_split(note, &log_len) != 0)
        FAIL("checkpoint: malformed signature lines");
    cosigned = log_len < strlen(note);
    log_note = malloc(log_len + 1);
    if (log_note == NULL)
        abort();
    memcpy(log_note, note, log_len);
    log_note[log_len] = '\0';
    if (seam_checkpoint_verify(log_note, pk, NULL, 0, &cp_size, cp_root, err, errlen) != 0)
        goto fail;
    seam_sha256_hex(note, strlen(note), note_hex);
    if (json_array_size(events) == 0)
        FAIL("evidence: no events");

    proof = malloc(sizeof(*proof) * SEAM_PROOF_MAX);
    if (proof == NULL)
        abort();
    for (i = 0; i < json_array_size(events); i++) {
        json_t *e = json_array_get(events, i);
        if (view && exact_keys(e, hidden_keys, 1) == 0) {
            /* Not for this view: its hash carries the chain on. */
            const char *h = json_string_value(json_object_get(e, "hash"));
            if (!is_hex64(h))
                FAIL("event %zu: a hidden event's hash is not 64 hex digits", i);
            memcpy(prev_hex, h, sizeof(prev_hex));
            continue;
        }
        if (view ? exact_keys(e, ev2_keys, 5) != 0 : exact_keys(e, ev_keys, 4) != 0)
            FAIL(view ? "event %zu: expected exactly disclosures, event, leaf_index, proof, "
                        "signature (or only hash)"
                      : "event %zu: expected exactly event, leaf_index, proof, signature",
                 i);
        const char *bytes = json_string_value(json_object_get(e, "event"));
        const char *sig64 = json_string_value(json_object_get(e, "signature"));
        json_t *li = json_object_get(e, "leaf_index"), *pr = json_object_get(e, "proof");
        json_t *dis = view ? json_object_get(e, "disclosures") : NULL;
        if (bytes == NULL || sig64 == NULL || !json_is_integer(li) || !json_is_array(pr) ||
            (view && !json_is_array(dis)))
            FAIL("event %zu: a field has the wrong type", i);
        size_t blen = strlen(bytes);
        if (b64_exact(sig64, sig, SEAM_SIG_LEN) != 0)
            FAIL("event %zu: malformed signature", i);
        if (seam_verify_ctx(SEAM_EVENT_CONTEXT, bytes, blen, sig, pk) != 0)
            FAIL("event %zu: broker signature does not verify", i);
        ev = json_loads_depth(bytes, JSON_REJECT_DUPLICATES, JSON_DEPTH_STORED, NULL);
        if (ev == NULL || !json_is_object(ev))
            FAIL("event %zu: not a JSON object", i);
        free(canon);
        canon = canonical(ev);
        if (canon == NULL || strcmp(canon, bytes) != 0)
            FAIL("event %zu: not in canonical form", i);
        const char *et = json_string_value(json_object_get(ev, "ticket"));
        const char *ep = json_string_value(json_object_get(ev, "prev"));
        json_t *seq = json_object_get(ev, "seq");
        if (et == NULL || strcmp(et, ticket) != 0)
            FAIL("event %zu: belongs to another ticket", i);
        if (!json_is_integer(seq) || json_integer_value(seq) != (json_int_t)i)
            FAIL("event %zu: sequence number %lld where %zu was expected (removed or reordered)", i,
                 (long long)json_integer_value(seq), i);
        if (ep == NULL || strcmp(ep, prev_hex) != 0)
            FAIL("event %zu: prev does not match the hash of event %zu (chain broken)", i,
                 i ? i - 1 : 0);
        /* Its disclosures, each against a signed digest. */
        size_t nd = json_array_size(dis);
        free(texts);
        texts = malloc((nd + 1) * sizeof(*texts));
        if (texts == NULL)
            abort();
        for (size_t j = 0; j < nd; j++)
            if ((texts[j] = json_string_value(json_array_get(dis, j))) == NULL)
                FAIL("event %zu: disclosure %zu is not a string", i, j);
        const char *why;
        if (check_disclosures(ev, texts, nd, NULL, &why) != 0)
            FAIL("event %zu: %s", i, why);
        json_int_t leaf = json_integer_value(li);
        if (leaf < 0 || (uint64_t)leaf >= cp_size || (shown > 0 && (uint64_t)leaf <= last_leaf))
            FAIL("event %zu: leaf index %lld out of order or beyond the checkpoint", i,
                 (long long)leaf);
        size_t np = json_array_size(pr);
        if (np > SEAM_PROOF_MAX)
            FAIL("event %zu: proof too long", i);
        for (size_t j = 0; j < np; j++) {
            const char *h64 = json_string_value(json_array_get(pr, j));
            if (h64 == NULL || b64_exact(h64, proof[j], H) != 0)
                FAIL("event %zu: proof hash %zu malformed", i, j);
        }
        uint8_t lh[H];
        seam_leaf_hash(bytes, blen, lh);
        if (seam_verify_inclusion((uint64_t)leaf, cp_size, lh, (const uint8_t(*)[H])proof, np,
                                  cp_root) != 0)
            FAIL("event %zu: inclusion proof does not lead to the checkpoint root", i);
        last_leaf = (uint64_t)leaf;
        shown++;
        seam_sha256_hex(bytes, blen, prev_hex);
        json_decref(ev);
        ev = NULL;
    }

    /* The signed head: how many events the ticket had, and the last one. */
    json_t *head = json_object_get(root, "head");
    if (exact_keys(head, head_keys, 2) != 0)
        FAIL("head: expected exactly body and signature");
    const char *hbody = json_string_value(json_object_get(head, "body"));
    const char *hsig = json_string_value(json_object_get(head, "signature"));
    if (hbody == NULL || hsig == NULL || b64_exact(hsig, sig, SEAM_SIG_LEN) != 0)
        FAIL("head: malformed");
    if (seam_verify_ctx(SEAM_HEAD_CONTEXT, hbody, strlen(hbody), sig, pk) != 0)
        FAIL("head: signature does not verify");
    hb = json_loads_depth(hbody, JSON_REJECT_DUPLICATES, JSON_DEPTH_DEFAULT, NULL);
    /* a checkpoint with cosignatures: the head signs the whole note */
    json_t *cph = json_object_get(hb, "checkpoint_sha256");
    if ((cosigned || cph != NULL) && !str_eq(cph, note_hex))
        FAIL(cph == NULL ? "head: does not sign the checkpoint's cosignature lines"
                         : "head: the checkpoint differs from the one the broker signed (a "
                           "cosignature line changed, added or removed)");
    if (cph != NULL)
        json_object_del(hb, "checkpoint_sha256");
    if (view ? exact_keys(hb, hb2_keys, 6) != 0 : exact_keys(hb, hb_keys, 4) != 0)
        FAIL("head: body has the wrong fields");
    if (view) {
        char hex[2 * H + 1];
        free(canon);
        canon = canonical(events);
        if (canon == NULL)
            FAIL("evidence: events cannot be encoded");
        seam_sha256_hex(canon, strlen(canon), hex);
        if (!json_is_string(json_object_get(hb, "view")))
            FAIL("head: the view is not named");
        if (!str_eq(json_object_get(hb, "events_sha256"), hex))
            FAIL("head: the events differ from those the broker signed for this view (an event "
                 "hidden, or a disclosure removed or added)");
    }
    const char *hticket = json_string_value(json_object_get(hb, "ticket"));
    const char *hlast = json_string_value(json_object_get(hb, "last"));
    json_t *hev = json_object_get(hb, "events"), *hts = json_object_get(hb, "tree_size");
    if (hticket == NULL || strcmp(hticket, ticket) != 0)
        FAIL("head: names another ticket");
    if (!json_is_integer(hev) || (size_t)json_integer_value(hev) != i)
        FAIL("head: ticket has %lld events, document has %zu (tail cut or added)",
             (long long)json_integer_value(hev), i);
    if (hlast == NULL || strcmp(hlast, prev_hex) != 0)
        FAIL("head: last event hash differs (tail changed)");
    if (!json_is_integer(hts) || (uint64_t)json_integer_value(hts) != cp_size)
        FAIL("head: tree size differs from the checkpoint");

    if (n_events != NULL)
        *n_events = i;
    free(texts);
    free(proof);
    free(canon);
    free(log_note);
    json_decref(hb);
    json_decref(root);
    return 0;
fail:
    free(texts);
    free(proof);
    free(canon);
    free(log_note);
    json_decref(ev);
    json_decref(hb);
    json_decref(root);
    return -1;
}

int
seam_evidence_verify_witnessed(const char *doc, size_t len, const uint8_t pk[SEAM_PK_LEN],
                               const struct seam_witness *w, size_t n, size_t needed,
                               size_t *n_events, char *err, size_t errlen)
{
    json_t *root = NULL;
    char *bad = NULL;
    size_t good = 0;
    if (seam_evidence_verify(doc, len, pk, n_events, err, errlen) != 0)
        return -1;
    root = json_loadb(doc, len, 0, NULL);
    const char *note = json_string_value(json_object_get(root, "checkpoint"));
    if (note == NULL)
        FAIL("evidence: no checkpoint");
    if (needed == 0 || needed > n)
        needed = n;
    for (size_t i = 0; i < n; i++) {
        if (seam_cosignature_verify(note, w[i].name, w[i].pk, NULL) == 0) {
            good++;
            continue;
        }
        /* missing, or there but not verifying with the key given */
        const char *dash = strstr(note, "\n\n");
        size_t nl = strlen(w[i].name);
        int present = 0;
        for (const char *l = dash ? strstr(dash, w[i].name) : NULL; l != NULL && !present;
             l = strstr(l + 1, w[i].name))
            present = l[nl] == ' ' && l - dash >= 6 && strncmp(l - 5, "\n\xe2\x80\x94 ", 5) == 0;
        size_t bl = bad ? strlen(bad) : 0, add = nl + 40;
        char *next = realloc(bad, bl + add + 1);
        if (next == NULL)
            abort();
        bad = next;
        snprintf(bad + bl, add + 1, "%s%s (%s)", bl ? ", " : "", w[i].name,
                 present ? "cosignature does not verify" : "no cosignature");
    }
    if (good < needed) {
        json_t *hb = json_loads(
            json_string_value(json_object_get(json_object_get(root, "head"), "body")), 0, NULL);
        long long size = (long long)json_integer_value(json_object_get(hb, "tree_size"));
        json_decref(hb);
        FAIL("checkpoint of size %lld: %zu of the %zu cosignatures needed verify; %s", size, good,
             needed, bad ? bad : "");
    }
    free(bad);
    json_decref(root);
    return 0;
fail:
    free(bad);
    json_decref(root);
    return -1;
}

char *
seam_partner_message(const char *method, const char *path, long long timestamp, const void *body,
                     size_t len)
{
    char hex[2 * H + 1];
    seam_sha256_hex(body ? body : "", body ? len : 0, hex);
    return seam_partner_message_hex(method, path, timestamp, hex);
}

char *
seam_partner_message_hex(const char *method, const char *path, long long timestamp, const char *hex)
{
    size_t n = strlen(method) + strlen(path) + strlen(hex) + 48;
    char *m = malloc(n);
    if (m == NULL)
        abort();
    snprintf(m, n, "%s\n%s\n%lld\n%s", method, path, timestamp, hex);
    return m;
}

/*
 * The signatures kept as data.MEMBER of the events: a partner's (its id the
 * actor's) or a user's (its id the signature's "user").
 */
static int
kept_signatures(const char *doc, size_t len, const char *member, seam_user_key_fn key_of, void *ctx,
                size_t *checked, size_t *unchecked, char *err, size_t errlen)
{
    json_t *root = json_load_depth(doc, len, 0, JSON_DEPTH_DEFAULT, NULL), *e, *ev = NULL;
    size_t i, ok = 0, skipped = 0;
    uint8_t sig[SEAM_SIG_LEN];
    if (root == NULL)
        FAIL("evidence: not JSON");
    json_array_foreach(json_object_get(root, "events"), i, e)
    {
        const char *bytes = json_string_value(json_object_get(e, "event"));
        if (bytes == NULL) /* an event not in this view: nothing to check */
            continue;
        ev = json_loads_depth(bytes, 0, JSON_DEPTH_STORED, NULL);
        json_t *ps = json_object_get(json_object_get(ev, "data"), member);
        json_t *actor = json_object_get(ev, "actor");
        if (ps == NULL) {
            json_decref(ev);
            ev = NULL;
            continue;
        }
        const char *partner =
            json_string_value(strcmp(member, "user_signature") == 0 ? json_object_get(ps, "user")
                                                                    : json_object_get(actor, "id"));
        const uint8_t *pk = partner ? key_of(ctx, partner, 0) : NULL;
        if (pk == NULL) {
            skipped++;
            json_decref(ev);
            ev = NULL;
            continue;
        }
        const char *method = json_string_value(json_object_get(ps, "method"));
        const char *req_path = json_string_value(json_object_get(ps, "path"));
        const char *hex = json_string_value(json_object_get(ps, "body_sha256"));
        const char *s64 = json_string_value(json_object_get(ps, "s"));
        json_t *t = json_object_get(ps, "t");
        if (method == NULL || req_path == NULL || hex == NULL || s64 == NULL ||
            !json_is_integer(t) || b64_exact(s64, sig, SEAM_SIG_LEN) != 0)
            FAIL("event %zu: malformed partner signature", i);
        char *msg =
            seam_partner_message_hex(method, req_path, (long long)json_integer_value(t), hex);
        int good = 0;
        for (size_t k = 1; !good && pk != NULL; pk = key_of(ctx, partner, k++))
            good = seam_verify_ctx(SEAM_PARTNER_CONTEXT, msg, strlen(msg), sig, pk) == 0;
        free(msg);
        if (!good)
            FAIL("event %zu: %s's signature does not verify with the key given", i, partner);
        ok++;
        json_decref(ev);
        ev = NULL;
    }
    json_decref(root);
    *checked = ok;
    *unchecked = skipped;
    return 0;
fail:
    json_decref(ev);
    json_decref(root);
    return -1;
}

/* A partner has one key: the first, and no other. */
struct one_key {
    seam_partner_key_fn fn;
    void *ctx;
};

static const uint8_t *
one_key_of(void *ctx, const char *partner, size_t i)
{
    const struct one_key *o = ctx;
    return i == 0 ? o->fn(o->ctx, partner) : NULL;
}

int
seam_evidence_partner_signatures(const char *doc, size_t len, seam_partner_key_fn key_of, void *ctx,
                                 size_t *checked, size_t *unchecked, char *err, size_t errlen)
{
    struct one_key o = {key_of, ctx};
    return kept_signatures(doc, len, "partner_signature", one_key_of, &o, checked, unchecked, err,
                           errlen);
}

int
seam_evidence_user_signatures(const char *doc, size_t len, seam_user_key_fn key_of, void *ctx,
                              size_t *checked, size_t *unchecked, char *err, size_t errlen)
{
    return kept_signatures(doc, len, "user_signature", key_of, ctx, checked, unchecked, err,
                           errlen);
}
