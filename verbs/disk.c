/*
 * disk.c: mounts, filesystems and the disks under them, block devices and
 * I/O counters for qemu-ga (guest-get-fsinfo, -get-disks, -get-diskstats)
 * and oVirt (disks-usage and its serial -> device mapping).  The sysfs walk
 * follows qemu-ga's commands-linux.c; udev's devnode and ID_SERIAL are
 * rebuilt from sysfs (uevent DEVNAME, serial attributes, SCSI VPD pages).
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk.h"
#include "slurp.h"
#include "verbs.h"
#include "dsys.h"

#define DISK_DEPTH_MAX	8		/* dm on dm on md ...: enough */

static const char *const bus_names[] = {
	"ide", "fdc", "scsi", "virtio", "xen", "usb", "uml", "sata", "sd",
	"unknown", "ieee1394", "ssa", "fibre", "raid", "iscsi", "sas", "mmc",
	"virtual", "file-backed-virtual", "nvme"
};

const char *
disk_bus_name(enum disk_bus b)
{
	return (size_t)b < nitems(bus_names) ? bus_names[b] : "unknown";
}

/* ---- mounts ------------------------------------------------------------- */

/* mountinfo escapes blanks, tabs, newlines and '\' as \ooo. */
static void
unescape(char *s)
{
	char	*d = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
			    (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/* Next blank-separated field, cut in place; NULL at the end of line. */
static char *
field(char **p)
{
	char	*s = *p, *e;

	while (*s == ' ') {
		s++;
	}
	if (*s == '\0') {
		return NULL;
	}
	for (e = s; *e != ' ' && *e != '\0'; e++) {
		continue;
	}
	if (*e != '\0') {
		*e++ = '\0';
	}
	*p = e;
	return s;
}

/* "254:16" → 254, 16 */
static int
majmin(const char *s, unsigned *maj, unsigned *min)
{
	char		*end;
	unsigned long	 a, b;

	a = strtoul(s, &end, 10);
	if (end == s || *end != ':') {
		return -1;
	}
	s = end + 1;
	b = strtoul(s, &end, 10);
	if (end == s || *end != '\0' || a > UINT_MAX || b > UINT_MAX) {
		return -1;
	}
	*maj = (unsigned)a;
	*min = (unsigned)b;
	return 0;
}

/*
 * "36 35 98:0 /root /mnt opts [optional...] - type source superopts".
 * dir, type and source share one allocation, owned by dir.
 */
static int
mountinfo_line(char *line, struct disk_mount *m, int block_only)
{
	char		*p = line, *f[5], *t, *type, *src;
	unsigned	 maj, min;
	size_t		 ld, lt, ls;
	struct stat	 st;
	int		 i;

	for (i = 0; i < 5; i++) {	/* id, parent, maj:min, root, dir */
		if ((f[i] = field(&p)) == NULL) {
			return -1;
		}
	}
	if (majmin(f[2], &maj, &min) == -1) {
		return -1;
	}
	while ((t = field(&p)) != NULL && strcmp(t, "-") != 0) {
		continue;		/* options and optional fields */
	}
	if (t == NULL || (type = field(&p)) == NULL) {
		return -1;
	}
	if (block_only && maj == 0 && strcmp(type, "btrfs") != 0) {
		return -1;		/* not disk_mount_is_block() */
	}
	unescape(f[4]);
	if ((src = field(&p)) != NULL) {
		unescape(src);
	}
	if (src == NULL) {
		src = type + strlen(type);	/* "" */
	}
	memset(m, 0, sizeof(*m));
	ld = strlen(f[4]) + 1;
	lt = strlen(type) + 1;
	ls = strlen(src) + 1;
	if ((m->dir = malloc(ld + lt + ls)) == NULL) {
		return -2;
	}
	m->type = m->dir + ld;
	m->source = m->type + lt;
	memcpy(m->dir, f[4], ld);
	memcpy(m->type, type, lt);
	memcpy(m->source, src, ls);
	/* btrfs reports major 0: qemu-ga stats the source device instead. */
	if (maj == 0 && strcmp(m->type, "btrfs") == 0 &&
	    stat(m->source, &st) == 0 && S_ISBLK(st.st_mode)) {
		maj = major(st.st_rdev);
		min = minor(st.st_rdev);
	}
	m->major = maj;
	m->minor = min;
	return 0;
}

/*
 * The array handed out last, and one kept for the next call: with musl's
 * mallocng a malloc/free pair of this size per request is an mmap and a
 * munmap.
 */
#define DISK_KEEP_MAX	256		/* mounts; a bigger array goes back */
static struct disk_mount *mounts_out, *mounts_keep;
static size_t		  mounts_out_cap, mounts_keep_cap;

static int
mounts_read(struct disk_mount **v, size_t *n, int block_only,
    struct verr *e)
{
	struct disk_mount	*p;
	char			 buf[16384], *text, *cur, *line;
	size_t			 cap = 0;
	int			 r;

	*v = NULL;
	*n = 0;
	if ((text = slurp(vpath("/proc/self/mountinfo"), buf, sizeof(buf),
	    NULL)) == NULL) {
		return verr_set(e, errno, "failed to open /proc/self/mountinfo:"
		    " %s", strerror(errno));
	}
	*v = mounts_keep;
	cap = mounts_keep_cap;
	mounts_keep = NULL;
	for (cur = text; (line = slurp_line(&cur)) != NULL;) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((p = realloc(*v, cap * sizeof(*p))) == NULL) {
				goto nomem;
			}
			*v = p;
		}
		if ((r = mountinfo_line(line, &(*v)[*n], block_only)) == 0) {
			(*n)++;
		} else if (r == -2) {
			goto nomem;
		}
	}
	slurp_free(text, buf);
	mounts_out = *v;
	mounts_out_cap = cap;
	return 0;
nomem:
	slurp_free(text, buf);
	disk_mounts_free(*v, *n);
	*v = NULL;
	*n = 0;
	return verr_set(e, ENOMEM, "out of memory");
}

int
disk_mounts(struct disk_mount **v, size_t *n, struct verr *e)
{
	return mounts_read(v, n, 0, e);
}

void
disk_mounts_free(struct disk_mount *v, size_t n)
{
	size_t	i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i].dir);		/* type and source live in it */
	}
	if (v != NULL && v == mounts_out) {
		mounts_out = NULL;
		if (mounts_keep == NULL && mounts_out_cap <= DISK_KEEP_MAX) {
			mounts_keep = v;
			mounts_keep_cap = mounts_out_cap;
			return;
		}
	}
	free(v);
}

int
disk_mount_stat(struct disk_mount *m)
{
	struct statvfs	sv;

	m->has_stat = 0;
	if (statvfs(m->dir, &sv) == -1) {
		return -1;
	}
	m->blocks = sv.f_blocks;
	m->bfree = sv.f_bfree;
	m->bavail = sv.f_bavail;
	m->frsize = sv.f_frsize;
	m->bsize = sv.f_bsize;
	m->has_stat = 1;
	return 0;
}

int
disk_mount_is_block(const struct disk_mount *m)
{
	return m->major != 0;
}

/* ---- guest-get-fsinfo --------------------------------------------------- */

static int
fs_push(struct disk_fs *fs, const struct disk_addr *a)
{
	struct disk_addr	*p;

	p = realloc(fs->disk, (fs->ndisk + 1) * sizeof(*p));
	if (p == NULL) {
		return -1;
	}
	fs->disk = p;
	fs->disk[fs->ndisk++] = *a;
	return 0;
}

static int fs_device(const char *, struct disk_fs *, int);

/* device-mapper, md, loop: the disks are the slaves (qemu-ga order). */
static int
fs_virtual(const char *syspath, struct disk_fs *fs, int depth)
{
	char		 dir[PATH_MAX], path[PATH_MAX];
	struct dirent	*de;
	DIR		*d;
	int		 r = 0;

	dsys_fmt(dir, sizeof(dir), "%s/slaves", syspath);
	if ((d = opendir(dir)) == NULL) {
		return 0;
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (de->d_type != DT_LNK) {
			continue;
		}
		if (dsys_fmt(path, sizeof(path), "%s/%s", dir,
		    de->d_name) == 0) {
			r = fs_device(path, fs, depth + 1);
		}
	}
	closedir(d);
	return r;
}

/* qemu-ga build_guest_fsinfo_for_device(); -1 only when out of memory. */
static int
fs_device(const char *devpath, struct disk_fs *fs, int depth)
{
	char			 sys[PATH_MAX];
	const char		*b;
	struct disk_addr	 a;

	if (depth > DISK_DEPTH_MAX) {
		return 0;
	}
	if (dsys_resolve(devpath, sys, sizeof(sys)) == -1) {
		/* A hot-unplugged disk or a container: name only, no disks. */
		if (fs->name[0] == '\0') {
			b = strrchr(devpath, '/');
			dsys_copy(fs->name, sizeof(fs->name), b ? b + 1 : devpath);
		}
		return 0;
	}
	if (fs->name[0] == '\0') {
		b = strrchr(sys, '/');
		dsys_copy(fs->name, sizeof(fs->name), b ? b + 1 : sys);
	}
	if (strstr(sys, "/devices/virtual/block/") != NULL) {
		return fs_virtual(sys, fs, depth);
	}
	if (dsys_addr(sys, &a) == 0) {
		return fs_push(fs, &a);
	}
	return 0;
}

/* Copy name and disks from an earlier entry on the same device. */
static int
same_dev(struct disk_fs *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (v[i].m->major != v[n].m->major ||
		    v[i].m->minor != v[n].m->minor) {
			continue;
		}
		memcpy(v[n].name, v[i].name, sizeof(v[n].name));
		if (v[i].ndisk == 0) {
			return 0;
		}
		v[n].disk = malloc(v[i].ndisk * sizeof(*v[n].disk));
		if (v[n].disk == NULL) {
			return -1;
		}
		memcpy(v[n].disk, v[i].disk, v[i].ndisk * sizeof(*v[n].disk));
		v[n].ndisk = v[i].ndisk;
		return 0;
	}
	return -1;
}

int
disk_fsinfo(struct disk_fs **vp, size_t *np, struct disk_mount **mv,
    size_t *mn, struct verr *e)
{
	struct disk_fs	*v;
	char		 dev[64];
	size_t		 i, n = 0;

	*vp = NULL;
	*np = 0;
	if (mounts_read(mv, mn, 1, e) == -1) {	/* block-backed only */
		return -1;
	}
	if ((v = calloc(*mn ? *mn : 1, sizeof(*v))) == NULL) {
		disk_mounts_free(*mv, *mn);
		return verr_set(e, ENOMEM, "out of memory");
	}
	for (i = 0; i < *mn; i++) {
		struct disk_mount *m = &(*mv)[i];

		if (!disk_mount_is_block(m)) {
			continue;	/* tmpfs, proc, nfs, overlay, ... */
		}
		v[n].m = m;
		(void)disk_mount_stat(m);
		if (same_dev(v, n) == 0) {	/* bind mounts: walk once */
			n++;
			continue;
		}
		dsys_fmt(dev, sizeof(dev), "/sys/dev/block/%u:%u", m->major,
		    m->minor);
		if (fs_device(vpath(dev), &v[n], 0) == -1) {
			n++;
			disk_fsinfo_free(v, n, *mv, *mn);
			*mv = NULL;
			*mn = 0;
			return verr_set(e, ENOMEM, "out of memory");
		}
		n++;
	}
	*vp = v;
	*np = n;
	return 0;
}

void
disk_fsinfo_free(struct disk_fs *v, size_t n, struct disk_mount *mv,
    size_t mn)
{
	size_t	i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i].disk);
	}
	free(v);
	disk_mounts_free(mv, mn);
}

/* ---- guest-get-disks ---------------------------------------------------- */

static int
dev_push(struct disk_dev **v, size_t *n, size_t *cap)
{
	struct disk_dev	*p;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if ((p = realloc(*v, *cap * sizeof(*p))) == NULL) {
			return -1;
		}
		*v = p;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	return 0;
}

static int
dep_push(struct disk_dev *d, const char *name)
{
	char	(*p)[64];

	if ((p = realloc(d->deps, (d->ndeps + 1) * sizeof(*p))) == NULL) {
		return -1;
	}
	d->deps = p;
	dsys_fmt(d->deps[d->ndeps++], sizeof(*p), "%s", name);
	return 0;
}

/* "/dev/NAME" from uevent, else from the kernel name. */
static void
dev_name(const char *syspath, const char *kname, char *buf, size_t n)
{
	if (dsys_devnode(syspath, buf, n) == -1) {
		dsys_fmt(buf, n, "/dev/%s", kname);
	}
}

/* The slaves of a virtual device are its dependencies. */
static int
dev_deps(const char *dir, struct disk_dev *d)
{
	char		 sub[PATH_MAX], path[PATH_MAX], name[64];
	struct dirent	*de;
	DIR		*dp;
	int		 r = 0;

	dsys_fmt(sub, sizeof(sub), "%s/slaves", dir);
	if ((dp = opendir(sub)) == NULL) {
		return 0;
	}
	while (r == 0 && (de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.') {
			continue;
		}
		if (dsys_fmt(path, sizeof(path), "%s/%s", sub,
		    de->d_name) == -1) {
			continue;
		}
		dev_name(path, de->d_name, name, sizeof(name));
		r = dep_push(d, name);
	}
	closedir(dp);
	return r;
}

static int
dev_parts(const char *dir, struct disk_dev **v, size_t *n, size_t *cap)
{
	char		 path[PATH_MAX], tmp[16];
	struct disk_dev	*parent = &(*v)[*n - 1], *d;
	struct dirent	*de;
	DIR		*dp;
	size_t		 pi = *n - 1;

	if ((dp = opendir(dir)) == NULL) {
		return 0;
	}
	while ((de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, parent->kname,
		    strlen(parent->kname)) != 0 || strlen(de->d_name) >=
		    sizeof(d->kname)) {
			continue;
		}
		dsys_fmt(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (dsys_attr(path, "partition", tmp, sizeof(tmp)) == -1) {
			continue;
		}
		if (dev_push(v, n, cap) == -1) {
			closedir(dp);
			return -1;
		}
		parent = &(*v)[pi];
		d = &(*v)[*n];
		(*n)++;
		dsys_copy(d->kname, sizeof(d->kname), de->d_name);
		dev_name(path, d->kname, d->name, sizeof(d->name));
		d->partition = 1;
		if (dep_push(d, parent->name) == -1) {
			closedir(dp);
			return -1;
		}
	}
	closedir(dp);
	return 0;
}

static int
dev_one(const char *kname, struct disk_dev **v, size_t *n, size_t *cap)
{
	char			 dir[PATH_MAX], sys[PATH_MAX], line[64];
	struct disk_dev		*d;
	unsigned long long	 sectors;

	dsys_fmt(dir, sizeof(dir), "%s/%s", vpath("/sys/block"), kname);
	if (dsys_attr(dir, "size", line, sizeof(line)) == -1 ||
	    (sectors = strtoull(line, NULL, 10)) == 0 ||
	    strlen(kname) >= sizeof(d->kname)) {
		return 0;		/* empty loop devices, zram, cdroms */
	}
	if (dev_push(v, n, cap) == -1) {
		return -1;
	}
	d = &(*v)[(*n)++];
	dsys_copy(d->kname, sizeof(d->kname), kname);
	dev_name(dir, kname, d->name, sizeof(d->name));
	d->size = (uint64_t)sectors * 512;	/* "size" is in 512-byte units */
	(void)dsys_attr(dir, "dm/name", d->alias, sizeof(d->alias));
	if (dsys_resolve(dir, sys, sizeof(sys)) == 0 &&
	    strstr(sys, "/devices/virtual/block/") == NULL &&
	    dsys_addr(sys, &d->addr) == 0) {
		d->has_addr = 1;
		if (d->addr.bus_type == DISK_BUS_NVME &&
		    dsys_nvme_smart(d->name, &d->smart) == 0) {
			d->has_smart = 1;
		}
	}
	if (dev_deps(dir, d) == -1) {
		return -1;
	}
	return dev_parts(dir, v, n, cap);
}

int
disk_list(struct disk_dev **v, size_t *n, struct verr *e)
{
	const char	*dir = vpath("/sys/block");
	struct dirent	*de;
	DIR		*dp;
	size_t		 cap = 0;

	*v = NULL;
	*n = 0;
	if ((dp = opendir(dir)) == NULL) {
		return verr_set(e, errno, "Can't open directory \"/sys/block\"");
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.') {
			continue;
		}
		if (dev_one(de->d_name, v, n, &cap) == -1) {
			closedir(dp);
			disk_list_free(*v, *n);
			*v = NULL;
			*n = 0;
			return verr_set(e, ENOMEM, "out of memory");
		}
	}
	closedir(dp);
	return 0;
}

void
disk_list_free(struct disk_dev *v, size_t n)
{
	size_t	i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i].deps);
	}
	free(v);
}

/* ---- guest-get-diskstats ------------------------------------------------ */

static int
stat_line(const char *line, struct disk_stat *s)
{
	unsigned long long	 x[17];
	int			 k;

	memset(s, 0, sizeof(*s));
	memset(x, 0, sizeof(x));
	k = vscan(line, "%u %u %63s %llu %llu %llu %llu %llu %llu %llu %llu "
	    "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &s->major,
	    &s->minor, s->name, &x[0], &x[1], &x[2], &x[3], &x[4], &x[5],
	    &x[6], &x[7], &x[8], &x[9], &x[10], &x[11], &x[12], &x[13],
	    &x[14], &x[15], &x[16]);
	if (k < 7) {
		return -1;
	}
	s->nfields = k - 3;
	if (k < 14) {		/* old kernels' partition lines: 4 columns */
		s->nfields = 4;
		s->read_ios = x[0];
		s->read_sectors = x[1];
		s->write_ios = x[2];
		s->write_sectors = x[3];
		return 0;
	}
	s->read_ios = x[0];
	s->read_merges = x[1];
	s->read_sectors = x[2];
	s->read_ticks = x[3];
	s->write_ios = x[4];
	s->write_merges = x[5];
	s->write_sectors = x[6];
	s->write_ticks = x[7];
	s->ios_pgr = x[8];
	s->total_ticks = x[9];
	s->weight_ticks = x[10];
	s->discard_ios = x[11];
	s->discard_merges = x[12];
	s->discard_sectors = x[13];
	s->discard_ticks = x[14];
	s->flush_ios = x[15];
	s->flush_ticks = x[16];
	return 0;
}

int
disk_stats(struct disk_stat **v, size_t *n, struct verr *e)
{
	char			 line[512];
	struct disk_stat	*p;
	size_t			 cap = 0;
	FILE			*f;

	*v = NULL;
	*n = 0;
	if ((f = fopen(vpath("/proc/diskstats"), "re")) == NULL) {
		return verr_set(e, errno, "open(\"/proc/diskstats\"): %s",
		    strerror(errno));
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((p = realloc(*v, cap * sizeof(*p))) == NULL) {
				fclose(f);
				free(*v);
				*v = NULL;
				*n = 0;
				return verr_set(e, ENOMEM, "out of memory");
			}
			*v = p;
		}
		if (stat_line(line, &(*v)[*n]) == 0) {
			(*n)++;
		}
	}
	fclose(f);
	return 0;
}
