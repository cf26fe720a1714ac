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

/*
 * [set] at pat (just past '['): 1 or 0 for c, with *end set past the ']';
 * -1 when there is no closing ']' (then '[' is an ordinary character).
 * A ']' first in the set is a member, as fnmatch has it.
 */
static int
vglob_set(const char *p, int c, const char **end)
{
	int neg = 0, ok = 0, first = 1;

	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	for (; *p != '\0'; first = 0) {
		if (*p == ']' && !first) {
			*end = p + 1;
			return ok != neg;
		}
		if (p[1] == '-' && p[2] != ']' && p[2] != '\0') {
			ok |= c >= (unsigned char)p[0] && c <= (unsigned char)p[2];
			p += 3;
		} else {
			ok |= c == (unsigned char)*p++;
		}
	}
	return -1;
}

/*
 * Shell-style match of name against pat: * ? and [set] with ranges and !
 * negation, as fnmatch(pat, name, 0) for the ASCII names we match
 * (interfaces, packages).  musl's fnmatch pulls in its wide-character
 * tables, about 10 KB of the binary.
 */
int
vglob(const char *pat, const char *name)
{
	const char *star = NULL, *retry = NULL, *end;
	int r;

	while (*name != '\0') {
		if (*pat == '*') {
			star = ++pat;
			retry = name;
			continue;
		}
		r = *pat == '[' ? vglob_set(pat + 1, (unsigned char)*name,
		    &end) : -1;
		if (r == 1) {
			pat = end;
			name++;
			continue;
		}
		if (r == -1 && (*pat == '?' || (*pat != '\0' &&
		    *pat == *name))) {
			pat++;
			name++;
			continue;
		}
		if (star == NULL) {
			return 0;
		}
		pat = star;
		name = ++retry;
	}
	while (*pat == '*') {
		pat++;
	}
	return *pat == '\0';
}
