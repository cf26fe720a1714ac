/*
 * spice_clip.c: the SPICE clipboard (spice.md 6): GRAB / REQUEST /
 * CLIPBOARD / RELEASE with the selection prefix and grab serial when both
 * sides announced them, the client-wins serial rule of vdagentd, never a
 * RELEASE between two grabs (NO_RELEASE_ON_REGRAB).  Host data is streamed
 * piece by piece from the framer into verbs/clipboard.c; bytes are never
 * converted.  Every client REQUEST is answered, with NONE when we cannot.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "../agent.h"
#include "../verbs/clipboard.h"
#include "spice.h"

static const struct {
	uint32_t	 type;
	const char	*mime;
} mimes[] = {
	/* Preference order when the client offers several (spice.md 11.3). */
	{ VD_AGENT_CLIPBOARD_IMAGE_PNG, "image/png" },
	{ VD_AGENT_CLIPBOARD_UTF8_TEXT, "text/plain;charset=utf-8" },
	{ VD_AGENT_CLIPBOARD_IMAGE_BMP, "image/bmp" },
	{ VD_AGENT_CLIPBOARD_IMAGE_TIFF, "image/tiff" },
	{ VD_AGENT_CLIPBOARD_IMAGE_JPG, "image/jpeg" },
	/* Aliases, guest to host only (atom2agent[], clipboard.c). */
	{ VD_AGENT_CLIPBOARD_UTF8_TEXT, "text/plain" },
	{ VD_AGENT_CLIPBOARD_UTF8_TEXT, "UTF8_STRING" },
	{ VD_AGENT_CLIPBOARD_UTF8_TEXT, "STRING" },
	{ VD_AGENT_CLIPBOARD_UTF8_TEXT, "TEXT" },
	{ VD_AGENT_CLIPBOARD_IMAGE_BMP, "image/x-bmp" },
	{ VD_AGENT_CLIPBOARD_IMAGE_BMP, "image/x-MS-bmp" },
	{ VD_AGENT_CLIPBOARD_IMAGE_BMP, "image/x-win-bitmap" },
};
#define NPREF	5			/* the first rows: one per type */

static uint32_t	serial[CLIP_NSEL];	/* our grab serials (6.4) */
static int	grabbed[CLIP_NSEL];	/* we announced a guest GRAB */
static uint32_t	want[CLIP_NSEL];	/* type we REQUESTed, 0 = none */
static uint64_t	epoch;			/* bumped per client */
static uint64_t	fetch_gen[CLIP_NSEL];	/* client epoch of a desktop read */

/* The CLIPBOARD message being streamed in. */
static struct {
	unsigned char	 pre[8];
	size_t		 npre, need;
	uint32_t	 size;
	int		 sel;
	int		 state;		/* 0 prefix, 1 storing, 2 ignoring */
} in;

static uint32_t
vd_type(const char *mime)
{
	size_t i;

	for (i = 0; i < nitems(mimes); i++) {
		if (strcmp(mimes[i].mime, mime) == 0) {
			return mimes[i].type;
		}
	}
	return VD_AGENT_CLIPBOARD_NONE;
}

static const char *
vd_mime(uint32_t type)
{
	size_t i;

	for (i = 0; i < NPREF; i++) {
		if (mimes[i].type == type) {
			return mimes[i].mime;
		}
	}
	return NULL;
}

static size_t
sel_prefix(void)
{
	return spice_has(VD_AGENT_CAP_CLIPBOARD_SELECTION) ? 4 : 0;
}

/* The optional 4-byte selection prefix. */
static size_t
put_sel(unsigned char *p, int sel)
{
	if (!sel_prefix()) {
		return 0;
	}
	memset(p, 0, 4);
	p[0] = (unsigned char)sel;
	return 4;
}

static void
send_grab(int sel, uint32_t type)
{
	unsigned char p[12];
	size_t n = put_sel(p, sel);

	if (!spice_has(VD_AGENT_CAP_CLIPBOARD_BY_DEMAND)) {
		return;		/* spice-gtk g_return_if_fail()s without it */
	}
	if (spice_has(VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL)) {
		sf_put32(p + n, serial[sel]++);
		n += 4;
	}
	sf_put32(p + n, type);
	if (spice_send(VD_AGENT_CLIPBOARD_GRAB, p, n + 4, NULL, 0) == 0) {
		grabbed[sel] = 1;
	}
}

static void
send_release(int sel)
{
	unsigned char p[4];

	if (grabbed[sel]) {
		grabbed[sel] = 0;
		(void)spice_send(VD_AGENT_CLIPBOARD_RELEASE, p, put_sel(p, sel),
		    NULL, 0);
	}
}

/* CLIPBOARD [sel] type data; type NONE and no data on failure (6.5). */
static void
send_data(int sel, uint32_t type, const char *d, size_t n)
{
	unsigned char p[8];
	size_t k = put_sel(p, sel);

	sf_put32(p + k, type);
	(void)spice_send(VD_AGENT_CLIPBOARD, p, k + 4, d, n);
}

/* ---- guest side changes (verbs/clipboard.c hooks) ---------------------- */

static void
guest_grab(int sel, const char *mime, void *arg)
{
	uint32_t t = vd_type(mime);

	(void)arg;
	if (t == VD_AGENT_CLIPBOARD_NONE) {
		send_release(sel);	/* nothing the host could take */
		return;
	}
	send_grab(sel, t);
}

static void
guest_release(int sel, void *arg)
{
	(void)arg;
	send_release(sel);
}

void
spice_clip_init(void)
{
	static const struct clip_hooks h = { guest_grab, guest_release, NULL,
	    NULL };
	long long cap = conf_int("spice", "clipboard-max", SPICE_CLIP_MAX);

	clip_init(&h, cap > 0 ? (size_t)cap : SPICE_CLIP_MAX);
}

/* connected: a client announced itself (caps with request=1); else gone. */
void
spice_clip_client(int connected)
{
	const struct clip_sel *s;
	int i;

	epoch++;
	spice_clip_abort();
	clip_host_gone();
	clip_watch(connected);		/* desktop changes matter to a client */
	for (i = 0; i < CLIP_NSEL; i++) {
		want[i] = 0;
		grabbed[i] = 0;
		if (!connected) {
			continue;
		}
		serial[i] = 0;		/* vdagentd do_client_capabilities */
		s = clip_get(i);
		if (s->owner == CLIP_GUEST) {
			guest_grab(i, s->mime, NULL);	/* offer it again */
		}
	}
}

/* ---- client messages --------------------------------------------------- */

static void
send_request(int sel, uint32_t type)
{
	unsigned char r[8];
	size_t m = put_sel(r, sel);

	sf_put32(r + m, type);
	(void)spice_send(VD_AGENT_CLIPBOARD_REQUEST, r, m + 4, NULL, 0);
}

static void
on_grab(const char *p, size_t n)
{
	size_t off = sel_prefix(), i, k;
	int sel = off && n > 0 ? (unsigned char)p[0] : 0;
	uint32_t s, best = 0;

	if (spice_has(VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL)) {
		off += 4;
	}
	if (n < off || (n - off) % 4 != 0 || sel >= CLIP_NSEL) {
		log_warnx("spice: malformed clipboard grab (%zu bytes)", n);
		return;
	}
	if (spice_has(VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL)) {
		s = sf_get32(p + off - 4);
		if (s == serial[sel] - 1) {
			/* Both grabbed at once: the client wins (6.4). */
		} else if (s == serial[sel]) {
			serial[sel]++;
		} else {
			log_debug("spice: grab serial %u, want %u: discarded",
			    s, serial[sel]);
			return;
		}
	}
	grabbed[sel] = 0;		/* the client owns it now */
	clip_host_grab(sel);		/* fails pending local reads */
	/* The best offered type, in mimes[] preference order. */
	for (k = 0; k < NPREF && best == 0; k++) {
		for (i = off; i < n; i += 4) {
			if (sf_get32(p + i) == mimes[k].type) {
				best = mimes[k].type;
				break;
			}
		}
	}
	want[sel] = best;
	if (best == 0) {
		clip_host_end(sel, 0);
		return;
	}
	/* xclip/wl-copy need the bytes up front, so does `clipboard get`
	 * on a closed client: fetch now (11.3). */
	send_request(sel, best);
}

static void	answer(int, uint32_t);


static void
fetched(void *arg, int ok)
{
	int sel = (int)(intptr_t)arg;
	const struct clip_sel *s = clip_get(sel);

	if (epoch != fetch_gen[sel]) {
		return;			/* that client is gone */
	}
	if (!ok || s->owner != CLIP_GUEST) {
		send_data(sel, VD_AGENT_CLIPBOARD_NONE, NULL, 0);
		return;
	}
	answer(sel, vd_type(s->mime));
}

static void
on_request(const char *p, size_t n)
{
	size_t off = sel_prefix();
	int sel = off && n > 0 ? (unsigned char)p[0] : 0;
	const struct clip_sel *s;
	struct verr e;
	uint32_t type;

	if (n != off + 4 || sel >= CLIP_NSEL) {
		log_warnx("spice: malformed clipboard request (%zu bytes)", n);
		if (n == off + 4) {
			send_data(sel, VD_AGENT_CLIPBOARD_NONE, NULL, 0);
		}
		return;
	}
	type = sf_get32(p + off);
	s = clip_get(sel);
	if (s->owner != CLIP_GUEST || vd_type(s->mime) != type) {
		send_data(sel, VD_AGENT_CLIPBOARD_NONE, NULL, 0);
		return;
	}
	if (s->lazy) {
		/* The desktop's: read it now, answer when the helper ends
		 * (the length must be known before the header goes out). */
		fetch_gen[sel] = epoch;
		if (clip_fetch(sel, fetched, (void *)(intptr_t)sel, &e) == -1) {
			log_warnx("spice: clipboard: %s", e.msg);
			send_data(sel, VD_AGENT_CLIPBOARD_NONE, NULL, 0);
		}
		return;
	}
	answer(sel, type);
}

/* Answer a REQUEST with the guest's bytes, under the client's maximum. */
static void
answer(int sel, uint32_t type)
{
	const struct clip_sel *s = clip_get(sel);

	if (spice.max_clip > 0 &&
	    buf_size(&s->data) > (uint64_t)spice.max_clip) {
		/* vdagentd do_agent_clipboard: the type, no bytes (6.7) */
		log_warnx("spice: clipboard is too large (%zu > %lld), "
		    "discarding", buf_size(&s->data),
		    (long long)spice.max_clip);
		send_data(sel, type, NULL, 0);
		return;
	}
	send_data(sel, type, s->data.p ? buf_data(&s->data) : NULL,
	    buf_size(&s->data));
}

static void
on_release(const char *p, size_t n)
{
	/* Liberal: 0 to 4 bytes (vdagentd itself sends 1, 6.6). */
	int sel = sel_prefix() && n > 0 ? (unsigned char)p[0] : 0;

	if (n > 4 || sel >= CLIP_NSEL) {
		log_warnx("spice: malformed clipboard release (%zu bytes)", n);
		return;
	}
	if (clip_get(sel)->owner == CLIP_HOST) {
		if (in.state == 1 && in.sel == sel) {
			in.state = 2;
		}
		want[sel] = 0;
		clip_host_release(sel);
	}
}

void
spice_clip_msg(uint32_t type, const char *p, size_t n)
{
	switch (type) {
	case VD_AGENT_CLIPBOARD_GRAB:
		on_grab(p, n);
		break;
	case VD_AGENT_CLIPBOARD_REQUEST:
		on_request(p, n);
		break;
	case VD_AGENT_CLIPBOARD_RELEASE:
		on_release(p, n);
		break;
	}
}

/* ---- CLIPBOARD from the client, streamed ------------------------------ */

int
spice_clip_begin(uint32_t size)
{
	memset(&in, 0, sizeof(in));
	in.need = sel_prefix() + 4;
	in.size = size;
	if (size < in.need) {
		log_warnx("spice: malformed clipboard data (%u bytes)", size);
		return SF_SKIP;
	}
	return SF_STREAM;
}

/* The prefix is in: is this the answer to our request? */
static void
clip_start(void)
{
	uint32_t type = sf_get32(in.pre + in.need - 4);
	struct verr e;

	in.sel = in.need == 8 ? in.pre[0] : 0;
	in.state = 2;
	if (in.sel >= CLIP_NSEL || want[in.sel] == 0) {
		log_debug("spice: unrequested clipboard data ignored");
		return;
	}
	want[in.sel] = 0;
	if (type == VD_AGENT_CLIPBOARD_NONE || vd_mime(type) == NULL) {
		clip_host_end(in.sel, 0);
		return;
	}
	if (clip_host_begin(in.sel, vd_mime(type), in.size - in.need,
	    &e) == -1) {
		log_warnx("spice: %s", e.msg);
		clip_host_end(in.sel, 0);
		return;
	}
	in.state = 1;
}

void
spice_clip_data(const char *p, size_t n, int end)
{
	size_t k;

	if (in.npre < in.need) {
		k = in.need - in.npre < n ? in.need - in.npre : n;
		memcpy(in.pre + in.npre, p, k);
		in.npre += k;
		p += k;
		n -= k;
		if (in.npre == in.need) {
			clip_start();
		}
	}
	if (in.state == 1 && n > 0 && clip_host_data(in.sel, p, n) == -1) {
		log_warn("spice: clipboard data");
		clip_host_end(in.sel, 0);
		in.state = 2;
	}
	if (end && in.state == 1) {
		clip_host_end(in.sel, 1);
		in.state = 2;
	}
}

void
spice_clip_abort(void)
{
	if (in.state == 1) {
		clip_host_end(in.sel, 0);
	}
	in.state = 2;
}
