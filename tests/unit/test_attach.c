/*
 * test_attach.c: attach.c, the files attached to tickets. The type is judged
 * by content (each allowed type, and what only looks like one); the names;
 * and, on a real store, an upload kept whole, the same bytes once, the
 * limits per ticket, a reference recorded, the list, and verify finding
 * bytes that no longer hash to their name.
 */
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "seam/evidence.h"
#include "tap.h"

#define TID "T0000000000000000000a"

static void
test_sniff(void)
{
    static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    static const char jpg[] = "\xff\xd8\xff\xe0\0\x10JFIF";
    ok(attach_sniff(png, sizeof(png) - 1) == ATTACH_PNG, "a PNG by its signature");
    ok(attach_sniff(jpg, sizeof(jpg) - 1) == ATTACH_JPEG, "a JPEG by its SOI marker");
    ok(attach_sniff("%PDF-1.7\n", 9) == ATTACH_PDF, "a PDF by its header");
    ok(attach_sniff("sync lost\r\n\tblå\n", strlen("sync lost\r\n\tblå\n")) == ATTACH_TEXT,
       "UTF-8 text with tab and line ends");
    ok(attach_sniff("\x89PNG\r\n", 6) < 0, "a cut PNG signature is no PNG, nor text");
    ok(attach_sniff("MZ\x90\0\3", 5) < 0, "a program is none of them");
    ok(attach_sniff("a\0b", 3) < 0, "text with a NUL is not text");
    ok(attach_sniff("a\x1b[31mred", 9) < 0, "text with an escape is not text");
    ok(attach_sniff("bad \xc3\x28", 6) < 0, "invalid UTF-8 is not text");
    ok(attach_sniff("\xed\xa0\x80", 3) < 0, "a surrogate is not text");
    ok(attach_sniff("", 0) < 0, "nothing is none of them");
}

static void
test_declared(void)
{
    ok(attach_type_declared("image/png") == ATTACH_PNG, "image/png");
    ok(attach_type_declared("IMAGE/JPEG") == ATTACH_JPEG, "any case");
    ok(attach_type_declared("text/plain; charset=utf-8") == ATTACH_TEXT, "parameters ignored");
    ok(attach_type_declared("application/octet-stream") == ATTACH_TYPE_COUNT,
       "octet-stream: no claim");
    ok(attach_type_declared("text/html") < 0, "text/html is not allowed");
    ok(attach_type_declared("image/pngx") < 0, "a longer name is another type");
    ok(attach_type_declared(NULL) < 0, "no type declared");
    ok(attach_type_parse("application/pdf") == ATTACH_PDF && attach_type_parse("pdf") < 0,
       "the stored names");
}

static void
test_names(void)
{
    char sha[2 * SEAM_HASH_LEN + 1];
    seam_sha256_hex("x", 1, sha);
    ok(attach_name_valid(sha), "a SHA-256 in lower-case hex");
    sha[0] = 'A';
    ok(!attach_name_valid(sha), "upper case is not");
    ok(!attach_name_valid("abc") && !attach_name_valid(NULL), "short or none is not");
    ok(attach_filename_valid("router photo.png") && attach_filename_valid("blå.txt"),
       "file names with spaces and UTF-8");
    ok(!attach_filename_valid("../etc/passwd") && !attach_filename_valid("a\\b") &&
           !attach_filename_valid("a\"b") && !attach_filename_valid("a\nb") &&
           !attach_filename_valid("") && !attach_filename_valid("\xff"),
       "no slash, backslash, quote, control, empty or invalid UTF-8");
}

struct put {
    const char *data;
    unsigned max_count;
    size_t max_bytes;
    const char *over;
    json_t *out;
    enum seam_err rc;
};

static enum seam_err
put_apply(struct store_txn *t, void *ctx)
{
    struct put *p = ctx;
    char sha[2 * SEAM_HASH_LEN + 1];
    seam_sha256_hex(p->data, strlen(p->data), sha);
    json_t *meta = json_pack("{s:i, s:s, s:s}", "size", (int)strlen(p->data), "type", "text/plain",
                             "name", "a.txt");
    json_decref(p->out);
    p->out = NULL;
    p->rc = attach_put(t, TID, sha, p->data, strlen(p->data), meta, p->max_count, p->max_bytes,
                       &p->over, &p->out);
    json_decref(meta);
    return p->rc == SEAM_EEXIST ? SEAM_OK : p->rc;
}

static enum seam_err
refer_apply(struct store_txn *t, void *ctx)
{
    char sha[2 * SEAM_HASH_LEN + 1];
    seam_sha256_hex(ctx, strlen(ctx), sha);
    return attach_refer(t, TID, sha, 3, "customer", "c1");
}

static void
problem(void *ctx, const char *text)
{
    (void)text;
    (*(int *)ctx)++;
}

static void
test_store(void)
{
    char *dir = tap_tmpdir();
    struct store *s = NULL;
    struct store_txn *t;
    char sha[2 * SEAM_HASH_LEN + 1];
    ok(dir != NULL && store_open(dir, 1 << 20, (size_t)16 << 20, 1, &s) == SEAM_OK, "a store");
    if (s == NULL)
        return;
    struct put p = {"one\n", 3, 12, NULL, NULL, SEAM_OK};
    ok(store_write(s, put_apply, &p, NULL, NULL) == SEAM_OK && p.rc == SEAM_OK &&
           json_is_array(json_object_get(p.out, "refs")),
       "an upload is stored, with no reference yet");
    ok(store_write(s, put_apply, &p, NULL, NULL) == SEAM_OK && p.rc == SEAM_EEXIST,
       "the same bytes again: SEAM_EEXIST, nothing written");
    p.data = "two\n";
    ok(store_write(s, put_apply, &p, NULL, NULL) == SEAM_OK && p.rc == SEAM_OK, "a second");
    p.data = "three\n";
    ok(store_write(s, put_apply, &p, NULL, NULL) == SEAM_ELIMIT && strcmp(p.over, "bytes") == 0,
       "past max_bytes: SEAM_ELIMIT, bytes");
    p.data = "3\n";
    p.max_bytes = 1000;
    p.max_count = 2;
    ok(store_write(s, put_apply, &p, NULL, NULL) == SEAM_ELIMIT && strcmp(p.over, "count") == 0,
       "past max_count: SEAM_ELIMIT, count");
    json_decref(p.out);
    ok(store_write(s, refer_apply, "one\n", NULL, NULL) == SEAM_OK, "a reference is recorded");
    ok(store_write(s, refer_apply, "nine\n", NULL, NULL) == SEAM_ENOTFOUND,
       "a reference to none: SEAM_ENOTFOUND");
    json_t *list = NULL, *meta = NULL;
    char *data = NULL;
    size_t len = 0;
    int problems = 0;
    uint64_t count = 0;
    seam_sha256_hex("one\n", 4, sha);
    ok(store_read_begin(s, &t) == SEAM_OK, "read");
    ok(attach_list(t, TID, &list) == SEAM_OK && json_array_size(list) == 2, "the list holds two");
    ok(attach_meta_load(t, TID, sha, &meta) == SEAM_OK &&
           json_integer_value(
               json_object_get(json_array_get(json_object_get(meta, "refs"), 0), "seq")) == 3,
       "the description names the referring event");
    ok(attach_content(t, TID, sha, &data, &len) == SEAM_OK && len == 4 &&
           memcmp(data, "one\n", 4) == 0,
       "the bytes, whole");
    ok(attach_meta_load(t, "T0000000000000000000b", sha, &list) == SEAM_ENOTFOUND,
       "another ticket has none of them");
    ok(attach_verify(t, problem, &problems, &count) == SEAM_OK && problems == 0 && count == 2,
       "verify passes");
    store_read_end(t);
    json_decref(list);
    json_decref(meta);
    free(data);
    store_close(s);
    tap_rmtree(dir);
    free(dir);
}

int
main(void)
{
    test_sniff();
    test_declared();
    test_names();
    test_store();
    return done_testing();
}
