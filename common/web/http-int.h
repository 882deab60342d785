/*
 * What http.c (the connection, libfcgi's streams) gives http-resp.c (the
 * answer): a way to write the answer's bytes.  Private to web/.
 */
#ifndef SCIM_HTTP_INT_H
#define SCIM_HTTP_INT_H

#include <stddef.h>

/*
 * Write an answer's head (hlen bytes) and body (blen; body may be NULL
 * when blen is 0) to the current request.
 */
void	 http_out(const char *head, size_t hlen, const char *body,
	    size_t blen);

#endif /* SCIM_HTTP_INT_H */
