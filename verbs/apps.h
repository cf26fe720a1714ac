/*
 * apps.h: installed applications for oVirt's "applications" message
 * (ovirt.md 4.2, 10.8), read in-process from the package databases: the
 * dpkg status file and rpm's rpmdb.sqlite.  No rpm, dpkg or sqlite library.
 */
#ifndef VERBS_APPS_H
#define VERBS_APPS_H

#include "verbs.h"

#define APPS_DPKG_STATUS	"/var/lib/dpkg/status"
#define APPS_RPMDB		"/var/lib/rpm/rpmdb.sqlite"
#define APPS_RPMDB_SYSIMAGE	"/usr/lib/sysimage/rpm/rpmdb.sqlite"

/*
 * Installed packages whose name matches one of the blank or comma separated
 * globs in names: dpkg as "name-version", rpm as "name-version-release"
 * (every installed version), dpkg status order, then rpm.  A missing
 * database is no error.  Free with apps_free().
 */
int	apps_list(const char *names, char ***v, size_t *n, struct verr *);
void	apps_free(char **, size_t);
/* Does name match one of the globs in list? */
int	apps_match(const char *list, const char *name);

#endif
