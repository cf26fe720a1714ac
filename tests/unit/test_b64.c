/*
 * test_b64.c: proto/b64.c against RFC 4648's vectors, qemu-ga's decode
 * rules (qemu-ga.md 4.8: '\n' accepted and skipped, anything else outside
 * the alphabet refused, an unfinished last group dropped as glib does) and
 * the in-place encoder used for guest-file-read replies, at every length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../proto/b64.h"

static int failed;

static void
ok(const char *name, int cond)
{
	printf("%s %s\n", cond ? "PASS" : "FAIL", name);
	failed |= !cond;
}

static int
dec_is(const char *in, const char *want, size_t wlen)
{
	size_t n;
	int bad;
	unsigned char *p = b64_decode(in, strlen(in), &n, &bad);
	int r = p != NULL && n == wlen && memcmp(p, want, wlen) == 0;

	free(p);
	return r;
}

int
main(void)
{
	static const char *const vec[][2] = { { "", "" }, { "f", "Zg==" },
	    { "fo", "Zm8=" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
	    { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" } };
	unsigned char src[300], *in;
	char out[512], *buf;
	size_t i, n, len;
	int good = 1, bad;
	cJSON *node;

	for (i = 0; i < 7; i++) {
		b64_encode(out, (const unsigned char *)vec[i][0],
		    strlen(vec[i][0]));
		out[B64_LEN(strlen(vec[i][0]))] = '\0';
		good &= strcmp(out, vec[i][1]) == 0;
		good &= dec_is(vec[i][1], vec[i][0], strlen(vec[i][0]));
	}
	ok("b64 RFC 4648 vectors both ways", good);
	ok("b64 MIME newlines skipped", dec_is("Zm9v\nYmFy\n", "foobar", 6));
	ok("b64 unfinished group dropped (glib)", dec_is("Zm9vYg", "foo", 3));
	ok("b64 invalid character refused",
	    b64_decode("Zm9v*", 5, &n, &bad) == NULL && bad == 1);
	ok("b64 space refused", b64_decode("Zm 9v", 5, &n, &bad) == NULL &&
	    bad == 1);
	for (i = 0; i < sizeof(src); i++) {
		src[i] = (unsigned char)(i * 7 + 3);
	}
	good = 1;
	for (len = 0; len <= sizeof(src); len++) {
		buf = b64_raw_alloc(len, &in);
		memcpy(in, src, len);
		node = b64_raw_node(buf, len, len);
		b64_encode(out + 1, src, len);
		out[0] = '"';
		out[B64_LEN(len) + 1] = '"';
		out[B64_LEN(len) + 2] = '\0';
		good &= node != NULL && strcmp(node->valuestring, out) == 0;
		cJSON_Delete(node);
	}
	ok("b64 in-place encoding at every length 0-300", good);
	buf = b64_raw_alloc(100, &in);
	memcpy(in, src, 10);
	node = b64_raw_node(buf, 10, 100);
	b64_encode(out + 1, src, 10);
	out[0] = '"';
	out[B64_LEN(10) + 1] = '"';
	out[B64_LEN(10) + 2] = '\0';
	ok("b64 in-place short read", strcmp(node->valuestring, out) == 0);
	cJSON_Delete(node);
	return failed;
}
