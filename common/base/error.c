/*
 * The single mapping from enum scim_err to HTTP status and scimType.
 */
#include <stdio.h>

#include "base/error.h"

static const struct {
	int		 status;
	const char	*type;
} errmap[SCIM_E__MAX] = {
	[SCIM_OK] =			{ 200, NULL },
	[SCIM_E_INVALID_FILTER] =	{ 400, "invalidFilter" },
	[SCIM_E_TOO_MANY] =		{ 400, "tooMany" },
	[SCIM_E_UNIQUENESS] =		{ 409, "uniqueness" },
	[SCIM_E_MUTABILITY] =		{ 400, "mutability" },
	[SCIM_E_INVALID_SYNTAX] =	{ 400, "invalidSyntax" },
	[SCIM_E_INVALID_PATH] =		{ 400, "invalidPath" },
	[SCIM_E_NO_TARGET] =		{ 400, "noTarget" },
	[SCIM_E_INVALID_VALUE] =	{ 400, "invalidValue" },
	[SCIM_E_INVALID_VERS] =		{ 400, "invalidVers" },
	[SCIM_E_BAD_REQUEST] =		{ 400, NULL },
	[SCIM_E_UNAUTHORIZED] =		{ 401, NULL },
	[SCIM_E_FORBIDDEN] =		{ 403, NULL },
	[SCIM_E_NOT_FOUND] =		{ 404, NULL },
	[SCIM_E_METHOD] =		{ 405, NULL },
	[SCIM_E_NOT_ACCEPTABLE] =	{ 406, NULL },
	[SCIM_E_CONFLICT] =		{ 409, NULL },
	[SCIM_E_PRECONDITION] =		{ 412, NULL },
	[SCIM_E_TOO_LARGE] =		{ 413, NULL },
	[SCIM_E_MEDIA_TYPE] =		{ 415, NULL },
	[SCIM_E_INTERNAL] =		{ 500, NULL },
	[SCIM_E_NOT_IMPLEMENTED] =	{ 501, NULL },
	[SCIM_E_UNAVAILABLE] =		{ 503, NULL },
	[SCIM_E_INVALID_CURSOR] =	{ 400, "invalidCursor" },
	[SCIM_E_EXPIRED_CURSOR] =	{ 400, "expiredCursor" },
	[SCIM_E_INVALID_COUNT] =	{ 400, "invalidCount" },
};

enum scim_err
scim_vfail(struct scim_error *err, enum scim_err code, const char *fmt,
    va_list ap)
{
	if (err != NULL) {
		err->code = code;
		if (fmt != NULL)
			vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
		else
			err->detail[0] = '\0';
	}
	return code;
}

enum scim_err
scim_fail(struct scim_error *err, enum scim_err code, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	scim_vfail(err, code, fmt, ap);
	va_end(ap);
	return code;
}

enum scim_err
scim_oom(struct scim_error *err)
{
	return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
}

int
scim_err_status(enum scim_err code)
{
	if ((unsigned)code >= SCIM_E__MAX)
		return 500;
	return errmap[code].status;
}

const char *
scim_err_type(enum scim_err code)
{
	if ((unsigned)code >= SCIM_E__MAX)
		return NULL;
	return errmap[code].type;
}
