/*
 * Internals shared by the files of the audit module (audit.c, the log and
 * the outbox entries it writes; audit-hook.c, their delivery); not
 * installed.
 */
#ifndef SCIM_AUDIT_INT_H
#define SCIM_AUDIT_INT_H

#include <stdint.h>

/* Outbox entries: ""/"outbox"/<16 hex digits of the due time>-<event id>. */
#define OUTBOX_TENANT		""
#define OUTBOX_SPACE		"outbox"

/* The time (usec) that an event id or an outbox key starts with. */
int64_t		 audit_id_time(const char *id);

#endif /* SCIM_AUDIT_INT_H */
