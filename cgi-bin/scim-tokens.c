/*
 * scim-tokens: Secret Token administration, two faces of one program.
 *
 * Started by a web server with no subcommand, it serves the admin page
 * over FastCGI (or once as plain CGI); see common/page/page.h.  Run from a
 * shell with a subcommand, it is the administrator's command line:
 *
 *   scim-tokens [-c file] create|list|show|revoke|regenerate|renew|
 *                         disable|enable|delete|remind|admin ...
 *
 * The commands are one table (tokens_cmds): what each takes and which
 * options, checked before any file is opened, so every bad argument gets
 * one line naming it and exit status 2.  Every command that changes
 * something says in one line what it did.  Every command, option and exit
 * status is in scim-tokens(8).  Started as root it becomes the owner of
 * the data home, so the files it writes stay readable by the web server's
 * programs.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <libscrypt.h>

#include "auth/admin.h"
#include "base/cli.h"
#include "web/http.h"
#include "base/json.h"
#include "base/log.h"
#include "page/page.h"
#include "web/service.h"
#include "auth/token.h"
#include "auth/token-ops.h"
#include "base/util.h"

#define PROG		"scim-tokens"

/* Exit statuses (scim-tokens(8), EXIT STATUS). */
#define EX_OK		0
#define EX_FAIL		1	/* store, configuration, mail, I/O */
#define EX_USAGE	CLI_EX_USAGE
#define EX_NOTFOUND	3	/* no such token or admin */
#define EX_REFUSED	4	/* limit reached, wrong state, bad value */

/* The options after -c, as bits: which were given, which a command takes. */
#define OPT_TENANT	0x001
#define OPT_DAYS	0x002
#define OPT_TTL		0x004	/* --expires-in-seconds */
#define OPT_LABEL	0x008
#define OPT_JSON	0x010
#define OPT_ALL		0x020
#define OPT_DRY_RUN	0x040
#define OPT_ROLE	0x080
#define OPT_EMAIL	0x100
#define OPT_PWFILE	0x200

struct cli {
	struct scim_config	 cfg;
	struct store		*store;
	const char		*tenant;	/* NULL: default / any */
	const char		*label;
	enum admin_role		 role;
	const char		*email;
	const char		*password_file;
	unsigned		 days;		/* 0: default_days */
	long			 ttl_sec;	/* --expires-in-seconds */
	unsigned		 given;		/* OPT_ bits on the line */
	bool			 json;
	bool			 all;
	bool			 dry_run;
	char			 actor[80];	/* "cli:<login>" */
};

struct tokens_cmd;
typedef int	(*tokens_fn)(struct cli *, const struct tokens_cmd *,
		    const char *);

/* A command: its name, its one argument (if any), its options. */
struct tokens_cmd {
	const char	*name;		/* "revoke", "admin add" */
	const char	*arg;		/* "ID", "NAME" or NULL: none */
	unsigned	 opts;		/* OPT_ bits it takes */
	tokens_fn	 run;		/* gets arg's value (or NULL) */
	const char	*done;		/* past tense, for the success line */
	const char	*usage;		/* its options, for --help */
};

static int	 cmd_create(struct cli *, const struct tokens_cmd *,
		    const char *);
static int	 cmd_list(struct cli *, const struct tokens_cmd *,
		    const char *);
static int	 cmd_show(struct cli *, const struct tokens_cmd *,
		    const char *);
static int	 cmd_change(struct cli *, const struct tokens_cmd *,
		    const char *);
static int	 cmd_regenerate(struct cli *, const struct tokens_cmd *,
		    const char *);
static int	 cmd_remind(struct cli *, const struct tokens_cmd *,
		    const char *);
static int	 cmd_admin_list(struct cli *, const struct tokens_cmd *,
		    const char *);
static int	 cmd_admin_change(struct cli *, const struct tokens_cmd *,
		    const char *);

static const struct tokens_cmd tokens_cmds[] = {
	{ "create", NULL, OPT_TENANT | OPT_DAYS | OPT_TTL | OPT_LABEL |
	    OPT_JSON, cmd_create, "created",
	    "[--tenant T] [--days N] [--label L] [--json]" },
	{ "list", NULL, OPT_TENANT | OPT_ALL | OPT_JSON, cmd_list, NULL,
	    "[--tenant T | --all] [--json]" },
	{ "show", "ID", OPT_TENANT | OPT_JSON, cmd_show, NULL,
	    "[--tenant T] [--json]" },
	{ "revoke", "ID", OPT_TENANT, cmd_change, "revoked", "[--tenant T]" },
	{ "disable", "ID", OPT_TENANT, cmd_change, "disabled",
	    "[--tenant T]" },
	{ "enable", "ID", OPT_TENANT, cmd_change, "enabled", "[--tenant T]" },
	{ "delete", "ID", OPT_TENANT, cmd_change, "deleted", "[--tenant T]" },
	{ "renew", "ID", OPT_TENANT | OPT_DAYS | OPT_TTL, cmd_change,
	    "renewed", "[--tenant T] [--days N]" },
	{ "regenerate", "ID", OPT_TENANT | OPT_DAYS | OPT_TTL | OPT_JSON,
	    cmd_regenerate, "made", "[--tenant T] [--days N] [--json]" },
	{ "remind", NULL, OPT_DRY_RUN, cmd_remind, NULL, "[--dry-run]" },
	{ "admin add", "NAME", OPT_ROLE | OPT_TENANT | OPT_EMAIL | OPT_PWFILE,
	    cmd_admin_change, "added", "--role owner|viewer [--tenant T]\n"
	    "                    [--email ADDR] [--password-file FILE]" },
	{ "admin passwd", "NAME", OPT_PWFILE, cmd_admin_change, "changed",
	    "[--password-file FILE]" },
	{ "admin list", NULL, OPT_TENANT | OPT_JSON, cmd_admin_list, NULL,
	    "[--tenant T] [--json]" },
	{ "admin delete", "NAME", 0, cmd_admin_change, "deleted", "" },
};
#define TOKENS_NCMDS	(sizeof(tokens_cmds) / sizeof(tokens_cmds[0]))

static const struct option tokens_longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "tenant", required_argument, NULL, 't' },
	{ "days", required_argument, NULL, 'd' },
	{ "expires-in-seconds", required_argument, NULL, 'S' },
	{ "label", required_argument, NULL, 'l' },
	{ "json", no_argument, NULL, 'j' },
	{ "all", no_argument, NULL, 'a' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "role", required_argument, NULL, 'r' },
	{ "email", required_argument, NULL, 'e' },
	{ "password-file", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "checkpoint", no_argument, NULL, 'K' },
	{ NULL, 0, NULL, 0 }
};

/* Each OPT_ bit's getopt value, in bit order (for "does not take"). */
static const char tokens_opt_vals[] = "tdSljanrep";

static void
usage(FILE *f)
{
	size_t	 i;

	for (i = 0; i < TOKENS_NCMDS; i++)
		fprintf(f, "%s scim-tokens [-c file] %s%s%s%s%s\n",
		    i == 0 ? "usage:" : "      ", tokens_cmds[i].name,
		    tokens_cmds[i].arg ? " " : "",
		    tokens_cmds[i].arg ? tokens_cmds[i].arg : "",
		    *tokens_cmds[i].usage ? " " : "", tokens_cmds[i].usage);
	fprintf(f,
"       scim-tokens -h | -V\n\n"
"Manage the Secret Tokens that SCIM clients such as Microsoft Entra ID send\n"
"as \"Authorization: Bearer <token>\", and the accounts of the admin page.\n"
"With no command, under a web server, it serves the admin page (FastCGI).\n\n"
"  -c, --config FILE     configuration file (default $SCIM_CONF or scim.conf)\n"
"  --tenant T            tenant (default \"default\"; with an ID: any)\n"
"  --all                 list the tokens of every tenant\n"
"  --days N              lifetime: 30, 60, 90, 180 or 365 (default from\n"
"                        scim.conf, 90)\n"
"  --label L             a name to recognise the token by\n"
"  --json                machine-readable output\n"
"  --dry-run             remind: say what would be sent, send nothing\n"
"  --role R              owner (may change tokens) or viewer (may view;\n"
"                        \"admin\" is the old name of viewer)\n"
"  --email ADDR          where expiry reminders go (owners)\n"
"  --password-file FILE  read the password from FILE's first line (- =\n"
"                        standard input) instead of the terminal\n\n"
"Exit status: 0 done, 1 failure, 2 usage, 3 not found, 4 refused.\n"
"See scim-tokens(8).\n");
}

/* Print err and map its code to an exit status. */
static int
fail(const struct scim_error *err, const char *what)
{
	fprintf(stderr, "scim-tokens: %s%s%s\n", what ? what : "",
	    what ? ": " : "", err->detail);
	switch (err->code) {
	case SCIM_E_NOT_FOUND:
		return EX_NOTFOUND;
	case SCIM_E_CONFLICT:
	case SCIM_E_UNIQUENESS:
	case SCIM_E_INVALID_VALUE:
	case SCIM_E_FORBIDDEN:
		return EX_REFUSED;
	default:
		return EX_FAIL;
	}
}

/* RFC 3339 time, or "never" for 0, into buf. */
static const char *
fmt_time(int64_t usec, char *buf, size_t sz)
{
	if (usec == 0)
		snprintf(buf, sz, "never");
	else
		util_time_format(usec, buf, sz);
	return buf;
}

/* The members that hold times: microseconds in the records. */
static const char *const time_keys[] = {
	"created", "expires", "last_used", "renewed", "revoked_at",
	"last_login", NULL
};

/*
 * Replace, in v and the objects and arrays under it, each number named in
 * time_keys by its RFC 3339 string (0, "never", by null): the --json
 * output speaks of times as the text output does.
 */
static void
json_times_rfc3339(cJSON *v)
{
	char	 t[UTIL_TIME_LEN + 1];
	cJSON	*o, *next;
	size_t	 i;

	/* next is taken first: a replaced item is freed. */
	for (o = v ? v->child : NULL; o != NULL; o = next) {
		next = o->next;
		if (cJSON_IsObject(o) || cJSON_IsArray(o)) {
			json_times_rfc3339(o);
			continue;
		}
		for (i = 0; time_keys[i] != NULL; i++)
			if (o->string != NULL && cJSON_IsNumber(o) &&
			    strcmp(o->string, time_keys[i]) == 0)
				break;
		if (time_keys[i] == NULL)
			continue;
		if (o->valuedouble != 0)
			util_time_format((int64_t)o->valuedouble, t, sizeof(t));
		/* (the object form copies the key to the new item) */
		cJSON_ReplaceItemInObjectCaseSensitive(v, o->string,
		    o->valuedouble == 0 ? cJSON_CreateNull() :
		    cJSON_CreateString(t));
	}
}

/* v on one line, its times in RFC 3339. */
static void
print_json(const cJSON *v)
{
	cJSON	*copy = cJSON_Duplicate(v, true);
	char	*text;

	if (copy != NULL)
		json_times_rfc3339(copy);
	text = copy ? cJSON_PrintUnformatted(copy) : NULL;
	printf("%s\n", text ? text : "null");
	free(text);
	cJSON_Delete(copy);
}

/*
 * Lifetime in seconds from --expires-in-seconds, else --days (both were
 * checked when parsed; default_days is the operator's).
 */
static int64_t
lifetime(const struct cli *cl)
{
	return cl->ttl_sec > 0 ? cl->ttl_sec : (int64_t)cl->days * 86400;
}

/* The --tenant given, or "default" for commands that make something. */
static const char *
tenant_or_default(const struct cli *cl)
{
	return cl->tenant != NULL ? cl->tenant : "default";
}

/*
 * The success line about token rec (a token_public() record), to f:
 * 'Token ID ("label") DONE' and what follows.
 */
static void
say_token(FILE *f, const cJSON *rec, const char *id, const char *done,
    const char *rest)
{
	const char	*label = rec ? json_str(rec, "label") : "";

	fprintf(f, "Token %s%s%s%s %s%s.\n", id, *label ? " (\"" : "",
	    label, *label ? "\")" : "", done, rest);
}

/* --- tokens --- */

/* Every token command is one call into auth/token-ops.h, worded here. */

static int
cmd_list(struct cli *cl, const struct tokens_cmd *c, const char *arg)
{
	struct scim_error	 err = { SCIM_OK, "" };
	const cJSON		*o;
	cJSON			*out = NULL;
	char			 t[3][UTIL_TIME_LEN + 1];

	(void)c; (void)arg;
	if (token_ops_list(cl->store, cl->all ? NULL : tenant_or_default(cl),
	    util_now_usec(), &out, NULL, &err) != SCIM_OK)
		return fail(&err, "list");
	if (cl->json)
		print_json(out);
	else
		cJSON_ArrayForEach(o, out)
			printf("%s  %-8s  %-12s  created %s  expires %s  "
			    "last_used %s  %s\n", json_str(o, "id"),
			    json_str(o, "status"), json_str(o, "tenant"),
			    fmt_time(json_int(o, "created"), t[0], sizeof(t[0])),
			    fmt_time(json_int(o, "expires"), t[1], sizeof(t[1])),
			    fmt_time(json_int(o, "last_used"), t[2],
			    sizeof(t[2])), json_str(o, "label"));
	cJSON_Delete(out);
	return EX_OK;
}

/*
 * A token's public record (token_public()) as "name: value" lines, named
 * as in its JSON (snake_case), times in RFC 3339.
 */
static void
show_text(const cJSON *tk)
{
	static const char *const strs[] = { "id", "tenant", "label", "status",
	    "created_by" };
	static const char *const times[] = { "created", "expires",
	    "last_used", "renewed", "revoked_at" };
	const cJSON	*v;
	char		 key[16], buf[UTIL_TIME_LEN + 1];
	size_t		 i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		snprintf(key, sizeof(key), "%s:", strs[i]);
		printf("%-12s %s\n", key, json_str(tk, strs[i]));
	}
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		if (i < 3 || json_int(tk, times[i]) != 0) {
			snprintf(key, sizeof(key), "%s:", times[i]);
			printf("%-12s %s\n", key, fmt_time(json_int(tk,
			    times[i]), buf, sizeof(buf)));
		}
	if (*json_str(tk, "replaces") != '\0')
		printf("%-12s %s\n", "replaces:", json_str(tk, "replaces"));
	printf("%-12s", "reminded:");
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(tk,
	    "reminded"))
		printf(" %d", (int)v->valuedouble);
	printf("\n");
}

static int
cmd_show(struct cli *cl, const struct tokens_cmd *c, const char *id)
{
	struct scim_error	 err = { SCIM_OK, "" };
	cJSON			*out = NULL;

	(void)c;
	if (token_ops_get(cl->store, cl->tenant, id, true, util_now_usec(),
	    &out, &err) != SCIM_OK)
		return fail(&err, id);
	if (cl->json)
		print_json(out);
	else
		show_text(out);
	cJSON_Delete(out);
	return EX_OK;
}

/*
 * renew, disable, enable, revoke, delete (c->name) token id; on success
 * say so with its label (read before: delete removes it) and, for renew,
 * its new expiry.
 */
static int
cmd_change(struct cli *cl, const struct tokens_cmd *c, const char *id)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct token_op		 op;
	cJSON			*rec = NULL, *after = NULL;
	char			 rest[UTIL_TIME_LEN + 32], t[UTIL_TIME_LEN + 1];

	memset(&op, 0, sizeof(op));
	if (!token_action_parse(c->name, &op.act))
		return EX_USAGE;	/* the table names only actions */
	op.tenant = cl->tenant;
	op.id = id;
	op.ttl_sec = op.act == TOKEN_RENEW ? lifetime(cl) : 0;
	op.max_live = cl->cfg.max_live_tokens;
	op.actor = cl->actor;
	op.cfg = &cl->cfg;
	/* Only for the label: a failure here is the change's to report. */
	(void)token_ops_get(cl->store, cl->tenant, id, true, util_now_usec(),
	    &rec, &err);
	if (token_ops_apply(cl->store, &op, &err) != SCIM_OK) {
		cJSON_Delete(rec);
		return fail(&err, id);
	}
	rest[0] = '\0';
	if (op.act == TOKEN_RENEW && token_ops_get(cl->store, cl->tenant, id,
	    true, util_now_usec(), &after, &err) == SCIM_OK)
		snprintf(rest, sizeof(rest), ": expires %s", fmt_time(
		    json_int(after, "expires"), t, sizeof(t)));
	say_token(stdout, rec, id, c->done, rest);
	cJSON_Delete(after);
	cJSON_Delete(rec);
	return EX_OK;
}

/*
 * create (old_id NULL) or regenerate old_id: make a new token, store it
 * (revoking old_id in the same transaction) and print it alone on stdout,
 * the only time it is ever shown (./bootstrap and scripts read it); with
 * --json, as its public record plus "token".  The sentence saying what
 * was done goes to stderr.
 */
static int
tokens_issue(struct cli *cl, const char *old_id)
{
	struct scim_error	 err = { SCIM_OK, "" };
	char			 tok[TOKEN_LEN + 1], t[UTIL_TIME_LEN + 1];
	char			 rest[UTIL_TIME_LEN + TOKEN_ID_HEX + 160];
	cJSON			*rec = NULL, *o;
	enum scim_err		 rc;

	/* A regenerated token takes over the old one's tenant and label. */
	if (old_id != NULL)
		rc = token_ops_regenerate(cl->store, &cl->cfg, cl->tenant,
		    old_id, lifetime(cl), cl->actor, tok, &rec, &err);
	else
		rc = token_ops_create(cl->store, &cl->cfg,
		    tenant_or_default(cl), cl->label, lifetime(cl), cl->actor,
		    tok, &rec, &err);
	if (rc != SCIM_OK)
		return fail(&err, old_id ? old_id : "create");
	if (cl->json) {
		if ((o = token_public(rec, util_now_usec())) != NULL)
			cJSON_AddStringToObject(o, "token", tok);
		print_json(o);
		cJSON_Delete(o);
	} else
		printf("%s\n", tok);
	fflush(stdout);
	explicit_bzero(tok, sizeof(tok));
	snprintf(rest, sizeof(rest), " for tenant %s, expires %s%s%s%s",
	    json_str(rec, "tenant"), fmt_time(json_int(rec, "expires"), t,
	    sizeof(t)), old_id ? "; it replaces " : "", old_id ? old_id : "",
	    old_id ? ", now revoked" : "");
	say_token(stderr, rec, json_str(rec, "id"), old_id ? "made" :
	    "created", rest);
	cJSON_Delete(rec);
	return EX_OK;
}

static int
cmd_create(struct cli *cl, const struct tokens_cmd *c, const char *arg)
{
	(void)c; (void)arg;
	return tokens_issue(cl, NULL);
}

static int
cmd_regenerate(struct cli *cl, const struct tokens_cmd *c, const char *id)
{
	(void)c;
	return tokens_issue(cl, id);
}

/* --- reminders --- */

static int
cmd_remind(struct cli *cl, const struct tokens_cmd *c, const char *arg)
{
	struct scim_error	 err = { SCIM_OK, "" };
	unsigned		 sent = 0;

	(void)c; (void)arg;
	if (admin_remind(cl->store, &cl->cfg, cl->dry_run, stdout, &sent,
	    &err) != SCIM_OK)
		return fail(&err, "remind");
	if (!cl->dry_run)
		fprintf(stderr, "scim-tokens: %u reminder%s sent\n", sent,
		    sent == 1 ? "" : "s");
	return EX_OK;
}

/* --- admin accounts --- */

/* Read one line (without its newline) from f into buf; false on EOF. */
static bool
read_line(FILE *f, char *buf, size_t sz)
{
	size_t	 n;

	if (fgets(buf, (int)sz, f) == NULL)
		return false;
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return true;
}

/* Prompt on the terminal with echo off. */
static bool
read_hidden(FILE *tty, const char *prompt, char *buf, size_t sz)
{
	struct termios	 old, quiet;
	bool		 ok;

	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	if (tcgetattr(fileno(tty), &old) != 0)
		return false;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	ok = read_line(tty, buf, sz);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	return ok;
}

/*
 * The new password: the first line of --password-file (- = standard
 * input), else typed twice on the terminal, else one line of standard
 * input.
 */
static int
read_password(const struct cli *cl, char *buf, size_t sz)
{
	char	 again[ADMIN_PASSWORD_MAX + 2];
	FILE	*f;
	bool	 ok;

	if (cl->password_file != NULL) {
		if (strcmp(cl->password_file, "-") == 0)
			f = stdin;
		else if ((f = fopen(cl->password_file, "r")) == NULL) {
			fprintf(stderr, "scim-tokens: %s: %s\n",
			    cl->password_file, strerror(errno));
			return EX_FAIL;
		}
		ok = read_line(f, buf, sz);
		if (f != stdin)
			fclose(f);
	} else if ((f = fopen("/dev/tty", "r+")) != NULL && isatty(0)) {
		ok = read_hidden(f, "Password: ", buf, sz) &&
		    read_hidden(f, "Again: ", again, sizeof(again));
		fclose(f);
		if (ok && strcmp(buf, again) != 0) {
			explicit_bzero(again, sizeof(again));
			fprintf(stderr, "scim-tokens: the passwords differ\n");
			return EX_REFUSED;
		}
		explicit_bzero(again, sizeof(again));
	} else {
		if (f != NULL)
			fclose(f);
		ok = read_line(stdin, buf, sz);
	}
	if (!ok) {
		fprintf(stderr, "scim-tokens: no password given\n");
		return EX_USAGE;
	}
	return EX_OK;
}

struct admin_arg {
	struct cli	*cl;
	const char	*name;
	const char	*hash;
	cJSON		*out;
};

static enum scim_err
do_admin_add(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct admin_arg	*aa = arg;

	return admin_add(t, aa->name, tenant_or_default(aa->cl), aa->cl->role,
	    aa->cl->email, aa->hash, aa->cl->actor, &aa->cl->cfg, err);
}

static enum scim_err
do_admin_passwd(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct admin_arg	*aa = arg;

	return admin_set_password(t, aa->name, aa->hash, err);
}

static enum scim_err
do_admin_del(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct admin_arg	*aa = arg;

	return admin_delete(t, aa->name, aa->cl->actor, &aa->cl->cfg, err);
}

static enum scim_err
do_admin_list(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct admin_arg	*aa = arg;

	cJSON_Delete(aa->out);
	aa->out = NULL;
	return admin_list(t, aa->cl->tenant, &aa->out, err);
}


static int
cmd_admin_list(struct cli *cl, const struct tokens_cmd *c, const char *arg)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct admin_arg	 aa;
	char			 t[UTIL_TIME_LEN + 1];
	const cJSON		*o;

	(void)c; (void)arg;
	memset(&aa, 0, sizeof(aa));
	aa.cl = cl;
	if (store_read(cl->store, do_admin_list, &aa, &err) != SCIM_OK)
		return fail(&err, "admin list");
	if (cl->json)
		print_json(aa.out);
	else
		cJSON_ArrayForEach(o, aa.out)
			printf("%-24s %-6s %-12s %-30s last_login %s\n",
			    json_str(o, "name"), json_str(o, "role"),
			    json_str(o, "tenant"), *json_str(o, "email") ?
			    json_str(o, "email") : "-",
			    fmt_time(json_int(o, "last_login"), t, sizeof(t)));
	cJSON_Delete(aa.out);
	return EX_OK;
}

/*
 * admin add, passwd or delete (c->name) account name; add and passwd
 * read the password first.  On success, one line saying what was done.
 */
static int
cmd_admin_change(struct cli *cl, const struct tokens_cmd *c,
    const char *name)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct admin_arg	 aa;
	char			 pw[ADMIN_PASSWORD_MAX + 2];
	char			 hash[SCRYPT_MCF_LEN];
	store_fn		 fn;
	int			 rc = EX_OK;

	memset(&aa, 0, sizeof(aa));
	aa.cl = cl;
	aa.name = name;
	aa.hash = hash;
	pw[0] = hash[0] = '\0';
	if (strcmp(c->name, "admin delete") == 0)
		fn = do_admin_del;
	else {
		fn = strcmp(c->name, "admin add") == 0 ? do_admin_add :
		    do_admin_passwd;
		if ((rc = read_password(cl, pw, sizeof(pw))) != EX_OK)
			goto out;
		if (admin_password_hash(&cl->cfg, pw, hash, &err) != SCIM_OK) {
			rc = fail(&err, name);
			goto out;
		}
	}
	if (store_run(cl->store, fn, &aa, &err) != SCIM_OK) {
		rc = fail(&err, name);
		goto out;
	}
	if (fn == do_admin_add)
		printf("Admin account \"%s\" added (role %s, tenant %s).\n",
		    name, admin_role_name(cl->role),
		    tenant_or_default(cl));
	else if (fn == do_admin_passwd)
		printf("Password of admin account \"%s\" changed.\n", name);
	else
		printf("Admin account \"%s\" deleted.\n", name);
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(hash, sizeof(hash));
	return rc;
}

/* --- the web face --- */

/* The admin page, plugged into the shared accept loop. */
static void
tokens_page(struct scim_ctx *ctx, struct http_req *req,
    const struct scim_error *read_err, struct http_resp *resp)
{
	struct page_ctx	 pc = { &ctx->cfg, ctx->store };

	page_serve(&pc, req, read_err, resp);
}

static const struct service svc = {
	"scim-tokens",
	"Secret Token administration: the admin page",
	NULL, 0, tokens_page
};

/* --- the command line --- */

/*
 * Check one option's value and keep it in cl.  Returns -1 to go on, or
 * the exit status after saying what was wrong.
 */
static int
tokens_option(struct cli *cl, int ch, const char *arg)
{
	struct scim_error	 err = { SCIM_OK, "" };
	long			 n;

	switch (ch) {
	case 't':
		if (!token_tenant_valid(arg))
			return cli_usage_error(PROG, "--tenant: \"%s\" is not a "
			    "tenant: 1 to 64 letters, digits, '.', '_', '@' "
			    "or '-'", arg);
		cl->tenant = arg;
		break;
	case 'd':
		if (!util_parse_long(arg, 1, 3650, &n) ||
		    !token_days_valid((unsigned)n))
			return cli_usage_error(PROG, "--days: %s is not 30, 60, "
			    "90, 180 or 365", arg);
		cl->days = (unsigned)n;
		break;
	case 'S':
		if (!cli_number(PROG, "--expires-in-seconds", arg, 1,
		    3650L * 86400, &cl->ttl_sec))
			return EX_USAGE;
		break;
	case 'l':
		/* the page's rule (auth/token-ops.h), worded for a flag */
		if (token_ops_label_check(arg, &err) != SCIM_OK)
			return cli_usage_error(PROG, "--label%s: %s",
			    token_ops_label_blank(arg) ? " is empty" : "",
			    err.detail);
		cl->label = arg;
		break;
	case 'r':
		if ((cl->role = admin_role_parse(arg)) == ADMIN_ROLE_NONE)
			return cli_usage_error(PROG, "--role: \"%s\" is not "
			    "owner or viewer", arg);
		break;
	case 'e':
		if (!admin_email_valid(arg))
			return cli_usage_error(PROG, "--email: \"%s\" is not "
			    "an address like name@example.com", arg);
		cl->email = arg;
		break;
	case 'p': cl->password_file = arg; break;
	case 'j': cl->json = true; break;
	case 'a': cl->all = true; break;
	case 'n': cl->dry_run = true; break;
	}
	if ((arg = strchr(tokens_opt_vals, ch)) != NULL)
		cl->given |= 1U << (arg - tokens_opt_vals);
	return -1;
}

/*
 * Read the options into cl, *conf and *checkpoint.  Returns -1 to go on
 * (optind at the command, if any), or the exit status (-h, -V, a bad
 * option).
 */
static int
tokens_options(int argc, char *argv[], struct cli *cl, const char **conf,
    bool *checkpoint)
{
	int	 ch, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:hV", tokens_longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'c':
			*conf = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("scim-tokens %s\n", PACKAGE_VERSION);
			return EX_OK;
		case 'K':
			*checkpoint = true;
			break;
		case '?':
		case ':':
			return cli_bad_option(PROG, argv, tokens_longopts, ch);
		default:
			if ((rc = tokens_option(cl, ch, optarg)) >= 0)
				return rc;
		}
	return -1;
}

/*
 * The command in argv (argc words after the options) and its argument,
 * checked against what it takes, before anything is opened.  Returns the
 * command, or NULL after saying in one line what was wrong.
 */
static const struct tokens_cmd *
tokens_command(const struct cli *cl, int argc, char *argv[],
    const char **arg)
{
	const struct tokens_cmd	*c = NULL;
	char			 name[64];
	size_t			 i;
	int			 used = 1;
	unsigned		 extra;

	if (strcmp(argv[0], "admin") == 0) {
		if (argc < 2) {
			cli_usage_error(PROG, "admin needs a command: add, "
			    "passwd, list or delete");
			return NULL;
		}
		used = 2;
	}
	snprintf(name, sizeof(name), "%s%s%s", argv[0], used == 2 ? " " : "",
	    used == 2 ? argv[1] : "");
	for (i = 0; i < TOKENS_NCMDS && c == NULL; i++)
		if (strcmp(tokens_cmds[i].name, name) == 0)
			c = &tokens_cmds[i];
	if (c == NULL) {
		cli_usage_error(PROG, "unknown command \"%s\" (scim-tokens "
		    "--help lists them)", name);
		return NULL;
	}
	*arg = c->arg != NULL && argc > used ? argv[used++] : NULL;
	if (c->arg != NULL && *arg == NULL)
		cli_usage_error(PROG, "%s: missing %s", c->name, c->arg);
	else if (argc > used)
		cli_usage_error(PROG, "%s: unexpected argument \"%s\"",
		    c->name, argv[used]);
	else if ((extra = cl->given & ~c->opts) != 0) {
		for (i = 0; (extra & (1U << i)) == 0; i++)
			;
		for (used = 0; tokens_longopts[used].val !=
		    tokens_opt_vals[i]; used++)
			;
		cli_usage_error(PROG, "%s does not take --%s", name,
		    tokens_longopts[used].name);
		return NULL;
	} else if ((cl->given & (OPT_TENANT | OPT_ALL)) ==
	    (OPT_TENANT | OPT_ALL))
		cli_usage_error(PROG, "%s: give --tenant or --all, not both",
		    c->name);
	else if ((cl->given & (OPT_DAYS | OPT_TTL)) == (OPT_DAYS | OPT_TTL))
		cli_usage_error(PROG, "%s: give --days or "
		    "--expires-in-seconds, not both", c->name);
	else if ((c->opts & OPT_ROLE) && cl->role == ADMIN_ROLE_NONE)
		cli_usage_error(PROG, "admin add needs --role owner or "
		    "--role admin");
	else if ((c->opts & OPT_ROLE) && !admin_name_valid(*arg))
		cli_usage_error(PROG, "admin add: \"%s\" is not a name: 1 to "
		    "%d letters, digits, '.', '_', '@', '+' or '-'", *arg,
		    ADMIN_NAME_MAX);
	else
		return c;
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct cli		 cl;
	struct scim_error	 err = { SCIM_OK, "" };
	struct passwd		*pw;
	const struct tokens_cmd	*c;
	const char		*conf = NULL, *arg;
	int			 rc;
	bool			 checkpoint = false;

	memset(&cl, 0, sizeof(cl));
	cl.label = "";
	if ((rc = tokens_options(argc, argv, &cl, &conf, &checkpoint)) >= 0)
		return rc;
	/* The page's checkpoint process (see service_serve()). */
	if (checkpoint)
		return service_serve(&svc, conf, true, argc, argv);
	if (optind >= argc) {
		/* No command: the web server started us. */
		if (getenv("GATEWAY_INTERFACE") != NULL || !isatty(0))
			return service_serve(&svc, conf, false, argc, argv);
		return cli_usage_error(PROG, "no command given (scim-tokens "
		    "--help lists them)");
	}
	if ((c = tokens_command(&cl, argc - optind, argv + optind,
	    &arg)) == NULL)
		return EX_USAGE;
	pw = getpwuid(getuid());
	snprintf(cl.actor, sizeof(cl.actor), "cli:%s",
	    pw != NULL ? pw->pw_name : "?");
	log_init("scim-tokens", LOG_LVL_WARN);
	if (config_load(&cl.cfg, conf, &err) != SCIM_OK) {
		fprintf(stderr, "scim-tokens: %s\n", err.detail);
		return EX_FAIL;
	}
	/* No scim.conf anywhere: say which -c, make no store by mistake. */
	if (config_require_file(&cl.cfg, PROG, &err) != SCIM_OK) {
		fprintf(stderr, "scim-tokens: %s\n", err.detail);
		return EX_USAGE;
	}
	if (service_drop_root(&cl.cfg, &err) != SCIM_OK ||
	    store_open(&cl.store, &cl.cfg, &err) != SCIM_OK) {
		fprintf(stderr, "scim-tokens: %s\n", err.detail);
		return EX_FAIL;
	}
	if (cl.days == 0)
		cl.days = cl.cfg.default_days;
	rc = c->run(&cl, c, arg);
	store_close(cl.store);
	return rc;
}
