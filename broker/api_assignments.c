/*
 * api_assignments.c: the owner's side. A partner (or the lead, for the
 * claims it owns) lists its queue with a cursor and may long-poll for new
 * claims and reads one assignment; it works it (acknowledge, progress, ask
 * the customer, resolve, hand back with a reason) through the action routes
 * (api_actions.c), the hand-back's reason checked here. Another owner's
 * assignment is 404 for every one of these.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "longpoll.h"
#include "reload.h"

#define WAIT_MAX_S 60

struct queue_query {
    char *state, *cursor;
    int limit;
};

static void
queue_query_free(void *p)
{
    struct queue_query *q = p;
    if (q == NULL)
        return;
    free(q->state);
    free(q->cursor);
    free(q);
}

/*
 * Recent queue pages, by who asked, the query, and the store snapshot they
 * were built from. Partners poll the same page again and again; while no
 * commit has happened (the snapshot id is unchanged) the page is the same
 * bytes, so it is served from here instead of being rebuilt from every
 * assignment and ticket. Any commit, by any process, changes the id.
 */
#define PAGE_CACHE_SLOTS 64

/* A page's bytes, shared by the cache and the answers sending it. */
struct page {
    atomic_uint refs;
    int any;
    size_t len;
    char *text; /* the page as ticket_queue built it */
};

struct page_slot {
    char *key;
    uint64_t snapshot;
    struct page *page;
};

static struct page_slot page_cache[PAGE_CACHE_SLOTS];
static unsigned page_cache_next;
static pthread_rwlock_t page_cache_lock = PTHREAD_RWLOCK_INITIALIZER;

static void
page_release(void *cls)
{
    struct page *p = cls;
    if (atomic_fetch_sub(&p->refs, 1) == 1) {
        free(p->text);
        free(p);
    }
}

/* The cached page, with a reference for the caller, or NULL. */
static struct page *
page_cache_get(const char *key, uint64_t snapshot)
{
    struct page *page = NULL;
    pthread_rwlock_rdlock(&page_cache_lock);
    for (unsigned i = 0; i < PAGE_CACHE_SLOTS; i++) {
        struct page_slot *p = &page_cache[i];
        if (p->key && p->snapshot == snapshot && strcmp(p->key, key) == 0) {
            page = p->page;
            atomic_fetch_add(&page->refs, 1);
            break;
        }
    }
    pthread_rwlock_unlock(&page_cache_lock);
    return page;
}

/* Keeps page (taking a reference of its own) unless a newer one is kept. */
static void
page_cache_put(const char *key, uint64_t snapshot, struct page *page)
{
    pthread_rwlock_wrlock(&page_cache_lock);
    struct page_slot *p = NULL;
    for (unsigned i = 0; i < PAGE_CACHE_SLOTS && p == NULL; i++)
        if (page_cache[i].key && strcmp(page_cache[i].key, key) == 0)
            p = &page_cache[i]; /* the same query: keep the newer snapshot */
    if (p == NULL) {
        p = &page_cache[page_cache_next++ % PAGE_CACHE_SLOTS];
        p->snapshot = 0;
    }
    if (p->snapshot <= snapshot) {
        free(p->key);
        if (p->page != NULL)
            page_release(p->page);
        p->key = xstrdup(key);
        p->snapshot = snapshot;
        atomic_fetch_add(&page->refs, 1);
        p->page = page;
    }
    pthread_rwlock_unlock(&page_cache_lock);
}

/* Runs the query and sets the answer; 1 if the page had items. */
static int
queue_fill(struct req *r)
{
    struct queue_query *q = r->job;
    struct ticket_ctx c = {r->cfg, &r->srv->lg, r->sla};
    struct store_txn *t;
    char *page = NULL;
    size_t plen = 0;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "queue");
        return 1;
    }
    /* The configuration in force is part of the page (a partner's customer_data, its
     * policies): a reload changes the page as a commit does. */
    char *key =
        xasprintf("%u|%d|%s|%s|%s|%d", r->snap ? r->snap->generation : 0, (int)r->who.role,
                  r->who.subject, q->state ? q->state : "", q->cursor ? q->cursor : "", q->limit);
    uint64_t snapshot = store_txn_id(t);
    struct page *pg = page_cache_get(key, snapshot);
    if (pg != NULL) {
        store_read_end(t);
        free(key);
        http_reply_shared(r, 200, "application/json", pg->text, pg->len, page_release, pg);
        return pg->any;
    }
    rc = ticket_queue(t, &c, &r->who, q->state, q->cursor, (unsigned)q->limit, &page, &plen);
    store_read_end(t);
    if (rc != SEAM_OK) {
        free(key);
        http_error_from(r, rc, "queue");
        return 1;
    }
    page = xrealloc(page, plen + 2); /* its own line, as every answer */
    page[plen++] = '\n';
    page[plen] = '\0';
    pg = xmalloc(sizeof(*pg));
    atomic_init(&pg->refs, 1);
    pg->len = plen;
    pg->text = page; /* kept as built: no copy */
    /* The page is {"items":[...],...}: it has items unless "]" comes first. */
    static const char head[] = "{\"items\":[";
    pg->any = plen > sizeof(head) - 1 && pg->text[sizeof(head) - 1] != ']';
    int any = pg->any;
    page_cache_put(key, snapshot, pg);
    free(key);
    http_reply_shared(r, 200, "application/json", pg->text, pg->len, page_release, pg);
    return any;
}

static void
queue_refill(struct req *r)
{
    (void)queue_fill(r);
}

void
api_assignments_list(struct req *r)
{
    static const char *const states[] = {"assigned",  "acknowledged", "inProgress",
                                         "resolved",  "handed_back",  "reassigned",
                                         "cancelled", "live",         NULL};
    struct ticket_ctx c = {r->cfg, &r->srv->lg, r->sla};
    const char *state, *cursor;
    const char *wait_s = http_query(r, "wait");
    long wait = 0;
    int limit = http_limit_or_reply(r, 50, 200);
    if (limit < 0 ||
        http_enum_or_reply(r, "state", states, "an assignment state (or live)", &state) != 0 ||
        http_cursor_or_reply(r, assignment_id_valid, &cursor) != 0)
        return;
    if (wait_s != NULL) {
        char *end;
        wait = strtol(wait_s, &end, 10);
        if (*wait_s == '\0' || *end != '\0' || wait < 0 || wait > WAIT_MAX_S) {
            http_error(r, E_BAD_PARAMETER, "wait is 0 to 60 seconds", "wait");
            return;
        }
    }
    struct queue_query *q = xcalloc(1, sizeof(*q));
    q->state = state ? xstrdup(state) : NULL;
    q->cursor = cursor ? xstrdup(cursor) : NULL;
    q->limit = limit;
    r->job = q;
    r->job_free = queue_query_free;
    const char *owner = ticket_queue_owner(&c, &r->who);
    uint64_t seen = longpoll_version(owner);
    if (queue_fill(r) || wait == 0)
        return;
    /* Nothing yet: park until a commit touches this owner or the wait ends. */
    http_reply_clear(r);
    longpoll_park(r, owner, seen, now_ms() + wait * 1000, queue_refill);
}

void
api_assignments_get(struct req *r)
{
    struct ticket_ctx c = {r->cfg, &r->srv->lg, r->sla};
    struct store_txn *t;
    struct ticket tk;
    char *text = NULL;
    size_t len = 0;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = ticket_load_assignment(t, &c, &r->who, http_param(r, 0), &tk);
        if (rc == SEAM_OK) {
            text = ticket_assignment_text(t, &c, &tk, http_param(r, 0), &len);
            /* One claim's page (not the queue's items) adds whom a belongs_to hand-back may
             * name: its members but the last "}", then this one. */
            size_t clen;
            char *choices = ticket_belongs_to_choices(&c, &tk, http_param(r, 0), &clen);
            if (text != NULL && len > 0 && text[len - 1] == '}') {
                static const char name[] = ",\"belongs_to_choices\":";
                text = xrealloc(text, len + sizeof(name) - 1 + clen + 2);
                memcpy(text + len - 1, name, sizeof(name) - 1);
                memcpy(text + len - 1 + sizeof(name) - 1, choices, clen);
                len = len - 1 + sizeof(name) - 1 + clen;
                text[len++] = '}';
                text[len] = '\0';
            }
            free(choices);
            ticket_free(&tk);
        }
        store_read_end(t);
    }
    if (rc == SEAM_ENOTFOUND || (rc == SEAM_OK && text == NULL)) {
        http_error(r, E_NOT_FOUND, "no such assignment", NULL);
        return;
    }
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "assignment");
        return;
    }
    http_reply_json_text(r, 200, text, len);
}

/* The reason is checked before anything else, even a partner's signature. */
int
api_handback_check(struct req *r, const json_t *body)
{
    const char *reason = json_string_value(json_object_get(body, "reason"));
    if (reason == NULL || handback_reason_parse(reason) >= 0)
        return 0;
    char msg[160];
    size_t n = (size_t)snprintf(msg, sizeof(msg), "a reason is one of ");
    for (int i = 0; i < HB_COUNT && n < sizeof(msg); i++)
        n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s", i ? ", " : "",
                              handback_reasons[i].name);
    http_error(r, E_INVALID_FIELD, msg, "reason");
    return -1;
}
