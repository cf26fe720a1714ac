/*
 * power.h: guest-shutdown and guest-suspend-* (qemu-ga.md 3.6, 4.4).
 * Shutdown runs /sbin/poweroff|halt|reboot (newest qemu-ga) or
 * /sbin/shutdown; with none of them (busybox, initramfs, rescue), or as the
 * guest's init, it syncs and calls reboot(2) itself (verbs/boot.h).
 */
#ifndef VERBS_POWER_H
#define VERBS_POWER_H

#include "verbs.h"

enum power_mode { POWER_OFF, POWER_HALT, POWER_REBOOT };
enum power_suspend { SUSPEND_DISK, SUSPEND_RAM, SUSPEND_HYBRID };

/* 1: a command runs, done() follows; 0: done already (no reply is due);
 * -1: failed, *e says why. */
typedef void power_done_fn(int ok, const struct verr *, void *);
int	power_shutdown(enum power_mode, power_done_fn *, void *, struct verr *);
int	power_suspend(enum power_suspend, power_done_fn *, void *,
	    struct verr *);

#endif
