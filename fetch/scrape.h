/*
 * scrape.h - the scrape source: reads exporters' /metrics endpoints
 * directly (no Prometheus server), one fleet per source.
 *
 * Each target is one instance of the fleet.  Every interval (the fleet's;
 * 1 s when unset) each target gets one GET through the shared HTTP driver
 * (fetch/http.h), with Accept: PROMTEXT_ACCEPT_0_0_4 as the reference
 * recommends; the body is streamed into that target's exposition parser
 * (fetch/promtext.h), which passes on only the samples the fleet's mappings
 * select.  When a body has arrived whole and parsed cleanly, its figures are
 * recorded in the model, stamped with the time the response completed; a
 * body with any error records nothing (all or nothing, as a Prometheus
 * scrape).
 *
 * The fleet: the model's fleet of the configured name is used when it
 * exists (so that another source may feed the same fleet), else created.
 * The configuration's type, unit, instance count, price and baseline flag
 * are set on it where the configuration gives them (a NULL, 0 or NAN field
 * leaves the fleet's value alone).  A configured price is recorded as
 * price_source "config", not replaced by the tables.
 *
 * Instances: one per target, created when the target is, so that a target
 * that never answers is still listed.  Its id is the URL's host:port (the
 * scheme's port when the URL has none), or a file_sd target's `instance`
 * label; when two targets of the source would share an id, the later one
 * gets the URL's path (and query) appended, then "#2", "#3"...  Control
 * characters never reach an id.
 *
 * Figures: per body and mapping, the usable samples (finite, and below
 * 9.2e18: dcgm-exporter's blank sentinels) are summed, or averaged when the
 * map says `mean`, after keeping one series per value of the map's dedupe
 * label (matched without regard to case).  A gauge's value, times the
 * map's scale, is recorded with model_record().  Counters become rates with
 * core/rate.c's rate_update() (resets, and RATE_MIN_DT, handled there) PER
 * SERIES, and the rates are summed: a sum of several counters would turn one
 * series' reset, or a series appearing or vanishing, into a spike.  That is
 * why this source does not use model_record_counter(), which keeps one
 * counter per instance and metric; the rate arithmetic is still core's.  A
 * figure with a counter series that has no rate yet (its first reading)
 * is not recorded for that body.  A series missing from a body forgets its
 * previous reading.  Kind MKIND_AUTO means: the family's TYPE (counter or
 * gauge), else a `_total` suffix means counter.  A map with a scale of 0 or
 * less uses 1.  The presets' extras (fetch/presets.h: a second metric
 * summed in, node's idle-CPU utilization) apply to a map that is exactly a
 * preset's.
 *
 * Health: one source_health per target (kind "scrape", target: its URL
 * without user name or password):
 *   ok       the last body was recorded (error may hold a note: a metric
 *            that matched nothing, or no throughput metric configured);
 *   failing  the last attempt failed: the HTTP driver's error, the parser's
 *            "line N: ...", "metric X not found" when no mapping matched
 *            anything, or "removed from file_sd";
 *   stale    no success yet, or none for 3 intervals (the model ages the
 *            values themselves: model->stale_after).
 * latency_ms is the last attempt's.  File_sd gets one more record (kind
 * "file_sd", target: the path).
 *
 * Pacing: at most one request in flight per target.  The timeout is the
 * fleet's (5 s when unset) but never longer than the interval, as
 * Prometheus requires of scrape_timeout, so a request always ends before
 * the next one is due.  After a success the next poll is one interval after
 * the last one started; after a failure http_backoff_next() spaces the
 * retries (2, 4, 8... intervals, up to HTTP_BACKOFF_MAX), each target on its
 * own, so a dead target is polled less and never delays the others.  The
 * first polls are spread over the first interval by a hash of the URL.
 * Responses whose Content-Type names another format than the body was
 * parsed as (OpenMetrics, though 0.0.4 was asked for) are dropped once and
 * the target is parsed in that format from then on.
 *
 * file_sd: a Prometheus file_sd JSON file, `[{"targets": ["host:port", ...],
 * "labels": {...}}, ...]`.  Labels used: __scheme__ (http or https; default
 * http), __metrics_path__ (default /metrics), __param_NAME (URL query
 * parameters), instance (the instance id); others are ignored.  A target
 * written as a full http(s):// URL is taken as it is (an extension).  The
 * file is stat()ed at most once a second from tick() and re-read when its
 * inode, size or mtime changed.  Targets added are polled at once; targets
 * removed stop being polled, and since the model cannot delete records,
 * their health record stays, failing with "removed from file_sd", and their
 * instance's values age out.  A target that comes back reuses its record
 * and instance.  A file that cannot be read or parsed (cJSON's position is
 * reported as a line) leaves the targets as they were, and its health
 * record says why.  Static targets (targets=) are never removed.
 *
 * Ownership: scrape_source_new() returns a source owned by the caller until
 * it is handed to source_set_add() (add it BEFORE the HTTP driver's source,
 * see http.h); its stop() cancels its requests and frees everything it
 * allocated.  A source never added to a set is freed with s->ops->stop(s).
 * The fleet_cfg is copied: it may be freed once this returns.  The model
 * and the driver must outlive the source.
 */
#ifndef PERWATT_SCRAPE_H
#define PERWATT_SCRAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/fleetcfg.h"
#include "core/model.h"
#include "fetch/http.h"
#include "fetch/promtext.h"
#include "fetch/source.h"

#define SCRAPE_DEFAULT_INTERVAL 1.0     /* s, when the fleet says 0 */
#define SCRAPE_DEFAULT_TIMEOUT  5.0     /* s, when the fleet says 0 */
#define SCRAPE_MIN_INTERVAL     0.1     /* s */
#define SCRAPE_STALE_INTERVALS  3       /* no success for this many intervals: stale */
#define SCRAPE_SENTINEL         9.2e18  /* values from here up are missing, not numbers */
#define SCRAPE_MAX_TARGETS      10000
#define SCRAPE_SD_MAX_BYTES     (4u << 20)

/* NULL with a message in err: no targets and no file_sd, no mapping, a
 * selector the parser rejects, a target that is not an http(s) URL, out of
 * memory. */
struct source *scrape_source_new(struct model *m, struct http *h, const struct fleet_cfg *f,
                                 char *err, size_t errlen);

/*
 * The "samples -> per-instance figures" step on its own, without HTTP: what
 * the source does with each target's bodies.
 *
 *   pl = scrape_plan_new(&cfg, err, sizeof err);   the fleet's mappings
 *   ev = scrape_eval_new(pl);                      one per target
 *   scrape_eval_begin(ev, fmt); scrape_eval_feed(ev, chunk, n)...;
 *   scrape_eval_end(ev, t, &figs)                  or scrape_eval_text()
 *
 * Ownership: the plan is immutable once made and must outlive its evals;
 * each is freed with its _free().
 */
struct scrape_plan;
struct scrape_eval;

/* One figure of one body. */
struct scrape_fig {
	bool configured;        /* the fleet maps this figure */
	size_t matched;         /* samples its selectors matched */
	size_t series;          /* of those, usable ones left after dedupe */
	bool counter;           /* some of them are counters */
	double raw;             /* sum of the usable values as read (before rate and scale) */
	bool have;              /* value is set */
	double value;           /* units/s, W or percent */
};

struct scrape_figures {
	struct scrape_fig fig[MET__COUNT];     /* by enum metric */
};

/* NULL with a message in err (no mapping, a bad selector, out of memory). */
struct scrape_plan *scrape_plan_new(const struct fleet_cfg *f, char *err, size_t errlen);
void scrape_plan_free(struct scrape_plan *pl);

/* NULL when out of memory. */
struct scrape_eval *scrape_eval_new(const struct scrape_plan *pl);
void scrape_eval_free(struct scrape_eval *e);

/* Starts a body in this format (any body not ended is dropped). */
void scrape_eval_begin(struct scrape_eval *e, enum promtext_format fmt);
/* 0, or -1 once the body has an error (scrape_eval_error() says which). */
int scrape_eval_feed(struct scrape_eval *e, const void *data, size_t len);
/* Ends the body received at time t: 0 with *out filled, or -1 (nothing is
 * kept of the body: counters keep their previous readings). */
int scrape_eval_end(struct scrape_eval *e, double t, struct scrape_figures *out);
/* begin + feed + end of a whole body. */
int scrape_eval_text(struct scrape_eval *e, enum promtext_format fmt, const char *text,
                     size_t len, double t, struct scrape_figures *out);
/* Why the last feed/end failed ("line 12: ..."), or NULL. */
const char *scrape_eval_error(const struct scrape_eval *e);
/* Forgets every counter's previous reading (a target that comes back). */
void scrape_eval_forget(struct scrape_eval *e);

/* What a body lacked: "metric X not found", "metric Y: no usable value",
 * joined with "; ", and the preset's hint for a missing power metric.
 * Returns the number of configured figures that had no usable series (0:
 * buf is ""); *all_missing is set when none of them had any. */
size_t scrape_figures_missing(const struct scrape_plan *pl, const struct scrape_figures *o,
                              char *buf, size_t n, bool *all_missing);

#endif
