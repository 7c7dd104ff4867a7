/*
 * hwmon.h - power from the kernel's hwmon sensors: an ACPI power meter
 * (the whole machine), amdgpu boards, CPU energy drivers, anything else
 * that exposes power or energy.
 *
 * Reads every ROOT/sys/class/hwmon/hwmonK (or its device/ folder, where old
 * drivers keep their attributes): `name`, and per channel N
 *
 *   powerN_average, powerN_input   microwatt gauges (average preferred)
 *   energyN_input                  a microjoule counter, used for a channel
 *                                  with no power gauge; going backwards is
 *                                  a reset (there is no wrap point), via
 *                                  core/rate.h
 *   powerN_label, energyN_label    the channel's name, for the probe
 *
 * Each channel is reported to the box as "hwmon:NAME:powerN" (or
 * "...:energyN"; a second device of the same name is "NAME.1"), MET_POWER,
 * PROV_MEASURED, of kind
 *
 *   power_meter                          LB_SYSTEM (the box then shows it,
 *                                        not the sum of the parts)
 *   amdgpu, i915, xe, nouveau            LB_GPU
 *   amd_energy, zenpower, zenergy,
 *   k10temp, fam15h_power, coretemp      LB_CPU
 *   anything else                        LB_OTHER
 *
 * CPU channels are left out whenever rapl_probe() finds readable RAPL zones
 * under the same root: both count the same package joules, and RAPL has
 * DRAM too.  amd_energy reports every core and every socket; when it has
 * "Esocket" channels only those are counted (the cores are inside them).
 *
 * A reading below zero or above HWMON_MAX_W is ignored with a health note;
 * a sensor that cannot be read is noted and retried on every poll.
 */
#ifndef PERWATT_HWMON_H
#define PERWATT_HWMON_H

#include <stddef.h>

#include "core/model.h"
#include "fetch/localbox.h"
#include "fetch/source.h"

#define HWMON_MAX_SENSORS 32
#define HWMON_MAX_W       100000.0  /* 100 kW: more is a broken sensor */

/* What power channels ROOT's hwmon devices have: the number that would be
 * reported and can be read now, and p filled in (p may be NULL). */
int hwmon_probe(const char *root, struct lb_probe *p);

/* A source polling every `interval` seconds (0: 1 s) and reporting into
 * box b; registers a "hwmon" health record on the box's fleet.  NULL when
 * no channel can be read (err says why) or out of memory.  The caller owns
 * the source until source_set_add(); its stop() frees it. */
struct source *hwmon_source_new(struct model *m, struct localbox *b, const char *root,
                                double interval, char *err, size_t errlen);

#endif
