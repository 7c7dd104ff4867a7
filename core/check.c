/* check.c - parsing and evaluating --check expressions; see check.h. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/check.h"
#include "core/parse.h"

static const char *const op_text[] = { "<=", "<", ">=", ">", "==", "!=" };

/* The value a key names for fleet i; NAN when unknown; -2 return: no such key. */
static int key_value(const char *key, const struct savings *s, size_t i, double *out)
{
	const struct proj_saving *sv = &s->saving[i];
	const struct proj_fleet *pf = &s->fleet[i];
	static const char *const pct[] = { "instances_pct", "energy_pct", "cost_pct", "co2_pct", "time_pct" };
	double nominal[5] = { sv->instances_pct, sv->energy_pct, sv->cost_pct, sv->co2_pct, sv->time_pct };
	const struct proj_range *r[5] = { &sv->r_instances, &sv->r_energy, &sv->r_cost, &sv->r_co2, &sv->r_time };
	for (int k = 0; k < 5; k++) {
		size_t len = strlen(pct[k]);
		if (strncmp(key, pct[k], len) != 0)
			continue;
		if (key[len] == '\0') { *out = nominal[k]; return 0; }
		if (!strcmp(key + len, "_lo")) { *out = r[k]->lo; return 0; }
		if (!strcmp(key + len, "_hi")) { *out = r[k]->hi; return 0; }
	}
	static const char *const own[] = { "instances", "hours", "energy_kwh", "usd", "usd_per_million", "co2_kg" };
	double v[6] = { pf->instances, pf->hours, pf->energy_kwh, pf->usd, pf->usd_per_million, pf->co2_kg };
	for (int k = 0; k < 6; k++)
		if (!strcmp(key, own[k])) {
			*out = v[k];
			return 0;
		}
	return -2;
}

static int known_key(const char *key)
{
	struct proj_saving sv;
	struct proj_fleet pf;
	memset(&sv, 0, sizeof sv);
	memset(&pf, 0, sizeof pf);
	struct savings s;
	memset(&s, 0, sizeof s);
	s.saving = &sv;
	s.fleet = &pf;
	double v;
	return key_value(key, &s, 0, &v) == 0;
}

int check_parse(const char *expr, struct check *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof c[0]);
	if (!expr || strlen(expr) >= sizeof c->text) {
		snprintf(err, errlen, "--check: the expression is empty or too long");
		return -1;
	}
	snprintf(c->text, sizeof c->text, "%s", expr);
	char buf[160];
	/* drop blanks: 'energy_pct <= -50' reads like 'energy_pct<=-50' */
	size_t o = 0;
	for (const char *p = expr; *p; p++)
		if (*p != ' ' && *p != '\t')
			buf[o++] = *p;
	buf[o] = '\0';

	char *op = strpbrk(buf, "<>=!");
	if (!op) {
		snprintf(err, errlen, "--check '%s': no comparison (use <=, <, >=, >, == or !=)", expr);
		return -1;
	}
	int which = -1;
	for (int k = 0; k < 6; k++) {
		size_t len = strlen(op_text[k]);
		if (!strncmp(op, op_text[k], len) && (which < 0 || len > strlen(op_text[which])))
			which = k;
	}
	if (which < 0) {
		snprintf(err, errlen, "--check '%s': unknown comparison (use <=, <, >=, >, == or !=)", expr);
		return -1;
	}
	c->op = (enum check_op)which;
	const char *num = op + strlen(op_text[which]);
	*op = '\0';

	char *colon = strchr(buf, ':');
	const char *key = buf;
	if (colon) {
		*colon = '\0';
		if (!buf[0] || strlen(buf) >= sizeof c->fleet) {
			snprintf(err, errlen, "--check '%s': the fleet name before ':' is empty or too long", expr);
			return -1;
		}
		snprintf(c->fleet, sizeof c->fleet, "%s", buf);
		key = colon + 1;
	}
	if (!*key || strlen(key) >= sizeof c->key || !known_key(key)) {
		snprintf(err, errlen, "--check '%s': unknown key '%s' (try energy_pct, cost_pct, "
		         "instances_pct, co2_pct, time_pct, usd_per_million)", expr, key);
		return -1;
	}
	snprintf(c->key, sizeof c->key, "%s", key);
	if (parse_number(num, &c->value) < 0) {
		snprintf(err, errlen, "--check '%s': '%s' is not a number", expr, num);
		return -1;
	}
	return 0;
}

static int holds(enum check_op op, double v, double want)
{
	switch (op) {
	case CHK_LE: return v <= want;
	case CHK_LT: return v < want;
	case CHK_GE: return v >= want;
	case CHK_GT: return v > want;
	case CHK_EQ: return v == want;
	case CHK_NE: return v != want;
	}
	return 0;
}

__attribute__((format(printf, 3, 4)))
static void append(char *report, size_t len, const char *fmt, ...)
{
	size_t used = strlen(report);
	if (used + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(report + used, len - used, fmt, ap);
	va_end(ap);
}

int check_eval(const struct check *c, const struct model *m, const struct savings *s,
               char *report, size_t reportlen)
{
	int failed = 0, looked = 0;
	for (size_t i = 0; i < s->n && i < m->nfleets; i++) {
		const char *name = m->fleets[i]->name;
		if (c->fleet[0] ? strcmp(c->fleet, name) != 0 : (int)i == s->baseline)
			continue;
		looked++;
		double v = NAN;
		if (s->ok)
			key_value(c->key, s, i, &v);
		if (!isfinite(v)) {
			failed++;
			append(report, reportlen, "check FAILED: %s %s: unknown (%s)\n", name, c->text,
			       s->ok ? "a throughput, price, power or intensity is missing" : s->error);
			continue;
		}
		if (holds(c->op, v, c->value)) {
			append(report, reportlen, "check ok: %s %s: %.4g\n", name, c->text, v);
		} else {
			failed++;
			append(report, reportlen, "check FAILED: %s %s: %.4g, off by %.4g\n", name, c->text, v,
			       fabs(v - c->value));
		}
	}
	if (looked == 0) {
		failed++;
		append(report, reportlen, "check FAILED: %s: %s\n", c->text,
		       c->fleet[0] ? "no such candidate fleet" : "no candidate fleet");
	}
	return failed;
}
