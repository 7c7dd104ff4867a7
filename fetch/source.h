/*
 * source.h - the one interface every way of getting numbers implements.
 *
 * A source is driven by the single-threaded event loop:
 *
 *   start()  once, before the loop; may register fleets' health records
 *   fds()    before every poll(): which descriptors to wait on
 *   ready()  after poll(): some of those descriptors became ready
 *   tick()   when its deadline has come; returns the next deadline
 *   stop()   once, at exit; frees everything the source allocated
 *
 * None of them may block.  A source writes samples into the model with
 * model_record()/model_record_counter() and its health into the
 * source_health records it got from fleet_add_source(); it never touches
 * the terminal.  Times are monotonic seconds (see clock_now()).
 *
 * Ownership: source_set_add() takes ownership of a source; source_set_free()
 * stops and frees every source it holds.
 */
#ifndef PERWATT_SOURCE_H
#define PERWATT_SOURCE_H

#include <poll.h>
#include <stddef.h>

#include "core/fleetcfg.h"
#include "core/model.h"

struct source;

struct source_ops {
	const char *kind;
	int (*start)(struct source *s, double now);          /* 0, or -1 (health says why) */
	int (*fds)(struct source *s, struct pollfd *fds, int max);
	void (*ready)(struct source *s, const struct pollfd *fds, int nfds, double now);
	double (*tick)(struct source *s, double now);        /* next deadline */
	void (*stop)(struct source *s);
};

struct source {
	const struct source_ops *ops;
	struct model *model;
	void *priv;
};

struct source_set {
	struct source **src;
	size_t n;
	/* slices of the pollfd array handed out in the last source_set_fds() */
	int *fd_first, *fd_count;
};

void source_set_init(struct source_set *set);
int source_set_add(struct source_set *set, struct source *s);   /* -1: out of memory (s freed) */
int source_set_start(struct source_set *set, double now);       /* number that failed */
int source_set_fds(struct source_set *set, struct pollfd *fds, int max);
void source_set_ready(struct source_set *set, const struct pollfd *fds, int nfds, double now);
double source_set_tick(struct source_set *set, double now);     /* earliest next deadline */
void source_set_free(struct source_set *set);

/* The fleet `f->name` in the model, created when missing, with what the
 * config sets: type, unit, instance count, a price (which then wins over the
 * tables: provenance measured, source "config") and the baseline mark.  NULL
 * when out of memory. */
struct fleet *source_fleet(struct model *m, const struct fleet_cfg *f);

/* For sources that only tick (no descriptors, nothing to do at start):
 * use these as their start, fds and ready operations. */
int source_start_nothing(struct source *s, double now);
int source_no_fds(struct source *s, struct pollfd *fds, int max);
void source_no_ready(struct source *s, const struct pollfd *fds, int nfds, double now);

/* Monotonic clock in seconds. */
double clock_now(void);
/* Wall clock (Unix time) in seconds: for timestamps other machines share
 * (CloudWatch periods, credential expiry, PromQL times), never for delays. */
double clock_wall(void);

#endif
