/*
 * slurp.h: read a whole /proc or /sys file with few syscalls and no heap
 * when it fits the caller's buffer (stdio's fopen() costs an fcntl and a
 * heap buffer per file).  Used by the info collectors.
 */
#ifndef VERBS_SLURP_H
#define VERBS_SLURP_H

#include "verbs.h"

#define SLURP_MAX	(64u << 20)	/* a 64 MiB mountinfo is broken */

/*
 * The file's bytes, NUL terminated, in buf if it fits (bufsz bytes), else
 * in a malloc'd copy.  NULL on error (errno set).  Free the result with
 * slurp_free(result, buf).
 */
char	*slurp(const char *path, char *buf, size_t bufsz, size_t *len);
void	 slurp_free(char *, const char *buf);
/* Next line of a slurped text (cut in place); NULL at the end. */
char	*slurp_line(char **cursor);

#endif
