/*
 * power.c: shutdown and suspend with qemu-ga's commands and texts
 * (qemu-ga.md 4.4).  The command's exit status decides the answer (no reply
 * on success), so it runs as a child and the request waits in the loop.
 * reboot(2) is the fallback only on a real root: under a test root
 * (VERBS_ROOT) a missing /sbin/shutdown is an error, never a power-off.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "power.h"
#include "boot.h"

#define SHUTDOWN_MSG	"hypervisor initiated shutdown"	/* qemu-ga */
#define POWER_TIMEOUT_MS	(5 * 60 * 1000)

/* The initramfs helper's; weak so a build without verbs/boot.c links. */
__attribute__((weak)) int boot_is_pid1(void);
__attribute__((weak)) int boot_power(int);

struct powerjob {
	power_done_fn	*done;
	void		*arg;
	const char	*fail;		/* error text on a bad exit */
};

static void
job_out(struct child *c, int stream, const char *p, size_t n, void *a)
{
	(void)c;
	(void)stream;
	(void)a;
	if (n > 0) {
		log_info("power: %s", log_sample(p, n));
	}
}

static void
job_done(struct child *c, int st, void *arg)
{
	struct powerjob *j = arg;
	struct verr e;

	(void)c;
	memset(&e, 0, sizeof(e));
	if (!WIFEXITED(st)) {
		verr_set(&e, EINTR, "child process has terminated abnormally");
	} else if (WEXITSTATUS(st) != 0) {
		verr_set(&e, EIO, "%s", j->fail);
	}
	j->done(e.msg[0] == '\0', &e, j->arg);
	free(j);
}

static int
run(const char *path, char **argv, const char *fail, power_done_fn *done,
    void *arg, struct verr *e)
{
	static const struct child_ops ops = { job_out, job_done };
	struct powerjob *j;
	struct spawn sp;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		return verr_set(e, errno, "out of memory");
	}
	j->done = done;
	j->arg = arg;
	j->fail = fail;
	memset(&sp, 0, sizeof(sp));
	sp.path = path;
	sp.argv = argv;
	sp.flags = CHILD_OUT | CHILD_MERGE;
	sp.timeout_ms = POWER_TIMEOUT_MS;
	if (child_spawn(&sp, &ops, j, e) == NULL) {
		free(j);
		return verr_set(e, e->err, "%s", fail);
	}
	return 1;
}

static int
executable(const char *path)
{
	return access(vpath(path), X_OK) == 0;
}

/* Under a test root reboot(2) would hit the test machine. */
static int
real_root(void)
{
	return strcmp(vpath("/"), "/") == 0;
}

int
power_shutdown(enum power_mode m, power_done_fn *done, void *arg,
    struct verr *e)
{
	static const char *const direct[] = { "/sbin/poweroff", "/sbin/halt",
	    "/sbin/reboot" };
	static const char *const flag[] = { "-P", "-H", "-r" };
	static const int how[] = { BOOT_POWEROFF, BOOT_HALT, BOOT_REBOOT };
	char *argv[6];

	if (boot_is_pid1 && boot_is_pid1() && boot_power) {
		return boot_power(how[m]) == -1 ? verr_set(e, errno,
		    "child process has failed to shutdown") : 0;
	}
	/* QEMU GitLab #2589: busybox has poweroff/halt/reboot only. */
	if (executable(direct[m])) {
		argv[0] = (char *)(uintptr_t)direct[m];
		argv[1] = NULL;
		return run(vpath(direct[m]), argv, "child process has failed "
		    "to shutdown", done, arg, e);
	}
	if (executable("/sbin/shutdown")) {
		argv[0] = "/sbin/shutdown";
		argv[1] = "-h";
		argv[2] = (char *)(uintptr_t)flag[m];
		argv[3] = "+0";
		argv[4] = SHUTDOWN_MSG;
		argv[5] = NULL;
		return run(vpath("/sbin/shutdown"), argv, "child process has "
		    "failed to shutdown", done, arg, e);
	}
	if (!real_root() || boot_power == NULL) {
		return verr_set(e, ENOSYS, "this feature or command is not "
		    "currently supported");
	}
	log_info("power: no shutdown command: sync and reboot(2)");
	if (boot_power(how[m]) == -1) {
		return verr_set(e, errno, "child process has failed to "
		    "shutdown");
	}
	return 0;
}

/* ---- suspend: systemd, else /sys/power/state ----------------------------- */

struct suspendjob {
	enum power_suspend	 mode;
	power_done_fn		*done;
	void			*arg;
};

static const char *const sd_unit[] = { "systemd-hibernate",
    "systemd-suspend", "systemd-hybrid-sleep" };
static const char *const sd_verb[] = { "hibernate", "suspend",
    "hybrid-sleep" };

static const char *
systemctl(void)
{
	static const char *const where[] = { "/usr/bin/systemctl",
	    "/bin/systemctl" };
	size_t i;

	for (i = 0; i < nitems(where); i++) {
		if (executable(where[i])) {
			return where[i];
		}
	}
	return NULL;
}

static int
sysfs_suspend(enum power_suspend m, struct verr *e)
{
	const char *word = m == SUSPEND_DISK ? "disk" : "mem";
	char states[256];
	int fd, r;

	if (m == SUSPEND_HYBRID || vread_file(vpath("/sys/power/state"),
	    states, sizeof(states)) == -1 || strstr(states, word) == NULL) {
		return verr_set(e, ENOTSUP, "the requested suspend mode is not "
		    "supported by the guest");
	}
	/* The write returns after resume (or never, for disk). */
	if ((fd = open(vpath("/sys/power/state"), O_WRONLY | O_CLOEXEC)) ==
	    -1) {
		return verr_set(e, errno, "failed to open /sys/power/state: %s",
		    strerror(errno));
	}
	r = write(fd, word, strlen(word));
	close(fd);
	if (r == -1) {
		return verr_set(e, errno, "suspend: %s", strerror(errno));
	}
	return 0;
}

/* systemctl status: LSB codes 1-3 mean the unit exists (qemu-ga). */
static void
status_done(struct child *c, int st, void *arg)
{
	struct suspendjob *j = arg;
	char *argv[3];
	struct verr e;
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1, r;

	(void)c;
	memset(&e, 0, sizeof(e));
	if (code >= 1 && code <= 3) {
		argv[0] = "systemctl";
		argv[1] = (char *)(uintptr_t)sd_verb[j->mode];
		argv[2] = NULL;
		r = run(vpath(systemctl()), argv, "child process has failed "
		    "to suspend", j->done, j->arg, &e);
	} else {
		r = sysfs_suspend(j->mode, &e);
	}
	if (r == -1) {
		j->done(0, &e, j->arg);
	} else if (r == 0) {
		j->done(1, &e, j->arg);
	}
	free(j);
}

int
power_suspend(enum power_suspend m, power_done_fn *done, void *arg,
    struct verr *e)
{
	static const struct child_ops ops = { NULL, status_done };
	const char *sc = systemctl();
	struct suspendjob *j;
	struct spawn sp;
	char *argv[4];

	if (sc == NULL) {
		return sysfs_suspend(m, e);
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		return verr_set(e, errno, "out of memory");
	}
	j->mode = m;
	j->done = done;
	j->arg = arg;
	argv[0] = "systemctl";
	argv[1] = "status";
	argv[2] = (char *)(uintptr_t)sd_unit[m];
	argv[3] = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.path = vpath(sc);
	sp.argv = argv;
	sp.timeout_ms = POWER_TIMEOUT_MS;
	if (child_spawn(&sp, &ops, j, e) == NULL) {
		free(j);
		return sysfs_suspend(m, e);
	}
	return 1;
}
