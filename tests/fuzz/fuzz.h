/*
 * What every fuzz harness shares: the libFuzzer entry point's prototype
 * (the same function is driven by libFuzzer under "make fuzz" and by
 * replay.c under "make check"), and small helpers to turn the fuzzer's
 * bytes into the NUL-terminated strings and JSON the library expects.
 *
 * A harness must free everything it allocates: under AddressSanitizer a
 * leak is a failure, exactly as a crash is.
 */
#ifndef SCIM_FUZZ_H
#define SCIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A NUL-terminated copy of data[0..size) (embedded NUL bytes stay, so C
 * string functions see the text up to the first one).  The caller frees
 * it; NULL only when out of memory.
 */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		return NULL;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * Split data at its first NUL byte: *head gets the bytes before it (a
 * new string), and *tail the bytes after it parsed as JSON (NULL when
 * there is no NUL or the rest is not JSON).  Both are the caller's.
 * Returns 0, or -1 when out of memory.
 */
static inline int
fuzz_split(const uint8_t *data, size_t size, char **head, cJSON **tail)
{
	const uint8_t	*nul = size > 0 ? memchr(data, '\0', size) : NULL;
	size_t		 hlen = nul ? (size_t)(nul - data) : size;

	*tail = NULL;
	if ((*head = fuzz_strndup(data, hlen)) == NULL)
		return -1;
	if (nul != NULL && hlen + 1 < size)
		*tail = cJSON_ParseWithLength((const char *)nul + 1,
		    size - hlen - 1);
	return 0;
}

#endif /* SCIM_FUZZ_H */
