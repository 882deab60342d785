/*
 * A FastCGI answer written straight to its connection as stdout records
 * of up to 64 KiB, for answers bigger than libfcgi's stream buffer.
 * libfcgi's stream writes a record per 8 KiB it buffers: a system call,
 * and a wake-up of the web server, per 8 KiB (13 for a page of 100
 * users, 1,300 for a GET of a 100,000-member group); this writes one
 * writev(2) per 65,528 bytes.
 *
 * OWNS the stdout record's framing (FastCGI 1.0, sections 3.3 and 5.3,
 * with fastcgi.h's header and constants) and its writing.  MUST NOT KNOW
 * libfcgi's streams: the caller flushes its request's stream first, so
 * that the bytes keep their order, and lets libfcgi write the end of the
 * stream and of the request as before (http.c).
 */
#ifndef SCIM_FCGI_OUT_H
#define SCIM_FCGI_OUT_H

#include <stdbool.h>
#include <stddef.h>

/* The most content one record carries: 65,535 rounded down to 8. */
#define FCGI_OUT_RECORD_MAX	65528

/*
 * The alen bytes at a, then the blen bytes at b (either may be empty),
 * as stdout records of request id on fd, each padded to a multiple of 8
 * bytes.  False when a write failed (errno says why; what was written is
 * on the connection).
 */
bool	 fcgi_out_stdout(int fd, unsigned id, const void *a, size_t alen,
	    const void *b, size_t blen);

#endif /* SCIM_FCGI_OUT_H */
