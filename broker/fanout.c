/*
 * fanout.c: the registries of fanout.h, fixed arrays filled by main before
 * any thread starts. It calls what was registered and knows nothing of the
 * listeners; the only thing it reads of a ticket is which owners its
 * assignments name (fanout_ticket_committed, and fanout_batch_applied for the
 * records of a replicated batch).
 */
#include <stdlib.h>

#include "fanout.h"
#include "log.h"
#include "record.h"

#define FANOUT_MAX 8

static fanout_observer_fn observers[FANOUT_MAX];
static size_t n_observers;

static struct {
    fanout_hook_fn fn;
    void *ctx;
} hooks[FANOUT_MAX];
static size_t n_hooks;

void
fanout_observe(fanout_observer_fn fn)
{
    if (n_observers == FANOUT_MAX)
        fatalx("fanout: more than %d observers", FANOUT_MAX);
    observers[n_observers++] = fn;
}

enum seam_err
fanout_changed(struct store_txn *t, const struct ticket *tk, int status_before,
               enum event_type event)
{
    for (size_t i = 0; i < n_observers; i++) {
        enum seam_err rc = observers[i](t, tk, status_before, event);
        if (rc != SEAM_OK)
            return rc;
    }
    return SEAM_OK;
}

void
fanout_on_commit(fanout_hook_fn fn, void *ctx)
{
    if (n_hooks == FANOUT_MAX)
        fatalx("fanout: more than %d commit hooks", FANOUT_MAX);
    hooks[n_hooks].fn = fn;
    hooks[n_hooks++].ctx = ctx;
}

void
fanout_committed(const struct fanout_news *news)
{
    for (size_t i = 0; i < n_hooks; i++)
        hooks[i].fn(hooks[i].ctx, news);
}

void
fanout_ticket_committed(const struct ticket *tk)
{
    size_t n = tk->nassignments;
    const char **owners = n ? xcalloc(n, sizeof(*owners)) : NULL;
    for (size_t i = 0; i < n; i++)
        owners[i] = tk->assignments[i].partner;
    struct fanout_news news = {owners, n};
    fanout_committed(&news);
    free(owners);
}

static void
applied_one(void *ctx, const struct ticket *tk)
{
    (void)ctx;
    fanout_ticket_committed(tk);
}

void
fanout_batch_applied(void *ctx, const void *ws, size_t len)
{
    (void)ctx;
    if (n_hooks > 0 && record_ws_each(ws, len, applied_one, NULL) != SEAM_OK)
        log_warnx("fanout: a replicated batch could not be read for its owners");
}
