/*
 * vpath.c: where collectors find /proc, /sys and /etc, and bounded file
 * reads.  VERBS_ROOT (or vroot_set) points them at a fakeroot in tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "verbs.h"

static char	root[256];
static int	root_init;

void
vroot_set(const char *r)
{
	snprintf(root, sizeof(root), "%s", r ? r : "");
	root_init = 1;
}

const char *
vpath(const char *path)
{
	static char out[4][4096];
	static int k;
	const char *env;

	if (!root_init) {
		env = getenv("VERBS_ROOT");
		vroot_set(env);
	}
	if (root[0] == '\0') {
		return path;
	}
	k = (k + 1) % 4;
	snprintf(out[k], sizeof(out[k]), "%s%s", root, path);
	return out[k];
}

ssize_t
vread_file(const char *path, char *buf, size_t max)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	if (max == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		return -1;
	}
	while (got < max - 1) {
		n = read(fd, buf + got, max - 1 - got);
		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

int
vread_line(const char *path, char *buf, size_t max)
{
	ssize_t n = vread_file(path, buf, max);

	if (n == -1) {
		return -1;
	}
	buf[strcspn(buf, "\n")] = '\0';
	while (n > 0 && (buf[strlen(buf) - 1] == ' ' ||
	    buf[strlen(buf) - 1] == '\t')) {
		buf[strlen(buf) - 1] = '\0';
		n--;
	}
	return 0;
}

int
vread_u64(const char *path, uint64_t *v)
{
	char b[64], *end;

	if (vread_line(path, b, sizeof(b)) == -1) {
		return -1;
	}
	errno = 0;
	*v = strtoull(b, &end, 0);
	if (errno != 0 || end == b) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}
