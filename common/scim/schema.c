/*
 * The SCIM schema model as static data: core User, enterprise User and
 * Group with the attribute characteristics of RFC 7643 section 8.7.1,
 * the common attributes of section 3.1, the two resource types, the
 * lookups every other module uses (case-insensitive, canonical names
 * out), the rules about particular attributes that resource.c and patch.c
 * both apply, and the attribute path resolver.  The discovery documents
 * served at /Schemas and /ResourceTypes are made from these tables in
 * schema-doc.c.
 *
 * Deliberate departures from the RFC text:
 *  - emails has no "display" sub-attribute: Microsoft's old SCIM
 *    validator flattens /Schemas and then rejects the path
 *    emails[type eq "work"].display it derived from it;
 *  - Group displayName is required:true (the section 4.2 text says
 *    REQUIRED; the section 8.7.1 schema says false) and unique;
 *  - addresses carries "primary" (section 4.1.2 lists it, 8.7.1 lost it);
 *  - Group members carries "display" (section 4.2 lists it).
 *
 * Nothing here allocates: the extensions an operator declares are read
 * by schema-ext.c, which keeps them; schema_ext_register() only lists
 * them in the fixed arrays below.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "base/lex.h"
#include "base/error.h"
#include "scim/schema.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Longest attribute path schema_resolve() accepts, URN included. */
#define PATH_MAX_LEN	512

/* --- canonicalValues and referenceTypes --- */

static const char *const canon_email_type[] =
    { "work", "home", "other", NULL };
static const char *const canon_phone_type[] =
    { "work", "home", "mobile", "fax", "pager", "other", NULL };
static const char *const canon_im_type[] =
    { "aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo", NULL };
static const char *const canon_photo_type[] =
    { "photo", "thumbnail", NULL };
static const char *const canon_address_type[] =
    { "work", "home", "other", NULL };
static const char *const canon_group_type[] =
    { "direct", "indirect", NULL };
static const char *const canon_member_type[] =
    { "User", "Group", NULL };

static const char *const ref_external[] = { "external", NULL };
static const char *const ref_user_group[] = { "User", "Group", NULL };
static const char *const ref_user[] = { "User", NULL };
static const char *const ref_uri[] = { "uri", NULL };

/*
 * Every field left out of an initializer below takes the RFC default:
 * single-valued, not required, caseExact false, readWrite, returned
 * default, uniqueness none (all zero in the enums of schema.h).
 */

#define DESC_DISPLAY \
	"A human-readable name, primarily used for display purposes.  " \
	"READ-ONLY."
#define DESC_PRIMARY \
	"A Boolean value indicating the 'primary' or preferred attribute " \
	"value for this attribute.  The primary attribute value 'true' " \
	"MUST appear no more than once."

/* --- common attributes (RFC 7643 section 3.1) --- */

static const struct schema_attr meta_sub[] = {
	{ .name = "resourceType", .type = ATTR_STRING, .case_exact = true,
	  .mutability = MUT_READ_ONLY,
	  .description = "The name of the resource type of the resource." },
	{ .name = "created", .type = ATTR_DATETIME,
	  .mutability = MUT_READ_ONLY,
	  .description = "The \"DateTime\" that the resource was added to "
	    "the service provider." },
	{ .name = "lastModified", .type = ATTR_DATETIME,
	  .mutability = MUT_READ_ONLY,
	  .description = "The most recent DateTime that the details of this "
	    "resource were updated at the service provider.  If this "
	    "resource has never been modified since its initial creation, "
	    "the value MUST be the same as the value of \"created\"." },
	{ .name = "location", .type = ATTR_REFERENCE, .case_exact = true,
	  .mutability = MUT_READ_ONLY, .ref_types = ref_uri,
	  .description = "The URI of the resource being returned.  This "
	    "value MUST be the same as the \"Content-Location\" HTTP "
	    "response header (if present)." },
	{ .name = "version", .type = ATTR_STRING, .case_exact = true,
	  .mutability = MUT_READ_ONLY,
	  .description = "The version of the resource being returned.  This "
	    "value must be the same as the entity-tag (ETag) HTTP response "
	    "header (if present)." },
};

const struct schema_attr schema_attr_id = {
	.name = "id", .type = ATTR_STRING, .case_exact = true,
	.mutability = MUT_READ_ONLY, .returned = RET_ALWAYS,
	.uniqueness = UNIQ_SERVER,
	.description = "A unique identifier for a SCIM resource as defined "
	    "by the service provider.  REQUIRED.",
};

const struct schema_attr schema_attr_external_id = {
	.name = "externalId", .type = ATTR_STRING, .case_exact = true,
	.description = "A String that is an identifier for the resource as "
	    "defined by the provisioning client.  OPTIONAL.",
};

const struct schema_attr schema_attr_meta = {
	.name = "meta", .type = ATTR_COMPLEX, .mutability = MUT_READ_ONLY,
	.description = "A complex attribute containing resource metadata.",
	.sub = meta_sub, .nsub = NELEM(meta_sub),
};

static const struct schema_attr *const common_attrs[] = {
	&schema_attr_id, &schema_attr_external_id, &schema_attr_meta,
};

/* --- core User (RFC 7643 sections 4.1 and 8.7.1) --- */

static const struct schema_attr user_name_sub[] = {
	{ .name = "formatted", .type = ATTR_STRING,
	  .description = "The full name, including all middle names, titles, "
	    "and suffixes as appropriate, formatted for display (e.g., "
	    "'Ms. Barbara J Jensen, III')." },
	{ .name = "familyName", .type = ATTR_STRING,
	  .description = "The family name of the User, or last name in most "
	    "Western languages (e.g., 'Jensen' given the full name 'Ms. "
	    "Barbara J Jensen, III')." },
	{ .name = "givenName", .type = ATTR_STRING,
	  .description = "The given name of the User, or first name in most "
	    "Western languages (e.g., 'Barbara' given the full name 'Ms. "
	    "Barbara J Jensen, III')." },
	{ .name = "middleName", .type = ATTR_STRING,
	  .description = "The middle name(s) of the User (e.g., 'Jane' given "
	    "the full name 'Ms. Barbara J Jensen, III')." },
	{ .name = "honorificPrefix", .type = ATTR_STRING,
	  .description = "The honorific prefix(es) of the User, or title in "
	    "most Western languages (e.g., 'Ms.' given the full name 'Ms. "
	    "Barbara J Jensen, III')." },
	{ .name = "honorificSuffix", .type = ATTR_STRING,
	  .description = "The honorific suffix(es) of the User, or suffix in "
	    "most Western languages (e.g., 'III' given the full name 'Ms. "
	    "Barbara J Jensen, III')." },
};

/* No "display" here: see the file comment (Entra's validator). */
static const struct schema_attr user_emails_sub[] = {
	{ .name = "value", .type = ATTR_STRING,
	  .description = "Email addresses for the user.  The value SHOULD be "
	    "canonicalized by the service provider, e.g., "
	    "'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'.  "
	    "Canonical type values of 'work', 'home', and 'other'." },
	{ .name = "type", .type = ATTR_STRING, .canonical = canon_email_type,
	  .description = "A label indicating the attribute's function, "
	    "e.g., 'work' or 'home'." },
	{ .name = "primary", .type = ATTR_BOOLEAN,
	  .description = "A Boolean value indicating the 'primary' or "
	    "preferred attribute value for this attribute, e.g., the "
	    "preferred mailing address or primary email address.  The "
	    "primary attribute value 'true' MUST appear no more than "
	    "once." },
};

static const struct schema_attr user_phones_sub[] = {
	{ .name = "value", .type = ATTR_STRING,
	  .description = "Phone number of the User." },
	{ .name = "display", .type = ATTR_STRING,
	  .description = DESC_DISPLAY },
	{ .name = "type", .type = ATTR_STRING, .canonical = canon_phone_type,
	  .description = "A label indicating the attribute's function, "
	    "e.g., 'work', 'home', 'mobile'." },
	{ .name = "primary", .type = ATTR_BOOLEAN,
	  .description = "A Boolean value indicating the 'primary' or "
	    "preferred attribute value for this attribute, e.g., the "
	    "preferred phone number or primary phone number.  The primary "
	    "attribute value 'true' MUST appear no more than once." },
};

static const struct schema_attr user_ims_sub[] = {
	{ .name = "value", .type = ATTR_STRING,
	  .description = "Instant messaging address for the User." },
	{ .name = "display", .type = ATTR_STRING,
	  .description = DESC_DISPLAY },
	{ .name = "type", .type = ATTR_STRING, .canonical = canon_im_type,
	  .description = "A label indicating the attribute's function, "
	    "e.g., 'aim', 'gtalk', 'xmpp'." },
	{ .name = "primary", .type = ATTR_BOOLEAN,
	  .description = "A Boolean value indicating the 'primary' or "
	    "preferred attribute value for this attribute, e.g., the "
	    "preferred messenger or primary messenger.  The primary "
	    "attribute value 'true' MUST appear no more than once." },
};

static const struct schema_attr user_photos_sub[] = {
	{ .name = "value", .type = ATTR_REFERENCE, .ref_types = ref_external,
	  .description = "URL of a photo of the User." },
	{ .name = "display", .type = ATTR_STRING,
	  .description = DESC_DISPLAY },
	{ .name = "type", .type = ATTR_STRING, .canonical = canon_photo_type,
	  .description = "A label indicating the attribute's function, "
	    "i.e., 'photo' or 'thumbnail'." },
	{ .name = "primary", .type = ATTR_BOOLEAN,
	  .description = "A Boolean value indicating the 'primary' or "
	    "preferred attribute value for this attribute, e.g., the "
	    "preferred photo or thumbnail.  The primary attribute value "
	    "'true' MUST appear no more than once." },
};

static const struct schema_attr user_addresses_sub[] = {
	{ .name = "formatted", .type = ATTR_STRING,
	  .description = "The full mailing address, formatted for display "
	    "or use with a mailing label.  This attribute MAY contain "
	    "newlines." },
	{ .name = "streetAddress", .type = ATTR_STRING,
	  .description = "The full street address component, which may "
	    "include house number, street name, P.O. box, and multi-line "
	    "extended street address information.  This attribute MAY "
	    "contain newlines." },
	{ .name = "locality", .type = ATTR_STRING,
	  .description = "The city or locality component." },
	{ .name = "region", .type = ATTR_STRING,
	  .description = "The state or region component." },
	{ .name = "postalCode", .type = ATTR_STRING,
	  .description = "The zip code or postal code component." },
	{ .name = "country", .type = ATTR_STRING,
	  .description = "The country name component." },
	{ .name = "type", .type = ATTR_STRING,
	  .canonical = canon_address_type,
	  .description = "A label indicating the attribute's function, "
	    "e.g., 'work' or 'home'." },
	{ .name = "primary", .type = ATTR_BOOLEAN,
	  .description = "A Boolean value indicating the 'primary' or "
	    "preferred attribute value for this attribute, e.g., the "
	    "preferred mailing address.  The primary attribute value "
	    "'true' MUST appear no more than once." },
};

static const struct schema_attr user_groups_sub[] = {
	{ .name = "value", .type = ATTR_STRING, .mutability = MUT_READ_ONLY,
	  .description = "The identifier of the User's group." },
	{ .name = "$ref", .type = ATTR_REFERENCE, .ref_types = ref_user_group,
	  .mutability = MUT_READ_ONLY,
	  .description = "The URI of the corresponding 'Group' resource to "
	    "which the user belongs." },
	{ .name = "display", .type = ATTR_STRING,
	  .mutability = MUT_READ_ONLY, .description = DESC_DISPLAY },
	{ .name = "type", .type = ATTR_STRING, .canonical = canon_group_type,
	  .mutability = MUT_READ_ONLY,
	  .description = "A label indicating the attribute's function, "
	    "e.g., 'direct' or 'indirect'." },
};

static const struct schema_attr user_entitlements_sub[] = {
	{ .name = "value", .type = ATTR_STRING,
	  .description = "The value of an entitlement." },
	{ .name = "display", .type = ATTR_STRING,
	  .description = DESC_DISPLAY },
	{ .name = "type", .type = ATTR_STRING,
	  .description = "A label indicating the attribute's function." },
	{ .name = "primary", .type = ATTR_BOOLEAN,
	  .description = DESC_PRIMARY },
};

static const struct schema_attr user_roles_sub[] = {
	{ .name = "value", .type = ATTR_STRING,
	  .description = "The value of a role." },
	{ .name = "display", .type = ATTR_STRING,
	  .description = DESC_DISPLAY },
	{ .name = "type", .type = ATTR_STRING,
	  .description = "A label indicating the attribute's function." },
	{ .name = "primary", .type = ATTR_BOOLEAN,
	  .description = DESC_PRIMARY },
};

static const struct schema_attr user_x509_sub[] = {
	{ .name = "value", .type = ATTR_BINARY,
	  .description = "The value of an X.509 certificate." },
	{ .name = "display", .type = ATTR_STRING,
	  .description = DESC_DISPLAY },
	{ .name = "type", .type = ATTR_STRING,
	  .description = "A label indicating the attribute's function." },
	{ .name = "primary", .type = ATTR_BOOLEAN,
	  .description = DESC_PRIMARY },
};

static const struct schema_attr user_attrs[] = {
	{ .name = "userName", .type = ATTR_STRING, .required = true,
	  .uniqueness = UNIQ_SERVER,
	  .description = "Unique identifier for the User, typically used by "
	    "the user to directly authenticate to the service provider.  "
	    "Each User MUST include a non-empty userName value.  This "
	    "identifier MUST be unique across the service provider's "
	    "entire set of Users.  REQUIRED." },
	{ .name = "name", .type = ATTR_COMPLEX,
	  .sub = user_name_sub, .nsub = NELEM(user_name_sub),
	  .description = "The components of the user's real name.  "
	    "Providers MAY return just the full name as a single string in "
	    "the formatted sub-attribute, or they MAY return just the "
	    "individual component attributes using the other "
	    "sub-attributes, or they MAY return both.  If both variants are "
	    "returned, they SHOULD be describing the same name, with the "
	    "formatted name indicating how the component attributes should "
	    "be combined." },
	{ .name = "displayName", .type = ATTR_STRING,
	  .description = "The name of the User, suitable for display to "
	    "end-users.  The name SHOULD be the full name of the User being "
	    "described, if known." },
	{ .name = "nickName", .type = ATTR_STRING,
	  .description = "The casual way to address the user in real life, "
	    "e.g., 'Bob' or 'Bobby' instead of 'Robert'.  This attribute "
	    "SHOULD NOT be used to represent a User's username (e.g., "
	    "'bjensen' or 'mpepperidge')." },
	{ .name = "profileUrl", .type = ATTR_REFERENCE,
	  .ref_types = ref_external,
	  .description = "A fully qualified URL pointing to a page "
	    "representing the User's online profile." },
	{ .name = "title", .type = ATTR_STRING,
	  .description = "The user's title, such as \"Vice President.\"" },
	{ .name = "userType", .type = ATTR_STRING,
	  .description = "Used to identify the relationship between the "
	    "organization and the user.  Typical values used might be "
	    "'Contractor', 'Employee', 'Intern', 'Temp', 'External', and "
	    "'Unknown', but any value may be used." },
	{ .name = "preferredLanguage", .type = ATTR_STRING,
	  .description = "Indicates the User's preferred written or spoken "
	    "language.  Generally used for selecting a localized user "
	    "interface; e.g., 'en_US' specifies the language English and "
	    "country US." },
	{ .name = "locale", .type = ATTR_STRING,
	  .description = "Used to indicate the User's default location for "
	    "purposes of localizing items such as currency, date time "
	    "format, or numerical representations." },
	{ .name = "timezone", .type = ATTR_STRING,
	  .description = "The User's time zone in the 'Olson' time zone "
	    "database format, e.g., 'America/Los_Angeles'." },
	{ .name = "active", .type = ATTR_BOOLEAN,
	  .description = "A Boolean value indicating the User's "
	    "administrative status." },
	{ .name = "password", .type = ATTR_STRING,
	  .mutability = MUT_WRITE_ONLY, .returned = RET_NEVER,
	  .description = "The User's cleartext password.  This attribute is "
	    "intended to be used as a means to specify an initial password "
	    "when creating a new User or to reset an existing User's "
	    "password." },
	{ .name = "emails", .type = ATTR_COMPLEX, .multi = true,
	  .sub = user_emails_sub, .nsub = NELEM(user_emails_sub),
	  .description = "Email addresses for the user.  The value SHOULD be "
	    "canonicalized by the service provider, e.g., "
	    "'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'.  "
	    "Canonical type values of 'work', 'home', and 'other'." },
	{ .name = "phoneNumbers", .type = ATTR_COMPLEX, .multi = true,
	  .sub = user_phones_sub, .nsub = NELEM(user_phones_sub),
	  .description = "Phone numbers for the User.  The value SHOULD be "
	    "canonicalized by the service provider according to the format "
	    "specified in RFC 3966, e.g., 'tel:+1-201-555-0123'.  Canonical "
	    "type values of 'work', 'home', 'mobile', 'fax', 'pager', and "
	    "'other'." },
	{ .name = "ims", .type = ATTR_COMPLEX, .multi = true,
	  .sub = user_ims_sub, .nsub = NELEM(user_ims_sub),
	  .description = "Instant messaging addresses for the User." },
	{ .name = "photos", .type = ATTR_COMPLEX, .multi = true,
	  .sub = user_photos_sub, .nsub = NELEM(user_photos_sub),
	  .description = "URLs of photos of the User." },
	{ .name = "addresses", .type = ATTR_COMPLEX, .multi = true,
	  .sub = user_addresses_sub, .nsub = NELEM(user_addresses_sub),
	  .description = "A physical mailing address for this User.  "
	    "Canonical type values of 'work', 'home', and 'other'.  This "
	    "attribute is a complex type with the following "
	    "sub-attributes." },
	{ .name = "groups", .type = ATTR_COMPLEX, .multi = true,
	  .mutability = MUT_READ_ONLY,
	  .sub = user_groups_sub, .nsub = NELEM(user_groups_sub),
	  .description = "A list of groups to which the user belongs, either "
	    "through direct membership, through nested groups, or "
	    "dynamically calculated." },
	{ .name = "entitlements", .type = ATTR_COMPLEX, .multi = true,
	  .sub = user_entitlements_sub, .nsub = NELEM(user_entitlements_sub),
	  .description = "A list of entitlements for the User that represent "
	    "a thing the User has." },
	{ .name = "roles", .type = ATTR_COMPLEX, .multi = true,
	  .sub = user_roles_sub, .nsub = NELEM(user_roles_sub),
	  .description = "A list of roles for the User that collectively "
	    "represent who the User is, e.g., 'Student', 'Faculty'." },
	{ .name = "x509Certificates", .type = ATTR_COMPLEX, .multi = true,
	  .sub = user_x509_sub, .nsub = NELEM(user_x509_sub),
	  .description = "A list of certificates issued to the User." },
};

const struct schema schema_user = {
	.id = SCHEMA_CORE_USER,
	.name = "User",
	.description = "User Account",
	.attrs = user_attrs,
	.nattrs = NELEM(user_attrs),
};

/* --- enterprise User (RFC 7643 sections 4.3 and 8.7.1) --- */

static const struct schema_attr ent_manager_sub[] = {
	{ .name = "value", .type = ATTR_STRING,
	  .description = "The id of the SCIM resource representing the "
	    "User's manager.  REQUIRED." },
	{ .name = "$ref", .type = ATTR_REFERENCE, .ref_types = ref_user,
	  .description = "The URI of the SCIM resource representing the "
	    "User's manager.  REQUIRED." },
	{ .name = "displayName", .type = ATTR_STRING,
	  .mutability = MUT_READ_ONLY,
	  .description = "The displayName of the User's manager.  OPTIONAL "
	    "and READ-ONLY." },
};

static const struct schema_attr ent_attrs[] = {
	{ .name = "employeeNumber", .type = ATTR_STRING,
	  .description = "Numeric or alphanumeric identifier assigned to a "
	    "person, typically based on order of hire or association with "
	    "an organization." },
	{ .name = "costCenter", .type = ATTR_STRING,
	  .description = "Identifies the name of a cost center." },
	{ .name = "organization", .type = ATTR_STRING,
	  .description = "Identifies the name of an organization." },
	{ .name = "division", .type = ATTR_STRING,
	  .description = "Identifies the name of a division." },
	{ .name = "department", .type = ATTR_STRING,
	  .description = "Identifies the name of a department." },
	{ .name = "manager", .type = ATTR_COMPLEX,
	  .sub = ent_manager_sub, .nsub = NELEM(ent_manager_sub),
	  .description = "The User's manager.  A complex type that "
	    "optionally allows service providers to represent "
	    "organizational hierarchy by referencing the 'id' attribute of "
	    "another User." },
};

const struct schema schema_enterprise_user = {
	.id = SCHEMA_ENTERPRISE_USER,
	.name = "EnterpriseUser",
	.description = "Enterprise User",
	.attrs = ent_attrs,
	.nattrs = NELEM(ent_attrs),
};

/* --- Group (RFC 7643 sections 4.2 and 8.7.1) --- */

static const struct schema_attr group_members_sub[] = {
	{ .name = "value", .type = ATTR_STRING, .mutability = MUT_IMMUTABLE,
	  .description = "Identifier of the member of this Group." },
	{ .name = "$ref", .type = ATTR_REFERENCE, .ref_types = ref_user_group,
	  .mutability = MUT_IMMUTABLE,
	  .description = "The URI corresponding to a SCIM resource that is "
	    "a member of this Group." },
	{ .name = "type", .type = ATTR_STRING, .canonical = canon_member_type,
	  .mutability = MUT_IMMUTABLE,
	  .description = "A label indicating the type of resource, e.g., "
	    "'User' or 'Group'." },
	{ .name = "display", .type = ATTR_STRING,
	  .description = "A human-readable name, primarily used for display "
	    "purposes." },
};

static const struct schema_attr group_attrs[] = {
	{ .name = "displayName", .type = ATTR_STRING, .required = true,
	  .uniqueness = UNIQ_SERVER,
	  .description = "A human-readable name for the Group.  REQUIRED." },
	{ .name = "members", .type = ATTR_COMPLEX, .multi = true,
	  .sub = group_members_sub, .nsub = NELEM(group_members_sub),
	  .description = "A list of members of the Group." },
};

const struct schema schema_group = {
	.id = SCHEMA_CORE_GROUP,
	.name = "Group",
	.description = "Group",
	.attrs = group_attrs,
	.nattrs = NELEM(group_attrs),
};

/* --- resource types and discovery lists --- */

/*
 * The extension lists are arrays with room for the declared extensions
 * (schema_ext_register()); without any they hold exactly the built-in
 * ones, so every answer is what it was before extensions were declared.
 */
static const struct schema *user_exts[SCHEMA_EXT_MAX + 2] = {
	&schema_enterprise_user, NULL
};
static bool user_ext_required[SCHEMA_EXT_MAX + 2];
static const struct schema *group_exts[SCHEMA_EXT_MAX + 1] = { NULL };
static bool group_ext_required[SCHEMA_EXT_MAX + 1];

/* The built-in lengths of the lists, restored by unregistering. */
#define USER_EXTS_BUILTIN	1
#define SCHEMA_ALL_BUILTIN	3

const struct resource_type rt_user = {
	.name = "User",
	.endpoint = "/Users",
	.description = "User Account",
	.core = &schema_user,
	.ext = user_exts,
	.ext_required = user_ext_required,
	.kind = STORE_USER,
	.name_attr = "userName",
	.noun = "user",
	.backref = "groups",
};

const struct resource_type rt_group = {
	.name = "Group",
	.endpoint = "/Groups",
	.description = "Group",
	.core = &schema_group,
	.ext = group_exts,
	.ext_required = group_ext_required,
	.kind = STORE_GROUP,
	.name_attr = "displayName",
	.noun = "group",
	.backref = "members",
};

const struct schema *schema_all[SCHEMA_ALL_BUILTIN + SCHEMA_EXT_MAX + 1] = {
	&schema_user, &schema_enterprise_user, &schema_group, NULL
};

const struct resource_type *const resource_type_all[] = {
	&rt_user, &rt_group, NULL
};

/* [scim] undeclared_extensions = refuse. */
static bool schema_refuse_undeclared;

/* Does URN a begin with URN b followed by ':' (in any case)? */
static bool
schema_urn_prefixes(const char *a, const char *b)
{
	size_t	 lb = strlen(b);

	return strncasecmp(a, b, lb) == 0 && a[lb] == ':';
}

enum scim_err
schema_ext_register(const struct resource_type *rt, const struct schema *s,
    bool required, struct scim_error *err)
{
	const struct schema	**list;
	bool			 *req;
	size_t			  n, nall;

	if (rt == &rt_user) {
		list = user_exts;
		req = user_ext_required;
	} else if (rt == &rt_group) {
		list = group_exts;
		req = group_ext_required;
	} else
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "extension %s: no such resource type", s->id);
	for (nall = 0; schema_all[nall] != NULL; nall++) {
		if (strcasecmp(schema_all[nall]->id, s->id) == 0)
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "extension %s: that schema is already defined",
			    s->id);
		if (schema_urn_prefixes(s->id, schema_all[nall]->id) ||
		    schema_urn_prefixes(schema_all[nall]->id, s->id))
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "extension %s: one of it and %s begins with the "
			    "other, so attribute paths could not tell them "
			    "apart", s->id, schema_all[nall]->id);
	}
	for (n = 0; list[n] != NULL; n++)
		continue;
	if (nall >= SCHEMA_ALL_BUILTIN + SCHEMA_EXT_MAX)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "extension %s: more than %d extensions", s->id,
		    SCHEMA_EXT_MAX);
	list[n] = s;
	list[n + 1] = NULL;
	req[n] = required;
	schema_all[nall] = s;
	schema_all[nall + 1] = NULL;
	return SCIM_OK;
}

void
schema_ext_unregister(void)
{
	size_t	 i;

	for (i = USER_EXTS_BUILTIN; i < NELEM(user_exts); i++) {
		user_exts[i] = NULL;
		user_ext_required[i] = false;
	}
	for (i = 0; i < NELEM(group_exts); i++) {
		group_exts[i] = NULL;
		group_ext_required[i] = false;
	}
	for (i = SCHEMA_ALL_BUILTIN; i < NELEM(schema_all); i++)
		schema_all[i] = NULL;
	schema_refuse_undeclared = false;
}

bool
schema_ext_undeclared_refused(void)
{
	return schema_refuse_undeclared;
}

void
schema_ext_refuse_undeclared(bool refuse)
{
	schema_refuse_undeclared = refuse;
}

/* --- lookups --- */

/* Is s the core schema of some resource type (so it has id/meta)? */
static bool
schema_is_core(const struct schema *s)
{
	size_t	 i;

	for (i = 0; resource_type_all[i] != NULL; i++)
		if (resource_type_all[i]->core == s)
			return true;
	return false;
}

/*
 * The one test for a URN-qualified name: resource.c, patch.c and the
 * path resolver each spelt it out.
 */
bool
schema_is_urn(const char *s)
{
	return s != NULL && strncasecmp(s, "urn:", 4) == 0;
}

bool
schema_rt_has_ext(const struct resource_type *rt, const struct schema *s)
{
	size_t	 i;

	if (rt->ext == NULL)
		return false;
	for (i = 0; rt->ext[i] != NULL; i++)
		if (rt->ext[i] == s)
			return true;
	return false;
}

/*
 * One rule, read by resource_normalize() and patch_apply().  Both files
 * had a copy (resource.c's is_members(), patch.c's keeps_unknown()):
 * the same test, patch.c's also taking NULL.  The NULL-safe one is kept.
 */
bool
schema_keeps_unknown_subs(const struct schema_attr *a)
{
	return a != NULL && a->multi && a->type == ATTR_COMPLEX &&
	    strcmp(a->name, "members") == 0;
}

/*
 * One rule, read by resource_normalize() and patch_apply().  resource.c
 * and patch.c each had a takes_bare_value(), reading "manager or
 * is_members(a)" and "manager or keeps_unknown(a)".  is_members() and
 * keeps_unknown() were the same test (complex, multi-valued, named
 * "members"), so the two bodies agreed for every attribute of the
 * tables: true for the enterprise manager and for Group members, false
 * for everything else (they differed only in that patch.c's took a
 * NULL attribute, an unknown name, and said false).  That NULL-safe body
 * is the one kept.
 */
bool
schema_takes_bare_value(const struct schema_attr *a)
{
	return schema_value_is_id(a);
}

/*
 * The enterprise manager and Group members: the attributes whose "value"
 * is another resource's id.  The test is the one schema_takes_bare_value()
 * had: a bare value is allowed exactly where it is an id.
 */
bool
schema_value_is_id(const struct schema_attr *a)
{
	return a != NULL && a->type == ATTR_COMPLEX &&
	    schema_find_sub(a, "value") != NULL &&
	    (strcmp(a->name, "manager") == 0 || schema_keeps_unknown_subs(a));
}

/*
 * The rule for a member value's shape (members.h), read by the handlers'
 * member changes and by PATCH's listed removal.
 */
const char *
schema_value_id(const cJSON *v)
{
	const cJSON	*val;

	if (cJSON_IsString(v))
		return v->valuestring;
	if (cJSON_IsObject(v) &&
	    cJSON_IsString(val = cJSON_GetObjectItem(v, "value")))
		return val->valuestring;
	return NULL;
}

const struct schema_attr *
schema_find(const struct schema *s, const char *name)
{
	size_t	 i;

	if (s == NULL || name == NULL)
		return NULL;
	for (i = 0; i < s->nattrs; i++)
		if (strcasecmp(s->attrs[i].name, name) == 0)
			return &s->attrs[i];
	if (!schema_is_core(s))
		return NULL;
	for (i = 0; i < NELEM(common_attrs); i++)
		if (strcasecmp(common_attrs[i]->name, name) == 0)
			return common_attrs[i];
	return NULL;
}

const struct schema_attr *
schema_find_sub(const struct schema_attr *a, const char *name)
{
	size_t	 i;

	if (a == NULL || name == NULL || a->sub == NULL)
		return NULL;
	for (i = 0; i < a->nsub; i++)
		if (strcasecmp(a->sub[i].name, name) == 0)
			return &a->sub[i];
	return NULL;
}

const struct schema *
schema_by_urn(const char *urn)
{
	size_t	 i;

	if (urn == NULL)
		return NULL;
	for (i = 0; schema_all[i] != NULL; i++)
		if (strcasecmp(schema_all[i]->id, urn) == 0)
			return schema_all[i];
	return NULL;
}

/*
 * Matches the name ("User"), the endpoint ("/Users") or the endpoint
 * without its slash ("Users"), in any case.
 */
const struct resource_type *
resource_type_find(const char *name)
{
	const struct resource_type	*rt;
	size_t				 i;

	if (name == NULL)
		return NULL;
	for (i = 0; resource_type_all[i] != NULL; i++) {
		rt = resource_type_all[i];
		if (strcasecmp(rt->name, name) == 0 ||
		    strcasecmp(rt->endpoint, name) == 0 ||
		    strcasecmp(rt->endpoint + 1, name) == 0)
			return rt;
	}
	return NULL;
}

const char *
attr_type_name(enum attr_type t)
{
	switch (t) {
	case ATTR_STRING:
		return "string";
	case ATTR_BOOLEAN:
		return "boolean";
	case ATTR_DECIMAL:
		return "decimal";
	case ATTR_INTEGER:
		return "integer";
	case ATTR_DATETIME:
		return "dateTime";
	case ATTR_BINARY:
		return "binary";
	case ATTR_REFERENCE:
		return "reference";
	case ATTR_COMPLEX:
		return "complex";
	}
	return "string";
}

/* --- path resolution --- */

/*
 * Copy the name s[0..len) into dst (of size sz, NUL-terminated),
 * returning false when it does not fit.
 */
static bool
copy_name(char *dst, size_t sz, const char *s, size_t len)
{
	if (len >= sz)
		return false;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return true;
}

/*
 * Split the attribute part p[0..len) ("attr" or "attr.sub") into
 * out->attr_name and out->sub_name, checking the syntax.  whole and
 * wlen are the full path, for the error detail only.
 */
static enum scim_err
resolve_split(const char *p, size_t len, struct schema_path *out,
    const char *whole, int wlen, struct scim_error *err)
{
	const char	*dot;
	size_t		 alen, slen;

	if (len == 0)
		return scim_fail(err, SCIM_E_INVALID_PATH,
		    "attribute path \"%.*s\" names no attribute", wlen,
		    whole);
	dot = memchr(p, '.', len);
	alen = dot != NULL ? (size_t)(dot - p) : len;
	slen = dot != NULL ? len - alen - 1 : 0;
	if (dot != NULL && memchr(dot + 1, '.', slen) != NULL)
		return scim_fail(err, SCIM_E_INVALID_PATH,
		    "attribute path \"%.*s\" has more than one '.'", wlen,
		    whole);
	if (!lex_is_attrname(p, alen) || (dot != NULL && !lex_is_attrname(dot + 1,
	    slen)))
		return scim_fail(err, SCIM_E_INVALID_PATH,
		    "attribute path \"%.*s\" is not a valid attribute name "
		    "(letter first, then letters, digits, '-' or '_')", wlen,
		    whole);
	if (!copy_name(out->attr_name, sizeof(out->attr_name), p, alen) ||
	    !copy_name(out->sub_name, sizeof(out->sub_name),
	    dot != NULL ? dot + 1 : "", slen))
		return scim_fail(err, SCIM_E_INVALID_PATH,
		    "attribute path \"%.*s\" has a name that is too long",
		    wlen, whole);
	return SCIM_OK;
}

/*
 * Look the split names up in s (NULL: nothing is known) and rewrite the
 * known ones in canonical spelling.
 */
static void
resolve_lookup(const struct schema *s, struct schema_path *out)
{
	out->attr = schema_find(s, out->attr_name);
	if (out->attr == NULL)
		return;
	/* Canonical names are short literals; they always fit. */
	snprintf(out->attr_name, sizeof(out->attr_name), "%s",
	    out->attr->name);
	if (out->sub_name[0] == '\0')
		return;
	out->sub = schema_find_sub(out->attr, out->sub_name);
	if (out->sub != NULL)
		snprintf(out->sub_name, sizeof(out->sub_name), "%s",
		    out->sub->name);
}

/*
 * The path starts with "urn:".  Find the schema URN it is qualified
 * with, resolve the rest, and fill out.  A known schema that rt does not
 * use (the Group URN on a User path) is treated like an unknown one: the
 * caller sees ext NULL, ext_urn set and attr NULL.
 */
static enum scim_err
resolve_urn(const struct resource_type *rt, const char *text, size_t len,
    struct schema_path *out, struct scim_error *err)
{
	const struct schema	*s, *core;
	const char		*colon;
	size_t			 i, ulen;
	int			 wlen = (int)len;
	enum scim_err		 rc;

	core = rt != NULL ? rt->core : NULL;
	for (i = 0; schema_all[i] != NULL; i++) {
		s = schema_all[i];
		ulen = strlen(s->id);
		if (len < ulen || strncasecmp(text, s->id, ulen) != 0)
			continue;
		if (len == ulen)
			return scim_fail(err, SCIM_E_INVALID_PATH,
			    "attribute path \"%.*s\" names a schema, not an "
			    "attribute", wlen, text);
		if (text[ulen] != ':')
			continue;
		rc = resolve_split(text + ulen + 1, len - ulen - 1, out,
		    text, wlen, err);
		if (rc != SCIM_OK)
			return rc;
		if (schema_is_core(s) && (rt == NULL || s == core)) {
			/* Core-qualified: the same as unqualified. */
			resolve_lookup(s, out);
		} else if (!schema_is_core(s) &&
		    (rt == NULL || schema_rt_has_ext(rt, s))) {
			out->ext = s;
			out->ext_urn = s->id;
			resolve_lookup(s, out);
		} else {
			snprintf(out->urn_buf, sizeof(out->urn_buf), "%s",
			    s->id);
			out->ext_urn = out->urn_buf;
		}
		return SCIM_OK;
	}

	/* An unknown URN: it ends at the last ':'. */
	colon = NULL;
	for (i = len; i > 0; i--)
		if (text[i - 1] == ':') {
			colon = text + i - 1;
			break;
		}
	ulen = (size_t)(colon - text);
	if (ulen <= 4)
		return scim_fail(err, SCIM_E_INVALID_PATH,
		    "attribute path \"%.*s\" has an empty schema URN", wlen,
		    text);
	if (ulen >= sizeof(out->urn_buf))
		return scim_fail(err, SCIM_E_INVALID_PATH,
		    "attribute path \"%.*s\" has a schema URN that is too "
		    "long", wlen, text);
	rc = resolve_split(colon + 1, len - ulen - 1, out, text, wlen, err);
	if (rc != SCIM_OK)
		return rc;
	memcpy(out->urn_buf, text, ulen);
	out->urn_buf[ulen] = '\0';
	out->ext_urn = out->urn_buf;
	return SCIM_OK;
}

/*
 * Resolve "[urn:...:]attr[.sub]" (see schema.h).  rt may be NULL, in
 * which case unqualified names resolve against nothing (attr NULL) and
 * every known URN is accepted.  A path that is only a schema URN is
 * SCIM_E_INVALID_PATH: RFC 7644's attrPath requires an ATTRNAME.  On
 * error *out is left zeroed and err says why.
 */
enum scim_err
schema_resolve(const struct resource_type *rt, const char *text,
    size_t len, struct schema_path *out, struct scim_error *err)
{
	enum scim_err	 rc;

	memset(out, 0, sizeof(*out));
	if (text == NULL || len == 0)
		return scim_fail(err, SCIM_E_INVALID_PATH,
		    "attribute path is empty");
	if (len > PATH_MAX_LEN)
		return scim_fail(err, SCIM_E_INVALID_PATH,
		    "attribute path is longer than %d characters",
		    PATH_MAX_LEN);
	if (memchr(text, '\0', len) != NULL)
		return scim_fail(err, SCIM_E_INVALID_PATH,
		    "attribute path contains a NUL character");

	if (len > 4 && schema_is_urn(text))
		rc = resolve_urn(rt, text, len, out, err);
	else {
		rc = resolve_split(text, len, out, text, (int)len, err);
		if (rc == SCIM_OK)
			resolve_lookup(rt != NULL ? rt->core : NULL, out);
	}
	if (rc != SCIM_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}
