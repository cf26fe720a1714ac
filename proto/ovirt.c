/*
 * ovirt.c: placeholder front end until the ovirt protocol lands: reads and drops.
 */
#include "../agent.h"

static void
ovirt_feed(struct chan *ch, const char *p, size_t n)
{
	(void)ch;
	(void)p;
	log_debug("ovirt: %zu bytes ignored", n);
}

const struct proto ovirt_proto = {
	.name = "ovirt",
	.feed = ovirt_feed,
};
