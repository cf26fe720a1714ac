/*
 * sys.c: system facts for qemu-ga (guest-get-osinfo, -host-name, -timezone,
 * -time, -vcpus, -memory-blocks, -load, -cpustats, guest-get-memory-stats)
 * and oVirt (heartbeat, os-info, timezone, number-of-cpus).  Sources and
 * quirks follow qemu-ga's qga/commands-posix.c and commands-linux.c.
 */
#include <sys/utsname.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"
#include "verbs.h"
#include "slurp.h"
#include "dsys.h"

#define SYS_LINE_MAX	4096		/* os-release read without the heap */


/*
 * os-release value as qemu-ga unquotes it (ga_osrelease_replace_special):
 * unquoted values end at the first space or ';'; inside double quotes the
 * escapes \$ \' \" \\ \` are resolved and the value ends at the quote.
 */
static void
osrel_unquote(char *v)
{
	char	*p, *q;

	if (v[0] != '"') {
		v[strcspn(v, " ;")] = '\0';
		return;
	}
	for (p = v + 1, q = v; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0' && strchr("$'\"\\`", p[1])) {
			p++;
		} else if (*p == '"') {
			break;
		}
		*q++ = *p;
	}
	*q = '\0';
}

static const struct {
	const char	*key;
	unsigned	 bit;
	size_t		 off, len;
} osrel_keys[] = {
#define K(k, b, f) { k, b, offsetof(struct sys_osinfo, f), \
	sizeof(((struct sys_osinfo *)0)->f) }
	K("ID", SYS_OS_ID, id),
	K("NAME", SYS_OS_NAME, name),
	K("PRETTY_NAME", SYS_OS_PRETTY_NAME, pretty_name),
	K("VERSION", SYS_OS_VERSION, version),
	K("VERSION_ID", SYS_OS_VERSION_ID, version_id),
	K("VARIANT", SYS_OS_VARIANT, variant),
	K("VARIANT_ID", SYS_OS_VARIANT_ID, variant_id),
	K("VERSION_CODENAME", SYS_OS_CODENAME, codename),
#undef K
};

/*
 * qemu-ga loads the file as a GKeyFile: a line that is neither blank, a
 * comment nor KEY=VALUE makes the whole file unreadable (no keys at all).
 */
static int
osrel_line(struct sys_osinfo *oi, char *line)
{
	char	*eq, *k, *v, *e;
	size_t	 i;

	line[strcspn(line, "\n")] = '\0';
	for (k = line; isspace((unsigned char)*k); k++) {
		continue;
	}
	if (*k == '\0' || *k == '#') {
		return 0;
	}
	if ((eq = strchr(k, '=')) == NULL) {
		return -1;
	}
	for (e = eq; e > k && isspace((unsigned char)e[-1]); e--) {
		continue;
	}
	*e = '\0';
	for (v = eq + 1; isspace((unsigned char)*v); v++) {
		continue;
	}
	for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]); e--) {
		continue;
	}
	*e = '\0';
	for (i = 0; i < nitems(osrel_keys); i++) {
		if (strcmp(k, osrel_keys[i].key) == 0) {
			osrel_unquote(v);
			dsys_copy((char *)oi + osrel_keys[i].off,
			    osrel_keys[i].len, v);
			oi->has |= osrel_keys[i].bit;
		}
	}
	return 0;
}

/*
 * Whole file in one slurp (open, read, read 0, close): fopen() costs two
 * fcntl calls and a heap buffer.  A NUL ends its line's text, as fgets.
 */
static void
osrel_read(struct sys_osinfo *oi)
{
	const char	*env = getenv("QGA_OS_RELEASE");
	char		 buf[SYS_LINE_MAX], *text, *line, *nl;
	size_t		 len;
	unsigned	 keep = oi->has;

	if (env != NULL) {
		text = slurp(env, buf, sizeof(buf), &len);
	} else if ((text = slurp(vpath("/etc/os-release"), buf, sizeof(buf),
	    &len)) == NULL) {
		text = slurp(vpath("/usr/lib/os-release"), buf, sizeof(buf),
		    &len);
	}
	if (text == NULL) {
		return;
	}
	for (line = text; line < text + len; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(text + len - line))) ==
		    NULL) {
			nl = text + len;	/* the NUL slurp put there */
		}
		*nl = '\0';
		if (osrel_line(oi, line) == -1) {
			oi->has = keep;	/* GKeyFile parse error: no keys */
			break;
		}
	}
	slurp_free(text, buf);
}

int
sys_osinfo(struct sys_osinfo *oi, struct verr *e)
{
	struct utsname	u;

	(void)e;
	memset(oi, 0, sizeof(*oi));
	if (uname(&u) == 0) {
		dsys_copy(oi->kernel_release, sizeof(oi->kernel_release),
		    u.release);
		dsys_copy(oi->kernel_version, sizeof(oi->kernel_version),
		    u.version);
		dsys_copy(oi->machine, sizeof(oi->machine),
		    u.machine);
		oi->has |= SYS_OS_UNAME;
	}
	osrel_read(oi);
	return 0;
}

int
sys_hostname(char *buf, size_t n, struct verr *e)
{
	struct utsname	u;

	if (n == 0) {
		return verr_set(e, EINVAL, "no room for the host name");
	}
	/* Newest qemu-ga answers "localhost" rather than failing. */
	if (uname(&u) == -1 || u.nodename[0] == '\0') {
		dsys_copy(buf, n, "localhost");
	} else {
		dsys_copy(buf, n, u.nodename);
	}
	return 0;
}

/* Is name one of the blank separated names after the address in line? */
static int
hosts_find(char *line, const char *host, char *out, size_t n)
{
	char	*tok, *save = NULL, *dotted = NULL;
	int	 found = 0, first = 1;

	line[strcspn(line, "#\n")] = '\0';
	for (tok = strtok_r(line, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (first) {		/* the address */
			first = 0;
			continue;
		}
		if (strcmp(tok, host) == 0) {
			found = 1;
		}
		if (dotted == NULL && strchr(tok, '.') != NULL) {
			dotted = tok;
		}
	}
	if (found && dotted != NULL) {
		dsys_copy(out, n, dotted);
		return 1;
	}
	return 0;
}

int
sys_fqdn(char *buf, size_t n, struct verr *e)
{
	char	 line[1024], host[256];
	FILE	*f;

	if (sys_hostname(host, sizeof(host), e) == -1) {
		return -1;
	}
	dsys_copy(buf, n, host);
	if (strchr(host, '.') != NULL) {
		return 0;
	}
	/* Like getfqdn(), without DNS (which could block the loop). */
	if ((f = fopen(vpath("/etc/hosts"), "re")) == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (hosts_find(line, host, buf, n)) {
			break;
		}
	}
	fclose(f);
	return 0;
}

static int32_t
tz_offset_at(time_t t)
{
	struct tm	tm;

	if (localtime_r(&t, &tm) == NULL) {
		return 0;
	}
	return (int32_t)tm.tm_gmtoff;
}

/* IANA name: the /etc/localtime link after "zoneinfo/", else /etc/timezone. */
static void
tz_name(char *buf, size_t n)
{
	char	 link[512];
	ssize_t	 len;
	char	*p;

	buf[0] = '\0';
	len = readlink(vpath("/etc/localtime"), link, sizeof(link) - 1);
	if (len > 0) {
		link[len] = '\0';
		if ((p = strstr(link, "zoneinfo/")) != NULL) {
			dsys_copy(buf, n, p + strlen("zoneinfo/"));
			return;
		}
	}
	if (vread_line(vpath("/etc/timezone"), link, sizeof(link)) == 0) {
		dsys_copy(buf, n, link);
	}
}

int
sys_timezone(struct sys_tz *tz, struct verr *e)
{
	struct tm	tm;
	time_t		now = time(NULL);
	int32_t		jan, jul;

	memset(tz, 0, sizeof(*tz));
	tzset();
	if (localtime_r(&now, &tm) == NULL) {
		return verr_set(e, errno, "Couldn't retrieve local timezone");
	}
	dsys_copy(tz->abbr, sizeof(tz->abbr), tm.tm_zone != NULL ? tm.tm_zone : "");
	tz->offset = (int32_t)tm.tm_gmtoff;
	/* Standard time is the smaller offset of January and July. */
	tm.tm_mon = 0;
	tm.tm_mday = 1;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	jan = tz_offset_at(timegm(&tm));
	tm.tm_mon = 6;
	jul = tz_offset_at(timegm(&tm));
	tz->std_offset = jan < jul ? jan : jul;
	tz_name(tz->name, sizeof(tz->name));
	return 0;
}

int
sys_time_ns(int64_t *ns, struct verr *e)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1) {
		return verr_set(e, errno, "clock_gettime");
	}
	/* qemu-ga: g_get_real_time() * 1000, so microsecond resolution. */
	*ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec / 1000 * 1000;
	return 0;
}

/* "cpu12" → 12 with prefix "cpu"; -1 unless prefix + digits only. */
static int
dent_index(const char *name, const char *prefix, uint64_t *id)
{
	size_t	 pl = strlen(prefix);
	char	*end;

	if (strncmp(name, prefix, pl) != 0 ||
	    !isdigit((unsigned char)name[pl])) {
		return -1;
	}
	errno = 0;
	*id = strtoull(name + pl, &end, 10);
	return (*end != '\0' || errno != 0) ? -1 : 0;
}

/* Grow *v (element size sz) to hold one more; -1 on ENOMEM. */
static int
grow(void *vp, size_t *cap, size_t n, size_t sz)
{
	void	**v = vp, *p;
	size_t	 nc;

	if (n < *cap) {
		return 0;
	}
	nc = *cap ? *cap * 2 : 16;
	if (nc > SIZE_MAX / sz || (p = realloc(*v, nc * sz)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	*v = p;
	*cap = nc;
	return 0;
}

static int
vcpu_read(DIR *d, uint64_t id, struct sys_vcpu *c)
{
	char	path[64], val[16];
	int	fd;

	c->id = (int64_t)id;
	c->online = 1;		/* unknown: online and not removable */
	c->can_offline = 0;
	snprintf(path, sizeof(path), "cpu%llu/online", (unsigned long long)id);
	fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		/* No "online" file (typically cpu0): online, not removable. */
		return errno == ENOENT ? 0 : -1;
	}
	memset(val, 0, sizeof(val));
	if (read(fd, val, sizeof(val) - 1) <= 0) {
		close(fd);
		return -1;
	}
	close(fd);
	c->online = val[0] != '0';
	c->can_offline = 1;
	return 0;
}

int
sys_vcpus(struct sys_vcpu **v, size_t *n, struct verr *e)
{
	const char	*dir = vpath("/sys/devices/system/cpu");
	struct dirent	*de;
	DIR		*d;
	size_t		 cap = 0;
	uint64_t	 id;

	*v = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		return verr_set(e, errno, "failed to open directory %s", dir);
	}
	while ((de = readdir(d)) != NULL) {
		if (dent_index(de->d_name, "cpu", &id) == -1) {
			continue;
		}
		if (grow(v, &cap, *n, sizeof(**v)) == -1) {
			closedir(d);
			free(*v);
			*v = NULL;
			*n = 0;
			return verr_set(e, ENOMEM, "out of memory");
		}
		if (vcpu_read(d, id, &(*v)[*n]) == -1) {
			log_debug("vcpu %llu: %s", (unsigned long long)id,
			    strerror(errno));
		}
		(*n)++;
	}
	closedir(d);
	return 0;
}

int
sys_cpus_online(void)
{
	long	n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 && n < 1 << 20 ? (int)n : -1;
}

static int
memblk_read(DIR *d, uint64_t id, struct sys_memblk *m)
{
	char	path[64], val[32];
	int	fd;
	ssize_t	len;

	m->phys_index = id;
	snprintf(path, sizeof(path), "memory%llu/state", (unsigned long long)id);
	if ((fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC)) == -1) {
		return -1;
	}
	len = read(fd, val, sizeof(val) - 1);
	close(fd);
	if (len <= 0) {
		return -1;
	}
	val[len] = '\0';
	m->online = strncmp(val, "online", 6) == 0;
	/* qemu-ga: can-offline from "removable"; a missing file means no. */
	snprintf(path, sizeof(path), "memory%llu/removable",
	    (unsigned long long)id);
	m->has_can_offline = 1;
	if ((fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC)) == -1) {
		m->can_offline = 0;
		return 0;
	}
	len = read(fd, val, sizeof(val) - 1);
	close(fd);
	m->can_offline = len > 0 && val[0] == '1';
	return 0;
}

int
sys_memblocks(struct sys_memblk **v, size_t *n, struct verr *e)
{
	const char	*dir = vpath("/sys/devices/system/memory");
	struct dirent	*de;
	DIR		*d;
	size_t		 cap = 0;
	uint64_t	 id;

	*v = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		return verr_set(e, errno, "Can't open directory "
		    "\"/sys/devices/system/memory\": %s", strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (dent_index(de->d_name, "memory", &id) == -1) {
			continue;
		}
		if (grow(v, &cap, *n, sizeof(**v)) == -1) {
			closedir(d);
			free(*v);
			*v = NULL;
			*n = 0;
			return verr_set(e, ENOMEM, "out of memory");
		}
		memset(&(*v)[*n], 0, sizeof(**v));
		if (memblk_read(d, id, &(*v)[*n]) == 0) {
			(*n)++;		/* an unreadable block is left out */
		}
	}
	closedir(d);
	return 0;
}

int
sys_memblock_size(uint64_t *size, struct verr *e)
{
	const char	*p = vpath("/sys/devices/system/memory/block_size_bytes");
	char		 line[64], *end;

	if (vread_line(p, line, sizeof(line)) == -1) {
		return verr_set(e, errno, "open(\"%s\"): %s",
		    "/sys/devices/system/memory/block_size_bytes",
		    strerror(errno));
	}
	errno = 0;
	*size = strtoull(line, &end, 16);	/* hex, no 0x */
	if (end == line || errno != 0) {
		return verr_set(e, EINVAL, "bad block_size_bytes '%s'", line);
	}
	return 0;
}

int
sys_load(struct sys_load *l, struct verr *e)
{
	char	line[256];

	if (vread_line(vpath("/proc/loadavg"), line, sizeof(line)) == -1) {
		return verr_set(e, errno, "cannot read /proc/loadavg");
	}
	if (vscan(line, "%lf %lf %lf", &l->avg[0], &l->avg[1],
	    &l->avg[2]) != 3) {
		return verr_set(e, EINVAL, "cannot parse /proc/loadavg");
	}
	return 0;
}

static int
cpustat_line(const char *line, long tck, struct sys_cpustat *c)
{
	unsigned long long	 x[10];
	int			 cpu, i, k;

	if (!isdigit((unsigned char)line[3])) {
		return -1;	/* "cpu  ..." is the total: skipped */
	}
	memset(x, 0, sizeof(x));
	k = vscan(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu %llu "
	    "%llu", &cpu, &x[0], &x[1], &x[2], &x[3], &x[4], &x[5], &x[6],
	    &x[7], &x[8], &x[9]);
	if (k < 5 || cpu < 0) {
		return -1;
	}
	for (i = 0; i < 10; i++) {
		x[i] = x[i] * 1000 / (unsigned long long)tck;
	}
	memset(c, 0, sizeof(*c));
	c->cpu = cpu;
	c->nfields = k - 1;
	c->user = x[0];
	c->nice = x[1];
	c->system = x[2];
	c->idle = x[3];
	c->iowait = x[4];
	c->irq = x[5];
	c->softirq = x[6];
	c->steal = x[7];
	c->guest = x[8];
	c->guestnice = x[9];
	return 0;
}

int
sys_cpustats(struct sys_cpustat **v, size_t *n, struct verr *e)
{
	const char	*p = vpath("/proc/stat");
	char		 line[1024];
	FILE		*f;
	size_t		 cap = 0;
	long		 tck = sysconf(_SC_CLK_TCK);

	*v = NULL;
	*n = 0;
	if (tck <= 0) {
		tck = 100;	/* USER_HZ on every Linux ABI */
	}
	if ((f = fopen(p, "re")) == NULL) {
		return verr_set(e, errno, "open(\"/proc/stat\"): %s",
		    strerror(errno));
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "cpu", 3) != 0) {
			continue;
		}
		if (grow(v, &cap, *n, sizeof(**v)) == -1) {
			fclose(f);
			free(*v);
			*v = NULL;
			*n = 0;
			return verr_set(e, ENOMEM, "out of memory");
		}
		if (cpustat_line(line, tck, &(*v)[*n]) == 0) {
			(*n)++;
		}
	}
	fclose(f);
	return 0;
}

int
sys_meminfo(struct sys_meminfo *m, struct verr *e)
{
	static const struct {
		const char	*key;
		unsigned	 bit;
		size_t		 off;
	} keys[] = {
		{ "MemTotal:", SYS_MEM_TOTAL, offsetof(struct sys_meminfo, total) },
		{ "MemFree:", SYS_MEM_FREE, offsetof(struct sys_meminfo, free) },
		{ "MemAvailable:", SYS_MEM_AVAILABLE,
		    offsetof(struct sys_meminfo, available) },
		{ "Buffers:", SYS_MEM_BUFFERS,
		    offsetof(struct sys_meminfo, buffers) },
		{ "Cached:", SYS_MEM_CACHED, offsetof(struct sys_meminfo, cached) },
		{ "SwapTotal:", SYS_MEM_SWAP_TOTAL,
		    offsetof(struct sys_meminfo, swap_total) },
		{ "SwapFree:", SYS_MEM_SWAP_FREE,
		    offsetof(struct sys_meminfo, swap_free) },
	};
	char			 line[256], key[64];
	unsigned long long	 kb;
	FILE			*f;
	size_t			 i;

	memset(m, 0, sizeof(*m));
	if ((f = fopen(vpath("/proc/meminfo"), "re")) == NULL) {
		return verr_set(e, errno, "open(\"/proc/meminfo\"): %s",
		    strerror(errno));
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (vscan(line, "%63s %llu", key, &kb) != 2) {
			continue;
		}
		for (i = 0; i < nitems(keys); i++) {
			if (strcmp(key, keys[i].key) == 0 &&
			    kb <= UINT64_MAX / 1024) {
				*(uint64_t *)((char *)m + keys[i].off) =
				    (uint64_t)kb * 1024;
				m->has |= keys[i].bit;
			}
		}
	}
	fclose(f);
	if (!(m->has & SYS_MEM_TOTAL)) {
		return verr_set(e, EINVAL, "no MemTotal in /proc/meminfo");
	}
	return 0;
}

int
sys_vmstat(struct sys_vmstat *s, struct verr *e)
{
	char			 line[256], key[64];
	unsigned long long	 val;
	FILE			*f;

	memset(s, 0, sizeof(*s));
	if ((f = fopen(vpath("/proc/vmstat"), "re")) == NULL) {
		return verr_set(e, errno, "open(\"/proc/vmstat\"): %s",
		    strerror(errno));
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (vscan(line, "%63s %llu", key, &val) != 2) {
			continue;
		}
		if (strcmp(key, "pswpin") == 0) {
			s->pswpin = val;
		} else if (strcmp(key, "pswpout") == 0) {
			s->pswpout = val;
		} else if (strcmp(key, "pgfault") == 0) {
			s->pgfault = val;
		} else if (strcmp(key, "pgmajfault") == 0) {
			s->pgmajfault = val;
		}
	}
	fclose(f);
	return 0;
}
