/*
 * What scimctl's files share: scimctl.c (main, the audit, hook and prune
 * commands), scimctl-roles.c (roles, user, users), scimctl-graph.c
 * (graph: Manual User Sync) and scimctl-held.c (held).
 */
#ifndef SCIMCTL_H
#define SCIMCTL_H

#include <stdbool.h>

#include "base/config.h"
#include "store/store.h"

/*
 * Run argv when its command is roles, user or users (after -c FILE if
 * given) and return the exit status; -1 for any other command.
 */
int	 scimctl_roles_main(int argc, char *argv[]);

/* The same for the graph command (scimctl-graph.c). */
int	 scimctl_graph_main(int argc, char *argv[]);

/* The same for the held command (list, approve, reject). */
int	 scimctl_held_main(int argc, char *argv[]);

/*
 * Where the command word is in argv: after -c FILE, -cFILE, --config FILE
 * or --config=FILE (kept in *conf), the only options that may come before
 * it.  0 when there is none or another option comes first.
 */
int	 scimctl_command_at(int argc, char *argv[], const char **conf);

/*
 * What every scimctl command does first: read the configuration (conf,
 * or $SCIM_CONF, or the default), refuse to make a store when no
 * scim.conf was found (naming the quick start's), drop root for the data
 * home's owner, open the store into *s (store_close() it).  Returns 0, or
 * the exit status after one line on stderr: 2 (usage) when no scim.conf
 * was found, 1 otherwise.
 */
int	 scimctl_open(const char *conf, struct scim_config *cfg,
	    struct store **s);

#endif /* SCIMCTL_H */
