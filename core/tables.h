/*
 * tables.h - the data tables that ship with perwatt (the .csv files in data/, embedded
 * at build time): on-demand prices, grid carbon intensity by region, and the
 * per-type power model used to estimate power where no sensor reports it.
 *
 * The format is CSV without quoting: '#' starts a comment line, the first
 * other line is the header (checked), then one row per line.  A malformed
 * row is rejected with its line number.  Loading more text into the same
 * tables (an override file) replaces rows with the same key.
 *
 * Ownership: tables_free() releases what the loaders allocated.
 */
#ifndef PERWATT_TABLES_H
#define PERWATT_TABLES_H

#include <stddef.h>

struct price_row {
	char instance_type[40], region[24];
	double usd_per_hour;
	char source[48], date[16];
};

struct grid_row {
	char region[24];
	double g_per_kwh;
	char source[48];
	int year;
};

struct power_row {
	char instance_type[40];
	double idle_w, max_w;
	char source[64];
};

struct ratio_row {
	char key[84];           /* "from>to", the look-up key */
	char from_type[40], to_type[40];
	double ratio;           /* throughput per instance of to_type / from_type */
	char source[64];
};

struct tables {
	struct price_row *price;
	size_t nprice;
	struct grid_row *grid;
	size_t ngrid;
	struct power_row *power;
	size_t npower;
	struct ratio_row *ratio;
	size_t nratio;
};

void tables_init(struct tables *t);
void tables_free(struct tables *t);

/* Loads the embedded tables.  0, or -1 with a message in err. */
int tables_load_builtin(struct tables *t, char *err, size_t errlen);

/* Parses one table's text (`origin` names it in messages: "prices.csv"). */
int tables_parse_prices(struct tables *t, const char *text, const char *origin, char *err, size_t errlen);
int tables_parse_grid(struct tables *t, const char *text, const char *origin, char *err, size_t errlen);
int tables_parse_power(struct tables *t, const char *text, const char *origin, char *err, size_t errlen);

int tables_parse_ratios(struct tables *t, const char *text, const char *origin, char *err, size_t errlen);

/* Throughput per instance of `to` relative to `from` (ratios.csv, either
 * direction); NAN when unknown.  *source (may be NULL) gets the row's source. */
double tables_ratio(const struct tables *t, const char *from, const char *to, const char **source);

/* Look-ups; NULL when unknown. */
const struct price_row *tables_price(const struct tables *t, const char *instance_type, const char *region);
const struct grid_row *tables_grid(const struct tables *t, const char *region);
const struct power_row *tables_power(const struct tables *t, const char *instance_type);

/* Estimated watts at `util_pct` (clamped to 0..100). */
double power_estimate(const struct power_row *row, double util_pct);

#endif
