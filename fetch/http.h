/*
 * http.h - the shared HTTP driver: one libcurl multi handle on perwatt's
 * single poll() loop, used by every HTTP source (scrape, PromQL, CloudWatch).
 *
 * Many requests run at once without ever blocking the loop: libcurl tells
 * the driver which sockets to watch and when to wake (socket and timer
 * callbacks), and the driver hands those to the loop through the ordinary
 * source interface (fds/ready/tick).  Connections are kept alive and reused
 * across requests to the same target; responses may be compressed.
 *
 * Setup, once per process:
 *
 *   http_global_init()      in main(), before any other thread exists and
 *                           before http_new(); http_global_cleanup() at exit.
 *   h = http_new();         the driver (NULL: out of memory / curl failed)
 *   ... give h to the sources that make requests ...
 *   source_set_add(set, http_source(h));   AFTER those sources (see below)
 *
 * Ownership: http_new() returns a driver owned by the caller until its
 * source is handed to source_set_add(); from then on the set owns it, and
 * source_set_free() stops it (its stop() is http_free()).  A driver never
 * added to a set is freed with http_free().  Freeing cancels every request
 * in flight without calling their done callbacks.
 *
 * Order in the source set: add the http source after every source that
 * uses it.  Then a request made in a user's tick() is started by the
 * driver's tick() in the same pass (its wake-up time is known before the
 * loop sleeps), and a user's stop() may still call http_cancel() (sources
 * are stopped in the order they were added).
 *
 * Callbacks: done() is called exactly once for each request that
 * http_request() accepted (returned an id for), unless it is cancelled or the
 * driver freed first.  It is called from the driver's tick() or ready(),
 * never from inside http_request().  In done() a caller may make new
 * requests and cancel others, but must not free the driver.  on_chunk() runs
 * inside libcurl: there only http_cancel() may be called (or return
 * non-zero to abort the transfer).
 *
 * Times are clock_now() seconds (libcurl's timers run on the real clock).
 * Nothing here prints anything.
 *
 * Limits worth knowing: redirects are not followed; the size cap counts
 * decoded bytes (a small gzip bomb is still cut off); HTTP/2 is used where
 * the server offers it over TLS.
 */
#ifndef PERWATT_HTTP_H
#define PERWATT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fetch/source.h"

#define HTTP_DEFAULT_CONNECT_TIMEOUT 5.0     /* s, when a request says 0 */
#define HTTP_DEFAULT_TIMEOUT         30.0    /* s, total, when a request says 0 */
#define HTTP_DEFAULT_MAX_BYTES       (16u << 20)  /* response body cap */
#define HTTP_ERROR_MAX               256     /* longest error text, with NUL */

struct http;
struct http_resp;

/* Called once a request has ended, successfully or not.  `resp` and
 * everything it points to live only until done() returns. */
typedef void (*http_done_fn)(void *user, const struct http_resp *resp);

/* Streaming: receives the (decoded) body as it arrives, in pieces of any
 * size.  Return 0 to go on, non-zero to abort the transfer (done() then gets
 * the error "aborted by the receiver...").  Only 2xx bodies are streamed;
 * the start of any other body is kept for the error text instead. */
typedef int (*http_chunk_fn)(void *user, const char *data, size_t len);

struct http_req {
	const char *url;             /* http:// or https:// only; required */
	const char *method;          /* "GET" (NULL), "POST", "HEAD", "PUT"... */
	const char *body;            /* request body (POST...), or NULL; any bytes */
	size_t body_len;             /* bytes of body; 0 means strlen(body) */
	const char *const *headers;  /* NULL-terminated "Name: value" list, or NULL.
	                              * A POST body is sent as
	                              * application/x-www-form-urlencoded unless a
	                              * Content-Type header says otherwise. */
	double connect_timeout;      /* s, DNS + TCP + TLS; 0: HTTP_DEFAULT_CONNECT_TIMEOUT */
	double timeout;              /* s, the whole request, however slowly the
	                              * body arrives; 0: HTTP_DEFAULT_TIMEOUT */
	size_t max_bytes;            /* cap on the decoded body; 0: HTTP_DEFAULT_MAX_BYTES */
	const char *ca_file;         /* PEM bundle to verify the server with, or NULL */
	bool insecure;               /* skip TLS peer and host name verification:
	                              * only when the user asked for it */
	const char *bearer_file;     /* file holding a bearer token, or NULL */
	const char *basic_file;      /* file holding "user:password", or NULL
	                              * (one of the two; a trailing newline is
	                              * dropped; never logged or in an error) */
	http_chunk_fn on_chunk;      /* NULL: the body is buffered and given to done() */
	const struct http_aws *aws;  /* sign the request with AWS SigV4, or NULL */
	bool sensitive;              /* the response carries secrets (credentials):
	                              * its buffer is wiped when freed */
	bool no_proxy;               /* never through a proxy from http_proxy & co.
	                              * (link-local metadata services) */
};

/* AWS Signature Version 4, done by libcurl (CURLOPT_AWS_SIGV4) over the
 * method, URL, body and every header in `headers` (so Content-Type and
 * X-Amz-Target are signed; see shared/reference/cloudwatch.md, section 2).
 * With libcurl 7.88 a signed request must not carry an X-Amz-Date or Date
 * header, an empty header ("Expect:") or one name twice: the driver then
 * leaves out its own "Expect:" and refuses such headers.  The session
 * token goes out as a signed X-Amz-Security-Token header.  Key id, secret
 * and token are copied, wiped when the request ends, and never appear in
 * an error text.  Cannot be combined with bearer_file or basic_file. */
struct http_aws {
	const char *sigv4;           /* "aws:amz:REGION:SERVICE": always both spelled out */
	const char *key_id;
	const char *secret;
	const char *token;           /* NULL: none */
};

struct http_resp {
	int id;                      /* what http_request() returned */
	long status;                 /* HTTP status; 0 when no response came */
	const char *error;           /* NULL when a 2xx response came whole;
	                              * else a one-line text free of control
	                              * characters and of any credential: also
	                              * for 3xx (redirects are not followed) and
	                              * >= 400 (with the first line of a text body) */
	double latency_ms;           /* start to end of the transfer; -1 when it never started */
	const char *content_type;    /* sanitized Content-Type, or NULL */
	const char *body;            /* buffered body, NUL-terminated, "" when
	                              * empty (also for HTTP errors); NULL when
	                              * streamed or when no response came */
	size_t body_len;
	size_t bytes;                /* decoded body bytes received (streamed or not) */
	long new_connections;        /* connections opened for it: 0 = kept alive */
	struct http_xfer *xfer_;     /* private */
};

/* The value of a header of the final response (case-insensitive name; the
 * last one when repeated), trimmed, with control characters replaced; NULL
 * when absent.  Only during done(): it points into the response. */
const char *http_resp_header(const struct http_resp *resp, const char *name);

/* curl_global_init(), once per process: call it in main() before any
 * thread starts (http_new() calls it itself if main() did not, which is
 * safe while the program has one thread); 0 or -1.  Cleanup at exit, after
 * every driver is freed. */
int http_global_init(void);
void http_global_cleanup(void);

struct http *http_new(void);
struct source *http_source(struct http *h);      /* kind "http"; see ownership */
void http_free(struct http *h);                  /* only when never added to a set */

/* Starts a request; `req` and every string it points to are copied, so they
 * may be freed as soon as this returns.  Credential files are read now
 * (each request reads them again: rotated tokens are picked up).  Returns a
 * request id > 0; problems found with the request itself (an unreadable
 * token file, a bad header) are reported through done() like any other
 * failure.  Returns -1 only when out of memory, with a NULL argument or from
 * inside on_chunk(): then done() is never called. */
int http_request(struct http *h, const struct http_req *req, http_done_fn done, void *user);

/* Abandons a request: done() will not be called.  Unknown or finished ids
 * are ignored. */
void http_cancel(struct http *h, int id);

/* Requests in flight (accepted and not yet done or cancelled). */
size_t http_pending(const struct http *h);

/*
 * Per-target retry pacing shared by the HTTP sources.  After a success the
 * next poll is `base_interval` later; after each failure in a row the wait
 * doubles (2x, 4x... the base) up to HTTP_BACKOFF_MAX, with +-10% jitter so
 * that many failing targets do not retry in lockstep.  The jitter is
 * deterministic: seeded from the target's name by http_backoff_init().
 */
#define HTTP_BACKOFF_MAX 300.0   /* s */

struct http_backoff {
	unsigned failures;       /* in a row; 0 after a success */
	double delay;            /* the last wait chosen (s) */
	uint64_t rng;            /* jitter state */
};

void http_backoff_init(struct http_backoff *b, const char *key);
/* Records the outcome of an attempt made at `now`; returns when to try next. */
double http_backoff_next(struct http_backoff *b, bool failed, double now, double base_interval);

#endif
