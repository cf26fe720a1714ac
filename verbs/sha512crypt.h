/*
 * sha512crypt.h: the "$6$" password hash (Ulrich Drepper's SHA-crypt
 * specification, as glibc and shadow-utils write it), for setting a plain
 * password without chpasswd: Debian's musl has no crypt().
 */
#ifndef VERBS_SHA512CRYPT_H
#define VERBS_SHA512CRYPT_H

#include <stddef.h>

#define SHA512CRYPT_LEN	(3 + 16 + 1 + 86 + 1)	/* "$6$salt$hash" + NUL */

/* salt: up to 16 characters of [./0-9A-Za-z]; 5000 rounds (the default,
 * so no "rounds=" field).  out holds SHA512CRYPT_LEN bytes. */
void	sha512crypt(const char *key, const char *salt, char *out);

#endif
