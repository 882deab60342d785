/*
 * [replication] in scim.conf: each key's accepted and refused values
 * (a table of scim.conf texts, loaded through config_load() as the
 * programs do), the defaults, and config_peer_next() /
 * config_hostport() on their own.  Also store_rep_status() on a
 * configuration with replication off, and the role names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "store/store-rep.h"
#include "tap.h"

static char	 conf_path[64];

/* Load text as a scim.conf: the code config_load() returns. */
static enum scim_err
load(const char *text, struct scim_config *cfg, struct scim_error *err)
{
	FILE	*f;

	if ((f = fopen(conf_path, "w")) == NULL)
		return SCIM_E_INTERNAL;
	fputs(text, f);
	fclose(f);
	err->code = SCIM_OK;
	err->detail[0] = '\0';
	return config_load(cfg, conf_path, err);
}

#define PEERS	"peers = 127.0.0.1:7002 http://127.0.0.1:8081/scim/v2, " \
		"127.0.0.1:7003 http://127.0.0.1:8082/scim/v2\n"
#define BASE	"[replication]\nsite = 127.0.0.1:7001\n" \
		"url = http://127.0.0.1:8080/scim/v2\n"

/* One scim.conf, and whether it loads; when not, a word of the error. */
static const struct {
	int		 line;
	const char	*text;
	bool		 loads;
	const char	*says;
} cases[] = {
	{ __LINE__, BASE PEERS, true, NULL },
	{ __LINE__, BASE PEERS "creator = yes\npriority = 0\n"
	    "ack_policy = quorum\nack_timeout_ms = 500\n"
	    "election_timeout_ms = 1500\nheartbeat_ms = 250\n", true, NULL },
	{ __LINE__, BASE "ack_policy = all\n", true, NULL },
	{ __LINE__, BASE "peers = db2.example.org:7002 "
	    "https://scim2.example.org/scim/v2\n", true, NULL },
	{ __LINE__, "[replication]\nsite = 127.0.0.1\n", false, "site" },
	{ __LINE__, "[replication]\nsite = :7001\n", false, "site" },
	{ __LINE__, "[replication]\nsite = 127.0.0.1:0\n", false, "site" },
	{ __LINE__, "[replication]\nsite = 127.0.0.1:65536\n", false, "site" },
	{ __LINE__, "[replication]\nsite = a b:7001\n", false, "site" },
	{ __LINE__, "[replication]\nsite = 127.0.0.1:7001\n", false, "url" },
	{ __LINE__, BASE "url = ftp://x/scim\n", false, "url" },
	{ __LINE__, BASE "url = http://\n", false, "url" },
	{ __LINE__, BASE "peers = 127.0.0.1:7002\n", false, "peers" },
	{ __LINE__, BASE "peers = http://127.0.0.1:8081/scim/v2\n", false,
	    "peers" },
	{ __LINE__, BASE "peers = 127.0.0.1:7002 http://a/scim x\n", false,
	    "peers" },
	{ __LINE__, BASE "peers = 127.0.0.1:7002 nota-url\n", false,
	    "peers" },
	{ __LINE__, BASE "peers = , \n", false, "peers" },
	{ __LINE__, BASE "creator = true\n", false, "creator" },
	{ __LINE__, BASE "priority = -1\n", false, "priority" },
	{ __LINE__, BASE "ack_policy = one\n", false, "ack_policy" },
	{ __LINE__, BASE "ack_timeout_ms = 5\n", false, "ack_timeout_ms" },
	{ __LINE__, BASE "election_timeout_ms = x\n", false,
	    "election_timeout_ms" },
	{ __LINE__, BASE "heartbeat_ms = 10\n", false, "heartbeat_ms" },
	{ __LINE__, BASE "bootstrap = yes\n", false, "unknown key" },
};

static void
test_table(void)
{
	struct scim_config	 cfg;
	struct scim_error	 err;
	enum scim_err		 rc;
	size_t			 i;
	char			 name[64];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = load(cases[i].text, &cfg, &err);
		snprintf(name, sizeof(name), "line %d %s", cases[i].line,
		    cases[i].loads ? "loads" : "is refused");
		if (!ok((rc == SCIM_OK) == cases[i].loads, "%s", name))
			printf("#   got: %s\n", err.detail);
		if (!cases[i].loads)
			ok(strstr(err.detail, cases[i].says) != NULL,
			    "line %d names %s (%s)", cases[i].line,
			    cases[i].says, err.detail);
	}
}

static void
test_values(void)
{
	struct scim_config	 cfg;
	struct scim_error	 err;

	is_int(load("[store]\nsync = full\n", &cfg, &err), SCIM_OK,
	    "no [replication]");
	is_str(cfg.rep_site, "", "replication off by default");
	is_int(cfg.rep_priority, 100, "priority 100 by default");
	is_int(cfg.rep_ack_policy, REP_ACK_QUORUM, "quorum by default");
	is_int(cfg.rep_ack_timeout_ms, 2000, "ack_timeout_ms 2000");
	ok(!cfg.rep_creator, "creator no by default");
	is_int(load(BASE PEERS "creator = yes\npriority = 0\n", &cfg, &err),
	    SCIM_OK, "a full [replication]");
	is_str(cfg.rep_site, "127.0.0.1:7001", "site kept");
	is_str(cfg.rep_url, "http://127.0.0.1:8080/scim/v2", "url kept");
	ok(cfg.rep_creator, "creator yes");
	is_int(cfg.rep_priority, 0, "priority 0 (never master)");
}

static void
test_peers(void)
{
	const char	*p = " 127.0.0.1:7002 http://a:1/x ,h-2.example:9 "
	    "https://b/scim/v2,";
	char		 addr[REP_ADDR_MAX], url[REP_URL_MAX], host[REP_ADDR_MAX];
	unsigned	 port = 0;

	is_int(config_peer_next(&p, addr, url), 1, "first peer");
	is_str(addr, "127.0.0.1:7002", "its address");
	is_str(url, "http://a:1/x", "its URL");
	is_int(config_peer_next(&p, addr, url), 1, "second peer");
	is_str(addr, "h-2.example:9", "its address");
	is_str(url, "https://b/scim/v2", "its URL");
	is_int(config_peer_next(&p, addr, url), 0, "then the end");
	ok(config_hostport("db.example.org:7001", host, &port),
	    "a host name and port");
	is_str(host, "db.example.org", "host part");
	is_int(port, 7001, "port part");
	ok(!config_hostport("[::1]:7001", NULL, NULL),
	    "IPv6 literals are not taken");
	ok(!config_hostport("host:7001x", NULL, NULL), "a port with junk");
}

static void
test_status_off(void)
{
	struct store_rep_status	 st;
	struct scim_config	 cfg;
	struct scim_error	 err;

	config_defaults(&cfg);
	is_int(store_rep_status(&cfg, &st, &err), SCIM_E_NOT_FOUND,
	    "status with replication off");
	ok(strstr(err.detail, "replication is off") != NULL, "says so");
	is_str(store_rep_role_name(STORE_ROLE_MASTER), "master", "master");
	is_str(store_rep_role_name(STORE_ROLE_REPLICA), "replica", "replica");
	is_str(store_rep_role_name(STORE_ROLE_NONE), "none", "none");
}

int
main(void)
{
	int	 fd;

	snprintf(conf_path, sizeof(conf_path), "/tmp/test_rep_conf.XXXXXX");
	if ((fd = mkstemp(conf_path)) < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	test_table();
	test_values();
	test_peers();
	test_status_off();
	unlink(conf_path);
	return tap_done();
}
