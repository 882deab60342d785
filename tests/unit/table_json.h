/*
 * JSON written in a C test table with ' for " (so the table stays
 * readable), parsed into a new tree the caller deletes.  NULL gives NULL;
 * a row that is not JSON aborts the test program, naming it.  Header-only,
 * like tap.h: test_crud and test_bulk share it.
 */
#ifndef SCIM_TABLE_JSON_H
#define SCIM_TABLE_JSON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static cJSON * __attribute__((unused))
table_json(const char *s)
{
	char	*t, *p;
	cJSON	*v;

	if (s == NULL)
		return NULL;
	if ((t = strdup(s)) == NULL)
		abort();
	for (p = t; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	v = cJSON_Parse(t);
	free(t);
	if (v == NULL) {
		fprintf(stderr, "bad JSON in the table: %s\n", s);
		abort();
	}
	return v;
}

#endif /* SCIM_TABLE_JSON_H */
