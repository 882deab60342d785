/*
 * scimctl's role and access commands (scimctl(8)):
 *
 *   scimctl [-c file] roles list [--tenant T] [--json]
 *   scimctl [-c file] roles add GROUP ROLE [--products P1,P2]
 *           [--position N] [--auto-sync on|off] [--tenant T]
 *   scimctl [-c file] roles delete GROUP [--tenant T]
 *   scimctl [-c file] user NAME [--tenant T] [--json]
 *   scimctl [-c file] users [--role R] [--tenant T] [--json]
 *
 * `user` answers what the access gate would: exit 0 when NAME may sign
 * in, 4 when it exists but may not (inactive, or no role: stderr says
 * which), 3 when the directory does not hold it.  Bad input is one line
 * on stderr and exit 2; a failure of the store is exit 1.  The tenant
 * defaults to [gate] tenant, the one the gate asks.
 *
 * scimctl.c hands these commands here (scimctl_roles_main()) before it
 * reads its own options, so the two files share no option table.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "roles/access.h"
#include "roles/roles.h"
#include "web/service.h"
#include "scimctl.h"

#define CTL_PAGE	200	/* users looked up per page of `users` */

/* What the command line asked for. */
struct roles_opts {
	const char	*conf;		/* -c, or NULL */
	const char	*tenant;	/* --tenant, or NULL: [gate] tenant */
	const char	*products;	/* --products */
	const char	*role;		/* --role (users) */
	long		 position;	/* --position, 0 = at the end */
	int		 auto_sync;	/* --auto-sync: -1 unset, 0, 1 */
	bool		 json;		/* --json */
	char		**args;		/* the words after the command */
	int		 nargs;
};

static void
roles_usage(FILE *f)
{
	fprintf(f,
	    "usage: scimctl [-c file] roles list [--tenant T] [--json]\n"
	    "       scimctl [-c file] roles add GROUP ROLE [--products P1,P2] "
	    "[--position N]\n"
	    "                         [--auto-sync on|off] [--tenant T]\n"
	    "       scimctl [-c file] roles delete GROUP [--tenant T]\n"
	    "       scimctl [-c file] user NAME [--tenant T] [--json]\n"
	    "       scimctl [-c file] users [--role R] [--tenant T] "
	    "[--json]\n\n"
	    "ROLE is owner, admin or member.  user exits 0 when NAME may sign "
	    "in,\n4 when it may not (inactive or no role), 3 when unknown.\n"
	    "See scimctl(8).\n");
}

/* Read the options after the command word; -1 to go on, else exit. */
static int
roles_options(int argc, char *argv[], struct roles_opts *o)
{
	static const struct option longopts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "products", required_argument, NULL, 'p' },
		{ "position", required_argument, NULL, 'n' },
		{ "auto-sync", required_argument, NULL, 'a' },
		{ "role", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		switch (ch) {
		case 't': o->tenant = optarg; break;
		case 'p': o->products = optarg; break;
		case 'r': o->role = optarg; break;
		case 'j': o->json = true; break;
		case 'n':
			if (!util_parse_long(optarg, 1, ROLES_MAX + 1,
			    &o->position)) {
				fprintf(stderr, "scimctl: position out of "
				    "range: %s\n", optarg);
				return 2;
			}
			break;
		case 'a':
			if (strcmp(optarg, "on") != 0 &&
			    strcmp(optarg, "off") != 0) {
				fprintf(stderr, "scimctl: --auto-sync takes on "
				    "or off, not %s\n", optarg);
				return 2;
			}
			o->auto_sync = strcmp(optarg, "on") == 0;
			break;
		case 'h':
			roles_usage(stdout);
			return 0;
		default:
			roles_usage(stderr);
			return 2;
		}
	o->args = argv + optind;
	o->nargs = argc - optind;
	return -1;
}

/* Print one JSON value on a line of its own and delete it. */
static int
roles_print_json(cJSON *o)
{
	char	*line;

	if (o == NULL || (line = cJSON_PrintUnformatted(o)) == NULL) {
		cJSON_Delete(o);
		fprintf(stderr, "scimctl: out of memory\n");
		return 1;
	}
	printf("%s\n", line);
	free(line);
	cJSON_Delete(o);
	return 0;
}

/* The exit status for a failed change: 2 for what the input got wrong. */
static int
roles_fail(const struct scim_error *err)
{
	fprintf(stderr, "scimctl: %s\n", err->detail);
	return err->code == SCIM_E_INVALID_VALUE ||
	    err->code == SCIM_E_UNIQUENESS ||
	    err->code == SCIM_E_NOT_FOUND ? 2 : 1;
}

/* roles list: one line per mapping, in order. */
static int
cmd_roles_list(struct store *s, const char *tenant, bool json)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct role_map		 map;
	cJSON			*o;
	size_t			 i, j;
	int			 rc = 0;

	if (roles_list(s, tenant, &map, &err) != SCIM_OK)
		return roles_fail(&err);
	for (i = 0; i < map.n && rc == 0; i++) {
		if (json) {
			o = roles_mapping_json(&map.v[i]);
			if (o != NULL)
				cJSON_AddNumberToObject(o, "position",
				    (double)(i + 1));
			rc = roles_print_json(o);
			continue;
		}
		printf("%zu\t%s\t%s", i + 1, map.v[i].group,
		    role_name(map.v[i].role));
		for (j = 0; j < map.v[i].nproducts; j++)
			printf("%s%s", j ? "," : "\tproducts=",
			    map.v[i].products[j]);
		printf("%s\n", map.v[i].auto_sync ? "" : "\tauto-sync=off");
	}
	roles_free(&map);
	return rc;
}

/* roles add GROUP ROLE. */
static int
cmd_roles_add(struct store *s, const struct scim_config *cfg,
    const struct roles_opts *o, const char *tenant)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct roles_change	 ch = { tenant, "cli", cfg };
	struct role_mapping	 m;
	int			 rc = 0;

	memset(&m, 0, sizeof(m));
	m.auto_sync = o->auto_sync != 0;
	if (!role_parse(o->args[2], &m.role) || m.role == ROLE_NONE) {
		fprintf(stderr, "scimctl: unknown role %s (owner, admin or "
		    "member)\n", o->args[2]);
		return 2;
	}
	if ((m.group = strdup(o->args[1])) == NULL) {
		scim_oom(&err);
		rc = roles_fail(&err);
	} else if (o->products != NULL && roles_set_products(&m, o->products,
	    &err) != SCIM_OK)
		rc = roles_fail(&err);
	else if (roles_add(s, &ch, &m, (size_t)o->position, &err) != SCIM_OK)
		rc = roles_fail(&err);
	roles_mapping_clear(&m);
	return rc;
}

/* user NAME: what the gate would decide, and why. */
static int
cmd_user(struct store *s, const struct scim_config *cfg, const char *tenant,
    const char *name, bool json)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct access		 a;
	size_t			 i;
	int			 rc;

	if (access_lookup(s, cfg, tenant, name, &a, &err) != SCIM_OK) {
		access_free(&a);
		fprintf(stderr, "scimctl: %s\n", err.detail);
		return 1;
	}
	if (a.why == ACCESS_UNKNOWN) {
		fprintf(stderr, "scimctl: no such user: %s\n", name);
		access_free(&a);
		return 3;
	}
	if (json)
		rc = roles_print_json(access_json(&a));
	else {
		rc = 0;
		printf("id: %s\nuserName: %s\ndisplayName: %s\nactive: %s\n"
		    "role: %s\n", a.id, a.user_name, a.display_name,
		    a.active ? "yes" : "no", role_name(a.role));
		printf("products:");
		for (i = 0; i < a.nproducts; i++)
			printf("%s%s", i ? ", " : " ", a.products[i]);
		printf("\ngroups:");
		for (i = 0; i < a.ngroups; i++)
			printf("%s%s (%s)%s", i ? ", " : " ",
			    a.groups[i].display_name, a.groups[i].id,
			    a.groups[i].direct ? "" : " nested");
		printf("\nmanagedBy: %s\n", a.managed_by);
		if (a.break_glass)
			printf("break-glass: yes ([gate] always_allow)\n");
	}
	if (rc == 0 && !access_allowed(&a)) {
		fprintf(stderr, "scimctl: %s may not sign in: %s\n",
		    a.user_name, a.why == ACCESS_INACTIVE ? "inactive" :
		    "no role");
		rc = 4;
	}
	access_free(&a);
	return rc;
}

/* One page of user ids in name order, for cmd_users(). */
struct users_page {
	const char	*tenant;
	size_t		 skip, total, n;
	char		 ids[CTL_PAGE][STORE_ID_MAX + 1];
};

static enum scim_err
users_page_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct users_page	*p = arg;

	return store_page_ids(t, STORE_USER, p->tenant, p->skip, CTL_PAGE,
	    &p->total, p->ids, &p->n, err);
}

/* Print one user of `users` (unless --role leaves it out). */
static int
users_print(const struct access *a, const enum role *only, bool json)
{
	if (only != NULL && a->role != *only)
		return 0;
	if (json)
		return roles_print_json(access_json(a));
	printf("%s\t%s\t%s\t%s\n", a->user_name, role_name(a->role),
	    a->active ? "active" : "inactive",
	    a->managed_by[0] ? a->managed_by : "-");
	return 0;
}

/* users: every user of tenant in userName order, with its role. */
static int
cmd_users(struct store *s, const struct scim_config *cfg, const char *tenant,
    const struct roles_opts *o)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct users_page	*p;
	struct access		 a;
	enum role		 only;
	enum scim_err		 erc = SCIM_OK;
	size_t			 i;
	int			 rc = 0;

	if (o->role != NULL && !role_parse(o->role, &only)) {
		fprintf(stderr, "scimctl: unknown role %s (owner, admin, "
		    "member or none)\n", o->role);
		return 2;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return 1;
	p->tenant = tenant;
	do {
		if ((erc = store_read(s, users_page_fn, p, &err)) != SCIM_OK)
			break;
		for (i = 0; i < p->n && rc == 0 && erc == SCIM_OK; i++) {
			erc = access_lookup(s, cfg, tenant, p->ids[i], &a, &err);
			if (erc == SCIM_OK && a.found)
				rc = users_print(&a, o->role ? &only : NULL,
				    o->json);
			access_free(&a);
		}
		p->skip += p->n;
	} while (rc == 0 && erc == SCIM_OK && p->n == CTL_PAGE);
	free(p);
	if (erc != SCIM_OK) {
		fprintf(stderr, "scimctl: %s\n", err.detail);
		return 1;
	}
	return rc;
}

/* Run the command o names: its words are checked here. */
static int
roles_run(struct store *s, const struct scim_config *cfg, const char *cmd,
    const struct roles_opts *o)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct roles_change	 ch;
	const char		*tenant = o->tenant ? o->tenant :
				    cfg->gate_tenant;
	const char		*sub = o->nargs > 0 ? o->args[0] : "";

	if (strcmp(cmd, "user") == 0)
		return cmd_user(s, cfg, tenant, o->args[0], o->json);
	if (strcmp(cmd, "users") == 0)
		return cmd_users(s, cfg, tenant, o);
	if (strcmp(sub, "list") == 0)
		return cmd_roles_list(s, tenant, o->json);
	if (strcmp(sub, "add") == 0)
		return cmd_roles_add(s, cfg, o, tenant);
	ch.tenant = tenant;
	ch.actor = "cli";
	ch.cfg = cfg;
	if (roles_delete(s, &ch, o->args[1], &err) != SCIM_OK)
		return roles_fail(&err);
	return 0;
}

/* Are o's words and options right for cmd?  Says what is wrong. */
static bool
roles_words_ok(const char *cmd, const struct roles_opts *o)
{
	const char	*sub = o->nargs > 0 ? o->args[0] : "";
	bool		 ok;

	if (strcmp(cmd, "user") == 0)
		ok = o->nargs == 1;
	else if (strcmp(cmd, "users") == 0)
		ok = o->nargs == 0;
	else if (strcmp(sub, "list") == 0)
		ok = o->nargs == 1;
	else if (strcmp(sub, "add") == 0)
		ok = o->nargs == 3;
	else if (strcmp(sub, "delete") == 0)
		ok = o->nargs == 2;
	else
		ok = false;
	if (ok && o->products != NULL && strcmp(sub, "add") != 0)
		ok = false;
	if (ok && (o->position != 0 || o->auto_sync != -1) &&
	    strcmp(sub, "add") != 0)
		ok = false;
	if (ok && o->role != NULL && strcmp(cmd, "users") != 0)
		ok = false;
	if (!ok)
		roles_usage(stderr);
	return ok;
}

int
scimctl_roles_main(int argc, char *argv[])
{
	struct roles_opts	 o;
	struct scim_config	 cfg;
	struct store		*s = NULL;
	const char		*cmd;
	int			 at, rc;

	memset(&o, 0, sizeof(o));
	o.auto_sync = -1;
	if ((at = scimctl_command_at(argc, argv, &o.conf)) == 0)
		return -1;
	cmd = argv[at];
	if (strcmp(cmd, "roles") != 0 && strcmp(cmd, "user") != 0 &&
	    strcmp(cmd, "users") != 0)
		return -1;
	if ((rc = roles_options(argc - at, argv + at, &o)) >= 0)
		return rc;
	if (!roles_words_ok(cmd, &o))
		return 2;
	if (o.auto_sync == -1)
		o.auto_sync = 1;
	if ((rc = scimctl_open(o.conf, &cfg, &s)) != 0)
		return rc;
	rc = roles_run(s, &cfg, cmd, &o);
	store_close(s);
	return rc;
}
