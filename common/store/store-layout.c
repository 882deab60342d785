/*
 * The store's layout version (meta.db "schema_version") and the one move
 * between layouts the store still makes: from layout 2 to 3, which keeps
 * a user's groups next to its record in users.db.  Runs inside an open
 * (store-env.c), behind the closed gate, through store_run().
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <db.h>

#include "base/log.h"
#include "base/util.h"
#include "store/store-int.h"

/*
 * The store's layout version (meta.db "schema_version"), recorded in a new
 * store; a newer one is refused.  Layout 2 sharded the audit keys and
 * reads layout 1, so that step is only recorded.  Layout 3 keeps a user's
 * groups next to its record (store_layout_check()).
 */
struct layout {
	long		 version;
	bool		 moving;	/* a move to layout 3 was not finished */
};

#define MOVING_KEY	"memberof_moving"
#define MOVE_BATCH	2000		/* memberships per transaction */

static enum scim_err
check_version(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct layout	*l = arg;
	char		 buf[32];
	enum scim_err	 rc;

	l->moving = false;
	rc = store_meta_get(t, "schema_version", buf, sizeof(buf), err);
	if (rc == SCIM_E_NOT_FOUND) {
		l->version = STORE_SCHEMA_VERSION;
		snprintf(buf, sizeof(buf), "%d", STORE_SCHEMA_VERSION);
		return store_meta_put(t, "schema_version", buf, err);
	}
	if (rc != SCIM_OK)
		return rc;
	if (!util_parse_long(buf, 1, 1000000, &l->version) ||
	    l->version > STORE_SCHEMA_VERSION)
		return scim_fail(err, SCIM_E_INTERNAL,
		    "store layout version %s is newer than this program (%d)",
		    buf, STORE_SCHEMA_VERSION);
	if (l->version < 2) {
		l->version = 2;
		return store_meta_put(t, "schema_version", "2", err);
	}
	rc = store_meta_get(t, MOVING_KEY, buf, sizeof(buf), err);
	l->moving = rc == SCIM_OK;
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

/* Record layout 3 and that the move to it has begun. */
static enum scim_err
move_begin(struct store_txn *t, void *arg, struct scim_error *err)
{
	enum scim_err	 rc;

	(void)arg;
	if ((rc = store_meta_put(t, "schema_version", "3", err)) != SCIM_OK)
		return rc;
	return store_meta_put(t, MOVING_KEY, "1", err);
}

static enum scim_err
move_end(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct key	 k = { (char *)MOVING_KEY, strlen(MOVING_KEY) };
	enum scim_err	 rc;

	(void)arg;
	rc = store_rec_del(t, DBI_META, &k, err);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

struct move_ctx {
	char		 from[3 * (STORE_ID_MAX + 1)];	/* where to go on */
	size_t		 fromlen;			/* 0: the start */
	char		 next[3 * (STORE_ID_MAX + 1)];	/* ... after this one */
	size_t		 nextlen;
	size_t		 moved;
	size_t		 batch;				/* moved by this one */
	bool		 done;
};

/*
 * Move the next MOVE_BATCH users' memberships (tenant\0uid\0gid, whose
 * tenant\0uid is a user's record) from memberof.db to users.db.  Groups'
 * memberships (nested groups) stay; so do entries naming no user.
 */
static enum scim_err
move_batch(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct move_ctx	*m = arg;
	DB		*users = t->s->db[DBI_USERS];
	DBC		*c = NULL;
	DBT		 key, data, rk, rd;
	struct key	 k;
	enum scim_err	 rc = SCIM_OK;
	char		*nul;
	size_t		 n = 0, rlen;
	int		 ret;

	m->done = false;
	m->batch = 0;
	m->nextlen = m->fromlen;
	memcpy(m->next, m->from, m->fromlen);
	if ((ret = t->s->db[DBI_MEMBEROF]->cursor(t->s->db[DBI_MEMBEROF],
	    t->txn, &c, 0)) != 0)
		return store_dberr(t, ret, "cursor", err);
	store_dbt_set(&key, m->from, m->fromlen);
	store_dbt_set(&data, NULL, 0);
	ret = c->get(c, &key, &data, m->fromlen > 0 ? DB_SET_RANGE | DB_RMW :
	    DB_FIRST | DB_RMW);
	for (; ret == 0 && n < MOVE_BATCH; ret = c->get(c, &key, &data,
	    DB_NEXT | DB_RMW)) {
		if (key.size >= sizeof(m->next))
			continue;		/* no key of ours is this long */
		memcpy(m->next, key.data, key.size);
		m->nextlen = key.size;
		/* tenant\0uid\0gid: the record's key is tenant\0uid. */
		if ((nul = memchr(m->next, '\0', key.size)) == NULL ||
		    (nul = memchr(nul + 1, '\0',
		    key.size - (size_t)(nul + 1 - m->next))) == NULL)
			continue;
		rlen = (size_t)(nul - m->next);
		store_dbt_set(&rk, m->next, rlen);
		store_dbt_set(&rd, NULL, 0);
		rd.flags = DB_DBT_PARTIAL;	/* existence only */
		t->s->st.gets++;
		ret = users->get(users, t->txn, &rk, &rd, 0);
		if (ret == DB_NOTFOUND)
			continue;
		if (ret != 0) {
			rc = store_dberr(t, ret, "users.db", err);
			goto out;
		}
		k.buf = m->next;
		k.len = m->nextlen;
		if ((rc = store_rec_put(t, DBI_USERS, &k, "", 0, 0, err)) !=
		    SCIM_OK)
			goto out;
		t->s->st.dels++;
		if ((ret = c->del(c, 0)) != 0)
			break;
		n++;
	}
	if (ret == DB_NOTFOUND)
		m->done = true;
	else if (ret != 0)
		rc = store_dberr(t, ret, "memberof.db", err);
	m->batch = n;
out:
	c->close(c);
	return rc;
}

/*
 * Layout 3 keeps the "user uid is in group gid" half of each membership
 * in users.db under tenant\0uid\0gid, next to the user's record
 * (tenant\0uid), instead of in memberof.db: reading a user then finds its
 * groups on the page its record is on, one random page instead of two
 * (the GET handler in-process, over random users of a 260,000-user
 * store: 8.8 -> 7.9 us).  Groups' memberships (nested groups) stay in
 * memberof.db.
 *
 * An open of a layout-2 store moves them, in transactions of MOVE_BATCH,
 * under the closed gate, but only when no other process has the
 * environment open: a program of an older version, still running during
 * an upgrade, would go on using memberof.db.  The move first records
 * layout 3 (which older programs refuse to open) and MOVING_KEY; an open
 * that finds that mark finishes the move (whoever began it died).  Not
 * alone, the process uses layout 2 as it is (s->beside false) until an
 * open that is alone moves it (the next start of the web server).
 */
enum scim_err
store_layout_check(struct store *s, struct scim_error *err)
{
	struct layout	 l;
	struct move_ctx	*m;
	enum scim_err	 rc;

	if ((rc = store_run(s, check_version, &l, err)) != SCIM_OK)
		return rc;
	if (l.version >= 3 && !l.moving) {
		s->beside = true;
		return SCIM_OK;
	}
	if (l.version < 3 && !store_gate_alone(s)) {
		s->beside = false;
		log_info("%s: store layout %ld kept while other processes "
		    "(perhaps of an older version) have the store open; the "
		    "first program to open it alone moves it to layout 3",
		    s->home, l.version);
		return SCIM_OK;
	}
	s->beside = true;
	if (l.version < 3 && (rc = store_run(s, move_begin, NULL, err)) !=
	    SCIM_OK)
		return rc;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return scim_oom(err);
	while ((rc = store_run(s, move_batch, m, err)) == SCIM_OK) {
		m->moved += m->batch;
		memcpy(m->from, m->next, m->nextlen);
		m->fromlen = m->nextlen;
		if (m->done)
			break;
	}
	if (rc == SCIM_OK)
		rc = store_run(s, move_end, NULL, err);
	if (rc == SCIM_OK)
		log_info("%s: store layout 3: moved %zu users' memberships "
		    "next to their records", s->home, m->moved);
	free(m);
	return rc;
}
