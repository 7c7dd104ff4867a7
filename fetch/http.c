/* http.c - the shared libcurl multi driver on the poll() loop; see http.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/format.h"
#include "fetch/http.h"

/* Idle connections kept for reuse.  libcurl's default follows the number
 * of transfers in the multi handle, which shrinks as a burst of scrapes
 * finishes and would close most kept-alive connections; one per target is
 * what we want, up to thousands of targets (the bench scrapes 1,000). */
#define HTTP_MAX_IDLE_CONNS 4096L
/* Below this speed for this long a transfer is abandoned; matters only for
 * requests whose total timeout is longer (the total timeout always holds). */
#define HTTP_LOW_SPEED_BYTES 16L
#define HTTP_LOW_SPEED_TIME  60L
/* Response headers kept for http_resp_header() (libcurl itself refuses
 * more than 100 KiB). */
#define HTTP_HEADERS_MAX 65536
/* Start of an HTTP error body kept for the error text. */
#define HTTP_ERRBODY_MAX 512
/* Error bodies larger than this are pages, not messages: not quoted. */
#define HTTP_ERRBODY_QUOTE_MAX 65536
/* Longest timeout accepted (s): a day. */
#define HTTP_TIMEOUT_MAX 86400.0
/* Largest credential file read. */
#define HTTP_SECRET_MAX 16384

struct http_sock {
	curl_socket_t fd;
	short events;
};

struct http_xfer {
	struct http_xfer *next, *prev;   /* in h->active, h->failed or h->batch */
	int id;
	CURL *easy;                       /* NULL for a request that failed before starting */
	struct curl_slist *hdrs;
	char *url;
	char *body;
	size_t body_len;
	http_done_fn done;
	http_chunk_fn on_chunk;
	void *user;

	double connect_timeout, timeout;
	size_t max_bytes;
	char hostport[128];              /* for error texts; never holds credentials */
	bool https;

	/* strings that must never appear in an error text: the URL's password;
	 * the token, or the password, user:password and its base64 */
	char *secret[4];

	char *buf;                       /* buffered body */
	size_t len, cap;
	size_t received;                 /* decoded body bytes seen */
	char errbody[HTTP_ERRBODY_MAX];  /* start of an HTTP error body, when streaming */
	size_t errbody_len;
	char reason[64];                 /* reason phrase of the last status line */
	char *hdrs_in;                   /* final response's headers: "name\0value\0"... */
	size_t hdrs_len, hdrs_cap;

	bool too_big, receiver_abort, cancelled;
	bool sensitive;                  /* wipe buf when freed */
	char errbuf[CURL_ERROR_SIZE];
	char error[HTTP_ERROR_MAX];      /* final, sanitized; or a pre-start error */
};

struct http {
	struct source src;
	CURLM *multi;
	struct http_xfer *active;        /* added to the multi handle */
	struct http_xfer *failed;        /* failed before starting; done() at next tick */
	struct http_xfer *batch;         /* those being reported right now */
	struct http_sock *socks;
	size_t nsocks, capsocks, rot;
	double deadline;                 /* curl's timer, INFINITY when none */
	int next_id;
	int in_curl;                     /* >0 while inside a libcurl call */
	bool cancelled_inside;           /* http_cancel() ran inside libcurl */
	unsigned long delivered;         /* done() calls so far */
};

static bool http_inited;

int http_global_init(void)
{
	if (http_inited)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	http_inited = true;
	return 0;
}

void http_global_cleanup(void)
{
	if (!http_inited)
		return;
	curl_global_cleanup();
	http_inited = false;
}

/* ---- small helpers -------------------------------------------------------- */

static void list_push(struct http_xfer **head, struct http_xfer *x)
{
	x->prev = NULL;
	x->next = *head;
	if (*head)
		(*head)->prev = x;
	*head = x;
}

static void list_unlink(struct http_xfer **head, struct http_xfer *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else if (*head == x)
		*head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	x->next = x->prev = NULL;
}

static void wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void xfer_free(struct http_xfer *x)
{
	if (x->easy)
		curl_easy_cleanup(x->easy);
	for (struct curl_slist *l = x->hdrs; l; l = l->next)   /* a session token */
		if (l->data)
			explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(x->hdrs);
	free(x->url);
	if (x->body) {
		explicit_bzero(x->body, x->body_len);   /* may be signed or carry secrets */
		free(x->body);
	}
	for (size_t i = 0; i < sizeof x->secret / sizeof x->secret[0]; i++)
		wipe_free(x->secret[i]);
	if (x->buf && x->sensitive)
		explicit_bzero(x->buf, x->cap);
	free(x->buf);
	free(x->hdrs_in);
	free(x);
}

static void add_secret(struct http_xfer *x, const char *s, size_t len)
{
	/* very short strings would blank out ordinary words; they are not
	 * credentials worth the name anyway */
	if (len < 3)
		return;
	for (size_t i = 0; i < sizeof x->secret / sizeof x->secret[0]; i++)
		if (!x->secret[i]) {
			x->secret[i] = strndup(s, len);
			return;
		}
}

/* Replaces every occurrence of each secret in buf (NUL-terminated) by "***". */
static void redact(const struct http_xfer *x, char *buf, size_t size)
{
	for (size_t i = 0; i < sizeof x->secret / sizeof x->secret[0]; i++) {
		const char *s = x->secret[i];
		if (!s)
			continue;
		size_t sl = strlen(s);
		char *p = buf;
		while ((p = strstr(p, s))) {
			size_t tail = strlen(p + sl);
			if ((size_t)(p - buf) + 3 + tail + 1 > size)
				tail = size - (size_t)(p - buf) - 3 - 1;
			memmove(p + 3, p + sl, tail);
			memcpy(p, "***", 3);
			p[3 + tail] = '\0';
			p += 3;
		}
	}
}

static void base64(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

/* Sets the final error text: formatted, credentials removed, control
 * characters replaced. */
static void xfer_error(struct http_xfer *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void xfer_error(struct http_xfer *x, const char *fmt, ...)
{
	char raw[HTTP_ERROR_MAX * 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	redact(x, raw, sizeof raw);
	fmt_sanitize(x->error, sizeof x->error, raw, true);
}

/* Reads a credential file: its content less trailing line ends.  On error
 * returns NULL with `why` set; the content is never part of `why`. */
static char *read_secret(const char *path, const char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*why = strerror(errno);
		return NULL;
	}
	char *buf = malloc(HTTP_SECRET_MAX + 1);
	if (!buf) {
		close(fd);
		*why = "out of memory";
		return NULL;
	}
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, HTTP_SECRET_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*why = strerror(errno);
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > HTTP_SECRET_MAX) {
			*why = "file too large";
			goto fail;
		}
	}
	close(fd);
	fd = -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	if (n == 0) {
		*why = "file is empty";
		goto fail;
	}
	/* a control character would split or forge header lines */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f) {
			*why = "contains control characters";
			goto fail;
		}
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	explicit_bzero(buf, HTTP_SECRET_MAX + 1);
	free(buf);
	return NULL;
}

/* ---- libcurl callbacks ---------------------------------------------------- */

static struct http_sock *sock_find(struct http *h, curl_socket_t fd)
{
	for (size_t i = 0; i < h->nsocks; i++)
		if (h->socks[i].fd == fd)
			return &h->socks[i];
	return NULL;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	(void)easy;
	(void)socketp;
	struct http *h = userp;
	struct http_sock *s = sock_find(h, fd);
	if (what == CURL_POLL_REMOVE) {
		if (s)
			*s = h->socks[--h->nsocks];
		return 0;
	}
	short ev = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= POLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= POLLOUT;
	if (!s) {
		if (h->nsocks == h->capsocks) {
			size_t cap = h->capsocks ? h->capsocks * 2 : 16;
			struct http_sock *grown = realloc(h->socks, cap * sizeof *grown);
			if (!grown)
				return -1;     /* libcurl fails the transfer */
			h->socks = grown;
			h->capsocks = cap;
		}
		s = &h->socks[h->nsocks++];
		s->fd = fd;
	}
	s->events = ev;
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct http *h = userp;
	/* -1: no timer; 0: as soon as possible (libcurl must not be called
	 * from here, so the next tick() does it) */
	h->deadline = timeout_ms < 0 ? INFINITY : clock_now() + (double)timeout_ms / 1000.0;
	return 0;
}

static long xfer_status(const struct http_xfer *x)
{
	long status = 0;
	if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		return 0;
	return status;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_xfer *x = userp;
	size_t n = size * nmemb;
	if (x->cancelled)
		return 0;
	if (n > x->max_bytes - x->received) {
		x->too_big = true;
		return 0;              /* aborts with CURLE_WRITE_ERROR */
	}
	x->received += n;

	if (x->on_chunk) {
		if (xfer_status(x) >= 300) {
			/* an error or redirect page is not for the parser: keep
			 * its start for the error text */
			size_t room = sizeof x->errbody - 1 - x->errbody_len;
			size_t k = n < room ? n : room;
			memcpy(x->errbody + x->errbody_len, data, k);
			x->errbody_len += k;
			x->errbody[x->errbody_len] = '\0';
			return n;
		}
		if (x->on_chunk(x->user, data, n) != 0) {
			x->receiver_abort = true;
			return 0;
		}
		return x->cancelled ? 0 : n;
	}

	if (x->len + n + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 16384;
		while (cap < x->len + n + 1)
			cap *= 2;
		char *grown;
		if (x->sensitive) {     /* no copy left behind unwiped by realloc */
			if ((grown = malloc(cap)) && x->buf) {
				memcpy(grown, x->buf, x->len);
				explicit_bzero(x->buf, x->cap);
				free(x->buf);
			}
		} else {
			grown = realloc(x->buf, cap);
		}
		if (!grown)
			return 0;      /* CURLE_WRITE_ERROR; reported as out of memory */
		x->buf = grown;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, data, n);
	x->len += n;
	x->buf[x->len] = '\0';
	return n;
}

/* Keeps one "Name: value" line of the response, sanitized. */
static void keep_header(struct http_xfer *x, const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);
	if (!colon || colon == line || line[0] == ' ' || line[0] == '\t')
		return;     /* not a header, or an obsolete folded continuation */
	size_t nl = (size_t)(colon - line);
	const char *v = colon + 1, *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	size_t vl = (size_t)(end - v);
	size_t need = x->hdrs_len + nl + 1 + vl + 1;
	if (need > HTTP_HEADERS_MAX)
		return;
	if (need > x->hdrs_cap) {
		size_t cap = x->hdrs_cap ? x->hdrs_cap : 1024;
		while (cap < need)
			cap *= 2;
		char *grown = realloc(x->hdrs_in, cap);
		if (!grown)
			return;     /* the header is missing from lookups, no more */
		x->hdrs_in = grown;
		x->hdrs_cap = cap;
	}
	char *o = x->hdrs_in + x->hdrs_len;
	memcpy(o, line, nl);
	o[nl] = '\0';
	/* remote text: no control characters, whatever the caller does with it */
	char raw[1024];
	size_t rl = vl < sizeof raw - 1 ? vl : sizeof raw - 1;
	memcpy(raw, v, rl);
	raw[rl] = '\0';
	size_t wl = fmt_sanitize(o + nl + 1, vl + 1, raw, true);
	x->hdrs_len += nl + 1 + wl + 1;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_xfer *x = userp;
	size_t n = size * nmemb;
	if (x->cancelled)
		return 0;
	if (n > 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* a new status line starts a new response (after a 1xx, or on
		 * a retried connection): forget the previous one */
		x->reason[0] = '\0';
		x->errbody_len = 0;
		x->hdrs_len = 0;
		const char *p = memchr(data, ' ', n);               /* before the code */
		const char *end = data + n;
		if (p && (p = memchr(p + 1, ' ', (size_t)(end - p - 1)))) {   /* before the reason */
			p++;
			size_t k = 0;
			while (p < end && *p != '\r' && *p != '\n' && k + 1 < sizeof x->reason)
				x->reason[k++] = *p++;
			x->reason[k] = '\0';
		}
		return n;
	}
	keep_header(x, data, n);
	return n;
}

/* ---- finishing ------------------------------------------------------------ */

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return true;
	default:
		return false;
	}
}

/* Cuts a text that was truncated where it ends with the start of a
 * secret: the rest of that secret was cut off, so redact() cannot see it. */
static void redact_tail(const struct http_xfer *x, char *buf)
{
	size_t bl = strlen(buf);
	for (size_t i = 0; i < sizeof x->secret / sizeof x->secret[0]; i++) {
		const char *s = x->secret[i];
		if (!s)
			continue;
		size_t sl = strlen(s);
		for (size_t k = sl - 1 < bl ? sl - 1 : bl; k > 0; k--)
			if (memcmp(buf + bl - k, s, k) == 0) {
				buf[bl - k] = '\0';
				bl -= k;
				break;
			}
	}
}

/* The first non-blank line of a small text body for an HTTP error text,
 * free of credentials (the server may echo what it was sent).  HTML pages
 * are left out: their first line is markup, and the reason phrase says it. */
static void first_line(const struct http_xfer *x, const char *body, size_t len, bool cut,
                       const char *ctype, char *out, size_t size)
{
	out[0] = '\0';
	if (!body || len == 0 || x->received > HTTP_ERRBODY_QUOTE_MAX)
		return;
	if (ctype && ((!has_prefix(ctype, "text/") && !strstr(ctype, "json") && !strstr(ctype, "xml")) ||
	              strstr(ctype, "html")))
		return;
	char line[1024];
	size_t i = 0, k = 0;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	while (i < len && body[i] != '\n' && body[i] != '\r' && body[i] != '\0' && k + 1 < sizeof line)
		line[k++] = body[i++];
	line[k] = '\0';
	if (k + 1 == sizeof line || (i == len && cut))
		redact_tail(x, line);
	redact(x, line, sizeof line);
	/* shortened only now, when no secret is left to cut in two */
	size_t n = strlen(line);
	if (n >= size) {
		n = size - 1;
		if (n >= 3)
			memcpy(line + n - 3, "...", 3);
	}
	memcpy(out, line, n);
	out[n] = '\0';
}

/* Turns a libcurl result into the error text (none for success). */
static void classify(struct http_xfer *x, CURLcode rc, long status)
{
	const char *hp = x->hostport;
	const char *eb = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
	long oserr = 0;
	curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oserr);

	switch (rc) {
	case CURLE_OK:
		if (status >= 300 && status < 400) {
			/* not followed: credentials must not travel to wherever a
			 * server points, and a POST would turn into a GET */
			char *loc = NULL;
			curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &loc);
			xfer_error(x, "HTTP %ld%s%s: redirect%s%s not followed", status,
			           x->reason[0] ? " " : "", x->reason, loc ? " to " : "", loc ? loc : "");
		} else if (status >= 400) {
			char line[120];
			const char *ct = NULL;
			curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
			if (x->on_chunk)
				first_line(x, x->errbody, x->errbody_len,
				           x->errbody_len + 1 == sizeof x->errbody, ct, line, sizeof line);
			else
				first_line(x, x->buf, x->len, false, ct, line, sizeof line);
			xfer_error(x, "HTTP %ld%s%s%s%s", status, x->reason[0] ? " " : "", x->reason,
			           line[0] ? ": " : "", line);
		}
		return;
	case CURLE_WRITE_ERROR:
		if (x->too_big)
			xfer_error(x, "response larger than %zu bytes", x->max_bytes);
		else if (x->receiver_abort)
			xfer_error(x, "aborted by the receiver after %zu bytes", x->received);
		else
			xfer_error(x, "out of memory for the response");
		return;
	case CURLE_FILESIZE_EXCEEDED:
		xfer_error(x, "response larger than %zu bytes", x->max_bytes);
		return;
	case CURLE_COULDNT_RESOLVE_HOST:
		xfer_error(x, "DNS lookup failed: could not resolve host of %s", hp);
		return;
	case CURLE_COULDNT_CONNECT:
		if (oserr == ECONNREFUSED || strstr(eb, "refused"))
			xfer_error(x, "connection refused by %s", hp);
		else if (oserr == ENETUNREACH || oserr == EHOSTUNREACH)
			xfer_error(x, "%s unreachable: %s", hp, strerror((int)oserr));
		else
			xfer_error(x, "could not connect to %s: %s", hp, eb);
		return;
	case CURLE_OPERATION_TIMEDOUT: {
		curl_off_t conn_us = 0, app_us = 0;
		curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &conn_us);
		curl_easy_getinfo(x->easy, CURLINFO_APPCONNECT_TIME_T, &app_us);
		curl_off_t pre_us = 0;
		curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &pre_us);
		/* on a reused kept-alive connection libcurl reports a connect time
		 * of 0; that the request went out (pretransfer) says connected */
		bool connected = pre_us > 0 || (conn_us > 0 && (!x->https || app_us > 0));
		bool connect_limit = x->connect_timeout <= x->timeout;
		if (has_prefix(eb, "Resolving timed out"))
			xfer_error(x, "%s timeout: DNS lookup for %s took over %g s",
			           connect_limit ? "connect" : "total", hp,
			           connect_limit ? x->connect_timeout : x->timeout);
		else if (!connected && connect_limit)
			xfer_error(x, "connect timeout: no connection to %s within %g s", hp,
			           x->connect_timeout);
		else if (!connected)
			xfer_error(x, "total timeout: no connection to %s within %g s", hp, x->timeout);
		else if (has_prefix(eb, "Operation too slow"))
			xfer_error(x, "transfer from %s too slow: under %ld bytes/s for %ld s", hp,
			           HTTP_LOW_SPEED_BYTES, HTTP_LOW_SPEED_TIME);
		else
			xfer_error(x, "total timeout: no complete response from %s within %g s "
			           "(%zu bytes received)", hp, x->timeout, x->received);
		return;
	}
	case CURLE_GOT_NOTHING:
		xfer_error(x, "empty reply from %s: connection closed without a response", hp);
		return;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		if (oserr == ECONNRESET || strstr(eb, "reset by peer"))
			xfer_error(x, "connection reset by %s", hp);
		else if (oserr == EPIPE)
			xfer_error(x, "connection closed by %s while sending", hp);
		else
			xfer_error(x, "%s %s: %s", rc == CURLE_RECV_ERROR ? "receiving from" : "sending to",
			           hp, eb);
		return;
	case CURLE_PARTIAL_FILE:
		xfer_error(x, "response from %s cut short after %zu bytes", hp, x->received);
		return;
	case CURLE_BAD_CONTENT_ENCODING:
		xfer_error(x, "could not decode the compressed response from %s: %s", hp, eb);
		return;
	case CURLE_UNSUPPORTED_PROTOCOL:
		xfer_error(x, "unsupported URL scheme (http and https only)");
		return;
	case CURLE_URL_MALFORMAT:
		xfer_error(x, "invalid URL: %s", eb);
		return;
	case CURLE_OUT_OF_MEMORY:
		xfer_error(x, "out of memory");
		return;
	default:
		if (is_tls_error(rc))
			xfer_error(x, "TLS failure with %s: %s", hp, eb);
		else
			xfer_error(x, "%s: %s", hp, eb);
		return;
	}
}

/* Delivers the end of a transfer to its owner and frees it.  `x` is
 * already out of every list. */
static void deliver(struct http_xfer *x, CURLcode rc)
{
	struct http_resp r = { .id = x->id, .latency_ms = -1, .xfer_ = x };
	if (x->easy) {
		long status = xfer_status(x);
		curl_off_t total_us = 0;
		long conns = 0;
		const char *ct = NULL;
		curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total_us);
		curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &conns);
		curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
		classify(x, rc, status);
		r.status = status;
		r.latency_ms = (double)total_us / 1000.0;
		r.new_connections = conns;
		r.bytes = x->received;
		char ctype[128];
		if (ct) {
			fmt_sanitize(ctype, sizeof ctype, ct, true);
			r.content_type = ctype;
		}
		if (!x->on_chunk) {
			r.body = x->buf ? x->buf : "";
			r.body_len = x->len;
		}
		r.error = x->error[0] ? x->error : NULL;
		x->done(x->user, &r);
	} else {
		r.error = x->error;
		x->done(x->user, &r);
	}
	xfer_free(x);
}

static void finish(struct http *h, struct http_xfer *x, CURLcode rc)
{
	list_unlink(&h->active, x);
	/* the handle stays usable for the getinfo and header calls in deliver() */
	(void)curl_multi_remove_handle(h->multi, x->easy);
	if (x->cancelled) {
		xfer_free(x);
	} else {
		h->delivered++;
		deliver(x, rc);
	}
}

/* Reads libcurl's finished transfers and cancellations made inside it. */
static void drain(struct http *h)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(h->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result;      /* msg dies with remove_handle */
		void *priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		if (priv)
			finish(h, priv, rc);
	}
	if (h->cancelled_inside) {
		h->cancelled_inside = false;
		struct http_xfer *x = h->active, *next;
		for (; x; x = next) {
			next = x->next;
			if (x->cancelled) {
				list_unlink(&h->active, x);
				(void)curl_multi_remove_handle(h->multi, x->easy);
				xfer_free(x);
			}
		}
	}
}

static void action(struct http *h, curl_socket_t fd, int bits)
{
	int running = 0;
	h->in_curl++;
	CURLMcode mc = curl_multi_socket_action(h->multi, fd, bits, &running);
	h->in_curl--;
	(void)mc;   /* per-transfer failures come back through info_read */
	/* libcurl calls the timer callback only when its earliest timer
	 * changes, and it rounds the time left down to whole milliseconds: a
	 * tick that came a fraction early found nothing due, and no new
	 * callback would come.  Asking after every action cannot lose it. */
	long ms = -1;
	if (curl_multi_timeout(h->multi, &ms) == CURLM_OK)
		h->deadline = ms < 0 ? INFINITY : clock_now() + (double)ms / 1000.0;
	drain(h);
}

/* Reports requests that failed before they started.  Only those queued
 * so far: a done() that retries at once must not keep this going. */
static void deliver_failed(struct http *h)
{
	while (h->failed) {     /* oldest first */
		struct http_xfer *x = h->failed;
		list_unlink(&h->failed, x);
		list_push(&h->batch, x);
	}
	while (h->batch) {
		struct http_xfer *x = h->batch;
		list_unlink(&h->batch, x);
		h->delivered++;
		deliver(x, CURLE_OK);
	}
}

/* ---- the source ----------------------------------------------------------- */

static int http_src_start(struct source *s, double now)
{
	(void)s;
	(void)now;
	return 0;
}

static int http_src_fds(struct source *s, struct pollfd *fds, int max)
{
	struct http *h = s->priv;
	if (max <= 0 || h->nsocks == 0)
		return 0;
	size_t n = h->nsocks < (size_t)max ? h->nsocks : (size_t)max;
	/* more sockets than room: rotate so that every one gets its turn */
	size_t first = h->nsocks > n ? h->rot % h->nsocks : 0;
	if (h->nsocks > n)
		h->rot += n;
	for (size_t i = 0; i < n; i++) {
		const struct http_sock *sk = &h->socks[(first + i) % h->nsocks];
		fds[i] = (struct pollfd){ .fd = sk->fd, .events = sk->events };
	}
	return (int)n;
}

static void http_src_ready(struct source *s, const struct pollfd *fds, int nfds, double now)
{
	(void)now;
	struct http *h = s->priv;
	for (int i = 0; i < nfds; i++) {
		short re = fds[i].revents;
		if (!re)
			continue;
		/* an earlier action may have closed this socket */
		struct http_sock *sk = sock_find(h, fds[i].fd);
		if (!sk)
			continue;
		int bits = 0;
		if (re & (POLLIN | POLLPRI))
			bits |= CURL_CSELECT_IN;
		if (re & POLLOUT)
			bits |= CURL_CSELECT_OUT;
		if (re & (POLLERR | POLLHUP | POLLNVAL)) {
			/* also let libcurl read or write, so that it learns the real
			 * cause (reset, refused, closed) from the system call */
			bits |= CURL_CSELECT_ERR;
			if (sk->events & POLLIN)
				bits |= CURL_CSELECT_IN;
			if (sk->events & POLLOUT)
				bits |= CURL_CSELECT_OUT;
		}
		action(h, fds[i].fd, bits);
	}
	deliver_failed(h);
}

static double http_src_tick(struct source *s, double now)
{
	struct http *h = s->priv;
	unsigned long before = h->delivered;
	deliver_failed(h);
	/* libcurl's timers run on the real clock, whatever `now` the loop uses */
	if (h->deadline <= fmax(now, clock_now())) {
		h->deadline = INFINITY;    /* the timer callback sets the next one */
		action(h, CURL_SOCKET_TIMEOUT, 0);
	}
	/* A done() above may have queued new requests or failures, and the
	 * sources whose done() ran here had their tick() already this round:
	 * their next deadline is only known after one more round. */
	if (h->failed || h->delivered != before)
		return now;
	return h->deadline;
}

static void http_src_stop(struct source *s)
{
	struct http *h = s->priv;
	while (h->active) {
		struct http_xfer *x = h->active;
		list_unlink(&h->active, x);
		(void)curl_multi_remove_handle(h->multi, x->easy);
		xfer_free(x);
	}
	struct http_xfer **queues[] = { &h->failed, &h->batch };
	for (size_t i = 0; i < 2; i++)
		while (*queues[i]) {
			struct http_xfer *x = *queues[i];
			list_unlink(queues[i], x);
			xfer_free(x);
		}
	(void)curl_multi_cleanup(h->multi);  /* closes kept-alive connections */
	free(h->socks);
	free(h);
}

static const struct source_ops http_ops = {
	.kind = "http",
	.start = http_src_start,
	.fds = http_src_fds,
	.ready = http_src_ready,
	.tick = http_src_tick,
	.stop = http_src_stop,
};

struct http *http_new(void)
{
	if (http_global_init() < 0)
		return NULL;
	struct http *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->src.ops = &http_ops;
	h->src.priv = h;
	h->deadline = INFINITY;
	h->next_id = 1;
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h);
		return NULL;
	}
	if (curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, HTTP_MAX_IDLE_CONNS) != CURLM_OK) {
		(void)curl_multi_cleanup(h->multi);
		free(h);
		return NULL;
	}
	return h;
}

struct source *http_source(struct http *h)
{
	return &h->src;
}

void http_free(struct http *h)
{
	if (h)
		http_src_stop(&h->src);
}

size_t http_pending(const struct http *h)
{
	size_t n = 0;
	for (const struct http_xfer *x = h->active; x; x = x->next)
		if (!x->cancelled)
			n++;
	for (const struct http_xfer *x = h->failed; x; x = x->next)
		n++;
	for (const struct http_xfer *x = h->batch; x; x = x->next)
		n++;
	return n;
}

/* ---- requests ------------------------------------------------------------- */

/* host:port of the URL for error texts, and its password (to redact). */
static int parse_url(struct http_xfer *x)
{
	CURLU *u = curl_url();
	if (!u)
		return -1;
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, x->url, 0);
	if (uc != CURLUE_OK) {
#if LIBCURL_VERSION_NUM >= 0x075000     /* 7.80.0 */
		xfer_error(x, "invalid URL: %s", curl_url_strerror(uc));
#else
		xfer_error(x, "invalid URL (error %d)", (int)uc);
#endif
		curl_url_cleanup(u);
		return 1;
	}
	char *scheme = NULL, *host = NULL, *port = NULL, *pass = NULL;
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	if (curl_url_get(u, CURLUPART_PASSWORD, &pass, CURLU_URLDECODE) == CURLUE_OK && pass) {
		add_secret(x, pass, strlen(pass));
		explicit_bzero(pass, strlen(pass));
	}
	int ret = 0;
	if (!scheme || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		xfer_error(x, "unsupported URL scheme (http and https only)");
		ret = 1;
	} else {
		x->https = strcmp(scheme, "https") == 0;
		char hp[sizeof x->hostport];
		snprintf(hp, sizeof hp, "%s:%s", host ? host : "?", port ? port : "?");
		fmt_sanitize(x->hostport, sizeof x->hostport, hp, true);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(pass);
	curl_url_cleanup(u);
	return ret;
}

/* Header names compared without case, up to the colon. */
static bool same_name(const char *a, const char *b)
{
	const char *ca = strchr(a, ':'), *cb = strchr(b, ':');
	size_t la = (size_t)(ca - a), lb = (size_t)(cb - b);
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* What libcurl 7.88's SigV4 gets wrong: an empty value, a name given twice,
 * a Date or X-Amz-Date of our own, a token header of our own. */
static bool aws_header_ok(const char *const *all, const char *const *hv)
{
	const char *v = strchr(*hv, ':') + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (!*v || same_name(*hv, "Date:") || same_name(*hv, "X-Amz-Date:") ||
	    same_name(*hv, "X-Amz-Security-Token:") || same_name(*hv, "Authorization:"))
		return false;
	for (const char *const *o = all; o < hv; o++)
		if (same_name(*o, *hv))
			return false;
	return true;
}

static bool valid_method(const char *m)
{
	if (!*m || strlen(m) > 16)
		return false;
	for (const char *p = m; *p; p++)
		if (!isupper((unsigned char)*p))
			return false;
	return true;
}

/* Reads the credential files into the handle.  0, 1 (error text set) or
 * -1 (out of memory). */
static int set_auth(struct http_xfer *x, const struct http_req *req)
{
	const char *why = NULL;
	if (req->aws) {
		const struct http_aws *a = req->aws;
		add_secret(x, a->secret, strlen(a->secret));
		if (a->token && *a->token)
			add_secret(x, a->token, strlen(a->token));
		CURLcode c1 = curl_easy_setopt(x->easy, CURLOPT_AWS_SIGV4, a->sigv4);
		CURLcode c2 = curl_easy_setopt(x->easy, CURLOPT_USERNAME, a->key_id);   /* copied */
		CURLcode c3 = curl_easy_setopt(x->easy, CURLOPT_PASSWORD, a->secret);
		if (c1 != CURLE_OK || c2 != CURLE_OK || c3 != CURLE_OK) {
			xfer_error(x, "cannot set up AWS SigV4 signing (libcurl %s)", curl_version_info(CURLVERSION_NOW)->version);
			return -1;
		}
	} else if (req->bearer_file) {
		char *tok = read_secret(req->bearer_file, &why);
		if (!tok) {
			xfer_error(x, "bearer token file %s: %s", req->bearer_file, why);
			return 1;
		}
		add_secret(x, tok, strlen(tok));
		CURLcode c1 = curl_easy_setopt(x->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		CURLcode c2 = curl_easy_setopt(x->easy, CURLOPT_XOAUTH2_BEARER, tok);  /* copied */
		wipe_free(tok);
		if (c1 != CURLE_OK || c2 != CURLE_OK) {
			xfer_error(x, "cannot set up bearer authentication");
			return -1;
		}
	} else if (req->basic_file) {
		char *up = read_secret(req->basic_file, &why);
		if (!up) {
			xfer_error(x, "basic auth file %s: %s", req->basic_file, why);
			return 1;
		}
		const char *colon = strchr(up, ':');
		if (!colon) {
			wipe_free(up);
			xfer_error(x, "basic auth file %s: expected user:password", req->basic_file);
			return 1;
		}
		/* the password, and the whole pair plain and as sent on the wire */
		size_t ul = strlen(up);
		add_secret(x, colon + 1, strlen(colon + 1));
		add_secret(x, up, ul);
		char *b64 = malloc((ul + 2) / 3 * 4 + 1);
		if (b64) {
			base64((const unsigned char *)up, ul, b64);
			add_secret(x, b64, strlen(b64));
			wipe_free(b64);
		}
		CURLcode c1 = curl_easy_setopt(x->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		CURLcode c2 = curl_easy_setopt(x->easy, CURLOPT_USERPWD, up);   /* copied */
		wipe_free(up);
		if (c1 != CURLE_OK || c2 != CURLE_OK) {
			xfer_error(x, "cannot set up basic authentication");
			return -1;
		}
	}
	return 0;
}

/* Configures the easy handle.  0, 1 (error text set) or -1 (out of memory
 * or a libcurl refusal, text set). */
static int setup(struct http_xfer *x, const struct http_req *req)
{
	CURL *e = x->easy;
	const char *method = req->method ? req->method : "GET";
	if (!valid_method(method)) {
		xfer_error(x, "invalid HTTP method");
		return 1;
	}
	if (req->body && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
		xfer_error(x, "a %s request cannot have a body", method);
		return 1;
	}
	if (!(req->connect_timeout >= 0 && req->connect_timeout <= HTTP_TIMEOUT_MAX) ||
	    !(req->timeout >= 0 && req->timeout <= HTTP_TIMEOUT_MAX)) {
		xfer_error(x, "invalid timeout (0 to %g s)", HTTP_TIMEOUT_MAX);
		return 1;
	}
	if ((req->bearer_file != NULL) + (req->basic_file != NULL) + (req->aws != NULL) > 1) {
		xfer_error(x, "more than one of bearer token, basic auth and AWS signing given; use one");
		return 1;
	}
	if (req->aws && (!req->aws->sigv4 || !req->aws->key_id || !*req->aws->key_id ||
	                 !req->aws->secret || !*req->aws->secret ||
	                 strncmp(req->aws->sigv4, "aws:amz:", 8) != 0)) {
		xfer_error(x, "AWS signing needs \"aws:amz:REGION:SERVICE\", a key id and a secret");
		return 1;
	}

	/* "Expect:" off: a 100-continue round trip costs a second against
	 * servers that ignore it; an empty Accept-Encoding list is filled in
	 * by libcurl.  Not for SigV4: libcurl 7.88 signs an empty header
	 * wrongly (and bodies under 1 MB never make it send Expect anyway). */
	struct curl_slist *l = NULL;
	if (!req->aws) {
		if (!(l = curl_slist_append(NULL, "Expect:")))
			return -1;
		x->hdrs = l;
	}
	for (const char *const *hv = req->headers; hv && *hv; hv++) {
		const char *colon = strchr(*hv, ':');
		bool bad = !colon || colon == *hv;
		for (const char *p = *hv; *p && !bad; p++)
			if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
				bad = true;
		if (bad) {
			xfer_error(x, "invalid request header (want \"Name: value\", no control characters)");
			return 1;
		}
		if (req->aws && !aws_header_ok(req->headers, hv)) {
			xfer_error(x, "a SigV4-signed request cannot carry an empty, repeated, Date or X-Amz-Date header");
			return 1;
		}
		if (!(l = curl_slist_append(x->hdrs, *hv)))
			return -1;
		x->hdrs = l;
	}
	if (req->aws && req->aws->token && *req->aws->token) {
		size_t n = strlen(req->aws->token) + sizeof "X-Amz-Security-Token: ";
		char *hv = malloc(n);
		if (!hv)
			return -1;
		snprintf(hv, n, "X-Amz-Security-Token: %s", req->aws->token);
		bool bad = false;
		for (const char *p = req->aws->token; *p; p++)
			if ((unsigned char)*p <= 0x20 || *p == 0x7f)
				bad = true;
		l = bad ? NULL : curl_slist_append(x->hdrs, hv);
		explicit_bzero(hv, n);
		free(hv);
		if (bad) {
			xfer_error(x, "the AWS session token holds spaces or control characters");
			return 1;
		}
		if (!l)
			return -1;
		x->hdrs = l;
	}

	long ct_ms = (long)ceil(x->connect_timeout * 1000);
	long to_ms = (long)ceil(x->timeout * 1000);
	CURLcode rc = CURLE_OK;
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)
	SET(CURLOPT_URL, x->url);
#if LIBCURL_VERSION_NUM >= 0x075500     /* 7.85.0 */
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_PRIVATE, (void *)x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, (void *)x);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, (void *)x);
	SET(CURLOPT_HTTPHEADER, x->hdrs);
	SET(CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_CONNECTTIMEOUT_MS, ct_ms);
	SET(CURLOPT_TIMEOUT_MS, to_ms);
	SET(CURLOPT_LOW_SPEED_LIMIT, HTTP_LOW_SPEED_BYTES);
	SET(CURLOPT_LOW_SPEED_TIME, HTTP_LOW_SPEED_TIME);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_bytes);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	/* a lookup that hangs past its timeout (or a cancel) must not block the
	 * loop while libcurl waits for its resolver thread: the thread is
	 * detached instead and frees its own memory when getaddrinfo returns */
#if LIBCURL_VERSION_NUM >= 0x075700     /* 7.87.0 */
	SET(CURLOPT_QUICK_EXIT, 1L);
#endif
	if (req->no_proxy)
		SET(CURLOPT_NOPROXY, "*");
	if (req->ca_file)
		SET(CURLOPT_CAINFO, req->ca_file);
	if (req->insecure) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (strcmp(method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") != 0) {
		if (strcmp(method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, method);
		/* our own copy of the body, handed over whole: no read callback,
		 * so a signature over it stays valid */
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
		SET(CURLOPT_POSTFIELDS, x->body ? x->body : "");
	}
#undef SET
	if (rc != CURLE_OK) {
		xfer_error(x, "cannot set up the request: %s", curl_easy_strerror(rc));
		return -1;
	}
	return set_auth(x, req);
}

int http_request(struct http *h, const struct http_req *req, http_done_fn done, void *user)
{
	if (!h || !req || !req->url || !done || h->in_curl)
		return -1;
	struct http_xfer *x = calloc(1, sizeof *x);
	if (!x)
		return -1;
	x->done = done;
	x->user = user;
	x->on_chunk = req->on_chunk;
	x->sensitive = req->sensitive || req->aws;
	x->connect_timeout = req->connect_timeout > 0 ? req->connect_timeout : HTTP_DEFAULT_CONNECT_TIMEOUT;
	x->timeout = req->timeout > 0 ? req->timeout : HTTP_DEFAULT_TIMEOUT;
	x->max_bytes = req->max_bytes ? req->max_bytes : HTTP_DEFAULT_MAX_BYTES;
	snprintf(x->hostport, sizeof x->hostport, "?");
	x->url = strdup(req->url);
	if (!x->url)
		goto oom;
	if (req->body) {
		x->body_len = req->body_len ? req->body_len : strlen(req->body);
		x->body = malloc(x->body_len + 1);
		if (!x->body)
			goto oom;
		memcpy(x->body, req->body, x->body_len);
		x->body[x->body_len] = '\0';
	}

	int r = parse_url(x);
	if (r < 0)
		goto oom;
	if (r == 0) {
		x->easy = curl_easy_init();
		if (!x->easy)
			goto oom;
		r = setup(x, req);
		if (r < 0 && !x->error[0])
			goto oom;
	}
	if (r == 0) {
		CURLMcode mc = curl_multi_add_handle(h->multi, x->easy);
		if (mc != CURLM_OK) {
			xfer_error(x, "cannot start the request: %s", curl_multi_strerror(mc));
			r = 1;
		}
	}

	x->id = h->next_id;
	h->next_id = h->next_id == INT_MAX ? 1 : h->next_id + 1;
	if (r == 0) {
		list_push(&h->active, x);   /* the timer callback asked for a tick */
	} else {
		/* reported like any other failure, from the next tick */
		if (x->easy) {
			curl_easy_cleanup(x->easy);
			x->easy = NULL;
		}
		list_push(&h->failed, x);
	}
	return x->id;
oom:
	xfer_free(x);
	return -1;
}

void http_cancel(struct http *h, int id)
{
	if (!h || id <= 0)
		return;
	struct http_xfer **queues[] = { &h->failed, &h->batch };
	for (size_t i = 0; i < 2; i++)
		for (struct http_xfer *x = *queues[i]; x; x = x->next)
			if (x->id == id) {
				list_unlink(queues[i], x);
				xfer_free(x);
				return;
			}
	for (struct http_xfer *x = h->active; x; x = x->next)
		if (x->id == id) {
			if (h->in_curl) {
				/* libcurl forbids removing a handle from its own
				 * callback: the callbacks abort it, drain() frees it */
				x->cancelled = true;
				h->cancelled_inside = true;
				return;
			}
			list_unlink(&h->active, x);
			(void)curl_multi_remove_handle(h->multi, x->easy);
			xfer_free(x);
			return;
		}
}

const char *http_resp_header(const struct http_resp *resp, const char *name)
{
	const struct http_xfer *x = resp ? resp->xfer_ : NULL;
	if (!x || !name)
		return NULL;
	const char *found = NULL;
	for (size_t i = 0; i < x->hdrs_len; ) {
		const char *k = x->hdrs_in + i;
		const char *v = k + strlen(k) + 1;
		if (strcasecmp(k, name) == 0)
			found = v;      /* the last one wins */
		i = (size_t)(v + strlen(v) + 1 - x->hdrs_in);
	}
	return found;
}

/* ---- backoff -------------------------------------------------------------- */

void http_backoff_init(struct http_backoff *b, const char *key)
{
	uint64_t hsh = 1469598103934665603ull;          /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)(key ? key : ""); *p; p++)
		hsh = (hsh ^ *p) * 1099511628211ull;
	b->failures = 0;
	b->delay = 0;
	b->rng = hsh ? hsh : 0x9e3779b97f4a7c15ull;
}

/* xorshift64*: uniform in [0, 1) */
static double backoff_uniform(struct http_backoff *b)
{
	if (!b->rng)
		b->rng = 0x9e3779b97f4a7c15ull;
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return (double)((b->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

double http_backoff_next(struct http_backoff *b, bool failed, double now, double base_interval)
{
	if (!(base_interval > 0))
		base_interval = 1;
	if (!failed) {
		b->failures = 0;
		b->delay = base_interval;
		return now + base_interval;
	}
	if (b->failures < 64)
		b->failures++;
	double d = base_interval * ldexp(1.0, b->failures < 30 ? (int)b->failures : 30);
	d *= 0.9 + 0.2 * backoff_uniform(b);
	double cap = base_interval > HTTP_BACKOFF_MAX ? base_interval : HTTP_BACKOFF_MAX;
	if (d > cap)
		d = cap;
	b->delay = d;
	return now + d;
}
