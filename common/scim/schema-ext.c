/*
 * Reading declared schema extensions (schema-ext.h): the definition file
 * is parsed with cJSON and checked strictly, every key and value, so that
 * a typo stops the program at start (as an unknown scim.conf key does)
 * instead of quietly changing what clients may store.  The checked
 * definitions become struct schema tables like the built-in ones of
 * schema.c; their strings point into the parsed JSON, which the set keeps.
 *
 * What the definitions may say is what the rest of the model enforces:
 * the types of RFC 7643 section 2.3, one level of sub-attributes (section
 * 2.3.8: a sub-attribute is never complex), the characteristics of
 * section 7.  A definition names its attributes once each (any case) and
 * never reuses a built-in or another definition's URN.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "base/lex.h"
#include "scim/schema.h"
#include "scim/schema-ext.h"
#include "scim/unique.h"

/* Longest URN a definition may have: schema_resolve()'s URN buffer. */
#define EXT_URN_MAX	(sizeof(((struct schema_path *)0)->urn_buf) - 1)
/* Longest attribute name: schema_resolve()'s name buffers. */
#define EXT_NAME_MAX	(sizeof(((struct schema_path *)0)->attr_name) - 1)

/* One definition: its schema table and where it goes. */
struct schema_ext_def {
	struct schema			 schema;
	const struct resource_type	*rt;
	bool				 required;
};

struct schema_ext_set {
	cJSON			*root;		/* the strings' owner */
	size_t			 n;
	struct schema_ext_def	 defs[SCHEMA_EXT_MAX];
};

/* Where the parser is, for error details. */
struct ext_parse {
	struct scim_error	*err;
	size_t			 def;		/* 1-based definition number */
	const char		*urn;		/* its id, once known */
	const char		*attr;		/* attribute, once known */
	const char		*sub;		/* sub-attribute, once known */
};

/* The one-line keys a definition and an attribute may carry. */
static const char *const ext_def_keys[] = {
	"id", "name", "description", "attributes", "resourceType",
	"required", "schemas", "meta", NULL
};
static const char *const ext_attr_keys[] = {
	"name", "type", "multiValued", "required", "caseExact", "mutability",
	"returned", "uniqueness", "canonicalValues", "referenceTypes",
	"description", "subAttributes", NULL
};

/*
 * Fail with "definition N (URN), attribute A.S: " and the formatted
 * reason.  Always SCIM_E_INVALID_VALUE.
 */
static enum scim_err
ext_fail(const struct ext_parse *p, const char *fmt, ...)
{
	char	 where[320], why[256];
	va_list	 ap;
	int	 n;

	n = snprintf(where, sizeof(where), "definition %zu", p->def);
	if (p->urn != NULL && n >= 0 && (size_t)n < sizeof(where))
		n += snprintf(where + n, sizeof(where) - (size_t)n, " (%s)",
		    p->urn);
	if (p->attr != NULL && n >= 0 && (size_t)n < sizeof(where))
		snprintf(where + n, sizeof(where) - (size_t)n,
		    ", attribute %s%s%s", p->attr, p->sub != NULL ? "." : "",
		    p->sub != NULL ? p->sub : "");
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* Names and values from the file are echoed: keep it one line. */
	for (n = 0; where[n] != '\0'; n++)
		if ((unsigned char)where[n] < 0x20 || where[n] == 0x7f)
			where[n] = '?';
	for (n = 0; why[n] != '\0'; n++)
		if ((unsigned char)why[n] < 0x20 || why[n] == 0x7f)
			why[n] = '?';
	return scim_fail(p->err, SCIM_E_INVALID_VALUE, "%s: %s", where, why);
}

/* Is key one of the NULL-terminated list (exact case, as RFC 7643)? */
static bool
ext_key_known(const char *key, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(key, *list) == 0)
			return true;
	return false;
}

/*
 * Refuse a member of o not in list, or given twice: a typo, or the
 * second of two values (cJSON reads the first), would be ignored
 * silently.
 */
static enum scim_err
ext_check_keys(const struct ext_parse *p, const cJSON *o,
    const char *const *list)
{
	const cJSON	*c, *d;

	cJSON_ArrayForEach(c, o) {
		if (c->string == NULL || !ext_key_known(c->string, list))
			return ext_fail(p, "unknown key \"%s\"",
			    c->string != NULL ? c->string : "");
		for (d = o->child; d != c; d = d->next)
			if (strcmp(d->string, c->string) == 0)
				return ext_fail(p, "key \"%s\" twice",
				    c->string);
	}
	return SCIM_OK;
}

/*
 * o[key] as a string into *out: absent leaves *out as it is (the
 * default); present, it must be a string (non-empty with nonempty).
 */
static enum scim_err
ext_string(const struct ext_parse *p, const cJSON *o, const char *key,
    bool nonempty, const char **out)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL)
		return SCIM_OK;
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return ext_fail(p, "\"%s\" must be a string", key);
	if (nonempty && v->valuestring[0] == '\0')
		return ext_fail(p, "\"%s\" must not be empty", key);
	*out = v->valuestring;
	return SCIM_OK;
}

/* o[key] as a boolean into *out (absent: unchanged). */
static enum scim_err
ext_bool(const struct ext_parse *p, const cJSON *o, const char *key,
    bool *out)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL)
		return SCIM_OK;
	if (!cJSON_IsBool(v))
		return ext_fail(p, "\"%s\" must be true or false", key);
	*out = cJSON_IsTrue(v);
	return SCIM_OK;
}

/*
 * o[key], a characteristic spelt as name(0..last) spells it, into *out
 * (absent: unchanged).  The names come from schema-doc.c, so what is
 * read is what /Schemas shows.
 */
static enum scim_err
ext_choice(const struct ext_parse *p, const cJSON *o, const char *key,
    const char *(*name)(int), int last, int *out)
{
	const char	*s = NULL;
	char		 list[160];
	size_t		 n = 0;
	int		 i;
	enum scim_err	 rc;

	if ((rc = ext_string(p, o, key, false, &s)) != SCIM_OK || s == NULL)
		return rc;
	for (i = 0; i <= last; i++)
		if (strcmp(s, name(i)) == 0) {
			*out = i;
			return SCIM_OK;
		}
	list[0] = '\0';
	for (i = 0; i <= last && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
		    i == 0 ? "" : ", ", name(i));
	return ext_fail(p, "\"%s\" is \"%.64s\", not one of %s", key, s, list);
}

/* Adapters: the characteristic namers take their own enums. */
static const char *
ext_type_name(int i)
{
	return attr_type_name((enum attr_type)i);
}
static const char *
ext_mut_name(int i)
{
	return attr_mutability_name((enum attr_mutability)i);
}
static const char *
ext_ret_name(int i)
{
	return attr_returned_name((enum attr_returned)i);
}
static const char *
ext_uniq_name(int i)
{
	return attr_uniqueness_name((enum attr_uniqueness)i);
}

/*
 * o[key], an array of non-empty strings, into *out: a new NULL-terminated
 * array of pointers into o (absent: *out NULL).  The caller frees *out.
 */
static enum scim_err
ext_strings(const struct ext_parse *p, const cJSON *o, const char *key,
    const char *const **out)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key), *e;
	const char	**list;
	int		 n, i = 0;

	*out = NULL;
	if (v == NULL)
		return SCIM_OK;
	if (!cJSON_IsArray(v))
		return ext_fail(p, "\"%s\" must be an array of strings", key);
	if ((n = cJSON_GetArraySize(v)) > SCHEMA_EXT_VALUES_MAX)
		return ext_fail(p, "\"%s\" has more than %d values", key,
		    SCHEMA_EXT_VALUES_MAX);
	cJSON_ArrayForEach(e, v)
		if (!cJSON_IsString(e) || e->valuestring[0] == '\0')
			return ext_fail(p, "\"%s\" must be an array of "
			    "non-empty strings", key);
	if ((list = calloc((size_t)n + 1, sizeof(*list))) == NULL)
		return scim_oom(p->err);
	cJSON_ArrayForEach(e, v)
		list[i++] = e->valuestring;
	*out = list;
	return SCIM_OK;
}

/* Free what ext_attr() allocated for a (not a itself). */
static void
ext_attr_free(struct schema_attr *a)
{
	size_t	 i;

	free((void *)a->canonical);
	free((void *)a->ref_types);
	for (i = 0; a->sub != NULL && i < a->nsub; i++)
		ext_attr_free((struct schema_attr *)&a->sub[i]);
	free((void *)a->sub);
	memset(a, 0, sizeof(*a));
}

static enum scim_err	ext_attrs(struct ext_parse *, const cJSON *, bool,
			    struct schema_attr **, size_t *);

/* The characteristics of attribute o into a (its name already set). */
static enum scim_err
ext_attr_chars(struct ext_parse *p, const cJSON *o, struct schema_attr *a)
{
	int		 type = -1, mut = MUT_READ_WRITE, ret = RET_DEFAULT;
	int		 uniq = UNIQ_NONE;
	enum scim_err	 rc;

	if (cJSON_GetObjectItemCaseSensitive(o, "type") == NULL)
		return ext_fail(p, "\"type\" is missing");
	if ((rc = ext_choice(p, o, "type", ext_type_name, ATTR_COMPLEX,
	    &type)) != SCIM_OK ||
	    (rc = ext_choice(p, o, "mutability", ext_mut_name, MUT_WRITE_ONLY,
	    &mut)) != SCIM_OK ||
	    (rc = ext_choice(p, o, "returned", ext_ret_name, RET_REQUEST,
	    &ret)) != SCIM_OK ||
	    (rc = ext_choice(p, o, "uniqueness", ext_uniq_name, UNIQ_GLOBAL,
	    &uniq)) != SCIM_OK ||
	    (rc = ext_bool(p, o, "multiValued", &a->multi)) != SCIM_OK ||
	    (rc = ext_bool(p, o, "required", &a->required)) != SCIM_OK ||
	    (rc = ext_bool(p, o, "caseExact", &a->case_exact)) != SCIM_OK ||
	    (rc = ext_string(p, o, "description", false,
	    &a->description)) != SCIM_OK)
		return rc;
	a->type = (enum attr_type)type;
	a->mutability = (enum attr_mutability)mut;
	a->returned = (enum attr_returned)ret;
	a->uniqueness = (enum attr_uniqueness)uniq;
	if (unique_refusal(a) != NULL)
		return ext_fail(p, "%s", unique_refusal(a));
	if (a->type == ATTR_COMPLEX &&
	    cJSON_GetObjectItemCaseSensitive(o, "canonicalValues") != NULL)
		return ext_fail(p, "a complex attribute has no "
		    "\"canonicalValues\" (its sub-attributes may)");
	if (a->type != ATTR_REFERENCE &&
	    cJSON_GetObjectItemCaseSensitive(o, "referenceTypes") != NULL)
		return ext_fail(p, "\"referenceTypes\" is for a reference "
		    "attribute only");
	if ((rc = ext_strings(p, o, "canonicalValues", &a->canonical)) !=
	    SCIM_OK)
		return rc;
	return ext_strings(p, o, "referenceTypes", &a->ref_types);
}

/*
 * Attribute definition o into a: sub says it is a sub-attribute (which
 * must not be complex).  On error a holds what was allocated so far, for
 * ext_attr_free().
 */
static enum scim_err
ext_attr(struct ext_parse *p, const cJSON *o, bool sub,
    struct schema_attr *a)
{
	const cJSON	*subs;
	const char	*name = NULL;
	struct schema_attr *sv = NULL;
	size_t		 ns = 0;
	enum scim_err	 rc;

	if (!cJSON_IsObject(o))
		return ext_fail(p, "an attribute must be a JSON object");
	if ((rc = ext_string(p, o, "name", true, &name)) != SCIM_OK)
		return rc;
	if (name == NULL)
		return ext_fail(p, "an attribute has no \"name\"");
	if (strlen(name) > EXT_NAME_MAX ||
	    !lex_is_attrname(name, strlen(name)))
		return ext_fail(p, "\"%.64s\" is not an attribute name (a "
		    "letter, then letters, digits, '-' or '_'; at most %zu)",
		    name, EXT_NAME_MAX);
	a->name = name;
	if (sub)
		p->sub = name;
	else
		p->attr = name;
	if ((rc = ext_check_keys(p, o, ext_attr_keys)) != SCIM_OK ||
	    (rc = ext_attr_chars(p, o, a)) != SCIM_OK)
		return rc;
	subs = cJSON_GetObjectItemCaseSensitive(o, "subAttributes");
	if (a->type != ATTR_COMPLEX) {
		if (subs != NULL)
			return ext_fail(p, "\"subAttributes\" is for a complex "
			    "attribute only");
		return SCIM_OK;
	}
	if (sub)
		return ext_fail(p, "a sub-attribute cannot be complex "
		    "(RFC 7643 section 2.3.8)");
	if (subs == NULL)
		return ext_fail(p, "a complex attribute needs "
		    "\"subAttributes\"");
	rc = ext_attrs(p, subs, true, &sv, &ns);
	a->sub = sv;
	a->nsub = ns;
	p->sub = NULL;
	return rc;
}

/*
 * The array list of attribute definitions into a new array *out of *n
 * (sub: they are sub-attributes).  Names are unique in any case.  On
 * error *out still holds what was parsed, for the caller to free.
 */
static enum scim_err
ext_attrs(struct ext_parse *p, const cJSON *list, bool sub,
    struct schema_attr **out, size_t *n)
{
	const char	*key = sub ? "subAttributes" : "attributes";
	size_t		 max = sub ? SCHEMA_EXT_SUBS_MAX : SCHEMA_EXT_ATTRS_MAX;
	const cJSON	*e;
	struct schema_attr *v;
	size_t		 i, cnt;
	enum scim_err	 rc;

	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(list) || list->child == NULL)
		return ext_fail(p, "\"%s\" must be a non-empty array", key);
	if ((cnt = (size_t)cJSON_GetArraySize(list)) > max)
		return ext_fail(p, "\"%s\" has more than %zu entries", key,
		    max);
	if ((v = calloc(cnt, sizeof(*v))) == NULL)
		return scim_oom(p->err);
	*out = v;
	cJSON_ArrayForEach(e, list) {
		*n += 1;
		if ((rc = ext_attr(p, e, sub, &v[*n - 1])) != SCIM_OK)
			return rc;
		for (i = 0; i + 1 < *n; i++)
			if (strcasecmp(v[i].name, v[*n - 1].name) == 0)
				return ext_fail(p, "defined twice (names "
				    "compare in any case)");
		if (!sub)
			p->attr = NULL;
	}
	return SCIM_OK;
}

/* Is s a URN a path can carry: "urn:", then URN characters, no ':' last? */
static bool
ext_urn_ok(const char *s)
{
	size_t	 len = strlen(s);

	if (len <= 4 || len > EXT_URN_MAX || !schema_is_urn(s) ||
	    s[len - 1] == ':')
		return false;
	/* RFC 8141 characters, less those paths and filters give meaning. */
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789:-._~") == len;
}

/* The definition object o into d. */
static enum scim_err
ext_def(struct ext_parse *p, const cJSON *o, struct schema_ext_def *d)
{
	const char		*id = NULL, *rt = NULL;
	struct schema_attr	*attrs = NULL;
	size_t			 n = 0;
	enum scim_err		 rc;

	if (!cJSON_IsObject(o))
		return ext_fail(p, "a definition must be a JSON object");
	if ((rc = ext_string(p, o, "id", true, &id)) != SCIM_OK)
		return rc;
	if (id == NULL)
		return ext_fail(p, "\"id\" (the extension's URN) is missing");
	if (!ext_urn_ok(id))
		return ext_fail(p, "\"id\" \"%.80s\" is not a schema URN "
		    "(\"urn:\", then letters, digits and :-._~, at most %zu)",
		    id, EXT_URN_MAX);
	p->urn = id;
	d->schema.id = id;
	d->schema.name = "";
	d->schema.description = "";
	if ((rc = ext_check_keys(p, o, ext_def_keys)) != SCIM_OK ||
	    (rc = ext_string(p, o, "name", false, &d->schema.name)) !=
	    SCIM_OK ||
	    (rc = ext_string(p, o, "description", false,
	    &d->schema.description)) != SCIM_OK ||
	    (rc = ext_string(p, o, "resourceType", true, &rt)) != SCIM_OK ||
	    (rc = ext_bool(p, o, "required", &d->required)) != SCIM_OK)
		return rc;
	if (rt == NULL)
		return ext_fail(p, "\"resourceType\" (User or Group) is "
		    "missing");
	if (strcasecmp(rt, rt_user.name) == 0)
		d->rt = &rt_user;
	else if (strcasecmp(rt, rt_group.name) == 0)
		d->rt = &rt_group;
	else
		return ext_fail(p, "\"resourceType\" is \"%.64s\", not User "
		    "or Group", rt);
	rc = ext_attrs(p, cJSON_GetObjectItemCaseSensitive(o, "attributes"),
	    false, &attrs, &n);
	d->schema.attrs = attrs;
	d->schema.nattrs = n;
	return rc;
}

/* Free the tables of d (not d itself). */
static void
ext_def_free(struct schema_ext_def *d)
{
	size_t	 i;

	for (i = 0; d->schema.attrs != NULL && i < d->schema.nattrs; i++)
		ext_attr_free((struct schema_attr *)&d->schema.attrs[i]);
	free((void *)d->schema.attrs);
	memset(d, 0, sizeof(*d));
}

/*
 * The definitions of root (one object or an array) into set; URNs are
 * unique among them (the built-in ones are checked on installing).
 */
static enum scim_err
ext_defs(struct ext_parse *p, const cJSON *root, struct schema_ext_set *set)
{
	const cJSON	*e;
	size_t		 i;
	enum scim_err	 rc;

	if (cJSON_IsObject(root))
		e = root;
	else if (cJSON_IsArray(root) && root->child != NULL)
		e = root->child;
	else
		return ext_fail(p, "the file must hold a definition (a JSON "
		    "object) or a non-empty array of them");
	if (cJSON_IsArray(root) && cJSON_GetArraySize(root) > SCHEMA_EXT_MAX)
		return ext_fail(p, "more than %d definitions", SCHEMA_EXT_MAX);
	for (; e != NULL; e = cJSON_IsArray(root) ? e->next : NULL) {
		p->def = set->n + 1;
		p->urn = p->attr = p->sub = NULL;
		rc = ext_def(p, e, &set->defs[set->n]);
		set->n++;
		if (rc != SCIM_OK)
			return rc;
		for (i = 0; i + 1 < set->n; i++)
			if (strcasecmp(set->defs[i].schema.id, p->urn) == 0)
				return ext_fail(p, "defined twice");
	}
	return SCIM_OK;
}

enum scim_err
schema_ext_parse(const char *text, size_t len, struct schema_ext_set **out,
    struct scim_error *err)
{
	struct ext_parse	 p = { err, 1, NULL, NULL, NULL };
	struct schema_ext_set	*set;
	const char		*end = NULL;
	enum scim_err		 rc;

	*out = NULL;
	if ((set = calloc(1, sizeof(*set))) == NULL)
		return scim_oom(err);
	if (len > SCHEMA_EXT_FILE_MAX) {
		free(set);
		return scim_fail(err, SCIM_E_INVALID_VALUE, "larger than %d "
		    "bytes", SCHEMA_EXT_FILE_MAX);
	}
	if (memchr(text, '\0', len) != NULL ||
	    (set->root = cJSON_ParseWithLengthOpts(text, len, &end,
	    false)) == NULL) {
		free(set);
		return scim_fail(err, SCIM_E_INVALID_VALUE, "not JSON (at "
		    "byte %zu)", end != NULL && end >= text ?
		    (size_t)(end - text) : (size_t)0);
	}
	if ((rc = ext_defs(&p, set->root, set)) != SCIM_OK) {
		schema_ext_free(set);
		return rc;
	}
	*out = set;
	return SCIM_OK;
}

size_t
schema_ext_count(const struct schema_ext_set *set)
{
	return set != NULL ? set->n : 0;
}

const struct schema *
schema_ext_schema(const struct schema_ext_set *set, size_t i)
{
	return set != NULL && i < set->n ? &set->defs[i].schema : NULL;
}

enum scim_err
schema_ext_install(const struct schema_ext_set *set, struct scim_error *err)
{
	const struct schema_ext_def	*d;
	size_t				 i;
	enum scim_err			 rc;

	for (i = 0; i < set->n; i++) {
		d = &set->defs[i];
		rc = schema_ext_register(d->rt, &d->schema, d->required, err);
		if (rc != SCIM_OK) {
			schema_ext_unregister();
			return rc;
		}
	}
	return SCIM_OK;
}

void
schema_ext_free(struct schema_ext_set *set)
{
	size_t	 i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		ext_def_free(&set->defs[i]);
	cJSON_Delete(set->root);
	free(set);
}

/* The definitions the running program installed (schema_ext_configure). */
static struct schema_ext_set	*schema_ext_loaded;

/*
 * Read the whole of path into a new NUL-terminated buffer (*len bytes
 * before the NUL); NULL with errno set, EFBIG when over the limit.
 */
static char *
ext_read_file(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	size_t	 n;
	int	 e;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if ((buf = malloc(SCHEMA_EXT_FILE_MAX + 2)) == NULL) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	errno = 0;
	n = fread(buf, 1, SCHEMA_EXT_FILE_MAX + 1, f);
	if (ferror(f) || n > SCHEMA_EXT_FILE_MAX) {
		/* A directory opens, and its read fails with EISDIR. */
		e = ferror(f) ? (errno != 0 ? errno : EIO) : EFBIG;
		fclose(f);
		free(buf);
		errno = e;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

enum scim_err
schema_ext_configure(const char *path, bool refuse, struct scim_error *err)
{
	struct scim_error	 e = { SCIM_OK, "" };
	struct schema_ext_set	*set = NULL;
	char			*text;
	size_t			 len = 0;

	schema_ext_unload();
	if (path != NULL && path[0] != '\0') {
		if ((text = ext_read_file(path, &len)) == NULL)
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "%s: %s", path, errno == EFBIG ? "larger than "
			    "1 MiB" : strerror(errno));
		if (schema_ext_parse(text, len, &set, &e) != SCIM_OK ||
		    schema_ext_install(set, &e) != SCIM_OK) {
			free(text);
			schema_ext_free(set);
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "%s: %s", path, e.detail);
		}
		free(text);
		schema_ext_loaded = set;
	}
	schema_ext_refuse_undeclared(refuse);
	return SCIM_OK;
}

void
schema_ext_unload(void)
{
	schema_ext_unregister();
	schema_ext_free(schema_ext_loaded);
	schema_ext_loaded = NULL;
}
