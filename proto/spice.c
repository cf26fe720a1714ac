/*
 * spice.c: the SPICE vdagent front end on com.redhat.spice.0 (spice.md):
 * capabilities, mouse through our own uinput tablet, monitors config with a
 * REPLY, client disconnects; the clipboard and file transfer live in
 * spice_clip.c and spice_xfer.c.  Peer: spice-server relaying spice-gtk,
 * whose client messages come as 2048-byte chunks on port 1 and whose own
 * messages (mouse, client-disconnected) come on port 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../agent.h"
#include "../verbs/display.h"
#include "../verbs/verbs.h"
#include "../verbs/uinput.h"
#include "ctl.h"
#include "spice.h"

#define SPICE_DESK_W	1024		/* tablet size when nothing says */
#define SPICE_DESK_H	768
#define SPICE_XRANDR_MS	5000		/* helper deadline, spice.md 11.2 */

struct spice		 spice;

static struct display_mon mons[SPICE_NMON];	/* last applied layout */
static size_t		 nmons;
static struct child	*xrandr;
static uint64_t		 xrandr_gen;
static int		 uinput_warned;

/* Per-type size rules (spice.md 4.2): minimum, and whether exact. */
static const struct {
	uint32_t	 min;
	int		 exact;
} sizes[VD_AGENT_END_MESSAGE] = {
	[VD_AGENT_MOUSE_STATE] = { 13, 1 },
	[VD_AGENT_MONITORS_CONFIG] = { 8, 0 },
	[VD_AGENT_REPLY] = { 8, 1 },
	[VD_AGENT_DISPLAY_CONFIG] = { 8, 1 },
	[VD_AGENT_ANNOUNCE_CAPABILITIES] = { 4, 0 },
	[VD_AGENT_FILE_XFER_START] = { 4, 0 },
	[VD_AGENT_FILE_XFER_STATUS] = { 8, 0 },
	[VD_AGENT_FILE_XFER_DATA] = { 12, 0 },
	[VD_AGENT_CLIENT_DISCONNECTED] = { 0, 1 },
	[VD_AGENT_MAX_CLIPBOARD] = { 4, 1 },
	[VD_AGENT_AUDIO_VOLUME_SYNC] = { 3, 0 },
	[VD_AGENT_GRAPHICS_DEVICE_INFO] = { 4, 0 },
};

static int
emit(void *arg, const void *p, size_t n)
{
	return chan_send(arg, p, n);
}

int
spice_send(uint32_t type, const void *pre, size_t npre, const void *data,
    size_t n)
{
	if (spice.ch == NULL || !chan_is_up(spice.ch)) {
		return -1;
	}
	return sf_encode(emit, spice.ch, VDP_CLIENT_PORT, type, pre, npre,
	    data, n);
}

int
spice_has(unsigned cap)
{
	return (spice.caps & spice.peer & (1u << cap)) != 0;
}

static uint32_t
our_caps(void)
{
	uint32_t c = 0;

	c |= 1u << VD_AGENT_CAP_MOUSE_STATE;
	c |= 1u << VD_AGENT_CAP_MONITORS_CONFIG;
	c |= 1u << VD_AGENT_CAP_REPLY;
	c |= 1u << VD_AGENT_CAP_SPARSE_MONITORS_CONFIG;
	c |= 1u << VD_AGENT_CAP_GUEST_LINEEND_LF;
	c |= 1u << VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS;
	if (conf_bool("spice", "clipboard", 1)) {
		c |= 1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND;
		c |= 1u << VD_AGENT_CAP_CLIPBOARD_SELECTION;
		c |= 1u << VD_AGENT_CAP_MAX_CLIPBOARD;
		c |= 1u << VD_AGENT_CAP_CLIPBOARD_NO_RELEASE_ON_REGRAB;
		c |= 1u << VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL;
	}
	if (!conf_bool("spice", "file-xfer", 1)) {
		c |= 1u << VD_AGENT_CAP_FILE_XFER_DISABLED;
	}
	return c;
}

static void
send_caps(int request)
{
	unsigned char p[8];

	sf_put32(p, (uint32_t)request);
	sf_put32(p + 4, spice.caps);
	(void)spice_send(VD_AGENT_ANNOUNCE_CAPABILITIES, p, sizeof(p),
	    NULL, 0);
}

static void
send_reply(uint32_t type, uint32_t err)
{
	unsigned char p[8];

	sf_put32(p, type);
	sf_put32(p + 4, err);
	(void)spice_send(VD_AGENT_REPLY, p, sizeof(p), NULL, 0);
}

/* The client (or the whole host) is gone: forget everything it owned. */
static void
client_gone(void)
{
	sf_reset_port(&spice.sf, VDP_CLIENT_PORT);
	spice_clip_client(0);
	spice_xfer_reset();
	spice.peer = 0;
	spice.client = 0;
	spice.max_clip = 0;
}

static void
on_caps(const char *p, size_t n)
{
	uint32_t request = sf_get32(p);

	spice.peer = n >= 8 ? sf_get32(p + 4) : 0;
	log_debug("spice: client caps 0x%08x request %u", spice.peer,
	    request);
	if (request) {
		send_caps(0);
	}
	if (request || !spice.client) {
		/* vdagentd: a request means a new client (serials reset);
		 * so does the first announcement, if it came unasked. */
		spice.client = 1;
		spice_clip_client(1);
	}
}

/* ---- mouse ------------------------------------------------------------- */

static void
desk_size(uint32_t *w, uint32_t *h)
{
	const char *d = conf_get("spice", "desktop");
	char fb[64];
	size_t i;

	*w = *h = 0;
	for (i = 0; i < nmons; i++) {
		if (mons[i].width == 0) {
			continue;
		}
		if ((uint32_t)mons[i].x + mons[i].width > *w) {
			*w = (uint32_t)mons[i].x + mons[i].width;
		}
		if ((uint32_t)mons[i].y + mons[i].height > *h) {
			*h = (uint32_t)mons[i].y + mons[i].height;
		}
	}
	if (*w && *h) {
		return;
	}
	if ((d != NULL && vscan(d, "%ux%u", w, h) == 2) ||
	    (vread_line(vpath("/sys/class/graphics/fb0/virtual_size"), fb,
	    sizeof(fb)) == 0 && vscan(fb, "%u,%u", w, h) == 2)) {
		if (*w && *h) {
			return;
		}
	}
	*w = SPICE_DESK_W;
	*h = SPICE_DESK_H;
}

static void
tablet_setup(void)
{
	struct verr e;
	uint32_t w, h;

	desk_size(&w, &h);
	if (uinput_setup(w, h, &e) == -1) {
		if (!uinput_warned++) {
			log_warnx("spice: no mouse: %s: %s", e.msg,
			    strerror(e.err));
		}
		return;
	}
	log_debug("spice: uinput tablet %ux%u", w, h);
}

static void
on_mouse(const char *p)
{
	uint32_t x = sf_get32(p), y = sf_get32(p + 4), b = sf_get32(p + 8);
	unsigned d = (unsigned char)p[12];
	struct verr e;

	if (d != 0 || nmons > 0) {
		if (d >= nmons || mons[d].width == 0) {
			log_debug("spice: mouse on unknown display %u", d);
			return;
		}
		x += (uint32_t)mons[d].x;
		y += (uint32_t)mons[d].y;
	}
	if (!uinput_ready()) {
		tablet_setup();
	}
	if (uinput_ready() && uinput_event(x, y, b, &e) == -1) {
		log_debug("spice: %s: %s", e.msg, strerror(e.err));
	}
}

/* ---- monitors config --------------------------------------------------- */

static void
xrandr_done(struct child *c, int st, void *arg)
{
	int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;

	(void)c;
	(void)arg;
	xrandr = NULL;
	log_info("spice: xrandr %s", ok ? "applied the monitors config" :
	    "failed");
	if (spice.ch != NULL && spice.ch->gen == xrandr_gen) {
		send_reply(VD_AGENT_MONITORS_CONFIG, ok ? VD_AGENT_SUCCESS :
		    VD_AGENT_ERROR);
	}
	if (ok) {
		tablet_setup();
	}
}

static const struct child_ops xrandr_ops = { NULL, xrandr_done };

/* Parse and check (spice.md 9.4); n monitors into m, or -1. */
static int
mon_parse(const char *p, size_t size, struct display_mon *m, size_t *nm)
{
	uint32_t n = sf_get32(p), flags = sf_get32(p + 4), i;
	uint64_t need;

	if (n == 0 || n > SPICE_NMON) {
		return -1;
	}
	need = 8 + (uint64_t)n * 20 +
	    ((flags & VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE) ? n * 4 : 0);
	if (size < need) {
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *q = p + 8 + i * 20;

		m[i].height = sf_get32(q);
		m[i].width = sf_get32(q + 4);
		m[i].x = (int32_t)sf_get32(q + 12);
		m[i].y = (int32_t)sf_get32(q + 16);
		if (m[i].width > 65536 || m[i].height > 65536 ||
		    (m[i].width == 0) != (m[i].height == 0) ||
		    m[i].x < 0 || m[i].y < 0 || m[i].x > 65536 ||
		    m[i].y > 65536) {
			return -1;
		}
		if (!(flags & VD_AGENT_CONFIG_MONITORS_FLAG_USE_POS)) {
			m[i].x = m[i].y = 0;
		}
	}
	*nm = n;
	return 0;
}

static void
on_monitors(const char *p, size_t size)
{
	struct display_mon m[SPICE_NMON];
	struct display_session ds;
	struct spawn sp;
	struct verr e;
	size_t n;

	if (mon_parse(p, size, m, &n) == -1) {
		log_warnx("spice: malformed monitors config (%zu bytes): %s",
		    size, log_sample(p, size < 32 ? size : 32));
		send_reply(VD_AGENT_MONITORS_CONFIG, VD_AGENT_ERROR);
		return;
	}
	/* Client display geometry maps MOUSE_STATE coordinates (8.3),
	 * whether or not a desktop applies it. */
	memcpy(mons, m, n * sizeof(m[0]));
	nmons = n;
	tablet_setup();
	if (display_find(&ds, &e) == -1 || ds.kind != DISPLAY_X11 ||
	    xrandr != NULL) {
		log_info("spice: monitors config (%ux%u): %s", m[0].width,
		    m[0].height, ds.kind == DISPLAY_NONE ? "no display session" :
		    xrandr ? "xrandr busy" : "not an X11 session");
		send_reply(VD_AGENT_MONITORS_CONFIG, VD_AGENT_ERROR);
		return;
	}
	display_spawn(&ds, &sp, display_xrandr_argv(m, n), 0,
	    SPICE_XRANDR_MS);
	xrandr_gen = spice.ch->gen;
	if ((xrandr = child_spawn(&sp, &xrandr_ops, NULL, &e)) == NULL) {
		log_warnx("spice: xrandr: %s", e.msg);
		send_reply(VD_AGENT_MONITORS_CONFIG, VD_AGENT_ERROR);
	}
}

/* ---- dispatch ---------------------------------------------------------- */

static int
size_ok(uint32_t type, uint32_t size)
{
	if (type >= VD_AGENT_END_MESSAGE || type == VD_AGENT_CLIPBOARD ||
	    type == VD_AGENT_CLIPBOARD_GRAB ||
	    type == VD_AGENT_CLIPBOARD_REQUEST ||
	    type == VD_AGENT_CLIPBOARD_RELEASE) {
		return 1;		/* unknown, or checked in spice_clip.c */
	}
	return sizes[type].exact ? size == sizes[type].min :
	    size >= sizes[type].min;
}

static void
on_msg(void *arg, unsigned port, uint32_t type, const char *p, size_t n)
{
	(void)arg;
	if (!size_ok(type, (uint32_t)n)) {
		log_warnx("spice: message type %u with bad size %zu", type, n);
		if (type == VD_AGENT_MONITORS_CONFIG) {
			send_reply(type, VD_AGENT_ERROR);
		}
		return;
	}
	switch (type) {
	case VD_AGENT_MOUSE_STATE:
		on_mouse(p);
		break;
	case VD_AGENT_MONITORS_CONFIG:
		on_monitors(p, n);
		break;
	case VD_AGENT_ANNOUNCE_CAPABILITIES:
		on_caps(p, n);
		break;
	case VD_AGENT_MAX_CLIPBOARD:
		spice.max_clip = (int32_t)sf_get32(p);
		log_debug("spice: max clipboard %lld",
		    (long long)spice.max_clip);
		break;
	case VD_AGENT_CLIENT_DISCONNECTED:
		log_info("spice: client disconnected");
		client_gone();
		break;
	case VD_AGENT_CLIPBOARD_GRAB:
	case VD_AGENT_CLIPBOARD_REQUEST:
	case VD_AGENT_CLIPBOARD_RELEASE:
		spice_clip_msg(type, p, n);
		break;
	case VD_AGENT_FILE_XFER_START:
	case VD_AGENT_FILE_XFER_STATUS:
	case VD_AGENT_FILE_XFER_DATA:
		spice_xfer_msg(type, p, n);
		break;
	case VD_AGENT_AUDIO_VOLUME_SYNC:
		/* Not announced (no mixer without a session): checked, ignored */
		if ((size_t)(unsigned char)p[2] * 2 + 3 > n) {
			log_warnx("spice: malformed volume sync");
		}
		break;
	case VD_AGENT_DISPLAY_CONFIG:	/* Windows only, not announced */
	case VD_AGENT_GRAPHICS_DEVICE_INFO:	/* single layout: not needed */
	case VD_AGENT_REPLY:
		log_debug("spice: type %u on port %u ignored", type, port);
		break;
	default:
		log_info("spice: unknown message type %u (%zu bytes) ignored",
		    type, n);
		break;
	}
}

static int
on_begin(void *arg, unsigned port, uint32_t type, uint32_t size)
{
	(void)arg;
	(void)port;
	if (type == VD_AGENT_CLIPBOARD) {
		return spice_clip_begin(size);
	}
	return SF_BUFFER;
}

static void
on_data(void *arg, unsigned port, const char *p, size_t n, int end)
{
	(void)arg;
	(void)port;
	spice_clip_data(p, n, end);
}

static void
on_abort(void *arg, unsigned port)
{
	(void)arg;
	(void)port;
	spice_clip_abort();
}

static const struct sf_ops spice_sf_ops = {
	on_begin, on_msg, on_data, on_abort
};

/* ---- the channel ------------------------------------------------------- */

static void *
spice_open(struct chan *ch)
{
	spice.ch = ch;
	spice.caps = our_caps();
	sf_init(&spice.sf, &spice_sf_ops, NULL, SPICE_MSG_MAX);
	spice_clip_init();
	(void)ctl_start();
	return &spice;
}

static void
spice_connect(struct chan *ch)
{
	(void)ch;
	sf_reset(&spice.sf);
	/* The server sends every pointer event here from now on (8.1). */
	tablet_setup();
	send_caps(1);
}

static void
spice_disconnect(struct chan *ch)
{
	(void)ch;
	client_gone();
	sf_reset(&spice.sf);
}

static void
spice_feed(struct chan *ch, const char *p, size_t n)
{
	if (sf_feed(&spice.sf, p, n) == -1 && spice.sf.broken == 1) {
		/* No way to resync a chunk stream: close and reopen the port,
		 * as spice-vdagentd does (spice.md 3.7). */
		spice.sf.broken = 2;
		log_warnx("spice: chunk stream broken, reopening the port");
		client_gone();
		chan_reopen(ch);
	}
}

const struct proto spice_proto = {
	.name = "spice",
	.open = spice_open,
	.connect = spice_connect,
	.feed = spice_feed,
	.disconnect = spice_disconnect,
};
