/*
 * calendar.c: business-time arithmetic (see calendar.h). Working spans are
 * local wall-clock times; each day's spans are turned into UTC instants by
 * ICU in the calendar's time zone, so a span's real length is right across
 * daylight-saving changes (a night shift over the change is an hour shorter
 * or longer), and holidays are local dates. It walks day by day, which is
 * plenty for SLA targets of days or weeks.
 *
 * ICU's arithmetic is the costly part (every ticket starts two or three
 * clocks), and its answers are pure functions of the zone, so each
 * calendar remembers the instants of the local minutes it has been asked
 * for and the day after each day it has walked.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "calendar.h"

#define MAX_DAYS 3700 /* ten years of walking: a calendar always has working time */

struct day {
    int y, m, d; /* m: 0-11 as ICU counts */
    int wday;    /* 0 = Monday */
};

/* A local day and the day after it, as ICU worked it out. */
struct day_memo {
    struct day day, next;
    int used;
};

/* The local instants of wall-clock minutes of days. */
struct instant_memo {
    int y, m, d, minute;
    int64_t t;
    int used;
};

#define DAY_MEMO 64
#define INSTANT_MEMO 256

struct calendar {
    const struct config_calendar *c;
    UCalendar *ucal;
    pthread_mutex_t mu;
    struct day_memo days[DAY_MEMO];             /* by the day's index */
    struct instant_memo instants[INSTANT_MEMO]; /* by a hash of day and minute */
};

struct calendar *
calendar_new(const struct config_calendar *c)
{
    UChar zone[128];
    UErrorCode st = U_ZERO_ERROR;
    struct calendar *cal = xcalloc(1, sizeof(*cal));
    cal->c = c;
    u_uastrncpy(zone, c->timezone, 127);
    zone[127] = 0;
    cal->ucal = ucal_open(zone, -1, "en_US", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st) || cal->ucal == NULL) {
        free(cal);
        return NULL;
    }
    /* An unknown zone gives GMT rather than an error: check it is the one asked for. */
    UChar got[128];
    int32_t n = ucal_getTimeZoneID(cal->ucal, got, 128, &st);
    char got8[128];
    u_austrncpy(got8, got, 127);
    got8[n < 127 ? n : 127] = '\0';
    if (U_FAILURE(st) || (strcmp(got8, c->timezone) != 0 && strcmp(c->timezone, "UTC") != 0)) {
        ucal_close(cal->ucal);
        free(cal);
        return NULL;
    }
    pthread_mutex_init(&cal->mu, NULL);
    return cal;
}

void
calendar_free(struct calendar *cal)
{
    if (cal == NULL)
        return;
    ucal_close(cal->ucal);
    pthread_mutex_destroy(&cal->mu);
    free(cal);
}

/* The local day of an instant. Called with mu held. */
static void
day_of(struct calendar *cal, int64_t t, struct day *out)
{
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(cal->ucal, (UDate)t, &st);
    out->y = ucal_get(cal->ucal, UCAL_YEAR, &st);
    out->m = ucal_get(cal->ucal, UCAL_MONTH, &st);
    out->d = ucal_get(cal->ucal, UCAL_DATE, &st);
    int dow = ucal_get(cal->ucal, UCAL_DAY_OF_WEEK, &st); /* 1 = Sunday */
    out->wday = (dow + 5) % 7;
}

/* The instant of a local wall-clock minute of a day (minute may be 1440). */
static int64_t
local_instant(struct calendar *cal, const struct day *d, int minute)
{
    unsigned h = (unsigned)(((d->y * 12 + d->m) * 31 + d->d) * 1441 + minute);
    struct instant_memo *m = &cal->instants[(h * 2654435761u) >> 24 & (INSTANT_MEMO - 1)];
    if (m->used && m->y == d->y && m->m == d->m && m->d == d->d && m->minute == minute)
        return m->t;
    UErrorCode st = U_ZERO_ERROR;
    ucal_clear(cal->ucal);
    ucal_setDateTime(cal->ucal, d->y, d->m, d->d, minute / 60, minute % 60, 0, &st);
    int64_t t = (int64_t)ucal_getMillis(cal->ucal, &st);
    if (U_SUCCESS(st))
        *m = (struct instant_memo){d->y, d->m, d->d, minute, t, 1};
    return t;
}

/* The next local day, worked out through ICU once. */
static void
next_day(struct calendar *cal, struct day *d)
{
    unsigned h = (unsigned)((d->y * 12 + d->m) * 31 + d->d);
    struct day_memo *m = &cal->days[h % DAY_MEMO];
    if (!(m->used && m->day.y == d->y && m->day.m == d->m && m->day.d == d->d)) {
        struct day n = *d;
        n.d += 1; /* ICU is lenient: the 32nd is the 1st of next month */
        m->day = *d;
        day_of(cal, local_instant(cal, &n, 12 * 60), &m->next);
        m->used = 1;
    }
    *d = m->next;
}

static int
is_holiday(const struct config_calendar *c, const struct day *d)
{
    char date[48];
    snprintf(date, sizeof(date), "%04d-%02d-%02d", d->y, d->m + 1, d->d);
    return strlist_has(&c->holidays, date);
}

int64_t
calendar_add(struct calendar *cal, int64_t from, int64_t business)
{
    if (cal->c->always)
        return from + business;
    if (business <= 0)
        business = 0;
    pthread_mutex_lock(&cal->mu);
    struct day d;
    day_of(cal, from, &d);
    int64_t result = from;
    for (int i = 0; i < MAX_DAYS; i++, next_day(cal, &d)) {
        if (is_holiday(cal->c, &d))
            continue;
        for (int k = 0; k < cal->c->nhours[d.wday]; k++) {
            int64_t s = local_instant(cal, &d, cal->c->hours[d.wday][k].start);
            int64_t e = local_instant(cal, &d, cal->c->hours[d.wday][k].end);
            if (e <= from)
                continue;
            if (s < from)
                s = from;
            if (business == 0 || e - s >= business) {
                result = s + business;
                goto out;
            }
            business -= e - s;
        }
    }
out:
    pthread_mutex_unlock(&cal->mu);
    return result;
}

int64_t
calendar_between(struct calendar *cal, int64_t a, int64_t b)
{
    if (b <= a)
        return 0;
    if (cal->c->always)
        return b - a;
    pthread_mutex_lock(&cal->mu);
    struct day d;
    int64_t total = 0;
    day_of(cal, a, &d);
    for (int i = 0; i < MAX_DAYS; i++, next_day(cal, &d)) {
        if (local_instant(cal, &d, 0) >= b)
            break;
        if (is_holiday(cal->c, &d))
            continue;
        for (int k = 0; k < cal->c->nhours[d.wday]; k++) {
            int64_t s = local_instant(cal, &d, cal->c->hours[d.wday][k].start);
            int64_t e = local_instant(cal, &d, cal->c->hours[d.wday][k].end);
            if (s < a)
                s = a;
            if (e > b)
                e = b;
            if (e > s)
                total += e - s;
        }
    }
    pthread_mutex_unlock(&cal->mu);
    return total;
}

int64_t
calendar_day_number(struct calendar *cal, int64_t t)
{
    struct day d;
    pthread_mutex_lock(&cal->mu);
    day_of(cal, t, &d);
    pthread_mutex_unlock(&cal->mu);
    return days_from_civil(d.y, d.m + 1, d.d);
}

int64_t
calendar_day_start(struct calendar *cal, int64_t day)
{
    /* civil_from_days (H. Hinnant's algorithm) */
    int64_t z = day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    struct day d = {0};
    d.d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    d.y = (int)(yoe + era * 400 + (m <= 2));
    d.m = m - 1;
    pthread_mutex_lock(&cal->mu);
    int64_t t = local_instant(cal, &d, 0);
    pthread_mutex_unlock(&cal->mu);
    return t;
}
