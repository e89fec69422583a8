/*
 * test_common: utf8_sanitize, which every error reply passes a client's
 * bytes through before they go into JSON (issue 14, finding 7); and
 * format_time_ms, written without the C library's time functions, against
 * gmtime_r and strftime.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* What format_time_ms wrote before: gmtime_r, strftime, snprintf. */
static void
libc_time(int64_t ms, char out[32])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

static void
test_format_time(void)
{
    /* Leap days, century years, the ends of days, months and years. */
    static const int64_t fixed[] = {0,
                                    999,
                                    86399999,
                                    951782400000,  /* 2000-02-29 */
                                    4107542399999, /* 2100-02-28T23:59:59.999 */
                                    4107542400000, /* 2100-03-01 */
                                    1798761599999, /* 2026-12-31T23:59:59.999 */
                                    253402300799999 /* 9999-12-31T23:59:59.999 */};
    int bad = 0;
    char a[32], b[32];
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        format_time_ms(fixed[i], a);
        libc_time(fixed[i], b);
        if (strcmp(a, b) != 0) {
            printf("# %lld: %s, libc %s\n", (long long)fixed[i], a, b);
            bad++;
        }
    }
    ok(bad == 0, "format_time_ms agrees with the C library at the edges of the calendar");
    uint64_t x = 88172645463325252ull;
    bad = 0;
    for (int i = 0; i < 200000; i++) { /* xorshift over 0 .. year 9999 */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t ms = (int64_t)(x % 253402300800000ull);
        format_time_ms(ms, a);
        libc_time(ms, b);
        if (strcmp(a, b) != 0 && bad++ < 5)
            printf("# %lld: %s, libc %s\n", (long long)ms, a, b);
    }
    ok(bad == 0, "format_time_ms agrees with the C library on 200,000 instants");
}

int
main(void)
{
    test_format_time();
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
    /* One check of a mail address, for the configuration and the customers' records. */
    ok(mail_address_valid("ada@example.net") && mail_address_valid("a.b+c@x"),
       "local@domain is a mail address");
    const char *not_mail[] = {NULL,    "",      "ada",   "@example.net", "ada@",   "a@b@c",
                              "a b@c", "<a@b>", "a@b;c", "a\"q@b",       "a@b\x7f"};
    int refused = 1;
    for (size_t i = 0; i < sizeof(not_mail) / sizeof(not_mail[0]); i++)
        refused &= !mail_address_valid(not_mail[i]);
    char longest[260];
    memset(longest, 'a', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    longest[100] = '@';
    ok(refused && !mail_address_valid(longest),
       "no name, no domain, two @, spaces, specials, controls or past 254 bytes: not one");
    return done_testing();
}
