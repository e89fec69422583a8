/*
 * fuzz_evidence: the offline evidence verifier (include/seam/evidence.h),
 * which auditors run on documents they did not make. Against the key of the
 * seed documents in the corpus, a document either verifies or is refused
 * with a reason; a signed checkpoint note likewise.
 */
#include <string.h>

#include "fuzz.h"
#include "seam/evidence.h"

/* The broker key that signed the seed documents in tests/fuzz/corpus/evidence. */
static const uint8_t *
seed_key(void)
{
    static uint8_t pk[SEAM_PK_LEN];
    static int loaded;
    if (!loaded) {
        const char *path = getenv("SEAM_FUZZ_EVIDENCE_KEY");
        FUZZ_ASSERT(seam_pubkey_parse(path ? path : "tests/fuzz/evidence.pub", pk) == 0);
        loaded = 1;
    }
    return pk;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *pk = seed_key();
    char err[256] = "";
    size_t n = 0;
    if (seam_evidence_verify((const char *)data, size, pk, &n, err, sizeof(err)) != 0)
        FUZZ_ASSERT(err[0] != '\0');
    else
        FUZZ_ASSERT(n >= 1);

    char *note = malloc(size + 1), origin[256];
    uint64_t tree_size;
    uint8_t root[SEAM_HASH_LEN];
    memcpy(note, data, size);
    note[size] = '\0';
    err[0] = '\0';
    if (seam_checkpoint_verify(note, pk, origin, sizeof(origin), &tree_size, root, err,
                               sizeof(err)) != 0)
        FUZZ_ASSERT(err[0] != '\0');
    free(note);
    return 0;
}
