/*
 * account.c: authorized_keys and passwords with qemu-ga's semantics
 * (qemu-ga.md 4.6).  Files in a user's home are reached through directory
 * fds with O_NOFOLLOW (the home belongs to the user, the agent is root)
 * and replaced atomically: temporary file, fsync, rename.  Without
 * chpasswd (busybox, initramfs) /etc/shadow is rewritten here, under the
 * shadow-utils lock file, by the same atomic rename.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "sha512crypt.h"

#define KEYS_FILE	"authorized_keys"
#define KEYS_MAX	(1 << 20)	/* bytes of authorized_keys read */
#define SHADOW_MAX	(4 << 20)	/* bytes of /etc/shadow read */
#define PWD_LOCK	"/etc/.pwd.lock"	/* PASSWD_LOCK_FILE, lckpwdf */


int
account_lookup(const char *user, struct account_user *u, struct verr *e)
{
	struct passwd *pw;
	FILE *f;

	if ((f = fopen(vpath("/etc/passwd"), "re")) != NULL) {
		while ((pw = fgetpwent(f)) != NULL) {
			if (strcmp(pw->pw_name, user) == 0) {
				break;
			}
		}
		if (pw != NULL) {
			snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
			u->uid = pw->pw_uid;
			u->gid = pw->pw_gid;
			snprintf(u->home, sizeof(u->home), "%s",
			    vpath(pw->pw_dir));
		}
		fclose(f);
		if (pw != NULL) {
			return 0;
		}
	}
	return verr_set(e, ENOENT, "failed to lookup user '%s': Success",
	    user);
}

int
account_key_check(const char *key, struct verr *e)
{
	if (key[0] == '#' || strchr(key, '\n') != NULL) {
		return verr_set(e, EINVAL, "invalid OpenSSH public key: '%s'",
		    key);
	}
	return 0;
}

/* ~/.ssh as a directory fd, created (0700, the user's) if asked. */
static int
ssh_dir(const struct account_user *u, int create, struct verr *e)
{
	int home, fd;

	if ((home = open(u->home, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		return verr_set(e, errno, "failed to open '%s': %s", u->home,
		    strerror(errno));
	}
	fd = openat(home, ".ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create) {
		if (mkdirat(home, ".ssh", 0700) == -1 ||
		    fchownat(home, ".ssh", u->uid, u->gid,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			verr_set(e, errno, "failed to create '%s/.ssh': %s",
			    u->home, strerror(errno));
			close(home);
			return -1;
		}
		fd = openat(home, ".ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	if (fd == -1) {
		verr_set(e, errno, "failed to open '%s/.ssh': %s", u->home,
		    strerror(errno));
	}
	close(home);
	return fd;
}

/* The file's lines (g_strsplit on '\n', a final empty piece dropped).
 * A missing file is no lines, ENOENT in *err. */
static int
keys_read(int dir, const struct account_user *u, char ***lines, size_t *n,
    int *err, struct verr *e)
{
	char *text, *p, *nl, **v;
	size_t cap = 0, got = 0;
	struct stat st;
	ssize_t r;
	int fd;

	*lines = NULL;
	*n = 0;
	*err = 0;
	if ((fd = openat(dir, KEYS_FILE, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		*err = errno;
		if (errno == ENOENT) {
			return 0;
		}
		return verr_set(e, errno, "failed to read '%s/.ssh/%s': %s",
		    u->home, KEYS_FILE, strerror(errno));
	}
	if (fstat(fd, &st) == -1 || st.st_size >= KEYS_MAX) {
		close(fd);	/* never rewrite a file read in part */
		return verr_set(e, EFBIG, "failed to read '%s/.ssh/%s': too "
		    "large", u->home, KEYS_FILE);
	}
	if ((text = malloc(KEYS_MAX + 1)) == NULL) {
		close(fd);
		return verr_set(e, errno, "out of memory");
	}
	while (got < KEYS_MAX && (r = read(fd, text + got, KEYS_MAX - got)) >
	    0) {
		got += r;
	}
	close(fd);
	text[got] = '\0';
	for (p = text; *p != '\0'; p = nl + 1) {
		if ((v = realloc(*lines, (cap + 2) * sizeof(*v))) == NULL) {
			break;
		}
		*lines = v;
		if ((nl = strchr(p, '\n')) != NULL) {
			*nl = '\0';
		}
		v[cap++] = strdup(p);
		v[cap] = NULL;
		if (nl == NULL) {
			break;
		}
	}
	*n = cap;
	free(text);
	return 0;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i]);
	}
	free(v);
}

/* Lines joined by '\n' (qemu-ga writes no final newline), 0600, owned by
 * the user, swapped in by rename. */
static int
keys_write(int dir, const struct account_user *u, char *const *lines,
    size_t n, struct verr *e)
{
	char tmp[64];
	size_t i, len;
	int fd, ok = 1;

	snprintf(tmp, sizeof(tmp), ".%s.onega-%d", KEYS_FILE, (int)getpid());
	unlinkat(dir, tmp, 0);
	if ((fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		return verr_set(e, errno, "failed to write '%s/.ssh/%s': %s",
		    u->home, KEYS_FILE, strerror(errno));
	}
	for (i = 0; i < n && ok; i++) {
		len = strlen(lines[i]);
		ok = write(fd, lines[i], len) == (ssize_t)len &&
		    (i + 1 == n || write(fd, "\n", 1) == 1);
	}
	if (!ok || fchown(fd, u->uid, u->gid) == -1 ||
	    fchmod(fd, 0600) == -1 || fsync(fd) == -1 ||
	    renameat(dir, tmp, dir, KEYS_FILE) == -1) {
		verr_set(e, errno, "failed to write '%s/.ssh/%s': %s",
		    u->home, KEYS_FILE, strerror(errno));
		close(fd);
		unlinkat(dir, tmp, 0);
		return -1;
	}
	close(fd);
	return 0;
}

int
account_keys_get(const char *user, char ***keys, size_t *n, struct verr *e)
{
	struct account_user u;
	char **lines, **out;
	size_t nl, i;
	int dir, err;

	*keys = NULL;
	*n = 0;
	if (account_lookup(user, &u, e) == -1 ||
	    (dir = ssh_dir(&u, 0, e)) == -1) {
		return -1;
	}
	if (keys_read(dir, &u, &lines, &nl, &err, e) == -1) {
		close(dir);
		return -1;
	}
	close(dir);
	if (err == ENOENT) {
		return verr_set(e, err, "failed to read '%s/.ssh/%s': %s",
		    u.home, KEYS_FILE, strerror(err));
	}
	if ((out = calloc(nl + 1, sizeof(*out))) == NULL) {
		strv_free(lines, nl);
		return verr_set(e, errno, "out of memory");
	}
	/* qemu-ga prepends each key to its list: reverse file order. */
	for (i = nl; i-- > 0;) {
		if (lines[i][0] == '\0' || lines[i][0] == '#') {
			free(lines[i]);
			continue;
		}
		out[(*n)++] = lines[i];
	}
	free(lines);
	*keys = out;
	return 0;
}

static int
has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i], s) == 0) {
			return 1;
		}
	}
	return 0;
}

int
account_keys_add(const char *user, char *const *keys, size_t n, int reset,
    struct verr *e)
{
	struct account_user u;
	char **lines = NULL, **v;
	size_t nl = 0, i;
	int dir, err, r = -1;

	for (i = 0; i < n; i++) {
		if (account_key_check(keys[i], e) == -1) {
			return -1;
		}
	}
	if (account_lookup(user, &u, e) == -1 ||
	    (dir = ssh_dir(&u, 1, e)) == -1) {
		return -1;
	}
	if (!reset && keys_read(dir, &u, &lines, &nl, &err, e) == -1) {
		goto out;
	}
	if ((v = realloc(lines, (nl + n + 1) * sizeof(*v))) == NULL) {
		verr_set(e, errno, "out of memory");
		goto out;
	}
	lines = v;
	for (i = 0; i < n; i++) {
		if (!has(lines, nl, keys[i]) &&
		    (lines[nl] = strdup(keys[i])) != NULL) {
			nl++;
		}
	}
	r = keys_write(dir, &u, lines, nl, e);
out:
	strv_free(lines, nl);
	close(dir);
	return r;
}

int
account_keys_remove(const char *user, char *const *keys, size_t n,
    struct verr *e)
{
	struct account_user u;
	char **lines = NULL;
	size_t nl = 0, i, k;
	int dir, err, r = -1;

	for (i = 0; i < n; i++) {
		if (account_key_check(keys[i], e) == -1) {
			return -1;
		}
	}
	if (account_lookup(user, &u, e) == -1 ||
	    (dir = ssh_dir(&u, 0, e)) == -1) {
		return e->err == ENOENT && strstr(e->msg, "/.ssh") ? 0 : -1;
	}
	if (keys_read(dir, &u, &lines, &nl, &err, e) == -1) {
		goto out;
	}
	if (err == ENOENT) {		/* nothing to remove */
		r = 0;
		goto out;
	}
	for (i = k = 0; i < nl; i++) {
		if (has(keys, n, lines[i])) {
			free(lines[i]);
		} else {
			lines[k++] = lines[i];
		}
	}
	nl = k;
	r = keys_write(dir, &u, lines, nl, e);
out:
	strv_free(lines, nl);
	close(dir);
	return r;
}

/* ---- passwords ------------------------------------------------------------ */

struct pwjob {
	account_done_fn	*done;
	void		*arg;
};

static void
chpasswd_out(struct child *c, int stream, const char *p, size_t n, void *a)
{
	(void)c;
	(void)stream;
	(void)a;
	if (n > 0) {
		log_info("chpasswd: %s", log_sample(p, n));
	}
}

static void
chpasswd_done(struct child *c, int status, void *arg)
{
	struct pwjob *j = arg;

	(void)c;
	j->done(WIFEXITED(status) && WEXITSTATUS(status) == 0, j->arg);
	free(j);
}

static const char *
chpasswd_path(void)
{
	static const char *const where[] = { "/usr/sbin/chpasswd",
	    "/sbin/chpasswd", "/usr/bin/chpasswd", "/bin/chpasswd" };
	size_t i;

	for (i = 0; i < nitems(where); i++) {
		if (access(vpath(where[i]), X_OK) == 0) {
			return vpath(where[i]);
		}
	}
	return NULL;
}

static int
chpasswd_run(const char *path, const char *user, const char *pw,
    int crypted, account_done_fn *done, void *arg, struct verr *e)
{
	static const struct child_ops ops = { chpasswd_out, chpasswd_done };
	char *argv[] = { "chpasswd", crypted ? "-e" : NULL, NULL };
	struct spawn sp;
	struct pwjob *j;
	struct child *c;
	int r;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		return verr_set(e, errno, "out of memory");
	}
	j->done = done;
	j->arg = arg;
	memset(&sp, 0, sizeof(sp));
	sp.path = path;
	sp.argv = argv;
	sp.flags = CHILD_IN | CHILD_OUT | CHILD_MERGE;
	sp.timeout_ms = 60000;
	if ((c = child_spawn(&sp, &ops, j, e)) == NULL) {
		free(j);
		return verr_set(e, e->err, "child process has failed to set "
		    "user password");
	}
	r = child_write(c, user, strlen(user)) | child_write(c, ":", 1) |
	    child_write(c, pw, strlen(pw)) | child_write(c, "\n", 1);
	if (r == -1) {
		log_warn("chpasswd: stdin");
	}
	child_close_stdin(c);
	return 1;
}

/* "$6$", 16 salt characters from getrandom(), 5000 rounds: what chpasswd
 * writes by default (ENCRYPT_METHOD SHA512). */
static int
hash_password(const char *pw, char *out, struct verr *e)
{
	static const char abc[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	unsigned char rnd[16];
	char salt[17];
	size_t i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		return verr_set(e, errno, "getrandom: %s", strerror(errno));
	}
	for (i = 0; i < sizeof(rnd); i++) {
		salt[i] = abc[rnd[i] % 64];
	}
	salt[16] = '\0';
	sha512crypt(pw, salt, out);
	return 0;
}

/* text with field 2 of user's line replaced by hash and, in shadow, field
 * 3 (last change, in days) set to today; -1 if no line is the user's. */
static ssize_t
shadow_rewrite(const char *text, const char *user, const char *hash,
    int is_shadow, char *out)
{
	const char *line, *nl, *le, *rest;
	size_t ulen = strlen(user), o = 0;
	int found = 0;

	for (line = text; *line != '\0'; line = nl) {
		le = strchr(line, '\n');
		nl = le ? le + 1 : line + strlen(line);
		le = le ? le : nl;
		if (found || strncmp(line, user, ulen) != 0 ||
		    line[ulen] != ':') {
			memcpy(out + o, line, nl - line);
			o += nl - line;
			continue;
		}
		found = 1;
		rest = memchr(line + ulen + 1, ':', le - (line + ulen + 1));
		o += sprintf(out + o, "%s:%s", user, hash);
		if (rest != NULL && is_shadow) {
			o += sprintf(out + o, ":%lld",
			    (long long)(time(NULL) / 86400));
			rest = memchr(rest + 1, ':', le - (rest + 1));
		}
		if (rest != NULL) {
			memcpy(out + o, rest, le - rest);
			o += le - rest;
		}
		if (nl != le) {
			out[o++] = '\n';
		}
	}
	return found ? (ssize_t)o : -1;
}

/* path replaced by n bytes, same owner and mode: temporary, fsync, rename. */
static int
replace_file(const char *path, const struct stat *st, const char *p,
    size_t n, struct verr *e)
{
	char tmp[4096];
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.onega-%d", path, (int)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, st->st_mode & 07777)) == -1) {
		return verr_set(e, errno, "%s: %s", tmp, strerror(errno));
	}
	ok = write(fd, p, n) == (ssize_t)n && fchown(fd, st->st_uid,
	    st->st_gid) == 0 && fchmod(fd, st->st_mode & 07777) == 0 &&
	    fsync(fd) == 0;
	if (close(fd) == -1 || !ok || rename(tmp, path) == -1) {
		verr_set(e, errno, "failed to update %s: %s", path,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
shadow_edit(const char *path, const char *user, const char *hash,
    int is_shadow, struct verr *e)
{
	char *text = NULL, *out = NULL;
	size_t got = 0;
	struct stat st;
	ssize_t r, n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		r = errno;
		if (fd != -1) {
			close(fd);
		}
		return verr_set(e, r, "%s: %s", path, strerror(r));
	}
	if (st.st_size >= SHADOW_MAX) {		/* never write half a file */
		close(fd);
		return verr_set(e, EFBIG, "%s is too large", path);
	}
	text = malloc(SHADOW_MAX + 1);
	out = malloc(SHADOW_MAX + strlen(hash) + 64);
	while (text && (r = read(fd, text + got, SHADOW_MAX - got)) > 0) {
		got += r;
	}
	close(fd);
	if (text == NULL || out == NULL) {
		verr_set(e, ENOMEM, "out of memory");
		goto out;
	}
	text[got] = '\0';
	if ((n = shadow_rewrite(text, user, hash, is_shadow, out)) == -1) {
		verr_set(e, ENOENT, "child process has failed to set user "
		    "password");
		goto out;
	}
	rc = replace_file(path, &st, out, n, e);
out:
	free(text);
	free(out);
	return rc;
}

/* lckpwdf()'s lock, without its 15 s wait: the loop must not block. */
static int
shadow_set(const char *user, const char *pw, int crypted, struct verr *e)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	const char *shadow = vpath("/etc/shadow");
	char hashed[SHA512CRYPT_LEN];
	const char *hash = pw;
	int lock, r, is_shadow;

	if (crypted && strchr(pw, ':') != NULL) {
		return verr_set(e, EINVAL, "forbidden characters in crypted "
		    "password");
	}
	if (!crypted) {
		if (hash_password(pw, hashed, e) == -1) {
			return -1;
		}
		hash = hashed;
	}
	if ((lock = open(vpath(PWD_LOCK), O_WRONLY | O_CREAT | O_CLOEXEC,
	    0600)) == -1 || fcntl(lock, F_SETLK, &fl) == -1) {
		r = errno;
		if (lock != -1) {
			close(lock);
		}
		return verr_set(e, r, "cannot lock the password files: %s",
		    strerror(r));
	}
	is_shadow = access(shadow, F_OK) == 0;
	r = shadow_edit(is_shadow ? shadow : vpath("/etc/passwd"), user, hash,
	    is_shadow, e);
	close(lock);
	memset(hashed, 0, sizeof(hashed));
	return r;
}

int
account_set_password(const char *user, const char *pw, int crypted,
    account_done_fn *done, void *arg, struct verr *e)
{
	struct account_user u;
	const char *chp;

	if (strchr(pw, '\n') != NULL) {
		return verr_set(e, EINVAL, "forbidden characters in raw "
		    "password");
	}
	if (strchr(user, '\n') != NULL || strchr(user, ':') != NULL) {
		return verr_set(e, EINVAL, "forbidden characters in username");
	}
	if ((chp = chpasswd_path()) != NULL) {
		return chpasswd_run(chp, user, pw, crypted, done, arg, e);
	}
	if (account_lookup(user, &u, e) == -1) {
		return verr_set(e, e->err, "child process has failed to set "
		    "user password");
	}
	return shadow_set(user, pw, crypted, e) == -1 ? -1 : 0;
}
