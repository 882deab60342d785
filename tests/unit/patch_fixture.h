/*
 * What the patch tests share (test_patch, test_patch_hook,
 * test_patch_robust): the PatchOp and resource macros their tables are
 * written with, and the helpers that turn a table string into JSON and
 * print JSON as a TAP diagnostic.  Header-only, like tap.h; every
 * function is static and marked unused, so each program takes what it
 * needs.
 *
 * JSON in the tables is written with single quotes, turned into double
 * quotes before parsing, so that \\' in the C source is an escaped quote
 * in the JSON: 'emails[type eq \\'work\\'].value'.
 */
#ifndef SCIM_PATCH_FIXTURE_H
#define SCIM_PATCH_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/filter.h"
#include "scim/patch.h"
#include "scim/schema.h"
#include "tap.h"

#define ENT	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define CORE	"urn:ietf:params:scim:schemas:core:2.0:User"
#define CUST	"urn:ietf:params:scim:schemas:extension:Custom:2.0:User"

/* A PatchOp body around ops; operations with and without path. */
#define PO(ops) \
	"{'schemas':['urn:ietf:params:scim:api:messages:2.0:PatchOp']," \
	"'Operations':[" ops "]}"
#define OPV(op, path, val) \
	"{'op':'" op "','path':'" path "','value':" val "}"
#define OPN(op, path)	"{'op':'" op "','path':'" path "'}"
#define OPL(op, val)	"{'op':'" op "','value':" val "}"

/* Work email path and friends. */
#define WORK		"emails[type eq \\'work\\']"
#define WADDR		"addresses[type eq \\'work\\']"

/* Fixtures: the resource bodies (without braces). */
#define U1	"'id':'u1','userName':'bjensen'," \
		"'meta':{'resourceType':'User'}"
#define EM_W	"{'type':'work','value':'b@work.com','primary':true}"
#define EM_H	"{'type':'home','value':'b@home.com'}"
#define UE	U1 ",'emails':[" EM_W "," EM_H "]"
#define UN	U1 ",'name':{'givenName':'Barbara','familyName':'Jensen'}"
#define MGR	"'manager':{'value':'m1','$ref':'../Users/m1'}"
#define UM	U1 ",'" ENT "':{'department':'Tour'," MGR "}"
#define G1B	"'id':'g1','displayName':'Group1'," \
		"'meta':{'resourceType':'Group'}"
#define G1	G1B ",'members':[{'value':'u1'},{'value':'u2'}," \
		"{'value':'u3'}]"

/* Turn the single quotes of a table string into double quotes. */
static __attribute__((unused)) char *
dq(const char *s)
{
	char	*r, *p;

	if ((r = strdup(s)) == NULL)
		abort();
	for (p = r; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return r;
}

/* Parse a table string; aborts on a broken table. */
static __attribute__((unused)) cJSON *
parse(const char *s, int line)
{
	char	*t = dq(s);
	cJSON	*j = cJSON_Parse(t);

	if (j == NULL) {
		fprintf(stderr, "line %d: table JSON does not parse: %s\n",
		    line, t);
		abort();
	}
	free(t);
	return j;
}

/* Print j unformatted as a TAP diagnostic line. */
static __attribute__((unused)) void
diag_json(const char *label, const cJSON *j)
{
	char	*s = j != NULL ? cJSON_PrintUnformatted(j) : NULL;

	printf("#   %8s: %s\n", label, s != NULL ? s : "(null)");
	free(s);
}

#endif /* SCIM_PATCH_FIXTURE_H */
