/*
 * fuzz_record: record_decode on arbitrary bytes never crashes nor reads
 * outside them; a refusal leaves the ticket zeroed; whatever it decodes,
 * Jansson reads too, and it encodes to a text that decodes again and
 * encodes to the same bytes. The corpus starts from the records of
 * tests/fixtures/records.
 */
#include "fuzz.h"
#include "record.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    struct ticket t, zero;
    memset(&zero, 0, sizeof(zero));
    if (record_decode(copy, size, &t) != SEAM_OK) {
        FUZZ_ASSERT(memcmp(&t, &zero, sizeof(t)) == 0);
        free(copy);
        return 0;
    }
    json_t *j = json_loadb(copy, size, 0, NULL);
    FUZZ_ASSERT(j != NULL);
    json_decref(j);
    size_t n1, n2;
    char *e1 = record_encode(&t, 1, &n1);
    struct ticket t2;
    FUZZ_ASSERT(record_decode(e1, n1, &t2) == SEAM_OK);
    char *e2 = record_encode(&t2, 1, &n2);
    FUZZ_ASSERT(n1 == n2 && memcmp(e1, e2, n1) == 0);
    j = json_loadb(e1, n1, 0, NULL);
    FUZZ_ASSERT(j != NULL);
    json_decref(j);
    free(e1);
    free(e2);
    ticket_free(&t);
    ticket_free(&t2);
    free(copy);
    return 0;
}
