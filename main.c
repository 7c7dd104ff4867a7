/*
 * perwatt - live throughput, power and cost of fleets, and what migrating
 * from one to another saves.  main() parses the command line and wires the
 * parts together: sources (fetch/) -> model (core/) -> views (views/).
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/check.h"
#include "core/model.h"
#include "core/savings.h"
#include "core/scenario.h"
#include "core/tables.h"
#include "fetch/demo.h"
#include "fetch/source.h"
#include "views/report.h"
#include "views/ui.h"

/* The projection settings: the command line over the scenario's defaults. */
static void projection_setup(struct savings_config *sc, const struct cli *c, const struct scenario *scen)
{
	if (!isnan(c->grid_g_per_kwh)) {
		sc->grid_override = true;
		sc->p.grid_g_per_kwh = c->grid_g_per_kwh;
		snprintf(sc->grid_source, sizeof sc->grid_source, "--grid-intensity");
	}
	savings_set_region(sc, c->region ? c->region : "us-east-1");
	if (!isnan(c->sla_per_hour)) {
		sc->p.mode = PROJ_SLA;
		sc->p.target_per_hour = c->sla_per_hour;
		sc->target_auto = false;
	} else if (!isnan(c->work_units)) {
		sc->p.mode = PROJ_WORK;
		sc->p.work_units = c->work_units;
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
	sc->baseline_name = c->baseline;
}

/* --once over simulated time: the demo's warm-up, then `duration` seconds
 * of steady state, one model tick per second; the report covers the latter.
 * Returns the exit status: 1 when a --check failed or the report could not
 * be written. */
static int run_once_simulated(struct model *m, struct source_set *set, const struct cli *c,
                              const struct savings_config *sc, const struct check *checks)
{
	double t0 = 0, end = t0 + DEMO_WARMUP + c->duration;
	source_set_start(set, t0);
	for (double t = t0; t <= end; t += 1) {
		source_set_tick(set, t);
		model_tick(m, t);
	}
	struct savings sv;
	if (savings_alloc(&sv, m->nfleets) < 0) {
		fprintf(stderr, "perwatt: out of memory\n");
		return 1;
	}
	savings_compute(&sv, m, sc, end, c->duration);
	if (!sv.ok)
		fprintf(stderr, "perwatt: no projection: %s\n", sv.error);

	int rc = 0;
	struct report_ctx ctx = { m, end, c->duration, &sv, sc };
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

	char err[256];
	struct check *checks = calloc(c.nchecks ? c.nchecks : 1, sizeof *checks);
	if (!checks) {
		fprintf(stderr, "perwatt: out of memory\n");
		cli_free(&c);
		return 1;
	}
	for (size_t i = 0; i < c.nchecks; i++)
		if (check_parse(c.checks[i], &checks[i], err, sizeof err) < 0) {
			fprintf(stderr, "perwatt: %s (see perwatt --help)\n", err);
			free(checks);
			cli_free(&c);
			return 2;
		}

	/* No source named: the built-in inference demo. */
	bool implicit_demo = c.demo == NULL;
	const char *scenario_name = c.demo ? c.demo : "inference";

	struct tables tables;
	tables_init(&tables);
	struct scenario *sc = NULL;
	struct model *m = NULL;
	struct source_set set;
	source_set_init(&set);

	if (tables_load_builtin(&tables, err, sizeof err) < 0 ||
	    !(sc = scenario_load_builtin(scenario_name, err, sizeof err))) {
		fprintf(stderr, "perwatt: %s\n", err);
		rc = 2;
		goto out;
	}
	if (!(m = model_new())) {
		fprintf(stderr, "perwatt: out of memory\n");
		rc = 1;
		goto out;
	}
	double t0 = c.once ? 0 : clock_now();
	struct source *demo = demo_source_new(m, sc, c.seed, t0);
	if (!demo || source_set_add(&set, demo) < 0) {
		fprintf(stderr, "perwatt: out of memory\n");
		rc = 1;
		goto out;
	}
	struct savings_config scfg;
	savings_config_init(&scfg, &tables);
	projection_setup(&scfg, &c, sc);
	model_apply_tables(m, &tables, scfg.region);
	if (c.instances && scfg.p.mode != PROJ_WORK) {
		fprintf(stderr, "perwatt: --instances goes with a fixed amount of work (--work) (see perwatt --help)\n");
		rc = 2;
		goto out;
	}
	if (c.baseline && !model_fleet(m, c.baseline)) {
		fprintf(stderr, "perwatt: --baseline: no fleet is called '%s' (see perwatt --help)\n", c.baseline);
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
		rc = run_once_simulated(m, &set, &c, &scfg, checks);
	} else {
		struct ui_options uo = {
			.interval = c.interval,
			.window = c.window,
			.theme = c.theme,
			.ascii = c.ascii,
			.no_color = c.no_color || (getenv("NO_COLOR") && *getenv("NO_COLOR")),
			.hint = implicit_demo
				? "Built-in demo. Live sources (Prometheus, CloudWatch, local sensors) are not in this build yet."
				: NULL,
			.savings = &scfg,
		};
		source_set_start(&set, clock_now());
		rc = ui_run(m, &set, &uo);
	}
out:
	source_set_free(&set);
	model_free(m);
	scenario_free(sc);
	tables_free(&tables);
	free(checks);
	cli_free(&c);
	return rc;
}
