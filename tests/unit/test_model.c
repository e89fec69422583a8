/*
 * test_model.c: the ticket model's name tables (every row's value is its
 * index, names are unique and parse back, unknown names do not) and its
 * small questions (live, open, flags).
 */
#include <string.h>

#include "seam/ticket.h"
#include "tap.h"

/* Checks a table: rows[i] has value i, a name that parses back to i, unique. */
#define CHECK_TABLE(what, rows, count, field, parse)                                               \
    do {                                                                                           \
        int good = 1;                                                                              \
        for (int i = 0; i < (count); i++) {                                                        \
            if ((int)(rows)[i].field != i || (rows)[i].name == NULL || parse((rows)[i].name) != i) \
                good = 0;                                                                          \
            for (int j = 0; j < i; j++)                                                            \
                if (strcmp((rows)[i].name, (rows)[j].name) == 0)                                   \
                    good = 0;                                                                      \
        }                                                                                          \
        ok(good, "%s: each row's value is its index, its name unique and parsed back", what);      \
        ok(parse("nonesuch") == -1 && parse("") == -1 && parse(NULL) == -1,                        \
           "%s: an unknown name is -1", what);                                                     \
    } while (0)

int
main(void)
{
    CHECK_TABLE("ticket_statuses", ticket_statuses, TS_COUNT, status, ticket_status_parse);
    CHECK_TABLE("assignment_states", assignment_states, AS_COUNT, state, assignment_state_parse);
    CHECK_TABLE("event_types", event_types, EV_COUNT, type, event_type_parse);
    CHECK_TABLE("handback_reasons", handback_reasons, HB_COUNT, reason, handback_reason_parse);
    CHECK_TABLE("ticket_flags", ticket_flags, FLAG_COUNT, flag, ticket_flag_parse);

    int vis = visibility_parse("public") == VIS_PUBLIC &&
              visibility_parse("internal") == VIS_INTERNAL && visibility_parse("private") == -1;
    ok(vis, "visibility names parse back");

    /* The wire names the records and events carry. */
    ok(strcmp(ticket_statuses[TS_IN_PROGRESS].name, "inProgress") == 0 &&
           strcmp(assignment_states[AS_HANDED_BACK].name, "handed_back") == 0 &&
           strcmp(event_types[EV_ASSIGNMENT_NEED_INFO].name, "assignment.need_info") == 0 &&
           strcmp(handback_reasons[HB_NOT_OUR_SERVICE].name, "not_our_service") == 0,
       "wire names as today's records write them");
    ok(event_types[EV_TICKET_NOTE].note && event_types[EV_ASSIGNMENT_PROGRESS].note &&
           event_types[EV_ASSIGNMENT_NEED_INFO].note && !event_types[EV_TICKET_CREATED].note &&
           !event_types[EV_ASSIGNMENT_RESOLVED].note,
       "notes are the entries the limits count");
    ok(handback_reasons[HB_BELONGS_TO].names_partner &&
           handback_reasons[HB_DUPLICATE].names_ticket &&
           !handback_reasons[HB_NOT_OUR_SERVICE].names_partner,
       "hand-back reasons say what they name");
    int open = 1;
    for (int i = 0; i < TS_COUNT; i++)
        open &= ticket_statuses[i].open ==
                (i == TS_ACKNOWLEDGED || i == TS_IN_PROGRESS || i == TS_PENDING);
    ok(open, "open statuses are acknowledged, inProgress, pending");

    struct ticket t;
    memset(&t, 0, sizeof(t));
    struct assignment a[3];
    memset(a, 0, sizeof(a));
    strcpy(a[0].id, "A1");
    a[0].state = AS_HANDED_BACK;
    strcpy(a[1].id, "A2");
    a[1].state = AS_ACKNOWLEDGED;
    strcpy(a[2].id, "A3");
    a[2].state = AS_ASSIGNED;
    t.assignments = a;
    t.nassignments = 3;
    t.status = TS_IN_PROGRESS;
    ok(ticket_live_count(&t) == 2 && !assignment_is_live(&a[0]) && assignment_is_live(&a[2]),
       "live assignments counted");
    ok(ticket_find_assignment(&t, "A2") == &a[1] && ticket_find_assignment(&t, "A9") == NULL,
       "assignments found by id");
    ok(ticket_is_open(&t), "inProgress is open");
    t.status = TS_RESOLVED;
    ok(!ticket_is_open(&t), "resolved is not open");

    flag_set_add(&t.flags, FLAG_FORCED);
    flag_set_add(&t.flags, FLAG_DISPUTED);
    flag_set_add(&t.flags, FLAG_FORCED);
    ok(t.flags.n == 2 && t.flags.v[0] == FLAG_FORCED && t.flags.v[1] == FLAG_DISPUTED,
       "flags kept once each, in the order raised");
    flag_set_add(&a[1].flags, FLAG_BREACHED);
    ok(ticket_has_flag(&t, FLAG_BREACHED) && ticket_has_flag(&t, FLAG_FORCED) &&
           !ticket_has_flag(&t, FLAG_UNROUTABLE),
       "a flag on an assignment is the ticket's");

    t.assignments = NULL;
    t.nassignments = 0;
    t.customer = strdup("c1");
    t.tmf = strdup("{}");
    ticket_free(&t);
    ok(t.customer == NULL && t.tmf == NULL, "ticket_free releases and zeroes");
    ticket_free(NULL);
    return done_testing();
}
