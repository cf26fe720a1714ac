/*
 * json.h: the one JSON writer, and exact integers on top of cJSON.
 * cJSON keeps numbers as doubles; onega keeps the exact decimal text of every
 * integer in the node's valuestring (json_int, json_uint, and the qemu-ga
 * parser for request numbers), so 64-bit values survive unchanged.
 */
#ifndef PROTO_JSON_H
#define PROTO_JSON_H

#include <stdint.h>
#include "cJSON.h"

struct buf;

#define JSON_QEMU	1	/* ": " and ", ", \uXXXX for all non-ASCII */
#define JSON_COMPACT	0	/* ":" and ",", UTF-8 passed through */

int	json_write(struct buf *, const cJSON *, int);
/* Release memory kept for reuse after large messages. */
void	json_trim(void);

cJSON	*json_int(int64_t);
cJSON	*json_uint(uint64_t);
cJSON	*json_add_int(cJSON *, const char *, int64_t);
cJSON	*json_add_uint(cJSON *, const char *, uint64_t);
cJSON	*json_add_str(cJSON *, const char *, const char *);
cJSON	*json_add_bool(cJSON *, const char *, int);
cJSON	*json_add_num(cJSON *, const char *, double);

/* An integer node's value: 0, or -1 if it is no integer in range. */
int	json_get_int(const cJSON *, int64_t *);
int	json_get_uint(const cJSON *, uint64_t *);

/* Attach the exact text of every number in msg to the parsed tree. */
void	json_keep_numbers(cJSON *, const char *, size_t);
/* 1 if any object in the tree has a duplicate member name. */
int	json_has_dup_keys(const cJSON *);

#endif
