/*
 * xfer.h: files copied from the SPICE client into the guest (spice.md 7).
 * Names are never trusted: no '/', no "." or "..", no control bytes, not
 * empty, at most NAME_MAX; the file is created with O_EXCL|O_NOFOLLOW in the
 * target directory, de-duplicated as "name (n).ext", removed on failure.
 */
#ifndef VERBS_XFER_H
#define VERBS_XFER_H

#include <stdint.h>
#include "verbs.h"

#define XFER_MAX	128		/* MAX_ACTIVE_TRANSFERS, vdagentd.c */

struct xfer {
	uint32_t	 id;
	int		 fd;		/* -1: slot free */
	int		 dirfd;
	uint64_t	 size, done;
	char		 name[256];	/* as created (after de-duplication) */
};

/* Key file of FILE_XFER_START: name and size; -1 with *e if malformed. */
int	xfer_parse_keyfile(const char *, size_t, char *name, size_t,
	    uint64_t *size, struct verr *);
/* 0 if acceptable as a file name (EINVAL otherwise). */
int	xfer_name_ok(const char *);
/* Open a transfer in dir.  Errors: EINVAL bad name, ENOSPC (*free set),
 * EEXIST (id in use), EMFILE (too many), others from the system. */
struct xfer *xfer_start(uint32_t id, const char *dir, const char *name,
	    uint64_t size, uint64_t *avail, struct verr *);
struct xfer *xfer_find(uint32_t id);
/* Write data: 1 when complete, 0 more to come, -1 error (*e). */
int	xfer_write(struct xfer *, const void *, size_t, struct verr *);
/* Close it: keep the file (ok) or unlink it. */
void	xfer_end(struct xfer *, int ok);
void	xfer_cancel_all(void);
int	xfer_count(void);

#endif
