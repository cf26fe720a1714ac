/*
 * agent.h: the services agent.c and its plumbing offer to every part of
 * onega: logging, buffers, non-blocking I/O, channels, timers, extra fds
 * ("watches"), child processes and configuration.  Front ends (proto/) and
 * collectors (verbs/) include this; nothing here knows a protocol.
 */
#ifndef AGENT_H
#define AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ONEGA_VERSION	"0.9.0"		/* dotted numeric, as qemu-ga's */

/* ---- log.c ------------------------------------------------------------ */
#define LOG_TO_STDERR	0
#define LOG_TO_FILE	1
#define LOG_TO_SYSLOG	2
#define LOG_TO_KMSG	3

void	log_init(int where, const char *file, int verbose);
void	log_reopen(void);		/* SIGHUP */
void	log_hold(int on);		/* frozen: lines go to a ring, flushed on 0 */
int	log_verbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* A short escaped sample of peer bytes, for protocol-error log lines. */
const char *log_sample(const void *p, size_t n);

/* ---- buf.c: the one buffer type --------------------------------------- */
/*
 * Data lives in p[off .. len); cap is the allocation; max is a hard cap on
 * len - off (0 = none).  Growing past max fails with ENOBUFS.  An emptied
 * buffer gives large memory back unless keep is set (then buf_reset does).
 */
struct buf {
	char	*p;
	size_t	 off, len, cap, max;
	int	 keep;
};
/* The largest buffer kept for the next request: a fresh page costs a fault
 * (dear in a VM), but holding more than this would raise peak RSS. */
#define BUF_KEEP_MAX	(16u << 20)

int	buf_reserve(struct buf *, size_t);	/* room for n more bytes */
int	buf_append(struct buf *, const void *, size_t);
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_consume(struct buf *, size_t);
void	buf_reset(struct buf *);	/* empty it and give memory back */
void	buf_compact(struct buf *);	/* move data to the front; shrink */
/* qsort's contract (heapsort, buf.c). */
void	sort(void *, size_t, size_t, int (*)(const void *, const void *));
#define buf_data(b)	((b)->p + (b)->off)
#define buf_size(b)	((b)->len - (b)->off)

/* ---- io.c -------------------------------------------------------------- */
/* > 0 bytes; 0 = would block, try later; -1 = EOF (errno EPIPE) or error. */
ssize_t	io_read(int, void *, size_t);
/* >= 0 bytes written (0 = would block); -1 = error. */
ssize_t	io_write(int, const void *, size_t);
int	io_nonblock(int);
int	io_cloexec(int);
int	io_open(const char *, int, ...);	/* always O_CLOEXEC; one syscall */
struct sockaddr_un;
int	io_unix_addr(struct sockaddr_un *, const char *);

/* ---- timers (agent.c): absolute deadlines on CLOCK_MONOTONIC ----------- */
struct timer {
	int64_t		 when;		/* ms, monotonic */
	void		(*fn)(void *);
	void		*arg;
	struct timer	*next;
	int		 armed;
};

int64_t	now_ms(void);
void	timer_set(struct timer *, int64_t ms, void (*)(void *), void *);
void	timer_stop(struct timer *);
/* For the loop: ms to the nearest deadline (-1: none); run the due ones. */
int	timers_timeout(void);
void	timers_run(void);

/* ---- watches (agent.c): any other fd the loop should poll -------------- */
struct watch {
	int		 fd;
	short		 events;	/* POLLIN/POLLOUT; may change any time */
	void		(*fn)(struct watch *, short revents);
	void		*arg;
	struct watch	*next;
	int		 slot;		/* index in this pass's pollfd set */
};

void	watch_add(struct watch *);
void	watch_del(struct watch *);
/* For the loop: add watches to a pollfd set; call those with events. */
struct pollfd;
int	watch_fill(struct pollfd *, int, int);
void	watch_dispatch(const struct pollfd *, int);

/* ---- verbs' error record ------------------------------------------------ */
struct verr {
	int	err;		/* errno value, 0 if none applies */
	char	msg[256];
};

/* Fill *e and return -1: `return verr_set(e, errno, "open %s", p);` */
int	verr_set(struct verr *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* ---- children (child.c): the one spawn function ------------------------ */
struct child;

#define CHILD_OUT	1		/* capture stdout in a pipe */
#define CHILD_ERR	2		/* capture stderr in a pipe */
#define CHILD_MERGE	4		/* stderr goes to the stdout pipe */
#define CHILD_IN	8		/* stdin is a pipe fed by child_write */

struct spawn {
	const char	*path;		/* absolute, or searched in PATH */
	char *const	*argv;
	char *const	*envp;		/* NULL: a minimal fixed environment */
	int		 flags;		/* CHILD_* */
	int		 drop;		/* 1: setgid/initgroups/setuid below */
	uid_t		 uid;
	gid_t		 gid;
	const char	*user;		/* for initgroups */
	const char	*cwd;
	int64_t		 timeout_ms;	/* 0: none; SIGKILL when it passes */
};

struct child_ops {
	/* Output from stream 1 (stdout) or 2 (stderr); n == 0 means EOF. */
	void	(*out)(struct child *, int, const char *, size_t, void *);
	/* Reaped and every pipe at EOF: wait status as from waitpid(). */
	void	(*done)(struct child *, int, void *);
};

struct child *child_spawn(const struct spawn *, const struct child_ops *,
	    void *, struct verr *);
int	child_write(struct child *, const void *, size_t);	/* queue stdin */
void	child_close_stdin(struct child *);	/* after the queue drains */
void	child_kill(struct child *, int);
void	child_detach(struct child *);	/* no more callbacks; still reaped */
pid_t	child_pid(const struct child *);
size_t	child_stdin_queued(const struct child *);
void	child_reap(void);		/* SIGCHLD, from the loop */
void	child_poll_add(void);		/* internal to the loop */

/* ---- channels (chan.c, transport.c) ------------------------------------ */
struct chan;

struct proto {
	const char	*name;		/* "qemu-ga", "ovirt", "spice" */
	/* Per-channel state, once at start-up (NULL: none needed). */
	void		*(*open)(struct chan *);
	/* A host is attached (client accepted, virtio host side opened). */
	void		(*connect)(struct chan *);
	/* Where to read to (NULL: a static buffer); feed gets that pointer. */
	char		*(*space)(struct chan *, size_t *);
	/* Bytes from the host.  Consume them all or buffer them. */
	void		(*feed)(struct chan *, const char *, size_t);
	/* The host went away: reset the framer.  The output queue is gone. */
	void		(*disconnect)(struct chan *);
	/* SIGTERM: last words (oVirt session-shutdown), flushed after. */
	void		(*quit)(struct chan *);
};

enum chan_state {
	CH_OFF,			/* disabled or not opened yet */
	CH_WAIT,		/* port not there yet (virtio discovery) */
	CH_LISTEN,		/* listening socket, no client */
	CH_AWAY,		/* virtio port open, no host on the other side */
	CH_UP			/* a host is attached */
};

struct chan {
	const struct proto *proto;
	const char	*section;	/* config section: general, ovirt, spice */
	const char	*ports[2];	/* virtio-serial port names, by preference */
	int		 enabled;
	char		 method[16];
	char		 path[256];
	int		 path_given;
	int		 fd;		/* data: device or accepted client */
	int		 lfd;		/* listening socket, or -1 */
	int		 ofd;		/* stdio: output fd (1); else == fd */
	enum chan_state	 state;
	uint64_t	 gen;		/* bumped on every connect and disconnect */
	int		 paused;	/* front end wants no input for now */
	int		 slot, lslot;	/* pollfd index this pass, -1 if none */
	struct buf	 out;		/* replies waiting for POLLOUT */
	void		*ps;		/* the front end's state */
	struct timer	 tick;		/* retry or away re-check */
	int64_t		 backoff_ms;	/* next tick's delay */
};

/* Queue bytes for the host.  -1 (and nothing queued) while no host. */
int	chan_send(struct chan *, const void *, size_t);
/* The same for a whole buffer, moved into the queue if that is empty. */
int	chan_send_buf(struct chan *, struct buf *);
/* Hand the queue to the host now, from a handler: errors wait for the loop. */
void	chan_push(struct chan *);
/* Drop the host and open the transport again (a broken stream). */
void	chan_reopen(struct chan *);
/* Stop or restart reading input (a deferred reply is pending). */
void	chan_pause(struct chan *, int);
int	chan_is_up(const struct chan *);
size_t	chan_queued(const struct chan *);
/* Look a channel up by section name ("general", "ovirt", "spice"). */
struct chan *chan_find(const char *);

/* ---- configuration (conf.c) -------------------------------------------- */
/* Every key of every section, from the file, the command line and
 * /proc/cmdline (onega.KEY=V for [general], onega.SECTION.KEY=V). */
const char *conf_get(const char *section, const char *key);
int	conf_bool(const char *section, const char *key, int def);
long long conf_int(const char *section, const char *key, long long def);
void	conf_set(const char *section, const char *key, const char *val);
void	conf_append_list(const char *section, const char *key, const char *v);
int	conf_load(const char *path, int must_exist);
void	conf_cmdline(const char *path);	/* /proc/cmdline, or a test file */
void	conf_dump(void);
/* Is name on a comma separated list? */
int	conf_list_has(const char *list, const char *name);

/* ---- process-wide state ------------------------------------------------ */
struct options {
	const char	*statedir;
	const char	*pidfile;
	const char	*logfile;
	const char	*fsfreeze_hook;	/* NULL: hook disabled */
	int		 verbose;
	int		 daemonize;
	int		 retry_path;
};

extern struct options	opt;
extern volatile int	agent_frozen;	/* filesystems frozen by us */
extern int		agent_quit;	/* set to leave the loop */

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#endif
