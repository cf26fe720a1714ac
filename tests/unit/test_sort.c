/*
 * test_sort.c: sort() orders like qsort on random, sorted, reversed and
 * constant inputs of many sizes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent.h"

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int
main(void)
{
	static int a[5000], b[5000];
	int n, i, kind, bad = 0;

	srandom(3);
	for (n = 0; n < 5000; n = n < 40 ? n + 1 : n * 3 / 2) {
		for (kind = 0; kind < 4; kind++) {
			for (i = 0; i < n; i++) {
				a[i] = kind == 0 ? (int)(random() % 100) :
				    kind == 1 ? i : kind == 2 ? n - i : 7;
			}
			memcpy(b, a, n * sizeof(int));
			sort(a, n, sizeof(int), cmp_int);
			qsort(b, n, sizeof(int), cmp_int);
			if (memcmp(a, b, n * sizeof(int)) != 0) {
				printf("FAIL sort n=%d kind=%d\n", n, kind);
				bad++;
			}
		}
	}
	if (!bad) {
		printf("PASS sort agrees with qsort\n");
	}
	return bad != 0;
}
