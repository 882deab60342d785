/*
 * Declared schema extensions: the definitions an operator writes in the
 * file named by [scim] extensions (scim.conf(5)), read once at start-up
 * and added to the schema model, so that /Schemas and /ResourceTypes
 * list them and normalising, filters, sorting and PATCH treat their
 * attributes as they treat the enterprise User's.
 *
 * The file is JSON: one definition or an array of them, each an RFC 7643
 * section 7 Schema resource ("id", "name", "description", "attributes")
 * plus "resourceType" ("User" or "Group") and "required" (must every
 * resource of that type carry it?).
 *
 * Owns the definition format, its checks and the memory the definitions
 * live in.  Must not know scim.conf (the caller passes the path), the
 * store or HTTP.
 */
#ifndef SCIM_SCHEMA_EXT_H
#define SCIM_SCHEMA_EXT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "scim/schema.h"

/* Largest definition file read, bytes. */
#define SCHEMA_EXT_FILE_MAX	(1024 * 1024)

/* Per definition: most attributes, and most sub-attributes of one. */
#define SCHEMA_EXT_ATTRS_MAX	256
#define SCHEMA_EXT_SUBS_MAX	64

/* Most canonicalValues or referenceTypes of one attribute. */
#define SCHEMA_EXT_VALUES_MAX	256

/* Parsed definitions: opaque, freed by schema_ext_free(). */
struct schema_ext_set;

/*
 * Parse the definitions in text[0..len) (need not be NUL-terminated).
 * On success *out is a new set the caller frees with schema_ext_free()
 * (after schema_ext_unregister() if it was registered).  Otherwise *out
 * is NULL and err (SCIM_E_INVALID_VALUE) says in one line, without the
 * file's name, which definition and attribute are wrong and why.
 */
enum scim_err	 schema_ext_parse(const char *text, size_t len,
		    struct schema_ext_set **out, struct scim_error *err);

/* How many definitions set holds, and the i-th one's schema. */
size_t		 schema_ext_count(const struct schema_ext_set *set);
const struct schema *schema_ext_schema(const struct schema_ext_set *set,
		    size_t i);

/*
 * Add every definition of set to the schema model (schema_ext_register()).
 * set must stay allocated while the model is used.  On error the model
 * is left as it was and err says which definition clashes.
 */
enum scim_err	 schema_ext_install(const struct schema_ext_set *set,
		    struct scim_error *err);

void		 schema_ext_free(struct schema_ext_set *set);

/*
 * Start-up: read path (NULL or "": no declared extensions), parse and
 * install it, and set the [scim] undeclared_extensions choice.  The
 * definitions are kept for the life of the process (schema_ext_unload()
 * frees them, for tests and leak checkers).  Errors name path and what
 * is wrong in one line, for the program to print before it exits.
 */
enum scim_err	 schema_ext_configure(const char *path, bool refuse,
		    struct scim_error *err);
void		 schema_ext_unload(void);

#endif /* SCIM_SCHEMA_EXT_H */
