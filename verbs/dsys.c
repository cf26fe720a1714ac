/*
 * dsys.c: the sysfs side of disk.c: a block device's node, udev-like
 * ID_SERIAL, its GuestDiskAddress (qemu-ga's build_guest_fsinfo_for_pci_dev
 * and friends, qga/commands-linux.c) and the NVMe health log.  No libudev:
 * uevent DEVNAME, serial attributes and SCSI VPD pages stand in for it.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <ctype.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/nvme_ioctl.h>

#include "disk.h"
#include "dsys.h"
#include "verbs.h"

#define DISK_HOSTS_MAX	8		/* qemu-ga build_hosts(): hosts[8] */
#define DISK_SERIAL_CACHE 32		/* virtio serials remembered */
#define DISK_ADDR_CACHE	16		/* device addresses remembered */

/* snprintf that says -1 when the text did not fit (then truncated). */
int
dsys_fmt(char *buf, size_t n, const char *fmt, ...)
{
	va_list	ap;
	int	r;

	va_start(ap, fmt);
	r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return (r < 0 || (size_t)r >= n) ? -1 : 0;
}

/* Bounded copy that always terminates (truncates silently). */
void
dsys_copy(char *dst, size_t n, const char *src)
{
	size_t	len = strlen(src);

	if (len >= n) {
		len = n - 1;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* ---- sysfs: device nodes, serials, addresses ----------------------------- */

/* dir/name, first line, trailing blanks cut; -1 if unreadable or empty. */
int
dsys_attr(const char *dir, const char *name, char *buf, size_t n)
{
	char	path[PATH_MAX];
	size_t	len;

	if (dsys_fmt(path, sizeof(path), "%s/%s", dir, name) == -1 ||
	    vread_line(path, buf, n) == -1) {
		return -1;
	}
	len = strlen(buf);
	while (len > 0 && isspace((unsigned char)buf[len - 1])) {
		buf[--len] = '\0';
	}
	return len > 0 ? 0 : -1;
}

/* udev's devnode: "/dev/" + DEVNAME from the uevent file. */
int
dsys_devnode(const char *syspath, char *buf, size_t n)
{
	char	path[PATH_MAX], text[2048], *p;

	dsys_fmt(path, sizeof(path), "%s/uevent", syspath);
	if (vread_file(path, text, sizeof(text)) <= 0) {
		return -1;
	}
	for (p = text; p != NULL; p = strchr(p, '\n') ? strchr(p, '\n') + 1 :
	    NULL) {
		if (strncmp(p, "DEVNAME=", 8) == 0) {
			p += 8;
			p[strcspn(p, "\n")] = '\0';
			dsys_fmt(buf, n, "/dev/%s", p);
			return 0;
		}
	}
	return -1;
}

/* udev's string_escape=replace: blanks become '_'. */
static void
blank_to_us(char *s)
{
	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s)) {
			*s = '_';
		}
	}
}

/* Trimmed bytes [off, off+len) of a binary VPD page as text. */
static void
vpd_text(const unsigned char *p, size_t len, char *buf, size_t n)
{
	size_t	i, k = 0;

	while (len > 0 && (p[0] == ' ' || p[0] == '\0')) {
		p++;
		len--;
	}
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\0')) {
		len--;
	}
	for (i = 0; i < len && k + 1 < n; i++) {
		buf[k++] = isprint(p[i]) ? (char)p[i] : '_';
	}
	buf[k] = '\0';
	blank_to_us(buf);
}

/*
 * SCSI (and SATA behind libata) disks: scsi_id's ID_SERIAL from VPD page
 * 0x83 (vendor specific designator: "0" + VENDOR_MODEL_SERIAL, as QEMU's
 * scsi-hd shows it; NAA: "3" + hex), else page 0x80 ("S" prefix).
 */
static int
scsi_serial(const char *disk, char *buf, size_t n)
{
	char		 path[PATH_MAX], vendor[64], model[64], id[256];
	unsigned char	 pg[1024];
	ssize_t		 len;
	size_t		 off, dl, i;

	if (dsys_attr(disk, "device/vendor", vendor, sizeof(vendor)) == -1 ||
	    dsys_attr(disk, "device/model", model, sizeof(model)) == -1) {
		return -1;
	}
	blank_to_us(vendor);
	blank_to_us(model);
	dsys_fmt(path, sizeof(path), "%s/device/vpd_pg83", disk);
	len = vread_file(path, (char *)pg, sizeof(pg));
	for (off = 4; len > 4 && off + 4 <= (size_t)len; off += 4 + dl) {
		dl = pg[off + 3];
		if (off + 4 + dl > (size_t)len) {
			break;
		}
		if ((pg[off + 1] & 0x0f) == 0) {	/* vendor specific */
			vpd_text(pg + off + 4, dl, id, sizeof(id));
			dsys_fmt(buf, n, "0%s_%s_%s", vendor, model, id);
			return 0;
		}
		if ((pg[off + 1] & 0x0f) == 3 && dl <= 16) {	/* NAA */
			buf[0] = '3';
			for (i = 0; i < dl && 2 * i + 3 < n; i++) {
				dsys_fmt(buf + 1 + 2 * i, 3, "%02x", pg[off + 4 + i]);
			}
			return 0;
		}
	}
	dsys_fmt(path, sizeof(path), "%s/device/vpd_pg80", disk);
	len = vread_file(path, (char *)pg, sizeof(pg));
	if (len > 4 && (size_t)len >= 4 + (size_t)pg[3]) {
		vpd_text(pg + 4, pg[3], id, sizeof(id));
		if (id[0] != '\0') {
			dsys_fmt(buf, n, "S%s_%s_%s", vendor, model, id);
			return 0;
		}
	}
	return -1;
}

/*
 * Reading virtio-blk's "serial" asks the host (VIRTIO_BLK_T_GET_ID): about
 * 100 us.  udev reads it once per device; so do we, keyed by the sysfs
 * directory's path and inode (a re-plugged disk gets a new inode).
 */
static struct {
	uint64_t	 hash;
	ino_t		 ino;
	dev_t		 dev;
	int		 ok;
	char		 serial[128];
} serial_cache[DISK_SERIAL_CACHE];
static unsigned	serial_next;

static uint64_t
path_hash(const char *s)
{
	uint64_t	h = 14695981039346656037ull;	/* FNV-1a 64 */

	while (*s != '\0') {
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	}
	return h;
}

static int
virtio_serial(const char *disk, char *buf, size_t n)
{
	struct stat	st;
	uint64_t	h = path_hash(disk);
	unsigned	i;

	if (stat(disk, &st) == -1) {
		return -1;
	}
	for (i = 0; i < DISK_SERIAL_CACHE; i++) {
		if (serial_cache[i].hash == h && serial_cache[i].ino ==
		    st.st_ino && serial_cache[i].dev == st.st_dev) {
			dsys_copy(buf, n, serial_cache[i].serial);
			return serial_cache[i].ok ? 0 : -1;
		}
	}
	i = serial_next++ % DISK_SERIAL_CACHE;
	serial_cache[i].hash = h;
	serial_cache[i].ino = st.st_ino;
	serial_cache[i].dev = st.st_dev;
	serial_cache[i].ok = dsys_attr(disk, "serial", serial_cache[i].serial,
	    sizeof(serial_cache[i].serial)) == 0;
	if (!serial_cache[i].ok) {
		serial_cache[i].serial[0] = '\0';
	}
	dsys_copy(buf, n, serial_cache[i].serial);
	return serial_cache[i].ok ? 0 : -1;
}

/* ID_SERIAL as udev's 60-persistent-storage.rules build it. */
static int
serial(const char *syspath, char *buf, size_t n)
{
	char	disk[PATH_MAX], model[128], sn[128], *slash;

	dsys_fmt(disk, sizeof(disk), "%s", syspath);
	if (dsys_attr(disk, "partition", sn, sizeof(sn)) == 0 &&
	    (slash = strrchr(disk, '/')) != NULL) {
		*slash = '\0';		/* a partition: its disk's serial */
	}
	if (virtio_serial(disk, buf, n) == 0) {
		return 0;
	}
	if (dsys_attr(disk, "device/model", model, sizeof(model)) == 0 &&
	    dsys_attr(disk, "device/serial", sn, sizeof(sn)) == 0) {	/* nvme */
		blank_to_us(model);
		blank_to_us(sn);
		dsys_fmt(buf, n, "%s_%s", model, sn);
		return 0;
	}
	return scsi_serial(disk, buf, n);
}

/* Basename of the driver link of the first len bytes of syspath. */
static int
pci_driver(const char *syspath, size_t len, char *buf, size_t n)
{
	char	path[PATH_MAX], link[PATH_MAX], *b;
	ssize_t	l;

	if (dsys_fmt(path, sizeof(path), "%.*s/driver", (int)len,
	    syspath) == -1 ||
	    (l = readlink(path, link, sizeof(link) - 1)) <= 0) {
		return -1;
	}
	link[l] = '\0';
	b = strrchr(link, '/');
	dsys_fmt(buf, n, "%s", b != NULL ? b + 1 : link);
	return 0;
}

/* qemu-ga build_hosts(): "ataN" or "hostN" entries next to the host. */
static int
hosts(const char *syspath, const char *host, int ata, unsigned *h, int max)
{
	char		 dir[PATH_MAX];
	struct dirent	*de;
	DIR		*d;
	int		 k = 0;

	dsys_fmt(dir, sizeof(dir), "%.*s", (int)(host - syspath), syspath);
	if ((d = opendir(dir)) == NULL) {
		return -1;
	}
	while (k < max && (de = readdir(d)) != NULL) {
		if (vscan(de->d_name, ata ? "ata%u" : "host%u", &h[k]) == 1) {
			k++;
		}
	}
	closedir(d);
	return k;
}

static int
unit_of(unsigned host, const unsigned *h, int nh)
{
	int	i;

	for (i = 0; i < nh; i++) {
		if (h[i] == host) {
			return i;
		}
	}
	return -1;
}

static const char *const pci_drivers[] = {	/* qemu-ga's allow-list */
	"ata_piix", "sym53c8xx", "virtio-pci", "ahci", "nvme", "xhci_hcd",
	"ehci-pci", NULL
};

/* Walk down the PCI path to the first storage controller qemu-ga knows. */
static int
pci_controller(const char *syspath, struct disk_addr *a, char *drv,
    size_t dn)
{
	const char	*p = strstr(syspath, "/devices/pci");
	unsigned	 pci[4];
	int		 len, i;

	if (p == NULL || vscan(p + 12, "%*x:%*x/%x:%x:%x.%x%n", &pci[0],
	    &pci[1], &pci[2], &pci[3], &len) < 4) {
		return -1;
	}
	for (p += 12 + len;;) {
		if (pci_driver(syspath, (size_t)(p - syspath), drv, dn) == 0) {
			for (i = 0; pci_drivers[i] != NULL; i++) {
				if (strcmp(drv, pci_drivers[i]) == 0) {
					goto found;
				}
			}
		}
		if (vscan(p, "/%x:%x:%x.%x%n", &pci[0], &pci[1], &pci[2],
		    &pci[3], &len) != 4) {
			return -1;
		}
		p += len;
	}
found:
	a->pci_domain = (int)pci[0];
	a->pci_bus = (int)pci[1];
	a->pci_slot = (int)pci[2];
	a->pci_function = (int)pci[3];
	return 0;
}

/* qemu-ga build_guest_fsinfo_for_pci_dev(): bus type, bus, unit. */
static int
pci_addr(const char *syspath, struct disk_addr *a)
{
	char		 drv[64];
	unsigned	 tgt[3], host, h[DISK_HOSTS_MAX];
	const char	*p, *q;
	int		 has_tgt = 0, has_host = 0, ata = 0, nh = 0, u;

	if (pci_controller(syspath, a, drv, sizeof(drv)) == -1) {
		return -1;
	}
	p = strstr(syspath, "/target");
	if (p != NULL && vscan(p + 7, "%*u:%*u:%*u/%*u:%u:%u:%u", &tgt[0],
	    &tgt[1], &tgt[2]) == 3) {
		has_tgt = 1;
	}
	if ((p = strstr(syspath, "/ata")) != NULL) {
		q = p + 4;
		ata = 1;
	} else if ((p = strstr(syspath, "/host")) != NULL) {
		q = p + 5;
	}
	if (p != NULL && vscan(q, "%u", &host) == 1) {
		has_host = 1;
		if ((nh = hosts(syspath, p, ata, h, DISK_HOSTS_MAX)) < 0) {
			return -1;
		}
	}
	if (strcmp(drv, "ata_piix") == 0) {	/* a host per IDE bus */
		if (!has_host || !has_tgt || (u = unit_of(host, h, nh)) < 0) {
			return -1;
		}
		a->bus_type = DISK_BUS_IDE;
		a->bus = u;
		a->unit = (int)tgt[1];
	} else if (strcmp(drv, "sym53c8xx") == 0) {
		if (!has_tgt) {
			return -1;
		}
		a->bus_type = DISK_BUS_SCSI;
		a->unit = (int)tgt[1];
	} else if (strcmp(drv, "virtio-pci") == 0) {
		a->bus_type = has_tgt ? DISK_BUS_SCSI : DISK_BUS_VIRTIO;
		a->unit = has_tgt ? (int)tgt[2] : 0;	/* virtio-scsi LUN */
	} else if (strcmp(drv, "ahci") == 0) {	/* a host per unit */
		if (!has_host || !has_tgt || (u = unit_of(host, h, nh)) < 0) {
			return -1;
		}
		a->bus_type = DISK_BUS_SATA;
		a->unit = u;
	} else if (strcmp(drv, "nvme") == 0) {
		a->bus_type = DISK_BUS_NVME;
	} else {				/* ehci-pci, xhci_hcd */
		a->bus_type = DISK_BUS_USB;
	}
	return 0;
}

/* virtio-mmio (no PCI): virtio-blk, or virtio-scsi with a target. */
static int
mmio_addr(const char *syspath, struct disk_addr *a)
{
	const char	*p = strstr(syspath, "/target");
	unsigned	 tgt[3];

	if (p != NULL && vscan(p + 7, "%*u:%*u:%*u/%*u:%u:%u:%u", &tgt[0],
	    &tgt[1], &tgt[2]) == 3) {
		a->bus_type = DISK_BUS_SCSI;
		a->bus = (int)tgt[0];
		a->target = (int)tgt[1];
		a->unit = (int)tgt[2];
	} else {
		a->bus_type = DISK_BUS_VIRTIO;
	}
	return 0;
}

/* s390: /devices/css0/0.0.0000/0.0.0000/virtio0/... */
static int
ccw_addr(const char *syspath, struct disk_addr *a)
{
	const char	*p = strstr(syspath, "/devices/css");
	unsigned	 cssid, ssid, subchno, devno;

	if (p == NULL || vscan(p + 12, "%*x/%x.%x.%x/%*x.%*x.%x/", &cssid,
	    &ssid, &subchno, &devno) < 4 || strstr(p, "/virtio") == NULL) {
		return -1;
	}
	a->has_ccw = 1;
	a->ccw_cssid = (int)cssid;
	a->ccw_ssid = (int)ssid;
	a->ccw_subchno = (int)subchno;
	a->ccw_devno = (int)devno;
	return mmio_addr(syspath, a);
}

/* One real (non device-mapper) block device: 0 if a->... is worth keeping. */
static int
addr_fill(const char *syspath, struct disk_addr *a)
{
	int	hw = -1;

	memset(a, 0, sizeof(*a));
	a->pci_domain = a->pci_bus = a->pci_slot = a->pci_function = -1;
	a->bus_type = DISK_BUS_UNKNOWN;
	(void)dsys_devnode(syspath, a->dev, sizeof(a->dev));
	(void)serial(syspath, a->serial, sizeof(a->serial));
	if (strstr(syspath, "/devices/pci") != NULL) {
		hw = pci_addr(syspath, a);
	} else if (strstr(syspath, "/devices/css") != NULL) {
		hw = ccw_addr(syspath, a);
	} else if (strstr(syspath, "/virtio") != NULL) {
		hw = mmio_addr(syspath, a);
	}
	return (hw == 0 || a->dev[0] != '\0' || a->serial[0] != '\0') ? 0 : -1;
}

/*
 * A device's address, node and serial stay what they were until it goes:
 * remembered like the serials, by sysfs path and inode, so a repeated
 * guest-get-fsinfo costs a stat per device instead of reading uevent,
 * partition and driver links again.
 */
static struct {
	uint64_t	 hash;
	ino_t		 ino;
	dev_t		 dev;
	int		 r;
	struct disk_addr a;
} addr_cache[DISK_ADDR_CACHE];
static unsigned	addr_next;

int
dsys_addr(const char *syspath, struct disk_addr *a)
{
	struct stat	st;
	uint64_t	h = path_hash(syspath);
	unsigned	i;
	int		r;

	if (stat(syspath, &st) == -1) {
		return addr_fill(syspath, a);
	}
	for (i = 0; i < DISK_ADDR_CACHE; i++) {
		if (addr_cache[i].hash == h && addr_cache[i].ino ==
		    st.st_ino && addr_cache[i].dev == st.st_dev) {
			*a = addr_cache[i].a;
			return addr_cache[i].r;
		}
	}
	r = addr_fill(syspath, a);
	i = addr_next++ % DISK_ADDR_CACHE;
	addr_cache[i].hash = h;
	addr_cache[i].ino = st.st_ino;
	addr_cache[i].dev = st.st_dev;
	addr_cache[i].r = r;
	addr_cache[i].a = *a;
	return r;
}

/*
 * realpath() for sysfs links, with one readlink: their targets are
 * relative and the directories above them are real, so joining and
 * folding "." and ".." gives the same path (musl's realpath() does one
 * readlink per path component).
 */
int
dsys_resolve(const char *path, char *out, size_t n)
{
	char	 link[PATH_MAX], tmp[2 * PATH_MAX], *seg, *save = NULL;
	ssize_t	 l;
	size_t	 len = 0, dl;

	if ((l = readlink(path, link, sizeof(link) - 1)) == -1) {
		if (errno != EINVAL) {
			return -1;	/* ENOENT: gone */
		}
		return dsys_fmt(out, n, "%s", path);	/* not a link */
	}
	link[l] = '\0';
	dl = (size_t)(strrchr(path, '/') - path);
	if (link[0] == '/' || dsys_fmt(tmp, sizeof(tmp), "%.*s/%s", (int)dl, path,
	    link) == -1) {
		errno = EINVAL;
		return -1;
	}
	for (seg = strtok_r(tmp, "/", &save); seg != NULL;
	    seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0) {
			continue;
		}
		if (strcmp(seg, "..") == 0) {
			while (len > 0 && out[--len] != '/') {
				continue;
			}
			out[len] = '\0';
			continue;
		}
		if (len + 1 + strlen(seg) + 1 > n) {
			errno = ENAMETOOLONG;
			return -1;
		}
		out[len++] = '/';
		memcpy(out + len, seg, strlen(seg) + 1);
		len += strlen(seg);
	}
	if (len == 0) {
		dsys_copy(out, n, "/");
	}
	return 0;
}

/* ---- NVMe SMART / health log ------------------------------------------- */

#define NVME_ADMIN_GET_LOG_PAGE	0x02		/* NVMe base spec, admin opcode */
#define NVME_LOG_SMART		0x02		/* log page 02h */
#define NVME_NSID_ALL		0xffffffffu
#define NVME_LOG_RAE		(1u << 15)	/* retain asynchronous event */
#define NVME_SMART_SIZE		512

static uint64_t
le64_at(const unsigned char *p)
{
	uint64_t	v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/* qemu-ga get_nvme_smart(): the health log of a whole NVMe namespace. */
int
dsys_nvme_smart(const char *devnode, struct disk_smart *sm)
{
	static const size_t	 off[] = { 32, 48, 64, 80, 96, 112, 128, 144,
	    160, 176 };			/* 128-bit counters, spec order */
	uint64_t		*dst[nitems(off)];
	unsigned char		 log[NVME_SMART_SIZE];
	struct nvme_admin_cmd	 cmd;
	size_t			 i;
	int			 fd, r;

	memset(log, 0, sizeof(log));
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = NVME_ADMIN_GET_LOG_PAGE;
	cmd.nsid = NVME_NSID_ALL;
	cmd.addr = (uint64_t)(uintptr_t)log;
	cmd.data_len = sizeof(log);
	cmd.cdw10 = NVME_LOG_SMART | NVME_LOG_RAE |
	    ((sizeof(log) / 4 - 1) << 16);
	if ((fd = open(devnode, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		return -1;
	}
	r = ioctl(fd, NVME_IOCTL_ADMIN_CMD, &cmd);
	close(fd);
	if (r != 0) {
		return -1;
	}
	memset(sm, 0, sizeof(*sm));
	sm->critical_warning = log[0];
	sm->temperature = log[1] | log[2] << 8;	/* Kelvin, little endian */
	sm->available_spare = log[3];
	sm->available_spare_threshold = log[4];
	sm->percentage_used = log[5];
	dst[0] = sm->data_units_read;
	dst[1] = sm->data_units_written;
	dst[2] = sm->host_read_commands;
	dst[3] = sm->host_write_commands;
	dst[4] = sm->controller_busy_time;
	dst[5] = sm->power_cycles;
	dst[6] = sm->power_on_hours;
	dst[7] = sm->unsafe_shutdowns;
	dst[8] = sm->media_errors;
	dst[9] = sm->number_of_error_log_entries;
	for (i = 0; i < nitems(off); i++) {
		dst[i][0] = le64_at(log + off[i]);
		dst[i][1] = le64_at(log + off[i] + 8);
	}
	return 0;
}

