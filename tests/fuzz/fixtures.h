/*
 * Stored resources the harnesses evaluate fuzzed input against: a user
 * with every kind of attribute (complex, multi-valued, enterprise and
 * custom extensions, dates, booleans, numbers) and a group with members,
 * in the canonical stored form that crud.c keeps (id and meta included).
 */
#ifndef SCIM_FUZZ_FIXTURES_H
#define SCIM_FUZZ_FIXTURES_H

#define FUZZ_ENT	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define FUZZ_CUST	"urn:ietf:params:scim:schemas:extension:Custom:2.0:User"

static const char fuzz_user_json[] =
	"{\"id\":\"2819c223-7f76-453a-919d-413861904646\","
	"\"userName\":\"Alice@Example.com\",\"externalId\":\"alice\","
	"\"displayName\":\"Alice Smith\",\"nickName\":\"Al\","
	"\"title\":\"Engineer\",\"active\":true,\"locale\":\"en-US\","
	"\"name\":{\"givenName\":\"Alice\",\"familyName\":\"Smith\","
	"\"formatted\":\"Alice Smith\"},"
	"\"emails\":[{\"value\":\"alice@example.com\",\"type\":\"work\","
	"\"primary\":true},{\"value\":\"alice@home.org\",\"type\":\"home\"}],"
	"\"phoneNumbers\":[{\"value\":\"+1 555 0100\",\"type\":\"work\"}],"
	"\"addresses\":[{\"type\":\"work\",\"streetAddress\":\"1 Main St\","
	"\"locality\":\"Springfield\",\"country\":\"US\",\"primary\":true}],"
	"\"roles\":[{\"value\":\"admin\",\"primary\":false}],"
	"\"groups\":[{\"value\":\"g1\",\"display\":\"Admins\","
	"\"type\":\"direct\"}],"
	"\"meta\":{\"resourceType\":\"User\","
	"\"created\":\"2014-01-01T00:00:00Z\","
	"\"lastModified\":\"2020-05-05T10:00:00.1234567+02:00\","
	"\"version\":\"W/\\\"3\\\"\"},"
	"\"" FUZZ_ENT "\":{\"employeeNumber\":\"1001\",\"department\":\"R&D\","
	"\"costCenter\":\"4130\",\"manager\":{\"value\":\"u2\","
	"\"displayName\":\"Bob\"}},"
	"\"" FUZZ_CUST "\":{\"costCode\":\"CC-7\",\"level\":3,"
	"\"remote\":true,\"hired\":\"2020-01-01T00:00:00+01:00\"}}";

static const char fuzz_group_json[] =
	"{\"id\":\"e9e30dba-f08f-4109-8486-d5c6a331660a\","
	"\"displayName\":\"Admins\",\"externalId\":\"grp-1\","
	"\"members\":[{\"value\":\"2819c223-7f76-453a-919d-413861904646\","
	"\"display\":\"Alice Smith\",\"type\":\"User\"},"
	"{\"value\":\"g2\",\"type\":\"Group\",\"display\":\"Nested\"}],"
	"\"meta\":{\"resourceType\":\"Group\","
	"\"created\":\"2015-10-10T21:38:21.8617980Z\","
	"\"lastModified\":\"2015-10-10T21:38:21.8617980Z\","
	"\"version\":\"W/\\\"1\\\"\"}}";

#endif /* SCIM_FUZZ_FIXTURES_H */
