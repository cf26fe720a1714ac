/*
 * qga_exec.c: guest-exec and guest-exec-status (qemu-ga.md 3.11, 4.2).
 * capture-output is an alternate: a bool (7.2) or the 8.0 string enum.
 * The spawn error is 7.2's wrapped glib text, quotes U+201C/U+201D.
 */
#include <stdlib.h>
#include <string.h>

#include "qga.h"
#include "qga_util.h"
#include "b64.h"
#include "../verbs/exec.h"

static int
capture_arg(struct qga_req *r, enum exec_capture *cap)
{
	static const char *const names[] = { "none", "stdout", "stderr",
	    "separated", "merged" };
	const cJSON *v = qga_arg(r, "capture-output");
	size_t i;

	*cap = EXEC_CAP_NONE;
	if (v == NULL) {
		return 0;
	}
	if (cJSON_IsBool(v)) {
		*cap = cJSON_IsTrue(v) ? EXEC_CAP_SEPARATED : EXEC_CAP_NONE;
		return 0;
	}
	if (!cJSON_IsString(v)) {
		qga_fail(r, "Invalid parameter type for 'capture-output', "
		    "expected: GuestExecCaptureOutput");
		return -1;
	}
	for (i = 0; i < nitems(names); i++) {
		if (strcmp(v->valuestring, names[i]) == 0) {
			*cap = i;
			return 0;
		}
	}
	qga_fail(r, "Parameter 'capture-output' does not accept value '%s'",
	    v->valuestring);
	return -1;
}

static void
exec_cmd(struct qga_req *r)
{
	struct exec_req q;
	char **args = NULL, **argv = NULL, **env = NULL;
	const char *in = qga_str(r, "input-data", NULL);
	unsigned char *data = NULL;
	size_t nargs, nenv, i;
	struct verr e;
	int64_t pid;
	cJSON *ret;
	int ok, bad;

	memset(&q, 0, sizeof(q));
	q.path = qga_str(r, "path", "");
	if ((args = qga_strv(r, "arg", &nargs, &ok)) == NULL && !ok) {
		return;
	}
	if ((env = qga_strv(r, "env", &nenv, &ok)) == NULL && !ok) {
		goto out;
	}
	if (capture_arg(r, &q.capture) == -1) {
		goto out;
	}
	if (in != NULL) {
		if ((data = b64_decode(in, strlen(in), &q.ninput, &bad)) ==
		    NULL) {
			qga_fail(r, "%s", bad ? B64_BAD_CHARS : "out of memory");
			goto out;
		}
		q.input = data;
	}
	if ((argv = calloc(nargs + 2, sizeof(*argv))) == NULL) {
		qga_fail(r, "out of memory");
		goto out;
	}
	argv[0] = (char *)(uintptr_t)q.path;
	for (i = 0; i < nargs; i++) {
		argv[i + 1] = args[i];
	}
	q.argv = argv;
	/* env replaces the environment; PATH for the search comes from it. */
	q.envp = env;
	if (exec_start(&q, &pid, &e) == -1) {
		if (e.err != 0 && strncmp(e.msg, "cannot run ", 11) == 0) {
			qga_fail(r, "Guest agent command failed, error was "
			    "'Failed to execute child process \u201c%s\u201d "
			    "(%s)'", q.path, strerror(e.err));
		} else {
			qga_fail_verr(r, &e);
		}
		goto out;
	}
	ret = cJSON_CreateObject();
	json_add_int(ret, "pid", pid);
	qga_return(r, ret);
out:
	free(data);
	free(argv);
	free(args);
	free(env);
}

static void
exec_status_cmd(struct qga_req *r)
{
	struct exec_status st;
	struct verr e;
	cJSON *ret;

	if (exec_status(qga_int(r, "pid", 0), &st, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	ret = cJSON_CreateObject();
	json_add_bool(ret, "exited", st.exited);
	if (st.has_code) {
		json_add_int(ret, "exitcode", st.code);
	}
	if (st.has_signal) {
		json_add_int(ret, "signal", st.signal);
	}
	/* A stream that produced output: data and its truncated flag. */
	if (st.has_out) {
		cJSON_AddItemToObject(ret, "out-data", b64_node(st.out,
		    st.nout));
		json_add_bool(ret, "out-truncated", st.out_trunc);
	}
	if (st.has_err) {
		cJSON_AddItemToObject(ret, "err-data", b64_node(st.err,
		    st.nerr));
		json_add_bool(ret, "err-truncated", st.err_trunc);
	}
	exec_status_free(&st);
	qga_return(r, ret);
}

static const struct qga_arg exec_args[] = {
	{ "path", QA_STR, 1, NULL, NULL },
	{ "arg", QA_ARRAY, 0, NULL, NULL },
	{ "env", QA_ARRAY, 0, NULL, NULL },
	{ "input-data", QA_STR, 0, NULL, NULL },
	{ "capture-output", QA_ANY, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct qga_arg status_args[] = {
	{ "pid", QA_INT, 1, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

const struct qga_cmd qga_exec_cmds[] = {
	{ "guest-exec-status", exec_status_cmd, status_args, 0 },
	{ "guest-exec", exec_cmd, exec_args, 0 },
	{ NULL, NULL, NULL, 0 }
};
