/*
 * b64.h: base64 for qemu-ga's buf-b64, input-data, out-data and password.
 * Decoding follows QEMU's util/base64.c (qemu-ga.md 4.8): only A-Z a-z 0-9
 * + / = and \n are accepted, then glib's g_base64_decode rules apply (\n
 * skipped, '=' counts as zero bits, an incomplete last group is dropped).
 */
#ifndef PROTO_B64_H
#define PROTO_B64_H

#include <stddef.h>
#include <sys/types.h>
#include "cJSON.h"

#define B64_BAD_CHARS	"Base64 data contains invalid characters"

/* Encoded length of n bytes (no NUL). */
#define B64_LEN(n)	((((n) + 2) / 3) * 4)

/* Encode n bytes at src into dst (B64_LEN(n) bytes, no NUL written).
 * dst may overlap src if dst + B64_LEN(i) + 4 <= src + i + 3 for every i
 * (b64_raw_node relies on it). */
void	b64_encode(char *dst, const unsigned char *src, size_t n);
/* Decode a NUL-terminated string of length n: a malloc'ed buffer (free()),
 * its length in *out; NULL with *bad = 1 on an invalid character, or with
 * *bad = 0 when out of memory. */
unsigned char *b64_decode(const char *s, size_t n, size_t *out, int *bad);
/* The same into out (n / 4 * 3 + 3 bytes), which may be s itself: output
 * never overtakes input.  The length, or -1 on an invalid character. */
ssize_t	b64_decode_to(const char *s, size_t n, unsigned char *out);
/* Only the leading whole groups of four alphabet characters: bytes out,
 * and in *used the characters taken (b64_decode_to does the rest). */
size_t	b64_decode_groups(const char *s, size_t n, unsigned char *out,
	    size_t *used);

/*
 * A raw cJSON node holding the JSON string "<base64>" built without extra
 * copies: b64_raw_alloc(n) returns a buffer and where to put the n input
 * bytes; b64_raw_node(buf, got) encodes them in place and wraps the buffer.
 */
char	*b64_raw_alloc(size_t n, unsigned char **in);
cJSON	*b64_raw_node(char *buf, size_t got, size_t n);
/* The same for bytes that are somewhere else. */
cJSON	*b64_node(const void *p, size_t n);

#endif
