/*
 * buf.c: the one growable buffer.  Data is p[off .. len).  Consuming only
 * moves off; appending compacts first when the front slack is large, and an
 * emptied buffer above BUF_KEEP gives its memory back, so RSS returns to idle
 * after a large message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "agent.h"

#define BUF_HUGE	(4u << 20)	/* huge pages above this (faults) */

/* A fresh page costs a fault, and in a VM a fault costs more than copying
 * the page: ask for 2 MiB pages for multi-MiB replies and requests. */
static void
buf_huge(void *p, size_t n)
{
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)4095;

	if (e > a) {
		madvise((void *)a, e - a, MADV_HUGEPAGE);
	}
}

#define BUF_KEEP	(64 * 1024)	/* kept across messages; more is freed */

void
buf_compact(struct buf *b)
{
	size_t n = b->len - b->off;
	char *np;

	if (b->off > 0) {
		memmove(b->p, b->p + b->off, n);
		b->len = n;
		b->off = 0;
	}
	if (b->cap > BUF_KEEP && n < b->cap / 4) {
		size_t want = n > BUF_KEEP ? n : BUF_KEEP;

		if ((np = realloc(b->p, want)) != NULL) {
			b->p = np;
			b->cap = want;
		}
	}
}

int
buf_reserve(struct buf *b, size_t n)
{
	size_t need, cap;
	char *np;

	if (b->max && n > b->max - (b->len - b->off)) {
		errno = ENOBUFS;
		return -1;
	}
	if (b->cap - b->len >= n) {
		return 0;
	}
	if (b->off > 0 && b->cap - (b->len - b->off) >= n) {
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		return 0;
	}
	if (b->len - b->off > SIZE_MAX / 2 - n) {
		errno = ENOMEM;
		return -1;
	}
	need = b->len - b->off + n;
	cap = b->cap ? b->cap : 256;
	while (cap < need) {
		cap *= 2;
	}
	if (b->off > 0) {
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if ((np = realloc(b->p, cap)) == NULL) {
		return -1;
	}
	b->p = np;
	b->cap = cap;
	if (cap >= BUF_HUGE) {
		buf_huge(np, cap);
	}
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0) {
		return 0;
	}
	if (buf_reserve(b, n) == -1) {
		return -1;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n + 1) == -1) {
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
	return 0;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len - b->off) {
		b->off = b->len = 0;
		if (b->cap > BUF_KEEP && (!b->keep || b->cap > BUF_KEEP_MAX)) {
			free(b->p);
			b->p = NULL;
			b->cap = 0;
		}
		return;
	}
	b->off += n;
}

void
buf_reset(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->off = b->len = b->cap = 0;
}

static void
sort_swap(char *a, char *b, size_t size)
{
	char t;

	while (size-- > 0) {
		t = *a;
		*a++ = *b;
		*b++ = t;
	}
}

/* Move the element at root down until the heap below it is in order. */
static void
sort_sift(char *b, size_t root, size_t end, size_t size,
    int (*cmp)(const void *, const void *))
{
	size_t child;

	for (; (child = 2 * root + 1) < end; root = child) {
		if (child + 1 < end &&
		    cmp(b + child * size, b + (child + 1) * size) < 0) {
			child++;
		}
		if (cmp(b + root * size, b + child * size) >= 0) {
			break;
		}
		sort_swap(b + root * size, b + child * size, size);
	}
}

/*
 * qsort's contract as a heapsort: O(n log n) on any input (a peer's object
 * with 100k keys), no recursion, and 1 KB less than musl's smoothsort.
 */
void
sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	char *b = base;
	size_t i, end;

	for (i = n / 2; i-- > 0;) {
		sort_sift(b, i, n, size, cmp);
	}
	for (end = n; end-- > 1;) {
		sort_swap(b, b + end * size, size);
		sort_sift(b, 0, end, size, cmp);
	}
}
