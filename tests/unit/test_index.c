/*
 * test_index.c: the ticket indexes (index.h) and the lists that walk them
 * (ticket_walk, ticket_list), on a real store in a temp dir with the
 * example federation.
 *
 *  - a ticket's key set and the difference of two sets, by hand;
 *  - a property test: random filings, acknowledgements, resolutions,
 *    hand-backs, reopenings, confirmations, cancellations, forced
 *    assignments, fact corrections, merges, questions to the customer and
 *    their answers (the resolve clock paused and resumed) and SLA warnings
 *    and breaches coming due (seed: SEAM_SEED, else the time; printed),
 *    after which every list (the lead's with each filter, the watch lists
 *    bouncing and at_risk among them, and some combinations, each
 *    customer's, with an extra predicate),
 *    paged through next_cursor with a random page size, must equal a full
 *    scan of the records filtered here, by this file's own reading of the
 *    filters;
 *    the same with a walk's budget so small that pages come short;
 *    new tickets' entries wait above the mark (index.h) and are merged a
 *    few at a time at random moments, so that the lists walk pending sets,
 *    merged entries and saves of pending tickets together;
 *  - index_verify finds nothing on that store, with tickets pending or not,
 *    and names an index entry deleted or added behind the records' back,
 *    or one of a ticket whose entries are pending;
 *  - a clean merge: the pending tickets' entries written, the mark raised;
 *  - the indexes dropped (a store as written before them), the lists still
 *    answer the same (scanning), index_migrate builds them in small
 *    batches, and the lists and the check agree again;
 *  - a store whose indexes were built in format 1 (no watch list keys):
 *    index_migrate builds them again, and the lists and the check agree;
 *    the check names a watch list's entry deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "config.h"
#include "evlog.h"
#include "index.h"
#include "index_check.h"
#include "record.h"
#include "sla.h"
#include "store.h"
#include "tap.h"
#include "ticket.h"

static struct store *st;
static struct config *cfg;
static struct ticket_ctx ctx;
static struct principal lead, custs[3];
static const char *const cust_ids[3] = {"c1", "c2", "c3"};

#define MAX_TICKETS 400
static char ids[MAX_TICKETS][TICKET_ID_LEN + 1];
static size_t nids;
static int64_t t_first, t_last; /* the filings' clock */

static void
principal(struct principal *p, enum role role, const char *subject)
{
    memset(p, 0, sizeof(*p));
    p->role = role;
    snprintf(p->subject, sizeof(p->subject), "%s", subject);
}

/* ---- key sets by hand ---- */

struct diff_log {
    char text[512];
};

static int
diff_one(void *arg, const char *key, size_t len, int added)
{
    struct diff_log *d = arg;
    char k[256];
    snprintf(k, sizeof(k), "%s%.*s;", added ? "+" : "-", (int)len - 1, key);
    strncat(d->text, k, sizeof(d->text) - strlen(d->text) - 1);
    return 0;
}

static void
test_keys(void)
{
    struct ticket tk;
    memset(&tk, 0, sizeof(tk));
    tk.status = TS_IN_PROGRESS;
    flag_set_add(&tk.flags, FLAG_DISPUTED);
    struct assignment as[2];
    memset(as, 0, sizeof(as));
    as[0].partner = "skyview";
    as[0].state = AS_HANDED_BACK;
    flag_set_add(&as[0].flags, FLAG_BREACHED);
    as[1].partner = "northwind";
    as[1].state = AS_ACKNOWLEDGED;
    flag_set_add(&as[1].flags, FLAG_DISPUTED); /* the same flag twice: one key */
    tk.assignments = as;
    tk.nassignments = 2;
    tk.facts[FACT_SERVICE] = "tv";
    tk.facts[FACT_PRIORITY] = "high";
    static const char *const names[] = {"service", "symptom", "equipment",
                                        "region",  "bundle",  "priority"};
    size_t len;
    char *keys = index_keys_of(&tk, names, 6, &len);
    /* sorted by byte, each once, each with its NUL */
    static const char want[] = "fbreached\0fdisputed\0kpriority\x1fhigh\0kservice\x1ftv\0"
                               "onorthwind\0pnorthwind\0pskyview\0sinProgress";
    ok(len == sizeof(want) && memcmp(keys, want, len) == 0,
       "a ticket's keys: status, flags of ticket and assignments once, owner (live only), "
       "partners, facts; sorted");
    /* an acknowledgement changes nothing indexed: the same set */
    as[1].state = AS_IN_PROGRESS;
    size_t len2;
    char *same = index_keys_of(&tk, names, 6, &len2);
    ok(len2 == len && memcmp(same, keys, len) == 0, "a change of no indexed value: the same set");
    struct diff_log d = {""};
    ok(index_diff(keys, len, same, len2, diff_one, &d) == 0 && d.text[0] == '\0',
       "equal sets: no difference");
    /* resolved: no owner, another status */
    as[1].state = AS_RESOLVED;
    tk.status = TS_RESOLVED;
    size_t len3;
    char *after = index_keys_of(&tk, names, 6, &len3);
    memset(&d, 0, sizeof(d));
    ok(index_diff(keys, len, after, len3, diff_one, &d) == 0 &&
           strcmp(d.text, "-onorthwind;-sinProgress;+sresolved;") == 0,
       "resolved: the owner and the old status go, the new status comes (%s)", d.text);
    memset(&d, 0, sizeof(d));
    ok(index_diff(NULL, 0, "sa\0", 3, diff_one, &d) == 0 && strcmp(d.text, "+sa;") == 0,
       "from nothing: every key added");
    memset(&d, 0, sizeof(d));
    ok(index_diff("a\0b\0c\0", 6, "b\0", 2, diff_one, &d) == 0 && strcmp(d.text, "-a;-c;") == 0,
       "to fewer: the others removed (%s)", d.text);
    memset(&d, 0, sizeof(d));
    ok(index_diff("ab\0", 3, "a\0abc\0", 6, diff_one, &d) == 0 &&
           strcmp(d.text, "+a;-ab;+abc;") == 0,
       "prefixes of one another are different keys, in byte order (%s)", d.text);
    char big[INDEX_VALUE_MAX + 2], key[INDEX_KEY_MAX];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ok(index_key(key, INDEX_STATUS, NULL, big) == 0, "a value past INDEX_VALUE_MAX is no key");
    char entry[INDEX_KEY_MAX + INDEX_ID_BYTES], back[TICKET_ID_LEN + 1];
    size_t kl = index_key(key, INDEX_STATUS, NULL, "resolved");
    size_t el = index_entry(entry, key, kl, "T019aab3c5e2f4c1d9e07");
    index_entry_id(entry + kl, back);
    ok(el == kl + INDEX_ID_BYTES && memcmp(entry, "sresolved\0\x01\x9a\xab", kl + 3) == 0 &&
           strcmp(back, "T019aab3c5e2f4c1d9e07") == 0,
       "an entry: the key, then the id's 20 hex digits packed in 10 bytes, and back");
    char e1[INDEX_KEY_MAX + INDEX_ID_BYTES], e2[INDEX_KEY_MAX + INDEX_ID_BYTES];
    index_entry(e1, key, kl, "T019aab3c5e2f4c1d9e07");
    index_entry(e2, key, kl, "T019aab3c5e2f4c1d9f00");
    ok(memcmp(e1, e2, kl + INDEX_ID_BYTES) < 0, "packed ids sort as the ids do");
    /* the watch lists: handed back in this round while open; a running clock past its warning */
    tk.status = TS_IN_PROGRESS;
    as[1].state = AS_ACKNOWLEDGED;
    tk.bounces = 1;
    as[1].sla.present = 1;
    for (int k = 0; k < SEAM_SLA_KINDS; k++)
        as[1].sla.due_at[k] = SEAM_NULL_MS;
    as[1].sla.due_at[SLA_RESOLVE] = 1000;
    as[1].sla.warned.v[as[1].sla.warned.n++] = SLA_WARN_RESOLVE;
    size_t len4;
    char *watched = index_keys_of(&tk, names, 6, &len4);
    memset(&d, 0, sizeof(d));
    ok(index_diff(keys, len, watched, len4, diff_one, &d) == 0 &&
           strcmp(d.text, "+fat_risk;+fbouncing;") == 0,
       "bounced this round, its resolve clock past the warning: flag keys at_risk and bouncing "
       "(%s)",
       d.text);
    as[1].sla.due_at[SLA_RESOLVE] = SEAM_NULL_MS; /* paused (or breached): no longer at risk */
    tk.status = TS_PENDING;
    size_t len5;
    char *paused = index_keys_of(&tk, names, 6, &len5);
    memset(&d, 0, sizeof(d));
    ok(index_diff(watched, len4, paused, len5, diff_one, &d) == 0 &&
           strcmp(d.text, "-fat_risk;-sinProgress;+spending;") == 0,
       "the clock paused: at_risk goes, bouncing stays while open (%s)", d.text);
    tk.status = TS_RESOLVED;
    as[1].state = AS_RESOLVED;
    size_t len6;
    char *done = index_keys_of(&tk, names, 6, &len6);
    ok(!index_set_has(done, len6, "fbouncing", 10), "resolved: no longer bouncing");
    for (int g = 0; g < FLAG_COUNT; g++)
        for (int w = 0; w < WATCH_COUNT; w++)
            if (strcmp(ticket_flags[g].name, ticket_watches[w]) == 0)
                ok(0, "a watch list is named as a flag: %s", ticket_watches[w]);
    free(keys);
    free(same);
    free(after);
    free(watched);
    free(paused);
    free(done);
}

/* ---- writes ---- */

static enum seam_err
add_customers(struct store_txn *t, void *arg)
{
    (void)arg;
    enum seam_err rc = customer_add(t, cfg, "c1", "Ada", "triple-play", "north", NULL);
    if (rc == SEAM_OK)
        rc = customer_add(t, cfg, "c2", "Bob", "tv-internet", "south", NULL);
    return rc != SEAM_OK ? rc : customer_add(t, cfg, "c3", "Cy", "phone-only", "north", NULL);
}

struct create_job {
    const struct principal *who;
    struct ticket_input *in;
    struct ticket out;
};

static enum seam_err
create_fn(struct store_txn *t, void *arg)
{
    struct create_job *j = arg;
    ticket_free(&j->out);
    return ticket_create(t, &ctx, j->who, j->in, &j->out);
}

struct act_job {
    const struct principal *who;
    const struct ticket_action_req *a;
    struct ticket_refusal why;
    struct ticket out;
};

static enum seam_err
act_fn(struct store_txn *t, void *arg)
{
    struct act_job *j = arg;
    ticket_free(&j->out);
    return ticket_act(t, &ctx, j->who, j->a, &j->out, &j->why);
}

static int
act(const struct principal *who, const struct ticket_action_req *a)
{
    struct act_job j = {.who = who, .a = a};
    enum seam_err rc = store_write(st, act_fn, &j, evlog_hook, (void *)ctx.lg);
    ticket_free(&j.out);
    return rc == SEAM_OK;
}

static enum seam_err
merge_fn(struct store_txn *t, void *arg)
{
    size_t max = *(size_t *)arg;
    return max == 0 ? index_merge_all(t) : index_merge(t, max, NULL);
}

/* Merges up to max pending tickets (0: all). */
static int
merge(size_t max)
{
    return store_write(st, merge_fn, &max, NULL, NULL) == SEAM_OK;
}

static const char *
pick(const struct strlist *l)
{
    return l->n ? l->v[rand() % l->n] : NULL;
}

static int merging = 1;

static void
file_one(void)
{
    int c = rand() % 3;
    struct ticket_input in = {.summary = "it broke", .description = "since this morning"};
    in.facts[FACT_SERVICE] = (char *)pick(&cfg->vocab[FACT_SERVICE]);
    in.facts[FACT_SYMPTOM] = (char *)pick(&cfg->vocab[FACT_SYMPTOM]);
    in.priority = rand() % PRIO_COUNT;
    struct create_job j = {.who = &custs[c], .in = &in};
    clock_advance(1000 + rand() % (3 * 3600 * 1000)); /* hours apart: the time filters bite */
    if (store_write(st, create_fn, &j, evlog_hook, (void *)ctx.lg) == SEAM_OK &&
        nids < MAX_TICKETS) {
        memcpy(ids[nids++], j.out.id, TICKET_ID_LEN + 1);
        if (t_first == 0)
            t_first = j.out.created_at;
        t_last = j.out.created_at;
    }
    ticket_free(&j.out);
    if (merging && rand() % 8 == 0) /* the pending entries, a few at a time: some stay pending */
        (void)merge(1 + (size_t)(rand() % 6));
}

static int
load(const char *id, struct ticket *tk)
{
    struct store_txn *t;
    if (store_read_begin(st, &t) != SEAM_OK)
        return 0;
    enum seam_err rc = ticket_load(t, id, tk);
    store_read_end(t);
    return rc == SEAM_OK;
}

/* The owner's principal of an assignment: its partner, or the lead. */
static void
owner_of(const struct assignment *a, struct principal *p)
{
    if (strcmp(a->partner, cfg->lead.id) == 0)
        principal(p, ROLE_LEAD, "agent-1");
    else
        principal(p, ROLE_PARTNER, a->partner);
}

static unsigned acted;

static void
act_one(void)
{
    struct ticket tk;
    const char *id = ids[rand() % nids];
    if (!load(id, &tk))
        return;
    const struct assignment *live = NULL;
    for (size_t i = 0; i < tk.nassignments; i++)
        if (assignment_is_live(&tk.assignments[i]) && (live == NULL || rand() % 2))
            live = &tk.assignments[i];
    struct principal who;
    struct ticket_action_req a = {.target = id, .text = "step"};
    const struct principal *cust = &custs[0];
    for (int c = 0; c < 3; c++)
        if (tk.customer && strcmp(tk.customer, cust_ids[c]) == 0)
            cust = &custs[c];
    int r = rand() % 100;
    if (live != NULL && r < 25) {
        owner_of(live, &who);
        a.kind = live->state == AS_ASSIGNED ? TA_ACK : TA_RESOLVE;
        a.target = live->id;
        acted += act(&who, &a);
    } else if (live != NULL && r < 40 && strcmp(live->partner, cfg->lead.id) != 0) {
        owner_of(live, &who);
        a.kind = TA_HANDBACK;
        a.target = live->id;
        a.reason = HB_NOT_OUR_SERVICE;
        acted += act(&who, &a);
    } else if (r < 50) {
        a.kind = rand() % 3 ? TA_REOPEN : TA_CONFIRM;
        acted += act(cust, &a);
    } else if (r < 60) {
        a.kind = TA_FACTS;
        a.facts[FACT_SYMPTOM] = pick(&cfg->vocab[FACT_SYMPTOM]);
        a.facts[FACT_SERVICE] = pick(&cfg->vocab[FACT_SERVICE]);
        a.facts_given = 1u << FACT_SYMPTOM | 1u << FACT_SERVICE;
        acted += act(&lead, &a);
    } else if (r < 70) {
        /* into another ticket of the same customer (refused unless open) */
        for (int tries = 0; tries < 20; tries++) {
            const char *other = ids[rand() % nids];
            struct ticket o;
            if (strcmp(other, id) == 0 || !load(other, &o))
                continue;
            int same = o.customer && tk.customer && strcmp(o.customer, tk.customer) == 0;
            ticket_free(&o);
            if (same) {
                a.kind = TA_MERGE;
                a.ticket_ref = other;
                acted += act(&lead, &a);
                break;
            }
        }
    } else if (r < 80) {
        static const char *const to[] = {"skyview", "nordtel", "fibernet", "lead"};
        a.kind = TA_ASSIGN;
        a.partner = to[rand() % 4];
        acted += act(&lead, &a);
    } else if (r < 83) {
        a.kind = TA_CANCEL;
        acted += act(cust, &a);
    } else if (live != NULL && r < 93) {
        /* an SLA instant comes due, as the scheduler would fire it: a warning mostly */
        static const enum sla_kind order[2][SLA_KINDS] = {
            {SLA_WARN_ACK, SLA_WARN_RESOLVE, SLA_ACK, SLA_RESOLVE},
            {SLA_ACK, SLA_RESOLVE, SLA_WARN_ACK, SLA_WARN_RESOLVE}};
        const enum sla_kind *kinds = order[rand() % 4 == 0];
        struct principal broker;
        principal(&broker, ROLE_BROKER, "broker");
        for (int k = 0; k < SLA_KINDS; k++)
            if (live->sla.present && live->sla.due_at[kinds[k]] >= 0) {
                a.kind = TA_SLA;
                a.target = live->id;
                a.reason = (int)kinds[k];
                a.due_ms = live->sla.due_at[kinds[k]];
                acted += act(&broker, &a);
                break;
            }
    } else if (r < 96) {
        if (tk.status == TS_PENDING) { /* the customer answers: the resolve clocks run again */
            a.kind = TA_NOTE;
            acted += act(cust, &a);
        } else if (live != NULL && live->state != AS_ASSIGNED) { /* a question: they pause */
            owner_of(live, &who);
            a.kind = TA_NEED_INFO;
            a.target = live->id;
            acted += act(&who, &a);
        }
    } else if (live != NULL) {
        owner_of(live, &who);
        a.kind = TA_PROGRESS; /* changes nothing indexed */
        a.target = live->id;
        acted += act(&who, &a);
    }
    ticket_free(&tk);
}

/* ---- the lists against a scan ---- */

struct idlist {
    char (*v)[TICKET_ID_LEN + 1];
    size_t n;
};

static void
idlist_add(struct idlist *l, const char *id)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    memcpy(l->v[l->n++], id, TICKET_ID_LEN + 1);
}

/* This file's own reading of each filter (ticket.h's struct ticket_filter). */
static int
ref_party(const struct ticket *tk, const char *p, int live)
{
    const char *id = strcmp(p, "lead") == 0 ? cfg->lead.id : p;
    for (size_t i = 0; i < tk->nassignments; i++)
        if (strcmp(tk->assignments[i].partner, id) == 0 &&
            (!live || assignment_states[tk->assignments[i].state].live))
            return 1;
    return 0;
}

struct ref_ctx {
    const struct principal *who;
    const struct ticket_filter *f;
    struct idlist out;
};

static int
ref_one(void *arg, const struct ticket *tk)
{
    struct ref_ctx *r = arg;
    const struct ticket_filter *f = r->f;
    if (r->who->role == ROLE_CUSTOMER &&
        (tk->customer == NULL || strcmp(tk->customer, r->who->subject) != 0 || tk->merged_into))
        return 0;
    if (f->status && strcmp(f->status, ticket_statuses[tk->status].name) != 0)
        return 0;
    if (f->partner && !ref_party(tk, f->partner, 0))
        return 0;
    if (f->owner && !ref_party(tk, f->owner, 1))
        return 0;
    if (f->flag && strcmp(f->flag, "bouncing") == 0) {
        /* open, and a claim of the current round handed back */
        int open = tk->status == TS_ACKNOWLEDGED || tk->status == TS_IN_PROGRESS ||
                   tk->status == TS_PENDING;
        int bounced = 0;
        for (size_t a = 0; a < tk->nassignments; a++)
            bounced |=
                tk->assignments[a].round == tk->round && tk->assignments[a].state == AS_HANDED_BACK;
        if (!open || !bounced)
            return 0;
    } else if (f->flag && strcmp(f->flag, "at_risk") == 0) {
        /* a live claim whose warning came for a clock still due */
        int risky = 0;
        for (size_t a = 0; a < tk->nassignments; a++) {
            const struct assignment *x = &tk->assignments[a];
            if (!assignment_states[x->state].live || !x->sla.present)
                continue;
            for (unsigned i = 0; i < x->sla.warned.n; i++) {
                int due = x->sla.warned.v[i] == SLA_WARN_ACK ? SLA_ACK : SLA_RESOLVE;
                risky |= x->sla.due_at[due] >= 0;
            }
        }
        if (!risky)
            return 0;
    } else if (f->flag) {
        int any = 0;
        for (unsigned i = 0; i < tk->flags.n; i++)
            any |= strcmp(ticket_flags[tk->flags.v[i]].name, f->flag) == 0;
        for (size_t a = 0; a < tk->nassignments; a++)
            for (unsigned i = 0; i < tk->assignments[a].flags.n; i++)
                any |= strcmp(ticket_flags[tk->assignments[a].flags.v[i]].name, f->flag) == 0;
        if (!any)
            return 0;
    }
    if (f->from_ms && tk->created_at < f->from_ms)
        return 0;
    if (f->to_ms && tk->created_at >= f->to_ms)
        return 0;
    for (size_t k = 0; k < FACT_MAX; k++)
        if (f->facts[k] && (tk->facts[k] == NULL || strcmp(f->facts[k], tk->facts[k]) != 0))
            return 0;
    if (f->match && !f->match(f->match_arg, tk))
        return 0;
    idlist_add(&r->out, tk->id);
    return 0;
}

/* Whether a page may be short and still have a next_cursor (a walk out of its budget). */
static int short_pages;

/* The list through ticket_list, page by page; -1 on a malformed page. */
static int
walk_pages(const struct principal *who, const struct ticket_filter *f, struct idlist *out,
           unsigned *pages)
{
    char cursor[TICKET_ID_LEN + 1] = "";
    *pages = 0;
    for (;;) {
        struct store_txn *t;
        char *page = NULL;
        size_t len;
        unsigned limit = 1 + (unsigned)(rand() % 9);
        if (store_read_begin(st, &t) != SEAM_OK)
            return -1;
        enum seam_err rc =
            ticket_list(t, &ctx, who, f, cursor[0] ? cursor : NULL, limit, &page, &len);
        store_read_end(t);
        if (rc != SEAM_OK)
            return -1;
        (*pages)++;
        json_t *doc = json_loadb(page, len, 0, NULL);
        free(page);
        json_t *items = json_object_get(doc, "items"), *it;
        size_t i;
        if (!json_is_array(items) || json_array_size(items) > limit) {
            json_decref(doc);
            return -1;
        }
        json_array_foreach(items, i, it)
        {
            const char *id = json_string_value(json_object_get(it, "id"));
            if (id == NULL || strlen(id) != TICKET_ID_LEN) {
                json_decref(doc);
                return -1;
            }
            idlist_add(out, id);
        }
        const char *next = json_string_value(json_object_get(doc, "next_cursor"));
        if (next == NULL) {
            json_decref(doc);
            return 0;
        }
        if ((!short_pages && json_array_size(items) != limit) || strlen(next) != TICKET_ID_LEN) {
            json_decref(doc);
            return -1; /* a next_cursor only after a full page */
        }
        memcpy(cursor, next, sizeof(cursor));
        json_decref(doc);
    }
}

static int
odd_summary_len(void *arg, const struct ticket *tk)
{
    (void)arg;
    return tk->id[TICKET_ID_LEN - 1] % 2 == 1; /* any predicate the indexes know nothing of */
}

static unsigned compared, nonempty;

static void
compare(const char *name, const struct principal *who, const struct ticket_filter *f)
{
    struct ref_ctx r = {who, f, {0}};
    struct idlist got = {0};
    unsigned pages;
    struct store_txn *t;
    int good = store_read_begin(st, &t) == SEAM_OK;
    if (good) {
        good = ticket_scan(t, ref_one, &r) == SEAM_OK;
        store_read_end(t);
    }
    good = good && walk_pages(who, f, &got, &pages) == 0;
    /* the scan is oldest first; the list newest first */
    int same = good && got.n == r.out.n;
    for (size_t i = 0; same && i < got.n; i++)
        same = strcmp(got.v[i], r.out.v[r.out.n - 1 - i]) == 0;
    ok(same, "%s (%s): the list equals a scan: %zu tickets in %u pages", name,
       who->role == ROLE_CUSTOMER ? who->subject : "lead", r.out.n, good ? pages : 0);
    if (!same)
        printf("#   list %zu tickets, scan %zu\n", got.n, r.out.n);
    /* ticket_walk_count: all of them, those below a ticket in the middle, and a budget too small */
    unsigned long n_all = 0, n_mid = 0, n_few = 0;
    int c_all = 0, c_mid = 0, c_few = 1;
    size_t mid = got.n / 2;
    if (store_read_begin(st, &t) == SEAM_OK) {
        good = ticket_walk_count(t, &ctx, who, f, NULL, 1u << 30, &n_all, &c_all) == SEAM_OK &&
               ticket_walk_count(t, &ctx, who, f, got.n ? got.v[mid] : NULL, 1u << 30, &n_mid,
                                 &c_mid) == SEAM_OK &&
               ticket_walk_count(t, &ctx, who, f, NULL, 1, &n_few, &c_few) == SEAM_OK;
        store_read_end(t);
    }
    /* on a budget of 1 a count is short, or exact: one key's count kept (INDEX_COUNTS) */
    ok(good && c_all && n_all == r.out.n && c_mid && n_mid == (got.n ? got.n - mid - 1 : r.out.n) &&
           (r.out.n < 2 ? 1 : !c_few || n_few == r.out.n),
       "%s: ticket_walk_count counts %lu (below the middle %lu), short or exact on a budget of "
       "1 (%lu)",
       name, n_all, n_mid, n_few);
    compared++;
    nonempty += r.out.n > 0;
    free(r.out.v);
    free(got.v);
}

static void
compare_all(const char *round)
{
    char name[160];
    struct ticket_filter f;
    static const char *const parties[] = {"skyview", "nordtel", "fibernet", "lead", "northwind"};
    compared = nonempty = 0;
    memset(&f, 0, sizeof(f));
    snprintf(name, sizeof(name), "%s: no filter", round);
    compare(name, &lead, &f);
    for (int s = 0; s < TS_COUNT; s++) {
        memset(&f, 0, sizeof(f));
        f.status = ticket_statuses[s].name;
        snprintf(name, sizeof(name), "%s: status=%s", round, f.status);
        compare(name, &lead, &f);
    }
    for (int g = 0; g < FLAG_COUNT; g++) {
        memset(&f, 0, sizeof(f));
        f.flag = ticket_flags[g].name;
        snprintf(name, sizeof(name), "%s: flag=%s", round, f.flag);
        compare(name, &lead, &f);
    }
    for (int w = 0; w < WATCH_COUNT; w++) {
        memset(&f, 0, sizeof(f));
        f.flag = ticket_watches[w];
        snprintf(name, sizeof(name), "%s: flag=%s", round, f.flag);
        compare(name, &lead, &f);
        for (size_t p = 0; p < 3; p++) { /* with an owner: the zig-zag of two keys */
            f.owner = parties[p];
            snprintf(name, sizeof(name), "%s: flag=%s owner=%s", round, f.flag, f.owner);
            compare(name, &lead, &f);
        }
    }
    for (size_t p = 0; p < sizeof(parties) / sizeof(parties[0]); p++) {
        memset(&f, 0, sizeof(f));
        f.owner = parties[p];
        snprintf(name, sizeof(name), "%s: owner=%s", round, f.owner);
        compare(name, &lead, &f);
        memset(&f, 0, sizeof(f));
        f.partner = parties[p];
        snprintf(name, sizeof(name), "%s: partner=%s", round, f.partner);
        compare(name, &lead, &f);
    }
    for (size_t k = 0; k < cfg->nfact_kinds; k++)
        for (size_t v = 0; v < cfg->vocab[k].n; v++) {
            memset(&f, 0, sizeof(f));
            f.facts[k] = cfg->vocab[k].v[v];
            snprintf(name, sizeof(name), "%s: %s=%s", round, cfg->fact_kinds[k].name, f.facts[k]);
            compare(name, &lead, &f);
        }
    int64_t span = t_last - t_first, mid = t_first + span / 2;
    memset(&f, 0, sizeof(f));
    f.from_ms = mid;
    snprintf(name, sizeof(name), "%s: created_from (the later half)", round);
    compare(name, &lead, &f);
    memset(&f, 0, sizeof(f));
    f.to_ms = mid;
    snprintf(name, sizeof(name), "%s: created_to (the earlier half)", round);
    compare(name, &lead, &f);
    memset(&f, 0, sizeof(f));
    f.from_ms = t_first + span / 4;
    f.to_ms = t_first + span / 4 + span / 10;
    f.status = "acknowledged";
    snprintf(name, sizeof(name), "%s: created in a tenth of the span, acknowledged", round);
    compare(name, &lead, &f);
    /* combinations */
    for (int i = 0; i < 40; i++) {
        memset(&f, 0, sizeof(f));
        if (rand() % 2)
            f.status = ticket_statuses[rand() % TS_COUNT].name;
        if (rand() % 3 == 0) {
            int g = rand() % (FLAG_COUNT + WATCH_COUNT);
            f.flag = g < FLAG_COUNT ? ticket_flags[g].name : ticket_watches[g - FLAG_COUNT];
        }
        if (rand() % 3 == 0)
            f.owner = parties[rand() % 4];
        if (rand() % 3 == 0)
            f.partner = parties[rand() % 4];
        if (rand() % 2)
            f.facts[FACT_SERVICE] = pick(&cfg->vocab[FACT_SERVICE]);
        if (rand() % 3 == 0)
            f.facts[FACT_PRIORITY] = priority_names[rand() % PRIO_COUNT];
        if (rand() % 4 == 0)
            f.from_ms = t_first + rand() % (span + 1);
        if (rand() % 8 == 0)
            f.match = odd_summary_len;
        snprintf(name, sizeof(name), "%s: combination %d: %s%s %s%s %s%s %s%s %s%s%s%s", round, i,
                 f.status ? "status=" : "", f.status ? f.status : "", f.flag ? "flag=" : "",
                 f.flag ? f.flag : "", f.owner ? "owner=" : "", f.owner ? f.owner : "",
                 f.partner ? "partner=" : "", f.partner ? f.partner : "",
                 f.facts[FACT_SERVICE] ? "service=" : "",
                 f.facts[FACT_SERVICE] ? f.facts[FACT_SERVICE] : "", f.from_ms ? " from" : "",
                 f.match ? " +predicate" : "");
        compare(name, &lead, &f);
    }
    for (int c = 0; c < 3; c++) {
        memset(&f, 0, sizeof(f));
        snprintf(name, sizeof(name), "%s: own tickets", round);
        compare(name, &custs[c], &f);
        for (int s = 0; s < TS_COUNT; s += 2) {
            f.status = ticket_statuses[s].name;
            snprintf(name, sizeof(name), "%s: own, status=%s", round, f.status);
            compare(name, &custs[c], &f);
        }
    }
    ok(nonempty * 2 > compared, "%s: most lists compared hold tickets (%u of %u)", round, nonempty,
       compared);
}

/* ---- verify and migration ---- */

struct problems {
    unsigned n;
    char first[512];
    int named; /* a problem named the ticket and the entry */
    const char *want;
};

static void
report(void *arg, const char *msg)
{
    struct problems *p = arg;
    if (p->n++ == 0)
        snprintf(p->first, sizeof(p->first), "%s", msg);
    if (p->want && strstr(msg, p->want))
        p->named = 1;
}

static unsigned
verify(const char *want, struct problems *p)
{
    struct store_txn *t;
    memset(p, 0, sizeof(*p));
    p->want = want;
    if (store_read_begin(st, &t) != SEAM_OK)
        return 1000;
    (void)index_verify(t, report, p); /* p counts */
    store_read_end(t);
    return p->n;
}

struct entry_job {
    const char *id, *status;
    int add;
};

static enum seam_err
entry_fn(struct store_txn *t, void *arg)
{
    struct entry_job *e = arg;
    char key[INDEX_KEY_MAX], k[INDEX_KEY_MAX + INDEX_ID_BYTES];
    size_t n = index_entry(k, key, index_key(key, INDEX_STATUS, NULL, e->status), e->id);
    if (e->add)
        return store_put(t, DB_INDEX, k, n, "", 0, 0);
    return store_del(t, DB_INDEX, k, n);
}

static int
first_key(void *arg, struct store_val k, struct store_val v)
{
    struct idlist *l = arg;
    (void)v;
    l->v = xrealloc(l->v, sizeof(*l->v) * 32); /* reused as a byte buffer */
    size_t n = k.len < sizeof(*l->v) * 32 - sizeof(size_t) ? k.len : 0;
    memcpy(l->v, &n, sizeof(size_t));
    memcpy((char *)l->v + sizeof(size_t), k.data, n);
    l->n = 1;
    return 1;
}

/* Deletes every index entry and the mark: a store as written before the indexes. */
static enum seam_err
drop_fn(struct store_txn *t, void *arg)
{
    (void)arg;
    enum seam_err rc = store_del(t, DB_META, "index.format", 12);
    if (rc != SEAM_OK)
        return rc;
    for (int db = DB_INDEX; db <= DB_INDEX_OF; db++)
        for (;;) {
            struct idlist l = {0};
            if ((rc = store_scan(t, (enum store_db)db, NULL, 0, 0, first_key, &l)) != SEAM_OK)
                return rc;
            if (l.n == 0)
                break;
            size_t n;
            memcpy(&n, l.v, sizeof(size_t));
            rc = store_del(t, (enum store_db)db, (char *)l.v + sizeof(size_t), n);
            free(l.v);
            if (rc != SEAM_OK)
                return rc;
        }
    return SEAM_OK;
}

/* DB_INDEX entries of ticket id (with a prefix of attr), counted. */
struct count_entries {
    const char *packed;
    unsigned n;
};

static int
count_entry(void *arg, struct store_val k, struct store_val v)
{
    struct count_entries *c = arg;
    (void)v;
    if (k.len > INDEX_ID_BYTES &&
        memcmp((const char *)k.data + k.len - INDEX_ID_BYTES, c->packed, INDEX_ID_BYTES) == 0)
        c->n++;
    return 0;
}

static unsigned
entries_of(const char *id)
{
    char packed[INDEX_KEY_MAX + INDEX_ID_BYTES];
    struct count_entries c = {packed + 1, 0};
    struct store_txn *t;
    (void)index_entry(packed, "", 1, id);
    if (store_read_begin(st, &t) != SEAM_OK)
        return 1000;
    if (store_scan(t, DB_INDEX, NULL, 0, 0, count_entry, &c) != SEAM_OK)
        c.n = 1000;
    store_read_end(t);
    return c.n;
}

static void
test_pending(void)
{
    struct store_txn *t;
    char applied[SEAM_ID_LEN + 1] = "";
    uint64_t waiting = 0;
    if (store_read_begin(st, &t) == SEAM_OK) {
        if (index_applied(t, applied) != SEAM_OK)
            applied[0] = '\0';
        waiting = index_pending_count(t, UINT64_MAX);
        store_read_end(t);
    }
    const char *last = ids[nids - 1];
    ok(applied[0] == 'T' && strcmp(last, applied) > 0 && waiting > 0,
       "the newest ticket's entries wait above the mark (%llu pending)",
       (unsigned long long)waiting);
    ok(entries_of(last) == 0, "a pending ticket has no entry in DB_INDEX");
    struct problems p;
    ok(verify(NULL, &p) == 0, "index_verify with tickets pending: nothing to say (%s)", p.first);
    /* an entry of a pending ticket, behind the records' back */
    struct ticket tk;
    if (load(last, &tk)) {
        struct entry_job add = {last, ticket_statuses[tk.status].name, 1};
        char want[128];
        snprintf(want, sizeof(want),
                 "ticket %s: index status=%s: extra (the ticket's entries are pending", last,
                 add.status);
        ok(store_write(st, entry_fn, &add, NULL, NULL) == SEAM_OK && verify(want, &p) == 2 &&
               p.named,
           "verify names an entry of a pending ticket (and its key's count): %s", p.first);
        add.add = 0;
        ok(store_write(st, entry_fn, &add, NULL, NULL) == SEAM_OK, "taken out");
        ticket_free(&tk);
    }
    ok(merge(0), "every pending ticket merged");
    char after[SEAM_ID_LEN + 1] = "";
    if (store_read_begin(st, &t) == SEAM_OK) {
        if (index_applied(t, after) != SEAM_OK)
            after[0] = '\0';
        waiting = index_pending_count(t, UINT64_MAX);
        store_read_end(t);
    }
    ok(strcmp(after, last) == 0 && waiting == 0, "the mark is the newest ticket (%s), none pending",
       after);
    ok(entries_of(last) > 0, "its entries are in DB_INDEX: %u", entries_of(last));
    ok(verify(NULL, &p) == 0, "index_verify after the merge: nothing to say (%s)", p.first);
    compare_all("all merged");
}

/* The store as a broker of index format 1 left it: no watch list key (entries and sets), the
 * format "1". *n: the tickets that had one. */
struct unwatch {
    struct idlist ids; /* tickets with a watch key */
    char **keys;       /* DB_INDEX entries to delete */
    size_t *lens, nkeys;
};

static int
unwatch_entry(void *arg, struct store_val k, struct store_val v)
{
    struct unwatch *u = arg;
    (void)v;
    if (!index_key_is_watch(k.data, k.len))
        return 0;
    u->keys = xrealloc(u->keys, (u->nkeys + 1) * sizeof(*u->keys));
    u->lens = xrealloc(u->lens, (u->nkeys + 1) * sizeof(*u->lens));
    u->keys[u->nkeys] = xmalloc(k.len);
    memcpy(u->keys[u->nkeys], k.data, k.len);
    u->lens[u->nkeys++] = k.len;
    return 0;
}

static int
unwatch_set(void *arg, struct store_val k, struct store_val v)
{
    struct unwatch *u = arg;
    for (size_t i = 0; i < v.len;) {
        size_t l = strnlen((const char *)v.data + i, v.len - i) + 1;
        if (index_key_is_watch((const char *)v.data + i, l) && k.len == TICKET_ID_LEN) {
            char id[TICKET_ID_LEN + 1];
            memcpy(id, k.data, TICKET_ID_LEN);
            id[TICKET_ID_LEN] = '\0';
            idlist_add(&u->ids, id);
            break;
        }
        i += l;
    }
    return 0;
}

static enum seam_err
format1_fn(struct store_txn *t, void *arg)
{
    struct unwatch *u = arg;
    enum seam_err rc = store_scan(t, DB_INDEX, NULL, 0, 0, unwatch_entry, u);
    if (rc == SEAM_OK)
        rc = store_scan(t, DB_INDEX_OF, NULL, 0, 0, unwatch_set, u);
    for (size_t i = 0; rc == SEAM_OK && i < u->nkeys; i++)
        rc = store_del(t, DB_INDEX, u->keys[i], u->lens[i]);
    for (size_t i = 0; rc == SEAM_OK && i < u->ids.n; i++) {
        struct store_val v;
        rc = store_get(t, DB_INDEX_OF, u->ids.v[i], TICKET_ID_LEN, &v);
        if (rc != SEAM_OK)
            break;
        char *set = xmalloc(v.len + 1);
        size_t n = 0;
        for (size_t j = 0; j < v.len;) {
            size_t l = strnlen((const char *)v.data + j, v.len - j) + 1;
            if (!index_key_is_watch((const char *)v.data + j, l)) {
                memcpy(set + n, (const char *)v.data + j, l);
                n += l;
            }
            j += l;
        }
        rc = store_put(t, DB_INDEX_OF, u->ids.v[i], TICKET_ID_LEN, set, n, 0);
        free(set);
    }
    if (rc == SEAM_OK)
        rc = store_put(t, DB_META, INDEX_META, strlen(INDEX_META), "1", 1, 0);
    return rc;
}

/* An entry of DB_INDEX as stored (key and packed id), deleted or put. */
struct raw_job {
    const void *entry;
    size_t len;
    int add;
};

static enum seam_err
raw_fn(struct store_txn *t, void *arg)
{
    struct raw_job *r = arg;
    return r->add ? store_put(t, DB_INDEX, r->entry, r->len, "", 0, 0)
                  : store_del(t, DB_INDEX, r->entry, r->len);
}

static void
test_format1(void)
{
    struct unwatch u = {0};
    struct problems p = {0};
    struct store_txn *t;
    ok(store_write(st, format1_fn, &u, NULL, NULL) == SEAM_OK && u.ids.n > 0 && u.nkeys > 0,
       "a store as index format 1 left it: %zu tickets in a watch list lose %zu entries", u.ids.n,
       u.nkeys);
    int ready = 1;
    if (store_read_begin(st, &t) == SEAM_OK) {
        ready = index_ready(t);
        store_read_end(t);
    }
    ok(!ready, "format 1 is not this broker's: the lists scan until the build");
    uint64_t built = 0;
    ok(index_migrate(st, 5, &built) == SEAM_OK && built == nids,
       "index_migrate builds them again: %llu of %zu", (unsigned long long)built, nids);
    ok(u.ids.n > 0 && entries_of(u.ids.v[0]) > 0 && verify(NULL, &p) == 0,
       "the rebuilt indexes agree with the records, watch lists too (%s)", p.first);
    /* verify checks the watch lists' entries as it checks the others */
    struct raw_job del = {u.nkeys ? u.keys[0] : NULL, u.nkeys ? u.lens[0] : 0, 0};
    char want[128] = "(none)", id[TICKET_ID_LEN + 1];
    if (u.nkeys > 0) {
        size_t kl = u.lens[0] - INDEX_ID_BYTES;
        index_entry_id(u.keys[0] + kl, id);
        snprintf(want, sizeof(want), "ticket %s: index flag=%.*s: missing", id, (int)kl - 2,
                 u.keys[0] + 1);
    }
    ok(u.nkeys > 0 && store_write(st, raw_fn, &del, NULL, NULL) == SEAM_OK &&
           verify(want, &p) == 2 && p.named,
       "a watch list's entry deleted: verify names it, and its key's count (%s)", p.first);
    del.add = 1;
    ok(u.nkeys > 0 && store_write(st, raw_fn, &del, NULL, NULL) == SEAM_OK && verify(NULL, &p) == 0,
       "put back: nothing to say");
    compare_all("after the build from format 1");
    for (size_t i = 0; i < u.nkeys; i++)
        free(u.keys[i]);
    free(u.keys);
    free(u.lens);
    free(u.ids.v);
}

/* A key's count kept (INDEX_COUNTS) set to n, or removed (n < 0). */
struct count_job {
    const char *status;
    long long n;
};

static enum seam_err
count_fn(struct store_txn *t, void *arg)
{
    struct count_job *c = arg;
    char key[INDEX_KEY_MAX], k[sizeof(INDEX_COUNT_PREFIX) + INDEX_KEY_MAX];
    size_t kl = index_key(key, INDEX_STATUS, NULL, c->status), pl = strlen(INDEX_COUNT_PREFIX);
    uint8_t b[8];
    memcpy(k, INDEX_COUNT_PREFIX, pl);
    memcpy(k + pl, key, kl);
    if (c->n < 0)
        return store_del(t, DB_META, k, pl + kl);
    be64_put(b, (uint64_t)c->n);
    return store_put(t, DB_META, k, pl + kl, b, 8, 0);
}

/* Every count kept and the mark that says they are right, taken out. */
static enum seam_err
uncount_fn(struct store_txn *t, void *arg)
{
    (void)arg;
    enum seam_err rc = store_del_prefix(t, DB_META, INDEX_COUNT_PREFIX);
    return rc == SEAM_OK ? store_del(t, DB_META, INDEX_COUNTS, strlen(INDEX_COUNTS)) : rc;
}

/* The lead's count of one status through ticket_walk_count (no cursor, any budget). */
static unsigned long
status_count(const char *status)
{
    struct ticket_filter f = {.status = status};
    struct store_txn *t;
    unsigned long n = 0;
    int complete = 0;
    if (store_read_begin(st, &t) != SEAM_OK)
        return 0;
    if (ticket_walk_count(t, &ctx, &lead, &f, NULL, 1, &n, &complete) != SEAM_OK || !complete)
        n = 0;
    store_read_end(t);
    return n;
}

/* The keys' counts: what a one-key count answers at once, and what verify checks. */
static void
test_counts(const char *status)
{
    struct problems p;
    struct store_txn *t;
    uint64_t kept = 0;
    char key[INDEX_KEY_MAX], want[160];
    size_t kl = index_key(key, INDEX_STATUS, NULL, status);
    ok(store_read_begin(st, &t) == SEAM_OK && index_counts_ready(t) &&
           index_count_of(t, key, kl, &kept) == SEAM_OK && kept > 0,
       "counts: status=%s holds %llu tickets as kept", status, (unsigned long long)kept);
    store_read_end(t);
    unsigned long before = status_count(status);
    ok(before >= kept, "counts: the lead's count on a budget of one step is complete (%lu)",
       before);
    struct count_job c = {status, (long long)kept + 5};
    ok(store_write(st, count_fn, &c, NULL, NULL) == SEAM_OK && status_count(status) == before + 5,
       "counts: it is the count kept (5 more kept: %lu)", status_count(status));
    snprintf(want, sizeof(want), "index status=%s: the count kept is %llu, the entries are %llu",
             status, (unsigned long long)kept + 5, (unsigned long long)kept);
    ok(verify(want, &p) == 1 && p.named, "counts: verify names a count that is off: %s", p.first);
    c.n = (long long)kept;
    ok(store_write(st, count_fn, &c, NULL, NULL) == SEAM_OK && verify(NULL, &p) == 0,
       "counts: put right, nothing to say");
    struct count_job ghost = {"no-such-status", 3};
    snprintf(want, sizeof(want),
             "index status=no-such-status: a count is kept, the key has no "
             "entry");
    ok(store_write(st, count_fn, &ghost, NULL, NULL) == SEAM_OK && verify(want, &p) == 1 && p.named,
       "counts: verify names a count of a key without entries: %s", p.first);
    ghost.n = -1;
    ok(store_write(st, count_fn, &ghost, NULL, NULL) == SEAM_OK && verify(NULL, &p) == 0,
       "counts: taken out, nothing to say");
}

static void
test_verify_and_migrate(void)
{
    struct problems p;
    struct ticket tk;
    ok(verify(NULL, &p) == 0, "index_verify: the indexes agree with the records (%s)", p.first);
    const char *id = ids[nids / 2];
    if (!load(id, &tk)) {
        ok(0, "a ticket to tamper with");
        return;
    }
    const char *status = ticket_statuses[tk.status].name;
    const char *other = tk.status == TS_CANCELLED ? "closed" : "cancelled";
    struct entry_job del = {id, status, 0}, add = {id, other, 1};
    char want[128];
    ok(store_write(st, entry_fn, &del, NULL, NULL) == SEAM_OK, "an index entry deleted");
    snprintf(want, sizeof(want), "ticket %s: index status=%s: missing", id, status);
    ok(verify(want, &p) == 2 && p.named, "verify names the missing entry (and its key's count): %s",
       p.first);
    del.add = 1;
    ok(store_write(st, entry_fn, &del, NULL, NULL) == SEAM_OK && verify(NULL, &p) == 0,
       "put back: nothing to say");
    ok(store_write(st, entry_fn, &add, NULL, NULL) == SEAM_OK, "an index entry added");
    snprintf(want, sizeof(want), "ticket %s: index status=%s: extra", id, other);
    ok(verify(want, &p) == 2 && p.named, "verify names the extra entry (and its key's count): %s",
       p.first);
    add.add = 0;
    ok(store_write(st, entry_fn, &add, NULL, NULL) == SEAM_OK && verify(NULL, &p) == 0,
       "taken out: nothing to say");
    test_counts(status);
    ticket_free(&tk);

    /* a store without its indexes */
    struct store_txn *t;
    ok(store_write(st, drop_fn, NULL, NULL, NULL) == SEAM_OK, "the indexes dropped");
    int ready = 1;
    uint64_t entries = 1;
    if (store_read_begin(st, &t) == SEAM_OK) {
        ready = index_ready(t);
        entries = store_count(t, DB_INDEX) + store_count(t, DB_INDEX_OF);
        store_read_end(t);
    }
    ok(!ready && entries == 0, "no index entry is left, and the store says they are not built");
    compare_all("without indexes (scans)");
    uint64_t built = 0;
    ok(index_migrate(st, 7, &built) == SEAM_OK && built == nids,
       "index_migrate builds them, 7 tickets a transaction: %llu of %zu", (unsigned long long)built,
       nids);
    if (store_read_begin(st, &t) == SEAM_OK) {
        ready = index_ready(t);
        store_read_end(t);
    }
    ok(ready, "the store says they are built");
    ok(verify(NULL, &p) == 0, "the built indexes agree with the records (%s)", p.first);
    ok(index_migrate(st, 7, &built) == SEAM_OK && built == 0, "a second run does nothing");
    compare_all("after the build");
    /* A store kept before the counts: its indexes built, no count kept, a stray one left. */
    struct count_job ghost = {"no-such-status", 4};
    ok(store_write(st, uncount_fn, NULL, NULL, NULL) == SEAM_OK &&
           store_write(st, count_fn, &ghost, NULL, NULL) == SEAM_OK,
       "the counts taken out of the store, a stray one put in");
    int counted = 1;
    if (store_read_begin(st, &t) == SEAM_OK) {
        counted = index_counts_ready(t);
        store_read_end(t);
    }
    ok(!counted, "... and the store says they are not kept");
    compare_all("without the counts (each key's entries counted)");
    ok(index_migrate(st, 7, &built) == SEAM_OK && built == 0,
       "index_migrate counts each key's entries, builds nothing");
    if (store_read_begin(st, &t) == SEAM_OK) {
        counted = index_counts_ready(t);
        store_read_end(t);
    }
    ok(counted && verify(NULL, &p) == 0, "the counts are kept, right, the stray one gone (%s)",
       p.first);
    compare_all("after the counts");
}

int
main(void)
{
    char *errors = NULL, *dir = tap_tmpdir();
    struct keys keys;
    unsigned seed =
        getenv("SEAM_SEED") ? (unsigned)atoi(getenv("SEAM_SEED")) : (unsigned)time(NULL);
    if (sodium_init() < 0 || dir == NULL)
        return 1;
    printf("# seed %u (SEAM_SEED=%u repeats it)\n", seed, seed);
    srand(seed);
    test_keys();
    crypto_sign_keypair(keys.pk, keys.sk);
    struct evlog lg = {&keys, "seam.test/index"};
    ok(config_load("conf/seam.json", &cfg, &errors) == SEAM_OK, "the example federation loads");
    free(errors);
    ok(store_open(dir, 1 << 20, (size_t)1 << 30, 1, &st) == SEAM_OK, "a store in a temp dir");
    struct sla *sla = cfg ? sla_new(cfg) : NULL;
    if (cfg == NULL || st == NULL || sla == NULL)
        return done_testing();
    record_use_facts(cfg->fact_kinds, cfg->nfact_kinds);
    clock_enable_fake();
    ctx = (struct ticket_ctx){cfg, &lg, sla};
    ok(store_write(st, add_customers, NULL, NULL, NULL) == SEAM_OK, "three customers");
    ok(index_migrate(st, 0, NULL) == SEAM_OK, "a new store: its (empty) indexes are built");
    principal(&lead, ROLE_LEAD, "agent-1");
    for (int c = 0; c < 3; c++)
        principal(&custs[c], ROLE_CUSTOMER, cust_ids[c]);

    for (int i = 0; i < 60; i++)
        file_one();
    for (int i = 0; i < 300; i++)
        act_one();
    compare_all("round 1");
    for (int i = 0; i < 90; i++) {
        file_one();
        act_one();
        act_one();
        act_one();
    }
    ok(acted > 150, "%u actions were taken (the others refused by the state machine)", acted);
    compare_all("round 2");
    /* A walk out of its budget ends a short page with a cursor: the same lists still. */
    ticket_walk_budget(40);
    short_pages = 1;
    compare_all("a budget of 40 (short pages)");
    ticket_walk_budget(0);
    short_pages = 0;
    merging = 0;
    for (int i = 0; i < 20; i++) /* pending at the end, whatever the merges did */
        file_one();
    test_pending();
    test_verify_and_migrate();
    test_format1();

    sla_free(sla);
    store_close(st);
    config_free(cfg);
    tap_rmtree(dir);
    free(dir);
    return done_testing();
}
