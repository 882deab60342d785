/*
 * Manual User Sync's credentials (sync.h): the per-tenant 0600 file in
 * the data home, scim.conf's [graph] keys for the default tenant, and the
 * calls the page makes with them (Test, the group dropdown).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/json.h"
#include "base/util.h"
#include "sync/sync-int.h"

/* <home>/<prefix><tenant in hex><suffix> into buf. */
bool
sync_home_path(const struct scim_config *cfg, const char *prefix,
    const char *tenant, const char *suffix, char *buf, size_t bsz)
{
	char	 hex[2 * STORE_ID_MAX + 1];
	size_t	 n = strlen(tenant);

	if (n > STORE_ID_MAX)
		return false;
	util_hex(tenant, n, hex);
	hex[2 * n] = '\0';
	return (size_t)snprintf(buf, bsz, "%s/%s%s%s", cfg->home, prefix,
	    hex, suffix) < bsz;
}

bool
sync_lock_path(const struct scim_config *cfg, const char *tenant, char *buf,
    size_t bsz)
{
	return sync_home_path(cfg, "sync-", tenant, ".lock", buf, bsz);
}

/* Read a whole small file (at most max bytes) into a new string. */
static char *
sync_read_file(const char *path, size_t max)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if ((buf = malloc(max + 1)) != NULL) {
		n = fread(buf, 1, max + 1, f);
		if (ferror(f) || n > max) {
			free(buf);
			buf = NULL;
		} else
			buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

/* Write text to path as a new 0600 file, atomically (rename). */
static enum scim_err
sync_write_secret_file(const char *path, const char *text,
    struct scim_error *err)
{
	char	 tmp[4200];
	size_t	 len = strlen(text);
	int	 fd;
	bool	 ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return scim_fail(err, SCIM_E_INTERNAL, "data home path too "
		    "long");
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		return scim_fail(err, SCIM_E_INTERNAL, "%s: %s", tmp,
		    strerror(errno));
	ok = fchmod(fd, 0600) == 0 && write(fd, text, len) == (ssize_t)len &&
	    fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) == -1) {
		(void)unlink(tmp);
		return scim_fail(err, SCIM_E_INTERNAL, "%s: %s", path,
		    strerror(errno));
	}
	return SCIM_OK;
}

/* Is s a usable id or secret: not empty, one line, at most max bytes? */
static bool
sync_cred_value_ok(const char *s, size_t max)
{
	size_t	 n = strlen(s);

	return n > 0 && n <= max && strpbrk(s, "\r\n") == NULL;
}

struct sync_cred_audit {
	const struct scim_config	*cfg;
	const char			*tenant;
	const char			*actor;
	cJSON				*details;
};

static enum scim_err
sync_cred_audit_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct sync_cred_audit	*a = arg;
	struct audit_event	 ev = { "sync.credentials.changed", a->tenant,
				    a->actor, NULL, NULL, false, a->details,
				    0 };

	return audit_record(t, a->cfg, &ev, err);
}

enum scim_err
sync_creds_set(struct store *s, const struct scim_config *cfg,
    const char *tenant, const char *actor, const struct graph_creds *cr,
    struct scim_error *err)
{
	struct sync_cred_audit	 a = { cfg, tenant, actor, NULL };
	char			 path[4200], *text = NULL;
	cJSON			*o;
	enum scim_err		 rc;

	if (!sync_cred_value_ok(cr->tenant_id, GRAPH_ID_MAX) ||
	    !sync_cred_value_ok(cr->client_id, GRAPH_ID_MAX) ||
	    !sync_cred_value_ok(cr->secret, GRAPH_SECRET_MAX))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "tenant id, client "
		    "id and secret must each be one non-empty line");
	if (!sync_home_path(cfg, "graph-", tenant, ".json", path,
	    sizeof(path)))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "tenant too long");
	if ((o = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(o, "tenantId", cr->tenant_id) ||
	    !cJSON_AddStringToObject(o, "clientId", cr->client_id) ||
	    !cJSON_AddStringToObject(o, "clientSecret", cr->secret) ||
	    (text = cJSON_PrintUnformatted(o)) == NULL) {
		cJSON_Delete(o);
		return scim_oom(err);
	}
	rc = sync_write_secret_file(path, text, err);
	memset(text, 0, strlen(text));
	free(text);
	cJSON_Delete(o);
	if (rc != SCIM_OK)
		return rc;
	/* The event names the ids, never the secret. */
	if ((a.details = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(a.details, "tenantId", cr->tenant_id) ||
	    !cJSON_AddStringToObject(a.details, "clientId", cr->client_id))
		rc = scim_oom(err);
	else
		rc = store_run(s, sync_cred_audit_fn, &a, err);
	cJSON_Delete(a.details);
	return rc;
}

/* tenant's file into *out: SCIM_E_NOT_FOUND when there is none. */
static enum scim_err
sync_creds_file(const struct scim_config *cfg, const char *tenant,
    struct graph_creds *out, struct scim_error *err)
{
	char	 path[4200], *text;
	cJSON	*o;
	bool	 ok;

	if (!sync_home_path(cfg, "graph-", tenant, ".json", path,
	    sizeof(path)))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "tenant too long");
	if ((text = sync_read_file(path, 4 * GRAPH_SECRET_MAX)) == NULL)
		return scim_fail(err, errno == ENOENT ? SCIM_E_NOT_FOUND :
		    SCIM_E_INTERNAL, "%s: %s", path, strerror(errno));
	o = cJSON_Parse(text);
	memset(text, 0, strlen(text));
	free(text);
	ok = (size_t)snprintf(out->tenant_id, sizeof(out->tenant_id), "%s",
	    json_str(o, "tenantId")) < sizeof(out->tenant_id) &&
	    (size_t)snprintf(out->client_id, sizeof(out->client_id), "%s",
	    json_str(o, "clientId")) < sizeof(out->client_id) &&
	    (size_t)snprintf(out->secret, sizeof(out->secret), "%s",
	    json_str(o, "clientSecret")) < sizeof(out->secret) &&
	    out->tenant_id[0] && out->client_id[0] && out->secret[0];
	cJSON_Delete(o);
	if (!ok)
		return scim_fail(err, SCIM_E_INTERNAL, "%s: not a credentials "
		    "file; set them again (scimctl graph credentials)", path);
	return SCIM_OK;
}

enum scim_err
sync_creds_get(const struct scim_config *cfg, const char *tenant,
    struct graph_creds *out, struct scim_error *err)
{
	char		*sec;
	enum scim_err	 rc;

	memset(out, 0, sizeof(*out));
	rc = sync_creds_file(cfg, tenant, out, err);
	if (rc != SCIM_E_NOT_FOUND)
		return rc;
	if (strcmp(tenant, cfg->gate_tenant) != 0 ||
	    cfg->graph_tenant_id[0] == '\0' || cfg->graph_client_id[0] == '\0' ||
	    cfg->graph_client_secret_file[0] == '\0')
		return scim_fail(err, SCIM_E_NOT_FOUND, "no Graph credentials "
		    "for tenant %s: set them with scimctl graph credentials "
		    "(or [graph] in scim.conf)", tenant);
	if ((sec = sync_read_file(cfg->graph_client_secret_file,
	    GRAPH_SECRET_MAX + 2)) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "[graph] "
		    "client_secret_file %s: %s", cfg->graph_client_secret_file,
		    errno ? strerror(errno) : "too long");
	sec[strcspn(sec, "\r\n")] = '\0';
	snprintf(out->tenant_id, sizeof(out->tenant_id), "%s",
	    cfg->graph_tenant_id);
	snprintf(out->client_id, sizeof(out->client_id), "%s",
	    cfg->graph_client_id);
	rc = (size_t)snprintf(out->secret, sizeof(out->secret), "%s", sec) <
	    sizeof(out->secret) && sec[0] != '\0' ? SCIM_OK :
	    scim_fail(err, SCIM_E_INVALID_VALUE, "[graph] client_secret_file "
	    "holds no secret on its first line");
	memset(sec, 0, strlen(sec));
	free(sec);
	return rc;
}

cJSON *
sync_creds_json(const struct scim_config *cfg, const char *tenant)
{
	struct scim_error	 err;
	struct graph_creds	 cr;
	enum scim_err		 rc;
	cJSON			*o;
	char			 path[4200];

	rc = sync_creds_get(cfg, tenant, &cr, &err);
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (rc != SCIM_OK) {
		cJSON_AddStringToObject(o, "source", "none");
		if (rc != SCIM_E_NOT_FOUND)
			cJSON_AddStringToObject(o, "error", err.detail);
	} else {
		cJSON_AddStringToObject(o, "tenantId", cr.tenant_id);
		cJSON_AddStringToObject(o, "clientId", cr.client_id);
		cJSON_AddBoolToObject(o, "secret", true);
		cJSON_AddStringToObject(o, "source", sync_home_path(cfg,
		    "graph-", tenant, ".json", path, sizeof(path)) &&
		    access(path, F_OK) == 0 ? "file" : "scim.conf");
	}
	memset(&cr, 0, sizeof(cr));
	return o;
}

enum scim_err
sync_graph_open(const struct scim_config *cfg, const char *tenant,
    struct graph **g, struct scim_error *err)
{
	struct graph_creds	 cr;
	enum scim_err		 rc;

	*g = NULL;
	if ((rc = sync_creds_get(cfg, tenant, &cr, err)) == SCIM_OK)
		rc = graph_open(g, cfg, &cr, err);
	memset(&cr, 0, sizeof(cr));
	return rc;
}

/* Collect groups into an array (sync_groups) or count one page (test). */
struct sync_group_list {
	cJSON	*arr;
	size_t	 n;
	bool	 first_page_only;
	bool	 nomem;
};

static bool
sync_group_add(void *arg, const struct graph_group *grp)
{
	struct sync_group_list	*l = arg;
	cJSON			*e;

	l->n++;
	if (l->arr == NULL)
		return !l->first_page_only || l->n < 999;
	if ((e = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToArray(l->arr, e) ||
	    !cJSON_AddStringToObject(e, "id", grp->id) ||
	    !cJSON_AddStringToObject(e, "displayName", grp->display_name)) {
		l->nomem = true;
		return false;
	}
	return true;
}

enum scim_err
sync_test(const struct scim_config *cfg, const char *tenant, cJSON **out,
    struct scim_error *err)
{
	struct sync_group_list	 l = { NULL, 0, true, false };
	struct graph		*g;
	enum scim_err		 rc;

	*out = NULL;
	if ((rc = sync_graph_open(cfg, tenant, &g, err)) != SCIM_OK)
		return rc;
	if ((rc = graph_token(g, err)) == SCIM_OK)
		rc = graph_groups(g, NULL, sync_group_add, &l, err);
	graph_close(g);
	if (rc != SCIM_OK)
		return rc;
	if ((*out = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddBoolToObject(*out, "ok", true) ||
	    !cJSON_AddNumberToObject(*out, "groups", (double)l.n)) {
		cJSON_Delete(*out);
		*out = NULL;
		return scim_oom(err);
	}
	return SCIM_OK;
}

enum scim_err
sync_groups(const struct scim_config *cfg, const char *tenant,
    const char *search, cJSON **out, struct scim_error *err)
{
	struct sync_group_list	 l = { NULL, 0, false, false };
	struct graph		*g;
	enum scim_err		 rc;

	*out = NULL;
	if ((rc = sync_graph_open(cfg, tenant, &g, err)) != SCIM_OK)
		return rc;
	if ((l.arr = cJSON_CreateArray()) == NULL)
		rc = scim_oom(err);
	else
		rc = graph_groups(g, search, sync_group_add, &l, err);
	graph_close(g);
	if (rc == SCIM_OK && l.nomem)
		rc = scim_oom(err);
	if (rc != SCIM_OK) {
		cJSON_Delete(l.arr);
		return rc;
	}
	*out = l.arr;
	return SCIM_OK;
}
