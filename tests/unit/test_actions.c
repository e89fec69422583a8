/*
 * test_actions.c: the state machine's table (ticket.h's ticket_actions[])
 * and the endpoint table (endpoints.c) agree on the actions. Every endpoint
 * row that names an action has api_action as its handler (and no other row
 * has), names a valid action, is a POST with a JSON body written through
 * the store, on a path of the kind the action names (a ticket's or an
 * assignment's, its id the one parameter), with roles the action's row
 * allows and a token may hold, and a body whose fields the handler can read.
 * Every action a token may take has exactly one such row, but the TMF621
 * update, which TMF621's PATCH row takes; the broker's own actions have
 * none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "tap.h"

#define TOKEN_ROLES (ROLE_CUSTOMER | ROLE_PARTNER | ROLE_LEAD | ROLE_AUDITOR)
#define FIELDS_MAX 16 /* a body with more fields than this is taken as unterminated */

static int
starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The number of "{...}" parameters in a path. */
static int
params(const char *path)
{
    int n = 0;
    for (const char *p = path; *p; p++)
        n += *p == '{';
    return n;
}

/* The field named name of a row's body, or NULL; *n: the number of fields (FIELDS_MAX+: no end). */
static const struct body_field *
field(const struct api_action *a, const char *name, size_t *n)
{
    const struct body_field *found = NULL;
    size_t i;
    for (i = 0; i < FIELDS_MAX && a->fields[i].name != NULL; i++)
        if (name != NULL && strcmp(a->fields[i].name, name) == 0)
            found = &a->fields[i];
    if (n != NULL)
        *n = i;
    return found;
}

/* The body's fields are distinct, end within FIELDS_MAX, and the ones the
 * handler reads as strings (the text, partner, ticket, reason) are strings. */
static int
body_ok(const struct api_action *a, char *why, size_t whylen)
{
    size_t n;
    if (a->fields == NULL) {
        snprintf(why, whylen, "no body fields");
        return 0;
    }
    field(a, NULL, &n);
    if (n >= FIELDS_MAX) {
        snprintf(why, whylen, "the body fields do not end");
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(a->fields[i].name, a->fields[j].name) == 0) {
                snprintf(why, whylen, "field %s twice", a->fields[i].name);
                return 0;
            }
    if (a->text != NULL && field(a, a->text, NULL) == NULL) {
        snprintf(why, whylen, "the text member %s is not a field", a->text);
        return 0;
    }
    if (a->old_text != NULL && (a->text == NULL || field(a, a->old_text, NULL) == NULL)) {
        snprintf(why, whylen, "the text member's old name %s is not a field", a->old_text);
        return 0;
    }
    const char *strings[] = {a->text, a->old_text, "partner", "ticket", "reason"};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        const struct body_field *f = strings[i] ? field(a, strings[i], NULL) : NULL;
        if (f != NULL && f->type != JSON_STRING) {
            snprintf(why, whylen, "field %s is read as a string but is not one", f->name);
            return 0;
        }
    }
    return 1;
}

int
main(void)
{
    int routes[TA_COUNT] = {0};
    size_t nactions = 0;

    ok(n_endpoints >= 30, "the endpoint table has its rows (%zu)", n_endpoints);
    for (int k = 0; k < TA_COUNT; k++)
        ok(ticket_actions[k].kind == (enum ticket_action)k && ticket_actions[k].name != NULL,
           "ticket_actions[%d] is the row of its action (%s)", k,
           ticket_actions[k].name ? ticket_actions[k].name : "?");

    for (size_t i = 0; i < n_endpoints; i++) {
        const struct endpoint *ep = &endpoints[i];
        const struct api_action *a = ep->action;
        ok((ep->handler == api_action) == (a != NULL),
           "%s %s: its handler is api_action if and only if it names an action", ep->method,
           ep->path);
        if (a == NULL)
            continue;
        nactions++;
        int valid = (int)a->kind >= 0 && a->kind < TA_COUNT;
        ok(valid, "%s names a valid action (%d)", ep->name, (int)a->kind);
        if (!valid)
            continue;
        const struct ticket_action_row *row = &ticket_actions[a->kind];
        routes[a->kind]++;
        ok(strcmp(ep->method, "POST") == 0, "%s (action %s) is a POST", ep->name, row->name);
        ok((ep->flags & (EP_BODY | EP_WRITE)) == (EP_BODY | EP_WRITE) && !(ep->flags & EP_TMF) &&
               !(ep->flags & EP_TEST),
           "%s takes a JSON body and writes through the store, in the error shape of /v1",
           ep->name);
        ok(ep->roles != 0 && (ep->roles & ~(unsigned)TOKEN_ROLES) == 0,
           "%s: its roles (%#x) are roles a token holds", ep->name, ep->roles);
        ok((ep->roles & ~row->roles) == 0,
           "%s: its roles (%#x) are among those its action's row allows (%#x)", ep->name, ep->roles,
           row->roles);
        const char *prefix = row->on_assignment ? "/v1/assignments/{id}/" : "/v1/tickets/{id}/";
        ok(starts_with(ep->path, prefix) && params(ep->path) == 1,
           "%s: %s names %s by its one parameter (%s)", ep->name, ep->path,
           row->on_assignment ? "an assignment" : "a ticket", prefix);
        char why[160] = "";
        ok(body_ok(a, why, sizeof(why)), "%s: its body fields are readable%s%s", ep->name,
           *why ? ": " : "", why);
    }
    ok(nactions >= 10, "the endpoint table routes the actions (%zu rows)", nactions);

    for (int k = 0; k < TA_COUNT; k++) {
        const struct ticket_action_row *row = &ticket_actions[k];
        int by_token = (row->roles & TOKEN_ROLES) != 0;
        if (k == TA_TMF_UPDATE) {
            /* TMF621's PATCH takes it, with roles the row allows: one row a face (v4, v5). */
            int patch = 0;
            for (size_t i = 0; i < n_endpoints; i++)
                if (strcmp(endpoints[i].method, "PATCH") == 0 &&
                    starts_with(endpoints[i].path, "/tmf-api/") &&
                    (endpoints[i].roles & ~row->roles) == 0)
                    patch++;
            ok(routes[k] == 0 && patch == 2,
               "action %s has no /v1 route and TMF621's PATCH rows (v4, v5) take it", row->name);
            continue;
        }
        if (by_token)
            ok(routes[k] == 1, "action %s, which a token may take, has exactly one route (%d)",
               row->name, routes[k]);
        else
            ok(routes[k] == 0, "action %s, the broker's own, has no route (%d)", row->name,
               routes[k]);
    }

    /* The rows stay distinct: one metric series each, one handler per method and path. */
    int names_unique = 1, routes_unique = 1;
    for (size_t i = 0; i < n_endpoints; i++)
        for (size_t j = i + 1; j < n_endpoints; j++) {
            if (strcmp(endpoints[i].name, endpoints[j].name) == 0) {
                names_unique = 0;
                printf("# metric name %s twice\n", endpoints[i].name);
            }
            if (strcmp(endpoints[i].method, endpoints[j].method) == 0 &&
                strcmp(endpoints[i].path, endpoints[j].path) == 0) {
                routes_unique = 0;
                printf("# %s %s twice\n", endpoints[i].method, endpoints[i].path);
            }
        }
    ok(names_unique, "every endpoint row has its own metric name");
    ok(routes_unique, "no method and path has two rows");
    return done_testing();
}
