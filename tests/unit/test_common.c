/*
 * test_common: utf8_sanitize, which every error reply passes a client's
 * bytes through before they go into JSON (issue 14, finding 7).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common.h"
#include "tap.h"

/* The sanitized text is valid UTF-8: Jansson takes it as a string and dumps it. */
static int
dumps(const char *s)
{
    json_t *j = json_pack("{s:s}", "message", s);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    int ok_ = text != NULL;
    free(text);
    json_decref(j);
    return ok_;
}

int
main(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain ascii", "plain ascii"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"a\xffz", "a\xef\xbf\xbdz"},                             /* a byte never valid */
        {"\xcf", "\xef\xbf\xbd"},                                 /* a sequence cut off */
        {"\xc0\x80", "\xef\xbf\xbd\xef\xbf\xbd"},                 /* overlong NUL */
        {"\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong '/' */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* a surrogate */
        {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* > U+10FFFF */
        {"\xb0`", "\xef\xbf\xbd`"}, /* a lone continuation */
        /* the parser's text of finding 7: a broken escape, then CF 9B (valid), B0 60 */
        {"invalid escape near '\"descrirti\\\xcf\x9b'\xb0`",
         "invalid escape near '\"descrirti\\\xcf\x9b'\xef\xbf\xbd`"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = utf8_sanitize(cases[i].in);
        ok(strcmp(s, cases[i].out) == 0, "case %zu is made valid UTF-8 as expected", i);
        ok(dumps(s), "case %zu then goes into JSON", i);
        free(s);
    }
    ok(!dumps("a\xffz"), "unsanitized, such bytes do not go into JSON (what made the 500)");
    ok(utf8_sanitize(NULL) == NULL, "NULL stays NULL");
    /* Every single byte and every pair of bytes comes out valid. */
    int all = 1;
    for (unsigned a = 1; a < 256 && all; a++)
        for (unsigned b = 0; b < 256 && all; b++) {
            char in[3] = {(char)a, (char)b, 0};
            char *s = utf8_sanitize(in);
            all = dumps(s);
            free(s);
        }
    ok(all, "every one- and two-byte input comes out valid UTF-8");
    return done_testing();
}
