/*
 * stubs.c: what agent.c provides, for unit tests and fuzzers that link the
 * agent's other sources without its loop.  Timers never fire on their own;
 * stub_run_timers() fires the due ones.
 */
#include <stddef.h>
#include <time.h>

#include "../../agent.h"

struct options	opt = { .statedir = "/tmp" };
volatile int	agent_frozen;
int		agent_quit;

static struct timer	*timers;

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

void	stub_run_timers(void);

void
stub_run_timers(void)
{
	struct timer *t;

	while ((t = timers) != NULL) {
		timer_stop(t);
		t->fn(t->arg);
	}
}

void
watch_add(struct watch *w)
{
	w->slot = -1;
}

void
watch_del(struct watch *w)
{
	w->slot = -1;
}
