/*
 * Replay driver for the fuzz harnesses, built with the normal compiler so
 * "make check" needs no clang: linked with one harness, it feeds
 * LLVMFuzzerTestOneInput every file of tests/fuzz/corpus/NAME (the seeds
 * and what fuzzing added) and tests/fuzz/regress/NAME (every input that
 * ever crashed, leaked or hung a harness), and every prefix of each up to
 * REPLAY_PREFIXES bytes (truncated input is what a dropped connection
 * delivers).  One TAP point per file.  Under --enable-sanitizers the
 * library is built with ASan and UBSan, so a replayed memory error,
 * leak or undefined behaviour ends the program with an error: the test
 * fails, and the last "# replaying" line names the input.
 *
 * Usage: replay-NAME [FILE|DIR ...]; with no argument the corpus and
 * regress directories under $top_srcdir (else the configured source
 * directory) are replayed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#error "compile with -DFUZZ_NAME=\"filter\" (the harness's name)"
#endif
#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR	"."
#endif

#define REPLAY_PREFIXES	512	/* prefixes tried per input */
#define REPLAY_MAX_SIZE	(8 * 1024 * 1024)

static int	 tap_n;		/* test points printed */
static int	 tap_fail;	/* of which failed */

/* Read path into a new buffer (*len bytes, caller frees); NULL on error. */
static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	uint8_t	*buf;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    n > REPLAY_MAX_SIZE || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	/* One spare byte: malloc(0) may return NULL. */
	if ((buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Feed one input, then its prefixes, each in a buffer of its own size
 * (so ASan sees a read one byte past the end). */
static void
replay_file(const char *path, const char *label)
{
	uint8_t	*buf, *cut;
	size_t	 len, i, nprefix;

	printf("# replaying %s\n", path);
	fflush(stdout);
	if ((buf = slurp(path, &len)) == NULL) {
		tap_n++;
		tap_fail++;
		printf("not ok %d - %s %s: cannot read (%s)\n", tap_n,
		    FUZZ_NAME, label, strerror(errno));
		return;
	}
	LLVMFuzzerTestOneInput(buf, len);
	nprefix = len < REPLAY_PREFIXES ? len : REPLAY_PREFIXES;
	for (i = 0; i < nprefix; i++) {
		if ((cut = malloc(i + 1)) == NULL)
			break;
		memcpy(cut, buf, i);
		LLVMFuzzerTestOneInput(cut, i);
		free(cut);
	}
	free(buf);
	tap_n++;
	printf("ok %d - %s %s (%lu bytes, %lu prefixes)\n", tap_n, FUZZ_NAME,
	    label, (unsigned long)len, (unsigned long)nprefix);
	fflush(stdout);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay every regular file of dir in name order; returns how many. */
static int
replay_dir(const char *dir, const char *kind)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		**names = NULL, **nn, path[4096], label[4096];
	size_t		 n = 0, i;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((nn = realloc(names, (n + 1) * sizeof(*names))) == NULL)
			break;
		names = nn;
		if ((names[n] = strdup(de->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(label, sizeof(label), "%s/%s", kind, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			replay_file(path, label);
		free(names[i]);
	}
	free(names);
	return (int)n;
}

int
main(int argc, char *argv[])
{
	const char	*top = getenv("top_srcdir");
	char		 dir[4096];
	struct stat	 st;
	int		 i, found = 0;

	if (top == NULL || *top == '\0')
		top = FUZZ_SRCDIR;
	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
				found += replay_dir(argv[i], argv[i]);
			else {
				replay_file(argv[i], argv[i]);
				found++;
			}
	} else {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top,
		    FUZZ_NAME);
		found += replay_dir(dir, "corpus");
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/regress/%s", top,
		    FUZZ_NAME);
		found += replay_dir(dir, "regress");
	}
	if (found == 0) {
		tap_n++;
		tap_fail++;
		printf("not ok %d - %s: no input found under %s/tests/fuzz\n",
		    tap_n, FUZZ_NAME, top);
	}
	printf("1..%d\n", tap_n);
	return tap_fail ? 1 : 0;
}
