/*
 * test_evidence.c: the public evidence library against the published
 * RFC 6962 vectors (transparency-dev/merkle testonly/constants.go: the leaf
 * inputs, every node hash of the 8-leaf tree and the roots of sizes 0..8),
 * the worked proofs of RFC 6962 section 2.1.3, and checkpoint notes.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "seam/evidence.h"
#include "tap.h"

static const char *leaf_hex[8] = {"",
                                  "00",
                                  "10",
                                  "2021",
                                  "3031",
                                  "40414243",
                                  "5051525354555657",
                                  "606162636465666768696a6b6c6d6e6f"};
static const char *root_hex[9] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
static const char *level0_hex[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"};
static const char *level1_hex[4] = {
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"};
static const char *level2_hex[2] = {
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"};

static void
unhex(const char *h, uint8_t *out, size_t *n)
{
    size_t len = 0;
    sodium_hex2bin(out, 64, h, strlen(h), NULL, &len, NULL);
    if (n)
        *n = len;
}

/* A node store built by hashing the leaves, independent of the vectors. */
static uint8_t nodes[4][8][32];

static int
get_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
    (void)ctx;
    if (level > 3 || index >= (8u >> level))
        return -1;
    memcpy(out, nodes[level][index], 32);
    return 0;
}

static int
eq_hex(const uint8_t *h, const char *hex)
{
    uint8_t want[32];
    unhex(hex, want, NULL);
    return memcmp(h, want, 32) == 0;
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    /* Leaves and parents from the inputs. */
    for (int i = 0; i < 8; i++) {
        uint8_t in[32];
        size_t n;
        unhex(leaf_hex[i], in, &n);
        seam_leaf_hash(in, n, nodes[0][i]);
        ok(eq_hex(nodes[0][i], level0_hex[i]), "leaf hash %d matches the vector", i);
    }
    for (int l = 1; l < 4; l++)
        for (int i = 0; i < (8 >> l); i++)
            seam_node_hash(nodes[l - 1][2 * i], nodes[l - 1][2 * i + 1], nodes[l][i]);
    for (int i = 0; i < 4; i++)
        ok(eq_hex(nodes[1][i], level1_hex[i]), "level-1 node %d matches", i);
    for (int i = 0; i < 2; i++)
        ok(eq_hex(nodes[2][i], level2_hex[i]), "level-2 node %d matches", i);

    uint8_t roots[9][32];
    for (uint64_t s = 0; s <= 8; s++) {
        ok(seam_merkle_root(get_node, NULL, s, roots[s]) == 0 && eq_hex(roots[s], root_hex[s]),
           "root of size %d matches the vector", (int)s);
    }

    /* RFC 6962 2.1.3: the tree of seven leaves. */
    uint8_t proof[SEAM_PROOF_MAX][32], l_node[32];
    size_t n;
    seam_node_hash(nodes[1][2], nodes[0][6], l_node); /* l = hash(i, j) */
    ok(seam_merkle_inclusion(get_node, NULL, 0, 7, proof, &n) == 0 && n == 3 &&
           !memcmp(proof[0], nodes[0][1], 32) && !memcmp(proof[1], nodes[1][1], 32) &&
           !memcmp(proof[2], l_node, 32),
       "audit path of d0 in 7 leaves is [b, h, l]");
    ok(seam_merkle_inclusion(get_node, NULL, 3, 7, proof, &n) == 0 && n == 3 &&
           !memcmp(proof[0], nodes[0][2], 32) && !memcmp(proof[1], nodes[1][0], 32) &&
           !memcmp(proof[2], l_node, 32),
       "audit path of d3 is [c, g, l]");
    ok(seam_merkle_inclusion(get_node, NULL, 4, 7, proof, &n) == 0 && n == 3 &&
           !memcmp(proof[0], nodes[0][5], 32) && !memcmp(proof[1], nodes[0][6], 32) &&
           !memcmp(proof[2], nodes[2][0], 32),
       "audit path of d4 is [f, j, k]");
    ok(seam_merkle_inclusion(get_node, NULL, 6, 7, proof, &n) == 0 && n == 2 &&
           !memcmp(proof[0], nodes[1][2], 32) && !memcmp(proof[1], nodes[2][0], 32),
       "audit path of d6 is [i, k]");
    ok(seam_merkle_consistency(get_node, NULL, 3, 7, proof, &n) == 0 && n == 4 &&
           !memcmp(proof[0], nodes[0][2], 32) && !memcmp(proof[1], nodes[0][3], 32) &&
           !memcmp(proof[2], nodes[1][0], 32) && !memcmp(proof[3], l_node, 32),
       "consistency 3 -> 7 is [c, d, g, l]");
    ok(seam_merkle_consistency(get_node, NULL, 4, 7, proof, &n) == 0 && n == 1 &&
           !memcmp(proof[0], l_node, 32),
       "consistency 4 -> 7 is [l]");
    ok(seam_merkle_consistency(get_node, NULL, 6, 7, proof, &n) == 0 && n == 3 &&
           !memcmp(proof[0], nodes[1][2], 32) && !memcmp(proof[1], nodes[0][6], 32) &&
           !memcmp(proof[2], nodes[2][0], 32),
       "consistency 6 -> 7 is [i, j, k]");

    /* Every inclusion and consistency proof of sizes 1..8 verifies; a flipped bit fails. */
    int all_inc = 1, all_bad = 1;
    for (uint64_t s = 1; s <= 8; s++)
        for (uint64_t i = 0; i < s; i++) {
            if (seam_merkle_inclusion(get_node, NULL, i, s, proof, &n) != 0 ||
                seam_verify_inclusion(i, s, nodes[0][i], (const uint8_t(*)[32])proof, n,
                                      roots[s]) != 0)
                all_inc = 0;
            if (n > 0) {
                proof[n - 1][5] ^= 1;
                if (seam_verify_inclusion(i, s, nodes[0][i], (const uint8_t(*)[32])proof, n,
                                          roots[s]) == 0)
                    all_bad = 0;
            }
            if (seam_verify_inclusion(i, s + 1, nodes[0][i], (const uint8_t(*)[32])proof, n,
                                      roots[s]) == 0)
                all_bad = 0;
        }
    ok(all_inc, "every inclusion proof in trees of 1..8 leaves verifies");
    ok(all_bad, "a changed proof hash or a wrong size fails inclusion");
    int all_con = 1, con_bad = 1;
    for (uint64_t m = 1; m <= 8; m++)
        for (uint64_t s = m; s <= 8; s++) {
            if (seam_merkle_consistency(get_node, NULL, m, s, proof, &n) != 0 ||
                seam_verify_consistency(m, s, roots[m], roots[s], (const uint8_t(*)[32])proof, n) !=
                    0)
                all_con = 0;
            if (m < s && seam_verify_consistency(m, s, roots[s], roots[m],
                                                 (const uint8_t(*)[32])proof, n) == 0)
                con_bad = 0;
            if (n > 0) {
                proof[0][0] ^= 0x80;
                if (seam_verify_consistency(m, s, roots[m], roots[s], (const uint8_t(*)[32])proof,
                                            n) == 0)
                    con_bad = 0;
            }
        }
    ok(all_con, "every consistency proof between sizes 1..8 verifies");
    ok(con_bad, "swapped roots or a changed hash fail consistency");
    ok(seam_verify_inclusion(8, 8, nodes[0][0], NULL, 0, roots[8]) != 0,
       "an index beyond the tree fails");

    /* Checkpoints. */
    uint8_t pk[32], sk[64], pk2[32], sk2[64], root[32];
    uint64_t size;
    char origin[64], err[200];
    char *note = NULL;
    crypto_sign_keypair(pk, sk);
    crypto_sign_keypair(pk2, sk2);
    ok(seam_checkpoint_sign("seam.example/test", 8, roots[8], sk, &note) == 0, "sign checkpoint");
    ok(note && strncmp(note,
                       "seam.example/test\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n"
                       "\xe2\x80\x94 seam.example/test ",
                       84) == 0,
       "checkpoint note has the C2SP layout");
    ok(seam_checkpoint_verify(note, pk, origin, sizeof(origin), &size, root, err, sizeof(err)) ==
               0 &&
           size == 8 && !memcmp(root, roots[8], 32) && !strcmp(origin, "seam.example/test"),
       "checkpoint verifies and yields size, root, origin");
    ok(seam_checkpoint_verify(note, pk2, NULL, 0, &size, root, err, sizeof(err)) != 0 &&
           strstr(err, "another key"),
       "a checkpoint checked with another key fails: %s", err);
    char *other = NULL;
    seam_checkpoint_sign("seam.example/test", 8, roots[8], sk2, &other);
    ok(seam_checkpoint_verify(other, pk, NULL, 0, &size, root, err, sizeof(err)) != 0,
       "a checkpoint signed by another key fails");
    int every = 1;
    for (size_t i = 0; note[i]; i++) {
        char save = note[i];
        note[i] = save == 'A' ? 'B' : 'A';
        if (seam_checkpoint_verify(note, pk, NULL, 0, &size, root, err, sizeof(err)) == 0)
            every = 0;
        note[i] = save;
    }
    ok(every, "changing any byte of a checkpoint makes it fail");
    free(note);
    free(other);

    /* Context signatures. */
    uint8_t sig[64];
    seam_sign_ctx(SEAM_EVENT_CONTEXT, "abc", 3, sk, sig);
    ok(seam_verify_ctx(SEAM_EVENT_CONTEXT, "abc", 3, sig, pk) == 0, "event signature verifies");
    ok(seam_verify_ctx(SEAM_HEAD_CONTEXT, "abc", 3, sig, pk) != 0,
       "an event signature is not a head signature");
    ok(seam_verify_ctx(SEAM_EVENT_CONTEXT, "abd", 3, sig, pk) != 0, "changed message fails");

    /* Base64 is canonical only. */
    uint8_t buf[8];
    size_t bn;
    ok(seam_b64_decode("AAE=", buf, sizeof(buf), &bn) == 0 && bn == 2, "base64 decodes");
    ok(seam_b64_decode("AAF=", buf, sizeof(buf), &bn) != 0, "non-canonical base64 is refused");
    /* The hashes (through libcrypto) are libsodium's SHA-256 of the same
     * bytes, at every length around the block size and beyond. */
    int wrong = 0;
    uint8_t *msg = malloc(5000), a[32], b[32], pre[5001];
    randombytes_buf(msg, 5000);
    for (size_t len = 0; len <= 5000; len += len < 200 ? 1 : 97) {
        seam_sha256(msg, len, a);
        crypto_hash_sha256(b, msg, len);
        wrong += memcmp(a, b, 32) != 0;
        pre[0] = 0x00;
        memcpy(pre + 1, msg, len);
        seam_leaf_hash(msg, len, a);
        crypto_hash_sha256(b, pre, len + 1);
        wrong += memcmp(a, b, 32) != 0;
    }
    pre[0] = 0x01;
    memcpy(pre + 1, msg, 64);
    seam_node_hash(msg, msg + 32, a);
    crypto_hash_sha256(b, pre, 65);
    wrong += memcmp(a, b, 32) != 0;
    ok(wrong == 0,
       "SHA-256, leaf and node hashes agree with libsodium's at 250 lengths (%d differ)", wrong);
    free(msg);
    {
        /* A public key given as its text, or as a file: the file's path may be
         * 44 characters long, a key's length in base64, and is still a path. */
        uint8_t kp[SEAM_PK_LEN], ks[SEAM_SK_LEN], got[SEAM_PK_LEN];
        crypto_sign_keypair(kp, ks);
        char *b64 = seam_b64_encode(kp, SEAM_PK_LEN), path[64];
        snprintf(path, sizeof(path), "/tmp/seam-unit-pk.XXXXXX");
        int fd = mkstemp(path);
        char name[64];
        snprintf(name, sizeof(name), "%s", path);
        size_t pad = 44 - strlen(name); /* rename to a path of exactly 44 characters */
        char longer[128];
        snprintf(longer, sizeof(longer), "%s%.*s", name, (int)pad, "xxxxxxxxxxxxxxxxxxxxxxxxxx");
        ok(fd >= 0 && write(fd, b64, strlen(b64)) == (ssize_t)strlen(b64) && close(fd) == 0 &&
               rename(name, longer) == 0 && strlen(longer) == 44,
           "a key file at a path of 44 characters");
        ok(seam_pubkey_parse(longer, got) == 0 && memcmp(got, kp, SEAM_PK_LEN) == 0,
           "... is read as a file, not taken for the key's text");
        ok(seam_pubkey_parse(b64, got) == 0 && memcmp(got, kp, SEAM_PK_LEN) == 0,
           "the key's text is still the key");
        unlink(longer);
        free(b64);
    }
    return done_testing();
}
