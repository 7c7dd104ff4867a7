/*
 * compare.h - the comparison strip of the overview: for each candidate
 * fleet, candidate / baseline for throughput per instance, energy per unit
 * and cost per unit, coloured (and worded) better or worse.
 */
#ifndef PERWATT_COMPARE_H
#define PERWATT_COMPARE_H

#include <stddef.h>

#include "core/model.h"
#include "core/savings.h"
#include "tui/term.h"

/* Draws the strip into the whole window `w` (border included).  st[i] are
 * the figures of m->fleets[i], for i < nstats; `rows` candidates fit.  With
 * a projection (sv may be NULL), its headline for the first candidate goes
 * on the frame: "at 1M/h: 6 vs 33 instances, energy -92%, cost -91%". */
void compare_draw(const struct term *t, WINDOW *w, const struct model *m,
                  const struct fleet_stats *st, size_t nstats, int rows,
                  const struct savings *sv, const struct savings_config *cfg);

#endif
