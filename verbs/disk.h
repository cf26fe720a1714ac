/*
 * disk.h: mounts, filesystems with their disk addresses, block devices and
 * I/O statistics.  Feeds qemu-ga guest-get-fsinfo / -get-disks /
 * -get-diskstats and oVirt disks-usage (mounts + serial -> device mapping).
 * /proc/self/mountinfo, statvfs and sysfs only: no libudev, no helpers.
 */
#ifndef VERBS_DISK_H
#define VERBS_DISK_H

#include "verbs.h"

/* GuestDiskBusType, in qemu-ga's schema order. */
enum disk_bus {
	DISK_BUS_IDE, DISK_BUS_FDC, DISK_BUS_SCSI, DISK_BUS_VIRTIO,
	DISK_BUS_XEN, DISK_BUS_USB, DISK_BUS_UML, DISK_BUS_SATA, DISK_BUS_SD,
	DISK_BUS_UNKNOWN, DISK_BUS_IEEE1394, DISK_BUS_SSA, DISK_BUS_FIBRE,
	DISK_BUS_RAID, DISK_BUS_ISCSI, DISK_BUS_SAS, DISK_BUS_MMC,
	DISK_BUS_VIRTUAL, DISK_BUS_FILE_BACKED_VIRTUAL, DISK_BUS_NVME
};

/* "ide", ..., "nvme" (schema spelling) */
const char *disk_bus_name(enum disk_bus);

/* GuestDiskAddress */
struct disk_addr {
	int		 pci_domain, pci_bus, pci_slot, pci_function; /* -1 */
	enum disk_bus	 bus_type;
	int		 bus, target, unit;
	char		 serial[128];	/* "" unknown (udev ID_SERIAL-like) */
	char		 dev[64];	/* "/dev/vda", "" unknown */
	int		 has_ccw;
	int		 ccw_cssid, ccw_ssid, ccw_subchno, ccw_devno;
};

/* One line of /proc/self/mountinfo (escapes such as \040 decoded).
 * dir, type and source share one allocation (owned by dir). */
struct disk_mount {
	char		*dir;		/* mount point */
	char		*type;		/* "ext4" */
	char		*source;	/* "/dev/vda1" */
	unsigned	 major, minor;	/* st_dev; btrfs: from the source */
	int		 has_stat;	/* disk_mount_stat() succeeded */
	uint64_t	 blocks, bfree, bavail, frsize, bsize;	/* statvfs */
};

/* Every mount, mountinfo order.  No statvfs (network mounts can block). */
int	disk_mounts(struct disk_mount **v, size_t *n, struct verr *);
void	disk_mounts_free(struct disk_mount *, size_t);
/* statvfs() one mount: 0, or -1 (has_stat stays 0). */
int	disk_mount_stat(struct disk_mount *);
/* Backed by a block device (qemu-ga's rule: major != 0, or btrfs)? */
int	disk_mount_is_block(const struct disk_mount *);

/* One guest-get-fsinfo entry: a block-backed mount and its disks. */
struct disk_fs {
	char		 name[64];	/* "vda1", "dm-0" */
	struct disk_mount *m;		/* points into the disk_fsinfo array */
	size_t		 ndisk;
	struct disk_addr *disk;
};

/*
 * Block-backed mounts in mount order (qemu-ga answers in reverse), each
 * statvfs'd (has_stat) and with the disks below it (device-mapper slaves
 * followed).  *mv holds those mounts only.  Free with disk_fsinfo_free().
 */
int	disk_fsinfo(struct disk_fs **v, size_t *n, struct disk_mount **mv,
	    size_t *mn, struct verr *);
void	disk_fsinfo_free(struct disk_fs *, size_t, struct disk_mount *,
	    size_t);

/* NVMe SMART / health log (GuestDiskSmart, nvme member). */
struct disk_smart {
	int		 critical_warning, temperature, available_spare;
	int		 available_spare_threshold, percentage_used;
	uint64_t	 data_units_read[2], data_units_written[2];
	uint64_t	 host_read_commands[2], host_write_commands[2];
	uint64_t	 controller_busy_time[2], power_cycles[2];
	uint64_t	 power_on_hours[2], unsafe_shutdowns[2];
	uint64_t	 media_errors[2], number_of_error_log_entries[2];
};	/* [0] = lo, [1] = hi */

/* One guest-get-disks entry: a /sys/block device or a partition. */
struct disk_dev {
	char		 name[64];	/* "/dev/vda" */
	char		 kname[32];	/* "vda" */
	int		 partition;
	size_t		 ndeps;
	char		(*deps)[64];	/* "/dev/vda" (parent or dm slaves) */
	int		 has_addr;
	struct disk_addr addr;
	char		 alias[128];	/* device-mapper name, "" none */
	int		 has_smart;
	struct disk_smart smart;
	uint64_t	 size;		/* bytes */
};

/* Every /sys/block device with a non-zero size, then its partitions.
 * addr.serial/addr.dev of whole disks give oVirt's serial -> device map. */
int	disk_list(struct disk_dev **v, size_t *n, struct verr *);
void	disk_list_free(struct disk_dev *, size_t);

/* One /proc/diskstats line. */
struct disk_stat {
	char		 name[64];
	unsigned	 major, minor;
	int		 nfields;	/* stat columns: 4, 11, 15 or 17 */
	uint64_t	 read_ios, read_merges, read_sectors, read_ticks;
	uint64_t	 write_ios, write_merges, write_sectors, write_ticks;
	uint64_t	 ios_pgr, total_ticks, weight_ticks;
	uint64_t	 discard_ios, discard_merges, discard_sectors;
	uint64_t	 discard_ticks, flush_ios, flush_ticks;
};

int	disk_stats(struct disk_stat **v, size_t *n, struct verr *);

#endif
