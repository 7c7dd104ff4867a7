/* presets.c - default mappings for the exporters perwatt knows; see presets.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/presets.h"

/*
 * NVIDIA dcgm-exporter (port 9400).  Checked against dcgm-exporter @d5e5f510
 * etc/default-counters.csv and render_metrics.go (label set of releases
 * 4.5.3-4.8.2) and a real Tesla T4 capture (tests/fixtures/exposition/
 * dcgm-exporter-datadog-fixture.txt).  Power is a gauge in W per GPU; MIG
 * rows repeat their GPU's power, hence the dedupe by UUID (matched without
 * regard to case: --use-old-namespace spells it `uuid`).  The energy
 * counter is in mJ, and dcgm-exporter refreshes it only every collection
 * interval (30 s by default), which makes a 1 s rate of it jumpy: the gauge
 * is the default.  DCGM exports no work counter.
 */
static const struct preset dcgm = {
	.name = "dcgm",
	.exporter = "dcgm-exporter",
	.checked = "dcgm-exporter @d5e5f510 (releases 4.5.3-4.8.2), Tesla T4 capture",
	.no_throughput = "dcgm-exporter has no work counter: set throughput=APP_COUNTER",
	.map = {
		[MET_POWER] = { .metric = "DCGM_FI_DEV_POWER_USAGE", .kind = MKIND_GAUGE,
		                .scale = 1.0, .dedupe_label = "UUID" },
		[MET_UTIL] = { .metric = "DCGM_FI_DEV_GPU_UTIL", .kind = MKIND_GAUGE,
		               .scale = 1.0, .mean = true, .dedupe_label = "UUID" },
	},
	.alt = {
		[MET_POWER] = { .metric = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", .kind = MKIND_COUNTER,
		                .scale = 1e-3, .dedupe_label = "UUID" },
		/* engine-active ratio: finer than GPU_UTIL, Volta and later only */
		[MET_UTIL] = { .metric = "DCGM_FI_PROF_GR_ENGINE_ACTIVE", .kind = MKIND_GAUGE,
		               .scale = 100.0, .mean = true, .dedupe_label = "UUID" },
	},
};

/*
 * Prometheus node_exporter (port 9100).  Checked against node_exporter 1.5.0
 * and @a7dcc3a0 collector/rapl_linux.go (tests/fixtures/exposition/
 * node_exporter-e2e-output.txt).  RAPL zones are counters in J per socket
 * (`index`); package and dram never overlap (core and uncore are inside
 * package, psys holds everything: never summed here).  The rates are taken
 * per series and then summed, so one socket's counter wrapping (RAPL wraps at
 * max_energy_range_uj) is one reset, not a spike.  hwmon is not a fallback:
 * which chip measures what differs per machine, so the user names it.
 */
static const struct preset node = {
	.name = "node",
	.exporter = "node_exporter",
	.checked = "node_exporter 1.5.0 and @a7dcc3a0 (rapl_linux.go, e2e fixture)",
	.no_throughput = "node_exporter has no work counter: set throughput=APP_COUNTER",
	.no_power = "no RAPL here (VM, or exporter not root): "
	            "try power=node_hwmon_power_average_watt{chip=\"...\"}",
	.map = {
		[MET_POWER] = { .metric = "node_rapl_package_joules_total", .kind = MKIND_COUNTER,
		                .scale = 1.0, .also = "node_rapl_dram_joules_total" },
		[MET_UTIL] = { .metric = "node_cpu_seconds_total", .matchers = "mode=\"idle\"",
		               .kind = MKIND_COUNTER, .scale = 1.0, .mean = true,
		               .xform = PRESET_IDLE_CPU },
	},
	.alt = {
		[MET_POWER] = { .metric = "node_hwmon_power_average_watt", .kind = MKIND_GAUGE,
		                .scale = 1.0 },
	},
};

/*
 * AWS neuron-monitor piped into neuron-monitor-prometheus.py (port 8000 by
 * default).  Names from aws-neuron-sdk @81ce03ae (neuron-monitor user guide)
 * and a real inf1.xlarge output (DataDog aws_neuron fixture).  Neither gives
 * power: it is estimated from utilization by the power model later.
 */
static const struct preset neuron = {
	.name = "neuron",
	.exporter = "neuron-monitor-prometheus",
	.checked = "neuron-monitor-prometheus.py of aws-neuron-sdk @81ce03ae, inf1 capture",
	.unit = "executions",
	.map = {
		[MET_THROUGHPUT] = { .metric = "execution_status_total",
		                     .matchers = "status_type=\"completed\"",
		                     .kind = MKIND_COUNTER, .scale = 1.0 },
		[MET_UTIL] = { .metric = "neuroncore_utilization_ratio", .kind = MKIND_GAUGE,
		               .scale = 100.0, .mean = true },
	},
};

/*
 * Scaphandre (port 8080).  Checked against hubblo-org/scaphandre @04cc6ec9
 * docs_src/references/metrics.md: host power is a gauge in uW; the energy
 * counter is in uJ and has no _total suffix (its TYPE line says counter).
 */
static const struct preset scaphandre = {
	.name = "scaphandre",
	.exporter = "Scaphandre",
	.checked = "Scaphandre @04cc6ec9 (docs metrics.md)",
	.no_throughput = "Scaphandre has no work counter: set throughput=APP_COUNTER",
	.map = {
		[MET_POWER] = { .metric = "scaph_host_power_microwatts", .kind = MKIND_GAUGE,
		                .scale = 1e-6 },
	},
	.alt = {
		[MET_POWER] = { .metric = "scaph_host_energy_microjoules", .kind = MKIND_COUNTER,
		                .scale = 1e-6 },
	},
};

/*
 * Kepler.  Checked against sustainable-computing-io/kepler @13944a69
 * docs/user/metrics.md: the names of v0.10.0 to v0.11.4 (older releases used
 * kepler_node_package_joules_total etc.).  CPU zones overlap, so only
 * zone="package"; GPUs are added from kepler_node_gpu_watts.  On virtual
 * machines Kepler's figures are its model's estimates, not measurements.
 */
static const struct preset kepler = {
	.name = "kepler",
	.exporter = "Kepler",
	.checked = "Kepler v0.10.0-v0.11.4 (@13944a69 docs/user/metrics.md)",
	.no_throughput = "Kepler has no work counter: set throughput=APP_COUNTER",
	.map = {
		[MET_POWER] = { .metric = "kepler_node_cpu_watts", .matchers = "zone=\"package\"",
		                .kind = MKIND_GAUGE, .scale = 1.0, .also = "kepler_node_gpu_watts" },
		[MET_UTIL] = { .metric = "kepler_node_cpu_usage_ratio", .kind = MKIND_GAUGE,
		               .scale = 100.0, .mean = true },
	},
	.alt = {
		[MET_POWER] = { .metric = "kepler_node_cpu_joules_total", .matchers = "zone=\"package\"",
		                .kind = MKIND_COUNTER, .scale = 1.0,
		                .also = "kepler_node_gpu_joules_total" },
	},
};

static const struct preset *const all[] = { &dcgm, &node, &neuron, &scaphandre, &kepler, NULL };

const struct preset *presets_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; all[i]; i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

const struct preset *const *presets_all(void)
{
	return all;
}

const char *presets_names(void)
{
	return "dcgm, node, neuron, scaphandre or kepler";
}

static bool same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

const struct preset_map *presets_match(enum metric k, const struct metric_map *m)
{
	if ((unsigned)k >= MET__COUNT || !m || !m->metric)
		return NULL;
	for (size_t i = 0; all[i]; i++) {
		const struct preset_map *c[2] = { &all[i]->map[k], &all[i]->alt[k] };
		for (size_t j = 0; j < 2; j++)
			if (c[j]->metric && strcmp(c[j]->metric, m->metric) == 0 &&
			    same_str(c[j]->matchers, m->matchers))
				return c[j];
	}
	return NULL;
}

/* strdup that keeps NULL */
static int dup_opt(char **dst, const char *src)
{
	if (!src) {
		*dst = NULL;
		return 0;
	}
	return (*dst = strdup(src)) ? 0 : -1;
}

/* Fills an unset map from the preset's default. */
static int fill_unset(struct metric_map *m, const struct preset_map *pm)
{
	struct metric_map n = {
		.kind = pm->kind, .scale = pm->scale, .mean = pm->mean,
	};
	if (dup_opt(&n.metric, pm->metric) < 0 || dup_opt(&n.matchers, pm->matchers) < 0 ||
	    dup_opt(&n.dedupe_label, pm->dedupe_label) < 0) {
		free(n.metric);
		free(n.matchers);
		free(n.dedupe_label);
		return -1;
	}
	*m = n;
	return 0;
}

/* Completes a map the user set to a metric the preset knows. */
static int fill_known(struct metric_map *m, const struct preset_map *pm)
{
	if (!m->dedupe_label && pm->dedupe_label && dup_opt(&m->dedupe_label, pm->dedupe_label) < 0)
		return -1;
	if (pm->mean)
		m->mean = true;
	/* kind AUTO: no *_unit key was given (fleetcfg sets the kind with the
	 * unit); a scale other than the default 1 is the user's own
	 * (throughput_scale) and stays */
	if (m->kind == MKIND_AUTO) {
		m->kind = pm->kind;
		if (m->scale == 1.0)
			m->scale = pm->scale;
	}
	return 0;
}

int presets_apply(struct fleet_cfg *f, char *err, size_t errlen)
{
	if (!f->preset)
		return 0;
	const char *where = f->origin[0] ? f->origin : "";
	const char *sep = f->origin[0] ? ": " : "";
	const char *name = f->name ? f->name : "?";
	const struct preset *p = presets_find(f->preset);
	if (!p) {
		snprintf(err, errlen, "%s%s[fleet %s] preset: '%s' is not %s", where, sep, name,
		         f->preset, presets_names());
		return -1;
	}
	if (f->source == FLEET_SRC_PROMQL) {
		snprintf(err, errlen, "%s%s[fleet %s] preset: %s maps exporter metrics for "
		         "source = scrape; with source = promql write query_power= etc.",
		         where, sep, name, p->name);
		return -1;
	}
	if (f->source == FLEET_SRC_NONE)
		f->source = FLEET_SRC_SCRAPE;

	struct metric_map *maps[MET__COUNT] = {
		[MET_THROUGHPUT] = &f->thr, [MET_POWER] = &f->power, [MET_UTIL] = &f->util,
	};
	bool thr_from_preset = false;
	for (int k = 0; k < MET__COUNT; k++) {
		struct metric_map *m = maps[k];
		const struct preset_map *def = &p->map[k], *alt = &p->alt[k];
		int r = 0;
		if (!m->metric) {
			if (def->metric) {
				r = fill_unset(m, def);
				if (k == MET_THROUGHPUT)
					thr_from_preset = true;
			}
		} else if (def->metric && strcmp(m->metric, def->metric) == 0) {
			r = fill_known(m, def);
		} else if (alt->metric && strcmp(m->metric, alt->metric) == 0) {
			r = fill_known(m, alt);
		}
		if (r < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (thr_from_preset && !f->unit && p->unit && !(f->unit = strdup(p->unit))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
