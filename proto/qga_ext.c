/*
 * qga_ext.c: qemu-ga commands of this area (see proto/qga.h).
 */
#include "qga.h"

const struct qga_cmd qga_ext_cmds[] = {
	{ NULL, NULL, NULL, 0 }
};
