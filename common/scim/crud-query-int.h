/*
 * What crud-query.c (a query's plan and index pages) and crud-cursor.c
 * (its RFC 9865 cursor pages) share: the parsed query, the context of a
 * run of it, and the steps both take.
 *
 * OWNS: nothing but these declarations.  MUST NOT KNOW: anything outside
 * the two files.
 */
#ifndef SCIM_CRUD_QUERY_INT_H
#define SCIM_CRUD_QUERY_INT_H

#include "scim/crud-int.h"

/* A parsed query: what matches, which page, in what order, shown how. */
struct query {
	struct filter		*filter;
	long			 start;		/* 1-based */
	long			 count;
	struct schema_path	 sort;
	bool			 sorted;
	bool			 descending;
	const char		*attributes;
	const char		*excluded;
	const char		*filter_text;	/* as sent */
	const char		*cursor;	/* RFC 9865 "cursor", NULL: none
						   ("": the first page) */
	struct store_cursor	 cur;		/* where the walk goes on */
};

/*
 * One run of a query: its plan (list_plan()) and, out, the matches the
 * transaction found; crud_list_fn() resets the outputs, as it may run
 * again.
 */
struct list_ctx {
	struct scim_call	*c;
	const struct resource_type	*rt;
	struct query		*q;
	struct store_txn	*t;
	bool			 filter_backref; /* filter reads it */
	bool			 want_backref;	/* output shows it */
	bool			 page_backref;	/* load it for page entries in
						   the scan's transaction */
	size_t			 total;
	cJSON			*page;		/* out: matching, in order */
	struct attrsel		 sel;		/* q's lists, parsed once for
						   every entry rendered */
	bool			 shows_whole;	/* crud_answers_whole() */
	bool			 whole;		/* and a filter that an index
						   hit matches, a page of it */
	bool			 no_total;	/* out: total unknown (cursor
						   page of a filter) */
	bool			 pinned;	/* out: a cursor query answered
						   whole from an index */
	bool			 more;		/* out: a cursor walk goes on
						   (backwards: past lo) */
	char			 lo[STORE_ID_MAX + 1]; /* out: lowest and */
	char			 hi[STORE_ID_MAX + 1]; /* highest id that a
						   cursor page covers */
	size_t			 examined;	/* by a cursor walk */
	enum scim_err		 rc;
	struct scim_error	*err;
};

/* One candidate of a scan: match it, count it, keep it when on the page. */
bool		 crud_list_each(void *arg, const char *id, cJSON *obj,
		    bool *keep);
/*
 * Read the records of ids[0..nids) into lc->page, in order, whole from
 * their stored text where the answer allows.
 */
enum scim_err	 crud_page_read_ids(struct store_txn *t, struct list_ctx *lc,
		    char (*ids)[STORE_ID_MAX + 1], size_t nids,
		    struct scim_error *err);
/* An index query's store_fn (arg: a planned struct list_ctx). */
enum scim_err	 crud_list_fn(struct store_txn *t, void *arg,
		    struct scim_error *err);

/*
 * Where q's cursor walk goes on: the first page ("" cursor), or the
 * position its cursor holds, checked (400 invalidCursor, invalidCount,
 * expiredCursor: RFC 9865 section 2.1).
 */
enum scim_err	 crud_cursor_begin(struct scim_call *c, struct query *q,
		    struct scim_error *err);
/* A cursor query's store_fn (arg: a planned struct list_ctx). */
enum scim_err	 crud_cursor_fn(struct store_txn *t, void *arg,
		    struct scim_error *err);
/* Make c's ListResponse a cursor page's: nextCursor, previousCursor. */
enum scim_err	 crud_cursor_answer(struct scim_call *c, struct query *q,
		    struct list_ctx *lc, struct scim_error *err);

#endif /* SCIM_CRUD_QUERY_INT_H */
