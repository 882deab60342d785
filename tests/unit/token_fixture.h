/*
 * What the token tests share (test_token, test_token_check,
 * test_token_admin, test_token_audit, test_token_ops): the configuration
 * they run with and a new store in a temporary directory (tmp_store.h).
 * scrypt runs with N=1024 here (the parameters are the configuration's;
 * the cost at the default N=16384 is measured by the benchmark), and the
 * store does not sync: nothing here survives a crash on purpose.
 * Header-only, like tap.h; every function is static and marked unused.
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
#include "tmp_store.h"

#define DAY	TOKEN_DAY_USEC
#define HOUR	(3600LL * 1000000)

static __attribute__((unused)) struct scim_config	 cfg;

/* The token tests' settings, over cfg's defaults. */
static __attribute__((unused)) void
token_fixture_config(void)
{
	cfg.sync = STORE_SYNC_NONE;
	cfg.scrypt_n = 1024;
	cfg.admin_scrypt_n = 1024;
}

/*
 * Make a temporary directory /tmp/scim-NAME-XXXXXX and open a new store
 * in it with the token tests' settings into ts (tmp_store.h): cfg is its
 * configuration.  False (with a TAP point) when either fails; call
 * tmp_store_done() either way.
 */
static __attribute__((unused)) bool
token_fixture_open(struct tmp_store *ts, const char *name)
{
	if (!tmp_store_init(ts, name, &cfg))
		return false;
	token_fixture_config();
	return tmp_store_open(ts, &cfg);
}

#endif /* SCIM_TOKEN_FIXTURE_H */
