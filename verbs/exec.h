/*
 * exec.h: guest-exec bookkeeping on top of child_spawn (qemu-ga.md 4.2).
 * A process runs in the loop (non-blocking pipes, SIGCHLD reaping); its
 * output is kept up to 16 MiB per stream; its status is handed out once,
 * after it has been reaped and every pipe reached EOF, and then forgotten.
 */
#ifndef VERBS_EXEC_H
#define VERBS_EXEC_H

#include "verbs.h"

#define EXEC_MAX_OUTPUT	(16u << 20)	/* GUEST_EXEC_MAX_OUTPUT */
#define EXEC_MAX_PROCS	1024		/* onega: records kept at once */

/* GuestExecCaptureOutputMode */
enum exec_capture {
	EXEC_CAP_NONE, EXEC_CAP_STDOUT, EXEC_CAP_STDERR, EXEC_CAP_SEPARATED,
	EXEC_CAP_MERGED
};

struct exec_req {
	const char	*path;
	char *const	*argv;		/* argv[0] = path */
	char *const	*envp;		/* NULL: onega's fixed environment */
	const void	*input;		/* stdin bytes, or NULL: /dev/null */
	size_t		 ninput;
	enum exec_capture capture;
};

struct exec_status {
	int		 exited;
	int		 has_code, code;	/* exit status */
	int		 has_signal, signal;	/* killed by */
	int		 has_out, has_err;	/* stream captured and non-empty */
	char		*out, *err;		/* malloc'ed; exec_status_free */
	size_t		 nout, nerr;
	int		 out_trunc, err_trunc;
};

/* 0 and *pid, or -1: e->err holds the exec errno (ENOENT, EACCES...). */
int	exec_start(const struct exec_req *, int64_t *pid, struct verr *);
/* -1 (ESRCH) for an unknown pid; a finished record is deleted. */
int	exec_status(int64_t pid, struct exec_status *, struct verr *);
void	exec_status_free(struct exec_status *);

#endif
