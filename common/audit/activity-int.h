/*
 * Internals shared by the files of the activity recorder (activity.c
 * writes, activity-redact.c names the client and removes secrets,
 * activity-query.c reads and prunes); not installed.
 */
#ifndef SCIM_ACTIVITY_INT_H
#define SCIM_ACTIVITY_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "base/config.h"

#define ACTIVITY_FILE_SUFFIX	".jsonl"
#define ACTIVITY_NAME_MAX	64	/* "<16 hex>-<pid>.jsonl" and then some */

/* One file of the activity directory. */
struct activity_file {
	char		 name[ACTIVITY_NAME_MAX];
	int64_t		 start;		/* usec of its first record */
	int64_t		 mtime;		/* usec of its last write */
	off_t		 size;
};

/* The activity directory of cfg's home into buf; false when too long. */
bool		 activity_dir(const struct scim_config *cfg, char *buf,
		    size_t sz);

/*
 * The record files of dir, oldest first (by their first record), in
 * *out (caller frees) and *n; other names are left alone.  A missing
 * directory is no files.  false when out of memory or unreadable.
 */
bool		 activity_files(const char *dir, struct activity_file **out,
		    size_t *n);

/*
 * Replace the secrets of v in place (activity_redact()); true when it
 * replaced any, so a body with none can be written as it came.
 */
bool		 activity_redact_walk(const struct scim_config *cfg,
		    cJSON *v);

#endif /* SCIM_ACTIVITY_INT_H */
