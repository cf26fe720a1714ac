/*
 * spice_frame.c: vdagent chunk decoder and encoder (spice.md 3.6, 3.7).
 * spice-server wraps every client piece in one chunk and sends its own
 * messages (mouse, client-disconnected) on port 2 as single chunks, which may
 * fall between two chunks of a large client message: hence one assembler per
 * port.  A bad chunk header cannot be resynchronised (vdagentd reopens the
 * port); a bad message header costs the rest of its chunk only.
 */
#include <errno.h>
#include <string.h>

#include "spice_frame.h"

uint16_t
sf_get16(const void *v)
{
	const unsigned char *p = v;

	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t
sf_get32(const void *v)
{
	const unsigned char *p = v;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

uint64_t
sf_get64(const void *v)
{
	const unsigned char *p = v;

	return (uint64_t)sf_get32(p) | (uint64_t)sf_get32(p + 4) << 32;
}

void
sf_put32(void *v, uint32_t x)
{
	unsigned char *p = v;

	p[0] = x & 0xff;
	p[1] = (x >> 8) & 0xff;
	p[2] = (x >> 16) & 0xff;
	p[3] = (x >> 24) & 0xff;
}

void
sf_put64(void *v, uint64_t x)
{
	unsigned char *p = v;

	sf_put32(p, (uint32_t)x);
	sf_put32(p + 4, (uint32_t)(x >> 32));
}

void
sf_init(struct sf *sf, const struct sf_ops *ops, void *arg, size_t max)
{
	memset(sf, 0, sizeof(*sf));
	sf->ops = ops;
	sf->arg = arg;
	sf->max = max;
}

void
sf_reset_port(struct sf *sf, unsigned port)
{
	struct sf_port *pp = &sf->p[port];

	if (pp->hlen == SF_MSG_HDR && pp->mode != SF_SKIP &&
	    sf->ops->abort != NULL) {
		sf->ops->abort(sf->arg, port);
	}
	buf_reset(&pp->body);
	pp->hlen = 0;
	pp->got = 0;
	pp->mode = SF_SKIP;
}

void
sf_reset(struct sf *sf)
{
	sf_reset_port(sf, VDP_CLIENT_PORT);
	sf_reset_port(sf, VDP_SERVER_PORT);
	sf->chlen = 0;
	sf->left = 0;
	sf->dropping = 0;
	sf->broken = 0;
}

/* A message is complete: hand it over and start the next one. */
static void
port_done(struct sf *sf, unsigned port)
{
	struct sf_port *pp = &sf->p[port];

	sf->nmsgs++;
	if (pp->mode == SF_BUFFER) {
		sf->ops->msg(sf->arg, port, pp->type, pp->body.p == NULL ? "" :
		    buf_data(&pp->body), buf_size(&pp->body));
	} else if (pp->mode == SF_STREAM && pp->size == 0) {
		sf->ops->data(sf->arg, port, "", 0, 1);
	}
	buf_reset(&pp->body);
	pp->hlen = 0;
	pp->got = 0;
}

/* The 20-byte header is in: check it, ask the front end what to do. */
static int
port_begin(struct sf *sf, unsigned port)
{
	struct sf_port *pp = &sf->p[port];
	uint32_t proto = sf_get32(pp->hdr);

	pp->type = sf_get32(pp->hdr + 4);
	pp->size = sf_get32(pp->hdr + 16);
	if (proto != VD_AGENT_PROTOCOL) {
		log_warnx("spice: port %u: protocol %u, dropping: %s", port,
		    proto, log_sample(pp->hdr, SF_MSG_HDR));
		sf->nerrs++;
		return -1;
	}
	pp->mode = sf->ops->begin(sf->arg, port, pp->type, pp->size);
	if (pp->mode == SF_BUFFER && pp->size > sf->max) {
		log_warnx("spice: message type %u of %u bytes over the %zu "
		    "cap: skipped", pp->type, pp->size, sf->max);
		sf->nerrs++;
		if (sf->ops->abort != NULL) {
			sf->ops->abort(sf->arg, port);
		}
		pp->mode = SF_SKIP;
	}
	if (pp->mode == SF_BUFFER) {
		pp->body.max = sf->max;
		if (buf_reserve(&pp->body, pp->size) == -1) {
			log_warn("spice: message of %u bytes", pp->size);
			sf->nerrs++;
			pp->mode = SF_SKIP;
		}
	}
	return 0;
}

/*
 * Chunk data for one port.  Returns the bytes used; fewer than n means the
 * rest of the chunk must be dropped (a bad header, or bytes past the end of
 * the message: spice-server never sends either).
 */
static size_t
port_feed(struct sf *sf, unsigned port, const char *p, size_t n)
{
	struct sf_port *pp = &sf->p[port];
	size_t k, used = 0;

	if (pp->hlen < SF_MSG_HDR) {
		k = SF_MSG_HDR - pp->hlen;
		k = k < n ? k : n;
		memcpy(pp->hdr + pp->hlen, p, k);
		pp->hlen += k;
		used = k;
		if (pp->hlen < SF_MSG_HDR) {
			return used;
		}
		if (port_begin(sf, port) == -1) {
			pp->hlen = 0;
			sf->dropping = 1;	/* the rest of this chunk */
			return n;
		}
		if (pp->size == 0) {
			port_done(sf, port);
			return used;
		}
	}
	k = pp->size - pp->got;
	k = k < n - used ? k : n - used;
	if (pp->mode == SF_BUFFER) {
		(void)buf_append(&pp->body, p + used, k);  /* reserved */
	}
	pp->got += (uint32_t)k;
	used += k;
	if (pp->mode == SF_STREAM) {
		sf->ops->data(sf->arg, port, p + used - k, k,
		    pp->got == pp->size);
	}
	if (pp->got == pp->size) {
		port_done(sf, port);
	}
	return used;
}

int
sf_feed(struct sf *sf, const char *p, size_t n)
{
	size_t k, used;

	while (n > 0) {
		if (sf->broken) {
			return -1;
		}
		if (sf->chlen < SF_CHUNK_HDR) {
			k = SF_CHUNK_HDR - sf->chlen;
			k = k < n ? k : n;
			memcpy(sf->ch + sf->chlen, p, k);
			sf->chlen += k;
			p += k;
			n -= k;
			if (sf->chlen < SF_CHUNK_HDR) {
				break;
			}
			sf->port = sf_get32(sf->ch);
			sf->left = sf_get32(sf->ch + 4);
			if (sf->port < VDP_CLIENT_PORT ||
			    sf->port >= VDP_END_PORT ||
			    sf->left > SF_CHUNK_MAX) {
				log_warnx("spice: bad chunk header: %s",
				    log_sample(sf->ch, SF_CHUNK_HDR));
				sf->nerrs++;
				sf->broken = 1;
				return -1;
			}
			if (sf->left == 0) {
				sf->chlen = 0;
			}
			continue;
		}
		k = sf->left < n ? sf->left : n;
		used = sf->dropping ? k : port_feed(sf, sf->port, p, k);
		if (used < k) {
			log_warnx("spice: port %u: stray bytes in a chunk, "
			    "rest of the chunk dropped (lost sync?)", sf->port);
			sf->nerrs++;
			sf_reset_port(sf, sf->port);
			sf->dropping = 1;
		}
		sf->left -= (uint32_t)k;
		p += k;
		n -= k;
		if (sf->left == 0) {
			sf->chlen = 0;
			sf->dropping = 0;
		}
	}
	return 0;
}

/*
 * One message as chunks: the first carries the whole 20-byte header and up
 * to 2028 bytes of payload, the next ones up to 2048; no chunk mixes two
 * messages (spice-server detaches the agent otherwise, spice.md 3.6).
 */
int
sf_encode(sf_emit *emit, void *arg, unsigned port, uint32_t type,
    const void *pre, size_t npre, const void *data, size_t ndata)
{
	unsigned char ch[SF_CHUNK_HDR], mh[SF_MSG_HDR];
	const char *pp = pre, *dp = data;
	size_t total, room, k, off = 0;

	if (npre > SIZE_MAX - ndata || npre + ndata > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	total = npre + ndata;
	sf_put32(mh, VD_AGENT_PROTOCOL);
	sf_put32(mh + 4, type);
	sf_put64(mh + 8, 0);
	sf_put32(mh + 16, (uint32_t)total);
	do {
		room = off == 0 ? SF_CHUNK_MAX - SF_MSG_HDR : SF_CHUNK_MAX;
		room = room < total - off ? room : total - off;
		sf_put32(ch, port);
		sf_put32(ch + 4, (uint32_t)(room + (off == 0 ? SF_MSG_HDR : 0)));
		if (emit(arg, ch, sizeof(ch)) == -1 ||
		    (off == 0 && emit(arg, mh, sizeof(mh)) == -1)) {
			return -1;
		}
		while (room > 0) {
			if (off < npre) {
				k = npre - off < room ? npre - off : room;
				if (emit(arg, pp + off, k) == -1) {
					return -1;
				}
			} else {
				k = room;
				if (emit(arg, dp + (off - npre), k) == -1) {
					return -1;
				}
			}
			off += k;
			room -= k;
		}
	} while (off < total);
	return 0;
}
