/*
 * session.h: desktop session actions (lock, log off) through loginctl, and
 * oVirt lifecycle hooks (ovirt.md 5.1, 10.9).  Actions run as children in
 * the loop; the callback gets the wait status (-1: it could not start).
 * These are the only helper programs onega runs for the oVirt channel.
 */
#ifndef VERBS_SESSION_H
#define VERBS_SESSION_H

#include "verbs.h"

#define SESSION_LOGINCTL	"loginctl"	/* searched in the fixed PATH */
#define SESSION_DIR		"/run/systemd/sessions"
#define SESSION_HOOKS_DIR	"/etc/ovirt-guest-agent/hooks.d"
#define SESSION_TOOL_MS		10000	/* a desktop helper's deadline */
#define SESSION_HOOKS_QUEUE	64	/* lifecycle events waiting, at most */

typedef void	session_done_fn(int status, void *arg);

/* loginctl lock-sessions */
int	session_lock(const char *loginctl, session_done_fn *, void *,
	    struct verr *);
/* loginctl terminate-session <the active user session> */
int	session_logoff(const char *loginctl, session_done_fn *, void *,
	    struct verr *);
/* Id of the active user session from logind's state files; -1 if none. */
int	session_active_id(char *, size_t);

/*
 * Run the regular executable files of dir/type/, sorted by name, one at a
 * time, each killed after timeout_ms.  Requests queue behind the running
 * one.  done is called once when all have finished (or at once, from this
 * call, when there is nothing to run); the type must be a plain name.
 */
void	session_hooks(const char *dir, const char *type, int64_t timeout_ms,
	    void (*done)(void *), void *arg);
/* Requests queued or running. */
size_t	session_hooks_pending(void);

#endif
