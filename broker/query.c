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

static int
filter_ok(const struct ticket_ctx *c, const struct ticket *tk, const struct ticket_filter *f)
{
    if (f == NULL)
        return 1;
    if (f->status && strcmp(ticket_statuses[tk->status].name, f->status) != 0)
        return 0;
    if (f->partner && !has_partner(tk, f->partner, 0))
        return 0;
    if (f->owner && !has_partner(tk, strcmp(f->owner, "lead") == 0 ? c->cfg->lead.id : f->owner, 1))
        return 0;
    if (f->flag) {
        int flag = ticket_flag_parse(f->flag);
        if (flag < 0 || !ticket_has_flag(tk, (enum ticket_flag)flag))
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

struct list_ctx {
    struct store_txn *t;
    const struct ticket_ctx *c;
    const struct principal *who;
    const struct ticket_filter *filter;
    size_t prefix_len;
    const char *prefix;
    unsigned limit, n;
    struct json_text out;
    const char *cursor;
    int more;
    char last[TICKET_ID_LEN + 1];
};

static int
list_one(void *ctx, struct store_val k, struct store_val v)
{
    struct list_ctx *l = ctx;
    char id[TICKET_ID_LEN + 1];
    struct ticket tk;
    (void)v;
    if (k.len != l->prefix_len + TICKET_ID_LEN || memcmp(k.data, l->prefix, l->prefix_len) != 0)
        return 1;
    memcpy(id, (const char *)k.data + l->prefix_len, TICKET_ID_LEN);
    id[TICKET_ID_LEN] = '\0';
    if (l->cursor && strcmp(id, l->cursor) >= 0)
        return 0; /* the cursor itself: start after it */
    if (ticket_load(l->t, id, &tk) != SEAM_OK)
        return 0;
    /* A merged ticket lives on in the one it was merged into: the customer
     * sees that one only (GET of the merged one still answers, naming it). */
    if (!filter_ok(l->c, &tk, l->filter) ||
        (l->who->role == ROLE_CUSTOMER && tk.merged_into != NULL)) {
        ticket_free(&tk);
        return 0;
    }
    if (l->n == l->limit) {
        ticket_free(&tk);
        l->more = 1;
        return 1;
    }
    size_t len;
    char *view = ticket_view_text(l->c, &tk, l->who, &len);
    ticket_free(&tk);
    if (view == NULL)
        return 0;
    if (l->n++ > 0)
        json_text_lit(&l->out, ",");
    json_text_add(&l->out, view, len);
    free(view);
    memcpy(l->last, id, sizeof(id));
    return 0;
}

enum seam_err
ticket_list(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
            const struct ticket_filter *filter, const char *cursor, unsigned limit, char **page,
            size_t *len)
{
    struct list_ctx l = {
        .t = t, .c = c, .who = who, .filter = filter, .limit = limit, .cursor = cursor};
    char *start = NULL, *prefix = NULL;
    size_t slen;
    enum store_db db;
    enum seam_err rc;

    if (who->role == ROLE_CUSTOMER) {
        db = DB_CUST_TICKETS;
        l.prefix_len = strlen(who->subject) + 1;
        prefix = xmalloc(l.prefix_len);
        memcpy(prefix, who->subject, l.prefix_len); /* with its NUL */
    } else if (who->role == ROLE_LEAD || who->role == ROLE_AUDITOR) {
        db = DB_TICKETS;
        l.prefix_len = 0;
        prefix = xstrdup("");
    } else {
        return SEAM_EINVAL;
    }
    l.prefix = prefix;
    slen = l.prefix_len + TICKET_ID_LEN;
    start = xmalloc(slen);
    memcpy(start, prefix, l.prefix_len);
    if (cursor)
        memcpy(start + l.prefix_len, cursor, TICKET_ID_LEN);
    else
        memset(start + l.prefix_len, 0xff, TICKET_ID_LEN);
    json_text_lit(&l.out, "{\"items\":[");
    rc = store_scan(t, db, start, slen, 1, list_one, &l);
    free(start);
    free(prefix);
    if (rc != SEAM_OK) {
        free(l.out.data);
        return rc;
    }
    page_end(&l.out, l.more, l.last);
    *page = l.out.data;
    *len = l.out.len;
    return SEAM_OK;
}

/* ---- a walk for lists of another shape (the TMF621 list) ---- */

struct walk_ctx {
    const struct ticket_ctx *c;
    const struct principal *who;
    const struct ticket_filter *filter;
    const char *prefix; /* DB_CUST_TICKETS: the customer's id and its NUL */
    size_t prefix_len;
    struct store_txn *t;
    ticket_each_fn fn;
    void *ctx;
};

static int
walk_one(struct walk_ctx *w, const struct ticket *tk)
{
    if (!ticket_visible(tk, w->who) || !filter_ok(w->c, tk, w->filter) ||
        (w->who->role == ROLE_CUSTOMER && tk->merged_into != NULL))
        return 0;
    return w->fn(w->ctx, tk);
}

static int
walk_record(void *arg, struct store_val k, struct store_val v)
{
    struct ticket tk;
    (void)k;
    if (record_decode(v.data, v.len, &tk) != SEAM_OK)
        return 0;
    int stop = walk_one(arg, &tk);
    ticket_free(&tk);
    return stop;
}

static int
walk_customer(void *arg, struct store_val k, struct store_val v)
{
    struct walk_ctx *w = arg;
    char id[TICKET_ID_LEN + 1];
    struct ticket tk;
    (void)v;
    if (k.len != w->prefix_len + TICKET_ID_LEN || memcmp(k.data, w->prefix, w->prefix_len) != 0)
        return 1;
    memcpy(id, (const char *)k.data + w->prefix_len, TICKET_ID_LEN);
    id[TICKET_ID_LEN] = '\0';
    if (ticket_load(w->t, id, &tk) != SEAM_OK)
        return 0;
    int stop = walk_one(w, &tk);
    ticket_free(&tk);
    return stop;
}

enum seam_err
ticket_walk(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
            const struct ticket_filter *filter, ticket_each_fn fn, void *ctx)
{
    struct walk_ctx w = {.c = c, .who = who, .filter = filter, .t = t, .fn = fn, .ctx = ctx};
    if (who->role != ROLE_CUSTOMER) /* the lead, an auditor; a partner sees what it has claims on */
        return store_scan(t, DB_TICKETS, NULL, 0, 1, walk_record, &w);
    w.prefix_len = strlen(who->subject) + 1;
    char *start = xmalloc(w.prefix_len + TICKET_ID_LEN);
    memcpy(start, who->subject, w.prefix_len); /* with its NUL */
    memset(start + w.prefix_len, 0xff, TICKET_ID_LEN);
    w.prefix = start;
    enum seam_err rc =
        store_scan(t, DB_CUST_TICKETS, start, w.prefix_len + TICKET_ID_LEN, 1, walk_customer, &w);
    free(start);
    return rc;
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

struct each_ctx {
    const struct principal *who;
    ticket_each_fn fn;
    void *ctx;
};

static int
each_one(void *arg, struct store_val k, struct store_val v)
{
    struct each_ctx *e = arg;
    struct ticket tk;
    (void)k;
    if (record_decode(v.data, v.len, &tk) != SEAM_OK)
        return 0;
    int stop = ticket_visible(&tk, e->who) ? e->fn(e->ctx, &tk) : 0;
    ticket_free(&tk);
    return stop;
}

enum seam_err
ticket_each(struct store_txn *t, const struct principal *who, ticket_each_fn fn, void *ctx)
{
    struct each_ctx e = {who, fn, ctx};
    return store_scan(t, DB_TICKETS, NULL, 0, 1, each_one, &e);
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
