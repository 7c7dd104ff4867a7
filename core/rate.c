/* rate.c - counter readings to per-second rates. */
#include "config.h"

#include <math.h>

#include "core/rate.h"

int rate_update(struct rate_state *st, double t, double v, double *rate)
{
	if (!isfinite(v) || !isfinite(t) || v < 0) {
		st->have = false;
		return -1;
	}
	if (!st->have || t < st->t) {
		int backwards = st->have && t < st->t;
		st->have = true;
		st->t = t;
		st->v = v;
		return backwards ? -1 : 0;
	}
	double dt = t - st->t;
	if (dt < RATE_MIN_DT)
		return 0;       /* keep the older reading: the next one will be far enough */
	double inc = v - st->v;
	if (inc < 0) {
		/* reset: the counter restarted from zero and counted v since */
		inc = v;
		st->resets++;
	}
	st->t = t;
	st->v = v;
	*rate = inc / dt;
	return 1;
}
