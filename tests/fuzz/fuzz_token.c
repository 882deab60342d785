/*
 * Fuzz harness: the Secret Token parser and the token record logic that
 * needs no store (common/auth/token.c).  The input is tried as a bearer token
 * (token_parse, also after a "Bearer " prefix is skipped as token_check
 * does), as a label, a tenant id and an action name; when it is JSON it
 * is treated as a stored token record: its state, its public form, its
 * reminder level, and every lifecycle transition on a copy.
 */
#include <stdbool.h>
#include <strings.h>

#include "base/error.h"
#include "auth/token.h"

#include "fuzz.h"

/* 2026-11-22T00:00:00Z in microseconds. */
#define FUZZ_NOW	1795305600000000LL

static void
record(const cJSON *rec)
{
	static const enum token_action acts[] = { TOKEN_DISABLE,
	    TOKEN_ENABLE, TOKEN_RENEW, TOKEN_REVOKE, TOKEN_DELETE };
	static const unsigned days[] = { 30, 14, 7, 0 };
	struct scim_error	 err;
	cJSON			*copy, *pub;
	size_t			 i;

	(void)token_state_name(token_state(rec, FUZZ_NOW));
	(void)token_reminder_level(rec, FUZZ_NOW);
	for (i = 0; i < sizeof(days) / sizeof(days[0]); i++)
		(void)token_reminded(rec, days[i]);
	pub = token_public(rec, FUZZ_NOW);
	cJSON_Delete(pub);
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		if ((copy = cJSON_Duplicate(rec, true)) == NULL)
			return;
		(void)token_transition(copy, acts[i], FUZZ_NOW,
		    90LL * 86400, &err);
		(void)token_state(copy, FUZZ_NOW + TOKEN_DAY_USEC);
		cJSON_Delete(copy);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char			 id[TOKEN_ID_HEX + 1];
	char			 secret[TOKEN_SECRET_HEX + 1];
	enum token_action	 act;
	const char		*tok;
	char			*s;
	cJSON			*rec;

	if ((s = fuzz_strndup(data, size)) == NULL)
		return 0;
	if (token_parse(s, id, secret) &&
	    (strlen(id) != TOKEN_ID_HEX || strlen(secret) != TOKEN_SECRET_HEX))
		abort();	/* a parsed token always fills both */
	if (strncasecmp(s, "Bearer ", 7) == 0) {
		for (tok = s + 7; *tok == ' '; tok++)
			continue;
		(void)token_parse(tok, id, secret);
	}
	(void)token_label_valid(s);
	(void)token_tenant_valid(s);
	if (token_action_parse(s, &act))
		(void)token_action_name(act);
	if ((rec = cJSON_ParseWithLength((const char *)data, size)) != NULL) {
		if (cJSON_IsObject(rec))
			record(rec);
		cJSON_Delete(rec);
	}
	free(s);
	return 0;
}
