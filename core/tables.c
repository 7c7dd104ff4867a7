/* tables.c - price, grid-intensity and power-model tables; see tables.h. */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/tables.h"
#include "data/embedded.h"

#define MAX_COLS 8

void tables_init(struct tables *t)
{
	memset(t, 0, sizeof *t);
}

void tables_free(struct tables *t)
{
	free(t->price);
	free(t->grid);
	free(t->power);
	free(t->ratio);
	tables_init(t);
}

/* Calls row() for every data row of a CSV text after checking its header.
 * Cells are trimmed of blanks; a row's cells are NUL-terminated in place in
 * a copy of the line.  Returns 0, or -1 with "origin:line: message" in err. */
typedef int (*row_fn)(struct tables *t, char **cell, char *why, size_t whylen);

static int csv_each(struct tables *t, const char *text, const char *origin, const char *header,
                    size_t ncols, row_fn row, char *err, size_t errlen)
{
	const char *p = text;
	int lineno = 0;
	int seen_header = 0;
	char line[512];
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		lineno++;
		if (len >= sizeof line) {
			snprintf(err, errlen, "%s:%d: line too long", origin, lineno);
			return -1;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (eol ? 1 : 0);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		char *s = line + strspn(line, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		if (!seen_header) {
			if (strcmp(s, header) != 0) {
				snprintf(err, errlen, "%s:%d: the header must be '%s'", origin, lineno, header);
				return -1;
			}
			seen_header = 1;
			continue;
		}
		char *cell[MAX_COLS];
		size_t n = 0;
		for (char *c = s;; ) {
			char *comma = strchr(c, ',');
			if (n == MAX_COLS)
				break;
			if (comma)
				*comma = '\0';
			/* trim */
			c += strspn(c, " \t");
			size_t cl = strlen(c);
			while (cl && (c[cl - 1] == ' ' || c[cl - 1] == '\t'))
				c[--cl] = '\0';
			cell[n++] = c;
			if (!comma)
				break;
			c = comma + 1;
		}
		if (n != ncols) {
			snprintf(err, errlen, "%s:%d: %zu fields, want %zu (%s)", origin, lineno, n, ncols, header);
			return -1;
		}
		char why[160];
		if (row(t, cell, why, sizeof why) < 0) {
			snprintf(err, errlen, "%s:%d: %s", origin, lineno, why);
			return -1;
		}
	}
	if (!seen_header) {
		snprintf(err, errlen, "%s: no header line '%s'", origin, header);
		return -1;
	}
	return 0;
}

static int copy_cell(char *dst, size_t size, const char *src, const char *what, char *why, size_t whylen)
{
	if (!*src) {
		snprintf(why, whylen, "%s is empty", what);
		return -1;
	}
	if (strlen(src) >= size) {
		snprintf(why, whylen, "%s '%.40s' is too long", what, src);
		return -1;
	}
	for (const char *c = src; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == '"') {
			snprintf(why, whylen, "%s has a control character or a quote", what);
			return -1;
		}
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int number_cell(const char *s, double lo, double hi, double *out, const char *what,
                       char *why, size_t whylen)
{
	if (parse_number(s, out) < 0 || *out < lo || *out > hi) {
		snprintf(why, whylen, "%s '%.40s' is not a number from %g to %g", what, s, lo, hi);
		return -1;
	}
	return 0;
}

static void *append(void **arr, size_t *n, size_t size, const void *row)
{
	char *grown = realloc(*arr, (*n + 1) * size);
	if (!grown)
		return NULL;
	memcpy(grown + *n * size, row, size);
	*arr = grown;
	(*n)++;
	return grown + (*n - 1) * size;
}

/* Appends, or replaces the row whose string key (at keyoff) is the same. */
static void *upsert(void **arr, size_t *n, size_t size, const void *row, size_t keyoff)
{
	char *a = *arr;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(a + i * size + keyoff, (const char *)row + keyoff) == 0) {
			memcpy(a + i * size, row, size);
			return a + i * size;
		}
	return append(arr, n, size, row);
}

static int price_row(struct tables *t, char **c, char *why, size_t whylen)
{
	struct price_row r;
	memset(&r, 0, sizeof r);
	if (copy_cell(r.instance_type, sizeof r.instance_type, c[0], "instance_type", why, whylen) ||
	    copy_cell(r.region, sizeof r.region, c[1], "region", why, whylen) ||
	    number_cell(c[2], 0, 10000, &r.usd_per_hour, "usd_per_hour", why, whylen) ||
	    copy_cell(r.source, sizeof r.source, c[3], "source", why, whylen) ||
	    copy_cell(r.date, sizeof r.date, c[4], "date", why, whylen))
		return -1;
	/* key: type and region together */
	void *arr = t->price;
	for (size_t i = 0; i < t->nprice; i++)
		if (!strcmp(t->price[i].instance_type, r.instance_type) && !strcmp(t->price[i].region, r.region)) {
			t->price[i] = r;
			return 0;
		}
	if (!append(&arr, &t->nprice, sizeof r, &r)) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	t->price = arr;
	return 0;
}

static int grid_row(struct tables *t, char **c, char *why, size_t whylen)
{
	struct grid_row r;
	double year;
	memset(&r, 0, sizeof r);
	if (copy_cell(r.region, sizeof r.region, c[0], "region", why, whylen) ||
	    number_cell(c[1], 0, 5000, &r.g_per_kwh, "g_co2e_per_kwh", why, whylen) ||
	    copy_cell(r.source, sizeof r.source, c[2], "source", why, whylen) ||
	    number_cell(c[3], 1990, 2100, &year, "year", why, whylen))
		return -1;
	r.year = (int)year;
	void *arr = t->grid;
	if (!upsert(&arr, &t->ngrid, sizeof r, &r, offsetof(struct grid_row, region))) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	t->grid = arr;
	return 0;
}

static int power_row(struct tables *t, char **c, char *why, size_t whylen)
{
	struct power_row r;
	memset(&r, 0, sizeof r);
	if (copy_cell(r.instance_type, sizeof r.instance_type, c[0], "instance_type", why, whylen) ||
	    number_cell(c[1], 0, 1e6, &r.idle_w, "idle_w", why, whylen) ||
	    number_cell(c[2], 0, 1e6, &r.max_w, "max_w", why, whylen) ||
	    copy_cell(r.source, sizeof r.source, c[3], "source", why, whylen))
		return -1;
	if (r.max_w < r.idle_w) {
		snprintf(why, whylen, "max_w %g is below idle_w %g", r.max_w, r.idle_w);
		return -1;
	}
	void *arr = t->power;
	if (!upsert(&arr, &t->npower, sizeof r, &r, offsetof(struct power_row, instance_type))) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	t->power = arr;
	return 0;
}

int tables_parse_prices(struct tables *t, const char *text, const char *origin, char *err, size_t errlen)
{
	return csv_each(t, text, origin, "instance_type,region,usd_per_hour,source,date", 5, price_row, err, errlen);
}

int tables_parse_grid(struct tables *t, const char *text, const char *origin, char *err, size_t errlen)
{
	return csv_each(t, text, origin, "region,g_co2e_per_kwh,source,year", 4, grid_row, err, errlen);
}

int tables_parse_power(struct tables *t, const char *text, const char *origin, char *err, size_t errlen)
{
	return csv_each(t, text, origin, "instance_type,idle_w,max_w,source", 4, power_row, err, errlen);
}

static int ratio_row(struct tables *t, char **c, char *why, size_t whylen)
{
	struct ratio_row r;
	memset(&r, 0, sizeof r);
	if (copy_cell(r.from_type, sizeof r.from_type, c[0], "from_type", why, whylen) ||
	    copy_cell(r.to_type, sizeof r.to_type, c[1], "to_type", why, whylen) ||
	    number_cell(c[2], 1e-6, 1e6, &r.ratio, "ratio", why, whylen) ||
	    copy_cell(r.source, sizeof r.source, c[3], "source", why, whylen))
		return -1;
	snprintf(r.key, sizeof r.key, "%s>%s", r.from_type, r.to_type);
	void *arr = t->ratio;
	if (!upsert(&arr, &t->nratio, sizeof r, &r, offsetof(struct ratio_row, key))) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	t->ratio = arr;
	return 0;
}

int tables_parse_ratios(struct tables *t, const char *text, const char *origin, char *err, size_t errlen)
{
	return csv_each(t, text, origin, "from_type,to_type,ratio,source", 4, ratio_row, err, errlen);
}

double tables_ratio(const struct tables *t, const char *from, const char *to, const char **source)
{
	if (!t || !from || !to)
		return NAN;
	for (size_t i = 0; i < t->nratio; i++) {
		const struct ratio_row *r = &t->ratio[i];
		bool fwd = !strcmp(r->from_type, from) && !strcmp(r->to_type, to);
		bool back = !strcmp(r->from_type, to) && !strcmp(r->to_type, from);
		if (fwd || back) {
			if (source)
				*source = r->source;
			return fwd ? r->ratio : 1.0 / r->ratio;
		}
	}
	return NAN;
}

int tables_load_builtin(struct tables *t, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		int (*parse)(struct tables *, const char *, const char *, char *, size_t);
	} files[] = {
		{ "prices.csv", tables_parse_prices },
		{ "grid.csv", tables_parse_grid },
		{ "power.csv", tables_parse_power },
		{ "ratios.csv", tables_parse_ratios },
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		const char *text = embedded_find(files[i].name);
		if (!text) {
			snprintf(err, errlen, "%s is missing from this build", files[i].name);
			return -1;
		}
		if (files[i].parse(t, text, files[i].name, err, errlen) < 0)
			return -1;
	}
	return 0;
}

const struct price_row *tables_price(const struct tables *t, const char *type, const char *region)
{
	if (!type || !region)
		return NULL;
	for (size_t i = 0; i < t->nprice; i++)
		if (!strcmp(t->price[i].instance_type, type) && !strcmp(t->price[i].region, region))
			return &t->price[i];
	return NULL;
}

const struct grid_row *tables_grid(const struct tables *t, const char *region)
{
	if (!region)
		return NULL;
	for (size_t i = 0; i < t->ngrid; i++)
		if (!strcmp(t->grid[i].region, region))
			return &t->grid[i];
	return NULL;
}

const struct power_row *tables_power(const struct tables *t, const char *type)
{
	if (!type)
		return NULL;
	for (size_t i = 0; i < t->npower; i++)
		if (!strcmp(t->power[i].instance_type, type))
			return &t->power[i];
	return NULL;
}

double power_estimate(const struct power_row *row, double util_pct)
{
	if (!row || !isfinite(util_pct))
		return NAN;
	double u = util_pct < 0 ? 0 : util_pct > 100 ? 1 : util_pct / 100.0;
	return row->idle_w + (row->max_w - row->idle_w) * u;
}
