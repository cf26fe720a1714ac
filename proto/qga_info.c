/*
 * qga_info.c: qemu-ga's read-only inventory and status commands, with
 * qemu-ga's exact member names, types and optionality (qga/qapi-schema.json)
 * so libvirt, Proxmox and VDSM read them unchanged.  Facts come from the
 * verbs/ collectors; this file only encodes.  Where qemu-ga builds a list by
 * prepending (fsinfo, disks), the collector's order is emitted reversed.
 */
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qga.h"
#include "../verbs/disk.h"
#include "../verbs/net.h"
#include "../verbs/sys.h"
#include "../verbs/users.h"

/* [general] exclude-interfaces = glob list, e.g. "veth*,docker*,cni*" */
#define QGA_CONF_EXCLUDE	"exclude-interfaces"

static cJSON *
arr_add(cJSON *a, cJSON *item)
{
	cJSON_AddItemToArray(a, item);
	return item;
}

static cJSON *
obj_in(cJSON *a)
{
	return arr_add(a, cJSON_CreateObject());
}

/*
 * Members named by a string literal (or a static table's string): cJSON
 * keeps the pointer (cJSON_StringIsConst) instead of a heap copy, a malloc
 * and a free less per member of the inventory replies.
 */
static cJSON *
lit_add(cJSON *o, const char *lit, cJSON *v)
{
	if (v != NULL && !cJSON_AddItemToObjectCS(o, lit, v)) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

static cJSON *
lit_str(cJSON *o, const char *lit, const char *v)
{
	return lit_add(o, lit, cJSON_CreateString(v ? v : ""));
}

static cJSON *
lit_int(cJSON *o, const char *lit, int64_t v)
{
	return lit_add(o, lit, json_int(v));
}

static cJSON *
lit_uint(cJSON *o, const char *lit, uint64_t v)
{
	return lit_add(o, lit, json_uint(v));
}

/* ---- system ------------------------------------------------------------- */

static void
get_osinfo(struct qga_req *r)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
		size_t		 off;
	} keys[] = {
		{ "id", SYS_OS_ID, offsetof(struct sys_osinfo, id) },
		{ "name", SYS_OS_NAME, offsetof(struct sys_osinfo, name) },
		{ "pretty-name", SYS_OS_PRETTY_NAME,
		    offsetof(struct sys_osinfo, pretty_name) },
		{ "version", SYS_OS_VERSION, offsetof(struct sys_osinfo, version) },
		{ "version-id", SYS_OS_VERSION_ID,
		    offsetof(struct sys_osinfo, version_id) },
		{ "variant", SYS_OS_VARIANT, offsetof(struct sys_osinfo, variant) },
		{ "variant-id", SYS_OS_VARIANT_ID,
		    offsetof(struct sys_osinfo, variant_id) },
	};
	struct sys_osinfo	 oi;
	struct verr		 e;
	cJSON			*o;
	size_t			 i;

	if (sys_osinfo(&oi, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	o = cJSON_CreateObject();
	if (oi.has & SYS_OS_UNAME) {
		lit_str(o, "kernel-release", oi.kernel_release);
		lit_str(o, "kernel-version", oi.kernel_version);
		lit_str(o, "machine", oi.machine);
	}
	for (i = 0; i < nitems(keys); i++) {
		if (oi.has & keys[i].bit) {
			lit_str(o, keys[i].name,
			    (const char *)&oi + keys[i].off);
		}
	}
	qga_return(r, o);
}

static void
get_host_name(struct qga_req *r)
{
	char		 h[256];
	struct verr	 e;
	cJSON		*o;

	if (sys_hostname(h, sizeof(h), &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	o = cJSON_CreateObject();
	json_add_str(o, "host-name", h);
	qga_return(r, o);
}

static void
get_timezone(struct qga_req *r)
{
	struct sys_tz	 tz;
	struct verr	 e;
	cJSON		*o;

	if (sys_timezone(&tz, &e) == -1) {
		qga_fail(r, "Couldn't retrieve local timezone");
		return;
	}
	o = cJSON_CreateObject();
	if (tz.abbr[0] != '\0') {
		json_add_str(o, "zone", tz.abbr);
	}
	json_add_int(o, "offset", tz.offset);
	qga_return(r, o);
}

static void
get_time(struct qga_req *r)
{
	struct verr	e;
	int64_t		ns;

	if (sys_time_ns(&ns, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	qga_return(r, json_int(ns));
}

static void
get_users(struct qga_req *r)
{
	struct users_login	*v;
	struct verr		 e;
	size_t			 n, i;
	cJSON			*a, *o;

	if (users_list(&v, &n, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	a = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		o = obj_in(a);
		json_add_str(o, "user", v[i].name);
		/* As qemu-ga: tv_sec + tv_usec / 1e6, to the last bit. */
		json_add_num(o, "login-time", (double)(v[i].login_us / 1000000) +
		    (double)(v[i].login_us % 1000000) / 1e6);
	}
	free(v);
	qga_return(r, a);
}

static void
get_vcpus(struct qga_req *r)
{
	struct sys_vcpu	*v;
	struct verr	 e;
	size_t		 n, i;
	cJSON		*a, *o;

	if (sys_vcpus(&v, &n, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	a = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		o = obj_in(a);
		json_add_int(o, "logical-id", v[i].id);
		json_add_bool(o, "online", v[i].online);
		/* Optional in the schema, required by libvirt. */
		json_add_bool(o, "can-offline", v[i].can_offline);
	}
	free(v);
	qga_return(r, a);
}

static void
get_memory_blocks(struct qga_req *r)
{
	struct sys_memblk	*v;
	struct verr		 e;
	size_t			 n, i;
	cJSON			*a, *o;

	if (sys_memblocks(&v, &n, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	a = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		o = obj_in(a);
		json_add_uint(o, "phys-index", v[i].phys_index);
		json_add_bool(o, "online", v[i].online);
		if (v[i].has_can_offline) {
			json_add_bool(o, "can-offline", v[i].can_offline);
		}
	}
	free(v);
	qga_return(r, a);
}

static void
get_memory_block_info(struct qga_req *r)
{
	struct verr	 e;
	uint64_t	 size;
	cJSON		*o;

	if (sys_memblock_size(&size, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	o = cJSON_CreateObject();
	json_add_uint(o, "size", size);
	qga_return(r, o);
}

static void
get_load(struct qga_req *r)
{
	struct sys_load	 l;
	struct verr	 e;
	cJSON		*o;

	if (sys_load(&l, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	o = cJSON_CreateObject();
	json_add_num(o, "load1m", l.avg[0]);
	json_add_num(o, "load5m", l.avg[1]);
	json_add_num(o, "load15m", l.avg[2]);
	qga_return(r, o);
}

static void
get_cpustats(struct qga_req *r)
{
	static const char *const names[] = {
		"iowait", "irq", "softirq", "steal", "guest", "guestnice"
	};
	struct sys_cpustat	*v;
	struct verr		 e;
	size_t			 n, i, k;
	cJSON			*a, *o;

	if (sys_cpustats(&v, &n, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	a = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		const uint64_t	 x[] = { v[i].iowait, v[i].irq, v[i].softirq,
		    v[i].steal, v[i].guest, v[i].guestnice };

		o = obj_in(a);
		json_add_str(o, "type", "linux");
		json_add_int(o, "cpu", v[i].cpu);
		json_add_uint(o, "user", v[i].user);
		json_add_uint(o, "nice", v[i].nice);
		json_add_uint(o, "system", v[i].system);
		json_add_uint(o, "idle", v[i].idle);
		for (k = 0; k < nitems(names) && (int)k + 4 < v[i].nfields; k++) {
			json_add_uint(o, names[k], x[k]);
		}
	}
	free(v);
	qga_return(r, a);
}

/* Extension: what oVirt's heartbeat reports, in bytes. */
static void
get_memory_stats(struct qga_req *r)
{
	struct sys_meminfo	 m;
	struct verr		 e;
	cJSON			*o;

	if (sys_meminfo(&m, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	o = cJSON_CreateObject();
	json_add_uint(o, "total", m.total);
	if (m.has & SYS_MEM_FREE) {
		json_add_uint(o, "free", m.free);
	}
	if (m.has & SYS_MEM_AVAILABLE) {
		json_add_uint(o, "available", m.available);
	}
	if (m.has & SYS_MEM_BUFFERS) {
		json_add_uint(o, "buffers", m.buffers);
	}
	if (m.has & SYS_MEM_CACHED) {
		json_add_uint(o, "cached", m.cached);
	}
	if (m.has & SYS_MEM_SWAP_TOTAL) {
		json_add_uint(o, "swap-total", m.swap_total);
	}
	if (m.has & SYS_MEM_SWAP_FREE) {
		json_add_uint(o, "swap-free", m.swap_free);
	}
	qga_return(r, o);
}

/* ---- network ------------------------------------------------------------ */

static void
enc_iface(cJSON *o, const struct net_iface *it)
{
	const struct net_stats	*s = &it->stats;
	cJSON			*a, *x;
	size_t			 k;

	lit_str(o, "name", it->name);
	if (it->has_hw) {
		lit_str(o, "hardware-address", it->hw);
	}
	if (it->naddr == 0) {
		return;		/* qemu-ga: no addresses, no statistics */
	}
	a = cJSON_CreateArray();
	cJSON_AddItemToObjectCS(o, "ip-addresses", a);
	for (k = 0; k < it->naddr; k++) {
		x = obj_in(a);
		lit_str(x, "ip-address", it->addr[k].addr);
		lit_str(x, "ip-address-type",
		    it->addr[k].family == AF_INET ? "ipv4" : "ipv6");
		lit_int(x, "prefix", it->addr[k].prefix);
	}
	if (!it->has_stats) {
		return;
	}
	x = cJSON_CreateObject();
	cJSON_AddItemToObjectCS(o, "statistics", x);
	lit_uint(x, "rx-bytes", s->rx_bytes);
	lit_uint(x, "rx-packets", s->rx_packets);
	lit_uint(x, "rx-errs", s->rx_errs);
	lit_uint(x, "rx-dropped", s->rx_dropped);
	lit_uint(x, "tx-bytes", s->tx_bytes);
	lit_uint(x, "tx-packets", s->tx_packets);
	lit_uint(x, "tx-errs", s->tx_errs);
	lit_uint(x, "tx-dropped", s->tx_dropped);
}

static void
get_interfaces(struct qga_req *r)
{
	struct net_iface	*v;
	struct verr		 e;
	size_t			 n, i;
	cJSON			*a;

	if (net_ifaces(&v, &n, conf_get("general", QGA_CONF_EXCLUDE),
	    &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	a = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		enc_iface(obj_in(a), &v[i]);
	}
	net_ifaces_free(v, n);
	qga_return(r, a);
}

static void
enc_route(cJSON *o, const struct net_route *rt)
{
	json_add_str(o, "iface", rt->iface);
	json_add_str(o, "destination", rt->destination);
	json_add_int(o, "metric", rt->metric);
	if (rt->version == 4) {
		json_add_str(o, "gateway", rt->gateway);
		json_add_str(o, "mask", rt->mask);
		json_add_int(o, "irtt", rt->irtt);
		json_add_int(o, "window", rt->window);
		json_add_int(o, "mtu", rt->mtu);
	} else {
		char	len[16];

		snprintf(len, sizeof(len), "%d", rt->dst_plen);
		json_add_str(o, "desprefixlen", len);
		snprintf(len, sizeof(len), "%d", rt->src_plen);
		json_add_str(o, "srcprefixlen", len);
		if (rt->source[0] != '\0') {
			json_add_str(o, "source", rt->source);
		}
		if (rt->nexthop[0] != '\0') {
			json_add_str(o, "nexthop", rt->nexthop);
		}
	}
	json_add_uint(o, "flags", rt->flags);
	json_add_int(o, "refcnt", rt->refcnt);
	json_add_int(o, "use", rt->use);
	json_add_int(o, "version", rt->version);
}

static void
get_route(struct qga_req *r)
{
	struct net_route	*v;
	struct verr		 e;
	size_t			 n, i;
	cJSON			*a;

	if (net_routes(&v, &n, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	a = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		enc_route(obj_in(a), &v[i]);
	}
	free(v);
	qga_return(r, a);
}

/* ---- disks -------------------------------------------------------------- */

static cJSON *
enc_addr(const struct disk_addr *d)
{
	cJSON	*o = cJSON_CreateObject(), *p = cJSON_CreateObject();

	lit_int(p, "domain", d->pci_domain);
	lit_int(p, "bus", d->pci_bus);
	lit_int(p, "slot", d->pci_slot);
	lit_int(p, "function", d->pci_function);
	cJSON_AddItemToObjectCS(o, "pci-controller", p);
	lit_str(o, "bus-type", disk_bus_name(d->bus_type));
	lit_int(o, "bus", d->bus);
	lit_int(o, "target", d->target);
	lit_int(o, "unit", d->unit);
	if (d->serial[0] != '\0') {
		lit_str(o, "serial", d->serial);
	}
	if (d->dev[0] != '\0') {
		lit_str(o, "dev", d->dev);
	}
	if (d->has_ccw) {
		p = cJSON_CreateObject();
		lit_int(p, "cssid", d->ccw_cssid);
		lit_int(p, "ssid", d->ccw_ssid);
		lit_int(p, "subchno", d->ccw_subchno);
		lit_int(p, "devno", d->ccw_devno);
		cJSON_AddItemToObjectCS(o, "ccw-address", p);
	}
	return o;
}

static void
enc_fs(cJSON *o, const struct disk_fs *fs)
{
	const struct disk_mount	*m = fs->m;
	cJSON			*a;
	uint64_t		 used;
	size_t			 k;

	lit_str(o, "name", fs->name);
	lit_str(o, "mountpoint", m->dir);
	lit_str(o, "type", m->type);
	if (m->has_stat) {
		/* qemu-ga's arithmetic: reserved blocks are not "total". */
		used = m->blocks - m->bfree;
		lit_uint(o, "used-bytes", used * m->frsize);
		lit_uint(o, "total-bytes", (used + m->bavail) * m->frsize);
		lit_uint(o, "total-bytes-privileged",
		    m->blocks * m->frsize);
	}
	a = cJSON_CreateArray();	/* libvirt needs it, even empty */
	cJSON_AddItemToObjectCS(o, "disk", a);
	for (k = 0; k < fs->ndisk; k++) {
		arr_add(a, enc_addr(&fs->disk[k]));
	}
}

static void
get_fsinfo(struct qga_req *r)
{
	struct disk_fs		*v;
	struct disk_mount	*mv;
	struct verr		 e;
	size_t			 n, mn, i;
	cJSON			*a;

	if (disk_fsinfo(&v, &n, &mv, &mn, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	a = cJSON_CreateArray();
	for (i = n; i-- > 0;) {		/* reverse mount order */
		enc_fs(obj_in(a), &v[i]);
	}
	disk_fsinfo_free(v, n, mv, mn);
	qga_return(r, a);
}

static cJSON *
enc_smart(const struct disk_smart *s)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} u64[] = {
#define S(n, f) { n, offsetof(struct disk_smart, f) }
		S("data-units-read", data_units_read),
		S("data-units-written", data_units_written),
		S("host-read-commands", host_read_commands),
		S("host-write-commands", host_write_commands),
		S("controller-busy-time", controller_busy_time),
		S("power-cycles", power_cycles),
		S("power-on-hours", power_on_hours),
		S("unsafe-shutdowns", unsafe_shutdowns),
		S("media-errors", media_errors),
		S("number-of-error-log-entries", number_of_error_log_entries),
#undef S
	};
	cJSON		*o = cJSON_CreateObject();
	char		 name[64];
	uint64_t	 v[2];
	size_t		 i;

	json_add_str(o, "type", "nvme");
	json_add_int(o, "critical-warning", s->critical_warning);
	json_add_int(o, "temperature", s->temperature);
	json_add_int(o, "available-spare", s->available_spare);
	json_add_int(o, "available-spare-threshold",
	    s->available_spare_threshold);
	json_add_int(o, "percentage-used", s->percentage_used);
	for (i = 0; i < nitems(u64); i++) {
		memcpy(v, (const char *)s + u64[i].off, sizeof(v));
		snprintf(name, sizeof(name), "%s-lo", u64[i].name);
		json_add_uint(o, name, v[0]);
		snprintf(name, sizeof(name), "%s-hi", u64[i].name);
		json_add_uint(o, name, v[1]);
	}
	return o;
}

static void
get_disks(struct qga_req *r)
{
	struct disk_dev	*v;
	struct verr	 e;
	size_t		 n, i, k;
	cJSON		*a, *o, *d;

	if (disk_list(&v, &n, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	a = cJSON_CreateArray();
	for (i = n; i-- > 0;) {		/* qemu-ga prepends */
		o = obj_in(a);
		json_add_str(o, "name", v[i].name);
		json_add_bool(o, "partition", v[i].partition);
		d = cJSON_CreateArray();
		cJSON_AddItemToObject(o, "dependencies", d);
		for (k = 0; k < v[i].ndeps; k++) {
			arr_add(d, cJSON_CreateString(v[i].deps[k]));
		}
		if (v[i].has_addr) {
			cJSON_AddItemToObject(o, "address", enc_addr(&v[i].addr));
		}
		if (v[i].alias[0] != '\0') {
			json_add_str(o, "alias", v[i].alias);
		}
		if (v[i].has_smart) {
			cJSON_AddItemToObject(o, "smart", enc_smart(&v[i].smart));
		}
	}
	disk_list_free(v, n);
	qga_return(r, a);
}

static void
enc_diskstat(cJSON *o, const struct disk_stat *s)
{
	json_add_uint(o, "read-ios", s->read_ios);
	json_add_uint(o, "read-sectors", s->read_sectors);
	json_add_uint(o, "write-ios", s->write_ios);
	json_add_uint(o, "write-sectors", s->write_sectors);
	if (s->nfields < 11) {
		return;
	}
	json_add_uint(o, "read-merges", s->read_merges);
	json_add_uint(o, "read-ticks", s->read_ticks);
	json_add_uint(o, "write-merges", s->write_merges);
	json_add_uint(o, "write-ticks", s->write_ticks);
	json_add_uint(o, "ios-pgr", s->ios_pgr);
	json_add_uint(o, "total-ticks", s->total_ticks);
	json_add_uint(o, "weight-ticks", s->weight_ticks);
	if (s->nfields < 15) {
		return;
	}
	json_add_uint(o, "discard-ios", s->discard_ios);
	json_add_uint(o, "discard-merges", s->discard_merges);
	json_add_uint(o, "discard-sectors", s->discard_sectors);
	json_add_uint(o, "discard-ticks", s->discard_ticks);
	if (s->nfields < 17) {
		return;
	}
	json_add_uint(o, "flush-ios", s->flush_ios);
	json_add_uint(o, "flush-ticks", s->flush_ticks);
}

static void
get_diskstats(struct qga_req *r)
{
	struct disk_stat	*v;
	struct verr		 e;
	size_t			 n, i;
	cJSON			*a, *o, *s;

	if (disk_stats(&v, &n, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	a = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		o = obj_in(a);
		json_add_str(o, "name", v[i].name);
		json_add_uint(o, "major", v[i].major);
		json_add_uint(o, "minor", v[i].minor);
		s = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "stats", s);
		enc_diskstat(s, &v[i]);
	}
	free(v);
	qga_return(r, a);
}

/* Alphabetical; guest-fsfreeze-status lives in qga_fs.c. */
const struct qga_cmd qga_info_cmds[] = {
	{ "guest-get-cpustats", get_cpustats, NULL, 0 },
	{ "guest-get-disks", get_disks, NULL, 0 },
	{ "guest-get-diskstats", get_diskstats, NULL, 0 },
	{ "guest-get-fsinfo", get_fsinfo, NULL, 0 },
	{ "guest-get-host-name", get_host_name, NULL, 0 },
	{ "guest-get-load", get_load, NULL, 0 },
	{ "guest-get-memory-block-info", get_memory_block_info, NULL, 0 },
	{ "guest-get-memory-blocks", get_memory_blocks, NULL, 0 },
	{ "guest-get-memory-stats", get_memory_stats, NULL, 0 },
	{ "guest-get-osinfo", get_osinfo, NULL, 0 },
	{ "guest-get-time", get_time, NULL, 0 },
	{ "guest-get-timezone", get_timezone, NULL, 0 },
	{ "guest-get-users", get_users, NULL, 0 },
	{ "guest-get-vcpus", get_vcpus, NULL, 0 },
	{ "guest-network-get-interfaces", get_interfaces, NULL, 0 },
	{ "guest-network-get-route", get_route, NULL, 0 },
	{ NULL, NULL, NULL, 0 }
};
