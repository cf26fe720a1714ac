/*
 * log.c: log_warn/warnx/info/debug and fatal, to stderr, a file, syslog or
 * /dev/kmsg (initramfs).  While filesystems are frozen nothing may touch a
 * disk, so lines go to an in-memory ring and are written after thaw
 * (hv_vss_daemon does the same).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define LOG_RING	32		/* lines kept while frozen */
#define LOG_LINE	512

static int	 log_where = LOG_TO_STDERR;
static int	 log_fd = 2;
static int	 log_verb;
static int	 log_held;
static const char *log_file;
static char	 ring[LOG_RING][LOG_LINE];
static int	 ring_n, ring_lost;

void
log_init(int where, const char *file, int verbose)
{
	log_where = where;
	log_file = file;
	log_verb = verbose;
	log_reopen();
}

int
log_verbose(void)
{
	return log_verb;
}

void
log_reopen(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX,
	    .sun_path = "/dev/log" };
	int fd;

	if (log_where == LOG_TO_SYSLOG) {
		/*
		 * Our own datagram to /dev/log rather than syslog(3): musl's
		 * pulls in strftime for a timestamp the daemon adds anyway.
		 */
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
		if (fd == -1 || connect(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1) {
			if (fd != -1) {
				close(fd);
			}
			return;		/* no syslog daemon: keep what we had */
		}
	} else if (log_where != LOG_TO_FILE && log_where != LOG_TO_KMSG) {
		return;
	} else {
		fd = open(log_where == LOG_TO_KMSG ? "/dev/kmsg" : log_file,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK,
		    0640);
	}
	if (fd == -1) {
		return;		/* keep the old one */
	}
	if (log_fd > 2) {
		close(log_fd);
	}
	log_fd = fd;
}

static void
log_emit(int prio, const char *line)
{
	char out[LOG_LINE + 64];
	struct timespec ts;
	struct tm tm;
	int n;

	if (log_where == LOG_TO_SYSLOG) {
		n = snprintf(out, sizeof(out), "<%d>onega[%d]: %s",
		    LOG_DAEMON | prio, (int)getpid(), line);
	} else if (log_where == LOG_TO_KMSG) {
		n = snprintf(out, sizeof(out), "<%d>onega: %s\n", prio, line);
	} else if (log_where == LOG_TO_FILE) {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = snprintf(out, sizeof(out),
		    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ onega[%d]: %s\n",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, (int)getpid(),
		    line);
	} else {
		n = snprintf(out, sizeof(out), "onega: %s\n", line);
	}
	if (n > (int)sizeof(out) - 1) {
		n = sizeof(out) - 1;
		out[n - 1] = '\n';
	}
	/* A log line that would block is dropped: logging never stalls. */
	if (write(log_fd, out, n) == -1) {
		return;
	}
}

void
log_hold(int on)
{
	int i;

	log_held = on;
	if (on) {
		return;
	}
	if (ring_lost) {
		log_emit(LOG_WARNING, "log lines lost while frozen");
	}
	for (i = 0; i < ring_n; i++) {
		log_emit(LOG_INFO, ring[i]);
	}
	ring_n = ring_lost = 0;
}

static void
log_vlog(int prio, int with_errno, const char *fmt, va_list ap)
{
	char line[LOG_LINE];
	int saved = errno, n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof(line)) {
		snprintf(line + n, sizeof(line) - n, ": %s", strerror(saved));
	}
	if (log_held && log_where != LOG_TO_STDERR &&
	    log_where != LOG_TO_KMSG) {
		if (ring_n < LOG_RING) {
			memcpy(ring[ring_n++], line, sizeof(line));
		} else {
			ring_lost++;
		}
	} else {
		log_emit(prio, line);
	}
	errno = saved;
}

#define LOGFN(name, prio, err, gate)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	if (gate) {						\
		return;						\
	}							\
	va_start(ap, fmt);					\
	log_vlog(prio, err, fmt, ap);				\
	va_end(ap);						\
}

LOGFN(log_warn, LOG_WARNING, 1, 0)
LOGFN(log_warnx, LOG_WARNING, 0, 0)
LOGFN(log_info, LOG_INFO, 0, log_verb < 1)
LOGFN(log_debug, LOG_DEBUG, 0, log_verb < 2)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_ERR, 1, fmt, ap);
	va_end(ap);
	exit(111);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_ERR, 0, fmt, ap);
	va_end(ap);
	exit(111);
}

const char *
log_sample(const void *p, size_t n)
{
	static char s[80];
	const unsigned char *b = p;
	size_t i, o = 0;

	for (i = 0; i < n && o + 5 < sizeof(s); i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\') {
			s[o++] = b[i];
		} else {
			o += snprintf(s + o, sizeof(s) - o, "\\x%02x", b[i]);
		}
	}
	if (i < n && o + 4 < sizeof(s)) {
		memcpy(s + o, "...", 3);
		o += 3;
	}
	s[o] = '\0';
	return s;
}
