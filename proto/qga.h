/*
 * qga.h: what a qemu-ga command handler sees.  Each area keeps its command
 * table in proto/qga_<area>.c; qga.c walks the tables for dispatch and for
 * guest-info.  A handler validates nothing the table's argument list already
 * checks, calls its verbs/ collector, encodes with cJSON and answers once:
 * qga_return, qga_fail or qga_fail_verr (or qga_defer, and answer later).
 */
#ifndef PROTO_QGA_H
#define PROTO_QGA_H

#include <stdint.h>
#include "cJSON.h"
#include "json.h"
#include "../agent.h"

enum qga_type {
	QA_INT,			/* int64 */
	QA_UINT,		/* uint64 (also any non-negative int) */
	QA_NUM,			/* double or integer */
	QA_STR,
	QA_BOOL,
	QA_ARRAY,
	QA_OBJ,
	QA_ENUM,		/* string from .enums */
	QA_ANY
};

struct qga_arg {
	const char		*name;
	enum qga_type		 type;
	int			 required;
	const char *const	*enums;		/* QA_ENUM: NULL-terminated */
	const char		*type_name;	/* for "expected: %s" */
};

struct qga_req;
typedef void qga_fn(struct qga_req *);

#define QGA_NO_SUCCESS_RESPONSE	0x1	/* guest-shutdown, guest-suspend-* */
#define QGA_FREEZE_SAFE		0x2	/* allowed while frozen (4.3) */
#define QGA_BIG			0x4	/* big string args read with qga_strn */

struct qga_cmd {
	const char		*name;
	qga_fn			*fn;
	const struct qga_arg	*args;		/* NULL-name terminated, or NULL */
	unsigned		 flags;
};

struct qga_req {
	struct chan		*ch;
	uint64_t		 gen;		/* ch->gen when it arrived */
	const struct qga_cmd	*cmd;
	cJSON			*msg;		/* the whole request */
	const cJSON		*args;		/* "arguments", or NULL */
	cJSON			*id;		/* "id" (in msg), or NULL */
	int			 delimited;	/* answer after 0xFF */
	int			 answered;
	int			 deferred;
	int			 in_handler;
	/* A big plain string argument left in the input (QGA_BIG). */
	const cJSON		*big_node;
	char			*big;
	size_t			 big_len;
	struct buf		*pre;		/* decoded as it arrived */
	size_t			 pre_in;	/* characters of big in pre */
};

/* Answers: exactly one per request. ret NULL means {}. */
void	qga_return(struct qga_req *, cJSON *);
void	qga_fail(struct qga_req *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	qga_fail_class(struct qga_req *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	qga_fail_verr(struct qga_req *, const struct verr *);
void	qga_no_reply(struct qga_req *);	/* success of a no-reply command */
/* {"return": PRE"<base64 of n bytes at p>"POST}: encoded straight into the
 * output queue and sent as it goes (guest-file-read). */
void	qga_return_b64(struct qga_req *, const char *, const unsigned char *,
	    size_t, const char *);
/* Bulk memory for one handler (kept while the host is busy). */
void	*qga_scratch(struct qga_req *, size_t);
/*
 * Keep the request after the handler returns; input on the channel waits
 * until the answer.  The request is freed by that answer: do not touch it
 * after qga_return/qga_fail.
 */
void	qga_defer(struct qga_req *);

/* Arguments, already type-checked against the table. */
const cJSON *qga_arg(const struct qga_req *, const char *);
int	qga_has(const struct qga_req *, const char *);
int64_t	qga_int(const struct qga_req *, const char *, int64_t);
uint64_t qga_uint(const struct qga_req *, const char *, uint64_t);
double	qga_num(const struct qga_req *, const char *, double);
const char *qga_str(const struct qga_req *, const char *, const char *);
/*
 * A base64 string argument decoded (QEMU's rules, b64.h): its bytes and
 * length, or NULL with *bad set (invalid character) or not (no memory).
 * free(*own) afterwards.  For QGA_BIG commands a large argument is decoded
 * as it arrives and where it arrives, never copied.
 */
unsigned char *qga_b64(struct qga_req *, const char *, size_t *, int *,
	    unsigned char **);
int	qga_bool(const struct qga_req *, const char *, int);

/* Command lookup, for the command filter and guest-info. */
const struct qga_cmd *qga_lookup(const char *);
int	qga_enabled(const struct qga_cmd *);
/* Walk every table: i from 0 until NULL. */
const struct qga_cmd *qga_nth(size_t);
/* Does any channel have a request pending? (used by the freeze code) */

/* The per-area tables (proto/qga_<area>.c), each ends with a NULL name. */
extern const struct qga_cmd qga_core_cmds[];	/* qga.c: sync, ping, info */
extern const struct qga_cmd qga_info_cmds[];	/* qga_info.c: read-only */
extern const struct qga_cmd qga_file_cmds[];	/* qga_file.c */
extern const struct qga_cmd qga_exec_cmds[];	/* qga_exec.c */
extern const struct qga_cmd qga_fs_cmds[];	/* qga_fs.c: freeze, trim */
extern const struct qga_cmd qga_power_cmds[];	/* qga_power.c */
extern const struct qga_cmd qga_set_cmds[];	/* qga_set.c: time, cpus, users */
extern const struct qga_cmd qga_ext_cmds[];	/* qga_ext.c: onega-* */

#endif
