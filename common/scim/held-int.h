/*
 * Private to held.c and held-ops.c (held.h): the keys of the "held" key
 * space, the window's record, the events' shape and the owners' mail.
 * Not installed; other modules use held.h.
 */
#ifndef SCIM_HELD_INT_H
#define SCIM_HELD_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "audit/audit.h"
#include "scim/held.h"

#define HELD_KEY_WINDOW		"window"
#define HELD_PREFIX_OP		"op/"
#define HELD_PREFIX_MATCH	"match/"
#define HELD_KEY_MAX		64	/* "match/" + HELD_MATCH_LEN, ... */

/* [safety] window_minutes in usec. */
int64_t		 held_window_len(const struct scim_config *cfg);

/* The tenant's window (zeroed when there is none yet), and its write. */
enum scim_err	 held_window_read(struct store_txn *t, const char *tenant,
		    struct held_window *w, struct scim_error *err);
enum scim_err	 held_window_write(struct store_txn *t, const char *tenant,
		    const struct held_window *w, struct scim_error *err);

/* prefix and name into buf: "op/<id>", "match/<hash>". */
void		 held_key(char *buf, size_t sz, const char *prefix,
		    const char *name);

/* Remove record rec: its op/ key and its match/ key. */
enum scim_err	 held_forget(struct store_txn *t, const char *tenant,
		    const cJSON *rec, struct scim_error *err);

/*
 * An event's details for record rec: the operation as held.h lists it,
 * without its body (a new object, or NULL when short); its target (the
 * user) in ev.
 */
cJSON		*held_event_details(const cJSON *rec);
void		 held_event_target(const cJSON *rec, struct audit_event *ev);

/*
 * Tell tenant's owners that the brake engaged (rec: the first operation
 * held), through [admin] sendmail; logged, never failing the request:
 * the hold is recorded whether or not the mail goes.
 */
void		 held_mail(struct scim_ctx *ctx, const char *tenant,
		    const cJSON *rec);

#endif /* SCIM_HELD_INT_H */
