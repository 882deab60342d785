/*
 * Small cJSON accessors (see json.h).
 */
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/json.h"

const char *
json_str(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

const char *
json_str_or_null(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int64_t
json_int(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);
	const double	 lim = (double)(1LL << 61);

	if (!cJSON_IsNumber(v) || v->valuedouble != v->valuedouble)
		return 0;
	if (v->valuedouble >= lim)
		return 1LL << 61;
	if (v->valuedouble <= -lim)
		return -(1LL << 61);
	return (int64_t)v->valuedouble;
}

bool
json_set(cJSON *o, const char *name, cJSON *v)
{
	if (v == NULL)
		return false;
	if (cJSON_GetObjectItemCaseSensitive(o, name) != NULL)
		return cJSON_ReplaceItemInObjectCaseSensitive(o, name, v);
	return cJSON_AddItemToObject(o, name, v);
}
