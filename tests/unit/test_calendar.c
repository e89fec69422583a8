/*
 * test_calendar.c: business-time arithmetic against instants worked out by
 * hand: across the daylight-saving changes of Europe/Oslo (29 March and 25
 * October 2026) and America/New_York (8 March 2026), across a holiday, a
 * weekend and a day that starts before opening.
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "tap.h"

/* "2026-03-30T07:00:00Z" -> ms */
static int64_t
at(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return (int64_t)timegm(&tm) * 1000;
}

#define MIN 60000LL

static struct config_calendar
weekdays(const char *tz, int from, int to)
{
    struct config_calendar c;
    memset(&c, 0, sizeof(c));
    c.id = "test";
    c.timezone = (char *)tz;
    for (int d = 0; d < 5; d++) {
        c.hours[d][0].start = (int16_t)from;
        c.hours[d][0].end = (int16_t)to;
        c.nhours[d] = 1;
    }
    return c;
}

int
main(void)
{
    struct config_calendar oslo = weekdays("Europe/Oslo", 8 * 60, 16 * 60);
    char *hol[] = {"2026-12-24", "2026-12-25"};
    oslo.holidays.v = hol;
    oslo.holidays.n = 2;
    struct calendar *c = calendar_new(&oslo);
    ok(c != NULL, "Europe/Oslo opens");
    /* Fri 27 Mar 15:00 CET (14:00Z) + 2h: 1h Friday, clocks go forward on Sunday,
     * 1h Monday 30 Mar from 08:00 CEST (06:00Z): 09:00 CEST = 07:00Z. */
    ok(calendar_add(c, at("2026-03-27T14:00:00Z"), 120 * MIN) == at("2026-03-30T07:00:00Z"),
       "Oslo, spring forward: Friday 15:00 CET + 2h = Monday 09:00 CEST");
    /* Fri 23 Oct 15:30 CEST (13:30Z) + 1h: 30 min Friday, clocks go back on Sunday,
     * 30 min Monday 26 Oct from 08:00 CET (07:00Z): 07:30Z. */
    ok(calendar_add(c, at("2026-10-23T13:30:00Z"), 60 * MIN) == at("2026-10-26T07:30:00Z"),
       "Oslo, fall back: Friday 15:30 CEST + 1h = Monday 08:30 CET");
    /* Wed 23 Dec 15:00 CET + 2h: 1h Wednesday; Thu 24 and Fri 25 are holidays,
     * Sat and Sun off; Monday 28 Dec 08:00-09:00 CET = 08:00Z. */
    ok(calendar_add(c, at("2026-12-23T14:00:00Z"), 120 * MIN) == at("2026-12-28T08:00:00Z"),
       "Oslo, holidays: Wednesday 15:00 + 2h = Monday 09:00");
    /* Fri 20 Nov 15:00 CET + 90 min = Monday 23 Nov 08:30 CET = 07:30Z. */
    ok(calendar_add(c, at("2026-11-20T14:00:00Z"), 90 * MIN) == at("2026-11-23T07:30:00Z"),
       "Oslo, weekend: Friday 15:00 + 90 min = Monday 08:30");
    /* Monday 06:00 CET (05:00Z), before opening, + 30 min = 08:30 CET = 07:30Z. */
    ok(calendar_add(c, at("2026-11-23T05:00:00Z"), 30 * MIN) == at("2026-11-23T07:30:00Z"),
       "Oslo, before opening: Monday 06:00 + 30 min = 08:30");
    ok(calendar_add(c, at("2026-11-21T10:00:00Z"), 0) == at("2026-11-23T07:00:00Z"),
       "Oslo: zero business time from Saturday is Monday's opening");
    /* Fri 20 Nov 13:00 CET to Mon 23 Nov 10:00 CET: 3h Friday + 2h Monday. */
    ok(calendar_between(c, at("2026-11-20T12:00:00Z"), at("2026-11-23T09:00:00Z")) == 300 * MIN,
       "Oslo: Friday 13:00 to Monday 10:00 is 5 business hours");
    /* Across the spring change: Fri 27 Mar 12:00 CET to Mon 30 Mar 12:00 CEST: 4h + 4h. */
    ok(calendar_between(c, at("2026-03-27T11:00:00Z"), at("2026-03-30T10:00:00Z")) == 480 * MIN,
       "Oslo: Friday noon to Monday noon across the change is 8 hours");
    ok(calendar_between(c, at("2026-12-23T07:00:00Z"), at("2026-12-28T15:00:00Z")) == 16 * 60 * MIN,
       "Oslo: Wednesday to Monday over Christmas is two working days");
    ok(calendar_between(c, at("2026-11-23T09:00:00Z"), at("2026-11-23T08:00:00Z")) == 0,
       "an interval that ends before it starts is empty");
    calendar_free(c);

    struct config_calendar ny = weekdays("America/New_York", 9 * 60, 17 * 60);
    c = calendar_new(&ny);
    ok(c != NULL, "America/New_York opens");
    /* Fri 6 Mar 16:00 EST (21:00Z) + 2h: 1h Friday; DST begins Sunday 8 Mar;
     * Monday 9 Mar 09:00-10:00 EDT: 10:00 EDT = 14:00Z. */
    ok(calendar_add(c, at("2026-03-06T21:00:00Z"), 120 * MIN) == at("2026-03-09T14:00:00Z"),
       "New York, spring forward: Friday 16:00 EST + 2h = Monday 10:00 EDT");
    calendar_free(c);

    /* Round the clock in New York: the night of the change has 23 hours. */
    struct config_calendar nyall;
    memset(&nyall, 0, sizeof(nyall));
    nyall.id = "all";
    nyall.timezone = "America/New_York";
    for (int d = 0; d < 7; d++) {
        nyall.hours[d][0].start = 0;
        nyall.hours[d][0].end = 24 * 60;
        nyall.nhours[d] = 1;
    }
    c = calendar_new(&nyall);
    ok(calendar_between(c, at("2026-03-08T05:00:00Z"), at("2026-03-09T04:00:00Z")) == 23 * 60 * MIN,
       "New York, 8 March 2026 from local midnight to midnight is 23 hours");
    ok(calendar_add(c, at("2026-03-08T05:00:00Z"), 23 * 60 * MIN) == at("2026-03-09T04:00:00Z"),
       "... and adding 23 hours lands on the next local midnight");
    calendar_free(c);

    /* What a calendar remembers of ICU's answers changes none of its own:
     * a year of instants, each through a warm calendar (many days walked,
     * slots reused) and through a fresh one. */
    struct config_calendar osl2 = weekdays("Europe/Oslo", 8 * 60, 16 * 60);
    struct calendar *warm = calendar_new(&osl2);
    int differ = 0, calls = 0;
    for (int64_t t = at("2026-01-01T00:00:00Z"); t < at("2027-01-01T00:00:00Z");
         t += 31 * 3600 * 1000LL + 17 * MIN) {
        for (int64_t business = 0; business <= 40 * 60 * MIN; business += 13 * 60 * MIN) {
            struct calendar *fresh = calendar_new(&osl2);
            differ += calendar_add(warm, t, business) != calendar_add(fresh, t, business);
            differ += calendar_between(warm, t, t + business * 3) !=
                      calendar_between(fresh, t, t + business * 3);
            calendar_free(fresh);
            calls += 2;
        }
    }
    ok(differ == 0,
       "a warm calendar answers as a fresh one, across both DST changes (%d of %d differ)", differ,
       calls);
    calendar_free(warm);

    struct config_calendar always = {.id = "24x7", .timezone = "UTC", .always = 1};
    c = calendar_new(&always);
    ok(calendar_add(c, 1000, 5000) == 6000 && calendar_between(c, 1000, 6000) == 5000,
       "24x7 is plain time");
    calendar_free(c);
    struct config_calendar bad = {.id = "bad", .timezone = "Europe/Atlantis"};
    ok(calendar_new(&bad) == NULL, "an unknown zone is refused");
    return done_testing();
}
