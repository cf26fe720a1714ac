/*
 * test_vscan.c: vscan stores what sscanf stores, on the formats and the
 * kinds of lines the collectors read from /proc and sysfs.
 */
#include <stdio.h>
#include <string.h>

#include "../../verbs/verbs.h"

static int bad;

#define SAME(name, line, fmt, ...) do {					\
	unsigned long long a[12], b[12];				\
	int r1, r2;							\
	memset(a, 0, sizeof(a));					\
	memset(b, 0, sizeof(b));					\
	r1 = sscanf(line, fmt, __VA_ARGS__);				\
	memcpy(b, a, sizeof(a));					\
	memset(a, 0, sizeof(a));					\
	r2 = vscan(line, fmt, __VA_ARGS__);				\
	if (r1 != r2 || memcmp(a, b, sizeof(a)) != 0) {			\
		printf("FAIL vscan %s: sscanf %d, vscan %d\n", name, r1, r2); \
		bad++;							\
	} else {							\
		printf("PASS vscan %s\n", name);			\
	}								\
} while (0)

int
main(void)
{
	char s1[64], s2[64];
	double d[3], e[3];
	int k1, k2;

	SAME("cpu line", "cpu3 10 20 30 40 50 60 70 80 90 100",
	    "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
	    (int *)&a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &a[6], &a[7],
	    &a[8], &a[9], &a[10]);
	SAME("short cpu line", "cpu0 1 2 3 4", "cpu%d %llu %llu %llu %llu %llu",
	    (int *)&a[0], &a[1], &a[2], &a[3], &a[4], &a[5]);
	SAME("route", "eth0\t0000000A\t0102A8C0\t0003\t0\t0\t100\t00FFFFFF\t0\t0\t0",
	    "%*s %X %X %X %d %d %d %X %d %d %d", (unsigned *)&a[0],
	    (unsigned *)&a[1], (unsigned *)&a[2], (int *)&a[3], (int *)&a[4],
	    (int *)&a[5], (unsigned *)&a[6], (int *)&a[7], (int *)&a[8],
	    (int *)&a[9]);
	SAME("pci path", "0000:00/0000:00:1f.2/ata1", "%*x:%*x/%x:%x:%x.%x%n",
	    (unsigned *)&a[0], (unsigned *)&a[1], (unsigned *)&a[2],
	    (unsigned *)&a[3], (int *)&a[4]);
	SAME("scsi path", "0:0:0/0:2:3:4", "%*u:%*u:%*u/%*u:%u:%u:%u",
	    (unsigned *)&a[0], (unsigned *)&a[1], (unsigned *)&a[2]);
	SAME("ccw path", "0.0.0000/0.0.0001/0.0.0002/virtio", "%*x/%x.%x.%x/%*x.%*x.%x/",
	    (unsigned *)&a[0], (unsigned *)&a[1], (unsigned *)&a[2],
	    (unsigned *)&a[3]);
	SAME("mismatch", "host7x", "ata%u", (unsigned *)&a[0]);
	SAME("geometry", "1024x768", "%ux%u", (unsigned *)&a[0],
	    (unsigned *)&a[1]);
	SAME("empty", "", "%u", (unsigned *)&a[0]);
	SAME("diskstats", "   8       0 sda 100 2 300 4 5 6 7 8 0 9 10",
	    "%u %u %*s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
	    (unsigned *)&a[0], (unsigned *)&a[1], &a[2], &a[3], &a[4], &a[5],
	    &a[6], &a[7], &a[8], &a[9], &a[10], &a[11]);
	k1 = sscanf("MemTotal:       16310332 kB", "%63s %llu", s1,
	    (unsigned long long *)&d[0]);
	k2 = vscan("MemTotal:       16310332 kB", "%63s %llu", s2,
	    (unsigned long long *)&e[0]);
	if (k1 == k2 && strcmp(s1, s2) == 0 && memcmp(d, e, 8) == 0) {
		printf("PASS vscan meminfo key\n");
	} else {
		printf("FAIL vscan meminfo key\n");
		bad++;
	}
	k1 = sscanf("0.52 0.58 0.59 1/467 12345", "%lf %lf %lf", &d[0], &d[1],
	    &d[2]);
	k2 = vscan("0.52 0.58 0.59 1/467 12345", "%lf %lf %lf", &e[0], &e[1],
	    &e[2]);
	if (k1 == k2 && memcmp(d, e, sizeof(d)) == 0) {
		printf("PASS vscan loadavg\n");
	} else {
		printf("FAIL vscan loadavg\n");
		bad++;
	}
	return bad != 0;
}
