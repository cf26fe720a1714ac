/*
 * test_vglob.c: vglob agrees with fnmatch(pat, name, 0) on the patterns
 * users write for interfaces and packages, and on random ones.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../verbs/verbs.h"

int
main(void)
{
	static const char *const pats[] = { "veth*", "docker*", "br-*",
	    "*", "?", "e*0", "eth[0-3]", "eth[!0]", "*a*b*", "kernel-*",
	    "a?c", "[ab]*[cd]", "**x", "" };
	static const char *const names[] = { "veth1a2b", "docker0", "br-1",
	    "eth0", "eth4", "", "abc", "aXbYd", "kernel-6.1", "x", "bd",
	    "e0", "ethx" };
	const char alpha[] = "ab*?[]!-c";
	char pat[8], name[8];
	size_t i, j;
	int bad = 0, k, n;

	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		for (j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
			if (vglob(pats[i], names[j]) !=
			    (fnmatch(pats[i], names[j], 0) == 0)) {
				printf("FAIL vglob %s %s\n", pats[i], names[j]);
				bad++;
			}
		}
	}
	srandom(1);
	for (n = 0; n < 200000; n++) {
		for (k = 0; k < 1 + random() % 6; k++) {
			pat[k] = alpha[random() % (sizeof(alpha) - 1)];
		}
		pat[k] = '\0';
		for (k = 0; k < random() % 6; k++) {
			name[k] = "abc-"[random() % 4];
		}
		name[k] = '\0';
		if (vglob(pat, name) != (fnmatch(pat, name, 0) == 0)) {
			if (bad++ < 5) {
				printf("FAIL vglob random '%s' '%s': %d\n", pat,
				    name, vglob(pat, name));
			}
		}
	}
	if (!bad) {
		printf("PASS vglob agrees with fnmatch\n");
	}
	return bad != 0;
}
