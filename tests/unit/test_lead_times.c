/*
 * test_lead_times.c: the lead's view writes each SLA instant in RFC 3339
 * beside the record's ms counter (ticket_lead_bytes; docs/interop.md, "One
 * name for one idea"). Checked on records made to trip the byte scanner
 * that adds them: the counters' names inside strings, as keys of objects
 * that are no clock (tmf, facts), after escapes and brackets in text, null
 * and absent counters, and nested arrays; the view must parse, keep every
 * member as it was, and add exactly the *_at members of the clocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "record.h"
#include "tap.h"
#include "ticket.h"

static const char *const pairs[][2] = {
    {"assigned_ms", "assigned_at"},         {"due_ack_ms", "due_ack_at"},
    {"due_resolve_ms", "due_resolve_at"},   {"warn_ack_ms", "warn_ack_at"},
    {"warn_resolve_ms", "warn_resolve_at"}, {"running_since", "running_since_at"}};

/* What the view should be: the record without "head", each clock's counters with their _at. */
static void
add_times(json_t *clock)
{
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        json_t *v = json_object_get(clock, pairs[i][0]);
        if (v == NULL)
            continue;
        if (json_is_integer(v) && json_integer_value(v) >= 0) {
            char buf[40];
            size_t n = record_time_format(json_integer_value(v), buf);
            buf[n] = '\0';
            json_object_set_new(clock, pairs[i][1], json_string(buf));
        } else {
            json_object_set_new(clock, pairs[i][1], json_null());
        }
    }
}

static json_t *
expected(const char *stored)
{
    json_t *v = json_loads(stored, 0, NULL), *a;
    size_t i;
    json_object_del(v, "head");
    json_array_foreach(json_object_get(v, "assignments"), i, a)
    {
        if (json_is_object(json_object_get(a, "sla")))
            add_times(json_object_get(a, "sla"));
    }
    if (json_is_object(json_object_get(v, "e2e")))
        add_times(json_object_get(v, "e2e"));
    return v;
}

static int
view_ok(const char *stored)
{
    size_t n = 0;
    char *fast = ticket_lead_bytes(stored, strlen(stored), &n);
    json_t *got = fast ? json_loadb(fast, n, 0, NULL) : NULL, *want = expected(stored);
    int same = got != NULL && fast[n] == '\0' && json_equal(got, want);
    if (!same) {
        char *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
        printf("# stored %s\n# got    %s\n# want   %s\n", stored, fast ? fast : "(null)", w);
        free(w);
    }
    json_decref(got);
    json_decref(want);
    free(fast);
    return same;
}

int
main(void)
{
    ok(view_ok("{\"assignments\":[{\"id\":\"A1\",\"sla\":{\"ack_target_ms\":1800000,"
               "\"assigned_ms\":1796123896428,\"breached\":[],\"due_ack_ms\":1796125696428,"
               "\"due_resolve_ms\":null,\"running_since\":1796123896428,\"warn_ack_ms\":"
               "1796125336428,\"warned\":[\"ack\"]}}],\"e2e\":{\"due\":null,\"running_since\":"
               "null,\"target_ms\":5},\"head\":{\"events\":3},\"id\":\"T1\"}"),
       "a claim's clock and the end-to-end clock get their RFC 3339 instants (null for null)");
    ok(view_ok("{\"description\":\"\\\"sla\\\":{\\\"assigned_ms\\\":5} \\\\\",\"head\":{},"
               "\"summary\":\"]}[{\\\"running_since\\\":1\"}"),
       "the names inside strings, after escapes and brackets, are text, not members");
    ok(view_ok("{\"facts\":{\"running_since\":\"x\"},\"head\":{},\"tmf\":{\"sla\":\"no\","
               "\"note\":[{\"text\":\"assigned_ms\"}],\"x\":{\"assigned_ms\":7}}}"),
       "counters' names outside a clock (tmf, facts) are left alone");
    ok(view_ok("{\"assignments\":[{\"sla\":{\"policy\":\"p\"}},{\"sla\":{\"assigned_ms\":0,"
               "\"running_since\":12}},{\"id\":\"A3\"}],\"head\":{\"a\":[1,{\"b\":2}]}}"),
       "clocks without counters, an instant of 0, and claims without a clock");
    ok(view_ok("{\"head\":{\"sla\":{\"assigned_ms\":1}},\"x\":[{\"sla\":[1,2]},{\"e2e\":{"
               "\"running_since\":3}}]}"),
       "a clock inside the head (dropped) and inside arrays (an sla array is no clock)");
    return done_testing();
}
