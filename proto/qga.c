/*
 * qga.c: the qemu-ga front end: dispatch over the per-area command tables,
 * argument checks with QEMU's error texts, and the one writer.  Rules from
 * qemu-ga.md 2 and 6.6: one compact line per reply ending "}\n", the id
 * echoed unchanged, requests answered strictly in order (a deferred command
 * holds the channel's input until it answers), 0xFF only before a
 * guest-sync-delimited reply, nothing for a successful no-reply command.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../agent.h"
#include "b64.h"
#include "jstream.h"
#include "qga.h"

#define QGA_SENTINEL	"\xff"		/* QGA_SENTINEL_BYTE, qga/main.c */

struct qga {
	struct jstream	 js;
	/*
	 * A large plain string is base64-decoded as it arrives, while the
	 * host is still sending: at the end only its last bytes are left.
	 */
	struct buf	 dec;
	size_t		 dec_off;	/* its offset in the message */
	size_t		 dec_in;	/* characters decoded */
	int		 dec_on;
	int		 dec_stop;	/* not plain base64 groups: stopped */
	struct qga_req	*pending;	/* deferred, holds the input */
	struct chan	*ch;
	struct timer	 trim;		/* give kept memory back when idle */
};

#define QGA_TRIM_MS	2000		/* quiet time before memory goes back */

static void	qga_trim(void *);

static const struct qga_cmd *const areas[] = {
	qga_core_cmds, qga_info_cmds, qga_file_cmds, qga_exec_cmds,
	qga_fs_cmds, qga_power_cmds, qga_set_cmds, qga_ext_cmds,
};

static struct buf	 wbuf = { .keep = 1 };	/* one reply being written */
static struct buf	 scratch = { .keep = 1 };	/* qga_scratch */
static void		 qga_process(struct qga *);

/* ---- the command tables ------------------------------------------------- */

const struct qga_cmd *
qga_nth(size_t n)
{
	const struct qga_cmd *c;
	size_t a;

	for (a = 0; a < nitems(areas); a++) {
		for (c = areas[a]; c->name != NULL; c++) {
			if (n-- == 0) {
				return c;
			}
		}
	}
	return NULL;
}

const struct qga_cmd *
qga_lookup(const char *name)
{
	const struct qga_cmd *c;
	size_t i;

	for (i = 0; (c = qga_nth(i)) != NULL; i++) {
		if (strcmp(c->name, name) == 0) {
			return c;
		}
	}
	return NULL;
}

/* Allow list first, then block list (qemu-ga.md 5.5). */
int
qga_enabled(const struct qga_cmd *c)
{
	const char *allow = conf_get("general", "allow-rpcs");
	const char *block = conf_get("general", "block-rpcs");

	if (allow && *allow && !conf_list_has(allow, c->name)) {
		return 0;
	}
	if (block && conf_list_has(block, c->name)) {
		return 0;
	}
	if (agent_frozen && !(c->flags & QGA_FREEZE_SAFE)) {
		return 0;
	}
	return 1;
}

/* ---- replies ------------------------------------------------------------ */

static void
req_free(struct qga_req *r)
{
	cJSON_Delete(r->msg);
	cJSON_Delete(r->id);
	free(r);
}

/*
 * An answer went out.  A deferred request answered from a later callback
 * releases the channel's input here; one answered while its handler still
 * runs is released by dispatch().
 */
static void
req_finish(struct qga_req *r)
{
	struct qga *q = r->ch->ps;

	r->answered = 1;
	if (r->deferred && !r->in_handler && q->pending == r) {
		q->pending = NULL;
		chan_pause(r->ch, 0);
		req_free(r);
		qga_process(q);	/* requests that waited behind it */
	}
}

/* Encode, prefix, queue.  A reply for a host that has gone is dropped. */
static void
send_reply(struct qga_req *r, cJSON *resp)
{
	if (resp == NULL) {
		log_warnx("qga: out of memory for a reply");
		return;
	}
	if (r->id != NULL) {
		cJSON_AddItemToObject(resp, "id", r->id);
		r->id = NULL;
	}
	buf_consume(&wbuf, buf_size(&wbuf));
	if ((r->delimited && buf_append(&wbuf, QGA_SENTINEL, 1) == -1) ||
	    json_write(&wbuf, resp, JSON_QEMU) == -1 ||
	    buf_append(&wbuf, "\n", 1) == -1) {
		log_warnx("qga: reply too large for memory");
	} else if (r->gen == r->ch->gen) {
		if (buf_size(&wbuf) > 65536) {	/* its pages are kept */
			struct qga *q = r->ch->ps;

			timer_set(&q->trim, QGA_TRIM_MS, qga_trim, q);
		}
		chan_send_buf(r->ch, &wbuf);
	} else {
		log_debug("qga: host changed, reply to %s dropped",
		    r->cmd ? r->cmd->name : "?");
	}
	buf_consume(&wbuf, buf_size(&wbuf));
	cJSON_Delete(resp);
}

#define B64_STEP	(3 * 128 * 1024)	/* bytes encoded per push */

/*
 * {"return": PRE"<base64 of p>"POST} with the request's id and sentinel, the
 * bytes qga_return would write.  The base64 goes straight into the output
 * queue a piece at a time, each piece handed to the host at once: the host
 * reads the start of a large guest-file-read while the rest is encoded.
 * Room for the whole reply is taken first, so it is never cut short.
 */
void
qga_return_b64(struct qga_req *r, const char *pre, const unsigned char *p,
    size_t n, const char *post)
{
	struct chan *ch = r->ch;
	struct buf *o = &ch->out, id = { 0 };
	size_t i, k, total;

	if (r->gen != ch->gen || ch->state != CH_UP) {
		log_debug("qga: host changed, reply dropped");
		req_finish(r);
		return;
	}
	if (r->id != NULL && (buf_append(&id, ", \"id\": ", 8) == -1 ||
	    json_write(&id, r->id, JSON_QEMU) == -1)) {
		buf_reset(&id);
		qga_fail(r, "out of memory");
		return;
	}
	total = 1 + 11 + strlen(pre) + 2 + B64_LEN(n) + strlen(post) +
	    buf_size(&id) + 2;
	if (n > SIZE_MAX / 2 || buf_reserve(o, total) == -1) {
		buf_reset(&id);
		qga_fail(r, "out of memory");
		return;
	}
	if (B64_LEN(n) > 65536) {		/* its pages are kept */
		struct qga *q = ch->ps;

		timer_set(&q->trim, QGA_TRIM_MS, qga_trim, q);
	}
	if (r->delimited) {
		buf_append(o, QGA_SENTINEL, 1);
	}
	buf_append(o, "{\"return\": ", 11);
	buf_append(o, pre, strlen(pre));
	buf_append(o, "\"", 1);
	for (i = 0; i < n; i += k) {
		k = n - i > B64_STEP ? B64_STEP : n - i;
		buf_reserve(o, B64_LEN(k));	/* room taken above */
		b64_encode(o->p + o->len, p + i, k);
		o->len += B64_LEN(k);
		if (n - i > k) {
			chan_push(ch);
		}
	}
	buf_append(o, "\"", 1);
	buf_append(o, post, strlen(post));
	buf_append(o, buf_data(&id), buf_size(&id));
	buf_append(o, "}\n", 2);
	buf_reset(&id);
	req_finish(r);
}

/* A buffer for one handler's bulk data, kept (and trimmed) like the rest. */
void *
qga_scratch(struct qga_req *r, size_t n)
{
	struct qga *q = r->ch->ps;

	scratch.off = scratch.len = 0;
	if (buf_reserve(&scratch, n ? n : 1) == -1) {
		return NULL;
	}
	if (n > 65536) {
		timer_set(&q->trim, QGA_TRIM_MS, qga_trim, q);
	}
	return scratch.p;
}

void
qga_return(struct qga_req *r, cJSON *ret)
{
	cJSON *resp = cJSON_CreateObject();

	if (ret == NULL) {
		ret = cJSON_CreateObject();
	}
	if (resp != NULL && ret != NULL) {
		cJSON_AddItemToObject(resp, "return", ret);
	} else {
		cJSON_Delete(ret);
	}
	send_reply(r, resp);
	req_finish(r);
}

static void
fail_va(struct qga_req *r, const char *cls, const char *fmt, va_list ap)
{
	cJSON *resp = cJSON_CreateObject(), *e = cJSON_CreateObject();
	char desc[1024];

	vsnprintf(desc, sizeof(desc), fmt, ap);
	json_add_str(e, "class", cls);
	json_add_str(e, "desc", desc);
	cJSON_AddItemToObject(resp, "error", e);
	log_debug("qga: %s: %s", r->cmd ? r->cmd->name : "-", desc);
	send_reply(r, resp);
	req_finish(r);
}

void
qga_fail(struct qga_req *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_va(r, "GenericError", fmt, ap);
	va_end(ap);
}

void
qga_fail_class(struct qga_req *r, const char *cls, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_va(r, cls, fmt, ap);
	va_end(ap);
}

void
qga_fail_verr(struct qga_req *r, const struct verr *e)
{
	qga_fail(r, "%s", e->msg[0] ? e->msg : "unknown error");
}

void
qga_no_reply(struct qga_req *r)
{
	req_finish(r);
}

void
qga_defer(struct qga_req *r)
{
	struct qga *q = r->ch->ps;

	r->deferred = 1;
	q->pending = r;
	chan_pause(r->ch, 1);
}

/* ---- arguments ---------------------------------------------------------- */

const cJSON *
qga_arg(const struct qga_req *r, const char *name)
{
	const cJSON *v;

	if (r->args == NULL) {
		return NULL;
	}
	v = cJSON_GetObjectItemCaseSensitive(r->args, name);
	return v;
}

int
qga_has(const struct qga_req *r, const char *name)
{
	return qga_arg(r, name) != NULL;
}

int64_t
qga_int(const struct qga_req *r, const char *name, int64_t def)
{
	const cJSON *v = qga_arg(r, name);
	int64_t n;

	return v && json_get_int(v, &n) == 0 ? n : def;
}

uint64_t
qga_uint(const struct qga_req *r, const char *name, uint64_t def)
{
	const cJSON *v = qga_arg(r, name);
	uint64_t n;

	return v && json_get_uint(v, &n) == 0 ? n : def;
}

double
qga_num(const struct qga_req *r, const char *name, double def)
{
	const cJSON *v = qga_arg(r, name);

	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

const char *
qga_str(const struct qga_req *r, const char *name, const char *def)
{
	const cJSON *v = qga_arg(r, name);

	return cJSON_IsString(v) ? v->valuestring : def;
}

unsigned char *
qga_b64(struct qga_req *r, const char *name, size_t *len, int *bad,
    unsigned char **own)
{
	const cJSON *v = qga_arg(r, name);
	const char *s = cJSON_IsString(v) ? v->valuestring : "";
	unsigned char *out;
	ssize_t got;

	*own = NULL;
	*bad = 0;
	*len = 0;
	if (v == NULL || v != r->big_node || !r->in_handler) {
		return *own = b64_decode(s, strlen(s), len, bad);
	}
	if (r->pre != NULL && buf_reserve(r->pre, (r->big_len - r->pre_in) /
	    4 * 3 + 4) == 0) {
		out = (unsigned char *)buf_data(r->pre);
		got = b64_decode_to(r->big + r->pre_in, r->big_len - r->pre_in,
		    out + buf_size(r->pre));
		if (got != -1) {
			got += buf_size(r->pre);
		}
	} else {
		out = (unsigned char *)r->big;	/* in place */
		got = b64_decode_to(r->big, r->big_len, out);
	}
	if (got == -1) {
		*bad = 1;
		return NULL;
	}
	*len = got;
	return out;
}

int
qga_bool(const struct qga_req *r, const char *name, int def)
{
	const cJSON *v = qga_arg(r, name);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

static const char *
type_name(const struct qga_arg *a)
{
	static const char *const names[] = { "integer", "uint64", "number",
	    "string", "boolean", "array", "object", "string", "any" };

	return a->type_name ? a->type_name : names[a->type];
}

static int
type_ok(const struct qga_arg *a, const cJSON *v)
{
	int64_t i;
	uint64_t u;
	size_t k;

	switch (a->type) {
	case QA_INT: return json_get_int(v, &i) == 0;
	case QA_UINT: return json_get_uint(v, &u) == 0;
	case QA_NUM: return cJSON_IsNumber(v);
	case QA_STR: return cJSON_IsString(v);
	case QA_BOOL: return cJSON_IsBool(v);
	case QA_ARRAY: return cJSON_IsArray(v);
	case QA_OBJ: return cJSON_IsObject(v);
	case QA_ENUM:
		if (!cJSON_IsString(v)) {
			return 0;
		}
		for (k = 0; a->enums && a->enums[k]; k++) {
			if (strcmp(a->enums[k], v->valuestring) == 0) {
				return 1;
			}
		}
		return 2;
	case QA_ANY: return 1;
	}
	return 0;
}

/* QAPI's input visitor: declared members in order, then leftovers. */
static int
check_args(struct qga_req *r)
{
	const struct qga_arg *a;
	const cJSON *v;
	int ok;

	for (a = r->cmd->args; a && a->name; a++) {
		v = qga_arg(r, a->name);
		if (v == NULL) {
			if (a->required) {
				qga_fail(r, "Parameter '%s' is missing",
				    a->name);
				return -1;
			}
			continue;
		}
		if ((ok = type_ok(a, v)) == 0) {
			qga_fail(r, "Invalid parameter type for '%s', "
			    "expected: %s", a->name, type_name(a));
			return -1;
		}
		if (ok == 2) {
			qga_fail(r, "Parameter '%s' does not accept value "
			    "'%s'", a->name, v->valuestring);
			return -1;
		}
	}
	for (v = r->args ? r->args->child : NULL; v != NULL; v = v->next) {
		for (a = r->cmd->args; a && a->name; a++) {
			if (strcmp(a->name, v->string) == 0) {
				break;
			}
		}
		if (a == NULL || a->name == NULL) {
			qga_fail(r, "Parameter '%s' is unexpected", v->string);
			return -1;
		}
	}
	return 0;
}

/* ---- dispatch ----------------------------------------------------------- */

/* qmp_dispatch_check_obj: the request's own members. */
static int
check_request(struct qga_req *r, const char **name)
{
	const cJSON *m;

	for (m = r->msg->child; m != NULL; m = m->next) {
		if (strcmp(m->string, "execute") == 0) {
			if (!cJSON_IsString(m)) {
				qga_fail(r, "QMP input member 'execute' must "
				    "be a string");
				return -1;
			}
			*name = m->valuestring;
		} else if (strcmp(m->string, "arguments") == 0) {
			if (!cJSON_IsObject(m)) {
				qga_fail(r, "QMP input member 'arguments' "
				    "must be an object");
				return -1;
			}
			r->args = m;
		} else if (strcmp(m->string, "id") != 0) {
			qga_fail(r, "QMP input member '%s' is unexpected",
			    m->string);
			return -1;
		}
	}
	if (*name == NULL) {
		qga_fail(r, "QMP input lacks member 'execute'");
		return -1;
	}
	return 0;
}

static void
dispatch(struct qga *q, struct qga_req *r)
{
	const char *name = NULL;

	r->id = cJSON_DetachItemFromObjectCaseSensitive(r->msg, "id");
	if (check_request(r, &name) == -1) {
		return;
	}
	if ((r->cmd = qga_lookup(name)) == NULL) {
		qga_fail_class(r, "CommandNotFound",
		    "The command %s has not been found", name);
		return;
	}
	if (!qga_enabled(r->cmd)) {
		r->cmd = NULL;
		if (agent_frozen && qga_lookup(name) &&
		    !(qga_lookup(name)->flags & QGA_FREEZE_SAFE)) {
			qga_fail_class(r, "CommandNotFound", "Command %s has "
			    "been disabled: the agent is in frozen state",
			    name);
		} else {
			qga_fail_class(r, "CommandNotFound",
			    "Command %s has been disabled", name);
		}
		return;
	}
	if (check_args(r) == -1) {
		return;
	}
	log_debug("qga: %s", name);
	r->in_handler = 1;
	r->cmd->fn(r);
	r->in_handler = 0;
	if (scratch.cap > BUF_KEEP_MAX) {
		buf_reset(&scratch);
	}
	if (!r->answered && !r->deferred) {
		qga_fail(r, "internal error: %s gave no answer", name);
	}
	if (r->answered && q->pending == r) {
		q->pending = NULL;	/* deferred, then answered at once */
		chan_pause(r->ch, 0);
	}
}

/* An error with no request object behind it: never an id. */
static void
parse_error(struct qga *q, const char *desc)
{
	struct qga_req r;

	memset(&r, 0, sizeof(r));
	r.ch = q->ch;
	r.gen = q->ch->gen;
	qga_fail(&r, "%s", desc);
}

/*
 * A large base64 argument (guest-file-write) is not copied into the cJSON
 * tree: the message is parsed with a marker in its place, and the handler
 * decodes straight from the input buffer.  Only when the marker turns up
 * exactly once, as a direct argument of a QGA_BIG command; anything else
 * is parsed whole, as usual.
 */
#ifndef QGA_BIG_MIN		/* the fuzz build makes it small */
#define QGA_BIG_MIN	(64 * 1024)
#endif
#define BIG_MARK	"\\u0001onega\\u0002"
#define BIG_VALUE	"\001onega\002"

static size_t
count_marks(const cJSON *j, const cJSON **at)
{
	size_t n = 0;

	for (; j != NULL; j = j->next) {
		if (j->string != NULL && strcmp(j->string, BIG_VALUE) == 0) {
			n++;
		}
		if (cJSON_IsString(j) && strcmp(j->valuestring,
		    BIG_VALUE) == 0) {
			*at = j;
			n++;
		}
		n += count_marks(j->child, at);
	}
	return n;
}

static cJSON *
parse_big(struct qga *q, const char *p, size_t n, struct buf *t,
    const cJSON **node)
{
	size_t off = q->js.big_off, len = q->js.big_len;
	const cJSON *e, *a, *m;
	const struct qga_cmd *c;
	cJSON *msg;

	if (len < QGA_BIG_MIN || off + len > n ||
	    buf_append(t, p, off) == -1 ||
	    buf_append(t, BIG_MARK, sizeof(BIG_MARK) - 1) == -1 ||
	    buf_append(t, p + off + len, n - off - len) == -1 ||
	    (msg = cJSON_ParseWithLength(buf_data(t), buf_size(t))) == NULL) {
		return NULL;
	}
	*node = NULL;
	e = cJSON_GetObjectItemCaseSensitive(msg, "execute");
	a = cJSON_GetObjectItemCaseSensitive(msg, "arguments");
	if (cJSON_IsString(e) && cJSON_IsObject(a) &&
	    (c = qga_lookup(e->valuestring)) != NULL && (c->flags & QGA_BIG) &&
	    count_marks(msg, node) == 1) {
		for (m = a->child; m != NULL; m = m->next) {
			if (m == *node) {
				return msg;
			}
		}
	}
	cJSON_Delete(msg);
	return NULL;
}

static void
handle(struct qga *q, const char *p, size_t n)
{
	struct qga_req *r;
	const char *end = NULL;
	const cJSON *big = NULL;
	struct buf cut = { 0 };
	cJSON *msg;

	if ((msg = parse_big(q, p, n, &cut, &big)) == NULL) {
		big = NULL;
		msg = cJSON_ParseWithLengthOpts(p, n, &end, 0);
	}
	if (msg == NULL) {
		buf_reset(&cut);
		parse_error(q, "JSON parse error, expecting value");
		return;
	}
	if (json_has_dup_keys(msg)) {
		buf_reset(&cut);
		cJSON_Delete(msg);
		parse_error(q, "JSON parse error, duplicate key");
		return;
	}
	if (!cJSON_IsObject(msg)) {
		buf_reset(&cut);
		cJSON_Delete(msg);
		parse_error(q, "QMP input must be a JSON object");
		return;
	}
	if (big != NULL) {
		json_keep_numbers(msg, buf_data(&cut), buf_size(&cut));
	} else {
		json_keep_numbers(msg, p, n);
	}
	buf_reset(&cut);
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		cJSON_Delete(msg);
		parse_error(q, "out of memory");
		return;
	}
	r->ch = q->ch;
	r->gen = q->ch->gen;
	r->msg = msg;
	if (big != NULL && p == buf_data(&q->js.in) + q->js.mstart) {
		r->big_node = big;
		r->big = buf_data(&q->js.in) + q->js.mstart + q->js.big_off;
		r->big_len = q->js.big_len;
		if (q->dec_on && q->dec_off == q->js.big_off &&
		    q->dec_in <= r->big_len && q->dec.off == 0) {
			r->pre = &q->dec;
			r->pre_in = q->dec_in;
		}
	}
	dispatch(q, r);
	if (r->answered) {
		req_free(r);
	}
}

#define DEC_STEP	(64 * 1024)	/* decode ahead in steps this big */
#define DEC_KEEP_MAX	(64u << 20)	/* like the framer's input: kept */

static void
dec_clear(struct qga *q)
{
	q->dec_on = q->dec_stop = 0;
	q->dec_in = 0;
	q->dec.off = q->dec.len = 0;	/* kept until qga_trim */
	if (q->dec.cap > DEC_KEEP_MAX) {
		buf_reset(&q->dec);
	}
}

/* Decode what has arrived of a large plain string (QGA_BIG payloads). */
static void
predecode(struct qga *q)
{
	size_t off, len, n, used, got;
	const char *s = js_open_plain(&q->js, &off, &len);

	if (s == NULL || len < QGA_BIG_MIN) {
		return;
	}
	if (!q->dec_on || q->dec_off != off) {
		dec_clear(q);
		q->dec_on = 1;
		q->dec_off = off;
	}
	n = (len - q->dec_in) & ~(size_t)3;
	if (q->dec_stop || n < DEC_STEP) {
		return;
	}
	if (buf_reserve(&q->dec, n / 4 * 3 + 4) == -1) {
		q->dec_stop = 1;
		return;
	}
	got = b64_decode_groups(s + q->dec_in, n,
	    (unsigned char *)buf_data(&q->dec) + buf_size(&q->dec), &used);
	q->dec.len += got;
	q->dec_in += used;
	if (used < n) {
		q->dec_stop = 1;	/* '=' or worse: the rest at the end */
	}
}

/* Every complete request, in order, unless one is still being answered. */
static void
qga_process(struct qga *q)
{
	const char *p;
	size_t n;
	int t;

	while (q->pending == NULL && (t = js_next(&q->js, &p, &n)) != JS_NONE) {
		if (t == JS_ERR) {
			parse_error(q, p);
		} else {
			handle(q, p, n);
		}
		dec_clear(q);
	}
	if (q->pending == NULL) {
		predecode(q);
	}
}

/* ---- the front end ------------------------------------------------------ */

static void *
qga_open(struct chan *ch)
{
	struct qga *q = calloc(1, sizeof(*q));

	if (q == NULL) {
		fatal("calloc");
	}
	js_init(&q->js);
	q->ch = ch;
	ch->out.keep = 1;	/* large replies: pages reused, qga_trim frees */
	return q;
}

static void
qga_trim(void *arg)
{
	struct qga *q = arg;

	js_trim(&q->js);
	json_trim();
	buf_reset(&wbuf);
	buf_reset(&scratch);
	if (buf_size(&q->ch->out) == 0) {
		buf_reset(&q->ch->out);
	}
	if (!q->dec_on) {
		buf_reset(&q->dec);
	}
}

static char *
qga_space(struct chan *ch, size_t *n)
{
	struct qga *q = ch->ps;

	return js_space(&q->js, n);
}

static void
qga_feed(struct chan *ch, const char *p, size_t n)
{
	struct qga *q = ch->ps;

	if (n >= 65536 || q->js.in.cap > 65536) {
		timer_set(&q->trim, QGA_TRIM_MS, qga_trim, q);
	}

	if (js_feed(&q->js, p, n) == -1) {
		log_warn("qga: input");
		js_reset(&q->js);
		return;
	}
	qga_process(q);
}

/* A half-received request from the old host must not reach the new one. */
static void
qga_disconnect(struct chan *ch)
{
	struct qga *q = ch->ps;

	js_reset(&q->js);
	dec_clear(q);
	if (q->pending != NULL) {
		chan_pause(ch, 1);	/* its answer is dropped: gen changed */
	}
}

static void
qga_connect(struct chan *ch)
{
	struct qga *q = ch->ps;

	if (q->pending != NULL) {
		chan_pause(ch, 1);
	}
}

const struct proto qga_proto = {
	.name = "qemu-ga",
	.open = qga_open,
	.connect = qga_connect,
	.space = qga_space,
	.feed = qga_feed,
	.disconnect = qga_disconnect,
};

/* ---- sync, ping, info --------------------------------------------------- */

static void
qga_sync(struct qga_req *r)
{
	cJSON *id = cJSON_Duplicate(qga_arg(r, "id"), 1);

	r->delimited = strcmp(r->cmd->name, "guest-sync-delimited") == 0;
	qga_return(r, id);
}

static void
qga_ping(struct qga_req *r)
{
	qga_return(r, NULL);
}

static void
qga_info(struct qga_req *r)
{
	cJSON *ret = cJSON_CreateObject(), *list, *o;
	const struct qga_cmd *c;
	size_t i;

	json_add_str(ret, "version", ONEGA_VERSION);
	list = cJSON_AddArrayToObject(ret, "supported_commands");
	for (i = 0; (c = qga_nth(i)) != NULL; i++) {
		o = cJSON_CreateObject();
		json_add_str(o, "name", c->name);
		json_add_bool(o, "enabled", qga_enabled(c));
		json_add_bool(o, "success-response",
		    !(c->flags & QGA_NO_SUCCESS_RESPONSE));
		cJSON_AddItemToArray(list, o);
	}
	qga_return(r, ret);
}

static const struct qga_arg sync_args[] = {
	{ "id", QA_INT, 1, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL }
};

const struct qga_cmd qga_core_cmds[] = {
	{ "guest-sync-delimited", qga_sync, sync_args, QGA_FREEZE_SAFE },
	{ "guest-sync", qga_sync, sync_args, QGA_FREEZE_SAFE },
	{ "guest-ping", qga_ping, NULL, QGA_FREEZE_SAFE },
	{ "guest-info", qga_info, NULL, QGA_FREEZE_SAFE },
	{ NULL, NULL, NULL, 0 }
};
