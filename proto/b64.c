/*
 * b64.c: table-driven base64 (qemu-ga.md 4.8).  The bench target is 8x
 * qemu-ga's file throughput, and a 48 MiB guest-file-read is 64 MiB of
 * base64, so the encoder works in place inside the reply's own buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "b64.h"

/* -Os is the build's rule; these two loops are the file bench. */
#if defined(__GNUC__) && !defined(__clang__)
#define B64_HOT	__attribute__((optimize("O3")))
#else
#define B64_HOT
#endif

#define RANK_PAD	64		/* '=' */
#define RANK_NL		65		/* '\n': skipped */
#define RANK_BAD	0xFF
#define B64_PAGE	4096
#define B64_HUGE	(4u << 20)	/* madvise(MADV_HUGEPAGE) above this */
#define B64_HUGE_ALIGN	(2u << 20)	/* x86-64 huge page */

static const char enc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static unsigned char rank[256];

static void
rank_init(void)
{
	size_t i;

	if (rank['='] == RANK_PAD) {
		return;
	}
	memset(rank, RANK_BAD, sizeof(rank));
	for (i = 0; i < 64; i++) {
		rank[(unsigned char)enc[i]] = i;
	}
	rank['\n'] = RANK_NL;
	rank['='] = RANK_PAD;
}

/* Two output characters per 12 input bits: half the lookups. */
static uint16_t	pairs[4096];

static void
pairs_init(void)
{
	size_t i;

	if (pairs[4095] != 0) {
		return;
	}
	for (i = 0; i < 4096; i++) {
		unsigned char two[2] = { enc[i >> 6], enc[i & 63] };

		memcpy(&pairs[i], two, 2);
	}
}

B64_HOT void
b64_encode(char *dst, const unsigned char *src, size_t n)
{
	unsigned a, b, c;
	uint32_t v;
	size_t i = 0, o = 0;

	pairs_init();
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* Six bytes in, eight characters out per step; the 8-byte load stays
	 * behind what b64.h's overlap rule allows for in-place use. */
	for (i = 0; i + 8 <= n; i += 6) {
		uint64_t x, w;

		memcpy(&x, src + i, 8);
		x = __builtin_bswap64(x);
		w = (uint64_t)pairs[(x >> 52) & 4095] |
		    (uint64_t)pairs[(x >> 40) & 4095] << 16 |
		    (uint64_t)pairs[(x >> 28) & 4095] << 32 |
		    (uint64_t)pairs[(x >> 16) & 4095] << 48;
		memcpy(dst + o, &w, 8);
		o += 8;
	}
#else
	i = 0;
#endif
	for (; i + 3 <= n; i += 3) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 |
		    src[i + 2];
		memcpy(dst + o, &pairs[v >> 12], 2);
		memcpy(dst + o + 2, &pairs[v & 4095], 2);
		o += 4;
	}
	if (i < n) {
		a = src[i];
		b = i + 1 < n ? src[i + 1] : 0;
		c = 0;
		dst[o] = enc[a >> 2];
		dst[o + 1] = enc[((a & 3) << 4) | (b >> 4)];
		dst[o + 2] = i + 1 < n ? enc[((b & 15) << 2) | c] : '=';
		dst[o + 3] = '=';
	}
}

/*
 * Fresh pages cost a fault each, and in a VM a fault costs more than
 * encoding the page: multi-MiB buffers ask for huge pages, so a 64 MiB
 * reply takes about 32 faults instead of 16384.  Only 2 MiB-aligned
 * stretches can be huge: decode buffers (ours to free) are aligned; reply
 * buffers belong to cJSON's allocator, so only their inside is advised.
 */
static void
b64_huge(void *p, size_t n)
{
	uintptr_t a = ((uintptr_t)p + B64_PAGE - 1) & ~(uintptr_t)(B64_PAGE - 1);
	uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)(B64_PAGE - 1);

	if (n >= B64_HUGE && e > a) {
		madvise((void *)a, e - a, MADV_HUGEPAGE);
	}
}

/* For b64_decode's result, released with free(). */
static void *
b64_alloc(size_t n)
{
	void *p;

	if (n < B64_HUGE) {
		return malloc(n);
	}
	if (posix_memalign(&p, B64_HUGE_ALIGN, n) != 0) {
		return NULL;
	}
	b64_huge(p, n);
	return p;
}

/*
 * glib's g_base64_decode_step: '=' has rank 0 but suppresses the bytes it
 * stands for when it ends a group; a group cut short at the end is dropped.
 */
static size_t
decode_slow(const unsigned char *s, size_t n, unsigned char *out,
    unsigned *v, int *k, unsigned char last[2])
{
	size_t i, o = 0;
	unsigned r;

	for (i = 0; i < n; i++) {
		r = rank[s[i]];
		if (r == RANK_NL) {
			continue;
		}
		last[1] = last[0];
		last[0] = s[i];
		*v = (*v << 6) | (r == RANK_PAD ? 0 : r);
		if (++*k == 4) {
			out[o++] = *v >> 16;
			if (last[1] != '=') {
				out[o++] = *v >> 8;
			}
			if (last[0] != '=') {
				out[o++] = *v;
			}
			*k = 0;
			*v = 0;
		}
	}
	return o;
}

/*
 * Whole groups of four alphabet characters; stops before any other.  On
 * little-endian machines each character's table entry holds its bits
 * already in place in a 32-bit word (bit 24 up: not in the alphabet), so a
 * group is four lookups, three ORs and one store.  Writes up to one byte
 * past the group's three, which b64.h's buffer sizes allow.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static uint32_t	dt[4][256];

static void
dt_init(void)
{
	unsigned c, v;

	if (dt[0][0] != 0) {
		return;
	}
	rank_init();
	for (c = 0; c < 256; c++) {
		v = rank[c];
		if (v >= 64) {
			dt[0][c] = dt[1][c] = dt[2][c] = dt[3][c] = 1u << 24;
			continue;
		}
		dt[0][c] = v << 2;
		dt[1][c] = (v >> 4) | (v & 15) << 12;
		dt[2][c] = (v >> 2) << 8 | (v & 3) << 22;
		dt[3][c] = v << 16;
	}
}

B64_HOT static size_t
groups(const unsigned char *s, size_t n, unsigned char *out, size_t *used)
{
	uint32_t x;
	size_t i, o = 0;

	dt_init();
	for (i = 0; i + 4 <= n; i += 4) {
		x = dt[0][s[i]] | dt[1][s[i + 1]] | dt[2][s[i + 2]] |
		    dt[3][s[i + 3]];
		if (x >> 24) {
			break;
		}
		memcpy(out + o, &x, 4);
		o += 3;
	}
	*used = i;
	return o;
}
#else
B64_HOT static size_t
groups(const unsigned char *s, size_t n, unsigned char *out, size_t *used)
{
	unsigned a, b, c, d, v;
	size_t i, o = 0;

	rank_init();
	for (i = 0; i + 4 <= n; i += 4) {
		a = rank[s[i]];
		b = rank[s[i + 1]];
		c = rank[s[i + 2]];
		d = rank[s[i + 3]];
		if ((a | b | c | d) >= 64) {
			break;
		}
		v = (a << 18) | (b << 12) | (c << 6) | d;
		out[o] = v >> 16;
		out[o + 1] = v >> 8;
		out[o + 2] = v;
		o += 3;
	}
	*used = i;
	return o;
}
#endif

size_t
b64_decode_groups(const char *s, size_t n, unsigned char *out, size_t *used)
{
	return groups((const unsigned char *)s, n, out, used);
}

ssize_t
b64_decode_to(const char *str, size_t n, unsigned char *out)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char last[2] = { 0, 0 };
	unsigned v = 0;
	size_t i, j, o;
	int k = 0;

	o = groups(s, n, out, &i);
	/* QEMU checks the whole string before decoding anything. */
	for (j = i; j < n; j++) {
		if (rank[s[j]] == RANK_BAD) {
			return -1;
		}
	}
	o += decode_slow(s + i, n - i, out + o, &v, &k, last);
	return o;
}

unsigned char *
b64_decode(const char *str, size_t n, size_t *outlen, int *bad)
{
	unsigned char *out;
	ssize_t o;

	*bad = 0;
	*outlen = 0;
	if ((out = b64_alloc(n / 4 * 3 + 3)) == NULL) {
		return NULL;
	}
	if ((o = b64_decode_to(str, n, out)) == -1) {
		free(out);
		*bad = 1;
		return NULL;
	}
	*outlen = o;
	return out;
}


char *
b64_raw_alloc(size_t n, unsigned char **in)
{
	size_t total;
	char *buf;

	if (n > ((size_t)-1 - 16) / 2) {
		return NULL;
	}
	total = B64_LEN(n) + 8;
	if ((buf = cJSON_malloc(total)) == NULL) {
		return NULL;
	}
	b64_huge(buf, total);
	*in = (unsigned char *)buf + (total - n);
	return buf;
}

/* The input sits at the end of buf; encoding walks from the front and
 * never catches up with bytes it has not read yet (b64.h). */
cJSON *
b64_raw_node(char *buf, size_t got, size_t n)
{
	size_t total = B64_LEN(n) + 8, len = B64_LEN(got);
	cJSON *node;

	if ((node = cJSON_CreateRaw("")) == NULL) {
		cJSON_free(buf);
		return NULL;
	}
	b64_encode(buf + 1, (unsigned char *)buf + (total - n), got);
	buf[0] = '"';
	buf[len + 1] = '"';
	buf[len + 2] = '\0';
	cJSON_free(node->valuestring);
	node->valuestring = buf;
	return node;
}

cJSON *
b64_node(const void *p, size_t n)
{
	unsigned char *in;
	char *buf;

	if ((buf = b64_raw_alloc(n, &in)) == NULL) {
		return NULL;
	}
	memcpy(in, p, n);
	return b64_raw_node(buf, n, n);
}
