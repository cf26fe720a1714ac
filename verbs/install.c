/*
 * install.c: `onega install` puts the running binary at /usr/sbin/onega,
 * a default /etc/onega.conf, and a way to start it on the init system found
 * in the target root (systemd unit + udev rule as Debian's
 * qemu-guest-agent, OpenRC or sysvinit script, busybox inittab line).  It
 * refuses, before writing anything, where another agent owns a port onega
 * would serve.  What it creates is listed in a manifest, so `onega
 * uninstall` removes exactly that (a config the admin changed stays).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../agent.h"
#include "install.h"

/*
 * The canonical path of a directory, from /proc/self/fd (realpath(3) costs
 * 1.4 KB of the static binary for this one use).
 */
static int
inst_realdir(const char *dir, char *out, size_t len)
{
	char fdp[32];
	ssize_t n;
	int fd;

	if ((fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		return -1;
	}
	snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", fd);
	n = readlink(fdp, out, len - 1);
	close(fd);
	if (n <= 0 || (size_t)n >= len - 1) {
		errno = n <= 0 ? errno : ENAMETOOLONG;
		return -1;
	}
	out[n] = '\0';
	return 0;
}

static const char *const init_names[] = { "systemd", "openrc", "sysv",
	"busybox" };

static const char conf_text[] =
"# onega(8) configuration, written by `onega install` (kept by uninstall\n"
"# once you change it).  [general] is qemu-ga's section, same keys as\n"
"# qemu-ga.conf; [ovirt] and [spice] set the other two channels.\n"
"[general]\n"
"#verbose=false\n"
"#logfile=/var/log/onega.log\n"
"#block-rpcs=\n"
"#fsfreeze-hook=/etc/qemu/fsfreeze-hook\n"
"\n"
"[ovirt]\n"
"#enabled=true\n"
"\n"
"[spice]\n"
"#enabled=true\n";

/*
 * Like Debian's qemu-guest-agent.service, started by udev when a port shows
 * up, without [Install].  No BindsTo on the qemu-ga port's device: onega
 * also serves the oVirt and SPICE ports and waits for absent ports itself.
 */
static const char unit_text[] =
"# Written by `onega install`; removed by `onega uninstall`.\n"
"[Unit]\n"
"Description=onega guest agent (qemu-ga, oVirt and SPICE protocols)\n"
"Documentation=man:onega(8)\n"
"After=dev-virtio\\x2dports-org.qemu.guest_agent.0.device\n"
"\n"
"[Service]\n"
"ExecStart=" INST_BIN " -c " INST_CONF "\n"
"Restart=always\n"
"RestartSec=1\n";

#define RULE(n) "SUBSYSTEM==\"virtio-ports\", ATTR{name}==\"" n "\", " \
	"TAG+=\"systemd\", ENV{SYSTEMD_WANTS}+=\"onega.service\"\n"
static const char rules_text[] =
"# Written by `onega install`: start onega.service when one of its\n"
"# virtio-serial ports appears.\n"
RULE("org.qemu.guest_agent.0")
RULE("ovirt-guest-agent.0")
RULE("com.redhat.rhevm.vdsm")
RULE("com.redhat.spice.0");

static const char openrc_text[] =
"#!/sbin/openrc-run\n"
"# Written by `onega install`; removed by `onega uninstall`.\n"
"description=\"onega guest agent (qemu-ga, oVirt and SPICE protocols)\"\n"
"command=" INST_BIN "\n"
"command_args=\"-c " INST_CONF "\"\n"
"command_background=yes\n"
"pidfile=/run/onega.pid\n"
"\n"
"depend() {\n"
"\tafter localmount\n"
"}\n";

static const char sysv_text[] =
"#!/bin/sh\n"
"### BEGIN INIT INFO\n"
"# Provides:          onega\n"
"# Required-Start:    $local_fs\n"
"# Required-Stop:     $local_fs\n"
"# Default-Start:     2 3 4 5\n"
"# Default-Stop:      0 1 6\n"
"# Short-Description: onega guest agent\n"
"### END INIT INFO\n"
"# Written by `onega install`; removed by `onega uninstall`.\n"
"DAEMON=" INST_BIN "\n"
"PIDFILE=/run/onega.pid\n"
"[ -x \"$DAEMON\" ] || exit 0\n"
"case \"$1\" in\n"
"start)\n"
"\tstart-stop-daemon --start --quiet --pidfile $PIDFILE --exec $DAEMON \\\n"
"\t    -- -c " INST_CONF " -d -f $PIDFILE ;;\n"
"stop)\n"
"\tstart-stop-daemon --stop --quiet --retry 10 --pidfile $PIDFILE \\\n"
"\t    --exec $DAEMON ;;\n"
"restart|force-reload)\n"
"\t\"$0\" stop\n"
"\t\"$0\" start ;;\n"
"status)\n"
"\tstart-stop-daemon --status --pidfile $PIDFILE --exec $DAEMON ;;\n"
"*)\n"
"\techo \"Usage: $0 {start|stop|restart|status}\" >&2\n"
"\texit 3 ;;\n"
"esac\n";

static const char inittab_line[] = "::respawn:" INST_BIN " -c " INST_CONF;

/* ---- paths and small file helpers --------------------------------------- */

const char *
inst_rp(const struct inst *in, const char *path)
{
	static char buf[4][PATH_MAX];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%s%s", in->root, path);
	return buf[n];
}

int
inst_exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

/* Whole file into *out (NUL terminated); -1 with errno. */
int
inst_slurp(const char *path, char **out, size_t *len)
{
	struct buf b;
	char tmp[65536];
	ssize_t r;
	int fd;

	memset(&b, 0, sizeof(b));
	b.max = INST_BIN_MAX;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		return -1;
	}
	while ((r = read(fd, tmp, sizeof(tmp))) != 0) {
		if (r == -1 && errno == EINTR) {
			continue;
		}
		if (r == -1 || buf_append(&b, tmp, (size_t)r) == -1) {
			close(fd);
			buf_reset(&b);
			return -1;
		}
	}
	close(fd);
	if (buf_append(&b, "", 1) == -1) {
		buf_reset(&b);
		return -1;
	}
	*len = buf_size(&b) - 1;
	*out = b.p;
	return 0;
}

static int
same_file(const char *path, const char *data, size_t n)
{
	char *cur;
	size_t len;
	int same;

	if (inst_slurp(path, &cur, &len) == -1) {
		return 0;
	}
	same = len == n && memcmp(cur, data, n) == 0;
	free(cur);
	return same;
}

/* ---- the manifest ------------------------------------------------------- */

static int
ent_has(const struct inst *in, char kind, const char *path)
{
	size_t i;

	for (i = 0; i < in->nent; i++) {
		if (in->ent[i].kind == kind && strcmp(in->ent[i].path, path) == 0) {
			return 1;
		}
	}
	return 0;
}

static void
ent_add(struct inst *in, char kind, const char *path)
{
	if (ent_has(in, kind, path) || in->nent >= INST_MAX_ENT) {
		return;
	}
	if ((in->ent[in->nent].path = strdup(path)) == NULL) {
		fatal("strdup");
	}
	in->ent[in->nent++].kind = kind;
}

static void
ent_free(struct inst *in)
{
	while (in->nent > 0) {
		free(in->ent[--in->nent].path);
	}
}

static int
manifest_load(struct inst *in)
{
	char *text, *line, *save = NULL;
	size_t len;

	if (inst_slurp(inst_rp(in, INST_MANIFEST), &text, &len) == -1) {
		return -1;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != '\0' && strchr("flden", line[0]) != NULL &&
		    line[1] == ' ' && line[2] == '/') {
			ent_add(in, line[0], line + 2);
		}
	}
	free(text);
	return 0;
}

/* ---- writing ------------------------------------------------------------ */

/* mkdir -p of path's parents inside the root, recording the ones made. */
static int
mkparents(struct inst *in, const char *path)
{
	char p[PATH_MAX], *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = strchr(p + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(inst_rp(in, p), 0755) == 0) {
			ent_add(in, 'd', p);
		} else if (errno != EEXIST) {
			log_warn("mkdir %s", inst_rp(in, p));
			return -1;
		}
		*s = '/';
	}
	return 0;
}

/* Write via a temporary file and rename(2): never a half-written file. */
static int
write_atomic(struct inst *in, const char *path, const char *data, size_t n,
    mode_t mode)
{
	char tmp[PATH_MAX];
	const char *dst = inst_rp(in, path);
	size_t off = 0;
	ssize_t w;
	int fd;

	if (mkparents(in, path) == -1) {
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.onega-new", dst);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1) {
		log_warn("create %s", tmp);
		return -1;
	}
	while (off < n) {
		if ((w = write(fd, data + off, n - off)) == -1 && errno == EINTR) {
			continue;
		}
		if (w == -1) {
			break;
		}
		off += (size_t)w;
	}
	if (off < n || fchmod(fd, mode) == -1 || fsync(fd) == -1 ||
	    close(fd) == -1 || rename(tmp, dst) == -1) {
		log_warn("write %s", dst);
		if (off < n) {
			close(fd);
		}
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* A file of ours: written unless it already says exactly this. */
static int
put_file(struct inst *in, const char *path, const char *data, size_t n,
    mode_t mode)
{
	struct stat st;
	const char *dst = inst_rp(in, path);

	if (same_file(dst, data, n) && stat(dst, &st) == 0 &&
	    (st.st_mode & 07777) == mode) {
		printf("  unchanged %s\n", path);
		return 0;
	}
	if (!inst_exists(dst)) {
		ent_add(in, 'f', path);
	} else if (!ent_has(in, 'f', path)) {
		/* Someone else's file of that name: it becomes ours. */
		log_warnx("replacing %s", dst);
		ent_add(in, 'f', path);
	}
	if (write_atomic(in, path, data, n, mode) == -1) {
		return -1;
	}
	printf("  wrote %s\n", path);
	return 0;
}

static int
put_link(struct inst *in, const char *path, const char *target)
{
	char cur[PATH_MAX];
	const char *dst = inst_rp(in, path);
	ssize_t n = readlink(dst, cur, sizeof(cur) - 1);

	if (n >= 0) {
		cur[n] = '\0';
		if (strcmp(cur, target) == 0) {
			printf("  unchanged %s\n", path);
			return 0;
		}
	}
	if (inst_exists(dst)) {
		log_warnx("%s exists; leaving it", dst);
		return 0;
	}
	if (mkparents(in, path) == -1 || symlink(target, dst) == -1) {
		log_warn("symlink %s", dst);
		return -1;
	}
	ent_add(in, 'l', path);
	printf("  linked %s -> %s\n", path, target);
	return 0;
}

/* busybox init: our respawn line in /etc/inittab. */
static int
inittab_add(struct inst *in)
{
	struct stat st;
	struct buf b;
	char *text = NULL;
	size_t len = 0;
	int r, nl = 0;

	if (inst_slurp(inst_rp(in, INST_INITTAB), &text, &len) == 0 &&
	    strstr(text, inittab_line) != NULL) {
		free(text);
		printf("  unchanged %s\n", INST_INITTAB);
		return 0;
	}
	memset(&b, 0, sizeof(b));
	r = buf_append(&b, text ? text : "", len);
	if (r == 0 && len > 0 && text[len - 1] != '\n') {
		r = buf_append(&b, "\n", 1);
		nl = 1;		/* uninstall takes it away again */
	}
	if (r == 0) {
		r = buf_printf(&b, "%s\n", inittab_line);
	}
	free(text);
	if (r == 0) {
		r = write_atomic(in, INST_INITTAB, buf_data(&b), buf_size(&b),
		    stat(inst_rp(in, INST_INITTAB), &st) == 0 ?
		    (st.st_mode & 07777) : 0644);
	}
	buf_reset(&b);
	if (r == 0) {
		ent_add(in, nl ? 'n' : 'e', INST_INITTAB);
		printf("  added to %s: %s\n", INST_INITTAB, inittab_line);
	}
	return r;
}

static int
inittab_remove(struct inst *in, int nl_added)
{
	struct stat st;
	struct buf b;
	char *text, *line, *nl;
	size_t len;
	int r = 0, last = 0;

	if (inst_slurp(inst_rp(in, INST_INITTAB), &text, &len) == -1) {
		return errno == ENOENT ? 0 : -1;
	}
	memset(&b, 0, sizeof(b));
	for (line = text; r == 0 && *line != '\0'; line = nl) {
		nl = strchr(line, '\n');
		nl = nl ? nl + 1 : line + strlen(line);
		if ((size_t)(nl - line) >= sizeof(inittab_line) - 1 &&
		    strncmp(line, inittab_line, sizeof(inittab_line) - 1) == 0 &&
		    (line[sizeof(inittab_line) - 1] == '\n' ||
		    line[sizeof(inittab_line) - 1] == '\0')) {
			last = *nl == '\0';
			continue;
		}
		last = 0;
		r = buf_append(&b, line, (size_t)(nl - line));
	}
	/* 'n': install ended the admin's last line; if ours is still the
	 * last one, take that newline back too. */
	if (r == 0 && nl_added && last && buf_size(&b) > 0 &&
	    buf_data(&b)[buf_size(&b) - 1] == '\n') {
		b.len--;
	}
	if (r == 0 && (buf_size(&b) != len)) {
		r = write_atomic(in, INST_INITTAB, buf_size(&b) ? buf_data(&b) :
		    "", buf_size(&b), stat(inst_rp(in, INST_INITTAB), &st) == 0 ?
		    (st.st_mode & 07777) : 0644);
		if (r == 0) {
			printf("  removed our line from %s\n", INST_INITTAB);
		}
	}
	free(text);
	buf_reset(&b);
	return r;
}

static int
manifest_save(struct inst *in)
{
	struct buf b;
	size_t i;
	int r = 0;

	/* Its own directories first, so they are listed in it too. */
	if (mkparents(in, INST_MANIFEST) == -1) {
		return -1;
	}
	memset(&b, 0, sizeof(b));
	r = buf_printf(&b, "# onega install manifest: what `onega uninstall` "
	    "removes\n");
	for (i = 0; r == 0 && i < in->nent; i++) {
		r = buf_printf(&b, "%c %s\n", in->ent[i].kind, in->ent[i].path);
	}
	if (r == 0) {
		r = write_atomic(in, INST_MANIFEST, buf_data(&b), buf_size(&b),
		    0644);
	}
	buf_reset(&b);
	return r;
}

/* ---- the subcommands ---------------------------------------------------- */

static void
inst_usage(FILE *f, const char *cmd)
{
	fprintf(f, "usage: onega %s [--root DIR] [--init systemd|openrc|sysv|"
	    "busybox]%s [--no-start]\n"
	    "  --root DIR   act on the system in DIR (default /; nothing is "
	    "started there)\n"
	    "  --init NAME  init system (default: detected in the root)\n"
	    "%s"
	    "  --no-start   do not %s the service on the running system\n",
	    cmd, strcmp(cmd, "install") == 0 ? " [--force]" : "",
	    strcmp(cmd, "install") == 0 ? "  --force      install even where "
	    "another agent owns a port\n" : "",
	    strcmp(cmd, "install") == 0 ? "start" : "stop");
}

/* Options common to both; -1 on a usage error (already reported). */
static int
inst_setup(struct inst *in, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "init", required_argument, NULL, 'i' },
		{ "force", no_argument, NULL, 'f' },
		{ "no-start", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *root = "/", *init = NULL;
	char real[PATH_MAX];
	size_t i;
	int c, nostart = 0;

	memset(in, 0, sizeof(*in));
	while ((c = getopt_long(argc, argv, "r:i:fnh", lopts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'i': init = optarg; break;
		case 'f': in->force = 1; break;
		case 'n': nostart = 1; break;
		case 'h': inst_usage(stdout, argv[0]); exit(0);
		default: inst_usage(stderr, argv[0]); return -1;
		}
	}
	if (optind != argc || (in->force && strcmp(argv[0], "install"))) {
		inst_usage(stderr, argv[0]);
		return -1;
	}
	if (inst_realdir(root, real, sizeof(real)) == -1) {
		fprintf(stderr, "onega %s: %s: %s\n", argv[0], root,
		    strerror(errno));
		return -1;
	}
	snprintf(in->root, sizeof(in->root), "%s",
	    strcmp(real, "/") == 0 ? "" : real);
	in->init = inst_init_detect(in);
	for (i = 0; init != NULL && i < nitems(init_names); i++) {
		if (strcmp(init, init_names[i]) == 0) {
			in->init = (enum init_kind)i;
			break;
		}
	}
	if (init != NULL && i == nitems(init_names)) {
		fprintf(stderr, "onega %s: unknown init system %s\n", argv[0],
		    init);
		return -1;
	}
	in->live = in->root[0] == '\0' && inst_init_running(in->init);
	in->start = in->live && !nostart;
	return 0;
}

static int
install_init(struct inst *in)
{
	static const char *const rc[] = { "0K", "1K", "2S", "3S", "4S", "5S",
	    "6K" };
	char p[64];
	size_t i;
	int r = 0;

	switch (in->init) {
	case INIT_SYSTEMD:
		r = put_file(in, INST_UNIT, unit_text, sizeof(unit_text) - 1,
		    0644);
		if (r == 0) {
			r = put_file(in, INST_RULES, rules_text,
			    sizeof(rules_text) - 1, 0644);
		}
		return r;
	case INIT_OPENRC:
		r = put_file(in, INST_INITD, openrc_text,
		    sizeof(openrc_text) - 1, 0755);
		return r == 0 ? put_link(in, INST_RUNLEVEL, INST_INITD) : r;
	case INIT_SYSV:
		r = put_file(in, INST_INITD, sysv_text, sizeof(sysv_text) - 1,
		    0755);
		for (i = 0; r == 0 && i < nitems(rc); i++) {
			snprintf(p, sizeof(p), "/etc/rc%c.d/%c01onega",
			    rc[i][0], rc[i][1]);
			r = put_link(in, p, "../init.d/onega");
		}
		return r;
	case INIT_BUSYBOX:
		return inittab_add(in);
	}
	return -1;
}

int
cli_install(int argc, char **argv)
{
	struct inst in;
	char *bin;
	size_t len;
	int r;

	if (inst_setup(&in, argc, argv) == -1) {
		return 100;
	}
	if (conf_load(inst_rp(&in, INST_CONF), 0) == -1) {
		log_warn("%s", inst_rp(&in, INST_CONF));
	}
	manifest_load(&in);
	if (!in.force && (inst_check_others(&in) | inst_check_ports(&in)) != 0) {
		fprintf(stderr, "onega install: refused, nothing written "
		    "(--force installs anyway)\n");
		ent_free(&in);
		return 1;
	}
	if (inst_slurp("/proc/self/exe", &bin, &len) == -1) {
		log_warn("/proc/self/exe");
		ent_free(&in);
		return 1;
	}
	printf("onega install: %s init, root %s\n", init_names[in.init],
	    in.root[0] ? in.root : "/");
	r = put_file(&in, INST_BIN, bin, len, 0755);
	free(bin);
	if (r == 0 && !inst_exists(inst_rp(&in, INST_CONF))) {
		r = put_file(&in, INST_CONF, conf_text, sizeof(conf_text) - 1,
		    0644);
	} else if (r == 0) {
		printf("  %s %s\n", ent_has(&in, 'f', INST_CONF) &&
		    same_file(inst_rp(&in, INST_CONF), conf_text,
		    sizeof(conf_text) - 1) ? "unchanged" : "kept", INST_CONF);
	}
	if (r == 0) {
		r = install_init(&in);
	}
	/* Even after a failure: uninstall must find what was written. */
	if (manifest_save(&in) == -1) {
		r = -1;
	}
	if (r == 0 && in.start) {
		inst_live_start(&in);
	}
	ent_free(&in);
	return r == 0 ? 0 : 1;
}

static void
remove_one(struct inst *in, const struct ient *e)
{
	const char *p = inst_rp(in, e->path);

	if (e->kind == 'e' || e->kind == 'n') {
		if (inittab_remove(in, e->kind == 'n') == -1) {
			log_warn("%s", p);
		}
		return;
	}
	if (e->kind == 'f' && strcmp(e->path, INST_CONF) == 0 && inst_exists(p) &&
	    !same_file(p, conf_text, sizeof(conf_text) - 1)) {
		printf("  kept %s: changed since install\n", e->path);
		return;
	}
	if (e->kind == 'l' && !inst_link_has(p, "")) {
		return;			/* no longer our symlink */
	}
	if (e->kind == 'd') {
		if (rmdir(p) == 0) {
			printf("  removed %s/\n", e->path);
		}
		return;			/* not empty: someone else's now */
	}
	if (unlink(p) == 0) {
		printf("  removed %s\n", e->path);
	} else if (errno != ENOENT) {
		log_warn("unlink %s", p);
	}
}

int
cli_uninstall(int argc, char **argv)
{
	struct inst in;
	size_t i;

	if (inst_setup(&in, argc, argv) == -1) {
		return 100;
	}
	if (manifest_load(&in) == -1) {
		fprintf(stderr, "onega uninstall: %s: %s: nothing removed\n",
		    inst_rp(&in, INST_MANIFEST), strerror(errno));
		return 1;
	}
	printf("onega uninstall: %s init, root %s\n", init_names[in.init],
	    in.root[0] ? in.root : "/");
	if (in.start) {
		inst_live_stop(&in);
	}
	for (i = in.nent; i-- > 0; ) {
		if (in.ent[i].kind != 'd') {
			remove_one(&in, &in.ent[i]);
		}
	}
	if (unlink(inst_rp(&in, INST_MANIFEST)) == -1) {
		log_warn("unlink %s", inst_rp(&in, INST_MANIFEST));
	}
	for (i = in.nent; i-- > 0; ) {
		if (in.ent[i].kind == 'd') {
			remove_one(&in, &in.ent[i]);
		}
	}
	if (in.start && in.init == INIT_SYSTEMD) {
		static char *reload[] = { "systemctl", "daemon-reload", NULL };

		inst_run(reload);
	} else if (in.start && in.init == INIT_BUSYBOX) {
		kill(1, SIGHUP);
		printf("  a running onega keeps running until it is stopped\n");
	}
	ent_free(&in);
	return 0;
}
