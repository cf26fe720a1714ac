/*
 * clipboard_helper.c: the desktop side of the clipboard through helper
 * programs (spice.md 11.3): wl-copy/wl-paste on Wayland, xclip on X11, as
 * the session user, their pipes in the loop, each with a deadline.
 * Host data is streamed into a foreground serving helper as it arrives;
 * guest changes are found by listing the types once a second while a
 * client is there; our own serving helper's offer is never echoed back as
 * a guest grab; guest data is read only when the host asks for it.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "clipboard.h"
#include "display.h"

#define HELPER_LIST_MS	2000		/* -o / --list-types deadline */
#define HELPER_READ_MS	10000		/* one read of the data */
#define HELPER_POLL_MS	1000		/* guest change detection */
#define HELPER_LIST_MAX	4096		/* bytes of type list kept */
#define HELPER_NSEL	2		/* clipboard and primary */

static struct display_session	ds;
static int64_t			ds_when = -1;

static struct child	*srv[CLIP_NSEL];	/* serving host data */
static struct child	*lister[HELPER_NSEL];
static struct buf	 lout[HELPER_NSEL];
static char		 seen[HELPER_NSEL][HELPER_LIST_MAX];
static struct child	*reader[CLIP_NSEL];
static struct {
	void	(*fn)(void *, int);
	void	*arg;
} fetch_cb[CLIP_NSEL];
static struct timer	 poll_t;
static int		 watching;

static char *xsel[CLIP_NSEL] = {
	"clipboard", "primary", "secondary"
};

/* Guest targets to our MIME types, best first (atom2agent[]). */
static const struct {
	const char	*target;
	const char	*mime;
} tmap[] = {
	{ "image/png", "image/png" },
	{ "text/plain;charset=utf-8", "text/plain;charset=utf-8" },
	{ "UTF8_STRING", "text/plain;charset=utf-8" },
	{ "text/plain", "text/plain;charset=utf-8" },
	{ "image/bmp", "image/bmp" },
	{ "image/tiff", "image/tiff" },
	{ "image/jpeg", "image/jpeg" },
};

/* The session, looked up again at most every 5 s. */
static const struct display_session *
session(void)
{
	struct verr e;

	if (ds_when == -1 || now_ms() - ds_when > 5000) {
		if (display_find(&ds, &e) == -1) {
			ds.kind = DISPLAY_NONE;
		}
		ds_when = now_ms();
	}
	return ds.kind == DISPLAY_NONE ? NULL : &ds;
}

static struct child *
spawn(char **argv, int flags, int64_t ms, const struct child_ops *ops,
    void *arg)
{
	const struct display_session *s = session();
	struct spawn sp;
	struct verr e;
	struct child *c;

	display_spawn(s, &sp, argv, flags, ms);
	if ((c = child_spawn(&sp, ops, arg, &e)) == NULL) {
		log_warnx("clipboard: %s: %s", argv[0], e.msg);
	}
	return c;
}

/* ---- host to guest: a foreground serving helper ------------------------ */

static void
srv_done(struct child *c, int st, void *arg)
{
	int sel = (int)(intptr_t)arg;

	(void)st;
	if (srv[sel] != c) {
		return;
	}
	/* Another owner took the selection: the watcher will see it. */
	srv[sel] = NULL;
	seen[sel < HELPER_NSEL ? sel : 0][0] = '\0';
}

static const struct child_ops srv_ops = { NULL, srv_done };

int
clip_serve_begin(int sel, const char *mime, struct verr *e)
{
	const struct display_session *s = session();
	static char m[CLIP_MIME_MAX];	/* argv strings: copied, not cast */
	char *argv[10];
	int a = 0;

	snprintf(m, sizeof(m), "%s", mime);
	if (s == NULL || sel >= HELPER_NSEL) {
		return verr_set(e, ENOTSUP, "no desktop session");
	}
	clip_serve_end(sel, 0);
	if (s->kind == DISPLAY_WAYLAND) {
		argv[a++] = "wl-copy";
		argv[a++] = "--foreground";
		if (sel == 1) {
			argv[a++] = "--primary";
		}
		argv[a++] = "--type";
		argv[a++] = m;
	} else {
		argv[a++] = "xclip";
		argv[a++] = "-quiet";
		argv[a++] = "-selection";
		argv[a++] = xsel[sel];
		argv[a++] = "-i";
		argv[a++] = "-t";
		argv[a++] = strncmp(m, "text/plain", 10) == 0 ?
		    "UTF8_STRING" : m;
	}
	argv[a] = NULL;
	if ((srv[sel] = spawn(argv, CHILD_IN, 0, &srv_ops,
	    (void *)(intptr_t)sel)) == NULL) {
		return verr_set(e, EIO, "cannot start %s", argv[0]);
	}
	return 0;
}

int
clip_serve_data(int sel, const void *p, size_t n)
{
	if (srv[sel] == NULL) {
		errno = EPIPE;
		return -1;
	}
	return child_write(srv[sel], p, n);
}

void
clip_serve_end(int sel, int ok)
{
	struct child *c = srv[sel];

	if (c == NULL) {
		return;
	}
	if (ok) {
		child_close_stdin(c);	/* it serves until replaced */
		return;
	}
	srv[sel] = NULL;
	child_detach(c);
	child_kill(c, SIGTERM);
}

/* ---- guest changes: list the types once a second ----------------------- */

static void
list_out(struct child *c, int fd, const char *p, size_t n, void *arg)
{
	int sel = (int)(intptr_t)arg;

	(void)c;
	if (fd == 1 && n > 0 && buf_size(&lout[sel]) + n < HELPER_LIST_MAX) {
		(void)buf_append(&lout[sel], p, n);
	}
}

/* The best type of a newline-separated list, or NULL. */
static int
best_type(const char *list)
{
	char line[CLIP_MIME_MAX + 2];
	const char *p, *e;
	size_t i, k;

	for (i = 0; i < nitems(tmap); i++) {
		for (p = list; *p; p = *e ? e + 1 : e) {
			e = strchr(p, '\n');
			e = e ? e : p + strlen(p);
			k = (size_t)(e - p);
			if (k < sizeof(line)) {
				memcpy(line, p, k);
				line[k] = '\0';
				if (strcmp(line, tmap[i].target) == 0) {
					return (int)i;
				}
			}
		}
	}
	return -1;
}

static void
list_done(struct child *c, int st, void *arg)
{
	int sel = (int)(intptr_t)arg, b;
	char list[HELPER_LIST_MAX];

	(void)c;
	lister[sel] = NULL;
	snprintf(list, sizeof(list), "%.*s", (int)buf_size(&lout[sel]),
	    lout[sel].p ? buf_data(&lout[sel]) : "");
	buf_reset(&lout[sel]);
	if (!watching) {
		return;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		list[0] = '\0';		/* empty selection, or no access */
	}
	if (srv[sel] != NULL || strcmp(list, seen[sel]) == 0) {
		/* Unchanged, or our own serving helper's offer (no echo). */
		snprintf(seen[sel], sizeof(seen[sel]), "%s", list);
		return;
	}
	snprintf(seen[sel], sizeof(seen[sel]), "%s", list);
	b = best_type(list);
	log_debug("clipboard: guest %s: %s", xsel[sel],
	    b == -1 ? "nothing for the host" : tmap[b].target);
	clip_guest_offer(sel, b == -1 ? NULL : tmap[b].mime,
	    b == -1 ? NULL : tmap[b].target);
}

static const struct child_ops list_ops = { list_out, list_done };

static void
poll_tick(void *arg)
{
	const struct display_session *s = session();
	char *argv[8];
	int sel, a;

	(void)arg;
	if (!watching) {
		return;
	}
	for (sel = 0; s != NULL && sel < HELPER_NSEL; sel++) {
		if (lister[sel] != NULL) {
			continue;
		}
		a = 0;
		if (s->kind == DISPLAY_WAYLAND) {
			argv[a++] = "wl-paste";
			if (sel == 1) {
				argv[a++] = "--primary";
			}
			argv[a++] = "--list-types";
		} else {
			argv[a++] = "xclip";
			argv[a++] = "-o";
			argv[a++] = "-selection";
			argv[a++] = xsel[sel];
			argv[a++] = "-t";
			argv[a++] = "TARGETS";
		}
		argv[a] = NULL;
		lister[sel] = spawn(argv, CHILD_OUT, HELPER_LIST_MS, &list_ops,
		    (void *)(intptr_t)sel);
	}
	timer_set(&poll_t, HELPER_POLL_MS, poll_tick, NULL);
}

void
clip_watch(int on)
{
	int i;

	watching = on;
	if (!on) {
		timer_stop(&poll_t);
		for (i = 0; i < HELPER_NSEL; i++) {
			seen[i][0] = '\0';
		}
		return;
	}
	if (!poll_t.armed) {
		poll_tick(NULL);
	}
}

/* ---- guest to host: read the data when the host asks ------------------- */

static void
read_out(struct child *c, int fd, const char *p, size_t n, void *arg)
{
	int sel = (int)(intptr_t)arg;

	if (fd != 1 || n == 0 || reader[sel] != c) {
		return;
	}
	if (clip_guest_data(sel, p, n) == -1) {
		log_warnx("clipboard: guest %s over the cap", xsel[sel]);
		child_kill(c, SIGKILL);
		reader[sel] = NULL;
		child_detach(c);
		fetch_cb[sel].fn(fetch_cb[sel].arg, 0);
	}
}

static void
read_done(struct child *c, int st, void *arg)
{
	int sel = (int)(intptr_t)arg;

	if (reader[sel] != c) {
		return;
	}
	reader[sel] = NULL;
	fetch_cb[sel].fn(fetch_cb[sel].arg, WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
}

static const struct child_ops read_ops = { read_out, read_done };

int
clip_fetch(int sel, void (*fn)(void *, int), void *arg, struct verr *e)
{
	const struct display_session *s = session();
	const struct clip_sel *cs = clip_get(sel);
	static char target[CLIP_MIME_MAX];
	char *argv[10];
	int a = 0;

	if (s == NULL || cs == NULL || !cs->lazy || sel >= HELPER_NSEL) {
		return verr_set(e, ENOENT, "nothing to read");
	}
	if (reader[sel] != NULL) {
		return verr_set(e, EBUSY, "a read is running");
	}
	if (s->kind == DISPLAY_WAYLAND) {
		argv[a++] = "wl-paste";
		if (sel == 1) {
			argv[a++] = "--primary";
		}
		argv[a++] = "--no-newline";
		argv[a++] = "--type";
	} else {
		argv[a++] = "xclip";
		argv[a++] = "-o";
		argv[a++] = "-selection";
		argv[a++] = xsel[sel];
		argv[a++] = "-t";
	}
	snprintf(target, sizeof(target), "%s", cs->target);
	argv[a++] = target;
	argv[a] = NULL;
	(void)clip_guest_data(sel, NULL, 0);	/* start empty */
	fetch_cb[sel].fn = fn;
	fetch_cb[sel].arg = arg;
	if ((reader[sel] = spawn(argv, CHILD_OUT, HELPER_READ_MS, &read_ops,
	    (void *)(intptr_t)sel)) == NULL) {
		return verr_set(e, EIO, "cannot start %s", argv[0]);
	}
	return 0;
}
