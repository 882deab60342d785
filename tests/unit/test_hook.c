/*
 * test_hook: which events the hook gets and what its environment may say,
 * table-driven: audit_hook_wants() over [audit] hook_events patterns (auth.*
 * events only when a pattern names them itself, never through '*'), and
 * config_env_next() over [audit] hook_env words.
 */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "base/config.h"
#include "tap.h"

static const struct {
	int		 line;
	const char	*events;	/* hook_events */
	const char	*type;
	bool		 want;
} wants[] = {
	{ __LINE__, "*", "scim.user.provisioned", true },
	{ __LINE__, "*", "token.created", true },
	{ __LINE__, "*", "admin.login", true },
	{ __LINE__, "*", "auth.failed", false },
	{ __LINE__, "a*", "auth.failed", false },
	{ __LINE__, "a*", "admin.login", true },
	{ __LINE__, "auth*", "auth.failed", false },
	{ __LINE__, "auth.*", "auth.failed", true },
	{ __LINE__, "auth.failed", "auth.failed", true },
	{ __LINE__, "auth.failed", "auth.failedx", false },
	{ __LINE__, "scim.user.*", "scim.user.deleted", true },
	{ __LINE__, "scim.user.*", "scim.group.created", false },
	{ __LINE__, "scim.*, auth.*", "auth.failed", true },
	{ __LINE__, "scim.user.provisioned", "scim.user.provisioned", true },
	{ __LINE__, "scim.user.provisioned", "scim.user.provisione", false },
	{ __LINE__, "", "scim.user.provisioned", false },
};

static const struct {
	int		 line;
	const char	*value;		/* hook_env */
	const char	*words;		/* what comes out, '|' after each */
	bool		 ok;
} envs[] = {
	{ __LINE__, "", "", true },
	{ __LINE__, "  \t ", "", true },
	{ __LINE__, "A=b", "A=b|", true },
	{ __LINE__, "A=", "A=|", true },
	{ __LINE__, "SCIM_HOOK_FROM=noreply@example.com  B=x=y",
	    "SCIM_HOOK_FROM=noreply@example.com|B=x=y|", true },
	{ __LINE__, "APP=\"Our App\" _X1=\"\"", "APP=Our App|_X1=|", true },
	{ __LINE__, "PATH=/bin", "PATH=/bin|", true },
	{ __LINE__, "SCIM_EVENT_TYPE=x", "", false },
	{ __LINE__, "1A=b", "", false },
	{ __LINE__, "A", "", false },
	{ __LINE__, "=b", "", false },
	{ __LINE__, "A-B=c", "", false },
	{ __LINE__, "A=\"b", "", false },
	{ __LINE__, "A=b\"c", "", false },
	{ __LINE__, "A=\"b\"c", "", false },
	{ __LINE__, "A=b C", "A=b|", false },
};

int
main(void)
{
	struct scim_config	 cfg;
	char			 buf[64], got[256];
	const char		*p;
	size_t			 i;
	int			 r;

	config_defaults(&cfg);
	ok(!audit_hook_wants(&cfg, "scim.user.provisioned"),
	    "no hook: no events");
	snprintf(cfg.audit_hook, sizeof(cfg.audit_hook), "/bin/true");
	ok(audit_hook_wants(&cfg, "scim.user.provisioned") &&
	    !audit_hook_wants(&cfg, "auth.failed"),
	    "default hook_events: everything but auth.*");
	for (i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		snprintf(cfg.audit_hook_events, sizeof(cfg.audit_hook_events),
		    "%s", wants[i].events);
		ok(audit_hook_wants(&cfg, wants[i].type) == wants[i].want,
		    "line %d: \"%s\" %s %s", wants[i].line, wants[i].events,
		    wants[i].want ? "takes" : "leaves", wants[i].type);
	}
	for (i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		p = envs[i].value;
		got[0] = '\0';
		while ((r = config_env_next(&p, buf, sizeof(buf))) == 1) {
			strncat(got, buf, sizeof(got) - strlen(got) - 2);
			strcat(got, "|");
		}
		ok((r == 0) == envs[i].ok, "line %d: \"%s\" is %s",
		    envs[i].line, envs[i].value, envs[i].ok ? "good" : "bad");
		is_str(got, envs[i].words, "words");
	}
	p = "A=0123456789";
	is_int(config_env_next(&p, buf, 12), -1, "a word longer than buf");
	p = "A=0123456789";
	is_int(config_env_next(&p, buf, 13), 1, "a word that just fits");
	return tap_done();
}
