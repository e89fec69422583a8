/*
 * fuzz_evidence: the offline evidence verifier (include/seam/evidence.h),
 * which auditors run on documents they did not make. Against the keys of the
 * seed documents in the corpus (whole documents and principals' views), a
 * document either verifies or is refused with a reason; a signed checkpoint
 * note likewise; a cosigned note is split, its cosignatures checked, and a
 * witness's verifier key parsed, without harm.
 */
#include <string.h>

#include "fuzz.h"
#include "seam/evidence.h"

/*
 * The broker keys that signed the seed documents in tests/fuzz/corpus/evidence:
 * evidence.pub the whole documents (seam-evidence/1), evidence-view.pub the
 * principals' views (seam-evidence/2, view-*.json).
 */
static const uint8_t *
seed_key(int which)
{
    static uint8_t pk[2][SEAM_PK_LEN];
    static int loaded[2];
    if (!loaded[which]) {
        const char *path = getenv(which ? "SEAM_FUZZ_EVIDENCE_VIEW_KEY" : "SEAM_FUZZ_EVIDENCE_KEY");
        FUZZ_ASSERT(seam_pubkey_parse(path    ? path
                                      : which ? "tests/fuzz/evidence-view.pub"
                                              : "tests/fuzz/evidence.pub",
                                      pk[which]) == 0);
        loaded[which] = 1;
    }
    return pk[which];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *pk = seed_key(0);
    char err[256] = "";
    size_t n = 0;
    for (int which = 0; which < 2; which++) {
        err[0] = '\0';
        if (seam_evidence_verify((const char *)data, size, seed_key(which), &n, err, sizeof(err)) !=
            0) {
            FUZZ_ASSERT(err[0] != '\0');
        } else {
            FUZZ_ASSERT(n >= 1);
            break;
        }
    }

    char *note = malloc(size + 1), origin[256];
    uint64_t tree_size;
    uint8_t root[SEAM_HASH_LEN];
    memcpy(note, data, size);
    note[size] = '\0';
    err[0] = '\0';
    if (seam_checkpoint_verify(note, pk, origin, sizeof(origin), &tree_size, root, err,
                               sizeof(err)) != 0)
        FUZZ_ASSERT(err[0] != '\0');
    /* the witnesses' side: a cosigned note, a verifier key, a document that must carry them */
    size_t log_len;
    if (seam_checkpoint_split(note, &log_len) == 0)
        FUZZ_ASSERT(log_len <= strlen(note));
    struct seam_witness w = {"witness.example", {0}};
    (void)seam_cosignature_verify(note, w.name, w.pk, NULL);
    if (seam_witness_vkey_parse(note, w.name, sizeof(w.name), w.pk) == 0)
        FUZZ_ASSERT(w.name[0] != '\0');
    err[0] = '\0';
    if (seam_evidence_verify_witnessed((const char *)data, size, pk, &w, 1, 0, NULL, err,
                                       sizeof(err)) != 0)
        FUZZ_ASSERT(err[0] != '\0');
    free(note);
    return 0;
}
