/*
 * local.h - this machine as a fleet: its power sensors, accelerators and
 * the benchmark it runs, assembled from the local sources around one
 * localbox (fetch/localbox.h), and a projected fleet of another instance
 * type beside it (--compare).
 *
 * A local fleet (fleet_cfg source = local) uses the sensors it names (NULL:
 * every one), each probed first: RAPL (fetch/rapl.h), hwmon
 * (fetch/hwmon.h), CPU utilization (fetch/cpustat.h), nvidia-smi
 * (fetch/nvsmi.h), neuron-monitor (fetch/neuron.h); those found become
 * sources, and the fleet's note says what was found and what was not, and
 * why ("RAPL: energy_uj is readable by root only ...").  A followed
 * benchmark (fetch/follow.h) adds the throughput.  With no power sensor,
 * the fleet's power is estimated from CPU or accelerator utilization by the
 * power model of its instance type (core/model.c), marked estimated.
 *
 * Paths under /sys and /proc are read under `root` ("" for the real
 * system; tests point PERWATT_SYSFS_ROOT at a fake tree).
 */
#ifndef PERWATT_LOCAL_H
#define PERWATT_LOCAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/fleetcfg.h"
#include "core/model.h"
#include "core/tables.h"
#include "fetch/source.h"

#define LOCAL_SENSORS "rapl,hwmon,cpu,nvidia-smi,neuron"
#define LOCAL_REPROBE 30.0      /* s between probes of a sensor not found */

/* Adds the fleet (or reuses it) with its settings and its local sources to
 * the set, the box last, and sets the fleet's note (localbox_inventory; the
 * tables t, which may be NULL, say whether power can be estimated; `hint`,
 * which may be NULL, follows "no sensor found: ..." while that is so and no
 * benchmark is followed).  A
 * sensor not found is probed again every LOCAL_REPROBE seconds and started
 * when it appears (a source of kind "local-probe" stands in for it).
 * *sensors_found (may be NULL) gets the number of sensors found (power,
 * utilization or accelerator; the followed benchmark does not count).  0,
 * or -1 with a message in err (out of memory, a bad regex). */
int local_fleet_add(struct model *m, struct source_set *set, const struct fleet_cfg *f,
                    const char *root, const struct tables *t, const char *hint,
                    size_t *sensors_found, char *err, size_t errlen);

/* This machine's name for the instance: the host name, else "this machine". */
void local_hostname(char *buf, size_t n);

/* Whether the DMI data under root say this is an EC2 instance (so that
 * asking the instance metadata service is worth its timeout). */
bool local_on_ec2(const char *root);

/* Whether the instance metadata service may be asked: on EC2 (above) and
 * not turned off with AWS_EC2_METADATA_DISABLED=true, as the AWS SDKs do. */
bool local_imds_allowed(const char *root);

/* This instance's type from the EC2 instance metadata service (IMDSv2,
 * through fetch/awscreds.c), waiting at most `timeout` seconds; 0 with the
 * type in buf, or -1.  Call it only when local_imds_allowed() says so. */
int local_imds_type(char *buf, size_t n, double timeout);

/* A projected fleet `to` beside the measured `from`: each second, `to`'s
 * one instance gets `from`'s throughput per instance times `ratio` and its
 * utilization (the same load), both marked estimated; its power then comes
 * from `to`'s power model.  `to` is marked projected; its health record
 * (kind "projected") has `why` as its target ("6.30x this machine's
 * throughput per instance: aws-ml-blog-2023").  NULL when out of memory. */
struct source *projected_source_new(struct model *m, struct fleet *from, struct fleet *to, double ratio,
                                    const char *why);

#endif
