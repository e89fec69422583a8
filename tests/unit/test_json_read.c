/*
 * test_json_read.c: the pull reader reads what Jansson reads and refuses
 * what it refuses: escapes and surrogate pairs unescaped to UTF-8, deep
 * values skipped whole, integers at the int64 edges and past them, every
 * truncation of a valid text refused, malformed texts refused with the
 * error sticky; borrowed strings point into the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"
#include "tap.h"

#include "../fuzz/json_walk.h"

/* Whether the reader (walking into depth limit) and Jansson agree on text. */
static int
agrees(const char *text, size_t len, unsigned limit)
{
    struct json_read r;
    json_read_init(&r, text, len);
    json_t *got = json_walk(&r, 0, limit);
    int accepted = got != NULL && json_read_end(&r);
    json_read_done(&r);
    json_t *want = json_loadb(text, len, 0, NULL);
    int same = accepted ? want != NULL && json_equal(want, got) : want == NULL;
    if (!same)
        printf("# disagree (reader %s, Jansson %s): %.*s\n", accepted ? "accepts" : "refuses",
               want ? "accepts" : "refuses", (int)(len > 200 ? 200 : len), text);
    json_decref(got);
    json_decref(want);
    return same;
}

static int
agrees_s(const char *text)
{
    return agrees(text, strlen(text), 64) && agrees(text, strlen(text), 1) &&
           agrees(text, strlen(text), 0);
}

int
main(void)
{
    static const char *const good[] = {
        "{}",
        "[]",
        " { \"a\" : 1 , \"b\" : [ true , false , null , \"x\" ] } ",
        "{\"s\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u20AC\"}",
        "{\"pair\":\"\\ud834\\udd1e\",\"raw\":\"\xf0\x9d\x84\x9e \xc3\xa9 \xe2\x82\xac\"}",
        "{\"k\\u0041y\":\"v\"}",
        "{\"max\":9223372036854775807,\"min\":-9223372036854775808,\"z\":0,\"m\":-0}",
        "{\"r\":[1.5,-0.25e3,1E-2,2e+10]}",
        "{\"deep\":[[[[[[[[[[[[{\"a\":[{\"b\":{}}]}]]]]]]]]]]]],\"after\":1}",
        "{\"a\":{\"b\":{\"c\":[1,{\"d\":\"e\"}]}},\"a2\":[]}",
    };
    int all = 1;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        all &= agrees_s(good[i]);
    ok(all, "valid texts read as Jansson reads them (walked and skipped)");

    static const char *const bad[] = {
        "",
        "{",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{,\"a\":1}",
        "[1,]",
        "[1 2]",
        "{\"a\":1]",
        "[1}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":1e}",
        "{\"a\":-}",
        "{\"a\":+1}",
        "{\"a\":tru}",
        "{\"a\":nul}",
        "{\"a\":True}",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":\"\\ud834\"}",
        "{\"a\":\"\\udd1e\"}",
        "{\"a\":\"\\ud834\\u0041\"}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12G4\"}",
        "{\"a\":\"tab\there\"}",
        "{\"a\":\"\xc3\"}",
        "{\"a\":\"\xc0\xaf\"}",
        "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":\"\xff\"}",
        "{\"a\":9223372036854775808}",
        "{\"a\":-9223372036854775809}",
        "{\"a\":1e400}",
        "{\"a\":1}x",
        "{\"a\":1}{}",
        "{'a':1}",
        "{\"a\"\f:1}",
        "\xef\xbb\xbf{}",
    };
    all = 1;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        all &= agrees_s(bad[i]);
    ok(all, "malformed texts refused as Jansson refuses them");

    /* every truncation of a valid record-like text is refused */
    const char *rec = "{\"id\":\"T1\",\"s\":\"\\u00e9\\ud834\\udd1e\xc3\xa9\",\"n\":[1,-2,3.5e1],"
                      "\"o\":{\"t\":true,\"f\":false,\"z\":null}}";
    all = 1;
    for (size_t n = 0; n < strlen(rec); n++) {
        struct json_read r;
        json_read_init(&r, rec, n);
        json_t *got = json_walk(&r, 0, 64);
        if (got != NULL && json_read_end(&r))
            all = 0;
        json_decref(got);
        json_read_done(&r);
        json_read_init(&r, rec, n);
        struct json_slice raw;
        if (json_read_skip(&r, &raw, 64) && json_read_end(&r))
            all = 0;
        json_read_done(&r);
    }
    ok(all, "each of the %zu truncations refused, walked or skipped", strlen(rec));

    /* the error is sticky */
    struct json_read r;
    json_read_init(&r, "{\"a\":x,\"b\":1}", 13);
    struct json_slice k;
    int64_t v = 7;
    int first = json_read_object(&r) && json_read_key(&r, &k);
    int second = json_read_int(&r, &v);
    int third = json_read_key(&r, &k);
    ok(first && !second && !third && r.err && !json_read_end(&r) && v == 7,
       "an error is sticky; out-parameters untouched on failure");
    json_read_done(&r);

    /* borrowed and owned strings */
    const char *t = "{\"plain\":\"abc\",\"esc\":\"a\\nb\"}";
    json_read_init(&r, t, strlen(t));
    struct json_slice s1, s2;
    char *o1, *o2;
    int rd = json_read_object(&r) && json_read_key(&r, &k) && json_read_str(&r, &s1, &o1) &&
             json_read_key(&r, &k) && json_read_str(&r, &s2, &o2) && !json_read_key(&r, &k);
    ok(rd && o1 == NULL && s1.s > t && s1.s < t + strlen(t) && s1.n == 3 && o2 != NULL &&
           s2.n == 3 && memcmp(s2.s, "a\nb", 3) == 0 && json_read_end(&r),
       "a string without escapes is borrowed, one with escapes is copied");
    free(o2);
    json_read_done(&r);

    /* skip gives the raw slice; depth past the limit is refused */
    t = "{\"keep\": {\"b\":[1, {\"c\":\"\\\"}\"}]} ,\"n\":2}";
    json_read_init(&r, t, strlen(t));
    struct json_slice raw;
    rd = json_read_object(&r) && json_read_key(&r, &k) && json_read_skip(&r, &raw, 8) &&
         json_read_key(&r, &k) && json_read_int(&r, &v) && !json_read_key(&r, &k);
    ok(rd && raw.n == strlen("{\"b\":[1, {\"c\":\"\\\"}\"}]}") &&
           memcmp(raw.s, "{\"b\":[1, {\"c\":\"\\\"}\"}]}", raw.n) == 0 && v == 2 &&
           json_read_end(&r),
       "skip answers the value's own text");
    json_read_done(&r);

    char deep[3000];
    size_t d = 0;
    for (int i = 0; i < 1000; i++)
        deep[d++] = '[';
    for (int i = 0; i < 1000; i++)
        deep[d++] = ']';
    json_read_init(&r, deep, d);
    ok(!json_read_skip(&r, NULL, 512) && r.err, "a value nested past the limit is refused");
    json_read_done(&r);
    json_read_init(&r, deep + 500, 1000);
    ok(json_read_skip(&r, NULL, 512) && json_read_end(&r), "... and one at the limit skipped");
    json_read_done(&r);

    /* integers */
    json_read_init(&r, "[1.0]", 5);
    ok(json_read_array(&r) && json_read_next(&r) && !json_read_int(&r, &v),
       "a real is not an integer");
    json_read_done(&r);

    /* generated strings: every escape of each code point class */
    unsigned long seed = 12345;
    all = 1;
    for (int n = 0; n < 2000; n++) {
        char text[256];
        size_t len = 0;
        text[len++] = '[';
        text[len++] = '"';
        for (int c = 0; c < 8; c++) {
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            unsigned cp = (unsigned)(seed >> 33) % 0x110000;
            if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
                cp = 0x41;
            if (cp >= 0x10000 && (seed & 1)) {
                unsigned u = cp - 0x10000;
                len += (size_t)snprintf(text + len, 16, "\\u%04x\\u%04X", 0xD800 + (u >> 10),
                                        0xDC00 + (u & 0x3FF));
            } else {
                len += (size_t)snprintf(text + len, 16, "\\u%04x", cp < 0x10000 ? cp : 0x263A);
            }
        }
        text[len++] = '"';
        text[len++] = ']';
        all &= agrees(text, len, 64);
    }
    ok(all, "2000 generated escaped strings unescaped as Jansson does");
    return done_testing();
}
