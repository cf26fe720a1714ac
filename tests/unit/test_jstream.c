/*
 * test_jstream.c: the qemu-ga framer fed whole, split at every byte
 * position, and one byte at a time; each way must give the same messages
 * and errors.  Garbage, 0xFF resync, limits, nesting, invalid UTF-8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../proto/jstream.h"

static int	failed;

#define MAXEV	16

struct ev {
	int	n;
	int	type[MAXEV];
	char	*text[MAXEV];
	size_t	big_off[MAXEV], big_len[MAXEV];	/* longest plain string */
};

static void
ev_free(struct ev *e)
{
	int i;

	for (i = 0; i < e->n; i++) {
		free(e->text[i]);
	}
	e->n = 0;
}

static void
drain(struct jstream *js, struct ev *e)
{
	const char *p;
	size_t n;
	int t;

	while ((t = js_next(js, &p, &n)) != JS_NONE) {
		if (e->n < MAXEV) {
			e->type[e->n] = t;
			e->text[e->n] = strndup(p, n > 200 ? 200 : n);
			e->big_off[e->n] = t == JS_MSG ? js->big_off : 0;
			e->big_len[e->n] = t == JS_MSG ? js->big_len : 0;
			if (e->big_len[e->n] == 0) {
				e->big_off[e->n] = 0;
			}
		}
		e->n++;
	}
}

/* Feed in pieces of `step` bytes (0: whole; -1: split once at `at`;
 * -2: 7-byte pieces read in place through js_space). */
static void
run(const char *in, size_t len, long step, size_t at, struct ev *e)
{
	struct jstream js;
	size_t i, k;

	js_init(&js);
	e->n = 0;
	if (step == -1) {
		js_feed(&js, in, at);
		drain(&js, e);
		js_feed(&js, in + at, len - at);
		drain(&js, e);
	} else if (step == -2) {
		for (i = 0; i < len; i += k) {
			size_t room;
			char *sp = js_space(&js, &room);

			k = len - i < 7 ? len - i : 7;
			if (sp == NULL || room < 65536) {
				printf("FAIL js_space: %zu bytes\n", room);
				failed++;
				break;
			}
			memcpy(sp, in + i, k);
			js_feed(&js, sp, k);
			drain(&js, e);
		}
	} else {
		k = step == 0 ? len : (size_t)step;
		for (i = 0; i < len; i += k) {
			js_feed(&js, in + i, len - i < k ? len - i : k);
			drain(&js, e);
		}
	}
	if (js_held(&js) > 64) {
		printf("FAIL held: %zu bytes left after input\n", js_held(&js));
		failed++;
	}
	js_reset(&js);
}

static int
same(const struct ev *a, const struct ev *b)
{
	int i;

	if (a->n != b->n) {
		return 0;
	}
	for (i = 0; i < a->n && i < MAXEV; i++) {
		if (a->type[i] != b->type[i] || strcmp(a->text[i], b->text[i]) ||
		    a->big_off[i] != b->big_off[i] ||
		    a->big_len[i] != b->big_len[i]) {
			return 0;
		}
	}
	return 1;
}

static void
show(const char *what, const struct ev *e)
{
	int i;

	printf("  %s: %d events:", what, e->n);
	for (i = 0; i < e->n && i < MAXEV; i++) {
		printf(" [%s %s]", e->type[i] == JS_MSG ? "MSG" : "ERR",
		    e->text[i]);
	}
	printf("\n");
}

/* want: "M:text" or "E:text" entries, NULL-terminated. */
static void
check(const char *name, const char *in, size_t len, const char *const *want)
{
	struct ev whole, e;
	size_t at;
	int i, ok = 1;

	run(in, len, 0, 0, &whole);
	for (i = 0; want[i] != NULL; i++) {
		if (i >= whole.n || i >= MAXEV ||
		    whole.type[i] != (want[i][0] == 'M' ? JS_MSG : JS_ERR) ||
		    strcmp(whole.text[i], want[i] + 2) != 0) {
			ok = 0;
		}
	}
	if (i != whole.n) {
		ok = 0;
	}
	if (!ok) {
		printf("FAIL %s: whole input\n", name);
		show("got", &whole);
		failed++;
		ev_free(&whole);
		return;
	}
	for (at = 0; at <= len && ok; at++) {
		run(in, len, -1, at, &e);
		if (!same(&whole, &e)) {
			printf("FAIL %s: split at %zu\n", name, at);
			show("got", &e);
			ok = 0;
			failed++;
		}
		ev_free(&e);
	}
	if (ok) {
		run(in, len, 1, 0, &e);
		if (!same(&whole, &e)) {
			printf("FAIL %s: byte at a time\n", name);
			show("got", &e);
			ok = 0;
			failed++;
		}
		ev_free(&e);
	}
	if (ok) {
		run(in, len, -2, 0, &e);
		if (!same(&whole, &e)) {
			printf("FAIL %s: read in place (js_space)\n", name);
			show("got", &e);
			ok = 0;
			failed++;
		}
		ev_free(&e);
	}
	if (ok) {
		printf("PASS jstream %s\n", name);
	}
	ev_free(&whole);
}

#define CHECK(name, in, ...) do {					\
	static const char *const w_[] = { __VA_ARGS__, NULL };		\
	check(name, in, sizeof(in) - 1, w_);				\
} while (0)

static char *
repeat(const char *pre, int c, size_t n, const char *post, size_t *len)
{
	size_t a = strlen(pre), b = strlen(post);
	char *s = malloc(a + n + b + 1);

	memcpy(s, pre, a);
	memset(s + a, c, n);
	memcpy(s + a + n, post, b + 1);
	*len = a + n + b;
	return s;
}

/* The longest plain "..." string of each message, and the 8-byte scan. */
static void
span_cases(void)
{
	static const struct {
		const char	*name, *in;
		const char	*want;	/* the span's text (NULL: none) */
	} c[] = {
		{ "span: longest plain value",
		  "{\"a\":\"xy\",\"b\":\"ABCDEFGHIJKLMNOP\",\"c\":\"z\"}", "ABCDEFGHIJKLMNOP" },
		{ "span: escapes and UTF-8 are not plain",
		  "{\"a\":\"abc\",\"b\":\"ABCDEFGH\\/IJKLMNOP\","
		  "\"c\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", "abc" },
		{ "span: single quotes: none",
		  "{'a':'ABCDEFGHIJKLMNOP'}", NULL },
		{ "span: a key counts too",
		  "{\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\":1}", "ABCDEFGHIJKLMNOPQRSTUVWXYZ" },
		{ "span: empty strings", "{\"\":\"\"}", NULL },
	};
	struct ev e;
	size_t i;
	char name[80], msg[200];
	const char *specials = "\"\\\x7f\x80\x01'";
	size_t k, x;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const char *w[] = { msg, NULL };
		size_t off = c[i].want ? strstr(c[i].in, c[i].want) - c[i].in : 0;
		size_t len = c[i].want ? strlen(c[i].want) : 0;

		snprintf(msg, sizeof(msg), "M:%s", c[i].in);
		if (c[i].in[1] == '\'') {	/* rewritten to "..." */
			snprintf(msg, sizeof(msg), "M:{\"a\":\"ABCDEFGHIJKLMNOP\"}");
		}
		check(c[i].name, c[i].in, strlen(c[i].in), w);
		run(c[i].in, strlen(c[i].in), 0, 0, &e);
		if (e.n == 1 && e.big_off[0] == off && e.big_len[0] == len) {
			printf("PASS jstream %s: offset and length\n", c[i].name);
		} else {
			printf("FAIL jstream %s: got %zu+%zu\n", c[i].name,
			    e.n ? e.big_off[0] : 0, e.n ? e.big_len[0] : 0);
			failed++;
		}
		ev_free(&e);
	}
	/* Each special byte at every offset of an 8-byte word: the word scan
	 * must stop exactly where the byte scan does (compared by check). */
	for (x = 0; specials[x] != '\0'; x++) {
		for (k = 0; k < 18; k++) {
			struct ev whole;
			size_t n = 0;

			n += snprintf(msg + n, sizeof(msg) - n, "{\"a\":\"");
			memset(msg + n, 'Q', k);
			n += k;
			msg[n++] = specials[x];
			if (specials[x] == '\\') {
				msg[n++] = 'n';
			}
			if (specials[x] == '"') {
				n += snprintf(msg + n, sizeof(msg) - n, "}");
			} else {
				n += snprintf(msg + n, sizeof(msg) - n,
				    "QQQQQQQQQQ\"}");
			}
			msg[n] = '\0';
			snprintf(name, sizeof(name), "scan: byte 0x%02x after %zu",
			    (unsigned char)specials[x], k);
			{
				struct ev b;
				int good;

				run(msg, n, 0, 0, &whole);
				run(msg, n, 1, 0, &b);
				good = same(&whole, &b);
				if (!good) {
					printf("FAIL jstream %s\n", name);
					show("whole", &whole);
					show("bytes", &b);
					failed++;
				}
				ev_free(&b);
				ev_free(&whole);
			}
		}
	}
	printf("PASS jstream scan: specials at every word offset\n");
}

static void
big_cases(void)
{
	const char *const w_deep[] = { "E:JSON nesting depth limit exceeded",
	    "M:{\"a\":1}", NULL };
	const char *const w_size[] = { "E:JSON token size limit exceeded",
	    "M:{\"execute\":\"guest-ping\"}", NULL };
	struct ev e;
	size_t len, n;
	char *s, *t;
	int i;

	/* 1025 [ then 1025 ]: one error, no cascade, then the next one. */
	s = malloc(4000);
	n = 0;
	for (i = 0; i < 1025; i++) s[n++] = '[';
	for (i = 0; i < 1025; i++) s[n++] = ']';
	strcpy(s + n, "{\"a\":1}");
	check("depth 1025", s, strlen(s), w_deep);
	/* exactly 1024 is allowed */
	n = 0;
	for (i = 0; i < 1024; i++) s[n++] = '[';
	for (i = 0; i < 1024; i++) s[n++] = ']';
	s[n] = '\0';
	run(s, n, 0, 0, &e);
	if (e.n == 1 && e.type[0] == JS_MSG) {
		printf("PASS jstream depth 1024 accepted\n");
	} else {
		printf("FAIL jstream depth 1024 accepted\n");
		failed++;
	}
	ev_free(&e);
	free(s);

	/* A 65 MiB string: one error, memory given back, stream goes on. */
	s = repeat("{\"execute\":\"", 'A', 65u << 20,
	    "\"}{\"execute\":\"guest-ping\"}", &len);
	run(s, len, 0, 0, &e);
	for (i = 0, n = 0; i < e.n; i++) {
		n += e.type[i] == JS_MSG;
	}
	if (e.n == 2 && strcmp(e.text[0], w_size[0] + 2) == 0 &&
	    strcmp(e.text[1], w_size[1] + 2) == 0) {
		printf("PASS jstream oversized whole\n");
	} else {
		printf("FAIL jstream oversized whole\n");
		show("got", &e);
		failed++;
	}
	ev_free(&e);
	run(s, len, 65521, 0, &e);	/* odd-sized reads */
	if (e.n == 2 && e.type[0] == JS_ERR && e.type[1] == JS_MSG) {
		printf("PASS jstream oversized in 64K reads\n");
	} else {
		printf("FAIL jstream oversized in 64K reads\n");
		show("got", &e);
		failed++;
	}
	ev_free(&e);
	free(s);

	/* 2.1 Mi tokens: the count limit, then recovery. */
	n = 2200000;
	t = malloc(n * 2 + 64);
	len = 0;
	t[len++] = '[';
	for (i = 0; i < (int)n; i++) {
		t[len++] = '1';
		t[len++] = ',';
	}
	t[len++] = '1';
	t[len++] = ']';
	memcpy(t + len, "{\"a\":1}", 7);
	len += 7;
	run(t, len, 0, 0, &e);
	if (e.n == 2 && e.type[0] == JS_ERR &&
	    strcmp(e.text[0], "JSON token count limit exceeded") == 0 &&
	    e.type[1] == JS_MSG) {
		printf("PASS jstream token count limit\n");
	} else {
		printf("FAIL jstream token count limit\n");
		show("got", &e);
		failed++;
	}
	ev_free(&e);
	free(t);
}

int
main(void)
{
	span_cases();
	CHECK("one request", "{\"execute\":\"guest-ping\"}",
	    "M:{\"execute\":\"guest-ping\"}");
	CHECK("two in one write, with newlines",
	    "{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":1}}\n"
	    "{\"execute\":\"guest-ping\"}\n",
	    "M:{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":1}}",
	    "M:{\"execute\":\"guest-ping\"}");
	CHECK("brackets and escapes in strings",
	    "{\"a\":\"}{\\\"\\\\\",\"b\":[1,{\"c\":\"]\\u005d\"}]}",
	    "M:{\"a\":\"}{\\\"\\\\\",\"b\":[1,{\"c\":\"]\\u005d\"}]}");
	CHECK("garbage between messages", "{\"x\":1} @@@ {\"y\":2}",
	    "M:{\"x\":1}", "E:JSON parse error, stray '@'", "M:{\"y\":2}");
	CHECK("0xFF flushes a partial message",
	    "{\"execute\":\xff{\"execute\":\"guest-ping\"}",
	    "E:JSON parse error, stray '\xEF\xBF\xBD'",
	    "M:{\"execute\":\"guest-ping\"}");
	CHECK("0xFF then a word is one error", "\xff" "foo\n{\"a\":1}",
	    "E:JSON parse error, stray '\xEF\xBF\xBD'", "M:{\"a\":1}");
	CHECK("0xFE inside a string", "{\"a\":\"x\xfe\"}{\"b\":2}",
	    "E:JSON parse error, stray '\xEF\xBF\xBD'", "M:{\"b\":2}");
	CHECK("invalid keyword", "xyz {\"execute\":\"guest-ping\"}",
	    "E:JSON parse error, invalid keyword 'xyz'",
	    "M:{\"execute\":\"guest-ping\"}");
	CHECK("invalid keyword inside", "{\"a\":nul}{\"b\":true}",
	    "E:JSON parse error, invalid keyword 'nul'", "M:{\"b\":true}");
	CHECK("invalid UTF-8", "{\"a\":\"\xc3\x28\"}{\"b\":\"\xc3\xa9\"}",
	    "E:JSON parse error, invalid UTF-8 sequence in string",
	    "M:{\"b\":\"\xc3\xa9\"}");
	CHECK("overlong and surrogate UTF-8",
	    "{\"a\":\"\xc0\xaf\"}{\"a\":\"\xed\xa0\x80\"}{\"c\":\"\xf0\x9f\x98\x80\"}",
	    "E:JSON parse error, invalid UTF-8 sequence in string",
	    "E:JSON parse error, invalid UTF-8 sequence in string",
	    "M:{\"c\":\"\xf0\x9f\x98\x80\"}");
	CHECK("single quotes", "{'execute':'guest-ping','x':'a\"b\\'c'}",
	    "M:{\"execute\":\"guest-ping\",\"x\":\"a\\\"b'c\"}");
	CHECK("top-level scalars", "42 \"abc\" true [1,2]",
	    "M:42", "M:\"abc\"", "M:true", "M:[1,2]");
	CHECK("stray closers", "} ] {\"a\":1}",
	    "E:JSON parse error, expecting value",
	    "E:JSON parse error, expecting value", "M:{\"a\":1}");
	CHECK("lexical error inside a message is one error",
	    "{\"a\": @, \"b\": [1]}{\"c\":1}",
	    "E:JSON parse error, stray '@'", "M:{\"c\":1}");
	CHECK("control character in a string",
	    "{\"a\":\"x\x01y\"}{\"c\":1}",
	    "E:JSON parse error, stray '\"x\x01'", "M:{\"c\":1}");
	CHECK("bad number", "{\"a\":-}{\"c\":1}",
	    "E:JSON parse error, stray '-'", "M:{\"c\":1}");
	CHECK("whitespace only", " \n\r\t ", NULL);
	CHECK("numbers", "{\"id\":-9223372036854775808,\"x\":1.5e3}",
	    "M:{\"id\":-9223372036854775808,\"x\":1.5e3}");
	big_cases();
	return failed ? 1 : 0;
}
