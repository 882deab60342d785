/*
 * A minimal TAP producer for the C unit tests (automake's tap-driver.sh
 * reads it).  Each check prints "ok N - name" or "not ok N - name" with
 * the source line, the expected and the actual value, so a table-driven
 * test reports exactly which row failed.  Header-only: every test program
 * is a single translation unit.
 */
#ifndef SCIM_TAP_H
#define SCIM_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n;		/* test points so far */
static int tap_failed;		/* of which failed */

static void
tap_vreport(int pass, int line, const char *fmt, va_list ap)
{
	tap_n++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_n);
	vprintf(fmt, ap);
	printf("\n");
	if (!pass)
		printf("#   failed at line %d\n", line);
	fflush(stdout);
}

static int __attribute__((format(__printf__, 3, 4), unused))
tap_ok(int pass, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	tap_vreport(pass, line, fmt, ap);
	va_end(ap);
	return pass;
}

static int __attribute__((unused))
tap_is_str(const char *got, const char *want, int line, const char *name)
{
	int	 pass;

	pass = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	tap_ok(pass, line, "%s", name);
	if (!pass)
		printf("#   expected: %s\n#        got: %s\n",
		    want ? want : "(null)", got ? got : "(null)");
	return pass;
}

static int __attribute__((unused))
tap_is_int(long long got, long long want, int line, const char *name)
{
	int	 pass = got == want;

	tap_ok(pass, line, "%s", name);
	if (!pass)
		printf("#   expected: %lld\n#        got: %lld\n", want, got);
	return pass;
}

/* Print the plan last ("1..N"); returns the exit status for main(). */
static int __attribute__((unused))
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#define ok(cond, ...)		tap_ok(!!(cond), __LINE__, __VA_ARGS__)
#define is_str(g, w, name)	tap_is_str((g), (w), __LINE__, (name))
#define is_int(g, w, name)	tap_is_int((g), (w), __LINE__, (name))

#endif /* SCIM_TAP_H */
