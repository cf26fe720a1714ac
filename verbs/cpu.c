/*
 * cpu.c: vCPU and memory-block hotplug through sysfs, following qemu-ga's
 * transfer_vcpu() and transfer_memory_block() (qga/commands-linux.c): a
 * vCPU without an "online" file (cpu0) can only stay online; a memory
 * block is written only when its state differs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cpu.h"

int
cpu_set_online(int64_t id, int online, struct verr *e)
{
	char dir[128], c;
	int dfd, fd, r = 0;

	snprintf(dir, sizeof(dir), "/sys/devices/system/cpu/cpu%" PRId64 "/",
	    id);
	if ((dfd = open(vpath(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		return verr_set(e, errno, "open(\"%s\"): %s", dir,
		    strerror(errno));
	}
	if ((fd = openat(dfd, "online", O_RDWR | O_CLOEXEC)) == -1) {
		if (errno != ENOENT) {
			r = verr_set(e, errno, "open(\"%s/online\"): %s", dir,
			    strerror(errno));
		} else if (!online) {
			r = verr_set(e, EINVAL, "logical processor #%" PRId64
			    " can't be offlined", id);
		}	/* else: pretend a successful re-onlining */
		close(dfd);
		return r;
	}
	if (pread(fd, &c, 1, 0) != 1) {
		r = verr_set(e, errno, "pread(\"%s/online\"): %s", dir,
		    strerror(errno));
	} else if ((c != '0') != (online != 0)) {
		c = online ? '1' : '0';
		if (pwrite(fd, &c, 1, 0) == -1) {
			r = verr_set(e, errno, "pwrite(\"%s/online\"): %s",
			    dir, strerror(errno));
		}
	}
	close(fd);
	close(dfd);
	return r;
}

const char *
cpu_memblk_resp_name(enum cpu_memblk_resp r)
{
	static const char *const names[] = { "success", "not-found",
	    "operation-not-supported", "operation-failed" };

	return names[r];
}

enum cpu_memblk_resp
cpu_memblk_set(uint64_t idx, int online, int *err_code)
{
	char dir[128], st[16];
	const char *want = online ? "online" : "offline";
	ssize_t n;
	int dfd, fd;

	*err_code = 0;
	snprintf(dir, sizeof(dir), "/sys/devices/system/memory/memory%"
	    PRIu64 "/", idx);
	if ((dfd = open(vpath(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		return errno == ENOENT ? CPU_MEMBLK_NOT_FOUND :
		    CPU_MEMBLK_FAILED;
	}
	fd = openat(dfd, "state", O_RDWR | O_CLOEXEC);
	close(dfd);
	if (fd == -1) {
		/* Old kernels have no state file: blocks stay online. */
		if (errno == ENOENT) {
			return online ? CPU_MEMBLK_SUCCESS :
			    CPU_MEMBLK_NOT_SUPPORTED;
		}
		*err_code = errno;
		return CPU_MEMBLK_FAILED;
	}
	if ((n = pread(fd, st, sizeof(st) - 1, 0)) == -1) {
		*err_code = errno;
		close(fd);
		return CPU_MEMBLK_FAILED;
	}
	st[n] = '\0';
	if ((strncmp(st, "online", 6) == 0) != (online != 0) &&
	    pwrite(fd, want, strlen(want), 0) == -1) {
		*err_code = errno;
		close(fd);
		return CPU_MEMBLK_FAILED;
	}
	close(fd);
	return CPU_MEMBLK_SUCCESS;
}
