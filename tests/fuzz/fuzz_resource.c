/*
 * Fuzz harness: a request body from bytes to stored resource and back,
 * as crud.c's create and replace do it: the body checks of
 * http_body_json (UTF-8 left to the transport, JSON, an object, no
 * duplicate names in any case), then resource_normalize for /Users and
 * /Groups, then resource_render of the result with and without
 * attribute lists.  Each rendering is also made by resource_render_take
 * from a copy: both must print to the same bytes (abort otherwise).
 * The result is also stored as crud.c stores it and answered from the
 * stored text (resource_answer()): the same bytes as rendering again.
 * The raw bytes also go through util_utf8_valid, the check read_body()
 * makes.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "web/http.h"
#include "scim/resource.h"
#include "scim/schema.h"
#include "base/util.h"

#include "fuzz.h"

/* Render norm both ways: the same bytes. */
static void
render_both(const struct resource_type *rt, const cJSON *norm,
    const char *attributes, const char *excluded)
{
	cJSON	*out, *take;
	char	*a, *b;

	out = resource_render(rt, norm, "https://h/scim/v2", attributes,
	    excluded);
	take = resource_render_take(rt, cJSON_Duplicate(norm, true),
	    "https://h/scim/v2", attributes, excluded);
	a = out != NULL ? cJSON_PrintUnformatted(out) : NULL;
	b = take != NULL ? cJSON_PrintUnformatted(take) : NULL;
	if (a != NULL && b != NULL && strcmp(a, b) != 0)
		abort();
	free(a);
	free(b);
	cJSON_Delete(out);
	cJSON_Delete(take);
}

/*
 * Store norm as crud.c does (resource_stored(), an id, a meta) and answer
 * from the stored text with a back-reference put in: the same bytes as
 * rendering the record, and nothing of norm lost when it is stored plain.
 */
static void
store_answer(const struct resource_type *rt, const cJSON *norm)
{
	static const char	 base[] = "https://h/scim/v2";
	cJSON			*rec, *stored, *meta, *refs, *want;
	char			*text, *got, *wtext, *ver;

	if ((rec = cJSON_Duplicate(norm, true)) == NULL)
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(rec, "id");
	if ((stored = resource_stored(rt, rec)) == NULL)
		return;
	if (!resource_set_id(stored, "fuzz-id") ||
	    (meta = cJSON_AddObjectToObject(stored, "meta")) == NULL) {
		cJSON_Delete(stored);
		return;
	}
	cJSON_AddStringToObject(meta, "resourceType", rt->name);
	cJSON_AddStringToObject(meta, "version", "W/\"1\"");
	refs = cJSON_Parse("[{\"value\":\"g\",\"display\":\"G \\u0001\"}]");
	text = cJSON_PrintUnformatted(stored);
	rec = cJSON_Duplicate(stored, true);
	if (text != NULL && rec != NULL && refs != NULL &&
	    resource_answerable(text, strlen(text))) {
		cJSON_AddItemToObject(rec, rt->backref,
		    cJSON_Duplicate(refs, true));
		want = resource_render(rt, rec, base, NULL, NULL);
		wtext = want != NULL ? cJSON_PrintUnformatted(want) : NULL;
		got = resource_answer(rt, text, strlen(text), "fuzz-id", refs,
		    NULL, 0, base, &ver);
		refs = NULL;
		if (got != NULL && wtext != NULL && strcmp(got, wtext) != 0)
			abort();
		free(got);
		free(ver);
		free(wtext);
		cJSON_Delete(want);
	} else if (rec != NULL && cJSON_GetObjectItem(rec, "schemas") != NULL)
		abort();	/* plain records have no "schemas" */
	cJSON_Delete(refs);
	cJSON_Delete(rec);
	free(text);
	cJSON_Delete(stored);
}

/*
 * resource_normalize_take() of a copy of body, which moves its values
 * instead of copying them, must give what copying gave (rc, norm), byte
 * for byte.
 */
static void
normalize_take_same(const struct resource_type *rt, const cJSON *body,
    enum scim_err rc, const cJSON *norm)
{
	struct scim_error	 err;
	cJSON			*tnorm = NULL;
	char			*a, *b;

	if (resource_normalize_take(rt, cJSON_Duplicate(body, true), NULL,
	    &tnorm, &err) != rc || (tnorm == NULL) != (norm == NULL))
		abort();
	if (norm != NULL) {
		a = cJSON_PrintUnformatted(norm);
		b = cJSON_PrintUnformatted(tnorm);
		if (a != NULL && b != NULL && strcmp(a, b) != 0)
			abort();
		free(a);
		free(b);
	}
	cJSON_Delete(tnorm);
}

static void
normalize_render(const struct resource_type *rt, const cJSON *body)
{
	struct scim_error	 err;
	cJSON			*norm = NULL, *item;
	enum scim_err		 rc;
	int			 b;

	rc = resource_normalize(rt, body, &norm, &err);
	normalize_take_same(rt, body, rc, norm);
	if (rc == SCIM_OK) {
		/* What a handler adds before storing. */
		cJSON_AddStringToObject(norm, "id", "fuzz-id");
		render_both(rt, norm, NULL, NULL);
		render_both(rt, norm,
		    "userName,emails[type eq \"work\"].value,members,"
		    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:"
		    "User:manager", NULL);
		render_both(rt, norm, NULL, "members,name.givenName,groups");
		store_answer(rt, norm);
	}
	cJSON_Delete(norm);
	cJSON_ArrayForEach(item, body)
		(void)resource_bool(item, &b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req		 req;
	struct scim_error	 err;
	cJSON			*body = NULL;

	(void)util_utf8_valid((const char *)data, size);
	memset(&req, 0, sizeof(req));
	req.content_type = "application/scim+json; charset=utf-8";
	if ((req.body = fuzz_strndup(data, size)) == NULL)
		return 0;
	req.body_len = size;
	if (http_body_json(&req, &body, &err) == SCIM_OK) {
		normalize_render(&rt_user, body);
		normalize_render(&rt_group, body);
	}
	cJSON_Delete(body);
	free(req.body);
	return 0;
}
