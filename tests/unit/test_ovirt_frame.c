/*
 * test_ovirt_frame.c: the oVirt line framer and sanitiser: every split
 * position, one byte at a time, garbage between lines, over-long lines
 * dropped to their newline, and VDSM's character filter (ovirt.md 3.4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../proto/json.h"
#include "../../proto/ovirt_frame.h"

static int	failed;

static void
ok(const char *name, int cond, const char *detail)
{
	if (cond) {
		printf("PASS %s\n", name);
	} else {
		printf("FAIL %s: %s\n", name, detail);
		failed++;
	}
}

/* Collected lines, joined as "<line>|" for comparison. */
static char	got[1 << 16];

static void
collect(void *arg, const char *p, size_t n)
{
	size_t len = strlen(got);

	(void)arg;
	if (len + n + 2 < sizeof(got)) {
		memcpy(got + len, p, n);
		got[len + n] = '|';
		got[len + n + 1] = '\0';
	}
}

static void
run(struct ovf *f, const char *in, size_t n, size_t split, int bytewise)
{
	size_t i;

	got[0] = '\0';
	ovf_reset(f);
	if (bytewise) {
		for (i = 0; i < n; i++) {
			ovf_feed(f, in + i, 1, collect, NULL);
		}
		return;
	}
	ovf_feed(f, in, split, collect, NULL);
	ovf_feed(f, in + split, n - split, collect, NULL);
}

static void
test_splits(void)
{
	static const char in[] =
	    "{\"__name__\":\"refresh\",\"apiVersion\":3}\n"
	    "\n"
	    "garbage \x01\xff\xfe not json\n"
	    "{\"__name__\":\"echo\",\"x\":\"a\\nb\"}\r\n"
	    "{\"__name__\":\"lock-screen\"}\n"
	    "partial";
	static const char want[] =
	    "{\"__name__\":\"refresh\",\"apiVersion\":3}|"
	    "|"
	    "garbage \x01\xff\xfe not json|"
	    "{\"__name__\":\"echo\",\"x\":\"a\\nb\"}\r|"
	    "{\"__name__\":\"lock-screen\"}|";
	struct ovf f;
	size_t n = sizeof(in) - 1, s;
	int bad = 0;
	char d[128] = "";

	ovf_init(&f, 256);
	for (s = 0; s <= n; s++) {
		run(&f, in, n, s, 0);
		if (strcmp(got, want) != 0 || buf_size(&f.in) != 7) {
			if (!bad) {
				snprintf(d, sizeof(d), "split at %zu", s);
			}
			bad++;
		}
	}
	ok("ovirt_frame.split_every_position", bad == 0, d);
	run(&f, in, n, 0, 1);
	ok("ovirt_frame.byte_at_a_time", strcmp(got, want) == 0, got);
	ovf_reset(&f);
	ok("ovirt_frame.reset_drops_partial", buf_size(&f.in) == 0, "");
	ovf_reset(&f);
	ovf_feed(&f, "abc", 3, collect, NULL);
	ovf_reset(&f);		/* host gone: "abc" must not join "def" */
	got[0] = '\0';
	ovf_feed(&f, "def\n", 4, collect, NULL);
	ok("ovirt_frame.reset_between_hosts", strcmp(got, "def|") == 0, got);
	buf_reset(&f.in);
}

static void
test_long(void)
{
	char in[512], want[64], d[256] = "";
	struct ovf f;
	size_t n, s;
	int bad = 0;
	uint64_t before;

	ovf_init(&f, 16);
	/* 16 bytes kept, 17 dropped, then the stream resumes. */
	n = (size_t)snprintf(in, sizeof(in), "%s\n%s\n%s\nok\n",
	    "0123456789abcdef", "0123456789abcdefX",
	    "this line is much too long for the cap of sixteen bytes");
	snprintf(want, sizeof(want), "0123456789abcdef|ok|");
	for (s = 0; s <= n; s++) {
		before = f.dropped;
		run(&f, in, n, s, 0);
		if (strcmp(got, want) != 0 || f.dropped - before != 2) {
			if (!bad) {
				snprintf(d, sizeof(d), "split %zu: %.100s", s, got);
			}
			bad++;
		}
	}
	ok("ovirt_frame.overlong_every_split", bad == 0, d);
	before = f.dropped;
	run(&f, in, n, 0, 1);
	ok("ovirt_frame.overlong_bytewise", strcmp(got, want) == 0 &&
	    f.dropped - before == 2, got);
	ok("ovirt_frame.overlong_memory_bounded", f.in.cap <= 64, "grew");
	/* An over-long line without a newline keeps being dropped. */
	ovf_reset(&f);
	got[0] = '\0';
	for (s = 0; s < 1000; s++) {
		ovf_feed(&f, "xxxxxxxxxx", 10, collect, NULL);
	}
	ovf_feed(&f, "\nafter\n", 7, collect, NULL);
	ok("ovirt_frame.overlong_stream_resumes", strcmp(got, "after|") == 0
	    && buf_size(&f.in) == 0, got);
	buf_reset(&f.in);
}

static void
clean_eq(const char *name, const char *in, const char *want)
{
	char *c = ovf_clean(in), d[256];

	snprintf(d, sizeof(d), "got %s", c ? log_sample(c, strlen(c)) : "NULL");
	ok(name, c != NULL && strcmp(c, want) == 0 && !ovf_dirty(c), d);
	free(c);
}

#define R	"\xEF\xBF\xBD"

static void
test_clean(void)
{
	unsigned char rnd[64];
	char s[65], *c;
	int i, k, bad = 0;

	/* ovirt-guest-agent tests/encoding_test.py, as bytes */
	clean_eq("ovirt_frame.clean_encoding_test",
	    "\x01" "data" "\x01" "test" "\xEF\xBF\xBF" "\xEF\xBF\xBE",
	    R "data" R "test" R R);
	clean_eq("ovirt_frame.clean_nonchar_3byte", "x\xEF\xBF\xBFy", "x" R "y");
	clean_eq("ovirt_frame.clean_surrogates", "a\xED\xA0\x80z",
	    "a" R R R "z");
	clean_eq("ovirt_frame.clean_c1", "\xC2\x80\xC2\x85\xC2\x9F\x7F",
	    R "\xC2\x85" R R);
	clean_eq("ovirt_frame.clean_keeps_tab_lf_cr", "a\tb\nc\rd",
	    "a\tb\nc\rd");
	clean_eq("ovirt_frame.clean_keeps_utf8", "caf\xC3\xA9 \xF0\x9F\x98\x80",
	    "caf\xC3\xA9 \xF0\x9F\x98\x80");
	clean_eq("ovirt_frame.clean_invalid", "caf\xC3\xA9 \xFF\xC0\x80\xE2\x82",
	    "caf\xC3\xA9 " R R R R R);
	ok("ovirt_frame.dirty_clean_text", !ovf_dirty("eth0 /mnt/a b"), "");
	srand(1);
	for (i = 0; i < 2000; i++) {
		for (k = 0; k < 64; k++) {
			rnd[k] = (unsigned char)(rand() % 255 + 1);
		}
		memcpy(s, rnd, 64);
		s[64] = '\0';
		c = ovf_clean(s);
		if (c == NULL || ovf_dirty(c)) {
			bad++;
		}
		free(c);
	}
	ok("ovirt_frame.clean_random_is_clean", bad == 0, "dirty output");
}

/* disks-usage sizes past 1e15 and 2^53: plain integers (ovirt.md 3.5). */
static void
test_numbers(void)
{
	static const char want[] = "{\"total\":18446744073709551615,"
	    "\"used\":1000000000000000,\"big\":9007199254740993,"
	    "\"n\":-9223372036854775808}";
	struct buf b = { 0 };
	cJSON *o = cJSON_CreateObject();

	json_add_uint(o, "total", UINT64_MAX);
	json_add_uint(o, "used", 1000000000000000ULL);
	json_add_uint(o, "big", (1ULL << 53) + 1);
	json_add_int(o, "n", INT64_MIN);
	json_write(&b, o, JSON_COMPACT);
	buf_append(&b, "", 1);
	ok("ovirt_frame.sizes_plain_integers", strcmp(buf_data(&b), want) == 0,
	    buf_data(&b));
	cJSON_Delete(o);
	buf_reset(&b);
}

int
main(void)
{
	test_numbers();
	test_splits();
	test_long();
	test_clean();
	return failed ? 1 : 0;
}
