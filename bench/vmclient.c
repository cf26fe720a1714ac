/*
 * vmclient.c: the in-guest client of bench/bench_vm.py, which builds it:
 * musl-gcc -static -O2 -isystem build/kinc -o vmclient bench/vmclient.c
 *
 *   vmclient SOCKET N REQUEST_JSON      N round trips after a warm-up
 *   vmclient file SOCKET PATH MIB       guest-file write, then read, of
 *                                       MIB MiB in 4 MiB chunks (base64)
 *   vmclient wait SECONDS SOCKET...     exit 0 once every socket accepts
 *   vmclient echo SOCKET                a floor: the least server that
 *                                       answers {"return": {}} to every
 *                                       line (poll + read + write)
 *   vmclient netlink N                  a floor for interfaces: N times
 *                                       the RTM_GETLINK and RTM_GETADDR
 *                                       dumps getifaddrs() does
 *
 * Output, one "result" line per measurement (key=value, for the bench):
 *   reply <the first 100 bytes of the last warm-up reply>
 *   result n=N rtt_us=X cpu_us=Y sys_pct=Z pid=P
 *   result dir=write|read mib=M mibs=X cpu_ms_mib=Y pid=P
 *   result n=N cpu_us=Y                              (netlink: its own CPU)
 * cpu is the server's time on a CPU over the timed part: the first field
 * of /proc/PID/schedstat, PID from SO_PEERCRED.  sys_pct is the kernel's
 * share of it, from the utime/stime ticks of /proc/PID/stat (rough).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* struct ucred */
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define WARMUP	5
#define CHUNK	(4u << 20)

static char *rbuf;
static size_t rcap, rlen;

static _Noreturn void
die(const char *what)
{
	fprintf(stderr, "vmclient: %s%s%s\n", what, errno ? ": " : "",
	    errno ? strerror(errno) : "");
	exit(1);
}

/* A unix stream socket connected to path, or bound and listening. */
static int
unix_socket(const char *path, int listening)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		return -1;
	}
	if (listening ? bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(fd, 8) == -1 :
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
dial(const char *path)
{
	return unix_socket(path, 0);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Nanoseconds the process has spent on a CPU. */
static unsigned long long
cpu_ns(pid_t pid)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	if ((f = fopen(path, "r")) == NULL || fscanf(f, "%llu", &ns) != 1) {
		die(path);
	}
	fclose(f);
	return ns;
}

/* utime and stime of the process, in clock ticks. */
static void
ticks(pid_t pid, unsigned long long *ut, unsigned long long *st)
{
	char path[64], text[1024], *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL) {
		die(path);
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	/* after "pid (comm) ": state is field 3, utime 14, stime 15 */
	if ((p = strrchr(text, ')')) == NULL || sscanf(p + 2, "%*c %*d %*d "
	    "%*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", ut, st) != 2) {
		errno = 0;
		die(path);
	}
}

static pid_t
peer(int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		die("SO_PEERCRED");
	}
	return uc.pid;
}

static void
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR) {
				continue;
			}
			die("write");
		}
		p += w;
		n -= (size_t)w;
	}
}

/* One reply line into rbuf (NUL-terminated, without the newline). */
static void
read_line(int fd)
{
	ssize_t r;

	rlen = 0;
	for (;;) {
		if (rcap - rlen < 65536) {
			rcap = rcap ? rcap * 2 : 1u << 20;
			if ((rbuf = realloc(rbuf, rcap)) == NULL) {
				die("out of memory");
			}
		}
		if ((r = read(fd, rbuf + rlen, rcap - rlen - 1)) == -1) {
			if (errno == EINTR) {
				continue;
			}
			die("read");
		}
		if (r == 0) {
			errno = 0;
			die("server closed the connection");
		}
		rlen += (size_t)r;
		if (rbuf[rlen - 1] == '\n') {
			rbuf[--rlen] = '\0';
			return;
		}
	}
}

static void
call(int fd, const char *req, size_t n)
{
	send_all(fd, req, n);
	read_line(fd);
}

static void
check(const char *what)
{
	if (strstr(rbuf, "\"return\"") == NULL) {
		errno = 0;
		fprintf(stderr, "vmclient: %s: %.300s\n", what, rbuf);
		exit(1);
	}
}

static int
cmd_wait(int argc, char **argv)
{
	double end = now() + atof(argv[2]);
	int i, fd;

	for (i = 3; i < argc; i++) {
		while ((fd = dial(argv[i])) == -1) {
			if (now() > end) {
				die(argv[i]);
			}
			usleep(20000);
		}
		close(fd);
	}
	return 0;
}

static int
cmd_rtt(int argc, char **argv)
{
	long i, n = atol(argv[2]);
	size_t len = strlen(argv[3]);
	char *req = malloc(len + 2);
	unsigned long long c0, c1, u0, u1, s0, s1;
	double t0, t1;
	pid_t pid;
	int fd;

	if (argc != 4 || n <= 0 || req == NULL) {
		return 2;
	}
	memcpy(req, argv[3], len);
	req[len++] = '\n';
	if ((fd = dial(argv[1])) == -1) {
		die(argv[1]);
	}
	pid = peer(fd);
	for (i = 0; i < WARMUP; i++) {
		call(fd, req, len);
		check(argv[3]);
	}
	printf("reply %.100s\n", rbuf);
	ticks(pid, &u0, &s0);
	c0 = cpu_ns(pid);
	t0 = now();
	for (i = 0; i < n; i++) {
		call(fd, req, len);
	}
	t1 = now();
	c1 = cpu_ns(pid);
	ticks(pid, &u1, &s1);
	check(argv[3]);
	printf("result n=%ld rtt_us=%.1f cpu_us=%.2f sys_pct=%.0f pid=%d\n",
	    n, (t1 - t0) / n * 1e6, (c1 - c0) / 1e3 / n, u1 + s1 > u0 + s0 ?
	    100.0 * (s1 - s0) / (u1 + s1 - u0 - s0) : 0.0, (int)pid);
	return 0;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t
b64_encode(char *out, const unsigned char *in, size_t n)
{
	char *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*o++ = b64[in[i] >> 2];
		*o++ = b64[(in[i] & 3) << 4 | in[i + 1] >> 4];
		*o++ = b64[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		*o++ = b64[in[i + 2] & 63];
	}
	if (i < n) {
		*o++ = b64[in[i] >> 2];
		if (i + 1 < n) {
			*o++ = b64[(in[i] & 3) << 4 | in[i + 1] >> 4];
			*o++ = b64[(in[i + 1] & 15) << 2];
		} else {
			*o++ = b64[(in[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	return (size_t)(o - out);
}

/* The integer after "return": in rbuf (guest-file-open's handle). */
static long long
ret_int(void)
{
	const char *p = strstr(rbuf, "\"return\"");

	if (p == NULL || (p = strchr(p, ':')) == NULL) {
		check("guest-file-open");
	}
	return strtoll(p + 1, NULL, 10);
}

static void
file_pass(int fd, pid_t pid, const char *path, long mib, int writing)
{
	size_t nchunk = (size_t)mib / 4, i, n;
	char *req = malloc(CHUNK / 3 * 4 + 256);
	unsigned char *data = malloc(CHUNK);
	unsigned long long c0, c1;
	long long h;
	double t0, t1;

	if (req == NULL || data == NULL) {
		die("out of memory");
	}
	for (i = 0; i < CHUNK; i++) {
		data[i] = (unsigned char)(i * 7 + (i >> 12));
	}
	c0 = cpu_ns(pid);
	t0 = now();
	n = (size_t)snprintf(req, 256, "{\"execute\":\"guest-file-open\","
	    "\"arguments\":{\"path\":\"%s\",\"mode\":\"%s\"}}\n", path,
	    writing ? "w" : "r");
	call(fd, req, n);
	h = ret_int();
	for (i = 0; i < nchunk; i++) {
		if (writing) {
			n = (size_t)sprintf(req, "{\"execute\":"
			    "\"guest-file-write\",\"arguments\":{\"handle\":"
			    "%lld,\"buf-b64\":\"", h);
			n += b64_encode(req + n, data, CHUNK);
			n += (size_t)sprintf(req + n, "\"}}\n");
		} else {
			n = (size_t)sprintf(req, "{\"execute\":"
			    "\"guest-file-read\",\"arguments\":{\"handle\":"
			    "%lld,\"count\":%u}}\n", h, CHUNK);
		}
		call(fd, req, n);
		check(writing ? "guest-file-write" : "guest-file-read");
	}
	n = (size_t)sprintf(req, "{\"execute\":\"guest-file-close\","
	    "\"arguments\":{\"handle\":%lld}}\n", h);
	call(fd, req, n);
	check("guest-file-close");
	t1 = now();
	c1 = cpu_ns(pid);
	printf("result dir=%s mib=%ld mibs=%.1f cpu_ms_mib=%.2f pid=%d\n",
	    writing ? "write" : "read", mib, mib / (t1 - t0),
	    (c1 - c0) / 1e6 / mib, (int)pid);
	free(req);
	free(data);
}

static int
cmd_file(int argc, char **argv)
{
	long mib = argc == 5 ? atol(argv[4]) : 0;
	pid_t pid;
	int fd;

	if (mib < 4) {
		return 2;
	}
	if ((fd = dial(argv[2])) == -1) {
		die(argv[2]);
	}
	pid = peer(fd);
	call(fd, "{\"execute\":\"guest-ping\"}\n", 25);
	check("guest-ping");
	file_pass(fd, pid, argv[3], mib, 1);
	file_pass(fd, pid, argv[3], mib, 0);
	return 0;
}

static int
cmd_echo(const char *path)
{
	static const char reply[] = "{\"return\": {}}\n";
	static char in[65536];
	struct pollfd pfd;
	ssize_t n, i;
	int lfd;

	unlink(path);
	if ((lfd = unix_socket(path, 1)) == -1) {
		die(path);
	}
	for (;;) {
		if ((pfd.fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			die("accept");
		}
		pfd.events = POLLIN;
		for (;;) {
			if (poll(&pfd, 1, -1) == -1) {
				die("poll");
			}
			if ((n = read(pfd.fd, in, sizeof(in))) <= 0) {
				break;
			}
			for (i = 0; i < n; i++) {
				if (in[i] == '\n') {
					send_all(pfd.fd, reply,
					    sizeof(reply) - 1);
				}
			}
		}
		close(pfd.fd);
	}
}

/* One rtnetlink dump of type, read to its NLMSG_DONE. */
static void
nl_dump(int fd, int type, unsigned seq)
{
	static char in[32768];
	struct {
		struct nlmsghdr nh;
		struct rtgenmsg g;
	} req;
	struct nlmsghdr *h;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = seq;
	req.g.rtgen_family = AF_UNSPEC;
	if (send(fd, &req, sizeof(req), 0) == -1) {
		die("netlink send");
	}
	for (;;) {
		if ((n = recv(fd, in, sizeof(in), 0)) <= 0) {
			die("netlink recv");
		}
		for (h = (struct nlmsghdr *)in; NLMSG_OK(h, (size_t)n);
		    h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				return;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				errno = 0;
				die("netlink error");
			}
		}
	}
}

static int
cmd_netlink(long n)
{
	struct timespec c0, c1;
	long i;
	int fd;

	if (n <= 0) {
		return 2;
	}
	/* not schedstat: for a running task it lags up to a tick */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	for (i = 0; i < n; i++) {
		if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
		    NETLINK_ROUTE)) == -1) {
			die("netlink socket");
		}
		nl_dump(fd, RTM_GETLINK, 1);
		nl_dump(fd, RTM_GETADDR, 2);
		close(fd);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	printf("result n=%ld cpu_us=%.2f\n", n, ((c1.tv_sec - c0.tv_sec) *
	    1e9 + (c1.tv_nsec - c0.tv_nsec)) / 1e3 / n);
	return 0;
}

int
main(int argc, char **argv)
{
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && strcmp(argv[1], "wait") == 0) {
		rc = cmd_wait(argc, argv);
	} else if (argc == 3 && strcmp(argv[1], "netlink") == 0) {
		rc = cmd_netlink(atol(argv[2]));
	} else if (argc == 3 && strcmp(argv[1], "echo") == 0) {
		rc = cmd_echo(argv[2]);
	} else if (argc >= 2 && strcmp(argv[1], "file") == 0) {
		rc = cmd_file(argc, argv);
	} else if (argc == 4) {
		rc = cmd_rtt(argc, argv);
	} else {
		rc = 2;
	}
	if (rc == 2) {
		fprintf(stderr, "usage: vmclient SOCKET N REQUEST_JSON | "
		    "wait SECONDS SOCKET... |\n"
		    "       file SOCKET PATH MIB | echo SOCKET | netlink N\n");
	}
	return rc;
}
