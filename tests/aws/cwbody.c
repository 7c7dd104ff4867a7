/*
 * cwbody - prints a request body built by core/cwproto, for curl-sigv4.sh:
 *
 *   cwbody gmd START END NAMESPACE METRIC DIMNAME=VALUE STAT PERIOD
 *       GetMetricData: the metric (id from cw_id_make) and "<id> / PERIOD"
 *       as "rate", oldest first
 *   cwbody lm NAMESPACE          ListMetrics, RecentlyActive
 *   cwbody price TYPE REGION     GetProducts
 *
 * Built by curl-sigv4.sh with an empty config.h; not part of perwatt.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cwproto.h"

int main(int argc, char **argv)
{
	char err[256] = "", *body = NULL;
	if (argc == 9 && !strcmp(argv[1], "gmd")) {
		char *eq = strchr(argv[6], '=');
		if (!eq)
			return 2;
		*eq = '\0';
		struct cw_dim dim = { argv[6], eq + 1 };
		struct cw_query q[2];
		memset(q, 0, sizeof q);
		cw_id_make(q[0].id, sizeof q[0].id, argv[5], 0);
		q[0].metric = (struct cw_metric){ argv[4], argv[5], &dim, 1 };
		q[0].stat = argv[7];
		q[0].period = atoi(argv[8]);
		char expr[CW_ID_MAX + 32];
		snprintf(expr, sizeof expr, "%s / %d", q[0].id, q[0].period);
		snprintf(q[1].id, sizeof q[1].id, "rate");
		q[1].expression = expr;
		struct cw_gmd_request r = { q, 2, strtod(argv[2], NULL), strtod(argv[3], NULL),
		                            CW_SCAN_ASCENDING, 0, NULL };
		body = cw_gmd_build(&r, err, sizeof err);
	} else if (argc == 3 && !strcmp(argv[1], "lm")) {
		struct cw_lm_request r = { argv[2], NULL, NULL, 0, true, NULL };
		body = cw_lm_build(&r, err, sizeof err);
	} else if (argc == 4 && !strcmp(argv[1], "price")) {
		struct cw_products_request r = { argv[2], argv[3], 100, NULL };
		body = cw_products_build(&r, err, sizeof err);
	} else {
		fprintf(stderr, "usage: see cwbody.c\n");
		return 2;
	}
	if (!body) {
		fprintf(stderr, "cwbody: %s\n", err);
		return 1;
	}
	fputs(body, stdout);
	free(body);
	return 0;
}
