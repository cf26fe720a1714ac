/*
 * display.h: which desktop session the desktop helpers (xclip, wl-copy,
 * xrandr) serve, and the environment and identity to run them with
 * (spice.md 11.2).  No session (an appliance, a rescue guest) is normal:
 * the clipboard is then held by the agent and monitor configs are refused.
 */
#ifndef VERBS_DISPLAY_H
#define VERBS_DISPLAY_H

#include <sys/types.h>
#include "verbs.h"

enum display_kind { DISPLAY_NONE, DISPLAY_X11, DISPLAY_WAYLAND };

#define DISPLAY_ENVN	12

struct display_session {
	enum display_kind kind;
	uid_t		 uid;
	gid_t		 gid;
	char		 user[64];
	char		 home[256];
	char		 display[64];	/* DISPLAY (X11 or Xwayland) */
	char		 wayland[64];	/* WAYLAND_DISPLAY */
	char		 runtime[128];	/* XDG_RUNTIME_DIR */
	char		 xauth[300];	/* XAUTHORITY, may be empty */
	/* The helpers' environment, built by display_find. */
	char		 envs[DISPLAY_ENVN][320];
	char		*envp[DISPLAY_ENVN + 1];
};

/* Find the active session: [spice] user=/display=/wayland-display= first,
 * then logind's seat0 files, then sockets in /run/user and /tmp/.X11-unix.
 * Returns 0 (s->kind may be DISPLAY_NONE) or -1 with *e. */
int	display_find(struct display_session *, struct verr *);

/* A struct spawn for a helper as the session user (argv given). */
void	display_spawn(const struct display_session *, struct spawn *,
	    char *const *argv, int flags, int64_t timeout_ms);

struct display_mon {
	uint32_t	 width, height;
	int32_t		 x, y;
};

/* argv for `xrandr --output OUT --mode WxH --pos XxY ...`, outputs named
 * by [spice] outputs= (default Virtual-1,Virtual-2...); n monitors.
 * The strings live in a static area until the next call. */
char	**display_xrandr_argv(const struct display_mon *, size_t n);

#endif
