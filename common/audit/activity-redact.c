/*
 * The activity recorder's words about what it records: the client named
 * from its User-Agent, and a body's secrets ("password" and [activity]
 * redact) replaced before anything is written.  activity.c builds the
 * record around them.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "audit/activity.h"
#include "audit/activity-int.h"

#define ACTIVITY_REDACTED	"(redacted)"

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

/*
 * Name the client of ua into buf.  activity_client() is this with a
 * memory of the last User-Agent: a client sends the same one on every
 * request, and the search for five words in it is most of a GET
 * record's cost otherwise.
 */
static void
client_name(const char *ua, char *buf, size_t sz)
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
}

const char *
activity_client(const char *ua, char *buf, size_t sz)
{
	static char	 last_ua[ACTIVITY_UA_MAX + 1] = "\001";
	static char	 last_name[80];
	size_t		 n;

	if (ua == NULL)
		ua = "";
	if (strlen(ua) >= sizeof(last_ua)) {
		client_name(ua, buf, sz);
		return buf;
	}
	if (strcmp(ua, last_ua) != 0) {
		client_name(ua, last_name, sizeof(last_name));
		strcpy(last_ua, ua);
	}
	/* snprintf("%s") by hand: this runs for every record. */
	if (sz > 0) {
		n = strnlen(last_name, sz - 1);
		memcpy(buf, last_name, n);
		buf[n] = '\0';
	}
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

/*
 * Replace member c of object o by "(redacted)", under the same name.
 * Returns whether o changed.
 */
static bool
redact_member(cJSON *o, cJSON *c)
{
	cJSON	*r;

	if (cJSON_IsString(c) && strcmp(c->valuestring, ACTIVITY_REDACTED) == 0)
		return false;
	if ((r = cJSON_CreateString(ACTIVITY_REDACTED)) == NULL ||
	    (r->string = strdup(c->string)) == NULL) {
		/* No memory for the copy: drop the secret instead. */
		cJSON_Delete(r);
		cJSON_Delete(cJSON_DetachItemViaPointer(o, c));
		return true;
	}
	cJSON_ReplaceItemViaPointer(o, c, r);
	return true;
}

/* activity_redact(); returns whether anything in v changed. */
bool
activity_redact_walk(const struct scim_config *cfg, cJSON *v)
{
	cJSON	*c, *next, *path;
	bool	 changed = false;

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
				changed |= redact_member(v, c);
				continue;
			}
			changed |= activity_redact_walk(cfg, c);
		}
	} else if (cJSON_IsArray(v))
		cJSON_ArrayForEach(c, v)
			changed |= activity_redact_walk(cfg, c);
	return changed;
}

void
activity_redact(const struct scim_config *cfg, cJSON *v)
{
	(void)activity_redact_walk(cfg, v);
}
