/*
 * sys.h: system facts: OS, host name, time zone, clock, vCPUs, memory
 * blocks, load, CPU times and memory statistics.  Plain data for every
 * front end (qemu-ga guest-get-*, oVirt heartbeat/os-info/timezone).
 * Strings are NUL terminated; "" means absent unless a has_ flag says more.
 */
#ifndef VERBS_SYS_H
#define VERBS_SYS_H

#include "verbs.h"

/* guest-get-osinfo: uname() plus os-release (QGA_OS_RELEASE overrides). */
#define SYS_OS_ID		0x001
#define SYS_OS_NAME		0x002
#define SYS_OS_PRETTY_NAME	0x004
#define SYS_OS_VERSION		0x008
#define SYS_OS_VERSION_ID	0x010
#define SYS_OS_VARIANT		0x020
#define SYS_OS_VARIANT_ID	0x040
#define SYS_OS_CODENAME		0x080	/* VERSION_CODENAME (oVirt codename) */
#define SYS_OS_UNAME		0x100	/* kernel_* and machine are valid */

struct sys_osinfo {
	unsigned	 has;		/* SYS_OS_* bits: which keys were found */
	char		 kernel_release[65];
	char		 kernel_version[65];
	char		 machine[65];
	char		 id[64];
	char		 name[128];
	char		 pretty_name[256];
	char		 version[128];
	char		 version_id[64];
	char		 variant[128];
	char		 variant_id[64];
	char		 codename[64];
};

int	sys_osinfo(struct sys_osinfo *, struct verr *);

/* Current host name (uname nodename; "localhost" if empty). */
int	sys_hostname(char *, size_t, struct verr *);
/* Fully qualified name from /etc/hosts (no DNS: never blocks); falls back
 * to the host name. */
int	sys_fqdn(char *, size_t, struct verr *);

struct sys_tz {
	char		 abbr[32];	/* current abbreviation: "UTC", "CEST" */
	int32_t		 offset;	/* seconds east of UTC, now (with DST) */
	int32_t		 std_offset;	/* seconds east of UTC, standard time */
	char		 name[128];	/* IANA name "Europe/Berlin", "" unknown */
};

int	sys_timezone(struct sys_tz *, struct verr *);

/* Wall clock, nanoseconds since the epoch. */
int	sys_time_ns(int64_t *, struct verr *);

struct sys_vcpu {
	int64_t		 id;		/* logical id: N of cpuN */
	int		 online;
	int		 can_offline;	/* an "online" file exists */
};

/* Every /sys/devices/system/cpu/cpuN, directory order.  free() *v. */
int	sys_vcpus(struct sys_vcpu **v, size_t *n, struct verr *);
/* Number of online CPUs (oVirt number-of-cpus), -1 if unknown. */
int	sys_cpus_online(void);

struct sys_memblk {
	uint64_t	 phys_index;
	int		 online;
	int		 has_can_offline;
	int		 can_offline;
};

/* Every /sys/devices/system/memory/memoryN, directory order.  free() *v. */
int	sys_memblocks(struct sys_memblk **v, size_t *n, struct verr *);
int	sys_memblock_size(uint64_t *, struct verr *);

struct sys_load {
	double		 avg[3];	/* 1, 5, 15 minutes */
};

int	sys_load(struct sys_load *, struct verr *);

/* /proc/stat cpuN lines (not the total), values in milliseconds. */
struct sys_cpustat {
	int		 cpu;
	int		 nfields;	/* columns present: 4 .. 10 */
	uint64_t	 user, nice, system, idle;	/* always */
	uint64_t	 iowait, irq, softirq, steal, guest, guestnice;
};

int	sys_cpustats(struct sys_cpustat **v, size_t *n, struct verr *);

/* /proc/meminfo, in BYTES.  A has bit per field (SYS_MEM_*). */
#define SYS_MEM_TOTAL		0x01
#define SYS_MEM_FREE		0x02
#define SYS_MEM_AVAILABLE	0x04
#define SYS_MEM_BUFFERS		0x08
#define SYS_MEM_CACHED		0x10
#define SYS_MEM_SWAP_TOTAL	0x20
#define SYS_MEM_SWAP_FREE	0x40

struct sys_meminfo {
	unsigned	 has;
	uint64_t	 total;		/* MemTotal */
	uint64_t	 free;		/* MemFree */
	uint64_t	 available;	/* MemAvailable */
	uint64_t	 buffers;	/* Buffers */
	uint64_t	 cached;	/* Cached */
	uint64_t	 swap_total;	/* SwapTotal */
	uint64_t	 swap_free;	/* SwapFree */
};

int	sys_meminfo(struct sys_meminfo *, struct verr *);

/* /proc/vmstat counters (pages, since boot) for oVirt's rates. */
struct sys_vmstat {
	uint64_t	 pswpin, pswpout, pgfault, pgmajfault;
};

int	sys_vmstat(struct sys_vmstat *, struct verr *);

#endif
