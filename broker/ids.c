/*
 * ids.c: ticket and assignment ids. See the paragraph below for how they
 * keep commit order.
 */
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "ticket.h"

int
ticket_id_valid(const char *s)
{
    if (s == NULL || strlen(s) != TICKET_ID_LEN || s[0] != 'T')
        return 0;
    for (size_t i = 1; i < TICKET_ID_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int
assignment_id_valid(const char *s)
{
    return s != NULL && strlen(s) == TICKET_ID_LEN && s[0] == 'A';
}

/*
 * Ids: "T" or "A", then 20 hex digits of one sequence both kinds share: 12
 * of the time in ms and 8 that count on from a random start; each id sorts
 * after every id taken before it, so queues and cursors keep their order
 * within a millisecond.
 *
 * Ids must also go into the store in that order, or a reader past a cursor
 * would never see an id committed after it below the cursor. The writer
 * keeps the largest id of each kind it has written (`written`: its own, or
 * a tool's in its one write). A staged change (store.h) takes its ids on a
 * request's thread, so the replay checks them against `written`. To keep
 * those checks passing, a stage reserves a block of ID_BLOCK numbers at its
 * first id, takes all its ids from it, and queues its job in the block's
 * order. A stage overtaken anyway is stale: the writer then makes the
 * change itself, with ids just above those it wrote, which stay below the
 * blocks of the stages still waiting.
 */
#define ID_BLOCK 256
static pthread_mutex_t id_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t reserved[10]; /* under id_mu: the last number handed out */
static uint64_t blocks;      /* under id_mu: blocks reserved (a stage's order) */
static uint8_t written[2][10];
static _Thread_local struct {
    uint8_t base[10];
    unsigned used;
} block; /* the block of the stage running on this thread */

static void
seq_add(uint8_t b[10], unsigned n)
{
    for (int i = 9; i >= 0 && n > 0; i--) {
        unsigned v = b[i] + (n & 0xff);
        b[i] = (uint8_t)v;
        n = (n >> 8) + (v >> 8);
    }
}

/* Under id_mu: n numbers in a row after every one handed out; the first in b. */
static void
reserve(uint8_t b[10], unsigned n)
{
    uint64_t ms = (uint64_t)now_ms();
    for (int i = 5; i >= 0; i--) {
        b[i] = (uint8_t)ms;
        ms >>= 8;
    }
    randombytes_buf(b + 6, 4);
    if (memcmp(b, reserved, 10) <= 0) { /* same millisecond (or the clock went back): count on */
        memcpy(b, reserved, 10);
        seq_add(b, 1);
    }
    memcpy(reserved, b, 10);
    seq_add(reserved, n - 1);
}

/* Written less than a second ago, by its time digits. */
static int
recent(const uint8_t b[10])
{
    int64_t ms = 0;
    for (int i = 0; i < 6; i++)
        ms = (ms << 8) | b[i];
    return ms > 0 && now_ms() - ms < 1000;
}

struct id_claim {
    int kind; /* 0 ticket, 1 assignment */
    uint8_t b[10];
};

static enum seam_err
id_in_order(struct store_txn *t, void *arg)
{
    (void)t;
    struct id_claim *c = arg;
    if (memcmp(c->b, written[c->kind], 10) <= 0)
        return SEAM_ESTALE;
    memcpy(written[c->kind], c->b, 10);
    return SEAM_OK;
}

void
ticket_new_id(struct store_txn *t, char prefix, char out[TICKET_ID_LEN + 1])
{
    int kind = prefix == 'A';
    uint8_t b[10];
    if (store_is_staged(t)) {
        if (store_stage_order(t) == 0) { /* the stage's first id */
            pthread_mutex_lock(&id_mu);
            reserve(block.base, ID_BLOCK);
            uint64_t order = ++blocks;
            pthread_mutex_unlock(&id_mu);
            store_stage_set_order(t, order);
            block.used = 0;
        }
        if (block.used < ID_BLOCK) {
            memcpy(b, block.base, 10);
            seq_add(b, block.used++);
        } else { /* a change of that many ids: out of its order, likely stale */
            pthread_mutex_lock(&id_mu);
            reserve(b, 1);
            pthread_mutex_unlock(&id_mu);
        }
        struct id_claim *c = xmalloc(sizeof(*c));
        c->kind = kind;
        memcpy(c->b, b, 10);
        store_stage_check(t, id_in_order, c, free);
    } else {
        pthread_mutex_lock(&id_mu);
        if (recent(written[kind])) {
            memcpy(b, written[kind], 10);
            seq_add(b, 1);
            if (memcmp(b, reserved, 10) > 0)
                memcpy(reserved, b, 10);
        } else {
            reserve(b, 1);
        }
        pthread_mutex_unlock(&id_mu);
        memcpy(written[kind], b, 10);
    }
    out[0] = prefix;
    hex_encode(b, 10, out + 1);
}
