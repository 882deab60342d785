/*
 * The ?attributes= and ?excludedAttributes= lists (RFC 7644 section
 * 3.9): parsing them against one resource type, and the questions the
 * renderer asks of them (is this attribute, sub-attribute or custom
 * extension member listed, and is it shown).  A request parses its lists
 * once with attrsel_parse() and hands the result to every rendering.
 *
 * Entries may be URN-qualified, dotted (name.givenName) or carry a value
 * filter (emails[type eq "work"], Microsoft's collection asks for it),
 * which counts as the whole attribute.  Entries naming nothing the
 * resource type knows are ignored, as RFC 7644 permits.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim/schema.h"
#include "scim/attrsel.h"
#include "scim/resource-int.h"

/*
 * Copy the entry s[0..len) into dst (size sz) without surrounding blanks
 * and without any value filter: emails[type eq "work"] becomes "emails",
 * emails[type eq "work"].value becomes "emails.value".  Quotes inside the
 * filter are honoured.  Returns false if the result is empty or too long.
 */
static bool
attrsel_clean(const char *s, size_t len, char *dst, size_t sz)
{
	size_t	 i, n = 0;
	int	 depth = 0;
	bool	 quoted = false;

	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	for (i = 0; i < len; i++) {
		if (depth > 0) {
			if (quoted && s[i] == '\\' && i + 1 < len)
				i++;
			else if (s[i] == '"')
				quoted = !quoted;
			else if (!quoted && s[i] == '[')
				depth++;
			else if (!quoted && s[i] == ']')
				depth--;
			continue;
		}
		if (s[i] == '[') {
			depth = 1;
			continue;
		}
		if (n + 1 >= sz)
			return false;
		dst[n++] = s[i];
	}
	dst[n] = '\0';
	return n > 0;
}

/*
 * Fill e from "attr" or "attr.sub" against schema s of rt; false when
 * the attribute is unknown (such entries are ignored).  A sub-attribute
 * of a complex attribute need not be known (members keep unknown ones);
 * a sub-attribute of a simple attribute names nothing.
 */
static bool
attrsel_path(const struct resource_type *rt, const struct schema *s,
    const char *p, struct attrsel_entry *e)
{
	const struct schema_attr	*a, *sa;
	const char			*dot;
	char				 name[128];
	size_t				 alen;

	dot = strchr(p, '.');
	alen = dot != NULL ? (size_t)(dot - p) : strlen(p);
	if (alen == 0 || alen >= sizeof(name) ||
	    (dot != NULL && strchr(dot + 1, '.') != NULL))
		return false;
	memcpy(name, p, alen);
	name[alen] = '\0';
	if ((a = resource_rt_find(rt, s, name)) == NULL)
		return false;
	e->sch = s;
	snprintf(e->attr, sizeof(e->attr), "%s", a->name);
	if (dot == NULL)
		return true;
	if (a->type != ATTR_COMPLEX || dot[1] == '\0' ||
	    strlen(dot + 1) >= sizeof(e->sub))
		return false;
	sa = schema_find_sub(a, dot + 1);
	snprintf(e->sub, sizeof(e->sub), "%s", sa != NULL ? sa->name :
	    dot + 1);
	return true;
}

/*
 * Parse one entry s[0..len) into e; false when it names nothing this
 * resource type knows (it is then ignored, as RFC 7644 permits).
 * Accepted: attr, attr.sub, <schema URN>, <schema URN>:attr[.sub], and
 * any other URN, kept as text to match custom extension objects.
 */
static bool
attrsel_entry_parse(const struct resource_type *rt, const char *s,
    size_t len, struct attrsel_entry *e)
{
	const struct schema	*sch;
	const char		*colon;

	memset(e, 0, sizeof(*e));
	if (!attrsel_clean(s, len, e->text, sizeof(e->text)))
		return false;
	if (!schema_is_urn(e->text))
		return attrsel_path(rt, rt->core, e->text, e);
	if ((sch = resource_rt_schema(rt, e->text, strlen(e->text))) != NULL) {
		e->sch = sch;
		return true;
	}
	colon = strrchr(e->text, ':');
	sch = resource_rt_schema(rt, e->text, (size_t)(colon - e->text));
	if (sch != NULL)
		return attrsel_path(rt, sch, colon + 1, e);
	/* A schema of another resource type names nothing here. */
	if (schema_by_urn(e->text) != NULL)
		return false;
	return true;
}

/*
 * Parse the comma-separated list text (NULL or blank: not given) into l.
 * Commas inside a value filter's brackets or quotes do not split.
 * Returns false on allocation failure only.
 */
static bool
attrsel_list_parse(const struct resource_type *rt, const char *text,
    struct attrsel_list *l)
{
	const char	*p, *start;
	size_t		 cap = 1;
	int		 depth = 0;
	bool		 quoted = false;

	memset(l, 0, sizeof(*l));
	if (text == NULL)
		return true;
	for (p = text; *p != '\0' && isspace((unsigned char)*p); p++)
		continue;
	if (*p == '\0')
		return true;
	l->given = true;
	for (p = text; *p != '\0'; p++)
		if (*p == ',')
			cap++;
	if ((l->v = calloc(cap, sizeof(*l->v))) == NULL)
		return false;
	for (start = p = text;; p++) {
		if (*p == '\\' && quoted && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '"' && depth > 0)
			quoted = !quoted;
		else if (!quoted && *p == '[')
			depth++;
		else if (!quoted && *p == ']' && depth > 0)
			depth--;
		if (*p != '\0' && (*p != ',' || depth > 0 || quoted))
			continue;
		if (l->n < cap && attrsel_entry_parse(rt, start,
		    (size_t)(p - start), &l->v[l->n]))
			l->n++;
		if (*p == '\0')
			break;
		start = p + 1;
	}
	return true;
}

static void
attrsel_list_free(struct attrsel_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool
attrsel_parse(const struct resource_type *rt, const char *attributes,
    const char *excluded, struct attrsel *sel)
{
	memset(sel, 0, sizeof(*sel));
	if (!attrsel_list_parse(rt, attributes, &sel->inc) ||
	    !attrsel_list_parse(rt, excluded, &sel->exc)) {
		attrsel_free(sel);
		return false;
	}
	return true;
}

void
attrsel_free(struct attrsel *sel)
{
	attrsel_list_free(&sel->inc);
	attrsel_list_free(&sel->exc);
}

/* How does l list attribute attr of schema sch? */
enum attrsel_m
attrsel_match(const struct attrsel_list *l, const struct schema *sch,
    const char *attr)
{
	enum attrsel_m	 m = ATTRSEL_NONE;
	size_t		 i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].sch != sch || sch == NULL)
			continue;
		if (l->v[i].attr[0] == '\0')
			return ATTRSEL_WHOLE;
		if (strcasecmp(l->v[i].attr, attr) != 0)
			continue;
		if (l->v[i].sub[0] == '\0')
			return ATTRSEL_WHOLE;
		m = ATTRSEL_PART;
	}
	return m;
}

/* Does l list sub-attribute sub of attr (schema sch) by name? */
bool
attrsel_sub(const struct attrsel_list *l, const struct schema *sch,
    const char *attr, const char *sub)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].sch == sch && sch != NULL &&
		    strcasecmp(l->v[i].attr, attr) == 0 &&
		    strcasecmp(l->v[i].sub, sub) == 0)
			return true;
	return false;
}

/*
 * How does l list the custom extension object urn (key NULL) or its
 * member key?  "urn" and "urn:key" are whole; "urn:key.sub" is partial,
 * as is "urn:other" when asking about the object.
 */
enum attrsel_m
attrsel_custom(const struct attrsel_list *l, const char *urn,
    const char *key)
{
	const char	*t;
	enum attrsel_m	 m = ATTRSEL_NONE;
	size_t		 i, ulen = strlen(urn), klen;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].sch != NULL)
			continue;
		t = l->v[i].text;
		if (strcasecmp(t, urn) == 0)
			return ATTRSEL_WHOLE;
		if (strncasecmp(t, urn, ulen) != 0 || t[ulen] != ':')
			continue;
		t += ulen + 1;
		if (key == NULL) {
			m = ATTRSEL_PART;
			continue;
		}
		klen = strlen(key);
		if (strncasecmp(t, key, klen) != 0)
			continue;
		if (t[klen] == '\0')
			return ATTRSEL_WHOLE;
		if (t[klen] == '.')
			m = ATTRSEL_PART;
	}
	return m;
}


/* --- showing an attribute --- */

/*
 * Is attribute a of schema sch shown under the lists inc
 * (?attributes=) and exc (?excludedAttributes=)?  Returns ATTRSEL_NONE,
 * ATTRSEL_WHOLE, or ATTRSEL_PART when only some sub-attributes are (then
 * *mi and *me say which list restricts them).
 */
enum attrsel_m
attrsel_visible(const struct schema *sch, const struct schema_attr *a,
    const struct attrsel_list *inc, const struct attrsel_list *exc,
    enum attrsel_m *mi, enum attrsel_m *me)
{
	*mi = ATTRSEL_WHOLE;
	*me = ATTRSEL_NONE;
	if (a == &schema_attr_id || a->returned == RET_ALWAYS)
		return ATTRSEL_WHOLE;
	if (a->returned == RET_NEVER)
		return ATTRSEL_NONE;
	if (inc->given) {
		if ((*mi = attrsel_match(inc, sch, a->name)) == ATTRSEL_NONE)
			return ATTRSEL_NONE;
	} else if (a->returned == RET_REQUEST)
		return ATTRSEL_NONE;
	if (exc->given &&
	    (*me = attrsel_match(exc, sch, a->name)) == ATTRSEL_WHOLE)
		return ATTRSEL_NONE;
	return *mi == ATTRSEL_PART || *me == ATTRSEL_PART ? ATTRSEL_PART :
	    ATTRSEL_WHOLE;
}
