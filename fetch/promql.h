/*
 * promql.h - the PromQL source: a fleet's throughput, power and utilization
 * read from a server that speaks the Prometheus HTTP API (Prometheus,
 * VictoriaMetrics, Thanos Query, Grafana Mimir...).
 *
 * For each configured query (fleet_cfg q_thr, q_power, q_util) the source
 *
 *   - at start-up asks SERVER/api/v1/query_range once for the last
 *     PROMQL_BACKFILL_RANGE seconds, so that the sparklines are full from the
 *     first frame (step = promql_range_step(), which keeps under the server's
 *     11,000 points per series), and records those points in the instances
 *     and in the fleet's totals (model_tick() pushes only the present);
 *   - every interval (fleet_cfg interval, default 1 s) asks
 *     SERVER/api/v1/query for the value now, with at most one such request
 *     per query in flight: a slow query delays only itself.  The queries
 *     due together share one `time`, so their values describe one moment.
 *
 * Both are POSTed as application/x-www-form-urlencoded (every compatible
 * server accepts it, and long queries do not hit URL length limits).  The
 * queries must compute gauges (use rate() for counters): values are recorded
 * with model_record() as they come.
 *
 * Times: a live value is recorded at the clock_now() its answer arrived.
 * Its timestamp is the `time` we sent (the server's own clock when a server
 * ignores it), a wall-clock reading that NTP may step and that another
 * machine may disagree with; the arrival time is within one latency of the
 * moment the value describes and keeps its age right for staleness.  The
 * backfill's timestamps are the start + k*step we asked for, so they are
 * moved onto the monotonic clock by an offset measured once, at start().
 * The backfill ends one step before start(), so that no 1 s slot mixes
 * history with live values; one that fails says "backfill: ..." in its
 * query's health until the live query has news (it is not retried).
 *
 * Series become instances by their `instance` label, else by their whole
 * label set without __name__, rendered `{job="x",zone="y"}` (labels sorted by
 * name); a scalar or a series without labels is one instance named after the
 * fleet.  Several series with the same instance are summed (throughput,
 * power) or averaged (utilization), as the scrape source does.  Instance ids
 * and every text that reaches a health record are sanitized (no control
 * characters, valid UTF-8 only).
 *
 * Health: one source_health per query (kind "promql", target "SERVER figure",
 * user:password in the URL left out).  ok; ok with "warning: ..." when the
 * server sent warnings; stale with "query returned no series" for an empty
 * result; failing with "bad_data: ..." (the server's errorType and error), the
 * HTTP driver's error, or what was wrong with the response.  Failures back
 * off (http_backoff).
 *
 * Ownership: promql_source_new() copies what it needs from the fleet_cfg
 * (which may be freed afterwards) and returns a source owned by the caller
 * until source_set_add() takes it; stop() cancels the source's requests and
 * frees it.  The http driver must outlive the source: add its source to the
 * set after this one (see http.h).  The fleet and its health records belong
 * to the model; on failure those already added stay there.
 */
#ifndef PERWATT_PROMQL_H
#define PERWATT_PROMQL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/fleetcfg.h"
#include "core/model.h"
#include "fetch/http.h"
#include "fetch/source.h"

#define PROMQL_BACKFILL_RANGE  900.0   /* s: the 1 s tier of an instance series */
#define PROMQL_MAX_POINTS      11000u  /* Prometheus' limit per series and range query */
#define PROMQL_DEFAULT_INTERVAL 1.0    /* s, when the fleet says 0 */
#define PROMQL_MIN_INTERVAL    0.1     /* s: shorter ones are raised to this */
#define PROMQL_DEFAULT_TIMEOUT  5.0    /* s, when the fleet says 0 */
#define PROMQL_ID_MAX          256     /* longest instance id, with NUL (longer: cut) */
#define PROMQL_TEXT_MAX        200     /* warnings text, with NUL (= source_health.error) */

/* Adds (or reuses) the fleet `f->name` in the model, applies the fleet's
 * settings (type, unit, count, price when not NAN, baseline), registers one
 * health record per query and returns the source.  NULL with a message in
 * err (not naming the fleet: the caller does) when the config cannot work
 * (no server, not http(s), no query) or when out of memory.  A source never
 * added to a set is freed with s->ops->stop(s). */
struct source *promql_source_new(struct model *m, struct http *h, const struct fleet_cfg *f,
                                 char *err, size_t errlen);

/* ---- the pieces, pure and testable without HTTP ---------------------------- */

enum promql_type { PROMQL_NONE = 0, PROMQL_VECTOR, PROMQL_MATRIX, PROMQL_SCALAR, PROMQL_STRING };
const char *promql_type_name(enum promql_type t);   /* "vector", ..., "none" */

/* Which result an answer must carry. */
enum promql_want {
	PROMQL_WANT_INSTANT,    /* /api/v1/query: a vector or a scalar */
	PROMQL_WANT_RANGE,      /* /api/v1/query_range: a matrix */
};

struct promql_sample {
	size_t series;          /* the series' index in the result, from 0 */
	const char *id;         /* instance id (see above); valid during the callback */
	double t;               /* the sample's timestamp: the server's unix seconds */
	double v;               /* always finite */
};

/* Return 0 to go on, non-zero to stop (the parse then fails). */
typedef int (*promql_sample_fn)(void *user, const struct promql_sample *s);

struct promql_info {
	enum promql_type type;  /* of the result; PROMQL_NONE for an error answer */
	char error_type[32];    /* an error answer's errorType ("bad_data"...; "error"
	                         * when it has none), sanitized; "" for any other */
	size_t series;          /* in the result (1 for a scalar) */
	size_t samples;         /* passed to the callback */
	size_t skipped;         /* values left out: NaN, +-Inf, out of range, histograms */
	char warnings[PROMQL_TEXT_MAX];  /* the server's warnings joined by "; ",
	                                  * sanitized; "" when none.  "infos" are ignored */
};

/* Parses one API answer (body[0..len), need not be NUL-terminated).
 * Everything is checked before the first sample is passed on: a malformed
 * answer delivers nothing.  Returns 0 for a success answer of the wanted
 * type (also when it holds no series), else -1 with a sanitized one-line
 * message in err: "bad_data: <server's error>" for an error answer, or what
 * is wrong (invalid JSON, a range vector where an instant one was wanted...).
 * `scalar_id` names the instance of a scalar or of a series without labels.
 * `info` (may be NULL) is filled in either way. */
int promql_parse_response(const char *body, size_t len, enum promql_want want,
                          const char *scalar_id, promql_sample_fn fn, void *user,
                          struct promql_info *info, char *err, size_t errlen);

/* A sample value as the API writes it (Go's strconv, always a JSON string):
 * 0 and *v for a finite number; 1 for NaN, +Inf, -Inf and numbers out of a
 * double's range (*v is then NAN or +-INFINITY); -1 for anything else
 * (spaces, hex, trailing text).  Locale-independent. */
int promql_parse_value(const char *s, double *v);

/* application/x-www-form-urlencoded encoding of s (RFC 3986 unreserved
 * characters kept, everything else %XX).  malloc'ed; NULL when out of memory. */
char *promql_form_encode(const char *s);

/* The step of a backfill over `range` seconds: the smallest whole number of
 * seconds >= 1 that keeps range/step <= max_points. */
double promql_range_step(double range, unsigned max_points);

#endif
