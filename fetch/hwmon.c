/*
 * hwmon.c - power and energy channels of hwmon devices (hwmon.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/format.h"
#include "core/rate.h"
#include "fetch/hwmon.h"
#include "fetch/rapl.h"
#include "fetch/sysfs.h"

#define HWMON "/sys/class/hwmon"
#define MAX_CHANNEL 64          /* powerN/energyN with N below this are looked at */
#define MAX_DEVICES 64

struct sensor {
	char file[96];          /* ROOT-less path of the value */
	char id[48];            /* "hwmon:amdgpu:power1" */
	char label[32];         /* powerN_label, or "" */
	enum lb_kind kind;
	bool counter;           /* energyN_input: uJ counter; else a uW gauge */
	struct rate_state rate;
};

struct scan {
	struct sensor s[HWMON_MAX_SENSORS];
	size_t n;
	size_t readable;
	int first_err;
	bool no_dir;
	char skipped[96];       /* CPU devices left out because RAPL is read */
};

static enum lb_kind kind_of(const char *name)
{
	static const char *const gpu[] = { "amdgpu", "i915", "xe", "nouveau" };
	static const char *const cpu[] = { "amd_energy", "zenpower", "zenergy", "k10temp",
	                                   "fam15h_power", "coretemp" };
	if (strcmp(name, "power_meter") == 0)
		return LB_SYSTEM;
	for (size_t i = 0; i < sizeof gpu / sizeof gpu[0]; i++)
		if (strcmp(name, gpu[i]) == 0)
			return LB_GPU;
	for (size_t i = 0; i < sizeof cpu / sizeof cpu[0]; i++)
		if (strcmp(name, cpu[i]) == 0)
			return LB_CPU;
	return LB_OTHER;
}

/* hwmonK -> K, or -1. */
static long device_number(const char *d)
{
	if (strncmp(d, "hwmon", 5) != 0 || d[5] < '0' || d[5] > '9')
		return -1;
	char *end;
	long k = strtol(d + 5, &end, 10);
	return *end || k > 1000000 ? -1 : k;
}

static int dev_cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

/* The channel flags of one device's files. */
enum { HAS_AVERAGE = 1, HAS_INPUT = 2, HAS_ENERGY = 4 };

static void channel_flags(const char *full, unsigned char flags[MAX_CHANNEL])
{
	memset(flags, 0, MAX_CHANNEL);
	DIR *d = opendir(full);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		unsigned ch;
		char what[16];
		int used = 0;
		if (sscanf(e->d_name, "power%u_%15[a-z]%n", &ch, what, &used) == 2 &&
		    !e->d_name[used] && ch < MAX_CHANNEL) {
			if (strcmp(what, "average") == 0)
				flags[ch] |= HAS_AVERAGE;
			else if (strcmp(what, "input") == 0)
				flags[ch] |= HAS_INPUT;
		} else if (sscanf(e->d_name, "energy%u_%15[a-z]%n", &ch, what, &used) == 2 &&
		           !e->d_name[used] && ch < MAX_CHANNEL && strcmp(what, "input") == 0) {
			flags[ch] |= HAS_ENERGY;
		}
	}
	closedir(d);
}

static void note_skipped(struct scan *sc, const char *name)
{
	if (strstr(sc->skipped, name))
		return;
	size_t o = strlen(sc->skipped);
	snprintf(sc->skipped + o, sizeof sc->skipped - o, "%s%s", o ? ", " : "", name);
}

/* Adds one device's channels.  `base` is its ROOT-less folder, `name` the
 * driver's, `idname` the name in the ids (unique among the devices). */
static void scan_device(const char *root, const char *base, const char *name, const char *idname,
                        int *rapl_readable, struct scan *sc)
{
	char full[SYSFS_PATH_MAX], path[SYSFS_PATH_MAX];
	unsigned char flags[MAX_CHANNEL];
	if (sysfs_path(full, sizeof full, root, base) < 0)
		return;
	channel_flags(full, flags);
	enum lb_kind kind = kind_of(name);

	bool any = false, sockets = false;
	for (unsigned ch = 0; ch < MAX_CHANNEL; ch++) {
		char label[32];
		any |= flags[ch] != 0;
		if ((flags[ch] & HAS_ENERGY) && !(flags[ch] & (HAS_AVERAGE | HAS_INPUT))) {
			snprintf(path, sizeof path, "%s/energy%u_label", base, ch);
			if (sysfs_read(root, path, label, sizeof label) > 0 && strncmp(label, "Esocket", 7) == 0)
				sockets = true;
		}
	}
	if (!any)
		return;
	if (kind == LB_CPU) {
		if (*rapl_readable < 0)
			*rapl_readable = rapl_probe(root, NULL);
		if (*rapl_readable > 0) {
			note_skipped(sc, name);
			return;
		}
	}

	for (unsigned ch = 0; ch < MAX_CHANNEL && sc->n < HWMON_MAX_SENSORS; ch++) {
		if (!flags[ch])
			continue;
		struct sensor *s = &sc->s[sc->n];
		memset(s, 0, sizeof *s);
		const char *what = flags[ch] & HAS_AVERAGE ? "average" : flags[ch] & HAS_INPUT ? "input" : NULL;
		const char *stem = what ? "power" : "energy";
		if (!what)
			what = "input";
		snprintf(path, sizeof path, "%s/%s%u_label", base, stem, ch);
		char raw[64];
		if (sysfs_read(root, path, raw, sizeof raw) > 0)
			fmt_sanitize(s->label, sizeof s->label, raw, false);
		if (sockets && !strcmp(stem, "energy") && strncmp(s->label, "Esocket", 7) != 0)
			continue;   /* amd_energy: a core, already in its socket */
		int k = snprintf(s->file, sizeof s->file, "%s/%s%u_%s", base, stem, ch, what);
		if (k < 0 || (size_t)k >= sizeof s->file)
			continue;
		snprintf(s->id, sizeof s->id, "hwmon:%s:%s%u", idname, stem, ch);
		s->kind = kind;
		s->counter = !strcmp(stem, "energy");
		int64_t v;
		int e = sysfs_read_i64(root, s->file, &v);
		if (e == 0)
			sc->readable++;
		else if (!sc->first_err)
			sc->first_err = -e;
		sc->n++;
	}
}

static void hwmon_scan(const char *root, struct scan *sc)
{
	memset(sc, 0, sizeof *sc);
	char full[SYSFS_PATH_MAX];
	DIR *d = NULL;
	if (sysfs_path(full, sizeof full, root, HWMON) == 0)
		d = opendir(full);
	if (!d) {
		sc->no_dir = true;
		return;
	}
	long dev[MAX_DEVICES];
	size_t ndev = 0;
	struct dirent *e;
	while ((e = readdir(d)) && ndev < MAX_DEVICES) {
		long k = device_number(e->d_name);
		if (k >= 0)
			dev[ndev++] = k;
	}
	closedir(d);
	qsort(dev, ndev, sizeof dev[0], dev_cmp);

	char seen[MAX_DEVICES][24];
	int rapl_readable = -1;     /* not asked yet */
	for (size_t i = 0; i < ndev; i++) {
		char base[64], path[96], raw[64], name[24];
		seen[i][0] = '\0';
		snprintf(base, sizeof base, HWMON "/hwmon%ld", dev[i]);
		snprintf(path, sizeof path, "%s/name", base);
		if (sysfs_read(root, path, raw, sizeof raw) <= 0) {
			/* old drivers keep name and values under device/ */
			snprintf(base, sizeof base, HWMON "/hwmon%ld/device", dev[i]);
			snprintf(path, sizeof path, "%s/name", base);
			if (sysfs_read(root, path, raw, sizeof raw) <= 0)
				continue;
		}
		fmt_sanitize(name, sizeof name - 4, raw, false);
		for (char *c = name; *c; c++)
			if (*c == ':' || *c == ' ')
				*c = '_';
		snprintf(seen[i], sizeof seen[i], "%s", name);
		unsigned same = 0;
		for (size_t j = 0; j < i; j++)
			same += strcmp(seen[j], seen[i]) == 0;
		if (same) {
			size_t o = strlen(name);
			snprintf(name + o, sizeof name - o, ".%u", same % 1000);
		}
		scan_device(root, base, seen[i], name, &rapl_readable, sc);
	}
}

static void scan_describe(const struct scan *sc, char *buf, size_t n)
{
	if (sc->no_dir) {
		snprintf(buf, n, "no hwmon: " HWMON " not found");
		return;
	}
	size_t o;
	if (sc->n == 0) {
		o = (size_t)snprintf(buf, n, "no hwmon power or energy sensors under " HWMON);
	} else if (sc->readable == 0) {
		o = (size_t)snprintf(buf, n, "hwmon: %zu sensor%s, but none can be read: %s", sc->n,
		                     sc->n == 1 ? "" : "s", strerror(sc->first_err ? sc->first_err : EIO));
	} else {
		o = (size_t)snprintf(buf, n, "hwmon:");
		for (size_t i = 0; i < sc->n && o < n; i++)
			o += (size_t)snprintf(buf + o, n - o, "%s %s%s%s%s (%s)", i ? "," : "",
			                      sc->s[i].id + 6, sc->s[i].label[0] ? " \"" : "",
			                      sc->s[i].label, sc->s[i].label[0] ? "\"" : "",
			                      lb_kind_name(sc->s[i].kind));
	}
	if (sc->skipped[0] && o < n)
		snprintf(buf + o, n - o, "; left out %s (RAPL measures the CPU)", sc->skipped);
}

int hwmon_probe(const char *root, struct lb_probe *p)
{
	struct scan *sc = malloc(sizeof *sc);
	if (!sc) {
		if (p) {
			p->found = false;
			snprintf(p->what, sizeof p->what, "hwmon: out of memory");
		}
		return 0;
	}
	hwmon_scan(root ? root : "", sc);
	int n = (int)sc->readable;
	if (p) {
		p->found = n > 0;
		scan_describe(sc, p->what, sizeof p->what);
	}
	free(sc);
	return n;
}

/* ---- the source ----------------------------------------------------------- */

struct hwmon {
	struct source src;
	struct localbox *box;
	struct source_health *health;
	char *root;
	double interval, next;
	struct sensor s[HWMON_MAX_SENSORS];
	size_t n;
};

static int hwmon_start(struct source *s, double now)
{
	struct hwmon *h = s->priv;
	h->next = now;
	return 0;
}

static double hwmon_tick(struct source *src, double now)
{
	struct hwmon *h = src->priv;
	if (now < h->next)
		return h->next;
	double t0 = clock_now();
	char note[200] = "";
	size_t read_ok = 0;
	for (size_t i = 0; i < h->n; i++) {
		struct sensor *s = &h->s[i];
		const char *name = s->id + 6;
		int64_t v;
		int e = sysfs_read_i64(h->root, s->file, &v);
		if (e < 0) {
			s->rate.have = false;
			if (!note[0] && (e == -ENOENT || e == -ENODEV))
				snprintf(note, sizeof note, "%s: %s is gone", name, s->file);
			else if (!note[0])
				snprintf(note, sizeof note, "%s: %s", name, strerror(-e));
			continue;
		}
		read_ok++;
		double w;
		if (s->counter) {
			double r;
			if (v < 0) {
				w = -1;
			} else if (rate_update(&s->rate, now, (double)v, &r) == 1) {
				w = r / 1e6;
			} else {
				continue;
			}
		} else {
			w = (double)v / 1e6;
		}
		if (w < 0 || w > HWMON_MAX_W) {
			if (!note[0])
				snprintf(note, sizeof note, "%s: absurd reading %.6g W ignored", name, w);
			continue;
		}
		if (localbox_put(h->box, s->id, s->kind, MET_POWER, now, w, PROV_MEASURED) < 0 && !note[0])
			snprintf(note, sizeof note, "%s: too many components on this machine", name);
	}
	localbox_part_health(h->health, read_ok, note, "no sensor could be read", now, t0);
	return localbox_part_next(&h->next, h->interval, now);
}

static void hwmon_stop(struct source *s)
{
	if (!s)
		return;
	struct hwmon *h = s->priv;
	free(h->root);
	free(h);
}

static const struct source_ops hwmon_ops = {
	.kind = "hwmon", .start = hwmon_start, .fds = NULL, .ready = NULL, .tick = hwmon_tick,
	.stop = hwmon_stop,
};

struct source *hwmon_source_new(struct model *m, struct localbox *b, const char *root,
                                double interval, char *err, size_t errlen)
{
	if (!localbox_part_args("hwmon", m, b, &interval, err, errlen))
		return NULL;
	struct hwmon *h = calloc(1, sizeof *h);
	struct scan *sc = malloc(sizeof *sc);
	if (!h || !sc || !(h->root = strdup(root ? root : ""))) {
		if (errlen)
			snprintf(err, errlen, "hwmon: out of memory");
		goto fail;
	}
	hwmon_scan(h->root, sc);
	if (sc->readable == 0) {
		if (errlen)
			scan_describe(sc, err, errlen);
		goto fail;
	}
	if (!(h->health = fleet_add_source(localbox_fleet(b), "hwmon", HWMON))) {
		if (errlen)
			snprintf(err, errlen, "hwmon: out of memory");
		goto fail;
	}
	memcpy(h->s, sc->s, sc->n * sizeof sc->s[0]);
	h->n = sc->n;
	free(sc);
	h->box = b;
	h->interval = interval;
	h->next = -INFINITY;
	h->src.ops = &hwmon_ops;
	h->src.model = m;
	h->src.priv = h;
	return &h->src;
fail:
	free(sc);
	if (h)
		free(h->root);
	free(h);
	return NULL;
}
