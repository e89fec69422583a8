/*
 * calendar.h: business time in a calendar of the configuration: an IANA
 * time zone (through ICU, so daylight-saving changes are right), weekly
 * working hours and holidays, or 24x7. Times are ms since the epoch (UTC);
 * business time is in ms.
 *
 * A struct calendar may be used from any thread: each holds its ICU
 * calendar under its own mutex.
 */
#ifndef SEAM_CALENDAR_H
#define SEAM_CALENDAR_H

#include <stdint.h>

#include "config.h"

struct calendar;

/* NULL if ICU does not know the time zone. */
struct calendar *calendar_new(const struct config_calendar *c);
void calendar_free(struct calendar *cal);

/* The instant `business` ms of working time after `from`. */
int64_t calendar_add(struct calendar *cal, int64_t from, int64_t business);

/* The working time (ms) between a and b (0 if b <= a). */
int64_t calendar_between(struct calendar *cal, int64_t a, int64_t b);

/* The local date of instant t in the calendar's time zone, as days since
 * 1970-01-01 (a day number); and the first instant (local midnight) of a day
 * number. */
int64_t calendar_day_number(struct calendar *cal, int64_t t);
int64_t calendar_day_start(struct calendar *cal, int64_t day);

#endif
