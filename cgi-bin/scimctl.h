/*
 * What scimctl's files share: scimctl.c (main, the audit, hook and prune
 * commands), scimctl-roles.c (roles, user, users), scimctl-graph.c
 * (graph: Manual User Sync), scimctl-held.c (held) and scimctl-activity.c
 * (activity).
 */
#ifndef SCIMCTL_H
#define SCIMCTL_H

#include <stdbool.h>
#include <stdint.h>

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

/* The same for the activity command (scimctl-activity.c). */
int	 scimctl_activity_main(int argc, char *argv[]);

/* The same for the replication command (scimctl-repl.c). */
int	 scimctl_repl_main(int argc, char *argv[]);

/*
 * Where the command word is in argv: after -c FILE, -cFILE, --config FILE
 * or --config=FILE (kept in *conf), the only options that may come before
 * it.  0 when there is none or another option comes first.  For the
 * command families that read their own options (scimctl_*_main()).
 */
int	 scimctl_command_at(int argc, char *argv[], const char **conf);

/*
 * Check a --tenant value ("" is the tenant of refused requests) and a
 * --since or --until value (opt names it; an RFC 3339 time or an age such
 * as 24h, into *out in usec): false after one line on stderr (exit 2).
 */
bool	 scimctl_tenant_arg(const char *arg);
bool	 scimctl_when_arg(const char *opt, const char *arg, int64_t *out);

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
