/*
 * json.c: the JSON writer every front end uses, and exact integers.
 * JSON_QEMU output is byte-compatible with QEMU's json-writer.c
 * (qemu-ga.md 2.3): ": " and ", " separators, pure ASCII with uppercase
 * \uXXXX escapes, invalid UTF-8 as \uFFFD.  JSON_COMPACT is for oVirt
 * (VDSM reads UTF-8).  Integers are printed from their exact decimal text,
 * never in exponent form.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../agent.h"
#include "json.h"

/*
 * cJSON's allocator: small blocks go back to a short per-size free list
 * instead of to musl, whose allocator returns emptied groups to the kernel
 * and so paid an mmap/munmap pair per reply tree (tens of microseconds
 * each under load).  Installed for every binary that links this file, so
 * unit tests and fuzzers catch a block freed with the wrong function.
 * Anything stored in a cJSON node must come from cJSON_malloc.
 */
#define JA_HDR		16		/* keeps the payload 16-aligned */
#define JA_CLASSES	5		/* 32, 64, 128, 256, 512 bytes */
#define JA_KEEP		64		/* blocks kept per class */
#define JA_BIG		0xff

struct ja_free {
	struct ja_free	*next;
};

static struct ja_free	*ja_list[JA_CLASSES];
static unsigned		 ja_count[JA_CLASSES];
static unsigned char	*ja_big;	/* one large block kept for reuse */
static size_t		 ja_bigsz;

#define JA_BIG_MIN	(1u << 20)	/* a request's string: worth keeping */
#define JA_BIG_MAX	BUF_KEEP_MAX

static void *
ja_alloc(size_t n)
{
	unsigned char *p;
	size_t want;
	int c;

	if (n > SIZE_MAX - JA_HDR) {
		return NULL;
	}
	want = n + JA_HDR;
	for (c = 0; c < JA_CLASSES && want > (32u << c); c++) {
		;
	}
	if (c < JA_CLASSES && ja_list[c] != NULL) {
		p = (unsigned char *)ja_list[c];
		ja_list[c] = ja_list[c]->next;
		ja_count[c]--;
	} else if (c == JA_CLASSES && ja_big != NULL && want <= ja_bigsz &&
	    want >= ja_bigsz / 2) {
		p = ja_big;		/* its pages are already mapped */
		ja_big = NULL;
		memcpy(p + 8, &ja_bigsz, sizeof(ja_bigsz));
		p[0] = JA_BIG;
		return p + JA_HDR;
	} else if ((p = malloc(c < JA_CLASSES ? (32u << c) : want)) == NULL) {
		return NULL;
	}
	p[0] = c < JA_CLASSES ? c : JA_BIG;
	if (c == JA_CLASSES) {
		memcpy(p + 8, &want, sizeof(want));
	}
	return p + JA_HDR;
}

static void
ja_release(void *q)
{
	unsigned char *p;
	int c;

	if (q == NULL) {
		return;
	}
	p = (unsigned char *)q - JA_HDR;
	c = p[0];
	if (c < JA_CLASSES && ja_count[c] < JA_KEEP) {
		((struct ja_free *)(void *)p)->next = ja_list[c];
		ja_list[c] = (struct ja_free *)(void *)p;
		ja_count[c]++;
		return;
	}
	if (c == JA_BIG && ja_big == NULL) {
		size_t sz;

		memcpy(&sz, p + 8, sizeof(sz));
		if (sz >= JA_BIG_MIN && sz <= JA_BIG_MAX) {
			ja_big = p;
			ja_bigsz = sz;
			return;
		}
	}
	free(p);
}

/* The host went quiet: give the kept large block back. */
void
json_trim(void)
{
	free(ja_big);
	ja_big = NULL;
}

__attribute__((constructor)) static void
json_hooks(void)
{
	cJSON_Hooks h = { ja_alloc, ja_release };

	cJSON_InitHooks(&h);
}

static char *
json_strndup(const char *s, size_t n)
{
	char *p = cJSON_malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Decode one UTF-8 sequence; returns its length, or 0 if invalid. */
static size_t
utf8_dec(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2; c &= 0x1F; min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3; c &= 0x0F; min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4; c &= 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len) {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			return 0;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
		return 0;
	}
	*cp = c;
	return len;
}

/* 1 for the bytes a JSON string carries as they are: printable ASCII
 * but '"' and '\\'. */
static const unsigned char json_plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* '"' */
	[0x30] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x40] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,	/* '\\' */
	[0x60] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x70] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,	/* DEL */
};

static int
put_str(struct buf *b, const char *str, int mode)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n, i = 0, len, run;
	uint32_t cp;
	char e[16];

	/* Length and "nothing to escape" in one pass (json_plain['\0'] = 0). */
	for (run = 0; json_plain[s[run]]; run++) {
		;
	}
	n = s[run] == '\0' ? run : run + strlen(str + run);
	if (buf_reserve(b, n + 2) == -1) {
		return -1;
	}
	if (run == n) {		/* nothing to escape: the common case */
		b->p[b->len] = '"';
		memcpy(b->p + b->len + 1, s, n);
		b->p[b->len + n + 1] = '"';
		b->len += n + 2;
		return 0;
	}
	if (buf_append(b, "\"", 1) == -1) {
		return -1;
	}
	while (i < n) {
		/* Copy runs of plain printable ASCII at once. */
		for (run = i; run < n && json_plain[s[run]]; run++) {
			;
		}
		if (run > i) {
			if (buf_append(b, s + i, run - i) == -1) {
				return -1;
			}
			i = run;
			continue;
		}
		len = utf8_dec(s + i, n - i, &cp);
		if (len == 0) {
			cp = 0xFFFD;	/* invalid UTF-8, as QEMU */
			len = 1;
		}
		switch (cp) {
		case '"': strcpy(e, "\\\""); break;
		case '\\': strcpy(e, "\\\\"); break;
		case '\b': strcpy(e, "\\b"); break;
		case '\f': strcpy(e, "\\f"); break;
		case '\n': strcpy(e, "\\n"); break;
		case '\r': strcpy(e, "\\r"); break;
		case '\t': strcpy(e, "\\t"); break;
		default:
			if (mode == JSON_COMPACT && cp >= 0x80 && cp != 0xFFFD) {
				if (buf_append(b, s + i, len) == -1) {
					return -1;
				}
				i += len;
				continue;
			}
			if (mode == JSON_COMPACT && cp == 0xFFFD) {
				strcpy(e, "\xEF\xBF\xBD");
			} else if (cp > 0xFFFF) {
				cp -= 0x10000;
				snprintf(e, sizeof(e), "\\u%04X\\u%04X",
				    0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
			} else {
				snprintf(e, sizeof(e), "\\u%04X", cp);
			}
		}
		if (buf_append(b, e, strlen(e)) == -1) {
			return -1;
		}
		i += len;
	}
	return buf_append(b, "\"", 1);
}

static int
put_num(struct buf *b, const cJSON *v)
{
	double d = v->valuedouble;

	if (v->valuestring != NULL) {
		return buf_append(b, v->valuestring, strlen(v->valuestring));
	}
	if (isnan(d) || isinf(d)) {
		return buf_append(b, "null", 4);
	}
	if (d == floor(d) && fabs(d) < 9.2e18) {
		return buf_printf(b, "%" PRId64, (int64_t)d);
	}
	return buf_printf(b, "%.17g", d);
}

static int
put(struct buf *b, const cJSON *v, int mode, int depth)
{
	const char *sep = mode == JSON_QEMU ? ", " : ",";
	const char *col = mode == JSON_QEMU ? ": " : ":";
	size_t pun = mode == JSON_QEMU ? 2 : 1;	/* strlen(sep), strlen(col) */
	const cJSON *c;
	int r = 0;

	if (depth > 1100) {
		return -1;
	}
	switch (v->type & 0xFF) {
	case cJSON_NULL:
		return buf_append(b, "null", 4);
	case cJSON_True:
		return buf_append(b, "true", 4);
	case cJSON_False:
		return buf_append(b, "false", 5);
	case cJSON_Number:
		return put_num(b, v);
	case cJSON_String:
		return put_str(b, v->valuestring ? v->valuestring : "", mode);
	case cJSON_Raw:
		return buf_append(b, v->valuestring, strlen(v->valuestring));
	case cJSON_Array:
	case cJSON_Object:
		r = buf_append(b, cJSON_IsArray(v) ? "[" : "{", 1);
		for (c = v->child; c != NULL && r == 0; c = c->next) {
			if (cJSON_IsObject(v)) {
				r = put_str(b, c->string ? c->string : "", mode);
				if (r == 0) {
					r = buf_append(b, col, pun);
				}
			}
			if (r == 0) {
				r = put(b, c, mode, depth + 1);
			}
			if (r == 0 && c->next != NULL) {
				r = buf_append(b, sep, pun);
			}
		}
		if (r == 0) {
			r = buf_append(b, cJSON_IsArray(v) ? "]" : "}", 1);
		}
		return r;
	}
	return buf_append(b, "null", 4);
}

int
json_write(struct buf *b, const cJSON *v, int mode)
{
	return put(b, v, mode, 0);
}

/* A number node holding its exact decimal text ("-" then the digits of
 * mag).  By hand: snprintf was a fifth of an inventory reply's cost. */
static cJSON *
num_text(double d, int neg, uint64_t mag)
{
	char	 s[24], *p = s + sizeof(s);
	cJSON	*n = cJSON_CreateNumber(d);

	do {
		*--p = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag != 0);
	if (neg) {
		*--p = '-';
	}
	if (n != NULL && (n->valuestring = json_strndup(p,
	    (size_t)(s + sizeof(s) - p))) == NULL) {
		cJSON_Delete(n);
		return NULL;
	}
	return n;
}

cJSON *
json_int(int64_t v)
{
	return num_text((double)v, v < 0, v < 0 ? 0 - (uint64_t)v :
	    (uint64_t)v);
}

cJSON *
json_uint(uint64_t v)
{
	return num_text((double)v, 0, v);
}

static cJSON *
add(cJSON *o, const char *name, cJSON *v)
{
	if (v != NULL && !cJSON_AddItemToObject(o, name, v)) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

cJSON *
json_add_int(cJSON *o, const char *name, int64_t v)
{
	return add(o, name, json_int(v));
}

cJSON *
json_add_uint(cJSON *o, const char *name, uint64_t v)
{
	return add(o, name, json_uint(v));
}

cJSON *
json_add_str(cJSON *o, const char *name, const char *v)
{
	return add(o, name, cJSON_CreateString(v ? v : ""));
}

cJSON *
json_add_bool(cJSON *o, const char *name, int v)
{
	return add(o, name, cJSON_CreateBool(v));
}

cJSON *
json_add_num(cJSON *o, const char *name, double v)
{
	return add(o, name, cJSON_CreateNumber(v));
}

/* Integer text: no fraction, no exponent. */
static int
int_text(const char *s)
{
	if (*s == '-') {
		s++;
	}
	if (*s == '\0') {
		return 0;
	}
	for (; *s; s++) {
		if (*s < '0' || *s > '9') {
			return 0;
		}
	}
	return 1;
}

int
json_get_int(const cJSON *v, int64_t *out)
{
	char *end;
	long long n;

	if (!cJSON_IsNumber(v)) {
		return -1;
	}
	if (v->valuestring == NULL) {
		if (v->valuedouble != floor(v->valuedouble) ||
		    fabs(v->valuedouble) > 9.2e18) {
			return -1;
		}
		*out = (int64_t)v->valuedouble;
		return 0;
	}
	if (!int_text(v->valuestring)) {
		return -1;
	}
	errno = 0;
	n = strtoll(v->valuestring, &end, 10);
	if (errno != 0) {
		return -1;
	}
	*out = n;
	return 0;
}

int
json_get_uint(const cJSON *v, uint64_t *out)
{
	unsigned long long n;
	char *end;

	if (!cJSON_IsNumber(v)) {
		return -1;
	}
	if (v->valuestring == NULL) {
		if (v->valuedouble < 0 || v->valuedouble != floor(v->valuedouble)
		    || v->valuedouble > 1.8e19) {
			return -1;
		}
		*out = (uint64_t)v->valuedouble;
		return 0;
	}
	if (!int_text(v->valuestring) || v->valuestring[0] == '-') {
		return -1;
	}
	errno = 0;
	n = strtoull(v->valuestring, &end, 10);
	if (errno != 0) {
		return -1;
	}
	*out = n;
	return 0;
}

/*
 * Walk the message text and the tree in the same document order, giving
 * each number node its exact text.  Only strings need skipping in the text.
 */
struct numwalk {
	const char	*s;
	size_t		 n, i;
};

static int
next_number(struct numwalk *w, const char **t, size_t *len)
{
	while (w->i < w->n) {
		char c = w->s[w->i];

		if (c == '"') {
			/* memchr to the closing quote: an even run of
			 * backslashes before a quote does not escape it */
			const char *p = w->s + w->i + 1, *e = w->s + w->n, *q;
			size_t k;

			while ((q = memchr(p, '"', e - p)) != NULL) {
				for (k = 0; q - k > p && q[-1 - (long)k] == '\\';
				    k++) {
					;
				}
				if (k % 2 == 0) {
					break;
				}
				p = q + 1;
			}
			w->i = q != NULL ? (size_t)(q - w->s) + 1 : w->n;
			continue;
		}
		if (c == '-' || (c >= '0' && c <= '9')) {
			size_t st = w->i;

			while (w->i < w->n && strchr("0123456789+-.eE",
			    w->s[w->i]) != NULL && w->s[w->i] != '\0') {
				w->i++;
			}
			*t = w->s + st;
			*len = w->i - st;
			return 0;
		}
		w->i++;
	}
	return -1;
}

static void
keep(cJSON *v, struct numwalk *w)
{
	const char *t;
	size_t len;
	cJSON *c;

	for (; v != NULL; v = v->next) {
		if (cJSON_IsNumber(v)) {
			if (next_number(w, &t, &len) == -1) {
				return;
			}
			cJSON_free(v->valuestring);
			v->valuestring = json_strndup(t, len);
		}
		if ((cJSON_IsArray(v) || cJSON_IsObject(v)) && v->child) {
			c = v->child;
			keep(c, w);
		}
	}
}

void
json_keep_numbers(cJSON *root, const char *s, size_t n)
{
	struct numwalk w = { s, n, 0 };
	cJSON *save = root->next;

	root->next = NULL;	/* the root alone, not its siblings */
	keep(root, &w);
	root->next = save;
}

static int
cmp_name(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

/* Pairwise for small objects; sorted names for large ones (no O(n^2)). */
static int
obj_dup(const cJSON *v)
{
	const cJSON *a, *b, **tab;
	size_t n = 0, i;
	int dup = 0;

	for (a = v->child; a != NULL; a = a->next) {
		n++;
	}
	if (n <= 32) {
		for (a = v->child; a != NULL; a = a->next) {
			for (b = a->next; b != NULL; b = b->next) {
				if (a->string && b->string &&
				    strcmp(a->string, b->string) == 0) {
					return 1;
				}
			}
		}
		return 0;
	}
	if ((tab = malloc(n * sizeof(*tab))) == NULL) {
		return 0;
	}
	for (i = 0, a = v->child; a != NULL; a = a->next) {
		tab[i++] = a;
	}
	sort(tab, n, sizeof(*tab), cmp_name);
	for (i = 1; i < n && !dup; i++) {
		dup = cmp_name(&tab[i - 1], &tab[i]) == 0;
	}
	free(tab);
	return dup;
}

int
json_has_dup_keys(const cJSON *v)
{
	for (; v != NULL; v = v->next) {
		if (cJSON_IsObject(v) && obj_dup(v)) {
			return 1;
		}
		if ((cJSON_IsObject(v) || cJSON_IsArray(v)) &&
		    json_has_dup_keys(v->child)) {
			return 1;
		}
	}
	return 0;
}
