/*
 * qga_fs.c: guest-fsfreeze-status/-freeze/-freeze-list/-thaw and
 * guest-fstrim (qemu-ga.md 3.5, 4.3).  The hook runs as a child while the
 * loop serves other channels: the request is deferred and answered from the
 * hook's done callback.  status and thaw are freeze-safe (4.3's list).
 */
#include <stdlib.h>
#include <string.h>

#include "qga.h"
#include "qga_util.h"
#include "../verbs/freeze.h"

struct fsjob {
	struct qga_req	*r;
	int64_t		 count;
};

static void
status_cmd(struct qga_req *r)
{
	qga_return(r, cJSON_CreateString(freeze_is_frozen() ? "frozen" :
	    "thawed"));
}

/* Hook done (or no hook): now freeze. */
static void
freeze_hooked(int ok, const struct verr *he, void *arg)
{
	struct qga_req *r = arg;
	struct verr e;
	char **only;
	size_t n;
	int64_t count;
	int okv, rc;

	if (!ok) {
		qga_fail_verr(r, he);
		return;
	}
	only = qga_strv(r, "mountpoints", &n, &okv);	/* checked before */
	rc = freeze_mounts(only, n, qga_has(r, "mountpoints"), &count, &e);
	free(only);
	if (rc == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	qga_return(r, json_int(count));
}

static void
freeze_cmd(struct qga_req *r)
{
	struct verr e;
	char **only;
	size_t n;
	int ok;

	if ((only = qga_strv(r, "mountpoints", &n, &ok)) == NULL && !ok) {
		return;
	}
	free(only);
	switch (freeze_hook("freeze", freeze_hooked, r, &e)) {
	case -1:
		qga_fail_verr(r, &e);
		break;
	case 0:
		freeze_hooked(1, NULL, r);
		break;
	default:
		qga_defer(r);
		break;
	}
}

static void
thaw_hooked(int ok, const struct verr *he, void *arg)
{
	struct fsjob *j = arg;

	if (ok) {
		qga_return(j->r, json_int(j->count));
	} else {
		qga_fail_verr(j->r, he);
	}
	free(j);
}

static void
thaw_cmd(struct qga_req *r)
{
	struct fsjob *j;
	struct verr e;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		qga_fail(r, "out of memory");
		return;
	}
	j->r = r;
	if (freeze_thaw(&j->count, &e) == -1) {
		free(j);
		qga_fail_verr(r, &e);
		return;
	}
	switch (freeze_hook("thaw", thaw_hooked, j, &e)) {
	case -1:
		free(j);
		qga_fail_verr(r, &e);
		break;
	case 0:
		thaw_hooked(1, NULL, j);
		break;
	default:
		qga_defer(r);
		break;
	}
}

static void
fstrim_cmd(struct qga_req *r)
{
	struct freeze_trim *t;
	cJSON *ret, *paths, *o;
	struct verr e;
	size_t n, i;

	if (freeze_trim(qga_int(r, "minimum", 0), &t, &n, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	ret = cJSON_CreateObject();
	paths = cJSON_AddArrayToObject(ret, "paths");
	for (i = 0; i < n; i++) {
		o = cJSON_CreateObject();
		json_add_str(o, "path", t[i].path ? t[i].path : "");
		if (t[i].ok) {
			json_add_uint(o, "trimmed", t[i].trimmed);
			json_add_uint(o, "minimum", t[i].minimum);
		} else {
			json_add_str(o, "error", t[i].error);
		}
		cJSON_AddItemToArray(paths, o);
	}
	freeze_trim_free(t, n);
	qga_return(r, ret);
}

static const struct qga_arg list_args[] = {
	{ "mountpoints", QA_ARRAY, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct qga_arg trim_args[] = {
	{ "minimum", QA_INT, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

const struct qga_cmd qga_fs_cmds[] = {
	{ "guest-fsfreeze-status", status_cmd, NULL, QGA_FREEZE_SAFE },
	{ "guest-fsfreeze-freeze", freeze_cmd, NULL, 0 },
	{ "guest-fsfreeze-freeze-list", freeze_cmd, list_args, 0 },
	{ "guest-fsfreeze-thaw", thaw_cmd, NULL, QGA_FREEZE_SAFE },
	{ "guest-fstrim", fstrim_cmd, trim_args, 0 },
	{ NULL, NULL, NULL, 0 }
};
