/*
 * install_sys.c: what `onega install` needs to know about the target
 * system: its init system, other guest agents set to start there
 * (qemu-guest-agent, spice-vdagent, ovirt-guest-agent) and processes
 * holding a port onega would serve; and, on the running system, how to
 * start and stop the service once the files are in place.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../agent.h"
#include "install.h"

int
inst_link_has(const char *path, const char *what)
{
	char t[PATH_MAX];
	ssize_t n = readlink(path, t, sizeof(t) - 1);

	if (n < 0) {
		return 0;
	}
	t[n] = '\0';
	return strstr(t, what) != NULL;
}

enum init_kind
inst_init_detect(const struct inst *in)
{
	if (inst_exists(inst_rp(in, "/run/systemd/system")) ||
	    inst_link_has(inst_rp(in, "/sbin/init"), "systemd") ||
	    inst_exists(inst_rp(in, "/lib/systemd/systemd")) ||
	    inst_exists(inst_rp(in, "/usr/lib/systemd/systemd"))) {
		return INIT_SYSTEMD;
	}
	if (inst_exists(inst_rp(in, "/sbin/openrc-run")) ||
	    inst_exists(inst_rp(in, "/usr/sbin/openrc-run")) ||
	    inst_exists(inst_rp(in, "/sbin/openrc"))) {
		return INIT_OPENRC;
	}
	if (inst_link_has(inst_rp(in, "/sbin/init"), "busybox") ||
	    !inst_exists(inst_rp(in, "/etc/init.d"))) {
		return INIT_BUSYBOX;
	}
	return INIT_SYSV;
}

/* Is the init system of / the one running now? */
int
inst_init_running(enum init_kind k)
{
	char exe[PATH_MAX];
	ssize_t n;

	switch (k) {
	case INIT_SYSTEMD:
		return inst_exists("/run/systemd/system");
	case INIT_OPENRC:
		return inst_exists("/run/openrc");
	case INIT_BUSYBOX:
		n = readlink("/proc/1/exe", exe, sizeof(exe) - 1);
		exe[n < 0 ? 0 : n] = '\0';
		return strstr(exe, "busybox") != NULL;
	case INIT_SYSV:
		return 1;
	}
	return 0;
}

struct other {
	const char	*name;		/* package / service name */
	const char	*section;	/* onega's channel for the same port */
	const char	*bins[3];
	const char	*svc[2];
	const char	*udev[2];	/* rules that start it on the port */
};

static const struct other others[] = {
	{ "qemu-guest-agent", "general",
	    { "/usr/sbin/qemu-ga", "/usr/bin/qemu-ga", "/usr/local/bin/qemu-ga" },
	    { "qemu-guest-agent", "qemu-ga" },
	    { "/lib/udev/rules.d/60-qemu-guest-agent.rules",
	    "/usr/lib/udev/rules.d/60-qemu-guest-agent.rules" } },
	{ "spice-vdagent", "spice",
	    { "/usr/sbin/spice-vdagentd", "/usr/bin/spice-vdagentd", NULL },
	    { "spice-vdagentd", "spice-vdagent" },
	    { "/lib/udev/rules.d/70-spice-vdagentd.rules",
	    "/usr/lib/udev/rules.d/70-spice-vdagentd.rules" } },
	{ "ovirt-guest-agent", "ovirt",
	    { "/usr/share/ovirt-guest-agent/ovirt-guest-agent.py",
	    "/usr/bin/ovirt-guest-agent", NULL },
	    { "ovirt-guest-agent", NULL }, { NULL, NULL } },
};

/* Any entry of dir whose name matches prefix + svc + suffix? */
static int
dir_has(const char *dir, const char *svc, int rc_style)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int found = 0;

	if (d == NULL) {
		return 0;
	}
	while (!found && (de = readdir(d)) != NULL) {
		const char *n = de->d_name;

		if (rc_style) {		/* S01name */
			found = n[0] == 'S' && strlen(n) > 3 &&
			    strcmp(n + 3, svc) == 0;
		} else {
			found = strcmp(n, svc) == 0;
		}
	}
	closedir(d);
	return found;
}

/* systemd: any of its unit names masked (linked to /dev/null)? */
static int
svc_masked(const struct inst *in, const struct other *o)
{
	char p[PATH_MAX];
	size_t i;

	for (i = 0; in->init == INIT_SYSTEMD && i < nitems(o->svc); i++) {
		snprintf(p, sizeof(p), "/etc/systemd/system/%s.service",
		    o->svc[i] ? o->svc[i] : "");
		if (o->svc[i] && inst_link_has(inst_rp(in, p), "/dev/null")) {
			return 1;
		}
	}
	return 0;
}

/* Is this service set to start in the root's init system? */
static int
svc_enabled(const struct inst *in, const struct other *o, const char *svc)
{
	char p[PATH_MAX], *q;
	size_t i;
	int n;

	switch (in->init) {
	case INIT_SYSTEMD:
		for (i = 0; i < nitems(o->udev); i++) {
			if (o->udev[i] && inst_exists(inst_rp(in, o->udev[i]))) {
				return 1;
			}
		}
		snprintf(p, sizeof(p), "/etc/systemd/system/multi-user.target."
		    "wants/%s.service", svc);
		if (inst_exists(inst_rp(in, p))) {
			return 1;
		}
		snprintf(p, sizeof(p), "/etc/systemd/system/sockets.target."
		    "wants/%s.socket", svc);
		return inst_exists(inst_rp(in, p));
	case INIT_OPENRC:
		for (n = 0; n < 3; n++) {
			snprintf(p, sizeof(p), "/etc/runlevels/%s",
			    n == 0 ? "default" : n == 1 ? "boot" : "sysinit");
			if (dir_has(inst_rp(in, p), svc, 0)) {
				return 1;
			}
		}
		return 0;
	case INIT_SYSV:
		for (n = 1; n <= 5; n++) {
			snprintf(p, sizeof(p), "/etc/rc%d.d", n);
			if (dir_has(inst_rp(in, p), svc, 1)) {
				return 1;
			}
		}
		return 0;
	case INIT_BUSYBOX:
		if (inst_slurp(inst_rp(in, INST_INITTAB), &q, &i) == -1) {
			return 0;
		}
		n = strstr(q, strrchr(o->bins[0], '/') + 1) != NULL;
		free(q);
		return n;
	}
	return 0;
}

/* 0, or -1 after saying which agent owns a port onega would serve. */
int
inst_check_others(const struct inst *in)
{
	const struct other *o;
	size_t i, j;
	int bad = 0;

	for (o = others; o < others + nitems(others); o++) {
		if (!conf_bool(o->section, "enabled", 1)) {
			continue;	/* onega leaves that port alone */
		}
		for (i = 0; i < nitems(o->bins); i++) {
			if (o->bins[i] && inst_exists(inst_rp(in, o->bins[i]))) {
				break;
			}
		}
		if (i == nitems(o->bins)) {
			continue;
		}
		if (svc_masked(in, o)) {
			continue;
		}
		for (j = 0; j < nitems(o->svc); j++) {
			if (o->svc[j] && svc_enabled(in, o, o->svc[j])) {
				fprintf(stderr, "onega install: %s is installed "
				    "and enabled (%s, service %s): it owns the "
				    "port of onega's [%s] channel.\n  Remove or "
				    "disable it, or set enabled=false in [%s] "
				    "of %s.\n", o->name, o->bins[i], o->svc[j],
				    o->section, o->section, INST_CONF);
				bad = 1;
				break;
			}
		}
	}
	return bad ? -1 : 0;
}

void
inst_read_comm(const char *path, char *comm, size_t n)
{
	char *text, *nl;
	size_t len;

	if (inst_slurp(path, &text, &len) == -1) {
		snprintf(comm, n, "?");
		return;
	}
	if ((nl = strchr(text, '\n')) != NULL) {
		*nl = '\0';
	}
	snprintf(comm, n, "%s", text);
	free(text);
}

/*
 * Is pid an onega?  By name, or by running this very binary: as the /init
 * of an initramfs its comm is "init".
 */
static int
is_onega(pid_t pid, const char *comm)
{
	struct stat a, b;
	char p[64], exe[PATH_MAX], *base;
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%d/exe", (int)pid);
	if (stat(p, &a) == 0 && stat("/proc/self/exe", &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		return 1;
	}
	n = readlink(p, exe, sizeof(exe) - 1);
	exe[n < 0 ? 0 : n] = '\0';
	base = strrchr(exe, '/');
	return strcmp(comm, "onega") == 0 ||
	    (base != NULL && strcmp(base + 1, "onega") == 0);
}

/* The pid of a process other than onega holding dev open, or 0. */
static pid_t
port_holder(const char *dev, char *comm, size_t ncomm, int *onega)
{
	char p[600], t[PATH_MAX];
	struct dirent *de, *fe;
	DIR *d = opendir("/proc"), *fd;
	pid_t pid = 0;
	ssize_t n;

	*onega = 0;
	while (d != NULL && pid == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9') {
			continue;
		}
		snprintf(p, sizeof(p), "/proc/%s/fd", de->d_name);
		if ((fd = opendir(p)) == NULL) {
			continue;
		}
		while (pid == 0 && (fe = readdir(fd)) != NULL) {
			snprintf(p, sizeof(p), "/proc/%s/fd/%s", de->d_name,
			    fe->d_name);
			n = readlink(p, t, sizeof(t) - 1);
			if (n <= 0) {
				continue;
			}
			t[n] = '\0';
			if (strcmp(t, dev) == 0) {
				pid = (pid_t)atoi(de->d_name);
			}
		}
		closedir(fd);
		if (pid != 0) {
			snprintf(p, sizeof(p), "/proc/%d/comm", (int)pid);
			inst_read_comm(p, comm, ncomm);
			if (is_onega(pid, comm)) {
				*onega = 1;	/* ourselves, installed before */
				pid = 0;
			}
		}
	}
	if (d != NULL) {
		closedir(d);
	}
	return pid;
}

static const struct {
	const char	*name;
	const char	*section;
} port_names[] = {
	{ "org.qemu.guest_agent.0", "general" },
	{ "ovirt-guest-agent.0", "ovirt" },
	{ "com.redhat.rhevm.vdsm", "ovirt" },
	{ "com.redhat.spice.0", "spice" },
};

/*
 * 0, or -1 after naming who holds a port onega would serve.  Holders are
 * found through /proc/PID/fd, without touching the port; on the live
 * system a port nobody there holds is also opened once: EBUSY means a
 * holder we cannot see (another PID namespace).
 */
int
inst_check_ports(const struct inst *in)
{
	char p[PATH_MAX], name[64], comm[64], dev[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(inst_rp(in, "/sys/class/virtio-ports"));
	size_t i;
	pid_t pid;
	int bad = 0, onega, fd;

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			continue;
		}
		snprintf(p, sizeof(p), "/sys/class/virtio-ports/%s/name",
		    de->d_name);
		inst_read_comm(inst_rp(in, p), name, sizeof(name));
		for (i = 0; i < nitems(port_names); i++) {
			if (strcmp(name, port_names[i].name) == 0 &&
			    conf_bool(port_names[i].section, "enabled", 1)) {
				break;
			}
		}
		if (i == nitems(port_names)) {
			continue;
		}
		snprintf(p, sizeof(p), "/dev/%s", de->d_name);
		snprintf(dev, sizeof(dev), "%s", inst_rp(in, p));
		if ((pid = port_holder(dev, comm, sizeof(comm), &onega)) != 0) {
			fprintf(stderr, "onega install: port %s (%s) is held "
			    "by process %d (%s)\n", name, dev, (int)pid, comm);
			bad = 1;
			continue;
		}
		if (!in->live || onega) {
			continue;
		}
		fd = open(dev, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd == -1 && errno == EBUSY) {
			fprintf(stderr, "onega install: port %s (%s) is busy: "
			    "another agent holds it\n", name, dev);
			bad = 1;
		}
		if (fd != -1) {
			close(fd);
		}
	}
	if (d != NULL) {
		closedir(d);
	}
	return bad ? -1 : 0;
}

/* ---- the live system ---------------------------------------------------- */

/* A helper command, waited for: this is a CLI, not the agent's loop. */
void
inst_run(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid == -1) {
		log_warn("fork");
		return;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR) {
		;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		log_warnx("%s %s failed (status %d)", argv[0], argv[1],
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
}

void
inst_live_start(const struct inst *in)
{
	static char *reload[] = { "systemctl", "daemon-reload", NULL };
	static char *again[] = { "systemctl", "try-restart", "onega.service",
	    NULL };
	static char *udevr[] = { "udevadm", "control", "--reload", NULL };
	static char *trig[] = { "udevadm", "trigger", "--action=add",
	    "--subsystem-match=virtio-ports", NULL };
	/* restart: a running onega picks up a new binary */
	static char *rcs[] = { "rc-service", "onega", "restart", NULL };
	static char *sysv[] = { INST_INITD, "restart", NULL };

	switch (in->init) {
	case INIT_SYSTEMD:
		inst_run(reload);
		inst_run(again);
		inst_run(udevr);
		inst_run(trig);		/* starts it if a port is there now */
		break;
	case INIT_OPENRC:
		inst_run(rcs);
		break;
	case INIT_SYSV:
		inst_run(sysv);
		break;
	case INIT_BUSYBOX:
		if (kill(1, SIGHUP) == -1) {	/* re-read /etc/inittab */
			log_warn("kill -HUP 1");
		}
		break;
	}
}

void
inst_live_stop(const struct inst *in)
{
	static char *stop[] = { "systemctl", "stop", "onega.service", NULL };
	static char *rcs[] = { "rc-service", "onega", "stop", NULL };
	static char *sysv[] = { INST_INITD, "stop", NULL };

	switch (in->init) {
	case INIT_SYSTEMD:
		inst_run(stop);
		break;
	case INIT_OPENRC:
		inst_run(rcs);
		break;
	case INIT_SYSV:
		if (inst_exists(INST_INITD)) {
			inst_run(sysv);
		}
		break;
	case INIT_BUSYBOX:
		break;		/* after the inittab edit */
	}
}
