/*
 * The answer to a request (http.h's struct http_resp): extra headers, a
 * SCIM error, the reason phrase, the body printed, and the head put
 * together and handed to http.c's http_out() with it.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/log.h"
#include "scim/schema.h"
#include "web/http.h"
#include "web/http-int.h"

bool
http_resp_header(struct http_resp *resp, const char *fmt, ...)
{
	char	 buf[2048];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* A full table is a bug to see, never a header quietly missing. */
	if (resp->nheaders == HTTP_MAX_HEADERS) {
		log_err("response header dropped, %d already: %.*s",
		    HTTP_MAX_HEADERS, (int)strcspn(buf, ":"), buf);
		return false;
	}
	/* Never let a value smuggle a header line. */
	if (strpbrk(buf, "\r\n") != NULL)
		return false;
	if ((resp->headers[resp->nheaders] = strdup(buf)) == NULL)
		return false;
	resp->nheaders++;
	return true;
}

void
http_resp_error(struct http_resp *resp, const struct scim_error *err)
{
	enum scim_err	 code = err->code == SCIM_OK ? SCIM_E_INTERNAL :
	    err->code;
	char		 status[8];
	const char	*type = scim_err_type(code);
	cJSON		*b, *schemas;

	resp->status = scim_err_status(code);
	cJSON_Delete(resp->body);
	free(resp->raw);
	resp->raw = NULL;
	snprintf(status, sizeof(status), "%d", resp->status);
	if ((b = cJSON_CreateObject()) == NULL)
		goto fail;
	if ((schemas = cJSON_AddArrayToObject(b, "schemas")) == NULL)
		goto fail;
	cJSON_AddItemToArray(schemas, cJSON_CreateString(SCHEMA_ERROR));
	if (cJSON_AddStringToObject(b, "status", status) == NULL)
		goto fail;
	if (type != NULL && cJSON_AddStringToObject(b, "scimType",
	    type) == NULL)
		goto fail;
	if (cJSON_AddStringToObject(b, "detail", err->detail[0] ?
	    err->detail : http_reason(resp->status)) == NULL)
		goto fail;
	resp->body = b;
	return;
fail:
	cJSON_Delete(b);
	resp->body = NULL;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

/*
 * The response body is printed into one buffer that lives as long as the
 * process and grows to the largest body seen (up to PRINT_KEEP): no
 * allocation, growth and final copy per response, as cJSON_Print* does.
 */
#define PRINT_FIRST	(16 * 1024)	/* the buffer's first size */
#define PRINT_KEEP	(256 * 1024)	/* larger bodies are not kept */

static char	*print_buf;
static size_t	 print_cap;
static const char *sent_text;	/* the body printed or sent for a tree */
static size_t	 sent_len;	/* its length, or 0 */

/*
 * Print v unformatted.  Returns the text and sets *own when the caller
 * frees it (a body larger than the kept buffer), or NULL when out of
 * memory.
 */
static char *
print_body(const cJSON *v, bool *own)
{
	char	*text, *nb;
	size_t	 len, cap;

	*own = false;
	if (print_buf == NULL && (print_buf = malloc(PRINT_FIRST)) != NULL)
		print_cap = PRINT_FIRST;
	if (print_buf != NULL && cJSON_PrintPreallocated((cJSON *)v,
	    print_buf, (int)print_cap, 0))
		return print_buf;
	if ((text = cJSON_PrintUnformatted(v)) == NULL)
		return NULL;
	/* Make room for this size next time, within the bound. */
	len = strlen(text);
	for (cap = print_cap ? print_cap : PRINT_FIRST; cap < len + 64 &&
	    cap < PRINT_KEEP; cap *= 2)
		continue;
	if (cap > print_cap && cap <= PRINT_KEEP &&
	    (nb = realloc(print_buf, cap)) != NULL) {
		print_buf = nb;
		print_cap = cap;
	}
	*own = true;
	return text;
}

/* A response head being written into a fixed buffer. */
struct head {
	char	*buf;
	size_t	 len, cap;
};

/*
 * Add name and then, unless value is NULL, value and CRLF, when the
 * whole of it fits with room for the head's last CRLF; else nothing.
 * Inline: the names are literals, whose lengths are then known.
 */
static inline void
hdr_add(struct head *h, const char *name, const char *value)
{
	size_t	 a = strlen(name), b = value != NULL ? strlen(value) : 0;
	size_t	 need = a + b + (value != NULL ? 2 : 0);

	if (h->len + need + 2 >= h->cap)
		return;
	memcpy(h->buf + h->len, name, a);
	h->len += a;
	if (value == NULL)
		return;
	memcpy(h->buf + h->len, value, b);
	memcpy(h->buf + h->len + b, "\r\n", 2);
	h->len += b + 2;
}

/* Add the decimal digits of n (room for them is kept by hdr_add()). */
static void
hdr_num(struct head *h, unsigned long n)
{
	char	 num[24], *p = num + sizeof(num) - 1;

	*p = '\0';
	do {
		*--p = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	hdr_add(h, p, NULL);
}

void
http_resp_send(const struct http_resp *resp)
{
	char		 hdr[4096];
	struct head	 h = { hdr, 0, sizeof(hdr) };
	char		*text = NULL;
	const char	*body = NULL, *type = NULL;
	size_t		 blen = 0, i;
	int		 status = resp->status ? resp->status : 200, n;
	bool		 own = false;

	sent_len = 0;
	sent_text = NULL;
	if (resp->raw != NULL) {
		/* With a tree too, raw is the tree's text (http.h). */
		body = resp->raw;
		blen = resp->raw_len;
		type = resp->raw_type;
		if (resp->body != NULL) {
			sent_text = resp->raw;
			sent_len = blen;
		}
	} else if (resp->body != NULL && status != 204 && status != 304) {
		text = print_body(resp->body, &own);
		if (text == NULL)
			status = 500;
		else {
			body = text;
			blen = strlen(text);
			if (!own) {
				sent_text = text;
				sent_len = blen;
			}
		}
		type = "application/scim+json";
	}
	if (type == NULL)
		type = "application/scim+json";
	/*
	 * The head is put together with copies, not snprintf: it is on
	 * every answer, and a printf per line was a tenth of a GET's cost
	 * in this process.  Lines past the buffer are left out.
	 */
	hdr_add(&h, "Status: ", NULL);
	hdr_num(&h, (unsigned long)status);
	hdr_add(&h, " ", http_reason(status));
	hdr_add(&h, "Content-Type: ", type);
	if (status != 204 && status != 304) {
		hdr_add(&h, "Content-Length: ", NULL);
		hdr_num(&h, (unsigned long)blen);
		hdr_add(&h, "", "");
	}
	if (resp->location != NULL)
		hdr_add(&h, "Location: ", resp->location);
	if (resp->etag != NULL)
		hdr_add(&h, "ETag: ", resp->etag);
	if (resp->allow != NULL)
		hdr_add(&h, "Allow: ", resp->allow);
	for (i = 0; i < resp->nheaders; i++)
		hdr_add(&h, resp->headers[i], "");
	/* hdr_add() kept room for the head's end. */
	memcpy(hdr + h.len, "\r\n", 2);
	n = (int)h.len + 2;
	http_out(hdr, (size_t)n, body, body != NULL && status != 204 &&
	    status != 304 ? blen : 0);
	/*
	 * No flush: http_finish() (or the next http_accept()) sends what is
	 * buffered together with the end of the request, one write instead
	 * of two (and one read for the web server); as CGI, exit flushes.
	 * The stream has copied the body.
	 */
	if (own)
		free(text);
}

const char *
http_resp_sent_body(size_t *len)
{
	*len = sent_len;
	return sent_len > 0 ? sent_text : NULL;
}

void
http_resp_free(struct http_resp *resp)
{
	size_t	 i;

	cJSON_Delete(resp->body);
	free(resp->raw);
	free(resp->location);
	free(resp->etag);
	for (i = 0; i < resp->nheaders; i++)
		free(resp->headers[i]);
	memset(resp, 0, sizeof(*resp));
}
