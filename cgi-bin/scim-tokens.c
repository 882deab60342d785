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
 * Every command, option and exit status is in scim-tokens(8).  Started as
 * root it becomes the owner of the data home, so the files it writes stay
 * readable by the web server's programs.
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
#include "web/http.h"
#include "base/json.h"
#include "base/log.h"
#include "page/page.h"
#include "web/service.h"
#include "auth/token.h"
#include "auth/token-ops.h"
#include "base/util.h"

/* Exit statuses (scim-tokens(8), EXIT STATUS). */
#define EX_OK		0
#define EX_FAIL		1	/* store, configuration, mail, I/O */
#define EX_USAGE	2
#define EX_NOTFOUND	3	/* no such token or admin */
#define EX_REFUSED	4	/* limit reached, wrong state, bad value */

struct cli {
	struct scim_config	 cfg;
	struct store		*store;
	const char		*tenant;	/* NULL: default / any */
	const char		*label;
	const char		*role;
	const char		*email;
	const char		*password_file;
	unsigned		 days;		/* 0: default_days */
	long			 ttl_sec;	/* --expires-in-seconds */
	bool			 json;
	bool			 all;
	bool			 dry_run;
	char			 actor[80];	/* "cli:<login>" */
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: scim-tokens [-c file] create [--tenant T] [--days N] [--label L] [--json]\n"
"       scim-tokens [-c file] list [--tenant T | --all] [--json]\n"
"       scim-tokens [-c file] show ID [--json]\n"
"       scim-tokens [-c file] revoke|disable|enable|delete ID [--tenant T]\n"
"       scim-tokens [-c file] renew ID [--days N]\n"
"       scim-tokens [-c file] regenerate ID [--days N] [--json]\n"
"       scim-tokens [-c file] remind [--dry-run]\n"
"       scim-tokens [-c file] admin add NAME --role owner|admin [--tenant T]\n"
"                                 [--email ADDR] [--password-file FILE]\n"
"       scim-tokens [-c file] admin passwd NAME [--password-file FILE]\n"
"       scim-tokens [-c file] admin list [--tenant T] [--json]\n"
"       scim-tokens [-c file] admin delete NAME\n"
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
"  --role R              owner (may change tokens) or admin (may view)\n"
"  --email ADDR          where expiry reminders go (owners)\n"
"  --password-file FILE  read the password from FILE's first line (- =\n"
"                        standard input) instead of the terminal\n\n"
"Exit status: 0 done, 1 failure, 2 usage, 3 not found, 4 refused.\n"
"See scim-tokens(8).\n");
}

/* Say why an option's value was refused; the usage exit status. */
static int
bad_option(const char *why)
{
	fprintf(stderr, "scim-tokens: %s\n", why);
	return EX_USAGE;
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

static void
print_json(const cJSON *v)
{
	char	*text = cJSON_PrintUnformatted(v);

	printf("%s\n", text ? text : "null");
	free(text);
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

/* --- tokens --- */

/* Every token command is one call into auth/token-ops.h, worded here. */

static int
cmd_list(struct cli *cl)
{
	struct scim_error	 err = { SCIM_OK, "" };
	const cJSON		*o;
	cJSON			*out = NULL;
	char			 c[UTIL_TIME_LEN + 1], e[UTIL_TIME_LEN + 1];
	char			 u[UTIL_TIME_LEN + 1];

	if (token_ops_list(cl->store, cl->all ? NULL : tenant_or_default(cl),
	    util_now_usec(), &out, NULL, &err) != SCIM_OK)
		return fail(&err, "list");
	if (cl->json)
		print_json(out);
	else
		cJSON_ArrayForEach(o, out)
			printf("%s  %-8s  %-12s  created %s  expires %s  "
			    "last-used %s  %s\n", json_str(o, "id"),
			    json_str(o, "status"), json_str(o, "tenant"),
			    fmt_time(json_int(o, "created"), c, sizeof(c)),
			    fmt_time(json_int(o, "expires"), e, sizeof(e)),
			    fmt_time(json_int(o, "last_used"), u, sizeof(u)),
			    json_str(o, "label"));
	cJSON_Delete(out);
	return EX_OK;
}

/* A token's public record (token_public()) as "name: value" lines. */
static void
show_text(const cJSON *tk)
{
	static const char *const times[] = { "created", "expires",
	    "last_used", "renewed", "revoked_at" };
	const cJSON	*v;
	char		 buf[UTIL_TIME_LEN + 1];
	size_t		 i;

	printf("id:          %s\ntenant:      %s\nlabel:       %s\n"
	    "status:      %s\ncreated-by:  %s\n",
	    json_str(tk, "id"),
	    json_str(tk, "tenant"), json_str(tk, "label"),
	    json_str(tk, "status"), json_str(tk, "created_by"));
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		if (i < 3 || json_int(tk, times[i]) != 0)
			printf("%-12s %s\n", times[i],
			    fmt_time(json_int(tk, times[i]), buf,
			    sizeof(buf)));
	if (*json_str(tk, "replaces") != '\0')
		printf("replaces:    %s\n",
		    json_str(tk, "replaces"));
	printf("reminded:   ");
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(tk,
	    "reminded"))
		printf(" %d", (int)v->valuedouble);
	printf("\n");
}

static int
cmd_show(struct cli *cl, const char *id)
{
	struct scim_error	 err = { SCIM_OK, "" };
	cJSON			*out = NULL;

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

static int
cmd_apply(struct cli *cl, enum token_action act, const char *id)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct token_op		 op;

	memset(&op, 0, sizeof(op));
	op.tenant = cl->tenant;
	op.id = id;
	op.act = act;
	op.ttl_sec = act == TOKEN_RENEW ? lifetime(cl) : 0;
	op.max_live = cl->cfg.max_live_tokens;
	op.actor = cl->actor;
	op.cfg = &cl->cfg;
	if (token_ops_apply(cl->store, &op, &err) != SCIM_OK)
		return fail(&err, id);
	return EX_OK;
}

/*
 * create (old_id NULL) or regenerate old_id: make a new token, store it
 * (revoking old_id in the same transaction) and print it, the only time
 * it is ever shown; with --json, as its public record plus "token".
 */
static int
cmd_issue(struct cli *cl, const char *old_id)
{
	struct scim_error	 err = { SCIM_OK, "" };
	char			 tok[TOKEN_LEN + 1];
	cJSON			*rec = NULL;
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
		cJSON *o = token_public(rec, util_now_usec());

		if (o != NULL)
			cJSON_AddStringToObject(o, "token", tok);
		print_json(o);
		cJSON_Delete(o);
	} else
		printf("%s\n", tok);
	explicit_bzero(tok, sizeof(tok));
	cJSON_Delete(rec);
	return EX_OK;
}

/* --- reminders --- */

static int
cmd_remind(struct cli *cl)
{
	struct scim_error	 err = { SCIM_OK, "" };
	unsigned		 sent = 0;

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
	enum admin_role	 role;
	cJSON		*out;
};

static enum scim_err
do_admin_add(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct admin_arg	*aa = arg;

	return admin_add(t, aa->name, tenant_or_default(aa->cl), aa->role,
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
cmd_admin(struct cli *cl, int argc, char **argv)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct admin_arg	 aa;
	char			 pw[ADMIN_PASSWORD_MAX + 2];
	char			 hash[SCRYPT_MCF_LEN];
	char			 t[UTIL_TIME_LEN + 1];
	const cJSON		*o;
	const char		*sub = argc > 0 ? argv[0] : "";
	int			 rc = EX_OK;

	memset(&aa, 0, sizeof(aa));
	aa.cl = cl;
	aa.hash = hash;
	pw[0] = '\0';
	if (strcmp(sub, "list") == 0 && argc == 1) {
		if (store_read(cl->store, do_admin_list, &aa, &err) != SCIM_OK)
			return fail(&err, "admin list");
		if (cl->json)
			print_json(aa.out);
		else
			cJSON_ArrayForEach(o, aa.out)
				printf("%-24s %-6s %-12s %-30s last-login %s\n",
				    json_str(o, "name"), json_str(o, "role"),
				    json_str(o, "tenant"),
				    *json_str(o, "email") ?
				    json_str(o, "email") : "-",
				    fmt_time(json_int(o, "last_login"), t,
				    sizeof(t)));
		cJSON_Delete(aa.out);
		return EX_OK;
	}
	if (argc != 2) {
		usage(stderr);
		return EX_USAGE;
	}
	aa.name = argv[1];
	if (strcmp(sub, "delete") == 0) {
		if (store_run(cl->store, do_admin_del, &aa, &err) != SCIM_OK)
			return fail(&err, aa.name);
		return EX_OK;
	}
	if (strcmp(sub, "add") == 0) {
		if ((aa.role = admin_role_parse(cl->role)) == ADMIN_ROLE_NONE) {
			fprintf(stderr, "scim-tokens: admin add needs --role "
			    "owner or --role admin\n");
			return EX_USAGE;
		}
		if (!admin_name_valid(aa.name)) {
			fprintf(stderr, "scim-tokens: an admin name is 1 to %d "
			    "letters, digits, '.', '_', '@', '+' or '-'\n",
			    ADMIN_NAME_MAX);
			return EX_REFUSED;
		}
	} else if (strcmp(sub, "passwd") != 0) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((rc = read_password(cl, pw, sizeof(pw))) != EX_OK)
		goto out;
	if (admin_password_hash(&cl->cfg, pw, hash, &err) != SCIM_OK ||
	    store_run(cl->store, strcmp(sub, "add") == 0 ? do_admin_add :
	    do_admin_passwd, &aa, &err) != SCIM_OK)
		rc = fail(&err, aa.name);
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

/*
 * Read the options into cl, *conf and *checkpoint.  Returns -1 to go on
 * (optind at the command, if any), or the exit status (-h, -V, a bad
 * option).
 */
static int
tokens_options(int argc, char *argv[], struct cli *cl, const char **conf,
    bool *checkpoint)
{
	static const struct option longopts[] = {
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
	long			 n;
	int			 ch;

	while ((ch = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1)
		switch (ch) {
		case 'c':
			*conf = optarg;
			break;
		case 't':
			if (!token_tenant_valid(optarg))
				return bad_option("a tenant is 1 to 64 letters, "
				    "digits, '.', '_', '@' or '-'");
			cl->tenant = optarg;
			break;
		case 'd':
			if (!util_parse_long(optarg, 1, 3650, &n) ||
			    !token_days_valid((unsigned)n))
				return bad_option("--days must be 30, 60, 90, "
				    "180 or 365");
			cl->days = (unsigned)n;
			break;
		case 'S':
			if (!util_parse_long(optarg, 1, 3650L * 86400,
			    &cl->ttl_sec))
				return bad_option("--expires-in-seconds takes 1 "
				    "to 315360000");
			break;
		case 'l':
			cl->label = optarg;
			break;
		case 'j':
			cl->json = true;
			break;
		case 'a':
			cl->all = true;
			break;
		case 'n':
			cl->dry_run = true;
			break;
		case 'r':
			cl->role = optarg;
			break;
		case 'e':
			cl->email = optarg;
			break;
		case 'p':
			cl->password_file = optarg;
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
		default:
			usage(stderr);
			return EX_USAGE;
		}
	return -1;
}

int
main(int argc, char *argv[])
{
	struct cli		 cl;
	struct scim_error	 err = { SCIM_OK, "" };
	struct passwd		*pw;
	enum token_action	 act;
	const char		*conf = NULL, *cmd;
	int			 rc, nargs;
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
		usage(stderr);
		return EX_USAGE;
	}
	cmd = argv[optind++];
	nargs = argc - optind;
	pw = getpwuid(getuid());
	snprintf(cl.actor, sizeof(cl.actor), "cli:%s",
	    pw != NULL ? pw->pw_name : "?");
	log_init("scim-tokens", LOG_LVL_WARN);
	if (config_load(&cl.cfg, conf, &err) != SCIM_OK ||
	    service_drop_root(&cl.cfg, &err) != SCIM_OK ||
	    store_open(&cl.store, &cl.cfg, &err) != SCIM_OK) {
		fprintf(stderr, "scim-tokens: %s\n", err.detail);
		return EX_FAIL;
	}
	if (cl.days == 0)
		cl.days = cl.cfg.default_days;
	if (strcmp(cmd, "create") == 0 && nargs == 0)
		rc = cmd_issue(&cl, NULL);
	else if (strcmp(cmd, "list") == 0 && nargs == 0)
		rc = cmd_list(&cl);
	else if (strcmp(cmd, "show") == 0 && nargs == 1)
		rc = cmd_show(&cl, argv[optind]);
	else if (strcmp(cmd, "regenerate") == 0 && nargs == 1)
		rc = cmd_issue(&cl, argv[optind]);
	else if (strcmp(cmd, "remind") == 0 && nargs == 0)
		rc = cmd_remind(&cl);
	else if (strcmp(cmd, "admin") == 0)
		rc = cmd_admin(&cl, nargs, argv + optind);
	else if (token_action_parse(cmd, &act) && nargs == 1)
		rc = cmd_apply(&cl, act, argv[optind]);
	else {
		usage(stderr);
		rc = EX_USAGE;
	}
	store_close(cl.store);
	return rc;
}
