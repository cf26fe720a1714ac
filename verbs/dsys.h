/*
 * dsys.h: sysfs helpers private to disk.c (see dsys.c): attribute reads,
 * link resolution, device nodes, disk addresses and NVMe SMART.
 */
#ifndef VERBS_DSYS_H
#define VERBS_DSYS_H

#include "disk.h"

/* snprintf, -1 if truncated. */
int	dsys_fmt(char *, size_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* Bounded copy that always terminates. */
void	dsys_copy(char *, size_t, const char *);
/* dir/name: first line, trailing blanks cut; -1 if unreadable or empty. */
int	dsys_attr(const char *dir, const char *name, char *, size_t);
/* "/dev/" + DEVNAME from syspath/uevent; -1 if none. */
int	dsys_devnode(const char *syspath, char *, size_t);
/* realpath() of a sysfs link with one readlink; -1 (errno) if gone. */
int	dsys_resolve(const char *path, char *out, size_t);
/* The address of a real block device: 0 if worth reporting. */
int	dsys_addr(const char *syspath, struct disk_addr *);
/* NVMe health log of a namespace's device node: 0, or -1. */
int	dsys_nvme_smart(const char *devnode, struct disk_smart *);

#endif
