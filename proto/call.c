/*
 * call.c: `onega call SOCKET COMMAND [JSON-ARGS]`, a one-shot qemu-ga client
 * for the host side (QEMU's chardev socket of org.qemu.guest_agent.0) or for
 * onega's own unix-listen socket.  It synchronises the way the schema tells
 * clients to (qemu-ga.md 2.6: 0xFF, guest-sync-delimited, skip to the 0xFF
 * reply), then sends one command and prints its `return` value.  A CLI, not
 * the agent: it may block, with one deadline for the whole exchange.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../agent.h"
#include "jstream.h"
#include "json.h"

#define CALL_TIMEOUT_MS		10000
#define CALL_NOREPLY_MS		1000	/* shutdown/suspend: no reply = done */
#define CALL_EXIT_ERROR		1	/* the agent answered with an error */
#define CALL_EXIT_USAGE		100	/* STYLE.md exit codes */
#define CALL_EXIT_SYS		111

struct call {
	int		 fd;
	struct jstream	 js;
	int64_t		 deadline;	/* ms, monotonic */
	int		 raw;		/* print reply lines as they came */
	int		 skip_ff;	/* discard input up to a 0xFF byte */
	const char	*sock;
};

int	cli_call(int, char **);

static void
call_usage(FILE *f)
{
	fprintf(f,
"usage: onega call [--timeout SEC] [--raw] [--no-sync] SOCKET COMMAND"
" [JSON-ARGS]\n"
"       COMMAND is a qemu-ga command name (guest-info), or a whole request\n"
"       object ({\"execute\":...}); JSON-ARGS is its \"arguments\" object.\n"
"  -t, --timeout SEC  wait at most SEC seconds in all (default 10)\n"
"  -r, --raw          print the reply line as received\n"
"  -n, --no-sync      skip the guest-sync-delimited handshake\n"
"Exit: 0 success, 1 the agent returned an error, 100 usage,\n"
"      111 no connection, no reply in time or a broken reply\n");
}

static int
call_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (io_unix_addr(&sun, path) == -1) {
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int
call_send(struct call *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w == -1 && errno == EINTR) {
			continue;
		}
		if (w == -1) {
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Read what is there before deadline `until`: > 0 bytes, 0 on timeout,
 * -1 on EOF (errno EPIPE) or error.
 */
static ssize_t
call_read(struct call *c, char *p, size_t n, int64_t until)
{
	struct pollfd pfd;
	ssize_t r;
	int64_t left;

	for (;;) {
		left = until - now_ms();
		if (left <= 0) {
			return 0;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r == -1 && errno != EINTR) {
			return -1;
		}
		if (r <= 0) {
			continue;
		}
		r = read(c->fd, p, n);
		if (r == -1 && (errno == EINTR || errno == EAGAIN)) {
			continue;
		}
		if (r == 0) {
			errno = EPIPE;
			return -1;
		}
		return r;
	}
}

/*
 * The next whole JSON message before `until`, parsed (numbers keep their
 * exact text).  *line gets its text for --raw.  NULL with errno ETIMEDOUT,
 * EPIPE, EPROTO (not JSON) or another read error.
 */
static cJSON *
call_next(struct call *c, int64_t until, char **line)
{
	char rb[65536];
	const char *p, *ff;
	size_t n;
	ssize_t r;
	cJSON *v;

	for (;;) {
		switch (js_next(&c->js, &p, &n)) {
		case JS_MSG:
			v = cJSON_ParseWithLength(p, n);
			if (v == NULL) {
				errno = EPROTO;
				return NULL;
			}
			json_keep_numbers(v, p, n);
			if (line != NULL && (*line = strndup(p, n)) == NULL) {
				cJSON_Delete(v);
				return NULL;
			}
			return v;
		case JS_ERR:
			continue;	/* garbage between replies: skip it */
		}
		r = call_read(c, rb, sizeof(rb), until);
		if (r == 0) {
			errno = ETIMEDOUT;
			return NULL;
		}
		if (r == -1) {
			return NULL;
		}
		p = rb;
		if (c->skip_ff) {
			if ((ff = memchr(rb, 0xff, (size_t)r)) == NULL) {
				continue;
			}
			c->skip_ff = 0;
			p = ff + 1;
		}
		if (js_feed(&c->js, p, (size_t)(rb + r - p)) == -1) {
			return NULL;
		}
	}
}

/*
 * guest-sync-delimited (qemu-ga.md 2.6): send 0xFF so a half-sent request of
 * an earlier client is cut off, discard everything up to a 0xFF from the
 * agent, and take the object after it; repeat until its id is ours.
 */
static int
call_sync(struct call *c)
{
	char req[128];
	uint32_t id;
	int64_t got;
	cJSON *v;
	int n, r;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id)) {
		id = (uint32_t)now_ms() ^ (uint32_t)getpid();
	}
	id &= 0x7fffffff;
	n = snprintf(req, sizeof(req), "\xff{\"execute\":"
	    "\"guest-sync-delimited\",\"arguments\":{\"id\":%u}}\n",
	    (unsigned)id);
	if (call_send(c, req, (size_t)n) == -1) {
		return -1;
	}
	c->skip_ff = 1;
	for (;;) {
		if ((v = call_next(c, c->deadline, NULL)) == NULL) {
			return -1;
		}
		r = json_get_int(cJSON_GetObjectItemCaseSensitive(v, "return"),
		    &got);
		cJSON_Delete(v);
		if (r == 0 && got == (int64_t)id) {
			return 0;
		}
		/* A stale reply of an earlier client: keep reading. */
	}
}

/* The request line: COMMAND may already be a whole request object. */
static int
call_request(struct buf *b, const char *cmd, const char *args)
{
	cJSON *req, *a;
	int r;

	if (cmd[0] == '{') {
		req = cJSON_Parse(cmd);
		if (req == NULL || !cJSON_IsObject(req) || args != NULL) {
			cJSON_Delete(req);
			return -1;
		}
		json_keep_numbers(req, cmd, strlen(cmd));
	} else {
		req = cJSON_CreateObject();
		if (req == NULL || json_add_str(req, "execute", cmd) == NULL) {
			cJSON_Delete(req);
			return -1;
		}
		if (args != NULL) {
			a = cJSON_Parse(args);
			if (a == NULL || !cJSON_IsObject(a)) {
				cJSON_Delete(a);
				cJSON_Delete(req);
				return -1;
			}
			json_keep_numbers(a, args, strlen(args));
			cJSON_AddItemToObject(req, "arguments", a);
		}
	}
	r = json_write(b, req, JSON_COMPACT);
	cJSON_Delete(req);
	if (r == -1 || buf_append(b, "\n", 1) == -1) {
		return -1;
	}
	return 0;
}

/* Indented output; every scalar goes through the one JSON writer. */
static int
call_pretty(struct buf *b, const cJSON *v, int depth)
{
	const cJSON *c;
	cJSON *key;
	int r = 0;

	if (!cJSON_IsArray(v) && !cJSON_IsObject(v)) {
		return json_write(b, v, JSON_COMPACT);
	}
	if (v->child == NULL) {
		return buf_append(b, cJSON_IsArray(v) ? "[]" : "{}", 2);
	}
	r = buf_append(b, cJSON_IsArray(v) ? "[\n" : "{\n", 2);
	for (c = v->child; c != NULL && r == 0; c = c->next) {
		r = buf_printf(b, "%*s", (depth + 1) * 4, "");
		if (r == 0 && cJSON_IsObject(v)) {
			key = cJSON_CreateStringReference(c->string ?
			    c->string : "");
			r = key == NULL ? -1 : json_write(b, key, JSON_COMPACT);
			cJSON_Delete(key);
			if (r == 0) {
				r = buf_append(b, ": ", 2);
			}
		}
		if (r == 0) {
			r = call_pretty(b, c, depth + 1);
		}
		if (r == 0) {
			r = c->next != NULL ? buf_append(b, ",\n", 2) :
			    buf_append(b, "\n", 1);
		}
	}
	if (r == 0) {
		r = buf_printf(b, "%*s%c", depth * 4, "",
		    cJSON_IsArray(v) ? ']' : '}');
	}
	return r;
}

/* Print a reply: 0 for a return value, CALL_EXIT_* otherwise. */
static int
call_print(struct call *c, const cJSON *v, const char *line)
{
	const cJSON *ret, *err, *cls, *desc;
	struct buf b;
	int r;

	ret = cJSON_GetObjectItemCaseSensitive(v, "return");
	err = cJSON_GetObjectItemCaseSensitive(v, "error");
	if (c->raw) {
		printf("%s\n", line);
		return ret != NULL ? 0 : CALL_EXIT_ERROR;
	}
	if (ret != NULL) {
		memset(&b, 0, sizeof(b));
		r = call_pretty(&b, ret, 0);
		if (r == 0) {
			r = buf_append(&b, "\n", 1);
		}
		if (r == 0) {
			fwrite(buf_data(&b), 1, buf_size(&b), stdout);
		}
		buf_reset(&b);
		return r == 0 ? 0 : CALL_EXIT_SYS;
	}
	cls = cJSON_GetObjectItemCaseSensitive(err, "class");
	desc = cJSON_GetObjectItemCaseSensitive(err, "desc");
	if (err == NULL) {
		fprintf(stderr, "onega call: reply has neither return nor "
		    "error: %s\n", line);
		return CALL_EXIT_SYS;
	}
	fprintf(stderr, "onega call: %s: %s\n",
	    cJSON_IsString(cls) ? cls->valuestring : "GenericError",
	    cJSON_IsString(desc) ? desc->valuestring : "(no description)");
	return CALL_EXIT_ERROR;
}

static int
call_noreply(const char *cmd)
{
	static const char *const names[] = { "guest-shutdown",
	    "guest-suspend-ram", "guest-suspend-disk", "guest-suspend-hybrid" };
	char want[64];
	size_t i;

	for (i = 0; i < nitems(names); i++) {
		snprintf(want, sizeof(want), "\"%s\"", names[i]);
		if (strcmp(cmd, names[i]) == 0 ||
		    (cmd[0] == '{' && strstr(cmd, want) != NULL)) {
			return 1;
		}
	}
	return 0;
}

static int
call_fail(struct call *c, const char *what)
{
	if (errno == ETIMEDOUT) {
		fprintf(stderr, "onega call: %s: no reply from %s in time "
		    "(is the agent running?)\n", what, c->sock);
	} else if (errno == EPIPE) {
		fprintf(stderr, "onega call: %s: %s closed the connection\n",
		    what, c->sock);
	} else if (errno == EPROTO) {
		fprintf(stderr, "onega call: %s: reply is not JSON\n", what);
	} else {
		fprintf(stderr, "onega call: %s: %s\n", what, strerror(errno));
	}
	return CALL_EXIT_SYS;
}

static int
call_run(struct call *c, const struct buf *req, int noreply, int sync)
{
	char *line = NULL;
	cJSON *v;
	int r;

	if (sync && call_sync(c) == -1) {
		return call_fail(c, "guest-sync-delimited");
	}
	if (call_send(c, buf_data(req), buf_size(req)) == -1) {
		return call_fail(c, "send");
	}
	v = call_next(c, noreply ? now_ms() + CALL_NOREPLY_MS : c->deadline,
	    c->raw ? &line : NULL);
	if (v == NULL) {
		/* Success of shutdown/suspend is silence, or the guest going. */
		if (noreply && (errno == ETIMEDOUT || errno == EPIPE)) {
			return 0;
		}
		return call_fail(c, "reply");
	}
	r = call_print(c, v, line);
	free(line);
	cJSON_Delete(v);
	return r;
}

int
cli_call(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "raw", no_argument, NULL, 'r' },
		{ "no-sync", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct call c;
	struct buf req;
	const char *cmd, *args;
	double secs = CALL_TIMEOUT_MS / 1000.0;
	char *end;
	int ch, sync = 1, r;

	memset(&c, 0, sizeof(c));
	while ((ch = getopt_long(argc, argv, "t:rnh", lopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			secs = strtod(optarg, &end);
			if (*end != '\0' || end == optarg || !(secs > 0) ||
			    secs > 86400 * 365) {
				fprintf(stderr, "onega call: bad timeout %s\n",
				    optarg);
				return CALL_EXIT_USAGE;
			}
			break;
		case 'r': c.raw = 1; break;
		case 'n': sync = 0; break;
		case 'h': call_usage(stdout); return 0;
		default: call_usage(stderr); return CALL_EXIT_USAGE;
		}
	}
	if (argc - optind < 2 || argc - optind > 3) {
		call_usage(stderr);
		return CALL_EXIT_USAGE;
	}
	c.sock = argv[optind];
	cmd = argv[optind + 1];
	args = argc - optind == 3 ? argv[optind + 2] : NULL;
	memset(&req, 0, sizeof(req));
	if (call_request(&req, cmd, args) == -1) {
		buf_reset(&req);
		fprintf(stderr, "onega call: %s is not a JSON object\n",
		    args != NULL ? "JSON-ARGS" : "COMMAND");
		return CALL_EXIT_USAGE;
	}
	c.deadline = now_ms() + (int64_t)(secs * 1000);
	js_init(&c.js);
	if ((c.fd = call_connect(c.sock)) == -1) {
		fprintf(stderr, "onega call: connect %s: %s\n", c.sock,
		    strerror(errno));
		buf_reset(&req);
		return CALL_EXIT_SYS;
	}
	r = call_run(&c, &req, call_noreply(cmd), sync);
	close(c.fd);
	buf_reset(&req);
	js_reset(&c.js);
	fflush(stdout);
	return r;
}
