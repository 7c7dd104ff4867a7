/* source.c - a set of sources driven together by the event loop. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fetch/source.h"

double clock_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double clock_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void source_set_init(struct source_set *set)
{
	set->src = NULL;
	set->n = 0;
	set->fd_first = set->fd_count = NULL;
}

int source_set_add(struct source_set *set, struct source *s)
{
	struct source **grown = realloc(set->src, (set->n + 1) * sizeof *grown);
	int *first = realloc(set->fd_first, (set->n + 1) * sizeof *first);
	if (first)
		set->fd_first = first;
	int *count = first ? realloc(set->fd_count, (set->n + 1) * sizeof *count) : NULL;
	if (count)
		set->fd_count = count;
	if (grown)
		set->src = grown;
	if (!grown || !first || !count) {
		s->ops->stop(s);
		return -1;
	}
	set->fd_first[set->n] = set->fd_count[set->n] = 0;
	set->src[set->n++] = s;
	return 0;
}

int source_set_start(struct source_set *set, double now)
{
	int failed = 0;
	for (size_t i = 0; i < set->n; i++)
		if (set->src[i]->ops->start(set->src[i], now) < 0)
			failed++;
	return failed;
}

int source_set_fds(struct source_set *set, struct pollfd *fds, int max)
{
	int used = 0;
	for (size_t i = 0; i < set->n; i++) {
		struct source *s = set->src[i];
		int k = s->ops->fds ? s->ops->fds(s, fds + used, max - used) : 0;
		if (k < 0)
			k = 0;
		set->fd_first[i] = used;
		set->fd_count[i] = k;
		used += k;
	}
	return used;
}

void source_set_ready(struct source_set *set, const struct pollfd *fds, int nfds, double now)
{
	for (size_t i = 0; i < set->n; i++) {
		struct source *s = set->src[i];
		int first = set->fd_first[i], count = set->fd_count[i];
		if (count == 0 || !s->ops->ready || first + count > nfds)
			continue;
		for (int k = first; k < first + count; k++)
			if (fds[k].revents) {
				s->ops->ready(s, fds + first, count, now);
				break;
			}
	}
}

double source_set_tick(struct source_set *set, double now)
{
	double next = INFINITY;
	for (size_t i = 0; i < set->n; i++) {
		struct source *s = set->src[i];
		double d = s->ops->tick ? s->ops->tick(s, now) : INFINITY;
		if (d < next)
			next = d;
	}
	return next;
}

void source_set_free(struct source_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		set->src[i]->ops->stop(set->src[i]);
	free(set->src);
	free(set->fd_first);
	free(set->fd_count);
	source_set_init(set);
}

int source_start_nothing(struct source *s, double now)
{
	(void)s;
	(void)now;
	return 0;
}

int source_no_fds(struct source *s, struct pollfd *fds, int max)
{
	(void)s;
	(void)fds;
	(void)max;
	return 0;
}

void source_no_ready(struct source *s, const struct pollfd *fds, int nfds, double now)
{
	(void)s;
	(void)fds;
	(void)nfds;
	(void)now;
}

struct fleet *source_fleet(struct model *m, const struct fleet_cfg *f)
{
	struct fleet *fl = model_fleet(m, f->name);
	if (!fl && !(fl = model_add_fleet(m, f->name)))
		return NULL;
	if ((f->instance_type && fleet_set_str(&fl->instance_type, f->instance_type) < 0) ||
	    (f->unit && fleet_set_str(&fl->unit, f->unit) < 0))
		return NULL;
	if (f->instances)
		fl->count = f->instances;
	if (isfinite(f->usd_per_hour) && f->usd_per_hour >= 0) {
		fl->usd_per_hour = f->usd_per_hour;
		fl->price_prov = PROV_MEASURED;     /* given, not estimated */
		fl->price_from_table = false;
		snprintf(fl->price_source, sizeof fl->price_source, "config");
	}
	if (f->baseline)
		fl->baseline = true;
	return fl;
}
