/*
 * savings.h - the projection over the live model: the settings a user
 * changes (mode, target, headroom, region...) and the figures every view and
 * the headless report show.  Glue between model.h and projection.h; no I/O.
 *
 * Ownership: savings_compute() fills caller-owned arrays sized by
 * savings_alloc(); savings_free() releases them.
 */
#ifndef PERWATT_SAVINGS_H
#define PERWATT_SAVINGS_H

#include <stdbool.h>

#include "core/model.h"
#include "core/projection.h"
#include "core/tables.h"

struct savings_config {
	struct proj_params p;       /* p.grid_g_per_kwh follows the region unless overridden */
	char region[24];
	bool grid_override;         /* --grid-intensity was given */
	char grid_source[64];       /* "table ccf 2018 us-east-1", "--grid-intensity", "unknown" */
	bool target_auto;           /* SLA target: the baseline's measured throughput */
	const char *baseline_name;  /* NULL: the fleet marked baseline, else the first */
	const struct tables *tables;
};

/* SLA mode, target from the baseline, headroom 100%, PUE 1, us-east-1. */
void savings_config_init(struct savings_config *c, const struct tables *t);
/* Sets the region and, unless overridden, the grid intensity that goes with it. */
void savings_set_region(struct savings_config *c, const char *region);

struct savings {
	size_t n;                   /* fleets */
	int baseline;               /* index, -1 when no fleet */
	bool ok;                    /* false: error says why nothing was projected */
	char error[200];
	double target_per_hour;     /* the SLA target in force (auto or given) */
	struct fleet_stats *stats;
	struct proj_input *in;
	struct proj_fleet *fleet;
	struct proj_saving *saving;
};

int savings_alloc(struct savings *s, size_t nfleets);
void savings_free(struct savings *s);

/* Projects every fleet of the model over the last `window` seconds. */
void savings_compute(struct savings *s, const struct model *m, const struct savings_config *c,
                     double now, double window);

#endif
