/*
 * ctl.c: the root-only local socket behind `onega clipboard get|set`, so a
 * guest without a desktop (appliance, rescue system) can read the host's
 * clipboard and offer its own.  One request per connection, raw bytes:
 *   "get SEL [MIME]\n"        -> "ok MIME LEN\n" + LEN bytes, or "error TEXT\n"
 *   "set SEL MIME\n" + bytes to EOF -> "ok\n" or "error TEXT\n"
 * Served from the loop: non-blocking, bounded, with a deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../agent.h"
#include "../verbs/clipboard.h"
#include "ctl.h"

#define CTL_CONNS	8
#define CTL_LINE	256		/* request line */
#define CTL_DEADLINE_MS	60000
#define CTL_PASS	(4 << 20)	/* bytes read per loop pass */

struct ctl_conn {
	struct watch	 w;
	struct buf	 in;		/* request line, then set data */
	struct buf	 out;		/* reply line */
	int		 sel;
	char		 mime[CLIP_MIME_MAX];	/* set: its type; get: wanted */
	int		 set;		/* a set request */
	int		 sending;	/* streaming store bytes */
	uint64_t	 version;	/* store version being sent */
	size_t		 off;		/* store bytes sent */
	struct timer	 t;
};

static struct watch	 lw = { .fd = -1 };
static struct ctl_conn	 conns[CTL_CONNS];

static void	conn_ev(struct watch *, short);

static void
conn_close(struct ctl_conn *c)
{
	if (c->w.fd == -1) {
		return;
	}
	clip_unwait(c);
	watch_del(&c->w);
	close(c->w.fd);
	c->w.fd = -1;
	timer_stop(&c->t);
	buf_reset(&c->in);
	buf_reset(&c->out);
}

static void
conn_timeout(void *arg)
{
	conn_close(arg);
}

static void	reply(struct ctl_conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
reply(struct ctl_conn *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_consume(&c->in, buf_size(&c->in));
	if (n > 0) {
		(void)buf_append(&c->out, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
	}
	c->w.events = POLLOUT;
}

static void
answer_get(struct ctl_conn *c, const char *want)
{
	const char *mime, *p;
	struct verr e;
	size_t n;

	if (clip_read(c->sel, &mime, &p, &n, &e) == -1) {
		reply(c, "error %s\n", e.msg);
		return;
	}
	if (want != NULL && strcmp(want, mime) != 0) {
		reply(c, "error the clipboard holds %s\n", mime);
		return;
	}
	reply(c, "ok %s %zu\n", mime, n);
	c->sending = 1;
	c->off = 0;
	c->version = clip_get(c->sel)->version;
}

static void
woken(void *arg, int ok)
{
	struct ctl_conn *c = arg;

	(void)ok;
	answer_get(c, c->mime[0] ? c->mime : NULL);
}

/* A complete request line (NUL-terminated in place). */
static void
request(struct ctl_conn *c, char *line)
{
	char *verb, *sel, *mime, *save = NULL;

	verb = strtok_r(line, " ", &save);
	sel = strtok_r(NULL, " ", &save);
	mime = strtok_r(NULL, " ", &save);
	if (verb == NULL || sel == NULL ||
	    (c->sel = clip_sel_parse(sel)) == -1 ||
	    (mime != NULL && strlen(mime) >= CLIP_MIME_MAX) ||
	    (strcmp(verb, "set") == 0 && mime == NULL) ||
	    (strcmp(verb, "set") != 0 && strcmp(verb, "get") != 0)) {
		reply(c, "error bad request\n");
		return;
	}
	snprintf(c->mime, sizeof(c->mime), "%s", mime ? mime : "");
	if (strcmp(verb, "set") == 0) {
		c->set = 1;
		c->in.max = clip_cap();
		return;
	}
	if (clip_get(c->sel)->pending) {
		c->w.events = 0;
		if (clip_wait(c->sel, woken, c) == -1) {
			reply(c, "error too many waiting\n");
		}
		return;
	}
	answer_get(c, mime);
}

/* Input: the request line, then (set) the data up to EOF. */
static void
conn_read(struct ctl_conn *c)
{
	char rb[65536], *nl;
	size_t total = 0;
	struct verr e;
	ssize_t n;

	for (;;) {
		if (total >= CTL_PASS) {
			return;			/* the other fds get a turn */
		}
		n = io_read(c->w.fd, rb, sizeof(rb));
		if (n == 0) {
			return;
		}
		if (n == -1 && errno != EPIPE) {
			conn_close(c);
			return;
		}
		if (n == -1) {
			break;			/* EOF: the request is whole */
		}
		total += (size_t)n;
		if (buf_append(&c->in, rb, (size_t)n) == -1) {
			reply(c, "error %s\n", c->set ? "clipboard over "
			    "the agent's cap" : "request line too long");
			return;
		}
		if (!c->set && (nl = memchr(buf_data(&c->in), '\n',
		    buf_size(&c->in))) != NULL) {
			size_t k = (size_t)(nl - buf_data(&c->in)) + 1;

			*nl = '\0';
			(void)snprintf(rb, sizeof(rb), "%s", buf_data(&c->in));
			buf_consume(&c->in, k);
			request(c, rb);
			if (!c->set) {
				return;		/* a get needs no more input */
			}
		} else if (!c->set && buf_size(&c->in) > CTL_LINE) {
			reply(c, "error request line too long\n");
			return;
		}
	}
	if (!c->set) {
		reply(c, "error bad request\n");
		return;
	}
	if (clip_guest_set(c->sel, c->mime, buf_data(&c->in),
	    buf_size(&c->in), &e) == -1) {
		reply(c, "error %s\n", e.msg);
		return;
	}
	reply(c, "ok\n");
}

/* Output: the reply line, then (get) the store's bytes, no copy. */
static void
conn_write(struct ctl_conn *c)
{
	const struct clip_sel *s = clip_get(c->sel);
	ssize_t n;

	while (buf_size(&c->out) > 0) {
		n = io_write(c->w.fd, buf_data(&c->out), buf_size(&c->out));
		if (n <= 0) {
			if (n == -1) {
				conn_close(c);
			}
			return;
		}
		buf_consume(&c->out, (size_t)n);
	}
	while (c->sending && c->off < buf_size(&s->data)) {
		if (s->version != c->version) {
			conn_close(c);		/* changed under us: cut short */
			return;
		}
		n = io_write(c->w.fd, buf_data(&s->data) + c->off,
		    buf_size(&s->data) - c->off);
		if (n <= 0) {
			if (n == -1) {
				conn_close(c);
			}
			return;
		}
		c->off += (size_t)n;
	}
	conn_close(c);
}

static void
conn_ev(struct watch *w, short rev)
{
	struct ctl_conn *c = w->arg;

	if (c->w.events & POLLIN) {
		conn_read(c);
	} else if ((c->w.events & POLLOUT) || (rev & (POLLHUP | POLLERR))) {
		conn_write(c);
	}
}

static void
accept_ev(struct watch *w, short rev)
{
	struct ucred cr;
	socklen_t sl = sizeof(cr);
	int fd, i;

	(void)rev;
	while ((fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) == -1 ||
		    cr.uid != 0) {
			log_warnx("clipboard socket: uid %d refused",
			    (int)cr.uid);
			close(fd);
			continue;
		}
		for (i = 0; i < CTL_CONNS && conns[i].w.fd != -1; i++) {
			;
		}
		if (i == CTL_CONNS) {
			close(fd);
			continue;
		}
		memset(&conns[i], 0, sizeof(conns[i]));
		conns[i].w.fd = fd;
		conns[i].w.events = POLLIN;
		conns[i].w.fn = conn_ev;
		conns[i].w.arg = &conns[i];
		conns[i].in.max = CTL_LINE + 65536;	/* line + one read */
		watch_add(&conns[i].w);
		timer_set(&conns[i].t, CTL_DEADLINE_MS, conn_timeout,
		    &conns[i]);
	}
}

const char *
ctl_path(void)
{
	const char *p = conf_get("spice", "control");

	return p != NULL && *p ? p : CTL_PATH;
}

int
ctl_start(void)
{
	struct sockaddr_un sa;
	const char *path = ctl_path();
	char dir[sizeof(sa.sun_path)], *sl;
	int fd, i;

	if (conf_get("spice", "control") != NULL &&
	    *conf_get("spice", "control") == '\0') {
		return 0;		/* control= (empty): no socket */
	}
	if (lw.fd != -1 || strlen(path) >= sizeof(sa.sun_path)) {
		return -1;
	}
	for (i = 0; i < CTL_CONNS; i++) {
		conns[i].w.fd = -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((sl = strrchr(dir, '/')) != NULL && sl != dir) {
		*sl = '\0';
		(void)mkdir(dir, 0700);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		return -1;
	}
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    chmod(path, 0600) == -1 || listen(fd, CTL_CONNS) == -1) {
		log_warn("clipboard socket %s", path);
		close(fd);
		return -1;
	}
	lw.fd = fd;
	lw.events = POLLIN;
	lw.fn = accept_ev;
	watch_add(&lw);
	log_debug("clipboard socket %s", path);
	return 0;
}

/* ---- `onega clipboard get|set`: a plain blocking client --------------- */

static int
usage(void)
{
	fprintf(stderr, "usage: onega clipboard get|set [--type MIME] "
	    "[--selection clipboard|primary|secondary] [--socket PATH]\n");
	return 100;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR) {
				continue;
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copy in to out until EOF. */
static int
pump(int in, int out)
{
	static char b[65536];
	ssize_t n;

	for (;;) {
		n = read(in, b, sizeof(b));
		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return (int)n;
		}
		if (write_all(out, b, (size_t)n) == -1) {
			return -1;
		}
	}
}

/* The reply line, byte by byte (the data follows it on the socket). */
static int
read_line(int fd, char *line, size_t max)
{
	size_t i = 0;
	ssize_t n;

	while (i + 1 < max) {
		n = read(fd, line + i, 1);
		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return -1;
		}
		if (line[i] == '\n') {
			line[i] = '\0';
			return 0;
		}
		i++;
	}
	return -1;
}

struct cli_opts {
	const char	*type, *sel, *path;
	int		 set;
};

static int
cli_args(int argc, char **argv, struct cli_opts *o)
{
	const char *conf;
	int i;

	memset(o, 0, sizeof(*o));
	o->sel = "clipboard";
	if (argc < 2 || (strcmp(argv[1], "get") && strcmp(argv[1], "set"))) {
		return -1;
	}
	o->set = argv[1][0] == 's';
	for (i = 2; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--type") == 0) {
			o->type = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--selection") == 0) {
			o->sel = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--socket") == 0) {
			o->path = argv[++i];
		} else {
			return -1;
		}
	}
	if (o->path == NULL) {
		conf = getenv("QGA_CONF");
		(void)conf_load(conf ? conf : "/etc/qemu/qemu-ga.conf", 0);
		o->path = ctl_path();
	}
	if ((o->type && (strlen(o->type) >= CLIP_MIME_MAX ||
	    strchr(o->type, ' ') || strchr(o->type, '\n'))) ||
	    clip_sel_parse(o->sel) == -1) {
		return -1;
	}
	return 0;
}

int
cli_clipboard(int argc, char **argv)
{
	char line[CTL_LINE + 64];
	struct sockaddr_un sa;
	struct cli_opts o;
	int fd;

	if (cli_args(argc, argv, &o) == -1) {
		return usage();
	}
	if (io_unix_addr(&sa, o.path) == -1 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		fprintf(stderr, "onega clipboard: %s: %s (is the agent "
		    "running with [spice] enabled?)\n", o.path, strerror(errno));
		return 111;
	}
	snprintf(line, sizeof(line), "%s %s %s\n", o.set ? "set" : "get",
	    o.sel, o.type ? o.type : (o.set ? "text/plain;charset=utf-8" : ""));
	if (write_all(fd, line, strlen(line)) == -1 ||
	    (o.set && pump(0, fd) == -1) || shutdown(fd, SHUT_WR) == -1 ||
	    read_line(fd, line, sizeof(line)) == -1) {
		fprintf(stderr, "onega clipboard: %s\n", strerror(errno));
		return 111;
	}
	if (strncmp(line, "ok", 2) != 0) {
		fprintf(stderr, "onega clipboard: %s\n",
		    strncmp(line, "error ", 6) == 0 ? line + 6 : line);
		return 1;
	}
	if (!o.set && pump(fd, 1) == -1) {
		fprintf(stderr, "onega clipboard: %s\n", strerror(errno));
		return 111;
	}
	close(fd);
	return 0;
}
