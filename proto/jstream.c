/*
 * jstream.c: the qemu-ga input framer, a byte-at-a-time lexer that finds
 * message boundaries by bracket balance, as QEMU's json-lexer.c and
 * json-streamer.c do (qemu-ga.md 2.2, 2.6, 2.7):
 * - a lexical error answers "JSON parse error, stray '<token>'" and the
 *   lexer skips input until a structural character, a control character
 *   other than TAB, or 0xFE/0xFF (QEMU's IN_RECOVERY); 0xFE/0xFF always
 *   error and always reset, which is how clients flush a partial message;
 * - problems found only by parsing (a bad keyword, invalid UTF-8) are kept
 *   and reported once the message is complete;
 * - over a limit (64 MiB, 2 Mi tokens, depth 1024) the message gets one
 *   error and the rest of it is dropped as it arrives, so neither memory
 *   nor a cascade of errors follows (QEMU answers with a cascade);
 * - a lexical error inside a message likewise costs one error, not one per
 *   closing bracket.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "jstream.h"

enum { ST_START, ST_STR, ST_ESC, ST_UHEX, ST_NUM, ST_KW, ST_RECOVER };

#define E_PREFIX	"JSON parse error, "

void
js_init(struct jstream *js)
{
	memset(js, 0, sizeof(*js));
	js->in.max = 0;
}

void
js_reset(struct jstream *js)
{
	buf_reset(&js->in);
	buf_reset(&js->alt);
	js_init(js);
}

size_t
js_held(const struct jstream *js)
{
	return buf_size(&js->in);
}

int
js_feed(struct jstream *js, const char *p, size_t n)
{
	struct buf *b = &js->in;

	if (b->p != NULL && p == b->p + b->len && n <= b->cap - b->len) {
		b->len += n;		/* read in place (js_space) */
		return 0;
	}
	return buf_append(b, p, n);
}

/* At least 64 KiB, more when a large message keeps a large buffer. */
char *
js_space(struct jstream *js, size_t *n)
{
	struct buf *b = &js->in;

	if (buf_reserve(b, 65536) == -1) {
		return NULL;
	}
	*n = b->cap - b->len;
	return b->p + b->len;
}

static void
msg_begin(struct jstream *js)
{
	js->in_msg = 1;
	js->mstart = js->pos;
	js->tokens = 0;
	js->depth = 0;
	js->err = NULL;
	js->squote = 0;
	js->skip = 0;
	js->big_len = 0;
}

static void
msg_clear(struct jstream *js)
{
	js->in_msg = 0;
	js->skip = 0;
	js->depth = 0;
	js->err = NULL;
}

/* Record a parse-level problem; the first one is reported. */
static void
msg_err(struct jstream *js, const char *e)
{
	if (js->err == NULL) {
		js->err = e;
	}
}

static int
is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
num_ok(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-') {
		i++;
	}
	if (i >= n) {
		return 0;
	}
	if (s[i] == '0') {
		i++;
	} else {
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			;
		}
		if (i == d) {
			return 0;
		}
	}
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			;
		}
		if (i == d) {
			return 0;
		}
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-')) {
			i++;
		}
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			;
		}
		if (i == d) {
			return 0;
		}
	}
	return i == n;
}

/*
 * A lexical error on the token [tstart, pos].  0xFE/0xFF and errors outside
 * a message reset everything and recover QEMU's way; inside a message the
 * rest of it is skipped quietly.  Returns 1 if an error is to be reported.
 */
static int
lex_error(struct jstream *js, int reset)
{
	const unsigned char *d = (const unsigned char *)buf_data(&js->in);
	size_t n = js->pos + 1 - js->tstart;
	int c = d[js->pos];

	js->pos++;
	if (c == 0xFE || c == 0xFF) {
		snprintf(js->errbuf, sizeof(js->errbuf),
		    E_PREFIX "stray '\xEF\xBF\xBD'");	/* U+FFFD */
		msg_clear(js);
		js->state = ST_RECOVER;
		js->after_err = 1;
		return 1;
	}
	if (js->skip) {			/* already answered: keep quiet */
		js->state = js->state == ST_NUM || js->state == ST_KW ||
		    js->state == ST_START ? ST_START : ST_STR;
		return 0;
	}
	if (n > 32) {
		n = 32;
	}
	snprintf(js->errbuf, sizeof(js->errbuf), E_PREFIX "stray '%.*s'",
	    (int)n, (const char *)d + js->tstart);
	if (reset || js->depth == 0) {
		msg_clear(js);
		js->state = ST_RECOVER;
		js->after_err = 1;
	} else {
		js->skip = 1;
		js->state = js->state == ST_NUM || js->state == ST_KW ||
		    js->state == ST_START ? ST_START : ST_STR;
	}
	return 1;
}

/* Over a limit: one error now, then drop the message as it arrives. */
static int
limit_error(struct jstream *js, const char *what)
{
	snprintf(js->errbuf, sizeof(js->errbuf), "%s", what);
	js->skip = 1;
	return 1;
}

/* Turn '...' strings into "..." so cJSON can read the message. */
static int
rewrite_quotes(struct jstream *js, const char *s, size_t n)
{
	struct buf *o = &js->alt;
	char q = 0;
	size_t i;

	o->off = o->len = 0;
	if (buf_reserve(o, n + n / 8 + 16) == -1) {
		return -1;
	}
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (q == 0) {
			if (c == '\'' || c == '"') {
				q = c;
				c = '"';
			}
		} else if (c == '\\' && i + 1 < n) {
			if (q == '\'' && s[i + 1] == '\'') {
				c = '\'';
				i++;
			} else {
				if (buf_append(o, &s[i], 2) == -1) {
					return -1;
				}
				i++;
				continue;
			}
		} else if (c == q) {
			q = 0;
			c = '"';
		} else if (c == '"' && q == '\'') {
			if (buf_append(o, "\\\"", 2) == -1) {
				return -1;
			}
			continue;
		}
		if (buf_append(o, &c, 1) == -1) {
			return -1;
		}
	}
	return 0;
}

/* A token ended at depth 0 or a bracket closed the message. */
static int
msg_end(struct jstream *js, const char **p, size_t *n)
{
	const char *d = buf_data(&js->in) + js->mstart;
	size_t len = js->pos - js->mstart;
	int skip = js->skip;

	js->in_msg = 0;
	js->skip = 0;
	if (skip) {
		return JS_NONE;
	}
	if (js->err != NULL) {
		*p = js->err;
		*n = strlen(js->err);
		return JS_ERR;
	}
	if (js->squote) {
		js->big_len = 0;
		if (rewrite_quotes(js, d, len) == -1) {
			*p = "JSON token size limit exceeded";
			*n = strlen(*p);
			return JS_ERR;
		}
		d = buf_data(&js->alt);
		len = buf_size(&js->alt);
	}
	*p = d;
	*n = len;
	return JS_MSG;
}

/* UTF-8 inside a string: lead byte sets how many and which bytes follow. */
static void
utf8_lead(struct jstream *js, int c)
{
	js->u8lo = 0x80;
	js->u8hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		js->u8need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		js->u8need = 2;
		if (c == 0xE0) {
			js->u8lo = 0xA0;
		} else if (c == 0xED) {
			js->u8hi = 0x9F;	/* no UTF-16 surrogates */
		}
	} else if (c >= 0xF0 && c <= 0xF4) {
		js->u8need = 3;
		if (c == 0xF0) {
			js->u8lo = 0x90;
		} else if (c == 0xF4) {
			js->u8hi = 0x8F;
		}
	} else {
		msg_err(js, E_PREFIX "invalid UTF-8 sequence in string");
	}
}

/* One byte in a string, escape or \u; returns -1 on a lexical error. */
static int
lex_string(struct jstream *js, int c)
{
	switch (js->state) {
	case ST_ESC:
		if (c == 'u') {
			js->state = ST_UHEX;
			js->uleft = 4;
		} else if (strchr("bfnrt/\\\"'", c) != NULL && c != '\0') {
			js->state = ST_STR;
		} else {
			return -1;
		}
		return 0;
	case ST_UHEX:
		if (!is_hex(c)) {
			return -1;
		}
		if (--js->uleft == 0) {
			js->state = ST_STR;
		}
		return 0;
	}
	if (js->u8need > 0) {
		if (c >= js->u8lo && c <= js->u8hi) {
			js->u8need--;
			js->u8lo = 0x80;
			js->u8hi = 0xBF;
			return 0;
		}
		js->u8need = 0;
		msg_err(js, E_PREFIX "invalid UTF-8 sequence in string");
	}
	if (c == js->quote) {
		js->state = ST_START;
		if (js->strplain && js->pos - js->tstart - 1 > js->big_len) {
			js->big_off = js->tstart + 1 - js->mstart;
			js->big_len = js->pos - js->tstart - 1;
		}
		return 1;		/* token complete */
	}
	js->strplain = 0;
	if (c == '\\') {
		js->state = ST_ESC;
	} else if (c < 0x20) {
		return -1;
	} else if (c >= 0x80) {
		utf8_lead(js, c);
	}
	return 0;
}

/* A byte in ST_START: 1 if a message is complete, -1 lexical error. */
static int
lex_start(struct jstream *js, int c)
{
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
		js->pos++;
		return 0;
	}
	if (!js->in_msg) {
		msg_begin(js);
	}
	js->tstart = js->pos;
	if (c == '{' || c == '[') {
		js->after_err = 0;
		js->pos++;
		if (++js->depth > JS_MAX_DEPTH && !js->skip) {
			return 3;
		}
		return ++js->tokens > JS_MAX_TOKENS && !js->skip ? 2 : 0;
	}
	if (c == '}' || c == ']' || c == ',' || c == ':') {
		js->pos++;
		if (js->depth == 0 && js->after_err) {
			js->in_msg = 0;	/* the tail of a broken message */
			return 0;
		}
		if (js->depth == 0) {	/* a stray one is a message of its own */
			msg_err(js, E_PREFIX "expecting value");
			return 1;
		}
		if (c == '}' || c == ']') {
			return --js->depth == 0 ? 1 : 0;
		}
		return 0;
	}
	js->after_err = 0;
	if (c == '"' || c == '\'') {
		js->quote = c;
		js->squote |= c == '\'';
		js->strplain = c == '"';
		js->u8need = 0;
		js->state = ST_STR;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		js->state = ST_NUM;
	} else if (c >= 'a' && c <= 'z') {
		js->state = ST_KW;
	} else {
		return -1;
	}
	js->pos++;
	return ++js->tokens > JS_MAX_TOKENS && !js->skip ? 2 : 0;
}

/* A number or keyword ended just before pos. */
static int
token_end(struct jstream *js)
{
	const char *t = buf_data(&js->in) + js->tstart;
	size_t n = js->pos - js->tstart;

	if (js->skip) {		/* text may be gone; nothing to report */
		js->state = ST_START;
	} else if (js->state == ST_NUM) {
		js->state = ST_START;
		if (!num_ok(t, n)) {
			js->pos--;	/* report the token, not the next byte */
			return -1;
		}
	} else {
		js->state = ST_START;
		if (!(n == 4 && memcmp(t, "true", 4) == 0) &&
		    !(n == 5 && memcmp(t, "false", 5) == 0) &&
		    !(n == 4 && memcmp(t, "null", 4) == 0) && js->err == NULL) {
			snprintf(js->errbuf, sizeof(js->errbuf),
			    E_PREFIX "invalid keyword '%.*s'",
			    n > 40 ? 40 : (int)n, t);
			js->err = js->errbuf;
		}
	}
	return js->depth == 0 ? 1 : 0;
}

static void
js_compact(struct jstream *js)
{
	size_t drop = js->in_msg && !js->skip ? js->mstart : js->pos;

	if (drop > 0 && drop == buf_size(&js->in) && !js->in_msg &&
	    js->in.cap <= JS_KEEP_MAX) {
		/* Emptied: keep the pages for the next large request (a
		 * fresh page fault costs more than the copy); js_trim gives
		 * them back once the host goes quiet. */
		js->in.off = js->in.len = 0;
	} else {
		buf_consume(&js->in, drop);
	}
	js->pos -= drop;
	js->mstart -= drop > js->mstart ? js->mstart : drop;
	js->tstart -= drop > js->tstart ? js->tstart : drop;
}

/*
 * The end of a run of printable ASCII other than '\\' and the quote, eight
 * bytes at a time (a 4 MiB base64 write is one such run).
 */
#define ONES		0x0101010101010101ull
#define HASZERO(w)	(((w) - ONES) & ~(w) & (ONES * 0x80))
#define HASLESS(w, c)	(((w) - ONES * (c)) & ~(w) & (ONES * 0x80))

static size_t
plain_run(const unsigned char *d, size_t i, size_t lim, unsigned char q)
{
	uint64_t w;

	for (; i + 8 <= lim; i += 8) {
		memcpy(&w, d + i, 8);
		if ((w & (ONES * 0x80)) | HASLESS(w, 0x20) |
		    HASZERO(w ^ (ONES * 0x7F)) | HASZERO(w ^ (ONES * '\\')) |
		    HASZERO(w ^ (ONES * q))) {
			break;
		}
	}
	while (i < lim && d[i] >= 0x20 && d[i] < 0x7F && d[i] != '\\' &&
	    d[i] != q) {
		i++;
	}
	return i;
}

int
js_next(struct jstream *js, const char **p, size_t *n)
{
	const unsigned char *d;
	size_t size;
	int c, r;

	if (!js->in_msg && js->pos > 0) {
		js_compact(js);		/* drop the message handed out last */
	}
	d = (const unsigned char *)buf_data(&js->in);
	size = buf_size(&js->in);
	while (js->pos < size) {
		if (js->in_msg && !js->skip &&
		    js->pos - js->mstart >= JS_MAX_SIZE) {
			limit_error(js, "JSON token size limit exceeded");
			*p = js->errbuf;
			*n = strlen(js->errbuf);
			return JS_ERR;
		}
		c = d[js->pos];
		r = 0;
		switch (js->state) {
		case ST_RECOVER:
			if (c == 0xFE || c == 0xFF || (c < 0x20 && c != '\t') ||
			    strchr("{}[],:", c) != NULL) {
				js->state = ST_START;
			} else {
				js->pos++;
			}
			continue;
		case ST_START:
			if (c == 0xFE || c == 0xFF) {
				r = -1;
				break;
			}
			r = lex_start(js, c);
			break;
		case ST_STR:
			/*
			 * Runs of plain ASCII inside a string (base64 for
			 * guest-file-write) skip the per-byte state machine.
			 */
			if (js->u8need == 0) {
				size_t lim = size;

				if (js->in_msg && !js->skip &&
				    js->mstart + JS_MAX_SIZE < lim) {
					lim = js->mstart + JS_MAX_SIZE;
				}
				js->pos = plain_run(d, js->pos, lim,
				    (unsigned char)js->quote);
				if (js->pos >= lim) {
					continue;
				}
				c = d[js->pos];
			}
			/* FALLTHROUGH */
		case ST_ESC:
		case ST_UHEX:
			if (c == 0xFE || c == 0xFF) {
				r = -1;
				break;
			}
			r = lex_string(js, c);
			if (r >= 0) {
				js->pos++;
				r = (r == 1 && js->depth == 0) ? 1 : 0;
			}
			break;
		case ST_NUM:
			if ((c >= '0' && c <= '9') || c == '.' || c == 'e' ||
			    c == 'E' || c == '+' || c == '-') {
				js->pos++;
				continue;
			}
			r = token_end(js);
			break;
		case ST_KW:
			if (c >= 'a' && c <= 'z') {
				js->pos++;
				continue;
			}
			r = token_end(js);
			break;
		}
		if (r == -1) {
			if (lex_error(js, 0)) {
				*p = js->errbuf;
				*n = strlen(js->errbuf);
				return JS_ERR;
			}
			continue;
		}
		if (r == 2 || r == 3) {
			limit_error(js, r == 2 ? "JSON token count limit "
			    "exceeded" : "JSON nesting depth limit exceeded");
			*p = js->errbuf;
			*n = strlen(js->errbuf);
			return JS_ERR;
		}
		if (r == 1) {
			r = msg_end(js, p, n);
			if (r != JS_NONE) {
				return r;
			}
			continue;
		}
	}
	js_compact(js);
	return JS_NONE;
}

const char *
js_open_plain(const struct jstream *js, size_t *off, size_t *len)
{
	if (!js->in_msg || js->skip || js->state != ST_STR || !js->strplain ||
	    js->pos <= js->tstart) {
		return NULL;
	}
	*off = js->tstart + 1 - js->mstart;
	*len = js->pos - js->tstart - 1;
	return buf_data(&js->in) + js->tstart + 1;
}

/* Give back memory kept after large messages, if nothing is pending. */
void
js_trim(struct jstream *js)
{
	if (buf_size(&js->in) == 0 && !js->in_msg) {
		buf_reset(&js->in);
		js->pos = js->mstart = js->tstart = 0;
	}
	buf_reset(&js->alt);
}

