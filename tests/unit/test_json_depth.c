/*
 * test_json_depth.c: the nesting limit of every JSON input (json_fast.h)
 * and the writers' last line of defence. The scan: a text exactly at the
 * limit passes, one level more fails, brackets inside strings and escaped
 * quotes do not count; the limited parse says "too deep" the way Jansson
 * does. The writers: an event or a ticket nested deeper than the readers
 * can parse is refused (SEAM_ECORRUPT) and nothing is stored, while one at
 * the stored limit is stored and parses again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "config.h"
#include "evlog.h"
#include "json_fast.h"
#include "tap.h"
#include "ticket.h"

/* prefix, then n '[', then mid, then n ']', then suffix (malloc'd). */
static char *
nested(const char *prefix, unsigned n, const char *mid, const char *suffix)
{
    size_t pl = strlen(prefix), ml = strlen(mid), sl = strlen(suffix);
    char *s = malloc(pl + 2 * (size_t)n + ml + sl + 1), *o = s;
    memcpy(o, prefix, pl);
    o += pl;
    memset(o, '[', n);
    o += n;
    memcpy(o, mid, ml);
    o += ml;
    memset(o, ']', n);
    o += n;
    memcpy(o, suffix, sl + 1);
    return s;
}

static void
test_scan(void)
{
    json_error_t err;
    ok(json_nesting("1", 1, 32) == 0, "a scalar nests 0 deep");
    ok(json_nesting("{}", 2, 32) == 1, "{} nests 1 deep");
    ok(json_nesting("{\"a\":[1,{\"b\":[]}],\"c\":{}}", 24, 32) == 4, "the deepest branch counts");

    /* {"x": [[...]]}: 1 + n levels. */
    char *at = nested("{\"x\":", 31, "1", "}"), *over = nested("{\"x\":", 32, "1", "}");
    ok(json_nesting(at, strlen(at), 32) == 32, "32 levels measure 32");
    json_t *j = json_load_depth(at, strlen(at), 0, 32, &err);
    ok(j != NULL, "exactly at the limit (32) parses");
    json_decref(j);
    j = json_load_depth(over, strlen(over), 0, 32, &err);
    ok(j == NULL && json_too_deep(&err), "one level more (33) is refused as too deep");
    ok(strstr(err.text, "deeper than 32") != NULL && err.line == 1 && err.position == 36,
       "the error names the limit and the bracket past it (%s, line %d, position %d)", err.text,
       err.line, err.position);
    ok(json_nesting(over, strlen(over), 32) == 33, "the scan stops one past the limit");
    free(at);
    free(over);

    /* Brackets in strings do not count; escaped quotes do not end the string. */
    const char *in_string = "{\"a\":\"[[[[[[[[{{{{{{{{\",\"b\":[1]}";
    ok(json_nesting(in_string, strlen(in_string), 3) == 2, "brackets inside a string do not count");
    const char *escaped = "{\"a\":\"\\\"[[[[\\\\\",\"b\":\"\\\\\\\"{{{{\"}";
    ok(json_nesting(escaped, strlen(escaped), 3) == 1,
       "escaped quotes and backslashes do not end a string early");
    j = json_load_depth(escaped, strlen(escaped), 0, 1, &err);
    ok(j != NULL && strcmp(json_string_value(json_object_get(j, "a")), "\"[[[[\\") == 0,
       "... and the text parses as Jansson reads it");
    json_decref(j);
    const char *key = "{\"[[[[\":{\"]]]]\":[]}}";
    ok(json_nesting(key, strlen(key), 8) == 3, "brackets inside keys do not count");

    /* Not JSON at all: the parser's error, not "too deep". */
    j = json_load_depth("{\"a\":", 5, 0, 32, &err);
    ok(j == NULL && !json_too_deep(&err), "broken JSON is Jansson's own error");
    j = json_loads_depth(NULL, 0, 32, &err);
    ok(j == NULL && !json_too_deep(&err), "no text is an error, not a crash");

    /* Jansson's own limit is reported the same way. */
    char *huge = nested("", 3000, "1", "");
    j = json_loadb(huge, strlen(huge), 0, &err);
    ok(j == NULL && json_too_deep(&err), "Jansson's limit (2048) is the same code");
    j = json_load_depth(huge, strlen(huge), 0, JSON_DEPTH_MAX, &err);
    ok(j == NULL && json_too_deep(&err) && err.position == JSON_DEPTH_MAX,
       "the limited parse refuses 3000 levels at the first bracket past the limit");
    free(huge);
    ok(JSON_DEPTH_STORED < 2048 && JSON_DEPTH_MAX + 16 < JSON_DEPTH_STORED,
       "a request at the most configurable depth fits a stored record, which Jansson reads");
}

struct append_ctx {
    const struct evlog *lg;
    const char *ticket;
    unsigned depth; /* of the event */
};

static enum seam_err
append_deep(struct store_txn *t, void *arg)
{
    struct append_ctx *a = arg;
    /* An event object whose data nests depth - 1 levels of arrays. */
    char *bytes =
        nested("{\"data\":", a->depth - 1, "1", ",\"seq\":0,\"type\":\"ticket.created\"}");
    enum seam_err rc = evlog_append(t, a->lg, a->ticket, 0, bytes, strlen(bytes));
    free(bytes);
    return rc;
}

struct create_ctx {
    const struct ticket_ctx *c;
    const struct principal *who;
    const struct ticket_input *in;
    struct ticket record;
};

static enum seam_err
add_customer(struct store_txn *t, void *arg)
{
    const struct config *cfg = arg;
    return customer_add(t, cfg, "c1", "Ada", "triple-play", "north", NULL);
}

static enum seam_err
create(struct store_txn *t, void *arg)
{
    struct create_ctx *cc = arg;
    ticket_free(&cc->record);
    return ticket_create(t, cc->c, cc->who, cc->in, &cc->record);
}

int
main(void)
{
    char tmpl[] = "/tmp/seam-depth.XXXXXX";
    char *dir = mkdtemp(tmpl), *errors = NULL;
    struct keys k;
    struct store *s;
    struct store_txn *t;
    struct config *cfg = NULL;
    uint64_t size;
    char *note = NULL, *bytes = NULL;
    size_t len;
    if (sodium_init() < 0 || dir == NULL)
        return 1;
    test_scan();

    crypto_sign_keypair(k.pk, k.sk);
    struct evlog lg = {&k, "seam.test/depth"};
    ok(store_open(dir, 1 << 20, (size_t)1 << 30, 1, &s) == SEAM_OK, "open store");

    /* An event: deeper than the stored limit is refused, nothing written. */
    struct append_ctx deep = {&lg, "T00000000000000000001", JSON_DEPTH_STORED + 1};
    ok(store_write(s, append_deep, &deep, evlog_hook, &lg) == SEAM_ECORRUPT,
       "an event nested %u deep is refused", JSON_DEPTH_STORED + 1);
    deep.depth = 2049;
    ok(store_write(s, append_deep, &deep, evlog_hook, &lg) == SEAM_ECORRUPT,
       "an event nested 2049 deep (Jansson cannot read it) is refused");
    ok(store_read_begin(s, &t) == SEAM_OK, "read");
    ok(evlog_event(t, deep.ticket, 0, &bytes, &len, NULL, NULL) == SEAM_ENOTFOUND &&
           evlog_checkpoint(t, &size, &note) == SEAM_OK && size == 0 &&
           store_count(t, DB_EVENTS) == 0 && store_count(t, DB_LEAVES) == 0,
       "... and nothing is stored: no event, no leaf, no checkpoint");
    store_read_end(t);
    free(note);
    note = NULL;

    /* At the limit: stored, and what is stored parses again. */
    deep.depth = JSON_DEPTH_STORED;
    ok(store_write(s, append_deep, &deep, evlog_hook, &lg) == SEAM_OK,
       "an event nested exactly %u deep is stored", JSON_DEPTH_STORED);
    ok(store_read_begin(s, &t) == SEAM_OK, "read");
    ok(evlog_event(t, deep.ticket, 0, &bytes, &len, NULL, NULL) == SEAM_OK, "... it is there");
    json_t *ev = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, NULL);
    ok(ev != NULL && json_nesting(bytes, len, 4096) == JSON_DEPTH_STORED,
       "... and parses again with the readers' parse");
    json_decref(ev);
    free(bytes);
    store_read_end(t);

    /* A ticket: the record and its event carry the TMF attributes as given. */
    ok(config_load("conf/seam.json", &cfg, &errors) == SEAM_OK, "the example federation loads");
    ok(store_write(s, add_customer, cfg, NULL, NULL) == SEAM_OK, "a customer");
    struct ticket_ctx c = {cfg, &lg, NULL};
    struct principal who = {.role = ROLE_CUSTOMER};
    snprintf(who.subject, sizeof(who.subject), "c1");
    struct ticket_input in = {
        .summary = "no tv",
        .description = "the screen stays black",
        .facts = {[FACT_SERVICE] = (char *)"tv", [FACT_SYMPTOM] = (char *)"no_service"},
        .priority = 1};
    /* Jansson counts a scalar as a level too: 2047 empty arrays in an object is its most. */
    char *text = nested("{\"name\":", 2047, "", "}");
    in.tmf = json_loads(text, 0, NULL);
    free(text);
    ok(in.tmf != NULL, "TMF attributes nested 2048 deep (Jansson's limit) parse");
    struct create_ctx cc = {&c, &who, &in, {.nassignments = 0}};
    ok(store_write(s, create, &cc, evlog_hook, &lg) == SEAM_ECORRUPT,
       "a ticket holding them is refused by the writer");
    ok(store_read_begin(s, &t) == SEAM_OK, "read");
    ok(store_count(t, DB_TICKETS) == 0 && store_count(t, DB_EVENTS) == 1 &&
           store_count(t, DB_CUST_TICKETS) == 0 && store_count(t, DB_ASSIGNMENTS) == 0,
       "... and nothing of it is stored (no ticket, no event, no assignment)");
    store_read_end(t);
    json_decref(in.tmf);

    text = nested("{\"name\":", JSON_DEPTH_MAX - 1, "\"x\"", "}");
    in.tmf = json_loads(text, 0, NULL);
    free(text);
    ok(store_write(s, create, &cc, evlog_hook, &lg) == SEAM_OK,
       "a ticket with attributes at the most configurable request depth (%u) is stored",
       JSON_DEPTH_MAX);
    json_decref(in.tmf);
    const char *id = cc.record.id[0] ? cc.record.id : NULL;
    struct ticket back = {.nassignments = 0};
    ok(store_read_begin(s, &t) == SEAM_OK, "read");
    ok(id != NULL && ticket_load(t, id, &back) == SEAM_OK, "... and its record parses again");
    ok(evlog_event(t, id, 0, &bytes, &len, NULL, NULL) == SEAM_OK &&
           (ev = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, NULL)) != NULL,
       "... and so does its event");
    json_decref(ev);
    free(bytes);
    ticket_free(&back);
    store_read_end(t);
    ticket_free(&cc.record);

    config_free(cfg);
    store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return done_testing();
}
