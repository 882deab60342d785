/*
 * Replication (see store-rep.h).  These are the stubs of this round's
 * contract: they answer as for a store alone until repmgr is wired in.
 */
#include <stdio.h>

#include "store/store-rep.h"

enum store_role
store_rep_role(struct store *s)
{
	(void)s;
	return STORE_ROLE_ALONE;
}

bool
store_rep_master_url(struct store *s, char *buf, size_t len)
{
	(void)s;
	if (len > 0)
		buf[0] = '\0';
	return false;
}

bool
store_rep_last_token(struct store *s, char *buf, size_t len)
{
	(void)s;
	if (len > 0)
		buf[0] = '\0';
	return false;
}

enum scim_err
store_rep_wait_applied(struct store *s, const char *token, unsigned ms,
    struct scim_error *err)
{
	(void)s;
	(void)token;
	(void)ms;
	(void)err;
	return SCIM_OK;
}
