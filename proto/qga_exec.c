/*
 * qga_exec.c: qemu-ga commands of this area (see proto/qga.h).
 */
#include "qga.h"

const struct qga_cmd qga_exec_cmds[] = {
	{ NULL, NULL, NULL, 0 }
};
