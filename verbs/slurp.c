/*
 * slurp.c: whole-file reads for the info collectors (see slurp.h).  Read
 * until 0: a seq_file (/proc/self/mountinfo) returns at most a page per
 * read, so a short read is not the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slurp.h"

static ssize_t
read_some(int fd, char *p, size_t n)
{
	ssize_t	r;

	do {
		r = read(fd, p, n);
	} while (r == -1 && errno == EINTR);
	return r;
}

char *
slurp(const char *path, char *buf, size_t bufsz, size_t *lenp)
{
	char	*p = buf, *np;
	size_t	 cap = bufsz, len = 0;
	ssize_t	 r;
	int	 fd, saved;

	if ((fd = io_open(path, O_RDONLY)) == -1) {
		return NULL;
	}
	for (;;) {
		if (cap - len < 2) {		/* room for a byte and NUL */
			if (cap >= SLURP_MAX) {
				errno = EFBIG;
				goto fail;
			}
			np = realloc(p == buf ? NULL : p, cap * 2);
			if (np == NULL) {
				goto fail;
			}
			if (p == buf) {
				memcpy(np, buf, len);
			}
			p = np;
			cap *= 2;
		}
		if ((r = read_some(fd, p + len, cap - len - 1)) == -1) {
			goto fail;
		}
		if (r == 0) {
			break;
		}
		len += (size_t)r;
	}
	close(fd);
	p[len] = '\0';
	if (lenp != NULL) {
		*lenp = len;
	}
	return p;
fail:
	saved = errno;
	close(fd);
	if (p != buf) {
		free(p);
	}
	errno = saved;
	return NULL;
}

void
slurp_free(char *p, const char *buf)
{
	if (p != buf) {
		free(p);
	}
}

char *
slurp_line(char **cur)
{
	char	*s = *cur, *nl;

	if (s == NULL || *s == '\0') {
		return NULL;
	}
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		*cur = nl + 1;
	} else {
		*cur = s + strlen(s);
	}
	return s;
}
