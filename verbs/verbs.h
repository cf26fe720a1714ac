/*
 * verbs.h: conventions shared by every collector in verbs/.
 * A collector fills plain C structs and returns 0, or -1 with *e filled.
 * Collectors never include cJSON.h and never see a channel: every front end
 * encodes the same struct its own way.  Each area declares its collectors in
 * verbs/<area>.h.  VERBS_ROOT (tests) prefixes /proc, /sys and /etc paths.
 */
#ifndef VERBS_H
#define VERBS_H

#include "../agent.h"

/* Path under the configured root ("" in production; tests set a fakeroot). */
const char *vpath(const char *path);
void	vroot_set(const char *root);

/* Small file helpers, bounded: read at most max bytes, NUL terminated. */
ssize_t	vread_file(const char *path, char *buf, size_t max);
/* First line, trailing newline and blanks cut; -1 if unreadable. */
int	vread_line(const char *path, char *buf, size_t max);
int	vread_u64(const char *path, uint64_t *);
/* fnmatch(pat, name, 0) for ASCII names: * ? [set] */
int	vglob(const char *pat, const char *name);
/* Sorted entry names of a directory, without . and .. (-1: error). */
int	vnames(const char *dir, char ***);
void	vnames_free(char **, int);
/* sscanf for /proc and sysfs lines: %d %u %x %llu %lf %Ns %n %* */
int	vscan(const char *s, const char *fmt, ...);

#endif
