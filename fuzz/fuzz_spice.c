/*
 * fuzz_spice.c: the whole SPICE vdagent front end (framer, caps, clipboard,
 * monitors, mouse, file-transfer key files and names) on a channel that is
 * up, fed arbitrary bytes with an arbitrary read boundary (the first byte
 * picks it).  Nothing touches the machine: no control socket, file
 * transfer off, /dev/uinput and the session files under a missing root.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../agent.h"
#include "../verbs/verbs.h"
#include "../verbs/xfer.h"
#include "../proto/spice_frame.h"

extern const struct proto spice_proto;

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct chan	ch;

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char name[300];
	uint64_t size;
	struct verr e;
	size_t split;

	if (ch.proto == NULL) {
		conf_set("spice", "control", "");
		conf_set("spice", "file-xfer", "false");
		vroot_set("/nonexistent-fuzz-root");
		ch.proto = &spice_proto;
		ch.section = "spice";
		ch.fd = ch.lfd = ch.ofd = -1;
		ch.ps = spice_proto.open(&ch);
	}
	if (n < 1) {
		return 0;
	}
	ch.state = CH_UP;
	spice_proto.connect(&ch);
	split = d[0] % n;
	spice_proto.feed(&ch, (const char *)d + 1, split);
	spice_proto.feed(&ch, (const char *)d + 1 + split, n - 1 - split);
	ch.state = CH_AWAY;
	spice_proto.disconnect(&ch);
	buf_reset(&ch.out);
	/* The key file parser on its own, with the same bytes. */
	(void)xfer_parse_keyfile((const char *)d, n, name, sizeof(name),
	    &size, &e);
	return 0;
}
