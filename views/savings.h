/*
 * savings.h - the savings view: what migrating from the baseline fleet to
 * each candidate saves, projected live from the measured figures (SLA or
 * fixed-work mode), with bars baseline vs candidate and ranges.  Its keys
 * change the projection while it runs: m mode, < > target, [ ] headroom,
 * r region, a target from the baseline's throughput, b next baseline.
 */
#ifndef PERWATT_VIEWS_SAVINGS_H
#define PERWATT_VIEWS_SAVINGS_H

#include "views/view.h"

extern const struct view_ops savings_view;

#endif
