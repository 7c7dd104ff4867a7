/*
 * local.c - this machine as a fleet, and a projected one beside it (local.h).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

bool local_imds_allowed(const char *root)
{
	return local_on_ec2(root) && !awscreds_imds_disabled();
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

/* ---- the sensors, found at start or later ------------------------------------ */

enum sensor_kind { SK_RAPL, SK_HWMON, SK_NVSMI, SK_NEURON, SK_CPU, SK__COUNT };
static const char *const sensor_names[SK__COUNT] = { "rapl", "hwmon", "nvidia-smi", "neuron", "cpu" };

/* What it takes to probe a sensor and start its source. */
struct sensor_ctx {
	struct model *m;
	struct localbox *box;
	char *root, *nvsmi_cmd, *neuron_cmd;        /* owned (a late sensor outlives the config) */
	double interval, neuron_max_w;
};

/* Probes sensor k into *p and, when found, makes its source (NULL with a
 * reason in e when it cannot).  *power: whether it measures watts. */
static struct source *make_sensor(const struct sensor_ctx *c, enum sensor_kind k, struct lb_probe *p,
                                  bool *power, char *e, size_t en)
{
	memset(p, 0, sizeof *p);
	*power = true;
	switch (k) {
	case SK_RAPL:
		rapl_probe(c->root, p);
		return p->found ? rapl_source_new(c->m, c->box, c->root, c->interval, e, en) : NULL;
	case SK_HWMON:
		hwmon_probe(c->root, p);
		return p->found ? hwmon_source_new(c->m, c->box, c->root, c->interval, e, en) : NULL;
	case SK_NVSMI:
		nvsmi_probe(c->nvsmi_cmd, p);
		return p->found ? nvsmi_source_new(c->m, c->box, c->nvsmi_cmd, c->interval, e, en) : NULL;
	case SK_NEURON:
		neuron_probe(c->neuron_cmd, c->root, p);
		*power = !p->no_watts && c->neuron_max_w > 0;   /* watts: power files and a maximum */
		return p->found ? neuron_source_new(c->m, c->box, c->neuron_cmd, c->root, c->neuron_max_w, e, en)
		                : NULL;
	case SK_CPU:
		*power = false;
		cpustat_probe(c->root, p);
		return p->found ? cpustat_source_new(c->m, c->box, c->root, c->interval, e, en) : NULL;
	default:
		return NULL;
	}
}

static void sensor_ctx_free(struct sensor_ctx *c)
{
	free(c->root);
	free(c->nvsmi_cmd);
	free(c->neuron_cmd);
}

static int sensor_ctx_copy(struct sensor_ctx *to, const struct sensor_ctx *from)
{
	*to = *from;
	to->root = strdup(from->root);
	to->nvsmi_cmd = from->nvsmi_cmd ? strdup(from->nvsmi_cmd) : NULL;
	to->neuron_cmd = from->neuron_cmd ? strdup(from->neuron_cmd) : NULL;
	if (!to->root || (from->nvsmi_cmd && !to->nvsmi_cmd) || (from->neuron_cmd && !to->neuron_cmd)) {
		sensor_ctx_free(to);
		return -1;
	}
	return 0;
}

/* A sensor not found at start: probed again every LOCAL_REPROBE seconds
 * (the user may have run the chmod the note suggests, loaded a module,
 * installed a tool), and once found, its source runs inside this one. */
struct late {
	struct source src;
	struct sensor_ctx c;
	enum sensor_kind k;
	struct source *inner;
	double next;
};

static int late_start(struct source *s, double now)
{
	struct late *l = s->priv;
	l->next = now + LOCAL_REPROBE;
	return 0;
}

static int late_fds(struct source *s, struct pollfd *fds, int max)
{
	struct late *l = s->priv;
	return l->inner && l->inner->ops->fds ? l->inner->ops->fds(l->inner, fds, max) : 0;
}

static void late_ready(struct source *s, const struct pollfd *fds, int nfds, double now)
{
	struct late *l = s->priv;
	if (l->inner && l->inner->ops->ready)
		l->inner->ops->ready(l->inner, fds, nfds, now);
}

static double late_tick(struct source *s, double now)
{
	struct late *l = s->priv;
	if (!l->inner && now >= l->next) {
		struct lb_probe p;
		bool power;
		char e[256] = "";
		l->inner = make_sensor(&l->c, l->k, &p, &power, e, sizeof e);
		if (l->inner) {
			l->inner->ops->start(l->inner, now);    /* a failure is in its health */
			localbox_sensor(l->c.box, sensor_names[l->k], true, power, NULL);
		} else {
			localbox_sensor(l->c.box, sensor_names[l->k], false, false, e[0] ? e : p.what);
			l->next = now + LOCAL_REPROBE;
		}
	}
	return l->inner ? l->inner->ops->tick(l->inner, now) : l->next;
}

static void late_stop(struct source *s)
{
	if (!s)
		return;
	struct late *l = s->priv;
	if (l->inner)
		l->inner->ops->stop(l->inner);
	sensor_ctx_free(&l->c);
	free(l);
}

static const struct source_ops late_ops = {
	.kind = "local-probe", .start = late_start, .fds = late_fds, .ready = late_ready,
	.tick = late_tick, .stop = late_stop,
};

static struct source *late_new(const struct sensor_ctx *c, enum sensor_kind k)
{
	struct late *l = calloc(1, sizeof *l);
	if (!l || sensor_ctx_copy(&l->c, c) < 0) {
		free(l);
		return NULL;
	}
	l->k = k;
	l->src.ops = &late_ops;
	l->src.model = c->m;
	l->src.priv = l;
	return &l->src;
}

int local_fleet_add(struct model *m, struct source_set *set, const struct fleet_cfg *f,
                    const char *root, const struct tables *t, const char *hint,
                    size_t *sensors_found, char *err, size_t errlen)
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
	struct sensor_ctx sc = {
		.m = m, .box = box, .root = (char *)root, .nvsmi_cmd = f->nvsmi_cmd, .neuron_cmd = f->neuron_cmd,
		.interval = f->interval > 0 ? f->interval : 1.0, .neuron_max_w = f->neuron_max_w,
	};

	/* probe, then start what was found; what was not is probed again
	 * later; the note lists both */
	struct lb_inventory inv = { .tables = t, .hint = hint };
	size_t nfound = 0;
	for (int k = 0; k < SK__COUNT; k++) {
		if (!wanted(f->sensors, sensor_names[k]))
			continue;
		struct lb_sensor *e = &inv.s[inv.n++];
		snprintf(e->name, sizeof e->name, "%s", sensor_names[k]);
		struct lb_probe p;
		char why[256] = "";
		struct source *s = make_sensor(&sc, (enum sensor_kind)k, &p, &e->power, why, sizeof why);
		if (!s) {
			e->power = false;
			if (p.found)
				snprintf(e->why, sizeof e->why, "%s (%s)", sensor_names[k], why[0] ? why : "could not start");
			else
				snprintf(e->why, sizeof e->why, "%s", p.what[0] ? p.what : sensor_names[k]);
			s = late_new(&sc, (enum sensor_kind)k);
			if (!s) {
				localbox_free(box);
				goto oom;
			}
		} else {
			e->found = true;
			nfound++;
		}
		if (source_set_add(set, s) < 0) {
			localbox_free(box);
			goto oom;
		}
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
	inv.no_type_why = !local_on_ec2(root) ? ""
	                : awscreds_imds_disabled() ? ", and AWS_EC2_METADATA_DISABLED keeps the instance type unknown"
	                : ", and the EC2 instance metadata service did not say the instance type";
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
