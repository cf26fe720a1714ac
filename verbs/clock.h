/*
 * clock.h: guest-set-time (qemu-ga.md 4.5): the system clock, and the RTC
 * through its ioctls instead of hwclock (-w after setting, -s without a
 * time).  The RTC keeps UTC unless /etc/adjtime's third line says LOCAL.
 */
#ifndef VERBS_CLOCK_H
#define VERBS_CLOCK_H

#include "verbs.h"

#define CLOCK_RTC	"/dev/rtc0"

/* Set the system time (ns since the epoch), then the RTC from it.  No RTC
 * at all (microvm) is not an error. */
int	clock_set(int64_t ns, struct verr *);
/* System time from the RTC. */
int	clock_from_rtc(struct verr *);

#endif
