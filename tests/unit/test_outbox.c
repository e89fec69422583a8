/*
 * test_outbox.c: the push outbox on a real LMDB store in a temporary
 * directory, with the fake clock: messages queued in a write transaction
 * (and not at all when it fails), found due oldest first, retried along the
 * schedule with Retry-After honoured up to its cap, a dead letter after the
 * last try, delivered on 2xx, a partner disabled on 410 until a
 * redelivery, listed newest first by page, and nothing lost across a
 * reopen of the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "outbox.h"
#include "store.h"
#include "tap.h"

static const char conf[] =
    "{\"federation\":\"test\",\"listen\":\"127.0.0.1:1\",\"data_dir\":\"/nonexistent\","
    "\"delivery\":{\"retry_schedule_ms\":[0,1000,2000,3000],\"max_retry_after_s\":60},"
    "\"lead\":{\"id\":\"hq\",\"name\":\"HQ\",\"calendar\":\"all\",\"sla_policy\":\"std\"},"
    "\"services\":[\"tv\"],\"symptoms\":[\"no_signal\"],\"equipment\":[\"box\"],"
    "\"regions\":[\"north\"],"
    "\"calendars\":{\"all\":{\"timezone\":\"UTC\",\"hours\":\"24x7\"}},"
    "\"sla_policies\":{\"std\":{\"calendar\":\"all\",\"targets\":{"
    "\"low\":{\"ack_minutes\":60,\"resolve_minutes\":600},"
    "\"normal\":{\"ack_minutes\":60,\"resolve_minutes\":600},"
    "\"high\":{\"ack_minutes\":60,\"resolve_minutes\":600},"
    "\"urgent\":{\"ack_minutes\":60,\"resolve_minutes\":600}}}},"
    "\"partners\":["
    "{\"id\":\"sky\",\"name\":\"Sky\",\"services\":[\"tv\"],"
    "\"delivery\":{\"mode\":\"push\",\"url\":\"http://127.0.0.1:1/hook\"},\"sla_policy\":\"std\"},"
    "{\"id\":\"vue\",\"name\":\"Vue\",\"services\":[\"tv\"],"
    "\"delivery\":{\"mode\":\"push\",\"url\":\"http://127.0.0.1:2/hook\"},\"sla_policy\":\"std\"}],"
    "\"bundles\":[{\"id\":\"b\",\"name\":\"B\",\"services\":{\"tv\":\"sky\"}}],"
    "\"rules\":[{\"id\":\"default\",\"match\":{},\"owners\":\"lead\"}]}";

static struct config *cfg;
static struct store *st;

struct enq {
    const char *partner;
    int n;           /* messages to queue */
    int fail;        /* the transaction fails after queueing */
    const char *tag; /* goes into each body */
};

static enum seam_err
enq_fn(struct store_txn *t, void *arg)
{
    struct enq *e = arg;
    const struct config_partner *p = config_partner_find(cfg, e->partner);
    for (int i = 0; i < e->n; i++) {
        json_t *body = json_pack("{s:s, s:i}", "tag", e->tag, "i", i);
        enum seam_err rc = outbox_enqueue(t, p, "T1", "A1", "assignment.created", body);
        if (rc != SEAM_OK)
            return rc;
    }
    return e->fail ? SEAM_EINVAL : SEAM_OK;
}

static enum seam_err
enqueue(const char *partner, int n, int fail, const char *tag)
{
    struct enq e = {partner, n, fail, tag};
    return store_write(st, enq_fn, &e, NULL, NULL);
}

/* The seqs of the messages due at `at` (max of them), "1,2,3"; *next the next due. */
static int skip_seq;

static int
skip_fn(void *ctx, uint64_t seq)
{
    (void)ctx;
    return (int)seq == skip_seq;
}

static const char *
due(int64_t at, unsigned max, int64_t *next)
{
    static char buf[128];
    struct store_txn *t;
    json_t *msgs = NULL;
    int64_t nx = -1;
    buf[0] = '\0';
    if (store_read_begin(st, &t) != SEAM_OK)
        return "error";
    enum seam_err rc = outbox_due(t, at, max, skip_seq ? skip_fn : NULL, NULL, &msgs, &nx);
    store_read_end(t);
    if (rc != SEAM_OK)
        return "error";
    for (size_t i = 0; i < json_array_size(msgs); i++) {
        char n[24];
        snprintf(n, sizeof(n), "%s%lld", i ? "," : "",
                 (long long)json_integer_value(json_object_get(json_array_get(msgs, i), "seq")));
        strcat(buf, n);
    }
    json_decref(msgs);
    if (next)
        *next = nx;
    return buf;
}

struct rec {
    struct outbox_attempt a;
    int dead;
    json_t *msg;
};

static enum seam_err
rec_fn(struct store_txn *t, void *arg)
{
    struct rec *r = arg;
    return outbox_record(t, cfg, &r->a, &r->dead, &r->msg);
}

/* Records an attempt on seq; the updated message (new reference) or NULL. */
static json_t *
record(uint64_t seq, long status, long retry_after, int *dead)
{
    struct rec r = {{seq, status, "", retry_after, 0}, 0, NULL};
    if (status == 0)
        snprintf(r.a.error, sizeof(r.a.error), "connection refused");
    if (store_write(st, rec_fn, &r, NULL, NULL) != SEAM_OK)
        return NULL;
    *dead = r.dead;
    return r.msg;
}

static const char *
state_of(const json_t *m)
{
    const char *s = json_string_value(json_object_get(m, "state"));
    return s ? s : "?";
}

static int64_t
int_of(const json_t *m, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(m, k));
}

/* The page of outbox_list as "seq:state,..." and its cursor. */
static const char *
list(const char *state, const char *partner, const char *cursor, unsigned limit, char *next_out)
{
    static char buf[256];
    struct store_txn *t;
    json_t *page = NULL;
    buf[0] = '\0';
    if (store_read_begin(st, &t) != SEAM_OK)
        return "error";
    enum seam_err rc = outbox_list(t, state, partner, cursor, limit, &page);
    store_read_end(t);
    if (rc != SEAM_OK)
        return "error";
    json_t *items = json_object_get(page, "items");
    for (size_t i = 0; i < json_array_size(items); i++) {
        char n[64];
        json_t *m = json_array_get(items, i);
        snprintf(n, sizeof(n), "%s%lld:%s", i ? "," : "", (long long)int_of(m, "seq"), state_of(m));
        strcat(buf, n);
    }
    const char *nc = json_string_value(json_object_get(page, "next_cursor"));
    if (next_out)
        snprintf(next_out, 64, "%s", nc ? nc : "");
    json_decref(page);
    return buf;
}

struct redeliver {
    const char *id;
    json_t *msg;
};

static enum seam_err
redeliver_fn(struct store_txn *t, void *arg)
{
    struct redeliver *r = arg;
    return outbox_redeliver(t, r->id, &r->msg);
}

/* The webhook id of message seq (static buffer; "" if none). */
static const char *
id_of(uint64_t seq)
{
    static char buf[64];
    struct store_txn *t;
    json_t *page = NULL;
    buf[0] = '\0';
    if (store_read_begin(st, &t) != SEAM_OK)
        return buf;
    if (outbox_list(t, NULL, NULL, NULL, 100, &page) != SEAM_OK)
        page = NULL;
    store_read_end(t);
    json_t *items = json_object_get(page, "items"), *m;
    size_t i;
    json_array_foreach(items, i, m)
    {
        if ((uint64_t)int_of(m, "seq") == seq)
            snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(m, "id")));
    }
    json_decref(page);
    return buf;
}

static int
is_new_id(const char *id)
{
    return strlen(id) == OUTBOX_ID_LEN && strncmp(id, "msg_", 4) == 0 &&
           strspn(id + 4, "0123456789abcdef") == OUTBOX_ID_LEN - 4;
}

static int
partner_disabled(const char *partner)
{
    struct store_txn *t;
    if (store_read_begin(st, &t) != SEAM_OK)
        return -1;
    int off = outbox_partner_disabled(t, partner);
    store_read_end(t);
    return off;
}

int
main(void)
{
    char *errors = NULL, next_cursor[64];
    int dead = -1;
    int64_t next;
    json_t *m;
    clock_enable_fake();
    ok(config_load_buffer("test.json", conf, strlen(conf), &cfg, &errors) == SEAM_OK,
       "the federation loads");
    free(errors);
    char *dir = tap_tmpdir();
    ok(dir && store_open(dir, 1 << 20, 16 << 20, 1, &st) == SEAM_OK, "a store in a temp dir");
    if (cfg == NULL || st == NULL)
        return done_testing();

    /* Queued in the transaction of the change. */
    (void)outbox_take_news();
    int64_t t0 = now_ms();
    ok(enqueue("sky", 3, 0, "first") == SEAM_OK, "three messages queued in one transaction");
    ok(outbox_take_news() == 1 && outbox_take_news() == 0, "... the sender is told, once");
    ok(enqueue("sky", 2, 1, "lost") == SEAM_EINVAL, "a transaction that fails after queueing");
    ok(!strcmp(list(NULL, NULL, NULL, 100, NULL), "3:pending,2:pending,1:pending"),
       "... leaves nothing: three messages, all pending (%s)", list(NULL, NULL, NULL, 100, NULL));

    /* Due, oldest first. */
    ok(!strcmp(due(now_ms(), 10, NULL), "1,2,3"), "all three are due now, in order (%s)",
       due(now_ms(), 10, NULL));
    ok(!strcmp(due(now_ms(), 2, NULL), "1,2"), "at most max of them");
    skip_seq = 2;
    ok(!strcmp(due(now_ms(), 10, NULL), "1,3"), "the sender's skip is honoured");
    skip_seq = 0;
    ok(!strcmp(due(t0 - 10000, 10, &next), "") && next >= t0 && next <= now_ms(),
       "nothing is due before it was queued; next says when");

    struct store_txn *t;
    json_t *page = NULL;
    if (store_read_begin(st, &t) == SEAM_OK) {
        if (outbox_list(t, NULL, NULL, NULL, 1, &page) != SEAM_OK)
            page = NULL;
        store_read_end(t);
    }
    m = json_array_get(json_object_get(page, "items"), 0);
    ok(m && is_new_id(json_string_value(json_object_get(m, "id"))) &&
           !strcmp(json_string_value(json_object_get(m, "partner")), "sky") &&
           !strcmp(json_string_value(json_object_get(m, "url")), "http://127.0.0.1:1/hook") &&
           !strcmp(json_string_value(json_object_get(m, "body")), "{\"i\":2,\"tag\":\"first\"}") &&
           int_of(m, "attempts") == 0,
       "a message: its webhook id (msg_ and 32 hex digits), partner, url and the exact body "
       "to send");
    json_decref(page);
    char ids[3][64];
    for (int i = 0; i < 3; i++)
        snprintf(ids[i], sizeof(ids[i]), "%s", id_of((uint64_t)i + 1));
    ok(is_new_id(ids[0]) && is_new_id(ids[1]) && strcmp(ids[0], ids[1]) != 0 &&
           strcmp(ids[1], ids[2]) != 0 && strcmp(ids[0], ids[2]) != 0,
       "three messages of one transaction: three ids (%s %s %s)", ids[0], ids[1], ids[2]);
    ok(strncmp(ids[0], "msg_00000000", 12) != 0, "... no counter in them");

    /* A failure: retried after the schedule's next delay (1000 ms +-20%). */
    int64_t t1 = now_ms();
    m = record(1, 500, -1, &dead);
    ok(m && !strcmp(state_of(m), "pending") && int_of(m, "attempts") == 1 && dead == 0,
       "a 500: still pending, one attempt, not dead");
    ok(m && !strcmp(json_string_value(json_object_get(m, "id")), ids[0]),
       "... the retry keeps the message's id");
    ok(m && int_of(m, "next_at") >= t1 + 800 && int_of(m, "next_at") <= now_ms() + 1200,
       "... next try in 1 s, with jitter (%lld ms)", (long long)(int_of(m, "next_at") - t1));
    ok(m && int_of(m, "last_status") == 500, "... the status is kept");
    json_decref(m);
    ok(!strcmp(due(now_ms(), 10, NULL), "2,3"), "... and it is not due now");
    clock_advance(1500);
    ok(!strcmp(due(now_ms(), 10, NULL), "2,3,1"), "1.5 s later it is, after those due earlier");

    /* Retry-After: honoured when longer than the schedule, up to its cap (60 s). */
    t1 = now_ms();
    m = record(1, 503, 30, &dead);
    ok(m && int_of(m, "next_at") >= t1 + 30000 && int_of(m, "next_at") <= now_ms() + 30000 &&
           dead == 0,
       "a 503 with Retry-After 30: next try in 30 s");
    json_decref(m);
    clock_advance(31000);
    t1 = now_ms();
    m = record(1, 429, 3600, &dead);
    ok(m && int_of(m, "next_at") >= t1 + 60000 && int_of(m, "next_at") <= now_ms() + 60000,
       "a 429 with Retry-After an hour: capped at 60 s (%lld ms)",
       (long long)(int_of(m, "next_at") - t1));
    json_decref(m);

    /* A dead letter after the last try (four in the schedule). */
    int deads = 0;
    for (int i = 0; i < 3; i++) {
        m = record(2, 0, -1, &dead);
        deads += dead;
        json_decref(m);
        clock_advance(5000);
    }
    ok(deads == 0, "three failed tries of four: not dead");
    m = record(2, 502, -1, &dead);
    ok(m && dead == 1 && !strcmp(state_of(m), "failed") && int_of(m, "attempts") == 4,
       "the fourth failed try: a dead letter (%s, %lld attempts)", m ? state_of(m) : "?",
       m ? (long long)int_of(m, "attempts") : -1LL);
    json_decref(m);
    clock_advance(10 * 60000);
    ok(strstr(due(now_ms(), 10, NULL), "2") == NULL, "... and never due again");

    /* Delivered. */
    m = record(3, 204, -1, &dead);
    ok(m && dead == 0 && !strcmp(state_of(m), "delivered") &&
           json_is_string(json_object_get(m, "delivered_at")),
       "a 2xx: delivered");
    json_decref(m);
    m = record(3, 500, -1, &dead);
    ok(m && !strcmp(state_of(m), "delivered") && int_of(m, "attempts") == 1,
       "an attempt recorded late on a delivered message changes nothing");
    json_decref(m);
    ok(!strcmp(due(now_ms(), 10, NULL), "1"), "only the retried message is due (%s)",
       due(now_ms(), 10, NULL));

    /* 410: the partner's endpoint is gone; its messages wait for a redelivery. */
    ok(enqueue("vue", 2, 0, "vue") == SEAM_OK, "two messages for another partner");
    m = record(4, 410, -1, &dead);
    ok(m && dead == 1 && !strcmp(state_of(m), "disabled"), "a 410: disabled, a dead letter");
    json_decref(m);
    ok(partner_disabled("vue") == 1 && partner_disabled("sky") == 0,
       "... pushes to that partner stop, to others not");
    ok(!strcmp(due(now_ms(), 10, NULL), "1"), "... its other message is held back (%s)",
       due(now_ms(), 10, NULL));
    char id4[64];
    snprintf(id4, sizeof(id4), "%s", id_of(4));
    struct redeliver rd = {"msg_0000000000000004", NULL};
    ok(store_write(st, redeliver_fn, &rd, NULL, NULL) == SEAM_ENOTFOUND,
       "a counter-style id does not name a message with a random id (%s)", id4);
    rd.id = id4;
    usleep(2000); /* due after message 5, queued in an earlier millisecond: the order below */
    ok(store_write(st, redeliver_fn, &rd, NULL, NULL) == SEAM_OK && rd.msg &&
           !strcmp(state_of(rd.msg), "pending") && int_of(rd.msg, "attempts") == 0,
       "redelivery: pending again, from the first try");
    ok(rd.msg && !strcmp(json_string_value(json_object_get(rd.msg, "id")), id4),
       "... with the same id");
    json_decref(rd.msg);
    ok(partner_disabled("vue") == 0 && !strcmp(due(now_ms(), 10, NULL), "1,5,4"),
       "... the partner is enabled again, both its messages due (%s)", due(now_ms(), 10, NULL));
    rd.id = "msg_00000000000000ff";
    rd.msg = NULL;
    ok(store_write(st, redeliver_fn, &rd, NULL, NULL) == SEAM_ENOTFOUND,
       "redelivering an unknown message: not found");
    rd.id = "msg_1";
    ok(store_write(st, redeliver_fn, &rd, NULL, NULL) == SEAM_ENOTFOUND,
       "redelivering a malformed id: not found");
    char other[64];
    snprintf(other, sizeof(other), "%s", id4);
    other[20] = other[20] == 'a' ? 'b' : 'a';
    rd.id = other;
    ok(store_write(st, redeliver_fn, &rd, NULL, NULL) == SEAM_ENOTFOUND,
       "redelivering an id no message has: not found");

    /* Lists: newest first, by state and partner, in pages. */
    ok(!strcmp(list("failed", NULL, NULL, 10, NULL), "2:failed"), "list by state");
    ok(!strcmp(list(NULL, "vue", NULL, 10, NULL), "5:pending,4:pending"), "list by partner");
    ok(!strcmp(list(NULL, NULL, NULL, 2, next_cursor), "5:pending,4:pending") &&
           !strcmp(next_cursor, "msg_0000000000000004"),
       "a page of two and its cursor");
    ok(!strcmp(list(NULL, NULL, next_cursor, 2, next_cursor), "3:delivered,2:failed"),
       "the next page");
    ok(!strcmp(list(NULL, NULL, next_cursor, 2, next_cursor), "1:pending") &&
           next_cursor[0] == '\0',
       "the last page has no cursor");

    /* Nothing lost across a reopen; numbers are not reused. */
    store_close(st);
    st = NULL;
    ok(store_open(dir, 1 << 20, 16 << 20, 0, &st) == SEAM_OK, "the store opens again");
    if (st != NULL) {
        ok(!strcmp(list(NULL, NULL, NULL, 10, NULL),
                   "5:pending,4:pending,3:delivered,2:failed,1:pending"),
           "every message and its state survive (%s)", list(NULL, NULL, NULL, 10, NULL));
        ok(!strcmp(due(now_ms(), 10, NULL), "1,5,4"), "... and so does the due index");
        ok(!strcmp(id_of(1), ids[0]) && !strcmp(id_of(4), id4), "... and so do their ids");
        ok(enqueue("sky", 1, 0, "after") == SEAM_OK &&
               !strcmp(list(NULL, NULL, NULL, 1, NULL), "6:pending"),
           "the next message takes the next number");
        struct rec r = {{6, 0, "not sent: changed", -1, 1}, 0, NULL};
        ok(store_write(st, rec_fn, &r, NULL, NULL) == SEAM_OK && r.msg &&
               !strcmp(state_of(r.msg), "failed") && r.dead == 1 && int_of(r.msg, "attempts") == 1,
           "a message refused unsent (it differs from the signed events): failed at once, a "
           "dead letter, on its first try");
        json_decref(r.msg);
        ok(strstr(due(now_ms() + 3600000, 10, NULL), "6") == NULL, "... and never due again");
        store_close(st);
    }
    /* Another store (a fresh one, or a restored backup) counts from 1 again, never the ids. */
    char *dir2 = tap_tmpdir();
    ok(dir2 && store_open(dir2, 1 << 20, 16 << 20, 1, &st) == SEAM_OK, "a second, fresh store");
    if (st != NULL) {
        ok(enqueue("sky", 3, 0, "other") == SEAM_OK, "... three messages in it");
        int clash = 0;
        for (uint64_t i = 1; i <= 3; i++)
            for (int j = 0; j < 3; j++)
                clash |= strcmp(id_of(i), ids[j]) == 0;
        ok(!clash && is_new_id(id_of(1)), "... none has the id of the first store's same number");
        store_close(st);
    }
    tap_rmtree(dir2);
    free(dir2);
    tap_rmtree(dir);
    free(dir);
    config_free(cfg);
    return done_testing();
}
