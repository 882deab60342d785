/*
 * SCIM error codes shared by every module of libscimcommon.
 *
 * Library functions return an enum scim_err (SCIM_OK is zero) and, on
 * failure, fill a caller-supplied struct scim_error with a human-readable
 * detail.  One function, scim_err_status(), maps a code to the HTTP status
 * and RFC 7644 section 3.12 "scimType" that the response carries, so the
 * mapping lives in exactly one place.
 *
 * Owns: the codes and their status/scimType table.  Must not know: how an
 * answer is written (web/), the words of a detail (each caller's).
 */
#ifndef SCIM_ERROR_H
#define SCIM_ERROR_H

#include <stdarg.h>

enum scim_err {
	SCIM_OK = 0,
	SCIM_E_INVALID_FILTER,	/* 400 invalidFilter */
	SCIM_E_TOO_MANY,	/* 400 tooMany */
	SCIM_E_UNIQUENESS,	/* 409 uniqueness */
	SCIM_E_MUTABILITY,	/* 400 mutability */
	SCIM_E_INVALID_SYNTAX,	/* 400 invalidSyntax */
	SCIM_E_INVALID_PATH,	/* 400 invalidPath */
	SCIM_E_NO_TARGET,	/* 400 noTarget */
	SCIM_E_INVALID_VALUE,	/* 400 invalidValue */
	SCIM_E_INVALID_VERS,	/* 400 invalidVers */
	SCIM_E_BAD_REQUEST,	/* 400, no scimType */
	SCIM_E_UNAUTHORIZED,	/* 401 */
	SCIM_E_FORBIDDEN,	/* 403 */
	SCIM_E_NOT_FOUND,	/* 404 */
	SCIM_E_METHOD,		/* 405 */
	SCIM_E_NOT_ACCEPTABLE,	/* 406 */
	SCIM_E_CONFLICT,	/* 409, no scimType */
	SCIM_E_PRECONDITION,	/* 412 */
	SCIM_E_TOO_LARGE,	/* 413 */
	SCIM_E_MEDIA_TYPE,	/* 415 */
	SCIM_E_INTERNAL,	/* 500 */
	SCIM_E_NOT_IMPLEMENTED,	/* 501 */
	SCIM_E_UNAVAILABLE,	/* 503: store needs recovery, retry */
	SCIM_E_INVALID_CURSOR,	/* 400 invalidCursor (RFC 9865 section 2.1) */
	SCIM_E_EXPIRED_CURSOR,	/* 400 expiredCursor (RFC 9865 section 2.1) */
	SCIM_E_INVALID_COUNT,	/* 400 invalidCount (RFC 9865 section 2.1) */
	SCIM_E__MAX
};

/* A failure with its explanation; detail is always NUL-terminated. */
struct scim_error {
	enum scim_err	 code;		/* SCIM_OK when nothing failed */
	char		 detail[512];	/* shown to the client as "detail" */
};

/*
 * Record code and a printf-style detail in err (which may be NULL) and
 * return code, so callers can write "return scim_fail(err, ...);".
 */
enum scim_err	 scim_fail(struct scim_error *err, enum scim_err code,
		    const char *fmt, ...)
		    __attribute__((format(__printf__, 3, 4)));
enum scim_err	 scim_vfail(struct scim_error *err, enum scim_err code,
		    const char *fmt, va_list ap);

/* HTTP status for code (200 for SCIM_OK). */
int		 scim_err_status(enum scim_err code);

/* scim_fail(err, SCIM_E_INTERNAL, "out of memory"): the one wording. */
enum scim_err	 scim_oom(struct scim_error *err);

/* RFC 7644 scimType for code, or NULL when the status has none. */
const char	*scim_err_type(enum scim_err code);

#endif /* SCIM_ERROR_H */
