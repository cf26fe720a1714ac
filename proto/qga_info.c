/*
 * qga_info.c: qemu-ga commands of this area (see proto/qga.h).
 */
#include "qga.h"

const struct qga_cmd qga_info_cmds[] = {
	{ NULL, NULL, NULL, 0 }
};
