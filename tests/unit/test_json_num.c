/*
 * test_json_num.c: json_int and json_uint keep the exact decimal text of
 * every 64-bit value (the writer prints it), as "%" PRId64 / PRIu64 would.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cJSON.h"
#include "../../proto/json.h"

static int bad;

static void
check(const char *name, cJSON *n, const char *want)
{
	if (n == NULL || n->valuestring == NULL ||
	    strcmp(n->valuestring, want) != 0) {
		printf("FAIL json_num %s: got %s, want %s\n", name,
		    n && n->valuestring ? n->valuestring : "(null)", want);
		bad++;
	} else {
		printf("PASS json_num %s\n", name);
	}
	cJSON_Delete(n);
}

int
main(void)
{
	static const int64_t iv[] = { 0, 1, -1, 9, 10, -10, 4294967296ll,
	    INT64_MAX, INT64_MIN, -9223372036854775807ll };
	static const uint64_t uv[] = { 0, 1, 9, 10, 99, 100, 18446744073709551615ull,
	    9223372036854775808ull, 1000000000000000000ull };
	char want[32], name[48];
	size_t i;

	for (i = 0; i < sizeof(iv) / sizeof(iv[0]); i++) {
		snprintf(want, sizeof(want), "%" PRId64, iv[i]);
		snprintf(name, sizeof(name), "int %s", want);
		check(name, json_int(iv[i]), want);
	}
	for (i = 0; i < sizeof(uv) / sizeof(uv[0]); i++) {
		snprintf(want, sizeof(want), "%" PRIu64, uv[i]);
		snprintf(name, sizeof(name), "uint %s", want);
		check(name, json_uint(uv[i]), want);
	}
	return bad != 0;
}
