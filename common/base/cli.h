/*
 * The command-line tools' (scim-tokens, scimctl) one way of saying what
 * was wrong with their arguments: one line on standard error,
 * "prog: what: why", and exit status CLI_EX_USAGE.
 *
 * OWNS the wording of option errors (unknown option, missing value, a
 * number out of range) and the usage exit status.
 * MUST NOT KNOW which options or commands a program has: callers pass
 * their getopt_long() table and name their own commands.
 */
#ifndef SCIM_CLI_H
#define SCIM_CLI_H

#include <getopt.h>
#include <stdbool.h>

#define CLI_EX_USAGE	2	/* every tool's "bad arguments" status */

/*
 * Print "prog: " and the printf-style message as one line on stderr.
 * Returns CLI_EX_USAGE, so callers can "return cli_usage_error(...);".
 */
int		 cli_usage_error(const char *prog, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * After getopt_long() (optstring starting with ':') returned ch, '?' or
 * ':', name the option that was unknown, lacked its value or took none.
 * Returns CLI_EX_USAGE.
 */
int		 cli_bad_option(const char *prog, char *const argv[],
		    const struct option *longopts, int ch);

/*
 * The value of option opt ("--limit") as a number from min to max into
 * *out; false after saying on stderr what was wrong with it.
 */
bool		 cli_number(const char *prog, const char *opt,
		    const char *arg, long min, long max, long *out);

#endif /* SCIM_CLI_H */
