/*
 * What the token tests share (test_token, test_token_check,
 * test_token_admin, test_token_audit): the configuration they run with,
 * a new store in a temporary directory and its removal.  scrypt runs
 * with N=1024 here (the parameters are the configuration's; the cost at
 * the default N=16384 is measured by the benchmark), and the store does
 * not sync: nothing here survives a crash on purpose.  Header-only, like
 * tap.h; every function is static and marked unused.
 */
#ifndef SCIM_TOKEN_FIXTURE_H
#define SCIM_TOKEN_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <libscrypt.h>

#include "auth/admin.h"
#include "audit/audit.h"
#include "page/page.h"
#include "store/store.h"
#include "auth/token.h"
#include "base/json.h"
#include "base/util.h"
#include "tap.h"

#define DAY	TOKEN_DAY_USEC
#define HOUR	(3600LL * 1000000)

static __attribute__((unused)) struct scim_config	 cfg;

/* The tests' configuration, for a store in dir/db (dir may be ""). */
static __attribute__((unused)) void
token_fixture_config(const char *dir)
{
	config_defaults(&cfg);
	snprintf(cfg.home, sizeof(cfg.home), "%s/db", dir);
	cfg.sync = STORE_SYNC_NONE;
	cfg.scrypt_n = 1024;
	cfg.admin_scrypt_n = 1024;
}

/*
 * Make a temporary directory (tmpl, mkdtemp's template) and open a new
 * store in tmpl/db with the tests' configuration into *s.  False (with a
 * TAP line) when either fails.
 */
static __attribute__((unused)) bool
token_fixture_open(char *tmpl, struct store **s)
{
	struct scim_error	 err;

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return false;
	}
	token_fixture_config(tmpl);
	if (!ok(store_open(s, &cfg, &err) == SCIM_OK, "open a new store")) {
		printf("# %s\n", err.detail);
		return false;
	}
	return true;
}

/* Close s and remove tmpl unless SCIM_TEST_KEEP is set (to look at it). */
static __attribute__((unused)) void
token_fixture_done(struct store *s, const char *tmpl)
{
	char	 cmd[128];

	store_close(s);
	if (getenv("SCIM_TEST_KEEP") != NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpl);
}

#endif /* SCIM_TOKEN_FIXTURE_H */
