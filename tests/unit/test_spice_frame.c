/*
 * test_spice_frame.c: the vdagent chunk framer (proto/spice_frame.c): every
 * split position, byte-at-a-time, a port-2 mouse chunk inside a large
 * client message, streamed payloads, malformed headers, the encoder's rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../proto/spice_frame.h"

static int failed;

#define CHECK(name, cond) do { \
	if (cond) { printf("PASS %s\n", name); } \
	else { printf("FAIL %s: %s (line %d)\n", name, #cond, __LINE__); \
	    failed++; } } while (0)

/* What the decoder delivered, flattened: port, type, size, bytes. */
static struct buf got, sgot;
static int stream_type = -1, aborts;

static int
t_begin(void *arg, unsigned port, uint32_t type, uint32_t size)
{
	(void)arg;
	if ((int)type == stream_type) {
		unsigned char h[12];

		sf_put32(h, port);
		sf_put32(h + 4, type);
		sf_put32(h + 8, size);
		buf_append(&got, h, sizeof(h));
		return SF_STREAM;
	}
	return SF_BUFFER;
}

static void
t_msg(void *arg, unsigned port, uint32_t type, const char *p, size_t n)
{
	unsigned char h[12];

	(void)arg;
	sf_put32(h, port);
	sf_put32(h + 4, type);
	sf_put32(h + 8, (uint32_t)n);
	buf_append(&got, h, sizeof(h));
	buf_append(&got, p, n);
}

static void
t_data(void *arg, unsigned port, const char *p, size_t n, int end)
{
	(void)arg;
	(void)port;
	(void)end;
	buf_append(&sgot, p, n);
}

static void
t_abort(void *arg, unsigned port)
{
	(void)arg;
	(void)port;
	aborts++;
}

static const struct sf_ops ops = { t_begin, t_msg, t_data, t_abort };

static int
to_buf(void *arg, const void *p, size_t n)
{
	return buf_append(arg, p, n);
}

/* A chunk on port with raw data (no splitting). */
static void
chunk(struct buf *b, uint32_t port, const void *p, size_t n)
{
	unsigned char h[8];

	sf_put32(h, port);
	sf_put32(h + 4, (uint32_t)n);
	buf_append(b, h, 8);
	buf_append(b, p, n);
}

static void
expect(struct buf *want, uint32_t port, uint32_t type, const char *p,
    size_t n)
{
	unsigned char h[12];

	sf_put32(h, port);
	sf_put32(h + 4, type);
	sf_put32(h + 8, (uint32_t)n);
	buf_append(want, h, sizeof(h));
	buf_append(want, p, n);
}

/* A stream with a large client message and a mouse chunk in the middle. */
static void
build(struct buf *in, struct buf *want, char *big, size_t nbig)
{
	struct buf m = { 0 };
	unsigned char mouse[20 + 13] = { 0 };
	size_t i;

	for (i = 0; i < nbig; i++) {
		big[i] = (char)(i * 7);
	}
	sf_encode(to_buf, &m, 1, VD_AGENT_ANNOUNCE_CAPABILITIES, "\1\0\0\0"
	    "\x77\x50\x03\x00", 8, NULL, 0);
	buf_append(in, buf_data(&m), buf_size(&m));
	expect(want, 1, VD_AGENT_ANNOUNCE_CAPABILITIES,
	    "\1\0\0\0\x77\x50\x03\x00", 8);
	buf_reset(&m);
	sf_encode(to_buf, &m, 1, VD_AGENT_CLIPBOARD, NULL, 0, big, nbig);
	sf_put32(mouse, 1);
	sf_put32(mouse + 4, VD_AGENT_MOUSE_STATE);
	sf_put32(mouse + 16, 13);
	mouse[20] = 100;
	/* first two chunks of the big message, the mouse, the rest */
	buf_append(in, buf_data(&m), 2 * (8 + 2048));
	chunk(in, 2, mouse, sizeof(mouse));
	buf_append(in, buf_data(&m) + 2 * (8 + 2048),
	    buf_size(&m) - 2 * (8 + 2048));
	expect(want, 2, VD_AGENT_MOUSE_STATE, (char *)mouse + 20, 13);
	expect(want, 1, VD_AGENT_CLIPBOARD, big, nbig);
	buf_reset(&m);
	sf_encode(to_buf, &m, 2, VD_AGENT_CLIENT_DISCONNECTED, NULL, 0, NULL,
	    0);
	buf_append(in, buf_data(&m), buf_size(&m));
	expect(want, 2, VD_AGENT_CLIENT_DISCONNECTED, "", 0);
	buf_reset(&m);
}

static void
test_splits(void)
{
	struct buf in = { 0 }, want = { 0 };
	static char big[7000];
	struct sf sf;
	size_t i, bad = 0;

	build(&in, &want, big, sizeof(big));
	for (i = 0; i <= buf_size(&in); i++) {
		sf_init(&sf, &ops, NULL, 1 << 20);
		buf_reset(&got);
		if (sf_feed(&sf, buf_data(&in), i) == -1 ||
		    sf_feed(&sf, buf_data(&in) + i, buf_size(&in) - i) == -1 ||
		    buf_size(&got) != buf_size(&want) ||
		    memcmp(buf_data(&got), buf_data(&want),
		    buf_size(&want)) != 0) {
			bad++;
		}
		sf_reset(&sf);
	}
	CHECK("split-every-position", bad == 0);
	sf_init(&sf, &ops, NULL, 1 << 20);
	buf_reset(&got);
	for (i = 0; i < buf_size(&in); i++) {
		sf_feed(&sf, buf_data(&in) + i, 1);
	}
	CHECK("byte-at-a-time", buf_size(&got) == buf_size(&want) &&
	    memcmp(buf_data(&got), buf_data(&want), buf_size(&want)) == 0);
	sf_reset(&sf);
	/* Streamed: the same bytes arrive through data(). */
	stream_type = VD_AGENT_CLIPBOARD;
	sf_init(&sf, &ops, NULL, 1 << 20);
	buf_reset(&sgot);
	for (i = 0; i < buf_size(&in); i += 333) {
		size_t k = buf_size(&in) - i < 333 ? buf_size(&in) - i : 333;

		sf_feed(&sf, buf_data(&in) + i, k);
	}
	CHECK("streamed", buf_size(&sgot) == sizeof(big) &&
	    memcmp(buf_data(&sgot), big, sizeof(big)) == 0);
	buf_reset(&sgot);
	stream_type = -1;
	sf_reset(&sf);
	buf_reset(&in);
	buf_reset(&want);
	buf_reset(&got);
}

static void
test_encoder(void)
{
	static char big[300000];
	struct buf out = { 0 };
	size_t off = 0, nchunks = 0, bad = 0, first = 0;
	uint32_t port, size;

	memset(big, 0xab, sizeof(big));
	sf_encode(to_buf, &out, 1, VD_AGENT_CLIPBOARD, "\0\0\0\0\2\0\0\0", 8,
	    big, sizeof(big));
	while (off + 8 <= buf_size(&out)) {
		port = sf_get32(buf_data(&out) + off);
		size = sf_get32(buf_data(&out) + off + 4);
		if (port != 1 || size == 0 || size > 2048) {
			bad++;
		}
		if (nchunks == 0) {
			first = size;
		}
		off += 8 + size;
		nchunks++;
	}
	CHECK("encode-chunk-rules", bad == 0 && off == buf_size(&out));
	/* 300 028 bytes: 2048 with the header, 145 x 2048, 1020. */
	CHECK("encode-first-chunk", first == 2048 && nchunks == 147);
	CHECK("encode-header", sf_get32(buf_data(&out) + 8) == 1 &&
	    sf_get32(buf_data(&out) + 12) == VD_AGENT_CLIPBOARD &&
	    sf_get32(buf_data(&out) + 24) == 300008);
	buf_reset(&out);
	sf_encode(to_buf, &out, 1, VD_AGENT_CLIPBOARD_RELEASE, NULL, 0, NULL,
	    0);
	CHECK("encode-empty", buf_size(&out) == 28 &&
	    sf_get32(buf_data(&out) + 4) == 20);
	buf_reset(&out);
}

static void
test_malformed(void)
{
	struct buf in = { 0 }, m = { 0 };
	unsigned char hdr[20] = { 0 };
	struct sf sf;

	/* Bad port: the stream is broken until reset. */
	sf_init(&sf, &ops, NULL, 1 << 20);
	chunk(&in, 3, "x", 1);
	CHECK("bad-port", sf_feed(&sf, buf_data(&in), buf_size(&in)) == -1 &&
	    sf.broken);
	sf_reset(&sf);
	buf_reset(&in);
	/* Chunk over 2048. */
	sf_put32(hdr, 1);
	sf_put32(hdr + 4, 2049);
	CHECK("chunk-too-big", sf_feed(&sf, (char *)hdr, 8) == -1);
	sf_reset(&sf);
	/* Protocol 2: that chunk is dropped, the next message is fine. */
	sf_init(&sf, &ops, NULL, 1 << 20);
	memset(hdr, 0, sizeof(hdr));
	sf_put32(hdr, 2);
	sf_put32(hdr + 4, VD_AGENT_REPLY);
	chunk(&in, 1, hdr, 20);
	sf_encode(to_buf, &m, 1, VD_AGENT_MAX_CLIPBOARD, "\1\0\0\0", 4, NULL,
	    0);
	buf_append(&in, buf_data(&m), buf_size(&m));
	buf_reset(&got);
	CHECK("bad-protocol-resync", sf_feed(&sf, buf_data(&in),
	    buf_size(&in)) == 0 && buf_size(&got) == 16 &&
	    sf_get32(buf_data(&got) + 4) == VD_AGENT_MAX_CLIPBOARD &&
	    sf.nerrs == 1);
	buf_reset(&in);
	/* Two messages in one chunk: the second is dropped, then resync. */
	{
		struct buf two = { 0 };

		buf_append(&two, buf_data(&m) + 8, buf_size(&m) - 8);
		buf_append(&two, buf_data(&m) + 8, buf_size(&m) - 8);
		chunk(&in, 1, buf_data(&two), buf_size(&two));
		buf_append(&in, buf_data(&m), buf_size(&m));
		buf_reset(&two);
	}
	buf_reset(&got);
	CHECK("two-in-one-chunk", sf_feed(&sf, buf_data(&in),
	    buf_size(&in)) == 0 && buf_size(&got) == 32);
	buf_reset(&in);
	/* Over the cap: skipped, abort() told, the stream stays in sync. */
	sf_init(&sf, &ops, NULL, 100);
	{
		static char big[5000];

		buf_reset(&m);
		sf_encode(to_buf, &m, 1, VD_AGENT_FILE_XFER_DATA, NULL, 0, big,
		    sizeof(big));
		buf_append(&in, buf_data(&m), buf_size(&m));
		buf_reset(&m);
		sf_encode(to_buf, &m, 1, VD_AGENT_MAX_CLIPBOARD, "\1\0\0\0", 4,
		    NULL, 0);
		buf_append(&in, buf_data(&m), buf_size(&m));
	}
	buf_reset(&got);
	aborts = 0;
	CHECK("over-cap-skipped", sf_feed(&sf, buf_data(&in),
	    buf_size(&in)) == 0 && buf_size(&got) == 16 && aborts == 1);
	/* A header split across chunks of the same port is fine. */
	buf_reset(&in);
	buf_reset(&got);
	chunk(&in, 1, buf_data(&m) + 8, 10);
	chunk(&in, 1, buf_data(&m) + 18, buf_size(&m) - 18);
	CHECK("header-split-across-chunks", sf_feed(&sf, buf_data(&in),
	    buf_size(&in)) == 0 && buf_size(&got) == 16);
	/* Empty chunks are ignored. */
	buf_reset(&in);
	buf_reset(&got);
	chunk(&in, 2, "", 0);
	CHECK("empty-chunk", sf_feed(&sf, buf_data(&in), buf_size(&in)) == 0 &&
	    buf_size(&got) == 0);
	sf_reset(&sf);
	buf_reset(&in);
	buf_reset(&m);
	buf_reset(&got);
}

int
main(void)
{
	test_splits();
	test_encoder();
	test_malformed();
	return failed != 0;
}
