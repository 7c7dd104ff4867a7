/*
 * cloudwatch.h - fleets read from AWS CloudWatch: GetMetricData for the
 * figures, ListMetrics to find each fleet's instances, signed with SigV4
 * by libcurl through the shared HTTP driver, with the AWS credential chain
 * of fetch/awscreds.h.  One source serves every CloudWatch fleet, so that
 * all their queries share as few (billed) calls as the limits allow.
 *
 * Per fleet (struct fleet_cfg with source = cloudwatch), each figure
 * (throughput, power, utilization) is either
 *
 *   - a metric: namespace, name, extra dimension filters, statistic (Sum
 *     for throughput, divided by the period to make a rate; Average for
 *     power and utilization).  Its series are found with ListMetrics
 *     (RecentlyActive, every CLOUDWATCH_DISCOVERY_EVERY seconds): first
 *     those carrying the fleet's select dimension (InstanceType=TYPE by
 *     default, or e.g. AutoScalingGroupName=web); for a figure with none of
 *     those (AWS/EC2 per-instance metrics carry only InstanceId), the series
 *     whose InstanceId is one the other figures found.  Each exact
 *     dimension set found is one query (the CloudWatch agent's GPU metrics
 *     carry index, name and host besides InstanceId: one per GPU); the
 *     instance is its InstanceId, else its host, else its dimensions.
 *     Several series of an instance are summed (utilization: averaged).
 *   - an expression (Metric Math, SEARCH): each series it returns is an
 *     instance named by its label.  Its values are used as they come (times
 *     the figure's scale): a throughput expression computes units per
 *     second itself (divide a Sum by the period, or scale by 1/period).
 *
 * Presets fill in figures the fleet does not give itself: cwagent-gpu
 * (CWAgent nvidia_smi_power_draw and nvidia_smi_utilization_gpu), ec2
 * (AWS/EC2 CPUUtilization; power is then estimated from it with the
 * per-type power model) and neuron (the metrics neuron-monitor-cloudwatch.py
 * publishes in the fleet's namespace: their names are not documented, so
 * every metric of that namespace is listed and those whose names say
 * NeuronCore utilization, and - when no throughput is configured -
 * completed executions, are taken; the health line names what was picked).
 *
 * Polling: the queries of all fleets with the same period and settle time
 * are batched (cw_batch_plan: 500 queries, 100,800 datapoints a call),
 * over windows aligned to the period (cw_window_next): each datapoint is
 * fetched once, plus one period re-checked for late arrivals, which are
 * merged.  A poll runs `settle` seconds (default 60) after each period
 * ends, so the poll interval defaults to the period.  NextToken pages are
 * followed; throttling and server errors back off (http_backoff) and say
 * so; the first poll fetches the last CLOUDWATCH_BACKFILL seconds.
 *
 * Display: CloudWatch data arrive minutes late, so a CloudWatch fleet is
 * shown a fixed delay behind real time - period + settle + 5 s (with a
 * longer poll interval, that instead of the period) - and each datapoint
 * is held for its period: the sparklines move smoothly and show each
 * period where it belongs, and the health line says how far behind the
 * figures are.  A period with no datapoint is bridged for one period, then
 * the instance goes stale.
 *
 * Health: one record per fleet, kind "cloudwatch", target "REGION  N
 * metrics/poll every P s = USD X/h" - the cost of watching at the list
 * price CW_USD_PER_1000_METRICS or [dashboard]
 * cloudwatch_usd_per_1000_metrics.  Errors say what to do: credentials
 * missing or expired (awscreds_error), access denied, throttled (and when
 * the next try is), a wrong region, malformed or truncated answers,
 * PartialData, and empty results from a period CloudWatch does not keep
 * for that age (cw_period_check) or a metric not published.  Secrets never
 * reach a message.
 *
 * Ownership: cloudwatch_source_new() copies what it needs from the configs
 * and owns its awscreds; the http driver must outlive the source (add its
 * source to the set after this one).
 */
#ifndef PERWATT_CLOUDWATCH_H
#define PERWATT_CLOUDWATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/fleetcfg.h"
#include "core/model.h"
#include "fetch/http.h"
#include "fetch/source.h"

#define CLOUDWATCH_DEFAULT_PERIOD   60      /* s */
#define CLOUDWATCH_DEFAULT_SETTLE   60.0    /* s after a period ends before it is read */
#define CLOUDWATCH_BACKFILL         900.0   /* s of history fetched at start */
#define CLOUDWATCH_DISCOVERY_EVERY  600.0   /* s between ListMetrics rounds */
#define CLOUDWATCH_MARGIN           5.0     /* s added to the display delay */
#define CLOUDWATCH_HIST             64      /* datapoints kept per series */
#define CLOUDWATCH_TIMEOUT          20.0    /* s per request, when the fleet says 0 */

struct cloudwatch_opts {
	const char *profile;            /* --profile / [dashboard] aws_profile; NULL */
	const char *region;             /* --region / [dashboard] region; NULL: the chain's */
	double usd_per_1000;            /* NAN or < 0: CW_USD_PER_1000_METRICS */
};

/* Whether `name` is a CloudWatch preset (cwagent-gpu, ec2, neuron). */
bool cloudwatch_preset_known(const char *name);

/* One source for the `n` fleet configs that have source = cloudwatch
 * (others in the array are skipped; none is not an error: NULL and "" in
 * err).  Adds the fleets and their health records to the model.  NULL with
 * a message in err ("ORIGIN: fleet NAME: ...") on a fleet configuration
 * error or when out of memory.  A credential chain that cannot work (no
 * credentials, a malformed ~/.aws file, an SSO profile) is not one: the
 * fleets' health lines say so, and the rest of the dashboard runs. */
struct source *cloudwatch_source_new(struct model *m, struct http *h, const struct fleet_cfg *fleets,
                                     size_t n, const struct cloudwatch_opts *o, char *err, size_t errlen);

/* The display delay for a period, settle time and poll interval (s). */
double cloudwatch_delay(int period, double settle, double interval);

/* The next poll's wall-clock time after `wall`: `settle` + 1 s after the
 * next period boundary, and no sooner than last + interval. */
double cloudwatch_next_poll(double wall, int period, double settle, double interval, double last);

/* The instance a metric's dimensions belong to: the value of InstanceId,
 * else of host, else "Name=Value,..." in the given order; into buf. */
const char *cloudwatch_instance_key(char *buf, size_t n, const char *const *names,
                                    const char *const *values, size_t ndims);

#endif
