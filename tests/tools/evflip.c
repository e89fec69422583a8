/*
 * evflip.c: a test tool. Changes each byte of an evidence document in turn
 * (two ways: to another letter, and one bit flipped) and verifies each
 * changed copy with the public evidence library, as seamctl verify-evidence
 * does; reports every copy that still verifies. Not installed; tests only.
 *
 *   evflip FILE PUBKEY [N] exit 0 if the document verifies and no change does;
 *                          with N, only N bytes spread over the whole document
 *                          (each verification reads the whole document: all
 *                          of a large one takes minutes)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "seam/evidence.h"

int
main(int argc, char **argv)
{
    uint8_t pk[SEAM_PK_LEN];
    char err[256];
    if (argc < 3 || argc > 4 || sodium_init() < 0 || seam_pubkey_parse(argv[2], pk) != 0) {
        fprintf(stderr, "usage: evflip FILE PUBKEY [N]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL)
        return 2;
    size_t cap = 1 << 16, len = 0, n;
    char *doc = malloc(cap);
    while (doc != NULL && (n = fread(doc + len, 1, cap - len, f)) > 0)
        if ((len += n) == cap)
            doc = realloc(doc, cap *= 2);
    fclose(f);
    if (doc == NULL || seam_evidence_verify(doc, len, pk, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "evflip: the document does not verify as it is: %s\n", doc ? err : "");
        return 1;
    }
    size_t still = 0, want = argc == 4 ? strtoul(argv[3], NULL, 10) : 0, tried = 0;
    if (want == 0 || want > len)
        want = len;
    for (size_t k = 0; k < want; k++) {
        /* evenly spread, each a few bytes off the grid so no field is always missed */
        size_t i = want == len ? k : (k * len / want + k % 7) % len;
        tried++;
        char save = doc[i];
        char ways[2] = {(char)(save == 'A' ? 'B' : 'A'), (char)(save ^ 0x01)};
        for (int w = 0; w < 2; w++) {
            doc[i] = ways[w];
            if (seam_evidence_verify(doc, len, pk, NULL, err, sizeof(err)) == 0) {
                printf("byte %zu changed to 0x%02x still verifies\n", i, (unsigned char)ways[w]);
                still++;
            }
        }
        doc[i] = save;
    }
    printf("%zu of %zu bytes, each changed two ways: %zu copies still verify\n", tried, len, still);
    free(doc);
    return still == 0 ? 0 : 1;
}
