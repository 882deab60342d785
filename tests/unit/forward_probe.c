/*
 * forward_probe: web/forward.c's forwarding as one plain CGI request,
 * without a replication group.  On a real site the store says the role
 * and the master's URL (store/store-rep.h); here the command line does,
 * so tests/http/test_forward.py can put a site in any role in front of
 * a stand-in master and check what the master receives and what the
 * client gets.  Not a production hook: the programs never take a role
 * from anyone but the store.
 *
 * usage: forward_probe role master_url self_url connect_ms timeout_ms
 *        max_answer
 *   role: alone, master, replica or none; master_url "-" when unknown.
 * The request comes from the CGI environment and standard input, with
 * [http] max_body's default; the answer goes to standard output.  A
 * request this site serves itself gets 200 {"servedHere": true}; the
 * commit token the master sent comes back as X-Probe-Commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "web/forward.h"
#include "web/service.h"

static const struct route probe_routes[] = {
	{ "GET", "Users", ROUTE_LIST, NULL, ROUTE_FORWARD },
	{ "GET", "Groups", ROUTE_LIST, NULL, ROUTE_FORWARD },
	{ "POST", "Bulk", ROUTE_LIST, NULL, ROUTE_FORWARD },
};

static const struct service probe_svc = {
	"forward_probe", "", probe_routes,
	sizeof(probe_routes) / sizeof(probe_routes[0]), NULL
};

static int
probe_role(const char *s, enum store_role *out)
{
	static const struct {
		const char	*name;
		enum store_role	 role;
	} roles[] = {
		{ "alone", STORE_ROLE_ALONE }, { "master", STORE_ROLE_MASTER },
		{ "replica", STORE_ROLE_REPLICA }, { "none", STORE_ROLE_NONE },
	};
	size_t	 i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(s, roles[i].name) == 0) {
			*out = roles[i].role;
			return 0;
		}
	return -1;
}

int
main(int argc, char *argv[])
{
	struct scim_config	 cfg;
	struct scim_error	 err = { SCIM_OK, "" };
	struct forward_site	 site;
	struct http_req		 req;
	struct http_resp	 resp;
	enum store_role		 role;
	enum scim_err		 rc = SCIM_OK;
	const char		*rest;
	char			 commit[STORE_REP_TOKEN_MAX];
	size_t			 base_len = 0;

	commit[0] = '\0';

	if (argc != 7 || probe_role(argv[1], &role) != 0) {
		fprintf(stderr, "usage: forward_probe alone|master|replica|none "
		    "master_url|- self_url connect_ms timeout_ms max_answer\n");
		return 2;
	}
	config_defaults(&cfg);
	site.master_url = strcmp(argv[2], "-") == 0 ? NULL : argv[2];
	site.self_url = argv[3];
	site.connect_ms = (unsigned)strtoul(argv[4], NULL, 10);
	site.timeout_ms = (unsigned)strtoul(argv[5], NULL, 10);
	site.max_answer = (size_t)strtoull(argv[6], NULL, 10);
	memset(&resp, 0, sizeof(resp));
	if (http_accept() < 0)
		return 1;
	if ((rc = http_req_read(&req, &cfg, &err)) == SCIM_OK &&
	    service_match(&probe_svc, req.path, &base_len, &rest) == NULL)
		rc = scim_fail(&err, SCIM_E_NOT_FOUND, "no route");
	if (rc == SCIM_OK && !forward_run(role, &site, &req, base_len, &resp,
	    commit, sizeof(commit), &rc, &err)) {
		resp.raw = strdup("{\"servedHere\": true}");
		resp.raw_len = strlen(resp.raw);
		resp.raw_type = "application/scim+json";
	}
	if (rc != SCIM_OK)
		http_resp_error(&resp, &err);
	else if (commit[0] != '\0')
		http_resp_header(&resp, "X-Probe-Commit: %s", commit);
	http_resp_send(&resp);
	http_finish();
	http_resp_free(&resp);
	http_req_free(&req);
	return 0;
}
