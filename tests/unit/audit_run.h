/*
 * Synthetic audit events for the programs that need many of them
 * (test_token_audit, and audit_events, the back-dating tool of the HTTP
 * retention test): a run of events recorded through audit_record() in
 * the caller's transaction, event i typed, named and timed from i.
 *
 * OWNS: the shape of a synthetic event.  MUST NOT KNOW how the audit log
 * stores it (that is what the callers test).  Header-only, like tap.h.
 */
#ifndef SCIM_AUDIT_RUN_H
#define SCIM_AUDIT_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"

struct audit_run {
	const struct scim_config *cfg;	/* for audit_record(), or NULL */
	const char	*tenant;
	const char	*types[2];	/* event i's type is types[i % 2] */
	const char	*prefix;	/* event i's target is prefix and i */
	bool		 by_id;		/* ... as its id, else as its name */
	int64_t		 newest;	/* event 0's time (usec), each next
					   one 1 ms older; 0: all now */
	long		 from, to;	/* the events [from, to) */
};

/* A store_fn: record the events of arg, a struct audit_run. */
static __attribute__((unused)) enum scim_err
audit_run_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct audit_run	*r = arg;
	struct audit_event	 ev;
	char			 target[64];
	enum scim_err		 rc = SCIM_OK;
	long			 i;

	for (i = r->from; i < r->to && rc == SCIM_OK; i++) {
		snprintf(target, sizeof(target), "%s%ld", r->prefix, i);
		memset(&ev, 0, sizeof(ev));
		ev.type = r->types[i % 2];
		ev.tenant = r->tenant;
		ev.actor = "test";
		if (r->by_id)
			ev.target_id = target;
		else
			ev.target_name = target;
		ev.time = r->newest != 0 ? r->newest - (int64_t)i * 1000 : 0;
		rc = audit_record(t, r->cfg, &ev, err);
	}
	return rc;
}

#endif /* SCIM_AUDIT_RUN_H */
