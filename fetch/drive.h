/*
 * drive.h - runs a source set without a terminal, for --once and the
 * one-shot commands (--update-prices, the instance-metadata lookup): the
 * same poll() over the sources' descriptors and deadlines that the
 * dashboard's loop does, with a model tick once a second, until a time is
 * reached or the work is done.
 */
#ifndef PERWATT_DRIVE_H
#define PERWATT_DRIVE_H

#include <signal.h>
#include <stdbool.h>

#include "core/model.h"
#include "fetch/source.h"

/* Work on the loop that is not a source of its own (the AWS credential
 * chain, the price fetcher): tick() runs first in every pass, so that the
 * requests it starts go out in the same pass, and returns when it wants to
 * run next; done() (may be NULL) ends the drive when it returns true. */
struct drive_extra {
	double (*tick)(void *ctx, double now);
	bool (*done)(void *ctx);
	void *ctx;
};

/* Polls the sources and ticks the model (when m is not NULL) until
 * clock_now() >= until, until *stop becomes non-zero (a signal handler may
 * set it; may be NULL), or until x->done() (x may be NULL).  Returns 0, or
 * -1 when poll() fails for a reason other than EINTR. */
int drive_until_x(struct source_set *set, struct model *m, double until,
                  volatile sig_atomic_t *stop, const struct drive_extra *x);
static inline int drive_until(struct source_set *set, struct model *m, double until,
                              volatile sig_atomic_t *stop)
{
	return drive_until_x(set, m, until, stop, NULL);
}

#endif
