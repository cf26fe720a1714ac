/*
 * qga_file.c: guest-file-open/close/read/write/seek/flush (qemu-ga.md 3.4,
 * 4.1, 4.9).  Checks run in qemu-ga's order: handle, then count.  A read's
 * base64 goes straight into the output queue, sent while the rest is being
 * encoded (qga_return_b64): a 48 MiB read costs its data and one 64 MiB
 * queue, never a cJSON copy.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qga.h"
#include "b64.h"
#include "../verbs/file.h"

static void
file_open_cmd(struct qga_req *r)
{
	struct verr e;
	int64_t h;

	if (file_open(qga_str(r, "path", ""), qga_str(r, "mode", "r"), &h,
	    &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	qga_return(r, json_int(h));
}

static void
file_close_cmd(struct qga_req *r)
{
	struct verr e;

	if (file_close(qga_int(r, "handle", 0), &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	qga_return(r, NULL);
}

static void
file_read_cmd(struct qga_req *r)
{
	int64_t h = qga_int(r, "handle", 0);
	int64_t count = qga_int(r, "count", FILE_READ_DEFAULT);
	char pre[64], post[32];
	unsigned char *in;
	struct verr e;
	size_t got, want;
	int eof;

	if (!file_exists(h)) {
		qga_fail(r, "handle '%" PRId64 "' has not been found", h);
		return;
	}
	if (count < 0 || count > FILE_READ_MAX) {
		qga_fail(r, "value '%" PRId64 "' is invalid for argument count",
		    count);
		return;
	}
	/* One byte more than the rest of a regular file, so EOF is seen. */
	want = file_read_size(h, count);
	want += want < (size_t)count;
	if ((in = qga_scratch(r, want)) == NULL) {
		qga_fail(r, "failed to allocate memory for a %" PRId64
		    " byte read", count);
		return;
	}
	if (file_read(h, in, want, &got, &eof, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	/* GuestFileRead, in qemu-ga's key order and spacing. */
	snprintf(pre, sizeof(pre), "{\"count\": %zu, \"buf-b64\": ", got);
	snprintf(post, sizeof(post), ", \"eof\": %s}", eof ? "true" : "false");
	qga_return_b64(r, pre, in, got, post);
}

static void
file_write_cmd(struct qga_req *r)
{
	int64_t h = qga_int(r, "handle", 0), count;
	unsigned char *data, *own;
	struct verr e;
	size_t len, done;
	cJSON *ret;
	int bad;

	if (!file_exists(h)) {
		qga_fail(r, "handle '%" PRId64 "' has not been found", h);
		return;
	}
	if ((data = qga_b64(r, "buf-b64", &len, &bad, &own)) == NULL) {
		qga_fail(r, "%s", bad ? B64_BAD_CHARS : "out of memory");
		return;
	}
	count = qga_int(r, "count", (int64_t)len);
	if (count < 0 || (uint64_t)count > len) {
		free(own);
		qga_fail(r, "value '%" PRId64 "' is invalid for argument count",
		    count);
		return;
	}
	if (file_write(h, data, count, &done, &e) == -1) {
		free(own);
		qga_fail_verr(r, &e);
		return;
	}
	free(own);
	ret = cJSON_CreateObject();
	json_add_int(ret, "count", done);
	json_add_bool(ret, "eof", 0);
	qga_return(r, ret);
}

/* GuestFileWhence: an integer 0-2, or "set"/"cur"/"end" (qemu 2.6+). */
static int
whence_arg(struct qga_req *r, int *whence)
{
	static const char *const names[] = { "set", "cur", "end" };
	const cJSON *v = qga_arg(r, "whence");
	size_t i;

	if (cJSON_IsString(v)) {
		for (i = 0; i < nitems(names); i++) {
			if (strcmp(v->valuestring, names[i]) == 0) {
				*whence = i;
				return 0;
			}
		}
		qga_fail(r, "Parameter 'whence' does not accept value '%s'",
		    v->valuestring);
		return -1;
	}
	if (!cJSON_IsNumber(v) || json_get_int(v, &(int64_t){ 0 }) == -1) {
		qga_fail(r, "Invalid parameter type for 'whence', expected: "
		    "GuestFileWhence");
		return -1;
	}
	*whence = -1;	/* checked after the handle, as qemu-ga */
	return 0;
}

static void
file_seek_cmd(struct qga_req *r)
{
	int64_t h = qga_int(r, "handle", 0), pos, code;
	struct verr e;
	cJSON *ret;
	int whence;

	if (whence_arg(r, &whence) == -1) {
		return;
	}
	if (!file_exists(h)) {
		qga_fail(r, "handle '%" PRId64 "' has not been found", h);
		return;
	}
	if (whence == -1) {
		code = qga_int(r, "whence", -1);
		if (code < 0 || code > 2) {
			qga_fail(r, "invalid whence code %" PRId64, code);
			return;
		}
		whence = code;
	}
	/* QGA_SEEK_SET/CUR/END are 0/1/2, as SEEK_SET/CUR/END. */
	if (file_seek(h, qga_int(r, "offset", 0), whence, &pos, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	ret = cJSON_CreateObject();
	json_add_int(ret, "position", pos);
	json_add_bool(ret, "eof", 0);
	qga_return(r, ret);
}

static void
file_flush_cmd(struct qga_req *r)
{
	struct verr e;

	if (file_flush(qga_int(r, "handle", 0), &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	qga_return(r, NULL);
}

static const struct qga_arg open_args[] = {
	{ "path", QA_STR, 1, NULL, NULL },
	{ "mode", QA_STR, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct qga_arg handle_args[] = {
	{ "handle", QA_INT, 1, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct qga_arg read_args[] = {
	{ "handle", QA_INT, 1, NULL, NULL },
	{ "count", QA_INT, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct qga_arg write_args[] = {
	{ "handle", QA_INT, 1, NULL, NULL },
	{ "buf-b64", QA_STR, 1, NULL, NULL },
	{ "count", QA_INT, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct qga_arg seek_args[] = {
	{ "handle", QA_INT, 1, NULL, NULL },
	{ "offset", QA_INT, 1, NULL, NULL },
	{ "whence", QA_ANY, 1, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

const struct qga_cmd qga_file_cmds[] = {
	{ "guest-file-open", file_open_cmd, open_args, 0 },
	{ "guest-file-close", file_close_cmd, handle_args, 0 },
	{ "guest-file-read", file_read_cmd, read_args, 0 },
	{ "guest-file-write", file_write_cmd, write_args, QGA_BIG },
	{ "guest-file-seek", file_seek_cmd, seek_args, 0 },
	{ "guest-file-flush", file_flush_cmd, handle_args, 0 },
	{ NULL, NULL, NULL, 0 }
};
