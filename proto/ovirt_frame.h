/*
 * ovirt_frame.h: the oVirt channel's line framer and string sanitiser
 * (ovirt.md 3.3, 3.4, 10.4).  Lines end at "\n"; a line longer than the
 * cap is dropped and the stream resumes after its newline.  Sanitising maps
 * what VDSM would replace (invalid UTF-8, C0/C1 controls, surrogates,
 * U+FFFE/U+FFFF) to U+FFFD before anything is sent.
 */
#ifndef PROTO_OVIRT_FRAME_H
#define PROTO_OVIRT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "../agent.h"

#define OVF_LINE_MAX	65536		/* ovirt.md 10.4: commands are tiny */

struct ovf {
	struct buf	 in;		/* the unfinished line */
	size_t		 max;		/* longest line kept, newline excluded */
	int		 skip;		/* dropping an over-long line */
	uint64_t	 dropped;	/* over-long lines dropped so far */
};

/* Called once per complete line, newline removed; valid until it returns. */
typedef void	ovf_line_fn(void *, const char *, size_t);

void	ovf_init(struct ovf *, size_t max);
void	ovf_reset(struct ovf *);	/* forget the partial line */
/* Split p into lines; 0, or -1 if memory ran out (the partial is lost). */
int	ovf_feed(struct ovf *, const char *, size_t, ovf_line_fn *, void *);

/* 1 if s needs ovf_clean (would change on VDSM's side). */
int	ovf_dirty(const char *s);
/* A malloc'd copy of s with every bad sequence replaced by U+FFFD. */
char	*ovf_clean(const char *s);

#endif
