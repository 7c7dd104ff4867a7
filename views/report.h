/*
 * report.h - the headless twin of the overview: the same figures as JSON,
 * CSV or text, for scripts and CI.  No curses here.
 *
 * The JSON schema is documented in README.md ("Headless output"); a value
 * that is unknown is null, never NaN.
 */
#ifndef PERWATT_REPORT_H
#define PERWATT_REPORT_H

#include <stdio.h>

#include "core/model.h"
#include "core/savings.h"

enum report_format { REPORT_JSON, REPORT_CSV, REPORT_TEXT };

/* "json", "csv", "text" -> format; -1 when unknown. */
int report_format_parse(const char *name);

/* What a report covers: the model over `window` seconds ending at `now`,
 * and, when sv is not NULL, the projection computed with cfg. */
struct report_ctx {
	const struct model *m;
	double now, window;
	const struct savings *sv;
	const struct savings_config *cfg;
};

/* The report as a newly allocated string (caller frees), NULL when out of memory. */
char *report_render(const struct report_ctx *ctx, enum report_format fmt);

/* Writes the report to out; 0 on success, -1 on error (errno set). */
int report_write(FILE *out, const struct report_ctx *ctx, enum report_format fmt);

#endif
