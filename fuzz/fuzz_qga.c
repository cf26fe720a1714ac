/*
 * fuzz_qga.c: the qemu-ga front end (framer, cJSON, dispatcher, argument
 * checks, writer) on arbitrary bytes.  Only side-effect-free commands are
 * allowed, through the same allow list users set.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../agent.h"

extern const struct proto qga_proto;
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct chan ch;
	static int init;

	if (!init) {
		conf_set("general", "allow-rpcs", "guest-sync,guest-ping,"
		    "guest-info,guest-sync-delimited");
		ch.proto = &qga_proto;
		ch.section = "general";
		ch.fd = ch.ofd = ch.lfd = -1;
		ch.ps = qga_proto.open(&ch);
		ch.state = CH_UP;
		init = 1;
	}
	qga_proto.feed(&ch, (const char *)data, size);
	qga_proto.disconnect(&ch);	/* reset, as a new host would */
	buf_reset(&ch.out);
	return 0;
}
