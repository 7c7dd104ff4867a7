/* drive.c - the headless poll loop; see drive.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <poll.h>

#include "fetch/drive.h"

#define DRIVE_MAX_FDS 4096

static bool done(const struct drive_extra *x)
{
	return x && x->done && x->done(x->ctx);
}

int drive_until_x(struct source_set *set, struct model *m, double until,
                  volatile sig_atomic_t *stop, const struct drive_extra *x)
{
	static struct pollfd fds[DRIVE_MAX_FDS];
	double now = clock_now();
	double next_tick = now;
	while (now < until && !(stop && *stop) && !done(x)) {
		double deadline = INFINITY;
		if (x && x->tick)
			deadline = x->tick(x->ctx, now);
		double d = source_set_tick(set, now);
		if (d < deadline)
			deadline = d;
		if (m && now >= next_tick) {
			model_tick(m, now);
			next_tick = floor(now) + 1;
		}
		if (m && next_tick < deadline)
			deadline = next_tick;
		if (until < deadline)
			deadline = until;
		int n = source_set_fds(set, fds, DRIVE_MAX_FDS);
		double wait = deadline - clock_now();
		int ms = wait <= 0 ? 0 : wait > 1000 ? 1000000 : (int)ceil(wait * 1000);
		int r = poll(fds, (nfds_t)n, ms);
		now = clock_now();
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r > 0)
			source_set_ready(set, fds, n, now);
	}
	if (m)
		model_tick(m, now);
	return 0;
}
