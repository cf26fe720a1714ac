/*
 * boot.c: onega as the guest's init, /init of a tiny initramfs.
 * PID 1 mounts the API filesystems, loads the modules listed in
 * /etc/modules.order with finit_module(2) (no modprobe, no modules.dep),
 * brings lo up, sets the host name (onega.boot.hostname= or /etc/hostname),
 * mounts test disks (onega.boot.mount=DEV:DIR[:TYPE[:OPTS]];...), then
 * forks: the child returns to main() and is the agent, PID 1 stays a
 * small supervisor.  PID 1 must never exit (the kernel panics), gets only
 * the signals it handles, and inherits every orphan (vm-testing.md §5).
 * Signals to PID 1 follow busybox init: USR1 halt, USR2 poweroff, TERM or
 * INT (ctrl-alt-del) reboot.
 */
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "verbs.h"
#include "boot.h"

#define BOOT_ORDER	"/etc/modules.order"
#define BOOT_ORDER_MAX	65536		/* a few hundred module lines */
#define BOOT_PORT_WAIT	5000		/* ms; names follow the nodes (§5.1) */
#define BOOT_DISK_WAIT	5000		/* ms for a block device to appear */
#define BOOT_STOP_WAIT	3000		/* ms for the agent to flush and exit */
#define BOOT_RESPAWN	1000		/* ms before restarting a dead agent, */
#define BOOT_RESPAWN_MAX 30000		/* doubling while it keeps dying */
#define BOOT_STABLE	10000		/* within this many ms of its start */
#define VIRTIO_ID_CONSOLE "0x0003"	/* include/uapi/linux/virtio_ids.h */

static int	boot_init;		/* we are init (or its agent child) */
static pid_t	boot_agent = -1;	/* supervisor: the agent child */

static const int boot_sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGUSR1,
	SIGUSR2, SIGPWR, SIGHUP };

int
boot_is_pid1(void)
{
	return boot_init;
}

static void
boot_mount(const char *src, const char *dir, const char *type,
    unsigned long flags, const char *data)
{
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		log_warn("boot: mkdir %s", dir);
	}
	if (mount(src, dir, type, flags, data) == -1 && errno != EBUSY) {
		log_warn("boot: mount %s on %s", type, dir);
	}
}

static void
boot_load(const char *path, const char *params)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("boot: %s", path);
		return;
	}
	/* musl has no wrapper for finit_module(2). */
	if (syscall(SYS_finit_module, fd, params, 0) == -1 &&
	    errno != EEXIST) {
		log_warn("boot: finit_module %s", path);
	} else {
		log_debug("boot: loaded %s", path);
	}
	close(fd);
}

/* One "path [params]" line per module, dependencies first (§3.3). */
static void
boot_modules(void)
{
	static char	 text[BOOT_ORDER_MAX];
	char		*line, *next, *sp;
	ssize_t		 n;

	if ((n = vread_file(BOOT_ORDER, text, sizeof(text))) == -1) {
		return;		/* no modules: a kernel with built-ins */
	}
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL) {
			*next++ = '\0';
		}
		if (*line == '\0' || *line == '#') {
			continue;
		}
		if ((sp = strchr(line, ' ')) != NULL) {
			*sp++ = '\0';
		}
		boot_load(line, sp != NULL ? sp : "");
	}
}

static void
boot_sleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
		continue;
	}
}

/*
 * Is there a virtio console device; have all its ports got their names?
 * QEMU adds every port at once on DEVICE_READY; each name follows its
 * node by a few ms (vm-testing.md §5.1).
 */
static int
boot_ports(int *have_dev)
{
	char		 p[300], v[32];
	DIR		*d;
	struct dirent	*de;
	int		 ports = 0, named = 0;

	*have_dev = 0;
	if ((d = opendir("/sys/bus/virtio/devices")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			snprintf(p, sizeof(p), "/sys/bus/virtio/devices/%s/device",
			    de->d_name);
			if (vread_line(p, v, sizeof(v)) == 0 &&
			    strcmp(v, VIRTIO_ID_CONSOLE) == 0) {
				*have_dev = 1;
			}
		}
		closedir(d);
	}
	if ((d = opendir("/sys/class/virtio-ports")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.') {
				continue;
			}
			ports++;
			snprintf(p, sizeof(p), "/sys/class/virtio-ports/%s/name",
			    de->d_name);
			if (vread_line(p, v, sizeof(v)) == 0 && v[0] != '\0') {
				named++;
			}
		}
		closedir(d);
	}
	return named > 0 && named == ports;
}

/*
 * Blocking is fine here: the loop does not run yet.  The agent finds late
 * ports itself; this only saves it a retry tick on the first one.
 */
static void
boot_wait_ports(void)
{
	int waited, dev;

	for (waited = 0; waited < BOOT_PORT_WAIT; waited += 5) {
		if (boot_ports(&dev) || !dev) {
			break;
		}
		boot_sleep(5);
	}
	log_debug("boot: waited %d ms for virtio-serial ports", waited);
}

/* What an init does for a usable guest: loopback up, a host name. */
static void
boot_net(void)
{
	struct ifreq	 ifr;
	char		 name[65];
	const char	*h;
	int		 s;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) != -1) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
		if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
			ifr.ifr_flags |= IFF_UP;
			if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1) {
				log_warn("boot: lo up");
			}
		}
		close(s);
	}
	if ((h = conf_get("boot", "hostname")) == NULL &&
	    vread_line("/etc/hostname", name, sizeof(name)) == 0) {
		h = name;
	}
	if (h != NULL && *h != '\0' && sethostname(h, strlen(h)) == -1) {
		log_warn("boot: sethostname %s", h);
	}
}

/* One "DEV:DIR[:TYPE[:OPTS]]" of onega.boot.mount (';' separated). */
static void
boot_mount_one(char *spec)
{
	char		*dev, *dir, *type, *opts;
	struct stat	 st;
	int		 waited;

	dev = strsep(&spec, ":");
	dir = strsep(&spec, ":");
	type = strsep(&spec, ":");
	opts = spec;
	if (dir == NULL || *dev == '\0' || *dir != '/') {
		log_warnx("boot: mount: want DEV:DIR[:TYPE[:OPTS]]");
		return;
	}
	for (waited = 0; stat(dev, &st) == -1 && waited < BOOT_DISK_WAIT;
	    waited += 5) {
		boot_sleep(5);
	}
	boot_mount(dev, dir, type && *type ? type : "ext4", 0, opts);
}

/* onega.boot.mount=/dev/vda:/mnt:ext4 mounts test disks before the agent. */
static void
boot_disks(void)
{
	const char	*v;
	char		 list[1024], *p, *spec;

	if ((v = conf_get("boot", "mount")) == NULL) {
		return;
	}
	snprintf(list, sizeof(list), "%s", v);
	for (p = list; (spec = strsep(&p, ";")) != NULL; ) {
		if (*spec != '\0') {
			boot_mount_one(spec);
		}
	}
}

static void
boot_nop(int sig)
{
	(void)sig;
}

static void
boot_signals(sigset_t *set, int child)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = child ? SIG_DFL : boot_nop;
	sigemptyset(set);
	for (i = 0; i < nitems(boot_sigs); i++) {
		sigaction(boot_sigs[i], &sa, NULL);
		sigaddset(set, boot_sigs[i]);
	}
	sigprocmask(child ? SIG_UNBLOCK : SIG_BLOCK, set, NULL);
}

static int
boot_cmd(int how)
{
	switch (how) {
	case BOOT_REBOOT:
		return RB_AUTOBOOT;
	case BOOT_HALT:
		return RB_HALT_SYSTEM;
	default:
		return RB_POWER_OFF;
	}
}

/* Reap everything; 1 if the agent was among the dead, *st its status. */
static int
boot_reap(int *st)
{
	pid_t	pid;
	int	s, agent = 0;

	while ((pid = waitpid(-1, &s, WNOHANG)) > 0) {
		if (pid == boot_agent) {
			boot_agent = -1;
			*st = s;
			agent = 1;
		}
	}
	return agent;
}

/* Wait for a signal, at most ms (-1: forever); the signal, or 0. */
static int
boot_wait(const sigset_t *set, long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };
	int		sig;

	sig = sigtimedwait(set, NULL, ms < 0 ? NULL : &ts);
	return sig == -1 ? 0 : sig;
}

static void __attribute__((noreturn))
boot_down(const sigset_t *set, int how)
{
	int64_t	end = now_ms() + BOOT_STOP_WAIT;
	int	st;

	if (boot_agent > 0) {
		kill(boot_agent, SIGTERM);	/* it flushes its queues */
	}
	while (boot_agent > 0 && now_ms() < end) {
		boot_wait(set, end - now_ms());
		boot_reap(&st);
	}
	kill(-1, SIGKILL);			/* guest-exec leftovers */
	boot_reap(&st);
	sync();
	log_info("boot: %s", how == BOOT_REBOOT ? "reboot" :
	    how == BOOT_HALT ? "halt" : "power off");
	reboot(boot_cmd(how));
	log_warn("boot: reboot(2)");
	for (;;) {
		boot_wait(set, -1);
		boot_reap(&st);
	}
}

static int
boot_sig_how(int sig)
{
	switch (sig) {
	case SIGUSR1:
		return BOOT_HALT;
	case SIGUSR2:
	case SIGPWR:
		return BOOT_POWEROFF;
	case SIGTERM:
	case SIGINT:
		return BOOT_REBOOT;
	default:
		return -1;
	}
}

static void
boot_status(int st)
{
	if (WIFSIGNALED(st)) {
		log_warnx("boot: agent killed by signal %d, restarting",
		    WTERMSIG(st));
	} else {
		log_warnx("boot: agent exited with status %d, restarting",
		    WEXITSTATUS(st));
	}
}

/*
 * PID 1 from here on; returns only in a fresh agent child.  A clean agent
 * exit (status 0: SIGTERM, or told to stop) powers the guest off, since
 * there is nothing else to run; a crash restarts the agent after a pause.
 */
static void
boot_supervise(const sigset_t *set)
{
	int64_t	respawn = 0, started = 0, delay = BOOT_RESPAWN, wait;
	int	sig, st = 0, how;

	for (;;) {
		if (boot_agent == -1 && now_ms() >= respawn) {
			started = now_ms();
			if ((boot_agent = fork()) == 0) {
				return;
			}
			if (boot_agent == -1) {
				log_warn("boot: fork");
				respawn = now_ms() + BOOT_RESPAWN;
			}
		}
		wait = respawn - now_ms();
		sig = boot_wait(set, boot_agent != -1 ? -1 :
		    wait > 0 ? (long)wait : 0);
		if (boot_reap(&st)) {
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
				boot_down(set, BOOT_POWEROFF);
			}
			boot_status(st);
			if (now_ms() - started >= BOOT_STABLE) {
				delay = BOOT_RESPAWN;
			}
			respawn = now_ms() + delay;
			if ((delay *= 2) > BOOT_RESPAWN_MAX) {
				delay = BOOT_RESPAWN_MAX;
			}
		}
		if ((how = boot_sig_how(sig)) != -1) {
			boot_down(set, how);
		}
	}
}

/* A kernel's fresh PID 1: mount, load, set up the machine. */
static void
boot_machine(void)
{
	boot_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    NULL);
	boot_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    NULL);
	boot_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	boot_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	boot_mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	/* ctrl-alt-del: SIGINT to PID 1 instead of an immediate reboot */
	reboot(RB_DISABLE_CAD);
	conf_cmdline("/proc/cmdline");	/* main() reads it again: same values */
	boot_modules();
	boot_net();
	boot_disks();
	boot_wait_ports();
}

void
boot_pid1(void)
{
	sigset_t set;

	boot_init = 1;
	boot_signals(&set, 0);
	if (getenv("PATH") == NULL) {
		setenv("PATH", "/sbin:/usr/sbin:/bin:/usr/bin", 1);
	}
	/* /proc already there: a container's PID 1; only supervise. */
	if (access("/proc/self", F_OK) == -1) {
		boot_machine();
	}
	boot_supervise(&set);
	/* The agent child: default signal handling, its own session. */
	boot_signals(&set, 1);
	setsid();
}

int
boot_power(int how)
{
	int sig = how == BOOT_REBOOT ? SIGTERM :
	    how == BOOT_HALT ? SIGUSR1 : SIGUSR2;

	if (boot_init && getpid() != 1) {
		/* PID 1 stops us (SIGTERM: queues flushed), syncs, reboots. */
		return kill(1, sig);
	}
	sync();
	return reboot(boot_cmd(how));
}
