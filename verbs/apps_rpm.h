/*
 * apps_rpm.h: internal to apps.c: the rpm database reader and the shared
 * "name-version[-release]" list builder.
 */
#ifndef VERBS_APPS_RPM_H
#define VERBS_APPS_RPM_H

#include "verbs.h"

int	apps_rpm_list(const char *names, char ***v, size_t *n, struct verr *);
int	apps_add(char ***v, size_t *n, const char *, const char *,
	    const char *);

#endif
