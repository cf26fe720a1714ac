/*
 * apps.c: installed packages named in oVirt's applications_list, from the
 * dpkg status file (apt: "name-version") and rpm's sqlite database (rpm:
 * "name-version-release"), read in-process (ovirt.md 4.2: the Python agent
 * used apt_pkg and rpm; 10.8: no helper programs).  The rpm reader lives in
 * apps_rpm.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps.h"
#include "verbs.h"
#include "apps_rpm.h"

#define APPS_MAX	4096		/* entries kept; the line is capped too */

int
apps_match(const char *list, const char *name)
{
	char pat[256];
	const char *p = list;
	size_t len;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " ,\t");
		len = strcspn(p, " ,\t");
		if (len > 0 && len < sizeof(pat)) {
			memcpy(pat, p, len);
			pat[len] = '\0';
			if (vglob(pat, name)) {
				return 1;
			}
		}
		p += len;
	}
	return 0;
}

void
apps_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i]);
	}
	free(v);
}

int
apps_add(char ***v, size_t *n, const char *a, const char *b, const char *c)
{
	char **nv, *s;

	if (*n >= APPS_MAX) {
		return 0;
	}
	if (asprintf(&s, "%s-%s%s%s", a, b, c ? "-" : "", c ? c : "") == -1) {
		return -1;
	}
	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL) {
		free(s);
		return -1;
	}
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

/* One paragraph of the status file is complete: keep it if it matches. */
static int
dpkg_entry(const char *names, const char *pkg, const char *ver,
    const char *status, char ***v, size_t *n)
{
	const char *st;

	/* "Status: want flag status": only "installed" counts (dpkg(1)). */
	st = strrchr(status, ' ');
	if (pkg[0] == '\0' || ver[0] == '\0' || st == NULL ||
	    strcmp(st + 1, "installed") != 0 || !apps_match(names, pkg)) {
		return 0;
	}
	return apps_add(v, n, pkg, ver, NULL);
}

static void
field(char *dst, size_t size, const char *line, size_t skip)
{
	snprintf(dst, size, "%s", line + skip + strspn(line + skip, " \t"));
	dst[strcspn(dst, "\r\n")] = '\0';
}

static int
dpkg_list(const char *names, char ***v, size_t *n, struct verr *e)
{
	char pkg[256] = "", ver[256] = "", status[128] = "";
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int r = 0;

	if ((f = fopen(vpath(APPS_DPKG_STATUS), "re")) == NULL) {
		return errno == ENOENT ? 0 : verr_set(e, errno, "open %s",
		    APPS_DPKG_STATUS);
	}
	while (r == 0 && getline(&line, &cap, f) != -1) {
		if (line[0] == '\n' || line[0] == '\r') {
			r = dpkg_entry(names, pkg, ver, status, v, n);
			pkg[0] = ver[0] = status[0] = '\0';
		} else if (strncmp(line, "Package:", 8) == 0) {
			field(pkg, sizeof(pkg), line, 8);
		} else if (strncmp(line, "Version:", 8) == 0) {
			field(ver, sizeof(ver), line, 8);
		} else if (strncmp(line, "Status:", 7) == 0) {
			field(status, sizeof(status), line, 7);
		}
	}
	if (r == 0) {
		r = dpkg_entry(names, pkg, ver, status, v, n);
	}
	free(line);
	fclose(f);
	return r == -1 ? verr_set(e, ENOMEM, "out of memory") : 0;
}

int
apps_list(const char *names, char ***v, size_t *n, struct verr *e)
{
	*v = NULL;
	*n = 0;
	if (names == NULL || *names == '\0') {
		return 0;
	}
	if (dpkg_list(names, v, n, e) == -1 ||
	    apps_rpm_list(names, v, n, e) == -1) {
		apps_free(*v, *n);
		*v = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}
