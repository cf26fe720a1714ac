/*
 * containers.c: one HTTP/1.0 request on the Docker socket, as the Python
 * agent's container-list script made it (ovirt.md 4.2), done in the loop:
 * a non-blocking unix socket as a watch and a deadline.  HTTP/1.0 makes
 * the engine close after a plain (not chunked) body.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "containers.h"

static const char	req[] = "GET /containers/json?all=true HTTP/1.0\r\n"
			    "Host: docker\r\n\r\n";

static struct {
	int		 active;
	struct watch	 w;
	struct timer	 tmo;
	struct buf	 in;
	size_t		 sent;
	containers_fn	*fn;
	void		*arg;
} q;

static void
finish(int ok)
{
	const char *body = NULL, *p;
	size_t len = 0;

	watch_del(&q.w);
	close(q.w.fd);
	q.w.fd = -1;
	timer_stop(&q.tmo);
	q.active = 0;
	if (ok && buf_append(&q.in, "", 1) == 0) {
		p = buf_data(&q.in);
		/* "HTTP/1.x 200 ...": anything else is an empty list */
		if (strncmp(p, "HTTP/1.", 7) == 0 && strncmp(p + 8, " 200", 4)
		    == 0 && (body = strstr(p, "\r\n\r\n")) != NULL) {
			body += 4;
			len = buf_size(&q.in) - 1 - (size_t)(body - p);
		}
	}
	if (body == NULL) {
		log_debug("containers: no answer from the Docker socket");
	}
	q.fn(body, len, q.arg);
	buf_reset(&q.in);
}

static void
expire(void *arg)
{
	(void)arg;
	log_warnx("containers: Docker did not answer in %d ms", CONTAINERS_MS);
	finish(0);
}

static void
ev(struct watch *w, short rev)
{
	char rb[16384];
	ssize_t n;

	if (q.sent < sizeof(req) - 1) {
		n = io_write(w->fd, req + q.sent, sizeof(req) - 1 - q.sent);
		if (n == -1) {
			finish(0);
			return;
		}
		q.sent += (size_t)n;
		if (q.sent == sizeof(req) - 1) {
			w->events = POLLIN;
		}
		return;
	}
	(void)rev;
	for (;;) {
		n = io_read(w->fd, rb, sizeof(rb));
		if (n == 0) {
			return;
		}
		if (n == -1) {
			finish(errno == EPIPE);	/* EOF: the whole reply */
			return;
		}
		if (buf_size(&q.in) + (size_t)n > CONTAINERS_MAX ||
		    buf_append(&q.in, rb, (size_t)n) == -1) {
			log_warnx("containers: reply over %d bytes",
			    CONTAINERS_MAX);
			finish(0);
			return;
		}
	}
}

int
containers_query(containers_fn *fn, void *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = vpath(CONTAINERS_SOCK);
	int fd;

	if (q.active) {
		return 0;
	}
	if (access(path, F_OK) == -1) {
		path = vpath(CONTAINERS_SOCK_HOST);
	}
	if (access(path, F_OK) == -1 || io_unix_addr(&sa, path) == -1) {
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ==
	    -1 && errno != EINPROGRESS && errno != EAGAIN)) {
		log_debug("containers: %s: %s", path, strerror(errno));
		if (fd != -1) {
			close(fd);
		}
		return -1;
	}
	memset(&q.w, 0, sizeof(q.w));
	q.w.fd = fd;
	q.w.events = POLLOUT;
	q.w.fn = ev;
	q.sent = 0;
	q.fn = fn;
	q.arg = arg;
	q.active = 1;
	watch_add(&q.w);
	timer_set(&q.tmo, CONTAINERS_MS, expire, NULL);
	return 0;
}
