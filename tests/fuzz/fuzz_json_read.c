/*
 * fuzz_json_read: the pull reader (json_read.h) against Jansson on
 * arbitrary bytes. The reader walks the input (objects and arrays entered,
 * values below a depth picked by the first byte skipped whole): it must
 * never crash nor read outside the input, whatever Jansson refuses it must
 * not accept as a document, and what both accept must be the same value.
 * Every skip also agrees with Jansson about the text it answers.
 */
#include "fuzz.h"
#include "json_read.h"
#include "json_walk.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned limit = data[0] % 8;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    /* a copy of exactly len bytes, so that ASan sees any read past them */
    char *copy = malloc(len ? len : 1);
    memcpy(copy, text, len);

    struct json_read r;
    json_read_init(&r, copy, len);
    json_t *got = json_walk(&r, 0, limit);
    int accepted = got != NULL && json_read_end(&r);
    json_read_done(&r);
    json_t *want = json_loadb(copy, len, JSON_DECODE_ANY, NULL); /* a top-level scalar too */
    if (accepted) {
        FUZZ_ASSERT(want != NULL);
        FUZZ_ASSERT(json_equal(want, got));
    }
    json_decref(got);

    json_read_init(&r, copy, len);
    struct json_slice raw;
    if (json_read_skip(&r, &raw, 512) && json_read_end(&r)) {
        FUZZ_ASSERT(want != NULL);
        FUZZ_ASSERT(raw.s >= copy && raw.s + raw.n <= copy + len);
    }
    json_read_done(&r);
    json_decref(want);
    free(copy);
    return 0;
}
