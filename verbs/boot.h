/*
 * boot.h: onega as the guest's init (PID 1 of a tiny initramfs).
 * See verbs/boot.c and vm-testing.md §5.
 */
#ifndef BOOT_H
#define BOOT_H

#define BOOT_POWEROFF	0
#define BOOT_REBOOT	1
#define BOOT_HALT	2

/*
 * Called from main() when getpid() == 1, before anything else: mounts
 * /proc /sys /dev /run /tmp, loads /etc/modules.order, waits briefly for
 * the virtio-serial port names, then forks.  It returns only in the child,
 * which carries on as the agent; PID 1 stays in a supervisor loop that
 * reaps orphans, restarts a crashed agent and powers the guest off.
 */
void	boot_pid1(void);

/* 1 when onega is the guest's init (in PID 1 and in its agent child). */
int	boot_is_pid1(void);

/*
 * Power the guest off, reboot or halt (BOOT_*).  As init's agent child it
 * asks PID 1 (which stops the agent, syncs and calls reboot(2)) and returns
 * 0.  Otherwise it syncs and calls reboot(2) directly: the fallback when
 * there is no /sbin/shutdown; -1 with errno if that fails.
 */
int	boot_power(int how);

#endif
