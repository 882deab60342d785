/*
 * The stored form and the answers made from it.  resource_stored() puts
 * a resource in the order rendering shows it ("schemas" first, meta
 * last, nothing a response would not show), so that a read can answer
 * with the stored text itself: resource_answer() splices the
 * back-reference and meta.location into that text instead of parsing
 * and rendering the record, which is what makes a GET of a large group
 * cheap.
 *
 * The splice rests on two promises, each written where it is kept:
 * resource-render.c renders the back-reference last before meta, and
 * the handlers' meta holds strings only (no objects), so its text is
 * found from the end and its keys by their quoted names.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "scim/schema.h"
#include "scim/attrsel.h"
#include "scim/resource.h"
#include "scim/resource-int.h"

/* --- the stored form --- */

/* Is every member of o an empty object (what rendering left of it)? */
static bool
all_shown(const cJSON *o)
{
	const cJSON	*c;

	for (c = o->child; c != NULL; c = c->next)
		if (!(cJSON_IsObject(c) && c->child == NULL) &&
		    !cJSON_IsNull(c))
			return false;
	return true;
}

/* Move what rendering left in src (not shown) into out, merging objects. */
static void
keep_rest(cJSON *out, cJSON *src)
{
	cJSON	*c, *d, *have;

	while ((c = src->child) != NULL) {
		cJSON_DetachItemViaPointer(src, c);
		have = c->string != NULL ?
		    cJSON_GetObjectItemCaseSensitive(out, c->string) : NULL;
		if (cJSON_IsObject(c) && c->child == NULL)
			cJSON_Delete(c);
		else if (cJSON_IsObject(have) && cJSON_IsObject(c)) {
			while ((d = c->child) != NULL)
				cJSON_AddItemToArray(have,
				    cJSON_DetachItemViaPointer(c, d));
			cJSON_Delete(c);
		} else
			cJSON_AddItemToArray(out, c);	/* keeps c->string */
	}
}

cJSON *
resource_stored(const struct resource_type *rt, cJSON *res)
{
	static const struct attrsel	 none;	/* no lists */
	cJSON				*out, *meta;

	if (res == NULL)
		return NULL;
	if (rt->backref != NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(res, rt->backref);
	cJSON_DeleteItemFromObjectCaseSensitive(res, "schemas");
	if ((out = resource_render_core(rt, res, true, NULL, &none)) != NULL) {
		/* Rendering gave res an empty meta if it had none. */
		meta = cJSON_GetObjectItemCaseSensitive(res, "meta");
		if (cJSON_IsObject(meta) && meta->child == NULL)
			cJSON_Delete(cJSON_DetachItemViaPointer(res, meta));
		if (!all_shown(res)) {
			/* A plain record: no "schemas" to say it is shown. */
			cJSON_DeleteItemFromObjectCaseSensitive(out,
			    "schemas");
			keep_rest(out, res);
		}
	}
	cJSON_Delete(res);
	return out;
}

bool
resource_set_id(cJSON *res, const char *id)
{
	cJSON	*idv, *after = NULL;

	cJSON_DeleteItemFromObjectCaseSensitive(res, "id");
	if ((idv = cJSON_CreateString(id)) == NULL)
		return false;
	if ((idv->string = strdup("id")) == NULL) {
		cJSON_Delete(idv);
		return false;
	}
	/* cJSON_InsertItemInArray() takes arrays only (Debian's cJSON). */
	if (res->child != NULL && res->child->string != NULL &&
	    strcmp(res->child->string, "schemas") == 0)
		after = res->child;
	if (res->child == NULL) {
		idv->prev = idv;
		res->child = idv;
	} else if (after == NULL) {
		idv->next = res->child;
		idv->prev = res->child->prev;
		res->child->prev = idv;
		res->child = idv;
	} else {
		idv->prev = after;
		idv->next = after->next;
		if (after->next != NULL)
			after->next->prev = idv;
		else
			res->child->prev = idv;	/* the new last member */
		after->next = idv;
	}
	return true;
}

static const char	shown_head[] = "{\"schemas\":[";
static const char	meta_key[] = ",\"meta\":{";

bool
resource_answerable(const char *text, size_t len)
{
	return len > sizeof(shown_head) + sizeof(meta_key) &&
	    memcmp(text, shown_head, sizeof(shown_head) - 1) == 0 &&
	    text[len - 2] == '}' && text[len - 1] == '}';
}

/*
 * The JSON string for s (quoted, escaped) as cJSON prints it, a new
 * string of *len bytes; NULL: no memory.  A URL (what this is for) has
 * nothing cJSON would escape ('"', '\\', control characters), and is
 * then only quoted: cJSON's printing would cost an allocation and a
 * node for it.
 */
static char *
json_string(const char *s, size_t *len)
{
	const unsigned char	*p;
	cJSON			*v;
	char			*out;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == '"' || *p == '\\')
			break;
	if (*p == '\0') {
		*len = (size_t)(p - (const unsigned char *)s) + 2;
		if ((out = malloc(*len + 1)) == NULL)
			return NULL;
		out[0] = '"';
		memcpy(out + 1, s, *len - 2);
		memcpy(out + *len - 1, "\"", 2);
		return out;
	}
	if ((v = cJSON_CreateString(s)) == NULL)
		return NULL;
	out = cJSON_PrintUnformatted(v);
	cJSON_Delete(v);
	*len = out != NULL ? strlen(out) : 0;
	return out;
}

/* --- answering from stored text --- */

/* A rendered back-reference, while an answer is made. */
struct answer_ref {
	cJSON	*hold;		/* {backref: the caller's array} */
	cJSON	*tail;		/* {backref: as rendered} */
	char	*text;		/* tail printed; NULL: tail is empty */
	size_t	 len;		/* strlen(text) */
};

/*
 * memmem() for a quoted key ("name":, klen >= 2) in meta's text (a
 * hundred bytes or so): a memchr() to each place its first letter is,
 * where memmem() sets up a search of its own.  The letter, not the
 * quote: meta holds some sixteen quotes and few of any one letter.
 */
static const char *
meta_key_find(const char *mt, size_t mlen, const char *key, size_t klen)
{
	const char	*p = mt + 1, *end = mt + mlen;

	while ((size_t)(end - p) >= klen - 1 &&
	    (p = memchr(p, key[1], (size_t)(end - p) - (klen - 1) + 1)) !=
	    NULL) {
		if (p[-1] == key[0] && memcmp(p, key + 1, klen - 1) == 0)
			return p - 1;
		p++;
	}
	return NULL;
}

/*
 * Find the stored meta in text (len bytes): *head gets the offset of its
 * ",\"meta\":{", *mt its own text "{...}", *mlen that text's length.
 * False when text is not in resource_stored() form or its meta already
 * holds a location (then it cannot be spliced).
 */
static bool
answer_find_meta(const char *text, size_t len, size_t *head,
    const char **mt, size_t *mlen)
{
	static const char	 loc_key[] = "\"location\":";
	const size_t		 klen = sizeof(meta_key) - 1;
	const char		*p;
	size_t			 lim;

	if (!resource_answerable(text, len))
		return false;
	/*
	 * meta is the last member and holds no object: find it from the
	 * end, a comma at a time (not text[0], which is '{').
	 */
	for (lim = len - 1 - klen; (p = memrchr(text, ',', lim)) != NULL &&
	    p > text; lim = (size_t)(p - text))
		if (memcmp(p, meta_key, klen) == 0)
			break;
	if (p == NULL || p == text)
		return false;
	*head = (size_t)(p - text);
	*mt = p + klen - 1;			/* meta's own text, "{...}" */
	*mlen = len - 1 - (*head + klen - 1);
	/*
	 * Rendered, meta would be these very members (stored without a
	 * location) with "location" last, so its text is kept and the
	 * location put in.  Its members are the handlers' (resourceType,
	 * created, lastModified, version: strings, no objects), so a key is
	 * found by its quoted name and colon, which no string can hold
	 * unescaped; cJSON decodes the version's value.
	 */
	return !(*mlen < 3 ||
	    meta_key_find(*mt, *mlen, loc_key, sizeof(loc_key) - 1) != NULL);
}

/*
 * *version = meta.version of the meta text mt (mlen bytes), a new
 * string, or left NULL when meta has none.  False when the version is
 * not a string or memory is short.
 */
static bool
answer_version(const char *mt, size_t mlen, char **version)
{
	static const char	 ver_key[] = "\"version\":";
	const char		*p, *q, *vs;
	cJSON			*ver;
	bool			 ok;

	if ((p = meta_key_find(mt, mlen, ver_key, sizeof(ver_key) - 1)) ==
	    NULL)
		return true;
	vs = p + sizeof(ver_key) - 1;
	/* A string without escapes (every version is one) is its bytes. */
	if (vs < mt + mlen && *vs == '"' && (q = memchr(vs + 1, '"',
	    (size_t)(mt + mlen - vs - 1))) != NULL &&
	    memchr(vs + 1, '\\', (size_t)(q - vs - 1)) == NULL)
		return (*version = strndup(vs + 1, (size_t)(q - vs - 1))) !=
		    NULL;
	ver = cJSON_ParseWithLengthOpts(vs, (size_t)(mt + mlen - vs), NULL,
	    false);
	ok = cJSON_IsString(ver) &&
	    (*version = strdup(ver->valuestring)) != NULL;
	cJSON_Delete(ver);
	return ok;
}

/*
 * Render the caller's back-reference array backref into ref, as
 * resource_render_core() would.  backref goes into ref->hold (moved on
 * to ref->tail when shown); answer_ref_free() gives it back unless the
 * answer was made.  False when memory is short.
 */
static bool
answer_backref(const struct resource_type *rt, cJSON *backref,
    struct answer_ref *ref)
{
	static const struct attrsel_list	 none;
	const struct schema_attr		*a;

	if (rt->backref == NULL ||
	    (a = schema_find(rt->core, rt->backref)) == NULL ||
	    (ref->tail = cJSON_CreateObject()) == NULL ||
	    (ref->hold = cJSON_CreateObject()) == NULL)
		return false;
	cJSON_AddItemToObject(ref->hold, rt->backref, backref);
	if (!resource_render_attr(ref->tail, rt->core, a, ref->hold,
	    cJSON_GetObjectItemCaseSensitive(ref->hold, rt->backref), &none,
	    &none))
		return false;
	if (ref->tail->child != NULL &&
	    (ref->text = cJSON_PrintUnformatted(ref->tail)) == NULL)
		return false;
	ref->len = ref->text != NULL ? strlen(ref->text) : 0;
	return true;
}

/*
 * Free ref; given, the caller's back-reference when no answer was made,
 * is first taken back out of it so the caller keeps it.
 */
static void
answer_ref_free(const struct resource_type *rt, struct answer_ref *ref,
    cJSON *given)
{
	if (given != NULL) {
		if (ref->hold != NULL && given ==
		    cJSON_GetObjectItemCaseSensitive(ref->hold, rt->backref))
			cJSON_DetachItemViaPointer(ref->hold, given);
		else if (ref->tail != NULL && given ==
		    cJSON_GetObjectItemCaseSensitive(ref->tail, rt->backref))
			cJSON_DetachItemViaPointer(ref->tail, given);
	}
	cJSON_Delete(ref->hold);
	cJSON_Delete(ref->tail);
	free(ref->text);
}

/*
 * text up to meta (head bytes), ,"backref":[...] (the members of the
 * object ref, rlen bytes; NULL: none), ,"meta":{members of meta (mlen
 * bytes of text from head + klen - 1), ,"location":loc}}: a new string,
 * NULL when memory is short.
 */
static char *
answer_splice(const char *text, size_t head, size_t mlen, const char *ref,
    size_t rlen, const char *loc, size_t llen)
{
	const size_t	 klen = sizeof(meta_key) - 1;
	char		*out, *o;

	if ((out = malloc(head + rlen + klen + mlen + 12 + llen + 3)) ==
	    NULL)
		return NULL;
	memcpy(out, text, head);
	o = out + head;
	if (ref != NULL) {
		*o++ = ',';
		memcpy(o, ref + 1, rlen - 2);		/* without { } */
		o += rlen - 2;
	}
	/* ,"meta":{members */
	memcpy(o, text + head, klen - 1 + mlen - 1);
	o += klen - 1 + mlen - 1;
	if (loc != NULL) {
		memcpy(o, ",\"location\":", 12);
		o += 12;
		memcpy(o, loc, llen);
		o += llen;
	}
	memcpy(o, "}}", 3);
	return out;
}

char *
resource_answer(const struct resource_type *rt, const char *text,
    size_t len, const char *id, cJSON *backref, const char *backref_text,
    size_t backref_len, const char *base, char **version)
{
	struct answer_ref	 ref;
	const char		*mt;
	char			*url = NULL, *loc = NULL, *out = NULL;
	size_t			 head, mlen, llen = 0;

	*version = NULL;
	memset(&ref, 0, sizeof(ref));
	if (!answer_find_meta(text, len, &head, &mt, &mlen) ||
	    !answer_version(mt, mlen, version))
		goto out;
	if ((url = resource_location(rt, id, base)) != NULL) {
		if ((loc = json_string(url, &llen)) == NULL)
			goto out;
	}
	/* The back-reference, rendered as resource_render_core() would. */
	if (backref_text == NULL && backref != NULL) {
		if (!answer_backref(rt, backref, &ref))
			goto out;
		backref_text = ref.text;
		backref_len = ref.len;
	}
	out = answer_splice(text, head, mlen, backref_text, backref_len, loc,
	    llen);
out:
	if (out == NULL) {
		free(*version);
		*version = NULL;
	}
	/* No answer: the caller keeps its back-reference. */
	answer_ref_free(rt, &ref, out == NULL ? backref : NULL);
	free(url);
	free(loc);
	return out;
}

/* --- answering from a stored-form tree --- */

cJSON *
resource_answer_take(const struct resource_type *rt, cJSON *res,
    const char *base)
{
	const cJSON	*id, *c;
	cJSON		*meta, *loc = NULL;
	char		*url;

	if (!cJSON_IsObject(res) || res->child == NULL ||
	    res->child->string == NULL ||
	    strcmp(res->child->string, "schemas") != 0)
		return NULL;
	/* meta last, of strings only and no location (answer_find_meta()). */
	meta = res->child->prev;
	if (meta->string == NULL || strcmp(meta->string, "meta") != 0 ||
	    !cJSON_IsObject(meta) || meta->child == NULL)
		return NULL;
	for (c = meta->child; c != NULL; c = c->next)
		if (!cJSON_IsString(c) || c->string == NULL ||
		    strcasecmp(c->string, "location") == 0)
			return NULL;
	/* Rendering would order a back-reference's members: leave it that. */
	if (rt->backref != NULL &&
	    cJSON_GetObjectItem(res, rt->backref) != NULL)
		return NULL;
	id = cJSON_GetObjectItemCaseSensitive(res, "id");
	if (base != NULL && cJSON_IsString(id)) {
		if ((url = resource_location(rt, id->valuestring, base)) ==
		    NULL)
			return NULL;
		loc = cJSON_CreateString(url);
		free(url);
		if (loc == NULL || (loc->string = strdup("location")) == NULL) {
			cJSON_Delete(loc);
			return NULL;
		}
		/* Appended with its name: cJSON_AddItemToArray keeps it. */
		cJSON_AddItemToArray(meta, loc);
	}
	return res;
}

/*
 * A tree resource_answer_take() took ends in meta, an object of strings:
 * printed, its text ends in meta's brace and the record's, and the
 * location goes in between, as meta's last member.
 */
bool
resource_answer_locate(const struct resource_type *rt, char **text,
    size_t *len, const char *id, const char *base)
{
	char	*url, *loc, *nt;
	size_t	 n = *len, llen;

	if (n < 2 || (*text)[n - 2] != '}' || (*text)[n - 1] != '}')
		return false;
	if (base == NULL || id == NULL)
		return true;		/* no location: the text as it is */
	if ((url = resource_location(rt, id, base)) == NULL)
		return false;
	loc = json_string(url, &llen);
	free(url);
	if (loc == NULL)
		return false;
	if ((nt = realloc(*text, n + 12 + llen + 1)) == NULL) {
		free(loc);
		return false;
	}
	/* ...}} becomes ...,"location":loc}} */
	memcpy(nt + n - 2, ",\"location\":", 12);
	memcpy(nt + n - 2 + 12, loc, llen);
	memcpy(nt + n - 2 + 12 + llen, "}}", 3);
	free(loc);
	*text = nt;
	*len = n + 12 + llen;
	return true;
}
