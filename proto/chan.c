/*
 * chan.c: a channel's life in the loop.  States: WAIT (port not there),
 * LISTEN (socket, no client), AWAY (virtio port open, no host: the fd leaves
 * the poll set because POLLHUP cannot be masked; re-checked on SIGIO and once
 * a second), UP (a host is attached).  Input is drained on every POLLIN
 * (vm-testing.md 10: a poll() can swallow a virtio wakeup); output is queued
 * and written when the fd is writable; above CHAN_HIWAT queued bytes no
 * input is read, so a host that stops reading stalls only itself.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../agent.h"
#include "chan.h"

static struct chan	*chans;
static size_t		 nchans;

void
chan_register(struct chan *tab, size_t n)
{
	chans = tab;
	nchans = n;
}

struct chan *
chan_find(const char *section)
{
	size_t i;

	for (i = 0; i < nchans; i++) {
		if (strcmp(chans[i].section, section) == 0) {
			return &chans[i];
		}
	}
	return NULL;
}

int
chan_is_up(const struct chan *ch)
{
	return ch->state == CH_UP;
}

size_t
chan_queued(const struct chan *ch)
{
	return buf_size(&ch->out);
}

void
chan_pause(struct chan *ch, int on)
{
	ch->paused = on;
}

/* Queue a whole buffer: taken over, not copied, when the queue is empty. */
int
chan_send_buf(struct chan *ch, struct buf *b)
{
	struct buf t;

	if (ch->state == CH_UP && buf_size(&ch->out) == 0 &&
	    ch->out.max == 0) {
		t = ch->out;
		ch->out = *b;
		*b = t;
		return 0;
	}
	return chan_send(ch, buf_data(b), buf_size(b));
}

int
chan_send(struct chan *ch, const void *p, size_t n)
{
	if (ch->state != CH_UP) {
		log_debug("[%s] no host: dropped %zu bytes", ch->section, n);
		return -1;
	}
	if (buf_append(&ch->out, p, n) == -1) {
		log_warn("[%s] output queue", ch->section);
		return -1;
	}
	return 0;
}

static void
chan_up(struct chan *ch)
{
	ch->state = CH_UP;
	ch->gen++;
	timer_stop(&ch->tick);
	log_info("[%s] host connected", ch->section);
	if (ch->proto->connect) {
		ch->proto->connect(ch);
	}
}

static void	chan_tick(void *);

/*
 * The re-check tick backs off from 1 s to a minute: SIGIO (away ports) and
 * inotify on /dev (missing ports) are the fast paths, the tick only a
 * safety net, so an idle agent stays asleep.
 */
static void
chan_tick_later(struct chan *ch)
{
	if (ch->backoff_ms <= 0) {
		ch->backoff_ms = CHAN_AWAY_MS;
	}
	timer_set(&ch->tick, ch->backoff_ms, chan_tick, ch);
	ch->backoff_ms *= 2;
	if (ch->backoff_ms > CHAN_BACKOFF_MAX) {
		ch->backoff_ms = CHAN_BACKOFF_MAX;
	}
}

/* The host went away: the framer restarts, queued output is dropped. */
static void
chan_down(struct chan *ch, enum chan_state next)
{
	int was_up = ch->state == CH_UP;

	buf_reset(&ch->out);
	ch->state = next;
	ch->gen++;
	if (was_up) {
		log_info("[%s] host disconnected", ch->section);
		if (ch->proto->disconnect) {
			ch->proto->disconnect(ch);
		}
	}
	if (next == CH_LISTEN) {
		close(ch->fd);
		ch->fd = ch->ofd = -1;
	}
	ch->backoff_ms = 0;
	if (next == CH_AWAY) {
		chan_tick_later(ch);
	}
	if (next == CH_WAIT) {
		if (ch->fd > 2) {
			close(ch->fd);
		}
		ch->fd = ch->ofd = -1;
		chan_tick_later(ch);
	}
}

/*
 * A front end whose stream cannot be resynchronised (SPICE, spice.md 3.7)
 * starts over: a socket client is dropped, a port closed and opened again,
 * which the host sees as the agent leaving and coming back.
 */
void
chan_reopen(struct chan *ch)
{
	if (ch->state != CH_UP) {
		return;
	}
	log_warnx("[%s] reopening the channel", ch->section);
	if (ch->lfd != -1) {
		chan_down(ch, CH_LISTEN);
	} else if (strcmp(ch->method, "virtio-serial") == 0) {
		chan_down(ch, CH_WAIT);
		ch->backoff_ms = CHAN_NAME_LAG_MS;
		timer_set(&ch->tick, 0, chan_tick, ch);
	}
}

static void
chan_read(struct chan *ch)
{
	static char rb[65536];
	size_t total = 0, cap;
	ssize_t n;
	char *p;

	while (ch->state == CH_UP && !ch->paused &&
	    buf_size(&ch->out) < CHAN_HIWAT && total < CHAN_PASS) {
		p = rb;
		cap = sizeof(rb);
		if (ch->proto->space != NULL &&
		    (p = ch->proto->space(ch, &cap)) == NULL) {
			p = rb;
			cap = sizeof(rb);
		}
		n = io_read(ch->fd, p, cap);
		if (n == 0) {
			return;
		}
		if (n == -1) {
			if (errno != EPIPE && errno != ECONNRESET) {
				log_warn("[%s] read", ch->section);
			}
			if (strcmp(ch->method, "stdio") == 0) {
				ch->state = CH_OFF;	/* test harness EOF */
				agent_quit = 1;
			} else if (ch->lfd != -1) {
				chan_down(ch, CH_LISTEN);
			} else if (errno == ENODEV) {
				chan_down(ch, CH_WAIT);
			} else if (errno == EPIPE &&
			    strcmp(ch->method, "isa-serial") == 0) {
				return;
			} else {
				chan_down(ch, CH_AWAY);
			}
			return;
		}
		total += n;
		ch->proto->feed(ch, p, n);
		/*
		 * A short read drained a socket or pipe; a virtio port is
		 * read until EAGAIN every time (vm-testing.md 10).
		 */
		if ((size_t)n < cap && ch->lfd != -1) {
			return;
		}
	}
}

/* Is a virtio host on the other side?  Never leaves reported input unread. */
void
chan_recheck(struct chan *ch)
{
	struct pollfd p = { .fd = ch->fd, .events = POLLIN | POLLOUT };

	if (ch->state != CH_AWAY) {
		return;
	}
	if (poll(&p, 1, 0) == -1) {
		return;
	}
	if (p.revents & POLLNVAL) {
		chan_down(ch, CH_WAIT);
		return;
	}
	if (p.revents & POLLHUP) {
		if (!(p.revents & POLLIN)) {	/* hot-unplugged */
			chan_down(ch, CH_WAIT);
		} else if (!ch->tick.armed) {
			chan_tick_later(ch);
		}
		return;
	}
	chan_up(ch);
	if (p.revents & POLLIN) {
		chan_read(ch);
	}
}

static void
chan_tick(void *arg)
{
	struct chan *ch = arg;
	int r;

	if (ch->state == CH_AWAY) {
		chan_recheck(ch);
		return;
	}
	if (ch->state != CH_WAIT) {
		return;
	}
	r = transport_open(ch);
	if (r == 0) {
		if (ch->state == CH_AWAY) {
			chan_recheck(ch);
		} else if (ch->state == CH_UP) {
			chan_up(ch);
		}
	} else if (r == 1) {
		if (ch->path_given) {
			timer_set(&ch->tick, CHAN_RETRY_MS, chan_tick, ch);
		} else {
			chan_tick_later(ch);
		}
	} else {
		ch->state = CH_OFF;
	}
}

/*
 * Ports that are not there yet: devtmpfs reports new nodes through
 * inotify, so a hot-plugged port is served at once without polling.  The
 * sysfs name may lag the node a little: retry soon after each event.
 */
static struct watch	dev_watch = { .fd = -1 };

static void
dev_event(struct watch *w, short rev)
{
	char ev[4096];
	size_t i;

	(void)rev;
	while (read(w->fd, ev, sizeof(ev)) > 0) {
		;
	}
	for (i = 0; i < nchans; i++) {
		if (chans[i].state == CH_WAIT && !chans[i].path_given) {
			chans[i].backoff_ms = CHAN_NAME_LAG_MS;
			timer_set(&chans[i].tick, 0, chan_tick, &chans[i]);
		}
	}
}

static void
dev_watch_start(void)
{
	if (dev_watch.fd != -1) {
		return;
	}
	dev_watch.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (dev_watch.fd == -1) {
		return;
	}
	if (inotify_add_watch(dev_watch.fd, "/dev", IN_CREATE) == -1) {
		close(dev_watch.fd);
		dev_watch.fd = -1;
		return;
	}
	inotify_add_watch(dev_watch.fd, "/dev/virtio-ports", IN_CREATE);
	dev_watch.events = POLLIN;
	dev_watch.fn = dev_event;
	watch_add(&dev_watch);
}

void
chan_start(struct chan *ch)
{
	ch->fd = ch->lfd = ch->ofd = -1;
	ch->slot = ch->lslot = -1;
	if (ch->proto->open) {
		ch->ps = ch->proto->open(ch);
	}
	ch->state = CH_WAIT;
	if (strcmp(ch->method, "virtio-serial") == 0 && !ch->path_given) {
		dev_watch_start();
	}
	chan_tick(ch);
	if (ch->state == CH_WAIT && ch->path_given && !opt.retry_path) {
		fatalx("[%s] cannot open channel %s", ch->section, ch->path);
	}
	if (ch->state == CH_OFF) {
		fatalx("[%s] cannot open channel", ch->section);
	}
}

void
chan_fill(struct chan *ch, struct pollfd *pfd, int *n)
{
	ch->slot = ch->lslot = -1;
	if (ch->state == CH_LISTEN) {
		ch->lslot = *n;
		pfd[*n].fd = ch->lfd;
		pfd[*n].events = POLLIN;
		(*n)++;
		return;
	}
	if (ch->state != CH_UP) {
		return;
	}
	ch->slot = *n;
	pfd[*n].fd = ch->fd;
	pfd[*n].events = 0;
	if (!ch->paused && buf_size(&ch->out) < CHAN_HIWAT) {
		pfd[*n].events |= POLLIN;
	}
	(*n)++;
	if (buf_size(&ch->out) > 0) {
		if (ch->ofd == ch->fd) {
			pfd[ch->slot].events |= POLLOUT;
		} else {
			pfd[*n].fd = ch->ofd;
			pfd[*n].events = POLLOUT;
			(*n)++;
		}
	}
}

static void
chan_accept(struct chan *ch)
{
	int fd;

	fd = accept4(ch->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR) {
			log_warn("[%s] accept", ch->section);
		}
		return;
	}
	ch->fd = ch->ofd = fd;
	chan_up(ch);
}

void
chan_event(struct chan *ch, const struct pollfd *pfd)
{
	short rev;

	if (ch->lslot != -1 && (pfd[ch->lslot].revents & POLLIN)) {
		chan_accept(ch);
		return;
	}
	if (ch->slot == -1 || ch->state != CH_UP) {
		return;
	}
	rev = pfd[ch->slot].revents;
	if (rev & (POLLIN | POLLERR)) {
		chan_read(ch);
	}
	if (ch->state == CH_UP && (rev & POLLHUP) && !(rev & POLLIN)) {
		/* HUP without data: stdio writer gone, or a virtio port. */
		chan_read(ch);
		if (ch->state == CH_UP && ch->lfd == -1 &&
		    strcmp(ch->method, "virtio-serial") == 0) {
			chan_down(ch, CH_WAIT);
		}
	}
}

/* Write what the host takes now: -1 on a write error (errno set). */
static int
out_write(struct chan *ch)
{
	ssize_t n = 0;

	while (ch->state == CH_UP && buf_size(&ch->out) > 0 &&
	    (n = io_write(ch->ofd, buf_data(&ch->out),
	    buf_size(&ch->out))) > 0) {
		buf_consume(&ch->out, n);
	}
	return n == -1 ? -1 : 0;	/* 0 also when full: POLLOUT next */
}

void
chan_flush(struct chan *ch)
{
	if (out_write(ch) == 0) {
		return;
	}
	if (errno != EPIPE && errno != ECONNRESET) {
		log_warn("[%s] write", ch->section);
	}
	if (ch->lfd != -1) {
		chan_down(ch, CH_LISTEN);
	} else if (strcmp(ch->method, "stdio") == 0) {
		ch->state = CH_OFF;
		agent_quit = 1;
	} else {
		chan_down(ch, CH_AWAY);
	}
}

/* The same from inside a request handler: a write error is left to the
 * loop's next pass, so the channel never drops under a handler. */
void
chan_push(struct chan *ch)
{
	(void)out_write(ch);
}

void
chan_close(struct chan *ch)
{
	if (ch->fd > 2) {
		close(ch->fd);
	}
	if (ch->lfd != -1) {
		close(ch->lfd);
	}
}
