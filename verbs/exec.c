/*
 * exec.c: guest-exec processes (qemu-ga.md 4.2).  child_spawn does the
 * fork/exec hygiene and the pipes; here is what qemu-ga's GuestExecInfo
 * keeps: the captured streams (16 MiB each, the rest read and dropped so a
 * flooding child never blocks) and the wait status, reported once.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "exec.h"

struct proc {
	int64_t		 pid;
	struct child	*child;		/* NULL once done */
	int		 done, status;
	struct buf	 out, err;
	int		 out_trunc, err_trunc;
	struct proc	*next;
};

static struct proc	*procs;
static size_t		 nprocs;

static void
keep(struct buf *b, int *trunc, const char *p, size_t n)
{
	size_t room = EXEC_MAX_OUTPUT - buf_size(b);

	if (n > room) {
		*trunc = 1;
		n = room;
	}
	if (n > 0 && buf_append(b, p, n) == -1) {
		*trunc = 1;	/* out of memory: what we have is what we keep */
	}
}

static void
proc_out(struct child *c, int stream, const char *p, size_t n, void *arg)
{
	struct proc *pr = arg;

	(void)c;
	if (stream == 1) {
		keep(&pr->out, &pr->out_trunc, p, n);
	} else {
		keep(&pr->err, &pr->err_trunc, p, n);
	}
}

static void
proc_done(struct child *c, int status, void *arg)
{
	struct proc *pr = arg;

	(void)c;
	pr->child = NULL;
	pr->done = 1;
	pr->status = status;
	log_debug("exec: pid %lld ended, status 0x%x", (long long)pr->pid,
	    status);
}

int
exec_start(const struct exec_req *q, int64_t *pid, struct verr *e)
{
	static const int flags[] = {
		[EXEC_CAP_NONE] = 0,
		[EXEC_CAP_STDOUT] = CHILD_OUT,
		[EXEC_CAP_STDERR] = CHILD_ERR,
		[EXEC_CAP_SEPARATED] = CHILD_OUT | CHILD_ERR,
		[EXEC_CAP_MERGED] = CHILD_OUT | CHILD_MERGE,
	};
	static const struct child_ops ops = { proc_out, proc_done };
	struct spawn sp;
	struct proc *pr;

	if (nprocs >= EXEC_MAX_PROCS) {
		return verr_set(e, EAGAIN, "too many guest-exec processes "
		    "whose status was never read (at most %d)",
		    EXEC_MAX_PROCS);
	}
	if ((pr = calloc(1, sizeof(*pr))) == NULL) {
		return verr_set(e, errno, "out of memory");
	}
	memset(&sp, 0, sizeof(sp));
	sp.path = q->path;
	sp.argv = q->argv;
	sp.envp = q->envp;
	sp.flags = flags[q->capture] | (q->input ? CHILD_IN : 0);
	if ((pr->child = child_spawn(&sp, &ops, pr, e)) == NULL) {
		free(pr);
		return -1;
	}
	pr->pid = child_pid(pr->child);
	if (q->input != NULL) {
		if (child_write(pr->child, q->input, q->ninput) == -1) {
			log_warn("exec: pid %lld: stdin", (long long)pr->pid);
		}
		child_close_stdin(pr->child);
	}
	pr->next = procs;
	procs = pr;
	nprocs++;
	*pid = pr->pid;
	return 0;
}

/* Hand a capture buffer over as a plain malloc'ed block. */
static char *
take(struct buf *b, size_t *n)
{
	char *p;

	*n = buf_size(b);
	if (*n == 0) {
		buf_reset(b);
		return NULL;
	}
	buf_compact(b);
	p = b->p;
	memset(b, 0, sizeof(*b));
	return p;
}

int
exec_status(int64_t pid, struct exec_status *st, struct verr *e)
{
	struct proc **pp, *pr;

	memset(st, 0, sizeof(*st));
	for (pp = &procs; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->pid == pid) {
			break;
		}
	}
	if ((pr = *pp) == NULL) {
		/* qemu-ga 7.2's text (newest: "PID %ld does not exist"). */
		return verr_set(e, ESRCH, "Invalid parameter 'pid'");
	}
	if (!pr->done) {
		return 0;
	}
	st->exited = 1;
	if (WIFEXITED(pr->status)) {
		st->has_code = 1;
		st->code = WEXITSTATUS(pr->status);
	} else if (WIFSIGNALED(pr->status)) {
		st->has_signal = 1;
		st->signal = WTERMSIG(pr->status);
	}
	st->out = take(&pr->out, &st->nout);
	st->err = take(&pr->err, &st->nerr);
	st->has_out = st->out != NULL;
	st->has_err = st->err != NULL;
	st->out_trunc = pr->out_trunc;
	st->err_trunc = pr->err_trunc;
	*pp = pr->next;
	nprocs--;
	free(pr);
	return 0;
}

void
exec_status_free(struct exec_status *st)
{
	free(st->out);
	free(st->err);
	st->out = st->err = NULL;
}
