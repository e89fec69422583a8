/*
 * test_json_build.c: the canonical builders of json_fast.h write exactly
 * the bytes of Jansson's json_dumps(JSON_SORT_KEYS | JSON_COMPACT) for the
 * same value: many generated objects (random keys with non-ASCII, control
 * characters, quotes, common prefixes, nesting; strings with NUL; integers
 * at the extremes), a key added twice, empty containers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_fast.h"
#include "tap.h"

static unsigned long rng = 88172645463325252UL;

static unsigned
rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* A random valid UTF-8 string of up to max characters into buf; its length. */
static size_t
rnd_text(char *buf, unsigned max, int allow_nul)
{
    static const char *const pieces[] = {
        "a",  "b",  "ab",   "z",    "A",    "\"",       "\\",           "/",
        "\n", "\t", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e",
        " ",  "~",  "0",    "\b",   "\f",   "\r"};
    size_t n = 0;
    unsigned k = rnd(max + 1);
    for (unsigned i = 0; i < k; i++) {
        if (allow_nul && rnd(20) == 0) {
            buf[n++] = '\0';
            continue;
        }
        const char *p = pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))];
        memcpy(buf + n, p, strlen(p));
        n += strlen(p);
    }
    buf[n] = '\0';
    return n;
}

static json_t *
rnd_value(int depth)
{
    char buf[256];
    size_t n;
    switch (rnd(depth > 3 ? 6 : 8)) {
    case 0:
        n = rnd_text(buf, 12, 1);
        return json_stringn(buf, n);
    case 1: {
        static const json_int_t edges[] = {0, -1, 1, INT64_MAX, INT64_MIN, 1700000000000, -42};
        return json_integer(rnd(2) ? edges[rnd(7)] : (json_int_t)rnd(1000000) - 500000);
    }
    case 2:
        return json_true();
    case 3:
        return json_false();
    case 4:
        return json_null();
    case 5:
        return json_real(rnd(1000) / 8.0);
    case 6: {
        json_t *o = json_object();
        unsigned k = rnd(10);
        for (unsigned i = 0; i < k; i++) {
            n = rnd_text(buf, 4, 0);
            json_object_setn_new(o, buf, n, rnd_value(depth + 1));
        }
        return o;
    }
    default: {
        json_t *a = json_array();
        unsigned k = rnd(5);
        for (unsigned i = 0; i < k; i++)
            json_array_append_new(a, rnd_value(depth + 1));
        return a;
    }
    }
}

static char *build_obj(const json_t *o, size_t *len);
static char *build_arr(const json_t *a, size_t *len);

/* Adds v under key (klen) to o, or to a when o is NULL, through the builders. */
static void
add(struct json_obj *o, struct json_arr *a, const char *key, size_t klen, json_t *v)
{
    size_t n;
    char *text;
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (o)
            json_obj_strn(o, key, klen, json_string_value(v), json_string_length(v));
        else
            json_arr_strn(a, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        if (o && klen == strlen(key)) {
            json_obj_int(o, key, json_integer_value(v));
        } else if (o) { /* a key with a NUL inside: through rawn */
            char buf[32];
            n = (size_t)snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            json_obj_rawn(o, key, klen, buf, n);
        } else {
            json_arr_int(a, json_integer_value(v));
        }
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        if (o && klen == strlen(key))
            json_obj_bool(o, key, json_is_true(v));
        else if (o)
            json_obj_rawn(o, key, klen, json_is_true(v) ? "true" : "false",
                          json_is_true(v) ? 4 : 5);
        else
            json_arr_bool(a, json_is_true(v));
        break;
    case JSON_NULL:
        if (o && klen == strlen(key))
            json_obj_null(o, key);
        else if (o)
            json_obj_strn(o, key, klen, NULL, 0);
        else
            json_arr_null(a);
        break;
    case JSON_OBJECT:
    case JSON_ARRAY:
        text = json_is_object(v) ? build_obj(v, &n) : build_arr(v, &n);
        if (o)
            json_obj_rawn(o, key, klen, text, n);
        else
            json_arr_raw(a, text, n);
        free(text);
        break;
    default:
        if (o && klen == strlen(key)) {
            if (json_obj_json(o, key, v) != SEAM_OK)
                abort();
        } else if (o) {
            text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            json_obj_rawn(o, key, klen, text, strlen(text));
            free(text);
        } else if (json_arr_json(a, v) != SEAM_OK) {
            abort();
        }
    }
}

static char *
build_obj(const json_t *obj, size_t *len)
{
    struct json_obj o = JSON_OBJ_INIT;
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe((json_t *)obj, tmp, key, v)
    {
        add(&o, NULL, key, json_object_iter_key_len(json_object_key_to_iter(key)), v);
    }
    return json_obj_finish(&o, len);
}

static char *
build_arr(const json_t *arr, size_t *len)
{
    struct json_arr a = JSON_ARR_INIT;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        add(NULL, &a, NULL, 0, v);
    }
    return json_arr_finish(&a, len);
}

int
main(void)
{
    int same = 1, tried = 0;
    for (int i = 0; i < 3000; i++) {
        json_t *v = rnd_value(0);
        if (!json_is_object(v)) {
            json_t *o = json_object();
            json_object_set_new(o, "v", v);
            v = o;
        }
        char *want = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
        size_t n;
        char *got = build_obj(v, &n);
        tried++;
        if (want == NULL || strlen(want) != n || memcmp(want, got, n) != 0) {
            if (same)
                printf("# want %s\n# got  %s\n", want, got);
            same = 0;
        }
        free(want);
        free(got);
        json_decref(v);
    }
    ok(same, "%d generated objects built byte for byte as Jansson dumps them", tried);

    struct json_obj o = JSON_OBJ_INIT;
    json_obj_str(&o, "b", "x");
    json_obj_int(&o, "a", 1);
    json_obj_str(&o, "b", NULL);
    json_obj_str(&o, "ab", "\xe2\x82\xac\x01");
    json_obj_str(&o, "\xc3\xa9", "");
    json_obj_bool(&o, "A", 0);
    char *t = json_obj_finish(&o, NULL);
    ok(strcmp(
           t,
           "{\"A\":false,\"a\":1,\"ab\":\"\xe2\x82\xac\\u0001\",\"b\":null,\"\xc3\xa9\":\"\"}") ==
           0,
       "a key added twice keeps its last value; keys bytewise (%s)", t);
    free(t);
    ok(o.n == 0 && o.m == NULL, "the builder is released by finish");

    struct json_obj e = JSON_OBJ_INIT;
    t = json_obj_finish(&e, NULL);
    ok(strcmp(t, "{}") == 0, "an empty object");
    free(t);
    struct json_arr ea = JSON_ARR_INIT;
    t = json_arr_finish(&ea, NULL);
    ok(strcmp(t, "[]") == 0, "an empty array");
    free(t);

    struct json_arr a = JSON_ARR_INIT;
    json_arr_int(&a, INT64_MIN);
    json_arr_str(&a, NULL);
    json_arr_str(&a, "q\"");
    json_t *j = json_pack("{s:[i,n],s:f}", "z", 1, "y", 0.5);
    if (json_arr_json(&a, j) != SEAM_OK)
        ok(0, "json_arr_json");
    json_decref(j);
    t = json_arr_finish(&a, NULL);
    ok(strcmp(t, "[-9223372036854775808,null,\"q\\\"\",{\"y\":0.5,\"z\":[1,null]}]") == 0,
       "an array with a sorted nested value (%s)", t);
    free(t);

    struct json_obj f = JSON_OBJ_INIT;
    json_obj_str(&f, "k", "v");
    json_obj_free(&f);
    ok(f.text.data == NULL, "json_obj_free releases a builder not finished");
    return done_testing();
}
