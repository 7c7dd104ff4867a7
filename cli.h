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
};

/* Parses argv.  Returns 0, or 2 after printing one line on stderr for a
 * usage error (the exit status the program should return). */
int cli_parse(struct cli *c, int argc, char **argv);
void cli_usage(FILE *out);

#endif
