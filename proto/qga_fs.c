/*
 * qga_fs.c: qemu-ga commands of this area (see proto/qga.h).
 */
#include "qga.h"

const struct qga_cmd qga_fs_cmds[] = {
	{ NULL, NULL, NULL, 0 }
};
