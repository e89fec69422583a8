/*
 * test_json_fast.c: the parse cache answers exactly what Jansson would for
 * the bytes given, never for bytes it saw before, and each answer is the
 * caller's own; json_dump_into writes what json_dumps would, on the stack
 * when it fits. Threads share the cache safely.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "json_fast.h"
#include "tap.h"

static int
same_as_jansson(const char *text)
{
    json_t *want = json_loadb(text, strlen(text), 0, NULL);
    json_t *got = json_cache_load(text, strlen(text));
    int same = want != NULL && got != NULL && json_equal(want, got);
    json_decref(want);
    json_decref(got);
    return same;
}

static void *
hammer(void *arg)
{
    long me = (long)arg, bad = 0;
    char text[64];
    for (int i = 0; i < 20000; i++) {
        int k = (int)((i * 7 + me) % 600); /* more records than slots: evictions */
        snprintf(text, sizeof(text), "{\"id\":\"c%d\",\"n\":%d}", k, k);
        json_t *j = json_cache_load(text, strlen(text));
        if (j == NULL || json_integer_value(json_object_get(j, "n")) != k)
            bad++;
        json_object_set_new(j, "n", json_integer(-1)); /* the caller's own */
        json_decref(j);
    }
    return (void *)bad;
}

int
main(void)
{
    const char *a = "{\"id\":\"bench1\",\"bundle\":\"triple-play\",\"region\":\"north\"}";
    const char *b = "{\"id\":\"bench1\",\"bundle\":\"triple-play\",\"region\":\"south\"}";
    ok(same_as_jansson(a), "a first load is Jansson's parse");
    ok(same_as_jansson(a), "a second load of the same bytes is the same");
    ok(same_as_jansson(b), "bytes of the same length that differ are parsed anew");
    ok(same_as_jansson(a), "... and the first record is still answered right");

    json_t *mine = json_cache_load(a, strlen(a));
    json_object_set_new(mine, "region", json_string("changed"));
    json_decref(mine);
    json_t *again = json_cache_load(a, strlen(a));
    ok(strcmp(json_string_value(json_object_get(again, "region")), "north") == 0,
       "changing an answer does not change the next one");
    json_decref(again);

    ok(json_cache_load("{\"id\":", 6) == NULL, "broken JSON is NULL");
    ok(json_cache_load("{\"id\":", 6) == NULL, "... every time");

    size_t n = 4000;
    char *big = malloc(n + 32);
    strcpy(big, "{\"text\":\"");
    memset(big + 9, 'x', n);
    strcpy(big + 9 + n, "\"}");
    ok(same_as_jansson(big), "a record larger than a slot is parsed");

    pthread_t th[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, hammer, (void *)i);
    long bad = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        bad += (long)r;
    }
    ok(bad == 0, "four threads loading 600 records 20000 times each get each one right (%ld wrong)",
       bad);
    json_cache_clear();
    ok(same_as_jansson(a), "after clearing, loads still answer right");

    /* json_dump_into */
    json_t *j = json_loadb(big, strlen(big), 0, NULL);
    char buf[64], *want = json_dumps(j, JSON_COMPACT);
    size_t len = 0;
    char *text = json_dump_into(j, JSON_COMPACT, buf, sizeof(buf), &len);
    ok(text != NULL && text != buf && len == strlen(want) && strcmp(text, want) == 0,
       "a text too big for the buffer comes in its own allocation, as json_dumps wrote it");
    free(text);
    free(want);
    json_decref(j);

    j = json_pack("{s:i, s:s, s:[i, i]}", "b", 2, "a", "x", "c", 1, 2);
    want = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    text = json_dump_into(j, JSON_COMPACT | JSON_SORT_KEYS, buf, sizeof(buf), &len);
    ok(text == buf && len == strlen(want) && strcmp(text, want) == 0,
       "a text that fits is in the buffer, NUL-terminated, flags honoured: %s", buf);
    char exact[sizeof("{\"a\":\"x\",\"b\":2,\"c\":[1,2]}") - 1];
    text = json_dump_into(j, JSON_COMPACT | JSON_SORT_KEYS, exact, sizeof(exact), &len);
    ok(text != NULL && text != exact && strcmp(text, want) == 0,
       "a buffer with no room for the NUL is not used");
    if (text != exact)
        free(text);
    free(want);
    json_decref(j);
    free(big);

    /* json_text_string writes what Jansson writes for a string: every byte
     * below 0x20, quotes and backslashes among plain ASCII and UTF-8. */
    const char *pieces[] = {
        "a",  "\"",   "\\",   "\n", "\r",       "\t",           "\b",
        "\f", "\x01", "\x1f", "/",  "\xc3\xa9", "\xe2\x9c\x93", "\xf0\x9f\x98\x80",
        " ",  "{}"};
    int differ = 0;
    srand(7);
    for (int round = 0; round < 2000; round++) {
        char str[256] = "";
        for (int k = rand() % 24; k > 0; k--)
            strcat(str, pieces[rand() % (int)(sizeof(pieces) / sizeof(pieces[0]))]);
        json_t *js = json_string(str);
        char *jansson = json_dumps(js, JSON_ENCODE_ANY);
        struct json_text out = {0};
        json_text_string(&out, str, strlen(str));
        differ += out.data == NULL || strcmp(out.data, jansson) != 0;
        free(out.data);
        free(jansson);
        json_decref(js);
    }
    ok(differ == 0, "2000 random strings are written as Jansson writes them (%d differ)", differ);
    struct json_text out = {0};
    json_text_add(&out, "{", 1);
    for (int i = 0; i < 3000; i++)
        json_text_add(&out, "\"k\":1,", 6);
    json_text_add(&out, "\"end\":2}", 8);
    json_t *grown = json_loads(out.data, 0, NULL);
    ok(grown != NULL && out.len == strlen(out.data) &&
           json_integer_value(json_object_get(grown, "end")) == 2,
       "a text grown past its first allocation stays whole and NUL-terminated (%zu bytes)",
       out.len);
    json_decref(grown);
    free(out.data);
    json_cache_clear();
    return done_testing();
}
