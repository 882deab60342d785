/*
 * bench-load's private header: what its two files share (bench-load.c:
 * the store commands and main; bench-handlers.c: the in-process handler
 * timers, auth and query).
 *
 * OWNS: the command line's options.  MUST NOT KNOW: anything a program
 * of the service needs; this is the bench's alone.
 */
#ifndef BENCH_LOAD_H
#define BENCH_LOAD_H

#include "store/store.h"
#include "base/config.h"

#define TENANT		"default"	/* the tenant every command uses */

struct opts {
	const char	*conf;		/* -c */
	long		 users;		/* -n */
	long		 spare;		/* -s */
	long		 members;	/* -m */
	const char	*gid;		/* -g */
	const char	*ids;		/* -o */
	const char	*token;		/* -k */
	const char	*dir;		/* -d */
	double		 seconds;	/* -t */
	const char	*query;		/* -q */
	long		 requests;	/* -r */
};

/* Seconds on the monotonic clock. */
double		 now_s(void);
/* "bench-load: what: why" on stderr (err's detail, else errno), exit 1. */
void		 die(const char *what, const struct scim_error *err);
/* Read scim.conf, become the home's owner, open the store; or die(). */
struct store	*open_store(const struct opts *o, struct scim_config *cfg);

/* The commands of bench-handlers.c: 0, or 2 on a usage error. */
int		 cmd_auth(const struct opts *o);
int		 cmd_query(const struct opts *o);

#endif /* BENCH_LOAD_H */
