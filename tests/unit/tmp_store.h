/*
 * A scratch data home for the unit tests that need one, made and removed
 * the same way by all of them: a temporary directory, a configuration
 * with its defaults and a home inside that directory, a store opened
 * there, and one teardown that closes the store and removes the
 * directory (kept when SCIM_TEST_KEEP is set, to look at it after).
 *
 * The steps are separate because callers differ between them: the
 * activity tests want only the directory and the configuration, the
 * store and token fixtures set their options (sync, lock timeout,
 * scrypt cost) between making the directory and opening the store, and
 * some tests make more homes beside the first one in the directory.
 *
 * OWNS: the temporary directory's name and lifetime.  MUST NOT KNOW any
 * option a test sets: the caller fills those in.  Header-only, like
 * tap.h; every function is static and marked unused.
 */
#ifndef SCIM_TMP_STORE_H
#define SCIM_TMP_STORE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/config.h"
#include "store/store.h"
#include "tap.h"

struct tmp_store {
	char		 dir[64];	/* the temporary directory, or "" */
	struct store	*s;		/* open in the home, or NULL */
};

/*
 * Make a temporary directory /tmp/scim-NAME-XXXXXX into ts->dir and the
 * home ts->dir/db in it, and fill *cfg with the defaults and that home:
 * the caller sets the options it wants before tmp_store_open().  False,
 * with a failed TAP point, when the directory cannot be made; call
 * tmp_store_done() either way.
 */
static __attribute__((unused)) bool
tmp_store_init(struct tmp_store *ts, const char *name,
    struct scim_config *cfg)
{
	memset(ts, 0, sizeof(*ts));
	snprintf(ts->dir, sizeof(ts->dir), "/tmp/scim-%s-XXXXXX", name);
	config_defaults(cfg);
	if (mkdtemp(ts->dir) == NULL) {
		ok(0, "make a temporary directory %s", ts->dir);
		ts->dir[0] = '\0';
		return false;
	}
	snprintf(cfg->home, sizeof(cfg->home), "%s/db", ts->dir);
	/* Made here for the tests that write into it without a store. */
	if (mkdir(cfg->home, 0750) != 0) {
		ok(0, "make the home %s", cfg->home);
		return false;
	}
	return true;
}

/*
 * Open the store at cfg->home into ts->s, as the TAP point "open a new
 * store".  False (the error's detail as a TAP comment) when it fails.
 */
static __attribute__((unused)) bool
tmp_store_open(struct tmp_store *ts, const struct scim_config *cfg)
{
	struct scim_error	 err;

	if (!ok(store_open(&ts->s, cfg, &err) == SCIM_OK,
	    "open a new store")) {
		printf("# %s\n", err.detail);
		ts->s = NULL;
		return false;
	}
	return true;
}

/* Close ts->s if open; remove ts->dir unless SCIM_TEST_KEEP is set. */
static __attribute__((unused)) void
tmp_store_done(struct tmp_store *ts)
{
	char	 cmd[sizeof(ts->dir) + 16];

	if (ts->s != NULL)
		store_close(ts->s);
	ts->s = NULL;
	if (ts->dir[0] == '\0' || getenv("SCIM_TEST_KEEP") != NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", ts->dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", ts->dir);
}

#endif /* SCIM_TMP_STORE_H */
