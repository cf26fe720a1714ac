/*
 * fuzz_b64.c: qemu-ga's base64 decoder on arbitrary text (NUL-terminated
 * copy, as cJSON hands strings over), and encode -> decode of whatever it
 * produced must give the same bytes back, through the in-place encoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/b64.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *out, *back;
	size_t n, m;
	char *s;
	cJSON *node;
	int bad;

	if ((s = malloc(size + 1)) == NULL) {
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	out = b64_decode(s, strlen(s), &n, &bad);
	free(s);
	if (out == NULL) {
		return 0;
	}
	if ((node = b64_node(out, n)) != NULL) {
		/* "..." around the text */
		s = node->valuestring;
		back = b64_decode(s + 1, strlen(s) - 2, &m, &bad);
		if (back == NULL || m != n || memcmp(back, out, n) != 0) {
			abort();
		}
		free(back);
		cJSON_Delete(node);
	}
	free(out);
	return 0;
}
