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

	/* Decoding over its own input (guest-file-write's big payloads). */
	good = 1;
	for (len = 0; len <= sizeof(src); len++) {
		ssize_t got;

		b64_encode(out, src, len);
		got = b64_decode_to(out, B64_LEN(len), (unsigned char *)out);
		good &= got == (ssize_t)len && memcmp(out, src, len) == 0;
	}
	ok("b64 decode in place at every length 0-300", good);
	strcpy(out, "Zm9v\nYmFy\nYg");
	ok("b64 decode in place: newlines, unfinished group",
	    b64_decode_to(out, strlen(out), (unsigned char *)out) == 6 &&
	    memcmp(out, "foobar", 6) == 0);
	strcpy(out, "Zm9vYmFyZm9vYmFy*A==");
	ok("b64 decode in place: invalid character at the end",
	    b64_decode_to(out, strlen(out), (unsigned char *)out) == -1);
	/* In two steps, as guest-file-write does while a payload arrives. */
	{
		static const char *const two[] = { "Zm9vYmFyZm9v", "Zm9vYg==Zm9v",
		    "Zm9v\nYmFy", "QUJD=QUJD", "Zm9vYmFy" };
		unsigned char a1[64], a2[64];
		size_t used, cut;
		ssize_t w1, w2;

		good = 1;
		for (i = 0; i < 5; i++) {
			for (cut = 0; cut <= strlen(two[i]); cut++) {
				n = b64_decode_groups(two[i], cut, a1, &used);
				w1 = b64_decode_to(two[i] + used,
				    strlen(two[i]) - used, a1 + n);
				w2 = b64_decode_to(two[i], strlen(two[i]), a2);
				good &= used % 4 == 0 && used <= cut &&
				    (w1 == -1 ? w2 == -1 : (ssize_t)n + w1 == w2 &&
				    memcmp(a1, a2, w2) == 0);
			}
		}
		ok("b64 groups then the rest == all at once", good);
	}
	return failed;
}
