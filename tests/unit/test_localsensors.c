/*
 * Tests of the local sensor sources (rapl, hwmon, cpustat) over fake
 * sysfs/procfs trees built in a temporary directory.  Each source is driven
 * by calling its start()/tick() with chosen times, into a real localbox,
 * and what the box records (its instance's series) or describes is checked.
 *
 * Permissions: these tests often run as root, who can read a mode 0000
 * file.  The "root only" paths are then exercised through sysfs's test
 * hook (an injected EACCES on open), and additionally through a real
 * chmod 000 when not root.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/model.h"
#include "fetch/cpustat.h"
#include "fetch/hwmon.h"
#include "fetch/local.h"
#include "fetch/localbox.h"
#include "fetch/rapl.h"
#include "fetch/sysfs.h"

/* ---- fixture: a temporary root, a model, a box ----------------------------- */

struct fx {
	char root[256];
	struct model *m;
	struct fleet *f;
	struct localbox *b;
	struct source *src[3];
	size_t nsrc;
};

static const char *fault_match;   /* paths containing this fail with EACCES */

static int fault_eacces(const char *path)
{
	return fault_match && strstr(path, fault_match) && strstr(path, "energy_uj") ? EACCES : 0;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	assert_non_null(x);
	snprintf(x->root, sizeof x->root, "/tmp/perwatt-sensors-XXXXXX");
	assert_non_null(mkdtemp(x->root));
	assert_non_null(x->m = model_new());
	assert_non_null(x->f = model_add_fleet(x->m, "local"));
	assert_non_null(x->b = localbox_new(x->m, x->f, "this-machine"));
	*state = x;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int teardown(void **state)
{
	struct fx *x = *state;
	sysfs_fault_hook = NULL;
	fault_match = NULL;
	for (size_t i = 0; i < x->nsrc; i++)
		x->src[i]->ops->stop(x->src[i]);
	localbox_free(x->b);
	model_free(x->m);
	rm_tree(x->root);
	free(x);
	return 0;
}

static void mkdirs(const char *path)
{
	char p[512];
	snprintf(p, sizeof p, "%s", path);
	for (char *c = p + 1; *c; c++)
		if (*c == '/') {
			*c = '\0';
			mkdir(p, 0755);
			*c = '/';
		}
	mkdir(p, 0755);
}

/* Writes root/rel (making its folders) with printf-style content. */
__attribute__((format(printf, 3, 4)))
static void put(const struct fx *x, const char *rel, const char *fmt, ...)
{
	char path[512], dir[512], body[4096];
	snprintf(path, sizeof path, "%s/%s", x->root, rel);
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
	close(fd);
}

static void del(const struct fx *x, const char *rel)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", x->root, rel);
	rm_tree(path);
}

/* A powercap zone: name, counter and wrap point (range 0: no range file). */
static void zone(const struct fx *x, const char *dir, const char *name, uint64_t uj, uint64_t range)
{
	char rel[256];
	snprintf(rel, sizeof rel, "sys/class/powercap/%s/name", dir);
	put(x, rel, "%s\n", name);
	snprintf(rel, sizeof rel, "sys/class/powercap/%s/energy_uj", dir);
	put(x, rel, "%llu\n", (unsigned long long)uj);
	if (range) {
		snprintf(rel, sizeof rel, "sys/class/powercap/%s/max_energy_range_uj", dir);
		put(x, rel, "%llu\n", (unsigned long long)range);
	}
}

static void energy(const struct fx *x, const char *dir, uint64_t uj)
{
	char rel[256];
	snprintf(rel, sizeof rel, "sys/class/powercap/%s/energy_uj", dir);
	put(x, rel, "%llu\n", (unsigned long long)uj);
}

static struct source *keep(struct fx *x, struct source *s)
{
	assert_non_null(s);
	x->src[x->nsrc++] = s;
	return s;
}

static void start_all(struct fx *x, double now)
{
	for (size_t i = 0; i < x->nsrc; i++)
		assert_int_equal(x->src[i]->ops->start(x->src[i], now), 0);
}

/* Ticks the sources, then the box, at `now`; the box's figure for k
 * recorded at `now`, or NAN when it recorded none. */
static double tick(struct fx *x, double now, enum metric k)
{
	for (size_t i = 0; i < x->nsrc; i++)
		x->src[i]->ops->tick(x->src[i], now);
	struct source *bs = localbox_source(x->b);
	bs->ops->tick(bs, now);
	const struct series *s = &localbox_instance(x->b)->m[k];
	return s->last_t == now ? s->last_v : NAN;
}

static const char *describe(struct fx *x, double now)
{
	static char buf[1024];
	return localbox_describe(x->b, now, buf, sizeof buf);
}

static struct source_health *health(struct fx *x, const char *kind)
{
	for (size_t i = 0; i < x->f->nhealth; i++)
		if (strcmp(x->f->health[i]->kind, kind) == 0)
			return x->f->health[i];
	fail_msg("no %s health record", kind);
	return NULL;
}

#define RANGE 262143328850ULL       /* a real max_energy_range_uj */

/* ---- RAPL ------------------------------------------------------------------- */

static void rapl_tree(struct fx *x)
{
	put(x, "sys/class/powercap/intel-rapl/enabled", "1\n");     /* the control type */
	zone(x, "intel-rapl:0", "package-0", 1000000000, RANGE);
	zone(x, "intel-rapl:0:0", "dram", 2000000000, RANGE);
	zone(x, "intel-rapl:0:1", "core", 3000000000, RANGE);
	zone(x, "intel-rapl:1", "package-1", 4000000000, RANGE);
	zone(x, "intel-rapl:1:0", "dram", 5000000000, RANGE);
	zone(x, "intel-rapl:1:1", "uncore", 6000000000, RANGE);
	zone(x, "intel-rapl:2", "psys", 7000000000, RANGE);
	zone(x, "intel-rapl-mmio:0", "package-0", 8000000000, RANGE);
}

static void rapl_packages_and_dram_not_core(void **state)
{
	struct fx *x = *state;
	rapl_tree(x);
	struct lb_probe p;
	assert_int_equal(rapl_probe(x->root, &p), 4);
	assert_true(p.found);
	assert_non_null(strstr(p.what, "package-0"));
	assert_non_null(strstr(p.what, "dram-1"));
	assert_null(strstr(p.what, "core"));
	assert_null(strstr(p.what, "psys"));

	char err[200];
	keep(x, rapl_source_new(x->m, x->b, x->root, 0, err, sizeof err));
	start_all(x, 100);
	assert_true(isnan(tick(x, 100, MET_POWER)));       /* the first read is a baseline */

	energy(x, "intel-rapl:0", 1000000000 + 40000000);        /* 40 W */
	energy(x, "intel-rapl:0:0", 2000000000 + 5000000);       /* 5 W */
	energy(x, "intel-rapl:0:1", 3000000000 + 900000000);     /* core: inside package-0 */
	energy(x, "intel-rapl:1", 4000000000 + 30000000);        /* 30 W */
	energy(x, "intel-rapl:1:0", 5000000000 + 3000000);       /* 3 W */
	energy(x, "intel-rapl:1:1", 6000000000 + 900000000);
	energy(x, "intel-rapl:2", 7000000000 + 900000000);
	energy(x, "intel-rapl-mmio:0", 8000000000 + 900000000);
	assert_float_equal(tick(x, 101, MET_POWER), 78.0, 1e-6);

	const char *d = describe(x, 101);
	assert_non_null(strstr(d, "rapl:package-0 40.0 W"));
	assert_non_null(strstr(d, "rapl:dram-0 5.00 W"));
	assert_non_null(strstr(d, "rapl:package-1 30.0 W"));
	assert_non_null(strstr(d, "rapl:dram-1 3.00 W"));
	assert_null(strstr(d, "core"));

	struct source_health *h = health(x, "rapl");
	assert_int_equal(h->status, HEALTH_OK);
	assert_string_equal(h->error, "");
	assert_string_equal(h->target, "/sys/class/powercap");   /* not the test's root */
}

static void rapl_wraparound(void **state)
{
	struct fx *x = *state;
	const uint64_t range = 1000000000;       /* 1 kJ, so that it wraps soon */
	zone(x, "intel-rapl:0", "package-0", 990000000, range);
	char err[200];
	keep(x, rapl_source_new(x->m, x->b, x->root, 1, err, sizeof err));
	start_all(x, 100);
	tick(x, 100, MET_POWER);
	energy(x, "intel-rapl:0", 999000000);    /* 9 W */
	assert_float_equal(tick(x, 101, MET_POWER), 9.0, 1e-6);
	/* 1 J to the wrap point, the counter passes 0 (one more uJ), then 4 J */
	energy(x, "intel-rapl:0", 4000000);
	assert_float_equal(tick(x, 102, MET_POWER), 5.000001, 1e-6);
	energy(x, "intel-rapl:0", 104000000);
	assert_float_equal(tick(x, 103, MET_POWER), 100.0, 1e-6);
	assert_int_equal(health(x, "rapl")->status, HEALTH_OK);
}

static void rapl_reset(void **state)
{
	struct fx *x = *state;
	zone(x, "intel-rapl:0", "package-0", 5000000000, RANGE);
	zone(x, "intel-rapl:1", "package-1", 7000000000, 0);      /* no range file */
	char err[200];
	keep(x, rapl_source_new(x->m, x->b, x->root, 1, err, sizeof err));
	start_all(x, 100);
	tick(x, 100, MET_POWER);
	energy(x, "intel-rapl:0", 5040000000);
	energy(x, "intel-rapl:1", 7010000000);
	assert_float_equal(tick(x, 101, MET_POWER), 50.0, 1e-6);
	/* both restart near zero: read as a wrap, package-0's would be
	 * ~257 kW; package-1 has no range to wrap at.  Neither may give a
	 * reading: the box keeps the last second's 50 W, fresh for a while. */
	energy(x, "intel-rapl:0", 1000000);
	energy(x, "intel-rapl:1", 2000000);
	double v = tick(x, 102, MET_POWER);
	assert_float_equal(v, 50.0, 1e-6);
	assert_non_null(strstr(health(x, "rapl")->error, "reset"));
	assert_int_equal(health(x, "rapl")->status, HEALTH_OK);
	/* and counting resumes from the new base */
	energy(x, "intel-rapl:0", 1000000 + 42000000);
	energy(x, "intel-rapl:1", 2000000 + 8000000);
	assert_float_equal(tick(x, 103, MET_POWER), 50.0, 1e-6);
	assert_non_null(strstr(describe(x, 103), "rapl:package-0 42.0 W"));
	assert_string_equal(health(x, "rapl")->error, "");
}

static void rapl_tiny_interval_gives_no_spike(void **state)
{
	struct fx *x = *state;
	zone(x, "intel-rapl:0", "package-0", 0, RANGE);
	char err[200];
	struct source *s = keep(x, rapl_source_new(x->m, x->b, x->root, 1, err, sizeof err));
	start_all(x, 100);
	tick(x, 100, MET_POWER);
	/* a late poll (next deadline 101.0), then the one right after it */
	energy(x, "intel-rapl:0", 78000000);
	assert_float_equal(tick(x, 101.95, MET_POWER), 40.0, 1e-6);
	assert_float_equal(s->ops->tick(s, 101.96), 102.0, 1e-9);   /* before its deadline: nothing */
	/* 10 J more in 50 ms (a coarse counter update): 200 W if taken as is */
	energy(x, "intel-rapl:0", 88000000);
	assert_float_equal(tick(x, 102.0, MET_POWER), 40.0, 1e-6);
	energy(x, "intel-rapl:0", 120000000);
	/* the rate spans 101.95 .. 103 */
	assert_float_equal(tick(x, 103.0, MET_POWER), 42000000 / 1.05 / 1e6, 1e-6);
}

static void rapl_root_only(void **state)
{
	struct fx *x = *state;
	zone(x, "intel-rapl:0", "package-0", 1000, RANGE);
	zone(x, "intel-rapl:0:0", "dram", 1000, RANGE);
	zone(x, "intel-rapl:1", "package-1", 1000, RANGE);
	if (geteuid() != 0) {
		/* the real thing: mode 0000 as the kernel's 0400 is to a user */
		char path[512];
		const char *z[] = { "intel-rapl:0", "intel-rapl:0:0", "intel-rapl:1" };
		for (int i = 0; i < 3; i++) {
			snprintf(path, sizeof path, "%s/sys/class/powercap/%s/energy_uj", x->root, z[i]);
			assert_int_equal(chmod(path, 0), 0);
		}
	} else {
		/* root reads a mode 0000 file: inject the EACCES instead */
		fault_match = "/intel-rapl:";
		sysfs_fault_hook = fault_eacces;
	}
	struct lb_probe p;
	assert_int_equal(rapl_probe(x->root, &p), 0);
	assert_false(p.found);
	assert_non_null(strstr(p.what, "3 zones"));
	assert_non_null(strstr(p.what, "root only"));
	assert_non_null(strstr(p.what, "CVE-2020-8694"));
	assert_non_null(strstr(p.what, "chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj"));
	assert_true(strlen(p.what) < sizeof p.what - 1);    /* not cut */

	char err[200] = "";
	assert_null(rapl_source_new(x->m, x->b, x->root, 1, err, sizeof err));
	assert_non_null(strstr(err, "root only"));
	assert_int_equal(x->f->nhealth, 0);        /* no record left behind */
}

static void rapl_permission_lost_while_running(void **state)
{
	struct fx *x = *state;
	zone(x, "intel-rapl:0", "package-0", 1000, RANGE);
	char err[200];
	keep(x, rapl_source_new(x->m, x->b, x->root, 1, err, sizeof err));
	start_all(x, 100);
	tick(x, 100, MET_POWER);
	fault_match = "/intel-rapl:0/";
	sysfs_fault_hook = fault_eacces;
	tick(x, 101, MET_POWER);
	struct source_health *h = health(x, "rapl");
	assert_int_equal(h->status, HEALTH_FAILING);
	assert_non_null(strstr(h->error, "root only"));
	assert_non_null(strstr(h->error, "sudo chmod"));
}

static void rapl_zone_removed_while_running(void **state)
{
	struct fx *x = *state;
	zone(x, "intel-rapl:0", "package-0", 0, RANGE);
	zone(x, "intel-rapl:1", "package-1", 0, RANGE);
	char err[200];
	keep(x, rapl_source_new(x->m, x->b, x->root, 1, err, sizeof err));
	start_all(x, 100);
	tick(x, 100, MET_POWER);
	energy(x, "intel-rapl:0", 40000000);
	energy(x, "intel-rapl:1", 30000000);
	assert_float_equal(tick(x, 101, MET_POWER), 70.0, 1e-6);

	del(x, "sys/class/powercap/intel-rapl:1");
	energy(x, "intel-rapl:0", 80000000);
	tick(x, 102, MET_POWER);
	struct source_health *h = health(x, "rapl");
	assert_int_equal(h->status, HEALTH_OK);             /* package-0 still reports */
	assert_non_null(strstr(h->error, "package-1"));
	assert_non_null(strstr(h->error, "gone"));
	assert_null(strstr(h->error, x->root));             /* ROOT-less paths only */
	/* once package-1's last reading is no longer fresh, only package-0 counts */
	double v = NAN;
	for (int t = 103; t <= 108; t++) {
		energy(x, "intel-rapl:0", 80000000 + (uint64_t)(t - 102) * 40000000);
		v = tick(x, t, MET_POWER);
	}
	assert_float_equal(v, 40.0, 1e-6);
	assert_null(strstr(describe(x, 108), "package-1"));

	/* it comes back: a new baseline, then readings again */
	zone(x, "intel-rapl:1", "package-1", 500000000, RANGE);
	energy(x, "intel-rapl:0", 80000000 + 7 * 40000000ULL);
	tick(x, 109, MET_POWER);
	energy(x, "intel-rapl:0", 80000000 + 8 * 40000000ULL);
	energy(x, "intel-rapl:1", 500000000 + 30000000);
	assert_float_equal(tick(x, 110, MET_POWER), 70.0, 1e-6);
	assert_string_equal(h->error, "");

	/* every zone gone: failing, and no crash */
	del(x, "sys/class/powercap");
	tick(x, 111, MET_POWER);
	assert_int_equal(h->status, HEALTH_FAILING);
	assert_non_null(strstr(h->error, "gone"));
}

static void rapl_nothing_there(void **state)
{
	struct fx *x = *state;
	struct lb_probe p;
	assert_int_equal(rapl_probe(x->root, &p), 0);
	assert_false(p.found);
	assert_non_null(strstr(p.what, "not found"));
	put(x, "sys/class/powercap/intel-rapl/enabled", "1\n");
	zone(x, "intel-rapl:0:0", "core", 0, RANGE);     /* no package: not RAPL we can use */
	assert_int_equal(rapl_probe(x->root, &p), 0);
	assert_non_null(strstr(p.what, "no RAPL"));
	char err[200] = "";
	assert_null(rapl_source_new(x->m, x->b, x->root, 1, err, sizeof err));
	assert_non_null(strstr(err, "no RAPL"));
}

static void rapl_amd_family(void **state)
{
	struct fx *x = *state;
	zone(x, "amd-rapl:0", "package-0", 0, RANGE);
	struct lb_probe p;
	assert_int_equal(rapl_probe(x->root, &p), 1);
	assert_non_null(strstr(p.what, "package-0"));
	char err[200];
	keep(x, rapl_source_new(x->m, x->b, x->root, 1, err, sizeof err));
	start_all(x, 100);
	tick(x, 100, MET_POWER);
	energy(x, "amd-rapl:0", 65000000);
	assert_float_equal(tick(x, 101, MET_POWER), 65.0, 1e-6);
}

/* ---- hwmon ------------------------------------------------------------------ */

static void hwmon_tree(struct fx *x)
{
	put(x, "sys/class/hwmon/hwmon0/name", "power_meter\n");
	put(x, "sys/class/hwmon/hwmon0/power1_average", "250000000\n");
	put(x, "sys/class/hwmon/hwmon0/power1_input", "999000000\n");   /* average preferred */
	put(x, "sys/class/hwmon/hwmon1/name", "amdgpu\n");
	put(x, "sys/class/hwmon/hwmon1/power1_average", "150000000\n");
	put(x, "sys/class/hwmon/hwmon1/power1_label", "PPT\n");
	put(x, "sys/class/hwmon/hwmon2/name", "acme\n");
	put(x, "sys/class/hwmon/hwmon2/energy1_input", "5000000\n");
	put(x, "sys/class/hwmon/hwmon3/name", "coretemp\n");
	put(x, "sys/class/hwmon/hwmon3/temp1_input", "45000\n");
	put(x, "sys/class/hwmon/hwmon10/name", "zenpower\n");
	put(x, "sys/class/hwmon/hwmon10/power1_input", "80000000\n");
	put(x, "sys/class/hwmon/hwmon10/power2_input", "20000000\n");
}

static void hwmon_kinds_and_values(void **state)
{
	struct fx *x = *state;
	hwmon_tree(x);
	struct lb_probe p;
	assert_int_equal(hwmon_probe(x->root, &p), 5);
	assert_true(p.found);
	assert_non_null(strstr(p.what, "power_meter:power1 (system)"));
	assert_non_null(strstr(p.what, "amdgpu:power1 \"PPT\" (gpu)"));
	assert_non_null(strstr(p.what, "zenpower:power2 (cpu)"));
	assert_null(strstr(p.what, "coretemp"));

	char err[200];
	keep(x, hwmon_source_new(x->m, x->b, x->root, 0, err, sizeof err));
	start_all(x, 100);
	/* the gauges report at once; the whole-machine meter is the box's power */
	assert_float_equal(tick(x, 100, MET_POWER), 250.0, 1e-6);
	put(x, "sys/class/hwmon/hwmon2/energy1_input", "17000000\n");    /* 12 J in 1 s */
	assert_float_equal(tick(x, 101, MET_POWER), 250.0, 1e-6);
	const char *d = describe(x, 101);
	assert_non_null(strstr(d, "hwmon:power_meter:power1 250 W"));
	assert_non_null(strstr(d, "hwmon:amdgpu:power1 150 W"));
	assert_non_null(strstr(d, "hwmon:acme:energy1 12.0 W"));
	assert_non_null(strstr(d, "hwmon:zenpower:power1 80.0 W"));
	assert_non_null(strstr(d, "hwmon:zenpower:power2 20.0 W"));
	struct source_health *h = health(x, "hwmon");
	assert_int_equal(h->status, HEALTH_OK);
	assert_string_equal(h->target, "/sys/class/hwmon");

	/* without the meter, the box sums the parts: 150 + 12 + 80 + 20 */
	del(x, "sys/class/hwmon/hwmon0");
	double v = NAN;
	for (int t = 102; t <= 107; t++) {
		put(x, "sys/class/hwmon/hwmon2/energy1_input", "%d\n", 17000000 + (t - 101) * 12000000);
		v = tick(x, t, MET_POWER);
	}
	assert_float_equal(v, 262.0, 1e-6);
	assert_non_null(strstr(h->error, "power_meter:power1"));
	assert_int_equal(h->status, HEALTH_OK);
}

static void hwmon_cpu_left_out_when_rapl_reads(void **state)
{
	struct fx *x = *state;
	hwmon_tree(x);
	zone(x, "intel-rapl:0", "package-0", 0, RANGE);
	struct lb_probe p;
	assert_int_equal(hwmon_probe(x->root, &p), 3);
	assert_null(strstr(p.what, "zenpower:"));
	assert_non_null(strstr(p.what, "left out zenpower"));

	/* RAPL there but root only: the CPU's hwmon is all there is */
	fault_match = "/intel-rapl:";
	sysfs_fault_hook = fault_eacces;
	assert_int_equal(hwmon_probe(x->root, &p), 5);
	assert_non_null(strstr(p.what, "zenpower:power1"));
}

static void hwmon_energy_reset(void **state)
{
	struct fx *x = *state;
	put(x, "sys/class/hwmon/hwmon0/name", "acme\n");
	put(x, "sys/class/hwmon/hwmon0/energy1_input", "5000000\n");
	put(x, "sys/class/hwmon/hwmon0/energy1_label", "board\n");
	char err[200];
	keep(x, hwmon_source_new(x->m, x->b, x->root, 1, err, sizeof err));
	start_all(x, 100);
	assert_true(isnan(tick(x, 100, MET_POWER)));
	put(x, "sys/class/hwmon/hwmon0/energy1_input", "15000000\n");
	assert_float_equal(tick(x, 101, MET_POWER), 10.0, 1e-6);
	/* the counter restarted and counted 2 J since: a reset, never negative */
	put(x, "sys/class/hwmon/hwmon0/energy1_input", "2000000\n");
	assert_float_equal(tick(x, 102, MET_POWER), 2.0, 1e-6);
	put(x, "sys/class/hwmon/hwmon0/energy1_input", "13000000\n");
	assert_float_equal(tick(x, 103, MET_POWER), 11.0, 1e-6);
}

static void hwmon_absurd_values_ignored(void **state)
{
	struct fx *x = *state;
	put(x, "sys/class/hwmon/hwmon0/name", "acme\n");
	put(x, "sys/class/hwmon/hwmon0/power1_input", "-5\n");
	put(x, "sys/class/hwmon/hwmon0/power2_input", "200000000000\n");     /* 200 kW */
	put(x, "sys/class/hwmon/hwmon0/power3_input", "7000000\n");
	/* two boards with the same driver keep apart */
	put(x, "sys/class/hwmon/hwmon1/name", "amdgpu\n");
	put(x, "sys/class/hwmon/hwmon1/power1_average", "100000000\n");
	put(x, "sys/class/hwmon/hwmon2/name", "amdgpu\n");
	put(x, "sys/class/hwmon/hwmon2/power1_average", "110000000\n");
	char err[200];
	keep(x, hwmon_source_new(x->m, x->b, x->root, 1, err, sizeof err));
	start_all(x, 100);
	assert_float_equal(tick(x, 100, MET_POWER), 217.0, 1e-6);
	struct source_health *h = health(x, "hwmon");
	assert_int_equal(h->status, HEALTH_OK);
	assert_non_null(strstr(h->error, "absurd"));
	const char *d = describe(x, 100);
	assert_non_null(strstr(d, "hwmon:amdgpu:power1 100 W"));
	assert_non_null(strstr(d, "hwmon:amdgpu.1:power1 110 W"));
	assert_null(strstr(d, "acme:power1"));
	assert_null(strstr(d, "acme:power2"));
}

static void hwmon_nothing_there(void **state)
{
	struct fx *x = *state;
	struct lb_probe p;
	assert_int_equal(hwmon_probe(x->root, &p), 0);
	assert_false(p.found);
	put(x, "sys/class/hwmon/hwmon0/name", "coretemp\n");
	put(x, "sys/class/hwmon/hwmon0/temp1_input", "45000\n");
	assert_int_equal(hwmon_probe(x->root, &p), 0);
	assert_non_null(strstr(p.what, "no hwmon power"));
	char err[200] = "";
	assert_null(hwmon_source_new(x->m, x->b, x->root, 1, err, sizeof err));
	assert_non_null(strstr(err, "no hwmon power"));
}

static void hwmon_amd_energy_sockets_only(void **state)
{
	struct fx *x = *state;
	put(x, "sys/class/hwmon/hwmon0/name", "amd_energy\n");
	put(x, "sys/class/hwmon/hwmon0/energy1_input", "1000000\n");
	put(x, "sys/class/hwmon/hwmon0/energy1_label", "Ecore000\n");
	put(x, "sys/class/hwmon/hwmon0/energy2_input", "1000000\n");
	put(x, "sys/class/hwmon/hwmon0/energy2_label", "Ecore001\n");
	put(x, "sys/class/hwmon/hwmon0/energy3_input", "5000000\n");
	put(x, "sys/class/hwmon/hwmon0/energy3_label", "Esocket0\n");
	struct lb_probe p;
	assert_int_equal(hwmon_probe(x->root, &p), 1);
	assert_non_null(strstr(p.what, "amd_energy:energy3 \"Esocket0\" (cpu)"));
	char err[200];
	keep(x, hwmon_source_new(x->m, x->b, x->root, 1, err, sizeof err));
	start_all(x, 100);
	tick(x, 100, MET_POWER);
	put(x, "sys/class/hwmon/hwmon0/energy1_input", "9000000\n");
	put(x, "sys/class/hwmon/hwmon0/energy2_input", "9000000\n");
	put(x, "sys/class/hwmon/hwmon0/energy3_input", "65000000\n");
	assert_float_equal(tick(x, 101, MET_POWER), 60.0, 1e-6);
}

/* ---- /proc/stat ------------------------------------------------------------- */

static void cpustat_percent(void **state)
{
	struct fx *x = *state;
	put(x, "proc/stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0 0 0\nintr 1 2 3\n");
	struct lb_probe p;
	assert_int_equal(cpustat_probe(x->root, &p), 1);
	assert_true(p.found);
	char err[200];
	keep(x, cpustat_source_new(x->m, x->b, x->root, 0, err, sizeof err));
	start_all(x, 100);
	assert_true(isnan(tick(x, 100, MET_UTIL)));
	/* +150 user +50 system +100 idle +100 iowait: 200 busy of 400 */
	put(x, "proc/stat", "cpu  250 0 150 900 100 0 0 0 0 0\ncpu0 250 0 150 900 100 0 0 0 0 0\n");
	assert_float_equal(tick(x, 101, MET_UTIL), 50.0, 1e-9);
	/* guest time is inside user already: +100 user (50 of it guest), +100 idle */
	put(x, "proc/stat", "cpu  350 0 150 1000 100 0 0 0 50 0\n");
	assert_float_equal(tick(x, 102, MET_UTIL), 50.0, 1e-9);
	/* all idle, with irq/softirq/steal counted as busy */
	put(x, "proc/stat", "cpu  350 0 150 1300 100 0 0 0 50 0\n");
	assert_float_equal(tick(x, 103, MET_UTIL), 0.0, 1e-9);
	put(x, "proc/stat", "cpu  350 0 150 1300 100 10 20 70 50 0\n");
	assert_float_equal(tick(x, 104, MET_UTIL), 100.0, 1e-9);
	struct source_health *h = health(x, "cpustat");
	assert_int_equal(h->status, HEALTH_OK);
	assert_string_equal(h->target, "/proc/stat");

	/* gone or garbled: failing, no reading */
	put(x, "proc/stat", "garbage\n");
	tick(x, 105, MET_UTIL);
	assert_int_equal(h->status, HEALTH_FAILING);
	del(x, "proc/stat");
	tick(x, 106, MET_UTIL);
	assert_int_equal(h->status, HEALTH_FAILING);
	assert_non_null(strstr(h->error, "/proc/stat"));
	assert_null(strstr(h->error, x->root));
}

static void cpustat_missing(void **state)
{
	struct fx *x = *state;
	struct lb_probe p;
	assert_int_equal(cpustat_probe(x->root, &p), 0);
	assert_false(p.found);
	char err[200] = "";
	assert_null(cpustat_source_new(x->m, x->b, x->root, 1, err, sizeof err));
	assert_non_null(strstr(err, "/proc/stat"));
	assert_int_equal(x->f->nhealth, 0);
}

/* ---- a sensor that appears after start ----------------------------------------- */

/* RAPL readable by root only at start (the note says so, with the chmod
 * that fixes it); the user runs the chmod; within LOCAL_REPROBE seconds
 * RAPL is read, the note lists it, and the machine's power follows. */
static void sensor_found_after_start(void **state)
{
	struct fx *x = *state;
	zone(x, "intel-rapl:0", "package-0", 1000000, RANGE);
	put(x, "proc/stat", "cpu  100 0 100 800 0 0 0 0 0 0\n");
	fault_match = "/intel-rapl:";
	sysfs_fault_hook = fault_eacces;

	struct fleet_cfg c;
	fleetcfg_init(&c);
	c.source = FLEET_SRC_LOCAL;
	assert_non_null(c.name = strdup("me"));
	assert_non_null(c.sensors = strdup("rapl,cpu"));
	struct source_set set;
	source_set_init(&set);
	char err[256];
	size_t found = 9;
	assert_int_equal(local_fleet_add(x->m, &set, &c, x->root, NULL, NULL, &found, err, sizeof err), 0);
	fleetcfg_free(&c);
	assert_int_equal(found, 1);                     /* cpu */
	struct fleet *me = model_fleet(x->m, "me");
	assert_non_null(me);
	assert_non_null(strstr(me->note, "sensors: cpu"));
	assert_non_null(strstr(me->note, "root only"));

	double t0 = 100;
	assert_int_equal(source_set_start(&set, t0), 0);
	source_set_tick(&set, t0);
	source_set_tick(&set, t0 + LOCAL_REPROBE / 2);  /* too early to look again */
	assert_non_null(strstr(me->note, "root only"));
	double next = source_set_tick(&set, t0 + LOCAL_REPROBE);   /* still root only */
	assert_true(next > t0 + LOCAL_REPROBE);
	assert_non_null(strstr(me->note, "root only"));

	sysfs_fault_hook = NULL;                        /* chmod o+r .../energy_uj */
	double t = t0 + 2 * LOCAL_REPROBE;
	source_set_tick(&set, t);
	assert_non_null(strstr(me->note, "sensors: rapl, cpu"));
	assert_null(strstr(me->note, "root only"));
	int seen = 0;
	for (size_t i = 0; i < me->nhealth; i++)
		seen += strcmp(me->health[i]->kind, "rapl") == 0;
	assert_int_equal(seen, 1);
	/* 40 J a second from now on: the machine's power is RAPL's */
	for (int i = 1; i <= 3; i++) {
		energy(x, "intel-rapl:0", 1000000 + (uint64_t)i * 40000000);
		source_set_tick(&set, t + i);
	}
	const struct series *pw = &me->inst[0]->m[MET_POWER];
	assert_true(pw->last_t == t + 3);
	assert_float_equal(pw->last_v, 40.0, 1e-6);
	source_set_free(&set);
}

/* ---- the shipped fixture tree ----------------------------------------------- */

static void fixture_tree_probes(void **state)
{
	(void)state;
	const char *root = TOP_SRCDIR "/tests/fixtures/sysfs";
	struct lb_probe p;
	assert_int_equal(rapl_probe(root, &p), 2);
	assert_non_null(strstr(p.what, "package-0"));
	assert_non_null(strstr(p.what, "dram-0"));
	assert_int_equal(cpustat_probe(root, &p), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rapl_packages_and_dram_not_core, setup, teardown),
		cmocka_unit_test_setup_teardown(rapl_wraparound, setup, teardown),
		cmocka_unit_test_setup_teardown(rapl_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(rapl_tiny_interval_gives_no_spike, setup, teardown),
		cmocka_unit_test_setup_teardown(rapl_root_only, setup, teardown),
		cmocka_unit_test_setup_teardown(rapl_permission_lost_while_running, setup, teardown),
		cmocka_unit_test_setup_teardown(rapl_zone_removed_while_running, setup, teardown),
		cmocka_unit_test_setup_teardown(rapl_nothing_there, setup, teardown),
		cmocka_unit_test_setup_teardown(rapl_amd_family, setup, teardown),
		cmocka_unit_test_setup_teardown(hwmon_kinds_and_values, setup, teardown),
		cmocka_unit_test_setup_teardown(hwmon_cpu_left_out_when_rapl_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(hwmon_energy_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(hwmon_absurd_values_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(hwmon_nothing_there, setup, teardown),
		cmocka_unit_test_setup_teardown(hwmon_amd_energy_sockets_only, setup, teardown),
		cmocka_unit_test_setup_teardown(cpustat_percent, setup, teardown),
		cmocka_unit_test_setup_teardown(cpustat_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(sensor_found_after_start, setup, teardown),
		cmocka_unit_test(fixture_tree_probes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
