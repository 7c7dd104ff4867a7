/*
 * nvsmi.h - NVIDIA GPUs through nvidia-smi, run as a child on the event loop
 * (fetch/child.h), each GPU reported into a machine's box (fetch/localbox.h).
 *
 * The command run (through /bin/sh -c, stderr with stdout) is
 *
 *   CMD --query-gpu=NVSMI_QUERY --format=csv,noheader,nounits -lms N
 *
 * with N the interval in milliseconds.  Only fields every driver the
 * reference and the captures show knows are asked for: an unknown field
 * (power.draw.average on an older driver) makes nvidia-smi refuse the whole
 * query.  power.draw is "the average over 1 s" on Ampere and newer.
 *
 * Each line is one GPU at one moment (a burst of lines, one per GPU, per
 * interval).  Per GPU the box gets component "gpu<index>" (LB_GPU):
 * MET_POWER (W) and MET_UTIL (%), PROV_MEASURED, stamped with the line's
 * arrival.  A field that is empty or bracketed ("[N/A]", "[Not Supported]",
 * "[Unknown Error]"...) is left out for that GPU, never taken as zero; an
 * absurd figure (negative, power above NVSMI_MAX_W, utilization above 100)
 * is left out with a note.  A line that is not the expected CSV (the
 * driver's "NVIDIA-SMI has failed because ...", "No devices were found")
 * is shown on the health line, sanitized.
 *
 * Health: one record, kind "nvidia-smi", in the box's fleet.  Its target is
 * CMD until the first sample, then once a second a summary of the GPUs
 * reporting, "2x NVIDIA H200: 301 W + 298 W" (cut to fit), or
 * "2x NVIDIA H200 (nvidia-smi)" while none is.  Status:
 *   ok       GPUs report (latency_ms -1); error holds a note where there is
 *            one: "power.draw is [N/A] on this GPU/driver (...)" when no GPU
 *            has a power figure, an ignored absurd value, a stray line;
 *   failing  nvidia-smi is not there ("nvidia-smi not found or not
 *            executable"), ended ("nvidia-smi exited with status 9;
 *            restarting in 2 s: NVIDIA-SMI has failed ..."), was killed
 *            for printing nothing for max(5 s, 5 intervals), or prints
 *            only lines that are not samples;
 *   stale    started, nothing read yet.
 * The child is restarted with child.c's backoff.
 *
 * Ownership: nvsmi_source_new() returns a source the caller adds to a set
 * before localbox_source(b) (localbox.h); the set stops and frees it.
 */
#ifndef PERWATT_NVSMI_H
#define PERWATT_NVSMI_H

#include <stddef.h>

#include "core/model.h"
#include "fetch/child.h"
#include "fetch/localbox.h"
#include "fetch/source.h"

#define NVSMI_QUERY "index,name,uuid,power.draw,power.limit,utilization.gpu,memory.used,memory.total"
#define NVSMI_FIELDS 8
#define NVSMI_MAX_W 5000.0          /* W per GPU above which a reading is absurd */
#define NVSMI_MAX_GPUS 64

/* One line of output: one GPU at one moment.  Figures are NAN when the
 * field was missing ([N/A]...), not a number, or absurd. */
struct nvsmi_sample {
	int index;
	char name[96];              /* as printed, control characters replaced */
	char uuid[64];
	double power_w;             /* power.draw */
	double power_limit_w;       /* power.limit */
	double util_pct;            /* utilization.gpu */
	double mem_used_mib, mem_total_mib;
};

/*
 * Parses one line of the query above (without its newline).  0: a sample
 * (err is "" or a note about a figure left out: "gpu0: power.draw 9999 W
 * is out of range: ignored"); -1: not a sample (err holds the line itself,
 * sanitized and trimmed, e.g. the driver's error message; "" for a blank
 * line).  A name holding commas is put back together.  n may be 0.
 */
int nvsmi_parse_line(const char *line, struct nvsmi_sample *out, char *err, size_t n);

/*
 * Whether the command can be run, without running anything: the first word
 * of cmd (NULL: "nvidia-smi") looked up on PATH unless it holds a '/', and
 * checked to be an executable file.  p->what: "nvidia-smi at
 * /usr/bin/nvidia-smi" or "nvidia-smi not found on PATH".  Returns p->found.
 */
int nvsmi_probe(const char *cmd, struct lb_probe *p);

/*
 * The source: runs cmd (NULL: "nvidia-smi"; a shell command line, used as
 * is) with the query above every `interval` seconds (0: 1 s; at least
 * 0.1 s) and reports into box b, whose fleet gets the health record.  An
 * interval longer than about LOCALBOX_FRESH - 1 s lets the box drop the
 * GPUs between samples.
 * NULL with err set when out of memory or the arguments are wrong.
 */
struct source *nvsmi_source_new(struct model *m, struct localbox *b, const char *cmd, double interval,
                                char *err, size_t errlen);

/* The GPUs' model as last seen ("NVIDIA H200"; differing models joined with
 * " + "), NULL before any GPU reported.  Valid until the next tick. */
const char *nvsmi_gpu_model(const struct source *s);
/* How many GPUs were last seen reporting (0 before any did). */
size_t nvsmi_gpu_count(const struct source *s);
/* The child running nvidia-smi (for child_starts(), child_pid()). */
const struct child *nvsmi_child(const struct source *s);

#endif
