/*
 * chan.h: the channel runtime shared by agent.c's loop and the transports.
 * Front ends use only the chan_* calls in agent.h.
 */
#ifndef PROTO_CHAN_H
#define PROTO_CHAN_H

#include <poll.h>
#include "../agent.h"

#define CHAN_HIWAT	(1 << 20)	/* queued output that stops input */
#define CHAN_PASS	(4 << 20)	/* input bytes read per pass */
#define CHAN_AWAY_MS	1000		/* re-check an away port this often */
#define CHAN_RETRY_MS	5000		/* QGA_RETRY_INTERVAL, qga/main.c */
#define CHAN_BACKOFF_MAX 60000		/* slowest safety-net re-check */
#define CHAN_NAME_LAG_MS 100		/* after a /dev event: retry soon */

int	port_find(const char *, char *, size_t);
int	transport_open(struct chan *);

void	chan_start(struct chan *);
void	chan_fill(struct chan *, struct pollfd *, int *);
void	chan_event(struct chan *, const struct pollfd *);
void	chan_flush(struct chan *);
void	chan_recheck(struct chan *);
void	chan_close(struct chan *);
void	chan_register(struct chan *, size_t);

#endif
