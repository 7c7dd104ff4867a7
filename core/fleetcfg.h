/*
 * fleetcfg.h - what the user asked perwatt to watch: the [dashboard]
 * settings and one fleet_cfg per fleet, from the INI config file
 * ($XDG_CONFIG_HOME/perwatt/perwatt.ini or --config FILE) and from
 * --fleet specs on the command line.  Pure data and parsing; the sources
 * (fetch/scrape.c, fetch/promql.c, fetch/cloudwatch.c, the local ones)
 * read these structs.
 *
 * Config file:
 *
 *   [dashboard]
 *   interval = 1s            ; screen refresh
 *   window = 10s             ; seconds the figures average over
 *   theme = dark
 *   region = us-east-1
 *   sla = 1000000/h          ; or work = 450e6   (the projection's defaults)
 *   baseline = gpu
 *   aws_profile = perf       ; CloudWatch: this profile of ~/.aws (default: the AWS chain's)
 *   cloudwatch_usd_per_1000_metrics = 0.01   ; GetMetricData's price, for the cost shown
 *
 *   [fleet gpu]
 *   type = g4dn.2xlarge      ; instance type (prices, power model)
 *   instances = 33           ; count; default: the targets that answer
 *   unit = inferences        ; throughput unit (plural)
 *   usd_per_hour = 0.752     ; price override, per instance
 *   baseline = true
 *   source = scrape          ; scrape | promql | cloudwatch | local   (a preset implies its source)
 *   preset = dcgm            ; dcgm | node | neuron | scaphandre | kepler   (scrape)
 *                            ; cwagent-gpu | ec2 | neuron   (cloudwatch)
 *   targets = http://10.0.0.5:9400/metrics, http://10.0.0.6:9400/metrics
 *   file_sd = /etc/prometheus/gpu.json     ; Prometheus file_sd targets, re-read on change
 *   throughput = app_inferences_total{model="layoutlm"}   ; METRIC{MATCHERS}
 *   throughput_scale = 1
 *   power = DCGM_FI_DEV_POWER_USAGE        ; a gauge in W, or an energy counter
 *   power_unit = W           ; W | mW | uW | J | mJ | uJ  (J*: a counter, made a rate)
 *   utilization = DCGM_FI_DEV_GPU_UTIL
 *   utilization_unit = percent             ; percent | ratio
 *   server = http://prometheus:9090        ; source = promql
 *   query_throughput = sum by (instance) (rate(app_inferences_total[1m]))
 *   query_power = sum by (instance) (DCGM_FI_DEV_POWER_USAGE)
 *   query_utilization = avg by (instance) (DCGM_FI_DEV_GPU_UTIL)
 *   interval = 1s            ; poll interval of this fleet's sources
 *   timeout = 5s
 *   bearer_token_file = /run/secrets/token ; or basic_auth_file (user:password)
 *   ca_file = /etc/ssl/my-ca.pem
 *   insecure_skip_verify = false
 *
 *   [fleet inf2]
 *   source = cloudwatch
 *   type = inf2.xlarge       ; also picks the instances: InstanceType = inf2.xlarge
 *   select = AutoScalingGroupName=my-asg   ; or this dimension picks them
 *   preset = neuron          ; cwagent-gpu | ec2 | neuron
 *   namespace = neuron_mon   ; preset neuron: neuron-monitor-cloudwatch.py's --namespace
 *   throughput = Perwatt/App/Inferences{Model=bert, Stage="a,b", GPU}
 *                            ; NAMESPACE/METRIC{DIMENSION=VALUE,...}: the namespace is
 *                            ; all before the last '/'; a name alone: any value
 *   throughput_stat = Sum    ; Average | Sum | Minimum | Maximum | SampleCount | IQM
 *                            ; | p99 | p99.9 | tm90 | wm90 | tc90 | ts90 | TM(10%:90%)
 *   power_expression = SEARCH('{CWAgent,InstanceId} nvidia_smi_power_draw', 'Average')
 *                            ; Metric Math or SEARCH, each series an instance
 *   power_unit = W           ; W | mW | uW   (scale; CloudWatch power is a gauge)
 *   utilization_unit = percent   ; percent | ratio
 *   throughput_scale = 1
 *   period = 60s             ; 1s, 5s, 10s, 20s, 30s or a multiple of 60s
 *   settle = 60s             ; how long a period is given to be complete (0 to 15m)
 *   interval = 60s           ; poll interval; default: the period
 *
 *   [fleet box]              ; this machine
 *   source = local
 *   sensors = rapl, nvidia-smi   ; any of rapl, hwmon, cpu, nvidia-smi, neuron
 *                            ; (comma separated); none: no power sensor, throughput
 *                            ; only (needs a follow key); unset: every one detected
 *   nvidia_smi = ssh gpu1 nvidia-smi      ; the command run for nvidia-smi
 *   neuron_monitor = neuron-monitor -c /etc/nm.json   ; ... for neuron
 *   neuron_max_w = 100       ; W of one Neuron device at 100 % (> 0, at most 10000)
 *   follow = /tmp/bench.log  ; the benchmark's throughput: a log followed like tail -F,
 *                            ; or follow_cmd = CMD (its output), or follow_counter
 *                            ; = FILE (a running count in a file): at most one
 *   match = throughput: ([0-9.]+)   ; POSIX extended regex; its first capture is the value
 *   match_kind = rate        ; rate (units/s) | count (a running total) | lines (one unit each)
 *   throughput_scale = 1     ; multiplies the followed value
 *   type, unit, instances, usd_per_hour, baseline, interval as above
 *
 * --fleet specs (repeatable):
 *   NAME=PRESET:URL[,URL...][;key=value...]
 *   NAME=scrape:URL[,URL...];throughput=METRIC{MATCHERS};power=METRIC{MATCHERS}[;key=value...]
 *   NAME=promql:SERVER_URL;throughput=EXPR;power=EXPR[;utilization=EXPR][;key=value...]
 *   NAME=cloudwatch[:PRESET][;key=value...]
 *   NAME=local[;key=value...]                 every sensor detected
 *   NAME=nvidia-smi[:CMD][;key=value...]      sensors = nvidia-smi (nvidia_smi = CMD)
 *   NAME=neuron-monitor[:CMD][;key=value...]  sensors = neuron (neuron_monitor = CMD)
 *   NAME=follow:FILE;match=REGEX[;key=value...]   follow = FILE, sensors = "" (none:
 *                                             throughput only, unless sensors says)
 * where key is any [fleet] key above (type, unit, instances, baseline,
 * power_unit, ...), checked as in the file; for promql, throughput, power
 * and utilization mean query_throughput, query_power, query_utilization.
 * A part is cut at its first '=' (select=AutoScalingGroupName=web).  ';'
 * inside {...}, (...), [...] or quotes does not split; outside quotes a
 * backslash keeps the next character from counting ("\(", "\;"), and
 * [...] is read as a regex bracket expression (its contents are literal:
 * "[;]", "[(]", "[^]]" and "['"]" hold no separator, bracket or quote).
 * A local fleet's follow keys go in any local spec:
 *   gpu=nvidia-smi;follow=/tmp/bench.log;match=throughput: ([0-9.]+)
 * A scrape preset as
 * KIND sets preset (and so source = scrape); cloudwatch:PRESET takes a
 * CloudWatch preset.  E.g.
 *   inf2=cloudwatch:neuron;type=inf2.xlarge;namespace=neuron_mon;throughput=Perwatt/App/Inferences{Model=bert}
 *   app=cloudwatch;select=AutoScalingGroupName=web;throughput=Perwatt/App/Requests
 *
 * Errors name the file (or "--fleet #N", the Nth spec), the line and the key:
 * "perwatt.ini:12: [fleet gpu] power_unit: 'kW' is not W, mW, uW, J, mJ or uJ".
 * Unknown keys and sections, a key given twice and two fleets of one name
 * are errors.  Values: booleans true/false/yes/no/on/off/1/0; durations
 * as parse_duration() reads them (more than 0, at most 1d); URLs start
 * with http:// or https://; paths are kept as written.  An indented line
 * continues the value above (targets, throughput, power, utilization, the
 * query_* and *_expression keys only): inih reads at most 198 bytes a line.
 *
 * Units (scrape): power_unit W/mW/uW (or µW) make power a gauge scaled
 * to W, J/mJ/uJ (or µJ) an energy counter whose rate is W; unset, power
 * is MKIND_AUTO with scale 1.  utilization_unit percent (scale 1) or ratio
 * (scale 100) also makes utilization a gauge; utilization is the mean of
 * its series, the others the sum.  throughput_scale multiplies.  A promql
 * fleet's queries compute units/s, W and percent themselves, so these
 * keys, like targets and the mappings, belong to scrape (and cloudwatch)
 * fleets only.
 *
 * CloudWatch: each figure is a metric (cw[k].ns, metric, dims, stat; its
 * series per instance found with ListMetrics, the instances those with the
 * select dimension, else InstanceType = type) or an expression (each of
 * its series an instance), not both.  throughput_scale, power_unit (W,
 * mW, uW only) and utilization_unit become cw[k].scale; the scrape
 * metric_maps stay at their defaults.  Values: names at most 255 bytes,
 * dimension values 1024, expressions 1024, at most 30 dimensions.  A
 * statistic is kept as CloudWatch spells it (sum: Sum, P99: p99,
 * tm(10%:90%): TM(10%:90%)).
 * bearer_token_file, basic_auth_file, ca_file and insecure_skip_verify are
 * for scrape and promql fleets; *_expression, *_stat, select, namespace,
 * period and settle for cloudwatch fleets.
 *
 * A preset (dcgm, node, neuron, scaphandre, kepler; keep in step with
 * fetch/presets.c) implies source = scrape, one of cwagent-gpu and ec2
 * (fetch/cloudwatch.c) source = cloudwatch; neuron is both, and is
 * CloudWatch's when source = cloudwatch or a cloudwatch-only key says so.
 * Presets' mappings are filled in by the source, not here, so
 * dashcfg_validate() counts a preset as a mapping.  Without source or
 * preset, the first key that belongs to one source only decides (scrape
 * when only throughput, power, utilization or their units are there);
 * a key of another source is an error.
 *
 * Local: keys of no other source (sensors, nvidia_smi, neuron_monitor,
 * neuron_max_w, follow, follow_cmd, follow_counter, match, match_kind)
 * imply source = local, and are an error on other fleets; of the others
 * only type, unit, instances, usd_per_hour, baseline, interval and
 * throughput_scale go with it (no timeout: nothing is requested).
 * sensors is stored as the names written, trimmed and joined by ","
 * (neuron-monitor read as neuron), NULL when unset, "" for none.
 * throughput_scale of a local fleet is in cw[0].scale (thr stays at its
 * defaults).  match is compiled here (regcomp REG_EXTENDED, regerror's
 * text on failure) and needs a capture group unless match_kind = lines;
 * follow and follow_cmd need match unless match_kind = lines (every
 * non-empty line then counts); match and match_kind do not go with
 * follow_counter (a running count, its first number); nvidia_smi,
 * neuron_monitor and neuron_max_w need their sensor in sensors (when set).
 * A local fleet is always watchable: its sensors are found at run time.
 *
 * Ownership: every string is allocated; fleetcfg_free() releases one
 * fleet's, dashcfg_free() the dashboard's and every fleet's.
 */
#ifndef PERWATT_FLEETCFG_H
#define PERWATT_FLEETCFG_H

#include <stdbool.h>
#include <stddef.h>

enum fleet_source { FLEET_SRC_NONE = 0, FLEET_SRC_SCRAPE, FLEET_SRC_PROMQL, FLEET_SRC_CLOUDWATCH,
                   FLEET_SRC_LOCAL };

enum metric_kind {
	MKIND_AUTO = 0,     /* from the exposition's TYPE line, else a _total suffix means counter */
	MKIND_GAUGE,
	MKIND_COUNTER,      /* a rate is made of it (core/rate.c) */
};

/* How one figure is read from exposition text. */
struct metric_map {
	char *metric;       /* metric name; NULL: this figure is not scraped */
	char *matchers;     /* label matchers without braces ('gpu="0",mode!="idle"'), or NULL */
	enum metric_kind kind;
	double scale;       /* applied to the value (or the rate): to units/s, W, percent */
	bool mean;          /* several series per target: mean of them (utilization), else sum */
	char *dedupe_label; /* several series with the same value of this label count once (MIG) */
};

/* A CloudWatch dimension filter: value NULL means "has this dimension". */
struct cw_dim_cfg {
	char *name;
	char *value;
};

/* One figure of a CloudWatch fleet: a metric (namespace, name, extra
 * dimension filters, statistic) whose series are discovered per instance
 * with ListMetrics, or a Metric Math / SEARCH expression each of whose
 * series is an instance (named by its label). */
struct cw_fig {
	char *ns;               /* "Perwatt/App"; NULL: not a metric */
	char *metric;           /* "Inferences" */
	struct cw_dim_cfg *dims;    /* extra filters beyond the fleet's select */
	size_t ndims;
	char *stat;             /* NULL: Sum for throughput (divided by the
	                         * period), Average for power and utilization */
	char *expression;       /* non-NULL: an expression instead of a metric */
	double scale;           /* applied to the value; default 1 */
};

struct fleet_cfg {
	char *name;
	char *instance_type;    /* NULL: unknown */
	char *unit;             /* NULL: "units" */
	size_t instances;       /* 0: the targets (or series) that answer */
	double usd_per_hour;    /* NAN: from the tables */
	bool baseline;
	enum fleet_source source;
	char *preset;           /* NULL or a preset name (see presets_find in fetch/presets.h) */

	/* scrape */
	char **targets;         /* URLs */
	size_t ntargets;
	char *file_sd;          /* path of a Prometheus file_sd JSON file, or NULL */
	struct metric_map thr, power, util;

	/* promql */
	char *server;
	char *q_thr, *q_power, *q_util;

	/* cloudwatch */
	struct cw_fig cw[3];    /* by enum metric: throughput, power, utilization */
	char *cw_select_name;   /* which instances: a dimension ("InstanceType", */
	char *cw_select_value;  /* "AutoScalingGroupName"...) and its value; NULL:
	                         * InstanceType = instance_type */
	char *cw_namespace;     /* the namespace the neuron preset searches */
	int cw_period;          /* s; 0: 60 (1, 5, 10, 20, 30 or a multiple of 60) */
	double cw_settle;       /* s a period is given to be complete; NAN: 60 */

	/* local: this machine (source = local; the nvidia-smi:, neuron-monitor:
	 * and follow: specs are local fleets with `sensors` set to that one) */
	char *sensors;          /* comma list of rapl, hwmon, cpu, nvidia-smi, neuron;
	                         * NULL: every one detected */
	char *nvsmi_cmd;        /* nvidia_smi = CMD; NULL: "nvidia-smi" */
	char *neuron_cmd;       /* neuron_monitor = CMD; NULL: "neuron-monitor" */
	double neuron_max_w;    /* W of one Neuron device at 100 %; NAN: power not converted */
	char *follow_file;      /* follow = FILE (tail -F) */
	char *follow_cmd;       /* follow_cmd = CMD (its output) */
	char *follow_counter;   /* follow_counter = FILE (a running count in a file) */
	char *follow_match;     /* match = REGEX (POSIX ERE; first capture is the value) */
	int follow_kind;        /* match_kind: 0 rate (default), 1 count, 2 lines
	                         * (= enum follow_kind in fetch/follow.h) */

	/* all */
	double interval;        /* seconds; 0: the dashboard's */
	double timeout;         /* seconds; 0: default (5 s) */
	char *bearer_file, *basic_file, *ca_file;
	bool insecure;

	char origin[160];       /* "perwatt.ini:12" or "--fleet #2" where it was defined */
};

#define FLEETCFG_NAME_MAX 63    /* bytes in a fleet's name */

struct dash_cfg {
	double interval;        /* NAN when not set */
	double window;
	char *theme;
	char *region;
	double sla_per_hour;    /* NAN */
	double work_units;      /* NAN */
	char *baseline;
	char *aws_profile;      /* [dashboard] aws_profile; NULL: the AWS chain's */
	double cw_usd_per_1000; /* [dashboard] cloudwatch_usd_per_1000_metrics; NAN: 0.01 */
	struct fleet_cfg *fleet;
	size_t nfleets;
	char baseline_origin[160];  /* "perwatt.ini:3" where [dashboard] baseline was set, or "" */
};

/* Defaults: nothing set (NAN, NULL, 0). */
void dashcfg_init(struct dash_cfg *d);
/* Frees every string and fleet; d is then as after dashcfg_init(). */
void dashcfg_free(struct dash_cfg *d);

/* One fleet's defaults: metric kinds MKIND_AUTO, scales 1, util.mean
 * true, usd_per_hour NAN, everything else 0 or NULL. */
void fleetcfg_init(struct fleet_cfg *f);
/* Frees f's strings and targets; f is then as after fleetcfg_init(). */
void fleetcfg_free(struct fleet_cfg *f);
/* Frees m's strings (metric, matchers, dedupe_label), leaving the rest. */
void metric_map_free(struct metric_map *m);

/* Parses INI text (origin: the file name for messages) into d, adding its
 * fleets.  0, or -1 with "origin:line: message" in err; on error no fleet
 * of this text is kept (the [dashboard] keys read so far may be). */
int dashcfg_parse_ini(struct dash_cfg *d, const char *text, const char *origin, char *err, size_t errlen);
/* Reads and parses a file (a missing file is an error naming it; so is
 * one over 1 MiB or with a NUL byte).  The path is the origin. */
int dashcfg_load_file(struct dash_cfg *d, const char *path, char *err, size_t errlen);
/* The default config path ($XDG_CONFIG_HOME/perwatt/perwatt.ini when that
 * variable holds an absolute path, as the XDG spec asks, else
 * $HOME/.config/perwatt/perwatt.ini), into buf; 0 when that file exists,
 * else -1 (buf is "" when neither variable is set or buf is too small). */
int dashcfg_default_path(char *buf, size_t n);

/* Parses one --fleet spec and adds the fleet.  0, or -1 with a message
 * that names "--fleet #N", N counting the specs added to d so far. */
int dashcfg_add_spec(struct dash_cfg *d, const char *spec, char *err, size_t errlen);

/* Checks that every fleet can be watched (a source; targets or file_sd
 * and a throughput or power mapping or a preset; or a server and a query;
 * or a CloudWatch metric, expression or preset, with select or type for
 * a metric or a preset, and namespace for preset neuron),
 * that names are unique, non-empty, printable and short, that at most one
 * fleet is the baseline and [dashboard] baseline names a fleet.  No fleet
 * at all is not an error here.  0, or -1 with "origin: message" in err. */
int dashcfg_validate(const struct dash_cfg *d, char *err, size_t errlen);

/* Writes the resolved configuration for --check-config: a [dashboard]
 * block when anything is set there, then one block per fleet.  Never
 * writes a secret (auth files are named, URL passwords masked) nor a
 * control character.  Returns the length of the whole text, as snprintf
 * does: a result >= n means buf holds only the first n-1 bytes. */
size_t dashcfg_describe(const struct dash_cfg *d, char *buf, size_t n);

/* Parses "METRIC{MATCHERS}" into a metric_map's metric and matchers
 * (replacing them; kind, scale and the rest are left alone).  The name is
 * Prometheus's [a-zA-Z_:][a-zA-Z0-9_:]*; the matchers are kept as written
 * between the braces, trimmed (NULL when none), once their braces and
 * quotes balance.  0, or -1 with a message (no location) and m untouched. */
int metric_map_parse(struct metric_map *m, const char *text, char *err, size_t errlen);

#endif
