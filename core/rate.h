/*
 * rate.h - counters to rates, in one place.
 *
 * A counter that goes down is taken as a reset to zero (a restarted exporter),
 * as Prometheus' rate() does: the increase across the reset is the new value.
 * Two readings closer than RATE_MIN_DT apart give no rate, so a jittery poll
 * never turns a tiny time delta into an absurd spike.
 */
#ifndef PERWATT_RATE_H
#define PERWATT_RATE_H

#include <stdbool.h>

#define RATE_MIN_DT 0.25   /* seconds */

struct rate_state {
	bool have;
	double t, v;
	unsigned resets;
};

/* Feeds one reading.  Returns 1 and sets *rate when a rate is available,
 * 0 when not yet (first reading, too close in time), -1 for bad input
 * (non-finite value, time going backwards: the state restarts). */
int rate_update(struct rate_state *st, double t, double v, double *rate);

#endif
