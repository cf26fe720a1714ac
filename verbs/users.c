/*
 * users.c: logged-in users from the utmp file, read record by record
 * (musl's getutxent() is a stub that returns nothing).  qemu-ga
 * guest-get-users reports each USER_PROCESS name once, with the time of its
 * earliest session; oVirt's active-user takes the first name in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "users.h"

/*
 * glibc's struct utmp on Linux (bits/utmp.h, __WORDSIZE_TIME64_COMPAT32:
 * 32-bit times on 64-bit ABIs too): 384 bytes, native byte order.
 */
#define UT_SIZE		384
#define UT_TYPE_OFF	0		/* short ut_type */
#define UT_USER_OFF	44		/* char ut_user[32] */
#define UT_TV_SEC_OFF	340		/* int32_t ut_tv.tv_sec */
#define UT_TV_USEC_OFF	344		/* int32_t ut_tv.tv_usec */
#define UT_USER_PROCESS	7		/* <utmp.h> USER_PROCESS */
#define UT_MAX_RECORDS	100000		/* a sane utmp has a few dozen */

const char *
users_utmp_path(void)
{
	return vpath("/var/run/utmp");
}

static int
cmp_login(const void *a, const void *b)
{
	const struct users_login *x = a, *y = b;
	int	c = strcmp(x->name, y->name);

	if (c != 0) {
		return c;
	}
	return (x->login_us > y->login_us) - (x->login_us < y->login_us);
}

static int
ut_record(const unsigned char *r, struct users_login *u)
{
	int16_t		type;
	int32_t		sec, usec;

	memcpy(&type, r + UT_TYPE_OFF, sizeof(type));
	if (type != UT_USER_PROCESS || r[UT_USER_OFF] == '\0') {
		return -1;
	}
	memset(u, 0, sizeof(*u));
	memcpy(u->name, r + UT_USER_OFF, USERS_NAME_MAX);
	memcpy(&sec, r + UT_TV_SEC_OFF, sizeof(sec));
	memcpy(&usec, r + UT_TV_USEC_OFF, sizeof(usec));
	u->login_us = (int64_t)(uint32_t)sec * 1000000 + usec;
	u->sessions = 1;
	return 0;
}

/* Sorted by name then time: keep the first of each name, count the rest. */
static size_t
uniq(struct users_login *v, size_t n)
{
	size_t	i, k = 0;

	for (i = 0; i < n; i++) {
		if (k > 0 && strcmp(v[k - 1].name, v[i].name) == 0) {
			v[k - 1].sessions++;
			continue;
		}
		v[k++] = v[i];
	}
	return k;
}

int
users_list(struct users_login **v, size_t *n, struct verr *e)
{
	unsigned char		 rec[UT_SIZE];
	struct users_login	*p;
	size_t			 cap = 0, nrec = 0;
	ssize_t			 got;
	int			 fd;

	*v = NULL;
	*n = 0;
	if ((fd = io_open(users_utmp_path(), O_RDONLY)) == -1) {
		return 0;	/* no utmp: nobody is logged in */
	}
	while (nrec++ < UT_MAX_RECORDS &&
	    (got = read(fd, rec, sizeof(rec))) == (ssize_t)sizeof(rec)) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = realloc(*v, cap * sizeof(*p))) == NULL) {
				close(fd);
				free(*v);
				*v = NULL;
				*n = 0;
				return verr_set(e, ENOMEM, "out of memory");
			}
			*v = p;
		}
		if (ut_record(rec, &(*v)[*n]) == 0) {
			(*n)++;
		}
	}
	close(fd);
	if (*n > 0) {
		sort(*v, *n, sizeof(**v), cmp_login);
		*n = uniq(*v, *n);
	}
	return 0;
}
