/*
 * freeze.h: fsfreeze, thaw, fstrim and the frozen state (qemu-ga.md 3.5,
 * 4.3).  The frozen state is agent_frozen (the dispatcher then accepts only
 * freeze-safe commands, SIGTERM waits), log_hold(1) (no disk write) and the
 * marker <statedir>/qga.state.isfrozen, which makes a restarted agent come
 * back frozen.  Beyond qemu-ga: a watchdog ([general] fsfreeze-timeout=S,
 * off by default) thaws on its own, and at start-up a marker is checked
 * against the kernel so a stale one (the guest rebooted) is dropped.
 */
#ifndef VERBS_FREEZE_H
#define VERBS_FREEZE_H

#include "verbs.h"

#define FREEZE_MARKER	"qga.state.isfrozen"	/* QGA_STATE_..._ISFROZEN */

/* At start-up, after the options and the log: restore the frozen state. */
void	freeze_init(void);
int	freeze_is_frozen(void);

/*
 * Run the fsfreeze hook (opt.fsfreeze_hook) with "freeze" or "thaw".
 * 0: no hook configured, nothing to wait for; 1: started, done() follows
 * from the loop with ok and, if !ok, the error; -1: could not start.
 */
typedef void freeze_hook_fn(int ok, const struct verr *, void *);
int	freeze_hook(const char *what, freeze_hook_fn *done, void *arg,
	    struct verr *);

/* Freeze every block-backed mount (only: just those whose directory is
 * listed, when have_only) in reverse mount order; enters the frozen state.
 * *count: filesystems frozen (0: the frozen state is left again). */
int	freeze_mounts(char *const *only, size_t nonly, int have_only,
	    int64_t *count, struct verr *);
/* FITHAW every mount until it fails; leaves the frozen state. */
int	freeze_thaw(int64_t *count, struct verr *);

struct freeze_trim {
	char		*path;
	int		 ok;		/* trimmed and minimum are valid */
	uint64_t	 trimmed, minimum;
	char		 error[128];
};

/* FITRIM every block-backed mount, mount order.  freeze_trim_free(). */
int	freeze_trim(uint64_t minimum, struct freeze_trim **v, size_t *n,
	    struct verr *);
void	freeze_trim_free(struct freeze_trim *, size_t);

#endif
