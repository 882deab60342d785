/*
 * scim-authz: the access gate, a FastCGI AUTHORIZER for an application
 * served by the same web server (Apache mod_fcgid's FcgidAuthorizer,
 * lighttpd's "mode" => "authorizer").  The sign-on module in front
 * (mod_auth_openidc, mod_auth_mellon, basic authentication...) has set
 * REMOTE_USER; this program asks the directory Entra ID provisions
 * (common/roles/access.h) whether that user may sign in, and answers:
 *
 *   200 with Variable-SCIM-USER-ID, -SCIM-ROLE, -SCIM-GROUPS and
 *       -SCIM-PRODUCTS, which the web server hands to the application as
 *       SCIM_USER_ID, SCIM_ROLE, ... (groups and products comma-separated;
 *       a ',' or '%' inside a name is written %2C or %25);
 *   403 with a short page: not provisioned, blocked, or no role;
 *   503 when the store cannot be read (the gate fails closed);
 *   500 when the web server runs it as anything but an authorizer.
 *
 * Every answer has a Status line: lighttpd 1.4 lets a request through
 * when an authorizer writes none.  Nothing is cached between requests:
 * each decision is a few B-tree reads, so a PATCH active:false, a DELETE
 * or a move between groups counts from the very next request.  Names in
 * [gate] always_allow pass with role owner whatever the directory says
 * (break-glass); each pass the directory alone would have refused is
 * logged and is an "auth.break_glass" audit event.
 *
 * The tenant is [gate] tenant, or the request variable SCIM_GATE_TENANT
 * when the web server sets one (one gate for several virtual hosts).
 * scim.conf is read once, before the first request, from -c or the
 * process environment's SCIM_CONF (lighttpd's bin-environment).
 *
 * It is a page program of the shared accept loop (common/web/service.h):
 * the loop opens the store, drops root, renews a process whose store was
 * recovered, and flushes the break-glass events' writes per batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/log.h"
#include "roles/access.h"
#include "web/service.h"

/*
 * Longest value of one Variable- header.  http_resp_send() writes every
 * header of an answer into 4 KiB; user id, role and two lists of this
 * size fit with room to spare.  A list that would be longer stops at a
 * whole name and ends with ",..." (logged).
 */
#define GATE_VAR_MAX	1536

/* Why the user may not sign in, in the words of the 403 page. */
static const char *
gate_why_text(enum access_why why)
{
	switch (why) {
	case ACCESS_UNKNOWN:
		return "Your account is not provisioned for this application. "
		    "Ask your administrator to assign you to it.";
	case ACCESS_INACTIVE:
		return "Your account is blocked for this application.";
	case ACCESS_NO_ROLE:
		return "Your account has no role in this application. Ask "
		    "your administrator to add you to one of its groups.";
	default:
		return "You may not use this application.";
	}
}

/* An HTML answer on resp with status and one paragraph of text. */
static void
gate_page(struct http_resp *resp, int status, const char *text)
{
	static const char	 fmt[] =
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>%d %s</title></head>\n<body><h1>%s</h1>\n<p>%s</p>\n"
	    "</body></html>\n";
	const char		*reason = http_reason(status);
	int			 n;

	resp->status = status;
	n = snprintf(NULL, 0, fmt, status, reason, reason, text);
	if (n < 0 || (resp->raw = malloc((size_t)n + 1)) == NULL)
		return;		/* the status line alone still refuses */
	snprintf(resp->raw, (size_t)n + 1, fmt, status, reason, reason, text);
	resp->raw_len = (size_t)n;
	resp->raw_type = "text/html; charset=utf-8";
	http_resp_header(resp, "Cache-Control: no-store");
}

/*
 * Append name to the list in buf (len bytes used, cap GATE_VAR_MAX + 1):
 * ',' and '%' inside it become %2C and %25, control characters %XX, so
 * the list splits on ',' and the header stays one line.  Returns false,
 * leaving ",..." at the end, when it does not fit.
 */
static bool
gate_list_add(char *buf, size_t *len, const char *name)
{
	char		 one[GATE_VAR_MAX + 1];
	size_t		 n = 0;
	unsigned char	 ch;

	for (; *name != '\0' && n + 4 < sizeof(one); name++) {
		ch = (unsigned char)*name;
		if (ch == ',' || ch == '%' || ch < 0x20 || ch == 0x7f)
			n += (size_t)snprintf(one + n, sizeof(one) - n, "%%%02X",
			    ch);
		else
			one[n++] = (char)ch;
	}
	one[n] = '\0';
	if (*name != '\0' || *len + (*len > 0) + n + 4 > GATE_VAR_MAX) {
		if (*len + 4 <= GATE_VAR_MAX)
			*len += (size_t)snprintf(buf + *len,
			    GATE_VAR_MAX + 1 - *len, "%s...", *len ? "," : "");
		return false;
	}
	*len += (size_t)snprintf(buf + *len, GATE_VAR_MAX + 1 - *len, "%s%s",
	    *len ? "," : "", one);
	return true;
}

/* The 200 answer for a: the variables the application reads. */
static void
gate_pass(struct http_resp *resp, const struct access *a)
{
	char	 groups[GATE_VAR_MAX + 1], products[GATE_VAR_MAX + 1];
	size_t	 glen = 0, plen = 0, i;

	groups[0] = products[0] = '\0';
	for (i = 0; i < a->ngroups; i++)
		if (a->groups[i].display_name[0] != '\0' &&
		    !gate_list_add(groups, &glen, a->groups[i].display_name)) {
			log_warn("%s: %zu groups do not fit in SCIM-GROUPS",
			    a->user_name, a->ngroups);
			break;
		}
	for (i = 0; i < a->nproducts; i++)
		if (!gate_list_add(products, &plen, a->products[i])) {
			log_warn("%s: %zu products do not fit in SCIM-PRODUCTS",
			    a->user_name, a->nproducts);
			break;
		}
	resp->status = 200;
	http_resp_header(resp, "Variable-SCIM-USER-ID: %s", a->id);
	http_resp_header(resp, "Variable-SCIM-ROLE: %s", role_name(a->role));
	http_resp_header(resp, "Variable-SCIM-GROUPS: %s", groups);
	http_resp_header(resp, "Variable-SCIM-PRODUCTS: %s", products);
}

/*
 * Would the directory alone have refused a, which passes?  Only
 * break-glass lets such a user in: that pass is what gets logged and
 * audited.  A listed owner the directory admits anyway passes quietly
 * (with role owner), so the owners' everyday use writes nothing.
 */
static bool
gate_directory_refuses(const struct scim_config *cfg, const struct access *a)
{
	if (!a->break_glass)
		return false;
	return !a->found || !a->active ||
	    (a->mapping < 0 && !cfg->roles_default_member);
}

/* What gate_audit_fn() records. */
struct gate_event {
	const struct scim_config *cfg;
	const char		*tenant;
	const struct access	*a;
	const char		*name;		/* REMOTE_USER */
	const char		*remote_addr;	/* or NULL */
};

/* The directory's refusal of a user only break-glass lets in. */
static const char *
gate_directory_says(const struct access *a)
{
	return access_why_name(!a->found ? ACCESS_UNKNOWN : !a->active ?
	    ACCESS_INACTIVE : ACCESS_NO_ROLE);
}

static enum scim_err
gate_audit_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	const struct gate_event	*ge = arg;
	struct audit_event	 ev;
	enum scim_err		 rc;
	cJSON			*d;

	if ((d = cJSON_CreateObject()) == NULL)
		return scim_oom(err);
	/* What the directory would have said without break-glass. */
	cJSON_AddStringToObject(d, "directory", gate_directory_says(ge->a));
	if (ge->remote_addr != NULL)
		cJSON_AddStringToObject(d, "remoteAddr", ge->remote_addr);
	memset(&ev, 0, sizeof(ev));
	ev.type = "auth.break_glass";
	ev.tenant = ge->tenant;
	ev.actor = "gate";
	ev.target_id = ge->a->found ? ge->a->id : NULL;
	ev.target_name = ge->name;
	ev.details = d;
	rc = audit_record(t, ge->cfg, &ev, err);
	cJSON_Delete(d);
	return rc;
}

/*
 * A break-glass pass: logged, and an audit event.  The pass stands even
 * when the event cannot be written (the owners must get in); the log
 * then says so.  The write commits with the loop's batch flush.
 */
static void
gate_break_glass(struct scim_ctx *ctx, const char *tenant,
    const struct access *a, const struct http_req *req)
{
	struct gate_event	 ge = { &ctx->cfg, tenant, a, req->remote_user,
				    req->remote_addr };
	struct scim_error	 err = { SCIM_OK, "" };

	log_warn("break-glass: %s passes the gate to tenant %s as owner "
	    "(directory: %s)", req->remote_user, tenant,
	    gate_directory_says(a));
	if (store_run(ctx->store, gate_audit_fn, &ge, &err) != SCIM_OK)
		log_err("break-glass: %s: the audit event was not recorded: "
		    "%s", req->remote_user, err.detail);
}

/*
 * The page handler: one authorizer request.  Whatever read_err says (an
 * authorizer gets no body; lighttpd may still announce one), only
 * REMOTE_USER and SCIM_GATE_TENANT matter.
 */
static void
gate_answer(struct scim_ctx *ctx, struct http_req *req,
    const struct scim_error *read_err, struct http_resp *resp)
{
	struct access		 a;
	struct scim_error	 err = { SCIM_OK, "" };
	const char		*role = getenv("FCGI_ROLE");
	const char		*tenant = getenv("SCIM_GATE_TENANT");

	(void)read_err;
	/* As a responder its 200 would mean nothing: say what is wrong. */
	if (role != NULL && strcmp(role, "AUTHORIZER") != 0) {
		log_err("run as a FastCGI %s: configure scim-authz as an "
		    "authorizer (see scim-authz(8))", role);
		gate_page(resp, 500, "The access gate is misconfigured.");
		return;
	}
	if (tenant == NULL || tenant[0] == '\0' ||
	    strlen(tenant) > STORE_ID_MAX)
		tenant = ctx->cfg.gate_tenant;
	if (req->remote_user == NULL || req->remote_user[0] == '\0') {
		log_err("no REMOTE_USER: put an authentication module in "
		    "front of the gate (see scim-authz(8))");
		gate_page(resp, 403, gate_why_text(ACCESS_UNKNOWN));
		return;
	}
	if (ctx->store == NULL) {
		gate_page(resp, 503, "The directory is not available; try "
		    "again in a moment.");
		return;
	}
	memset(&a, 0, sizeof(a));
	if (access_lookup_signon(ctx->store, &ctx->cfg, tenant,
	    req->remote_user, &a, &err) != SCIM_OK) {
		log_err("%s: %s", req->remote_user, err.detail);
		gate_page(resp, 503, "The directory is not available; try "
		    "again in a moment.");
	} else if (!access_allowed(&a)) {
		log_info("%s refused (tenant %s): %s", req->remote_user,
		    tenant, access_why_name(a.why));
		gate_page(resp, 403, gate_why_text(a.why));
	} else {
		if (gate_directory_refuses(&ctx->cfg, &a))
			gate_break_glass(ctx, tenant, &a, req);
		gate_pass(resp, &a);
	}
	access_free(&a);
}

static const struct service svc = {
	"scim-authz",
	"the access gate: a FastCGI authorizer that lets provisioned, active "
	    "users with a role into an application",
	NULL, 0, gate_answer
};

int
main(int argc, char *argv[])
{
	return service_main(&svc, argc, argv);
}
