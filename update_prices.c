/* update_prices.c - perwatt --update-prices, and loading its cache; see update_prices.h. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pricecache.h"
#include "core/scenario.h"
#include "fetch/awscreds.h"
#include "fetch/drive.h"
#include "fetch/http.h"
#include "fetch/pricing.h"
#include "fetch/source.h"
#include "update_prices.h"

#define OVERALL_DEADLINE 60.0   /* s: the whole run, whatever answers or not */
#define REGION_WAIT      5.0    /* s: for the region from instance metadata */
#define MAX_TYPES        64

void update_prices_load_cache(struct tables *t)
{
	char path[4096], err[512];
	if (pricecache_path(path, sizeof path) < 0)
		return;
	if (pricecache_read(t, path, err, sizeof err) < 0)
		fprintf(stderr, "perwatt: warning: price cache ignored: %s\n", err);
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* On the loop (fetch/drive.h): the credential chain and, once the region
 * is known, the price fetcher, ticked before the HTTP driver so that their
 * requests start in the same pass. */
struct work {
	struct awscreds *cr;
	struct pricing *pr;             /* NULL while the region is looked up */
	bool need_region;
};

static double work_tick(void *ctx, double now)
{
	struct work *w = ctx;
	double next = awscreds_tick(w->cr, now);
	if (w->pr) {
		double d = pricing_tick(w->pr, now);
		if (d < next)
			next = d;
	}
	return next;
}

static bool work_done(void *ctx)
{
	struct work *w = ctx;
	if (w->pr)
		return pricing_done(w->pr);
	return !w->need_region || awscreds_region(w->cr) || !awscreds_pending(w->cr);
}

static bool add_type(const char **types, size_t *n, const char *t)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(types[i], t) == 0)
			return true;
	if (*n == MAX_TYPES)
		return false;
	types[(*n)++] = t;
	return true;
}

/* The instance types in use: the fleets', else the demo scenarios'.  The
 * scenarios loaded go to scen[] (their strings are the types).  0, or 2
 * after a message. */
static int collect_types(const struct cli *c, const struct dash_cfg *dc, const char **types, size_t *n,
                         struct scenario **scen, size_t nscen)
{
	*n = 0;
	if (dc->nfleets) {
		for (size_t i = 0; i < dc->nfleets; i++) {
			const struct fleet_cfg *f = &dc->fleet[i];
			if (!f->instance_type || !*f->instance_type)
				fprintf(stderr, "perwatt: fleet %s names no instance type (type=): left out\n", f->name);
			else if (!add_type(types, n, f->instance_type))
				break;
		}
		if (*n == 0) {
			fprintf(stderr, "perwatt: no configured fleet names its instance type: add type=TYPE "
			                "(e.g. type=inf2.xlarge) to a fleet\n");
			return 2;
		}
		return 0;
	}
	char err[256];
	size_t k = 0;
	for (size_t i = 0; scenario_builtin_names[i] && k < nscen; i++) {
		if (c->demo && strcmp(c->demo, scenario_builtin_names[i]) != 0)
			continue;
		if (!(scen[k] = scenario_load_builtin(scenario_builtin_names[i], err, sizeof err))) {
			fprintf(stderr, "perwatt: %s\n", err);
			return 2;
		}
		for (size_t f = 0; f < scen[k]->nfleets; f++)
			if (scen[k]->fleet[f].type)
				add_type(types, n, scen[k]->fleet[f].type);
		k++;
	}
	if (k == 0) {
		fprintf(stderr, "perwatt: no demo scenario is called '%s'\n", c->demo ? c->demo : "");
		return 2;
	}
	fprintf(stderr, "perwatt: no fleets configured: pricing the instance types of the %s "
	        "(give --config FILE or --fleet SPEC for your own)\n",
	        c->demo ? "demo scenario" : "built-in demo scenarios");
	return 0;
}

static void fmt_usd_h(char *buf, size_t n, const struct price_row *p)
{
	if (p)
		snprintf(buf, n, "USD %.10g/h", p->usd_per_hour);
	else
		snprintf(buf, n, "none");
}

/* The table, then the cache.  Returns how many types failed (not found or
 * an error); *cached gets what went into the cache, -1 if writing failed. */
static size_t report_and_cache(const struct pricing *pr, int *cached)
{
	struct tables shipped;
	char err[512];
	tables_init(&shipped);
	if (tables_load_builtin(&shipped, err, sizeof err) < 0)
		fprintf(stderr, "perwatt: %s\n", err);

	/* columns: type, region, price, each as wide as its widest */
	size_t n = pricing_count(pr), width = 0, rwidth = 0, pwidth = 0, bad = 0, nrows = 0;
	char price[48];
	for (size_t i = 0; i < n; i++) {
		const struct pricing_result *r = pricing_result(pr, i);
		size_t l = strlen(r->instance_type), rl = strlen(r->region);
		width = l > width ? l : width;
		rwidth = rl > rwidth ? rl : rwidth;
		if (r->status == PRICING_FOUND) {
			size_t pl = (size_t)snprintf(price, sizeof price, "USD %.10g/h", r->usd_per_hour);
			pwidth = pl > pwidth ? pl : pwidth;
		}
	}
	struct price_row *rows = calloc(n ? n : 1, sizeof *rows);
	time_t now = time(NULL);
	for (size_t i = 0; i < n; i++) {
		const struct pricing_result *r = pricing_result(pr, i);
		char table[48];
		fmt_usd_h(table, sizeof table, tables_price(&shipped, r->instance_type, r->region));
		switch (r->status) {
		case PRICING_FOUND:
			snprintf(price, sizeof price, "USD %.10g/h", r->usd_per_hour);
			printf("%-*s  %-*s  %-*s  (shipped table: %s)\n", (int)width, r->instance_type,
			       (int)rwidth, r->region, (int)pwidth, price, table);
			if (rows && pricecache_row(&rows[nrows], r->instance_type, r->region, r->usd_per_hour, now) == 0)
				nrows++;
			break;
		case PRICING_NOT_FOUND:
			bad++;
			printf("%-*s  %-*s  not found: no Linux on-demand product in the AWS Price List "
			       "(shipped table: %s)\n", (int)width, r->instance_type, (int)rwidth, r->region, table);
			break;
		default:
			bad++;
			printf("%-*s  %-*s  error: %s\n", (int)width, r->instance_type, (int)rwidth, r->region,
			       r->error[0] ? r->error : "unfinished");
			break;
		}
	}
	tables_free(&shipped);
	fflush(stdout);

	*cached = 0;
	char path[4096];
	if (!rows || nrows == 0) {
		if (!rows)
			fprintf(stderr, "perwatt: out of memory\n");
		else if (pricecache_path(path, sizeof path) == 0)
			fprintf(stderr, "perwatt: no price fetched: %s is unchanged\n", path);
		free(rows);
		return bad;
	}
	struct tables cache;
	tables_init(&cache);
	char *text = NULL;
	if (pricecache_path(path, sizeof path) < 0) {
		fprintf(stderr, "perwatt: nowhere to cache prices: set HOME or XDG_CACHE_HOME\n");
		*cached = -1;
	} else {
		/* other regions and types already cached are kept */
		if (pricecache_read(&cache, path, err, sizeof err) < 0)
			fprintf(stderr, "perwatt: warning: %s: replacing it\n", err);
		if (pricecache_merge(&cache, rows, nrows, err, sizeof err) < 0 ||
		    !(text = pricecache_render(&cache, now, pricing_endpoint(pr), err, sizeof err)) ||
		    pricecache_write(path, text, err, sizeof err) < 0) {
			fprintf(stderr, "perwatt: price cache: %s\n", err);
			*cached = -1;
		} else {
			*cached = (int)nrows;
			printf("cached %zu price%s in %s\n", nrows, nrows == 1 ? "" : "s", path);
		}
	}
	free(text);
	tables_free(&cache);
	free(rows);
	return bad;
}

int update_prices_main(const struct cli *c, const struct dash_cfg *dc)
{
	const char *types[MAX_TYPES];
	struct scenario *scen[8] = { 0 };
	size_t ntypes = 0;
	int rc = collect_types(c, dc, types, &ntypes, scen, sizeof scen / sizeof scen[0]);
	char err[1024], path[4096];
	struct source_set set;
	struct awscreds *cr = NULL;
	struct pricing *pr = NULL;
	source_set_init(&set);
	if (rc)
		goto out;
	if (pricecache_path(path, sizeof path) < 0) {
		fprintf(stderr, "perwatt: nowhere to cache prices: set HOME or XDG_CACHE_HOME\n");
		rc = 2;
		goto out;
	}

	struct http *h = http_new();
	if (!h || source_set_add(&set, http_source(h)) < 0) {
		fprintf(stderr, "perwatt: cannot start libcurl\n");
		rc = 1;
		goto out;
	}
	const char *region = c->region ? c->region : dc->region;
	struct awscreds_options o = {
		.profile = c->aws_profile ? c->aws_profile : dc->aws_profile,
		.region = region,
	};
	if (!(cr = awscreds_new(h, &o, err, sizeof err))) {
		fprintf(stderr, "perwatt: AWS credentials: %s\n", err);
		rc = 2;
		goto out;
	}

	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	double start = clock_now(), deadline = start + OVERALL_DEADLINE;
	awscreds_start(cr, start);
	/* no region given: the chain's, which may come from instance metadata */
	struct work w = { .cr = cr, .need_region = !region };
	struct drive_extra x = { work_tick, work_done, &w };
	if (drive_until_x(&set, NULL, start + REGION_WAIT, &stop_signal, &x) < 0)
		stop_signal = -1;       /* cannot wait: give up */
	const char *region_src = region ? (c->region ? "--region" : "[dashboard] region")
	                       : awscreds_region(cr) ? awscreds_region_source(cr) : "no region set: the default";
	if (!region)
		region = awscreds_region(cr) ? awscreds_region(cr) : "us-east-1";
	char region_copy[64];
	snprintf(region_copy, sizeof region_copy, "%s", region);

	struct pricing_options po = { .types = types, .ntypes = ntypes, .region = region_copy };
	if (!(pr = pricing_new(h, cr, &po, err, sizeof err))) {
		fprintf(stderr, "perwatt: %s\n", err);
		rc = 2;
		goto restore;
	}
	fprintf(stderr, "perwatt: on-demand prices in %s (%s) from the AWS Price List at %s\n",
	        region_copy, region_src ? region_src : "default", pricing_endpoint(pr));
	w.pr = pr;
	if (!stop_signal && drive_until_x(&set, NULL, deadline, &stop_signal, &x) < 0)
		stop_signal = -1;
	if (!pricing_done(pr))
		pricing_abort(pr, stop_signal > 0 ? "interrupted"
		                  : stop_signal < 0 ? "poll() failed" : "no answer within 60 s");

	/* credentials that never came are a configuration problem, as in
	 * awscreds_new(): say it once, not once per type */
	if (!pricing_sent_any(pr) && awscreds_state(cr) == AWSCREDS_FAILED) {
		const char *e = awscreds_error(cr);
		fprintf(stderr, "perwatt: AWS credentials: %s\n", e ? e : "none found");
		rc = 2;
		goto restore;
	}
	int cached;
	size_t bad = report_and_cache(pr, &cached);
	if (bad)
		fprintf(stderr, "perwatt: %zu of %zu prices not fetched%s\n", bad, pricing_count(pr),
		        cached > 0 ? "; the others are cached" : "");
	rc = stop_signal > 0 ? 128 + stop_signal : bad || cached < 0 ? 1 : 0;
restore:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	/* both cancel requests through the driver, which the set frees last */
	pricing_free(pr);
	awscreds_free(cr);
	source_set_free(&set);
	for (size_t i = 0; i < sizeof scen / sizeof scen[0]; i++)
		scenario_free(scen[i]);
	return rc;
}
