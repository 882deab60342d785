/*
 * The activity recorder's writing side: the notes a request collects,
 * the client's name, the body's secrets removed, the record built and
 * appended to this process's file.  See activity.h for the record, the
 * files and what a crash can lose.
 *
 * Why a file per process and no transaction: a durable commit per request
 * would cost an fsync (the very thing group commit saves), and even a
 * non-durable one takes page locks that every process's records would
 * meet on the same right-most page.  An O_APPEND write to a file nobody
 * else writes takes no lock anyone waits for and is visible to readers at
 * once (a buffer in the process would not be, until flushed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/activity.h"
#include "audit/activity-int.h"
#include "audit/audit.h"
#include "base/log.h"
#include "base/util.h"

#define ACTIVITY_ROTATE_USEC	(86400LL * 1000000)	/* a file's day */
#define ACTIVITY_LABEL_TTL	(300LL * 1000000)	/* label cache */
#define ACTIVITY_LABELS		8			/* tokens cached */
#define ACTIVITY_UA_MAX		256	/* bytes of User-Agent kept */
#define ACTIVITY_QUERY_MAX	1024	/* bytes of query string kept */
#define ACTIVITY_REDACTED	"(redacted)"

/* --- notes --- */

static struct activity_notes	*activity_cur;	/* the request being served */

void
activity_begin(struct activity_notes *n)
{
	if (n != NULL)
		memset(n, 0, sizeof(*n));
	activity_cur = n;
}

void
activity_note(const char *fmt, ...)
{
	struct activity_notes	*n = activity_cur;
	char			 buf[512];
	va_list			 ap;
	unsigned		 i;

	if (n == NULL || n->n == ACTIVITY_NOTES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (i = 0; i < n->n; i++)
		if (strcmp(n->text[i], buf) == 0)
			return;		/* a store function ran again */
	if ((n->text[n->n] = strdup(buf)) != NULL)
		n->n++;
}

void
activity_skipped_member(const char *id)
{
	unsigned	 before;

	if (activity_cur == NULL)
		return;
	before = activity_cur->n;
	activity_note("skipped member %.64s: not a user of this tenant", id);
	if (activity_cur->n > before)
		activity_cur->skipped++;
}

void
activity_notes_free(struct activity_notes *n)
{
	if (activity_cur == n)
		activity_cur = NULL;
	while (n->n > 0)
		free(n->text[--n->n]);
}

/* --- the client --- */

/* Does s contain word, in any case? */
static bool
ua_has(const char *s, const char *word)
{
	size_t	 n = strlen(word);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, word, n) == 0)
			return true;
	return false;
}

const char *
activity_client(const char *ua, char *buf, size_t sz)
{
	size_t	 n;

	if (ua == NULL)
		ua = "";
	while (*ua == ' ' || *ua == '\t')
		ua++;
	/*
	 * Entra's provisioning service has sent "Azure AD SCIM Client",
	 * "Microsoft.AAD.Provisioning" and "Microsoft Entra ID SCIM
	 * client" over the years; Okta sends "Okta SCIM Client".
	 */
	if (ua_has(ua, "azure ad") || ua_has(ua, "entra") ||
	    ua_has(ua, "microsoft") || ua_has(ua, "aad"))
		snprintf(buf, sz, "Microsoft Entra ID");
	else if (ua_has(ua, "okta"))
		snprintf(buf, sz, "Okta");
	else if ((n = strcspn(ua, "/ \t(;")) == 0)
		snprintf(buf, sz, "unknown");
	else
		snprintf(buf, sz, "%.*s", (int)(n > 64 ? 64 : n), ua);
	return buf;
}

/* --- redaction --- */

/* Is name (an attribute name, maybe a URN path) one of the secrets? */
static bool
redact_name(const struct scim_config *cfg, const char *name)
{
	const char	*p, *last = name;
	size_t		 n, len;

	for (p = name; *p != '\0' && *p != '['; p++)
		if (*p == ':' || *p == '.')
			last = p + 1;
	len = (size_t)(p - last);
	if (len == 8 && strncasecmp(last, "password", 8) == 0)
		return true;
	for (p = cfg->activity_redact; *p != '\0'; p += n) {
		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n > 0 && n == len && strncasecmp(p, last, n) == 0)
			return true;
	}
	return false;
}

/* Replace member c of object o by "(redacted)", under the same name. */
static void
redact_member(cJSON *o, cJSON *c)
{
	cJSON	*r;

	if (cJSON_IsString(c) && strcmp(c->valuestring, ACTIVITY_REDACTED) == 0)
		return;
	if ((r = cJSON_CreateString(ACTIVITY_REDACTED)) == NULL ||
	    (r->string = strdup(c->string)) == NULL) {
		/* No memory for the copy: drop the secret instead. */
		cJSON_Delete(r);
		cJSON_Delete(cJSON_DetachItemViaPointer(o, c));
		return;
	}
	cJSON_ReplaceItemViaPointer(o, c, r);
}

void
activity_redact(const struct scim_config *cfg, cJSON *v)
{
	cJSON	*c, *next, *path;

	if (cJSON_IsObject(v)) {
		path = cJSON_GetObjectItem(v, "path");
		/* Not cJSON_ArrayForEach: a replaced member is freed. */
		for (c = v->child; c != NULL; c = next) {
			next = c->next;
			if (c->string == NULL)
				continue;
			if (redact_name(cfg, c->string) ||
			    (strcasecmp(c->string, "value") == 0 &&
			    cJSON_IsString(path) &&
			    redact_name(cfg, path->valuestring))) {
				redact_member(v, c);
				continue;
			}
			activity_redact(cfg, c);
		}
	} else if (cJSON_IsArray(v))
		cJSON_ArrayForEach(c, v)
			activity_redact(cfg, c);
}

/* --- building a record --- */

/*
 * Add v (redacted, taken over) to rec as key, or, when it prints longer
 * than ACTIVITY_BODY_MAX, its first bytes as a string (cut at a UTF-8
 * boundary) and key_truncated: true.
 */
static void
add_capped(cJSON *rec, const char *key, cJSON *v)
{
	char	*text, flag[32];
	size_t	 n;

	if ((text = cJSON_PrintUnformatted(v)) == NULL) {
		cJSON_Delete(v);
		return;
	}
	if ((n = strlen(text)) <= ACTIVITY_BODY_MAX) {
		cJSON_AddItemToObject(rec, key, v);
		free(text);
		return;
	}
	cJSON_Delete(v);
	n = ACTIVITY_BODY_MAX;
	while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
		n--;
	text[n] = '\0';
	cJSON_AddStringToObject(rec, key, text);
	snprintf(flag, sizeof(flag), "%s_truncated", key);
	cJSON_AddTrueToObject(rec, flag);
	free(text);
}

/* A string of at most max bytes (cut at a UTF-8 boundary) as key. */
static void
add_cut(cJSON *rec, const char *key, const char *s, size_t max)
{
	char	*t;
	size_t	 n = strlen(s);

	if (n <= max) {
		cJSON_AddStringToObject(rec, key, s);
		return;
	}
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	if ((t = strndup(s, max)) != NULL)
		cJSON_AddStringToObject(rec, key, t);
	free(t);
}

/* The answer's scimType and detail, for an error answer. */
static void
add_error(cJSON *rec, const struct activity_req *r)
{
	const cJSON	*v;

	if (r->status < 400 || r->answer == NULL)
		return;
	v = cJSON_GetObjectItemCaseSensitive(r->answer, "scimType");
	if (cJSON_IsString(v))
		cJSON_AddStringToObject(rec, "scimType", v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(r->answer, "detail");
	if (cJSON_IsString(v))
		add_cut(rec, "detail", v->valuestring, 1024);
}

/* The resource as answered to a change, as "after". */
static void
add_after(const struct scim_config *cfg, cJSON *rec,
    const struct activity_req *r)
{
	cJSON	*a;

	if (r->status < 200 || r->status > 201 || r->method == NULL ||
	    strcmp(r->method, "GET") == 0 || !cJSON_IsObject(r->answer) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r->answer, "id")))
		return;
	if ((a = cJSON_Duplicate(r->answer, true)) == NULL)
		return;
	activity_redact(cfg, a);
	add_capped(rec, "after", a);
}

/* The request body: parsed and redacted, or a word on what it was. */
static cJSON *
add_body(const struct scim_config *cfg, cJSON *rec,
    const struct activity_req *r)
{
	cJSON	*body, *copy;
	char	 what[64];

	if (r->body == NULL || r->body[0] == '\0')
		return NULL;
	if ((body = cJSON_Parse(r->body)) == NULL) {
		/* Not JSON: its text could hold anything, a secret too. */
		snprintf(what, sizeof(what), "(not JSON, %zu bytes)",
		    strlen(r->body));
		cJSON_AddStringToObject(rec, "body", what);
		return NULL;
	}
	activity_redact(cfg, body);
	if ((copy = cJSON_Duplicate(body, true)) != NULL)
		add_capped(rec, "body", copy);
	return body;
}

/*
 * The action: words, then each note ("created group Sales; skipped member
 * 1234: ...").  Returns words itself when there are no notes, else a new
 * string; NULL when out of memory.
 */
static char *
words_with_notes(char *words, const struct activity_notes *n)
{
	char		*out;
	size_t		 sz;
	unsigned	 i;

	if (words == NULL || n == NULL || n->n == 0)
		return words;
	sz = strlen(words) + 1;
	for (i = 0; i < n->n; i++)
		sz += strlen(n->text[i]) + 2;
	if ((out = malloc(sz)) == NULL)
		return NULL;
	strcpy(out, words);
	for (i = 0; i < n->n; i++) {
		if (out[0] != '\0')
			strcat(out, "; ");
		strcat(out, n->text[i]);
	}
	return out;
}

cJSON *
activity_build(const struct scim_config *cfg, const struct activity_req *r,
    const struct activity_notes *n, const char *label)
{
	char		 id[AUDIT_ID_LEN + 1], when[UTIL_TIME_LEN + 1];
	char		 client[80], *words, *action;
	uint32_t	 rnd = 0;
	cJSON		*rec, *tok, *body, *target, *members, *notes;
	unsigned	 i;

	if ((rec = cJSON_CreateObject()) == NULL)
		return NULL;
	util_random(&rnd, sizeof(rnd));
	snprintf(id, sizeof(id), "%016llx%08x",
	    (unsigned long long)r->start_usec, rnd);
	util_time_format(r->start_usec, when, sizeof(when));
	cJSON_AddStringToObject(rec, "id", id);
	cJSON_AddStringToObject(rec, "time", when);
	cJSON_AddStringToObject(rec, "tenant", r->tenant ? r->tenant : "");
	tok = cJSON_AddObjectToObject(rec, "token");
	cJSON_AddStringToObject(tok, "id", r->token_id ? r->token_id : "");
	if (label != NULL)
		cJSON_AddStringToObject(tok, "label", label);
	cJSON_AddStringToObject(rec, "client", activity_client(r->user_agent,
	    client, sizeof(client)));
	add_cut(rec, "user_agent", r->user_agent ? r->user_agent : "",
	    ACTIVITY_UA_MAX);
	cJSON_AddStringToObject(rec, "method", r->method ? r->method : "");
	add_cut(rec, "path", r->path ? r->path : "", ACTIVITY_QUERY_MAX);
	add_cut(rec, "query", r->query ? r->query : "", ACTIVITY_QUERY_MAX);
	body = add_body(cfg, rec, r);
	cJSON_AddNumberToObject(rec, "status", r->status);
	add_error(rec, r);
	target = cJSON_CreateObject();
	members = cJSON_CreateArray();
	if (r->filter != NULL)
		add_cut(rec, "filter", r->filter, ACTIVITY_QUERY_MAX);
	words = activity_words(r, body, n != NULL ? n->skipped : 0, target,
	    members);
	action = words_with_notes(words, n);
	cJSON_AddStringToObject(rec, "action", action ? action : "");
	if (action != words)
		free(action);
	free(words);
	if (n != NULL && n->n > 0) {
		notes = cJSON_AddArrayToObject(rec, "notes");
		for (i = 0; i < n->n; i++)
			cJSON_AddItemToArray(notes,
			    cJSON_CreateString(n->text[i]));
	}
	if (target != NULL && target->child != NULL)
		cJSON_AddItemToObject(rec, "target", target);
	else
		cJSON_Delete(target);
	if (members != NULL && members->child != NULL)
		cJSON_AddItemToObject(rec, "members", members);
	else
		cJSON_Delete(members);
	add_after(cfg, rec, r);
	cJSON_AddNumberToObject(rec, "duration_ms",
	    (double)((r->end_usec - r->start_usec) / 10) / 100.0);
	cJSON_Delete(body);
	return rec;
}

/* --- the token's label, cached --- */

struct label_entry {
	char	 id[72];
	char	 label[160];
	bool	 found;
	int64_t	 at;
};

static enum scim_err
label_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct label_entry	*e = arg;
	const cJSON		*v;
	cJSON			*tok = NULL;
	enum scim_err		 rc;

	e->found = false;
	rc = store_token_get(t, e->id, &tok, err);
	if (rc == SCIM_OK) {
		v = cJSON_GetObjectItemCaseSensitive(tok, "label");
		snprintf(e->label, sizeof(e->label), "%s",
		    cJSON_IsString(v) ? v->valuestring : "");
		e->found = true;
	}
	cJSON_Delete(tok);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

/*
 * The label of token id: read once per ACTIVITY_LABEL_TTL per process
 * (a label rarely changes; the read is one short transaction), or NULL.
 */
static const char *
token_label(struct store *s, const char *id)
{
	static struct label_entry	 cache[ACTIVITY_LABELS];
	static unsigned			 next;
	struct label_entry		*e = NULL;
	struct scim_error		 err;
	int64_t				 now = util_now_usec();
	unsigned			 i;

	if (s == NULL || id == NULL || id[0] == '\0' || strlen(id) >=
	    sizeof(cache[0].id))
		return NULL;
	for (i = 0; i < ACTIVITY_LABELS; i++)
		if (strcmp(cache[i].id, id) == 0)
			e = &cache[i];
	if (e != NULL && now - e->at < ACTIVITY_LABEL_TTL)
		return e->found ? e->label : NULL;
	if (e == NULL) {
		e = &cache[next++ % ACTIVITY_LABELS];
		snprintf(e->id, sizeof(e->id), "%s", id);
	}
	e->at = now;
	if (store_read(s, label_fn, e, &err) != SCIM_OK)
		e->found = false;
	return e->found ? e->label : NULL;
}

/* A group to look up by id: its displayName, when it has one. */
struct group_lookup {
	const char	*tenant;
	const char	*id;
	char		 name[256];
};

static enum scim_err
group_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct group_lookup	*g = arg;
	const cJSON		*v;
	cJSON			*o = NULL;
	enum scim_err		 rc;

	g->name[0] = '\0';
	rc = store_get(t, STORE_GROUP, g->tenant, g->id, &o, err);
	v = cJSON_GetObjectItemCaseSensitive(o, "displayName");
	if (rc == SCIM_OK && cJSON_IsString(v))
		snprintf(g->name, sizeof(g->name), "%s", v->valuestring);
	cJSON_Delete(o);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

/*
 * A group PATCH answered 204 (what Entra gets) does not say the group's
 * name; read it (one short read, for group changes only), so that the
 * words say "added 3 members to Sales", not an id.
 */
static bool
group_name(struct store *s, const struct activity_req *r,
    struct group_lookup *g)
{
	struct scim_error	 err;

	if (s == NULL || r->answer != NULL || r->id == NULL ||
	    r->resource == NULL || strcmp(r->resource, "Groups") != 0 ||
	    r->status >= 300 || r->method == NULL ||
	    strcmp(r->method, "PATCH") != 0)
		return false;
	g->tenant = r->tenant ? r->tenant : "";
	g->id = r->id;
	return store_read(s, group_fn, g, &err) == SCIM_OK &&
	    g->name[0] != '\0';
}

/* --- this process's file --- */

static struct {
	int	 fd;		/* -1 when none is open */
	int64_t	 start;		/* its first record's time */
	int64_t	 warned;	/* last failure logged */
} activity_out = { -1, 0, 0 };

static void
activity_warn(const char *what, const char *path)
{
	int64_t	 now = util_now_usec();

	if (now - activity_out.warned < 60LL * 1000000)
		return;
	activity_out.warned = now;
	log_warn("activity: %s %s: %s", what, path, strerror(errno));
}

/* Open a new file of this process's, starting at now. */
static bool
activity_open(const struct scim_config *cfg, int64_t now)
{
	char	 dir[4096], path[4096 + ACTIVITY_NAME_MAX];

	if (activity_out.fd >= 0)
		close(activity_out.fd);
	activity_out.fd = -1;
	if (!activity_dir(cfg, dir, sizeof(dir)))
		return false;
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		activity_warn("cannot make", dir);
		return false;
	}
	snprintf(path, sizeof(path), "%s/%016llx-%ld%s", dir,
	    (unsigned long long)now, (long)getpid(), ACTIVITY_FILE_SUFFIX);
	activity_out.fd = open(path, O_WRONLY | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0640);
	if (activity_out.fd < 0) {
		activity_warn("cannot open", path);
		return false;
	}
	activity_out.start = now;
	activity_prune(cfg, now, NULL);
	return true;
}

/*
 * Is a new file due?  None is open, this one is full (an eighth of the
 * cap, so that pruning whole files keeps within it) or a day old, or a
 * prune deleted it under us (its records would go nowhere).
 */
static bool
activity_rotate_due(const struct scim_config *cfg, int64_t now)
{
	struct stat	 st;

	if (activity_out.fd < 0 || now - activity_out.start >
	    ACTIVITY_ROTATE_USEC)
		return true;
	if (fstat(activity_out.fd, &st) != 0 || st.st_nlink == 0)
		return true;
	return (uint64_t)st.st_size >= (uint64_t)cfg->activity_max_mb *
	    (1024 * 1024 / 8);
}

void
activity_record(const struct scim_config *cfg, struct store *s,
    const struct activity_req *r, const struct activity_notes *n)
{
	struct activity_req	 named;
	struct group_lookup	 g;
	char		*line;
	cJSON		*rec;
	size_t		 len;
	ssize_t		 w;

	if (!cfg->activity_enabled)
		return;
	if (group_name(s, r, &g)) {
		named = *r;
		named.name = g.name;
		r = &named;
	}
	rec = activity_build(cfg, r, n, token_label(s, r->token_id));
	if (rec == NULL)
		return;
	line = cJSON_PrintUnformatted(rec);
	cJSON_Delete(rec);
	if (line == NULL)
		return;
	len = strlen(line);
	line[len++] = '\n';	/* over the NUL: the line is written by size */
	if (activity_rotate_due(cfg, r->end_usec) &&
	    !activity_open(cfg, r->end_usec)) {
		free(line);
		return;
	}
	/* One write: appends of other files' writers never interleave. */
	if ((w = write(activity_out.fd, line, len)) != (ssize_t)len)
		activity_warn("cannot write", "a record to the activity file");
	free(line);
}
