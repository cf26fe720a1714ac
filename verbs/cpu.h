/*
 * cpu.h: guest-set-vcpus and guest-set-memory-blocks (qemu-ga.md 3.8):
 * the "online" / "state" files of /sys/devices/system/{cpu,memory}.  The
 * read side (guest-get-vcpus, -memory-blocks) is sys_vcpus() and
 * sys_memblocks() in verbs/sys.h.
 */
#ifndef VERBS_CPU_H
#define VERBS_CPU_H

#include "verbs.h"

/* One vCPU on or off; qemu-ga's transfer_vcpu() texts on failure. */
int	cpu_set_online(int64_t id, int online, struct verr *);

/* GuestMemoryBlockResponseType */
enum cpu_memblk_resp {
	CPU_MEMBLK_SUCCESS, CPU_MEMBLK_NOT_FOUND, CPU_MEMBLK_NOT_SUPPORTED,
	CPU_MEMBLK_FAILED
};

const char *cpu_memblk_resp_name(enum cpu_memblk_resp);
/* One memory block on or off; *err_code is an errno for FAILED, or 0. */
enum cpu_memblk_resp cpu_memblk_set(uint64_t index, int online,
	    int *err_code);

#endif
