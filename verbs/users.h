/*
 * users.h: logged-in users, from the utmp file read by hand (musl's utmpx
 * functions are stubs).  Feeds qemu-ga guest-get-users and oVirt
 * active-user.  No utmp file means nobody is logged in, not an error.
 */
#ifndef VERBS_USERS_H
#define VERBS_USERS_H

#include "verbs.h"

#define USERS_NAME_MAX	32		/* UT_NAMESIZE, <utmp.h> */

struct users_login {
	char		 name[USERS_NAME_MAX + 1];
	int64_t		 login_us;	/* earliest session, µs since epoch */
	unsigned	 sessions;	/* USER_PROCESS entries for the name */
};

/* One entry per user name (USER_PROCESS), sorted by name.  free() *v. */
int	users_list(struct users_login **v, size_t *n, struct verr *);
/* The utmp file read ("/var/run/utmp" under the verbs root). */
const char *users_utmp_path(void);

#endif
