/*
 * FastCGI stdout records written with writev(2) (see fcgi-out.h).
 */
#include <fastcgi.h>

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "web/fcgi-out.h"

/* All of iov[0..cnt) to fd, across short writes and signals. */
static bool
writev_all(int fd, struct iovec *iov, int cnt)
{
	ssize_t	 n;

	while (cnt > 0) {
		if ((n = writev(fd, iov, cnt)) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return true;
}

/* The header of a stdout record of request id with len bytes of content. */
static void
record_header(FCGI_Header *h, unsigned id, size_t len)
{
	memset(h, 0, sizeof(*h));
	h->version = FCGI_VERSION_1;
	h->type = FCGI_STDOUT;
	h->requestIdB1 = (unsigned char)((id >> 8) & 0xff);
	h->requestIdB0 = (unsigned char)(id & 0xff);
	h->contentLengthB1 = (unsigned char)((len >> 8) & 0xff);
	h->contentLengthB0 = (unsigned char)(len & 0xff);
	h->paddingLength = (unsigned char)((8 - len % 8) % 8);
}

bool
fcgi_out_stdout(int fd, unsigned id, const void *a, size_t alen,
    const void *b, size_t blen)
{
	static const char	 zeros[8];
	const char		*pa = a, *pb = b;
	FCGI_Header		 h;
	struct iovec		 iov[4];
	size_t			 len, from_a, from_b;
	int			 cnt;

	while (alen + blen > 0) {
		len = alen + blen < FCGI_OUT_RECORD_MAX ? alen + blen :
		    FCGI_OUT_RECORD_MAX;
		from_a = len < alen ? len : alen;
		from_b = len - from_a;
		record_header(&h, id, len);
		cnt = 0;
		iov[cnt++] = (struct iovec){ &h, sizeof(h) };
		if (from_a > 0)
			iov[cnt++] = (struct iovec){ (void *)pa, from_a };
		if (from_b > 0)
			iov[cnt++] = (struct iovec){ (void *)pb, from_b };
		if (h.paddingLength > 0)
			iov[cnt++] = (struct iovec){ (void *)zeros,
			    h.paddingLength };
		if (!writev_all(fd, iov, cnt))
			return false;
		pa += from_a;
		alen -= from_a;
		pb += from_b;
		blen -= from_b;
	}
	return true;
}
