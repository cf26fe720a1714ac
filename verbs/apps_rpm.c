/*
 * apps_rpm.c: rpm's package database (rpmdb.sqlite, rpm >= 4.16: Fedora 33+,
 * RHEL 9), read without librpm or libsqlite: the SQLite file format's table
 * b-trees (sqlite.org/fileformat2.html) lead to the Packages table, whose
 * rows hold rpm header blobs (headerExport: il, dl, index, data).  Only the
 * main database file is read: rows still in an uncheckpointed -wal file are
 * missed.  BerkeleyDB "Packages" (RHEL <= 8) and ndb (SUSE) are not read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apps.h"
#include "apps_rpm.h"

#define SQ_MAGIC	"SQLite format 3"
#define SQ_MAX_DEPTH	20		/* b-tree depth; real ones are < 6 */
#define SQ_MAX_PAYLOAD	(16 << 20)	/* one row; rpm headers are < 1 MiB */
#define SQ_LEAF_TABLE	13		/* b-tree page types */
#define SQ_INNER_TABLE	5
#define RPMTAG_NAME	1000		/* rpmtag.h */
#define RPMTAG_VERSION	1001
#define RPMTAG_RELEASE	1002
#define RPM_STRING_TYPE	6
#define RPM_MAX_INDEX	65536		/* hdrchkTags, header.c */

struct sq {
	int		 fd;
	uint32_t	 psz;		/* page size */
	uint32_t	 usable;	/* page size minus reserved bytes */
	uint32_t	 npages;
	uint64_t	 visited;	/* pages read: stops cycles */
};

typedef int	sq_row_fn(void *, const unsigned char *, size_t);

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* SQLite varint: 1-9 bytes, big-endian 7-bit groups; 0 if truncated. */
static size_t
varint(const unsigned char *p, const unsigned char *end, uint64_t *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < 9 && p + i < end; i++) {
		if (i == 8) {
			*v = (*v << 8) | p[i];
			return 9;
		}
		*v = (*v << 7) | (p[i] & 0x7F);
		if (!(p[i] & 0x80)) {
			return i + 1;
		}
	}
	return 0;
}

static int
sq_page(struct sq *q, uint32_t no, unsigned char *buf)
{
	if (no == 0 || no > q->npages || ++q->visited > 4ULL * q->npages) {
		errno = EINVAL;
		return -1;
	}
	if (pread(q->fd, buf, q->psz, (off_t)(no - 1) * q->psz) !=
	    (ssize_t)q->psz) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* A table leaf cell's payload, with its overflow chain, into *out. */
static int
sq_payload(struct sq *q, const unsigned char *pg, size_t at,
    unsigned char **out, size_t *len)
{
	const unsigned char *p = pg + at, *end = pg + q->usable;
	uint64_t plen, rowid, x = q->usable - 35, m, k, local;
	unsigned char *o, *ov;
	uint32_t next;
	size_t n, got;

	if ((n = varint(p, end, &plen)) == 0 || plen > SQ_MAX_PAYLOAD) {
		return -1;
	}
	p += n;
	if ((n = varint(p, end, &rowid)) == 0) {
		return -1;
	}
	p += n;
	m = ((uint64_t)(q->usable - 12) * 32 / 255) - 23;
	k = m + (plen - m) % (q->usable - 4);
	local = plen <= x ? plen : (k <= x ? k : m);
	if (p + local > end || (local < plen && p + local + 4 > end) ||
	    (o = malloc(plen ? plen : 1)) == NULL) {
		return -1;
	}
	memcpy(o, p, local);
	got = local;
	next = local < plen ? be32(p + local) : 0;
	if (next != 0 && (ov = malloc(q->psz)) != NULL) {
		while (next != 0 && got < plen && sq_page(q, next, ov) == 0) {
			n = plen - got < q->usable - 4 ? plen - got :
			    q->usable - 4;
			memcpy(o + got, ov + 4, n);
			got += n;
			next = be32(ov);
		}
		free(ov);
	}
	if (got != plen) {
		free(o);
		return -1;
	}
	*out = o;
	*len = plen;
	return 0;
}

/* Every row of the table b-tree rooted at page root, in rowid order. */
static int
sq_walk(struct sq *q, uint32_t root, int depth, sq_row_fn *fn, void *arg)
{
	unsigned char *pg, *h, *row;
	uint16_t ncell, i, at;
	size_t hdr, len;
	int r = 0;

	if (depth > SQ_MAX_DEPTH || (pg = malloc(q->psz)) == NULL) {
		return -1;
	}
	if (sq_page(q, root, pg) == -1) {
		free(pg);
		return -1;
	}
	h = pg + (root == 1 ? 100 : 0);
	hdr = h[0] == SQ_INNER_TABLE ? 12 : 8;
	ncell = (uint16_t)(h[3] << 8 | h[4]);
	if ((h[0] != SQ_LEAF_TABLE && h[0] != SQ_INNER_TABLE) ||
	    (size_t)(h - pg) + hdr + 2u * ncell > q->usable) {
		free(pg);
		return -1;
	}
	for (i = 0; i < ncell && r == 0; i++) {
		at = (uint16_t)(h[hdr + 2 * i] << 8 | h[hdr + 2 * i + 1]);
		if (at + 4u > q->usable) {
			r = -1;
		} else if (h[0] == SQ_INNER_TABLE) {
			r = sq_walk(q, be32(pg + at), depth + 1, fn, arg);
		} else if (sq_payload(q, pg, at, &row, &len) == 0) {
			r = fn(arg, row, len);
			free(row);
		}
	}
	if (r == 0 && h[0] == SQ_INNER_TABLE) {
		r = sq_walk(q, be32(h + 8), depth + 1, fn, arg);
	}
	free(pg);
	return r;
}

/* Column col of a record: its serial type's value as bytes (text, blob)
 * or a big-endian integer in *iv.  -1 if absent or malformed. */
static int
sq_column(const unsigned char *rec, size_t len, int col,
    const unsigned char **v, size_t *vlen, int64_t *iv)
{
	static const unsigned char isz[] = { 0, 1, 2, 3, 4, 6, 8, 8, 0, 0 };
	const unsigned char *p = rec, *end = rec + len, *body;
	uint64_t hlen, st = 0, sz = 0;
	size_t n, i;
	int c, found = 0;

	if ((n = varint(p, end, &hlen)) == 0 || hlen > len) {
		return -1;
	}
	body = rec + hlen;
	p += n;
	for (c = 0; p < rec + hlen; c++) {
		if ((n = varint(p, rec + hlen, &st)) == 0) {
			return -1;
		}
		p += n;
		sz = st >= 12 ? (st - 12) / 2 : (st < 10 ? isz[st] : 0);
		if (c == col) {
			found = 1;
			break;
		}
		if (sz > (uint64_t)(end - body)) {
			return -1;
		}
		body += sz;
	}
	if (!found || sz > (uint64_t)(end - body)) {
		return -1;
	}
	*v = body;
	*vlen = sz;
	*iv = st == 8 ? 0 : st == 9 ? 1 : 0;
	for (i = 0; st >= 1 && st <= 6 && i < sz; i++) {
		*iv = (int64_t)((uint64_t)*iv << 8 | body[i]);
	}
	if (st >= 1 && st <= 5 && (body[0] & 0x80)) {
		*iv -= (int64_t)1 << (8 * sz - 1) << 1;
	}
	return 0;
}

/* ---- sqlite_master: where the Packages table starts ---------------------- */

struct master {
	uint32_t	 root;
};

static int
text_eq(const unsigned char *v, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(v, s, n) == 0;
}

static int
master_row(void *arg, const unsigned char *rec, size_t len)
{
	struct master *m = arg;
	const unsigned char *v;
	size_t n;
	int64_t iv;

	if (sq_column(rec, len, 0, &v, &n, &iv) == 0 && text_eq(v, n, "table")
	    && sq_column(rec, len, 1, &v, &n, &iv) == 0 &&
	    text_eq(v, n, "Packages") &&
	    sq_column(rec, len, 3, &v, &n, &iv) == 0 && iv > 0) {
		m->root = (uint32_t)iv;
	}
	return 0;
}

/* ---- rpm headers --------------------------------------------------------- */

struct pkgs {
	const char	*names;
	char		***v;
	size_t		*n;
};

/* A NUL-terminated string tag from an exported header, or NULL. */
static const char *
hdr_str(const unsigned char *h, size_t len, uint32_t tag)
{
	uint32_t il, dl, i, off;
	const unsigned char *e, *data;

	if (len < 8) {
		return NULL;
	}
	il = be32(h);
	dl = be32(h + 4);
	if (il > RPM_MAX_INDEX || 8 + (uint64_t)il * 16 + dl > len) {
		return NULL;
	}
	data = h + 8 + (size_t)il * 16;
	for (i = 0; i < il; i++) {
		e = h + 8 + (size_t)i * 16;
		if (be32(e) != tag || be32(e + 4) != RPM_STRING_TYPE) {
			continue;
		}
		off = be32(e + 8);
		if (off >= dl || memchr(data + off, '\0', dl - off) == NULL) {
			return NULL;
		}
		return (const char *)data + off;
	}
	return NULL;
}

static int
pkg_row(void *arg, const unsigned char *rec, size_t len)
{
	struct pkgs *pk = arg;
	const unsigned char *blob;
	const char *name, *ver, *rel;
	size_t n;
	int64_t iv;

	if (sq_column(rec, len, 1, &blob, &n, &iv) == -1 ||
	    (name = hdr_str(blob, n, RPMTAG_NAME)) == NULL ||
	    (ver = hdr_str(blob, n, RPMTAG_VERSION)) == NULL ||
	    (rel = hdr_str(blob, n, RPMTAG_RELEASE)) == NULL ||
	    !apps_match(pk->names, name)) {
		return 0;
	}
	return apps_add(pk->v, pk->n, name, ver, rel);
}

static int
rpm_sqlite(const char *path, const char *names, char ***v, size_t *n,
    struct verr *e)
{
	unsigned char hdr[100];
	struct master m = { 0 };
	struct pkgs pk = { names, v, n };
	struct sq q = { 0 };
	struct stat st;
	int r = -1;

	if ((q.fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		return errno == ENOENT ? 0 : verr_set(e, errno, "open %s",
		    path);
	}
	if (fstat(q.fd, &st) == -1 || pread(q.fd, hdr, sizeof(hdr), 0) !=
	    (ssize_t)sizeof(hdr) || memcmp(hdr, SQ_MAGIC, 16) != 0) {
		verr_set(e, EINVAL, "%s: not an SQLite 3 database", path);
		goto out;
	}
	q.psz = (uint32_t)(hdr[16] << 8 | hdr[17]);
	q.psz = q.psz == 1 ? 65536 : q.psz;
	if (q.psz < 512 || (q.psz & (q.psz - 1)) != 0 || hdr[20] > 64 ||
	    be32(hdr + 56) != 1) {	/* UTF-8 text only */
		verr_set(e, EINVAL, "%s: unsupported SQLite header", path);
		goto out;
	}
	q.usable = q.psz - hdr[20];
	q.npages = (uint32_t)(st.st_size / q.psz);
	if (sq_walk(&q, 1, 0, master_row, &m) == -1 || m.root == 0 ||
	    sq_walk(&q, m.root, 0, pkg_row, &pk) == -1) {
		verr_set(e, EINVAL, "%s: unreadable Packages table", path);
		goto out;
	}
	r = 0;
out:
	close(q.fd);
	return r;
}

int
apps_rpm_list(const char *names, char ***v, size_t *n, struct verr *e)
{
	const char *path = vpath(APPS_RPMDB_SYSIMAGE);

	if (access(path, F_OK) == -1) {
		path = vpath(APPS_RPMDB);
	}
	return rpm_sqlite(path, names, v, n, e);
}
