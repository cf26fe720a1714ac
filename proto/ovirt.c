/*
 * ovirt.c: the oVirt guest agent front end, as VDSM expects it
 * (../shared/reference/ovirt.md): newline JSON with "__name__", version
 * negotiation through the heartbeat (6), the start-up and refresh batches
 * and the periodic groups (4.7) on loop timers, and the host's commands
 * (5.1).  There are no error replies: bad lines and unknown names are logged
 * and ignored, and the heartbeat never stops.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../verbs/cpu.h"
#include "../verbs/power.h"
#include "../verbs/session.h"
#include "ovirt.h"

#define OV_HOOK_MS	8000	/* under VDSM's 10 s reply wait (7.4) */
#define OV_SHUTDOWN_MAX_S (7 * 86400)	/* a week: far beyond any VDSM delay */

/* 4.1 _MESSAGE_MIN_API_VERSION; periodic ones give way to a full queue. */
static const struct {
	const char	*name;
	int		 min;
	int		 periodic;
} gates[] = {
	{ "active-user", 0, 1 }, { "applications", 0, 1 },
	{ "disks-usage", 0, 1 }, { "echo", 0, 0 }, { "fqdn", 0, 1 },
	{ "heartbeat", 0, 1 }, { "host-name", 0, 1 },
	{ "memory-stats", 0, 1 }, { "network-interfaces", 0, 1 },
	{ "os-version", 0, 1 }, { "session-lock", 0, 0 },
	{ "session-logoff", 0, 0 }, { "session-logon", 0, 0 },
	{ "session-shutdown", 0, 0 }, { "session-startup", 0, 0 },
	{ "session-unlock", 0, 0 }, { "number-of-cpus", 1, 1 },
	{ "os-info", 2, 1 }, { "timezone", 2, 1 }, { "containers", 3, 1 },
	{ "completion", 3, 0 },
};

/* 4.7: upstream's key names, plus short ones; seconds, fractions allowed. */
static const struct {
	const char	*key, *alias;
	int64_t		 def_ms;
} rates[OT_N] = {
	{ "heart_beat_rate", "heartbeat", 5000 },
	{ "report_user_rate", "users", 10000 },
	{ "report_application_rate", "apps", 120000 },
	{ "report_disk_usage", "disks", 300000 },
	{ "report_num_cpu_rate", "cpus", 60000 },
};

static struct buf	wbuf;		/* the line being written */

const char *
ov_conf(const char *key, const char *def)
{
	const char *v = conf_get("ovirt", key);

	return v != NULL ? v : def;
}

int
ov_word_in(const char *list, const char *word)
{
	size_t len, wl = strlen(word);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " ,\t");
		len = strcspn(p, " ,\t");
		if (len > 0 && len == wl && strncmp(p, word, len) == 0) {
			return 1;
		}
		p += len;
	}
	return 0;
}

/* ---- the writer ---------------------------------------------------------- */

/* ovf_clean's result, moved into a block from cJSON's allocator. */
static char *
cj_clean(const char *s)
{
	char *c = ovf_clean(s), *d = NULL;

	if (c != NULL && (d = cJSON_malloc(strlen(c) + 1)) != NULL) {
		memcpy(d, c, strlen(c) + 1);
	}
	free(c);
	return d;
}

/* VDSM would replace these (3.4): keys and values, before they go out. */
static void
sanitise(cJSON *v)
{
	char *c;

	for (; v != NULL; v = v->next) {
		if (v->string != NULL && !(v->type & cJSON_StringIsConst) &&
		    ovf_dirty(v->string) && (c = cj_clean(v->string))) {
			cJSON_free(v->string);
			v->string = c;
		}
		if (cJSON_IsString(v) && v->valuestring != NULL &&
		    ovf_dirty(v->valuestring) &&
		    (c = cj_clean(v->valuestring)) != NULL) {
			cJSON_free(v->valuestring);
			v->valuestring = c;
		}
		if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
			sanitise(v->child);
		}
	}
}

static int
gate(struct ovirt *o, const char *name, int *periodic)
{
	size_t i;

	for (i = 0; i < nitems(gates); i++) {
		if (strcmp(gates[i].name, name) == 0) {
			*periodic = gates[i].periodic;
			return o->api >= gates[i].min ? 0 : -1;
		}
	}
	log_warnx("ovirt: Undocumented message %s", name);
	return -1;
}

int
ov_send(struct ovirt *o, const char *name, cJSON *m)
{
	cJSON *n;
	int periodic = 0, r = -1;

	if (m == NULL || gate(o, name, &periodic) == -1 ||
	    !chan_is_up(o->ch)) {
		goto out;
	}
	if (periodic && chan_queued(o->ch) > OVIRT_QUEUE_MAX) {
		if (!(o->warned & OVW_QUEUE)) {
			log_warnx("ovirt: host is not reading: periodic "
			    "reports dropped");
		}
		o->warned |= OVW_QUEUE;
		goto out;
	}
	/* __name__ first, for the reader of a log; VDSM takes any order. */
	cJSON_DeleteItemFromObjectCaseSensitive(m, "__name__");
	if ((n = cJSON_CreateObject()) == NULL ||
	    json_add_str(n, "__name__", name) == NULL ||
	    !cJSON_InsertItemInArray(m, 0, cJSON_DetachItemViaPointer(n,
	    n->child))) {
		cJSON_Delete(n);
		goto out;
	}
	cJSON_Delete(n);
	sanitise(m);
	buf_consume(&wbuf, buf_size(&wbuf));
	if (json_write(&wbuf, m, JSON_COMPACT) == -1 ||
	    buf_append(&wbuf, "\n", 1) == -1) {
		log_warnx("ovirt: %s: out of memory", name);
	} else {
		r = chan_send(o->ch, buf_data(&wbuf), buf_size(&wbuf));
		log_debug("ovirt: sent %s", name);
	}
	buf_reset(&wbuf);
out:
	cJSON_Delete(m);
	return r;
}

/* ---- batches and timers (4.7) -------------------------------------------- */

static void
startup_batch(struct ovirt *o)
{
	ovm_empty(o, "session-startup");
	ovm_host_name(o);
	ovm_os_version(o);
	ovm_interfaces(o);
	ovm_active_user(o, 0);
	ovm_applications(o);
	ovm_containers(o);
	ovm_fqdn(o);
	ovm_timezone(o);
	ovm_os_info(o);
}

static void
refresh_batch(struct ovirt *o)
{
	ovm_empty(o, "session-startup");
	ovm_active_user(o, 1);
	ovm_applications(o);
	ovm_containers(o);
	ovm_host_name(o);
	ovm_os_version(o);
	ovm_interfaces(o);
	ovm_disks(o);
	ovm_fqdn(o);
	ovm_timezone(o);
	ovm_os_info(o);
}

static void	ov_tick(void *);

static void
arm(struct ovirt *o, enum ov_timer k)
{
	timer_set(&o->t[k].t, o->ms[k], ov_tick, &o->t[k]);
}

static void
ov_tick(void *arg)
{
	struct ov_timer_slot *ts = arg;
	struct ovirt *o = ts->o;

	switch (ts->k) {
	case OT_HEARTBEAT:
		ovm_heartbeat(o);
		break;
	case OT_USER:
		ovm_active_user(o, 0);
		break;
	case OT_APPS:
		ovm_applications(o);
		ovm_containers(o);
		ovm_host_name(o);
		ovm_os_version(o);
		ovm_interfaces(o);
		ovm_fqdn(o);
		break;
	case OT_DISKS:
		ovm_disks(o);
		break;
	case OT_CPUS:
		ovm_cpus(o);
		break;
	case OT_N:
		return;
	}
	if (chan_is_up(o->ch)) {
		arm(o, ts->k);
	}
}

static int64_t
rate_ms(size_t k)
{
	const char *v = conf_get("ovirt", rates[k].key);
	char *end;
	double s;

	if (v == NULL) {
		v = conf_get("ovirt", rates[k].alias);
	}
	if (v == NULL) {
		return rates[k].def_ms;
	}
	s = strtod(v, &end);
	if (end == v || *end != '\0' || !(s >= 0.05 && s <= 86400)) {
		log_warnx("ovirt: %s=%s ignored", rates[k].key, v);
		return rates[k].def_ms;
	}
	return (int64_t)(s * 1000);
}

/* ---- commands (5.1) ------------------------------------------------------ */

/* Python's int() on a JSON value: integers, truncated floats, and strings
 * of decimal digits; -1 for anything else (null, lists, "12.5", "x"). */
static int
arg_int(const cJSON *v, int64_t *out)
{
	const char *s;
	char *end;
	long long n;

	if (cJSON_IsNumber(v)) {
		if (json_get_int(v, out) == 0) {
			return 0;
		}
		if (v->valuedouble > -9.2e18 && v->valuedouble < 9.2e18) {
			*out = (int64_t)v->valuedouble;
			return 0;
		}
		return -1;
	}
	if (cJSON_IsBool(v)) {
		*out = cJSON_IsTrue(v);
		return 0;
	}
	if (!cJSON_IsString(v)) {
		return -1;
	}
	s = v->valuestring;
	s += strspn(s, " \t\n\r");
	if (!isdigit((unsigned char)s[*s == '-' || *s == '+'])) {
		return -1;
	}
	errno = 0;
	n = strtoll(s, &end, 10);
	end += strspn(end, " \t\n\r");
	if (errno != 0 || *end != '\0') {
		return -1;
	}
	*out = n;
	return 0;
}

static const cJSON *
arg(const cJSON *msg, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(msg, name);
}

static void
cmd_refresh(struct ovirt *o, cJSON *msg)
{
	/* An unversioned VDSM: fall back to 0.  A value is not adopted. */
	if (arg(msg, "apiVersion") == NULL && o->api > 0) {
		log_info("ovirt: refresh without apiVersion: API version 0");
		o->api = 0;
	}
	refresh_batch(o);
}

static void
cmd_api_version(struct ovirt *o, cJSON *msg)
{
	int64_t v;

	if (arg_int(arg(msg, "apiVersion"), &v) == -1 || v < 0) {
		log_warnx("ovirt: api-version: bad apiVersion ignored");
		return;
	}
	if (v > OVIRT_API_MAX) {
		v = OVIRT_API_MAX;
	}
	if (v != o->api) {
		log_info("ovirt: API version %d -> %d", o->api, (int)v);
		o->api = (int)v;
		refresh_batch(o);
	}
}

static void
cmd_echo(struct ovirt *o, cJSON *msg)
{
	ov_send(o, "echo", cJSON_Duplicate(msg, 1));
}

static void
lock_done(int status, void *arg)
{
	struct ovirt *o = arg;

	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		/* Ends VDSM's 30 s wait before hibernation (5.3). */
		ovm_empty(o, "session-lock");
	} else {
		log_warnx("ovirt: lock-screen: loginctl failed (status %#x)",
		    status);
	}
}

static void
cmd_lock(struct ovirt *o, cJSON *msg)
{
	struct verr e;

	(void)msg;
	if (session_lock(ov_conf("loginctl", NULL), lock_done, o, &e) == -1) {
		log_warnx("ovirt: lock-screen: %s", e.msg);
	}
}

static void
logoff_done(int status, void *arg)
{
	(void)arg;
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_warnx("ovirt: log-off: loginctl failed (status %#x)",
		    status);
	}
}

static void
cmd_logoff(struct ovirt *o, cJSON *msg)
{
	struct verr e;

	(void)msg;
	if (session_logoff(ov_conf("loginctl", NULL), logoff_done, o,
	    &e) == -1) {
		log_warnx("ovirt: log-off: %s", e.msg);
	}
}

/* No greeter plugin: SSO is unsupported; the password is wiped at once. */
static void
cmd_login(struct ovirt *o, cJSON *msg)
{
	cJSON *pw = cJSON_GetObjectItemCaseSensitive(msg, "password");

	if (cJSON_IsString(pw) && pw->valuestring != NULL) {
		explicit_bzero(pw->valuestring, strlen(pw->valuestring));
	}
	if (!(o->warned & OVW_SSO)) {
		log_warnx("ovirt: login: SSO not supported");
	}
	o->warned |= OVW_SSO;
}

struct lc_ctx {
	struct ovirt	*o;
	char		*reply_id;
};

/* Always answered when a reply_id came, whatever the hooks did (10.9). */
static void
lifecycle_done(void *arg)
{
	struct lc_ctx *c = arg;
	cJSON *m;

	if (c->reply_id != NULL) {
		m = cJSON_CreateObject();
		json_add_str(m, "reply_id", c->reply_id);
		json_add_bool(m, "done", 1);
		ov_send(c->o, "completion", m);
	}
	free(c->reply_id);
	free(c);
}

static void
cmd_lifecycle(struct ovirt *o, cJSON *msg)
{
	const cJSON *type = arg(msg, "type"), *id = arg(msg, "reply_id");
	struct lc_ctx *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("ovirt: lifecycle-event");
		return;
	}
	c->o = o;
	if (cJSON_IsString(id)) {
		c->reply_id = strdup(id->valuestring);
	}
	session_hooks(ov_conf("hooks_dir", SESSION_HOOKS_DIR),
	    cJSON_IsString(type) ? type->valuestring : NULL,
	    conf_int("ovirt", "hook_timeout_ms", OV_HOOK_MS),
	    lifecycle_done, c);
}

static int
vcpu_cmp(const void *a, const void *b)
{
	const struct sys_vcpu *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Bring the online count to n with the qemu-ga vCPU verbs: lowest ids on
 * first, highest off first; CPUs that cannot go offline stay. */
static void
set_cpus(int64_t n)
{
	struct sys_vcpu *v;
	struct verr e;
	size_t nv, i;
	int64_t on = 0;

	if (sys_vcpus(&v, &nv, &e) == -1) {
		log_warnx("ovirt: set-number-of-cpus: %s", e.msg);
		return;
	}
	sort(v, nv, sizeof(*v), vcpu_cmp);
	for (i = 0; i < nv; i++) {
		on += v[i].online != 0;
	}
	for (i = 0; i < nv && on < n; i++) {
		if (!v[i].online && cpu_set_online(v[i].id, 1, &e) == 0) {
			on++;
		}
	}
	for (i = nv; i-- > 0 && on > n;) {
		if (v[i].online && v[i].can_offline &&
		    cpu_set_online(v[i].id, 0, &e) == 0) {
			on--;
		}
	}
	if (on != n) {
		log_warnx("ovirt: set-number-of-cpus: %lld online, not %lld",
		    (long long)on, (long long)n);
	}
	free(v);
}

static void
cmd_set_cpus(struct ovirt *o, cJSON *msg)
{
	int64_t n;

	if (arg_int(arg(msg, "count"), &n) == -1 || n <= 0) {
		log_warnx("ovirt: set-number-of-cpus: bad count ignored");
		return;
	}
	/* Upstream Linux does nothing but report (5.1): opt in to act. */
	if (conf_bool("ovirt", "set_cpus", 0)) {
		set_cpus(n);
	}
	ovm_cpus(o);
}

static void
power_done(int ok, const struct verr *e, void *arg)
{
	(void)arg;
	if (!ok) {
		log_warnx("ovirt: %s", e && e->msg[0] ? e->msg : "power failed");
	}
}

/* The power verbs qemu-ga's guest-shutdown and guest-suspend-* use. */
static void
power_now(struct ovirt *o, int reboot)
{
	struct verr e;

	/* Fuzzers on a real machine: say it, do nothing. */
	if (conf_bool("ovirt", "power_dry_run", 0)) {
		log_warnx("ovirt: would %s now (power_dry_run)", reboot ?
		    "reboot" : "power off");
		return;
	}
	log_warnx("ovirt: %s now", reboot ? "rebooting" : "powering off");
	if (power_shutdown(reboot ? POWER_REBOOT : POWER_OFF, power_done, o,
	    &e) == -1) {
		power_done(0, &e, o);
	}
}

static void
shutdown_due(void *arg)
{
	struct ovirt *o = arg;

	power_now(o, o->shut_reboot);
}

/*
 * A timer instead of /sbin/shutdown +minutes: no program is spawned and a
 * busybox guest behaves the same.  A new request replaces a pending one.
 */
static void
cmd_shutdown(struct ovirt *o, cJSON *msg)
{
	const cJSON *rb = arg(msg, "reboot"), *mv = arg(msg, "message");
	int64_t timeout;

	/* int(args['timeout']), 0 on any error */
	if (arg_int(arg(msg, "timeout"), &timeout) == -1 || timeout < 0) {
		timeout = 0;
	}
	if (timeout > OV_SHUTDOWN_MAX_S) {
		timeout = OV_SHUTDOWN_MAX_S;
	}
	/* args['reboot'].lower() == 'true'; JSON true too (10.5) */
	o->shut_reboot = cJSON_IsTrue(rb) || (cJSON_IsString(rb) &&
	    strcasecmp(rb->valuestring, "true") == 0);
	log_warnx("ovirt: %s in %lld s: %s", o->shut_reboot ? "reboot" :
	    "power off", (long long)timeout, cJSON_IsString(mv) ?
	    mv->valuestring : "System is going down");
	timer_set(&o->shut, timeout * 1000, shutdown_due, o);
}

static void
cmd_hibernate(struct ovirt *o, cJSON *msg)
{
	const cJSON *st = arg(msg, "state");
	const char *state = cJSON_IsString(st) ? st->valuestring : "disk";
	struct verr e;

	if (strcmp(state, "disk") != 0 && strcmp(state, "mem") != 0) {
		log_warnx("ovirt: hibernate: state %s ignored",
		    log_sample(state, strlen(state)));
		return;
	}
	if (conf_bool("ovirt", "power_dry_run", 0)) {
		log_warnx("ovirt: would suspend to %s now (power_dry_run)",
		    state);
		return;
	}
	log_warnx("ovirt: suspending to %s", state);
	if (power_suspend(strcmp(state, "mem") == 0 ? SUSPEND_RAM :
	    SUSPEND_DISK, power_done, o, &e) == -1) {
		power_done(0, &e, o);
	}
}

static const struct {
	const char	*name;
	void		(*fn)(struct ovirt *, cJSON *);
} cmds[] = {
	{ "refresh", cmd_refresh },
	{ "api-version", cmd_api_version },
	{ "echo", cmd_echo },
	{ "lock-screen", cmd_lock },
	{ "log-off", cmd_logoff },
	{ "login", cmd_login },
	{ "shutdown", cmd_shutdown },
	{ "hibernate", cmd_hibernate },
	{ "set-number-of-cpus", cmd_set_cpus },
	{ "lifecycle-event", cmd_lifecycle },
};

/* ---- input --------------------------------------------------------------- */

static void
bad_line(struct ovirt *o, const char *why, const char *p, size_t n)
{
	if (o->warned & OVW_BADLINE) {
		log_debug("ovirt: %s: %s", why, log_sample(p, n));
	} else {
		log_warnx("ovirt: %s: %s", why, log_sample(p, n));
		o->warned |= OVW_BADLINE;
	}
}

/* One line from the host (VirtIoChannel._parseLine, plus strictness). */
static void
ov_line(void *arg, const char *p, size_t n)
{
	struct ovirt *o = arg;
	const char *end = NULL;
	const cJSON *name;
	cJSON *msg;
	size_t i;

	if (n > 0 && p[n - 1] == '\r') {
		n--;
	}
	if (n == strspn(p, " \t\r") || memchr(p, '\0', n) != NULL) {
		if (n > 0) {
			bad_line(o, "blank or NUL line", p, n);
		}
		return;
	}
	msg = cJSON_ParseWithLengthOpts(p, n, &end, 0);
	if (msg != NULL && end != NULL) {
		while (end < p + n && strchr(" \t\r", *end) != NULL) {
			end++;
		}
	}
	if (msg == NULL || end != p + n || !cJSON_IsObject(msg)) {
		bad_line(o, "not a JSON object", p, n);
		cJSON_Delete(msg);
		return;
	}
	json_keep_numbers(msg, p, n);
	name = cJSON_GetObjectItemCaseSensitive(msg, "__name__");
	if (!cJSON_IsString(name)) {
		bad_line(o, "no __name__", p, n);
		cJSON_Delete(msg);
		return;
	}
	for (i = 0; i < nitems(cmds); i++) {
		if (strcmp(cmds[i].name, name->valuestring) == 0) {
			log_debug("ovirt: command %s", cmds[i].name);
			cmds[i].fn(o, msg);
			break;
		}
	}
	if (i == nitems(cmds)) {
		if (o->warned & OVW_UNKNOWN) {
			log_debug("ovirt: Unknown external command %s",
			    log_sample(name->valuestring,
			    strlen(name->valuestring)));
		} else {
			log_warnx("ovirt: Unknown external command %s",
			    log_sample(name->valuestring,
			    strlen(name->valuestring)));
			o->warned |= OVW_UNKNOWN;
		}
	}
	cJSON_Delete(msg);
}

/* ---- the front end ------------------------------------------------------- */

static void *
ov_open(struct chan *ch)
{
	struct ovirt *o = calloc(1, sizeof(*o));
	size_t k;

	if (o == NULL) {
		fatal("calloc");
	}
	o->ch = ch;
	ovf_init(&o->f, OVF_LINE_MAX);
	for (k = 0; k < OT_N; k++) {
		o->t[k].o = o;
		o->t[k].k = k;
		o->ms[k] = rate_ms(k);
	}
	ovm_containers_query(o);	/* ready before the first host */
	return o;
}

/*
 * A host is here.  The start-up batch goes to the first one (at start no
 * host may be listening: nothing is lost by waiting); VDSM's refresh, read
 * next, brings the full resend on every connect.
 */
static void
ov_connect(struct chan *ch)
{
	struct ovirt *o = ch->ps;
	size_t k;

	o->user_sent = 0;
	o->warned &= ~OVW_QUEUE;
	if (!o->started) {
		o->started = 1;
		startup_batch(o);
	}
	for (k = 0; k < OT_N; k++) {
		arm(o, k);
	}
}

static void
ov_feed(struct chan *ch, const char *p, size_t n)
{
	struct ovirt *o = ch->ps;

	if (ovf_feed(&o->f, p, n, ov_line, o) == -1) {
		log_warn("ovirt: input");
	}
}

/* No timers while no host: periodic output would only be dropped. */
static void
ov_disconnect(struct chan *ch)
{
	struct ovirt *o = ch->ps;
	size_t k;

	ovf_reset(&o->f);
	for (k = 0; k < OT_N; k++) {
		timer_stop(&o->t[k].t);
	}
}

/* The work loop ends (SIGTERM): upstream's last message. */
static void
ov_quit(struct chan *ch)
{
	ovm_empty(ch->ps, "session-shutdown");
}

const struct proto ovirt_proto = {
	.name = "ovirt",
	.open = ov_open,
	.connect = ov_connect,
	.feed = ov_feed,
	.disconnect = ov_disconnect,
	.quit = ov_quit,
};
