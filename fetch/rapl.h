/*
 * rapl.h - CPU package and DRAM power from the kernel's powercap RAPL
 * counters (Intel, and AMD Zen through the same driver).
 *
 * Reads ROOT/sys/class/powercap/: zones "intel-rapl:N" (a package, or on
 * some servers a top-level "dram") and their subzones "intel-rapl:N:M"
 * (name "dram", "core", "uncore").  Only packages and DRAM are counted:
 * core and uncore are parts of their package, and "psys" (the platform
 * domain of client chips) includes the package, so counting any of them
 * would count the same joules twice.  A kernel that names the zones
 * "amd-rapl:N" or "amd_energy:N" is read the same way; when several
 * families are present the first of intel-rapl, amd-rapl, amd_energy with
 * a package zone is used ("intel-rapl-mmio" duplicates intel-rapl and is
 * never read).
 *
 * Each zone's energy_uj is a microjoule counter that wraps at
 * max_energy_range_uj: a reading lower than the last one by no more than
 * the range is a wrap (range + 1 is added); anything else (or a wrap that
 * would mean more than RAPL_MAX_W) is a reset, and that interval gives no
 * reading.  Watts come from core/rate.h over the read times, so two reads
 * closer than RATE_MIN_DT give nothing rather than a spike.  Each package
 * is reported to the box as "rapl:package-K" (LB_CPU), each DRAM domain as
 * "rapl:dram-K" (LB_DRAM), MET_POWER, PROV_MEASURED.
 *
 * Since Linux 5.10 energy_uj is mode 0400 (CVE-2020-8694, PLATYPUS): the
 * probe and the health record say so, and how to fix it, rather than show
 * a zero.  A zone that disappears or cannot be read is noted in the health
 * record and retried on every poll.
 */
#ifndef PERWATT_RAPL_H
#define PERWATT_RAPL_H

#include <stddef.h>

#include "core/model.h"
#include "fetch/localbox.h"
#include "fetch/source.h"

#define RAPL_MAX_ZONES 32
#define RAPL_MAX_W     5000.0    /* more than this from one zone is a reset, not power */

/* What RAPL zones ROOT holds: the number whose energy_uj can be read now
 * (packages and DRAM only), and p filled in (p may be NULL). */
int rapl_probe(const char *root, struct lb_probe *p);

/* A source polling every `interval` seconds (0: 1 s) and reporting into
 * box b; registers a "rapl" health record on the box's fleet.  NULL when
 * no zone can be read (err says why, as the probe would) or out of memory.
 * The caller owns the source until source_set_add(); its stop() frees it. */
struct source *rapl_source_new(struct model *m, struct localbox *b, const char *root,
                               double interval, char *err, size_t errlen);

#endif
