/*
 * neuron.h - an AWS Inferentia / Trainium machine's NeuronCores through
 * neuron-monitor, run as a child (fetch/child.h), plus the Neuron driver's
 * per-device power file; both reported to the machine's box
 * (fetch/localbox.h).
 *
 * neuron-monitor prints one JSON report per line each period (5 s by
 * default; when the command is neuron-monitor itself it is given a
 * generated `-c` config asking for 1 s).  Per report, over the runtimes in
 * neuron_runtime_data[]:
 *
 *   throughput   execution_stats.execution_summary.completed / period,
 *                summed.  The counts are per period, not cumulative (the
 *                user guide says so and the real captures agree: 260 in
 *                each of three reports), so no difference is taken.  A
 *                runtime without a period is divided by the time since the
 *                previous report.  Only `completed` counts: executions
 *                that ended in an error, timed out or were refused are not
 *                throughput.
 *   utilization  neuroncore_counters.neuroncores_in_use.<n>.neuroncore_utilization
 *                (percent) summed over the cores reported and divided by the
 *                machine's NeuronCores (neuron_hardware_info: devices x cores
 *                per device): a core no application holds is idle, and
 *                neuron-monitor only lists the cores in use.  Without the
 *                hardware counts, the mean over the cores reported.
 *
 * reported as component "neuron" (LB_ACCEL, measured).  A group or runtime
 * whose "error" is set is left out, and the health line says why.
 *
 * Power: neuron-monitor has none.  The Neuron driver (2.21+) writes
 * ROOT/sys/devices/virtual/neuron_device/neuron<N>/stats/power/utilization
 * as "<status>,<epoch>,<min%>,<max%>,<avg%>": the last minute's power as a
 * percentage of the device's maximum.  It is read once a second; when it is
 * POWER_STATUS_VALID and device_max_w is set, avg% x device_max_w is
 * reported as component "neuron<N>" (LB_ACCEL, power, ESTIMATED: AWS
 * publishes no per-chip rating, so the maximum is the user's assumption).
 * Without device_max_w no watts are reported and the health line shows the
 * percentage.  Driver 2.31 moved sysfs files around: the file is looked for
 * under stats/power/ and one directory below it.
 *
 * Ownership: neuron_source_new() returns a source the caller adds to the
 * set before the box's own source (localbox.h); stop() frees it, kills the
 * child and removes the generated config file.
 */
#ifndef PERWATT_NEURON_H
#define PERWATT_NEURON_H

#include <stdbool.h>
#include <stddef.h>

#include "core/model.h"
#include "fetch/localbox.h"
#include "fetch/source.h"

#define NEURON_DEFAULT_CMD  "neuron-monitor"
#define NEURON_SYSFS_DIR    "/sys/devices/virtual/neuron_device"
#define NEURON_PERIOD       1.0     /* s, asked for in the generated config */
#define NEURON_PERIOD_DEFAULT 5.0   /* s, neuron-monitor's own when not told */
#define NEURON_MAX_DEVICES  64

/* What the probe found: `found` (and 1 returned) when the command's program
 * is on the PATH (or is a path to an executable); p->what names it and the
 * Neuron devices under ROOT/sys/devices/virtual/neuron_device, or says why
 * not.  Nothing is run.  cmd NULL: "neuron-monitor"; root "": the real
 * sysfs. */
int neuron_probe(const char *cmd, const char *root, struct lb_probe *p);

/* A source running `cmd` (NULL: neuron-monitor with a generated 1 s config)
 * and reading the power files under `root` ("" or NULL: the real sysfs),
 * reporting into box `b`; device_max_w is the assumed maximum power of one
 * Neuron device in watts, NAN when not configured.  Registers its health
 * record ("neuron-monitor") in the box's fleet now.  NULL with err filled
 * in on failure. */
struct source *neuron_source_new(struct model *m, struct localbox *b, const char *cmd,
                                 const char *root, double device_max_w, char *err, size_t errlen);

/* The instance type the reports name ("inf2.xlarge"), or NULL until one
 * has (or when s is not a neuron source). */
const char *neuron_instance_type(const struct source *s);

/* Seconds without a report before the child is killed and restarted
 * (default 3 x the period + 5 s).  For tests; call before start(). */
void neuron_source_set_quiet_timeout(struct source *s, double seconds);

/* ---- the parsers, pure (exposed for the tests) ---------------------------- */

/* One neuron-monitor report, summed over its runtimes. */
struct neuron_report {
	int runtimes;               /* entries in neuron_runtime_data[] */
	int runtimes_ok;            /* of those, without an error */
	bool has_exec;              /* some runtime had execution_stats */
	double completed;           /* executions completed in the period, all runtimes */
	double completed_rate;      /* of them, per second, for runtimes with a period */
	double completed_untimed;   /* completed by runtimes without a period */
	bool has_util;              /* some runtime had neuroncore_counters */
	int cores_reported;         /* neuroncores_in_use entries with a utilization */
	double util_sum;            /* their percentages, summed */
	double util;                /* percent, 0..100 (see above); NAN when unknown */
	int device_count;           /* neuron_hardware_info; -1 when unknown */
	int cores_per_device;       /* -1 when unknown */
	char instance_type[48];     /* "" when unknown; only [A-Za-z0-9._-] kept */
	char error[160];            /* the first error the report carries, "" when none */
};

/* Parses one report (json need not be NUL-terminated).  0 when it is a
 * neuron-monitor report (it may still carry errors: out->error), -1 when it
 * is not JSON or not a report (err says what, short). */
int neuron_parse_report(const char *json, size_t len, struct neuron_report *out,
                        char *err, size_t n);

enum neuron_power_status {
	NEURON_POWER_VALID,
	NEURON_POWER_NO_DATA,
	NEURON_POWER_INVALID,
};

struct neuron_power {
	enum neuron_power_status status;
	double epoch;               /* of the minute it describes; NAN when absent */
	double min_pct, max_pct, avg_pct;   /* NAN unless VALID */
};

/* Parses the driver's power file text "<status>,<epoch>,<min>,<max>,<avg>".
 * 0, or -1 when it is not that (an unknown status, a VALID line without
 * finite percentages in 0..100). */
int neuron_parse_power(const char *text, size_t len, struct neuron_power *out);

#endif
