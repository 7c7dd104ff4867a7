/* scenario.c - demo scenarios from INI text (inih); see scenario.h. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/inifile.h"
#include "core/parse.h"
#include "core/scenario.h"
#include "data/embedded.h"

const char *const scenario_builtin_names[] = { "inference", "training", NULL };

struct loader {
	struct scenario *sc;
	char *err;
	size_t errlen;
	const char *origin;
	int line;               /* set by the handler on its first error */
};

static int fail(struct loader *ld, int line, const char *fmt, const char *a, const char *b)
{
	if (ld->line == 0) {
		char msg[256];
		snprintf(msg, sizeof msg, fmt, a, b);
		snprintf(ld->err, ld->errlen, "%s:%d: %s", ld->origin, line, msg);
		ld->line = line;
	}
	return 0;
}

static int set_str(char **field, const char *v)
{
	char *copy = strdup(v);
	if (!copy)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

static struct scenario_fleet *fleet_for(struct loader *ld, const char *name)
{
	struct scenario *sc = ld->sc;
	for (size_t i = 0; i < sc->nfleets; i++)
		if (strcmp(sc->fleet[i].name, name) == 0)
			return &sc->fleet[i];
	if (sc->nfleets == SCENARIO_MAX_FLEETS)
		return NULL;
	struct scenario_fleet *f = &sc->fleet[sc->nfleets];
	memset(f, 0, sizeof *f);
	f->usd_per_hour = NAN;
	f->idle_w = NAN;
	if (!(f->name = strdup(name)))
		return NULL;
	sc->nfleets++;
	return f;
}

static int on_scenario_key(struct loader *ld, const char *key, const char *value, int line)
{
	struct scenario *sc = ld->sc;
	char **field = !strcmp(key, "title") ? &sc->title : !strcmp(key, "source") ? &sc->source
	             : !strcmp(key, "note") ? &sc->note : !strcmp(key, "unit") ? &sc->unit : NULL;
	if (field)
		return set_str(field, value) == 0 ? 1 : fail(ld, line, "out of memory%s%s", "", "");
	if (!strcmp(key, "sla")) {
		double ps;
		if (parse_rate(value, &ps) < 0 || ps <= 0)
			return fail(ld, line, "sla: '%s' is not a rate such as 1000000/h%s", value, "");
		sc->sla_per_hour = ps * 3600;
		return 1;
	}
	if (!strcmp(key, "work")) {
		if (parse_number(value, &sc->work_units) < 0 || sc->work_units <= 0)
			return fail(ld, line, "work: '%s' is not a positive number%s", value, "");
		return 1;
	}
	return fail(ld, line, "unknown key '%s' in [scenario]%s", key, "");
}

static int positive(const char *v, double *out)
{
	return parse_number(v, out) == 0 && *out >= 0 ? 0 : -1;
}

static int on_fleet_key(struct loader *ld, struct scenario_fleet *f, const char *key,
                        const char *value, int line)
{
	double d;
	if (!strcmp(key, "type"))
		return set_str(&f->type, value) == 0 ? 1 : fail(ld, line, "out of memory%s%s", "", "");
	if (!strcmp(key, "baseline")) {
		if (parse_bool(value, &f->baseline) < 0)
			return fail(ld, line, "baseline: '%s' is not true or false%s", value, "");
		return 1;
	}
	static const char *const numeric[] = { "instances", "usd_per_hour", "throughput", "power_w", "idle_w", NULL };
	const char *const *k = numeric;
	while (*k && strcmp(*k, key))
		k++;
	if (!*k)
		return fail(ld, line, "unknown key '%s' in a [fleet] section%s", key, "");
	if (positive(value, &d) < 0)
		return fail(ld, line, "%s: '%s' is not a number >= 0", key, value);
	if (!strcmp(key, "instances")) {
		if (d < 1 || d > 100000 || d != floor(d))
			return fail(ld, line, "instances: '%s' is not a whole number from 1 to 100000%s", value, "");
		f->instances = (unsigned)d;
	} else if (!strcmp(key, "usd_per_hour")) {
		f->usd_per_hour = d;
	} else if (!strcmp(key, "throughput")) {
		f->throughput = d;
	} else if (!strcmp(key, "power_w")) {
		f->power_w = d;
	} else {
		f->idle_w = d;
	}
	return 1;
}

static int on_ini(void *user, const char *section, const char *key, const char *value, int line,
                  bool continued)
{
	struct loader *ld = user;
	if (continued)
		return fail(ld, line, "a value cannot go on over several lines here%s%s", "", "");
	if (ld->line)
		return 0;
	if (!strcmp(section, "scenario"))
		return on_scenario_key(ld, key, value, line);
	if (!strncmp(section, "fleet ", 6) && section[6]) {
		struct scenario_fleet *f = fleet_for(ld, section + 6);
		if (!f)
			return fail(ld, line, "too many fleets (at most %s)%s", "8", "");
		return on_fleet_key(ld, f, key, value, line);
	}
	return fail(ld, line, "unknown section [%s]%s", section, "");
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->nfleets; i++) {
		free(sc->fleet[i].name);
		free(sc->fleet[i].type);
	}
	free(sc->name);
	free(sc->title);
	free(sc->source);
	free(sc->note);
	free(sc->unit);
	free(sc);
}

/* What a loaded scenario must have for the demo to make sense. */
static int validate(struct loader *ld)
{
	struct scenario *sc = ld->sc;
	if (sc->nfleets == 0) {
		snprintf(ld->err, ld->errlen, "%s: no [fleet NAME] section", ld->origin);
		return -1;
	}
	size_t baselines = 0;
	for (size_t i = 0; i < sc->nfleets; i++) {
		struct scenario_fleet *f = &sc->fleet[i];
		const char *missing = f->instances == 0 ? "instances" : f->throughput <= 0 ? "throughput"
		                    : f->power_w <= 0 ? "power_w" : NULL;
		if (missing) {
			snprintf(ld->err, ld->errlen, "%s: [fleet %s] needs %s > 0", ld->origin, f->name, missing);
			return -1;
		}
		if (isnan(f->idle_w))
			f->idle_w = 0.3 * f->power_w;
		if (f->idle_w > f->power_w) {
			snprintf(ld->err, ld->errlen, "%s: [fleet %s] idle_w is above power_w", ld->origin, f->name);
			return -1;
		}
		baselines += f->baseline;
	}
	if (baselines > 1) {
		snprintf(ld->err, ld->errlen, "%s: more than one fleet says baseline = true", ld->origin);
		return -1;
	}
	if (baselines == 0)
		sc->fleet[0].baseline = true;
	if (!sc->unit && set_str(&sc->unit, "units") < 0)
		return -1;
	return 0;
}

struct scenario *scenario_parse(const char *text, const char *origin, char *err, size_t errlen)
{
	struct scenario *sc = calloc(1, sizeof *sc);
	if (!sc) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct loader ld = { sc, err, errlen, origin, 0 };
	const struct inifile_cb cb = { NULL, on_ini };
	struct inifile_error ie;
	int r = inifile_parse(text, &cb, &ld, &ie);
	if (r != 0 && ld.line == 0)
		snprintf(err, errlen, "%s:%d: %s", origin, ie.line,
		         ie.status == INIFILE_TOO_LONG ? "line too long" : "malformed line");
	if (r != 0 || validate(&ld) < 0) {
		scenario_free(sc);
		return NULL;
	}
	return sc;
}

struct scenario *scenario_load_builtin(const char *name, char *err, size_t errlen)
{
	char path[128];
	snprintf(path, sizeof path, "scenarios/%s.ini", name);
	const char *text = strchr(name, '/') ? NULL : embedded_find(path);
	if (!text) {
		snprintf(err, errlen, "unknown demo scenario '%s' (try: inference, training)", name);
		return NULL;
	}
	struct scenario *sc = scenario_parse(text, path, err, errlen);
	if (sc && !(sc->name = strdup(name))) {
		scenario_free(sc);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return sc;
}
