/*
 * Logging to the real standard error (not libfcgi's per-request error
 * stream).
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "base/log.h"

static const char	*log_prog = "scim";
static enum log_level	 log_max = LOG_LVL_INFO;

void
log_init(const char *progname, enum log_level max)
{
	log_prog = progname;
	log_max = max;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info",
	    "debug" };
	char		 line[1024];
	va_list		 ap;

	if (lvl > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s[%ld]: %s: %s\n", log_prog, (long)getpid(),
	    names[lvl], line);
}
