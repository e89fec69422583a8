/*
 * query.c: reading tickets as a principal may: one ticket, the ticket of an
 * assignment its owner acts on, the lead's and a customer's lists (newest
 * first, with the lead's filters), a filtered walk for lists of another
 * shape (the TMF621 list), an owner's queue (oldest first), and a walk over
 * every ticket for the reports. Pages are JSON text
 * {"items":[...],"next_cursor":...}, each item the view its reader gets.
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "index.h"
#include "json_fast.h"
#include "record.h"
#include "ticket.h"

enum seam_err
ticket_load(struct store_txn *t, const char *id, struct ticket *out)
{
    if (!ticket_id_valid(id))
        return SEAM_ENOTFOUND;
    return record_load(t, id, out);
}

static int
has_partner(const struct ticket *tk, const char *partner, int live_only)
{
    for (size_t i = 0; i < tk->nassignments; i++) {
        const struct assignment *a = &tk->assignments[i];
        if (strcmp(a->partner, partner) == 0 && (!live_only || assignment_is_live(a)))
            return 1;
    }
    return 0;
}

int
ticket_visible(const struct ticket *tk, const struct principal *who)
{
    switch (who->role) {
    case ROLE_LEAD:
    case ROLE_AUDITOR:
        return 1;
    case ROLE_CUSTOMER:
        return tk->customer != NULL && strcmp(tk->customer, who->subject) == 0;
    case ROLE_PARTNER:
        return has_partner(tk, who->subject, 0);
    case ROLE_BROKER:
        return 0;
    }
    return 0;
}

enum seam_err
ticket_of_assignment(struct store_txn *t, const char *aid, char tid[TICKET_ID_LEN + 1])
{
    struct store_val v;
    if (!assignment_id_valid(aid))
        return SEAM_ENOTFOUND;
    /* A store that fails is not "no such assignment" (the scheduler would drop the instant). */
    enum seam_err rc = store_get(t, DB_ASSIGNMENTS, aid, TICKET_ID_LEN, &v);
    if (rc != SEAM_OK)
        return rc;
    if (v.len != TICKET_ID_LEN)
        return SEAM_ENOTFOUND;
    memcpy(tid, v.data, TICKET_ID_LEN);
    tid[TICKET_ID_LEN] = '\0';
    return SEAM_OK;
}

const char *
ticket_queue_owner(const struct ticket_ctx *c, const struct principal *who)
{
    return who->role == ROLE_LEAD ? c->cfg->lead.id : who->subject;
}

enum seam_err
ticket_load_assignment(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
                       const char *aid, struct ticket *out)
{
    char tid[TICKET_ID_LEN + 1];
    enum seam_err rc = ticket_of_assignment(t, aid, tid);
    if (rc != SEAM_OK)
        return rc;
    if ((rc = ticket_load(t, tid, out)) != SEAM_OK)
        return rc;
    const struct assignment *a = ticket_find_assignment(out, aid);
    if (a == NULL || strcmp(a->partner, ticket_queue_owner(c, who)) != 0) {
        ticket_free(out);
        return SEAM_ENOTFOUND;
    }
    return SEAM_OK;
}

/* RFC 3339 UTC ("...Z") to ms; -1 if malformed. */
int64_t
ticket_parse_time(const char *s)
{
    struct tm tm;
    if (s == NULL)
        return -1;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    int ms = 0;
    if (end == NULL)
        return -1;
    if (*end == '.') {
        int digits = 0;
        for (end++; *end >= '0' && *end <= '9'; end++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*end - '0');
        while (digits > 0 && digits < 3) {
            ms *= 10;
            digits++;
        }
    }
    if (strcmp(end, "Z") != 0)
        return -1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

/* A page's closing: "],"next_cursor":..." and "}". */
static void
page_end(struct json_text *t, int more, const char *last)
{
    json_text_lit(t, "],\"next_cursor\":");
    if (more)
        json_text_string(t, last, strlen(last));
    else
        json_text_lit(t, "null");
    json_text_lit(t, "}");
}

/* ---- the lead's and the customer's lists ---- */

/* The partner id a filter's partner or owner names ("lead": the lead company). */
static const char *
filter_partner(const struct ticket_ctx *c, const char *p)
{
    return strcmp(p, "lead") == 0 ? c->cfg->lead.id : p;
}

static int
filter_ok(const struct ticket_ctx *c, const struct ticket *tk, const struct ticket_filter *f)
{
    if (f == NULL)
        return 1;
    if (f->status && strcmp(ticket_statuses[tk->status].name, f->status) != 0)
        return 0;
    if (f->partner && !has_partner(tk, filter_partner(c, f->partner), 0))
        return 0;
    if (f->owner && !has_partner(tk, filter_partner(c, f->owner), 1))
        return 0;
    if (f->flag) {
        int flag = ticket_flag_parse(f->flag), watch = ticket_watch_parse(f->flag);
        if (flag >= 0 ? !ticket_has_flag(tk, (enum ticket_flag)flag)
                      : watch < 0 || !ticket_in_watch(tk, (enum ticket_watch)watch))
            return 0;
    }
    if ((f->from_ms && tk->created_at < f->from_ms) || (f->to_ms && tk->created_at >= f->to_ms))
        return 0;
    for (size_t k = 0; k < c->cfg->nfact_kinds && k < SEAM_FACTS_MAX; k++)
        if (f->facts[k] != NULL && (tk->facts[k] == NULL || strcmp(tk->facts[k], f->facts[k]) != 0))
            return 0;
    if (f->match != NULL && !f->match(f->match_arg, tk))
        return 0;
    return 1;
}

/*
 * The walk (docs/design.md, "Indexes"): every plain field of the filter
 * names one index key, whose tickets sort newest first; the walk goes down
 * all of them together, each seek taking the next key to the largest id at
 * or below the candidate until all agree (a zig-zag join), so it costs about
 * the seeks of the smallest key's tickets, whichever it is, and loads only
 * the tickets every key holds. With no field set it walks every ticket (the
 * lead) or the customer's (DB_CUST_TICKETS, always one of the keys for a
 * customer). The created_from/created_to range bounds the walk by the ids'
 * time digits, WALK_SLACK_MS wide on either side (an id's time is taken
 * just before the ticket's created_at; a clock stepped back makes ids run
 * ahead of it); filter_ok then checks each ticket exactly.
 */
#define WALK_TERMS (5 + FACT_MAX)
#define WALK_SLACK_MS (3600 * 1000LL)

struct walk {
    struct index_term terms[WALK_TERMS];
    size_t n;
    int dropped; /* a filter field had no term (too long a key, too many): filter_ok checks it */
    char applied[TICKET_ID_LEN + 1];                   /* the indexes' mark (index.h), "" if none */
    char lo[TICKET_ID_LEN + 1], hi[TICKET_ID_LEN + 1]; /* ids in [lo, hi] */
};

static void
walk_term(struct walk *w, enum store_db db, const char *prefix, size_t plen)
{
    if (w->n == WALK_TERMS || plen == 0 || plen > INDEX_KEY_MAX) {
        w->dropped = 1; /* filter_ok still checks the field */
        return;
    }
    w->terms[w->n].db = db;
    memcpy(w->terms[w->n].prefix, prefix, plen);
    w->terms[w->n++].plen = plen;
}

static void
walk_index(struct walk *w, enum index_attr attr, const char *name, const char *value)
{
    char key[INDEX_KEY_MAX];
    walk_term(w, DB_INDEX, key, index_key(key, attr, name, value));
}

/* The id bound of an instant: its time digits, the counter's digits all lo_digit. */
static void
id_at(int64_t ms, char digit, char out[TICKET_ID_LEN + 1])
{
    if (ms < 0)
        ms = 0;
    if (ms > 0xffffffffffffLL)
        ms = 0xffffffffffffLL;
    snprintf(out, TICKET_ID_LEN + 1, "T%012llx", (unsigned long long)ms);
    memset(out + 13, digit, TICKET_ID_LEN - 13);
    out[TICKET_ID_LEN] = '\0';
}

static enum seam_err
walk_plan(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
          const struct ticket_filter *f, struct walk *w)
{
    w->n = 0;
    w->dropped = 0;
    enum seam_err rc = index_applied(t, w->applied);
    if (rc == SEAM_ENOTFOUND)
        w->applied[0] = '\0';
    else if (rc != SEAM_OK)
        return rc; /* a walk without the mark would miss the pending tickets */
    id_at(f && f->from_ms ? f->from_ms - WALK_SLACK_MS : 0, '0', w->lo);
    id_at(f && f->to_ms ? f->to_ms + WALK_SLACK_MS : 0xffffffffffffLL, 'f', w->hi);
    if (who->role == ROLE_CUSTOMER) {
        size_t plen = strlen(who->subject) + 1;
        walk_term(w, DB_CUST_TICKETS, who->subject, plen); /* with its NUL */
    }
    /* A partner sees the tickets it has (or had) a claim on: its partner key. */
    if (who->role == ROLE_PARTNER && index_ready(t))
        walk_index(w, INDEX_PARTNER, NULL, who->subject);
    if (f != NULL && index_ready(t)) {
        if (f->status)
            walk_index(w, INDEX_STATUS, NULL, f->status);
        if (f->flag)
            walk_index(w, INDEX_FLAG, NULL, f->flag);
        if (f->owner)
            walk_index(w, INDEX_OWNER, NULL, filter_partner(c, f->owner));
        if (f->partner)
            walk_index(w, INDEX_PARTNER, NULL, filter_partner(c, f->partner));
        for (size_t k = 0; k < c->cfg->nfact_kinds && k < SEAM_FACTS_MAX; k++)
            if (f->facts[k] != NULL)
                walk_index(w, INDEX_FACT, c->cfg->fact_kinds[k].name, f->facts[k]);
    }
    if (w->n == 0) { /* every ticket: the records' own keys */
        w->terms[0].db = DB_TICKETS;
        w->terms[0].plen = 0;
        w->n = 1;
    }
    return SEAM_OK;
}

static unsigned walk_budget = TICKET_WALK_BUDGET;

void
ticket_walk_budget(unsigned work)
{
    walk_budget = work ? work : TICKET_WALK_BUDGET;
}

/* The id just above id (hex digits counted up): a strict cursor that keeps id itself. */
static void
id_above(const char *id, char out[TICKET_ID_LEN + 1])
{
    memcpy(out, id, TICKET_ID_LEN + 1);
    for (int i = TICKET_ID_LEN - 1; i > 0; i--) {
        if (out[i] == 'f') {
            out[i] = '0';
            continue;
        }
        out[i] = out[i] == '9' ? 'a' : (char)(out[i] + 1);
        return;
    }
    memcpy(out, id, TICKET_ID_LEN + 1); /* the last id there is: nothing above it */
}

/* The walk proper: fn(ctx, ticket) for each ticket, or, with ids, ids(ctx, id) for each candidate
 * the index keys agree on (no record read: a step of work each). */
typedef int (*walk_id_fn)(void *ctx, const char *id);

/* Where a planned walk starts: the cursor when it is below the plan's top (then strictly below
 * it: the answer), else the top. */
static int
walk_start(const struct walk *w, const char *cursor, char cand[TICKET_ID_LEN + 1])
{
    int strict = cursor != NULL && strcmp(cursor, w->hi) <= 0;
    memcpy(cand, strict ? cursor : w->hi, TICKET_ID_LEN);
    cand[TICKET_ID_LEN] = '\0';
    return strict;
}

static enum seam_err
walk_run(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
         const struct ticket_filter *f, const struct walk *w, const char *cursor, ticket_each_fn fn,
         walk_id_fn ids, void *ctx, unsigned budget, char resume[TICKET_ID_LEN + 1])
{
    char cand[TICKET_ID_LEN + 1], y[TICKET_ID_LEN + 1];
    unsigned work = 0;
    if (resume != NULL)
        resume[0] = '\0';
    int strict = walk_start(w, cursor, cand);
    for (;;) {
        size_t agree = 0, i = 0;
        while (agree < w->n) {
            if (work >= budget && resume != NULL) {
                /* every ticket above cand (and cand itself, when strict) is done */
                if (strict)
                    memcpy(resume, cand, sizeof(cand));
                else
                    id_above(cand, resume);
                return SEAM_OK;
            }
            work++;
            enum seam_err rc = index_seek(t, &w->terms[i], w->applied[0] ? w->applied : NULL, cand,
                                          strict, y, &work);
            if (rc == SEAM_ENOTFOUND || (rc == SEAM_OK && strcmp(y, w->lo) < 0))
                return SEAM_OK;
            if (rc != SEAM_OK)
                return rc;
            if (agree > 0 && strcmp(y, cand) == 0) {
                agree++;
            } else {
                memcpy(cand, y, sizeof(cand));
                agree = 1;
            }
            strict = 0;
            i = (i + 1) % w->n;
        }
        if (ids != NULL) {
            if (ids(ctx, cand))
                return SEAM_OK;
            strict = 1;
            continue;
        }
        struct ticket tk;
        work += 16;
        enum seam_err rc = ticket_load(t, cand, &tk);
        if (rc == SEAM_OK) {
            /* A merged ticket lives on in the one it was merged into: the customer
             * sees that one only (GET of the merged one still answers, naming it). */
            int keep = ticket_visible(&tk, who) && filter_ok(c, &tk, f) &&
                       !(who->role == ROLE_CUSTOMER && tk.merged_into != NULL);
            int stop = keep && fn(ctx, &tk);
            ticket_free(&tk);
            if (stop)
                return SEAM_OK;
        } else if (rc != SEAM_ENOTFOUND && rc != SEAM_ECORRUPT) {
            return rc; /* a record that cannot be read is passed over, as the scans do */
        }
        strict = 1;
    }
}

enum seam_err
ticket_walk(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
            const struct ticket_filter *f, const char *cursor, ticket_each_fn fn, void *ctx,
            char resume[TICKET_ID_LEN + 1])
{
    struct walk w;
    if (resume != NULL)
        resume[0] = '\0';
    if (who->role == ROLE_BROKER)
        return SEAM_EINVAL;
    enum seam_err rc = walk_plan(t, c, who, f, &w);
    return rc != SEAM_OK ? rc
                         : walk_run(t, c, who, f, &w, cursor, fn, NULL, ctx, walk_budget, resume);
}

static int
count_id(void *ctx, const char *id)
{
    (void)id;
    ++*(unsigned long *)ctx;
    return 0;
}

static int
count_ticket(void *ctx, const struct ticket *tk)
{
    (void)tk;
    ++*(unsigned long *)ctx;
    return 0;
}

/* Whether the planned walk's index keys alone decide f for who: every field became a key of its
 * own (none was dropped, none is a check on the record: filter_ok's checks). */
static int
keys_decide(struct store_txn *t, const struct principal *who, const struct ticket_filter *f,
            const struct walk *w)
{
    if ((who->role != ROLE_LEAD && who->role != ROLE_AUDITOR && who->role != ROLE_PARTNER) ||
        !index_ready(t) || w->dropped)
        return 0;
    return f == NULL || (f->match == NULL && !f->from_ms && !f->to_ms);
}

enum seam_err
ticket_walk_count(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
                  const struct ticket_filter *f, const char *cursor, unsigned work,
                  unsigned long *n, int *complete)
{
    char resume[TICKET_ID_LEN + 1];
    *n = 0;
    *complete = 0;
    struct walk w;
    if (who->role == ROLE_BROKER)
        return SEAM_EINVAL;
    enum seam_err rc = walk_plan(t, c, who, f, &w);
    if (rc != SEAM_OK)
        return rc;
    int ids = keys_decide(t, who, f, &w);
    if (ids && w.n == 1) { /* one key (or every ticket): one cursor counts it */
        char top[TICKET_ID_LEN + 1];
        int strict = walk_start(&w, cursor, top);
        int all = !strict && !(f != NULL && f->to_ms);
        return index_count(t, &w.terms[0], w.applied[0] ? w.applied : NULL, top, strict, all, work,
                           n, complete);
    }
    rc = walk_run(t, c, who, f, &w, cursor, ids ? NULL : count_ticket, ids ? count_id : NULL, n,
                  work, resume);
    *complete = rc == SEAM_OK && resume[0] == '\0';
    return rc;
}

struct list_ctx {
    const struct ticket_ctx *c;
    const struct principal *who;
    unsigned limit, n;
    struct json_text out;
    int more;
    char last[TICKET_ID_LEN + 1];
};

static int
list_one(void *ctx, const struct ticket *tk)
{
    struct list_ctx *l = ctx;
    if (l->n == l->limit) {
        l->more = 1;
        return 1;
    }
    size_t len;
    char *view = ticket_view_text(l->c, tk, l->who, &len);
    if (view == NULL)
        return 0;
    if (l->n++ > 0)
        json_text_lit(&l->out, ",");
    json_text_add(&l->out, view, len);
    free(view);
    memcpy(l->last, tk->id, sizeof(l->last));
    return 0;
}

enum seam_err
ticket_list(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
            const struct ticket_filter *filter, const char *cursor, unsigned limit, char **page,
            size_t *len)
{
    struct list_ctx l = {.c = c, .who = who, .limit = limit};
    char resume[TICKET_ID_LEN + 1];
    json_text_lit(&l.out, "{\"items\":[");
    enum seam_err rc = ticket_walk(t, c, who, filter, cursor, list_one, &l, resume);
    if (rc != SEAM_OK) {
        free(l.out.data);
        return rc;
    }
    if (resume[0] != '\0') { /* out of budget: a short page, and where to go on */
        l.more = 1;
        memcpy(l.last, resume, sizeof(l.last));
    }
    page_end(&l.out, l.more, l.last);
    *page = l.out.data;
    *len = l.out.len;
    return SEAM_OK;
}

/* ---- an owner's queue ---- */

struct queue_ctx {
    struct store_txn *t;
    const struct ticket_ctx *c;
    const char *prefix;
    size_t prefix_len;
    const char *state;
    const char *cursor;
    unsigned limit, n;
    struct json_text out;
    int more;
    char last[TICKET_ID_LEN + 1];
};

static int
queue_one(void *ctx, struct store_val k, struct store_val v)
{
    struct queue_ctx *q = ctx;
    char aid[TICKET_ID_LEN + 1], tid[TICKET_ID_LEN + 1];
    struct ticket tk;
    if (k.len != q->prefix_len + TICKET_ID_LEN || memcmp(k.data, q->prefix, q->prefix_len) != 0 ||
        v.len != TICKET_ID_LEN)
        return 1;
    memcpy(aid, (const char *)k.data + q->prefix_len, TICKET_ID_LEN);
    aid[TICKET_ID_LEN] = '\0';
    if (q->cursor && strcmp(aid, q->cursor) <= 0)
        return 0;
    memcpy(tid, v.data, TICKET_ID_LEN);
    tid[TICKET_ID_LEN] = '\0';
    if (ticket_load(q->t, tid, &tk) != SEAM_OK)
        return 0;
    const struct assignment *a = ticket_find_assignment(&tk, aid);
    int keep = a != NULL;
    if (keep && q->state != NULL)
        keep = strcmp(q->state, "live") == 0
                   ? assignment_is_live(a)
                   : strcmp(assignment_states[a->state].name, q->state) == 0;
    if (keep && q->n == q->limit) {
        q->more = 1;
        ticket_free(&tk);
        return 1;
    }
    if (keep) {
        size_t len;
        char *view = ticket_assignment_text(q->t, q->c, &tk, aid, &len);
        if (view != NULL) {
            if (q->n++ > 0)
                json_text_lit(&q->out, ",");
            json_text_add(&q->out, view, len);
            free(view);
            memcpy(q->last, aid, sizeof(aid));
        }
    }
    ticket_free(&tk);
    return 0;
}

enum seam_err
ticket_queue(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
             const char *state, const char *cursor, unsigned limit, char **page, size_t *len)
{
    const char *owner = ticket_queue_owner(c, who);
    struct queue_ctx q = {.t = t, .c = c, .state = state, .cursor = cursor, .limit = limit};
    q.prefix_len = strlen(owner) + 1;
    char *prefix = xmalloc(q.prefix_len + TICKET_ID_LEN);
    memcpy(prefix, owner, q.prefix_len); /* with its NUL */
    q.prefix = prefix;
    size_t slen = q.prefix_len;
    if (cursor) {
        memcpy(prefix + q.prefix_len, cursor, TICKET_ID_LEN);
        slen += TICKET_ID_LEN;
    }
    json_text_lit(&q.out, "{\"items\":[");
    enum seam_err rc = store_scan(t, DB_QUEUES, prefix, slen, 0, queue_one, &q);
    free(prefix);
    if (rc != SEAM_OK) {
        free(q.out.data);
        return rc;
    }
    page_end(&q.out, q.more, q.last);
    *page = q.out.data;
    *len = q.out.len;
    return SEAM_OK;
}

/* ---- every ticket ---- */

struct scan_ctx {
    ticket_each_fn fn;
    void *ctx;
};

static int
scan_one(void *arg, struct store_val k, struct store_val v)
{
    struct scan_ctx *e = arg;
    struct ticket tk;
    (void)k;
    if (record_decode(v.data, v.len, &tk) != SEAM_OK)
        return 0;
    int stop = e->fn(e->ctx, &tk);
    ticket_free(&tk);
    return stop;
}

enum seam_err
ticket_scan(struct store_txn *t, ticket_each_fn fn, void *ctx)
{
    struct scan_ctx e = {fn, ctx};
    return store_scan(t, DB_TICKETS, NULL, 0, 0, scan_one, &e);
}

enum seam_err
ticket_scan_from(struct store_txn *t, const char *start, ticket_each_fn fn, void *ctx)
{
    struct scan_ctx e = {fn, ctx};
    return store_scan(t, DB_TICKETS, start, start ? strlen(start) : 0, 0, scan_one, &e);
}

/* ---- reads for the modules that own no ticket data (ticket.h) ---- */

char *
ticket_lead_text(struct store_txn *t, const char *id, size_t *len)
{
    struct store_val v;
    if (!ticket_id_valid(id) || store_get(t, DB_TICKETS, id, TICKET_ID_LEN, &v) != SEAM_OK)
        return NULL;
    return ticket_lead_bytes(v.data, v.len, len);
}

enum seam_err
ticket_head(struct store_txn *t, const char *id, int64_t *events, char last[65])
{
    struct ticket tk;
    struct store_val v;
    enum seam_err rc = store_get(t, DB_TICKETS, id, TICKET_ID_LEN, &v);
    if (rc != SEAM_OK)
        return rc;
    if (record_decode(v.data, v.len, &tk) == SEAM_OK) {
        *events = tk.events;
        memcpy(last, tk.last, sizeof(tk.last));
        ticket_free(&tk);
        return SEAM_OK;
    }
    /* Not a whole ticket: its head still says what the chain should be
     * (the log's check is of the chain, whatever else is wrong). */
    json_t *rec = json_loadb(v.data, v.len, 0, NULL);
    json_t *head = json_object_get(rec, "head");
    const char *l = json_string_value(json_object_get(head, "last"));
    *events = (int64_t)json_integer_value(json_object_get(head, "events"));
    if (l != NULL && strlen(l) < 65)
        memcpy(last, l, strlen(l) + 1);
    else
        last[0] = '\0';
    json_decref(rec);
    return SEAM_OK;
}

struct keys_ctx {
    ticket_key_fn fn;
    void *ctx;
};

static int
key_one(void *arg, struct store_val k, struct store_val v)
{
    struct keys_ctx *e = arg;
    (void)v;
    return e->fn(e->ctx, k.data, k.len);
}

enum seam_err
ticket_each_key(struct store_txn *t, ticket_key_fn fn, void *ctx)
{
    struct keys_ctx e = {fn, ctx};
    return store_scan(t, DB_TICKETS, NULL, 0, 0, key_one, &e);
}

uint64_t
ticket_count(struct store_txn *t)
{
    return store_count(t, DB_TICKETS);
}
