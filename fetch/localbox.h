/*
 * localbox.h - one machine made of parts: the local sources (RAPL, hwmon,
 * nvidia-smi, neuron-monitor, CPU utilization, a followed benchmark) each
 * report a component's figure here, and the box records the machine's
 * figures into one instance of its fleet once a second.
 *
 * Why not let each source record into the instance: a machine's power is
 * the sum of its parts (CPU packages + DRAM + GPUs + Neuron devices), its
 * utilization is its accelerators' when it has any, and two parts may
 * measure the same thing.  The rules, per second, over the components
 * that reported within LOCALBOX_FRESH seconds:
 *
 *   power        a whole-system meter (LB_SYSTEM: an ACPI power meter)
 *                when there is one; else the sum of every other kind.  The
 *                provenance is the least measured of those summed.
 *   utilization  the mean of the accelerators (LB_GPU, LB_ACCEL) when any
 *                report it; else the CPU's (LB_CPU).
 *   throughput   the benchmark's own figure (LB_BENCH: --follow) when the
 *                machine has one, declared or reporting; else the sum of the
 *                others (neuron-monitor's completed executions).
 *
 * A part that stops reporting drops out after LOCALBOX_FRESH seconds; the
 * instance goes stale when none is left.  Components are also listed for
 * the health line and the report (localbox_describe).
 *
 * Ownership: localbox_new() makes the box and its source; the caller adds
 * the parts' sources to the set first and localbox_source() after them (so
 * that a second's readings are in before the box sums them), and the set
 * frees the box with its source.  Parts keep the box pointer: they must be
 * stopped before it, which the set's order guarantees.
 */
#ifndef PERWATT_LOCALBOX_H
#define PERWATT_LOCALBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "core/model.h"
#include "core/tables.h"
#include "fetch/source.h"

#define LOCALBOX_FRESH 5.0          /* s a component's reading counts */
#define LOCALBOX_MAX_PARTS 64

enum lb_kind {
	LB_SYSTEM,      /* the whole machine (ACPI power meter) */
	LB_CPU,         /* CPU packages (RAPL package, CPU hwmon); CPU utilization */
	LB_DRAM,        /* memory (RAPL dram) */
	LB_GPU,         /* a GPU (nvidia-smi, amdgpu hwmon) */
	LB_ACCEL,       /* an AWS Neuron device */
	LB_BENCH,       /* the benchmark itself (--follow) */
	LB_OTHER,       /* any other sensor that adds to the machine's power */
};
const char *lb_kind_name(enum lb_kind k);   /* "system", "cpu", ... */

struct localbox;

/* What a local source's probe found, for the health line and local mode's
 * list of sensors: `found` when the source can work; `what` says what it
 * found ("RAPL: package-0, dram") or why not ("no powercap zones under
 * /sys/class/powercap", "energy_uj is readable by root only (Linux >= 5.10):
 * run as root or ...").  Probes never block for long (no child is run). */
struct lb_probe {
	bool found;
	bool no_watts;      /* found, but it can report no power (Neuron devices
	                     * without a power file; neuron_max_w not set) */
	char what[200];
};

/* A box recording into fleet `f`'s instance `instance_id` (created now).
 * NULL when out of memory. */
struct localbox *localbox_new(struct model *m, struct fleet *f, const char *instance_id);
/* The box's source, kind "local"; the set owns it (and the box) once added. */
struct source *localbox_source(struct localbox *b);
/* Frees a box whose source was never added to a set. */
void localbox_free(struct localbox *b);

/* A part's reading: component "rapl:package-0", "gpu0", "neuron0"...
 * (kept, cut to 47 bytes).  Non-finite values are ignored.  Returns 0, or
 * -1 when the box already holds LOCALBOX_MAX_PARTS components. */
int localbox_put(struct localbox *b, const char *component, enum lb_kind kind, enum metric k,
                 double t, double v, enum provenance p);

/* Registers a component before its first reading, so that its kind's
 * precedence holds from the start: with an LB_BENCH part declared, the
 * machine's throughput is the benchmark's only (never another part's while
 * the benchmark has not printed yet).  0, or -1 when the box is full. */
int localbox_declare(struct localbox *b, const char *component, enum lb_kind kind);

/* "power: package-0 41.2 W + dram 5.1 W + gpu0 301 W" style summary of the
 * fresh components at `now` into buf; returns buf. */
const char *localbox_describe(const struct localbox *b, double now, char *buf, size_t n);

/* What local mode looked for on the machine, for the fleet's note (one
 * line on screen and in reports):
 *   "sensors: rapl, cpu (CLAUSE); not found: WHY; WHY"   or
 *   "no sensor found: WHY; WHY"                          or  "" (none looked for)
 * where CLAUSE says how power is had when no sensor found measures it:
 * estimated from utilization with the type's power model, unknown for want
 * of one in data/power.csv, or unknown for want of the type (why:
 * no_type_why, then "give --type TYPE").  It also says where a learned type
 * came from. */
#define LB_MAX_SENSORS 8
struct lb_sensor {
	char name[16];              /* "rapl", "nvidia-smi"... */
	bool found;
	bool power;                 /* found, and it measures power */
	char why[200];              /* not found: why (lb_probe.what) */
};
struct lb_inventory {
	struct lb_sensor s[LB_MAX_SENSORS];
	size_t n;
	const char *no_type_why;    /* ", and IMDS did not say..." or "" (static) */
	const char *hint;           /* after "no sensor found: ..." when no benchmark
	                             * is followed either, or NULL (static) */
	const struct tables *tables;    /* for the power model; may be NULL */
};
/* Keeps the inventory (tables by pointer) and writes the fleet's note. */
void localbox_inventory(struct localbox *b, const struct lb_inventory *inv);
/* A sensor of the inventory found after all (or still not, with a new
 * reason): the note is written again.  Unknown names are ignored. */
void localbox_sensor(struct localbox *b, const char *name, bool found, bool power, const char *why);

/* The machine's instance type, as a part learned it (`from`: neuron-monitor's
 * instance_info): set on the fleet when it has none (fleet_learn_type), and
 * the note written again to say so.  Returns what fleet_learn_type does. */
int localbox_learn_type(struct localbox *b, const char *type, const char *from);

/* The fleet and instance it records into. */
struct fleet *localbox_fleet(const struct localbox *b);
struct instance *localbox_instance(const struct localbox *b);

/* ---- for the polled sensor parts (rapl, hwmon, cpustat) ------------------ */

/* A part's constructor arguments, checked, and its poll interval settled:
 * 0 means 1 s, and less than RATE_MIN_DT is raised to it (faster polls could
 * never give a rate).  false, with "KIND: no model or box" or "KIND: bad poll
 * interval" in err, when they will not do. */
bool localbox_part_args(const char *kind, const struct model *m, const struct localbox *b,
                        double *interval, char *err, size_t errlen);

/* The poll after the one due at *next, `interval` apart; polls missed (a
 * stalled loop) are skipped, not made up.  Sets *next and returns it. */
double localbox_part_next(double *next, double interval, double now);

/* A poll's health, the poll begun at clock_now() `t0`: failing with `note`
 * (`none_read` when note is "") when nothing could be read; else ok, with
 * `note`, when there is one, as a warning. */
void localbox_part_health(struct source_health *h, size_t read_ok, const char *note,
                          const char *none_read, double now, double t0);

#endif
