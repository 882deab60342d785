/*
 * Unit tests for the /Bulk planner (common/scim/bulk.c), table-driven:
 * which BulkRequests are refused whole and with what, which operations
 * are refused alone and with what status, the order bulkId references
 * impose (forward references, chains, paths, cycles), and the path and
 * data an operation is run with once the POSTs it names have ids.
 * Running operations needs a store and is tested over HTTP
 * (tests/http/test_bulk.py).
 *
 * JSON in the tables is written with single quotes, turned into double
 * quotes before parsing; "BULK" stands for the BulkRequest schemas member.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "scim/bulk.h"
#include "table_json.h"
#include "tap.h"

#define BULK	"'schemas':['urn:ietf:params:scim:api:messages:2.0:BulkRequest']"
#define U(b)	"{'method':'POST','path':'/Users','bulkId':'" b "'," \
		"'data':{'userName':'" b "'}}"
#define G(b, m)	"{'method':'POST','path':'/Groups','bulkId':'" b "'," \
		"'data':{'displayName':'" b "','members':[{'value':'bulkId:" m \
		"'}]}}"

static const struct {
	const char	*req;
	size_t		 max_ops;
	enum scim_err	 rc;		/* of bulk_plan() */
	const char	*order;		/* p.order, "2,0,1" */
	const char	*status;	/* each op's planned status, 200: runs */
} plans[] = {
	/* RFC 7644 3.7.2: a user, then a group naming it. */
	{ "{" BULK ",'Operations':[" U("qwerty") "," G("ytrewq", "qwerty") "]}",
	    10, SCIM_OK, "0,1", "200,200" },
	/* The same, the group first: it runs second. */
	{ "{" BULK ",'Operations':[" G("g", "u") "," U("u") "]}",
	    10, SCIM_OK, "1,0", "200,200" },
	/* A chain, backwards. */
	{ "{" BULK ",'Operations':[" G("a", "b") "," G("b", "c") "," U("c")
	    "]}", 10, SCIM_OK, "2,1,0", "200,200,200" },
	/* 3.7.1's cycle, one that names itself, and one that is free. */
	{ "{" BULK ",'Operations':[" G("qwerty", "ytrewq") ","
	    G("ytrewq", "qwerty") "," G("s", "s") "," U("free") "]}",
	    10, SCIM_OK, "0,1,2,3", "409,409,409,200" },
	/* Naming a cycle is not being in one: it fails when it runs. */
	{ "{" BULK ",'Operations':[" G("after", "a") "," G("a", "b") ","
	    G("b", "a") "]}", 10, SCIM_OK, "1,2,0", "200,409,409" },
	/* A reference in the path. */
	{ "{" BULK ",'Operations':[{'method':'PATCH','path':'/Users/bulkId:u',"
	    "'data':{}}," U("u") "]}", 10, SCIM_OK, "1,0", "200,200" },
	/* A name no POST has; a PUT's bulkId cannot be referred to. */
	{ "{" BULK ",'Operations':[" G("g", "nowhere") ","
	    "{'method':'PUT','path':'/Users/x','bulkId':'p','data':{}},"
	    G("h", "p") "]}", 10, SCIM_OK, "0,1,2", "400,200,400" },
	/* Operations refused alone. */
	{ "{" BULK ",'Operations':[{'path':'/Users','data':{}},"
	    "{'method':'GET','path':'/Users/x'},"
	    "{'method':'POST','data':{}},"
	    "{'method':'DELETE','path':'/Users/x','data':{}},"
	    "{'method':'PUT','path':'/Users/x'},"
	    "{'method':'PATCH','path':'/Users/x','data':[]},"
	    "{'method':1,'path':'/Users/x'},"
	    "{'method':'delete','path':'/Users/x','data':null},"
	    "{'method':'POST','path':'/Users','data':{}}]}",
	    10, SCIM_OK, "0,1,2,3,4,5,6,7,8",
	    "400,400,400,400,400,400,400,200,200" },
	/* Empty is fine. */
	{ "{" BULK ",'Operations':[]}", 10, SCIM_OK, "", "" },
	{ "{" BULK ",'Operations':[],'failOnErrors':3}", 10, SCIM_OK, "", "" },
	/* Refused whole. */
	{ "{'Operations':[]}", 10, SCIM_E_INVALID_SYNTAX, NULL, NULL },
	{ "{'schemas':['urn:ietf:params:scim:api:messages:2.0:PatchOp'],"
	    "'Operations':[]}", 10, SCIM_E_INVALID_SYNTAX, NULL, NULL },
	{ "{" BULK "}", 10, SCIM_E_INVALID_SYNTAX, NULL, NULL },
	{ "{" BULK ",'Operations':{}}", 10, SCIM_E_INVALID_SYNTAX, NULL, NULL },
	{ "{" BULK ",'Operations':[1]}", 10, SCIM_E_INVALID_SYNTAX, NULL,
	    NULL },
	{ "{" BULK ",'Operations':[" U("a") "," U("b") "," U("c") "]}",
	    2, SCIM_E_TOO_LARGE, NULL, NULL },
	{ "{" BULK ",'Operations':[" U("a") "," U("a") "]}",
	    10, SCIM_E_INVALID_VALUE, NULL, NULL },
	{ "{" BULK ",'Operations':[],'failOnErrors':0}", 10,
	    SCIM_E_INVALID_VALUE, NULL, NULL },
	{ "{" BULK ",'Operations':[],'failOnErrors':1.5}", 10,
	    SCIM_E_INVALID_VALUE, NULL, NULL },
	{ "{" BULK ",'Operations':[],'failOnErrors':'1'}", 10,
	    SCIM_E_INVALID_VALUE, NULL, NULL },
};

/* p's order and planned statuses as "a,b,c" strings. */
static void
describe(const struct bulk_plan *p, char *order, char *status, size_t sz)
{
	size_t	 k, o = 0, s = 0;
	int	 st;

	order[0] = status[0] = '\0';
	for (k = 0; k < p->nops; k++) {
		st = p->ops[k].refused.code == SCIM_OK ? 200 :
		    scim_err_status(p->ops[k].refused.code);
		o += (size_t)snprintf(order + o, sz - o, "%s%zu", k ? "," : "",
		    p->order[k]);
		s += (size_t)snprintf(status + s, sz - s, "%s%d", k ? "," : "",
		    st);
	}
}

static void
test_plans(void)
{
	struct bulk_plan	 p;
	struct scim_error	 err;
	char			 order[256], status[256];
	enum scim_err		 rc;
	size_t			 i;

	for (i = 0; i < sizeof(plans) / sizeof(plans[0]); i++) {
		rc = bulk_plan(table_json(plans[i].req), plans[i].max_ops, &p, &err);
		is_int(rc, plans[i].rc, plans[i].req);
		if (rc == SCIM_OK && plans[i].order != NULL) {
			describe(&p, order, status, sizeof(order));
			is_str(order, plans[i].order, "order");
			is_str(status, plans[i].status, "statuses");
		}
		bulk_plan_free(&p);
	}
}

/* The path and body an operation runs with, once the POSTs have ids. */
static void
test_resolve(void)
{
	struct bulk_plan	 p;
	struct scim_error	 err;
	char			*path, *body;

	if (bulk_plan(table_json("{" BULK ",'Operations':[" G("g", "u") ","
	    "{'method':'PATCH','path':'/Groups/bulkId:g','data':{'Operations':"
	    "[{'op':'add','value':{'members':[{'value':'bulkId:u'},"
	    "{'value':'bulkId:u2'}]}}]}}," U("u") "," U("u2") "]}"), 10, &p,
	    &err) != SCIM_OK)
		abort();
	is_str(p.ops[0].method, "POST", "method");
	/* Before u has an id, the text is left as sent. */
	ok(bulk_resolve(&p, &p.ops[1], &path, &body, &err) == SCIM_OK,
	    "resolve");
	is_str(path, "/Groups/bulkId:g", "path, g not created");
	free(path);
	free(body);
	p.ops[0].new_id = strdup("G-1");
	p.ops[2].new_id = strdup("U-1");
	ok(bulk_resolve(&p, &p.ops[1], &path, &body, &err) == SCIM_OK,
	    "resolve");
	is_str(path, "/Groups/G-1", "path");
	is_str(body, "{\"Operations\":[{\"op\":\"add\",\"value\":{\"members\":"
	    "[{\"value\":\"U-1\"},{\"value\":\"bulkId:u2\"}]}}]}", "body");
	free(path);
	free(body);
	ok(bulk_resolve(&p, &p.ops[0], &path, &body, &err) == SCIM_OK,
	    "resolve");
	is_str(body, "{\"displayName\":\"g\",\"members\":[{\"value\":\"U-1\"}]}",
	    "members");
	free(path);
	free(body);
	/* The request itself is untouched: a rerun starts from it. */
	is_str(cJSON_GetArrayItem(cJSON_GetObjectItem(p.ops[0].data,
	    "members"), 0)->child->valuestring, "bulkId:u", "request kept");
	bulk_plan_free(&p);
}

static void
test_max_payload(void)
{
	struct scim_config	 cfg;

	config_defaults(&cfg);
	is_int((long long)bulk_max_payload(&cfg), 1048576, "defaults");
	cfg.bulk_max_payload = 4096;
	is_int((long long)bulk_max_payload(&cfg), 4096, "bulk's own");
	cfg.bulk_max_payload = 1L << 24;
	is_int((long long)bulk_max_payload(&cfg), 1048576, "never above max_body");
}

int
main(void)
{
	test_plans();
	test_resolve();
	test_max_payload();
	return tap_done();
}
