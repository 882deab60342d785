/*
 * Berkeley DB's shared regions in huge pages: see region.h.
 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "store/region.h"

/* "<prefix>NNN": a region file's name (not __db.register, not deleted). */
static bool
is_region(const char *path, const char *prefix, size_t plen)
{
	const char	*n = path + plen;

	return strncmp(path, prefix, plen) == 0 && strlen(n) == 3 &&
	    isdigit((unsigned char)n[0]) && isdigit((unsigned char)n[1]) &&
	    isdigit((unsigned char)n[2]);
}

/*
 * Grow path to len, the length of its mapping, if it is still the file
 * mapped there (device and inode) and shorter.
 */
static void
region_file_grow(const char *path, unsigned long len, unsigned maj,
    unsigned min, unsigned long ino)
{
	struct stat	 st;
	int		 fd;

	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_ino == (ino_t)ino && major(st.st_dev) == maj &&
	    minor(st.st_dev) == min && st.st_size >= 0 &&
	    (unsigned long)st.st_size < len)
		(void)ftruncate(fd, (off_t)len);
	close(fd);
}

void
region_hugepages(const char *home)
{
	FILE		*f;
	char		 line[PATH_MAX + 160], prefix[PATH_MAX + 8];
	char		 real[PATH_MAX], *path, *nl;
	unsigned long	 lo, hi, ino;
	unsigned	 maj, min;
	size_t		 plen;
	int		 at;

	if (realpath(home, real) == NULL ||
	    (size_t)snprintf(prefix, sizeof(prefix), "%s/__db.", real) >=
	    sizeof(prefix))
		return;
	plen = strlen(prefix);
	if ((f = fopen("/proc/self/maps", "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		at = 0;
		if (sscanf(line, "%lx-%lx %*s %*x %x:%x %lu %n", &lo, &hi,
		    &maj, &min, &ino, &at) != 5 || at == 0 || hi <= lo)
			continue;
		path = line + at;
		if ((nl = strchr(path, '\n')) != NULL)
			*nl = '\0';
		if (!is_region(path, prefix, plen))
			continue;
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
		if (strcmp(path + plen, "001") != 0)
			region_file_grow(path, hi - lo, maj, min, ino);
	}
	fclose(f);
}
