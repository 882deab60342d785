/*
 * The activity recorder's writing side: the notes a request collects,
 * the record built and appended to this process's file (the client's
 * name and the secrets removed are activity-redact.c's).  See activity.h for the record, the
 * files and what a crash can lose.
 *
 * Why a file per process and no transaction: a durable commit per request
 * would cost an fsync (the very thing group commit saves), and even a
 * non-durable one takes page locks that every process's records would
 * meet on the same right-most page.  An O_APPEND write to a file nobody
 * else writes takes no lock anyone waits for and is visible to readers at
 * once (a buffer in the process would not be, until flushed).
 */
#include <ctype.h>
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
#include "base/jtext.h"
#include "base/log.h"
#include "base/util.h"

#define ACTIVITY_ROTATE_USEC	(86400LL * 1000000)	/* a file's day */
#define ACTIVITY_LABEL_TTL	(300LL * 1000000)	/* label cache */
#define ACTIVITY_LABELS		8			/* tokens cached */
#define ACTIVITY_LINE_KEEP	(64 * 1024)	/* record buffer kept */

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


/* --- building a record --- */

/*
 * The record is written as text directly, not built as a cJSON tree and
 * printed: a tree costs a malloc per member and cJSON prints a number
 * with a sprintf and a sscanf, which together were most of a record's
 * cost, and a GET pays for its record on every request.  Only the bodies
 * (request, and the resource after a change) go through cJSON.
 */
/* jtext_capped() for v printed already: text, len bytes (one line). */
static void
jtext_capped_text(struct jtext *b, const char *key, const char *text,
    size_t len)
{
	if (len <= ACTIVITY_BODY_MAX) {
		jtext_lit(b, ",\"");
		jtext_lit(b, key);
		jtext_lit(b, "\":");
		jtext_add(b, text, len);
	} else {
		jtext_field(b, key, text, ACTIVITY_BODY_MAX);
		jtext_lit(b, ",\"");
		jtext_lit(b, key);
		jtext_lit(b, "_truncated\":true");
	}
}

/*
 * ,"key":v for v (redacted already; borrowed), or, when it prints longer
 * than ACTIVITY_BODY_MAX, its first bytes as a string and
 * "key_truncated":true.
 */
static void
jtext_capped(struct jtext *b, const char *key, const cJSON *v)
{
	char	*text;

	if ((text = cJSON_PrintUnformatted(v)) == NULL)
		return;
	jtext_capped_text(b, key, text, strlen(text));
	free(text);
}

/* The answer's scimType and detail, for an error answer. */
static void
add_error(struct jtext *b, const struct activity_req *r)
{
	const cJSON	*v;

	if (r->status < 400 || r->answer == NULL)
		return;
	v = cJSON_GetObjectItemCaseSensitive(r->answer, "scimType");
	if (cJSON_IsString(v))
		jtext_field(b, "scimType", v->valuestring, 64);
	v = cJSON_GetObjectItemCaseSensitive(r->answer, "detail");
	if (cJSON_IsString(v))
		jtext_field(b, "detail", v->valuestring, 1024);
}

/* The resource as answered to a change, as "after". */
static void
add_after(const struct scim_config *cfg, struct jtext *b,
    const struct activity_req *r)
{
	cJSON	*a;

	if (r->status < 200 || r->status > 201 || r->method == NULL ||
	    strcmp(r->method, "GET") == 0 || !cJSON_IsObject(r->answer) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r->answer, "id")))
		return;
	/*
	 * The answer never holds a password: copy it only to redact more.
	 * As sent it is printed already (the same unformatted text).
	 */
	if (cfg->activity_redact[0] == '\0' && r->answer_text != NULL &&
	    memchr(r->answer_text, '\n', r->answer_len) == NULL) {
		jtext_capped_text(b, "after", r->answer_text, r->answer_len);
		return;
	}
	if (cfg->activity_redact[0] == '\0') {
		jtext_capped(b, "after", r->answer);
		return;
	}
	if ((a = cJSON_Duplicate(r->answer, true)) == NULL)
		return;
	activity_redact(cfg, a);
	jtext_capped(b, "after", a);
	cJSON_Delete(a);
}

/*
 * Can s (JSON text) stand in a record as it is: no control characters
 * (a newline would end the line; the others a strict reader refuses
 * unescaped) and at most ACTIVITY_BODY_MAX bytes?  Sets *len.
 */
static bool
body_plain(const char *s, size_t *len)
{
	const uint64_t	 ones = 0x0101010101010101ULL;
	uint64_t	 w;
	size_t		 n = strnlen(s, ACTIVITY_BODY_MAX + 1), i;

	if (n > ACTIVITY_BODY_MAX)
		return false;
	/*
	 * Eight bytes at a time: (w - 0x20 in each byte) & ~w has a byte's
	 * top bit set exactly when some byte of w is below 0x20 (the test
	 * is exact as a yes or no).  A POST's body is most of a kilobyte.
	 */
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (((w - 0x20 * ones) & ~w & 0x80 * ones) != 0)
			return false;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return false;
	*len = n;
	return true;
}

/*
 * Does s hold the n bytes of word, in any case?  strcasestr() looks at
 * every byte with a case fold; this skips to the places where the first
 * letter is, which the C library finds fast.
 */
static bool
text_has_word(const char *s, const char *word, size_t n)
{
	char	 first[3];

	if (n == 0)
		return false;
	first[0] = (char)tolower((unsigned char)word[0]);
	first[1] = (char)toupper((unsigned char)word[0]);
	first[2] = '\0';
	for (s = strpbrk(s, first); s != NULL; s = strpbrk(s + 1, first))
		if (strncasecmp(s, word, n) == 0)
			return true;
	return false;
}

/*
 * Could redaction change JSON text s: does it name "password" or one of
 * [activity] redact anywhere (any case), or hold an escape that could
 * spell one?  A cheap test that may say yes for nothing.
 */
static bool
body_may_redact(const struct scim_config *cfg, const char *s)
{
	const char	*p;
	size_t		 n;

	if (strchr(s, '\\') != NULL || text_has_word(s, "password", 8))
		return true;
	for (p = cfg->activity_redact; *p != '\0'; p += n) {
		p += strspn(p, ", \t");
		if ((n = strcspn(p, ", \t")) > 0 && text_has_word(s, p, n))
			return true;
	}
	return false;
}

/*
 * The request body: parsed and redacted, or a word on what it was.
 * Returns the parsed body (caller deletes) for the words, or NULL.
 */
static cJSON *
add_body(const struct scim_config *cfg, struct jtext *b,
    const struct activity_req *r)
{
	cJSON	*body;
	char	 what[64];
	size_t	 len;

	if (r->body == NULL || r->body[0] == '\0')
		return NULL;
	/*
	 * A user created: the words need nothing of the body (the answer
	 * names the user), so a body known to be JSON, plain and with
	 * nothing to redact is not even parsed.
	 */
	if (r->body_json && r->status < 300 && r->id == NULL &&
	    r->method != NULL && strcmp(r->method, "POST") == 0 &&
	    r->resource != NULL && strcmp(r->resource, "Users") == 0 &&
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r->answer,
	    "userName")) && body_plain(r->body, &len) &&
	    !body_may_redact(cfg, r->body)) {
		jtext_capped_text(b, "body", r->body, len);
		return NULL;
	}
	/*
	 * A body that is one JSON value and nothing else, short, on one line
	 * and with nothing to redact goes into the record as it came: no
	 * second printing (the record's costliest part for a change).
	 */
	if ((body = cJSON_ParseWithOpts(r->body, NULL, true)) != NULL) {
		if (!activity_redact_walk(cfg, body) && body_plain(r->body, &len))
			jtext_capped_text(b, "body", r->body, len);
		else
			jtext_capped(b, "body", body);
		return body;
	}
	if ((body = cJSON_Parse(r->body)) == NULL) {
		/* Not JSON: its text could hold anything, a secret too. */
		snprintf(what, sizeof(what), "(not JSON, %zu bytes)",
		    strlen(r->body));
		jtext_field(b, "body", what, sizeof(what));
		return NULL;
	}
	activity_redact(cfg, body);
	jtext_capped(b, "body", body);
	return body;
}

/* ,"key":{"k":"v",...} or ["v",...] from words' members. */
static void
add_strings(struct jtext *b, const char *key, const cJSON *o)
{
	const cJSON	*v;
	bool		 obj = cJSON_IsObject(o), first = true;

	if (o == NULL || o->child == NULL)
		return;
	jtext_lit(b, ",\"");
	jtext_lit(b, key);
	jtext_lit(b, obj ? "\":{" : "\":[");
	cJSON_ArrayForEach(v, o) {
		if (!cJSON_IsString(v))
			continue;
		jtext_lit(b, first ? "" : ",");
		first = false;
		if (obj) {
			jtext_str(b, v->string, 64);
			jtext_lit(b, ":");
		}
		jtext_str(b, v->valuestring, 1024);
	}
	jtext_lit(b, obj ? "}" : "]");
}

/* "action" (the words, then each note) and "notes". */
static void
add_action(struct jtext *b, const char *words, const struct activity_notes *n)
{
	struct jtext	 a;
	unsigned	 i;

	if (n == NULL || n->n == 0) {
		jtext_field(b, "action", words ? words : "", 8192);
		return;
	}
	memset(&a, 0, sizeof(a));
	jtext_lit(&a, words ? words : "");
	for (i = 0; n != NULL && i < n->n; i++) {
		jtext_lit(&a, a.len > 0 ? "; " : "");
		jtext_lit(&a, n->text[i]);
	}
	jtext_field(b, "action", a.p ? a.p : "", 8192);
	free(a.p);
	if (n == NULL || n->n == 0)
		return;
	jtext_lit(b, ",\"notes\":[");
	for (i = 0; i < n->n; i++) {
		jtext_lit(b, i > 0 ? "," : "");
		jtext_str(b, n->text[i], 1024);
	}
	jtext_lit(b, "]");
}

/* A process-unique id suffix without a system call per record. */
static uint32_t
record_seq(void)
{
	static uint32_t	 seq, pid;

	if (pid == 0) {
		pid = (uint32_t)getpid();
		util_random(&seq, sizeof(seq));
	}
	return (pid << 16) ^ (seq++ & 0xffff);
}

/* ,"target":{"type":...,"id":...,"name":...} when there is one. */
static void
add_target(struct jtext *b, const struct activity_target *tg)
{
	if (tg->type == NULL)
		return;
	jtext_lit(b, ",\"target\":{\"type\":");
	jtext_str(b, tg->type, 1024);
	if (tg->id != NULL) {
		jtext_lit(b, ",\"id\":");
		jtext_str(b, tg->id, 1024);
	}
	if (tg->name != NULL) {
		jtext_lit(b, ",\"name\":");
		jtext_str(b, tg->name, 1024);
	}
	jtext_lit(b, "}");
}

/*
 * The record of r into b (emptied first; its buffer is reused): the
 * text activity_format() returns, without its allocations.  Only a
 * change (a body, members) builds cJSON values.
 */
static void
record_text(const struct scim_config *cfg, const struct activity_req *r,
    const struct activity_notes *n, const char *label, struct jtext *b)
{
	static const char	 hex[] = "0123456789abcdef";
	struct activity_target	 tg;
	char			 id[AUDIT_ID_LEN + 1], when[UTIL_TIME_LEN + 1];
	char			 client[80], words[ACTIVITY_WORDS_MAX];
	int64_t			 d = (r->end_usec - r->start_usec) / 10;
	uint64_t		 t = (uint64_t)r->start_usec;
	uint32_t		 seq = record_seq();
	cJSON			*body, *members = NULL;
	int			 i;

	b->len = 0;
	b->oom = false;
	/* "%016llx%08x" of the start and a sequence, by hand. */
	for (i = 15; i >= 0; i--, t >>= 4)
		id[i] = hex[t & 0xf];
	for (i = 23; i >= 16; i--, seq >>= 4)
		id[i] = hex[seq & 0xf];
	id[24] = '\0';
	/* Its date and clock are worked out once a second. */
	util_time_format(r->start_usec, when, sizeof(when));
	jtext_lit(b, "{\"id\":\"");
	jtext_lit(b, id);
	jtext_lit(b, "\"");
	jtext_field(b, "time", when, sizeof(when));
	jtext_field(b, "tenant", r->tenant, 128);
	jtext_lit(b, ",\"token\":{\"id\":");
	jtext_str(b, r->token_id, 64);
	if (label != NULL) {
		jtext_lit(b, ",\"label\":");
		jtext_str(b, label, 256);
	}
	jtext_lit(b, "}");
	jtext_field(b, "client", activity_client(r->user_agent, client,
	    sizeof(client)), sizeof(client));
	jtext_field(b, "user_agent", r->user_agent, ACTIVITY_UA_MAX);
	jtext_field(b, "method", r->method, ACTIVITY_METHOD_MAX);
	jtext_field(b, "path", r->path, ACTIVITY_QUERY_MAX);
	jtext_field(b, "query", r->query, ACTIVITY_QUERY_MAX);
	if (r->filter != NULL)
		jtext_field(b, "filter", r->filter, ACTIVITY_QUERY_MAX);
	body = add_body(cfg, b, r);
	jtext_int(b, "status", r->status);
	add_error(b, r);
	/* A read names no members: no array to make and free. */
	if (r->method == NULL || strcmp(r->method, "GET") != 0)
		members = cJSON_CreateArray();
	activity_words_buf(r, body, n != NULL ? n->skipped : 0, &tg, members,
	    words, sizeof(words));
	add_action(b, words, n);
	add_target(b, &tg);
	add_strings(b, "members", members);
	cJSON_Delete(members);
	cJSON_Delete(body);
	add_after(cfg, b, r);
	/* Milliseconds with two decimals, without a float's printing. */
	jtext_lit(b, ",\"duration_ms\":");
	if (d < 0) {
		jtext_lit(b, "-");
		d = -d;
	}
	jtext_uint(b, (unsigned long long)(d / 100));
	jtext_lit(b, d % 100 < 10 ? ".0" : ".");
	jtext_uint(b, (unsigned long long)(d % 100));
	jtext_lit(b, "}\n");
}

char *
activity_format(const struct scim_config *cfg, const struct activity_req *r,
    const struct activity_notes *n, const char *label, size_t *len)
{
	struct jtext	 b;

	memset(&b, 0, sizeof(b));
	record_text(cfg, r, n, label, &b);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

cJSON *
activity_build(const struct scim_config *cfg, const struct activity_req *r,
    const struct activity_notes *n, const char *label)
{
	char	*line;
	size_t	 len;
	cJSON	*rec;

	if ((line = activity_format(cfg, r, n, label, &len)) == NULL)
		return NULL;
	rec = cJSON_ParseWithLength(line, len);
	free(line);
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
	for (i = 0; i < ACTIVITY_LABELS && e == NULL; i++)
		if (strcmp(cache[i].id, id) == 0)
			e = &cache[i];	/* ids are unique in the cache */
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
	uint64_t size;		/* bytes written to it */
	int64_t	 checked;	/* when fstat() last said it was linked */
	int64_t	 warned;	/* last failure logged */
} activity_out = { -1, 0, 0, 0, 0 };

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
	activity_out.start = activity_out.checked = now;
	activity_out.size = 0;
	activity_prune(cfg, now, NULL);
	return true;
}

/*
 * Is a new file due?  None is open, this one is full (an eighth of the
 * cap, so that pruning whole files keeps within it) or a day old, or a
 * prune deleted it under us (its records would go nowhere: looked at
 * once a second, not with a system call per record).
 */
static bool
activity_rotate_due(const struct scim_config *cfg, int64_t now)
{
	struct stat	 st;

	if (activity_out.fd < 0 || now - activity_out.start >
	    ACTIVITY_ROTATE_USEC || activity_out.size >=
	    (uint64_t)cfg->activity_max_mb * (1024 * 1024 / 8))
		return true;
	if (now - activity_out.checked < 1000000)
		return false;
	activity_out.checked = now;
	return fstat(activity_out.fd, &st) != 0 || st.st_nlink == 0;
}

void
activity_record(const struct scim_config *cfg, struct store *s,
    const struct activity_req *r, const struct activity_notes *n)
{
	/* The record's text; its buffer lives with the process. */
	static struct jtext	 line;
	struct activity_req	 named;
	struct group_lookup	 g;
	ssize_t			 w;

	if (!cfg->activity_enabled)
		return;
	if (group_name(s, r, &g)) {
		named = *r;
		named.name = g.name;
		r = &named;
	}
	record_text(cfg, r, n, token_label(s, r->token_id), &line);
	if (!line.oom && (!activity_rotate_due(cfg, r->end_usec) ||
	    activity_open(cfg, r->end_usec))) {
		/* One write: appends of other files' never interleave. */
		w = write(activity_out.fd, line.p, line.len);
		if (w != (ssize_t)line.len)
			activity_warn("cannot write",
			    "a record to the activity file");
		if (w > 0)
			activity_out.size += (uint64_t)w;
	}
	/* A big record's buffer is not kept (a bulk body, a 100k group). */
	if (line.oom || line.cap > ACTIVITY_LINE_KEEP) {
		free(line.p);
		memset(&line, 0, sizeof(line));
	}
}
