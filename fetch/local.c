/*
 * local.c - this machine as a fleet, and a projected one beside it (local.h).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/format.h"
#include "fetch/awscreds.h"
#include "fetch/drive.h"
#include "fetch/http.h"
#include "fetch/cpustat.h"
#include "fetch/follow.h"
#include "fetch/hwmon.h"
#include "fetch/local.h"
#include "fetch/localbox.h"
#include "fetch/neuron.h"
#include "fetch/nvsmi.h"
#include "fetch/rapl.h"
#include "fetch/sysfs.h"

void local_hostname(char *buf, size_t n)
{
	char h[256];
	if (gethostname(h, sizeof h) == 0 && h[0]) {
		h[sizeof h - 1] = '\0';
		fmt_sanitize(buf, n, h, true);
	} else {
		snprintf(buf, n, "this machine");
	}
}

/* Whether the small file root+path holds `word`, without regard to case. */
static bool file_has(const char *root, const char *path, const char *word)
{
	char buf[256];
	if (sysfs_read(root, path, buf, sizeof buf) <= 0)
		return false;
	for (char *c = buf; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	return strstr(buf, word) != NULL;
}

bool local_on_ec2(const char *root)
{
	/* Nitro: sys_vendor "Amazon EC2"; Xen: bios_version "4.11.amazon" */
	return file_has(root, "/sys/devices/virtual/dmi/id/sys_vendor", "amazon") ||
	       file_has(root, "/sys/devices/virtual/dmi/id/bios_vendor", "amazon") ||
	       file_has(root, "/sys/devices/virtual/dmi/id/bios_version", "amazon");
}

static bool imds_disabled(void)
{
	const char *v = getenv("AWS_EC2_METADATA_DISABLED");
	return v && strcasecmp(v, "true") == 0;
}

bool local_imds_allowed(const char *root)
{
	return local_on_ec2(root) && !imds_disabled();
}

static double creds_tick(void *c, double now)
{
	return awscreds_tick(c, now);
}

static bool creds_done(void *c)
{
	return !awscreds_pending(c);
}

int local_imds_type(char *buf, size_t n, double timeout)
{
	if (!n)
		return -1;
	buf[0] = '\0';
	struct http *h = http_new();
	if (!h)
		return -1;
	struct source_set set;
	source_set_init(&set);
	if (source_set_add(&set, http_source(h)) < 0)           /* h freed */
		return -1;
	struct awscreds_options o = { .want_instance = true };
	char e[AWSCREDS_ERROR_MAX];
	struct awscreds *c = awscreds_new(h, &o, e, sizeof e);
	if (c) {
		double now = clock_now();
		awscreds_start(c, now);
		struct drive_extra x = { creds_tick, creds_done, c };
		drive_until_x(&set, NULL, now + timeout, NULL, &x);
		const char *t = awscreds_instance_type(c);
		if (t)
			snprintf(buf, n, "%s", t);
		awscreds_free(c);       /* before the driver it borrows */
	}
	source_set_free(&set);
	return buf[0] ? 0 : -1;
}

/* Whether `name` is in the comma list (NULL: every sensor). */
static bool wanted(const char *list, const char *name)
{
	if (!list)
		return true;
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *e = p;
		while (*e && *e != ',')
			e++;
		const char *t = e;
		while (t > p && t[-1] == ' ')
			t--;
		if ((size_t)(t - p) == n && strncmp(p, name, n) == 0)
			return true;
		p = e;
	}
	return false;
}

static void note_add(char *note, size_t n, const char *fmt, const char *a, const char *b)
{
	size_t o = strlen(note);
	if (o + 1 < n)
		snprintf(note + o, n - o, fmt, a, b);
}

int local_fleet_add(struct model *m, struct source_set *set, const struct fleet_cfg *f,
                    const char *root, const struct tables *t, size_t *sensors_found,
                    char *err, size_t errlen)
{
	if (sensors_found)
		*sensors_found = 0;
	if (!root)
		root = "";
	struct fleet *fl = source_fleet(m, f);
	if (!fl)
		goto oom;
	if (!f->instances)
		fl->count = 1;          /* this machine */

	char host[128];
	local_hostname(host, sizeof host);
	struct localbox *box = localbox_new(m, fl, host);
	if (!box)
		goto oom;
	double interval = f->interval > 0 ? f->interval : 1.0;

	/* probe, then start what was found; the note lists both */
	char found[200] = "", missing[400] = "";
	size_t nfound = 0;
	struct {
		const char *name;
		int kind;
	} sensors[] = { { "rapl", 0 }, { "hwmon", 1 }, { "nvidia-smi", 2 }, { "neuron", 3 }, { "cpu", 4 } };
	bool have_power = false;
	for (size_t i = 0; i < sizeof sensors / sizeof sensors[0]; i++) {
		if (!wanted(f->sensors, sensors[i].name))
			continue;
		struct lb_probe p;
		memset(&p, 0, sizeof p);
		struct source *s = NULL;
		char e[256] = "";
		switch (sensors[i].kind) {
		case 0:
			rapl_probe(root, &p);
			if (p.found)
				s = rapl_source_new(m, box, root, interval, e, sizeof e);
			break;
		case 1:
			hwmon_probe(root, &p);
			if (p.found)
				s = hwmon_source_new(m, box, root, interval, e, sizeof e);
			break;
		case 2:
			nvsmi_probe(f->nvsmi_cmd, &p);
			if (p.found)
				s = nvsmi_source_new(m, box, f->nvsmi_cmd, interval, e, sizeof e);
			break;
		case 3:
			neuron_probe(f->neuron_cmd, root, &p);
			if (p.found)
				s = neuron_source_new(m, box, f->neuron_cmd, root, f->neuron_max_w, e, sizeof e);
			break;
		case 4:
			cpustat_probe(root, &p);
			if (p.found)
				s = cpustat_source_new(m, box, root, interval, e, sizeof e);
			break;
		}
		if (p.found && !s) {
			note_add(missing, sizeof missing, "%s%s", missing[0] ? "; " : "", sensors[i].name);
			note_add(missing, sizeof missing, " (%s)%s", e[0] ? e : "could not start", "");
			continue;
		}
		if (!p.found) {
			note_add(missing, sizeof missing, "%s%s", missing[0] ? "; " : "", p.what[0] ? p.what : sensors[i].name);
			continue;
		}
		if (source_set_add(set, s) < 0) {
			localbox_free(box);
			goto oom;
		}
		nfound++;
		if (sensors[i].kind == 3)       /* watts only from power files and a maximum */
			have_power |= !p.no_watts && f->neuron_max_w > 0;
		else if (sensors[i].kind != 4)
			have_power = true;
		note_add(found, sizeof found, "%s%s", found[0] ? ", " : "", sensors[i].name);
	}

	if (f->follow_file || f->follow_cmd || f->follow_counter) {
		struct follow_cfg fc = {
			.file = f->follow_file, .cmd = f->follow_cmd, .counter = f->follow_counter,
			.regex = f->follow_match, .kind = (enum follow_kind)f->follow_kind,
			.scale = isfinite(f->cw[0].scale) && f->cw[0].scale != 0 ? f->cw[0].scale : 1,
			.interval = f->interval,
		};
		char e[300];
		struct source *s = follow_source_new(m, box, &fc, e, sizeof e);
		localbox_declare(box, "bench", LB_BENCH);       /* the throughput is the benchmark's */
		if (!s || source_set_add(set, s) < 0) {
			snprintf(err, errlen, "%s", s ? "out of memory" : e);
			localbox_free(box);
			return -1;
		}
	}
	if (source_set_add(set, localbox_source(box)) < 0)
		goto oom;

	/* the note: what was found and not, and why the type is unknown */
	struct lb_inventory inv = {
		.have_power = have_power,
		.throughput_only = f->sensors && !f->sensors[0] && !nfound,
		.no_type_why = !local_on_ec2(root) ? ""
		             : imds_disabled() ? ", and AWS_EC2_METADATA_DISABLED keeps the instance type unknown"
		             : ", and the EC2 instance metadata service did not say the instance type",
		.tables = t,
	};
	snprintf(inv.found, sizeof inv.found, "%s", found);
	snprintf(inv.missing, sizeof inv.missing, "%s", missing);
	localbox_inventory(box, &inv);
	if (sensors_found)
		*sensors_found = nfound;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* ---- the projected fleet ---------------------------------------------------- */

struct projected {
	struct fleet *from, *to;
	struct instance *inst;
	struct source_health *health;
	double ratio;
	double last;
};

static double pj_tick(struct source *s, double now)
{
	struct projected *p = s->priv;
	double sec = floor(now);
	if (sec <= p->last)
		return sec + 1;
	p->last = sec;
	/* the measured fleet's newest figures: per instance throughput, mean
	 * utilization, of the instances that reported within 5 s */
	double thr = 0, util = 0;
	int nt = 0, nu = 0;
	for (size_t i = 0; i < p->from->ninst; i++) {
		const struct instance *in = p->from->inst[i];
		if (series_age(&in->m[MET_THROUGHPUT], now) <= 5) {
			thr += in->m[MET_THROUGHPUT].last_v;
			nt++;
		}
		if (series_age(&in->m[MET_UTIL], now) <= 5) {
			util += in->m[MET_UTIL].last_v;
			nu++;
		}
	}
	if (nt)
		model_record(p->inst, MET_THROUGHPUT, now, thr / nt * p->ratio, PROV_ESTIMATED);
	if (nu)
		model_record(p->inst, MET_UTIL, now, util / nu, PROV_ESTIMATED);
	if (nt)
		health_set_ok(p->health, now, -1);
	else
		health_set_error(p->health, HEALTH_STALE, "waiting for %s's throughput", p->from->name);
	return sec + 1;
}

static void pj_stop(struct source *s)
{
	if (s)
		free(s->priv);
	free(s);
}

static const struct source_ops pj_ops = {
	.kind = "projected", .start = source_start_nothing, .fds = source_no_fds,
	.ready = source_no_ready, .tick = pj_tick,
	.stop = pj_stop,
};

struct source *projected_source_new(struct model *m, struct fleet *from, struct fleet *to, double ratio,
                                    const char *why)
{
	struct source *s = calloc(1, sizeof *s);
	struct projected *p = calloc(1, sizeof *p);
	if (!s || !p || !(p->inst = fleet_instance(to, "projected", true)) ||
	    !(p->health = fleet_add_source(to, "projected", why ? why : ""))) {
		free(s);
		free(p);
		return NULL;
	}
	p->from = from;
	p->to = to;
	p->ratio = ratio;
	p->last = -INFINITY;
	to->projected = true;
	to->count = 1;
	s->ops = &pj_ops;
	s->model = m;
	s->priv = p;
	return s;
}
