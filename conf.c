/*
 * conf.c: settings as section/key/value strings, from the qemu-ga key file
 * ([general], honoured as qemu-ga reads it: GLib key-file syntax, QGA_CONF),
 * onega's own [ovirt] and [spice] sections in the same file, the command
 * line, and onega.KEY=VALUE / onega.SECTION.KEY=VALUE on the kernel command
 * line for initramfs use.  Later sources override earlier ones.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

struct kv {
	char	*section, *key, *val;
};

static struct kv	*kvs;
static size_t		 nkv, kvcap;

static struct kv *
conf_find(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < nkv; i++) {
		if (strcmp(kvs[i].section, section) == 0 &&
		    strcmp(kvs[i].key, key) == 0) {
			return &kvs[i];
		}
	}
	return NULL;
}

const char *
conf_get(const char *section, const char *key)
{
	struct kv *kv = conf_find(section, key);

	return kv ? kv->val : NULL;
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL) {
		fatal("strdup");
	}
	return p;
}

void
conf_set(const char *section, const char *key, const char *val)
{
	struct kv *kv = conf_find(section, key);

	if (kv != NULL) {
		free(kv->val);
		kv->val = xstrdup(val);
		return;
	}
	if (nkv == kvcap) {
		kvcap = kvcap ? kvcap * 2 : 32;
		if ((kvs = realloc(kvs, kvcap * sizeof(*kvs))) == NULL) {
			fatal("realloc");
		}
	}
	kvs[nkv].section = xstrdup(section);
	kvs[nkv].key = xstrdup(key);
	kvs[nkv].val = xstrdup(val);
	nkv++;
}

/* qemu-ga appends -b/-a lists to the file's lists (5.4). */
void
conf_append_list(const char *section, const char *key, const char *v)
{
	const char *old = conf_get(section, key);
	char *s;

	if (old == NULL || *old == '\0') {
		conf_set(section, key, v);
		return;
	}
	if (asprintf(&s, "%s,%s", old, v) == -1) {
		fatal("asprintf");
	}
	conf_set(section, key, s);
	free(s);
}

int
conf_bool(const char *section, const char *key, int def)
{
	const char *v = conf_get(section, key);

	if (v == NULL || *v == '\0') {
		return def;
	}
	if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	    strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0) {
		return 1;
	}
	if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
	    strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0) {
		return 0;
	}
	log_warnx("[%s] %s: not a boolean: %s", section, key, v);
	return def;
}

long long
conf_int(const char *section, const char *key, long long def)
{
	const char *v = conf_get(section, key);
	char *end;
	long long n;

	if (v == NULL || *v == '\0') {
		return def;
	}
	errno = 0;
	n = strtoll(v, &end, 0);
	if (errno != 0 || *end != '\0') {
		log_warnx("[%s] %s: not an integer: %s", section, key, v);
		return def;
	}
	return n;
}

int
conf_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		while (len > 0 && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		while (len > 0 && isspace((unsigned char)p[len - 1])) {
			len--;
		}
		if (len == n && strncmp(p, name, n) == 0) {
			return 1;
		}
		p = e ? e + 1 : NULL;
	}
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s)) {
		s++;
	}
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1])) {
		*--e = '\0';
	}
	return s;
}

/* GKeyFile value escapes: \s \n \t \r \\ */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			switch (*s) {
			case 's': *o++ = ' '; break;
			case 'n': *o++ = '\n'; break;
			case 't': *o++ = '\t'; break;
			case 'r': *o++ = '\r'; break;
			default: *o++ = *s; break;
			}
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

int
conf_load(const char *path, int must_exist)
{
	char line[4096], section[64] = "", *p, *eq;
	FILE *f;
	int lineno = 0;

	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT && !must_exist) {
			return 0;
		}
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		p = trim(line);
		if (*p == '\0' || *p == '#') {
			continue;
		}
		if (*p == '[') {
			char *e = strchr(p, ']');

			if (e == NULL || (size_t)(e - p - 1) >= sizeof(section)) {
				log_warnx("%s:%d: bad group line", path, lineno);
				section[0] = '\0';
				continue;
			}
			*e = '\0';
			snprintf(section, sizeof(section), "%s", p + 1);
			continue;
		}
		if ((eq = strchr(p, '=')) == NULL || section[0] == '\0') {
			log_warnx("%s:%d: ignored: %s", path, lineno,
			    log_sample(p, strlen(p)));
			continue;
		}
		*eq = '\0';
		unescape(eq + 1);
		conf_set(section, trim(p), trim(eq + 1));
	}
	fclose(f);
	return 0;
}

/*
 * onega.KEY=VALUE sets [general] KEY; onega.SECTION.KEY=VALUE sets
 * [SECTION] KEY, for an initramfs where no config file exists.
 */
void
conf_cmdline(const char *path)
{
	char buf[4096], *tok, *save = NULL, *dot, *eq;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "re")) == NULL) {
		return;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \t\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t\n", &save)) {
		if (strncmp(tok, "onega.", 6) != 0 ||
		    (eq = strchr(tok, '=')) == NULL) {
			continue;
		}
		*eq = '\0';
		tok += 6;
		if ((dot = strchr(tok, '.')) != NULL) {
			*dot = '\0';
			conf_set(tok, dot + 1, eq + 1);
		} else {
			conf_set("general", tok, eq + 1);
		}
	}
}

static void
dump_section(const char *section)
{
	size_t i;

	for (i = 0; i < nkv; i++) {
		if (strcmp(kvs[i].section, section) == 0) {
			printf("%s=%s\n", kvs[i].key, kvs[i].val);
		}
	}
}

/* -D: [general] in qemu-ga's order and spelling, then onega's sections. */
void
conf_dump(void)
{
	static const char *const gen[] = { "daemon", "method", "path",
	    "logfile", "pidfile", "fsfreeze-hook", "statedir", "verbose",
	    "retry-path", "block-rpcs", "allow-rpcs" };
	size_t i, j;
	const char *v;

	printf("[general]\n");
	for (i = 0; i < nitems(gen); i++) {
		if ((v = conf_get("general", gen[i])) != NULL) {
			printf("%s=%s\n", gen[i], v);
		}
	}
	for (i = 0; i < nkv; i++) {
		if (strcmp(kvs[i].section, "general") != 0) {
			continue;
		}
		for (j = 0; j < nitems(gen); j++) {
			if (strcmp(kvs[i].key, gen[j]) == 0) {
				break;
			}
		}
		if (j == nitems(gen)) {
			printf("%s=%s\n", kvs[i].key, kvs[i].val);
		}
	}
	for (i = 0; i < nkv; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(kvs[i].section, kvs[j].section) == 0) {
				break;
			}
		}
		if (j == i && strcmp(kvs[i].section, "general") != 0) {
			printf("\n[%s]\n", kvs[i].section);
			dump_section(kvs[i].section);
		}
	}
}
