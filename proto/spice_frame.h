/*
 * spice_frame.h: the vdagent chunk stream (spice.md 3).  The decoder reads
 * 8-byte chunk headers and reassembles 20-byte-header messages per port
 * (client 1, server 2); the encoder writes one message as a chunk sequence
 * whose first chunk holds the whole header, never two messages in a chunk.
 * Every field is little-endian and read byte-wise: no struct casts.
 */
#ifndef PROTO_SPICE_FRAME_H
#define PROTO_SPICE_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <spice/vd_agent.h>

#include "../agent.h"

#define SF_CHUNK_HDR	8	/* sizeof(VDIChunkHeader) */
#define SF_MSG_HDR	20	/* sizeof(VDAgentMessage) */
#define SF_CHUNK_MAX	VD_AGENT_MAX_DATA_SIZE	/* 2048, spice/vd_agent.h */
#define SF_NPORTS	VDP_END_PORT		/* ports 1 and 2 */

/* What the front end wants done with a message's payload. */
#define SF_BUFFER	0	/* collect it whole, then msg() */
#define SF_STREAM	1	/* hand each piece to data() as it comes */
#define SF_SKIP		2	/* discard it (over a cap, unwanted) */

struct sf_ops {
	/* A complete header: return SF_BUFFER, SF_STREAM or SF_SKIP. */
	int	(*begin)(void *, unsigned port, uint32_t type, uint32_t size);
	/* SF_BUFFER: the whole payload, lent until the call returns. */
	void	(*msg)(void *, unsigned port, uint32_t type, const char *,
		    size_t);
	/* SF_STREAM: the next piece; end is set on the last one (which may
	 * be empty for a zero-size message). */
	void	(*data)(void *, unsigned port, const char *, size_t, int end);
	/* A message was dropped mid-way (reset, lost sync): abort streams. */
	void	(*abort)(void *, unsigned port);
};

struct sf_port {
	unsigned char	 hdr[SF_MSG_HDR];
	size_t		 hlen;		/* header bytes collected */
	uint32_t	 type;
	uint32_t	 size;		/* payload size from the header */
	uint32_t	 got;		/* payload bytes seen */
	int		 mode;		/* SF_BUFFER / SF_STREAM / SF_SKIP */
	struct buf	 body;		/* SF_BUFFER payload */
};

struct sf {
	const struct sf_ops *ops;
	void		*arg;
	size_t		 max;		/* largest buffered payload */
	unsigned char	 ch[SF_CHUNK_HDR];
	size_t		 chlen;		/* chunk header bytes collected */
	unsigned	 port;		/* current chunk's port */
	uint32_t	 left;		/* current chunk's data bytes left */
	int		 dropping;	/* rest of this chunk is dropped */
	int		 broken;	/* bad chunk header: no resync */
	struct sf_port	 p[SF_NPORTS];
	/* Counters, for logs and tests. */
	uint64_t	 nmsgs, nerrs;
};

void	sf_init(struct sf *, const struct sf_ops *, void *, size_t);
/* 0, or -1 when the chunk stream is broken (bad port, chunk over 2048):
 * the port must be reopened; until sf_reset() every byte is dropped. */
int	sf_feed(struct sf *, const char *, size_t);
void	sf_reset(struct sf *);			/* both ports, buffers freed */
void	sf_reset_port(struct sf *, unsigned);	/* one port's assembler */

/*
 * Encode one message on port `port`: header, then `pre` (a small fixed
 * prefix: selection, type...) and `data`, split in chunks of at most 2048
 * bytes.  emit() gets each piece in order; -1 from emit stops and fails.
 */
typedef int sf_emit(void *, const void *, size_t);
int	sf_encode(sf_emit *, void *, unsigned port, uint32_t type,
	    const void *pre, size_t npre, const void *data, size_t ndata);

/* Byte-wise little-endian access. */
uint16_t sf_get16(const void *);
uint32_t sf_get32(const void *);
uint64_t sf_get64(const void *);
void	sf_put32(void *, uint32_t);
void	sf_put64(void *, uint64_t);

#endif
