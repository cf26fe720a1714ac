/*
 * spice.c: placeholder front end until the spice protocol lands: reads and drops.
 */
#include "../agent.h"

static void
spice_feed(struct chan *ch, const char *p, size_t n)
{
	(void)ch;
	(void)p;
	log_debug("spice: %zu bytes ignored", n);
}

const struct proto spice_proto = {
	.name = "spice",
	.feed = spice_feed,
};
