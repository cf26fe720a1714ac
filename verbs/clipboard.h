/*
 * clipboard.h: the guest side of the clipboard, for every front end (SPICE,
 * `onega clipboard`, the qemu-ga extension).  Data is raw bytes with a MIME
 * type; nothing here knows a wire format.  With a display session the bytes
 * go to and come from the session's helper (wl-copy/wl-paste, xclip);
 * without one the agent holds them itself (appliances, rescue guests).
 */
#ifndef VERBS_CLIPBOARD_H
#define VERBS_CLIPBOARD_H

#include "verbs.h"

#define CLIP_NSEL	3		/* clipboard, primary, secondary */
#define CLIP_MIME_MAX	64

enum clip_owner {
	CLIP_NONE,			/* nobody */
	CLIP_HOST,			/* the host grabbed: data comes from it */
	CLIP_GUEST			/* the guest set it: offered to the host */
};

struct clip_sel {
	enum clip_owner	 owner;
	char		 mime[CLIP_MIME_MAX];
	struct buf	 data;		/* the bytes (agent-held store) */
	int		 pending;	/* host data announced, not all here */
	uint64_t	 version;	/* bumped on every change */
	int		 serving;	/* host data goes to a session helper */
	int		 lazy;		/* guest data: read on demand */
	char		 target[CLIP_MIME_MAX];	/* lazy: the helper's type */
};

/* What the clipboard tells its front end about guest-side changes. */
struct clip_hooks {
	void	(*guest_grab)(int sel, const char *mime, void *);
	void	(*guest_release)(int sel, void *);
	/* Host data for sel is complete (ok) or failed: wake waiters. */
	void	(*host_done)(int sel, int ok, void *);
	void	*arg;
};

void	clip_init(const struct clip_hooks *, size_t cap);
size_t	clip_cap(void);
const struct clip_sel *clip_get(int sel);
int	clip_sel_parse(const char *);	/* "clipboard"/"primary"/... or -1 */

/* Host side (a front end relays the host's clipboard). */
void	clip_host_grab(int sel);	/* host owns sel; data will follow */
int	clip_host_begin(int sel, const char *mime, size_t size,
	    struct verr *);
int	clip_host_data(int sel, const void *, size_t);
void	clip_host_end(int sel, int ok);
void	clip_host_release(int sel);
void	clip_host_gone(void);		/* client left: drop its selections */

/* Guest side (`onega clipboard set`, qemu-ga, a session helper). */
int	clip_guest_set(int sel, const char *mime, const void *, size_t,
	    struct verr *);
/* Copy of the guest- or host-owned bytes; -1 if none or still pending. */
int	clip_read(int sel, const char **mime, const char **p, size_t *n,
	    struct verr *);

/* Desktop session helpers (clipboard_helper.c): xclip on X11,
 * wl-copy/wl-paste on Wayland, run as the session user.  Without a session
 * every call fails and the store above holds the bytes. */
int	clip_serve_begin(int sel, const char *mime, struct verr *);
int	clip_serve_data(int sel, const void *, size_t);
void	clip_serve_end(int sel, int ok);	/* ok 0: drop the offer */
void	clip_watch(int on);		/* poll the guest's selections */
/* Read a lazy guest selection into its data; fn(arg, ok) when done. */
int	clip_fetch(int sel, void (*)(void *, int), void *, struct verr *);
/* From the watcher: the guest's owner changed (mime NULL: empty). */
void	clip_guest_offer(int sel, const char *mime, const char *target);
int	clip_guest_data(int sel, const void *, size_t);

/* Waiters: fn(arg, ok) once host data for sel completes or fails. */
int	clip_wait(int sel, void (*)(void *, int), void *);
void	clip_unwait(void *);

#endif
