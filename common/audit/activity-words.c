/*
 * What a SCIM request did, in the words an operator reads on the page and
 * in `scimctl activity`: "created alice@contoso.com", "deactivated
 * alice@contoso.com", "added 3 members to Sales", "listed users where
 * userName eq "alice"", and "failed to ..." when it was refused.  Worked
 * out from the request (method, resource, body) and the answer alone, so
 * that no handler has to report anything; what a handler skipped it
 * notes itself (activity_note()).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/activity.h"

#define WORDS_ATTRS	5	/* attribute names listed per update */

/* A sentence being written: past tense for success, base for failure. */
struct words {
	char	*buf;		/* the caller's, cap bytes */
	size_t	 cap;
	size_t	 len;
	size_t	 start;		/* where the first verb goes */
	bool	 failed;
	int	 skipped;	/* members added that were not */
};

static void
words_add(struct words *w, const char *fmt, ...)
    __attribute__((format(__printf__, 2, 3)));

static void
words_add(struct words *w, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (w->len >= w->cap - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->len += (size_t)n;
	if (w->len >= w->cap)
		w->len = w->cap - 1;
}

/*
 * Add s as it is, cut to what fits: a GET's sentence is made of these,
 * without a vsnprintf per word (the recorder runs on every request).
 */
static void
words_lit(struct words *w, const char *s)
{
	size_t	 n = strlen(s);

	if (n > w->cap - 1 - w->len)
		n = w->cap - 1 - w->len;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* A verb in the right form: "created" / "create". */
static void
words_verb(struct words *w, const char *past, const char *base)
{
	if (w->len > w->start)
		words_lit(w, "; ");
	words_lit(w, w->failed ? base : past);
}

static const char *
json_str(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItem(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Is v false: false, or a string "false" (Entra's "False")? */
static bool
json_false(const cJSON *v)
{
	return cJSON_IsFalse(v) || (cJSON_IsString(v) &&
	    strcasecmp(v->valuestring, "false") == 0);
}

static bool
json_true(const cJSON *v)
{
	return cJSON_IsTrue(v) || (cJSON_IsString(v) &&
	    strcasecmp(v->valuestring, "true") == 0);
}

/* Does PATCH path p name attribute attr ("members[value eq ...]" too)? */
static bool
path_is(const char *p, const char *attr)
{
	size_t	 n = strlen(attr);

	if (p == NULL)
		return false;
	if (strrchr(p, ':') != NULL && strchr(p, '[') == NULL)
		p = strrchr(p, ':') + 1;
	return strncasecmp(p, attr, n) == 0 && (p[n] == '\0' || p[n] == '[');
}

/* Add the member ids of v (an array of {"value"} or one) to members. */
static int
members_take(const cJSON *v, cJSON *members)
{
	const cJSON	*e;
	const char	*id;
	int		 n = 0;

	if (v == NULL)
		return 0;
	if (!cJSON_IsArray(v)) {
		id = cJSON_IsString(v) ? v->valuestring : json_str(v, "value");
		if (id != NULL && cJSON_GetArraySize(members) <
		    ACTIVITY_MEMBERS_MAX)
			cJSON_AddItemToArray(members, cJSON_CreateString(id));
		return 1;
	}
	cJSON_ArrayForEach(e, v)
		n += members_take(e, members);
	return n;
}

/* The id in a path such as members[value eq "1234"], into members. */
static int
members_from_path(const char *p, cJSON *members)
{
	const char	*q, *e;
	char		 id[128];

	if ((q = strchr(p, '"')) == NULL || (e = strchr(q + 1, '"')) == NULL)
		return 1;
	snprintf(id, sizeof(id), "%.*s", (int)(e - q - 1), q + 1);
	if (cJSON_GetArraySize(members) < ACTIVITY_MEMBERS_MAX)
		cJSON_AddItemToArray(members, cJSON_CreateString(id));
	return 1;
}

/* What one PATCH does to a user or a group, summed over its operations. */
struct patch_sum {
	int		 active;	/* -1 unset, 0 deactivated, 1 reactivated */
	int		 added, removed;
	bool		 replaced_members, cleared_members;
	const char	*attrs[WORDS_ATTRS];
	unsigned	 nattrs;
};

static void
sum_attr(struct patch_sum *ps, const char *name)
{
	unsigned	 i;

	for (i = 0; i < ps->nattrs; i++)
		if (strcasecmp(ps->attrs[i], name) == 0)
			return;
	if (ps->nattrs < WORDS_ATTRS)
		ps->attrs[ps->nattrs++] = name;
}

/* One operation of a PATCH into ps (member ids into members). */
static void
sum_op(struct patch_sum *ps, const cJSON *op, cJSON *members)
{
	const char	*kind = json_str(op, "op"), *path = json_str(op, "path");
	const cJSON	*v = cJSON_GetObjectItem(op, "value"), *c;
	bool		 remove = kind != NULL && strcasecmp(kind, "remove") == 0;
	bool		 replace = kind != NULL && strcasecmp(kind, "replace") == 0;

	if (path_is(path, "members")) {
		if (!remove && replace)
			ps->replaced_members = true;
		if (remove && strchr(path, '[') != NULL)
			ps->removed += members_from_path(path, members);
		else if (remove && v == NULL)
			ps->cleared_members = true;
		else if (remove)
			ps->removed += members_take(v, members);
		else
			ps->added += members_take(v, members);
		return;
	}
	if (path_is(path, "active") && !remove) {
		ps->active = json_false(v) ? 0 : json_true(v) ? 1 : ps->active;
		return;
	}
	if (path != NULL) {
		sum_attr(ps, path);
		return;
	}
	/* No path: the value's members are the attributes. */
	cJSON_ArrayForEach(c, v) {
		if (c->string == NULL)
			continue;
		if (strcasecmp(c->string, "active") == 0)
			ps->active = json_false(c) ? 0 : json_true(c) ? 1 :
			    ps->active;
		else if (strcasecmp(c->string, "members") == 0)
			ps->added += members_take(c, members);
		else
			sum_attr(ps, c->string);
	}
}

/* The words for a PATCH of a user or a group called name. */
static void
words_patch(struct words *w, const cJSON *body, const char *name,
    bool group, cJSON *members)
{
	struct patch_sum	 ps;
	const cJSON		*op;
	unsigned		 i;

	memset(&ps, 0, sizeof(ps));
	ps.active = -1;
	cJSON_ArrayForEach(op, cJSON_GetObjectItem(body, "Operations"))
		sum_op(&ps, op, members);
	ps.added = ps.added > w->skipped ? ps.added - w->skipped : 0;
	if (ps.active == 0)
		words_verb(w, "deactivated", "deactivate");
	else if (ps.active == 1)
		words_verb(w, "reactivated", "reactivate");
	if (ps.active >= 0)
		words_add(w, " %s", name);
	if (ps.replaced_members) {
		words_verb(w, "replaced", "replace");
		words_add(w, " the members of %s (%d)", name, ps.added);
	} else if (ps.added > 0) {
		words_verb(w, "added", "add");
		words_add(w, " %d member%s to %s", ps.added,
		    ps.added == 1 ? "" : "s", name);
	}
	if (ps.cleared_members) {
		words_verb(w, "removed", "remove");
		words_add(w, " every member from %s", name);
	} else if (ps.removed > 0) {
		words_verb(w, "removed", "remove");
		words_add(w, " %d member%s from %s", ps.removed,
		    ps.removed == 1 ? "" : "s", name);
	}
	if (ps.nattrs > 0 || w->len == w->start) {
		words_verb(w, "updated", "update");
		words_add(w, " %s%s", group && ps.nattrs == 0 ? "group " : "",
		    name);
		for (i = 0; i < ps.nattrs; i++)
			words_add(w, "%s%s", i == 0 ? " (" : ", ", ps.attrs[i]);
		if (ps.nattrs > 0)
			words_add(w, ")");
	}
}

/*
 * The resource's name: the answer's userName or displayName, else the
 * request body's, else what the recorder looked up, else its id.
 */
static const char *
words_name(const struct activity_req *r, const cJSON *body, bool group)
{
	const char	*key = group ? "displayName" : "userName", *n;

	if ((n = json_str(r->answer, key)) != NULL ||
	    (n = json_str(body, key)) != NULL || (n = r->name) != NULL)
		return n;
	if ((n = json_str(r->answer, "id")) != NULL || (n = r->id) != NULL)
		return n;
	return "?";
}

/* The words for a request on /Users or /Groups. */
static void
words_resource(struct words *w, const struct activity_req *r,
    const cJSON *body, bool group, const char *name, cJSON *members)
{
	const char	*kind = group ? "group" : "user";
	const char	*plural = group ? "groups" : "users";
	int		 n;

	if (strcmp(r->method, "GET") == 0 && r->id == NULL) {
		words_verb(w, r->filter ? "looked up" : "listed",
		    r->filter ? "look up" : "list");
		words_add(w, " %s", plural);
		if (r->filter != NULL)
			words_add(w, " where %.200s", r->filter);
	} else if (strcmp(r->method, "GET") == 0) {
		words_verb(w, "read", "read");
		words_lit(w, " ");
		words_lit(w, kind);
		words_lit(w, " ");
		words_lit(w, name);
	} else if (strcmp(r->method, "POST") == 0 && r->id != NULL) {
		words_verb(w, "searched", "search");
		words_add(w, " %s", plural);
	} else if (strcmp(r->method, "POST") == 0) {
		words_verb(w, "created", "create");
		words_add(w, " %s%s", group ? "group " : "", name);
		n = members_take(cJSON_GetObjectItem(body, "members"), members) -
		    w->skipped;
		if (n > 0)
			words_add(w, " with %d member%s", n, n == 1 ? "" : "s");
	} else if (strcmp(r->method, "PUT") == 0) {
		if (!group && json_false(cJSON_GetObjectItem(body, "active")))
			words_verb(w, "deactivated", "deactivate");
		else
			words_verb(w, "replaced", "replace");
		words_add(w, " %s%s", group ? "group " : "", name);
		if (group)
			members_take(cJSON_GetObjectItem(body, "members"),
			    members);
	} else if (strcmp(r->method, "PATCH") == 0)
		words_patch(w, body, name, group, members);
	else if (strcmp(r->method, "DELETE") == 0) {
		words_verb(w, "deleted", "delete");
		words_add(w, " %s %s", kind, name);
	} else {
		words_verb(w, "answered", "answer");
		words_add(w, " %s %s", r->method, plural);
	}
}

const char *
activity_words_buf(const struct activity_req *r, const cJSON *body,
    unsigned skipped, struct activity_target *tg, cJSON *members,
    char *buf, size_t sz)
{
	struct words	 w;
	const char	*res = r->resource, *name, *id;
	bool		 group;

	memset(&w, 0, sizeof(w));
	memset(tg, 0, sizeof(*tg));
	w.buf = buf;
	w.cap = sz;
	buf[0] = '\0';
	w.failed = r->status >= 400;
	if (w.failed)
		words_lit(&w, "failed to ");
	w.start = w.len;
	w.skipped = (int)skipped;
	if (res != NULL && (strcmp(res, "Users") == 0 ||
	    strcmp(res, "Groups") == 0)) {
		group = res[0] == 'G';
		name = words_name(r, body, group);
		words_resource(&w, r, body, group, name, members);
		id = json_str(r->answer, "id") ? json_str(r->answer, "id") :
		    r->id;
		if (id != NULL || strcmp(name, "?") != 0) {
			tg->type = group ? "Group" : "User";
			tg->id = id;
			if (id == NULL || strcmp(name, id) != 0)
				tg->name = name;
		}
	} else if (res != NULL && strcmp(res, "Bulk") == 0)
		words_add(&w, "%s %d operation%s", w.failed ? "run" : "ran",
		    cJSON_GetArraySize(cJSON_GetObjectItem(body,
		    "Operations")), cJSON_GetArraySize(cJSON_GetObjectItem(body,
		    "Operations")) == 1 ? "" : "s");
	else if (res != NULL)
		words_add(&w, "read %s", res);
	else
		words_add(&w, "%s %.200s", r->method ? r->method : "?",
		    r->path ? r->path : "?");
	return buf;
}

char *
activity_words(const struct activity_req *r, const cJSON *body,
    unsigned skipped, cJSON *target, cJSON *members)
{
	struct activity_target	 tg;
	char			 buf[ACTIVITY_WORDS_MAX];

	activity_words_buf(r, body, skipped, &tg, members, buf, sizeof(buf));
	if (target != NULL && tg.type != NULL) {
		cJSON_AddStringToObject(target, "type", tg.type);
		if (tg.id != NULL)
			cJSON_AddStringToObject(target, "id", tg.id);
		if (tg.name != NULL)
			cJSON_AddStringToObject(target, "name", tg.name);
	}
	return strdup(buf);
}
