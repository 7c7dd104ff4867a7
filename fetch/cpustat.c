/*
 * cpustat.c - CPU utilization from /proc/stat (cpustat.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rate.h"
#include "fetch/cpustat.h"
#include "fetch/sysfs.h"

#define PROC_STAT "/proc/stat"
/* The "cpu" line comes first; the file can be long (one line per CPU, the
 * interrupt counts), and only that line is read. */
#define HEAD_MAX 1024

struct ticks {
	uint64_t total, idle;   /* idle includes iowait */
};

/* Reads and parses the first line: 0, -errno, or -EINVAL when it is not a
 * "cpu " line with at least user, nice, system and idle. */
static int read_ticks(const char *root, struct ticks *t)
{
	char buf[HEAD_MAX];
	ssize_t r = sysfs_read(root, PROC_STAT, buf, sizeof buf);
	if (r < 0)
		return (int)r;
	if (strncmp(buf, "cpu ", 4) != 0)
		return -EINVAL;
	const char *p = buf + 4;
	uint64_t f[8] = { 0 };
	int n = 0;
	while (n < 8) {
		while (*p == ' ')
			p++;
		if (!isdigit((unsigned char)*p))
			break;
		char *end;
		errno = 0;
		uintmax_t v = strtoumax(p, &end, 10);
		if (errno)
			return -EINVAL;
		f[n++] = (uint64_t)v;
		p = end;
	}
	if (n < 4 || (*p != ' ' && *p != '\n' && *p != '\0'))
		return -EINVAL;
	t->total = 0;
	for (int i = 0; i < 8; i++)         /* user..steal; guest is inside user */
		t->total += f[i];
	t->idle = f[3] + f[4];              /* idle + iowait */
	return 0;
}

int cpustat_probe(const char *root, struct lb_probe *p)
{
	struct ticks t;
	int e = read_ticks(root ? root : "", &t);
	if (p) {
		p->found = e == 0;
		if (e == 0)
			snprintf(p->what, sizeof p->what, "CPU utilization: " PROC_STAT);
		else if (e == -EINVAL)
			snprintf(p->what, sizeof p->what, PROC_STAT ": no \"cpu\" line as expected");
		else
			snprintf(p->what, sizeof p->what, PROC_STAT ": %s", strerror(-e));
	}
	return e == 0;
}

/* ---- the source ----------------------------------------------------------- */

struct cpustat {
	struct source src;
	struct localbox *box;
	struct source_health *health;
	char *root;
	double interval, next;
	bool have;
	struct ticks last;
	double last_t;
};

static int cpustat_start(struct source *s, double now)
{
	struct cpustat *c = s->priv;
	c->next = now;
	return 0;
}

static double cpustat_tick(struct source *s, double now)
{
	struct cpustat *c = s->priv;
	if (now < c->next)
		return c->next;
	double t0 = clock_now();
	struct ticks t;
	int e = read_ticks(c->root, &t);
	if (e < 0) {
		c->have = false;
		health_set_error(c->health, HEALTH_FAILING, PROC_STAT ": %s",
		                 e == -EINVAL ? "no \"cpu\" line as expected" : strerror(-e));
	} else {
		health_set_ok(c->health, now, (clock_now() - t0) * 1e3);
		if (!c->have || now < c->last_t || t.total < c->last.total || t.idle < c->last.idle) {
			/* first read, or the counters went back (never on Linux, but a
			 * fake tree or a checkpointed VM may): start over */
			c->have = true;
			c->last = t;
			c->last_t = now;
		} else if (now - c->last_t >= RATE_MIN_DT && t.total > c->last.total) {
			uint64_t dtotal = t.total - c->last.total;
			uint64_t didle = t.idle - c->last.idle;
			double busy = didle >= dtotal ? 0 : 100.0 * (double)(dtotal - didle) / (double)dtotal;
			localbox_put(c->box, "cpu", LB_CPU, MET_UTIL, now, busy, PROV_MEASURED);
			c->last = t;
			c->last_t = now;
		}
		/* else too soon, or no tick counted: keep the older reading */
	}
	return localbox_part_next(&c->next, c->interval, now);
}

static void cpustat_stop(struct source *s)
{
	if (!s)
		return;
	struct cpustat *c = s->priv;
	free(c->root);
	free(c);
}

static const struct source_ops cpustat_ops = {
	.kind = "cpustat", .start = cpustat_start, .fds = NULL, .ready = NULL, .tick = cpustat_tick,
	.stop = cpustat_stop,
};

struct source *cpustat_source_new(struct model *m, struct localbox *b, const char *root,
                                  double interval, char *err, size_t errlen)
{
	if (!localbox_part_args("cpustat", m, b, &interval, err, errlen))
		return NULL;
	struct lb_probe p;
	if (!cpustat_probe(root, &p)) {
		if (errlen)
			snprintf(err, errlen, "%s", p.what);
		return NULL;
	}
	struct cpustat *c = calloc(1, sizeof *c);
	if (!c || !(c->root = strdup(root ? root : "")) ||
	    !(c->health = fleet_add_source(localbox_fleet(b), "cpustat", PROC_STAT))) {
		if (errlen)
			snprintf(err, errlen, "cpustat: out of memory");
		if (c)
			free(c->root);
		free(c);
		return NULL;
	}
	c->box = b;
	c->interval = interval;
	c->next = -INFINITY;
	c->src.ops = &cpustat_ops;
	c->src.model = m;
	c->src.priv = c;
	return &c->src;
}
