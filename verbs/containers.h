/*
 * containers.h: the Docker engine's container list for oVirt's
 * "containers" message (ovirt.md 4.2, 4.6): GET /containers/json?all=true
 * on the Docker socket, without blocking the loop (the socket is a watch,
 * with a deadline).  The caller gets the HTTP body; parsing is its own.
 */
#ifndef VERBS_CONTAINERS_H
#define VERBS_CONTAINERS_H

#include "verbs.h"

#define CONTAINERS_SOCK		"/var/run/docker.sock"
#define CONTAINERS_SOCK_HOST	"/host/var/run/docker.sock"
#define CONTAINERS_MS		5000		/* the whole query */
#define CONTAINERS_MAX		(1 << 20)	/* response bytes kept */

/* Body of a 200 reply (NUL terminated), or NULL with len 0 on any failure
 * or when no Docker socket exists. */
typedef void	containers_fn(const char *body, size_t len, void *);

/* Start a query; 0 if one started or is running, -1 if no socket. */
int	containers_query(containers_fn *, void *);

#endif
