/*
 * xfer.c: client-to-guest file transfer, after spice-vdagent's file-xfers.c
 * but hardened (spice.md 7.5): vdagentd creates "subdir/x" from a client
 * name; onega refuses any name that is not one plain path component and
 * never follows a symlink planted in the target directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "xfer.h"

#define XFER_DUP_MAX	63	/* "more than 63 copies of %s exist?" */
#define XFER_GROUP	"vdagent-file-xfer"

static struct xfer	xfers[XFER_MAX];
static int		xfers_init;

static void
init(void)
{
	int i;

	if (xfers_init) {
		return;
	}
	for (i = 0; i < XFER_MAX; i++) {
		xfers[i].fd = -1;
		xfers[i].dirfd = -1;
	}
	xfers_init = 1;
}

/* Well-formed UTF-8, no overlongs or surrogates (spice.md 7.5). */
static int
utf8_ok(const unsigned char *p)
{
	uint32_t c;
	int n, i;

	while (*p) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			n = 1, c = *p & 0x1f;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			n = 2, c = *p & 0x0f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			n = 3, c = *p & 0x07;
		} else {
			return -1;
		}
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80) {
				return -1;
			}
			c = c << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
		    (n == 3 && (c < 0x10000 || c > 0x10ffff))) {
			return -1;
		}
		p += n + 1;
	}
	return 0;
}

int
xfer_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > NAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0 || strstr(s, "..") != NULL) {
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '/' || c < 0x20 || c == 0x7f) {
			return -1;
		}
	}
	return utf8_ok((const unsigned char *)s);
}

/* GKeyFile value unescaping: \s \n \t \r \\ (spice.md 7.1). */
static int
unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s != '\\') {
			*w++ = *s;
			continue;
		}
		switch (*++s) {
		case 's': *w++ = ' '; break;
		case 'n': *w++ = '\n'; break;
		case 't': *w++ = '\t'; break;
		case 'r': *w++ = '\r'; break;
		case '\\': *w++ = '\\'; break;
		default: return -1;
		}
	}
	*w = '\0';
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t') {
		s++;
	}
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) {
		*--e = '\0';
	}
	return s;
}

int
xfer_parse_keyfile(const char *p, size_t n, char *name, size_t nsz,
    uint64_t *size, struct verr *e)
{
	char *text, *line, *next, *eq, *k, *v, *end;
	int ingroup = 0, have_name = 0, have_size = 0;

	if (n == 0 || memchr(p, '\0', n) == NULL) {
		return verr_set(e, EINVAL, "key file not NUL-terminated");
	}
	if ((text = strdup(p)) == NULL) {
		return verr_set(e, errno, "key file");
	}
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL) {
			*next++ = '\0';
		}
		line = trim(line);
		if (*line == '\0' || *line == '#') {
			continue;
		}
		if (*line == '[') {
			ingroup = strcmp(line, "[" XFER_GROUP "]") == 0;
			continue;
		}
		if (!ingroup || (eq = strchr(line, '=')) == NULL) {
			continue;
		}
		*eq = '\0';
		k = trim(line);
		v = trim(eq + 1);
		if (strcmp(k, "name") == 0) {
			if (unescape(v) == -1 || strlen(v) >= nsz) {
				free(text);
				return verr_set(e, EINVAL, "bad name");
			}
			snprintf(name, nsz, "%s", v);
			have_name = 1;
		} else if (strcmp(k, "size") == 0) {
			errno = 0;
			if (*v < '0' || *v > '9' ||
			    (*size = strtoull(v, &end, 10), errno) ||
			    *end != '\0') {
				free(text);
				return verr_set(e, EINVAL, "bad size");
			}
			have_size = 1;
		}
	}
	free(text);
	if (!have_name || !have_size) {
		return verr_set(e, EINVAL, "key file lacks name or size");
	}
	return 0;
}

struct xfer *
xfer_find(uint32_t id)
{
	int i;

	init();
	for (i = 0; i < XFER_MAX; i++) {
		if (xfers[i].fd != -1 && xfers[i].id == id) {
			return &xfers[i];
		}
	}
	return NULL;
}

int
xfer_count(void)
{
	int i, n = 0;

	init();
	for (i = 0; i < XFER_MAX; i++) {
		n += xfers[i].fd != -1;
	}
	return n;
}

/* "base (n).ext", the extension from the last dot (file-xfers.c). */
static void
dup_name(char *out, size_t osz, const char *name, int n)
{
	const char *dot = strrchr(name, '.');
	int blen = dot ? (int)(dot - name) : (int)strlen(name);

	snprintf(out, osz, "%.*s (%d)%s", blen, name, n, dot ? dot : "");
}

static int
create(struct xfer *x, int dirfd, const char *name, struct verr *e)
{
	char try[512];
	int n, fd;

	for (n = 0; n <= XFER_DUP_MAX; n++) {
		if (n == 0) {
			snprintf(try, sizeof(try), "%s", name);
		} else {
			dup_name(try, sizeof(try), name, n);
		}
		if (strlen(try) > NAME_MAX) {
			break;
		}
		fd = openat(dirfd, try, O_CREAT | O_EXCL | O_WRONLY |
		    O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd != -1) {
			x->fd = fd;
			memcpy(x->name, try, strlen(try) + 1);  /* <= NAME_MAX */
			return 0;
		}
		if (errno != EEXIST) {
			return verr_set(e, errno, "create %s", try);
		}
	}
	return verr_set(e, EEXIST, "too many copies of %s", name);
}

struct xfer *
xfer_start(uint32_t id, const char *dir, const char *name, uint64_t size,
    uint64_t *avail, struct verr *e)
{
	struct statvfs sv;
	struct xfer *x = NULL;
	int i, dirfd;

	init();
	if (xfer_name_ok(name) == -1) {
		verr_set(e, EINVAL, "invalid file name");
		return NULL;
	}
	if (xfer_find(id) != NULL) {
		verr_set(e, EEXIST, "transfer id %u in use", id);
		return NULL;
	}
	for (i = 0; i < XFER_MAX && x == NULL; i++) {
		if (xfers[i].fd == -1) {
			x = &xfers[i];
		}
	}
	if (x == NULL) {
		verr_set(e, EMFILE, "too many transfers");
		return NULL;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd == -1) {
		verr_set(e, errno, "open %s", dir);
		return NULL;
	}
	if (fstatvfs(dirfd, &sv) == 0 &&
	    (uint64_t)sv.f_bavail * sv.f_bsize < size) {
		*avail = (uint64_t)sv.f_bavail * sv.f_bsize;
		close(dirfd);
		verr_set(e, ENOSPC, "%llu bytes free in %s",
		    (unsigned long long)*avail, dir);
		return NULL;
	}
	if (create(x, dirfd, name, e) == -1) {
		close(dirfd);
		return NULL;
	}
	x->id = id;
	x->dirfd = dirfd;
	x->size = size;
	x->done = 0;
	return x;
}

int
xfer_write(struct xfer *x, const void *p, size_t n, struct verr *e)
{
	const char *c = p;
	ssize_t w;

	if (n > x->size - x->done) {
		return verr_set(e, EFBIG, "more data than announced");
	}
	while (n > 0) {
		w = write(x->fd, c, n);
		if (w == -1 && errno == EINTR) {
			continue;
		}
		if (w == -1) {
			return verr_set(e, errno, "write %s", x->name);
		}
		c += w;
		n -= (size_t)w;
		x->done += (uint64_t)w;
	}
	return x->done == x->size;
}

void
xfer_end(struct xfer *x, int ok)
{
	if (x->fd == -1) {
		return;
	}
	close(x->fd);
	if (!ok) {
		(void)unlinkat(x->dirfd, x->name, 0);
	}
	close(x->dirfd);
	x->fd = x->dirfd = -1;
}

void
xfer_cancel_all(void)
{
	int i;

	init();
	for (i = 0; i < XFER_MAX; i++) {
		xfer_end(&xfers[i], 0);
	}
}
