/*
 * fuzz_jstream.c: the qemu-ga framer on arbitrary bytes, fed in pieces
 * whose sizes come from the input itself.
 */
#include <stddef.h>
#include <stdint.h>

#include "../proto/jstream.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jstream js;
	const char *p;
	size_t i = 0, k, n;

	js_init(&js);
	while (i < size) {
		k = 1 + (data[i] % 17);
		if (k > size - i) {
			k = size - i;
		}
		js_feed(&js, (const char *)data + i, k);
		i += k;
		while (js_next(&js, &p, &n) != JS_NONE) {
			if (n > 0 && p[0] == '\0' && p[n - 1] == '\1') {
				return 0;	/* touch every byte handed out */
			}
		}
	}
	js_reset(&js);
	return 0;
}
