/*
 * file.h: guest-file-* handles (qemu-ga.md 4.1, 5.7).  Handles count up
 * from 1000, persisted as qga.state in the state directory so they stay
 * unique across restarts.  Raw non-blocking fds: no stdio buffer, so the
 * direction switches of qemu-ga's FILE * need no special casing.
 */
#ifndef VERBS_FILE_H
#define VERBS_FILE_H

#include "verbs.h"

#define FILE_HANDLE_FIRST	1000		/* qemu-ga's first handle */
#define FILE_READ_DEFAULT	4096		/* QGA_READ_COUNT_DEFAULT */
#define FILE_READ_MAX		(48 << 20)	/* GUEST_FILE_READ_COUNT_MAX */
#define FILE_HANDLES_MAX	128		/* onega: open handles at once */

/* 1 if mode is one of qemu-ga's (r, rb, w, wb, a, ab, r+, rb+, r+b, ...). */
int	file_mode_ok(const char *mode);
int	file_open(const char *path, const char *mode, int64_t *handle,
	    struct verr *);
int	file_close(int64_t handle, struct verr *);
/* Is handle open? (for the "has not been found" check before a read) */
int	file_exists(int64_t handle);
/* Up to count bytes into buf; *eof when end of file was seen. */
int	file_read(int64_t handle, void *buf, size_t count, size_t *got,
	    int *eof, struct verr *);
/* Bytes a read of count can return: what is left of a regular file (a
 * 48 MiB request on a small file needs no 64 MiB reply buffer). */
size_t	file_read_size(int64_t handle, size_t count);
int	file_write(int64_t handle, const void *buf, size_t count,
	    size_t *done, struct verr *);
int	file_seek(int64_t handle, int64_t off, int whence, int64_t *pos,
	    struct verr *);
int	file_flush(int64_t handle, struct verr *);
/* Close every handle (tests, exit). */
void	file_close_all(void);

#endif
