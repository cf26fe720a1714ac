/*
 * qga_util.h: checks for list arguments the dispatcher's table cannot
 * express (arrays of strings, arrays of objects), with QAPI's error texts
 * ("Invalid parameter type for 'arg[1]', expected: string").  Shared by
 * qga_exec.c, qga_fs.c and qga_set.c.
 */
#ifndef PROTO_QGA_UTIL_H
#define PROTO_QGA_UTIL_H

#include "qga.h"

/* Every element of the array argument `name` is a string: NULL-terminated
 * vector of pointers into the request (free() the vector only), *n its
 * length.  NULL and an error reply already sent otherwise; *ok says which
 * (absent argument: NULL with *ok = 1, *n = 0). */
char	**qga_strv(struct qga_req *, const char *name, size_t *n, int *ok);
/* Check one object element of an array against args, QAPI style:
 * "name[i].member".  0, or -1 with the error reply sent. */
int	qga_check_elem(struct qga_req *, const char *name, size_t i,
	    const cJSON *el, const struct qga_arg *args);

#endif
