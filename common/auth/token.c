/*
 * Secret Tokens: format, record, lifecycle, listing, reminders and the
 * events each change leaves.  See token.h for the formats; the secret's
 * hash is in token-hash.c, the bearer check in token-auth.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unictype.h>
#include <unistr.h>

#include "audit/audit.h"
#include "base/json.h"
#include "base/log.h"
#include "auth/token.h"
#include "base/util.h"

/* Reminder thresholds in days, smallest first. */
static const unsigned	 remind_days[] = { 7, 14, 30 };

/* Is s[0..n) lower-case hex digits (the only ones a token holds)? */
static bool
is_hex(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool
token_parse(const char *tok, char *id, char *secret)
{
	const char	*p;

	if (tok == NULL || strlen(tok) != TOKEN_LEN ||
	    strncmp(tok, TOKEN_PREFIX, 5) != 0)
		return false;
	p = tok + 5;
	if (!is_hex(p, TOKEN_ID_HEX) || p[TOKEN_ID_HEX] != '_' ||
	    !is_hex(p + TOKEN_ID_HEX + 1, TOKEN_SECRET_HEX))
		return false;
	memcpy(id, p, TOKEN_ID_HEX);
	id[TOKEN_ID_HEX] = '\0';
	memcpy(secret, p + TOKEN_ID_HEX + 1, TOKEN_SECRET_HEX);
	secret[TOKEN_SECRET_HEX] = '\0';
	return true;
}

/* The offered lifetimes, shortest first; 0 ends the list. */
const unsigned token_days_offered[] = { 30, 60, 90, 180, 365, 0 };

bool
token_days_valid(unsigned days)
{
	const unsigned	*d;

	for (d = token_days_offered; *d != 0; d++)
		if (*d == days)
			return true;
	return false;
}

int64_t
token_expiry(int64_t from, int64_t ttl_sec)
{
	return from + ttl_sec * 1000000;
}

bool
token_label_valid(const char *s)
{
	const uint8_t	*p = (const uint8_t *)s, *end;
	size_t		 n = strlen(s);
	ucs4_t		 cp;

	if (n > TOKEN_LABEL_MAX || !util_utf8_valid(s, n))
		return false;
	/* No control characters, C0 or C1 (as userName and displayName). */
	for (end = p + n; p < end; ) {
		p += u8_mbtouc(&cp, p, (size_t)(end - p));
		if (uc_is_general_category(cp, UC_CATEGORY_Cc))
			return false;
	}
	return true;
}

bool
token_tenant_valid(const char *s)
{
	size_t	 n = strlen(s);

	return n >= 1 && n <= 64 && strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._@-") == n;
}

static bool
token_set_num(cJSON *o, const char *name, int64_t v)
{
	return json_set(o, name, cJSON_CreateNumber((double)v));
}

static bool
token_set_str(cJSON *o, const char *name, const char *v)
{
	return json_set(o, name, cJSON_CreateString(v));
}

/*
 * Record a tokens event for the token rec through the audit log; detail
 * (a name and a value, both may be NULL) goes into "details".
 */
static enum scim_err
token_audit(struct store_txn *t, const struct scim_config *cfg,
    const cJSON *rec, const char *type, const char *actor, const char *dname,
    const char *dvalue, struct scim_error *err)
{
	struct audit_event	 ev;
	cJSON			*d = NULL;
	enum scim_err		 rc;

	if (dname != NULL && ((d = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(d, dname, dvalue) == NULL)) {
		cJSON_Delete(d);
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.tenant = json_str(rec, "tenant");
	ev.actor = actor ? actor : "";
	ev.target_id = json_str(rec, "id");
	ev.target_name = json_str(rec, "label");
	ev.details = d;
	rc = audit_record(t, cfg, &ev, err);
	cJSON_Delete(d);
	return rc;
}

enum scim_err
token_new_ttl(const struct scim_config *cfg, const char *tenant,
    const char *label, int64_t ttl_sec, const char *created_by, char *out,
    cJSON **rec, struct scim_error *err)
{
	unsigned char	 idb[TOKEN_ID_HEX / 2], sec[TOKEN_SECRET_HEX / 2];
	char		 id[TOKEN_ID_HEX + 1], secret[TOKEN_SECRET_HEX + 1];
	char		 hash[TOKEN_HASH_LEN + 1];
	int64_t		 now = util_now_usec();
	cJSON		*r;
	enum scim_err	 rc = SCIM_OK;

	*rec = NULL;
	if (ttl_sec <= 0 || ttl_sec > 3650LL * 86400)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "the lifetime must be between 1 second and 10 years");
	if (label == NULL)
		label = "";
	if (!token_label_valid(label))
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "the label must be at most %d bytes of UTF-8 text without "
		    "control characters", TOKEN_LABEL_MAX);
	if (!token_tenant_valid(tenant))
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "a tenant is 1 to 64 letters, digits, '.', '_', '@' or "
		    "'-'");
	if (!util_random(idb, sizeof(idb)) || !util_random(sec, sizeof(sec)))
		return scim_fail(err, SCIM_E_INTERNAL, "no randomness");
	util_hex(idb, sizeof(idb), id);
	util_hex(sec, sizeof(sec), secret);
	/* Sealed with the install's key when stored (token_insert()). */
	token_hash_pending(secret, hash);
	if ((r = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(r, "id", id) == NULL ||
	    cJSON_AddStringToObject(r, "tenant", tenant) == NULL ||
	    cJSON_AddStringToObject(r, "hash", hash) == NULL ||
	    cJSON_AddStringToObject(r, "label", label) == NULL ||
	    cJSON_AddNumberToObject(r, "created", (double)now) == NULL ||
	    cJSON_AddStringToObject(r, "created_by",
	    created_by ? created_by : "") == NULL ||
	    cJSON_AddNumberToObject(r, "expires",
	    (double)token_expiry(now, ttl_sec)) == NULL ||
	    cJSON_AddNumberToObject(r, "last_used", 0) == NULL ||
	    cJSON_AddStringToObject(r, "state", "active") == NULL ||
	    cJSON_AddArrayToObject(r, "reminded") == NULL ||
	    cJSON_AddNumberToObject(r, "renewed", 0) == NULL) {
		cJSON_Delete(r);
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
		goto out;
	}
	snprintf(out, TOKEN_LEN + 1, "%s%s_%s", TOKEN_PREFIX, id, secret);
	*rec = r;
out:
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(sec, sizeof(sec));
	return rc;
}

enum scim_err
token_new(const struct scim_config *cfg, const char *tenant,
    const char *label, unsigned days, const char *created_by, char *out,
    cJSON **rec, struct scim_error *err)
{
	return token_new_ttl(cfg, tenant, label, (int64_t)days * 86400,
	    created_by, out, rec, err);
}

enum token_state
token_state(const cJSON *rec, int64_t now)
{
	const char	*st = json_str(rec, "state");

	if (strcmp(st, "revoked") == 0)
		return TOKEN_REVOKED;
	if (json_int(rec, "expires") <= now)
		return TOKEN_EXPIRED;
	if (strcmp(st, "inactive") == 0)
		return TOKEN_INACTIVE;
	if (strcmp(st, "active") == 0)
		return TOKEN_ACTIVE;
	return TOKEN_REVOKED;		/* unknown state: never usable */
}

const char *
token_state_name(enum token_state st)
{
	switch (st) {
	case TOKEN_ACTIVE:
		return "Active";
	case TOKEN_INACTIVE:
		return "Inactive";
	case TOKEN_EXPIRED:
		return "Expired";
	default:
		return "Revoked";
	}
}

struct live_ctx {
	const char	*tenant;
	const char	*except;	/* token id not to count, or NULL */
	int64_t		 now;
	unsigned	 n;
};

static bool
token_live_each(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct live_ctx		*lc = arg;
	enum token_state	 st;

	(void)keep;
	if (strcmp(json_str(obj, "tenant"), lc->tenant) != 0 ||
	    (lc->except != NULL && strcmp(id, lc->except) == 0))
		return true;
	st = token_state(obj, lc->now);
	if (st == TOKEN_ACTIVE || st == TOKEN_INACTIVE)
		lc->n++;
	return true;
}

static enum scim_err
count_live(struct store_txn *t, const char *tenant, const char *except,
    int64_t now, unsigned *n, struct scim_error *err)
{
	struct live_ctx	 lc = { tenant, except, now, 0 };
	enum scim_err	 rc;

	rc = store_token_scan(t, token_live_each, &lc, err);
	*n = lc.n;
	return rc;
}

enum scim_err
token_count_live(struct store_txn *t, const char *tenant, int64_t now,
    unsigned *n, struct scim_error *err)
{
	return count_live(t, tenant, NULL, now, n, err);
}

static enum scim_err
limit_reached(const char *tenant, unsigned n, unsigned max_live,
    struct scim_error *err)
{
	return scim_fail(err, SCIM_E_CONFLICT,
	    "tenant \"%s\" already has %u live tokens (the limit is %u): "
	    "revoke or delete one first, or regenerate it", tenant, n,
	    max_live);
}

/* Insert rec after the limit check, with its event (replaces may be NULL). */
static enum scim_err
insert(struct store_txn *t, const cJSON *rec, unsigned max_live,
    const struct scim_config *cfg, const char *replaces,
    struct scim_error *err)
{
	char		 when[UTIL_TIME_LEN + 1];
	cJSON		*sealed;
	unsigned	 n;
	enum scim_err	 rc;

	rc = token_count_live(t, json_str(rec, "tenant"), util_now_usec(), &n,
	    err);
	if (rc != SCIM_OK)
		return rc;
	if (n >= max_live)
		return limit_reached(json_str(rec, "tenant"), n, max_live, err);
	/* The stored copy holds the keyed hash (token-hash.c). */
	if ((sealed = cJSON_Duplicate(rec, 1)) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	if ((rc = token_seal(t, sealed, NULL, err)) == SCIM_OK)
		rc = store_token_put(t, json_str(rec, "id"), sealed, err);
	cJSON_Delete(sealed);
	if (rc != SCIM_OK)
		return rc;
	util_time_format(json_int(rec, "expires"), when, sizeof(when));
	return token_audit(t, cfg, rec, "token.created",
	    json_str(rec, "created_by"), replaces ? "replaces" : "expires",
	    replaces ? replaces : when, err);
}

enum scim_err
token_insert(struct store_txn *t, const cJSON *rec, unsigned max_live,
    const struct scim_config *cfg, struct scim_error *err)
{
	return insert(t, rec, max_live, cfg, NULL, err);
}

/* --- lifecycle --- */

static const char *const action_names[] = {
	[TOKEN_DISABLE] = "disable",
	[TOKEN_ENABLE] = "enable",
	[TOKEN_RENEW] = "renew",
	[TOKEN_REVOKE] = "revoke",
	[TOKEN_DELETE] = "delete",
};

/* The event each action leaves. */
static const char *const action_events[] = {
	[TOKEN_DISABLE] = "token.disabled",
	[TOKEN_ENABLE] = "token.enabled",
	[TOKEN_RENEW] = "token.renewed",
	[TOKEN_REVOKE] = "token.revoked",
	[TOKEN_DELETE] = "token.deleted",
};

const char *
token_action_name(enum token_action act)
{
	return (unsigned)act <= TOKEN_DELETE ? action_names[act] : "?";
}

bool
token_action_parse(const char *s, enum token_action *act)
{
	unsigned	 i;

	for (i = 0; i <= TOKEN_DELETE; i++)
		if (s != NULL && strcmp(s, action_names[i]) == 0) {
			*act = (enum token_action)i;
			return true;
		}
	return false;
}

enum scim_err
token_transition(cJSON *rec, enum token_action act, int64_t now,
    int64_t ttl_sec, struct scim_error *err)
{
	enum token_state	 st = token_state(rec, now);
	const char		*id = json_str(rec, "id");
	cJSON			*none;
	bool			 ok = true;

	if (act == TOKEN_DELETE)
		return SCIM_OK;
	if (st == TOKEN_REVOKED)
		return scim_fail(err, SCIM_E_CONFLICT,
		    "token %s is revoked: it can only be deleted", id);
	switch (act) {
	case TOKEN_DISABLE:
		if (st == TOKEN_INACTIVE)
			return scim_fail(err, SCIM_E_CONFLICT,
			    "token %s is already disabled", id);
		if (st == TOKEN_EXPIRED)
			return scim_fail(err, SCIM_E_CONFLICT,
			    "token %s has expired: renew it or delete it", id);
		ok = token_set_str(rec, "state", "inactive");
		break;
	case TOKEN_ENABLE:
		if (st == TOKEN_ACTIVE)
			return scim_fail(err, SCIM_E_CONFLICT,
			    "token %s is already active", id);
		if (st == TOKEN_EXPIRED)
			return scim_fail(err, SCIM_E_CONFLICT,
			    "token %s has expired: renew it first", id);
		ok = token_set_str(rec, "state", "active");
		break;
	case TOKEN_RENEW:
		if (ttl_sec <= 0 || ttl_sec > 3650LL * 86400)
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "the lifetime must be between 1 second and 10 "
			    "years");
		none = cJSON_CreateArray();
		ok = token_set_num(rec, "expires",
		    token_expiry(now, ttl_sec)) &&
		    token_set_num(rec, "renewed", now) &&
		    json_set(rec, "reminded", none);
		break;
	case TOKEN_REVOKE:
		ok = token_set_str(rec, "state", "revoked") &&
		    token_set_num(rec, "revoked_at", now);
		break;
	default:
		return scim_fail(err, SCIM_E_INTERNAL, "unknown action");
	}
	return ok ? SCIM_OK : scim_fail(err, SCIM_E_INTERNAL,
	    "out of memory");
}

enum scim_err
token_get(struct store_txn *t, const char *tenant, const char *id,
    cJSON **out, struct scim_error *err)
{
	enum scim_err	 rc;

	*out = NULL;
	if (id == NULL || strlen(id) != TOKEN_ID_HEX ||
	    !is_hex(id, TOKEN_ID_HEX))
		return scim_fail(err, SCIM_E_NOT_FOUND,
		    "no such token (an id is 16 lower-case hex digits)");
	rc = store_token_get(t, id, out, err);
	if (rc == SCIM_E_NOT_FOUND ||
	    (rc == SCIM_OK && tenant != NULL &&
	    strcmp(json_str(*out, "tenant"), tenant) != 0)) {
		cJSON_Delete(*out);
		*out = NULL;
		return scim_fail(err, SCIM_E_NOT_FOUND, "no token %s%s%s", id,
		    tenant ? " in tenant " : "", tenant ? tenant : "");
	}
	return rc;
}

enum scim_err
token_apply(struct store_txn *t, const struct token_op *op,
    struct scim_error *err)
{
	cJSON			*rec = NULL;
	enum token_state	 before;
	int64_t			 now = util_now_usec();
	unsigned		 n;
	char			 when[UTIL_TIME_LEN + 1];
	enum scim_err		 rc;

	if ((unsigned)op->act > TOKEN_DELETE)
		return scim_fail(err, SCIM_E_INTERNAL, "unknown action");
	if ((rc = token_get(t, op->tenant, op->id, &rec, err)) != SCIM_OK)
		return rc;
	before = token_state(rec, now);
	if ((rc = token_transition(rec, op->act, now, op->ttl_sec, err)) !=
	    SCIM_OK)
		goto out;
	if (op->act == TOKEN_RENEW) {
		if (before == TOKEN_EXPIRED) {
			rc = count_live(t, json_str(rec, "tenant"), op->id, now,
			    &n, err);
			if (rc != SCIM_OK)
				goto out;
			if (n >= op->max_live) {
				rc = limit_reached(json_str(rec, "tenant"), n,
				    op->max_live, err);
				goto out;
			}
		}
	}
	if (op->act == TOKEN_DELETE)
		rc = store_token_del(t, op->id, err);
	else
		rc = store_token_put(t, op->id, rec, err);
	util_time_format(json_int(rec, "expires"), when, sizeof(when));
	if (rc == SCIM_OK)
		rc = token_audit(t, op->cfg, rec, action_events[op->act],
		    op->actor, op->act == TOKEN_RENEW ? "expires" : NULL, when,
		    err);
out:
	cJSON_Delete(rec);
	return rc;
}

enum scim_err
token_regenerate(struct store_txn *t, const char *tenant, const char *old_id,
    cJSON *newrec, unsigned max_live, const char *actor,
    const struct scim_config *cfg, struct scim_error *err)
{
	cJSON		*old = NULL;
	int64_t		 now = util_now_usec();
	enum scim_err	 rc;

	if ((rc = token_get(t, tenant, old_id, &old, err)) != SCIM_OK)
		return rc;
	if (token_state(old, now) == TOKEN_REVOKED) {
		rc = scim_fail(err, SCIM_E_CONFLICT,
		    "token %s is revoked: create a new token instead", old_id);
		goto out;
	}
	/* The new token takes over the old one's tenant and label. */
	if (!token_set_str(newrec, "tenant", json_str(old, "tenant")) ||
	    !token_set_str(newrec, "label", json_str(old, "label")) ||
	    !token_set_str(newrec, "replaces", old_id) ||
	    !token_set_str(newrec, "created_by", actor ? actor : "")) {
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
		goto out;
	}
	if ((rc = token_transition(old, TOKEN_REVOKE, now, 0, err)) !=
	    SCIM_OK ||
	    (rc = store_token_put(t, old_id, old, err)) != SCIM_OK)
		goto out;
	if ((rc = token_audit(t, cfg, old, "token.regenerated", actor,
	    "regenerated_as", json_str(newrec, "id"), err)) != SCIM_OK)
		goto out;
	rc = insert(t, newrec, max_live, cfg, old_id, err);
out:
	cJSON_Delete(old);
	return rc;
}

cJSON *
token_public(const cJSON *rec, int64_t now)
{
	cJSON	*o;

	if ((o = cJSON_Duplicate(rec, 1)) == NULL)
		return NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(o, "hash");
	if (!token_set_str(o, "status",
	    token_state_name(token_state(rec, now)))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

struct list_ctx {
	const char	*tenant;
	int64_t		 now;
	cJSON		*out;
	bool		 oom;
};

static bool
token_list_each(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct list_ctx	*lc = arg;
	cJSON		*p;

	(void)id; (void)keep;
	if (lc->tenant != NULL
	    && strcmp(json_str(obj, "tenant"), lc->tenant) != 0)
		return true;
	if ((p = token_public(obj, lc->now)) == NULL) {
		lc->oom = true;
		return false;
	}
	cJSON_AddItemToArray(lc->out, p);
	return true;
}

static int
newest_first(const void *a, const void *b)
{
	int64_t	 x = json_int(*(cJSON *const *)a, "created");
	int64_t	 y = json_int(*(cJSON *const *)b, "created");

	return x < y ? 1 : x > y ? -1 : 0;
}

enum scim_err
token_list(struct store_txn *t, const char *tenant, int64_t now,
    cJSON **out, struct scim_error *err)
{
	struct list_ctx	 lc = { tenant, now, NULL, false };
	cJSON		**v = NULL;
	size_t		 n, i;
	enum scim_err	 rc;

	*out = NULL;
	if ((lc.out = cJSON_CreateArray()) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	if ((rc = store_token_scan(t, token_list_each, &lc, err)) != SCIM_OK)
		goto fail;
	if (lc.oom) {
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
		goto fail;
	}
	n = (size_t)cJSON_GetArraySize(lc.out);
	if (n > 1) {
		if ((v = calloc(n, sizeof(*v))) == NULL) {
			rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
			goto fail;
		}
		for (i = 0; i < n; i++)
			v[i] = cJSON_DetachItemFromArray(lc.out, 0);
		qsort(v, n, sizeof(*v), newest_first);
		for (i = 0; i < n; i++)
			cJSON_AddItemToArray(lc.out, v[i]);
		free(v);
	}
	*out = lc.out;
	return SCIM_OK;
fail:
	cJSON_Delete(lc.out);
	return rc;
}

/* --- reminders --- */

unsigned
token_reminder_level(const cJSON *rec, int64_t now)
{
	enum token_state	 st = token_state(rec, now);
	int64_t			 expires, start, left, life, day;
	size_t			 i;

	if (st != TOKEN_ACTIVE && st != TOKEN_INACTIVE)
		return 0;
	expires = json_int(rec, "expires");
	if ((start = json_int(rec, "renewed")) == 0)
		start = json_int(rec, "created");
	left = expires - now;
	life = expires - start;
	for (i = 0; i < sizeof(remind_days) / sizeof(remind_days[0]); i++) {
		day = (int64_t)remind_days[i] * TOKEN_DAY_USEC;
		if (left <= day && (life > day || i == 0))
			return remind_days[i];
	}
	return 0;
}

bool
token_reminded(const cJSON *rec, unsigned days)
{
	const cJSON	*a = cJSON_GetObjectItemCaseSensitive(rec, "reminded");
	const cJSON	*v;

	cJSON_ArrayForEach(v, a)
		if (cJSON_IsNumber(v) && v->valuedouble == (double)days)
			return true;
	return false;
}

enum scim_err
token_mark_reminded(struct store_txn *t, const struct scim_config *cfg,
    const char *id, unsigned days, struct scim_error *err)
{
	cJSON		*rec = NULL, *a;
	enum scim_err	 rc;
	char		 d[16];

	if ((rc = store_token_get(t, id, &rec, err)) != SCIM_OK)
		return rc;
	if (!token_reminded(rec, days)) {
		a = cJSON_GetObjectItemCaseSensitive(rec, "reminded");
		if (!cJSON_IsArray(a)) {
			a = cJSON_CreateArray();
			if (!json_set(rec, "reminded", a)) {
				rc = scim_fail(err, SCIM_E_INTERNAL,
				    "out of memory");
				goto out;
			}
		}
		cJSON_AddItemToArray(a, cJSON_CreateNumber(days));
		snprintf(d, sizeof(d), "%u", days);
		if ((rc = store_token_put(t, id, rec, err)) == SCIM_OK)
			rc = token_audit(t, cfg, rec, "token.expiring",
			    "cli:remind", "days_left_threshold", d, err);
	}
out:
	cJSON_Delete(rec);
	return rc;
}
