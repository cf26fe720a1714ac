/*
 * qga_power.c: guest-shutdown and guest-suspend-disk/ram/hybrid
 * (qemu-ga.md 3.6, 4.4).  No reply on success (QGA_NO_SUCCESS_RESPONSE):
 * libvirt waits for QEMU's event, Proxmox for the connection to close.
 * Errors are answered as usual.
 */
#include <string.h>

#include "qga.h"
#include "../verbs/power.h"

static void
power_done(int ok, const struct verr *e, void *arg)
{
	struct qga_req *r = arg;

	if (ok) {
		qga_no_reply(r);
	} else {
		qga_fail_verr(r, e);
	}
}

static void
answer(struct qga_req *r, int rc, const struct verr *e)
{
	if (rc == -1) {
		qga_fail_verr(r, e);
	} else if (rc == 1) {
		qga_defer(r);
	} else {
		qga_no_reply(r);
	}
}

static void
shutdown_cmd(struct qga_req *r)
{
	static const char *const modes[] = { "powerdown", "halt", "reboot" };
	const char *mode = qga_str(r, "mode", "powerdown");
	struct verr e;
	size_t i;

	for (i = 0; i < nitems(modes); i++) {
		if (strcmp(mode, modes[i]) == 0) {
			break;
		}
	}
	if (i == nitems(modes)) {
		/* sic: qemu-ga's text has no closing parenthesis */
		qga_fail(r, "mode is invalid (valid values are: "
		    "halt|powerdown|reboot");
		return;
	}
	log_info("guest-shutdown: %s", mode);
	answer(r, power_shutdown((enum power_mode)i, power_done, r, &e), &e);
}

static void
suspend(struct qga_req *r, enum power_suspend m)
{
	struct verr e;

	answer(r, power_suspend(m, power_done, r, &e), &e);
}

static void
suspend_disk_cmd(struct qga_req *r)
{
	suspend(r, SUSPEND_DISK);
}

static void
suspend_ram_cmd(struct qga_req *r)
{
	suspend(r, SUSPEND_RAM);
}

static void
suspend_hybrid_cmd(struct qga_req *r)
{
	suspend(r, SUSPEND_HYBRID);
}

static const struct qga_arg shutdown_args[] = {
	{ "mode", QA_STR, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

const struct qga_cmd qga_power_cmds[] = {
	{ "guest-shutdown", shutdown_cmd, shutdown_args,
	    QGA_NO_SUCCESS_RESPONSE },
	{ "guest-suspend-disk", suspend_disk_cmd, NULL,
	    QGA_NO_SUCCESS_RESPONSE },
	{ "guest-suspend-ram", suspend_ram_cmd, NULL,
	    QGA_NO_SUCCESS_RESPONSE },
	{ "guest-suspend-hybrid", suspend_hybrid_cmd, NULL,
	    QGA_NO_SUCCESS_RESPONSE },
	{ NULL, NULL, NULL, 0 }
};
