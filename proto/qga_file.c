/*
 * qga_file.c: qemu-ga commands of this area (see proto/qga.h).
 */
#include "qga.h"

const struct qga_cmd qga_file_cmds[] = {
	{ NULL, NULL, NULL, 0 }
};
