/*
 * vpath.c: where collectors find /proc, /sys and /etc, and bounded file
 * reads.  VERBS_ROOT (or vroot_set) points them at a fakeroot in tests.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
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
	if ((fd = io_open(path, O_RDONLY)) == -1) {
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

/*
 * vscan: the part of sscanf(3) the collectors use, on one line of /proc or
 * sysfs text: %d %u %x %X %llu %lld %llx %lf %Ns %n, '*' to skip a field,
 * whitespace matching any run of whitespace, other characters matching
 * themselves.  Returns the fields stored, -1 if the input ended first.
 * musl's vfscanf costs 4 KB of the static binary.
 */
int
vscan(const char *s, const char *fmt, ...)
{
	const char *start = s;
	unsigned long long u;
	char *end;
	va_list ap;
	int n = 0, skip, ll, width;
	double d;

	va_start(ap, fmt);
	for (; *fmt != '\0'; fmt++) {
		if (isspace((unsigned char)*fmt)) {
			while (isspace((unsigned char)*s)) {
				s++;
			}
			continue;
		}
		if (*fmt != '%') {
			if (*s != *fmt) {
				break;
			}
			s++;
			continue;
		}
		fmt++;
		skip = *fmt == '*';
		fmt += skip;
		for (width = 0; isdigit((unsigned char)*fmt); fmt++) {
			width = width * 10 + (*fmt - '0');
		}
		ll = 0;
		while (*fmt == 'l') {
			ll++;
			fmt++;
		}
		if (*fmt == 'n') {
			if (!skip) {
				*va_arg(ap, int *) = (int)(s - start);
			}
			continue;
		}
		while (isspace((unsigned char)*s)) {
			s++;
		}
		if (*s == '\0') {
			n = n ? n : -1;
			break;
		}
		if (*fmt == 's') {
			size_t k = 0;
			char *o = skip ? NULL : va_arg(ap, char *);

			while (s[k] != '\0' && !isspace((unsigned char)s[k]) &&
			    (width == 0 || (int)k < width)) {
				if (o != NULL) {
					o[k] = s[k];
				}
				k++;
			}
			if (o != NULL) {
				o[k] = '\0';
				n++;
			}
			s += k;
			continue;
		}
		if (*fmt == 'f') {
			d = strtod(s, &end);
			if (end == s) {
				break;
			}
			if (!skip) {
				*va_arg(ap, double *) = d;
				n++;
			}
			s = end;
			continue;
		}
		if (*fmt != 'd' && *fmt != 'u' && *fmt != 'x' && *fmt != 'X') {
			break;
		}
		u = *fmt == 'd' ? (unsigned long long)strtoll(s, &end, 10) :
		    strtoull(s, &end, *fmt == 'u' ? 10 : 16);
		if (end == s) {
			break;
		}
		s = end;
		if (skip) {
			continue;
		}
		if (ll >= 2) {
			*va_arg(ap, unsigned long long *) = u;
		} else if (ll == 1) {
			*va_arg(ap, unsigned long *) = (unsigned long)u;
		} else {
			*va_arg(ap, unsigned int *) = (unsigned int)u;
		}
		n++;
	}
	va_end(ap);
	return n;
}

static int
vnames_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The entry names of dir except "." and "..", sorted as alphasort does in
 * the C locale: a malloc'ed array of malloc'ed strings (vnames_free), or
 * -1.  scandir(3) would pull musl's qsort into the binary as well.
 */
int
vnames(const char *dir, char ***out)
{
	struct dirent *de;
	char **v = NULL, **nv;
	size_t n = 0, cap = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0) {
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				break;
			}
			v = nv;
		}
		if ((v[n] = strdup(de->d_name)) == NULL) {
			break;
		}
		n++;
	}
	closedir(d);
	sort(v, n, sizeof(*v), vnames_cmp);
	*out = v;
	return (int)n;
}

void
vnames_free(char **v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i]);
	}
	free(v);
}
