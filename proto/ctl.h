/*
 * ctl.h: the local clipboard control socket (server in the agent's loop,
 * client in `onega clipboard get|set`).
 */
#ifndef PROTO_CTL_H
#define PROTO_CTL_H

#define CTL_PATH	"/run/onega/clipboard.sock"	/* [spice] control= */

int	ctl_start(void);		/* listen; from the SPICE front end */
const char *ctl_path(void);
int	cli_clipboard(int, char **);

#endif
