/*
 * test_evlog.c: the evidence log in a real store. Events of several tickets
 * appended over many commits; the checkpoints signed after each; inclusion
 * and consistency proofs from the stored nodes; a ticket's export verifying
 * with only the public key and failing after any single byte changes; the
 * whole-store check passing, and failing with another key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "evlog.h"
#include "tap.h"
#include "ticket.h"

struct append_ctx {
    const struct evlog *lg;
    const char *ticket;
    int events; /* appended to this ticket so far */
    char last[65];
};

static enum seam_err
append_one(struct store_txn *t, void *arg)
{
    struct append_ctx *a = arg;
    json_t *ev = json_pack("{s:i, s:s, s:s, s:i, s:s, s:s, s:{s:s, s:s}, s:{s:i}}", "v", 1, "type",
                           a->events ? "ticket.noted" : "ticket.created", "ticket", a->ticket,
                           "seq", a->events, "prev", a->last, "at", "2026-11-22T10:00:00.000Z",
                           "actor", "role", "customer", "id", "c1", "data", "n", a->events);
    char *bytes = json_dumps(ev, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(ev);
    enum seam_err rc = evlog_append(t, a->lg, a->ticket, (uint32_t)a->events, bytes, strlen(bytes));
    if (rc == SEAM_OK) {
        seam_sha256_hex(bytes, strlen(bytes), a->last);
        a->events++;
        json_t *rec = json_pack("{s:s, s:{s:i, s:s}}", "id", a->ticket, "head", "events", a->events,
                                "last", a->last);
        char *text = json_dumps(rec, JSON_COMPACT);
        rc = store_put(t, DB_TICKETS, a->ticket, TICKET_ID_LEN, text, strlen(text), 0);
        free(text);
        json_decref(rec);
    }
    free(bytes);
    return rc;
}

/* A ticket record whose head says one event more than its chain holds. */
static enum seam_err
bad_head(struct store_txn *t, void *arg)
{
    const struct append_ctx *a = arg;
    json_t *rec = json_pack("{s:s, s:{s:i, s:s}}", "id", a->ticket, "head", "events", a->events + 1,
                            "last", a->last);
    char *text = json_dumps(rec, JSON_COMPACT);
    enum seam_err rc = store_put(t, DB_TICKETS, a->ticket, TICKET_ID_LEN, text, strlen(text), 0);
    free(text);
    json_decref(rec);
    return rc;
}

static void
count_problem(void *ctx, const char *p)
{
    (void)p;
    (*(int *)ctx)++;
}

int
main(void)
{
    char tmpl[] = "/tmp/seam-evlog.XXXXXX";
    char *dir = mkdtemp(tmpl);
    struct keys k, other;
    struct store *s;
    struct store_txn *t;
    if (sodium_init() < 0 || dir == NULL)
        return 1;
    crypto_sign_keypair(k.pk, k.sk);
    crypto_sign_keypair(other.pk, other.sk);
    struct evlog lg = {&k, "seam.test/log"};
    ok(store_open(dir, 1 << 20, (size_t)1 << 30, 1, &s) == SEAM_OK, "open store");

    const char *tickets[4] = {"T00000000000000000001", "T00000000000000000002",
                              "T00000000000000000003", "T00000000000000000004"};
    struct append_ctx ac[4];
    for (int i = 0; i < 4; i++)
        ac[i] = (struct append_ctx){&lg, tickets[i], 0, ""};
    int all = 1;
    for (int round = 0; round < 20; round++)
        for (int i = 0; i < 3; i++)
            if ((round + i) % 2 == 0 &&
                store_write(s, append_one, &ac[i], evlog_hook, &lg) != SEAM_OK)
                all = 0;
    /* A short ticket in the middle of the log, for the byte-by-byte test. */
    for (int i = 0; i < 2; i++)
        if (store_write(s, append_one, &ac[3], evlog_hook, &lg) != SEAM_OK)
            all = 0;
    for (int i = 0; i < 2; i++)
        if (store_write(s, append_one, &ac[0], evlog_hook, &lg) != SEAM_OK)
            all = 0;
    int total = ac[0].events + ac[1].events + ac[2].events + ac[3].events;
    ok(all && total == 34, "34 events appended over 34 commits");

    uint64_t size;
    char *note = NULL;
    ok(store_read_begin(s, &t) == SEAM_OK && evlog_checkpoint(t, &size, &note) == SEAM_OK &&
           size == 34 && note != NULL,
       "the latest checkpoint covers all 34 events");
    uint8_t root[32], want[32];
    uint64_t cp_size;
    ok(seam_checkpoint_verify(note, k.pk, NULL, 0, &cp_size, root, NULL, 0) == 0 &&
           seam_merkle_root(evlog_node, t, 34, want) == 0 && !memcmp(root, want, 32),
       "it is signed by the broker and its root is the tree's");
    free(note);

    /* Every earlier checkpoint is consistent with the latest. */
    int consistent = 1;
    for (uint64_t m = 1; m <= 34; m++) {
        uint8_t r1[32], proof[SEAM_PROOF_MAX][32];
        size_t n;
        if (seam_merkle_root(evlog_node, t, m, r1) != 0 ||
            seam_merkle_consistency(evlog_node, t, m, 34, proof, &n) != 0 ||
            seam_verify_consistency(m, 34, r1, root, (const uint8_t(*)[32])proof, n) != 0)
            consistent = 0;
    }
    ok(consistent, "consistency proofs from every size 1..34 to 34 verify");

    char *doc = NULL;
    size_t len, nev;
    char err[256];
    ok(evlog_export(t, &lg, tickets[1], &doc, &len) == SEAM_OK, "export a ticket");
    ok(seam_evidence_verify(doc, len, k.pk, &nev, err, sizeof(err)) == 0 && nev == 10,
       "its evidence verifies with the public key: %zu events", nev);
    ok(seam_evidence_verify(doc, len, other.pk, NULL, err, sizeof(err)) != 0,
       "and fails with another key: %s", err);
    free(doc);
    ok(evlog_export(t, &lg, tickets[3], &doc, &len) == SEAM_OK &&
           seam_evidence_verify(doc, len, k.pk, &nev, err, sizeof(err)) == 0 && nev == 2,
       "a two-event ticket from the middle of the log verifies");
    int every = 1;
    for (size_t i = 0; i < len; i++) {
        char save = doc[i];
        doc[i] = (char)(save == 'A' ? 'B' : 'A');
        if (seam_evidence_verify(doc, len, k.pk, NULL, err, sizeof(err)) == 0) {
            every = 0;
            printf("# byte %zu changed and still verified\n", i);
        }
        doc[i] = (char)(save ^ 0x01);
        if (seam_evidence_verify(doc, len, k.pk, NULL, err, sizeof(err)) == 0) {
            every = 0;
            printf("# byte %zu flipped and still verified\n", i);
        }
        doc[i] = save;
    }
    ok(every, "each of its %zu bytes, changed, makes it fail", len);
    ok(seam_evidence_verify(doc, len - 1, k.pk, NULL, err, sizeof(err)) != 0,
       "without its final newline it fails");
    free(doc);
    doc = NULL;
    ok(evlog_export(t, &lg, "T99999999999999999999", &doc, &len) == SEAM_ENOTFOUND && !doc,
       "an unknown ticket has no evidence");

    int problems = 0;
    uint64_t events;
    /* The records' heads as the ticket module reads them (seamctl verify's). */
    const struct evlog_records recs = {ticket_head, ticket_each_key};
    ok(evlog_verify_store(t, k.pk, &recs, count_problem, &problems, &events) == 0 && events == 34,
       "the whole store verifies");
    problems = 0;
    ok(evlog_verify_store(t, other.pk, &recs, count_problem, &problems, &events) > 0,
       "the whole store fails with another key (%d problems)", problems);
    store_read_end(t);

    /* The records' heads are read through recs (the ticket module's), and only so. */
    ok(store_write(s, bad_head, &ac[1], NULL, NULL) == SEAM_OK, "a record's head is made wrong");
    ok(store_read_begin(s, &t) == SEAM_OK, "read again");
    problems = 0;
    ok(evlog_verify_store(t, k.pk, &recs, count_problem, &problems, &events) == 1,
       "the wrong head is found through the records' reads");
    problems = 0;
    ok(evlog_verify_store(t, k.pk, NULL, count_problem, &problems, &events) == 0,
       "without the records, the log alone still verifies");
    store_read_end(t);
    store_close(s);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return done_testing();
}
