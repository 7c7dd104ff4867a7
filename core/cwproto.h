/*
 * cwproto.h - the CloudWatch and AWS Price List wire protocol, pure: request
 * bodies out, response bodies in, no I/O (libc and cJSON only).
 *
 * CloudWatch is spoken in AWS JSON 1.0 (POST /, Content-Type
 * application/x-amz-json-1.0, X-Amz-Target GraniteServiceVersion20100801.Op,
 * x-amzn-query-mode: true, SigV4 service "monitoring"); the Price List in AWS
 * JSON 1.1 (X-Amz-Target AWSPriceListService.GetProducts, SigV4 service
 * "pricing", region us-east-1).  Timestamps on the wire are JSON numbers of
 * epoch seconds.  See shared/reference/cloudwatch.md sections 1, 2 and 5.
 *
 * The fetch side sends what the builders return with libcurl (POSTFIELDS, so
 * that curl's SigV4 hashes the body), and hands every answer to a parser:
 * cw_gmd_parse / cw_lm_parse / cw_products_parse for a 200, cw_error_parse for
 * anything else.
 *
 * Ownership: every builder returns a NUL-terminated body from malloc() that
 * the caller free()s.  Request structs only borrow their strings.  Parsers
 * check the whole answer before the first callback (a malformed answer
 * delivers nothing), pass strings that live only during the callback, and
 * return a next_token from malloc() (NULL on the last page) that the caller
 * free()s.  Error buffers `err` get one sanitized line; errlen 0 is allowed.
 * Every text from the network that a parser hands over for display (labels,
 * messages, error lines) is sanitized (no control characters, valid UTF-8);
 * names that must be sent back verbatim (ListMetrics namespaces, metric and
 * dimension names and values, SKUs) are passed raw: sanitize before display.
 */
#ifndef PERWATT_CWPROTO_H
#define PERWATT_CWPROTO_H

#include <stdbool.h>
#include <stddef.h>

/* ---- the wire ------------------------------------------------------------ */

#define CW_SIGV4_SERVICE        "monitoring"
#define CW_CONTENT_TYPE         "application/x-amz-json-1.0"
#define CW_TARGET_GET_METRIC_DATA "GraniteServiceVersion20100801.GetMetricData"
#define CW_TARGET_LIST_METRICS  "GraniteServiceVersion20100801.ListMetrics"
#define CW_QUERY_MODE_HEADER    "x-amzn-query-mode: true"
#define CW_QUERY_ERROR_HEADER   "x-amzn-query-error"   /* its value goes to cw_error_parse */

#define CW_PRICING_SERVICE      "pricing"
#define CW_PRICING_REGION       "us-east-1"
#define CW_PRICING_CONTENT_TYPE "application/x-amz-json-1.1"
#define CW_PRICING_TARGET_GET_PRODUCTS "AWSPriceListService.GetProducts"

/* ---- limits (GetMetricData / ListMetrics documentation) ------------------ */

#define CW_MAX_QUERIES      500u      /* MetricDataQueries per call */
#define CW_MAX_DATAPOINTS   100800u   /* datapoints per call (and default MaxDatapoints) */
#define CW_MAX_DIMS         30u       /* dimensions per metric */
#define CW_MAX_DIM_FILTERS  10u       /* ListMetrics dimension filters */
#define CW_ID_MAX           64u       /* query id, with its NUL (CloudWatch allows 255) */
#define CW_TEXT_MAX         256u      /* sanitized messages, with NUL */
#define CW_CODE_MAX         64u       /* error codes, with NUL */
#define CW_USD_PER_1000_METRICS 0.01  /* GetMetricData list price, per 1,000 metrics requested */

/* ---- what is asked -------------------------------------------------------- */

/* A dimension.  In a ListMetrics filter `value` may be NULL: "has this
 * dimension, any value". */
struct cw_dim {
	const char *name;
	const char *value;
};

struct cw_metric {
	const char *ns;                 /* "AWS/EC2", "CWAgent", ... */
	const char *name;               /* "CPUUtilization", ... */
	const struct cw_dim *dims;
	size_t ndims;                   /* <= CW_MAX_DIMS */
};

/* One MetricDataQuery: a MetricStat (`expression` NULL) or a math
 * expression over other queries of the same call. */
struct cw_query {
	char id[CW_ID_MAX];             /* ^[a-z][a-zA-Z0-9_]*$, unique in a call: cw_id_make() */
	const char *expression;         /* non-NULL: an Expression (metric, stat, unit unused) */
	struct cw_metric metric;
	const char *stat;               /* "Average", "Sum", "Maximum", "p99", ... */
	const char *unit;               /* NULL: left out (recommended: a unit that does not
	                                 * match the stored one returns nothing) */
	int period;                     /* s (cw_period_check); optional for an expression */
	const char *label;              /* NULL: left out */
	bool hidden;                    /* ReturnData false: only an input of an expression */
	unsigned group;                 /* != 0: adjacent queries with the same group (an
	                                 * expression and its inputs) stay in one call */
};

enum cw_scan { CW_SCAN_DESCENDING = 0, CW_SCAN_ASCENDING };

struct cw_gmd_request {
	const struct cw_query *queries;
	size_t n;                       /* 1 .. CW_MAX_QUERIES */
	double start, end;              /* epoch s; start inclusive, end exclusive */
	enum cw_scan scan;
	long max_datapoints;            /* 0: left out (CloudWatch's default, 100,800) */
	const char *next_token;         /* NULL or "": the first page */
};

struct cw_lm_request {
	const char *ns;                 /* NULL: every namespace */
	const char *metric_name;        /* NULL: every metric */
	const struct cw_dim *dims;      /* filters, value NULL allowed */
	size_t ndims;                   /* <= CW_MAX_DIM_FILTERS */
	bool recently_active;           /* "RecentlyActive":"PT3H" (the only value allowed) */
	const char *next_token;
};

/* EC2 on-demand, Linux, shared tenancy, no pre-installed software, used
 * capacity: one instance type in one region. */
struct cw_products_request {
	const char *instance_type;      /* "inf2.xlarge" */
	const char *region_code;        /* "us-east-1" */
	int max_results;                /* 0: left out; else 1 .. 100 */
	const char *next_token;
};

/* Body builders: a malloc'ed JSON text with keys in a fixed order (the
 * order of the service model, as the AWS SDKs send them), or NULL with a
 * message in err when the request is not valid (bad or duplicate id, more
 * than 500 queries, a query with neither metric nor expression, a period
 * <= 0, start >= end, ...) or when out of memory. */
char *cw_gmd_build(const struct cw_gmd_request *r, char *err, size_t errlen);
char *cw_lm_build(const struct cw_lm_request *r, char *err, size_t errlen);
char *cw_products_build(const struct cw_products_request *r, char *err, size_t errlen);

/* Whether id matches ^[a-z][a-zA-Z0-9_]*$ and fits CW_ID_MAX. */
bool cw_id_valid(const char *id);

/* A valid id from a readable hint and an index unique among the caller's
 * queries: "gpu-A power", 7 -> "gpu_A_power_7"; a hint that does not start
 * with a lower-case letter gets a "q" in front ("Inf2", 3 -> "qInf2_3"; "",
 * 12 -> "q12"), and is cut so that the index always fits (at most
 * CW_ID_MAX - 1 characters).  Returns the id's length, 0 (and "") when n
 * cannot hold even "q<index>". */
size_t cw_id_make(char *buf, size_t n, const char *hint, size_t index);

/* ---- batching, windows, periods ------------------------------------------ */

/* A call: queries[first .. first+count) and the datapoints it may return. */
struct cw_batch {
	size_t first, count;
	size_t datapoints;
};

/* Datapoints one query may return over `window` seconds: ceil(window /
 * period).  An expression without a period counts at `fallback_period`
 * (cw_batch_plan passes the smallest period of its group, else 60). */
size_t cw_query_datapoints(const struct cw_query *q, double window, int fallback_period);

/* Splits queries[0..n) in order into as few calls as keep within
 * CW_MAX_QUERIES queries and CW_MAX_DATAPOINTS datapoints each over a window
 * of `window` seconds, never splitting a group.  Writes up to cap batches and
 * sets *nout to the number needed.  Returns 0, or -1 with a message in err
 * when one group alone is over a limit ("... shorten the window or lengthen
 * the period") or cap is too small (then *nout says how many are needed). */
int cw_batch_plan(const struct cw_query *q, size_t n, double window,
                  struct cw_batch *out, size_t cap, size_t *nout, char *err, size_t errlen);

struct cw_window {
	double start, end;              /* epoch s, multiples of the period */
};

/* The next incremental window for one period:
 *   end   = floor((now - settle) / period) * period   (CloudWatch lags: settle
 *           of 60-180 s leaves out minutes still being filled)
 *   start = last_end - recheck rounded up to whole periods, so each datapoint
 *           is fetched once plus a re-check margin for late ones (merge them
 *           with cw_series_merge); the first time (last_end <= 0) and after a
 *           gap longer than `backfill`, start = end - backfill rounded up to
 *           whole periods (older gaps are not refilled).
 * Returns 1 with the window in *w, 0 when no whole new period has ended since
 * last_end (nothing to ask), -1 when period <= 0 or an argument is not
 * finite. */
int cw_window_next(double now, int period, double settle, double backfill, double recheck,
                   double last_end, struct cw_window *w);

/* Whether CloudWatch can answer `period` for a window starting at `start`
 * (epoch s) at `now`: periods are 1, 5, 10, 20, 30 s (high-resolution custom
 * metrics only) or multiples of 60; data older than 3 h exists only at
 * multiples of 60 s, older than 15 days of 300 s, older than 63 days of
 * 3600 s, none past 455 days.  CloudWatch answers a wrong period with no
 * datapoints and no error, so this says why, for the health line: returns 0,
 * or -1 with e.g. "period 30 s is only kept for 3 hours; this window starts 5
 * hours ago: use 60 s or more" in msg. */
int cw_period_check(int period, bool high_res, double start, double now, char *msg, size_t n);

/* Late datapoints: a short time-sorted history per query, in storage the
 * caller owns (cw_series_init), into which every datapoint fetched is
 * merged by timestamp; the result says what to forward to the model. */
struct cw_point {
	double t, v;
};

struct cw_series {
	struct cw_point *pts;           /* the caller's array, oldest first */
	size_t n, cap;
};

enum cw_merge {
	CW_MERGE_ADDED,                 /* a new timestamp */
	CW_MERGE_CHANGED,               /* a known timestamp with a new value (a late update) */
	CW_MERGE_SAME,                  /* a known timestamp and value (re-check overlap) */
	CW_MERGE_TOO_OLD,               /* older than all kept while full: dropped */
};

void cw_series_init(struct cw_series *s, struct cw_point *storage, size_t cap);
/* Keeps points sorted by t; when full the oldest is dropped. */
enum cw_merge cw_series_merge(struct cw_series *s, double t, double v);
/* The newest point, or NULL when empty. */
const struct cw_point *cw_series_latest(const struct cw_series *s);

/* ---- what comes back ---------------------------------------------------- */

enum cw_status {
	CW_STATUS_COMPLETE,
	CW_STATUS_PARTIAL,              /* PartialData: more on the next page (NextToken) */
	CW_STATUS_INTERNAL_ERROR,
	CW_STATUS_FORBIDDEN,
	CW_STATUS_UNKNOWN,              /* not one of the above (a missing StatusCode
	                                 * counts as Complete) */
};
const char *cw_status_name(enum cw_status s);   /* "Complete", ..., "unknown" */

/* One MetricDataResult, reported after its points. */
struct cw_result {
	const char *id;                 /* a valid id (checked) */
	const char *label;              /* sanitized; "" when none */
	enum cw_status status;
	const char *message;            /* its Messages as "Code: Value; ...", sanitized; "" */
	size_t points;                  /* passed to the point callback */
	size_t skipped;                 /* values left out: not finite */
};

/* Callbacks return 0 to go on, non-zero to stop (the parse then fails).
 * Either may be NULL.  Points come in the order of the answer. */
struct cw_gmd_sink {
	int (*point)(void *user, const char *id, double t, double v);
	int (*result)(void *user, const struct cw_result *r);
	void *user;
};

struct cw_gmd_info {
	size_t results, points, skipped;
	size_t partial;                 /* results with PartialData */
	size_t failed;                  /* InternalError, Forbidden or unknown status */
	char messages[CW_TEXT_MAX];     /* top-level Messages, sanitized; "" */
	char *next_token;               /* malloc'ed, NULL when none: free() it */
};

/* A GetMetricData answer (body[0..len), need not be NUL-terminated).
 * Returns 0 (also for no results), or -1 with a message in err for anything
 * that is not a well-formed answer (not JSON, truncated, Timestamps and
 * Values of different lengths, a bad Id, ...), in which case nothing was
 * delivered and info->next_token is NULL.  info may be NULL. */
int cw_gmd_parse(const char *body, size_t len, const struct cw_gmd_sink *sink,
                 struct cw_gmd_info *info, char *err, size_t errlen);

struct cw_lm_info {
	size_t metrics;
	char *next_token;               /* malloc'ed, NULL when none: free() it */
};

/* A ListMetrics answer: fn gets each metric (strings raw, dims valid during
 * the call).  Returns 0 or -1 as cw_gmd_parse.  info may be NULL. */
int cw_lm_parse(const char *body, size_t len,
                int (*fn)(void *user, const struct cw_metric *m), void *user,
                struct cw_lm_info *info, char *err, size_t errlen);

struct cw_product {
	const char *sku;                /* raw; "" when absent */
	const char *instance_type;      /* raw; "" when absent */
	const char *region_code;        /* raw; "" when absent */
	double usd_per_hour;            /* on-demand, finite, >= 0 */
};

struct cw_products_info {
	size_t entries;                 /* PriceList strings */
	size_t accepted;                /* passed to fn */
	size_t skipped;                 /* another OS/tenancy/licence/capacity, or no hourly USD price */
	char *next_token;               /* malloc'ed, NULL when none: free() it */
};

/* A GetProducts answer.  PriceList is an array of JSON strings, each parsed
 * again; a product is passed on only if its attributes, where present, say
 * operatingSystem Linux, tenancy Shared, preInstalledSw NA, capacitystatus
 * Used, licenseModel "No License required", marketoption OnDemand, and its
 * terms.OnDemand.*.priceDimensions.* hold one with unit "Hrs" and a USD
 * price.  Returns 0 or -1 as cw_gmd_parse (a PriceList string that is not a
 * JSON object is an error). */
int cw_products_parse(const char *body, size_t len,
                      int (*fn)(void *user, const struct cw_product *p), void *user,
                      struct cw_products_info *info, char *err, size_t errlen);

/* ---- errors --------------------------------------------------------------- */

enum cw_err_kind {
	CW_ERR_OTHER = 0,
	CW_ERR_THROTTLED,               /* Throttling, ThrottlingException, RequestLimitExceeded,
	                                 * HTTP 429...: back off */
	CW_ERR_CREDENTIALS,             /* expired, unknown or mis-signed credentials */
	CW_ERR_ACCESS,                  /* the identity lacks a permission */
	CW_ERR_INVALID,                 /* the request was refused as invalid (HTTP 4xx) */
	CW_ERR_SERVER,                  /* HTTP 5xx / InternalServiceError: retry later */
};

struct cw_error {
	int http_status;
	enum cw_err_kind kind;
	bool retry;                     /* throttled or server-side: back off and retry */
	char code[CW_CODE_MAX];         /* sanitized code, "" when none was found */
	char sender[16];                /* "Sender" / "Receiver" from the header, else "" */
	char message[CW_TEXT_MAX];      /* first line of the message, sanitized, key ids masked */
	char line[CW_TEXT_MAX + 256];   /* one line for the health record, with a hint */
};

/* An error answer: the HTTP status, the x-amzn-query-error header's value
 * ("Code;Sender", NULL when absent; it wins over the body), and the body
 * (`__type` stripped up to '#' and after ':', else `code`; `message` or
 * `Message`).  Never fails: a body that is not JSON leaves the code to the
 * header and the HTTP status. */
void cw_error_parse(int http_status, const char *query_error, const char *body, size_t len,
                    struct cw_error *e);

/* The kind of a sanitized code (may be "") at an HTTP status. */
enum cw_err_kind cw_error_kind(const char *code, int http_status);

/* "aws.protocols#ThrottlingException:http://..." -> "ThrottlingException"
 * (the SDKs' sanitizeErrorCode: cut at ',' and ':', keep after '#'), then
 * only [A-Za-z0-9_.-] kept.  Returns the length. */
size_t cw_error_code(char *buf, size_t n, const char *raw);

/* ---- arithmetic ----------------------------------------------------------- */

/* A throughput from a Sum over one period, per second: sum / period (NAN when
 * period <= 0 or sum is not finite). */
double cw_sum_per_second(double sum, int period);

/* Metrics one poll requests (billed): the MetricStat queries; expressions
 * are free, their inputs are counted as queries. */
size_t cw_billed_metrics(const struct cw_query *q, size_t n);

/* USD per hour of watching: metrics per poll x polls per hour (3600 /
 * interval) x usd_per_1000 / 1000 (CW_USD_PER_1000_METRICS, the list price).
 * NAN when interval <= 0 or a value is not finite. */
double cw_watch_usd_per_hour(size_t metrics_per_poll, double poll_interval_s, double usd_per_1000);

#endif
