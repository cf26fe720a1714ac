/*
 * account.h: user accounts: ~/.ssh/authorized_keys and passwords
 * (qemu-ga.md 3.12, 3.13, 4.6).  Users come from /etc/passwd under the
 * verbs root, so tests run against a scratch root; home directories are
 * taken under the same root.
 */
#ifndef VERBS_ACCOUNT_H
#define VERBS_ACCOUNT_H

#include "verbs.h"

struct account_user {
	char		 name[256];
	uid_t		 uid;
	gid_t		 gid;
	char		 home[4096];	/* with the verbs root prepended */
};

/* "failed to lookup user '<u>': Success" (qemu-ga 7.2) when unknown. */
int	account_lookup(const char *user, struct account_user *, struct verr *);

/* qemu-ga's sanity check: no leading '#', no newline. */
int	account_key_check(const char *key, struct verr *);
/* Keys in reverse file order, blank and '#' lines skipped (7.2).
 * free() each string and the vector. */
int	account_keys_get(const char *user, char ***keys, size_t *n,
	    struct verr *);
int	account_keys_add(const char *user, char *const *keys, size_t n,
	    int reset, struct verr *);
int	account_keys_remove(const char *user, char *const *keys, size_t n,
	    struct verr *);

/* Password of a user: through chpasswd when there is one (done() later,
 * returns 1), else /etc/shadow updated in-process (returns 0). */
typedef void account_done_fn(int ok, void *arg);
int	account_set_password(const char *user, const char *pw, int crypted,
	    account_done_fn *, void *arg, struct verr *);

#endif
