/*
 * fuzz_ovirt.c: the oVirt line framer and sanitiser, then the whole front
 * end.  The first byte picks a split point and a line cap, so read()
 * boundaries and over-long lines are explored; every line handed out must
 * respect the cap and contain no newline, and every cleaned string must be
 * clean.  The same bytes then go through ovirt_proto's feed on a channel
 * with a host attached (helpers and hooks pointed at nothing).
 */
#include <stdlib.h>
#include <string.h>

#include "../proto/chan.h"
#include "../proto/ovirt_frame.h"

extern const struct proto ovirt_proto;

int	LLVMFuzzerTestOneInput(const unsigned char *, size_t);

static size_t	cap;

static void
line(void *arg, const char *p, size_t n)
{
	char *s, *c;

	(void)arg;
	if (n > cap || memchr(p, '\n', n) != NULL) {
		abort();
	}
	if ((s = strndup(p, n)) == NULL) {
		return;
	}
	if ((c = ovf_clean(s)) != NULL && ovf_dirty(c)) {
		abort();
	}
	free(c);
	free(s);
}

static void
proto_run(const unsigned char *p, size_t n, size_t split)
{
	static struct chan ch;
	static int ready;

	if (!ready) {
		conf_set("ovirt", "loginctl", "/nonexistent/loginctl");
		conf_set("ovirt", "hooks_dir", "/nonexistent");
		conf_set("ovirt", "applications_list", "none");
		conf_set("ovirt", "power_dry_run", "true");
		ch.proto = &ovirt_proto;
		ch.section = "ovirt";
		ch.fd = ch.lfd = ch.ofd = -1;
		ch.ps = ovirt_proto.open(&ch);
		ch.state = CH_UP;
		ovirt_proto.connect(&ch);
		ready = 1;
	}
	split = split < n ? split : n;
	ovirt_proto.feed(&ch, (const char *)p, split);
	ovirt_proto.feed(&ch, (const char *)p + split, n - split);
	buf_reset(&ch.out);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct ovf f;
	size_t split;

	if (size < 1) {
		return 0;
	}
	cap = 1 + data[0] % 64;
	split = size > 1 ? data[0] % size : 0;
	ovf_init(&f, cap);
	ovf_feed(&f, (const char *)data + 1, split ? split - 1 : 0, line, NULL);
	ovf_feed(&f, (const char *)data + (split ? split : 1),
	    size - (split ? split : 1), line, NULL);
	if (buf_size(&f.in) > cap) {
		abort();
	}
	ovf_reset(&f);
	proto_run(data + 1, size - 1, split);
	return 0;
}
