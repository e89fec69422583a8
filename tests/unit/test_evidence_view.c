/*
 * test_evidence_view.c: evidence per principal, through the public library
 * and the evidence log in a real store. Events of format 1 (whole) and 2
 * (restricted members signed by salted digest, disclosed beside them) in
 * one ticket; an export for a view that gives one event by hash only and
 * withholds some disclosures verifies with only the public key, holds no
 * byte of what it withholds, and fails with any byte changed, a disclosure
 * removed, forged or moved, or a hidden event's hash changed; the full export
 * holds everything; a ticket of format 1 events alone still exports as
 * seam-evidence/1; seamctl verify's whole-store check finds a stored
 * disclosure changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "evlog.h"
#include "tap.h"

#define TICKET "T00000000000000000001"
#define TICKET_OLD "T00000000000000000002"

struct chain {
    const struct evlog *lg;
    const char *ticket;
    int events;
    char last[65];
};

/* One event: restricted members (name=value pairs in restricted[], NULL-ended) made disclosures. */
struct one {
    struct chain *c;
    const char *type, *clear;
    const char *const *restricted;
};

static enum seam_err
append_one(struct store_txn *t, void *arg)
{
    struct one *o = arg;
    struct chain *c = o->c;
    json_t *data = json_pack("{s:s}", "clear", o->clear), *sd = json_array(), *disc = json_array();
    for (size_t i = 0; o->restricted && o->restricted[i]; i += 2) {
        char digest[65];
        json_t *v = json_string(o->restricted[i + 1]);
        char *d = seam_disclosure_new(o->restricted[i], v, digest);
        json_decref(v);
        json_array_append_new(disc, json_string(d));
        json_array_append_new(sd, json_string(digest));
        free(d);
    }
    /* the digests sorted, as the broker writes them */
    if (json_array_size(sd) == 2 && strcmp(json_string_value(json_array_get(sd, 0)),
                                           json_string_value(json_array_get(sd, 1))) > 0) {
        json_t *a = json_incref(json_array_get(sd, 0));
        json_array_remove(sd, 0);
        json_array_append_new(sd, a);
    }
    int v2 = json_array_size(sd) > 0;
    json_t *ev =
        json_pack("{s:i, s:s, s:s, s:i, s:s, s:s, s:{s:s, s:s}, s:o}", "v", v2 ? 2 : 1, "type",
                  o->type, "ticket", c->ticket, "seq", c->events, "prev", c->last, "at",
                  "2026-12-01T05:00:00.000Z", "actor", "role", "partner", "id", "p1", "data", data);
    if (v2)
        json_object_set(ev, "sd", sd);
    char *bytes = json_dumps(ev, JSON_SORT_KEYS | JSON_COMPACT);
    char *dtext = v2 ? json_dumps(disc, JSON_COMPACT) : NULL;
    enum seam_err rc = evlog_append_disclosed(t, c->lg, c->ticket, (uint32_t)c->events, bytes,
                                              strlen(bytes), dtext, dtext ? strlen(dtext) : 0);
    if (rc == SEAM_OK) {
        seam_sha256_hex(bytes, strlen(bytes), c->last);
        c->events++;
    }
    free(bytes);
    free(dtext);
    json_decref(ev);
    json_decref(sd);
    json_decref(disc);
    return rc;
}

/* The test's view: event 3 by hash only; members named "secret" withheld. */
static int
shown(void *ctx, const json_t *ev)
{
    (void)ctx;
    return json_integer_value(json_object_get(ev, "seq")) != 3;
}

static int
disclose(void *ctx, const json_t *ev, const char *member, const json_t *value)
{
    (void)ctx;
    (void)ev;
    (void)value;
    return strcmp(member, "secret") != 0;
}

static int
verifies(const char *doc, size_t len, const uint8_t *pk, char *err, size_t errlen)
{
    return seam_evidence_verify(doc, len, pk, NULL, err, errlen) == 0;
}

/* doc re-encoded after f changed its parsed form (canonical, one final newline). */
static char *
edited(const char *doc, void (*f)(json_t *root), size_t *len)
{
    json_t *root = json_loads(doc, 0, NULL);
    f(root);
    char *out = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(root);
    size_t n = strlen(out);
    out = realloc(out, n + 2);
    out[n] = '\n';
    out[n + 1] = '\0';
    *len = n + 1;
    return out;
}

static void
drop_disclosure(json_t *root)
{
    json_array_remove(
        json_object_get(json_array_get(json_object_get(root, "events"), 2), "disclosures"), 0);
}

static void
change_hidden_hash(json_t *root)
{
    json_t *e = json_array_get(json_object_get(root, "events"), 3);
    char h[65];
    snprintf(h, sizeof(h), "%s", json_string_value(json_object_get(e, "hash")));
    h[0] = h[0] == 'a' ? 'b' : 'a';
    json_object_set_new(e, "hash", json_string(h));
}

static const char *forged_text;
static void
forge_disclosure(json_t *root)
{
    json_array_append_new(
        json_object_get(json_array_get(json_object_get(root, "events"), 1), "disclosures"),
        json_string(forged_text));
}

/* event 2's disclosure moved to event 4 */
static void
move_disclosure(json_t *root)
{
    json_t *evs = json_object_get(root, "events");
    json_t *d = json_array_get(json_object_get(json_array_get(evs, 2), "disclosures"), 0);
    json_array_append(json_object_get(json_array_get(evs, 4), "disclosures"), d);
    json_array_remove(json_object_get(json_array_get(evs, 2), "disclosures"), 0);
}

static void
count_problem(void *ctx, const char *p)
{
    printf("# %s\n", p);
    (*(int *)ctx)++;
}

/* Changes the first stored disclosure's salt of event 1 (the store's bytes, as an attacker could).
 */
static enum seam_err
change_stored(struct store_txn *t, void *arg)
{
    (void)arg;
    uint8_t key[TICKET_ID_LEN + 4];
    struct store_val v;
    memcpy(key, TICKET, TICKET_ID_LEN);
    memset(key + TICKET_ID_LEN, 0, 4);
    key[TICKET_ID_LEN + 3] = 1;
    enum seam_err rc = store_get(t, DB_EVENTS, key, sizeof(key), &v);
    if (rc != SEAM_OK)
        return rc;
    uint8_t *copy = malloc(v.len);
    memcpy(copy, v.data, v.len);
    uint8_t *nul = memchr(copy + 8 + SEAM_SIG_LEN, 0, v.len - 8 - SEAM_SIG_LEN);
    if (nul == NULL) {
        free(copy);
        return SEAM_ECORRUPT;
    }
    nul[6] = nul[6] == 'A' ? 'B' : 'A'; /* NUL, [, ", [, \, " then the salt */
    rc = store_put(t, DB_EVENTS, key, sizeof(key), copy, v.len, 0);
    free(copy);
    return rc;
}

int
main(void)
{
    char tmpl[] = "/tmp/seam-evview.XXXXXX";
    char *dir = mkdtemp(tmpl);
    struct keys k;
    struct store *s;
    struct store_txn *t;
    char err[256] = "";
    if (sodium_init() < 0 || dir == NULL)
        return 1;
    crypto_sign_keypair(k.pk, k.sk);
    struct evlog lg = {&k, "seam.test/view"};
    ok(store_open(dir, 1 << 20, (size_t)1 << 30, 1, &s) == SEAM_OK, "open store");

    /* ---- the library's disclosures ---- */
    char digest[65], digest2[65];
    json_t *val = json_string("a note"), *parsed = NULL, *pv;
    const char *pname;
    char *d1 = seam_disclosure_new("note", val, digest);
    char *d2 = seam_disclosure_new("note", val, digest2);
    ok(strcmp(d1, d2) != 0 && strcmp(digest, digest2) != 0,
       "the same member twice: two salts, two digests");
    ok(seam_disclosure_parse(d1, digest2, &parsed, &pname, &pv) == 0 &&
           strcmp(digest, digest2) == 0 && strcmp(pname, "note") == 0 && json_equal(pv, val),
       "a disclosure parses back to its name, value and digest");
    json_decref(parsed);
    parsed = NULL;
    const char *bad[] = {"[\"c2FsdA\",\"note\",\"x\"]",                          /* short salt */
                         "[ \"AAAAAAAAAAAAAAAAAAAAAA\",\"note\",\"x\"]",         /* not canonical */
                         "[\"AAAAAAAAAAAAAAAAAAAAAA\",\"\",\"x\"]",              /* no name */
                         "[\"AAAAAAAAAAAAAAAAAAAAAA\",\"note\"]",                /* no value */
                         "{\"salt\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"note\":\"x\"}", /* not an array */
                         "[\"AAAAAAAAAAAAAAAAAAAAA+\",\"note\",\"x\"]"};         /* not base64url */
    int refused = 1;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (seam_disclosure_parse(bad[i], digest2, &parsed, &pname, &pv) == 0) {
            refused = 0;
            json_decref(parsed);
        }
    ok(refused, "malformed disclosures are refused");
    /* From a value's canonical text (the writer's way): the same form, for values that need
     * escapes, non-ASCII text and nested containers. */
    const char *values[] = {
        "\"a \\\"quoted\\\" line\\nand a tab\\t\"",
        "\"bell \\u0007\"",
        "\"ørret – æ\"",
        "{\"assignments\":[{\"id\":\"A1\",\"partner\":\"p\"}],\"mode\":\"one\"}",
        "null",
        "[1,2.5,true]"};
    int same = 1;
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char *d = seam_disclosure_text("route", values[i], strlen(values[i]), digest);
        json_t *want = json_loads(values[i], JSON_DECODE_ANY, NULL);
        if (d == NULL || seam_disclosure_parse(d, digest2, &parsed, &pname, &pv) != 0 ||
            strcmp(digest, digest2) != 0 || strcmp(pname, "route") != 0 || !json_equal(pv, want))
            same = 0;
        else
            json_decref(parsed);
        json_decref(want);
        free(d);
    }
    ok(same, "disclosures made from a value's text parse back, canonical, to name and value");
    ok(seam_disclosure_text("no\"te", "\"x\"", 3, digest) == NULL &&
           seam_disclosure_text("", "\"x\"", 3, digest) == NULL,
       "... and a name that would need escaping, or none, is refused");
    forged_text = d2; /* the same member and value, another salt: matches no signed digest */
    json_decref(val);

    /* ---- a ticket of both formats ---- */
    struct chain c = {&lg, TICKET, 0, ""};
    const char *r1[] = {"secret", "SECRET-ONE", NULL};
    const char *r2[] = {"secret", "SECRET-TWO", "shared", "PUBLIC-THREE", NULL};
    const char *r4[] = {"shared", "PUBLIC-FIVE", NULL};
    struct one evs[] = {{&c, "ticket.created", "CLEAR-ZERO", NULL},
                        {&c, "assignment.progress", "CLEAR-ONE", r1},
                        {&c, "assignment.handed_back", "CLEAR-TWO", r2},
                        {&c, "ticket.assigned", "HIDDEN-FOUR", NULL},
                        {&c, "ticket.note", "CLEAR-FIVE", r4}};
    int all = 1;
    for (size_t i = 0; i < 5; i++)
        all &= store_write(s, append_one, &evs[i], evlog_hook, &lg) == SEAM_OK;
    struct chain old = {&lg, TICKET_OLD, 0, ""};
    struct one olds[] = {{&old, "ticket.created", "OLD-ZERO", NULL},
                         {&old, "ticket.note", "OLD-ONE", NULL}};
    for (size_t i = 0; i < 2; i++)
        all &= store_write(s, append_one, &olds[i], evlog_hook, &lg) == SEAM_OK;
    ok(all, "5 events of both formats and a ticket of format 1 alone appended");
    ok(store_read_begin(s, &t) == SEAM_OK, "read");

    char *doc = NULL, *full = NULL, *x;
    size_t len, flen, xlen, n;
    struct evlog_view view = {"partner:p1", shown, disclose, NULL, NULL};
    ok(evlog_export_view(t, &lg, TICKET, &view, &doc, &len) == SEAM_OK, "export a view");
    ok(seam_evidence_verify(doc, len, k.pk, &n, err, sizeof(err)) == 0 && n == 5,
       "it verifies with the public key alone, 5 events (%s)", err);
    ok(strstr(doc, "\"format\":\"" SEAM_EVIDENCE_FORMAT_VIEW "\"") != NULL,
       "it is a view: seam-evidence/2");
    ok(!strstr(doc, "SECRET-ONE") && !strstr(doc, "SECRET-TWO") && !strstr(doc, "HIDDEN-FOUR"),
       "it holds none of the withheld values nor the hidden event");
    ok(strstr(doc, "PUBLIC-THREE") && strstr(doc, "PUBLIC-FIVE") && strstr(doc, "CLEAR-TWO"),
       "it holds what the view discloses");
    json_t *root = json_loads(doc, 0, NULL);
    json_t *hid = json_array_get(json_object_get(root, "events"), 3);
    ok(json_object_size(hid) == 1 && json_string_value(json_object_get(hid, "hash")) != NULL,
       "the hidden event is its hash alone");
    json_t *opened = seam_event_open(
        json_string_value(
            json_object_get(json_array_get(json_object_get(root, "events"), 2), "event")),
        (const char *const[]){json_string_value(json_array_get(
            json_object_get(json_array_get(json_object_get(root, "events"), 2), "disclosures"),
            0))},
        1);
    json_t *want = json_string("PUBLIC-THREE");
    ok(opened && json_equal(json_object_get(json_object_get(opened, "data"), "shared"), want) &&
           json_object_get(json_object_get(opened, "data"), "secret") == NULL,
       "an event opened with its disclosure has the member back, and only it");
    json_decref(opened);
    json_decref(want);
    opened = seam_event_open(json_string_value(json_object_get(
                                 json_array_get(json_object_get(root, "events"), 1), "event")),
                             &forged_text, 1);
    ok(opened == NULL, "a disclosure matching no signed digest does not open an event");
    json_decref(root);

    int every = 1;
    for (size_t i = 0; i < len; i++) {
        char save = doc[i];
        /* one way per byte (valgrind runs this too); test_evlog changes each two ways */
        doc[i] = (char)(save ^ 0x01);
        if (verifies(doc, len, k.pk, err, sizeof(err))) {
            every = 0;
            printf("# byte %zu flipped and still verified\n", i);
        }
        doc[i] = save;
    }
    ok(every, "each of its %zu bytes, changed, makes it fail", len);
    x = edited(doc, drop_disclosure, &xlen);
    ok(!verifies(x, xlen, k.pk, err, sizeof(err)), "a disclosure removed fails: %s", err);
    free(x);
    x = edited(doc, change_hidden_hash, &xlen);
    ok(!verifies(x, xlen, k.pk, err, sizeof(err)), "a hidden event's hash changed fails: %s", err);
    free(x);
    x = edited(doc, forge_disclosure, &xlen);
    ok(!verifies(x, xlen, k.pk, err, sizeof(err)), "a forged disclosure fails: %s", err);
    free(x);
    x = edited(doc, move_disclosure, &xlen);
    ok(!verifies(x, xlen, k.pk, err, sizeof(err)), "a disclosure moved to another event fails: %s",
       err);
    free(x);

    ok(evlog_export(t, &lg, TICKET, &full, &flen) == SEAM_OK &&
           seam_evidence_verify(full, flen, k.pk, &n, err, sizeof(err)) == 0 && n == 5,
       "the full export verifies");
    ok(strstr(full, "SECRET-ONE") && strstr(full, "SECRET-TWO") && strstr(full, "HIDDEN-FOUR") &&
           strstr(full, "PUBLIC-THREE") && strstr(full, "\"view\\\":\\\"lead\\\""),
       "and holds everything, as the lead's view");
    free(full);
    ok(evlog_export_view(t, &lg, TICKET_OLD, &view, &full, &flen) == SEAM_OK &&
           strstr(full, "\"format\":\"" SEAM_EVIDENCE_FORMAT "\"") &&
           !strstr(full, "disclosures") && verifies(full, flen, k.pk, err, sizeof(err)),
       "a ticket of whole events, all shown, exports as seam-evidence/1 as before");
    free(full);
    free(doc);

    int problems = 0;
    uint64_t events;
    ok(evlog_verify_store(t, k.pk, NULL, count_problem, &problems, &events) == 0 && events == 7,
       "the whole store verifies, disclosures and all");
    store_read_end(t);
    ok(store_write(s, change_stored, NULL, NULL, NULL) == SEAM_OK,
       "a stored disclosure is changed");
    ok(store_read_begin(s, &t) == SEAM_OK, "read again");
    problems = 0;
    ok(evlog_verify_store(t, k.pk, NULL, count_problem, &problems, &events) == 1,
       "the whole-store check finds it");
    store_read_end(t);

    free(d1);
    free(d2);
    store_close(s);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return done_testing();
}
