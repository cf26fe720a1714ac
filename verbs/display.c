/*
 * display.c: the desktop session the helpers act for.  A static musl binary
 * has no sd-login, so read what sd-login reads (/run/systemd/seats/seat0,
 * /run/systemd/sessions/ID), parsed defensively, else the Wayland and X11
 * sockets; configuration wins over both.  Helpers get that user's ids and a
 * small fixed environment, never the agent's own.
 */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "display.h"

#define HELPER_PATH	"/usr/local/bin:/usr/bin:/bin"

/* KEY=value from a systemd state file; 0 if found. */
static int
kv_get(const char *file, const char *key, char *out, size_t osz)
{
	char buf[4096], *l, *n;
	size_t klen = strlen(key);

	if (vread_file(file, buf, sizeof(buf)) == -1) {
		return -1;
	}
	for (l = buf; l != NULL; l = n) {
		if ((n = strchr(l, '\n')) != NULL) {
			*n++ = '\0';
		}
		if (strncmp(l, key, klen) == 0 && l[klen] == '=') {
			snprintf(out, osz, "%s", l + klen + 1);
			return 0;
		}
	}
	return -1;
}

static int
set_user(struct display_session *s, uid_t uid, const char *name)
{
	struct passwd *pw = name ? getpwnam(name) : getpwuid(uid);

	if (pw == NULL) {
		return -1;
	}
	s->uid = pw->pw_uid;
	s->gid = pw->pw_gid;
	snprintf(s->user, sizeof(s->user), "%s", pw->pw_name);
	snprintf(s->home, sizeof(s->home), "%s", pw->pw_dir);
	snprintf(s->runtime, sizeof(s->runtime), "/run/user/%u",
	    (unsigned)s->uid);
	return 0;
}

/* logind: the active session of seat0, if graphical. */
static void
from_logind(struct display_session *s)
{
	char id[64], path[128], v[128];

	if (kv_get(vpath("/run/systemd/seats/seat0"), "ACTIVE", id,
	    sizeof(id)) == -1 || strchr(id, '/') != NULL) {
		return;
	}
	snprintf(path, sizeof(path), "/run/systemd/sessions/%s", id);
	if (kv_get(vpath(path), "UID", v, sizeof(v)) == -1 ||
	    set_user(s, (uid_t)strtoul(v, NULL, 10), NULL) == -1) {
		return;
	}
	if (kv_get(vpath(path), "CLASS", v, sizeof(v)) == 0 &&
	    strcmp(v, "user") != 0) {
		return;			/* a greeter is no user session */
	}
	if (kv_get(vpath(path), "DISPLAY", v, sizeof(v)) == 0) {
		snprintf(s->display, sizeof(s->display), "%.63s", v);
	}
	if (kv_get(vpath(path), "TYPE", v, sizeof(v)) == 0) {
		if (strcmp(v, "wayland") == 0) {
			s->kind = DISPLAY_WAYLAND;
			snprintf(s->wayland, sizeof(s->wayland), "wayland-0");
		} else if (strcmp(v, "x11") == 0 && s->display[0]) {
			s->kind = DISPLAY_X11;
		}
	}
}

/* No logind: the first wayland-N socket under /run/user/UID. */
static void
from_sockets(struct display_session *s)
{
	struct dirent *d, *d2;
	struct stat st;
	char path[300];
	DIR *dp, *dp2;

	if ((dp = opendir(vpath("/run/user"))) == NULL) {
		return;
	}
	while (s->kind == DISPLAY_NONE && (d = readdir(dp)) != NULL) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9') {
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", vpath("/run/user"),
		    d->d_name);
		if ((dp2 = opendir(path)) == NULL) {
			continue;
		}
		while ((d2 = readdir(dp2)) != NULL) {
			if (strncmp(d2->d_name, "wayland-", 8) != 0 ||
			    strchr(d2->d_name, '.') != NULL) {
				continue;
			}
			if (set_user(s, (uid_t)strtoul(d->d_name, NULL, 10),
			    NULL) == 0) {
				s->kind = DISPLAY_WAYLAND;
				snprintf(s->wayland, sizeof(s->wayland), "%.63s",
				    d2->d_name);
			}
			break;
		}
		closedir(dp2);
	}
	closedir(dp);
	if (s->kind == DISPLAY_NONE &&
	    stat(vpath("/tmp/.X11-unix/X0"), &st) == 0 && st.st_uid != 0 &&
	    set_user(s, st.st_uid, NULL) == 0) {
		s->kind = DISPLAY_X11;	/* a rootless Xorg owns its socket */
		snprintf(s->display, sizeof(s->display), ":0");
	}
}

static void
build_env(struct display_session *s)
{
	int n = 0;

#define ENV(...) snprintf(s->envs[n], sizeof(s->envs[n]), __VA_ARGS__), \
	    s->envp[n] = s->envs[n], n++
	ENV("PATH=%s", conf_get("spice", "helper-path") ?
	    conf_get("spice", "helper-path") : HELPER_PATH);
	ENV("HOME=%s", s->home);
	ENV("USER=%s", s->user);
	ENV("LOGNAME=%s", s->user);
	ENV("XDG_RUNTIME_DIR=%s", s->runtime);
	ENV("DBUS_SESSION_BUS_ADDRESS=unix:path=%s/bus", s->runtime);
	ENV("XDG_SESSION_TYPE=%s", s->kind == DISPLAY_WAYLAND ? "wayland" :
	    "x11");
	if (s->display[0]) {
		ENV("DISPLAY=%s", s->display);
	}
	if (s->wayland[0]) {
		ENV("WAYLAND_DISPLAY=%s", s->wayland);
	}
	if (s->xauth[0]) {
		ENV("XAUTHORITY=%s", s->xauth);
	}
#undef ENV
	s->envp[n] = NULL;
}

int
display_find(struct display_session *s, struct verr *e)
{
	const char *u = conf_get("spice", "user");
	const char *dpy = conf_get("spice", "display");
	const char *wl = conf_get("spice", "wayland-display");

	memset(s, 0, sizeof(*s));
	if (u != NULL && (dpy != NULL || wl != NULL)) {
		if (set_user(s, 0, u) == -1) {
			return verr_set(e, ENOENT, "no user %s", u);
		}
		snprintf(s->display, sizeof(s->display), "%s", dpy ? dpy : "");
		snprintf(s->wayland, sizeof(s->wayland), "%s", wl ? wl : "");
		s->kind = wl ? DISPLAY_WAYLAND : DISPLAY_X11;
	} else {
		from_logind(s);
		if (s->kind == DISPLAY_NONE) {
			from_sockets(s);
		}
	}
	if (s->kind == DISPLAY_NONE) {
		return 0;
	}
	snprintf(s->xauth, sizeof(s->xauth), "%s/.Xauthority", s->home);
	if (access(s->xauth, R_OK) == -1) {
		s->xauth[0] = '\0';
	}
	build_env(s);
	return 0;
}

void
display_spawn(const struct display_session *s, struct spawn *sp,
    char *const *argv, int flags, int64_t timeout_ms)
{
	memset(sp, 0, sizeof(*sp));
	sp->path = argv[0];
	sp->argv = argv;
	sp->envp = s->envp;
	sp->flags = flags;
	sp->drop = s->uid != 0;
	sp->uid = s->uid;
	sp->gid = s->gid;
	sp->user = s->user;
	sp->cwd = "/";
	sp->timeout_ms = timeout_ms;
}

char **
display_xrandr_argv(const struct display_mon *m, size_t n)
{
	static char strs[16][4][64];
	static char *argv[16 * 7 + 2];
	const char *outs = conf_get("spice", "outputs");
	char names[512], *save = NULL, *o;
	size_t i, a = 0;

	snprintf(names, sizeof(names), "%s", outs ? outs :
	    "Virtual-1,Virtual-2,Virtual-3,Virtual-4");
	argv[a++] = "xrandr";
	o = strtok_r(names, ",", &save);
	for (i = 0; i < n && i < 16 && o != NULL; i++) {
		snprintf(strs[i][0], 64, "%s", o);
		argv[a++] = "--output";
		argv[a++] = strs[i][0];
		if (m[i].width == 0 || m[i].height == 0) {
			argv[a++] = "--off";
		} else {
			snprintf(strs[i][1], 64, "%ux%u", m[i].width,
			    m[i].height);
			snprintf(strs[i][2], 64, "%dx%d", m[i].x, m[i].y);
			argv[a++] = "--mode";
			argv[a++] = strs[i][1];
			argv[a++] = "--pos";
			argv[a++] = strs[i][2];
		}
		o = strtok_r(NULL, ",", &save);
	}
	argv[a] = NULL;
	return argv;
}
