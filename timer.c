/*
 * timer.c: the loop's timers (absolute deadlines on CLOCK_MONOTONIC, the
 * poll timeout is the nearest one) and watches (extra fds polled for any
 * part of onega).  A watch deleted during a pass is never called again in
 * that pass: the pass's slot table forgets it.
 */
#include <poll.h>
#include <string.h>
#include <time.h>

#include "agent.h"

#define WATCH_MAX	256		/* pollfd slots, as agent.c's loop */

static struct timer	*timers;
static struct watch	*watches;
static struct watch	*pass_watch[WATCH_MAX];

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
timer_stop(struct timer *t)
{
	struct timer **pp;

	if (!t->armed) {
		return;
	}
	for (pp = &timers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->armed = 0;
}

void
timer_set(struct timer *t, int64_t ms, void (*fn)(void *), void *arg)
{
	timer_stop(t);
	t->when = now_ms() + ms;
	t->fn = fn;
	t->arg = arg;
	t->armed = 1;
	t->next = timers;
	timers = t;
}

int
timers_timeout(void)
{
	struct timer *t;
	int64_t next = -1, now;

	if (timers == NULL) {
		return -1;	/* nothing due: sleep until an fd is ready */
	}
	now = now_ms();
	for (t = timers; t != NULL; t = t->next) {
		if (next == -1 || t->when < next) {
			next = t->when;
		}
	}
	if (next == -1) {
		return -1;
	}
	return next <= now ? 0 : (next - now > 3600000 ? 3600000 :
	    (int)(next - now));
}

void
timers_run(void)
{
	struct timer *t;
	int64_t now;

	if (timers == NULL) {
		return;
	}
	now = now_ms();
	/* A callback may set or stop any timer: rescan after each one. */
	for (;;) {
		for (t = timers; t != NULL && t->when > now; t = t->next) {
			;
		}
		if (t == NULL) {
			return;
		}
		timer_stop(t);
		t->fn(t->arg);
	}
}

void
watch_add(struct watch *w)
{
	w->slot = -1;
	w->next = watches;
	watches = w;
}

void
watch_del(struct watch *w)
{
	struct watch **pp;

	for (pp = &watches; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	if (w->slot >= 0 && w->slot < WATCH_MAX && pass_watch[w->slot] == w) {
		pass_watch[w->slot] = NULL;
	}
	w->slot = -1;
}

/* Add every watch that wants events after the n slots already filled. */
int
watch_fill(struct pollfd *pfd, int n, int max)
{
	struct watch *w;

	for (w = watches; w != NULL; w = w->next) {
		w->slot = -1;
		if (w->fd < 0 || w->events == 0 || n >= max || n >= WATCH_MAX) {
			continue;
		}
		w->slot = n;
		pass_watch[n] = w;
		pfd[n].fd = w->fd;
		pfd[n++].events = w->events;
	}
	return n;
}

/* Call the watches that have events, then forget this pass's slots. */
void
watch_dispatch(const struct pollfd *pfd, int n)
{
	struct watch *w;
	int i;

	for (i = 1; i < n && i < WATCH_MAX; i++) {
		if (pass_watch[i] != NULL && pfd[i].revents &&
		    pass_watch[i]->slot == i) {
			w = pass_watch[i];
			w->fn(w, pfd[i].revents);
		}
	}
	memset(pass_watch, 0, sizeof(pass_watch));
}
