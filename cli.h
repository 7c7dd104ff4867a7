/*
 * cli.h - the command line: options into a struct, with one clear message
 * for anything wrong.
 */
#ifndef PERWATT_CLI_H
#define PERWATT_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum cli_action { CLI_RUN, CLI_HELP, CLI_VERSION };

struct cli {
	enum cli_action action;
	const char *demo;       /* scenario name; NULL when none was asked for */
	bool once;
	int format;             /* enum report_format */
	double duration;        /* seconds --once samples (after the demo warm-up) */
	double interval;        /* screen refresh, seconds */
	double window;          /* seconds the figures average over on screen */
	const char *theme;
	bool no_color, ascii;
	uint64_t seed;
	bool seed_set;

	/* projection (see core/savings.h); NAN / NULL when not given */
	double sla_per_hour;        /* --sla */
	double work_units;          /* --work */
	double headroom;            /* --headroom, as a fraction */
	double pue;                 /* --pue */
	const char *region;         /* --region */
	double grid_g_per_kwh;      /* --grid-intensity */
	double usd_per_kwh;         /* --usd-per-kwh */
	uint64_t instances;         /* --instances, 0 when not given */
	const char *baseline;       /* --baseline */
	const char **checks;        /* --check, repeatable (points into argv) */
	size_t nchecks;

	/* live sources */
	const char *config;         /* --config FILE */
	const char **fleets;        /* --fleet SPEC, repeatable (points into argv) */
	size_t nfleets;
	bool check_config;          /* --check-config */
	const char *aws_profile;    /* --profile NAME */
	bool update_prices;         /* --update-prices */

	/* local mode (this machine; see fetch/local.h) */
	const char *type;           /* --type: this machine's instance type */
	const char **compare;       /* --compare TYPE[=RATIO], repeatable */
	size_t ncompare;
	const char *follow;         /* --follow FILE */
	const char *follow_cmd;     /* --follow-cmd CMD */
	const char *follow_counter; /* --follow-counter FILE */
	const char *match;          /* --match REGEX */
	int match_kind;             /* --match-kind: 0 rate, 1 count, 2 lines; -1 not given */
	const char *unit;           /* --unit: the throughput's unit */
	bool duration_set;          /* --duration was given */
	bool interval_set, window_set, theme_set;
};

/* Parses argv.  Returns 0, or 2 after printing one line on stderr for a
 * usage error (the exit status the program should return).  --check
 * expressions are only collected here; main() parses them. */
int cli_parse(struct cli *c, int argc, char **argv);
void cli_free(struct cli *c);
void cli_usage(FILE *out);

#endif
