/*
 * child.c: the one spawn function (guest-exec, the fsfreeze hook, desktop
 * helpers) and the children's life in the loop: non-blocking pipes as
 * watches, SIGCHLD reaping, a kill deadline.  A child is complete once it is
 * reaped AND every output pipe is at EOF; only then is done() called.
 * Hygiene follows dropbear's execchild: signals reset, fds closed, explicit
 * argv and environment, groups and ids dropped and checked, never a shell.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

#define CHILD_READ	65536		/* bytes per read() */
#define CHILD_PASS	(1 << 20)	/* at most this much per pass per pipe */
#define DEFAULT_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct child {
	pid_t			 pid;
	int			 status;
	int			 reaped;
	struct watch		 w[3];	/* 0: stdin, 1: stdout, 2: stderr */
	struct buf		 inq;
	int			 close_in;
	const struct child_ops	*ops;
	void			*arg;
	struct timer		 tmo;
	struct child		*next;
};

static struct child	*children;

static void	child_check(struct child *);

pid_t
child_pid(const struct child *c)
{
	return c->pid;
}

size_t
child_stdin_queued(const struct child *c)
{
	return buf_size(&c->inq);
}

static void
pipe_close(struct child *c, int i)
{
	if (c->w[i].fd != -1) {
		watch_del(&c->w[i]);
		close(c->w[i].fd);
		c->w[i].fd = -1;
	}
}

static void
child_out_ev(struct watch *w, short rev)
{
	struct child *c = w->arg;
	int i = (w == &c->w[1]) ? 1 : 2;
	static char rb[CHILD_READ];
	size_t total = 0;
	ssize_t n;

	(void)rev;
	while (total < CHILD_PASS) {
		n = io_read(w->fd, rb, sizeof(rb));
		if (n == 0) {
			return;
		}
		if (n == -1) {
			pipe_close(c, i);
			if (c->ops && c->ops->out) {
				c->ops->out(c, i, rb, 0, c->arg);
			}
			child_check(c);
			return;
		}
		total += n;
		if (c->ops && c->ops->out) {
			c->ops->out(c, i, rb, n, c->arg);
		}
	}
}

static void
child_in_ev(struct watch *w, short rev)
{
	struct child *c = w->arg;
	ssize_t n;

	(void)rev;
	while (buf_size(&c->inq) > 0) {
		n = io_write(w->fd, buf_data(&c->inq), buf_size(&c->inq));
		if (n == 0) {
			return;
		}
		if (n == -1) {		/* EPIPE: the child closed stdin */
			buf_reset(&c->inq);
			break;
		}
		buf_consume(&c->inq, n);
	}
	w->events = 0;
	if (c->close_in) {
		pipe_close(c, 0);
	}
}

int
child_write(struct child *c, const void *p, size_t n)
{
	if (c->w[0].fd == -1) {
		errno = EPIPE;
		return -1;
	}
	if (buf_append(&c->inq, p, n) == -1) {
		return -1;
	}
	c->w[0].events = POLLOUT;
	return 0;
}

void
child_close_stdin(struct child *c)
{
	c->close_in = 1;
	if (buf_size(&c->inq) == 0) {
		pipe_close(c, 0);
	}
}

void
child_kill(struct child *c, int sig)
{
	if (!c->reaped) {
		kill(-c->pid, sig);	/* its process group */
		kill(c->pid, sig);
	}
}

static void
child_timeout(void *arg)
{
	struct child *c = arg;

	log_info("child %d: deadline passed, killing it", (int)c->pid);
	child_kill(c, SIGKILL);
}

void
child_detach(struct child *c)
{
	c->ops = NULL;
	c->arg = NULL;
}

static void
child_free(struct child *c)
{
	struct child **pp;

	for (pp = &children; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	pipe_close(c, 0);
	pipe_close(c, 1);
	pipe_close(c, 2);
	timer_stop(&c->tmo);
	buf_reset(&c->inq);
	free(c);
}

static void
child_check(struct child *c)
{
	if (!c->reaped || c->w[1].fd != -1 || c->w[2].fd != -1) {
		return;
	}
	if (c->ops && c->ops->done) {
		c->ops->done(c, c->status, c->arg);
	}
	child_free(c);
}

void
child_reap(void)
{
	struct child *c;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (c = children; c != NULL; c = c->next) {
			if (c->pid == pid) {
				break;
			}
		}
		if (c == NULL) {
			continue;	/* an orphan we inherited as PID 1 */
		}
		c->reaped = 1;
		c->status = st;
		timer_stop(&c->tmo);
		child_check(c);
	}
}

static const char *
env_path(char *const *envp)
{
	size_t i;

	for (i = 0; envp && envp[i]; i++) {
		if (strncmp(envp[i], "PATH=", 5) == 0) {
			return envp[i] + 5;
		}
	}
	return DEFAULT_PATH;
}

/* In the child: never returns. */
static void
child_exec(const struct spawn *sp, int fds[3], int errfd)
{
	static char *const defenv[] = { "PATH=" DEFAULT_PATH, NULL };
	char *const *envp = sp->envp ? sp->envp : defenv;
	char full[4096];
	const char *p, *e;
	sigset_t none;
	int i, err;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (i = 1; i < NSIG; i++) {
		signal(i, SIG_DFL);
	}
	setpgid(0, 0);
	for (i = 0; i < 3; i++) {
		if (dup2(fds[i], i) == -1) {
			goto fail;
		}
	}
	/* Keep the error pipe (close-on-exec) at fd 3, close everything else. */
	if (errfd != 3) {
		if (dup3(errfd, 3, O_CLOEXEC) == -1) {
			goto fail;
		}
		errfd = 3;
	}
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 4, ~0U, 0) == -1)
#endif
	{
		for (i = 4; i < 1024; i++) {
			close(i);
		}
	}
	if (sp->drop) {
		if (initgroups(sp->user ? sp->user : "nobody", sp->gid) == -1 ||
		    setgid(sp->gid) == -1 || setuid(sp->uid) == -1) {
			goto fail;
		}
	}
	if (sp->cwd && chdir(sp->cwd) == -1) {
		goto fail;
	}
	if (strchr(sp->path, '/') != NULL) {
		execve(sp->path, sp->argv, envp);
		goto fail;
	}
	err = ENOENT;
	for (p = env_path(envp); p && *p; p = e ? e + 1 : NULL) {
		e = strchr(p, ':');
		int len = e ? (int)(e - p) : (int)strlen(p);

		if ((size_t)len + strlen(sp->path) + 2 > sizeof(full)) {
			continue;
		}
		memcpy(full, p, len);
		full[len] = '/';
		strcpy(full + len + 1, sp->path);
		execve(full, sp->argv, envp);
		if (errno != ENOENT) {
			err = errno;
		}
	}
	errno = err;
fail:
	err = errno;
	if (write(errfd, &err, sizeof(err)) == -1) {
		_exit(127);
	}
	_exit(127);
}

static int
mkpipe(int p[2], int parent_end)
{
	if (pipe2(p, O_CLOEXEC) == -1) {
		return -1;
	}
	return io_nonblock(p[parent_end]);
}

struct child *
child_spawn(const struct spawn *sp, const struct child_ops *ops, void *arg,
    struct verr *e)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };
	int ep[2] = { -1, -1 }, fds[3], null = -1, err = 0, i;
	struct child *c;
	ssize_t n;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		verr_set(e, errno, "out of memory");
		return NULL;
	}
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    ((sp->flags & CHILD_IN) && mkpipe(in, 1) == -1) ||
	    ((sp->flags & (CHILD_OUT | CHILD_MERGE)) && mkpipe(out, 0) == -1) ||
	    ((sp->flags & CHILD_ERR) && !(sp->flags & CHILD_MERGE) &&
	    mkpipe(er, 0) == -1) || pipe2(ep, O_CLOEXEC) == -1) {
		verr_set(e, errno, "cannot create pipes");
		goto fail;
	}
	fds[0] = in[0] != -1 ? in[0] : null;
	fds[1] = out[1] != -1 ? out[1] : null;
	fds[2] = er[1] != -1 ? er[1] : (sp->flags & CHILD_MERGE) ? out[1] :
	    null;
	if ((c->pid = fork()) == -1) {
		verr_set(e, errno, "fork");
		goto fail;
	}
	if (c->pid == 0) {
		close(ep[0]);
		child_exec(sp, fds, ep[1]);
	}
	close(ep[1]);
	ep[1] = -1;
	/* Blocks only until the child's execve: it closes ep or reports. */
	do {
		n = read(ep[0], &err, sizeof(err));
	} while (n == -1 && errno == EINTR);
	close(ep[0]);
	ep[0] = -1;
	close(null);
	null = -1;
	c->w[0].fd = in[1];
	c->w[1].fd = out[0];
	c->w[2].fd = er[0];
	if (in[0] != -1) {
		close(in[0]);
	}
	if (out[1] != -1) {
		close(out[1]);
	}
	if (er[1] != -1) {
		close(er[1]);
	}
	c->ops = ops;
	c->arg = arg;
	c->next = children;
	children = c;
	if (n == sizeof(err)) {
		/* exec failed: reap it, report the child's errno. */
		for (i = 0; i < 3; i++) {
			pipe_close(c, i);
		}
		c->ops = NULL;
		verr_set(e, err, "cannot run %s: %s", sp->path, strerror(err));
		return NULL;	/* reaped later by child_reap() */
	}
	c->w[0].fn = child_in_ev;
	c->w[1].fn = c->w[2].fn = child_out_ev;
	for (i = 0; i < 3; i++) {
		c->w[i].arg = c;
		c->w[i].events = i == 0 ? 0 : POLLIN;
		if (c->w[i].fd != -1) {
			watch_add(&c->w[i]);
		}
	}
	if (sp->timeout_ms > 0) {
		timer_set(&c->tmo, sp->timeout_ms, child_timeout, c);
	}
	return c;
fail:
	for (i = 0; i < 2; i++) {
		if (in[i] != -1) close(in[i]);
		if (out[i] != -1) close(out[i]);
		if (er[i] != -1) close(er[i]);
		if (ep[i] != -1) close(ep[i]);
	}
	if (null != -1) {
		close(null);
	}
	free(c);
	return NULL;
}
