/*
 * scimctl's role and access commands (scimctl-roles.c), reached from
 * scimctl.c's main().
 */
#ifndef SCIMCTL_ROLES_H
#define SCIMCTL_ROLES_H

#include <stdbool.h>

#include "base/config.h"
#include "store/store.h"

/*
 * Run argv when its command is roles, user or users (after -c FILE if
 * given) and return the exit status; -1 for any other command.
 */
int	 scimctl_roles_main(int argc, char *argv[]);

/*
 * What every scimctl command does first: read the configuration (conf,
 * or $SCIM_CONF, or the default), drop root for the data home's owner,
 * open the store into *s (store_close() it).  False after one line on
 * stderr.  (scimctl.c's main() could use it too.)
 */
bool	 scimctl_open(const char *conf, struct scim_config *cfg,
	    struct store **s);

#endif /* SCIMCTL_ROLES_H */
