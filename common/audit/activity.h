/*
 * The provisioning activity recorder: one record per SCIM request, for the
 * operator who reads why Entra or Okta says "Failure" (scimctl activity,
 * the admin page).  A record says when, which token (id and label) and
 * which client (named from its User-Agent), method, path and query, the
 * request body with its secrets removed and capped, the answer's status,
 * scimType and detail, what was done in words ("created alice@contoso.com",
 * "added 3 members to Sales", "skipped member 1234: not a user of this
 * tenant"), the resource after the change, and how long it took.
 *
 * Storage.  Records are JSON lines appended with one write(2) each to a
 * file of this process's own under <[store] home>/activity/, named
 * "<16 hex digits of its first record's time in usec>-<pid>.jsonl".  No
 * fsync, no transaction, no lock: the request path pays a JSON print and
 * a write, and nothing is buffered in the process.  What a crash loses: a
 * crash of the program loses at most the record of the request it was
 * serving (written records are in the kernel); a crash of the machine
 * loses what the kernel had not written back yet (seconds), and may leave
 * a torn last line, which readers skip.  A process starts a new file when
 * its own reaches an eighth of [activity] max_mb or is a day old; then
 * (and when its first file is opened, and from `scimctl prune`) it prunes:
 * files whose last write is older than retention_days go, then the oldest
 * files until all fit in max_mb.  Readers also drop records older than
 * retention_days, so a file still being written never shows an expired one.
 *
 * Files: activity.c records (and names the client, redacts the body);
 * activity-words.c says what a request did; activity-query.c reads,
 * filters and prunes.
 *
 * OWNS the record, its files, their retention and cap, and the notes a
 * request collects (activity_note()).  MUST NOT KNOW the FastCGI loop or
 * how records are shown (scimctl, the page): the loop hands over a
 * struct activity_req, readers get JSON.
 *
 * A record (JSON object, one line):
 *   {"id" (AUDIT_ID_LEN hex, sorts by time), "time" (RFC 3339), "tenant",
 *    "token": {"id", "label"}, "client", "user_agent", "method", "path",
 *    "query", "body" (object, or a string when cut), "status",
 *    "scimType", "detail", "action", "notes": [...], "target": {"type",
 *    "id", "name"}, "members": [ids added or removed], "after" (the
 *    resource as answered, cut like the body), "duration_ms"}
 */
#ifndef SCIM_ACTIVITY_H
#define SCIM_ACTIVITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/config.h"
#include "base/error.h"
#include "store/store.h"

/* The longest body or "after" kept, as JSON; longer ones are cut. */
#define ACTIVITY_BODY_MAX	4096
/* Notes kept per request, and member ids per record. */
#define ACTIVITY_NOTES_MAX	16
#define ACTIVITY_MEMBERS_MAX	100
#define ACTIVITY_DIR		"activity"	/* under [store] home */
#define ACTIVITY_WORDS_MAX	1024	/* bytes of a request's words */
#define ACTIVITY_METHOD_MAX	16	/* bytes of each kept: of the method, */
#define ACTIVITY_UA_MAX		256	/* the User-Agent, */
#define ACTIVITY_QUERY_MAX	1024	/* the path and the query string */

/* What the request loop knows of one answered request (all borrowed). */
struct activity_req {
	const char	*tenant;	/* the token's, "" when none */
	const char	*token_id;	/* "" when none */
	const char	*user_agent;	/* or NULL */
	const char	*method;
	const char	*path;
	const char	*query;		/* raw QUERY_STRING, or NULL */
	const char	*filter;	/* the decoded filter parameter, or NULL */
	const char	*body;		/* request body, or NULL */
	bool		 body_json;	/* body is one JSON object (the
					   loop parsed it so) */
	const char	*resource;	/* "Users", ... or NULL (no route) */
	const char	*id;		/* the item's id, or NULL */
	const char	*name;		/* its userName or displayName when
					   the answer does not say (NULL) */
	int		 status;
	const cJSON	*answer;	/* response body, or NULL */
	const char	*answer_text;	/* answer as sent (answer_len
					   bytes), or NULL: saves printing
					   it again for "after" */
	size_t		 answer_len;
	int64_t		 start_usec;
	int64_t		 end_usec;
};

/*
 * The notes of one request: what was skipped or ignored on its behalf,
 * deep below the loop (members.c, resource.c).  Lives with the request's
 * call; activity_begin() makes it the one activity_note() adds to.
 */
struct activity_notes {
	char		*text[ACTIVITY_NOTES_MAX];	/* owned */
	unsigned	 n;
	unsigned	 skipped;	/* members skipped (not in n's cap) */
};

/*
 * Start collecting notes into n (zeroed here) for the request now being
 * served; NULL stops collecting.  One request is served at a time per
 * process, so the current one is a pointer, not a parameter passed down
 * every layer.
 */
void		 activity_begin(struct activity_notes *n);

/*
 * Add a note (printf-style) to the current request's, if one is being
 * collected: once only (a store function may run several times), at
 * most ACTIVITY_NOTES_MAX.  Never fails the caller.
 */
void		 activity_note(const char *fmt, ...)
		    __attribute__((format(__printf__, 1, 2)));

/*
 * A member id a group change skipped (not a user or group of the
 * tenant): a note, and one member fewer in the words' count.  Counted
 * once per id, however often the store function runs.
 */
void		 activity_skipped_member(const char *id);

/* Free what n holds (and stop collecting into it). */
void		 activity_notes_free(struct activity_notes *n);

/*
 * Record r with its notes when [activity] enabled: build the record,
 * append it to this process's file (rotating and pruning as said above).
 * s may be NULL (no token label then).  Failures are logged once a
 * minute, never returned: a request is never failed for its record.
 */
void		 activity_record(const struct scim_config *cfg,
		    struct store *s, const struct activity_req *r,
		    const struct activity_notes *n);

/*
 * The record for r as one line of JSON text ending in a newline, in a
 * new string (caller frees; *len its length), without writing it; label
 * is the token's label or NULL.  NULL when out of memory.
 */
char		*activity_format(const struct scim_config *cfg,
		    const struct activity_req *r,
		    const struct activity_notes *n, const char *label,
		    size_t *len);

/* The same record parsed, a new object (caller deletes); for tests. */
cJSON		*activity_build(const struct scim_config *cfg,
		    const struct activity_req *r,
		    const struct activity_notes *n, const char *label);

/*
 * The client's name from its User-Agent: "Microsoft Entra ID" (Azure AD
 * and Entra's provisioning agents, "Microsoft" SCIM clients), "Okta",
 * else the first product token ("curl/8.5" -> "curl"), "unknown" when
 * there is none.  Writes into buf (sz bytes) and returns it.
 */
const char	*activity_client(const char *user_agent, char *buf, size_t sz);

/*
 * Remove the secrets from v (a request body, changed in place): every
 * member named "password" or a name of [activity] redact (a
 * comma/space-separated list, any case, also as the last part of a URN
 * path) has its value replaced by "(redacted)", and so has the "value"
 * of a PATCH operation whose "path" names one.
 */
void		 activity_redact(const struct scim_config *cfg, cJSON *v);

/* What a record is about: borrowed strings, NULL when not known. */
struct activity_target {
	const char	*type;		/* "User", "Group"; NULL: none */
	const char	*id;
	const char	*name;
};

/*
 * activity_words() into buf (sz bytes, cut to fit), returned, and the
 * target into *tg (its strings borrowed from r and body); members may be
 * NULL for a request that names none (a GET).  No allocation: the
 * recorder's path.
 */
const char	*activity_words_buf(const struct activity_req *r,
		    const cJSON *body, unsigned skipped,
		    struct activity_target *tg, cJSON *members, char *buf,
		    size_t sz);

/*
 * What the request did, in words (activity-words.c): a new string the
 * caller frees, or NULL when out of memory.  body: the request body as
 * parsed (or NULL); skipped: members the change skipped (not counted as
 * added); fills target (type, id, name; caller's object) and members
 * (ids added or removed; caller's array) when they apply.
 */
char		*activity_words(const struct activity_req *r, const cJSON *body,
		    unsigned skipped, cJSON *target, cJSON *members);

/* A query over the records, newest first. */
struct activity_query {
	const char	*tenant;	/* NULL = every tenant */
	bool		 errors;	/* status >= 400 only */
	const char	*client;	/* NULL = all; exact name */
	const char	*user;		/* NULL = all; a userName or user id */
	const char	*method;	/* NULL = all */
	int64_t		 since;		/* usec, 0 = no bound */
	int64_t		 until;		/* usec, 0 = no bound */
	const char	*before;	/* paging: a record id to start after */
	unsigned	 limit;		/* at most this many (0 = 100) */
};

/*
 * Fill *out with a new array (caller deletes) of the matching records,
 * newest first, records older than retention_days left out.
 * activity-query.c.
 */
enum scim_err	 activity_query(const struct scim_config *cfg,
		    const struct activity_query *q, cJSON **out,
		    struct scim_error *err);

/*
 * One record by id into *out (a new object), with "before": the
 * "after" of the newest earlier record about the same resource, when
 * one is kept.  tenant: NULL = any, else the record must be of it.
 * SCIM_E_NOT_FOUND when there is none.  activity-query.c.
 */
enum scim_err	 activity_get(const struct scim_config *cfg,
		    const char *tenant, const char *id, cJSON **out,
		    struct scim_error *err);

/* What activity_prune() did. */
struct activity_prune_stats {
	unsigned long	 files;		/* files deleted */
	unsigned long	 bytes;		/* their size */
};

/*
 * Delete the files past retention_days, then the oldest until the rest
 * fit in max_mb; now_usec is the time to measure from (0 = now).
 * Failures to delete one file are skipped (another process may have
 * deleted it).  activity-query.c.
 */
void		 activity_prune(const struct scim_config *cfg,
		    int64_t now_usec, struct activity_prune_stats *st);

#endif /* SCIM_ACTIVITY_H */
