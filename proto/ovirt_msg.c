/*
 * ovirt_msg.c: every message the Linux oVirt agent sends, with the members
 * and types VDSM requires (ovirt.md 4.2, 4.4-4.6, 7.3).  The facts come from
 * the same verbs/ collectors as the qemu-ga commands; only the spelling is
 * oVirt's (FQDN as host name, f_bsize arithmetic, up non-loopback NICs).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <net/if.h>

#include "../verbs/apps.h"
#include "../verbs/containers.h"
#include "../verbs/disk.h"
#include "../verbs/net.h"
#include "ovirt.h"

/* configurations/default.conf of ovirt-guest-agent */
#define OV_APPS_DEFAULT	"kernel ovirt-guest-agent ovirt-guest-agent-common " \
	"xorg-x11-drv-qxl linux-image xserver-xorg-video-qxl xf86-video-qxl " \
	"kernel-desktop kernel-default kernel-trace kernel-vanilla " \
	"kernel-debug kernel-ec2 kernel-xen kernel-ppc64 cloud-init"
#define OV_FS_DEFAULT	"autofs binfmt_misc cgroup cgroup2 configfs debugfs " \
	"devpts devtmpfs fusectl fuse.gvfsd-fuse fuse.gvfs-fuse-daemon " \
	"hugetlbfs mqueue nfsd proc pstore rootfs rpc_pipefs securityfs " \
	"selinuxfs sysfs tmpfs tracefs udev usbfs"
#define OV_NICS_DEFAULT	"docker0"
/* statvfs() on these can hang the loop on a dead server: never sampled. */
#define OV_NETFS	"nfs nfs4 cifs smb3 smbfs ceph fuse.glusterfs " \
	"fuse.sshfs afs lustre"
/* The Engine's HasAgent test (ovirt.md 9): VDSM fakes the same entry from
 * guest-info.version on the qemu-ga channel, so both channels agree. */
#define OV_SELF_APP	"qemu-guest-agent-" ONEGA_VERSION

static void
arr_add(cJSON *a, cJSON *v)
{
	if (v != NULL && !cJSON_AddItemToArray(a, v)) {
		cJSON_Delete(v);
	}
}

/* A failing collector is logged once per kind, then at debug. */
static void
ov_fail(struct ovirt *o, const char *what, const struct verr *e)
{
	static const char *logged[16];
	size_t i;

	(void)o;
	for (i = 0; i < nitems(logged) && logged[i] != NULL; i++) {
		if (logged[i] == what) {
			log_debug("ovirt: %s: %s", what, e->msg);
			return;
		}
	}
	if (i < nitems(logged)) {
		logged[i] = what;
	}
	log_warnx("ovirt: %s: %s", what, e->msg);
}

void
ovm_trim(cJSON *list, size_t budget)
{
	struct buf b = { 0 };
	size_t used = 0;
	cJSON *c, *next;

	for (c = list->child; c != NULL; c = c->next) {
		b.off = b.len = 0;
		if (json_write(&b, c, JSON_COMPACT) == -1) {
			break;
		}
		used += buf_size(&b) + 1 + (c->string ? strlen(c->string) + 3 :
		    0);
		if (used > budget) {
			break;
		}
	}
	buf_reset(&b);
	if (c == NULL) {
		return;
	}
	log_warnx("ovirt: a list was cut to stay under %zu bytes", budget);
	for (; c != NULL; c = next) {
		next = c->next;
		cJSON_Delete(cJSON_DetachItemViaPointer(list, c));
	}
}

/* ---- heartbeat (4.4) ----------------------------------------------------- */

static uint64_t
rate(uint64_t now, uint64_t then, int64_t ms)
{
	return now >= then && ms > 0 ? (now - then) * 1000 / (uint64_t)ms : 0;
}

static void
mem_stat(struct ovirt *o, cJSON *ms, const struct sys_meminfo *mi)
{
	struct sys_vmstat vs;
	struct verr e;
	int64_t now = now_ms(), dt = now - o->vm_at;
	int fresh;

	fresh = sys_vmstat(&vs, &e) == 0;
	if (!fresh) {
		memset(&vs, 0, sizeof(vs));
		ov_fail(o, "vmstat", &e);
	}
	json_add_uint(ms, "mem_total", mi->total / 1024);
	json_add_uint(ms, "mem_unused", mi->free / 1024);
	json_add_uint(ms, "mem_free",
	    (mi->free + mi->buffers + mi->cached) / 1024);
	json_add_uint(ms, "mem_buffers", mi->buffers / 1024);
	json_add_uint(ms, "mem_cached", mi->cached / 1024);
	json_add_uint(ms, "swap_total", mi->swap_total / 1024);
	json_add_uint(ms, "swap_usage", mi->swap_total >= mi->swap_free ?
	    (mi->swap_total - mi->swap_free) / 1024 : 0);
	/* Pages per second since the last sample; the first sample is 0. */
	if (!o->has_vm || !fresh) {
		dt = 0;
	}
	json_add_uint(ms, "swap_in", rate(vs.pswpin, o->vm.pswpin, dt));
	json_add_uint(ms, "swap_out", rate(vs.pswpout, o->vm.pswpout, dt));
	json_add_uint(ms, "pageflt", rate(vs.pgfault, o->vm.pgfault, dt));
	json_add_uint(ms, "majflt", rate(vs.pgmajfault, o->vm.pgmajfault, dt));
	if (fresh) {
		o->vm = vs;
		o->vm_at = now;
		o->has_vm = 1;
	}
}

void
ovm_heartbeat(struct ovirt *o)
{
	struct sys_meminfo mi;
	cJSON *m = cJSON_CreateObject(), *ms;
	struct verr e;
	char mib[32];

	if (sys_meminfo(&mi, &e) == -1) {
		memset(&mi, 0, sizeof(mi));
		ov_fail(o, "meminfo", &e);
	}
	/* VDSM: int(free-ram), in MiB, sent as a string. */
	snprintf(mib, sizeof(mib), "%" PRIu64,
	    (mi.free + mi.buffers + mi.cached) / (1024 * 1024));
	json_add_str(m, "free-ram", mib);
	ms = cJSON_AddObjectToObject(m, "memory-stat");
	if (ms != NULL) {
		mem_stat(o, ms, &mi);
	}
	/* 6: the first beat after start says 0 so VDSM renegotiates. */
	json_add_int(m, "apiVersion", o->beat_sent ? OVIRT_API_MAX : 0);
	if (ov_send(o, "heartbeat", m) == 0) {
		o->beat_sent = 1;
	}
}

/* ---- names and OS -------------------------------------------------------- */

static void
send_fqdn(struct ovirt *o, const char *name, const char *key)
{
	char fqdn[256];
	struct verr e;
	cJSON *m;

	if (sys_fqdn(fqdn, sizeof(fqdn), &e) == -1) {
		ov_fail(o, "fqdn", &e);
		return;
	}
	m = cJSON_CreateObject();
	json_add_str(m, key, fqdn);
	ov_send(o, name, m);
}

/* socket.getfqdn() for both (4.2) */
void
ovm_host_name(struct ovirt *o)
{
	send_fqdn(o, "host-name", "name");
}

void
ovm_fqdn(struct ovirt *o)
{
	send_fqdn(o, "fqdn", "fqdn");
}

void
ovm_os_version(struct ovirt *o)
{
	struct sys_osinfo oi;
	struct verr e;
	cJSON *m;

	if (sys_osinfo(&oi, &e) == -1) {
		ov_fail(o, "osinfo", &e);
		return;
	}
	m = cJSON_CreateObject();
	json_add_str(m, "version", oi.kernel_release);
	ov_send(o, "os-version", m);
}

/* VDSM's translate_linux_osinfo of qemu-ga data (ovirt.md 9), so both
 * channels give the Engine the same picture. */
static const char *
engine_arch(const char *machine)
{
	static const char *const known[] = { "x86", "x86_64", "ppc", "ppc64",
	    "ppc64le", "ppcle", "s390x" };
	size_t i;

	if (machine[0] == 'i' && strlen(machine) == 4 &&
	    strcmp(machine + 2, "86") == 0) {
		return "x86";
	}
	for (i = 0; i < nitems(known); i++) {
		if (strcmp(machine, known[i]) == 0) {
			return machine;
		}
	}
	return "unknown";
}

void
ovm_os_info(struct ovirt *o)
{
	struct sys_osinfo oi;
	struct verr e;
	cJSON *m;

	if (sys_osinfo(&oi, &e) == -1) {
		ov_fail(o, "osinfo", &e);
		return;
	}
	m = cJSON_CreateObject();
	json_add_str(m, "version", oi.version_id);
	json_add_str(m, "distribution", oi.name);
	json_add_str(m, "codename", oi.variant);
	json_add_str(m, "arch", engine_arch(oi.machine));
	json_add_str(m, "type", "linux");
	json_add_str(m, "kernel", oi.kernel_release);
	ov_send(o, "os-info", m);
}

void
ovm_timezone(struct ovirt *o)
{
	struct sys_tz tz;
	struct verr e;
	cJSON *m;

	if (sys_timezone(&tz, &e) == -1) {
		ov_fail(o, "timezone", &e);
		return;
	}
	m = cJSON_CreateObject();
	json_add_str(m, "zone", tz.name[0] ? tz.name : "unknown");
	/* minutes east of UTC, standard time (4.6) */
	json_add_int(m, "offset", tz.std_offset / 60);
	ov_send(o, "timezone", m);
}

void
ovm_cpus(struct ovirt *o)
{
	cJSON *m = cJSON_CreateObject();

	json_add_int(m, "count", sys_cpus_online());
	ov_send(o, "number-of-cpus", m);
}

/* The last list the Docker engine gave, [] without one (4.2, 4.6). */
static void
containers_send(struct ovirt *o)
{
	cJSON *m = cJSON_CreateObject(), *l;

	l = o->containers ? cJSON_Duplicate(o->containers, 1) :
	    cJSON_CreateArray();
	if (l == NULL || !cJSON_AddItemToObject(m, "list", l)) {
		cJSON_Delete(l);
	}
	ov_send(o, "containers", m);
}

/* Send what is known and ask again: the answer serves the next report. */
void
ovm_containers(struct ovirt *o)
{
	containers_send(o);
	ovm_containers_query(o);
}

/* Docker's Id, Names, Image, Command, Status in lower case; absent or
 * mistyped fields are left out. */
static cJSON *
enc_container(const cJSON *c)
{
	static const char *const keys[][2] = { { "Id", "id" },
	    { "Image", "image" }, { "Command", "command" },
	    { "Status", "status" } };
	const cJSON *v, *n;
	cJSON *e = cJSON_CreateObject(), *names;
	size_t i;

	for (i = 0; i < nitems(keys); i++) {
		v = cJSON_GetObjectItemCaseSensitive(c, keys[i][0]);
		if (cJSON_IsString(v)) {
			json_add_str(e, keys[i][1], v->valuestring);
		}
	}
	v = cJSON_GetObjectItemCaseSensitive(c, "Names");
	if (cJSON_IsArray(v) && (names = cJSON_AddArrayToObject(e, "names"))) {
		cJSON_ArrayForEach(n, v) {
			if (cJSON_IsString(n)) {
				arr_add(names, cJSON_CreateString(
				    n->valuestring));
			}
		}
	}
	return e;
}

static void
containers_done(const char *body, size_t len, void *arg)
{
	struct ovirt *o = arg;
	cJSON *doc = NULL, *list = cJSON_CreateArray();
	const cJSON *c;

	if (list == NULL) {
		return;
	}
	if (body != NULL && (doc = cJSON_ParseWithLength(body, len)) != NULL) {
		cJSON_ArrayForEach(c, doc) {
			if (cJSON_IsObject(c)) {
				arr_add(list, enc_container(c));
			}
		}
	}
	cJSON_Delete(doc);
	ovm_trim(list, OVIRT_LIST_MAX);
	if (o->containers != NULL && cJSON_Compare(o->containers, list, 1)) {
		cJSON_Delete(list);
		return;
	}
	cJSON_Delete(o->containers);
	o->containers = list;
	/* A change is reported at once, not a period late. */
	containers_send(o);
}

void
ovm_containers_query(struct ovirt *o)
{
	if (containers_query(containers_done, o) == -1 &&
	    o->containers != NULL) {
		cJSON_Delete(o->containers);	/* the engine went away */
		o->containers = NULL;
	}
}

void
ovm_empty(struct ovirt *o, const char *name)
{
	ov_send(o, name, cJSON_CreateObject());
}

/* ---- users --------------------------------------------------------------- */

/* The alphabetically first logged-in user, or the string "None" (4.6). */
void
ovm_active_user(struct ovirt *o, int force)
{
	struct users_login *v;
	char name[USERS_NAME_MAX + 1];
	struct verr e;
	size_t n;
	cJSON *m;

	if (users_list(&v, &n, &e) == -1) {
		ov_fail(o, "users", &e);
		return;
	}
	snprintf(name, sizeof(name), "%s", n > 0 ? v[0].name : "None");
	free(v);
	if (!force && o->user_sent && strcmp(name, o->user) == 0) {
		return;
	}
	m = cJSON_CreateObject();
	json_add_str(m, "name", name);
	if (ov_send(o, "active-user", m) == 0) {
		snprintf(o->user, sizeof(o->user), "%s", name);
		o->user_sent = 1;
	}
}

/* ---- applications -------------------------------------------------------- */

void
ovm_applications(struct ovirt *o)
{
	struct sys_osinfo oi;
	struct verr e;
	char **v, kern[96];
	size_t n, i;
	int has_kernel = 0;
	cJSON *m = cJSON_CreateObject(), *a;

	a = cJSON_AddArrayToObject(m, "applications");
	if (apps_list(ov_conf("applications_list", OV_APPS_DEFAULT), &v, &n,
	    &e) == -1) {
		ov_fail(o, "applications", &e);
		v = NULL;
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (strncmp(v[i], "kernel-", 7) == 0 &&
		    isdigit((unsigned char)v[i][7])) {
			has_kernel = 1;
		}
	}
	if (!has_kernel && sys_osinfo(&oi, &e) == 0) {
		snprintf(kern, sizeof(kern), "kernel-%s", oi.kernel_release);
		arr_add(a, cJSON_CreateString(kern));
	}
	for (i = 0; i < n; i++) {
		arr_add(a, cJSON_CreateString(v[i]));
	}
	apps_free(v, n);
	arr_add(a, cJSON_CreateString(OV_SELF_APP));
	if (a != NULL) {
		ovm_trim(a, OVIRT_LIST_MAX);
	}
	ov_send(o, "applications", m);
}

/* ---- network-interfaces -------------------------------------------------- */

static cJSON *
enc_iface(const struct net_iface *it)
{
	cJSON *o = cJSON_CreateObject(), *in4, *in6;
	size_t k;

	json_add_str(o, "name", it->name);
	json_add_str(o, "hw", it->has_hw ? it->hw : "00:00:00:00:00:00");
	in4 = cJSON_AddArrayToObject(o, "inet");
	in6 = cJSON_AddArrayToObject(o, "inet6");
	for (k = 0; k < it->naddr; k++) {
		arr_add(it->addr[k].family == AF_INET ? in4 : in6,
		    cJSON_CreateString(it->addr[k].addr));
	}
	return o;
}

void
ovm_interfaces(struct ovirt *o)
{
	const char *ign = ov_conf("ignored_nics", OV_NICS_DEFAULT);
	struct net_iface *v;
	struct verr e;
	size_t n, i;
	cJSON *m, *a;

	if (net_ifaces(&v, &n, NULL, &e) == -1) {
		ov_fail(o, "interfaces", &e);
		return;
	}
	m = cJSON_CreateObject();
	a = cJSON_AddArrayToObject(m, "interfaces");
	for (i = 0; a != NULL && i < n; i++) {
		/* python-ethtool: IFF_UP and not IFF_LOOPBACK (4.2) */
		if (!(v[i].flags & IFF_UP) || (v[i].flags & IFF_LOOPBACK) ||
		    ov_word_in(ign, v[i].name)) {
			continue;
		}
		arr_add(a, enc_iface(&v[i]));
	}
	net_ifaces_free(v, n);
	if (a != NULL) {
		ovm_trim(a, OVIRT_LIST_MAX);
	}
	ov_send(o, "network-interfaces", m);
}

/* ---- disks-usage (4.5) --------------------------------------------------- */

static int
mount_skip(const struct disk_mount *mt, const char *ign)
{
	struct stat st;

	if (ov_word_in(ign, mt->type) || ov_word_in(OV_NETFS, mt->type)) {
		return 1;
	}
	/* bind-mounted files */
	return stat(mt->dir, &st) == 0 && S_ISREG(st.st_mode);
}

static void
disks_list(struct ovirt *o, cJSON *a)
{
	const char *ign = ov_conf("ignored_fs", OV_FS_DEFAULT);
	int zero = conf_bool("ovirt", "ignore_zero_size_fs", 1);
	struct disk_mount *mv;
	uint64_t total, used;
	struct verr e;
	size_t mn, i;
	cJSON *d;

	if (disk_mounts(&mv, &mn, &e) == -1) {
		ov_fail(o, "mounts", &e);
		return;
	}
	for (i = 0; i < mn; i++) {
		if (mount_skip(&mv[i], ign) || disk_mount_stat(&mv[i]) == -1) {
			continue;
		}
		/* f_bsize, reserved blocks count as free (4.5) */
		total = mv[i].bsize * mv[i].blocks;
		used = total - mv[i].bsize * mv[i].bfree;
		if (zero && total == 0 && used == 0) {
			continue;
		}
		d = cJSON_CreateObject();
		json_add_str(d, "path", mv[i].dir);
		json_add_str(d, "fs", mv[i].type);
		json_add_uint(d, "total", total);
		json_add_uint(d, "used", used);
		arr_add(a, d);
	}
	disk_mounts_free(mv, mn);
}

/* serial -> {"name": "/dev/vda"}: the diskmapper script's output (4.5). */
static void
disks_mapping(struct ovirt *o, cJSON *map)
{
	struct disk_dev *dv;
	struct verr e;
	size_t dn, i;
	cJSON *d;

	if (disk_list(&dv, &dn, &e) == -1) {
		ov_fail(o, "disks", &e);
		return;
	}
	for (i = 0; i < dn; i++) {
		if (dv[i].partition || !dv[i].has_addr ||
		    dv[i].addr.serial[0] == '\0' ||
		    cJSON_GetObjectItemCaseSensitive(map, dv[i].addr.serial)) {
			continue;
		}
		d = cJSON_CreateObject();
		json_add_str(d, "name", dv[i].addr.dev[0] ? dv[i].addr.dev :
		    dv[i].name);
		if (!cJSON_AddItemToObject(map, dv[i].addr.serial, d)) {
			cJSON_Delete(d);
		}
	}
	disk_list_free(dv, dn);
}

void
ovm_disks(struct ovirt *o)
{
	cJSON *m = cJSON_CreateObject(), *a, *map;

	a = cJSON_AddArrayToObject(m, "disks");
	map = cJSON_AddObjectToObject(m, "mapping");
	if (a == NULL || map == NULL) {
		cJSON_Delete(m);
		return;
	}
	disks_list(o, a);
	disks_mapping(o, map);
	ovm_trim(a, OVIRT_LIST_MAX / 2);
	ovm_trim(map, OVIRT_LIST_MAX / 2);
	ov_send(o, "disks-usage", m);
}
