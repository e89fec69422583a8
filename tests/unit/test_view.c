/*
 * test_view.c: the lead's view of a stored ticket, taken from the record's
 * bytes without a parse (ticket_lead_bytes), must be exactly what the parsed
 * path gives (ticket_view for the lead: the record without its top-level
 * "head"). Checked on records made to trip a byte scanner: "head" as a
 * nested key, inside strings, next to escapes and brackets in text, and at
 * either end of the object; and on many random records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tap.h"
#include "ticket.h"

/* The parsed path's answer for the lead. */
static char *
slow_view(const char *stored)
{
    json_t *rec = json_loads(stored, 0, NULL);
    json_t *v = json_deep_copy(rec);
    json_object_del(v, "head");
    char *out = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    json_decref(rec);
    return out;
}

static int
same_view(json_t *record)
{
    char *stored = json_dumps(record, JSON_SORT_KEYS | JSON_COMPACT);
    size_t n = 0;
    char *fast = ticket_lead_bytes(stored, strlen(stored), &n);
    char *slow = slow_view(stored);
    int same = fast != NULL && n == strlen(slow) && strcmp(fast, slow) == 0;
    if (!same)
        printf("# stored %s\n# fast   %s\n# slow   %s\n", stored, fast ? fast : "(null)", slow);
    free(stored);
    free(fast);
    free(slow);
    return same;
}

static const char *const texts[] = {"plain",
                                    "\"head\":{\"events\":1}",
                                    ",\"head\":",
                                    "{[}]",
                                    "back\\\\slash\\\"",
                                    "tab\tnew\nline",
                                    "\xc3\xa6\xc3\xb8\xc3\xa5",
                                    "",
                                    "}}}",
                                    "\"",
                                    NULL};

static const char *
text(unsigned i)
{
    unsigned n = 0;
    while (texts[n])
        n++;
    return texts[i % n];
}

int
main(void)
{
    json_t *r;

    r = json_pack("{s:s, s:{s:i, s:s}, s:s}", "id", "T1", "head", "events", 3, "last", "ab",
                  "status", "open");
    ok(same_view(r), "head in the middle of the record");
    json_decref(r);

    r = json_pack("{s:{s:i, s:s}, s:s}", "head", "events", 1, "last", "", "zz", "x");
    ok(same_view(r), "head as the first member");
    json_decref(r);

    r = json_pack("{s:s, s:{s:i, s:s}}", "aa", "x", "head", "events", 1, "last", "");
    ok(same_view(r), "head as the last member");
    json_decref(r);

    r = json_pack("{s:{s:i, s:s}}", "head", "events", 1, "last", "");
    ok(same_view(r), "head as the only member");
    json_decref(r);

    r = json_pack("{s:[{s:s, s:{s:i}}], s:s, s:{s:i, s:s}, s:s}", "assignments", "head",
                  ",\"head\":{}", "x", "head", 2, "description", "\"head\":", "head", "events", 9,
                  "last", "ff", "timeline", "}");
    ok(same_view(r), "nested objects with a \"head\" key and strings that spell it");
    json_decref(r);

    r = json_pack("{s:s, s:i}", "id", "T1", "round", 0);
    char *stored = json_dumps(r, JSON_SORT_KEYS | JSON_COMPACT);
    size_t n;
    char *fast = ticket_lead_bytes(stored, strlen(stored), &n);
    ok(fast == NULL, "a record without a head: no fast answer (the parsed path is used)");
    free(fast);
    free(stored);
    json_decref(r);
    fast = ticket_lead_bytes("{\"a\":\"x", 7, &n);
    ok(fast == NULL, "truncated bytes: no fast answer");
    free(fast);
    fast = ticket_lead_bytes("{\"head\":{\"a\":", 13, &n);
    ok(fast == NULL, "a truncated head: no fast answer");
    free(fast);

    int bad = 0;
    srand(7);
    for (int i = 0; i < 2000; i++) {
        json_t *rec = json_object(), *tl = json_array();
        int members = rand() % 6;
        for (int k = 0; k < members; k++) {
            char key[16];
            snprintf(key, sizeof(key), "%c%d", 'a' + rand() % 26, k);
            json_object_set_new(rec, key, json_string(text((unsigned)rand())));
        }
        for (int k = rand() % 4; k > 0; k--)
            json_array_append_new(tl,
                                  json_pack("{s:s, s:s, s:{s:i}}", "text", text((unsigned)rand()),
                                            "head", text((unsigned)rand()), "head2", "n", k));
        json_object_set_new(rec, "timeline", tl);
        json_object_set_new(
            rec, "head",
            json_pack("{s:i, s:s}", "events", rand() % 100, "last", text((unsigned)rand())));
        bad += !same_view(rec);
        json_decref(rec);
    }
    ok(bad == 0, "2000 random records: the fast view equals the parsed one (%d differ)", bad);
    return done_testing();
}
