/*
 * session.c: the oVirt desktop actions and lifecycle hooks.  lock-screen and
 * log-off follow the Python agent's LockActiveSession.py/LogoutActiveUser.py
 * first choice, loginctl; hooks follow hooks.py (hooks.d/<type>/, sorted)
 * with a deadline and a queue instead of a blocking loop (ovirt.md 10.9).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "session.h"
#include "verbs.h"

struct tool {
	session_done_fn	*done;
	void		*arg;
};

static void
tool_done(struct child *c, int status, void *arg)
{
	struct tool *t = arg;

	(void)c;
	t->done(status, t->arg);
	free(t);
}

static int
tool_run(char *const argv[], session_done_fn *done, void *arg,
    struct verr *e)
{
	static const struct child_ops ops = { NULL, tool_done };
	struct spawn sp;
	struct tool *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		return verr_set(e, errno, "out of memory");
	}
	t->done = done;
	t->arg = arg;
	memset(&sp, 0, sizeof(sp));
	sp.path = argv[0];
	sp.argv = argv;
	sp.timeout_ms = SESSION_TOOL_MS;
	if (child_spawn(&sp, &ops, t, e) == NULL) {
		free(t);
		return -1;
	}
	return 0;
}

int
session_lock(const char *loginctl, session_done_fn *done, void *arg,
    struct verr *e)
{
	char tool[256], verb[] = "lock-sessions";
	char *argv[] = { tool, verb, NULL };

	snprintf(tool, sizeof(tool), "%s", loginctl ? loginctl :
	    SESSION_LOGINCTL);
	return tool_run(argv, done, arg, e);
}

/* A logind session file: ACTIVE=1 and CLASS=user make it the one. */
static int
session_is_active(const char *path)
{
	char text[4096];
	int active = 0, user = 0;
	char *line, *save = NULL;

	if (vread_file(path, text, sizeof(text)) == -1) {
		return 0;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "ACTIVE=1") == 0) {
			active = 1;
		} else if (strcmp(line, "CLASS=user") == 0) {
			user = 1;
		}
	}
	return active && user;
}

int
session_active_id(char *id, size_t size)
{
	char path[512], **ents;
	int n, i, found = -1;

	n = vnames(vpath(SESSION_DIR), &ents);
	for (i = 0; i < n; i++) {
		if (found == -1 && ents[i][0] != '.' &&
		    strchr(ents[i], '.') == NULL) {
			snprintf(path, sizeof(path), "%s/%s",
			    vpath(SESSION_DIR), ents[i]);
			if (session_is_active(path)) {
				snprintf(id, size, "%s", ents[i]);
				found = 0;
			}
		}
	}
	if (n >= 0) {
		vnames_free(ents, n);
	}
	return found;
}

int
session_logoff(const char *loginctl, session_done_fn *done, void *arg,
    struct verr *e)
{
	char id[64], tool[256], verb[] = "terminate-session";
	char *argv[] = { tool, verb, id, NULL };

	snprintf(tool, sizeof(tool), "%s", loginctl ? loginctl :
	    SESSION_LOGINCTL);
	if (session_active_id(id, sizeof(id)) == -1) {
		return verr_set(e, ENOENT, "no active user session in %s",
		    SESSION_DIR);
	}
	return tool_run(argv, done, arg, e);
}

/* ---- lifecycle hooks ----------------------------------------------------- */

struct hookreq {
	char		 dir[512];
	char		 type[64];
	int64_t		 timeout_ms;
	void		(*done)(void *);
	void		*arg;
	char		**files;	/* NULL until listed */
	size_t		 n, i;
	int		 listed;
	struct hookreq	*next;
};

static struct hookreq	*hq, **hq_tail = &hq;
static int		 hook_running;

static void	hooks_next(void);

/* Regular executable files of dir/type, sorted; a missing dir is empty. */
static void
hooks_list(struct hookreq *r)
{
	struct stat st;
	char path[1024], **nv, **ents;
	int n, k;

	r->listed = 1;
	snprintf(path, sizeof(path), "%s/%s", r->dir, r->type);
	if ((n = vnames(path, &ents)) == -1) {
		log_info("ovirt: hooks %s: %s", path, strerror(errno));
		return;
	}
	for (k = 0; k < n; k++) {
		snprintf(path, sizeof(path), "%s/%s/%s", r->dir, r->type,
		    ents[k]);
		if (ents[k][0] != '.' && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode) && access(path, X_OK) == 0 &&
		    (nv = realloc(r->files, (r->n + 1) * sizeof(*nv))) != NULL) {
			r->files = nv;
			if ((r->files[r->n] = strdup(path)) != NULL) {
				r->n++;
			}
		} else if (ents[k][0] != '.') {
			log_info("ovirt: hook %s is no executable file", path);
		}
	}
	vnames_free(ents, n);
}

static void
hook_done(struct child *c, int status, void *arg)
{
	struct hookreq *r = arg;

	(void)c;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_warnx("ovirt: hook %s failed (status %#x)",
		    r->files[r->i], status);
	}
	r->i++;
	hook_running = 0;
	hooks_next();
}

static void
hooks_pop(void)
{
	struct hookreq *r = hq;
	size_t k;

	if ((hq = r->next) == NULL) {
		hq_tail = &hq;
	}
	for (k = 0; k < r->n; k++) {
		free(r->files[k]);
	}
	free(r->files);
	r->done(r->arg);
	free(r);
}

static void
hooks_next(void)
{
	static const struct child_ops ops = { NULL, hook_done };
	struct spawn sp;
	struct verr e;
	char *argv[2];

	while (!hook_running && hq != NULL) {
		if (!hq->listed) {
			hooks_list(hq);
		}
		if (hq->i >= hq->n) {
			hooks_pop();
			continue;
		}
		memset(&sp, 0, sizeof(sp));
		argv[0] = hq->files[hq->i];
		argv[1] = NULL;
		sp.path = argv[0];
		sp.argv = argv;
		sp.timeout_ms = hq->timeout_ms;
		log_info("ovirt: running hook %s", argv[0]);
		if (child_spawn(&sp, &ops, hq, &e) == NULL) {
			log_warnx("ovirt: hook %s: %s", argv[0], e.msg);
			hq->i++;
			continue;
		}
		hook_running = 1;
	}
}

/* A hook type names a directory: no path tricks. */
static int
type_ok(const char *t)
{
	size_t n = strlen(t);

	return n > 0 && n < 64 && t[0] != '.' &&
	    strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-.") == n;
}

void
session_hooks(const char *dir, const char *type, int64_t timeout_ms,
    void (*done)(void *), void *arg)
{
	struct hookreq *r;

	if (session_hooks_pending() >= SESSION_HOOKS_QUEUE) {
		log_warnx("ovirt: %d lifecycle events queued: one more is "
		    "answered without its hooks", SESSION_HOOKS_QUEUE);
		done(arg);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("ovirt: lifecycle event");
		done(arg);
		return;
	}
	/* A refused type runs nothing but keeps its place in the queue. */
	if (type == NULL || !type_ok(type)) {
		log_warnx("ovirt: lifecycle event type %s refused",
		    type ? log_sample(type, strlen(type)) : "(none)");
		r->listed = 1;
		type = "";
	}
	snprintf(r->dir, sizeof(r->dir), "%s", dir ? dir : SESSION_HOOKS_DIR);
	snprintf(r->type, sizeof(r->type), "%s", type);
	r->timeout_ms = timeout_ms;
	r->done = done;
	r->arg = arg;
	*hq_tail = r;
	hq_tail = &r->next;
	hooks_next();
}

size_t
session_hooks_pending(void)
{
	struct hookreq *r;
	size_t n = 0;

	for (r = hq; r != NULL; r = r->next) {
		n++;
	}
	return n;
}
