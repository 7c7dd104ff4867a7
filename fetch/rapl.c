/*
 * rapl.c - package and DRAM power from powercap RAPL counters (rapl.h).
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

#include "core/rate.h"
#include "fetch/rapl.h"
#include "fetch/sysfs.h"

#define POWERCAP "/sys/class/powercap"

/* Zone directory families, in order of preference (see rapl.h). */
static const char *const families[] = { "intel-rapl", "amd-rapl", "amd_energy" };

struct zone {
	char dir[40];           /* "intel-rapl:0:0" */
	char id[48];            /* "rapl:dram-0" */
	enum lb_kind kind;
	unsigned n, m;          /* intel-rapl:N[:M] */
	bool sub;
	uint64_t range;         /* max_energy_range_uj; 0: unknown (backwards is a reset) */
	bool have;              /* raw and t hold the last reading */
	uint64_t raw;
	double t;
	double acc;             /* energy with the wraps unfolded, uJ */
	struct rate_state rate;
};

struct scan {
	const char *family;
	struct zone z[RAPL_MAX_ZONES];
	size_t n;
	size_t readable, denied;
	int other_err;          /* the first read error other than permission */
	bool no_dir;
};

/* "N" or "N:M" after "family:"; false when name is not of that shape. */
static bool parse_zone_dir(const char *name, const char *family, unsigned *n, unsigned *m, bool *sub)
{
	size_t fl = strlen(family);
	if (strncmp(name, family, fl) != 0 || name[fl] != ':')
		return false;
	const char *p = name + fl + 1;
	char *end;
	if (*p < '0' || *p > '9')
		return false;
	unsigned long a = strtoul(p, &end, 10);
	if (a > 9999)
		return false;
	*n = (unsigned)a;
	*sub = false;
	*m = 0;
	if (*end == '\0')
		return true;
	if (*end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	unsigned long b = strtoul(end + 1, &end, 10);
	if (*end != '\0' || b > 9999)
		return false;
	*m = (unsigned)b;
	*sub = true;
	return true;
}

static ssize_t zone_attr(const char *root, const char *dir, const char *attr, char *buf, size_t n)
{
	char path[SYSFS_PATH_MAX];
	snprintf(path, sizeof path, POWERCAP "/%s/%s", dir, attr);
	return sysfs_read(root, path, buf, n);
}

static int zone_u64(const char *root, const char *dir, const char *attr, uint64_t *v)
{
	char path[SYSFS_PATH_MAX];
	snprintf(path, sizeof path, POWERCAP "/%s/%s", dir, attr);
	return sysfs_read_u64(root, path, v);
}

static int zone_cmp(const void *a, const void *b)
{
	const struct zone *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	if (x->sub != y->sub)
		return x->sub ? 1 : -1;
	return x->m < y->m ? -1 : x->m > y->m;
}

/* The package number K of "package-K"; `fallback` when the name says otherwise. */
static unsigned package_number(const char *name, unsigned fallback)
{
	unsigned k;
	char tail;
	if (sscanf(name, "package-%u%c", &k, &tail) == 1)
		return k;
	return fallback;
}

/* Adds family's countable zones among the directory entries to sc. */
static void scan_family(const char *root, const char *family, struct dirent **list, int nlist,
                        struct scan *sc)
{
	sc->n = 0;
	for (int i = 0; i < nlist && sc->n < RAPL_MAX_ZONES; i++) {
		unsigned n, m;
		bool sub;
		char name[32];
		if (!parse_zone_dir(list[i]->d_name, family, &n, &m, &sub) ||
		    strlen(list[i]->d_name) >= sizeof sc->z[0].dir)
			continue;
		if (zone_attr(root, list[i]->d_name, "name", name, sizeof name) <= 0)
			continue;
		struct zone *z = &sc->z[sc->n];
		memset(z, 0, sizeof *z);
		if (!sub && strncmp(name, "package", 7) == 0) {
			z->kind = LB_CPU;
			snprintf(z->id, sizeof z->id, "rapl:package-%u", package_number(name, n));
		} else if (strcmp(name, "dram") == 0) {
			/* a subzone is its package's DRAM: name it after the package */
			unsigned k = n;
			if (sub) {
				char parent[40], pname[32];
				snprintf(parent, sizeof parent, "%s:%u", family, n);
				if (zone_attr(root, parent, "name", pname, sizeof pname) > 0)
					k = package_number(pname, n);
			}
			z->kind = LB_DRAM;
			snprintf(z->id, sizeof z->id, "rapl:dram-%u", k);
		} else {
			continue;       /* core, uncore, psys: inside a package (rapl.h) */
		}
		memcpy(z->dir, list[i]->d_name, strlen(list[i]->d_name) + 1);   /* length checked above */
		z->n = n;
		z->m = m;
		z->sub = sub;
		sc->n++;
	}
}

/* Finds the zones and tries each one's counter once. */
static void rapl_scan(const char *root, struct scan *sc)
{
	memset(sc, 0, sizeof *sc);
	char dir[SYSFS_PATH_MAX];
	struct dirent **list = NULL;
	int nlist = -1;
	if (sysfs_path(dir, sizeof dir, root, POWERCAP) == 0)
		nlist = scandir(dir, &list, NULL, NULL);
	if (nlist < 0) {
		sc->no_dir = true;
		return;
	}
	for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
		scan_family(root, families[f], list, nlist, sc);
		if (sc->n) {
			sc->family = families[f];
			break;
		}
	}
	for (int i = 0; i < nlist; i++)
		free(list[i]);
	free(list);
	qsort(sc->z, sc->n, sizeof sc->z[0], zone_cmp);
	for (size_t i = 0; i < sc->n; i++) {
		struct zone *z = &sc->z[i];
		uint64_t v;
		int e = zone_u64(root, z->dir, "energy_uj", &v);
		if (e == 0)
			sc->readable++;
		else if (e == -EACCES || e == -EPERM)
			sc->denied++;
		else if (!sc->other_err)
			sc->other_err = -e;
		if (zone_u64(root, z->dir, "max_energy_range_uj", &z->range) < 0)
			z->range = 0;
	}
}

static void permission_msg(char *buf, size_t n, size_t zones, const char *family)
{
	snprintf(buf, n,
	         "RAPL: %zu zone%s, but energy_uj is readable by root only (Linux >= 5.10, "
	         "CVE-2020-8694): run perwatt as root, or `sudo chmod o+r " POWERCAP "/%s:*/energy_uj`",
	         zones, zones == 1 ? "" : "s", family ? family : "intel-rapl");
}

static void scan_describe(const struct scan *sc, char *buf, size_t n)
{
	if (sc->no_dir) {
		snprintf(buf, n, "no powercap zones: " POWERCAP " not found");
	} else if (sc->n == 0) {
		snprintf(buf, n, "no RAPL package or dram zones under " POWERCAP);
	} else if (sc->readable == 0 && sc->denied > 0) {
		permission_msg(buf, n, sc->n, sc->family);
	} else if (sc->readable == 0) {
		snprintf(buf, n, "RAPL: %zu zone%s, but energy_uj cannot be read: %s", sc->n,
		         sc->n == 1 ? "" : "s", strerror(sc->other_err ? sc->other_err : EIO));
	} else {
		size_t o = (size_t)snprintf(buf, n, "RAPL:");
		for (size_t i = 0; i < sc->n && o < n; i++)
			o += (size_t)snprintf(buf + o, n - o, "%s %s", i ? "," : "", sc->z[i].id + 5);
		if (sc->n > sc->readable && o < n)
			snprintf(buf + o, n - o, " (%zu unreadable%s)", sc->n - sc->readable,
			         sc->denied ? ": root only" : "");
	}
}

int rapl_probe(const char *root, struct lb_probe *p)
{
	struct scan *sc = malloc(sizeof *sc);
	if (!sc) {
		if (p) {
			p->found = false;
			snprintf(p->what, sizeof p->what, "RAPL: out of memory");
		}
		return 0;
	}
	rapl_scan(root ? root : "", sc);
	int n = (int)sc->readable;
	if (p) {
		p->found = n > 0;
		scan_describe(sc, p->what, sizeof p->what);
	}
	free(sc);
	return n;
}

/* ---- the source ----------------------------------------------------------- */

struct rapl {
	struct source src;
	struct localbox *box;
	struct source_health *health;
	char *root;
	const char *family;
	double interval, next;
	struct zone z[RAPL_MAX_ZONES];
	size_t n;
};

enum poll_result { POLL_WATTS, POLL_NOTHING, POLL_RESET, POLL_ABSURD };

/* Reads one zone's counter.  -errno on a read error, else a poll_result
 * (*w set for POLL_WATTS and POLL_ABSURD). */
static int zone_poll(const char *root, struct zone *z, double now, double *w)
{
	uint64_t raw;
	int e = zone_u64(root, z->dir, "energy_uj", &raw);
	if (e < 0) {
		z->have = false;        /* when it comes back, start over */
		return e;
	}
	double rate;
	if (!z->have || now < z->t) {
		z->have = true;
		z->raw = raw;
		z->t = now;
		z->acc = (double)raw;
		z->rate.have = false;
		rate_update(&z->rate, now, z->acc, &rate);
		return POLL_NOTHING;
	}
	double dt = now - z->t;
	uint64_t d = 0;
	bool ok = true;
	if (raw >= z->raw) {
		d = raw - z->raw;
	} else if (z->range && z->raw - raw <= z->range) {
		d = z->range - z->raw + raw + 1;
		/* a "wrap" worth kilowatts is a counter that restarted */
		ok = dt > 0 && (double)d / 1e6 / dt <= RAPL_MAX_W;
	} else {
		ok = false;
	}
	z->raw = raw;
	z->t = now;
	if (!ok) {
		z->acc = (double)raw;
		z->rate.have = false;
		rate_update(&z->rate, now, z->acc, &rate);
		return POLL_RESET;
	}
	z->acc += (double)d;
	if (rate_update(&z->rate, now, z->acc, &rate) != 1)
		return POLL_NOTHING;
	*w = rate / 1e6;
	return *w > RAPL_MAX_W ? POLL_ABSURD : POLL_WATTS;
}

static int rapl_start(struct source *s, double now)
{
	struct rapl *r = s->priv;
	r->next = now;
	return 0;
}

static double rapl_tick(struct source *s, double now)
{
	struct rapl *r = s->priv;
	if (now < r->next)
		return r->next;
	double t0 = clock_now();
	char note[200] = "";
	size_t read_ok = 0;
	bool denied = false;
	for (size_t i = 0; i < r->n; i++) {
		struct zone *z = &r->z[i];
		const char *name = z->id + 5;
		double w = 0;
		int k = zone_poll(r->root, z, now, &w);
		if (k < 0) {
			if (k == -EACCES || k == -EPERM)
				denied = true;
			else if (!note[0] && (k == -ENOENT || k == -ENODEV))
				snprintf(note, sizeof note, "%s: zone " POWERCAP "/%s is gone", name, z->dir);
			else if (!note[0])
				snprintf(note, sizeof note, "%s: energy_uj: %s", name, strerror(-k));
			continue;
		}
		read_ok++;
		if (k == POLL_WATTS) {
			if (localbox_put(r->box, z->id, z->kind, MET_POWER, now, w, PROV_MEASURED) < 0 &&
			    !note[0])
				snprintf(note, sizeof note, "%s: too many components on this machine", name);
		} else if (k == POLL_RESET && !note[0]) {
			snprintf(note, sizeof note, "%s: energy counter reset", name);
		} else if (k == POLL_ABSURD && !note[0]) {
			snprintf(note, sizeof note, "%s: %.0f W ignored (more than %.0f W)", name, w, RAPL_MAX_W);
		}
	}
	if (denied) {
		/* the fix matters more than any other note */
		char msg[200];
		permission_msg(msg, sizeof msg, r->n, r->family);
		snprintf(note, sizeof note, "%s", msg);
	}
	localbox_part_health(r->health, read_ok, note, "no zone could be read", now, t0);
	return localbox_part_next(&r->next, r->interval, now);
}

static void rapl_stop(struct source *s)
{
	if (!s)
		return;
	struct rapl *r = s->priv;
	free(r->root);
	free(r);
}

static const struct source_ops rapl_ops = {
	.kind = "rapl", .start = rapl_start, .fds = NULL, .ready = NULL, .tick = rapl_tick,
	.stop = rapl_stop,
};

struct source *rapl_source_new(struct model *m, struct localbox *b, const char *root,
                               double interval, char *err, size_t errlen)
{
	if (!localbox_part_args("rapl", m, b, &interval, err, errlen))
		return NULL;
	struct rapl *r = calloc(1, sizeof *r);
	struct scan *sc = malloc(sizeof *sc);
	if (!r || !sc || !(r->root = strdup(root ? root : ""))) {
		if (errlen)
			snprintf(err, errlen, "rapl: out of memory");
		goto fail;
	}
	rapl_scan(r->root, sc);
	if (sc->readable == 0) {
		if (errlen)
			scan_describe(sc, err, errlen);
		goto fail;
	}
	if (!(r->health = fleet_add_source(localbox_fleet(b), "rapl", POWERCAP))) {
		if (errlen)
			snprintf(err, errlen, "rapl: out of memory");
		goto fail;
	}
	memcpy(r->z, sc->z, sc->n * sizeof sc->z[0]);
	r->n = sc->n;
	r->family = sc->family;
	free(sc);
	r->box = b;
	r->interval = interval;
	r->next = -INFINITY;
	r->src.ops = &rapl_ops;
	r->src.model = m;
	r->src.priv = r;
	return &r->src;
fail:
	free(sc);
	if (r)
		free(r->root);
	free(r);
	return NULL;
}
