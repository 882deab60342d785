/*
 * The SCIM schema model: core User, enterprise User and Group (RFC 7643
 * sections 4 and 8.7) defined once, as static data, and used for
 * discovery (/Schemas, /ResourceTypes), input validation, filters,
 * PATCH paths and attribute projection.
 *
 * Stored resources use canonical attribute names (as spelt in these
 * tables); extension attributes live under their schema URN key, e.g.
 * {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
 *  {"department": "..."}}.  Every lookup here is case-insensitive.
 *
 * Owns the tables, the lookups, path resolution, the rules about single
 * attributes that normalising and PATCH share (schema_takes_bare_value())
 * and the discovery documents (schema-doc.c), the resource-type table
 * everyone reads (which store kind holds a type's records, which
 * attribute names them), and the extensions an operator declares
 * (schema-ext.h reads their definitions; schema_ext_register() adds them
 * to these tables once, at start-up).  Must not know JSON bodies of
 * requests, how records are stored (only the store's enum store_kind),
 * the configuration file or HTTP.
 */
#ifndef SCIM_SCHEMA_H
#define SCIM_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "store/store.h"

#define SCHEMA_CORE_USER	"urn:ietf:params:scim:schemas:core:2.0:User"
#define SCHEMA_ENTERPRISE_USER \
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define SCHEMA_CORE_GROUP	"urn:ietf:params:scim:schemas:core:2.0:Group"
#define SCHEMA_LIST_RESPONSE	"urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define SCHEMA_PATCH_OP		"urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define SCHEMA_SEARCH_REQUEST	"urn:ietf:params:scim:api:messages:2.0:SearchRequest"
#define SCHEMA_ERROR		"urn:ietf:params:scim:api:messages:2.0:Error"
#define SCHEMA_SPC \
	"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
#define SCHEMA_RESOURCE_TYPE	"urn:ietf:params:scim:schemas:core:2.0:ResourceType"
#define SCHEMA_SCHEMA		"urn:ietf:params:scim:schemas:core:2.0:Schema"

/*
 * Most extensions an operator may declare, over all resource types: the
 * lists below are fixed arrays, so that the built-in tables stay static
 * data and registering is never an allocation.
 */
#define SCHEMA_EXT_MAX		16

enum attr_type {
	ATTR_STRING,
	ATTR_BOOLEAN,
	ATTR_DECIMAL,
	ATTR_INTEGER,
	ATTR_DATETIME,
	ATTR_BINARY,
	ATTR_REFERENCE,
	ATTR_COMPLEX
};

enum attr_mutability {
	MUT_READ_WRITE,		/* "readWrite" (the default) */
	MUT_READ_ONLY,		/* "readOnly" */
	MUT_IMMUTABLE,		/* "immutable" */
	MUT_WRITE_ONLY		/* "writeOnly" */
};

enum attr_returned {
	RET_DEFAULT,		/* "default" */
	RET_ALWAYS,		/* "always" */
	RET_NEVER,		/* "never" */
	RET_REQUEST		/* "request" */
};

enum attr_uniqueness {
	UNIQ_NONE,		/* "none" */
	UNIQ_SERVER,		/* "server" */
	UNIQ_GLOBAL		/* "global" */
};

/* One attribute or sub-attribute definition (RFC 7643 section 7). */
struct schema_attr {
	const char			*name;		/* canonical spelling */
	enum attr_type			 type;
	bool				 multi;		/* multiValued */
	bool				 required;
	bool				 case_exact;
	enum attr_mutability		 mutability;
	enum attr_returned		 returned;
	enum attr_uniqueness		 uniqueness;
	const char			*description;
	const char *const		*canonical;	/* NULL-terminated or NULL */
	const char *const		*ref_types;	/* NULL-terminated or NULL */
	const struct schema_attr	*sub;		/* sub-attributes or NULL */
	size_t				 nsub;
};

/* A schema (RFC 7643 section 7): core or extension. */
struct schema {
	const char			*id;		/* the URN */
	const char			*name;		/* "User", "EnterpriseUser" */
	const char			*description;	/* "User Account", ... */
	const struct schema_attr	*attrs;
	size_t				 nattrs;
};

/*
 * A resource type (RFC 7643 section 6): the one table of what differs
 * between Users and Groups, read by discovery, the handlers (crud.c,
 * members.c) and, through them, the store, which is told the kind and
 * the name to index and never reads an attribute itself.
 */
struct resource_type {
	const char			*name;		/* "User", "Group" */
	const char			*endpoint;	/* "/Users", "/Groups" */
	const char			*description;
	const struct schema		*core;
	const struct schema *const	*ext;		/* NULL-terminated */
	const bool			*ext_required;	/* parallel to ext:
							   must a resource
							   carry it? */
	enum store_kind			 kind;		/* its store records */
	const char			*name_attr;	/* "userName",
							   "displayName":
							   unique, indexed */
	const char			*noun;		/* "user", "group",
							   in messages */
	/*
	 * The attribute not stored with the resource but read from the
	 * membership index for every answer ("groups" of a User, "members"
	 * of a Group): answers show it last before meta, so a stored
	 * record's text can be answered with it put in (resource_answer()).
	 */
	const char			*backref;
};

extern const struct schema		 schema_user;
extern const struct schema		 schema_enterprise_user;
extern const struct schema		 schema_group;
extern const struct resource_type	 rt_user;
extern const struct resource_type	 rt_group;

/* The common attributes (RFC 7643 section 3.1): id, externalId, meta. */
extern const struct schema_attr		 schema_attr_id;
extern const struct schema_attr		 schema_attr_external_id;
extern const struct schema_attr		 schema_attr_meta;

/*
 * NULL-terminated lists, for discovery; schema_all ends with the declared
 * extensions (schema_ext_register()).
 */
extern const struct schema			*schema_all[];
extern const struct resource_type *const	 resource_type_all[];

/*
 * A resolved attribute path "[urn:]attr[.sub]", e.g. "userName",
 * "name.givenName", "emails.value", "meta.created",
 * "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName",
 * "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
 *
 * ext is the extension schema whose object holds the attribute, NULL for
 * core and common attributes.  attr/sub are the definitions, or NULL when
 * the name is not in the schema (unknown and custom-extension attributes
 * still resolve: the caller decides whether that is an error).  The name
 * fields point into the caller's buffer or at the canonical names.
 */
struct schema_path {
	const struct schema		*ext;		/* extension, or NULL */
	const char			*ext_urn;	/* URN of ext or of an
							   unknown extension */
	const struct schema_attr	*attr;		/* NULL if unknown */
	const struct schema_attr	*sub;		/* NULL if none/unknown */
	char				 attr_name[128];/* canonical if known */
	char				 sub_name[128];	/* "" if none */
	char				 urn_buf[256];	/* storage for ext_urn */
};

/*
 * Resolve text[0..len) against rt.  Attribute names and URNs compare
 * case-insensitively; known names are rewritten to canonical spelling.
 * Returns SCIM_OK, or SCIM_E_INVALID_PATH for a syntactically bad path
 * (empty, more than one '.', characters outside ATTRNAME).
 */
enum scim_err	 schema_resolve(const struct resource_type *rt,
		    const char *text, size_t len, struct schema_path *out,
		    struct scim_error *err);

/* Find a top-level attribute of s (or common attribute when s is core). */
const struct schema_attr *schema_find(const struct schema *s,
		    const char *name);

/* Find a sub-attribute of a complex attribute. */
const struct schema_attr *schema_find_sub(const struct schema_attr *a,
		    const char *name);

/* Find a known schema by URN (case-insensitive), or NULL. */
const struct schema	*schema_by_urn(const char *urn);

/* Find a resource type by name or endpoint, or NULL. */
const struct resource_type *resource_type_find(const char *name);

/*
 * Does s start with "urn:" in any case (a schema-qualified name or an
 * extension key)?  NULL is not.
 */
bool		 schema_is_urn(const char *s);

/* Does rt list s among its extensions? */
bool		 schema_rt_has_ext(const struct resource_type *rt,
		    const struct schema *s);

/*
 * Do the values of complex attribute a (NULL: unknown, false) keep
 * sub-attributes the schema does not know?  Only Group members:
 * Microsoft's collection sends {"displayName": ..., "value": ...} and
 * reads it back.
 */
bool		 schema_keeps_unknown_subs(const struct schema_attr *a);

/*
 * May a bare string s stand for {"value": s} in complex attribute a
 * (NULL: unknown, false)?  Only for the enterprise manager (Entra sends
 * "manager": "<id>") and Group members (the collection PATCHes members
 * with "string id 1").
 */
bool		 schema_takes_bare_value(const struct schema_attr *a);

/*
 * Is the "value" of complex attribute a (NULL: unknown, false) the id of
 * another resource: the enterprise manager, Group members?  Such values
 * compare exactly, as ids do (RFC 7643 section 3.1: id is caseExact, and
 * the store keys members by their exact id), whatever the sub-attribute's
 * caseExact says in the tables (members.value is false there, as RFC 7643
 * section 8.7.1 prints it, and /Schemas shows it so).
 */
bool		 schema_value_is_id(const struct schema_attr *a);

/*
 * The id that v, one value of such an attribute as a client sent it,
 * names: v itself when it is a string, its "value" (any case) when it is
 * an object with a string "value"; NULL when it is neither.  The string
 * is v's.
 */
const char	*schema_value_id(const cJSON *v);

/*
 * Add declared extension s to resource type rt (rt_user or rt_group) and
 * to schema_all, required or not.  s is the caller's and must outlive
 * every use of the tables (until schema_ext_unregister()).  Returns
 * SCIM_OK, or SCIM_E_INVALID_VALUE when s's URN is taken, one URN begins
 * with the other followed by ':' (paths could not tell them apart), or
 * SCHEMA_EXT_MAX are registered already; err says which.
 */
enum scim_err	 schema_ext_register(const struct resource_type *rt,
		    const struct schema *s, bool required,
		    struct scim_error *err);

/* Back to the built-in tables: every declared extension removed. */
void		 schema_ext_unregister(void);

/*
 * [scim] undeclared_extensions: may a resource carry an extension URN no
 * declaration names (stored as sent: the default), or is that refused?
 * Set once at start-up; resource_normalize() reads it.
 */
bool		 schema_ext_undeclared_refused(void);
void		 schema_ext_refuse_undeclared(bool refuse);

/*
 * Discovery documents (RFC 7643 sections 5-7), freshly allocated; the
 * caller frees them with cJSON_Delete.  base is the service base URL
 * ("https://host/scim/v2") used for meta.location.
 */
cJSON		*schema_to_json(const struct schema *s, const char *base);
cJSON		*resource_type_to_json(const struct resource_type *rt,
		    const char *base);

/*
 * The RFC 7643 section 7 spelling of each characteristic, as /Schemas
 * shows it and declared extensions are written (schema-ext.c reads them
 * back through these, so there is one spelling).
 */
const char	*attr_type_name(enum attr_type t);	/* "string", ... */
const char	*attr_mutability_name(enum attr_mutability m);
const char	*attr_returned_name(enum attr_returned r);
const char	*attr_uniqueness_name(enum attr_uniqueness u);

#endif /* SCIM_SCHEMA_H */
