/*
 * pricecache.h - the on-disk cache of prices fetched from the AWS Price List
 * (perwatt --update-prices): a CSV in the format of data/prices.csv, so that
 * tables_parse_prices() reads it as an override of the shipped table.
 *
 *   $XDG_CACHE_HOME/perwatt/prices.csv   (when XDG_CACHE_HOME is absolute)
 *   $HOME/.cache/perwatt/prices.csv      (otherwise)
 *
 *   # perwatt price cache: on-demand Linux prices (USD per instance-hour) ...
 *   # fetched 2026-11-27T12:34:56Z from https://api.pricing.us-east-1.amazonaws.com/
 *   instance_type,region,usd_per_hour,source,date
 *   inf2.xlarge,us-east-1,0.7582,aws-price-list,2026-11-27
 *
 * Rows fetched carry the source PRICECACHE_SOURCE and the date (UTC) they
 * were fetched on; model_apply_tables() shows such a row's price as "AWS
 * Price List DATE REGION" instead of "table SOURCE REGION".  Which price
 * wins: a fleet's own usd_per_hour, then the cache, then the shipped table.
 *
 * Pure apart from pricecache_path() (reads the environment), pricecache_read()
 * and pricecache_write() (one small file each, no other I/O); nothing here
 * prints.  Ownership: pricecache_render() returns text from malloc() that the
 * caller free()s; rows live in a struct tables (tables_free()).
 */
#ifndef PERWATT_PRICECACHE_H
#define PERWATT_PRICECACHE_H

#include <stddef.h>
#include <time.h>

#include "core/tables.h"

#define PRICECACHE_SOURCE   "aws-price-list"
#define PRICECACHE_MAX_SIZE (1u << 20)      /* a bigger file is refused */

/* The cache's path into buf.  0, or -1 (buf "") when neither an absolute
 * XDG_CACHE_HOME nor HOME is set, or buf is too small. */
int pricecache_path(char *buf, size_t n);

/* Whether a row may go into the cache: a type, a region, a source and a
 * date of printable ASCII without ',', '"', '#' or blanks that fit their
 * fields, and a finite price from 0 to 10000.  1, or 0 with the reason in
 * why (whylen 0 is allowed). */
int pricecache_row_ok(const struct price_row *r, char *why, size_t whylen);

/* A row for the cache: source PRICECACHE_SOURCE, date `when` as
 * YYYY-MM-DD (UTC).  0, or -1 when the row would not be valid. */
int pricecache_row(struct price_row *r, const char *instance_type, const char *region,
                   double usd_per_hour, time_t when);

/* Adds rows to t, replacing a row with the same type and region (the
 * tables' own rule).  0, or -1 when out of memory or a row is not valid
 * (t then holds the rows before it). */
int pricecache_merge(struct tables *t, const struct price_row *rows, size_t n, char *err, size_t errlen);

/* The cache file's text: a header comment saying when (`when`, UTC) and
 * from where (`from`: an endpoint URL, its user:password part masked and
 * control characters dropped) the prices were fetched, the CSV header and
 * every price row of t, sorted by type and then region.  NULL when out of
 * memory or a row is not valid (then with the reason in err). */
char *pricecache_render(const struct tables *t, time_t when, const char *from, char *err, size_t errlen);

/* Reads the cache at `path` into t (its price rows only), as a whole or
 * not at all.  1 when loaded, 0 when there is no such file, -1 with
 * "PATH:LINE: why" (or "PATH: why") in err when it cannot be read or is
 * malformed: t is then unchanged. */
int pricecache_read(struct tables *t, const char *path, char *err, size_t errlen);

/* Writes text to `path` atomically: its directory is created (mode 0755,
 * parents too), the text goes to a temporary file beside it (mode 0644)
 * that is flushed to disk and renamed over `path`.  0, or -1 with a message
 * naming the path in err (nothing is left behind). */
int pricecache_write(const char *path, const char *text, char *err, size_t errlen);

#endif
