/*
 * spice.h: the SPICE vdagent front end's parts (spice.c: channel, caps,
 * dispatch, mouse, monitors; spice_clip.c: clipboard; spice_xfer.c: file
 * transfer).  One SPICE channel per agent, so one state.
 */
#ifndef PROTO_SPICE_H
#define PROTO_SPICE_H

#include "spice_frame.h"

#define SPICE_MSG_MAX	(1 << 20)	/* largest buffered message: file
					 * data is 64 KiB + 12 (spice.md 7.1) */
#define SPICE_CLIP_MAX	(100 << 20)	/* spice-gtk's max-clipboard default */
#define SPICE_NMON	16		/* MAX_DISPLAY, spice-gtk */

struct spice {
	struct chan	*ch;
	struct sf	 sf;
	uint32_t	 caps;		/* ours, as announced */
	uint32_t	 peer;		/* the client's, 0 until announced */
	int		 client;	/* a client announced itself */
	int64_t		 max_clip;	/* VD_AGENT_MAX_CLIPBOARD; -1 = none */
};

extern struct spice	spice;

/* Queue one message on port 1 (every agent message goes there). */
int	spice_send(uint32_t type, const void *, size_t, const void *, size_t);
/* A cap in effect: announced by us and by the peer. */
int	spice_has(unsigned);

void	spice_clip_init(void);
int	spice_clip_begin(uint32_t size);
void	spice_clip_data(const char *, size_t, int end);
void	spice_clip_abort(void);
void	spice_clip_msg(uint32_t type, const char *, size_t);
void	spice_clip_client(int connected);	/* caps request / gone */

void	spice_xfer_msg(uint32_t type, const char *, size_t);
void	spice_xfer_reset(void);

#endif
