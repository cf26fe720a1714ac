/*
 * ovirt_frame.c: newline framing for the oVirt channel, and the one
 * sanitiser for every string sent on it.  VDSM (guestagent._parseLine)
 * decodes with 'replace' and then maps XML-illegal code points to U+FFFD;
 * the agent filters the same set first so nothing changes on the host
 * (ovirt.md 3.4).  A read() boundary is never a line boundary.
 */
#include <stdlib.h>
#include <string.h>

#include "ovirt_frame.h"

#define UTF8_REPL	"\xEF\xBF\xBD"	/* U+FFFD */

void
ovf_init(struct ovf *f, size_t max)
{
	memset(f, 0, sizeof(*f));
	f->max = max ? max : OVF_LINE_MAX;
}

void
ovf_reset(struct ovf *f)
{
	buf_reset(&f->in);
	f->skip = 0;
}

/* Logged once, then at debug: a flood must not flood the log. */
static void
ovf_drop(struct ovf *f)
{
	if (f->dropped++ == 0) {
		log_warnx("ovirt: line over %zu bytes dropped", f->max);
	} else {
		log_debug("ovirt: line over %zu bytes dropped", f->max);
	}
}

/* One complete line: either straight from the input or joined in f->in. */
static int
ovf_line(struct ovf *f, const char *p, size_t n, ovf_line_fn *fn, void *arg)
{
	if (f->skip) {
		f->skip = 0;		/* its newline: resume after it */
		return 0;
	}
	if (buf_size(&f->in) + n > f->max) {
		ovf_drop(f);
		buf_reset(&f->in);
		return 0;
	}
	if (buf_size(&f->in) == 0) {
		fn(arg, p, n);
		return 0;
	}
	if (buf_append(&f->in, p, n) == -1) {
		buf_reset(&f->in);
		return -1;
	}
	fn(arg, buf_data(&f->in), buf_size(&f->in));
	buf_reset(&f->in);
	return 0;
}

int
ovf_feed(struct ovf *f, const char *p, size_t n, ovf_line_fn *fn, void *arg)
{
	const char *nl;
	size_t len;

	while (n > 0) {
		if ((nl = memchr(p, '\n', n)) == NULL) {
			break;
		}
		len = (size_t)(nl - p);
		if (ovf_line(f, p, len, fn, arg) == -1) {
			return -1;
		}
		p += len + 1;
		n -= len + 1;
	}
	if (n == 0 || f->skip) {
		return 0;
	}
	if (buf_size(&f->in) + n > f->max) {
		ovf_drop(f);
		f->skip = 1;
		buf_reset(&f->in);
		return 0;
	}
	if (buf_append(&f->in, p, n) == -1) {
		buf_reset(&f->in);
		return -1;
	}
	return 0;
}

/*
 * One UTF-8 sequence at s: 1 if VDSM keeps it, 0 if it becomes U+FFFD.
 * *len is the bytes it covers: a well-formed but filtered code point is one
 * replacement (VDSM filters code points); an invalid byte is one each, as
 * Python's decode('utf8', 'replace') does for these inputs.
 */
static int
seq(const unsigned char *s, size_t *len)
{
	uint32_t c = s[0], min;
	size_t i;

	*len = 1;
	if (c < 0x80) {
		return !((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7F);
	}
	if (c >= 0xC2 && c <= 0xDF) {
		*len = 2; c &= 0x1F; min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		*len = 3; c &= 0x0F; min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		*len = 4; c &= 0x07; min = 0x10000;
	} else {
		return 0;
	}
	for (i = 1; i < *len; i++) {
		if ((s[i] & 0xC0) != 0x80) {	/* NUL stops here too */
			*len = 1;
			return 0;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
		*len = 1;		/* not UTF-8 at all */
		return 0;
	}
	/* _FILTERED_CHARS: C1 controls but NEL, and the non-characters */
	return !((c >= 0x80 && c <= 0x84) || (c >= 0x86 && c <= 0x9F) ||
	    c == 0xFFFE || c == 0xFFFF);
}

int
ovf_dirty(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len;

	while (*s != '\0') {
		if (!seq(s, &len)) {
			return 1;
		}
		s += len;
	}
	return 0;
}

char *
ovf_clean(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), len, o = 0;
	char *out;

	/* Each bad byte becomes at most 3 bytes. */
	if (n > (SIZE_MAX - 1) / 3 || (out = malloc(n * 3 + 1)) == NULL) {
		return NULL;
	}
	while (*s != '\0') {
		if (!seq(s, &len)) {
			memcpy(out + o, UTF8_REPL, 3);
			o += 3;
			s += len;
			continue;
		}
		memcpy(out + o, s, len);
		o += len;
		s += len;
	}
	out[o] = '\0';
	return out;
}
