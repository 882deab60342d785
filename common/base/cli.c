/*
 * Argument errors of the command-line tools, worded once (see cli.h).
 * getopt_long() is run with its own messages off (opterr = 0, optstring
 * starting with ':'), so the tools print exactly one line per mistake and
 * never the whole usage on top of it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/cli.h"
#include "base/util.h"

int
cli_usage_error(const char *prog, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EX_USAGE;
}

int
cli_bad_option(const char *prog, char *const argv[],
    const struct option *longopts, int ch)
{
	const char	*elem = optind > 0 ? argv[optind - 1] : "";
	size_t		 n;

	if (ch == ':')
		return cli_usage_error(prog, "%s needs a value", elem);
	/* A short option is in optopt; a long one is the element itself. */
	if (strncmp(elem, "--", 2) != 0)
		return cli_usage_error(prog, "unknown option \"-%c\" (%s "
		    "--help lists them)", optopt, prog);
	n = strcspn(elem, "=");
	if (elem[n] == '=')
		for (; longopts->name != NULL; longopts++)
			if (strlen(longopts->name) == n - 2 &&
			    strncmp(longopts->name, elem + 2, n - 2) == 0 &&
			    longopts->has_arg == no_argument)
				return cli_usage_error(prog, "--%s takes no "
				    "value", longopts->name);
	return cli_usage_error(prog, "unknown option \"%.*s\" (%s --help "
	    "lists them)", (int)n, elem, prog);
}

bool
cli_number(const char *prog, const char *opt, const char *arg, long min,
    long max, long *out)
{
	if (util_parse_long(arg, min, max, out))
		return true;
	cli_usage_error(prog, "%s: %s is not a number from %ld to %ld", opt,
	    arg, min, max);
	return false;
}
