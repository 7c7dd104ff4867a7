/*
 * localbox.c - a machine's figures from its parts (localbox.h).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/format.h"
#include "core/rate.h"
#include "fetch/localbox.h"

struct part {
	char id[48];
	enum lb_kind kind;
	double t[MET__COUNT];       /* last reading's time, -INFINITY: none */
	double v[MET__COUNT];
	enum provenance p[MET__COUNT];
};

struct localbox {
	struct source src;
	struct fleet *fleet;
	struct instance *inst;
	struct part part[LOCALBOX_MAX_PARTS];
	size_t nparts;
	double last;                /* the second last recorded */
	bool has_bench;             /* an LB_BENCH part is declared or reports */
	struct lb_inventory inv;
	bool have_inv;
	char type_from[32];         /* the part that named the type, or "" */
};

const char *lb_kind_name(enum lb_kind k)
{
	static const char *const names[] = { "system", "cpu", "dram", "gpu", "accel", "bench", "other" };
	return (unsigned)k <= LB_OTHER ? names[k] : "?";
}

static enum provenance worse(enum provenance a, enum provenance b)
{
	/* measured < estimated < demo: the least measured wins */
	return a > b ? a : b;
}

static struct part *find_part(struct localbox *b, const char *component, enum lb_kind kind)
{
	for (size_t i = 0; i < b->nparts; i++)
		if (strncmp(b->part[i].id, component, sizeof b->part[i].id - 1) == 0)
			return &b->part[i];
	if (b->nparts == LOCALBOX_MAX_PARTS)
		return NULL;
	struct part *pt = &b->part[b->nparts++];
	snprintf(pt->id, sizeof pt->id, "%s", component);
	pt->kind = kind;
	for (int m = 0; m < MET__COUNT; m++)
		pt->t[m] = -INFINITY;
	if (kind == LB_BENCH)
		b->has_bench = true;
	return pt;
}

int localbox_declare(struct localbox *b, const char *component, enum lb_kind kind)
{
	if (!b || !component)
		return 0;
	return find_part(b, component, kind) ? 0 : -1;
}

int localbox_put(struct localbox *b, const char *component, enum lb_kind kind, enum metric k,
                 double t, double v, enum provenance p)
{
	if (!b || !component || (unsigned)k >= MET__COUNT || !isfinite(v) || !isfinite(t))
		return 0;
	struct part *pt = find_part(b, component, kind);
	if (!pt)
		return -1;
	if (kind == LB_BENCH)
		b->has_bench = true;
	pt->kind = kind;
	pt->t[k] = t;
	pt->v[k] = v;
	pt->p[k] = p;
	return 0;
}

static bool fresh(const struct part *pt, int k, double now)
{
	return now - pt->t[k] <= LOCALBOX_FRESH;
}

/* The machine's figure k at `now` by the rules in localbox.h; false when
 * no part has one. */
static bool figure(const struct localbox *b, int k, double now, double *v, enum provenance *p)
{
	double sum = 0;
	int n = 0;
	enum provenance prov = PROV_MEASURED;
	if (k == MET_POWER) {
		for (size_t i = 0; i < b->nparts; i++)
			if (b->part[i].kind == LB_SYSTEM && fresh(&b->part[i], k, now)) {
				*v = b->part[i].v[k];
				*p = b->part[i].p[k];
				return true;
			}
		for (size_t i = 0; i < b->nparts; i++)
			if (fresh(&b->part[i], k, now)) {
				sum += b->part[i].v[k];
				prov = worse(prov, b->part[i].p[k]);
				n++;
			}
	} else if (k == MET_UTIL) {
		for (int pass = 0; pass < 2 && !n; pass++)
			for (size_t i = 0; i < b->nparts; i++) {
				const struct part *pt = &b->part[i];
				bool accel = pt->kind == LB_GPU || pt->kind == LB_ACCEL;
				if ((pass == 0 ? accel : pt->kind == LB_CPU) && fresh(pt, k, now)) {
					sum += pt->v[k];
					prov = worse(prov, pt->p[k]);
					n++;
				}
			}
		if (n)
			sum /= n;
	} else {
		for (int pass = 0; pass < (b->has_bench ? 1 : 2) && !n; pass++)
			for (size_t i = 0; i < b->nparts; i++) {
				const struct part *pt = &b->part[i];
				if ((pass == 0) == (pt->kind == LB_BENCH) && fresh(pt, k, now)) {
					sum += pt->v[k];
					prov = worse(prov, pt->p[k]);
					n++;
				}
			}
	}
	if (!n)
		return false;
	*v = sum;
	*p = prov;
	return true;
}

static double lb_tick(struct source *s, double now)
{
	struct localbox *b = s->priv;
	double sec = floor(now);
	if (sec > b->last) {
		b->last = sec;
		for (int k = 0; k < MET__COUNT; k++) {
			double v;
			enum provenance p;
			if (figure(b, k, now, &v, &p))
				model_record(b->inst, (enum metric)k, now, v, p);
		}
	}
	return sec + 1;
}

void localbox_free(struct localbox *b)
{
	free(b);
}

static void lb_stop(struct source *s)
{
	if (s)
		localbox_free(s->priv);
}

static const struct source_ops lb_ops = {
	.kind = "local", .start = source_start_nothing, .fds = source_no_fds, .ready = source_no_ready,
	.tick = lb_tick,
	.stop = lb_stop,
};

struct localbox *localbox_new(struct model *m, struct fleet *f, const char *instance_id)
{
	if (!m || !f || !instance_id)
		return NULL;
	struct localbox *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->fleet = f;
	b->last = -INFINITY;
	if (!(b->inst = fleet_instance(f, instance_id, true))) {
		free(b);
		return NULL;
	}
	b->src.ops = &lb_ops;
	b->src.model = m;
	b->src.priv = b;
	return b;
}

struct source *localbox_source(struct localbox *b)
{
	return b ? &b->src : NULL;
}

/* Appends `sep` (unless s is empty) and t to s, cut to n. */
static void join(char *s, size_t n, const char *sep, const char *t)
{
	size_t o = strlen(s);
	if (o + 1 < n)
		snprintf(s + o, n - o, "%s%s", o ? sep : "", t);
}

static void write_note(struct localbox *b)
{
	const struct lb_inventory *v = &b->inv;
	struct fleet *f = b->fleet;
	const char *type = f->instance_type && f->instance_type[0] ? f->instance_type : NULL;
	char found[200] = "", missing[sizeof f->note] = "";
	bool have_power = false;
	for (size_t i = 0; i < v->n; i++) {
		if (v->s[i].found)
			join(found, sizeof found, ", ", v->s[i].name);
		else
			join(missing, sizeof missing, "; ", v->s[i].why[0] ? v->s[i].why : v->s[i].name);
		have_power |= v->s[i].found && v->s[i].power;
	}
	if (!v->n) {
		f->note[0] = '\0';     /* no sensor looked for: throughput only, as asked */
		return;
	}
	if (!found[0]) {
		const char *hint = v->hint && !b->has_bench ? v->hint : "";
		size_t room = sizeof f->note - sizeof "no sensor found: " - strlen(hint);
		snprintf(f->note, sizeof f->note, "no sensor found: %.*s%s", (int)room, missing, hint);
		return;
	}
	char how[240] = "";         /* how power is had without a sensor */
	if (have_power)
		;
	else if (!type)
		snprintf(how, sizeof how, "no power sensor%s: give --type TYPE to estimate power from utilization",
		         v->no_type_why ? v->no_type_why : "");
	else if (v->tables && tables_power(v->tables, type))
		snprintf(how, sizeof how, "power estimated from utilization");
	else
		snprintf(how, sizeof how, "no power sensor, and data/power.csv has no power model for %.40s: "
		         "power unknown", type);
	char from[64] = "";
	if (b->type_from[0])
		snprintf(from, sizeof from, "%sinstance type from %s", how[0] ? "; " : "", b->type_from);
	snprintf(f->note, sizeof f->note, "sensors: %s%s%s%s%s%s%s", found, how[0] || from[0] ? " (" : "",
	         how, from, how[0] || from[0] ? ")" : "", missing[0] ? "; not found: " : "", missing);
}

void localbox_inventory(struct localbox *b, const struct lb_inventory *inv)
{
	if (!b || !inv)
		return;
	b->inv = *inv;
	b->have_inv = true;
	write_note(b);
}

void localbox_sensor(struct localbox *b, const char *name, bool found, bool power, const char *why)
{
	if (!b || !name)
		return;
	for (size_t i = 0; i < b->inv.n; i++) {
		struct lb_sensor *s = &b->inv.s[i];
		if (strcmp(s->name, name) != 0)
			continue;
		s->found = found;
		s->power = found && power;
		snprintf(s->why, sizeof s->why, "%s", found || !why ? "" : why);
		if (b->have_inv)
			write_note(b);
		return;
	}
}

int localbox_learn_type(struct localbox *b, const char *type, const char *from)
{
	if (!b)
		return 0;
	int r = fleet_learn_type(b->src.model, b->fleet, type);
	if (r == 1) {
		snprintf(b->type_from, sizeof b->type_from, "%s", from ? from : "a sensor");
		if (b->have_inv)
			write_note(b);
	}
	return r;
}

struct fleet *localbox_fleet(const struct localbox *b)
{
	return b ? b->fleet : NULL;
}

struct instance *localbox_instance(const struct localbox *b)
{
	return b ? b->inst : NULL;
}

const char *localbox_describe(const struct localbox *b, double now, char *buf, size_t n)
{
	if (!n)
		return buf;
	buf[0] = '\0';
	size_t o = 0;
	for (size_t i = 0; b && i < b->nparts && o + 1 < n; i++) {
		const struct part *pt = &b->part[i];
		if (!fresh(pt, MET_POWER, now))
			continue;
		char w[32];
		fmt_si(w, sizeof w, pt->v[MET_POWER], 0, "W", true);
		int k = snprintf(buf + o, n - o, "%s%s %s%s", o ? " + " : "", pt->id,
		                 pt->p[MET_POWER] == PROV_ESTIMATED ? "~" : "", w);
		if (k < 0)
			break;
		o += (size_t)k;
	}
	if (o >= n)
		buf[n - 1] = '\0';
	return buf;
}

bool localbox_part_args(const char *kind, const struct model *m, const struct localbox *b,
                        double *interval, char *err, size_t errlen)
{
	if (!m || !b || !isfinite(*interval) || *interval < 0) {
		if (errlen)
			snprintf(err, errlen, "%s: %s", kind, !m || !b ? "no model or box" : "bad poll interval");
		return false;
	}
	if (*interval == 0)
		*interval = 1;
	if (*interval < RATE_MIN_DT)
		*interval = RATE_MIN_DT;
	return true;
}

double localbox_part_next(double *next, double interval, double now)
{
	*next += interval;
	if (*next <= now)
		*next = now + interval;
	return *next;
}

void localbox_part_health(struct source_health *h, size_t read_ok, const char *note,
                          const char *none_read, double now, double t0)
{
	if (read_ok == 0) {
		health_set_error(h, HEALTH_FAILING, "%s", note[0] ? note : none_read);
	} else {
		health_set_ok(h, now, (clock_now() - t0) * 1e3);
		if (note[0])
			health_set_error(h, HEALTH_OK, "%s", note);
	}
}
