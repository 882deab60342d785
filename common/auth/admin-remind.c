/*
 * Expiry reminders (scim-tokens remind): for each live token a threshold
 * of which is due (token_reminder_level()), a message to its tenant's
 * owners through [mail] sendmail, or printed when there is no mail
 * command or no owner address; then the reminder is marked sent.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "auth/admin.h"
#include "auth/admin-int.h"
#include "audit/audit.h"
#include "base/json.h"
#include "base/log.h"
#include "auth/token.h"
#include "base/util.h"

/* --- expiry reminders --- */

struct remind_ctx {
	const struct scim_config *cfg;
	const char	*tenant;
	const char	*id;
	unsigned	 days;
	cJSON		*out;
};

static enum scim_err
remind_tokens(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct remind_ctx	*rc = arg;

	cJSON_Delete(rc->out);
	rc->out = NULL;
	return token_list(t, NULL, util_now_usec(), &rc->out, err);
}

static enum scim_err
remind_owners(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct remind_ctx	*rc = arg;

	cJSON_Delete(rc->out);
	rc->out = NULL;
	return admin_owner_emails(t, rc->tenant, &rc->out, err);
}

static enum scim_err
remind_mark(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct remind_ctx	*rc = arg;

	return token_mark_reminded(t, rc->cfg, rc->id, rc->days, err);
}

/* Write one reminder message (headers and body) for token tk to f. */
static void
remind_write(FILE *f, const struct scim_config *cfg, const cJSON *tk,
    const cJSON *owners, unsigned level, int64_t now)
{
	const cJSON	*o;
	char		 e[UTIL_TIME_LEN + 1];
	long		 left = (long)((json_int(tk, "expires") - now +
			    TOKEN_DAY_USEC - 1) / TOKEN_DAY_USEC);
	bool		 first = true;

	if (cfg->mail_from[0] != '\0')
		fprintf(f, "From: %s\n", cfg->mail_from);
	if (cJSON_GetArraySize(owners) > 0) {
		fprintf(f, "To: ");
		cJSON_ArrayForEach(o, owners) {
			fprintf(f, "%s%s", first ? "" : ", ", o->valuestring);
			first = false;
		}
		fprintf(f, "\n");
	}
	util_time_format(json_int(tk, "expires"), e, sizeof(e));
	fprintf(f, "Subject: [scim-fcgi] Secret Token %s of tenant %s "
	    "expires in %ld day%s\n", json_str(tk, "id"),
	    json_str(tk, "tenant"),
	    left, left == 1 ? "" : "s");
	fprintf(f, "Content-Type: text/plain; charset=utf-8\n\n");
	fprintf(f, "The Secret Token \"%s\" (id %s) of tenant %s expires on\n"
	    "%s (%u-day reminder).\n\n"
	    "When it expires, Microsoft Entra ID (or any SCIM client using it)\n"
	    "can no longer provision users.  Renew it, or regenerate it and\n"
	    "paste the new token into Entra ID, on the scim-tokens page or "
	    "with\n\n    scim-tokens renew %s --days 90\n\n",
	    json_str(tk, "label"),
	    json_str(tk, "id"), json_str(tk, "tenant"), e, level,
	    json_str(tk, "id"));
}

enum scim_err
admin_remind(struct store *s, const struct scim_config *cfg, bool dry_run,
    FILE *out, unsigned *sent, struct scim_error *err)
{
	struct remind_ctx	 all, ow;
	struct sigaction	 ign, old;
	const cJSON		*tk;
	int64_t			 now = util_now_usec();
	unsigned		 level;
	FILE			*f;
	int			 st;
	enum scim_err		 rc, mailrc = SCIM_OK;

	*sent = 0;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	memset(&all, 0, sizeof(all));
	memset(&ow, 0, sizeof(ow));
	all.cfg = cfg;
	if ((rc = store_read(s, remind_tokens, &all, err)) != SCIM_OK)
		goto out;
	cJSON_ArrayForEach(tk, all.out) {
		level = token_reminder_level(tk, now);
		if (level == 0 || token_reminded(tk, level))
			continue;
		if (dry_run) {
			fprintf(out, "would remind: token %s of tenant %s (%u "
			    "days)\n", json_str(tk, "id"),
			    json_str(tk, "tenant"), level);
			continue;
		}
		ow.tenant = json_str(tk, "tenant");
		if ((rc = store_read(s, remind_owners, &ow, err)) != SCIM_OK)
			goto out;
		if (cfg->sendmail[0] != '\0' && cJSON_GetArraySize(ow.out) > 0) {
			fflush(out);
			if ((f = popen(cfg->sendmail, "w")) == NULL) {
				mailrc = scim_fail(err, SCIM_E_INTERNAL,
				    "%s: %s", cfg->sendmail, strerror(errno));
				continue;
			}
			/* A mailer that exits early must not kill us. */
			sigaction(SIGPIPE, &ign, &old);
			remind_write(f, cfg, tk, ow.out, level, now);
			fflush(f);
			st = pclose(f);
			sigaction(SIGPIPE, &old, NULL);
			if (st != 0) {
				mailrc = scim_fail(err, SCIM_E_INTERNAL,
				    "%s failed (%s %d): the reminder for %s "
				    "was not sent", cfg->sendmail,
				    WIFEXITED(st) ? "exit status" : "status",
				    WIFEXITED(st) ? WEXITSTATUS(st) : st,
				    json_str(tk, "id"));
				continue;
			}
		} else {
			/* No mail command, or no owner address: print. */
			remind_write(out, cfg, tk, ow.out, level, now);
			fprintf(out, "\n");
		}
		all.id = json_str(tk, "id");
		all.days = level;
		if ((rc = store_run(s, remind_mark, &all, err)) != SCIM_OK)
			goto out;
		(*sent)++;
	}
	rc = mailrc;
out:
	cJSON_Delete(all.out);
	cJSON_Delete(ow.out);
	return rc;
}
