/*
 * freeze.c: FIFREEZE / FITHAW / FITRIM with qemu-ga's ordering (qemu-ga.md
 * 4.3): hook "freeze" first (proto/qga_fs.c waits for it), then the frozen
 * state (marker, logging held, commands filtered), then FIFREEZE in reverse
 * mount order (the hv_vss daemon's lesson: "/" last); thaw undoes it and
 * runs the hook "thaw".  The FI* ioctls run in the loop: the kernel syncs
 * the filesystem first, which may take a moment, as in qemu-ga.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "freeze.h"
#include "disk.h"

#define HOOK_TIMEOUT_MS	(10 * 60 * 1000)	/* onega: a hook that hangs */

static struct timer	 watchdog;

static const char *
marker_path(void)
{
	static char p[4096];

	snprintf(p, sizeof(p), "%s/%s", opt.statedir ? opt.statedir :
	    "/var/run", FREEZE_MARKER);
	return p;
}

int
freeze_is_frozen(void)
{
	return agent_frozen;
}

static void	watchdog_fire(void *);

static void
frozen_enter(int make_marker)
{
	long long secs = conf_int("general", "fsfreeze-timeout", 0);
	int fd;

	if (make_marker) {
		fd = open(marker_path(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd == -1) {
			log_warn("fsfreeze: %s", marker_path());
		} else {
			close(fd);
		}
	}
	/* At start-up the disks may be frozen already: hold first. */
	if (!make_marker) {
		log_hold(1);
	}
	log_info("disabling logging due to filesystem freeze");
	log_hold(1);
	agent_frozen = 1;
	if (secs > 0) {
		timer_set(&watchdog, secs * 1000, watchdog_fire, NULL);
	}
}

/* After FITHAW: now the disks take writes again. */
static void
frozen_leave(void)
{
	if (!agent_frozen) {
		return;
	}
	agent_frozen = 0;
	timer_stop(&watchdog);
	log_hold(0);
	log_info("logging re-enabled after filesystem thaw");
	if (unlink(marker_path()) == -1 && errno != ENOENT) {
		log_warn("fsfreeze: %s", marker_path());
	}
}

/* Block-backed mounts, mount order, one per device (bind mounts skipped). */
static int
mounts(struct disk_mount **v, size_t *n, size_t *used, struct verr *e)
{
	size_t i, j, k = 0;

	if (disk_mounts(v, n, e) == -1) {
		return -1;
	}
	for (i = 0; i < *n; i++) {
		int dup = !disk_mount_is_block(&(*v)[i]);

		for (j = 0; j < k && !dup; j++) {
			dup = (*v)[j].major == (*v)[i].major &&
			    (*v)[j].minor == (*v)[i].minor;
		}
		if (dup) {
			continue;
		}
		if (k != i) {	/* swap, so disk_mounts_free frees all */
			struct disk_mount t = (*v)[k];

			(*v)[k] = (*v)[i];
			(*v)[i] = t;
		}
		k++;
	}
	*used = k;	/* the rest stay in *v for disk_mounts_free */
	return 0;
}

static int
thaw_all(int64_t *count)
{
	struct disk_mount *v;
	struct verr e;
	size_t n, used, i;
	int fd, any;

	*count = 0;
	if (mounts(&v, &n, &used, &e) == -1) {
		log_warnx("fsfreeze: %s", e.msg);
		return -1;
	}
	for (i = 0; i < used; i++) {
		if ((fd = open(v[i].dir, O_RDONLY | O_CLOEXEC)) == -1) {
			continue;
		}
		for (any = 0; ioctl(fd, FITHAW) == 0; any = 1) {
			;
		}
		close(fd);
		*count += any;
	}
	disk_mounts_free(v, n);
	return 0;
}

static int
listed(const char *dir, char *const *only, size_t nonly)
{
	size_t i;

	for (i = 0; i < nonly; i++) {
		if (strcmp(only[i], dir) == 0) {
			return 1;
		}
	}
	return 0;
}

int
freeze_mounts(char *const *only, size_t nonly, int have_only, int64_t *count,
    struct verr *e)
{
	struct disk_mount *v;
	int64_t thawed;
	size_t n, used, i;
	int fd, r;

	*count = 0;
	if (mounts(&v, &n, &used, e) == -1) {
		return -1;
	}
	frozen_enter(1);
	for (i = used; i-- > 0;) {
		if (have_only && !listed(v[i].dir, only, nonly)) {
			continue;
		}
		if ((fd = open(v[i].dir, O_RDONLY | O_CLOEXEC)) == -1) {
			verr_set(e, errno, "failed to open %s: %s", v[i].dir,
			    strerror(errno));
			goto fail;
		}
		r = ioctl(fd, FIFREEZE, 0);
		close(fd);
		if (r == -1 && errno != EOPNOTSUPP && errno != EBUSY) {
			verr_set(e, errno, "failed to freeze %s: %s",
			    v[i].dir, strerror(errno));
			goto fail;
		}
		*count += r == 0;
	}
	disk_mounts_free(v, n);
	if (*count == 0) {
		frozen_leave();
	}
	return 0;
fail:
	disk_mounts_free(v, n);
	thaw_all(&thawed);
	frozen_leave();
	*count = 0;
	return -1;
}

int
freeze_thaw(int64_t *count, struct verr *e)
{
	if (thaw_all(count) == -1) {
		return verr_set(e, EIO, "failed to read the mount list");
	}
	frozen_leave();
	return 0;
}

/* ---- the hook ------------------------------------------------------------ */

struct hookrun {
	freeze_hook_fn	*done;
	void		*arg;
	char		 what[8];
};

static void
hook_out(struct child *c, int stream, const char *p, size_t n, void *a)
{
	(void)c;
	(void)stream;
	(void)a;
	if (n > 0) {
		log_info("fsfreeze hook: %s", log_sample(p, n));
	}
}

static void
hook_done(struct child *c, int st, void *arg)
{
	struct hookrun *h = arg;
	struct verr e;
	int ok = 0;

	(void)c;
	memset(&e, 0, sizeof(e));
	if (!WIFEXITED(st)) {
		verr_set(&e, EINTR, "fsfreeze hook has terminated abnormally");
	} else if (WEXITSTATUS(st) != 0) {
		verr_set(&e, EIO, "fsfreeze hook has failed with status %d",
		    WEXITSTATUS(st));
	} else {
		ok = 1;
	}
	if (!ok) {
		log_warnx("fsfreeze hook %s: %s", h->what, e.msg);
	}
	h->done(ok, &e, h->arg);
	free(h);
}

int
freeze_hook(const char *what, freeze_hook_fn *done, void *arg,
    struct verr *e)
{
	static const struct child_ops ops = { hook_out, hook_done };
	const char *hook = opt.fsfreeze_hook;
	char *argv[3];
	struct spawn sp;
	struct hookrun *h;

	if (hook == NULL || *hook == '\0') {
		return 0;
	}
	if (access(hook, X_OK) == -1) {
		return verr_set(e, errno, "can't access fsfreeze hook '%s': %s",
		    hook, strerror(errno));
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		return verr_set(e, errno, "out of memory");
	}
	h->done = done;
	h->arg = arg;
	snprintf(h->what, sizeof(h->what), "%s", what);
	argv[0] = (char *)(uintptr_t)hook;
	argv[1] = h->what;
	argv[2] = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.path = hook;
	sp.argv = argv;
	sp.flags = CHILD_OUT | CHILD_MERGE;
	sp.timeout_ms = HOOK_TIMEOUT_MS;
	if (child_spawn(&sp, &ops, h, e) == NULL) {
		free(h);
		return verr_set(e, e->err, "fsfreeze hook has terminated "
		    "abnormally: %s", e->msg);
	}
	return 1;
}

/* ---- watchdog and start-up ---------------------------------------------- */

static void
watchdog_hooked(int ok, const struct verr *e, void *arg)
{
	(void)arg;
	if (!ok) {
		log_warnx("fsfreeze watchdog: thaw hook: %s", e->msg);
	}
}

static void
watchdog_fire(void *arg)
{
	struct verr e;
	int64_t n;

	(void)arg;
	freeze_thaw(&n, &e);
	log_warnx("fsfreeze watchdog: still frozen after fsfreeze-timeout=%lld"
	    " s: thawed %lld filesystems", conf_int("general",
	    "fsfreeze-timeout", 0), (long long)n);
	if (freeze_hook("thaw", watchdog_hooked, NULL, &e) == -1) {
		log_warnx("fsfreeze watchdog: %s", e.msg);
	}
}

/*
 * A marker from an earlier run: is anything still frozen?  FIFREEZE on a
 * frozen filesystem fails with EBUSY; one that succeeds was not frozen and
 * is thawed at once.  Only when every mount proves thawed is the marker
 * stale (the guest rebooted with a persistent state dir); otherwise the
 * agent comes back frozen, as qemu-ga does.
 */
void
freeze_init(void)
{
	struct disk_mount *v;
	struct verr e;
	size_t n, used, i;
	int fd, busy = 0, unfrozen = 0, unknown = 0;

	if (access(marker_path(), F_OK) == -1) {
		return;
	}
	if (mounts(&v, &n, &used, &e) == -1) {
		unknown = 1;
		n = used = 0;
		v = NULL;
	}
	for (i = used; i-- > 0;) {
		if ((fd = open(v[i].dir, O_RDONLY | O_CLOEXEC)) == -1) {
			unknown++;
			continue;
		}
		if (ioctl(fd, FIFREEZE, 0) == 0) {
			ioctl(fd, FITHAW);
			unfrozen++;
		} else if (errno == EBUSY) {
			busy++;
		} else {
			unknown++;
		}
		close(fd);
	}
	disk_mounts_free(v, n);
	if (busy == 0 && unknown == 0 && unfrozen > 0) {
		log_info("fsfreeze: %s is stale (nothing is frozen): removed",
		    marker_path());
		unlink(marker_path());
		return;
	}
	frozen_enter(0);
	log_info("fsfreeze: %s exists: starting in the frozen state",
	    marker_path());
}

/* ---- fstrim --------------------------------------------------------------- */

int
freeze_trim(uint64_t minimum, struct freeze_trim **out, size_t *nout,
    struct verr *e)
{
	struct fstrim_range rng;
	struct freeze_trim *t;
	struct disk_mount *v;
	size_t n, used, i;
	int fd;

	*out = NULL;
	*nout = 0;
	if (mounts(&v, &n, &used, e) == -1) {
		return -1;
	}
	if ((t = calloc(used + 1, sizeof(*t))) == NULL) {
		disk_mounts_free(v, n);
		return verr_set(e, errno, "out of memory");
	}
	for (i = 0; i < used; i++) {
		t[i].path = strdup(v[i].dir);
		if ((fd = open(v[i].dir, O_RDONLY | O_CLOEXEC)) == -1) {
			snprintf(t[i].error, sizeof(t[i].error),
			    "failed to open: %s", strerror(errno));
			continue;
		}
		memset(&rng, 0, sizeof(rng));
		rng.len = (uint64_t)-1;
		rng.minlen = minimum;
		if (ioctl(fd, FITRIM, &rng) == -1) {
			if (errno == ENOTTY || errno == EOPNOTSUPP) {
				snprintf(t[i].error, sizeof(t[i].error),
				    "trim not supported");
			} else {
				snprintf(t[i].error, sizeof(t[i].error),
				    "failed to trim: %s", strerror(errno));
			}
		} else {
			t[i].ok = 1;
			t[i].trimmed = rng.len;
			t[i].minimum = rng.minlen;
		}
		close(fd);
	}
	*out = t;
	*nout = used;
	disk_mounts_free(v, n);
	return 0;
}

void
freeze_trim_free(struct freeze_trim *t, size_t n)
{
	size_t i;

	for (i = 0; t != NULL && i < n; i++) {
		free(t[i].path);
	}
	free(t);
}
