/* promtext.h - streaming parser for the Prometheus text exposition format
 * (version 0.0.4, including Prometheus 3 quoted UTF-8 names) and OpenMetrics
 * 1.0 text.
 *
 * The body of a scrape is fed in whatever chunks libcurl hands over; the
 * parser never holds more than one line (at most PROMTEXT_MAX_LINE bytes).
 * Before feeding, the caller registers selectors (a metric name plus label
 * matchers, like PromQL's `name{label=~"re"}`); every sample that matches a
 * selector is passed to one callback. Samples nobody asked for cost only the
 * parse of their name unless promtext_set_validate_all() is on.
 *
 *     struct promtext *p = promtext_new(promtext_format_from_content_type(ct));
 *     promtext_on_sample(p, on_sample, ctx);
 *     promtext_add_selector_str(p, "DCGM_FI_DEV_POWER_USAGE");
 *     ... promtext_feed(p, chunk, len) for every chunk ...
 *     if (promtext_finish(p) != 0) report(promtext_error(p));
 *     promtext_reset(p, next_format);   // next scrape, same selectors
 *
 * Ownership: promtext_new() allocates the parser, promtext_free() releases it
 * and everything it holds (selectors, compiled regexes, buffers). Strings
 * passed in (selector names, matcher values) are copied. Everything the
 * parser hands out (labels, names, error and warning text) is owned by the
 * parser: labels are valid only during the callback, error and warning text
 * until the next promtext_reset()/promtext_free().
 *
 * Errors: after the first syntax error in a body the parser delivers no more
 * samples for that body (Prometheus fails the whole scrape), every further
 * promtext_feed() returns -1 at once, and promtext_error() says
 * "line N: reason". Samples delivered before the error were already passed
 * to the callback: a caller that wants all-or-nothing keeps them aside and
 * commits them only when promtext_finish() returns 0.
 *
 * Not thread-safe; one parser per concurrent body. The callback must not call
 * promtext_feed/finish/reset/free on the parser that called it.
 */
#ifndef PERWATT_FETCH_PROMTEXT_H
#define PERWATT_FETCH_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line accepted, not counting its "\n" (a trailing "\r" counts). A
 * longer line is an error, however it is split into chunks. */
#define PROMTEXT_MAX_LINE 65536

/* Most metric families remembered per body (for the TYPE/HELP checks and
 * the family type given to the callback); one more, or more than 8 MiB of
 * their names, is an error. With the line limit, this bounds the memory a
 * body can make the parser use, whatever its size. */
#define PROMTEXT_MAX_FAMILIES 65536

/* The Accept header Prometheus 3 sends on a scrape (reference section 2.1):
 * OpenMetrics first, then text 1.0.0 and 0.0.4, both of which this parser
 * reads. Use with promtext_format_from_content_type() on the answer. */
#define PROMTEXT_ACCEPT \
	"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6," \
	"application/openmetrics-text;version=0.0.1;q=0.5," \
	"text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4," \
	"text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

/* The conservative alternative the reference recommends: every exporter
 * speaks text 0.0.4, and most ignore OpenMetrics even when asked. */
#define PROMTEXT_ACCEPT_0_0_4 "text/plain;version=0.0.4;q=1.0,*/*;q=0.1"

enum promtext_format {
	PROMTEXT_0_0_4,         /* text/plain; timestamps in ms */
	PROMTEXT_OPENMETRICS    /* application/openmetrics-text; seconds; # EOF */
};

/* The family's TYPE. PROMTEXT_TYPE_NONE: no TYPE line was given (Prometheus
 * calls that untyped in 0.0.4, unknown in OpenMetrics). 0.0.4 allows counter,
 * gauge, histogram, summary, untyped; OpenMetrics counter, gauge, histogram,
 * gaugehistogram, summary, info, stateset, unknown. */
enum promtext_type {
	PROMTEXT_TYPE_NONE = 0,
	PROMTEXT_TYPE_COUNTER,
	PROMTEXT_TYPE_GAUGE,
	PROMTEXT_TYPE_HISTOGRAM,
	PROMTEXT_TYPE_SUMMARY,
	PROMTEXT_TYPE_UNTYPED,
	PROMTEXT_TYPE_UNKNOWN,
	PROMTEXT_TYPE_INFO,
	PROMTEXT_TYPE_STATESET,
	PROMTEXT_TYPE_GAUGEHISTOGRAM
};

/* Label matcher operators, as in PromQL. A label the sample lacks has the
 * value "" (so `{gpu=""}` matches samples without a gpu label). Regexes are
 * POSIX extended (regcomp REG_EXTENDED) and anchored like Prometheus: the
 * whole value must match. */
enum promtext_op {
	PROMTEXT_EQ,    /* =  */
	PROMTEXT_NE,    /* != */
	PROMTEXT_RE,    /* =~ */
	PROMTEXT_NRE    /* !~ */
};

struct promtext_matcher {
	const char *label;      /* label name; "__name__" means the metric name */
	enum promtext_op op;
	const char *value;      /* string, or the regex for RE/NRE */
};

/* One label, unescaped. Both strings are NUL-terminated, but a value may
 * itself contain NUL bytes, invalid UTF-8 or control characters exactly as
 * the exporter sent them: use value_len, and sanitize before display. */
struct promtext_label {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* What the callback gets besides the value: the sample's labels in the order
 * written, its metric name, and what is known of its family. */
struct promtext_labels {
	const char *metric;     /* sample name as written: "x_bucket", "foo_total" */
	size_t metric_len;
	const char *family;     /* family it belongs to: "x", "foo" (or = metric) */
	size_t family_len;
	enum promtext_type type;        /* the family's TYPE, NONE when undeclared */
	const char *unit;       /* OpenMetrics # UNIT of the family, "" when none */
	size_t n;               /* number of labels */
	const struct promtext_label *label;
};

/* Called once per (matching sample, matching selector). sel is the index
 * promtext_add_selector*() returned. ts_ms is the sample's own timestamp in
 * milliseconds (OpenMetrics seconds are converted, rounded to the nearest
 * ms) when has_ts, else 0. Return 0 to go on; anything else stops the body
 * with the error "stopped by the caller". */
typedef int (*promtext_sample_fn)(int sel, const struct promtext_labels *labels,
                                  double value, bool has_ts, int64_t ts_ms,
                                  void *user);

struct promtext_stats {
	uint64_t lines;         /* lines read, including comments and blanks */
	uint64_t samples;       /* sample lines seen */
	uint64_t matched;       /* samples that matched at least one selector */
	uint64_t delivered;     /* callback calls (a sample may match several) */
	uint64_t warnings;      /* tolerated deviations, see promtext_warning() */
	uint64_t families;      /* metric families seen */
};

struct promtext;

/* A parser for one body at a time in the given format; NULL when out of
 * memory. */
struct promtext *promtext_new(enum promtext_format format);
void promtext_free(struct promtext *p);

/* Forget the current body (families, counters, error, partial line) and get
 * ready for the next one, possibly in another format. Selectors, the
 * callback and validate_all are kept, and selectors may be added again. */
void promtext_reset(struct promtext *p, enum promtext_format format);

void promtext_on_sample(struct promtext *p, promtext_sample_fn fn, void *user);

/* Check every line in full, not only those a selector asks for, so that any
 * malformed line fails the body as it fails a Prometheus scrape. Off by
 * default: a dashboard wants its few series even when an unrelated metric is
 * broken, and skipping costs less (# HELP/# TYPE/# UNIT lines and metric
 * names are always checked).
 *
 * With it on, a 0.0.4 body is rejected exactly when `promtool check metrics`
 * (expfmt) rejects it, except for these deliberate tolerances: a missing
 * final newline (a warning), CRLF line ends, trailing blanks, Prometheus 3
 * quoted names `{"a.b"}`, escapes in # HELP text (Prometheus' scrape parser
 * does not check them either), and label values that are not valid UTF-8
 * (delivered as sent). One case is stricter: a name must be followed by a
 * blank or '{', so `x-1` / `x.5` are errors (expfmt reads them as x -1). */
void promtext_set_validate_all(struct promtext *p, bool on);

/* Register a selector before the first promtext_feed() of a body. metric
 * NULL or "" matches every metric name (then every sample is parsed). The
 * matchers are copied. Returns the selector's index (0, 1, ...) or -1 with
 * the reason in promtext_error(): bad regex, bad label name, called after
 * feeding began, out of memory. */
int promtext_add_selector(struct promtext *p, const char *metric,
                          const struct promtext_matcher *m, size_t n);

/* Same from PromQL selector text: `name`, `name{a="x",b!~"y|z"}`,
 * `{__name__=~"DCGM_.*"}`, `{"my.metric", "a.b"="c"}`. Label values use the
 * PromQL/exposition escapes \\ \" \n (also \t); no offsets or ranges. */
int promtext_add_selector_str(struct promtext *p, const char *selector);

/* Feed the next len bytes of the body. Returns 0, or -1 once the body has an
 * error (promtext_error() says which line and why). */
int promtext_feed(struct promtext *p, const void *buf, size_t len);

/* End of body: parses a last line that lacks its "\n" (a warning in 0.0.4),
 * checks OpenMetrics' "# EOF". Returns 0, or -1 when the body has an error. */
int promtext_finish(struct promtext *p);

/* Why the last call that returned -1 failed, e.g. "line 12: expected '='
 * after label name"; NULL when nothing failed. Bytes from the input that
 * appear in it are printable ASCII, anything else is written as \xNN. */
const char *promtext_error(const struct promtext *p);

/* The first warning of this body ("line 98: missing final newline"), NULL
 * when none; sanitized like promtext_error(). Counted in stats.warnings. */
const char *promtext_warning(const struct promtext *p);

void promtext_get_stats(const struct promtext *p, struct promtext_stats *out);

/* The format a response body is in, from its Content-Type header value:
 * application/openmetrics-text (any version) -> PROMTEXT_OPENMETRICS;
 * text/plain, missing (NULL) or anything else -> PROMTEXT_0_0_4. */
enum promtext_format promtext_format_from_content_type(const char *ct);

/* "counter", "gauge", ...; "" for PROMTEXT_TYPE_NONE. */
const char *promtext_type_name(enum promtext_type t);

/* The value of label name in labels, or NULL when the sample has none.
 * "__name__" gives the metric name. */
const char *promtext_label_value(const struct promtext_labels *labels,
                                 const char *name);

#endif
