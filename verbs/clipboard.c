/*
 * clipboard.c: the agent-held clipboard store, one slot per selection.
 * Host data arrives in pieces (streamed from the SPICE framer) and is kept
 * as raw bytes, NULs and all; guest data is set whole by `onega clipboard
 * set` or the qemu-ga extension and offered to the host through the hooks.
 * Waiters (a `clipboard get` issued while host data is still arriving) are
 * woken when the data completes or fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipboard.h"

#define CLIP_MAXWAIT	16

struct clip_waiter {
	int	 sel;
	void	(*fn)(void *, int);
	void	*arg;
};

static struct clip_sel		sels[CLIP_NSEL];
static struct clip_hooks	hooks;
static size_t			cap = 100 << 20;
static struct clip_waiter	waiters[CLIP_MAXWAIT];

void
clip_init(const struct clip_hooks *h, size_t c)
{
	if (h != NULL) {
		hooks = *h;
	}
	if (c > 0) {
		cap = c;
	}
}

size_t
clip_cap(void)
{
	return cap;
}

const struct clip_sel *
clip_get(int sel)
{
	if (sel < 0 || sel >= CLIP_NSEL) {
		return NULL;
	}
	return &sels[sel];
}

int
clip_sel_parse(const char *s)
{
	static const char *const names[CLIP_NSEL] = {
		"clipboard", "primary", "secondary"
	};
	int i;

	for (i = 0; i < CLIP_NSEL; i++) {
		if (strcmp(s, names[i]) == 0) {
			return i;
		}
	}
	return -1;
}

static void
wake(int sel, int ok)
{
	struct clip_waiter w;
	int i;

	for (i = 0; i < CLIP_MAXWAIT; i++) {
		if (waiters[i].fn != NULL && waiters[i].sel == sel) {
			w = waiters[i];
			waiters[i].fn = NULL;
			w.fn(w.arg, ok);
		}
	}
	if (hooks.host_done != NULL) {
		hooks.host_done(sel, ok, hooks.arg);
	}
}

int
clip_wait(int sel, void (*fn)(void *, int), void *arg)
{
	int i;

	for (i = 0; i < CLIP_MAXWAIT; i++) {
		if (waiters[i].fn == NULL) {
			waiters[i].sel = sel;
			waiters[i].fn = fn;
			waiters[i].arg = arg;
			return 0;
		}
	}
	errno = EBUSY;
	return -1;
}

void
clip_unwait(void *arg)
{
	int i;

	for (i = 0; i < CLIP_MAXWAIT; i++) {
		if (waiters[i].fn != NULL && waiters[i].arg == arg) {
			waiters[i].fn = NULL;
		}
	}
}

static void
sel_clear(struct clip_sel *s)
{
	if (s->serving) {
		clip_serve_end((int)(s - sels), 0);
		s->serving = 0;
	}
	s->lazy = 0;
	s->target[0] = '\0';
	buf_reset(&s->data);
	s->mime[0] = '\0';
	s->pending = 0;
	s->owner = CLIP_NONE;
	s->version++;
}

void
clip_host_grab(int sel)
{
	struct clip_sel *s = &sels[sel];

	if (s->pending) {
		wake(sel, 0);
	}
	sel_clear(s);
	s->owner = CLIP_HOST;
	s->pending = 1;
}

int
clip_host_begin(int sel, const char *mime, size_t size, struct verr *e)
{
	struct clip_sel *s = &sels[sel];

	buf_reset(&s->data);
	snprintf(s->mime, sizeof(s->mime), "%s", mime);
	if (size > cap) {
		return verr_set(e, EMSGSIZE, "clipboard of %zu bytes over "
		    "the %zu cap", size, cap);
	}
	s->owner = CLIP_HOST;
	if (clip_serve_begin(sel, mime, e) == 0) {
		s->serving = 1;		/* streamed to the session's helper */
		s->pending = 1;
		return 0;
	}
	s->data.max = cap;
	if (buf_reserve(&s->data, size) == -1) {
		return verr_set(e, errno, "clipboard of %zu bytes", size);
	}
	s->owner = CLIP_HOST;
	s->pending = 1;
	return 0;
}

int
clip_host_data(int sel, const void *p, size_t n)
{
	if (sels[sel].serving) {
		return clip_serve_data(sel, p, n);
	}
	return buf_append(&sels[sel].data, p, n);
}

void
clip_host_end(int sel, int ok)
{
	struct clip_sel *s = &sels[sel];

	if (!s->pending) {
		return;
	}
	s->pending = 0;
	s->version++;
	if (s->serving) {
		clip_serve_end(sel, ok);
		s->serving = ok;
	}
	if (!ok) {
		buf_reset(&s->data);
		s->mime[0] = '\0';
	}
	wake(sel, ok);
}

void
clip_host_release(int sel)
{
	struct clip_sel *s = &sels[sel];

	if (s->owner != CLIP_HOST) {
		return;
	}
	if (s->pending) {
		s->pending = 0;
		wake(sel, 0);
	}
	sel_clear(s);
}

void
clip_host_gone(void)
{
	int i;

	for (i = 0; i < CLIP_NSEL; i++) {
		clip_host_release(i);
	}
}

int
clip_guest_set(int sel, const char *mime, const void *p, size_t n,
    struct verr *e)
{
	struct clip_sel *s;

	if (sel < 0 || sel >= CLIP_NSEL) {
		return verr_set(e, EINVAL, "no such selection");
	}
	s = &sels[sel];
	if (n > cap) {
		return verr_set(e, EMSGSIZE, "clipboard of %zu bytes over "
		    "the %zu cap", n, cap);
	}
	if (s->pending) {
		wake(sel, 0);
	}
	sel_clear(s);
	s->data.max = cap;
	if (n == 0 && mime[0] == '\0') {
		if (hooks.guest_release != NULL) {
			hooks.guest_release(sel, hooks.arg);
		}
		return 0;
	}
	if (buf_append(&s->data, p, n) == -1) {
		return verr_set(e, errno, "clipboard of %zu bytes", n);
	}
	snprintf(s->mime, sizeof(s->mime), "%s", mime);
	s->owner = CLIP_GUEST;
	if (hooks.guest_grab != NULL) {
		hooks.guest_grab(sel, s->mime, hooks.arg);
	}
	return 0;
}

void
clip_guest_offer(int sel, const char *mime, const char *target)
{
	struct clip_sel *s = &sels[sel];

	if (mime == NULL) {
		if (s->owner == CLIP_GUEST) {
			sel_clear(s);
			if (hooks.guest_release != NULL) {
				hooks.guest_release(sel, hooks.arg);
			}
		}
		return;
	}
	if (s->pending) {
		wake(sel, 0);
	}
	sel_clear(s);
	s->owner = CLIP_GUEST;
	s->lazy = 1;
	snprintf(s->mime, sizeof(s->mime), "%s", mime);
	snprintf(s->target, sizeof(s->target), "%s", target);
	if (hooks.guest_grab != NULL) {
		hooks.guest_grab(sel, s->mime, hooks.arg);
	}
}

/* A session helper's read: n == 0 with p NULL starts over. */
int
clip_guest_data(int sel, const void *p, size_t n)
{
	struct clip_sel *s = &sels[sel];

	if (p == NULL) {
		buf_reset(&s->data);
		s->data.max = cap;
		return 0;
	}
	return buf_append(&s->data, p, n);
}

int
clip_read(int sel, const char **mime, const char **p, size_t *n,
    struct verr *e)
{
	struct clip_sel *s;

	if (sel < 0 || sel >= CLIP_NSEL) {
		return verr_set(e, EINVAL, "no such selection");
	}
	s = &sels[sel];
	if (s->pending) {
		return verr_set(e, EAGAIN, "clipboard data still arriving");
	}
	if (s->owner == CLIP_NONE || s->mime[0] == '\0') {
		return verr_set(e, ENOENT, "the clipboard is empty");
	}
	if (s->serving || s->lazy) {
		return verr_set(e, ENOTSUP, "the clipboard is the desktop "
		    "session's: use its tools");
	}
	*mime = s->mime;
	*p = s->data.p ? buf_data(&s->data) : "";
	*n = buf_size(&s->data);
	return 0;
}
