/*
 * test_record_facts.c: the ticket record stores the facts of the
 * configuration's table by their names (record_use_facts): a fact declared
 * beyond the built-in six is written in "facts" and, as filed, at the top,
 * and read back; a record holding a fact the table no longer declares still
 * opens (the fact is passed over in "facts", kept verbatim at the top).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common.h"
#include "config.h"
#include "record.h"
#include "tap.h"

int
main(void)
{
    char *text = NULL;
    size_t len;
    const char *fixture = "tests/fixtures/records/lifecycle-T01a22c55698928ed82b6.json";
    if (read_file(fixture, 1 << 22, &text, &len) != SEAM_OK) {
        printf("Bail out! cannot read %s\n", fixture);
        return 2;
    }
    struct ticket t;
    ok(record_decode(text, len, &t) == SEAM_OK, "a record written before declared facts opens");

    /* The table with one more fact: line. */
    struct fact_kind kinds[FACT_COUNT + 1];
    memcpy(kinds, fact_kinds, sizeof(fact_kinds));
    kinds[FACT_COUNT] =
        (struct fact_kind){"line", FACT_VOCAB_INLINE, NULL, FACT_FROM_COMPLAINT, 1, 64, 6, NULL, 0};
    record_use_facts(kinds, FACT_COUNT + 1);
    ok(record_fact_count() == FACT_COUNT + 1 && !strcmp(record_fact_name(FACT_COUNT), "line"),
       "the record's names are the table's");
    struct ticket again;
    ok(record_decode(text, len, &again) == SEAM_OK && again.facts[FACT_COUNT] == NULL,
       "... the old record opens with the new fact absent");
    ticket_free(&again);
    t.filed[FACT_COUNT] = strdup("copper");
    t.facts[FACT_COUNT] = strdup("copper");
    size_t n;
    char *enc = record_encode(&t, 1, &n);
    json_t *j = json_loadb(enc, n, 0, NULL);
    ok(j && !strcmp(json_string_value(json_object_get(j, "line")), "copper") &&
           !strcmp(json_string_value(json_object_get(json_object_get(j, "facts"), "line")),
                   "copper"),
       "the declared fact is stored as filed and now");
    json_decref(j);
    ok(record_decode(enc, n, &again) == SEAM_OK && again.filed[FACT_COUNT] &&
           !strcmp(again.filed[FACT_COUNT], "copper") && again.facts[FACT_COUNT] &&
           !strcmp(again.facts[FACT_COUNT], "copper"),
       "... and read back");
    ticket_free(&again);

    /* The table without it again: the record still opens. */
    record_use_facts(fact_kinds, FACT_COUNT);
    ok(record_decode(enc, n, &again) == SEAM_OK && again.facts[FACT_SERVICE] != NULL,
       "a record holding a fact the table no longer declares opens");
    size_t n2;
    char *enc2 = record_encode(&again, 1, &n2);
    json_t *k = json_loadb(enc2, n2, 0, NULL);
    ok(k && !strcmp(json_string_value(json_object_get(k, "line")), "copper") &&
           json_object_get(json_object_get(k, "facts"), "line") == NULL,
       "... the fact as filed kept verbatim, the fact now passed over");
    json_decref(k);
    free(enc2);
    ticket_free(&again);
    free(enc);
    ticket_free(&t);
    free(text);
    return done_testing();
}
