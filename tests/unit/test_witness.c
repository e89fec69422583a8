/*
 * test_witness.c: cosigned checkpoints through the public library and the
 * evidence log in a real store. Two witnesses' cosignatures (witness.c)
 * on a real checkpoint are stored (evlog_cosigned_put, which refuses a note
 * that is not the broker's checkpoint of that size); the export is proved
 * against the cosigned checkpoint, verifies with the broker's key alone and
 * fails with any byte changed; seam_evidence_verify_witnessed requires the
 * witnesses named (or N of them) and names the one missing or wrong; an
 * export whose ticket grew past the cosigned size has the broker's
 * checkpoint alone; witness verifier keys (C2SP vkeys) round-trip and
 * malformed ones are refused; the whole-store check of the cosignatures
 * finds one that does not verify with its configured key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "evlog.h"
#include "tap.h"
#include "witness.h"

#define TICKET "T00000000000000000001"

struct chain {
    const struct evlog *lg;
    int events;
    char last[65];
};

/* One minimal event of format 1, chained. */
static enum seam_err
append_one(struct store_txn *t, void *arg)
{
    struct chain *c = arg;
    char *ev = xasprintf("{\"prev\":\"%s\",\"seq\":%d,\"ticket\":\"%s\",\"v\":1}", c->last,
                         c->events, TICKET);
    enum seam_err rc = evlog_append(t, c->lg, TICKET, (uint32_t)c->events, ev, strlen(ev));
    if (rc == SEAM_OK) {
        seam_sha256_hex(ev, strlen(ev), c->last);
        c->events++;
    }
    free(ev);
    return rc;
}

struct put {
    uint64_t size;
    const char *note;
};

static enum seam_err
put_cosigned(struct store_txn *t, void *arg)
{
    const struct put *p = arg;
    return evlog_cosigned_put(t, p->size, p->note);
}

static void
count_problem(void *ctx, const char *problem)
{
    (void)problem;
    (*(int *)ctx)++;
}

static char *
export_doc(struct store *s, const struct evlog *lg, size_t *len)
{
    struct store_txn *t;
    char *doc = NULL;
    if (store_read_begin(s, &t) != SEAM_OK)
        return NULL;
    if (evlog_export(t, lg, TICKET, &doc, len) != SEAM_OK)
        doc = NULL;
    store_read_end(t);
    return doc;
}

int
main(void)
{
    char tmpl[] = "/tmp/seam-witness.XXXXXX";
    char *dir = mkdtemp(tmpl);
    struct keys k;
    struct store *s;
    struct store_txn *t;
    char err[512] = "";
    if (sodium_init() < 0 || dir == NULL)
        return 1;
    crypto_sign_keypair(k.pk, k.sk);
    struct evlog lg = {&k, "seam.test/witness"};
    ok(store_open(dir, 1 << 20, (size_t)1 << 30, 1, &s) == SEAM_OK, "open store");
    struct chain c = {&lg, 0, ""};
    int all = 1;
    for (int i = 0; i < 3; i++)
        all &= store_write(s, append_one, &c, evlog_hook, &lg) == SEAM_OK;
    ok(all, "3 events appended, a checkpoint signed after each");

    /* ---- two witnesses cosign the checkpoint of size 3 ---- */
    struct seam_witness w[3];
    uint8_t wsk[3][64];
    for (int i = 0; i < 3; i++) {
        snprintf(w[i].name, sizeof(w[i].name), "w%d.example", i + 1);
        crypto_sign_keypair(w[i].pk, wsk[i]);
    }
    uint64_t size = 0;
    char *note = NULL;
    ok(store_read_begin(s, &t) == SEAM_OK && evlog_checkpoint(t, &size, &note) == SEAM_OK &&
           size == 3,
       "the checkpoint of size 3");
    store_read_end(t);
    size_t blen = (size_t)(strstr(note, "\n\n") - note) + 1;
    char *l1 = witness_cosign(w[0].name, wsk[0], note, blen, 1700000000);
    char *l2 = witness_cosign(w[1].name, wsk[1], note, blen, 1700000001);
    char *cos = xasprintf("%s%s%s", note, l1, l2);
    size_t log_len = 0;
    ok(seam_checkpoint_split(cos, &log_len) == 0 && log_len == strlen(note),
       "the cosigned note splits into the broker's note and the signature lines");
    char *garbled = xasprintf("%sno signature line\n", cos);
    ok(seam_checkpoint_split(garbled, &log_len) != 0, "a line that is no signature is refused");
    uint64_t ts = 0;
    ok(seam_cosignature_verify(cos, w[1].name, w[1].pk, &ts) == 0 && ts == 1700000001,
       "each cosignature verifies with its witness's key, with its time");
    ok(seam_cosignature_verify(cos, w[0].name, w[1].pk, NULL) != 0,
       "... and not with another's key");

    struct put bad = {2, cos}, none = {3, note}, junk = {3, garbled}, good = {3, cos};
    ok(store_write(s, put_cosigned, &bad, NULL, NULL) == SEAM_EINVAL,
       "a cosigned note stored under another size is refused");
    ok(store_write(s, put_cosigned, &none, NULL, NULL) == SEAM_EINVAL,
       "a note without cosignatures is refused");
    ok(store_write(s, put_cosigned, &junk, NULL, NULL) == SEAM_EINVAL,
       "a note with a malformed line is refused");
    ok(store_write(s, put_cosigned, &good, NULL, NULL) == SEAM_OK, "the cosigned note is stored");
    uint64_t got_size = 0;
    char *got = NULL;
    ok(store_read_begin(s, &t) == SEAM_OK && evlog_cosigned_latest(t, &got_size, &got) == SEAM_OK &&
           got_size == 3 && got != NULL && strcmp(got, cos) == 0,
       "the latest cosigned checkpoint reads back");
    store_read_end(t);
    free(got);

    /* ---- the export carries it ---- */
    size_t len = 0, n = 0;
    char *doc = export_doc(s, &lg, &len);
    json_t *root = doc ? json_loadb(doc, len, 0, NULL) : NULL;
    ok(root && strcmp(json_string_value(json_object_get(root, "checkpoint")), cos) == 0,
       "the export's checkpoint is the cosigned note");
    ok(doc && strstr(doc, "checkpoint_sha256") != NULL, "its signed head signs the whole note");
    json_decref(root);
    ok(doc && seam_evidence_verify(doc, len, k.pk, &n, err, sizeof(err)) == 0 && n == 3,
       "it verifies with the broker's key alone (%s)", err);
    ok(seam_evidence_verify_witnessed(doc, len, k.pk, w, 2, 0, &n, err, sizeof(err)) == 0,
       "and with both witnesses required (%s)", err);
    ok(seam_evidence_verify_witnessed(doc, len, k.pk, w, 3, 0, &n, err, sizeof(err)) != 0 &&
           strstr(err, "w3.example (no cosignature)") != NULL,
       "a third witness required fails, named: %s", err);
    ok(seam_evidence_verify_witnessed(doc, len, k.pk, w, 3, 2, &n, err, sizeof(err)) == 0,
       "two of the three needed pass");
    struct seam_witness wrong = w[0];
    memcpy(wrong.pk, w[1].pk, sizeof(wrong.pk));
    ok(seam_evidence_verify_witnessed(doc, len, k.pk, &wrong, 1, 0, &n, err, sizeof(err)) != 0 &&
           strstr(err, "w1.example (cosignature does not verify)") != NULL,
       "a witness's name with another key fails, named: %s", err);
    int every = 1;
    for (size_t i = 0; doc && i < len; i++) {
        char save = doc[i];
        doc[i] = (char)(save ^ 0x01);
        if (seam_evidence_verify(doc, len, k.pk, NULL, err, sizeof(err)) == 0) {
            every = 0;
            printf("# byte %zu flipped and still verified\n", i);
        }
        doc[i] = save;
    }
    ok(every, "each of its %zu bytes, changed, makes it fail (the broker's key alone)", len);
    free(doc);

    /* ---- the ticket grows past the cosigned size: the broker's checkpoint alone ---- */
    ok(store_write(s, append_one, &c, evlog_hook, &lg) == SEAM_OK, "a 4th event");
    doc = export_doc(s, &lg, &len);
    ok(doc && seam_evidence_verify(doc, len, k.pk, &n, err, sizeof(err)) == 0 && n == 4 &&
           strstr(doc, "w1.example") == NULL,
       "its export has the broker's checkpoint alone and verifies");
    ok(doc && seam_evidence_verify_witnessed(doc, len, k.pk, w, 1, 0, &n, err, sizeof(err)) != 0 &&
           strstr(err, "w1.example (no cosignature)") != NULL,
       "and fails with a witness required: %s", err);
    free(doc);

    /* ---- verifier keys ---- */
    char *vk = seam_witness_vkey(w[0].name, w[0].pk), name[SEAM_WITNESS_NAME_MAX];
    uint8_t pk[32];
    ok(seam_witness_vkey_parse(vk, name, sizeof(name), pk) == 0 && strcmp(name, w[0].name) == 0 &&
           memcmp(pk, w[0].pk, 32) == 0,
       "a vkey round-trips: %s", vk);
    char *vbad = xstrdup(vk);
    char *kid = strchr(vbad, '+') + 1;
    kid[0] = kid[0] == '0' ? '1' : '0';
    ok(seam_witness_vkey_parse(vbad, name, sizeof(name), pk) != 0, "a wrong key id is refused");
    char *b64 = seam_b64_encode(w[0].pk, 32), *plain = xasprintf("%s", b64);
    ok(seam_witness_vkey_parse(plain, name, sizeof(name), pk) != 0, "a bare key is refused");
    char *noname = xasprintf("%s", strchr(vk, '+'));
    ok(seam_witness_vkey_parse(noname, name, sizeof(name), pk) != 0, "a key without a name too");
    free(vk);
    free(vbad);
    free(b64);
    free(plain);
    free(noname);

    /* ---- the whole-store check of the stored cosignatures ---- */
    int problems = 0;
    uint64_t verified = 0, unknown = 0;
    ok(store_read_begin(s, &t) == SEAM_OK &&
           evlog_verify_cosigned(t, w, 2, count_problem, &problems, &verified, &unknown) == 0 &&
           verified == 2 && unknown == 0,
       "the stored cosignatures verify with the witnesses' keys");
    ok(evlog_verify_cosigned(t, &wrong, 1, count_problem, &problems, &verified, &unknown) == 1 &&
           unknown == 1,
       "one checked with another key is a problem; the other witness's is not checked");
    store_read_end(t);

    free(l1);
    free(l2);
    free(cos);
    free(garbled);
    free(note);
    store_close(s);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return done_testing();
}
