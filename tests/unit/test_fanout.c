/*
 * test_fanout.c: the fan-out's registries (fanout.h). Observers run in the
 * order registered inside a ticket's write, the first error stops them and
 * is the answer; commit hooks run in order and are told the owners of the
 * ticket's assignments, and nothing else of it; with nothing registered a
 * change is told to no one and fails nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fanout.h"
#include "tap.h"

static char seen[256]; /* who ran, in order */
static enum seam_err second_answer = SEAM_OK;

static void
mark(const char *what)
{
    strncat(seen, what, sizeof(seen) - strlen(seen) - 1);
}

static enum seam_err
first_observer(struct store_txn *t, const struct ticket *tk, int status_before,
               enum event_type event)
{
    (void)t;
    (void)status_before;
    mark("A:");
    mark(event_types[event].name);
    mark(":");
    mark(tk->id);
    mark(";");
    return SEAM_OK;
}

static enum seam_err
second_observer(struct store_txn *t, const struct ticket *tk, int status_before,
                enum event_type event)
{
    (void)t;
    (void)tk;
    (void)event;
    mark("B:");
    mark(status_before >= 0 ? ticket_statuses[status_before].name : "-");
    mark(";");
    return second_answer;
}

static enum seam_err
third_observer(struct store_txn *t, const struct ticket *tk, int status_before,
               enum event_type event)
{
    (void)t;
    (void)tk;
    (void)status_before;
    (void)event;
    mark("C;");
    return SEAM_OK;
}

struct heard {
    char owners[256];
    int calls;
};

static void
hook(void *ctx, const struct fanout_news *news)
{
    struct heard *h = ctx;
    h->calls++;
    h->owners[0] = '\0';
    for (size_t i = 0; i < news->n_owners; i++) {
        strncat(h->owners, news->owners[i], sizeof(h->owners) - strlen(h->owners) - 1);
        strncat(h->owners, ",", sizeof(h->owners) - strlen(h->owners) - 1);
    }
    mark("H;");
}

int
main(void)
{
    struct assignment asg[2] = {{.id = "A1", .partner = (char *)"nordnet"},
                                {.id = "A2", .partner = (char *)"acme-lead"}};
    struct ticket ticket = {.id = "T00000000000000000001",
                            .status = TS_IN_PROGRESS,
                            .assignments = asg,
                            .nassignments = 2};
    const struct ticket *rec = &ticket;

    /* Nothing registered: told to no one, and nothing fails. */
    ok(fanout_changed(NULL, rec, -1, EV_TICKET_CREATED) == SEAM_OK && seen[0] == '\0',
       "with no observer a change fails nothing and runs nothing");
    fanout_ticket_committed(rec);
    ok(seen[0] == '\0', "with no hook a commit tells no one");

    fanout_observe(first_observer);
    fanout_observe(second_observer);
    fanout_observe(third_observer);
    ok(fanout_changed(NULL, rec, TS_PENDING, EV_TICKET_NOTE) == SEAM_OK &&
           strcmp(seen, "A:ticket.note:T00000000000000000001;B:pending;C;") == 0,
       "observers run in the order registered, with the change (%s)", seen);
    seen[0] = '\0';
    second_answer = SEAM_EFULL;
    ok(fanout_changed(NULL, rec, -1, EV_TICKET_CREATED) == SEAM_EFULL &&
           strcmp(seen, "A:ticket.created:T00000000000000000001;B:-;") == 0,
       "the first error stops the observers and is the answer (%s)", seen);
    second_answer = SEAM_OK;

    struct heard h1 = {"", 0}, h2 = {"", 0};
    fanout_on_commit(hook, &h1);
    fanout_on_commit(hook, &h2);
    seen[0] = '\0';
    fanout_ticket_committed(rec);
    ok(h1.calls == 1 && h2.calls == 1, "every hook runs once per commit");
    ok(strcmp(h1.owners, "nordnet,acme-lead,") == 0 && strcmp(h2.owners, h1.owners) == 0,
       "the hooks hear the owners the assignments name (%s)", h1.owners);
    ok(strcmp(seen, "H;H;") == 0, "in the order registered");

    const char *only[] = {"skyview"};
    struct fanout_news news = {only, 1};
    fanout_committed(&news);
    ok(h1.calls == 2 && strcmp(h1.owners, "skyview,") == 0,
       "a commit's news without a ticket reaches the hooks as given");

    struct ticket none = {.id = "T00000000000000000002"};
    fanout_ticket_committed(&none);
    ok(h1.calls == 3 && h1.owners[0] == '\0', "a ticket without assignments: no owner, still told");
    return done_testing();
}
