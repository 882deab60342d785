/*
 * FastCGI/CGI requests through libfcgi's request API (fcgiapp.h): the
 * connection (accept, finish), the request read, and the answer's bytes
 * written (http_out(); http-resp.c makes the answer) to the request's
 * streams under FastCGI, the process's standard input and output as
 * plain CGI.  Everything is formatted first (FCGI_printf does not know
 * %zu, platform trap 1) and written as bytes.
 */
#include <fastcgi.h>
#include <fcgiapp.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "base/lex.h"
#include "base/log.h"
#include "web/fcgi-out.h"
#include "web/http.h"
#include "web/http-int.h"
#include "base/util.h"

extern char	**environ;

/*
 * FastCGI: a slot per request open at once (http_accept_more()); slot 0
 * accepts on the listening socket, the others only take a connection
 * http_accept_more() accepted itself.
 */
static FCGX_Request	 slots[HTTP_BATCH_MAX];
static FCGX_Request	*fcgx = &slots[0];	/* the current request */
static bool		 fcgx_init;
static bool		 cgi_served;	/* CGI: the one request was read */

/* End every request still open. */
static void
finish_all(void)
{
	int	 i;

	for (i = HTTP_BATCH_MAX - 1; i >= 0; i--) {
		fcgx = &slots[i];
		http_finish();
	}
}

int
http_accept(void)
{
	int	 i;

	if (FCGX_IsCGI()) {
		if (cgi_served)
			return -1;
		cgi_served = true;
		return 0;
	}
	if (!fcgx_init) {
		if (FCGX_Init() != 0 || FCGX_InitRequest(&slots[0], 0, 0) != 0)
			return -1;
		for (i = 1; i < HTTP_BATCH_MAX; i++)
			if (FCGX_InitRequest(&slots[i], -1, 0) != 0)
				return -1;
		fcgx_init = true;
	}
	finish_all();		/* the previous requests, if not yet */
	fcgx = &slots[0];
	if (FCGX_Accept_r(fcgx) < 0)
		return -1;
	/* The rest of the program reads the request's CGI variables. */
	environ = fcgx->envp;
	return 0;
}

static void
on_timer(int sig)
{
	(void)sig;		/* only to interrupt accept() */
}

/*
 * accept() on the listening socket, which poll() found readable, but
 * bounded: where several processes share the socket, another may have
 * taken the connection, and this one must not then wait for the next
 * with answers held.  A timer of its own (SIGALRM guards the store's
 * open) interrupts it after ACCEPT_WAIT_NS.
 */
#define ACCEPT_WAIT_NS	(10 * 1000000L)

static int
accept_bounded(void)
{
	static timer_t			 timer;
	static bool			 have_timer;
	const struct itimerspec		 on = { { 0, 0 }, { 0, ACCEPT_WAIT_NS } };
	const struct itimerspec		 off = { { 0, 0 }, { 0, 0 } };
	struct sigaction		 sa;
	struct sigevent			 ev;
	int				 fd;

	if (!have_timer) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_timer;	/* no SA_RESTART: EINTR */
		sigemptyset(&sa.sa_mask);
		memset(&ev, 0, sizeof(ev));
		ev.sigev_notify = SIGEV_SIGNAL;
		ev.sigev_signo = SIGRTMIN;
		if (sigaction(SIGRTMIN, &sa, NULL) != 0 ||
		    timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0)
			return -1;
		have_timer = true;
	}
	if (timer_settime(timer, 0, &on, NULL) != 0)
		return -1;
	fd = accept4(FCGI_LISTENSOCK_FILENO, NULL, NULL, SOCK_CLOEXEC);
	timer_settime(timer, 0, &off, NULL);
	return fd;
}

int
http_accept_more(void)
{
	struct pollfd	 p = { FCGI_LISTENSOCK_FILENO, POLLIN, 0 };
	FCGX_Request	*r = NULL;
	int		 i, fd;

	if (!fcgx_init)
		return -1;
	for (i = 1; i < HTTP_BATCH_MAX && r == NULL; i++)
		if (slots[i].ipcFd < 0)
			r = &slots[i];
	if (r == NULL || poll(&p, 1, 0) != 1 || !(p.revents & POLLIN) ||
	    (fd = accept_bounded()) < 0)
		return -1;
	/*
	 * FCGX_Accept_r() reads the request from a connection already in
	 * ipcFd.  It first ends the slot's previous request, which would
	 * close that connection but for keepConnection (the request read
	 * then sets it as the web server asked).  A connection that sends
	 * no request is closed, and the slot's listening socket (-1) ends
	 * the retry there instead of waiting for another.
	 */
	r->ipcFd = fd;
	r->keepConnection = 1;
	if (FCGX_Accept_r(r) < 0)
		return -1;
	fcgx = r;
	environ = fcgx->envp;
	return (int)(r - slots);
}

int
http_current(void)
{
	return (int)(fcgx - slots);
}

void
http_select(int slot)
{
	if (slot < 0 || slot >= HTTP_BATCH_MAX)
		return;
	fcgx = &slots[slot];
	if (fcgx_init && fcgx->ipcFd >= 0)
		environ = fcgx->envp;
}

/* Up to n bytes of the request body into buf; 0 at its end. */
static size_t
body_read(char *buf, size_t n)
{
	int	 got;

	if (!fcgx_init)
		return fread(buf, 1, n, stdin);
	got = FCGX_GetStr(buf, n > 1 << 30 ? 1 << 30 : (int)n, fcgx->in);
	return got > 0 ? (size_t)got : 0;
}

/* Write the n bytes at buf to the client. */
static void
resp_write(const void *buf, size_t n)
{
	if (!fcgx_init)
		fwrite(buf, 1, n, stdout);
	else
		FCGX_PutStr(buf, (int)n, fcgx->out);
}

/*
 * An answer's head (hlen bytes) and body (blen).  Up to twice libfcgi's
 * 8 KiB stream buffer it goes into the stream, which sends it with the
 * end of the request in one write (http_finish()).  Bigger, all but its
 * last RESP_TAIL bytes go straight to the connection in records of 64
 * KiB (fcgi-out.h), after what the stream holds; the tail goes into the
 * stream, so that the answer's last bytes still reach the web server
 * with the end of the request: lighttpd, once it has the bytes
 * Content-Length promised, may close the connection before reading
 * further, and the end written alone then met a closed socket (EPIPE).
 */
#define RESP_TAIL	4096

void
http_out(const char *head, size_t hlen, const char *body, size_t blen)
{
	if (!fcgx_init || hlen + blen <= 16384 ||
	    FCGX_FFlush(fcgx->out) != 0) {
		resp_write(head, hlen);
		if (blen > 0)
			resp_write(body, blen);
		return;
	}
	/* hlen is at most 4 KiB (http_resp_send()): blen > RESP_TAIL. */
	if (!fcgi_out_stdout(fcgx->ipcFd, (unsigned)fcgx->requestId, head,
	    hlen, body, blen - RESP_TAIL)) {
		log_info("answer of %zu bytes cut short: %s", hlen + blen,
		    strerror(errno));
		return;
	}
	resp_write(body + blen - RESP_TAIL, RESP_TAIL);
}

char *
http_decode(const char *s, size_t n, bool plus)
{
	char	*out, *o;
	size_t	 i;
	int	 hi, lo;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n ||
			    (hi = lex_hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = lex_hexval((unsigned char)s[i + 2])) < 0) {
				free(out);
				return NULL;
			}
			/* %00 would cut the value short: refuse it. */
			if (hi == 0 && lo == 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && plus)
			*o++ = ' ';
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

enum scim_err
http_query_parse(struct http_req *req, const char *qs,
    struct scim_error *err)
{
	const char	*p = qs, *amp, *eq;
	char		*name, *value;
	size_t		 len, nlen;

	if (strlen(qs) > HTTP_MAX_QUERY)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "the query string is longer than %d bytes",
		    HTTP_MAX_QUERY);
	while (*p != '\0') {
		amp = strchr(p, '&');
		len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > 0) {
			eq = memchr(p, '=', len);
			nlen = eq ? (size_t)(eq - p) : len;
			name = http_decode(p, nlen, true);
			value = eq ? http_decode(eq + 1, len - nlen - 1, true) :
			    strdup("");
			if (name == NULL || value == NULL) {
				free(name);
				free(value);
				return scim_fail(err, SCIM_E_INVALID_SYNTAX,
				    "the query string has a malformed "
				    "%%-escape (or an encoded NUL byte)");
			}
			if (!util_utf8_valid(name, strlen(name)) ||
			    !util_utf8_valid(value, strlen(value))) {
				free(name);
				free(value);
				return scim_fail(err, SCIM_E_INVALID_SYNTAX,
				    "the query string is not valid UTF-8");
			}
			if (req->nparams == HTTP_MAX_PARAMS) {
				free(name);
				free(value);
				return scim_fail(err, SCIM_E_INVALID_VALUE,
				    "more than %d query parameters",
				    HTTP_MAX_PARAMS);
			}
			req->params[req->nparams].name = name;
			req->params[req->nparams].value = value;
			req->nparams++;
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	return SCIM_OK;
}

const char *
http_param(const struct http_req *req, const char *name)
{
	size_t	 i;

	for (i = 0; i < req->nparams; i++)
		if (strcasecmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	return NULL;
}

/*
 * The CGI variables a request reads.  They are found in one pass over the
 * environment, not with a getenv() each: 18 getenv()s, each a walk of
 * every variable, were 5% of a GET's instructions.
 */
enum cgi_var {
	CV_METHOD, CV_SCRIPT_NAME, CV_PATH_INFO, CV_AUTHORIZATION,
	CV_CONTENT_TYPE, CV_CONTENT_LENGTH, CV_IF_MATCH, CV_IF_NONE_MATCH,
	CV_COOKIE, CV_REMOTE_ADDR, CV_REMOTE_USER, CV_HTTPS, CV_SCHEME,
	CV_HOST, CV_SERVER_NAME, CV_QUERY, CV_USER_AGENT, CV_SERVER_ADDR,
	CV_N
};

#define CV(name)	{ name, sizeof(name) - 1 }
static const struct {
	const char	*name;
	size_t		 len;
} cgi_vars[CV_N] = {
	[CV_METHOD] = CV("REQUEST_METHOD"),
	[CV_SCRIPT_NAME] = CV("SCRIPT_NAME"),
	[CV_PATH_INFO] = CV("PATH_INFO"),
	[CV_AUTHORIZATION] = CV("HTTP_AUTHORIZATION"),
	[CV_CONTENT_TYPE] = CV("CONTENT_TYPE"),
	[CV_CONTENT_LENGTH] = CV("CONTENT_LENGTH"),
	[CV_IF_MATCH] = CV("HTTP_IF_MATCH"),
	[CV_IF_NONE_MATCH] = CV("HTTP_IF_NONE_MATCH"),
	[CV_COOKIE] = CV("HTTP_COOKIE"),
	[CV_REMOTE_ADDR] = CV("REMOTE_ADDR"),
	[CV_REMOTE_USER] = CV("REMOTE_USER"),
	[CV_HTTPS] = CV("HTTPS"),
	[CV_SCHEME] = CV("REQUEST_SCHEME"),
	[CV_HOST] = CV("HTTP_HOST"),
	[CV_SERVER_NAME] = CV("SERVER_NAME"),
	[CV_QUERY] = CV("QUERY_STRING"),
	[CV_USER_AGENT] = CV("HTTP_USER_AGENT"),
	[CV_SERVER_ADDR] = CV("SERVER_ADDR"),
};
#undef CV

/* The longest of cgi_vars' names (a longer one would never be found). */
#define CV_NAME_MAX	18

/*
 * Each of cgi_vars into v (CV_N entries): its value, or NULL when it is
 * not set or empty.  The first of a name wins, as with getenv().  A
 * variable is compared only with the names of its length (a chain per
 * length, made at the first call): of the ~20 a web server sets, most
 * meet one name or none, where a walk of all 18 names was most of a
 * request's reading.
 */
static void
cgi_vars_read(const char **v)
{
	static signed char	 first[CV_NAME_MAX + 1], next[CV_N];
	static bool		 chained;
	char			**e;
	const char		*eq;
	size_t			 n;
	int			 i;

	if (!chained) {
		memset(first, -1, sizeof(first));
		for (i = CV_N - 1; i >= 0; i--) {
			if (cgi_vars[i].len > CV_NAME_MAX)
				continue;
			next[i] = first[cgi_vars[i].len];
			first[cgi_vars[i].len] = (signed char)i;
		}
		chained = true;
	}
	for (i = 0; i < CV_N; i++)
		v[i] = NULL;
	for (e = environ; e != NULL && *e != NULL; e++) {
		if ((eq = strchr(*e, '=')) == NULL || eq[1] == '\0' ||
		    (n = (size_t)(eq - *e)) > CV_NAME_MAX)
			continue;
		for (i = first[n]; i >= 0; i = next[i])
			if (v[i] == NULL && **e == cgi_vars[i].name[0] &&
			    memcmp(cgi_vars[i].name, *e, n) == 0) {
				v[i] = eq + 1;
				break;
			}
	}
}

/*
 * Is host (a Host header: client input) sane to put in a URL: at most
 * 255 bytes of letters, digits and ".-:[]"?
 */
static bool
host_sane(const char *host)
{
	const char	*p;

	for (p = host; *p != '\0'; p++)
		if (!lex_is_alpha(*p) && !lex_is_digit(*p) &&
		    strchr(".-:[]", *p) == NULL)
			return false;
	return p - host <= 255;
}

static char *
concat(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);
	char	*s;

	if ((s = malloc(la + lb + 1)) == NULL)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

static enum scim_err
read_body(struct http_req *req, const char *cl,
    const struct scim_config *cfg, struct scim_error *err)
{
	long		 len;
	size_t		 got = 0, n;

	if (cl == NULL)
		return SCIM_OK;
	if (!util_parse_long(cl, 0, (long)1 << 40, &len))
		return scim_fail(err, SCIM_E_BAD_REQUEST,
		    "bad Content-Length");
	if ((size_t)len > cfg->max_body)
		return scim_fail(err, SCIM_E_TOO_LARGE,
		    "the request body is %ld bytes; the limit is %lu bytes",
		    len, (unsigned long)cfg->max_body);
	if ((req->body = malloc((size_t)len + 1)) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	while (got < (size_t)len) {
		n = body_read(req->body + got, (size_t)len - got);
		if (n == 0)
			break;
		got += n;
	}
	req->body[got] = '\0';
	req->body_len = got;
	if (got != (size_t)len)
		return scim_fail(err, SCIM_E_BAD_REQUEST,
		    "the request body ended after %lu of %ld bytes",
		    (unsigned long)got, len);
	if (!util_utf8_valid(req->body, got))
		return scim_fail(err, SCIM_E_INVALID_SYNTAX,
		    "the request body is not valid UTF-8 (or holds a NUL "
		    "byte)");
	return SCIM_OK;
}

enum scim_err
http_req_read(struct http_req *req, const struct scim_config *cfg,
    struct scim_error *err)
{
	const char	*v[CV_N], *sn, *pi, *qs, *host, *scheme, *https;
	enum scim_err	 rc;

	memset(req, 0, sizeof(*req));
	cgi_vars_read(v);
	req->method = v[CV_METHOD];
	if (req->method == NULL)
		req->method = "GET";
	sn = v[CV_SCRIPT_NAME];
	pi = v[CV_PATH_INFO];
	if ((req->path = concat(sn ? sn : "", pi ? pi : "")) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	req->authorization = v[CV_AUTHORIZATION];
	req->content_type = v[CV_CONTENT_TYPE];
	req->if_match = v[CV_IF_MATCH];
	req->if_none_match = v[CV_IF_NONE_MATCH];
	req->cookie = v[CV_COOKIE];
	req->remote_addr = v[CV_REMOTE_ADDR];
	req->remote_user = v[CV_REMOTE_USER];
	req->user_agent = v[CV_USER_AGENT];
	req->query = v[CV_QUERY];
	req->server_addr = v[CV_SERVER_ADDR];
	https = v[CV_HTTPS];
	scheme = v[CV_SCHEME];
	req->https = (https != NULL && strcasecmp(https, "off") != 0) ||
	    (scheme != NULL && strcasecmp(scheme, "https") == 0);
	if ((host = v[CV_HOST]) == NULL) {
		host = v[CV_SERVER_NAME];
		if (host == NULL)
			host = "localhost";
	}
	/* A Host header is client input: keep only sane characters. */
	if (!host_sane(host))
		host = "localhost";
	if ((req->host_url = concat(req->https ? "https://" : "http://",
	    host)) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	if (!util_utf8_valid(req->path, strlen(req->path)))
		return scim_fail(err, SCIM_E_BAD_REQUEST,
		    "the path is not valid UTF-8");
	if ((qs = v[CV_QUERY]) != NULL &&
	    (rc = http_query_parse(req, qs, err)) != SCIM_OK)
		return rc;
	return read_body(req, v[CV_CONTENT_LENGTH], cfg, err);
}

void
http_req_free(struct http_req *req)
{
	size_t	 i;

	for (i = 0; i < req->nparams; i++) {
		free(req->params[i].name);
		free(req->params[i].value);
	}
	free(req->path);
	free(req->host_url);
	free(req->body);
	memset(req, 0, sizeof(*req));
}

static int
name_cmp(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Does object v have two members of the same name (any case)?  Small
 * objects compare each pair; larger ones sort their names first, so a
 * 1 MiB body of distinct names costs milliseconds, not minutes.  Out of
 * memory counts as a duplicate (the body is refused).
 */
static bool
object_has_duplicate(const cJSON *v)
{
	const cJSON	*a, *b;
	const char	**names;
	size_t		 n = 0, i;
	bool		 dup = false;

	for (a = v->child; a != NULL; a = a->next)
		n++;
	if (n <= 16) {
		/* A first letter that differs settles most pairs. */
		for (a = v->child; a != NULL; a = a->next)
			for (b = a->next; b != NULL; b = b->next)
				if (a->string && b->string &&
				    lex_lower((unsigned char)a->string[0]) ==
				    lex_lower((unsigned char)b->string[0]) &&
				    strcasecmp(a->string, b->string) == 0)
					return true;
		return false;
	}
	if ((names = calloc(n, sizeof(*names))) == NULL)
		return true;
	for (a = v->child, i = 0; a != NULL; a = a->next, i++)
		names[i] = a->string ? a->string : "";
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 1; i < n && !dup; i++)
		dup = strcasecmp(names[i - 1], names[i]) == 0;
	free(names);
	return dup;
}

/* Reject objects with two members of the same name (any case). */
static bool
has_duplicates(const cJSON *v, int depth)
{
	const cJSON	*a;

	if (depth > 200)
		return false;
	if (cJSON_IsObject(v) && object_has_duplicate(v))
		return true;
	if (cJSON_IsObject(v) || cJSON_IsArray(v))
		for (a = v->child; a != NULL; a = a->next)
			if (has_duplicates(a, depth + 1))
				return true;
	return false;
}

/*
 * Does the JSON text s[0..n) hold a \u0000 escape?  cJSON would decode it
 * into a C string that ends there, so "adm\u0000in" would be stored as
 * "adm".  Backslashes only occur inside strings in valid JSON, so a plain
 * scan that skips each escaped character is exact.
 */
static bool
has_nul_escape(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i + 1 < n; i++)
		if (s[i] == '\\') {
			if (s[i + 1] == 'u' && i + 5 < n &&
			    memcmp(s + i + 2, "0000", 4) == 0)
				return true;
			i++;
		}
	return false;
}

enum scim_err
http_body_json(const struct http_req *req, cJSON **out,
    struct scim_error *err)
{
	const char	*ct = req->content_type, *end = NULL;
	cJSON		*j;

	*out = NULL;
	if (ct != NULL && strcasestr(ct, "json") == NULL)
		return scim_fail(err, SCIM_E_MEDIA_TYPE,
		    "Content-Type must be application/scim+json (got %.100s)",
		    ct);
	if (req->body == NULL || req->body_len == 0)
		return scim_fail(err, SCIM_E_INVALID_SYNTAX,
		    "the request needs a JSON body");
	if (has_nul_escape(req->body, req->body_len))
		return scim_fail(err, SCIM_E_INVALID_SYNTAX,
		    "the body holds an escaped NUL character (\\u0000)");
	j = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, 0);
	if (j == NULL) {
		size_t off = end ? (size_t)(end - req->body) : 0;
		return scim_fail(err, SCIM_E_INVALID_SYNTAX,
		    "the body is not valid JSON (near byte %lu)",
		    (unsigned long)off);
	}
	/* One JSON text: only white space may follow the value. */
	while (end < req->body + req->body_len && (*end == ' ' ||
	    *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end != req->body + req->body_len) {
		cJSON_Delete(j);
		return scim_fail(err, SCIM_E_INVALID_SYNTAX,
		    "the body has data after its JSON value (at byte %lu)",
		    (unsigned long)(end - req->body));
	}
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return scim_fail(err, SCIM_E_INVALID_SYNTAX,
		    "the body must be a JSON object");
	}
	if (has_duplicates(j, 0)) {
		cJSON_Delete(j);
		return scim_fail(err, SCIM_E_INVALID_SYNTAX,
		    "the body names the same attribute twice");
	}
	/*
	 * Say so on the request (never defined const: the handlers see it
	 * through a const pointer only), so the activity record can take
	 * the text as it is instead of parsing it again.
	 */
	((struct http_req *)(uintptr_t)req)->body_json = true;
	*out = j;
	return SCIM_OK;
}

/* Has the web server sent the current request more than was read? */
static bool
http_input_waiting(void)
{
	struct pollfd	 pfd = { fcgx->ipcFd, POLLIN, 0 };

	return poll(&pfd, 1, 0) > 0;
}

/*
 * The most of a request's input http_finish() reads to its end before
 * closing without libfcgi's linger.
 */
#define DRAIN_MAX	((size_t)64 << 20)

void
http_finish(void)
{
	char	 buf[8192];
	size_t	 drained = 0;
	int	 n;

	if (!fcgx_init || fcgx->ipcFd < 0)
		return;
	/*
	 * libfcgi closes a request's connection with shutdown(), then waits
	 * for the web server to close its end and reads to it (so that
	 * input left unread cannot make the close reset the connection and
	 * lose the answer): a sleep and a wake-up per request, a fifth of a
	 * GET's CPU.  Once the input has been read to its end there is
	 * nothing to lose: the connection is marked detached, which closes
	 * it at once.  Input still unread after DRAIN_MAX keeps the linger.
	 */
	/*
	 * An authorizer (scim-authz) gets no input: mod_fcgid sends not even
	 * its end, and reading for it would hold the answer until the web
	 * server gave up; lighttpd sends the end with the variables, so it
	 * has been read with them.  Unless more is waiting on the socket, then,
	 * nothing is left unread and the connection closes at once too.
	 */
	if (fcgx->role == FCGI_AUTHORIZER && !http_input_waiting())
		FCGX_Detach(fcgx);
	else {
		while (drained < DRAIN_MAX &&
		    (n = FCGX_GetStr(buf, sizeof(buf), fcgx->in)) > 0)
			drained += (size_t)n;
		if (drained < DRAIN_MAX && FCGX_GetError(fcgx->in) == 0)
			FCGX_Detach(fcgx);
	}
	/*
	 * A connection http_accept_more() took is not kept for the web
	 * server's next request: only slot 0 accepts, so none would read it.
	 */
	if (fcgx != &slots[0])
		fcgx->keepConnection = 0;
	FCGX_Finish_r(fcgx);
	/* The request's variables are freed: as fcgi_stdio's FCGI_Finish(). */
	environ = NULL;
}

bool
http_is_fastcgi(void)
{
	return !FCGX_IsCGI();
}
