/*
 * Reading the activity records (scimctl activity, the admin page) and
 * pruning their files.  See activity.h for the files.
 *
 * A query reads files newest first and keeps the newest `limit` matches
 * in hits[].  Files of several processes overlap in time, so a file is
 * skipped only once hits[] is full and the file's last write is older
 * than the oldest hit: nothing in it can be newer.
 *
 * A query about one user (--user, the page's user history) reads every
 * file; a line that does not hold the user's name or one of its ids as
 * text cannot be about it, so it is not parsed at all.  Parsing is what
 * costs: searching 214 MB of records (240,000) for a user took 1.4 s of
 * CPU, 0.35-0.5 s with this test first.  Names and ids with characters
 * JSON might escape are not tested so: every line is parsed then.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/activity.h"
#include "audit/activity-int.h"
#include "audit/audit.h"
#include "audit/audit-int.h"
#include "base/util.h"

#define USER_IDS_MAX	16	/* ids one userName resolves to */
/*
 * How much earlier than its file's start a record's time may be: a
 * record is timed by its request's start but written at its end, and
 * a file is named by the time it was opened, for the record that made
 * it.  An hour: no request lasts that long.
 */
#define FILE_START_SLACK	(3600 * (int64_t)1000000)
/*
 * How much later than its file's mtime a record's time may be: the
 * kernel stamps files from a coarse clock, up to a tick behind the one
 * records are timed by (seen: a record 51 us after its file's last
 * write).  A second.
 */
#define FILE_MTIME_SLACK	((int64_t)1000000)

bool
activity_dir(const struct scim_config *cfg, char *buf, size_t sz)
{
	int	 n = snprintf(buf, sz, "%s/%s", cfg->home, ACTIVITY_DIR);

	return n > 0 && (size_t)n < sz;
}

/* Is name "<16 hex>-<digits>.jsonl"?  Its start time into *start. */
static bool
file_name_parse(const char *name, int64_t *start)
{
	size_t	 n = strlen(name), sl = strlen(ACTIVITY_FILE_SUFFIX);

	if (n >= ACTIVITY_NAME_MAX || n < 18 + sl ||
	    strspn(name, "0123456789abcdef") != 16 || name[16] != '-' ||
	    strspn(name + 17, "0123456789") != n - 17 - sl ||
	    strcmp(name + n - sl, ACTIVITY_FILE_SUFFIX) != 0)
		return false;
	*start = audit_id_time(name);
	return true;
}

static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct activity_file *)a)->name,
	    ((const struct activity_file *)b)->name);
}

bool
activity_files(const char *dir, struct activity_file **out, size_t *n)
{
	struct activity_file	*f = NULL, *nf;
	struct dirent		*de;
	struct stat		 st;
	char			 path[4096 + ACTIVITY_NAME_MAX];
	size_t			 cap = 0;
	int64_t			 start;
	DIR			*d;

	*out = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT;
	while ((de = readdir(d)) != NULL) {
		if (!file_name_parse(de->d_name, &start))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0)
			continue;	/* pruned meanwhile */
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nf = realloc(f, cap * sizeof(*f))) == NULL) {
				free(f);
				closedir(d);
				return false;
			}
			f = nf;
		}
		snprintf(f[*n].name, sizeof(f[*n].name), "%s", de->d_name);
		f[*n].start = start;
		f[*n].mtime = (int64_t)st.st_mtim.tv_sec * 1000000 +
		    st.st_mtim.tv_nsec / 1000;
		f[*n].size = st.st_size;
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(f, *n, sizeof(*f), file_cmp);
	*out = f;
	return true;
}

/*
 * What a line must hold, as text, to be parsed (one of n needles; the
 * first any case, the others exactly); n == 0: every line is parsed.
 */
struct line_need {
	const char	*text[USER_IDS_MAX + 1];
	size_t		 n;
};

/*
 * Is s safe to look for as text in a JSON line: written there as is,
 * whatever the writer escapes?  Letters, digits and a few marks only.
 */
static bool
need_safe(const char *s)
{
	return *s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._+-") == strlen(s);
}

/* Add s to ln, or make ln test nothing when s is not safe to look for. */
static void
need_add(struct line_need *ln, const char *s)
{
	if (ln->n == (size_t)-1 || ln->n == USER_IDS_MAX + 1)
		return;
	if (!need_safe(s))
		ln->n = (size_t)-1;	/* parse every line */
	else
		ln->text[ln->n++] = s;
}

/* Might line be about what ln names? */
static bool
line_holds(const struct line_need *ln, const char *line)
{
	size_t	 i;

	if (ln == NULL || ln->n == 0 || ln->n == (size_t)-1)
		return true;
	if (strcasestr(line, ln->text[0]) != NULL)
		return true;
	for (i = 1; i < ln->n; i++)
		if (strstr(line, ln->text[i]) != NULL)
			return true;
	return false;
}

/*
 * Call fn(arg, rec) for each record of file name in dir that parses
 * (a torn last line after a crash does not) and holds what need names
 * (NULL: every one), oldest first; fn takes rec over when it returns
 * true.  A file pruned meanwhile has no records.
 */
static void
file_each(const char *dir, const char *name, const struct line_need *need,
    bool (*fn)(void *, cJSON *), void *arg)
{
	char	 path[4096 + ACTIVITY_NAME_MAX], *line = NULL;
	size_t	 cap = 0;
	ssize_t	 len;
	cJSON	*rec;
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n')
			break;		/* being written, or torn */
		if (!line_holds(need, line))
			continue;
		if ((rec = cJSON_ParseWithLength(line, (size_t)len)) == NULL)
			continue;
		if (!fn(arg, rec))
			cJSON_Delete(rec);
	}
	free(line);
	fclose(f);
}

/* --- queries --- */

struct activity_scan {
	const struct activity_query	*q;
	int64_t				 cutoff;	/* retention */
	cJSON				*user_ids;	/* --user's ids */
	cJSON				**hits;		/* newest first */
	unsigned			 n, want;
};

static const char *
rec_str(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static bool
ids_have(const cJSON *ids, const char *id)
{
	const cJSON	*v;

	cJSON_ArrayForEach(v, ids)
		if (strcmp(v->valuestring, id) == 0)
			return true;
	return false;
}

/* Is rec about user u (a userName or id), or one of its ids? */
static bool
rec_about(const cJSON *rec, const char *u, const cJSON *ids)
{
	const cJSON	*tg = cJSON_GetObjectItemCaseSensitive(rec, "target");
	const cJSON	*m;
	const char	*f = rec_str(rec, "filter"), *p;
	size_t		 n = strlen(u);

	if (strcmp(rec_str(tg, "type"), "Group") != 0 &&
	    (strcasecmp(rec_str(tg, "name"), u) == 0 ||
	    strcmp(rec_str(tg, "id"), u) == 0 ||
	    ids_have(ids, rec_str(tg, "id"))))
		return true;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(rec, "members"))
		if (cJSON_IsString(m) && (strcmp(m->valuestring, u) == 0 ||
		    ids_have(ids, m->valuestring)))
			return true;
	/* A lookup: userName eq "u". */
	for (p = f; (p = strchr(p, '"')) != NULL; p++)
		if (strncasecmp(p + 1, u, n) == 0 && p[n + 1] == '"')
			return true;
	return false;
}

static bool
rec_match(const struct activity_scan *sc, const cJSON *rec, int64_t t)
{
	const struct activity_query	*q = sc->q;
	const cJSON			*st;

	if (t < sc->cutoff || (q->since != 0 && t < q->since) ||
	    (q->until != 0 && t > q->until))
		return false;
	if (q->tenant != NULL && strcmp(rec_str(rec, "tenant"), q->tenant) != 0)
		return false;
	st = cJSON_GetObjectItemCaseSensitive(rec, "status");
	if (q->errors && (!cJSON_IsNumber(st) || st->valueint < 400))
		return false;
	if (q->client != NULL && strcmp(rec_str(rec, "client"), q->client) != 0)
		return false;
	if (q->method != NULL && strcmp(rec_str(rec, "method"), q->method) != 0)
		return false;
	return q->user == NULL || rec_about(rec, q->user, sc->user_ids);
}

/* Keep rec in hits[] when it matches and is among the newest. */
static bool
scan_each(void *arg, cJSON *rec)
{
	struct activity_scan	*sc = arg;
	const char		*id = rec_str(rec, "id");
	unsigned		 i;

	if (strlen(id) != AUDIT_ID_LEN)
		return false;
	if (sc->q->before != NULL && strcmp(id, sc->q->before) >= 0)
		return false;
	if (sc->n == sc->want && strcmp(id,
	    rec_str(sc->hits[sc->n - 1], "id")) <= 0)
		return false;
	if (!rec_match(sc, rec, audit_id_time(id)))
		return false;
	for (i = sc->n; i > 0 && strcmp(rec_str(sc->hits[i - 1], "id"), id) <
	    0; i--)
		continue;
	if (sc->n == sc->want)
		cJSON_Delete(sc->hits[--sc->n]);
	memmove(sc->hits + i + 1, sc->hits + i, (sc->n - i) *
	    sizeof(*sc->hits));
	sc->hits[i] = rec;
	sc->n++;
	return true;
}

/*
 * Note the ids of the user records named q->user (its DELETE has none),
 * in q->tenant only: another tenant's user of that name is another user.
 */
static bool
ids_each(void *arg, cJSON *rec)
{
	struct activity_scan	*sc = arg;
	const cJSON		*tg = cJSON_GetObjectItemCaseSensitive(rec,
				    "target");
	const char		*id = rec_str(tg, "id");

	if (sc->q->tenant != NULL && strcmp(rec_str(rec, "tenant"),
	    sc->q->tenant) != 0)
		return false;
	if (strcmp(rec_str(tg, "type"), "User") == 0 && id[0] != '\0' &&
	    strcasecmp(rec_str(tg, "name"), sc->q->user) == 0 &&
	    !ids_have(sc->user_ids, id) &&
	    cJSON_GetArraySize(sc->user_ids) < USER_IDS_MAX)
		cJSON_AddItemToArray(sc->user_ids, cJSON_CreateString(id));
	return false;
}

enum scim_err
activity_query(const struct scim_config *cfg, const struct activity_query *q,
    cJSON **out, struct scim_error *err)
{
	struct activity_scan	 sc;
	struct activity_file	*f;
	struct line_need	 need, *np = NULL;
	const cJSON		*v;
	char			 dir[4096];
	size_t			 nf, i;
	enum scim_err		 rc = SCIM_OK;

	*out = NULL;
	memset(&sc, 0, sizeof(sc));
	sc.q = q;
	sc.want = q->limit ? q->limit : 100;
	sc.cutoff = util_now_usec() -
	    (int64_t)cfg->activity_retention_days * 86400 * 1000000;
	if (!activity_dir(cfg, dir, sizeof(dir)))
		return scim_fail(err, SCIM_E_INTERNAL, "the data home's path "
		    "is too long");
	if (!activity_files(dir, &f, &nf))
		return scim_fail(err, SCIM_E_INTERNAL, "cannot read %s", dir);
	if ((sc.hits = calloc(sc.want, sizeof(*sc.hits))) == NULL ||
	    (sc.user_ids = cJSON_CreateArray()) == NULL ||
	    (*out = cJSON_CreateArray()) == NULL) {
		rc = scim_oom(err);
		goto out;
	}
	memset(&need, 0, sizeof(need));
	if (q->user != NULL) {
		np = &need;
		need_add(&need, q->user);
	}
	for (i = 0; q->user != NULL && i < nf; i++)
		file_each(dir, f[i].name, np, ids_each, &sc);
	cJSON_ArrayForEach(v, sc.user_ids)
		need_add(&need, v->valuestring);
	for (i = nf; i > 0; i--) {
		if (sc.n == sc.want && f[i - 1].mtime + FILE_MTIME_SLACK <
		    audit_id_time(rec_str(sc.hits[sc.n - 1], "id")))
			continue;
		if (f[i - 1].mtime < sc.cutoff)
			continue;
		file_each(dir, f[i - 1].name, np, scan_each, &sc);
	}
	for (i = 0; i < sc.n; i++)
		cJSON_AddItemToArray(*out, sc.hits[i]);
	sc.n = 0;
out:
	while (sc.n > 0)
		cJSON_Delete(sc.hits[--sc.n]);
	free(sc.hits);
	cJSON_Delete(sc.user_ids);
	free(f);
	return rc;
}

/* --- one record, and the one before it --- */

struct activity_find {
	const char	*tenant;
	const char	*id;
	cJSON		*found;		/* the record asked for */
	const char	*target;	/* its target id, for the 2nd pass */
	cJSON		*before;	/* newest earlier record with "after" */
};

static bool
find_each(void *arg, cJSON *rec)
{
	struct activity_find	*fd = arg;

	if (fd->found != NULL || strcmp(rec_str(rec, "id"), fd->id) != 0 ||
	    (fd->tenant != NULL && strcmp(rec_str(rec, "tenant"),
	    fd->tenant) != 0))
		return false;
	fd->found = rec;
	return true;
}

static bool
before_each(void *arg, cJSON *rec)
{
	struct activity_find	*fd = arg;
	const char		*id = rec_str(rec, "id");
	const cJSON		*tg;

	tg = cJSON_GetObjectItemCaseSensitive(rec, "target");
	if (strcmp(id, fd->id) >= 0 || strcmp(rec_str(tg, "id"),
	    fd->target) != 0 || strcmp(rec_str(rec, "tenant"),
	    rec_str(fd->found, "tenant")) != 0 ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(rec, "after")) ||
	    (fd->before != NULL && strcmp(id, rec_str(fd->before, "id")) < 0))
		return false;
	cJSON_Delete(fd->before);
	fd->before = rec;
	return true;
}

enum scim_err
activity_get(const struct scim_config *cfg, const char *tenant,
    const char *id, cJSON **out, struct scim_error *err)
{
	struct activity_find	 fd;
	struct activity_file	*f;
	char			 dir[4096];
	size_t			 nf, i;
	int64_t			 t;
	cJSON			*after;

	*out = NULL;
	memset(&fd, 0, sizeof(fd));
	fd.tenant = tenant;
	fd.id = id;
	if (!audit_id_valid(id))
		return scim_fail(err, SCIM_E_NOT_FOUND, "no such record");
	t = audit_id_time(id);
	if (!activity_dir(cfg, dir, sizeof(dir)) ||
	    !activity_files(dir, &f, &nf))
		return scim_fail(err, SCIM_E_INTERNAL, "cannot read %s", dir);
	for (i = 0; i < nf && fd.found == NULL; i++)
		if (f[i].start <= t + FILE_START_SLACK &&
		    f[i].mtime + FILE_MTIME_SLACK >= t)
			file_each(dir, f[i].name, NULL, find_each, &fd);
	fd.target = rec_str(cJSON_GetObjectItemCaseSensitive(fd.found,
	    "target"), "id");
	for (i = 0; fd.found != NULL && fd.target[0] != '\0' && i < nf; i++)
		if (f[i].start <= t + FILE_START_SLACK)
			file_each(dir, f[i].name, NULL, before_each, &fd);
	free(f);
	if (fd.found == NULL)
		return scim_fail(err, SCIM_E_NOT_FOUND, "no such record");
	if (fd.before != NULL) {
		after = cJSON_DetachItemFromObjectCaseSensitive(fd.before,
		    "after");
		cJSON_AddItemToObject(fd.found, "before", after);
		cJSON_Delete(fd.before);
	}
	*out = fd.found;
	return SCIM_OK;
}

/* --- retention and the cap --- */

/* Delete file f of dir, counting it in st. */
static void
prune_file(const char *dir, const struct activity_file *f,
    struct activity_prune_stats *st)
{
	char	 path[4096 + ACTIVITY_NAME_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, f->name);
	if (unlink(path) != 0)
		return;
	st->files++;
	st->bytes += (unsigned long)f->size;
}

void
activity_prune(const struct scim_config *cfg, int64_t now,
    struct activity_prune_stats *stp)
{
	struct activity_prune_stats	 st0, *st = stp ? stp : &st0;
	struct activity_file		*f;
	char				 dir[4096];
	uint64_t			 total = 0, cap;
	int64_t				 cutoff;
	size_t				 nf, i;

	memset(st, 0, sizeof(*st));
	if (now == 0)
		now = util_now_usec();
	cutoff = now - (int64_t)cfg->activity_retention_days * 86400 * 1000000;
	cap = (uint64_t)cfg->activity_max_mb * 1024 * 1024;
	if (!activity_dir(cfg, dir, sizeof(dir)) ||
	    !activity_files(dir, &f, &nf))
		return;
	for (i = 0; i < nf; i++) {
		if (f[i].mtime < cutoff) {
			prune_file(dir, &f[i], st);
			f[i].size = -1;		/* gone */
		} else
			total += (uint64_t)f[i].size;
	}
	/* Oldest first, until the rest fit. */
	for (i = 0; i < nf && total > cap; i++) {
		if (f[i].size < 0)
			continue;
		total -= (uint64_t)f[i].size;
		prune_file(dir, &f[i], st);
	}
	free(f);
}
