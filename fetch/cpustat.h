/*
 * cpustat.h - the machine's CPU utilization from ROOT/proc/stat.
 *
 * The first line, "cpu  user nice system idle iowait irq softirq steal
 * guest guest_nice", counts every CPU's time in ticks.  Between two reads
 * at least RATE_MIN_DT apart,
 *
 *     busy% = 100 * (dtotal - didle - diowait) / dtotal
 *
 * where total is user..steal (guest and guest_nice are already inside user
 * and nice).  It is reported to the box as component "cpu", LB_CPU,
 * MET_UTIL, PROV_MEASURED: on a machine with no power sensor (a VM, a
 * Graviton instance) the fleet's power model turns it into estimated watts
 * (core/model.c, data/power.csv).
 */
#ifndef PERWATT_CPUSTAT_H
#define PERWATT_CPUSTAT_H

#include <stddef.h>

#include "core/model.h"
#include "fetch/localbox.h"
#include "fetch/source.h"

/* Whether ROOT/proc/stat can be read and parsed: 1 (p->found), or 0 with
 * p->what saying why (p may be NULL). */
int cpustat_probe(const char *root, struct lb_probe *p);

/* A source polling every `interval` seconds (0: 1 s) and reporting into
 * box b; registers a "cpustat" health record on the box's fleet.  NULL
 * when /proc/stat cannot be read (err says why) or out of memory.  The
 * caller owns the source until source_set_add(); its stop() frees it. */
struct source *cpustat_source_new(struct model *m, struct localbox *b, const char *root,
                                  double interval, char *err, size_t errlen);

#endif
