/*
 * transport.c: opening a channel the qemu-ga way (method + path):
 * virtio-serial (found by port name in sysfs when no path is given),
 * isa-serial (raw termios), unix-listen and vsock-listen (one client at a
 * time), and stdio for tests.  Facts: qemu-ga.md 5.1, vm-testing.md 9.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "../agent.h"
#include "chan.h"

#define SYS_PORTS	"/sys/class/virtio-ports"

/* /dev/virtio-ports/NAME (udev), else the vportNpM whose sysfs name matches. */
int
port_find(const char *name, char *path, size_t len)
{
	char p[512], nm[256];
	struct dirent *de;
	FILE *f;
	DIR *d;

	snprintf(path, len, "/dev/virtio-ports/%s", name);
	if (access(path, F_OK) == 0) {
		return 0;
	}
	if ((d = opendir(SYS_PORTS)) == NULL) {
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			continue;
		}
		snprintf(p, sizeof(p), SYS_PORTS "/%s/name", de->d_name);
		if ((f = fopen(p, "re")) == NULL) {
			continue;
		}
		if (fgets(nm, sizeof(nm), f) != NULL) {
			nm[strcspn(nm, "\n")] = '\0';
			if (strcmp(nm, name) == 0) {
				snprintf(path, len, "/dev/%s", de->d_name);
				fclose(f);
				closedir(d);
				return access(path, F_OK);
			}
		}
		fclose(f);
	}
	closedir(d);
	errno = ENOENT;
	return -1;
}

static int
open_virtio(const char *path)
{
	int fd;

	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		return -1;
	}
	/* SIGIO tells us when a host (re)connects to a port we left alone. */
	if (fcntl(fd, F_SETOWN, getpid()) == -1 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC) == -1) {
		log_warn("%s: O_ASYNC", path);
	}
	return fd;
}

static int
open_serial(const char *path)
{
	struct termios t;
	int fd;

	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		return -1;
	}
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		cfsetispeed(&t, B38400);
		cfsetospeed(&t, B38400);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		if (tcsetattr(fd, TCSANOW, &t) == -1) {
			log_warn("%s: tcsetattr", path);
		}
		tcflush(fd, TCIFLUSH);
	}
	return fd;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd;

	if (io_unix_addr(&sun, path) == -1) {
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		return -1;
	}
	/* A stale socket from an earlier run; never remove anything else. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		unlink(path);
	}
	old = umask(0177);	/* the socket is created 0600 */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if (listen(fd, 8) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
listen_vsock(const char *spec)
{
	struct sockaddr_vm svm;
	unsigned long cid, port;
	char *end;
	int fd;

	errno = 0;
	cid = strtoul(spec, &end, 10);
	if (errno || *end != ':') {
		errno = EINVAL;
		return -1;
	}
	port = strtoul(end + 1, &end, 10);
	if (errno || *end != '\0' || cid > 0xffffffffUL ||
	    port > 0xffffffffUL) {
		errno = EINVAL;
		return -1;
	}
	memset(&svm, 0, sizeof(svm));
	svm.svm_family = AF_VSOCK;
	svm.svm_cid = cid;
	svm.svm_port = port;
	if ((fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&svm, sizeof(svm)) == -1 ||
	    listen(fd, 1) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Open ch's transport.  0: opened (state set); 1: not there yet, retry
 * later (virtio discovery or retry-path); -1: a hard error, logged.
 */
int
transport_open(struct chan *ch)
{
	char path[300];
	const char *m = ch->method;
	int i;

	if (strcmp(m, "unix-listen") == 0 || strcmp(m, "vsock-listen") == 0) {
		if (!ch->path[0]) {
			log_warnx("[%s] must specify a path for this channel",
			    ch->section);
			return -1;
		}
		ch->lfd = m[0] == 'u' ? listen_unix(ch->path) :
		    listen_vsock(ch->path);
		if (ch->lfd == -1) {
			log_warn("[%s] %s %s", ch->section, m, ch->path);
			return -1;
		}
		ch->state = CH_LISTEN;
		return 0;
	}
	if (strcmp(m, "stdio") == 0) {
		ch->fd = 0;
		ch->ofd = 1;
		io_nonblock(0);
		io_nonblock(1);
		ch->state = CH_UP;
		return 0;
	}
	if (strcmp(m, "isa-serial") == 0) {
		snprintf(path, sizeof(path), "%s",
		    ch->path[0] ? ch->path : "/dev/ttyS0");
		if ((ch->fd = open_serial(path)) == -1) {
			log_warn("[%s] %s", ch->section, path);
			return ch->path_given && !opt.retry_path ? -1 : 1;
		}
		ch->ofd = ch->fd;
		ch->state = CH_UP;
		return 0;
	}
	if (strcmp(m, "virtio-serial") != 0) {
		log_warnx("[%s] unknown method %s", ch->section, m);
		return -1;
	}
	if (ch->path_given) {
		snprintf(path, sizeof(path), "%s", ch->path);
	} else {
		for (i = 0; i < 2 && ch->ports[i]; i++) {
			if (port_find(ch->ports[i], path, sizeof(path)) == 0) {
				break;
			}
		}
		if (i == 2 || ch->ports[i] == NULL) {
			return 1;	/* not there (yet) */
		}
	}
	if ((ch->fd = open_virtio(path)) == -1) {
		if (errno == EBUSY) {
			log_warnx("[%s] %s is busy: another agent (qemu-ga, "
			    "spice-vdagentd, ovirt-guest-agent) holds it",
			    ch->section, path);
			return 1;
		}
		log_warn("[%s] %s", ch->section, path);
		if (ch->path_given && !opt.retry_path) {
			return -1;
		}
		return 1;
	}
	ch->ofd = ch->fd;
	log_info("[%s] serving %s", ch->section, path);
	ch->state = CH_AWAY;	/* chan_recheck decides */
	return 0;
}
