/*
 * qga_util.c: list argument checks with QAPI's texts (see qga_util.h).
 */
#include <stdlib.h>
#include <string.h>

#include "qga_util.h"

char **
qga_strv(struct qga_req *r, const char *name, size_t *n, int *ok)
{
	const cJSON *a = qga_arg(r, name), *v;
	char **vec;
	size_t i = 0;

	*n = 0;
	*ok = 1;
	if (a == NULL) {
		return NULL;
	}
	for (v = a->child; v != NULL; v = v->next, i++) {
		if (!cJSON_IsString(v)) {
			*ok = 0;
			qga_fail(r, "Invalid parameter type for '%s[%zu]', "
			    "expected: string", name, i);
			return NULL;
		}
	}
	if ((vec = calloc(i + 1, sizeof(*vec))) == NULL) {
		*ok = 0;
		qga_fail(r, "out of memory");
		return NULL;
	}
	for (i = 0, v = a->child; v != NULL; v = v->next) {
		vec[i++] = v->valuestring;
	}
	*n = i;
	return vec;
}

static int
elem_type_ok(const struct qga_arg *a, const cJSON *v)
{
	int64_t i;
	uint64_t u;

	switch (a->type) {
	case QA_INT: return json_get_int(v, &i) == 0;
	case QA_UINT: return json_get_uint(v, &u) == 0;
	case QA_NUM: return cJSON_IsNumber(v);
	case QA_STR:
	case QA_ENUM: return cJSON_IsString(v);
	case QA_BOOL: return cJSON_IsBool(v);
	case QA_ARRAY: return cJSON_IsArray(v);
	case QA_OBJ: return cJSON_IsObject(v);
	case QA_ANY: return 1;
	}
	return 0;
}

int
qga_check_elem(struct qga_req *r, const char *name, size_t i,
    const cJSON *el, const struct qga_arg *args)
{
	static const char *const tn[] = { "integer", "uint64", "number",
	    "string", "boolean", "array", "object", "string", "any" };
	const struct qga_arg *a;
	const cJSON *v;

	if (!cJSON_IsObject(el)) {
		qga_fail(r, "Invalid parameter type for '%s[%zu]', expected: "
		    "object", name, i);
		return -1;
	}
	for (a = args; a->name != NULL; a++) {
		v = cJSON_GetObjectItemCaseSensitive(el, a->name);
		if (v == NULL) {
			if (a->required) {
				qga_fail(r, "Parameter '%s[%zu].%s' is missing",
				    name, i, a->name);
				return -1;
			}
			continue;
		}
		if (!elem_type_ok(a, v)) {
			qga_fail(r, "Invalid parameter type for '%s[%zu].%s', "
			    "expected: %s", name, i, a->name,
			    a->type_name ? a->type_name : tn[a->type]);
			return -1;
		}
	}
	for (v = el->child; v != NULL; v = v->next) {
		for (a = args; a->name != NULL; a++) {
			if (strcmp(a->name, v->string) == 0) {
				break;
			}
		}
		if (a->name == NULL) {
			qga_fail(r, "Parameter '%s[%zu].%s' is unexpected", name,
			    i, v->string);
			return -1;
		}
	}
	return 0;
}
