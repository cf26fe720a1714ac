/*
 * spice_xfer.c: FILE_XFER_START / STATUS / DATA from the client (spice.md
 * 7): key file, status codes (details only to clients that announced
 * FILE_XFER_DETAILED_ERRORS), data straight to disk, cancel on a client
 * status or disconnect.  The file work itself is verbs/xfer.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../agent.h"
#include "../verbs/display.h"
#include "../verbs/xfer.h"
#include "spice.h"

/* GIOErrorEnum values spice-gtk shows (gio/gioenums.h). */
#define GIO_FAILED		0
#define GIO_NOT_FOUND		1
#define GIO_EXISTS		2
#define GIO_INVALID_FILENAME	10
#define GIO_NO_SPACE		12
#define GIO_PERMISSION_DENIED	14
#define GIO_TOO_MANY_OPEN_FILES	31

static void
send_status(uint32_t id, uint32_t result, const void *detail, size_t n)
{
	unsigned char p[8];

	if (result > VD_AGENT_FILE_XFER_STATUS_SUCCESS &&
	    !spice_has(VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS)) {
		result = VD_AGENT_FILE_XFER_STATUS_ERROR;
		n = 0;
	}
	if (result == VD_AGENT_FILE_XFER_STATUS_ERROR &&
	    !spice_has(VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS)) {
		n = 0;
	}
	sf_put32(p, id);
	sf_put32(p + 4, result);
	(void)spice_send(VD_AGENT_FILE_XFER_STATUS, p, sizeof(p), detail, n);
}

static void
send_error(uint32_t id, int err)
{
	unsigned char d[5];
	uint32_t code;

	switch (err) {
	case EINVAL: case ENAMETOOLONG: code = GIO_INVALID_FILENAME; break;
	case ENOSPC: case EDQUOT: code = GIO_NO_SPACE; break;
	case EACCES: case EPERM: case EROFS: code = GIO_PERMISSION_DENIED; break;
	case EMFILE: case ENFILE: code = GIO_TOO_MANY_OPEN_FILES; break;
	case EEXIST: code = GIO_EXISTS; break;
	case ENOENT: case ENOTDIR: code = GIO_NOT_FOUND; break;
	default: code = GIO_FAILED; break;
	}
	d[0] = VD_AGENT_FILE_XFER_STATUS_ERROR_GLIB_IO;
	sf_put32(d + 1, code);
	send_status(id, VD_AGENT_FILE_XFER_STATUS_ERROR, d, sizeof(d));
}

/* [spice] xfer-dir, else the session user's ~/Downloads (7.3). */
static int
xfer_dir(char *dir, size_t n, struct display_session *ds)
{
	const char *d = conf_get("spice", "xfer-dir");
	struct verr e;

	ds->kind = DISPLAY_NONE;
	if (d != NULL && *d) {
		snprintf(dir, n, "%s", d);
		return 0;
	}
	if (display_find(ds, &e) == -1 || ds->kind == DISPLAY_NONE) {
		return -1;
	}
	snprintf(dir, n, "%s/Downloads", ds->home);
	return 0;
}

static void
on_start(const char *p, size_t n)
{
	uint32_t id = sf_get32(p);
	struct display_session ds;
	char name[1024], dir[512];
	unsigned char free8[8];
	uint64_t size, avail = 0;
	struct xfer *x;
	struct verr e;

	if (!conf_bool("spice", "file-xfer", 1)) {
		send_status(id, VD_AGENT_FILE_XFER_STATUS_DISABLED, NULL, 0);
		return;
	}
	if (agent_frozen) {
		log_warnx("spice: file transfer %u refused: frozen", id);
		send_error(id, EROFS);	/* no disk writes while frozen */
		return;
	}
	if (xfer_parse_keyfile(p + 4, n - 4, name, sizeof(name), &size,
	    &e) == -1) {
		log_warnx("spice: file transfer %u: %s", id, e.msg);
		send_error(id, e.err);
		return;
	}
	if (xfer_dir(dir, sizeof(dir), &ds) == -1) {
		log_warnx("spice: file transfer %u: no target directory "
		    "([spice] xfer-dir) and no session", id);
		send_status(id, VD_AGENT_FILE_XFER_STATUS_DISABLED, NULL, 0);
		return;
	}
	if ((x = xfer_start(id, dir, name, size, &avail, &e)) == NULL) {
		log_warnx("spice: file transfer %u (%s): %s", id,
		    log_sample(name, strlen(name)), e.msg);
		if (e.err == ENOSPC) {
			sf_put64(free8, avail);
			send_status(id, VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE,
			    free8, sizeof(free8));
		} else {
			send_error(id, e.err);
		}
		return;
	}
	if (ds.kind != DISPLAY_NONE && ds.uid != 0 &&
	    fchown(x->fd, ds.uid, ds.gid) == -1) {
		log_warn("spice: chown %s", x->name);
	}
	log_info("spice: file transfer %u: %s/%s, %llu bytes", id, dir,
	    x->name, (unsigned long long)size);
	send_status(id, VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA, NULL, 0);
	if (size == 0) {
		xfer_end(x, 1);
		send_status(id, VD_AGENT_FILE_XFER_STATUS_SUCCESS, NULL, 0);
	}
}

static void
on_status(const char *p)
{
	uint32_t id = sf_get32(p), result = sf_get32(p + 4);
	struct xfer *x = xfer_find(id);

	if (x == NULL || result == VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA) {
		return;
	}
	log_info("spice: file transfer %u ended by the client (%u)", id,
	    result);
	xfer_end(x, 0);
}

static void
on_data(const char *p, size_t n)
{
	uint32_t id = sf_get32(p);
	uint64_t size = sf_get64(p + 4);
	struct xfer *x = xfer_find(id);
	struct verr e;
	int r;

	if (x == NULL) {
		return;			/* cancelled meanwhile (7.2) */
	}
	if (agent_frozen) {
		log_warnx("spice: file transfer %u cancelled: frozen", id);
		xfer_end(x, 0);
		send_error(id, EROFS);
		return;
	}
	if (size != n - 12) {
		log_warnx("spice: file transfer %u: bad data size", id);
		xfer_end(x, 0);
		send_error(id, EINVAL);
		return;
	}
	if ((r = xfer_write(x, p + 12, n - 12, &e)) == -1) {
		log_warnx("spice: file transfer %u: %s", id, e.msg);
		xfer_end(x, 0);
		send_error(id, e.err);
		return;
	}
	if (r == 1) {
		log_info("spice: file transfer %u: %s complete", id, x->name);
		xfer_end(x, 1);
		send_status(id, VD_AGENT_FILE_XFER_STATUS_SUCCESS, NULL, 0);
	}
}

void
spice_xfer_msg(uint32_t type, const char *p, size_t n)
{
	switch (type) {
	case VD_AGENT_FILE_XFER_START:
		on_start(p, n);
		break;
	case VD_AGENT_FILE_XFER_STATUS:
		on_status(p);
		break;
	case VD_AGENT_FILE_XFER_DATA:
		on_data(p, n);
		break;
	}
}

void
spice_xfer_reset(void)
{
	if (xfer_count() > 0) {
		log_info("spice: %d file transfers cancelled", xfer_count());
	}
	xfer_cancel_all();
}
