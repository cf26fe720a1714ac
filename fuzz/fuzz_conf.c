/*
 * fuzz_conf.c: the key-file parser (conf_load) and the kernel command line
 * reader (conf_cmdline) on arbitrary bytes, then -D's dump of the result.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../agent.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	FILE *f;

	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/fuzz_conf.%d", (int)getpid());
		freopen("/dev/null", "w", stdout);
	}
	if ((f = fopen(path, "w")) == NULL) {
		return 0;
	}
	fwrite(data, 1, size, f);
	fclose(f);
	conf_load(path, 0);
	conf_cmdline(path);
	conf_get("general", "method");
	conf_bool("ovirt", "enabled", 1);
	conf_int("ovirt", "heartbeat", 5);
	conf_list_has(conf_get("general", "block-rpcs"), "guest-ping");
	conf_dump();
	return 0;
}
