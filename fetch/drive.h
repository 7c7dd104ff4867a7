/*
 * drive.h - runs a source set without a terminal, for --once: the same
 * poll() over the sources' descriptors and deadlines that the dashboard's
 * loop does, with a model tick once a second, until a time is reached.
 */
#ifndef PERWATT_DRIVE_H
#define PERWATT_DRIVE_H

#include <signal.h>

#include "core/model.h"
#include "fetch/source.h"

/* Polls the sources and ticks the model until clock_now() >= until, or
 * until *stop becomes non-zero (a signal handler may set it; may be NULL).
 * Returns 0, or -1 when poll() fails for a reason other than EINTR. */
int drive_until(struct source_set *set, struct model *m, double until,
                volatile sig_atomic_t *stop);

#endif
