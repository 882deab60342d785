/*
 * Internals shared by the files of the filter module (not installed, not
 * for other modules): the parsed tree, the parser's state, and the few
 * helpers more than one of its files calls.
 *
 *   filter.c        characters and strings, the tree, questions about a
 *                   parsed filter (index hints, filter_uses)
 *   filter-parse.c  errors, building blocks, the grammar and the public
 *                   entry points filter_parse(), filter_parse_sub()
 *   filter-term.c   one comparison's pieces: attribute names resolved
 *                   against the schema, operators, values and their
 *                   binding to the attribute's type
 *   filter-eval.c   filter_match() and sortBy's filter_compare()
 *
 * Owns: the tree's layout and how the files of this module talk to each
 * other.  Must not know: HTTP, the store, how callers list or sort
 * resources (they ask through filter.h).
 */
#ifndef SCIM_FILTER_INT_H
#define SCIM_FILTER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/filter.h"
#include "scim/schema.h"

/* --- the tree --- */

enum fop {
	OP_EQ,
	OP_NE,
	OP_CO,
	OP_SW,
	OP_EW,
	OP_GT,
	OP_GE,
	OP_LT,
	OP_LE,
	OP_PR
};

enum fkind {
	FK_AND,		/* every operand matches */
	FK_OR,		/* some operand matches */
	FK_NOT,		/* kids[0] does not match */
	FK_CMP,		/* name[.sub] op value, or pr */
	FK_VALPATH	/* name[kids[0]], kids[1] on the same element */
};

/* How a CMP node compares the stored values it finds. */
enum fcmp {
	CMP_PRESENCE,	/* pr, eq null, ne null */
	CMP_STRING,	/* string forms; case_exact decides */
	CMP_BOOLEAN,	/* val.b */
	CMP_NUMBER,	/* val.num */
	CMP_DATETIME,	/* val.usec, as instants */
	CMP_DYNAMIC	/* unknown attribute: by each stored value's type */
};

enum fvtype {
	FV_STRING,	/* quoted, or a bare word that is nothing else */
	FV_NUMBER,	/* a bare JSON number */
	FV_BOOL,	/* bare true or false, any case */
	FV_NULL		/* bare null, any case */
};

/* The comparison value of a CMP node. */
struct fvalue {
	enum fvtype	 type;		/* as written in the filter */
	char		*text;		/* decoded string, or the bare token */
	char		*fold;		/* util_fold() of text, for caseless
					   string comparisons, else NULL */
	double		 num;		/* numeric value, when has_num */
	long long	 usec;		/* instant, when has_time */
	bool		 b;		/* the boolean, for CMP_BOOLEAN */
	bool		 has_num;	/* text reads as a JSON number */
	bool		 has_time;	/* text reads as a dateTime */
};

struct filter {
	enum fkind	  kind;
	struct filter	**kids;		/* operands of AND/OR/NOT/VALPATH */
	size_t		  nkids;
	size_t		  capkids;
	char		 *urn;		/* extension object holding name */
	char		 *name;		/* attribute; canonical when known */
	char		 *sub;		/* sub-attribute, or NULL */
	enum fop	  op;		/* CMP only */
	enum fcmp	  cmp;		/* CMP only */
	bool		  case_exact;	/* CMP_STRING only */
	struct fvalue	  val;		/* CMP only, unless op is pr */
};

/* Is op one of gt, ge, lt, le? */
static inline bool
filter_op_orders(enum fop op)
{
	return op == OP_GT || op == OP_GE || op == OP_LT || op == OP_LE;
}

/* Is op one of co, sw, ew? */
static inline bool
filter_op_substr(enum fop op)
{
	return op == OP_CO || op == OP_SW || op == OP_EW;
}

/* --- the parser's state --- */

/* What parse time knows about the attribute of a CMP or VALPATH node. */
struct target {
	const struct schema_attr	*top;	  /* attribute, or NULL */
	const struct schema_attr	*def;	  /* what is compared or NULL */
	bool				 complex; /* def is complex, no value */
	bool				 id_value; /* def is the "value" of an
						      attribute holding ids
						      (schema_value_is_id()):
						      compared exactly */
};

struct parser {
	const char			*s;	   /* the filter text */
	size_t				 len;
	size_t				 pos;	   /* next byte to read */
	int				 depth;	   /* current nesting */
	const struct resource_type	*rt;	   /* may be NULL */
	bool				 in_sub;   /* names: sub-attributes */
	const struct schema_attr	*parent;   /* ... of this, or NULL */
	const char			*parent_name; /* for messages */
	enum scim_err			 rc;	   /* first failure */
	struct scim_error		*err;	   /* may be NULL */
};

/* --- filter.c: characters and strings --- */

bool		 filter_is_ws(int c);
bool		 filter_word_eq(const char *s, size_t len, const char *kw);
int		 filter_fold_cmp(const char *a, const char *b, bool exact);
bool		 filter_same_name(const char *a, const char *b);
bool		 filter_json_number(const char *s, double *num);

/* --- filter-parse.c: errors and building blocks --- */

void		 filter_perr(struct parser *p, size_t at, bool found,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void		 filter_oom(struct parser *p);
char		*filter_dup_text(struct parser *p, const char *s, size_t len);
void		 filter_skip_ws(struct parser *p);
size_t		 filter_word_len(const struct parser *p, size_t at);

/* --- filter-term.c: names, operators, values --- */

int		 filter_op_lookup(const struct parser *p, size_t at, size_t wl);
const char	*filter_display_name(const struct filter *f, char *buf,
		    size_t sz);
bool		 filter_resolve_top(struct parser *p, struct filter *f,
		    size_t at, size_t len, struct target *tg);
bool		 filter_resolve_sub(struct parser *p, struct filter *f,
		    size_t at, size_t len, const struct schema_attr *parent,
		    const char *parent_name, struct target *tg);
bool		 filter_parse_opvalue(struct parser *p, struct filter *f,
		    const struct target *tg);
/* Is def the "value" of parent, an attribute whose values are ids? */
bool		 filter_is_id_value(const struct schema_attr *parent,
		    const struct schema_attr *def);

#endif /* SCIM_FILTER_INT_H */
