/*
 * perwatt - live throughput, power and cost of fleets, and what migrating
 * from one to another saves.  main() parses the command line and wires the
 * parts together: sources (fetch/) -> model (core/) -> views (views/).
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/model.h"
#include "core/scenario.h"
#include "fetch/demo.h"
#include "fetch/source.h"
#include "views/report.h"
#include "views/ui.h"

/* --once over simulated time: the demo's warm-up, then `duration` seconds
 * of steady state, one model tick per second; the report covers the latter. */
static int run_once_simulated(struct model *m, struct source_set *set, const struct cli *c)
{
	double t0 = 0, end = t0 + DEMO_WARMUP + c->duration;
	source_set_start(set, t0);
	for (double t = t0; t <= end; t += 1) {
		source_set_tick(set, t);
		model_tick(m, t);
	}
	if (report_write(stdout, m, end, c->duration, c->format) < 0 || fflush(stdout) == EOF) {
		fprintf(stderr, "perwatt: writing the report: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c;
	int rc = cli_parse(&c, argc, argv);
	if (rc)
		return rc;
	if (c.action == CLI_HELP) {
		cli_usage(stdout);
		return 0;
	}
	if (c.action == CLI_VERSION) {
		printf("perwatt %s\n", PACKAGE_VERSION);
		return 0;
	}
	setlocale(LC_ALL, "");

	/* No source named: the built-in inference demo. */
	bool implicit_demo = c.demo == NULL;
	const char *scenario_name = c.demo ? c.demo : "inference";

	char err[256];
	struct scenario *sc = scenario_load_builtin(scenario_name, err, sizeof err);
	if (!sc) {
		fprintf(stderr, "perwatt: %s\n", err);
		return 2;
	}
	struct model *m = model_new();
	struct source_set set;
	source_set_init(&set);
	if (!m) {
		scenario_free(sc);
		fprintf(stderr, "perwatt: out of memory\n");
		return 1;
	}
	double t0 = c.once ? 0 : clock_now();
	struct source *demo = demo_source_new(m, sc, c.seed, t0);
	if (!demo || source_set_add(&set, demo) < 0) {
		fprintf(stderr, "perwatt: out of memory\n");
		rc = 1;
		goto out;
	}

	if (c.once) {
		rc = run_once_simulated(m, &set, &c);
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
		};
		source_set_start(&set, clock_now());
		rc = ui_run(m, &set, &uo);
	}
out:
	source_set_free(&set);
	model_free(m);
	scenario_free(sc);
	return rc;
}
