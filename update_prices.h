/*
 * update_prices.h - `perwatt --update-prices`: fetches the on-demand prices
 * of the instance types in use from the AWS Price List Query API
 * (fetch/pricing.h) and caches them (core/pricecache.h); and the start-up
 * step that loads that cache over the shipped price table.
 */
#ifndef PERWATT_UPDATE_PRICES_H
#define PERWATT_UPDATE_PRICES_H

#include "cli.h"
#include "core/fleetcfg.h"
#include "core/tables.h"

/* The whole --update-prices mode, after the configuration is loaded.  The
 * instance types are those of the configured fleets (dc), else those of
 * the built-in demo scenarios (--demo NAME: that one's).  The region is
 * --region, else [dashboard] region, else the AWS chain's, else us-east-1.
 * Prints one line per type on stdout, then where the prices were cached.
 * Returns the exit status: 0 every price found, 1 some not found or
 * failed (what came is cached all the same), 2 a usage or credential
 * configuration error (one line on stderr), 128+N after signal N. */
int update_prices_main(const struct cli *c, const struct dash_cfg *dc);

/* Loads the price cache, when there is one, over the tables' prices.  A
 * cache that cannot be read or is malformed is ignored after one warning
 * line on stderr naming the file (and line).  Never fails. */
void update_prices_load_cache(struct tables *t);

#endif
