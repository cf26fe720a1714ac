/*
 * file.c: guest-file-* handles with qemu-ga's semantics (qemu-ga.md 4.1):
 * its mode table, exclusive creation with mode 0666 regardless of umask,
 * non-blocking fds (a FIFO cannot hang the loop), and the handle counter
 * in <statedir>/qga.state ([global] fd_counter=N), rewritten on every open.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

#define FILE_NEW_MODE	0666		/* DEFAULT_NEW_FILE_MODE, qemu-ga */
#define FILE_STATE	"qga.state"	/* QGA_STATE_RELATIVE_PATH */

struct handle {
	int64_t		 id;		/* 0: slot free */
	int		 fd;
};

static struct handle	 handles[FILE_HANDLES_MAX];
static int64_t		 counter;	/* next handle; 0: not loaded yet */

/* find_open_flag() in qga/commands-posix.c */
static const struct {
	const char	*names[3];
	int		 flags;
} modes[] = {
	{ { "r", "rb", NULL }, O_RDONLY },
	{ { "w", "wb", NULL }, O_WRONLY | O_CREAT | O_TRUNC },
	{ { "a", "ab", NULL }, O_WRONLY | O_CREAT | O_APPEND },
	{ { "r+", "rb+", "r+b" }, O_RDWR },
	{ { "w+", "wb+", "w+b" }, O_RDWR | O_CREAT | O_TRUNC },
	{ { "a+", "ab+", "a+b" }, O_RDWR | O_CREAT | O_APPEND },
};

static int
mode_flags(const char *mode)
{
	size_t i, k;

	for (i = 0; i < nitems(modes); i++) {
		for (k = 0; k < 3 && modes[i].names[k]; k++) {
			if (strcmp(modes[i].names[k], mode) == 0) {
				return modes[i].flags;
			}
		}
	}
	return -1;
}

int
file_mode_ok(const char *mode)
{
	return mode_flags(mode) != -1;
}

static const char *
state_path(char *p, size_t n, const char *suffix)
{
	snprintf(p, n, "%s/%s%s", opt.statedir ? opt.statedir : "/var/run",
	    FILE_STATE, suffix);
	return p;
}

static void
counter_load(void)
{
	char path[4096], text[256], *s;
	long long v;

	counter = FILE_HANDLE_FIRST;
	if (vread_file(state_path(path, sizeof(path), ""), text,
	    sizeof(text)) == -1) {
		return;
	}
	if ((s = strstr(text, "fd_counter=")) != NULL) {
		v = strtoll(s + 11, NULL, 10);
		if (v >= FILE_HANDLE_FIRST && v < INT64_MAX) {
			counter = v;
		}
	}
}

/* The key file qemu-ga writes, replaced atomically. */
static int
counter_store(int64_t next)
{
	char path[4096], tmp[4096], text[64];
	int fd, n, ok;

	state_path(path, sizeof(path), "");
	state_path(tmp, sizeof(tmp), ".tmp");
	n = snprintf(text, sizeof(text), "[global]\nfd_counter=%" PRId64 "\n",
	    next);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		return -1;
	}
	ok = write(fd, text, n) == n;
	if (close(fd) == -1 || !ok || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static struct handle *
find(int64_t id, struct verr *e)
{
	size_t i;

	for (i = 0; i < nitems(handles); i++) {
		if (handles[i].id == id && id != 0) {
			return &handles[i];
		}
	}
	if (e != NULL) {
		verr_set(e, ENOENT, "handle '%" PRId64 "' has not been found",
		    id);
	}
	return NULL;
}

int
file_exists(int64_t id)
{
	return find(id, NULL) != NULL;
}

static struct handle *
free_slot(void)
{
	size_t i;

	for (i = 0; i < nitems(handles); i++) {
		if (handles[i].id == 0) {
			return &handles[i];
		}
	}
	return NULL;
}

int
file_open(const char *path, const char *mode, int64_t *id, struct verr *e)
{
	int flags = mode_flags(mode), fd, created = 0;
	struct handle *h;

	if (flags == -1) {
		return verr_set(e, EINVAL, "invalid file open mode '%s'", mode);
	}
	if ((h = free_slot()) == NULL) {
		return verr_set(e, EMFILE, "too many open guest files (at most "
		    "%d handles): close some first", FILE_HANDLES_MAX);
	}
	if (counter == 0) {
		counter_load();
	}
	flags |= O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
	/* Exclusive creation first, so the mode bits ignore the umask. */
	fd = open(path, flags | ((flags & O_CREAT) ? O_EXCL : 0), 0);
	if (fd == -1 && errno == EEXIST) {
		flags &= ~O_CREAT;
		fd = open(path, flags, 0);
	}
	if (fd == -1) {
		return verr_set(e, errno, "failed to open file '%s' (mode: "
		    "'%s'): %s", path, mode, strerror(errno));
	}
	created = (flags & O_CREAT) != 0;
	if (created && fchmod(fd, FILE_NEW_MODE) == -1) {
		verr_set(e, errno, "failed to set permission 0%03o on new file "
		    "'%s' (mode: '%s'): %s", FILE_NEW_MODE, path, mode,
		    strerror(errno));
		goto fail;
	}
	if (counter_store(counter + 1) == -1) {
		verr_set(e, errno, "failed to commit persistent state to disk");
		goto fail;
	}
	h->id = counter++;
	h->fd = fd;
	*id = h->id;
	return 0;
fail:
	close(fd);
	if (created) {
		unlink(path);
	}
	return -1;
}

int
file_close(int64_t id, struct verr *e)
{
	struct handle *h = find(id, e);
	int fd;

	if (h == NULL) {
		return -1;
	}
	fd = h->fd;
	h->id = 0;
	h->fd = -1;
	if (close(fd) == -1 && errno != EINTR) {
		return verr_set(e, errno, "failed to close handle: %s",
		    strerror(errno));
	}
	return 0;
}

void
file_close_all(void)
{
	size_t i;

	for (i = 0; i < nitems(handles); i++) {
		if (handles[i].id != 0) {
			close(handles[i].fd);
			handles[i].id = 0;
		}
	}
}

int
file_read(int64_t id, void *buf, size_t count, size_t *got, int *eof,
    struct verr *e)
{
	struct handle *h = find(id, e);
	char *p = buf;
	ssize_t n;

	*got = 0;
	*eof = 0;
	if (h == NULL) {
		return -1;
	}
	while (*got < count) {
		n = read(h->fd, p + *got, count - *got);
		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n == 0) {
			*eof = 1;
			break;
		}
		if (n == -1) {
			/* A FIFO with nothing more for now: give what we have. */
			if (errno == EAGAIN && *got > 0) {
				break;
			}
			return verr_set(e, errno, "failed to read file: %s",
			    strerror(errno));
		}
		*got += n;
	}
	return 0;
}

size_t
file_read_size(int64_t id, size_t count)
{
	struct handle *h = find(id, NULL);
	struct stat st;
	off_t pos;

	/* /proc files say size 0 whatever they hold: no hint there. */
	if (h == NULL || fstat(h->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size == 0 || (pos = lseek(h->fd, 0, SEEK_CUR)) == -1) {
		return count;
	}
	if (st.st_size <= pos) {
		return 0;
	}
	return (uint64_t)(st.st_size - pos) < count ?
	    (size_t)(st.st_size - pos) : count;
}

int
file_write(int64_t id, const void *buf, size_t count, size_t *done,
    struct verr *e)
{
	struct handle *h = find(id, e);
	const char *p = buf;
	ssize_t n;

	*done = 0;
	if (h == NULL) {
		return -1;
	}
	while (*done < count) {
		n = write(h->fd, p + *done, count - *done);
		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n == -1) {
			if (errno == EAGAIN && *done > 0) {
				break;
			}
			return verr_set(e, errno, "failed to write to file: %s",
			    strerror(errno));
		}
		*done += n;
	}
	return 0;
}

int
file_seek(int64_t id, int64_t off, int whence, int64_t *pos, struct verr *e)
{
	struct handle *h = find(id, e);
	off_t r;

	if (h == NULL) {
		return -1;
	}
	if ((r = lseek(h->fd, off, whence)) == -1) {
		return verr_set(e, errno, "failed to seek file: %s",
		    strerror(errno));
	}
	*pos = r;
	return 0;
}

/* Nothing is buffered in onega: qemu-ga's fflush() has no work here. */
int
file_flush(int64_t id, struct verr *e)
{
	return find(id, e) == NULL ? -1 : 0;
}
