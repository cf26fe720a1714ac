/*
 * qga_ext.c: onega's own qemu-ga commands.  onega-clipboard-get/-set give
 * host automation the guest side of the SPICE clipboard (verbs/clipboard.c)
 * with the bytes in base64, as qemu-ga's file commands carry them:
 * {"data-b64": ..., "type": MIME} ("size" instead of the bytes with
 * size-only).  A get while host data is still arriving waits for it
 * (deferred), with a deadline.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qga.h"
#include "b64.h"
#include "../verbs/clipboard.h"

#define CLIP_WAIT_MS	30000	/* a host that never sends its data */

static const char *const sel_names[] = {
	"clipboard", "primary", "secondary", NULL
};

static const struct qga_arg clip_get_args[] = {
	{ "selection", QA_ENUM, 0, sel_names, "QGAClipboardSelection" },
	{ "type", QA_STR, 0, NULL, "string" },
	{ "size-only", QA_BOOL, 0, NULL, "boolean" },
	{ NULL, 0, 0, NULL, NULL }
};

static const struct qga_arg clip_set_args[] = {
	{ "data-b64", QA_STR, 1, NULL, "string" },
	{ "type", QA_STR, 0, NULL, "string" },
	{ "selection", QA_ENUM, 0, sel_names, "QGAClipboardSelection" },
	{ NULL, 0, 0, NULL, NULL }
};

static struct {
	struct qga_req	*r;
	int		 sel;
	struct timer	 t;
} waiting;

static void
clip_answer(struct qga_req *r, int sel)
{
	const char *mime, *p, *want = qga_str(r, "type", NULL);
	struct verr e;
	cJSON *ret, *d;
	size_t n;

	if (clip_read(sel, &mime, &p, &n, &e) == -1) {
		qga_fail_verr(r, &e);
		return;
	}
	if (want != NULL && strcmp(want, mime) != 0) {
		qga_fail(r, "the clipboard holds %s, not %s", mime, want);
		return;
	}
	if ((ret = cJSON_CreateObject()) == NULL) {
		qga_fail(r, "out of memory");
		return;
	}
	if (qga_bool(r, "size-only", 0)) {
		json_add_uint(ret, "size", n);	/* automation: no bytes */
	} else if ((d = b64_node(p, n)) != NULL) {
		cJSON_AddItemToObject(ret, "data-b64", d);
	} else {
		cJSON_Delete(ret);
		qga_fail(r, "out of memory");
		return;
	}
	json_add_str(ret, "type", mime);
	qga_return(r, ret);
}

static void
clip_woken(void *arg, int ok)
{
	struct qga_req *r = arg;

	(void)ok;
	timer_stop(&waiting.t);
	waiting.r = NULL;
	clip_answer(r, waiting.sel);
}

static void
clip_timeout(void *arg)
{
	struct qga_req *r = arg;

	clip_unwait(r);
	waiting.r = NULL;
	qga_fail(r, "timed out waiting for the host's clipboard data");
}

static void
qga_clip_get(struct qga_req *r)
{
	const char *s = qga_str(r, "selection", "clipboard");
	int sel = clip_sel_parse(s);
	const struct clip_sel *cs = clip_get(sel);

	if (cs->pending && waiting.r == NULL &&
	    clip_wait(sel, clip_woken, r) == 0) {
		waiting.r = r;
		waiting.sel = sel;
		timer_set(&waiting.t, CLIP_WAIT_MS, clip_timeout, r);
		qga_defer(r);
		return;
	}
	clip_answer(r, sel);
}

static void
qga_clip_set(struct qga_req *r)
{
	const char *b64 = qga_str(r, "data-b64", "");
	const char *mime = qga_str(r, "type", "text/plain;charset=utf-8");
	int sel = clip_sel_parse(qga_str(r, "selection", "clipboard"));
	unsigned char *data;
	struct verr e;
	size_t len;
	int bad;

	if (strlen(mime) >= CLIP_MIME_MAX || mime[0] == '\0') {
		qga_fail(r, "invalid clipboard type");
		return;
	}
	if ((data = b64_decode(b64, strlen(b64), &len, &bad)) == NULL) {
		qga_fail(r, "%s", bad ? B64_BAD_CHARS : "out of memory");
		return;
	}
	if (clip_guest_set(sel, mime, data, len, &e) == -1) {
		free(data);
		qga_fail_verr(r, &e);
		return;
	}
	free(data);
	qga_return(r, NULL);
}

const struct qga_cmd qga_ext_cmds[] = {
	{ "onega-clipboard-get", qga_clip_get, clip_get_args, 0 },
	{ "onega-clipboard-set", qga_clip_set, clip_set_args, 0 },
	{ NULL, NULL, NULL, 0 }
};
