/*
 * jstream.h: cuts a byte stream into JSON messages the way QEMU's lexer and
 * streamer do (qemu-ga.md 2.1, 2.2, 2.6, 2.7).  Feed bytes, then call
 * js_next until it says JS_NONE.  A message or error handed out stays valid
 * until the next js_feed/js_next/js_reset.
 */
#ifndef PROTO_JSTREAM_H
#define PROTO_JSTREAM_H

#include <stddef.h>
#include "../agent.h"

#define JS_MAX_SIZE	(64u << 20)	/* MAX_TOKEN_SIZE, json-streamer.c */
#define JS_MAX_TOKENS	(2u << 20)	/* MAX_TOKEN_COUNT */
#define JS_MAX_DEPTH	1024		/* MAX_NESTING */
#define JS_KEEP_MAX	(128u << 20)	/* input buffer kept between messages */

enum { JS_NONE, JS_MSG, JS_ERR };

struct jstream {
	struct buf	 in;		/* raw bytes; message starts at mstart */
	struct buf	 alt;		/* message rewritten: 'x' -> "x" */
	size_t		 pos;		/* scan offset, relative to buf_data */
	size_t		 mstart;	/* start of the current message */
	size_t		 tstart;	/* start of the current token */
	size_t		 tokens;
	int		 state;
	int		 depth;
	int		 in_msg;
	int		 skip;		/* over a limit: drop to message end */
	int		 squote;	/* message has '...' strings */
	int		 strplain;	/* this "..." string: ASCII, no escapes */
	/*
	 * After JS_MSG: the longest plain "..." string of the message (ASCII,
	 * no escapes) is p[big_off .. big_off + big_len); big_len 0 if none.
	 * A large guest-file-write payload is decoded from here, in place.
	 */
	size_t		 big_off, big_len;
	char		 quote;
	int		 uleft;		/* hex digits left in \uXXXX */
	int		 u8need;	/* UTF-8 continuation bytes expected */
	unsigned char	 u8lo, u8hi;	/* range of the next one */
	int		 after_err;	/* closers right after an error: quiet */
	const char	*err;		/* first parse error of the message */
	char		 errbuf[96];
};

void	js_init(struct jstream *);
int	js_feed(struct jstream *, const char *, size_t);
/* Room to read into directly (then js_feed that pointer: no copy). */
char	*js_space(struct jstream *, size_t *);
int	js_next(struct jstream *, const char **, size_t *);
void	js_reset(struct jstream *);
void	js_trim(struct jstream *);
/* Inside a plain "..." string of an unfinished message: its text so far
 * (valid until the next call), where it starts in the message; NULL if not. */
const char *js_open_plain(const struct jstream *, size_t *off, size_t *len);
/* Bytes held (for tests and the memory bench). */
size_t	js_held(const struct jstream *);

#endif
