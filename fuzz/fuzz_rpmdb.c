/*
 * fuzz_rpmdb.c: the in-process rpmdb.sqlite reader (verbs/apps_rpm.c) on
 * arbitrary files: a corrupt package database must cost an error, never a
 * crash, a hang or a leak.  Seed it with a real rpmdb.sqlite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../verbs/apps.h"

int	LLVMFuzzerTestOneInput(const unsigned char *, size_t);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static char root[64], path[128];
	struct verr e;
	char **v;
	size_t n;
	FILE *f;

	if (root[0] == '\0') {
		snprintf(root, sizeof(root), "/tmp/fuzz-rpmdb-%d", (int)getpid());
		snprintf(path, sizeof(path), "%s/usr/lib/sysimage/rpm/"
		    "rpmdb.sqlite", root);
		mkdir(root, 0700);
		snprintf(path, sizeof(path), "%s/usr", root);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/usr/lib", root);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/usr/lib/sysimage", root);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/usr/lib/sysimage/rpm", root);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/usr/lib/sysimage/rpm/"
		    "rpmdb.sqlite", root);
		vroot_set(root);
	}
	if ((f = fopen(path, "wb")) == NULL) {
		return 0;
	}
	fwrite(data, 1, size, f);
	fclose(f);
	if (apps_list("*", &v, &n, &e) == 0) {
		apps_free(v, n);
	}
	return 0;
}
