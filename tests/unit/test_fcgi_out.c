/*
 * Unit tests for fcgi_out_stdout() (common/web/fcgi-out.c): answers of
 * sizes around the record's limit are written to a file and read back as
 * FastCGI records, which must be stdout records of the request, of at
 * most FCGI_OUT_RECORD_MAX bytes, padded to 8 with zeros, whose content
 * put together is the head then the body, byte for byte.  Over HTTP the
 * suites' big answers (lists, a 100,000-member group) go through it.
 */
#include <fastcgi.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/fcgi-out.h"
#include "tap.h"

/* n bytes of a pattern that shows a byte out of place. */
static char *
pattern(size_t n, unsigned seed)
{
	char	*p = malloc(n + 1);
	size_t	 i;

	for (i = 0; p != NULL && i < n; i++)
		p[i] = (char)('a' + (i * 7 + seed) % 26);
	return p;
}

/*
 * The records in buf (n bytes): true when each is a well-formed stdout
 * record of request id; their content into out (*olen), their count
 * into *nrec.
 */
static bool
parse_records(const unsigned char *buf, size_t n, unsigned id, char *out,
    size_t *olen, size_t *nrec)
{
	const FCGI_Header	*h;
	size_t			 at = 0, clen, plen, i;

	*olen = 0;
	*nrec = 0;
	while (at < n) {
		if (n - at < sizeof(*h))
			return false;
		h = (const FCGI_Header *)(buf + at);
		clen = (size_t)h->contentLengthB1 << 8 | h->contentLengthB0;
		plen = h->paddingLength;
		if (h->version != FCGI_VERSION_1 || h->type != FCGI_STDOUT ||
		    ((unsigned)h->requestIdB1 << 8 | h->requestIdB0) != id ||
		    clen == 0 || clen > FCGI_OUT_RECORD_MAX ||
		    (clen + plen) % 8 != 0 || plen > 7 ||
		    n - at - sizeof(*h) < clen + plen)
			return false;
		at += sizeof(*h);
		memcpy(out + *olen, buf + at, clen);
		*olen += clen;
		for (i = 0; i < plen; i++)
			if (buf[at + clen + i] != 0)
				return false;
		at += clen + plen;
		(*nrec)++;
	}
	return true;
}

static void
one_case(size_t alen, size_t blen, unsigned id)
{
	char		*a = pattern(alen, 1), *b = pattern(blen, 5);
	char		*want = malloc(alen + blen + 1), *got;
	unsigned char	*buf;
	size_t		 olen, nrec, size, maxrec;
	long		 end;
	FILE		*f = tmpfile();		/* gone when closed */
	int		 fd = f != NULL ? fileno(f) : -1;

	memcpy(want, a, alen);
	memcpy(want + alen, b, blen);
	ok(fd >= 0 && fcgi_out_stdout(fd, id, a, alen, b, blen),
	    "%zu + %zu bytes, request %u: written", alen, blen, id);
	fseek(f, 0, SEEK_END);
	end = ftell(f);
	size = end > 0 ? (size_t)end : 0;
	rewind(f);
	buf = malloc(size + 1);
	got = malloc(size + 1);
	ok(fread(buf, 1, size, f) == size, "read back");
	maxrec = (alen + blen + FCGI_OUT_RECORD_MAX - 1) / FCGI_OUT_RECORD_MAX;
	ok(parse_records(buf, size, id, got, &olen, &nrec) &&
	    olen == alen + blen && memcmp(got, want, olen) == 0,
	    "%zu + %zu bytes: well-formed records, the bytes in order", alen,
	    blen);
	is_int((int)nrec, (int)maxrec, "as few records as the limit allows");
	fclose(f);
	free(a);
	free(b);
	free(want);
	free(buf);
	free(got);
}

int
main(void)
{
	static const size_t	 sizes[][2] = {
		{ 0, 0 }, { 1, 0 }, { 0, 1 }, { 300, 20000 },
		{ 300, FCGI_OUT_RECORD_MAX - 300 },
		{ 300, FCGI_OUT_RECORD_MAX - 299 },
		{ FCGI_OUT_RECORD_MAX + 5, 3 },
		{ 120, 3 * FCGI_OUT_RECORD_MAX + 17 },
		{ 4096, 1000000 },
	};
	size_t			 i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		one_case(sizes[i][0], sizes[i][1], i % 2 ? 1 : 258);
	/* A connection gone: false, errno set, as the caller logs it. */
	ok(!fcgi_out_stdout(-1, 1, "x", 1, NULL, 0), "a bad descriptor: false");
	return tap_done();
}
