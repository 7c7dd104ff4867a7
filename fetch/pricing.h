/*
 * pricing.h - on-demand prices from the AWS Price List Query API: for each
 * instance type, AWSPriceListService.GetProducts (AWS JSON 1.1, SigV4
 * service "pricing", region us-east-1; see core/cwproto.h and
 * shared/reference/cloudwatch.md section 5) with the filters
 * cw_products_build() writes (EC2, the type, the region code, Linux, shared
 * tenancy, no pre-installed software, used capacity), every NextToken page
 * followed, the answer's products filtered once more by cw_products_parse().
 *
 * Never blocks: requests go through the shared HTTP driver, at most
 * `parallel` at a time.  Throttling, 5xx answers, transport failures and
 * malformed answers are retried with http_backoff (base 0.5 s: about 1, 2,
 * 4 s) until `max_attempts` attempts of one page; refused credentials or
 * permissions, and other 4xx answers, are final at once.  Each type ends
 * FOUND (with its price), NOT_FOUND (no product passed the filters) or
 * ERROR (with one line that never holds a secret).
 *
 * Driving: the owner calls pricing_tick() from its loop before the HTTP
 * driver's tick (so that a request made there starts in the same pass),
 * folds the deadline it returns into its own, and also ticks the awscreds.
 * Requests wait for credentials while awscreds_state() is RESOLVING; when
 * it is FAILED every type still waiting ends in ERROR.
 *
 * Ownership: pricing_new() copies the types and the region; it borrows the
 * HTTP driver and the awscreds, which must outlive it.  pricing_free()
 * cancels what is in flight.  Results point into the object.
 */
#ifndef PERWATT_PRICING_H
#define PERWATT_PRICING_H

#include <stdbool.h>
#include <stddef.h>

#include "fetch/awscreds.h"
#include "fetch/http.h"

#define PRICING_ERROR_MAX 320
#define PRICING_MAX_PAGES 50        /* NextToken pages followed per type */

enum pricing_status {
	PRICING_PENDING = 0,    /* not finished yet */
	PRICING_FOUND,
	PRICING_NOT_FOUND,      /* the Price List has no matching product */
	PRICING_ERROR,
};

struct pricing_result {
	char instance_type[40];
	char region[24];
	enum pricing_status status;
	double usd_per_hour;            /* FOUND: on-demand USD per hour; else NAN */
	size_t products;                /* products that passed the filters (FOUND: >= 1) */
	unsigned requests;              /* requests sent, retries and pages included */
	char error[PRICING_ERROR_MAX];  /* ERROR: why; a retried failure's last error
	                                 * while PENDING; else "" */
};

struct pricing_options {
	const char *const *types;       /* instance types (duplicates are asked once) */
	size_t ntypes;
	const char *region;             /* region code, "us-east-1" */
	unsigned parallel;              /* requests at once; 0: 4 */
	unsigned max_attempts;          /* per page; 0: 4 */
	double timeout;                 /* s per request; 0: 15 */
};

struct pricing;

/* NULL with a message in err when an option is wrong (no types, a type or
 * region that is not a plain name, no endpoint URL) or out of memory. */
struct pricing *pricing_new(struct http *h, struct awscreds *creds, const struct pricing_options *o,
                            char *err, size_t errlen);

/* Sends what is due; returns the next deadline (INFINITY when none). */
double pricing_tick(struct pricing *p, double now);

/* Whether every type has finished. */
bool pricing_done(const struct pricing *p);

/* Ends every type still pending as ERROR: `why` (plus the last retried
 * error, if any), cancelling its request. */
void pricing_abort(struct pricing *p, const char *why);

size_t pricing_count(const struct pricing *p);
const struct pricing_result *pricing_result(const struct pricing *p, size_t i);

/* The endpoint asked (for messages and the cache's header). */
const char *pricing_endpoint(const struct pricing *p);

/* Requests were sent (false: credentials never came). */
bool pricing_sent_any(const struct pricing *p);

void pricing_free(struct pricing *p);      /* NULL is fine */

#endif
