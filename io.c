/*
 * io.c: the two-outcome read and write wrappers (skalibs' sanitize_read):
 * EINTR is retried here and "would block" becomes 0, so no other code tests
 * errno for EAGAIN.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"

ssize_t
io_read(int fd, void *p, size_t n)
{
	ssize_t r;

	do {
		r = read(fd, p, n);
	} while (r == -1 && errno == EINTR);
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		return 0;
	}
	if (r == 0) {
		errno = EPIPE;
		return -1;
	}
	return r;
}

ssize_t
io_write(int fd, const void *p, size_t n)
{
	ssize_t r;

	do {
		r = write(fd, p, n);
	} while (r == -1 && errno == EINTR);
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		return 0;
	}
	return r;
}

int
io_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1) {
		return -1;
	}
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * open(path, flags | O_CLOEXEC[, mode]) in one syscall: musl's open()
 * follows an O_CLOEXEC open with fcntl(F_SETFD) for kernels older than
 * 2.6.23; its openat() does not.
 */
int
io_open(const char *path, int flags, ...)
{
	va_list	ap;
	mode_t	mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return openat(AT_FDCWD, path, flags | O_CLOEXEC, mode);
}

int
io_cloexec(int fd)
{
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int
verr_set(struct verr *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (e != NULL) {
		e->err = err;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	errno = err;
	return -1;
}

/* A unix socket address for path; -1 (ENAMETOOLONG) if it does not fit. */
int
io_unix_addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}
