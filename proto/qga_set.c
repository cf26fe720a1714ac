/*
 * qga_set.c: commands that change the guest's settings: time, vCPUs,
 * memory blocks, passwords, ssh keys (qemu-ga.md 3.3, 3.8, 3.12, 3.13,
 * 4.5, 4.6).  List arguments are checked element by element before any
 * change, as QAPI's input visitor does.
 */
#include <stdlib.h>
#include <string.h>

#include "qga.h"
#include "qga_util.h"
#include "b64.h"
#include "../verbs/account.h"
#include "../verbs/clock.h"
#include "../verbs/cpu.h"

static void
set_time_cmd(struct qga_req *r)
{
	struct verr e;
	int rc;

	if (qga_has(r, "time")) {
		rc = clock_set(qga_int(r, "time", 0), &e);
	} else {
		rc = clock_from_rtc(&e);
	}
	if (rc == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	qga_return(r, NULL);
}

static const struct qga_arg vcpu_elem[] = {
	{ "logical-id", QA_INT, 1, NULL, NULL },
	{ "online", QA_BOOL, 1, NULL, NULL },
	{ "can-offline", QA_BOOL, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

/* The length of the processed prefix; an error only for the first. */
static void
set_vcpus_cmd(struct qga_req *r)
{
	const cJSON *list = qga_arg(r, "vcpus"), *v;
	struct verr e;
	int64_t done = 0, id;
	size_t i = 0;

	for (v = list->child; v != NULL; v = v->next, i++) {
		if (qga_check_elem(r, "vcpus", i, v, vcpu_elem) == -1) {
			return;
		}
	}
	for (v = list->child; v != NULL; v = v->next, done++) {
		json_get_int(cJSON_GetObjectItemCaseSensitive(v, "logical-id"),
		    &id);
		if (cpu_set_online(id, cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(v, "online")), &e) == -1) {
			if (done == 0) {
				qga_fail_verr(r, &e);
				return;
			}
			break;
		}
	}
	qga_return(r, json_int(done));
}

static const struct qga_arg memblk_elem[] = {
	{ "phys-index", QA_UINT, 1, NULL, NULL },
	{ "online", QA_BOOL, 1, NULL, NULL },
	{ "can-offline", QA_BOOL, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static void
set_memblocks_cmd(struct qga_req *r)
{
	const cJSON *list = qga_arg(r, "mem-blks"), *v;
	enum cpu_memblk_resp resp;
	cJSON *ret, *o;
	uint64_t idx;
	size_t i = 0;
	int code;

	for (v = list->child; v != NULL; v = v->next, i++) {
		if (qga_check_elem(r, "mem-blks", i, v, memblk_elem) == -1) {
			return;
		}
	}
	ret = cJSON_CreateArray();
	for (v = list->child; v != NULL; v = v->next) {
		json_get_uint(cJSON_GetObjectItemCaseSensitive(v, "phys-index"),
		    &idx);
		resp = cpu_memblk_set(idx, cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(v, "online")), &code);
		o = cJSON_CreateObject();
		json_add_uint(o, "phys-index", idx);
		json_add_str(o, "response", cpu_memblk_resp_name(resp));
		if (resp == CPU_MEMBLK_FAILED && code != 0) {
			json_add_int(o, "error-code", code);
		}
		cJSON_AddItemToArray(ret, o);
	}
	qga_return(r, ret);
}

static void
password_done(int ok, void *arg)
{
	struct qga_req *r = arg;

	if (ok) {
		qga_return(r, NULL);
	} else {
		qga_fail(r, "child process has failed to set user password");
	}
}

static void
set_password_cmd(struct qga_req *r)
{
	const char *b64 = qga_str(r, "password", "");
	unsigned char *pw;
	struct verr e;
	size_t n;
	int bad, rc;

	if ((pw = b64_decode(b64, strlen(b64), &n, &bad)) == NULL) {
		qga_fail(r, "%s", bad ? B64_BAD_CHARS : "out of memory");
		return;
	}
	pw[n] = '\0';	/* room: b64_decode allocates 3 bytes of slack */
	rc = account_set_password(qga_str(r, "username", ""), (char *)pw,
	    qga_bool(r, "crypted", 0), password_done, r, &e);
	memset(pw, 0, n);
	free(pw);
	if (rc == -1) {
		qga_fail_verr(r, &e);
	} else if (rc == 1) {
		qga_defer(r);
	} else {
		qga_return(r, NULL);
	}
}

static void
ssh_get_cmd(struct qga_req *r)
{
	struct verr e;
	cJSON *ret, *list;
	char **keys;
	size_t n, i;

	if (account_keys_get(qga_str(r, "username", ""), &keys, &n, &e) ==
	    -1) {
		qga_fail_verr(r, &e);
		return;
	}
	ret = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(ret, "keys");
	for (i = 0; i < n; i++) {
		cJSON_AddItemToArray(list, cJSON_CreateString(keys[i]));
		free(keys[i]);
	}
	free(keys);
	qga_return(r, ret);
}

static void
ssh_change(struct qga_req *r, int add)
{
	const char *user = qga_str(r, "username", "");
	struct verr e;
	char **keys;
	size_t n;
	int ok, rc;

	if ((keys = qga_strv(r, "keys", &n, &ok)) == NULL && !ok) {
		return;
	}
	if (add) {
		rc = account_keys_add(user, keys, n, qga_bool(r, "reset", 0),
		    &e);
	} else {
		rc = account_keys_remove(user, keys, n, &e);
	}
	free(keys);
	if (rc == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	qga_return(r, NULL);
}

static void
ssh_add_cmd(struct qga_req *r)
{
	ssh_change(r, 1);
}

static void
ssh_remove_cmd(struct qga_req *r)
{
	ssh_change(r, 0);
}

static const struct qga_arg time_args[] = {
	{ "time", QA_INT, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct qga_arg vcpus_args[] = {
	{ "vcpus", QA_ARRAY, 1, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct qga_arg memblk_args[] = {
	{ "mem-blks", QA_ARRAY, 1, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct qga_arg password_args[] = {
	{ "username", QA_STR, 1, NULL, NULL },
	{ "password", QA_STR, 1, NULL, NULL },
	{ "crypted", QA_BOOL, 1, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct qga_arg user_args[] = {
	{ "username", QA_STR, 1, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct qga_arg add_args[] = {
	{ "username", QA_STR, 1, NULL, NULL },
	{ "keys", QA_ARRAY, 1, NULL, NULL },
	{ "reset", QA_BOOL, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct qga_arg remove_args[] = {
	{ "username", QA_STR, 1, NULL, NULL },
	{ "keys", QA_ARRAY, 1, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

const struct qga_cmd qga_set_cmds[] = {
	{ "guest-set-time", set_time_cmd, time_args, 0 },
	{ "guest-set-vcpus", set_vcpus_cmd, vcpus_args, 0 },
	{ "guest-set-memory-blocks", set_memblocks_cmd, memblk_args, 0 },
	{ "guest-set-user-password", set_password_cmd, password_args, 0 },
	{ "guest-ssh-get-authorized-keys", ssh_get_cmd, user_args, 0 },
	{ "guest-ssh-add-authorized-keys", ssh_add_cmd, add_args, 0 },
	{ "guest-ssh-remove-authorized-keys", ssh_remove_cmd, remove_args,
	    0 },
	{ NULL, NULL, NULL, 0 }
};
