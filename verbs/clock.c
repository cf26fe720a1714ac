/*
 * clock.c: guest-set-time without hwclock (qemu-ga.md 4.5).  qemu-ga's
 * checks and texts: a time_t overflow is "too large", a year outside
 * [1970, 2070) is "Invalid time"; the RTC is read and written with
 * RTC_RD_TIME / RTC_SET_TIME on /dev/rtc0, as hwclock -s / -w do.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/rtc.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define NS	1000000000LL

/* hwclock's --localtime: "LOCAL" on the third line of /etc/adjtime. */
static int
rtc_is_local(void)
{
	char text[512];

	return vread_file(vpath("/etc/adjtime"), text, sizeof(text)) > 0 &&
	    strstr(text, "\nLOCAL") != NULL;
}

static int
rtc_write(time_t t, struct verr *e)
{
	struct rtc_time rt;
	struct tm tm;
	int fd, r;

	if ((fd = open(vpath(CLOCK_RTC), O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT) {
			log_info("set-time: no %s, the RTC is not updated",
			    CLOCK_RTC);
			return 0;
		}
		return verr_set(e, errno, "failed to open %s: %s", CLOCK_RTC,
		    strerror(errno));
	}
	if (rtc_is_local()) {
		localtime_r(&t, &tm);
	} else {
		gmtime_r(&t, &tm);
	}
	memset(&rt, 0, sizeof(rt));
	rt.tm_sec = tm.tm_sec;
	rt.tm_min = tm.tm_min;
	rt.tm_hour = tm.tm_hour;
	rt.tm_mday = tm.tm_mday;
	rt.tm_mon = tm.tm_mon;
	rt.tm_year = tm.tm_year;
	rt.tm_wday = tm.tm_wday;
	rt.tm_yday = tm.tm_yday;
	r = ioctl(fd, RTC_SET_TIME, &rt);
	close(fd);
	if (r == -1) {
		return verr_set(e, errno, "failed to set hardware clock to "
		    "system time: %s", strerror(errno));
	}
	return 0;
}

int
clock_set(int64_t ns, struct verr *e)
{
	struct timeval tv;
	struct tm tm;
	time_t t;

	t = (time_t)(ns / NS);
	if ((int64_t)t != ns / NS) {
		return verr_set(e, EOVERFLOW, "Time %" PRId64 " is too large",
		    ns);
	}
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1970 ||
	    tm.tm_year + 1900 >= 2070) {
		return verr_set(e, EINVAL, "Invalid time");
	}
	tv.tv_sec = t;
	tv.tv_usec = (ns % NS) / 1000;
	if (settimeofday(&tv, NULL) == -1) {
		return verr_set(e, errno, "Failed to set time to guest: %s",
		    strerror(errno));
	}
	return rtc_write(t, e);
}

int
clock_from_rtc(struct verr *e)
{
	struct rtc_time rt;
	struct timeval tv;
	struct tm tm;
	int fd, r;

	if ((fd = open(vpath(CLOCK_RTC), O_RDONLY | O_CLOEXEC)) == -1) {
		return verr_set(e, errno, "failed to set system time from "
		    "hardware clock: %s: %s", CLOCK_RTC, strerror(errno));
	}
	r = ioctl(fd, RTC_RD_TIME, &rt);
	close(fd);
	if (r == -1) {
		return verr_set(e, errno, "failed to read the hardware clock: "
		    "%s", strerror(errno));
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_sec = rt.tm_sec;
	tm.tm_min = rt.tm_min;
	tm.tm_hour = rt.tm_hour;
	tm.tm_mday = rt.tm_mday;
	tm.tm_mon = rt.tm_mon;
	tm.tm_year = rt.tm_year;
	tm.tm_isdst = -1;
	tv.tv_sec = rtc_is_local() ? mktime(&tm) : timegm(&tm);
	tv.tv_usec = 0;
	if (tv.tv_sec == -1 || settimeofday(&tv, NULL) == -1) {
		return verr_set(e, errno, "Failed to set time to guest: %s",
		    strerror(errno));
	}
	return 0;
}
