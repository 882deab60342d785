/*
 * Small cJSON accessors for the modules that keep their own records
 * (tokens, admin accounts and sessions, the token page) and for the
 * handlers reading a resource's keys: a member read
 * with a default instead of a NULL check at every use, and a member set
 * whether or not it is there.
 */
#ifndef SCIM_JSON_H
#define SCIM_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* The string member name of o, "" when absent or not a string. */
const char	*json_str(const cJSON *o, const char *name);
/* The same, NULL when absent or not a string (o may be NULL). */
const char	*json_str_or_null(const cJSON *o, const char *name);

/*
 * The number member name of o as int64_t, 0 when absent, not a number or
 * NaN.  Clamped to +-2^61 (73,000 years in microseconds): converting a
 * double beyond int64_t is undefined behaviour, and time arithmetic on
 * these values (expires - start) must not overflow either, whatever a
 * damaged record holds.
 */
int64_t		 json_int(const cJSON *o, const char *name);

/*
 * Replace (or add) member name of o with v, which o then owns; false
 * when v is NULL (a failed cJSON_Create*) or memory is short.
 */
bool		 json_set(cJSON *o, const char *name, cJSON *v);

#endif /* SCIM_JSON_H */
