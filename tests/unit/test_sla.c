/*
 * test_sla.c: SLA clocks on a federation loaded from JSON text and a real
 * store in a temporary directory, checked through the due index (DB_DUE)
 * and the lead's end-to-end clock: targets by priority, warnings at the
 * policy's fraction, business time across a weekend, holidays and a
 * daylight-saving change, the resolve clock paused and resumed, a clock
 * stopped, and instants that fire once and then are stale.
 *
 * Only the helpers at the top know how a clock is kept in the ticket's
 * record; the tests below them speak in instants and durations.
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "config.h"
#include "record.h"
#include "sla.h"
#include "store.h"
#include "tap.h"

/*
 * Partners: "fix" on office hours (Europe/Oslo, weekdays 08-16, Christmas
 * Eve and Day off) with warnings at half the target; "noc" round the clock
 * (UTC) with warnings at 0.8. The lead ("hq") keeps office hours.
 */
static const char conf[] =
    "{\"federation\":\"test\",\"listen\":\"127.0.0.1:1\",\"data_dir\":\"/nonexistent\","
    "\"lead\":{\"id\":\"hq\",\"name\":\"HQ\",\"calendar\":\"office\",\"sla_policy\":\"care\"},"
    "\"services\":[\"tv\"],\"symptoms\":[\"no_signal\"],\"equipment\":[\"box\"],"
    "\"regions\":[\"north\"],"
    "\"calendars\":{"
    "\"office\":{\"timezone\":\"Europe/Oslo\",\"hours\":{\"mon\":[\"08:00-16:00\"],"
    "\"tue\":[\"08:00-16:00\"],\"wed\":[\"08:00-16:00\"],\"thu\":[\"08:00-16:00\"],"
    "\"fri\":[\"08:00-16:00\"]},\"holidays\":[\"2026-12-24\",\"2026-12-25\"]},"
    "\"noc\":{\"timezone\":\"UTC\",\"hours\":\"24x7\"}},"
    "\"sla_policies\":{"
    "\"care\":{\"calendar\":\"office\",\"targets\":{"
    "\"low\":{\"ack_minutes\":480,\"resolve_minutes\":4800},"
    "\"normal\":{\"ack_minutes\":240,\"resolve_minutes\":1920},"
    "\"high\":{\"ack_minutes\":60,\"resolve_minutes\":960},"
    "\"urgent\":{\"ack_minutes\":30,\"resolve_minutes\":480}}},"
    "\"field\":{\"calendar\":\"office\",\"warning_fraction\":0.5,\"targets\":{"
    "\"low\":{\"ack_minutes\":240,\"resolve_minutes\":1920},"
    "\"normal\":{\"ack_minutes\":120,\"resolve_minutes\":960},"
    "\"high\":{\"ack_minutes\":60,\"resolve_minutes\":480},"
    "\"urgent\":{\"ack_minutes\":30,\"resolve_minutes\":240}}},"
    "\"ops\":{\"calendar\":\"noc\",\"warning_fraction\":0.8,\"targets\":{"
    "\"low\":{\"ack_minutes\":240,\"resolve_minutes\":2880},"
    "\"normal\":{\"ack_minutes\":60,\"resolve_minutes\":1440},"
    "\"high\":{\"ack_minutes\":30,\"resolve_minutes\":480},"
    "\"urgent\":{\"ack_minutes\":15,\"resolve_minutes\":240}}}},"
    "\"partners\":["
    "{\"id\":\"fix\",\"name\":\"Fix\",\"services\":[\"tv\"],\"delivery\":{\"mode\":\"pull\"},"
    "\"sla_policy\":\"field\"},"
    "{\"id\":\"noc\",\"name\":\"Noc\",\"services\":[\"tv\"],\"delivery\":{\"mode\":\"pull\"},"
    "\"sla_policy\":\"ops\"}],"
    "\"bundles\":[{\"id\":\"b\",\"name\":\"B\",\"services\":{\"tv\":\"fix\"}}],"
    "\"rules\":[{\"id\":\"default\",\"match\":{},\"owners\":\"lead\"}]}";

#define MIN 60000LL

static struct config *cfg;
static struct store *st;
static struct sla *sla;

/* "2026-11-20T14:00:00Z" -> ms */
static int64_t
at(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return (int64_t)timegm(&tm) * 1000;
}

/* ---- helpers: the only code that knows the record's representation ---- */

static const char TICKET[] = "T0000000000000000000t";
static const char ASG[] = "A0000000000000000000a";

static struct ticket record; /* the ticket under test, one assignment */
static char time_text[32];   /* e2e_due's answer */

static struct assignment *
asg(void)
{
    return &record.assignments[0];
}

/* A ticket of that priority and status, with one assignment to owner (or none). */
static void
ticket_new(const char *priority, enum ticket_status status, const char *owner)
{
    ticket_free(&record);
    memcpy(record.id, TICKET, sizeof(record.id));
    record.priority = priority_parse(priority);
    record.status = status;
    if (owner != NULL) {
        record.assignments = calloc(1, sizeof(*record.assignments));
        record.nassignments = 1;
        memcpy(record.assignments[0].id, ASG, sizeof(record.assignments[0].id));
        record.assignments[0].partner = strdup(owner);
        record.assignments[0].state = AS_ASSIGNED;
        record.assignments[0].due_ack = record.assignments[0].due_resolve = SEAM_NULL_MS;
    }
}

struct clock_op {
    enum { OP_START, OP_ACK, OP_PAUSE, OP_RESUME, OP_STOP, OP_REPLAN } op;
    int64_t at;
};

static enum seam_err
clock_fn(struct store_txn *t, void *arg)
{
    struct clock_op *c = arg;
    switch (c->op) {
    case OP_START:
        return sla_start(t, sla, cfg, &record, asg(), c->at);
    case OP_ACK:
        return sla_acked(t, sla, cfg, asg(), c->at);
    case OP_PAUSE:
        return sla_pause(t, sla, cfg, &record, c->at);
    case OP_RESUME:
        return sla_resume(t, sla, cfg, &record, c->at);
    case OP_STOP:
        return sla_stop(t, sla, cfg, asg(), c->at);
    case OP_REPLAN:
        return sla_replan(t, sla, cfg, &record, asg(), c->at);
    }
    return SEAM_EINVAL;
}

static enum seam_err
clock_do(int op, int64_t when)
{
    struct clock_op c = {op, when};
    return store_write(st, clock_fn, &c, NULL, NULL);
}

/* A new ticket of that priority (pending or not) whose one assignment's clock starts. */
static enum seam_err
clock_start(const char *owner, const char *priority, int pending, int64_t when)
{
    ticket_new(priority, pending ? TS_PENDING : TS_IN_PROGRESS, owner);
    return clock_do(OP_START, when);
}

static enum seam_err
clock_ack(int64_t when)
{
    enum seam_err rc = clock_do(OP_ACK, when);
    asg()->state = AS_ACKNOWLEDGED;
    return rc;
}

static enum seam_err
clock_pause(int64_t when)
{
    record.status = TS_PENDING;
    return clock_do(OP_PAUSE, when);
}

static enum seam_err
clock_resume(int64_t when)
{
    record.status = TS_IN_PROGRESS;
    return clock_do(OP_RESUME, when);
}

static enum seam_err
clock_stop(int64_t when)
{
    enum seam_err rc = clock_do(OP_STOP, when);
    asg()->state = AS_RESOLVED;
    return rc;
}

/* Business time recorded on the clock: "ack_business_ms" or "resolve_business_ms"; -1 none. */
static int64_t
clock_business(const char *which)
{
    const struct sla_clock *k = &asg()->sla;
    int64_t v = !k->present                             ? -1
                : strcmp(which, "ack_business_ms") == 0 ? k->ack_business_ms
                                                        : k->resolve_business_ms;
    return v >= 0 ? v : -1;
}

/* The instants the due index holds for the assignment, by kind (-1: none). */
struct dues {
    int64_t at[SLA_KINDS];
    int count;
};

static int
due_one(void *arg, struct store_val k, struct store_val v)
{
    struct dues *d = arg;
    const uint8_t *key = k.data;
    if (k.len != SLA_DUE_KEY_LEN || memcmp(key + 9, ASG, 21) != 0)
        return 0;
    if (key[8] < SLA_KINDS && v.len == 21 && memcmp(v.data, TICKET, 21) == 0) {
        if (d->at[key[8]] < 0)
            d->count++;
        d->at[key[8]] = (int64_t)be64_get(key);
    } else {
        d->count += 100; /* something malformed: fail whatever looks at it */
    }
    return 0;
}

static struct dues
dues(void)
{
    struct dues d = {{-1, -1, -1, -1}, 0};
    struct store_txn *t;
    if (store_read_begin(st, &t) != SEAM_OK) {
        d.count = -1;
        return d;
    }
    if (store_scan(t, DB_DUE, NULL, 0, 0, due_one, &d) != SEAM_OK)
        d.count = -1;
    store_read_end(t);
    return d;
}

struct fire_op {
    enum sla_kind kind;
    int64_t at;
    int result;
};

static enum seam_err
fire_fn(struct store_txn *t, void *arg)
{
    struct fire_op *f = arg;
    f->result = sla_fired(t, asg(), f->kind, f->at);
    return SEAM_OK;
}

/* Whether the instant fired (1), was stale (0), or failed (-1). */
static int
clock_fire(enum sla_kind kind, int64_t when)
{
    struct fire_op f = {kind, when, -2};
    if (store_write(st, fire_fn, &f, NULL, NULL) != SEAM_OK)
        return -1;
    return f.result;
}

/* The lead's end-to-end clock: started, then status changes. */
static void
e2e_start(const char *priority, int64_t when)
{
    ticket_new(priority, TS_ACKNOWLEDGED, NULL);
    sla_e2e_start(sla, cfg, &record, when);
}

static void
e2e_status(const char *status, int64_t when)
{
    enum ticket_status before = record.status;
    record.status = (enum ticket_status)ticket_status_parse(status);
    sla_e2e_status(sla, cfg, &record, before, when);
}

/* The e2e clock's due instant as RFC 3339 ("null" when stopped). */
static const char *
e2e_due(void)
{
    if (!record.e2e.present || record.e2e.due < 0)
        return "null";
    record_time_format(record.e2e.due, time_text);
    return time_text;
}

/* "elapsed_ms", "target_ms" or "resolved_business_ms" of the e2e clock; -1 if null. */
static int64_t
e2e_ms(const char *which)
{
    const struct e2e_clock *e = &record.e2e;
    int64_t v = !e->present                        ? -1
                : strcmp(which, "elapsed_ms") == 0 ? e->elapsed_ms
                : strcmp(which, "target_ms") == 0  ? e->target_ms
                                                   : e->resolved_business_ms;
    return v >= 0 ? v : -1;
}

/* ---- the tests ---- */

static const char *
iso(int64_t ms)
{
    static char buf[4][32];
    static int i;
    i = (i + 1) % 4;
    format_time_ms(ms, buf[i]);
    return buf[i];
}

static void
test_calendars(void)
{
    struct calendar *office = sla_calendar_of(sla, cfg, "fix");
    struct calendar *noc = sla_calendar_of(sla, cfg, "noc");
    ok(office != NULL && noc != NULL && office != noc, "each partner's policy has its calendar");
    ok(sla_calendar_of(sla, cfg, "hq") == office, "the lead's calendar is its policy's");
    ok(sla_calendar_of(sla, cfg, "nobody") == office, "an owner that is no partner: the lead's");
    /* Fri 20 Nov 15:00 CET + 90 min: 1 h Friday, 30 min Monday from 08:00 CET. */
    ok(calendar_add(office, at("2026-11-20T14:00:00Z"), 90 * MIN) == at("2026-11-23T07:30:00Z"),
       "office hours: Friday 15:00 + 90 min = Monday 08:30");
    ok(calendar_between(office, at("2026-11-20T14:00:00Z"), at("2026-11-23T07:30:00Z")) == 90 * MIN,
       "... and back: 90 min between them");
    ok(calendar_add(noc, at("2026-11-20T14:00:00Z"), 90 * MIN) == at("2026-11-20T15:30:00Z"),
       "round the clock: plain time");
}

static void
test_targets(void)
{
    int64_t t = at("2026-11-18T10:00:00Z"); /* a Wednesday */
    struct dues d;
    ok(clock_start("noc", "urgent", 0, t) == SEAM_OK, "an urgent ticket's clock starts (noc)");
    d = dues();
    ok(d.count == 4, "four instants are indexed");
    ok(d.at[SLA_ACK] == t + 15 * MIN && d.at[SLA_RESOLVE] == t + 240 * MIN,
       "urgent: acknowledge in 15 min, resolve in 4 h");
    ok(d.at[SLA_WARN_ACK] == t + 12 * MIN && d.at[SLA_WARN_RESOLVE] == t + 192 * MIN,
       "warnings at 0.8 of each target (%s, %s)", iso(d.at[SLA_WARN_ACK]),
       iso(d.at[SLA_WARN_RESOLVE]));
    ok(clock_stop(t) == SEAM_OK && dues().count == 0, "stopped: nothing left in the index");

    ok(clock_start("noc", "low", 0, t) == SEAM_OK, "a low ticket's clock starts");
    d = dues();
    ok(d.at[SLA_ACK] == t + 240 * MIN && d.at[SLA_RESOLVE] == t + 2880 * MIN,
       "low: 4 h and 2 days");
    clock_stop(t);
    ok(clock_start("noc", "sometime", 0, t) == SEAM_OK, "a priority the policy lacks");
    d = dues();
    ok(d.at[SLA_ACK] == t + 60 * MIN && d.at[SLA_RESOLVE] == t + 1440 * MIN,
       "... is timed as normal");
    clock_stop(t);
    ok(clock_start("lead-owned", "high", 0, t) == SEAM_OK, "a clock for the lead");
    d = dues();
    /* care, high: 60 min and 960 min of office hours, warnings at 0.75 (the default). */
    ok(d.at[SLA_ACK] == at("2026-11-18T11:00:00Z") &&
           d.at[SLA_WARN_ACK] == at("2026-11-18T10:45:00Z"),
       "the lead's policy: ack due in 1 h (noon in Oslo), the warning at 0.75 (the default)");
    clock_stop(t);
}

/* A new priority (a TMF621 severity): the running clocks are re-planned by its targets. */
static void
test_replan(void)
{
    int64_t t = at("2026-11-18T10:00:00Z"); /* noc: round the clock, warnings at 0.8 */
    struct dues d;
    ok(clock_start("noc", "low", 0, t) == SEAM_OK, "a low ticket's clock (noc: 4 h, 2 days)");
    record.priority = priority_parse("urgent");
    ok(clock_do(OP_REPLAN, t + 60 * MIN) == SEAM_OK, "an hour later it is urgent: re-planned");
    d = dues();
    ok(asg()->sla.ack_target_ms == 15 * MIN && asg()->sla.resolve_target_ms == 240 * MIN,
       "the targets are urgent's: 15 min and 4 h");
    ok(d.count == 4 && d.at[SLA_ACK] == t + 15 * MIN && d.at[SLA_WARN_ACK] == t + 12 * MIN,
       "the ack clock is due 15 min after the claim was made (past: the scheduler fires it)");
    ok(d.at[SLA_RESOLVE] == t + 240 * MIN && d.at[SLA_WARN_RESOLVE] == t + 192 * MIN,
       "the resolve clock keeps its hour and is due the rest of 4 h (%s, %s)",
       iso(d.at[SLA_RESOLVE]), iso(d.at[SLA_WARN_RESOLVE]));
    ok(asg()->sla.resolve_elapsed_ms == 60 * MIN && asg()->sla.running_since == t + 60 * MIN,
       "... the hour folded into its elapsed time, running on from the change");
    clock_stop(t + 61 * MIN);

    ok(clock_start("noc", "urgent", 0, t) == SEAM_OK && clock_ack(t + 5 * MIN) == SEAM_OK &&
           clock_pause(t + 30 * MIN) == SEAM_OK,
       "an urgent clock, acknowledged, then paused (pending)");
    record.priority = priority_parse("low");
    ok(clock_do(OP_REPLAN, t + 90 * MIN) == SEAM_OK, "made low while paused");
    d = dues();
    ok(d.count == 0 && asg()->sla.resolve_target_ms == 2880 * MIN,
       "nothing is due: the ack clock stopped, the resolve clock paused; the target is low's");
    ok(clock_resume(t + 120 * MIN) == SEAM_OK &&
           dues().at[SLA_RESOLVE] == t + 120 * MIN + (2880 - 30) * MIN,
       "resumed: due by the new target, its 30 min kept");
    clock_stop(t + 121 * MIN);
}

static void
test_business_time(void)
{
    struct dues d;
    /* fix, normal: ack 120 min, resolve 960 min, warnings at half. */
    ok(clock_start("fix", "normal", 0, at("2026-11-20T14:00:00Z")) == SEAM_OK,
       "a clock starts Friday 15:00 in Oslo");
    d = dues();
    ok(d.at[SLA_ACK] == at("2026-11-23T08:00:00Z"), "weekend: ack due Monday 09:00 (%s)",
       iso(d.at[SLA_ACK]));
    ok(d.at[SLA_WARN_ACK] == at("2026-11-20T15:00:00Z"), "... the warning at Friday's close");
    ok(d.at[SLA_RESOLVE] == at("2026-11-24T14:00:00Z"), "resolve (16 h) due Tuesday 15:00 (%s)",
       iso(d.at[SLA_RESOLVE]));
    ok(d.at[SLA_WARN_RESOLVE] == at("2026-11-23T14:00:00Z"),
       "... its warning (8 h) Monday 15:00 (%s)", iso(d.at[SLA_WARN_RESOLVE]));
    ok(clock_ack(at("2026-11-23T07:30:00Z")) == SEAM_OK, "acknowledged Monday 08:30");
    d = dues();
    ok(d.count == 2 && d.at[SLA_ACK] < 0 && d.at[SLA_WARN_ACK] < 0,
       "... the ack instants leave the index, the resolve ones stay");
    ok(clock_business("ack_business_ms") == 90 * MIN, "... it took 90 business minutes (%lld)",
       (long long)clock_business("ack_business_ms"));
    ok(clock_pause(at("2026-11-23T08:00:00Z")) == SEAM_OK,
       "pending Monday 09:00, after 2 business hours");
    ok(clock_resume(at("2026-11-23T09:00:00Z")) == SEAM_OK, "answered Monday 10:00");
    d = dues();
    ok(d.at[SLA_RESOLVE] == at("2026-11-24T15:00:00Z"),
       "... the 14 h that remain end Tuesday 16:00 (%s)", iso(d.at[SLA_RESOLVE]));
    ok(d.at[SLA_WARN_RESOLVE] == at("2026-11-23T15:00:00Z"),
       "... the warning after 6 more, Monday at closing (%s)", iso(d.at[SLA_WARN_RESOLVE]));
    ok(clock_stop(at("2026-11-25T07:30:00Z")) == SEAM_OK &&
           clock_business("resolve_business_ms") == (2 * 60 + 6 * 60 + 8 * 60 + 30) * MIN,
       "resolved Wednesday 08:30: charged 16.5 business hours (%lld min)",
       (long long)clock_business("resolve_business_ms") / MIN);

    ok(clock_start("fix", "normal", 0, at("2026-12-23T14:00:00Z")) == SEAM_OK,
       "a clock starts Wednesday 23 December 15:00");
    d = dues();
    ok(d.at[SLA_ACK] == at("2026-12-28T08:00:00Z"),
       "holidays and a weekend: ack due Monday 28th 09:00 (%s)", iso(d.at[SLA_ACK]));
    clock_stop(at("2026-12-23T14:00:00Z"));

    ok(clock_start("fix", "normal", 0, at("2026-03-27T14:00:00Z")) == SEAM_OK,
       "a clock starts Friday 27 March 15:00 CET");
    d = dues();
    ok(d.at[SLA_ACK] == at("2026-03-30T07:00:00Z"),
       "summer time begins on Sunday: ack due Monday 09:00 CEST (%s)", iso(d.at[SLA_ACK]));
    clock_stop(at("2026-03-27T14:00:00Z"));
}

static void
test_pause(void)
{
    int64_t t = at("2026-11-18T10:00:00Z");
    struct dues d;
    /* noc, normal: ack 60 min, resolve 1440 min, warning at 1152. */
    ok(clock_start("noc", "normal", 0, t) == SEAM_OK, "a round-the-clock clock starts");
    ok(clock_ack(t + 30 * MIN) == SEAM_OK && clock_business("ack_business_ms") == 30 * MIN,
       "acknowledged after 30 min");
    ok(clock_pause(t + 60 * MIN) == SEAM_OK, "the ticket waits on the customer after 1 h");
    d = dues();
    ok(d.count == 0, "... the resolve instants leave the index (%d left)", d.count);
    ok(clock_resume(t + 180 * MIN) == SEAM_OK, "the customer answers 2 h later");
    d = dues();
    ok(d.at[SLA_RESOLVE] == t + (180 + 1380) * MIN, "... resolve due the remaining 23 h after (%s)",
       iso(d.at[SLA_RESOLVE]));
    ok(d.at[SLA_WARN_RESOLVE] == t + (180 + 1092) * MIN, "... its warning too (%s)",
       iso(d.at[SLA_WARN_RESOLVE]));
    ok(clock_resume(t + 200 * MIN) == SEAM_OK && dues().at[SLA_RESOLVE] == t + (180 + 1380) * MIN,
       "resuming a running clock changes nothing");
    ok(clock_fire(SLA_WARN_RESOLVE, d.at[SLA_WARN_RESOLVE]) == 1, "the warning fires");
    ok(dues().at[SLA_WARN_RESOLVE] < 0, "... and leaves the index");
    ok(clock_fire(SLA_WARN_RESOLVE, d.at[SLA_WARN_RESOLVE]) == 0, "... once: then it is stale");
    ok(clock_fire(SLA_WARN_RESOLVE, -1) == 0 && clock_fire(SLA_WARN_RESOLVE, -2) == 0,
       "a null or absent instant never comes (stale, not a store error)");
    ok(clock_fire(SLA_RESOLVE, d.at[SLA_RESOLVE] - 1) == 0,
       "an instant that is not the clock's is stale");
    ok(clock_pause(t + 1300 * MIN) == SEAM_OK && clock_resume(t + 1400 * MIN) == SEAM_OK,
       "paused and resumed again after the warning");
    d = dues();
    ok(d.at[SLA_WARN_RESOLVE] < 0 && d.at[SLA_RESOLVE] == t + (1400 + 1440 - 60 - 1120) * MIN,
       "... no second warning; resolve due after what remains (%s)", iso(d.at[SLA_RESOLVE]));
    ok(clock_stop(t + 1410 * MIN) == SEAM_OK, "resolved 10 min later");
    ok(dues().count == 0, "... nothing left in the index");
    ok(clock_business("resolve_business_ms") == (60 + 1120 + 10) * MIN,
       "... charged with the time it ran, not the pauses (%lld min)",
       (long long)clock_business("resolve_business_ms") / MIN);
    ok(clock_fire(SLA_RESOLVE, d.at[SLA_RESOLVE]) == 0, "a stopped clock's breach is stale");

    ok(clock_start("noc", "normal", 1, t) == SEAM_OK, "a clock starts on a pending ticket");
    d = dues();
    ok(d.count == 2 && d.at[SLA_ACK] == t + 60 * MIN && d.at[SLA_RESOLVE] < 0,
       "... the ack clock runs, the resolve clock waits");
    ok(clock_resume(t + 100 * MIN) == SEAM_OK && dues().at[SLA_RESOLVE] == t + (100 + 1440) * MIN,
       "... and starts in full when the customer answers");
    ok(clock_fire(SLA_ACK, t + 60 * MIN) == 1 && dues().at[SLA_ACK] < 0, "the ack breach fires");
    clock_stop(t + 200 * MIN);
}

static void
test_e2e(void)
{
    /* care, high: 960 min = two office days. */
    e2e_start("high", at("2026-11-20T14:00:00Z"));
    ok(e2e_ms("target_ms") == 960 * MIN, "the end-to-end target is the lead's, by priority");
    ok(!strcmp(e2e_due(), iso(at("2026-11-24T14:00:00Z"))),
       "filed Friday 15:00: due Tuesday 15:00 (%s)", e2e_due());
    e2e_status("inProgress", at("2026-11-20T14:30:00Z"));
    ok(!strcmp(e2e_due(), iso(at("2026-11-24T14:00:00Z"))), "in progress: the clock runs on");
    e2e_status("pending", at("2026-11-23T09:00:00Z"));
    ok(!strcmp(e2e_due(), "null") && e2e_ms("elapsed_ms") == 180 * MIN,
       "pending Monday 10:00: paused after 3 business hours (%lld min)",
       (long long)e2e_ms("elapsed_ms") / MIN);
    e2e_status("inProgress", at("2026-11-25T07:00:00Z"));
    ok(!strcmp(e2e_due(), iso(at("2026-11-26T12:00:00Z"))),
       "answered Wednesday 08:00: 13 h remain, due Thursday 13:00 (%s)", e2e_due());
    e2e_status("resolved", at("2026-11-26T08:00:00Z"));
    ok(e2e_ms("resolved_business_ms") == 720 * MIN && !strcmp(e2e_due(), "null"),
       "resolved Thursday 09:00: 12 business hours (%lld min)",
       (long long)e2e_ms("resolved_business_ms") / MIN);
    e2e_status("inProgress", at("2026-11-27T07:00:00Z"));
    ok(!strcmp(e2e_due(), iso(at("2026-11-27T11:00:00Z"))) && e2e_ms("resolved_business_ms") < 0,
       "reopened Friday 08:00: due at noon, the resolution forgotten (%s)", e2e_due());
    e2e_status("closed", at("2026-11-27T08:00:00Z"));
    ok(e2e_ms("elapsed_ms") == 780 * MIN && !strcmp(e2e_due(), "null"),
       "closed an hour later: 13 h in all");
    e2e_status("closed", at("2026-11-30T08:00:00Z"));
    ok(e2e_ms("elapsed_ms") == 780 * MIN, "a status that does not change changes nothing");

    e2e_start("urgent", at("2026-12-23T14:00:00Z"));
    ok(!strcmp(e2e_due(), iso(at("2026-12-28T14:00:00Z"))),
       "urgent (8 h) filed 23 December 15:00: 1 h, then holidays, due Monday 28th 15:00 (%s)",
       e2e_due());
    e2e_start("bogus", at("2026-03-27T14:00:00Z"));
    ok(e2e_ms("target_ms") == 1920 * MIN && !strcmp(e2e_due(), iso(at("2026-04-02T13:00:00Z"))),
       "an unknown priority is normal: 4 days from Friday 27 March 15:00 CET is Thursday "
       "15:00 CEST (%s)",
       e2e_due());
}

int
main(void)
{
    char *errors = NULL;
    ok(config_load_buffer("test.json", conf, strlen(conf), &cfg, &errors) == SEAM_OK,
       "the federation loads");
    if (errors)
        fprintf(stderr, "%s", errors);
    free(errors);
    char *dir = tap_tmpdir();
    ok(dir && store_open(dir, 1 << 20, 16 << 20, 1, &st) == SEAM_OK, "a store in a temp dir");
    sla = cfg ? sla_new(cfg) : NULL;
    ok(sla != NULL, "the calendars open");
    if (sla == NULL || st == NULL)
        return done_testing();
    test_calendars();
    test_targets();
    test_replan();
    test_business_time();
    test_pause();
    test_e2e();
    ticket_free(&record);
    sla_free(sla);
    store_close(st);
    tap_rmtree(dir);
    free(dir);
    config_free(cfg);
    return done_testing();
}
