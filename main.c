/*
 * perwatt - live throughput, power and cost of fleets, and what migrating
 * from one to another saves.  main() parses the command line and wires the
 * parts together: sources (fetch/) -> model (core/) -> views (views/).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/check.h"
#include "core/fleetcfg.h"
#include "core/model.h"
#include "core/savings.h"
#include "core/scenario.h"
#include "core/tables.h"
#include "fetch/cloudwatch.h"
#include "fetch/demo.h"
#include "fetch/drive.h"
#include "fetch/http.h"
#include "fetch/local.h"
#include "fetch/presets.h"
#include "fetch/promql.h"
#include "fetch/scrape.h"
#include "fetch/source.h"
#include "views/report.h"
#include "views/ui.h"
#include "update_prices.h"

/* The projection settings: the command line over the config file's
 * [dashboard] and the scenario's defaults. */
static void projection_setup(struct savings_config *sc, const struct cli *c, const struct scenario *scen,
                             const struct dash_cfg *dc)
{
	if (!isnan(c->grid_g_per_kwh)) {
		sc->grid_override = true;
		sc->p.grid_g_per_kwh = c->grid_g_per_kwh;
		snprintf(sc->grid_source, sizeof sc->grid_source, "--grid-intensity");
	}
	savings_set_region(sc, c->region ? c->region : dc->region ? dc->region : "us-east-1");
	if (!isnan(c->sla_per_hour)) {
		sc->p.mode = PROJ_SLA;
		sc->p.target_per_hour = c->sla_per_hour;
		sc->target_auto = false;
	} else if (!isnan(c->work_units)) {
		sc->p.mode = PROJ_WORK;
		sc->p.work_units = c->work_units;
	} else if (!isnan(dc->sla_per_hour)) {
		sc->p.mode = PROJ_SLA;
		sc->p.target_per_hour = dc->sla_per_hour;
		sc->target_auto = false;
	} else if (!isnan(dc->work_units)) {
		sc->p.mode = PROJ_WORK;
		sc->p.work_units = dc->work_units;
	} else if (scen && scen->sla_per_hour > 0) {
		sc->p.mode = PROJ_SLA;
		sc->p.target_per_hour = scen->sla_per_hour;
		sc->target_auto = false;
	} else if (scen && scen->work_units > 0) {
		sc->p.mode = PROJ_WORK;
		sc->p.work_units = scen->work_units;
	}
	if (!isnan(c->headroom))
		sc->p.headroom = c->headroom;
	if (!isnan(c->pue))
		sc->p.pue = c->pue;
	if (!isnan(c->usd_per_kwh))
		sc->p.usd_per_kwh = c->usd_per_kwh;
	sc->p.instances = (size_t)c->instances;
	sc->baseline_name = c->baseline ? c->baseline : dc->baseline;
}

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* True when no source of any fleet has ever succeeded: exit status 3. */
static bool all_failed(const struct model *m)
{
	size_t records = 0;
	for (size_t i = 0; i < m->nfleets; i++)
		for (size_t k = 0; k < m->fleets[i]->nhealth; k++) {
			records++;
			if (m->fleets[i]->health[k]->last_ok >= 0)
				return false;
		}
	return records > 0;
}

/* --once over simulated time: the demo's warm-up, then `duration` seconds
 * of steady state, one model tick per second; the report covers the latter. */
static double sample_simulated(struct model *m, struct source_set *set, double duration)
{
	double t0 = 0, end = t0 + DEMO_WARMUP + duration;
	source_set_start(set, t0);
	for (double t = t0; t <= end; t += 1) {
		source_set_tick(set, t);
		model_tick(m, t);
	}
	return end;
}

/* --once with live sources: poll them for `duration` seconds of real time
 * (SIGINT or SIGTERM cut it short and report what came). */
static double sample_live(struct model *m, struct source_set *set, double duration)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	double start = clock_now();
	source_set_start(set, start);
	if (drive_until(set, m, start + duration, &stop_signal) < 0)
		fprintf(stderr, "perwatt: poll: %s\n", strerror(errno));
	return clock_now();
}

/* The report and the checks after sampling.  Returns the exit status: 1
 * when a --check failed or the report could not be written. */
static int report_once(struct model *m, const struct cli *c, const struct savings_config *sc,
                       const struct check *checks, double end, double window)
{
	if (m->types_learned && sc->tables)     /* a type learned while sampling */
		model_apply_tables(m, sc->tables, sc->region);
	struct savings sv;
	if (savings_alloc(&sv, m->nfleets) < 0) {
		fprintf(stderr, "perwatt: out of memory\n");
		return 1;
	}
	savings_compute(&sv, m, sc, end, window);
	if (!sv.ok)
		fprintf(stderr, "perwatt: no projection: %s\n", sv.error);

	int rc = 0;
	struct report_ctx ctx = { m, end, window, &sv, sc };
	if (report_write(stdout, &ctx, c->format) < 0 || fflush(stdout) == EOF) {
		fprintf(stderr, "perwatt: writing the report: %s\n", strerror(errno));
		rc = 1;
	}
	int failed = 0;
	char report[4096];
	for (size_t i = 0; i < c->nchecks; i++) {
		report[0] = '\0';
		failed += check_eval(&checks[i], m, &sv, report, sizeof report) > 0;
		fputs(report, stderr);
	}
	if (failed) {
		fprintf(stderr, "perwatt: %d of %zu checks failed\n", failed, c->nchecks);
		rc = 1;
	}
	savings_free(&sv);
	return rc;
}

/* Loads the config file (explicit, or the default one when present and no
 * demo was asked for) and the --fleet specs.  0, or 2 after a message. */
static int load_config(struct dash_cfg *dc, const struct cli *c)
{
	char err[512], path[1024];
	if (c->config) {
		if (dashcfg_load_file(dc, c->config, err, sizeof err) < 0)
			goto bad;
	} else if (!c->demo && dashcfg_default_path(path, sizeof path) == 0) {
		if (dashcfg_load_file(dc, path, err, sizeof err) < 0)
			goto bad;
	}
	for (size_t i = 0; i < c->nfleets; i++)
		if (dashcfg_add_spec(dc, c->fleets[i], err, sizeof err) < 0)
			goto bad;
	for (size_t i = 0; i < dc->nfleets; i++)
		if (dc->fleet[i].source == FLEET_SRC_SCRAPE && dc->fleet[i].preset && presets_apply(&dc->fleet[i], err, sizeof err) < 0)
			goto bad;
	if (dc->nfleets && dashcfg_validate(dc, err, sizeof err) < 0)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "perwatt: %s\n", err);
	return 2;
}

/* One source per configured fleet, then the HTTP driver they share (it goes
 * last: see fetch/http.h).  0, or 1/2 after a message. */
static int add_live_sources(struct model *m, struct source_set *set, const struct dash_cfg *dc,
                            const struct cli *c, const struct tables *t)
{
	char err[1024];
	struct http *h = http_new();
	if (!h) {
		fprintf(stderr, "perwatt: cannot start libcurl\n");
		return 1;
	}
	/* the fleets in the order configured, whichever source adds them */
	for (size_t i = 0; i < dc->nfleets; i++)
		if (!model_fleet(m, dc->fleet[i].name) && !model_add_fleet(m, dc->fleet[i].name)) {
			fprintf(stderr, "perwatt: out of memory\n");
			http_free(h);
			return 1;
		}
	/* every CloudWatch fleet in one source: their queries share calls */
	struct cloudwatch_opts co = {
		.profile = c->aws_profile ? c->aws_profile : dc->aws_profile,
		.region = c->region ? c->region : dc->region,
		.usd_per_1000 = dc->cw_usd_per_1000,
	};
	struct source *cw = cloudwatch_source_new(m, h, dc->fleet, dc->nfleets, &co, err, sizeof err);
	if (!cw && err[0]) {
		fprintf(stderr, "perwatt: %s\n", err);
		http_free(h);
		return 2;
	}
	if (cw && source_set_add(set, cw) < 0) {
		fprintf(stderr, "perwatt: out of memory\n");
		http_free(h);
		return 1;
	}
	double default_interval = c->interval;
	for (size_t i = 0; i < dc->nfleets; i++) {
		struct fleet_cfg f = dc->fleet[i];
		if (f.source == FLEET_SRC_CLOUDWATCH)
			continue;
		if (f.source == FLEET_SRC_LOCAL) {     /* this machine's sensors */
			const char *root = getenv("PERWATT_SYSFS_ROOT");
			if (local_fleet_add(m, set, &f, root ? root : "", t, NULL, NULL, err, sizeof err) < 0) {
				fprintf(stderr, "perwatt: fleet %s: %s\n", f.name, err);
				source_set_add(set, http_source(h));
				return 2;
			}
			continue;
		}
		if (f.interval <= 0)
			f.interval = default_interval;
		struct source *s = f.source == FLEET_SRC_PROMQL ? promql_source_new(m, h, &f, err, sizeof err)
		                                                 : scrape_source_new(m, h, &f, err, sizeof err);
		if (!s || source_set_add(set, s) < 0) {
			fprintf(stderr, "perwatt: fleet %s: %s\n", f.name, s ? "out of memory" : err);
			/* the sources already added may still cancel requests as they
			 * stop: the driver goes into the set after them all the same */
			source_set_add(set, http_source(h));
			return 2;
		}
	}
	if (source_set_add(set, http_source(h)) < 0) {
		fprintf(stderr, "perwatt: out of memory\n");
		return 1;
	}
	return 0;
}

/* Local mode: this machine as a fleet (its sensors and the followed
 * benchmark), and a projected fleet per --compare.  0, or 1/2 after a
 * message.  *nothing is set when no sensor and no benchmark was found. */
static int add_local_sources(struct model *m, struct source_set *set, const struct cli *c,
                             const struct tables *t, bool *nothing)
{
	char err[512], host[FLEETCFG_NAME_MAX + 1], type[64] = "";
	const char *root = getenv("PERWATT_SYSFS_ROOT");
	if (!root)
		root = "";
	local_hostname(host, sizeof host);
	if (c->type) {
		snprintf(type, sizeof type, "%s", c->type);
	} else if (local_imds_allowed(root)) {
		local_imds_type(type, sizeof type, 1.5);        /* IMDS gives up in about 1.25 s */
	}
	struct fleet_cfg f;
	fleetcfg_init(&f);
	f.source = FLEET_SRC_LOCAL;
	f.baseline = c->ncompare > 0;
	f.follow_kind = c->match_kind < 0 ? 0 : c->match_kind;
	snprintf(f.origin, sizeof f.origin, "this machine");
	int rc = 0;
	if (!(f.name = strdup(host)) || (type[0] && !(f.instance_type = strdup(type))) ||
	    (c->unit && !(f.unit = strdup(c->unit))) || (c->follow && !(f.follow_file = strdup(c->follow))) ||
	    (c->follow_cmd && !(f.follow_cmd = strdup(c->follow_cmd))) ||
	    (c->follow_counter && !(f.follow_counter = strdup(c->follow_counter))) ||
	    (c->match && !(f.follow_match = strdup(c->match)))) {
		fprintf(stderr, "perwatt: out of memory\n");
		fleetcfg_free(&f);
		return 1;
	}
	size_t found = 0;
	if (local_fleet_add(m, set, &f, root, t, ". Try --follow LOG --match REGEX, or press d for the demo",
	                    &found, err, sizeof err) < 0) {
		fprintf(stderr, "perwatt: %s\n", err);
		fleetcfg_free(&f);
		return 2;
	}
	struct fleet *me = model_fleet(m, host);
	*nothing = found == 0 && !c->follow && !c->follow_cmd && !c->follow_counter;
	for (size_t i = 0; i < c->ncompare && rc == 0; i++) {
		char to[64];
		const char *eq = strchr(c->compare[i], '=');
		size_t tl = eq ? (size_t)(eq - c->compare[i]) : strlen(c->compare[i]);
		snprintf(to, sizeof to, "%.*s", (int)(tl < sizeof to ? tl : sizeof to - 1), c->compare[i]);
		double ratio = NAN;
		const char *why = NULL;
		char whybuf[160];
		if (eq) {
			char *end;
			ratio = strtod(eq + 1, &end);
			if (end == eq + 1 || *end || !(ratio > 0) || ratio > 1e4) {
				fprintf(stderr, "perwatt: --compare %s: '%s' is not a throughput ratio such as 4.2\n",
				        c->compare[i], eq + 1);
				rc = 2;
				break;
			}
			snprintf(whybuf, sizeof whybuf, "%.3gx this machine's throughput per instance (--compare)", ratio);
		} else if (!type[0]) {
			fprintf(stderr, "perwatt: --compare %s: this machine's instance type is unknown; give --type "
			        "TYPE, or the ratio: --compare %s=RATIO (its throughput per instance / this one's)\n",
			        to, to);
			rc = 2;
			break;
		} else if (isnan(ratio = tables_ratio(t, type, to, &why))) {
			fprintf(stderr, "perwatt: --compare %s: no published throughput ratio between %s and %s; give "
			        "--compare %s=RATIO (its throughput per instance / this one's)\n", to, type, to, to);
			rc = 2;
			break;
		} else {
			snprintf(whybuf, sizeof whybuf, "%.3gx this machine's throughput per instance (%s)", ratio, why);
		}
		if (!tables_power(t, to))
			fprintf(stderr, "perwatt: --compare %s: no power model for it in data/power.csv: its power "
			        "stays unknown\n", to);
		struct fleet *tf = model_fleet(m, to);
		if (tf) {
			fprintf(stderr, "perwatt: --compare %s: a fleet of that name exists already\n", to);
			rc = 2;
			break;
		}
		tf = model_add_fleet(m, to);
		struct source *ps = tf && me ? projected_source_new(m, me, tf, ratio, whybuf) : NULL;
		if (!tf || fleet_set_str(&tf->instance_type, to) < 0 ||
		    (c->unit && fleet_set_str(&tf->unit, c->unit) < 0) || !ps || source_set_add(set, ps) < 0) {
			fprintf(stderr, "perwatt: out of memory\n");
			rc = 1;
		}
	}
	fleetcfg_free(&f);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli c;
	int rc = cli_parse(&c, argc, argv);
	if (rc || c.action != CLI_RUN) {
		if (!rc && c.action == CLI_HELP)
			cli_usage(stdout);
		else if (!rc)
			printf("perwatt %s\n", PACKAGE_VERSION);
		cli_free(&c);
		return rc;
	}
	setlocale(LC_ALL, "");

	char err[512];
	struct tables tables;
	struct dash_cfg dc;
	struct scenario *sc = NULL;
	struct model *m = NULL;
	struct source_set set;
	tables_init(&tables);
	dashcfg_init(&dc);
	source_set_init(&set);
	struct check *checks = calloc(c.nchecks ? c.nchecks : 1, sizeof *checks);
	if (!checks || http_global_init() < 0) {
		fprintf(stderr, "perwatt: out of memory\n");
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < c.nchecks; i++)
		if (check_parse(c.checks[i], &checks[i], err, sizeof err) < 0) {
			fprintf(stderr, "perwatt: %s (see perwatt --help)\n", err);
			rc = 2;
			goto out;
		}
	if ((rc = load_config(&dc, &c)) != 0)
		goto out;
	if (c.check_config) {
		if (dc.nfleets == 0) {
			fprintf(stderr, "perwatt: no fleets configured (give --config FILE or --fleet SPEC)\n");
			rc = 2;
			goto out;
		}
		char *text = malloc(65536);
		if (!text) {
			rc = 1;
			goto out;
		}
		dashcfg_describe(&dc, text, 65536);
		fputs(text, stdout);
		free(text);
		printf("configuration ok: %zu fleet%s\n", dc.nfleets, dc.nfleets == 1 ? "" : "s");
		goto out;
	}
	if (c.update_prices) {
		rc = update_prices_main(&c, &dc);
		goto out;
	}

	/* Settings: the command line over the config file's [dashboard]. */
	bool live = dc.nfleets > 0;
	bool local = !live && !c.demo, nothing_here = false;
	if (!c.interval_set && !isnan(dc.interval))
		c.interval = dc.interval;
	if (!c.window_set && !isnan(dc.window))
		c.window = dc.window;
	if (!c.theme_set && dc.theme)
		c.theme = dc.theme;

	if (tables_load_builtin(&tables, err, sizeof err) < 0) {
		fprintf(stderr, "perwatt: %s\n", err);
		rc = 1;
		goto out;
	}
	/* prices fetched by --update-prices win over the shipped table */
	update_prices_load_cache(&tables);
	if (!live && !local && !(sc = scenario_load_builtin(c.demo ? c.demo : "inference", err, sizeof err))) {
		fprintf(stderr, "perwatt: %s\n", err);
		rc = 2;
		goto out;
	}
	if (!(m = model_new())) {
		fprintf(stderr, "perwatt: out of memory\n");
		rc = 1;
		goto out;
	}
	if (live) {
		if ((rc = add_live_sources(m, &set, &dc, &c, &tables)) != 0)
			goto out;
	} else if (local) {
		if ((rc = add_local_sources(m, &set, &c, &tables, &nothing_here)) != 0)
			goto out;
	} else {
		double t0 = c.once ? 0 : clock_now();
		struct source *demo = demo_source_new(m, sc, c.seed, t0);
		if (!demo || source_set_add(&set, demo) < 0) {
			fprintf(stderr, "perwatt: out of memory\n");
			rc = 1;
			goto out;
		}
	}
	struct savings_config scfg;
	savings_config_init(&scfg, &tables);
	projection_setup(&scfg, &c, sc, &dc);
	model_apply_tables(m, &tables, scfg.region);
	if (c.instances && scfg.p.mode != PROJ_WORK) {
		fprintf(stderr, "perwatt: --instances goes with a fixed amount of work (--work) (see perwatt --help)\n");
		rc = 2;
		goto out;
	}
	if (scfg.baseline_name && !model_fleet(m, scfg.baseline_name)) {
		fprintf(stderr, "perwatt: baseline: no fleet is called '%s' (see perwatt --help)\n", scfg.baseline_name);
		rc = 2;
		goto out;
	}
	for (size_t i = 0; i < c.nchecks; i++)
		if (checks[i].fleet[0] && !model_fleet(m, checks[i].fleet)) {
			fprintf(stderr, "perwatt: --check '%s': no fleet is called '%s' (see perwatt --help)\n",
			        checks[i].text, checks[i].fleet);
			rc = 2;
			goto out;
		}

	if (c.once) {
		double end, window;
		if (live || local) {
			/* counters need two polls before they give a rate */
			window = c.duration_set ? c.duration : 2 * c.interval + 1;
			/* CloudWatch: credentials, ListMetrics, then the backfill */
			for (size_t i = 0; i < dc.nfleets && !c.duration_set; i++)
				if (dc.fleet[i].source == FLEET_SRC_CLOUDWATCH && window < 5)
					window = 5;
			end = sample_live(m, &set, window);
		} else {
			window = c.duration;
			end = sample_simulated(m, &set, window);
		}
		rc = report_once(m, &c, &scfg, checks, end, window);
		if (live && all_failed(m)) {
			fprintf(stderr, "perwatt: every source of every fleet failed\n");
			rc = 3;
		} else if (local && nothing_here) {
			fprintf(stderr, "perwatt: nothing to measure found on this machine (see the fleet's note); "
			        "try --follow LOG --match REGEX, or --demo\n");
			rc = 3;
		}
	} else {
		struct ui_options uo = {
			.interval = c.interval,
			.window = c.window,
			.theme = c.theme,
			.ascii = c.ascii,
			.no_color = c.no_color || (getenv("NO_COLOR") && *getenv("NO_COLOR")),
			.hint = nothing_here
				? "Nothing to measure found here: try --follow LOG --match REGEX (see --help); d: the built-in demo"
				: NULL,
			.savings = &scfg,
			.demo_key = nothing_here,
		};
		source_set_start(&set, clock_now());
		rc = ui_run(m, &set, &uo);
	}
out:
	source_set_free(&set);
	model_free(m);
	scenario_free(sc);
	tables_free(&tables);
	dashcfg_free(&dc);
	free(checks);
	cli_free(&c);
	http_global_cleanup();
	if (rc == UI_DEMO_REQUESTED) {
		/* d in local mode with nothing to measure: the demo, as if started
		 * with --demo (the terminal was restored by ui_run) */
		execl("/proc/self/exe", argv[0], "--demo", (char *)NULL);
		execlp(argv[0], argv[0], "--demo", (char *)NULL);
		perror("perwatt: cannot start the demo");
		return 1;
	}
	return rc;
}
