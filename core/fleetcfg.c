/* fleetcfg.c - the config file, --fleet specs and their checks; see fleetcfg.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/fleetcfg.h"
#include "core/format.h"
#include "core/inifile.h"
#include "core/parse.h"

#define MAX_INSTANCES 100000
#define MAX_SECONDS 86400.0     /* longest interval or timeout */
#define MAX_FILE (1 << 20)      /* a config file larger than this is a mistake */
#define MAX_SLA_PER_HOUR 1e18

/* The scrape source's presets (fetch/presets.c): core/ may not include it. */
static const char *const presets[] = { "dcgm", "node", "neuron", "scaphandre", "kepler", NULL };
/* The CloudWatch source's presets: keep in step with fetch/cloudwatch.c.
 * "neuron" is both: a cloudwatch fleet's neuron reads what
 * neuron-monitor-cloudwatch.py publishes, a scrape fleet's its Prometheus
 * bridge. */
static const char *const cw_presets[] = { "cwagent-gpu", "ec2", "neuron", NULL };

#define CW_NAME_MAX 255     /* bytes in a namespace, a metric or a dimension name */
#define CW_VALUE_MAX 1024   /* bytes in a dimension value */
#define CW_DIMS_MAX 30      /* dimensions of one metric: CloudWatch's limit */
#define CW_EXPR_MAX 1024    /* bytes in a Metric Math or SEARCH expression */
#define CW_SETTLE_MAX 900.0

/* The local fleet's power sensors: keep in step with main.c's local sources. */
static const char *const local_sensors[] = { "rapl", "hwmon", "cpu", "nvidia-smi", "neuron", NULL };
#define NEURON_MAX_W 10000.0

/* ---- keys ---------------------------------------------------------------- */

enum fkey {
	FK_TYPE, FK_INSTANCES, FK_UNIT, FK_USD, FK_BASELINE, FK_SOURCE, FK_PRESET,
	FK_TARGETS, FK_FILE_SD, FK_THR, FK_THR_SCALE, FK_POWER, FK_POWER_UNIT,
	FK_UTIL, FK_UTIL_UNIT, FK_SERVER, FK_Q_THR, FK_Q_POWER, FK_Q_UTIL,
	FK_THR_EXPR, FK_POWER_EXPR, FK_UTIL_EXPR, FK_THR_STAT, FK_POWER_STAT, FK_UTIL_STAT,
	FK_SELECT, FK_NAMESPACE, FK_PERIOD, FK_SETTLE,
	FK_SENSORS, FK_NVSMI, FK_NEURON_CMD, FK_NEURON_MAX_W, FK_FOLLOW, FK_FOLLOW_CMD, FK_FOLLOW_COUNTER,
	FK_MATCH, FK_MATCH_KIND,
	FK_INTERVAL, FK_TIMEOUT, FK_BEARER, FK_BASIC, FK_CA, FK_INSECURE,
	FK_COUNT
};

/* The keys of each figure, by enum metric (throughput, power, utilization). */
static const enum fkey fig_key[3] = { FK_THR, FK_POWER, FK_UTIL };
static const enum fkey expr_key[3] = { FK_THR_EXPR, FK_POWER_EXPR, FK_UTIL_EXPR };
static const enum fkey stat_key[3] = { FK_THR_STAT, FK_POWER_STAT, FK_UTIL_STAT };

#define K_CONT   1u     /* an indented line may continue the value */
/* A key with source flags is only for those sources; one without, for all. */
#define K_SCRAPE 2u
#define K_PROMQL 4u
#define K_CW     8u
#define K_LOCAL  16u
#define K_SOURCES (K_SCRAPE | K_PROMQL | K_CW | K_LOCAL)

static const char *const fkey_name[FK_COUNT] = {
	[FK_TYPE] = "type", [FK_INSTANCES] = "instances", [FK_UNIT] = "unit",
	[FK_USD] = "usd_per_hour", [FK_BASELINE] = "baseline", [FK_SOURCE] = "source",
	[FK_PRESET] = "preset", [FK_TARGETS] = "targets", [FK_FILE_SD] = "file_sd",
	[FK_THR] = "throughput", [FK_THR_SCALE] = "throughput_scale", [FK_POWER] = "power",
	[FK_POWER_UNIT] = "power_unit", [FK_UTIL] = "utilization",
	[FK_UTIL_UNIT] = "utilization_unit", [FK_SERVER] = "server",
	[FK_Q_THR] = "query_throughput", [FK_Q_POWER] = "query_power",
	[FK_Q_UTIL] = "query_utilization",
	[FK_THR_EXPR] = "throughput_expression", [FK_POWER_EXPR] = "power_expression",
	[FK_UTIL_EXPR] = "utilization_expression", [FK_THR_STAT] = "throughput_stat",
	[FK_POWER_STAT] = "power_stat", [FK_UTIL_STAT] = "utilization_stat",
	[FK_SELECT] = "select", [FK_NAMESPACE] = "namespace", [FK_PERIOD] = "period",
	[FK_SETTLE] = "settle",
	[FK_SENSORS] = "sensors", [FK_NVSMI] = "nvidia_smi", [FK_NEURON_CMD] = "neuron_monitor",
	[FK_NEURON_MAX_W] = "neuron_max_w", [FK_FOLLOW] = "follow", [FK_FOLLOW_CMD] = "follow_cmd",
	[FK_FOLLOW_COUNTER] = "follow_counter", [FK_MATCH] = "match", [FK_MATCH_KIND] = "match_kind",
	[FK_INTERVAL] = "interval", [FK_TIMEOUT] = "timeout",
	[FK_BEARER] = "bearer_token_file", [FK_BASIC] = "basic_auth_file", [FK_CA] = "ca_file",
	[FK_INSECURE] = "insecure_skip_verify",
};

static const unsigned fkey_flags[FK_COUNT] = {
	[FK_PRESET] = K_SCRAPE | K_CW, [FK_TARGETS] = K_SCRAPE | K_CONT, [FK_FILE_SD] = K_SCRAPE,
	/* METRIC{MATCHERS} for scrape, NAMESPACE/METRIC{DIMENSIONS} for cloudwatch */
	[FK_THR] = K_SCRAPE | K_CW | K_CONT, [FK_POWER] = K_SCRAPE | K_CW | K_CONT,
	[FK_UTIL] = K_SCRAPE | K_CW | K_CONT,
	/* a query computes units/s, W and percent itself (fetch/promql.h) */
	/* a local fleet's scales what it follows */
	[FK_THR_SCALE] = K_SCRAPE | K_CW | K_LOCAL, [FK_POWER_UNIT] = K_SCRAPE | K_CW, [FK_UTIL_UNIT] = K_SCRAPE | K_CW,
	[FK_SERVER] = K_PROMQL, [FK_Q_THR] = K_PROMQL | K_CONT, [FK_Q_POWER] = K_PROMQL | K_CONT,
	[FK_Q_UTIL] = K_PROMQL | K_CONT,
	[FK_THR_EXPR] = K_CW | K_CONT, [FK_POWER_EXPR] = K_CW | K_CONT, [FK_UTIL_EXPR] = K_CW | K_CONT,
	[FK_THR_STAT] = K_CW, [FK_POWER_STAT] = K_CW, [FK_UTIL_STAT] = K_CW,
	[FK_SELECT] = K_CW, [FK_NAMESPACE] = K_CW, [FK_PERIOD] = K_CW, [FK_SETTLE] = K_CW,
	/* CloudWatch requests are signed with AWS credentials, over AWS's TLS */
	[FK_BEARER] = K_SCRAPE | K_PROMQL, [FK_BASIC] = K_SCRAPE | K_PROMQL,
	[FK_CA] = K_SCRAPE | K_PROMQL, [FK_INSECURE] = K_SCRAPE | K_PROMQL,
	/* a request's; a local fleet's sensors are read on this machine */
	[FK_TIMEOUT] = K_SCRAPE | K_PROMQL | K_CW,
	[FK_SENSORS] = K_LOCAL, [FK_NVSMI] = K_LOCAL, [FK_NEURON_CMD] = K_LOCAL, [FK_NEURON_MAX_W] = K_LOCAL,
	[FK_FOLLOW] = K_LOCAL, [FK_FOLLOW_CMD] = K_LOCAL, [FK_FOLLOW_COUNTER] = K_LOCAL, [FK_MATCH] = K_LOCAL,
	[FK_MATCH_KIND] = K_LOCAL,
};

enum dkey {
	DK_INTERVAL, DK_WINDOW, DK_THEME, DK_REGION, DK_SLA, DK_WORK, DK_BASELINE, DK_AWS_PROFILE,
	DK_CW_USD, DK_COUNT
};

static const char *const dkey_name[DK_COUNT] = {
	"interval", "window", "theme", "region", "sla", "work", "baseline", "aws_profile",
	"cloudwatch_usd_per_1000_metrics",
};

static int find_name(const char *const *names, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], key) == 0)
			return (int)i;
	return -1;
}

static size_t count_names(const char *const *names)
{
	size_t n = 0;
	while (names[n])
		n++;
	return n;
}

/* The sources a preset is for (K_SCRAPE, K_CW or both), 0 for none. */
static unsigned preset_sources(const char *name)
{
	unsigned src = 0;
	if (name && find_name(presets, count_names(presets), name) >= 0)
		src |= K_SCRAPE;
	if (name && find_name(cw_presets, count_names(cw_presets), name) >= 0)
		src |= K_CW;
	return src;
}

static unsigned source_flag(enum fleet_source s)
{
	return s == FLEET_SRC_SCRAPE ? K_SCRAPE : s == FLEET_SRC_PROMQL ? K_PROMQL
	     : s == FLEET_SRC_CLOUDWATCH ? K_CW : s == FLEET_SRC_LOCAL ? K_LOCAL : 0;
}

static const char *source_name(enum fleet_source s)
{
	return s == FLEET_SRC_SCRAPE ? "scrape" : s == FLEET_SRC_PROMQL ? "promql"
	     : s == FLEET_SRC_CLOUDWATCH ? "cloudwatch" : s == FLEET_SRC_LOCAL ? "local" : "not set";
}

/* Levenshtein distance, ignoring case; SIZE_MAX for long words. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[41];
	if (la > 40 || lb > 40)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The name a typo most likely meant (at most two edits away), or NULL. */
static const char *nearest(const char *const *names, size_t n, const char *key)
{
	const char *best = NULL;
	size_t bestd = 3;
	for (size_t i = 0; i < n; i++) {
		size_t dist = edit_distance(key, names[i]);
		if (dist < bestd) {
			bestd = dist;
			best = names[i];
		}
	}
	return best;
}

/* ---- messages ------------------------------------------------------------ */

/* User text made safe and short for a message: control characters replaced,
 * cut at about 80 bytes. */
struct shown {
	char s[100];
};

static const char *shown(struct shown *b, const char *v)
{
	size_t len = fmt_sanitize(b->s, sizeof b->s, v ? v : "", true);
	if (len > 80) {
		size_t cut = 76;
		while (cut > 0 && ((unsigned char)b->s[cut] & 0xC0) == 0x80)
			cut--;
		memcpy(b->s + cut, "...", 4);
	}
	return b->s;
}

/* "http://user:secret@host/" -> "http://user:***@host/": a password in a
 * URL is a secret, and secrets are never printed. */
static void mask_url(char *dst, size_t n, const char *url)
{
	const char *auth = strstr(url, "://");
	auth = auth ? auth + 3 : url;
	size_t alen = strcspn(auth, "/?#");
	const char *at = NULL, *colon = NULL;
	for (size_t i = 0; i < alen; i++)
		if (auth[i] == '@')
			at = auth + i;
	for (const char *p = auth; at && p < at; p++)
		if (*p == ':') {
			colon = p;
			break;
		}
	if (at && colon)
		snprintf(dst, n, "%.*s***%s", (int)(colon + 1 - url), url, at);
	else
		snprintf(dst, n, "%s", url);
}

static const char *shown_url(struct shown *b, const char *url)
{
	char masked[512];
	mask_url(masked, sizeof masked, url ? url : "");
	return shown(b, masked);
}

/* Where messages go and what they start with. */
struct ctx {
	char *err;
	size_t errlen;
	char origin[140];       /* file name or "--fleet #2", sanitized; "" for none */
	bool lines;             /* the origin has lines (a file), not a --fleet spec */
	bool failed;
};

static void ctx_init(struct ctx *c, char *err, size_t errlen, const char *origin, bool lines)
{
	memset(c, 0, sizeof *c);
	c->err = err;
	c->errlen = errlen;
	c->lines = lines;
	origin = origin ? origin : "";
	size_t len = strlen(origin);
	if (len >= sizeof c->origin) {
		/* a long path: its end says more than its start */
		const char *tail = origin + len - (sizeof c->origin - 4);
		while (((unsigned char)*tail & 0xC0) == 0x80)
			tail++;
		memcpy(c->origin, "...", 3);
		fmt_sanitize(c->origin + 3, sizeof c->origin - 3, tail, true);
	} else {
		fmt_sanitize(c->origin, sizeof c->origin, origin, true);
	}
}

/* Writes "origin:line: scope key: message" (the first time only); -1. */
__attribute__((format(printf, 5, 6)))
static int fail(struct ctx *c, int line, const char *scope, const char *key, const char *fmt, ...)
{
	if (c->failed)
		return -1;
	c->failed = true;
	char msg[400], at[200] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->origin[0] && c->lines && line > 0)
		snprintf(at, sizeof at, "%s:%d: ", c->origin, line);
	else if (c->origin[0])
		snprintf(at, sizeof at, "%s: ", c->origin);
	if (c->errlen)
		snprintf(c->err, c->errlen, "%s%s%s%s%s%s", at, scope ? scope : "", scope ? " " : "",
		         key ? key : "", key ? ": " : "", msg);
	return -1;
}

static void fleet_scope(char *buf, size_t n, const char *name)
{
	struct shown sn;
	snprintf(buf, n, "[fleet %s]", shown(&sn, name));
}

/* ---- values -------------------------------------------------------------- */

static int set_str(char **field, const char *v)
{
	char *copy = strdup(v);
	if (!copy)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

/* No control character, no C1, valid UTF-8: what fmt_sanitize leaves alone. */
static bool printable(const char *s)
{
	size_t len = strlen(s);
	char small[256];
	char *buf = len < sizeof small ? small : malloc(len + 1);
	if (!buf)
		return false;
	fmt_sanitize(buf, len + 1, s, true);
	bool ok = strcmp(buf, s) == 0;
	if (buf != small)
		free(buf);
	return ok;
}

/* A word such as an instance type, a theme or a region. */
static bool is_word(const char *v)
{
	return *v && !strpbrk(v, " \t") && printable(v);
}

/* Why a fleet name cannot be, or NULL. */
static const char *name_problem(const char *name)
{
	if (!name || !*name)
		return "is empty";
	if (strlen(name) > FLEETCFG_NAME_MAX)
		return "is longer than 63 bytes";
	if (!printable(name))
		return "has a control character or invalid UTF-8";
	if (isspace((unsigned char)name[0]) || isspace((unsigned char)name[strlen(name) - 1]))
		return "starts or ends with a blank";
	return NULL;
}

static const char *url_problem(const char *v)
{
	size_t skip = !strncasecmp(v, "http://", 7) ? 7 : !strncasecmp(v, "https://", 8) ? 8 : 0;
	if (!skip)
		return "does not start with http:// or https://";
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= 0x20 || *p == 0x7F)
			return "has a blank or a control character";
	if (!printable(v))
		return "has invalid UTF-8";
	if (!v[skip] || v[skip] == '/')
		return "has no host";
	return NULL;
}

/* The text between s and e without blanks at either end, allocated. */
static char *trimmed(const char *s, const char *e)
{
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	char *out = malloc((size_t)(e - s) + 1);
	if (out) {
		memcpy(out, s, (size_t)(e - s));
		out[e - s] = '\0';
	}
	return out;
}

static bool is_name_start(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':';
}

static bool is_name_char(int ch)
{
	return is_name_start(ch) || (ch >= '0' && ch <= '9');
}

int metric_map_parse(struct metric_map *m, const char *text, char *err, size_t errlen)
{
	struct shown sv;
	const char *p = text ? text : "";
	while (isspace((unsigned char)*p))
		p++;
	const char *name = p;
	if (!is_name_start((unsigned char)*p)) {
		snprintf(err, errlen, "'%s' does not start with a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)",
		         shown(&sv, text));
		return -1;
	}
	while (is_name_char((unsigned char)*p))
		p++;
	const char *name_end = p;
	while (isspace((unsigned char)*p))
		p++;
	const char *ms = NULL, *me = NULL;
	if (*p == '{') {
		ms = ++p;
		char quote = 0;
		for (; *p; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7F) {
				snprintf(err, errlen, "'%s' has a control character", shown(&sv, text));
				return -1;
			}
			if (quote) {
				if (*p == '\\' && quote != '`' && p[1])
					p++;
				else if (*p == quote)
					quote = 0;
			} else if (*p == '"' || *p == '\'' || *p == '`') {
				quote = *p;
			} else if (*p == '{') {
				snprintf(err, errlen, "'%s' has a '{' inside its matchers", shown(&sv, text));
				return -1;
			} else if (*p == '}') {
				break;
			}
		}
		if (quote) {
			snprintf(err, errlen, "'%s' has a quote without its end", shown(&sv, text));
			return -1;
		}
		if (*p != '}') {
			snprintf(err, errlen, "'%s' has a '{' without its '}'", shown(&sv, text));
			return -1;
		}
		me = p++;
		while (isspace((unsigned char)*p))
			p++;
	}
	if (*p) {
		snprintf(err, errlen, *p == '}' ? "'%s' has a '}' without its '{'"
		                    : "'%s' is not METRIC or METRIC{MATCHERS}", shown(&sv, text));
		return -1;
	}
	char *metric = trimmed(name, name_end);
	char *matchers = ms ? trimmed(ms, me) : NULL;
	if (!metric || (ms && !matchers)) {
		free(metric);
		free(matchers);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (matchers && !*matchers) {
		free(matchers);
		matchers = NULL;
	}
	free(m->metric);
	free(m->matchers);
	m->metric = metric;
	m->matchers = matchers;
	return 0;
}

/* ---- CloudWatch values ----------------------------------------------------- */

static void cw_dims_free(struct cw_dim_cfg *dims, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(dims[i].name);
		free(dims[i].value);
	}
	free(dims);
}

/* Frees g's metric (namespace, name, dimensions), leaving the rest. */
static void cw_fig_free_metric(struct cw_fig *g)
{
	free(g->ns);
	free(g->metric);
	cw_dims_free(g->dims, g->ndims);
	g->ns = g->metric = NULL;
	g->dims = NULL;
	g->ndims = 0;
}

/* Parses the "{Dim=Value, Dim2="a,b", Dim3}" after a metric (p at the '{')
 * into dims; *end is left after the '}'.  A value may be double-quoted
 * (with \" and \\) to hold ',', '}', '=' or blanks at its ends.  0, or -1
 * with a message about text. */
static int cw_dims_parse(const char *text, const char *p, const char **end, struct cw_dim_cfg **out,
                         size_t *nout, char *err, size_t errlen)
{
	struct shown sv, sn;
	struct cw_dim_cfg *dims = NULL;
	size_t n = 0;
	char *name = NULL, *value = NULL;
	char why[200] = "";
	char *buf = malloc(strlen(p) + 1);      /* a quoted value, unescaped */
	if (!buf) {
		snprintf(why, sizeof why, "out of memory");
		goto bad;
	}
	for (p++;; ) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '}') {        /* "{}", or a comma at the end */
			p++;
			break;
		}
		const char *start = p;
		while (*p && !strchr("=,{}\"", *p))
			p++;
		if (!(name = trimmed(start, p))) {
			snprintf(why, sizeof why, "out of memory");
			goto bad;
		}
		if (*p == '"' || *p == '{') {
			snprintf(why, sizeof why, "has a '%c' in a dimension name", *p);
			goto bad;
		}
		if (!*p) {
			snprintf(why, sizeof why, "has a '{' without its '}'");
			goto bad;
		}
		if (!*name) {
			snprintf(why, sizeof why, "has a dimension without a name");
			goto bad;
		}
		if (strlen(name) > CW_NAME_MAX) {
			snprintf(why, sizeof why, "has a dimension name longer than 255 bytes");
			goto bad;
		}
		if (*p == '=') {
			for (p++; isspace((unsigned char)*p); p++)
				;
			if (*p == '"') {
				size_t len = 0;
				for (p++; *p && *p != '"'; p++) {
					if (*p == '\\' && p[1])
						p++;
					buf[len++] = *p;
				}
				buf[len] = '\0';
				if (!*p) {
					snprintf(why, sizeof why, "has a quote without its end");
					goto bad;
				}
				for (p++; isspace((unsigned char)*p); p++)
					;
				value = strdup(buf);
			} else {
				start = p;
				while (*p && !strchr("=,{}\"", *p))
					p++;
				if (*p == '=' || *p == '{' || *p == '"') {
					snprintf(why, sizeof why, "has a '%c' in a value: quote the value (%s=\"...\")",
					         *p, shown(&sn, name));
					goto bad;
				}
				value = trimmed(start, p);
			}
			if (!value) {
				snprintf(why, sizeof why, "out of memory");
				goto bad;
			}
			if (!*p) {
				snprintf(why, sizeof why, "has a '{' without its '}'");
				goto bad;
			}
			if (*p != ',' && *p != '}') {
				snprintf(why, sizeof why, "has text after the quoted value of dimension %s", shown(&sn, name));
				goto bad;
			}
			if (!*value) {
				snprintf(why, sizeof why, "has an empty value for dimension %s (write the name alone "
				         "for any value)", shown(&sn, name));
				goto bad;
			}
			if (strlen(value) > CW_VALUE_MAX) {
				snprintf(why, sizeof why, "has a dimension value longer than 1024 bytes");
				goto bad;
			}
		}
		for (size_t i = 0; i < n; i++)
			if (!strcmp(dims[i].name, name)) {
				snprintf(why, sizeof why, "names dimension %s twice", shown(&sn, name));
				goto bad;
			}
		if (n == CW_DIMS_MAX) {
			snprintf(why, sizeof why, "has more than 30 dimensions (CloudWatch's limit)");
			goto bad;
		}
		struct cw_dim_cfg *grown = realloc(dims, (n + 1) * sizeof *dims);
		if (!grown) {
			snprintf(why, sizeof why, "out of memory");
			goto bad;
		}
		dims = grown;
		dims[n].name = name;
		dims[n++].value = value;
		name = value = NULL;
		if (*p++ == '}')
			break;
	}
	free(buf);
	*end = p;
	*out = dims;
	*nout = n;
	return 0;
bad:
	if (!strcmp(why, "out of memory"))
		snprintf(err, errlen, "out of memory");
	else
		snprintf(err, errlen, "'%s' %s", shown(&sv, text), why);
	free(name);
	free(value);
	free(buf);
	cw_dims_free(dims, n);
	return -1;
}

/* Parses "NAMESPACE/METRIC{Dim=Value,...}" into g's ns, metric and dims
 * (replacing them).  The namespace is what comes before the last '/'
 * ("AWS/EC2/CPUUtilization": AWS/EC2 and CPUUtilization).  0, or -1 with
 * a message (no location) and g untouched. */
static int cw_metric_parse(struct cw_fig *g, const char *text, char *err, size_t errlen)
{
	struct shown sv;
	const char *why = NULL;
	const char *s = text, *p;
	while (isspace((unsigned char)*s))
		s++;
	for (p = s; *p && *p != '{' && *p != '}'; p++)
		;
	const char *pe = p, *slash = NULL;
	while (pe > s && isspace((unsigned char)pe[-1]))
		pe--;
	for (const char *q = s; q < pe; q++)
		if (*q == '/')
			slash = q;
	if (!printable(text))
		why = "has a control character or invalid UTF-8";
	else if (*p == '}')
		why = "has a '}' without its '{'";
	else if (!slash)
		why = "is not NAMESPACE/METRIC or NAMESPACE/METRIC{DIMENSION=VALUE,...}";
	else if (slash == s)
		why = "has no namespace before the last '/'";
	else if (slash + 1 == pe)
		why = "has no metric name after the last '/'";
	else if (slash - s > CW_NAME_MAX)
		why = "has a namespace longer than 255 bytes";
	else if (pe - slash - 1 > CW_NAME_MAX)
		why = "has a metric name longer than 255 bytes";
	if (why) {
		snprintf(err, errlen, "'%s' %s", shown(&sv, text), why);
		return -1;
	}
	struct cw_dim_cfg *dims = NULL;
	size_t ndims = 0;
	if (*p == '{') {
		if (cw_dims_parse(text, p, &p, &dims, &ndims, err, errlen) < 0)
			return -1;
		while (isspace((unsigned char)*p))
			p++;
		if (*p) {
			cw_dims_free(dims, ndims);
			snprintf(err, errlen, "'%s' is not NAMESPACE/METRIC or NAMESPACE/METRIC{DIMENSION=VALUE,...}",
			         shown(&sv, text));
			return -1;
		}
	}
	char *ns = trimmed(s, slash), *metric = trimmed(slash + 1, pe);
	if (!ns || !metric || !*ns || !*metric) {
		snprintf(err, errlen, !ns || !metric ? "out of memory" : !*ns
		         ? "'%s' has no namespace before the last '/'" : "'%s' has no metric name after the last '/'",
		         shown(&sv, text));
		free(ns);
		free(metric);
		cw_dims_free(dims, ndims);
		return -1;
	}
	cw_fig_free_metric(g);
	g->ns = ns;
	g->metric = metric;
	g->dims = dims;
	g->ndims = ndims;
	return 0;
}

/* CloudWatch's statistics, in its spelling. */
static const char *const cw_stats[] = { "Average", "Sum", "Minimum", "Maximum", "SampleCount", "IQM", NULL };

/* A number as a statistic's argument: digits, maybe a fraction; its end. */
static const char *stat_number(const char *p, double *v)
{
	const char *s = p;
	while (isdigit((unsigned char)*p))
		p++;
	if (p == s)
		return NULL;
	if (*p == '.') {
		const char *f = ++p;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == f)
			return NULL;
	}
	char num[32];
	if ((size_t)(p - s) >= sizeof num)
		return NULL;
	memcpy(num, s, (size_t)(p - s));
	num[p - s] = '\0';
	*v = strtod(num, NULL);
	return p;
}

/* A bound of TM(10%:90%), TM(:0.5), PR(100:2000): empty, a number, or a
 * percentage of at most 100. */
static const char *stat_bound(const char *p, bool *given)
{
	double v;
	*given = false;
	if (*p == ':' || *p == ')')
		return p;
	if (!(p = stat_number(p, &v)))
		return NULL;
	*given = true;
	if (*p == '%') {
		if (v > 100)
			return NULL;
		p++;
	}
	return p;
}

/* Writes v in CloudWatch's spelling to out (n bytes): a statistic ("sum"
 * becomes Sum), a percentile or trimmed one (p99, p99.9, tm90, wm90, tc90,
 * ts90: a percentage up to 100) or a range (TM(10%:90%), PR(:300)).  0, or
 * -1 when v is none of them. */
static int cw_stat_canon(const char *v, char *out, size_t n)
{
	for (size_t i = 0; cw_stats[i]; i++)
		if (!strcasecmp(v, cw_stats[i])) {
			snprintf(out, n, "%s", cw_stats[i]);
			return 0;
		}
	static const char *const ext[] = { "p", "tm", "wm", "tc", "ts", "pr", NULL };
	size_t plen = 0;
	for (size_t i = 0; ext[i]; i++)
		if (!strncasecmp(v, ext[i], strlen(ext[i])) && strlen(ext[i]) > plen)
			plen = strlen(ext[i]);
	if (!plen || strlen(v) >= n || strlen(v) > 40)
		return -1;
	const char *p = v + plen;
	double x;
	if (*p == '(' && plen > 1) {       /* p99 has no range form */
		bool lo, hi;
		if (!(p = stat_bound(p + 1, &lo)) || *p != ':' || !(p = stat_bound(p + 1, &hi)) || *p != ')'
		    || p[1] || (!lo && !hi))
			return -1;
		for (size_t i = 0; v[i]; i++)
			out[i] = i < plen ? (char)toupper((unsigned char)v[i]) : v[i];
	} else {
		/* pr has only the range form */
		if (!strncasecmp(v, "pr", 2) || !(p = stat_number(p, &x)) || *p || x > 100)
			return -1;
		for (size_t i = 0; v[i]; i++)
			out[i] = i < plen ? (char)tolower((unsigned char)v[i]) : v[i];
	}
	out[strlen(v)] = '\0';
	return 0;
}

/* ---- structs ------------------------------------------------------------- */

static void metric_map_init(struct metric_map *m, bool mean)
{
	memset(m, 0, sizeof *m);
	m->kind = MKIND_AUTO;
	m->scale = 1;
	m->mean = mean;
}

void metric_map_free(struct metric_map *m)
{
	free(m->metric);
	free(m->matchers);
	free(m->dedupe_label);
	m->metric = m->matchers = m->dedupe_label = NULL;
}

void fleetcfg_init(struct fleet_cfg *f)
{
	memset(f, 0, sizeof *f);
	f->usd_per_hour = NAN;
	metric_map_init(&f->thr, false);
	metric_map_init(&f->power, false);
	metric_map_init(&f->util, true);
	for (int k = 0; k < 3; k++)
		f->cw[k].scale = 1;
	f->cw_settle = NAN;
	f->neuron_max_w = NAN;
}

void fleetcfg_free(struct fleet_cfg *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->ntargets; i++)
		free(f->targets[i]);
	free(f->targets);
	char *strs[] = { f->name, f->instance_type, f->unit, f->preset, f->file_sd, f->server,
	                 f->q_thr, f->q_power, f->q_util, f->bearer_file, f->basic_file, f->ca_file };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		free(strs[i]);
	metric_map_free(&f->thr);
	metric_map_free(&f->power);
	metric_map_free(&f->util);
	for (int k = 0; k < 3; k++) {
		cw_fig_free_metric(&f->cw[k]);
		free(f->cw[k].stat);
		free(f->cw[k].expression);
	}
	free(f->cw_select_name);
	free(f->cw_select_value);
	free(f->cw_namespace);
	char *local[] = { f->sensors, f->nvsmi_cmd, f->neuron_cmd, f->follow_file, f->follow_cmd,
	                  f->follow_counter, f->follow_match };
	for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
		free(local[i]);
	fleetcfg_init(f);
}

void dashcfg_init(struct dash_cfg *d)
{
	memset(d, 0, sizeof *d);
	d->interval = d->window = d->sla_per_hour = d->work_units = d->cw_usd_per_1000 = NAN;
}

void dashcfg_free(struct dash_cfg *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nfleets; i++)
		fleetcfg_free(&d->fleet[i]);
	free(d->fleet);
	free(d->theme);
	free(d->region);
	free(d->baseline);
	free(d->aws_profile);
	dashcfg_init(d);
}

static struct fleet_cfg *fleet_append(struct dash_cfg *d)
{
	struct fleet_cfg *grown = realloc(d->fleet, (d->nfleets + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	d->fleet = grown;
	fleetcfg_init(&grown[d->nfleets]);
	return &grown[d->nfleets++];
}

static const struct fleet_cfg *fleet_named(const struct dash_cfg *d, const char *name, size_t upto)
{
	for (size_t i = 0; i < upto && i < d->nfleets; i++)
		if (d->fleet[i].name && strcmp(d->fleet[i].name, name) == 0)
			return &d->fleet[i];
	return NULL;
}

/* ---- one fleet key -------------------------------------------------------- */

static int set_targets(struct ctx *c, int line, const char *scope, const char *key,
                       struct fleet_cfg *f, const char *v)
{
	struct shown sv;
	char **list = NULL;
	size_t n = 0;
	int r = 0;
	for (const char *p = v;; ) {
		size_t len = strcspn(p, ",");
		char *url = trimmed(p, p + len);
		char **grown = url ? realloc(list, (n + 1) * sizeof *list) : NULL;
		if (!grown) {
			free(url);
			r = fail(c, line, scope, key, "out of memory");
			break;
		}
		list = grown;
		if (!*url && n > 0 && !p[len]) {
			free(url);      /* a comma at the end: harmless */
			break;
		}
		list[n++] = url;
		const char *why = *url ? url_problem(url) : n == 1 && !p[len] ? "is empty"
		                : "is an empty entry: separate URLs with single commas";
		if (why) {
			r = fail(c, line, scope, key, "'%s' %s", shown_url(&sv, url), why);
			break;
		}
		if (n > MAX_INSTANCES) {
			r = fail(c, line, scope, key, "more than 100000 targets");
			break;
		}
		if (!p[len])
			break;
		p += len + 1;
	}
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(list[i]);
		free(list);
		return -1;
	}
	for (size_t i = 0; i < f->ntargets; i++)
		free(f->targets[i]);
	free(f->targets);
	f->targets = list;
	f->ntargets = n;
	return 0;
}

static const struct {
	const char *name;
	enum metric_kind kind;
	double scale;
} power_units[] = {
	{ "W", MKIND_GAUGE, 1 }, { "mW", MKIND_GAUGE, 1e-3 }, { "uW", MKIND_GAUGE, 1e-6 },
	{ "\xc2\xb5W", MKIND_GAUGE, 1e-6 }, { "\xce\xbcW", MKIND_GAUGE, 1e-6 },
	{ "J", MKIND_COUNTER, 1 }, { "mJ", MKIND_COUNTER, 1e-3 }, { "uJ", MKIND_COUNTER, 1e-6 },
	{ "\xc2\xb5J", MKIND_COUNTER, 1e-6 }, { "\xce\xbcJ", MKIND_COUNTER, 1e-6 },
};

static int set_duration(struct ctx *c, int line, const char *scope, const char *key,
                        double *out, const char *v)
{
	struct shown sv;
	double s;
	if (parse_duration(v, &s) < 0)
		return fail(c, line, scope, key, "'%s' is not a duration such as 1s, 500ms or 2m", shown(&sv, v));
	if (s <= 0 || s > MAX_SECONDS)
		return fail(c, line, scope, key, "'%s' must be more than 0 and at most 1d", shown(&sv, v));
	*out = s;
	return 0;
}

static int set_path(struct ctx *c, int line, const char *scope, const char *key, char **field, const char *v)
{
	struct shown sv;
	if (!*v)
		return fail(c, line, scope, key, "is empty: a file name is needed");
	if (!printable(v))
		return fail(c, line, scope, key, "'%s' has a control character or invalid UTF-8", shown(&sv, v));
	return set_str(field, v) < 0 ? fail(c, line, scope, key, "out of memory") : 0;
}

static int set_url(struct ctx *c, int line, const char *scope, const char *key, char **field, const char *v)
{
	struct shown sv;
	const char *why = *v ? url_problem(v) : "is empty";
	if (why)
		return fail(c, line, scope, key, "'%s' %s", shown_url(&sv, v), why);
	return set_str(field, v) < 0 ? fail(c, line, scope, key, "out of memory") : 0;
}

static int set_query(struct ctx *c, int line, const char *scope, const char *key, char **field, const char *v)
{
	struct shown sv;
	if (!*v)
		return fail(c, line, scope, key, "is empty: a PromQL expression is needed");
	if (!printable(v))
		return fail(c, line, scope, key, "'%s' has a control character or invalid UTF-8", shown(&sv, v));
	return set_str(field, v) < 0 ? fail(c, line, scope, key, "out of memory") : 0;
}

/* A CloudWatch name (a namespace, a dimension's): 1 to 255 printable bytes. */
static int set_cw_name(struct ctx *c, int line, const char *scope, const char *key, char **field,
                       const char *v, const char *what)
{
	struct shown sv;
	if (!*v)
		return fail(c, line, scope, key, "is empty: %s is needed", what);
	if (strlen(v) > CW_NAME_MAX)
		return fail(c, line, scope, key, "'%s' is longer than 255 bytes", shown(&sv, v));
	if (!printable(v))
		return fail(c, line, scope, key, "'%s' has a control character or invalid UTF-8", shown(&sv, v));
	return set_str(field, v) < 0 ? fail(c, line, scope, key, "out of memory") : 0;
}

/* select = NAME=VALUE: the dimension that picks the fleet's instances. */
static int set_select(struct ctx *c, int line, const char *scope, const char *key, struct fleet_cfg *f,
                      const char *v)
{
	struct shown sv;
	const char *eq = strchr(v, '=');
	char *name = eq ? trimmed(v, eq) : NULL, *value = eq ? trimmed(eq + 1, eq + 1 + strlen(eq + 1)) : NULL;
	int r = 0;
	if (eq && (!name || !value))
		r = fail(c, line, scope, key, "out of memory");
	else if (!eq || !*name || !*value)
		r = fail(c, line, scope, key, "'%s' is not DIMENSION=VALUE, such as InstanceType=inf2.xlarge or "
		         "AutoScalingGroupName=my-asg", shown(&sv, v));
	else if (strlen(name) > CW_NAME_MAX || strlen(value) > CW_VALUE_MAX)
		r = fail(c, line, scope, key, "'%s' has a name over 255 bytes or a value over 1024", shown(&sv, v));
	else if (!printable(v))
		r = fail(c, line, scope, key, "'%s' has a control character or invalid UTF-8", shown(&sv, v));
	if (r < 0) {
		free(name);
		free(value);
		return -1;
	}
	free(f->cw_select_name);
	free(f->cw_select_value);
	f->cw_select_name = name;
	f->cw_select_value = value;
	return 0;
}

/* period: what CloudWatch accepts (1 to 30 s for high-resolution metrics). */
static int set_period(struct ctx *c, int line, const char *scope, const char *key, int *out, const char *v)
{
	struct shown sv;
	double s;
	if (parse_duration(v, &s) < 0)
		return fail(c, line, scope, key, "'%s' is not a duration such as 60s or 5m", shown(&sv, v));
	if (s != floor(s) || s < 1 || s > MAX_SECONDS
	    || (s != 1 && s != 5 && s != 10 && s != 20 && s != 30 && fmod(s, 60) != 0))
		return fail(c, line, scope, key, "'%s' is not 1s, 5s, 10s, 20s, 30s or a multiple of 60s "
		            "(at most 1d)", shown(&sv, v));
	*out = (int)s;
	return 0;
}

/* sensors = rapl, hwmon, ...: the names as written, trimmed and joined by
 * ","; "none" alone is "" (no power sensor: throughput only). */
static int set_sensors(struct ctx *c, int line, const char *scope, const char *key, struct fleet_cfg *f,
                       const char *v)
{
	struct shown sv;
	size_t nnames = count_names(local_sensors);
	char *list = malloc(strlen(v) + 1);
	if (!list)
		return fail(c, line, scope, key, "out of memory");
	list[0] = '\0';
	int r = 0;
	while (isspace((unsigned char)*v))
		v++;
	if (!*v) {
		r = fail(c, line, scope, key, "is empty: name the sensors (rapl, hwmon, cpu, nvidia-smi, neuron), "
		         "or none for a throughput-only fleet");
		goto out;
	}
	for (const char *p = v;; ) {
		size_t len = strcspn(p, ",");
		char *name = trimmed(p, p + len);
		if (!name) {
			r = fail(c, line, scope, key, "out of memory");
			goto out;
		}
		bool last = !p[len];
		const char *canon = !strcmp(name, "neuron-monitor") ? "neuron" : name;   /* the spec's spelling */
		int i = find_name(local_sensors, nnames, canon);
		if (!strcmp(name, "none") && p == v && last) {
			free(name);
			break;          /* "" */
		}
		if (!*name && last && list[0]) {
			free(name);     /* a comma at the end: harmless */
			break;
		}
		if (!*name)
			r = fail(c, line, scope, key, "'' is an empty entry: separate sensors with single commas");
		else if (!strcmp(name, "none"))
			r = fail(c, line, scope, key, "'none' goes alone (no power sensor: throughput only)");
		else if (i < 0) {
			/* what people call them */
			static const char *const hints[][2] = {
				{ "gpu", "nvidia-smi" }, { "nvidia", "nvidia-smi" }, { "nvml", "nvidia-smi" },
				{ "nvsmi", "nvidia-smi" }, { "nvidia_smi", "nvidia-smi" }, { "neuron_monitor", "neuron" },
				{ "inferentia", "neuron" }, { "trainium", "neuron" }, { "powercap", "rapl" },
			};
			const char *near = NULL;
			for (size_t h = 0; h < sizeof hints / sizeof hints[0]; h++)
				if (!strcasecmp(name, hints[h][0]))
					near = hints[h][1];
			if (!near)
				near = nearest(local_sensors, nnames, name);
			r = fail(c, line, scope, key, "'%s' is not rapl, hwmon, cpu, nvidia-smi or neuron%s%s%s",
			         shown(&sv, name), near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
		} else {
			/* a name twice is a typo somewhere */
			for (const char *q = list; *q; q += strcspn(q, ",") + (q[strcspn(q, ",")] == ',')) {
				size_t ql = strcspn(q, ",");
				if (ql == strlen(canon) && !strncmp(q, canon, ql)) {
					r = fail(c, line, scope, key, "'%s' names %s twice", shown(&sv, v), canon);
					break;
				}
			}
			if (r == 0) {
				if (list[0])
					strcat(list, ",");
				strcat(list, canon);
			}
		}
		free(name);
		if (r < 0 || last)
			break;
		p += len + 1;
	}
out:
	if (r == 0) {
		free(f->sensors);
		f->sensors = list;
	} else {
		free(list);
	}
	return r;
}

/* Whether the sensors list (NULL: every one) has sensor `name`. */
static bool has_sensor(const char *list, const char *name)
{
	if (!list)
		return true;
	size_t n = strlen(name);
	for (const char *p = list; *p; ) {
		size_t len = strcspn(p, ",");
		if (len == n && !strncmp(p, name, n))
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

/* A command line, run by the shell: non-empty and printable. */
static int set_command(struct ctx *c, int line, const char *scope, const char *key, char **field, const char *v)
{
	struct shown sv;
	if (!*v)
		return fail(c, line, scope, key, "is empty: a command line is needed");
	if (!printable(v))
		return fail(c, line, scope, key, "'%s' has a control character or invalid UTF-8", shown(&sv, v));
	return set_str(field, v) < 0 ? fail(c, line, scope, key, "out of memory") : 0;
}

/* Compiles re as follow.c will (POSIX extended): 0 and its number of
 * capture groups in *nsub, or -1 with regerror's text in why. */
static int regex_check(const char *re, size_t *nsub, char *why, size_t n)
{
	regex_t rx;
	int e = regcomp(&rx, re, REG_EXTENDED);
	if (e != 0) {
		regerror(e, &rx, why, n);
		return -1;
	}
	*nsub = rx.re_nsub;
	regfree(&rx);
	return 0;
}

static const char *const match_kinds[] = { "rate", "count", "lines", NULL };

/* Sets key k of f from v.  `key` is the name the user wrote (for messages);
 * line is 0 for a --fleet spec.  throughput, power and utilization go to
 * fig[] as written: what they mean depends on the source, which a later
 * key may say (fleet_finish() reads them). */
static int fleet_set(struct ctx *c, int line, const char *scope, struct fleet_cfg *f, char **fig,
                     enum fkey k, const char *key, const char *v)
{
	struct shown sv;
	double x;
	char why[240];
	switch (k) {
	case FK_TYPE:
		if (!is_word(v))
			return fail(c, line, scope, key, "'%s' is not an instance type such as g4dn.2xlarge", shown(&sv, v));
		return set_str(&f->instance_type, v) < 0 ? fail(c, line, scope, key, "out of memory") : 0;
	case FK_INSTANCES:
		if (parse_number(v, &x) < 0 || x < 1 || x > MAX_INSTANCES || x != floor(x))
			return fail(c, line, scope, key, "'%s' is not a whole number from 1 to 100000", shown(&sv, v));
		f->instances = (size_t)x;
		return 0;
	case FK_UNIT:
		if (!*v || !printable(v) || strlen(v) > 31)
			return fail(c, line, scope, key, "'%s' is not a unit such as inferences (at most 31 bytes)",
			            shown(&sv, v));
		return set_str(&f->unit, v) < 0 ? fail(c, line, scope, key, "out of memory") : 0;
	case FK_USD:
		if (parse_number(v, &x) < 0 || x < 0)
			return fail(c, line, scope, key, "'%s' is not a price in USD per hour (a number >= 0)", shown(&sv, v));
		f->usd_per_hour = x;
		return 0;
	case FK_BASELINE:
	case FK_INSECURE:
		if (parse_bool(v, k == FK_BASELINE ? &f->baseline : &f->insecure) < 0)
			return fail(c, line, scope, key, "'%s' is not true or false (yes/no, on/off, 1/0)", shown(&sv, v));
		return 0;
	case FK_SOURCE:
		if (!strcmp(v, "scrape"))
			f->source = FLEET_SRC_SCRAPE;
		else if (!strcmp(v, "promql"))
			f->source = FLEET_SRC_PROMQL;
		else if (!strcmp(v, "cloudwatch"))
			f->source = FLEET_SRC_CLOUDWATCH;
		else if (!strcmp(v, "local"))
			f->source = FLEET_SRC_LOCAL;
		else
			return fail(c, line, scope, key, "'%s' is not scrape, promql, cloudwatch or local", shown(&sv, v));
		return 0;
	case FK_PRESET:
		if (!preset_sources(v))
			return fail(c, line, scope, key, "'%s' is not dcgm, node, neuron, scaphandre, kepler, "
			            "cwagent-gpu or ec2", shown(&sv, v));
		return set_str(&f->preset, v) < 0 ? fail(c, line, scope, key, "out of memory") : 0;
	case FK_TARGETS:
		return set_targets(c, line, scope, key, f, v);
	case FK_FILE_SD:
		return set_path(c, line, scope, key, &f->file_sd, v);
	case FK_BEARER:
		return set_path(c, line, scope, key, &f->bearer_file, v);
	case FK_BASIC:
		return set_path(c, line, scope, key, &f->basic_file, v);
	case FK_CA:
		return set_path(c, line, scope, key, &f->ca_file, v);
	case FK_THR:
	case FK_POWER:
	case FK_UTIL: {
		int fi = k == FK_THR ? 0 : k == FK_POWER ? 1 : 2;
		return set_str(&fig[fi], v) < 0 ? fail(c, line, scope, key, "out of memory") : 0;
	}
	case FK_THR_EXPR:
	case FK_POWER_EXPR:
	case FK_UTIL_EXPR: {
		char **e = &f->cw[k == FK_THR_EXPR ? 0 : k == FK_POWER_EXPR ? 1 : 2].expression;
		if (!*v)
			return fail(c, line, scope, key, "is empty: a Metric Math or SEARCH expression is needed");
		if (strlen(v) > CW_EXPR_MAX)
			return fail(c, line, scope, key, "'%s' is longer than 1024 bytes", shown(&sv, v));
		if (!printable(v))
			return fail(c, line, scope, key, "'%s' has a control character or invalid UTF-8", shown(&sv, v));
		return set_str(e, v) < 0 ? fail(c, line, scope, key, "out of memory") : 0;
	}
	case FK_THR_STAT:
	case FK_POWER_STAT:
	case FK_UTIL_STAT: {
		char **st = &f->cw[k == FK_THR_STAT ? 0 : k == FK_POWER_STAT ? 1 : 2].stat;
		if (cw_stat_canon(v, why, sizeof why) < 0)
			return fail(c, line, scope, key, "'%s' is not Average, Sum, Minimum, Maximum, SampleCount, IQM "
			            "or a percentile or trimmed statistic such as p99, p99.9, tm90, wm90, tc90, ts90 "
			            "or TM(10%%:90%%)", shown(&sv, v));
		return set_str(st, why) < 0 ? fail(c, line, scope, key, "out of memory") : 0;
	}
	case FK_SELECT:
		return set_select(c, line, scope, key, f, v);
	case FK_NAMESPACE:
		return set_cw_name(c, line, scope, key, &f->cw_namespace, v, "a CloudWatch namespace");
	case FK_PERIOD:
		return set_period(c, line, scope, key, &f->cw_period, v);
	case FK_SETTLE:
		if (parse_duration(v, &x) < 0)
			return fail(c, line, scope, key, "'%s' is not a duration such as 60s or 2m", shown(&sv, v));
		if (x > CW_SETTLE_MAX)
			return fail(c, line, scope, key, "'%s' must be from 0 to 15m", shown(&sv, v));
		f->cw_settle = x;
		return 0;
	case FK_THR_SCALE:
		if (parse_number(v, &x) < 0 || x <= 0)
			return fail(c, line, scope, key, "'%s' is not a number > 0", shown(&sv, v));
		f->thr.scale = x;
		return 0;
	case FK_POWER_UNIT:
		for (size_t i = 0; i < sizeof power_units / sizeof power_units[0]; i++)
			if (!strcmp(v, power_units[i].name)) {
				f->power.kind = power_units[i].kind;
				f->power.scale = power_units[i].scale;
				return 0;
			}
		return fail(c, line, scope, key, "'%s' is not W, mW, uW, J, mJ or uJ", shown(&sv, v));
	case FK_UTIL_UNIT:
		if (!strcmp(v, "percent"))
			f->util.scale = 1;
		else if (!strcmp(v, "ratio"))
			f->util.scale = 100;
		else
			return fail(c, line, scope, key, "'%s' is not percent or ratio", shown(&sv, v));
		f->util.kind = MKIND_GAUGE;     /* said so: a preset keeps this scale */
		return 0;
	case FK_SERVER:
		return set_url(c, line, scope, key, &f->server, v);
	case FK_Q_THR:
		return set_query(c, line, scope, key, &f->q_thr, v);
	case FK_Q_POWER:
		return set_query(c, line, scope, key, &f->q_power, v);
	case FK_Q_UTIL:
		return set_query(c, line, scope, key, &f->q_util, v);
	case FK_SENSORS:
		return set_sensors(c, line, scope, key, f, v);
	case FK_NVSMI:
		return set_command(c, line, scope, key, &f->nvsmi_cmd, v);
	case FK_NEURON_CMD:
		return set_command(c, line, scope, key, &f->neuron_cmd, v);
	case FK_FOLLOW_CMD:
		return set_command(c, line, scope, key, &f->follow_cmd, v);
	case FK_FOLLOW:
		return set_path(c, line, scope, key, &f->follow_file, v);
	case FK_FOLLOW_COUNTER:
		return set_path(c, line, scope, key, &f->follow_counter, v);
	case FK_NEURON_MAX_W:
		if (parse_number(v, &x) < 0 || !(x > 0) || x > NEURON_MAX_W)
			return fail(c, line, scope, key, "'%s' is not a power in W (a number > 0, at most 10000)",
			            shown(&sv, v));
		f->neuron_max_w = x;
		return 0;
	case FK_MATCH: {
		size_t nsub;
		if (!*v)
			return fail(c, line, scope, key, "is empty: a regular expression (POSIX extended) is needed");
		if (!printable(v))
			return fail(c, line, scope, key, "'%s' has a control character or invalid UTF-8", shown(&sv, v));
		if (regex_check(v, &nsub, why, sizeof why) < 0)
			return fail(c, line, scope, key, "'%s' is not a regular expression: %s", shown(&sv, v), why);
		return set_str(&f->follow_match, v) < 0 ? fail(c, line, scope, key, "out of memory") : 0;
	}
	case FK_MATCH_KIND: {
		int i = find_name(match_kinds, count_names(match_kinds), v);
		if (i < 0)
			return fail(c, line, scope, key, "'%s' is not rate, count or lines", shown(&sv, v));
		f->follow_kind = i;
		return 0;
	}
	case FK_INTERVAL:
		return set_duration(c, line, scope, key, &f->interval, v);
	case FK_TIMEOUT:
		return set_duration(c, line, scope, key, &f->timeout, v);
	case FK_COUNT:
		break;
	}
	return fail(c, line, scope, key, "unknown key");
}

static int unknown_key(struct ctx *c, int line, const char *scope, const char *key, bool in_fleet)
{
	struct shown sk;
	const char *near = in_fleet ? nearest(fkey_name, FK_COUNT, key) : nearest(dkey_name, DK_COUNT, key);
	if (in_fleet && find_name(dkey_name, DK_COUNT, key) >= 0)
		return fail(c, line, scope, NULL, "unknown key '%s' (it belongs in [dashboard])", shown(&sk, key));
	if (!in_fleet && find_name(fkey_name, FK_COUNT, key) >= 0)
		return fail(c, line, scope, NULL, "unknown key '%s' (it belongs in a [fleet NAME] section)",
		            shown(&sk, key));
	if (!strcasecmp(key, "http") || !strcasecmp(key, "https"))
		return fail(c, line, scope, NULL, "unknown key '%s' (a URL on a line of its own? indent it "
		            "to continue targets)", shown(&sk, key));
	if (near)
		return fail(c, line, scope, NULL, "unknown key '%s' (did you mean %s?)", shown(&sk, key), near);
	return fail(c, line, scope, NULL, "unknown key '%s'", shown(&sk, key));
}

/* "scrape", "scrape or cloudwatch"...: the sources in flags. */
static void sources_text(char *buf, size_t n, unsigned flags)
{
	const char *names[4];
	size_t k = 0, len = 0;
	if (flags & K_SCRAPE)
		names[k++] = "scrape";
	if (flags & K_PROMQL)
		names[k++] = "promql";
	if (flags & K_CW)
		names[k++] = "cloudwatch";
	if (flags & K_LOCAL)
		names[k++] = "local";
	if (n)
		buf[0] = '\0';
	for (size_t i = 0; i < k && len < n; i++) {
		int w = snprintf(buf + len, n - len, "%s%s", i == 0 ? "" : i + 1 == k ? " or " : ", ", names[i]);
		len += w > 0 ? (size_t)w : 0;
	}
}

/* A preset and a source that do not go together. */
static int preset_mismatch(struct ctx *c, const char *scope, const struct fleet_cfg *f, const int *at)
{
	struct shown sp;
	unsigned ps = preset_sources(f->preset);
	if (f->source == FLEET_SRC_LOCAL)
		return fail(c, at[FK_PRESET], scope, "preset", "a preset is for scrape and cloudwatch fleets; it does not "
		            "go with source = local (say sensors = ...)");
	if (f->source == FLEET_SRC_PROMQL && (ps & K_SCRAPE))
		return fail(c, at[FK_PRESET], scope, "preset", "a preset is scraped; it does not go with source = promql");
	if (ps & K_SCRAPE)
		return fail(c, at[FK_PRESET], scope, "preset", "'%s' is a scrape preset; it does not go with source = %s "
		            "(the CloudWatch presets: cwagent-gpu, ec2, neuron)", shown(&sp, f->preset),
		            source_name(f->source));
	return fail(c, at[FK_PRESET], scope, "preset", "'%s' is a CloudWatch preset; it does not go with source = %s",
	            shown(&sp, f->preset), source_name(f->source));
}

/* A cloudwatch fleet's figures: the metrics in fig[] parsed, the units
 * made scales, each figure a metric or an expression. */
static int cw_finish(struct ctx *c, const char *scope, struct fleet_cfg *f, const int *at, char **fig)
{
	char why[400];
	for (int i = 0; i < 3; i++) {
		struct cw_fig *g = &f->cw[i];
		if (fig[i] && g->expression)
			return fail(c, at[expr_key[i]], scope, fkey_name[expr_key[i]], "%s is set too: a figure is a "
			            "metric or an expression, not both", fkey_name[fig_key[i]]);
		if (fig[i] && cw_metric_parse(g, fig[i], why, sizeof why) < 0)
			return fail(c, at[fig_key[i]], scope, fkey_name[fig_key[i]], "%s", why);
		if (g->stat && g->expression)
			return fail(c, at[stat_key[i]], scope, fkey_name[stat_key[i]], "is for a metric; %s computes "
			            "its own values", fkey_name[expr_key[i]]);
	}
	if (at[FK_POWER_UNIT] && f->power.kind == MKIND_COUNTER)
		return fail(c, at[FK_POWER_UNIT], scope, "power_unit", "CloudWatch power must be a gauge in W, mW or uW");
	f->cw[0].scale = f->thr.scale;
	f->cw[1].scale = f->power.scale;
	f->cw[2].scale = f->util.scale;
	/* the scrape mappings stay as fleetcfg_init() left them */
	metric_map_init(&f->thr, false);
	metric_map_init(&f->power, false);
	metric_map_init(&f->util, true);
	return 0;
}

/* A local fleet's cross checks: one thing followed, match and match_kind
 * for what they fit, the commands for sensors it reads; throughput_scale
 * moved to cw[0].scale (the scrape mappings stay at their defaults). */
static int local_finish(struct ctx *c, const char *scope, struct fleet_cfg *f, const int *at)
{
	struct shown sv;
	static const enum fkey follow_keys[] = { FK_FOLLOW, FK_FOLLOW_CMD, FK_FOLLOW_COUNTER };
	int one = -1;
	for (size_t i = 0; i < 3; i++) {
		enum fkey k = follow_keys[i];
		if (!at[k])
			continue;
		if (one < 0) {
			one = (int)k;
			continue;
		}
		/* blame the later of the two */
		int early = at[one] <= at[k] ? one : (int)k, late = early == one ? (int)k : one;
		return fail(c, at[late], scope, fkey_name[late], "%s is set too: a fleet follows one file, command "
		            "or counter", fkey_name[early]);
	}
	if (f->follow_counter && at[FK_MATCH])
		return fail(c, at[FK_MATCH], scope, "match", "is for follow and follow_cmd: the follow_counter file "
		            "holds the count itself");
	if (f->follow_counter && at[FK_MATCH_KIND])
		return fail(c, at[FK_MATCH_KIND], scope, "match_kind", "is for follow and follow_cmd: a follow_counter "
		            "file holds a running count");
	if (!f->follow_file && !f->follow_cmd && !f->follow_counter) {
		if (at[FK_MATCH] || at[FK_MATCH_KIND])
			return fail(c, at[FK_MATCH] ? at[FK_MATCH] : at[FK_MATCH_KIND], scope,
			            at[FK_MATCH] ? "match" : "match_kind", "needs follow or follow_cmd (the lines to match)");
		if (at[FK_THR_SCALE])
			return fail(c, at[FK_THR_SCALE], scope, "throughput_scale", "scales the followed throughput: "
			            "needs follow, follow_cmd or follow_counter");
	}
	if (f->follow_match && f->follow_kind != 2) {
		size_t nsub = 0;
		char why[200];
		if (regex_check(f->follow_match, &nsub, why, sizeof why) == 0 && nsub == 0)
			return fail(c, at[FK_MATCH], scope, "match", "'%s' has no capture group: with match_kind = %s its "
			            "first (...) is the value (or say match_kind = lines to count the lines)",
			            shown(&sv, f->follow_match), match_kinds[f->follow_kind]);
	}
	static const struct { enum fkey k; const char *sensor; } needs[] = {
		{ FK_NVSMI, "nvidia-smi" }, { FK_NEURON_CMD, "neuron" }, { FK_NEURON_MAX_W, "neuron" },
	};
	for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++)
		if (at[needs[i].k] && !has_sensor(f->sensors, needs[i].sensor))
			return fail(c, at[needs[i].k], scope, fkey_name[needs[i].k], "sensors = %s leaves %s out",
			            f->sensors[0] ? shown(&sv, f->sensors) : "none", needs[i].sensor);
	f->cw[0].scale = f->thr.scale;
	metric_map_init(&f->thr, false);
	return 0;
}

/* Once all of a fleet's keys are in (at[k]: the line, or the spec part,
 * of key k; 0 when not given; fig[]: throughput, power and utilization as
 * written): settles the source, refuses keys that do not belong to it and
 * reads the figures as that source means them.  The source is, in order:
 * source; the preset's (neuron, the preset of both: cloudwatch when a
 * cloudwatch-only key is there, else scrape); the first key of one source
 * only; else scrape, when a key of scrape and cloudwatch (a figure, a
 * unit) is there, as before CloudWatch fleets. */
static int fleet_finish(struct ctx *c, const char *scope, struct fleet_cfg *f, const int *at, char **fig)
{
	int by = at[FK_SOURCE] ? FK_SOURCE : -1;  /* what decided the source */
	unsigned ps = preset_sources(f->preset);
	if (f->preset && f->source != FLEET_SRC_NONE && !(ps & source_flag(f->source)))
		return preset_mismatch(c, scope, f, at);
	/* the first key of one source only, and the first of scrape and cloudwatch */
	int first = -1, first_cw = -1, shared = -1;
	for (int k = 0; k < FK_COUNT; k++) {
		unsigned src = fkey_flags[k] & K_SOURCES;
		if (!at[k] || !src)
			continue;
		if ((src == K_SCRAPE || src == K_PROMQL || src == K_CW || src == K_LOCAL) && (first < 0 || at[k] < at[first]))
			first = k;
		if (src == K_CW && (first_cw < 0 || at[k] < at[first_cw]))
			first_cw = k;
		if ((src & K_SCRAPE) && (src & K_CW) && !(src & K_PROMQL) && (shared < 0 || at[k] < at[shared]))
			shared = k;
	}
	if (f->preset && f->source == FLEET_SRC_NONE) {
		/* neuron is scraped unless a key says cloudwatch */
		f->source = ps == K_CW || (ps != K_SCRAPE && first_cw >= 0) ? FLEET_SRC_CLOUDWATCH : FLEET_SRC_SCRAPE;
		by = ps == (K_SCRAPE | K_CW) && first_cw >= 0 ? first_cw : FK_PRESET;
	}
	if (f->source == FLEET_SRC_NONE) {
		if (first < 0 && shared < 0)
			return 0;       /* dashcfg_validate() says what is missing */
		unsigned src = first >= 0 ? fkey_flags[first] & K_SOURCES : K_SCRAPE;
		f->source = src == K_SCRAPE ? FLEET_SRC_SCRAPE : src == K_PROMQL ? FLEET_SRC_PROMQL
		          : src == K_CW ? FLEET_SRC_CLOUDWATCH : FLEET_SRC_LOCAL;
		by = first >= 0 ? first : shared;
	}
	unsigned mine = source_flag(f->source);
	int bad = -1;
	for (int k = 0; k < FK_COUNT; k++)
		if (at[k] && (fkey_flags[k] & K_SOURCES) && !(fkey_flags[k] & mine) && (bad < 0 || at[k] < at[bad]))
			bad = k;
	if (bad >= 0) {
		char because[96], allowed[48];
		struct shown sp;
		if (by == FK_SOURCE)
			snprintf(because, sizeof because, "source = %s", source_name(f->source));
		else if (by == FK_PRESET)
			snprintf(because, sizeof because, "preset = %s", shown(&sp, f->preset));
		else
			snprintf(because, sizeof because, "%s", by >= 0 ? fkey_name[by] : "its source");
		if (c->lines && by >= 0)
			snprintf(because + strlen(because), sizeof because - strlen(because), " at line %d", at[by]);
		sources_text(allowed, sizeof allowed, fkey_flags[bad] & K_SOURCES);
		return fail(c, at[bad], scope, fkey_name[bad], "only for source = %s, but this fleet %s (%s)", allowed,
		            f->source == FLEET_SRC_SCRAPE ? "scrapes" : f->source == FLEET_SRC_PROMQL
		            ? "queries promql" : f->source == FLEET_SRC_CLOUDWATCH ? "reads CloudWatch"
		            : "reads this machine", because);
	}
	if (f->source == FLEET_SRC_CLOUDWATCH)
		return cw_finish(c, scope, f, at, fig);
	if (f->source == FLEET_SRC_LOCAL)
		return local_finish(c, scope, f, at);
	if (f->source == FLEET_SRC_SCRAPE) {
		struct metric_map *maps[3] = { &f->thr, &f->power, &f->util };
		char why[240];
		for (int i = 0; i < 3; i++)
			if (fig[i] && metric_map_parse(maps[i], fig[i], why, sizeof why) < 0)
				return fail(c, at[fig_key[i]], scope, fkey_name[fig_key[i]], "%s%s", why,
				            !at[FK_SOURCE] && strchr(fig[i], '/')
				            ? " (a CloudWatch metric? say source = cloudwatch)" : "");
	}
	return 0;
}

/* ---- the INI file ---------------------------------------------------------- */

struct loader {
	struct dash_cfg *d;
	struct ctx c;
	size_t first_new;       /* d->nfleets before this text */
	enum { IN_NONE, IN_DASH, IN_FLEET } in;
	char scope[96];         /* "[dashboard]" or "[fleet NAME]" */
	int fline[FK_COUNT];    /* the current fleet's keys: where each was set */
	int dline[DK_COUNT];
	const char *last;       /* the key of the last line that was not a continuation */
	int pending;            /* a key that may continue, not yet set (its value in raw), or -1 */
	char *raw;
	char *fig[3];           /* the current fleet's throughput, power, utilization as written */
};

static void free_figs(char **fig)
{
	for (int i = 0; i < 3; i++) {
		free(fig[i]);
		fig[i] = NULL;
	}
}

static struct fleet_cfg *current(struct loader *ld)
{
	return &ld->d->fleet[ld->d->nfleets - 1];
}

/* Sets the key that waited for its continuation lines, if any. */
static int flush(struct loader *ld)
{
	if (ld->pending < 0)
		return 0;
	enum fkey k = (enum fkey)ld->pending;
	ld->pending = -1;
	int r = fleet_set(&ld->c, ld->fline[k], ld->scope, current(ld), ld->fig, k, fkey_name[k], ld->raw);
	free(ld->raw);
	ld->raw = NULL;
	return r;
}

/* The end of a section: the last key, then the fleet's cross checks. */
static int end_section(struct loader *ld)
{
	if (flush(ld) < 0)
		return -1;
	if (ld->in == IN_FLEET && fleet_finish(&ld->c, ld->scope, current(ld), ld->fline, ld->fig) < 0)
		return -1;
	free_figs(ld->fig);
	memset(ld->fline, 0, sizeof ld->fline);
	ld->last = NULL;
	return 0;
}

static int on_section(void *user, const char *name, int line)
{
	struct loader *ld = user;
	struct shown sv;
	if (end_section(ld) < 0)
		return 0;
	if (!strcmp(name, "dashboard")) {
		ld->in = IN_DASH;
		snprintf(ld->scope, sizeof ld->scope, "[dashboard]");
		return 1;
	}
	if (!strncmp(name, "fleet", 5) && (!name[5] || name[5] == ' ' || name[5] == '\t')) {
		const char *fname = name + 5;
		while (*fname == ' ' || *fname == '\t')
			fname++;
		fleet_scope(ld->scope, sizeof ld->scope, fname);
		const char *why = name_problem(fname);
		if (why) {
			fail(&ld->c, line, ld->scope, NULL, "the fleet's name %s (write [fleet NAME])", why);
			return 0;
		}
		const struct fleet_cfg *dup = fleet_named(ld->d, fname, ld->d->nfleets);
		if (dup) {
			fail(&ld->c, line, ld->scope, NULL, "a fleet of this name is already defined at %s", dup->origin);
			return 0;
		}
		struct fleet_cfg *f = fleet_append(ld->d);
		if (!f || !(f->name = strdup(fname))) {
			fail(&ld->c, line, ld->scope, NULL, "out of memory");
			return 0;
		}
		snprintf(f->origin, sizeof f->origin, "%s:%d", ld->c.origin, line);
		ld->in = IN_FLEET;
		return 1;
	}
	const char *hint = !strncasecmp(name, "fleet", 5) ? " (did you mean [fleet NAME], with a blank?)"
	                 : edit_distance(name, "dashboard") <= 2 ? " (did you mean [dashboard]?)"
	                 : " (expected [dashboard] or [fleet NAME])";
	fail(&ld->c, line, NULL, NULL, "unknown section [%s]%s", shown(&sv, name), hint);
	return 0;
}

static int dash_set(struct loader *ld, enum dkey k, const char *v, int line)
{
	struct ctx *c = &ld->c;
	struct dash_cfg *d = ld->d;
	const char *key = dkey_name[k];
	struct shown sv;
	double x;
	switch (k) {
	case DK_INTERVAL:
		return set_duration(c, line, ld->scope, key, &d->interval, v);
	case DK_WINDOW:
		return set_duration(c, line, ld->scope, key, &d->window, v);
	case DK_THEME:
	case DK_REGION:
		if (!is_word(v))
			return fail(c, line, ld->scope, key, "'%s' is not a %s", shown(&sv, v),
			            k == DK_THEME ? "theme name such as dark" : "region such as us-east-1");
		return set_str(k == DK_THEME ? &d->theme : &d->region, v) < 0
		       ? fail(c, line, ld->scope, key, "out of memory") : 0;
	case DK_SLA:
		if (parse_rate(v, &x) < 0) {
			if (parse_number(v, &x) == 0)
				return fail(c, line, ld->scope, key, "'%s' needs a unit of time, e.g. %s/h", shown(&sv, v), sv.s);
			return fail(c, line, ld->scope, key, "'%s' is not a rate such as 1000000/h or 300/s", shown(&sv, v));
		}
		if (x <= 0 || x * 3600 > MAX_SLA_PER_HOUR)
			return fail(c, line, ld->scope, key, "'%s' must be more than 0 and at most 1e18/h", shown(&sv, v));
		if (!isnan(d->work_units))
			return fail(c, line, ld->scope, key, "work is set too: choose one (a throughput target or a fixed amount of work)");
		d->sla_per_hour = x * 3600;
		return 0;
	case DK_WORK:
		if (parse_number(v, &x) < 0 || x <= 0)
			return fail(c, line, ld->scope, key, "'%s' is not a number of units > 0", shown(&sv, v));
		if (!isnan(d->sla_per_hour))
			return fail(c, line, ld->scope, key, "sla is set too: choose one (a throughput target or a fixed amount of work)");
		d->work_units = x;
		return 0;
	case DK_BASELINE: {
		const char *why = name_problem(v);
		if (why)
			return fail(c, line, ld->scope, key, "'%s' is not a fleet name: it %s", shown(&sv, v), why);
		if (set_str(&d->baseline, v) < 0)
			return fail(c, line, ld->scope, key, "out of memory");
		snprintf(d->baseline_origin, sizeof d->baseline_origin, "%s:%d", c->origin, line);
		return 0;
	}
	case DK_AWS_PROFILE:
		if (!is_word(v) || strlen(v) > 128)
			return fail(c, line, ld->scope, key, "'%s' is not a profile name such as default "
			            "(no blanks, at most 128 bytes)", shown(&sv, v));
		return set_str(&d->aws_profile, v) < 0 ? fail(c, line, ld->scope, key, "out of memory") : 0;
	case DK_CW_USD:
		if (parse_number(v, &x) < 0 || x < 0 || x > 10)
			return fail(c, line, ld->scope, key, "'%s' is not a price in USD per 1,000 metrics requested "
			            "(a number from 0 to 10)", shown(&sv, v));
		d->cw_usd_per_1000 = x;
		return 0;
	case DK_COUNT:
		break;
	}
	return fail(c, line, ld->scope, key, "unknown key");
}

static int on_continued(struct loader *ld, const char *value, int line)
{
	struct shown sv;
	if (ld->pending < 0)
		return fail(&ld->c, line, ld->scope, ld->last,
		            "the indented line '%s' would continue this value; remove its leading blanks",
		            shown(&sv, value));
	size_t a = strlen(ld->raw), b = strlen(value);
	char *joined = realloc(ld->raw, a + b + 2);
	if (!joined)
		return fail(&ld->c, line, ld->scope, ld->last, "out of memory");
	joined[a] = ' ';
	memcpy(joined + a + 1, value, b + 1);
	ld->raw = joined;
	return 0;
}

static int on_key(void *user, const char *section, const char *key, const char *value, int line, bool continued)
{
	struct loader *ld = user;
	struct shown sk;
	(void)section;  /* on_section() has kept what matters of it */
	if (continued)
		return on_continued(ld, value, line) == 0;
	if (flush(ld) < 0)
		return 0;
	ld->last = NULL;
	if (ld->in == IN_NONE) {
		fail(&ld->c, line, NULL, NULL, "'%s' comes before any [dashboard] or [fleet NAME] section",
		     shown(&sk, key));
		return 0;
	}
	if (ld->in == IN_DASH) {
		int k = find_name(dkey_name, DK_COUNT, key);
		if (k < 0)
			return unknown_key(&ld->c, line, ld->scope, key, false) == 0;
		if (ld->dline[k])
			return fail(&ld->c, line, ld->scope, dkey_name[k], "given twice (first at line %d)", ld->dline[k]) == 0;
		ld->dline[k] = line;
		ld->last = dkey_name[k];
		return dash_set(ld, (enum dkey)k, value, line) == 0;
	}
	int k = find_name(fkey_name, FK_COUNT, key);
	if (k < 0)
		return unknown_key(&ld->c, line, ld->scope, key, true) == 0;
	if (ld->fline[k])
		return fail(&ld->c, line, ld->scope, fkey_name[k], "given twice (first at line %d)", ld->fline[k]) == 0;
	ld->fline[k] = line;
	ld->last = fkey_name[k];
	if (fkey_flags[k] & K_CONT) {
		/* set once its continuation lines are in */
		if (!(ld->raw = strdup(value)))
			return fail(&ld->c, line, ld->scope, fkey_name[k], "out of memory") == 0;
		ld->pending = k;
		return 1;
	}
	return fleet_set(&ld->c, line, ld->scope, current(ld), ld->fig, (enum fkey)k, fkey_name[k], value) == 0;
}

int dashcfg_parse_ini(struct dash_cfg *d, const char *text, const char *origin, char *err, size_t errlen)
{
	struct loader ld;
	memset(&ld, 0, sizeof ld);
	ld.d = d;
	ctx_init(&ld.c, err, errlen, origin, true);
	ld.first_new = d->nfleets;
	ld.pending = -1;
	static const struct inifile_cb cb = { on_section, on_key };
	struct inifile_error e;
	int r = inifile_parse(text, &cb, &ld, &e);
	if (r == 0)
		r = end_section(&ld);
	else if (e.status != INIFILE_STOPPED)
		fail(&ld.c, e.line, NULL, NULL, "%s", e.msg);
	free(ld.raw);
	free_figs(ld.fig);
	if (r < 0) {
		for (size_t i = ld.first_new; i < d->nfleets; i++)
			fleetcfg_free(&d->fleet[i]);
		d->nfleets = ld.first_new;
		return -1;
	}
	return 0;
}

int dashcfg_load_file(struct dash_cfg *d, const char *path, char *err, size_t errlen)
{
	struct shown sp;
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: cannot open: %s", shown(&sp, path), strerror(errno));
		return -1;
	}
	char *text = malloc(MAX_FILE + 2);
	size_t len = text ? fread(text, 1, MAX_FILE + 1, fp) : 0;
	int rerr = ferror(fp) ? errno : 0;
	fclose(fp);
	const char *why = !text ? "out of memory" : rerr ? strerror(rerr)
	                : len > MAX_FILE ? "larger than 1 MiB: is it a config file?"
	                : memchr(text, '\0', len) ? "has a NUL byte: is it a text file?" : NULL;
	if (why) {
		snprintf(err, errlen, "%s: %s%s", shown(&sp, path), rerr ? "cannot read: " : "", why);
		free(text);
		return -1;
	}
	text[len] = '\0';
	int r = dashcfg_parse_ini(d, text, path, err, errlen);
	free(text);
	return r;
}

int dashcfg_default_path(char *buf, size_t n)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int len = -1;
	/* XDG: a relative XDG_CONFIG_HOME is invalid and is ignored */
	if (xdg && xdg[0] == '/')
		len = snprintf(buf, n, "%s/perwatt/perwatt.ini", xdg);
	else if (home && *home)
		len = snprintf(buf, n, "%s/.config/perwatt/perwatt.ini", home);
	if (len < 0 || (size_t)len >= n) {
		if (n)
			buf[0] = '\0';
		return -1;
	}
	return access(buf, F_OK) == 0 ? 0 : -1;
}

/* ---- --fleet specs ------------------------------------------------------------ */

/* The end of the bracket expression that starts at p ('['), as a regex
 * reads it: a ']' first (after an optional '^') is a member, "[:alpha:]",
 * "[=a=]" and "[.-.]" are whole, anything else up to the ']' is literal
 * (so "[(]", "[;]" and "[']" hold no bracket, separator or quote).  NULL
 * when there is no ']'. */
static char *bracket_end(char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	for (; *p && *p != ']'; p++)
		if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
			char close = p[1];
			char *q = p + 2;
			while (*q && !(q[0] == close && q[1] == ']'))
				q++;
			if (!*q)
				return NULL;
			p = q + 1;
		}
	return *p ? p : NULL;
}

/* Cuts spec (in place) at each ';' that is outside brackets and quotes.
 * Outside quotes a backslash takes the next character as it is ("\(",
 * "\;"), and a [...] is read as a regex's bracket expression (its
 * contents are not brackets nor quotes): a PromQL range ([5m]) is one too.
 * The number of parts, or 0 when brackets or quotes do not balance. */
static size_t split_spec(char *spec, char **parts, size_t max)
{
	char stack[64];
	size_t depth = 0, n = 0;
	char quote = 0;
	parts[n++] = spec;
	for (char *p = spec; *p; p++) {
		if (quote) {
			if (*p == '\\' && quote != '`' && p[1])
				p++;
			else if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '[') {
			if (!(p = bracket_end(p)))
				return 0;
			continue;
		}
		switch (*p) {
		case '"': case '\'': case '`':
			quote = *p;
			break;
		case '{': case '(':
			if (depth == sizeof stack)
				return 0;
			stack[depth++] = *p == '{' ? '}' : ')';
			break;
		case '}': case ')': case ']':
			if (depth == 0 || stack[--depth] != *p)
				return 0;
			break;
		case ';':
			if (depth == 0 && n < max) {
				*p = '\0';
				parts[n++] = p + 1;
			}
			break;
		default:
			break;
		}
	}
	return quote || depth ? 0 : n;
}

static char *trim_in_place(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

/* The first part, NAME=KIND:REST, NAME=cloudwatch[:PRESET], NAME=local,
 * NAME=nvidia-smi[:CMD], NAME=neuron-monitor[:CMD] or NAME=follow:FILE,
 * into f; at[] records what it set. */
static int spec_head(struct ctx *c, const struct dash_cfg *d, char *head, struct fleet_cfg *f,
                     int *at, char *scope, size_t scopelen, char **fig)
{
	struct shown sv;
	char *eq = strchr(head, '=');
	char *colon = eq ? strchr(eq + 1, ':') : NULL;
	/* cloudwatch and the local kinds need no URL */
	static const char *const bare[] = { "cloudwatch", "local", "nvidia-smi", "neuron-monitor", "follow", NULL };
	if (eq && !colon && find_name(bare, count_names(bare), trim_in_place(eq + 1)) >= 0)
		colon = eq + 1 + strlen(eq + 1);
	if (!eq || !colon)
		return fail(c, 0, NULL, NULL, "'%s' is not NAME=KIND:URL, NAME=cloudwatch[:PRESET], NAME=local, "
		            "NAME=nvidia-smi[:CMD], NAME=neuron-monitor[:CMD] or NAME=follow:FILE (KIND: scrape, "
		            "promql, dcgm, node, neuron, scaphandre or kepler)", shown(&sv, head));
	*eq = '\0';
	char *rest = *colon ? colon + 1 : colon;
	*colon = '\0';
	char *name = trim_in_place(head), *kind = trim_in_place(eq + 1);
	rest = trim_in_place(rest);
	fleet_scope(scope, scopelen, name);
	const char *why = name_problem(name);
	if (why)
		return fail(c, 0, scope, NULL, "the fleet's name %s", why);
	const struct fleet_cfg *dup = fleet_named(d, name, d->nfleets);
	if (dup)
		return fail(c, 0, scope, NULL, "a fleet of this name is already defined at %s", dup->origin);
	if (!(f->name = strdup(name)))
		return fail(c, 0, scope, NULL, "out of memory");
	if (!strcmp(kind, "promql")) {
		f->source = FLEET_SRC_PROMQL;
		at[FK_SOURCE] = at[FK_SERVER] = 1;
		return fleet_set(c, 0, scope, f, fig, FK_SERVER, "server", rest);
	}
	if (!strcmp(kind, "cloudwatch")) {
		f->source = FLEET_SRC_CLOUDWATCH;
		at[FK_SOURCE] = 1;
		if (!*rest)
			return 0;
		if (!(preset_sources(rest) & K_CW))
			return fail(c, 0, scope, "preset", "'%s' is not cwagent-gpu, ec2 or neuron (the CloudWatch presets)",
			            shown(&sv, rest));
		at[FK_PRESET] = 1;
		return fleet_set(c, 0, scope, f, fig, FK_PRESET, "preset", rest);
	}
	if (!strcmp(kind, "local")) {
		f->source = FLEET_SRC_LOCAL;
		at[FK_SOURCE] = 1;
		if (*rest)
			return fail(c, 0, scope, NULL, "'local:%s': local takes nothing after it (write %s=local;sensors=...)",
			            shown(&sv, rest), name);
		return 0;
	}
	if (!strcmp(kind, "nvidia-smi") || !strcmp(kind, "neuron-monitor")) {
		bool nv = kind[1] == 'v';
		f->source = FLEET_SRC_LOCAL;
		at[FK_SOURCE] = at[FK_SENSORS] = 1;
		if (set_str(&f->sensors, nv ? "nvidia-smi" : "neuron") < 0)
			return fail(c, 0, scope, NULL, "out of memory");
		if (!*rest)
			return 0;
		enum fkey k = nv ? FK_NVSMI : FK_NEURON_CMD;
		at[k] = 1;
		return fleet_set(c, 0, scope, f, fig, k, fkey_name[k], rest);
	}
	if (!strcmp(kind, "follow")) {
		/* the benchmark's throughput alone: no power sensor unless sensors says */
		f->source = FLEET_SRC_LOCAL;
		at[FK_SOURCE] = at[FK_FOLLOW] = 1;
		if (set_str(&f->sensors, "") < 0)
			return fail(c, 0, scope, NULL, "out of memory");
		return fleet_set(c, 0, scope, f, fig, FK_FOLLOW, "follow", rest);
	}
	if (!strcmp(kind, "scrape")) {
		f->source = FLEET_SRC_SCRAPE;
		at[FK_SOURCE] = 1;
	} else if (find_name(presets, sizeof presets / sizeof presets[0] - 1, kind) >= 0) {
		at[FK_PRESET] = 1;
		if (fleet_set(c, 0, scope, f, fig, FK_PRESET, "preset", kind) < 0)
			return -1;
	} else if (preset_sources(kind) == K_CW) {
		struct shown sn;
		return fail(c, 0, scope, NULL, "'%s' is a CloudWatch preset: write %s=cloudwatch:%s", shown(&sv, kind),
		            shown(&sn, name), sv.s);
	} else {
		return fail(c, 0, scope, NULL, "'%s' is not scrape, promql, cloudwatch, local, nvidia-smi, neuron-monitor, "
		            "follow, dcgm, node, neuron, scaphandre or kepler", shown(&sv, kind));
	}
	if (!*rest)
		return 0;   /* file_sd may follow */
	at[FK_TARGETS] = 1;
	return fleet_set(c, 0, scope, f, fig, FK_TARGETS, "targets", rest);
}

int dashcfg_add_spec(struct dash_cfg *d, const char *spec, char *err, size_t errlen)
{
	unsigned nth = 1;
	for (size_t i = 0; i < d->nfleets; i++)
		nth += strncmp(d->fleet[i].origin, "--fleet #", 9) == 0;
	char origin[32];
	snprintf(origin, sizeof origin, "--fleet #%u", nth);
	struct ctx c;
	ctx_init(&c, err, errlen, origin, false);
	struct shown sv;

	size_t max = 1;
	for (const char *p = spec ? spec : ""; *p; p++)
		max += *p == ';';
	char *copy = strdup(spec ? spec : "");
	char **parts = malloc(max * sizeof *parts);
	struct fleet_cfg f;
	fleetcfg_init(&f);
	int at[FK_COUNT] = { 0 };
	char *fig[3] = { NULL, NULL, NULL };
	char scope[96] = "";
	int r = -1;
	size_t n;
	if (!copy || !parts) {
		fail(&c, 0, NULL, NULL, "out of memory");
		goto out;
	}
	if ((n = split_spec(copy, parts, max)) == 0) {
		fail(&c, 0, NULL, NULL, "'%s' has brackets or quotes that do not balance", shown(&sv, spec));
		goto out;
	}
	if (spec_head(&c, d, parts[0], &f, at, scope, sizeof scope, fig) < 0)
		goto out;
	for (size_t i = 1; i < n; i++) {
		char *part = trim_in_place(parts[i]);
		if (!*part)
			continue;
		char *eq = strchr(part, '=');
		if (!eq) {
			fail(&c, 0, scope, NULL, "'%s' is not key=value", shown(&sv, part));
			goto out;
		}
		*eq = '\0';
		char *key = trim_in_place(part), *value = trim_in_place(eq + 1);
		int k = find_name(fkey_name, FK_COUNT, key);
		/* the short forms name the queries of a promql fleet */
		if (f.source == FLEET_SRC_PROMQL && (k == FK_THR || k == FK_POWER || k == FK_UTIL))
			k = k == FK_THR ? FK_Q_THR : k == FK_POWER ? FK_Q_POWER : FK_Q_UTIL;
		if (k < 0) {
			unknown_key(&c, 0, scope, key, true);
			goto out;
		}
		if (at[k]) {
			fail(&c, 0, scope, fkey_name[k], "given twice");
			goto out;
		}
		at[k] = (int)i + 1;
		if (fleet_set(&c, 0, scope, &f, fig, (enum fkey)k, key, value) < 0)
			goto out;
	}
	if (fleet_finish(&c, scope, &f, at, fig) < 0)
		goto out;
	struct fleet_cfg *slot = fleet_append(d);
	if (!slot) {
		fail(&c, 0, scope, NULL, "out of memory");
		goto out;
	}
	*slot = f;
	snprintf(slot->origin, sizeof slot->origin, "%s", origin);
	fleetcfg_init(&f);
	r = 0;
out:
	fleetcfg_free(&f);
	free_figs(fig);
	free(parts);
	free(copy);
	return r;
}

/* ---- validation ---------------------------------------------------------------- */

int dashcfg_validate(const struct dash_cfg *d, char *err, size_t errlen)
{
	struct ctx c;
	struct shown sv;
	char scope[96];
	const struct fleet_cfg *base = NULL;
	for (size_t i = 0; i < d->nfleets; i++) {
		const struct fleet_cfg *f = &d->fleet[i];
		ctx_init(&c, err, errlen, f->origin, false);
		fleet_scope(scope, sizeof scope, f->name);
		const char *why = name_problem(f->name);
		if (why)
			return fail(&c, 0, scope, NULL, "the fleet's name %s", why);
		const struct fleet_cfg *dup = fleet_named(d, f->name, i);
		if (dup)
			return fail(&c, 0, scope, NULL, "a fleet of this name is already defined at %s", dup->origin);
		switch (f->source) {
		case FLEET_SRC_NONE:
			return fail(&c, 0, scope, "source", "not set: say source = scrape (with targets), "
			            "source = promql (with a server), source = cloudwatch or source = local");
		case FLEET_SRC_SCRAPE:
			if (f->ntargets == 0 && !f->file_sd)
				return fail(&c, 0, scope, "targets", "a scrape fleet needs targets or file_sd");
			/* a preset's mappings are filled in by the scrape source */
			if (!f->thr.metric && !f->power.metric && !f->preset)
				return fail(&c, 0, scope, "throughput", "a scrape fleet needs a throughput or power "
				            "mapping, or a preset");
			break;
		case FLEET_SRC_PROMQL:
			if (!f->server)
				return fail(&c, 0, scope, "server", "a promql fleet needs a server");
			if (!f->q_thr && !f->q_power && !f->q_util)
				return fail(&c, 0, scope, "query_throughput", "a promql fleet needs at least one of "
				            "query_throughput, query_power and query_utilization");
			break;
		case FLEET_SRC_CLOUDWATCH: {
			bool metric = false, expression = false;
			for (int k = 0; k < 3; k++) {
				metric |= f->cw[k].metric != NULL;
				expression |= f->cw[k].expression != NULL;
			}
			/* a preset's metrics are filled in by the cloudwatch source */
			if (!metric && !expression && !f->preset)
				return fail(&c, 0, scope, "throughput", "a cloudwatch fleet needs a throughput, power or "
				            "utilization metric or expression, or a preset");
			if (f->preset && !strcmp(f->preset, "neuron") && !f->cw_namespace)
				return fail(&c, 0, scope, "namespace", "preset = neuron needs the namespace "
				            "neuron-monitor-cloudwatch.py publishes to (its --namespace)");
			/* an expression's series are the instances; a metric's are
			 * picked by a dimension */
			if ((metric || f->preset) && !f->cw_select_name && !f->instance_type)
				return fail(&c, 0, scope, "select", "a cloudwatch fleet with a metric or a preset needs "
				            "select (e.g. AutoScalingGroupName=my-asg) or type (InstanceType = type)");
			break;
		}
		case FLEET_SRC_LOCAL:
			/* the sensors are found at run time: every one detected, or those named */
			if ((f->follow_file || f->follow_cmd) && !f->follow_match && f->follow_kind != 2)
				return fail(&c, 0, scope, "match", "%s needs match = REGEX (its first capture group is the "
				            "value), or match_kind = lines to count the lines", f->follow_file ? "follow" : "follow_cmd");
			if (f->sensors && !f->sensors[0] && !f->follow_file && !f->follow_cmd && !f->follow_counter)
				return fail(&c, 0, scope, "sensors", "none: a fleet without power sensors needs follow, "
				            "follow_cmd or follow_counter (its throughput)");
			break;
		}
		if (f->baseline) {
			if (base)
				return fail(&c, 0, scope, "baseline", "fleet %s (at %s) is the baseline too: at most one can be",
				            shown(&sv, base->name), base->origin);
			base = f;
		}
	}
	if (d->baseline) {
		ctx_init(&c, err, errlen, d->baseline_origin, false);
		const struct fleet_cfg *named = fleet_named(d, d->baseline, d->nfleets);
		if (!named)
			return fail(&c, 0, "[dashboard]", "baseline", "no fleet is named '%s'", shown(&sv, d->baseline));
		if (base && base != named)
		{
			struct shown sb;
			return fail(&c, 0, "[dashboard]", "baseline", "'%s', but fleet %s (at %s) says baseline = true",
			            shown(&sv, d->baseline), shown(&sb, base->name), base->origin);
		}
	}
	return 0;
}

/* ---- --check-config ------------------------------------------------------------ */

struct out {
	char *buf;
	size_t n, len;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool room = o->len < o->n;
	int w = vsnprintf(room ? o->buf + o->len : NULL, room ? o->n - o->len : 0, fmt, ap);
	va_end(ap);
	if (w > 0)
		o->len += (size_t)w;
}

/* Text from the config, control characters replaced. */
static void put_text(struct out *o, const char *s)
{
	size_t len = strlen(s);
	char small[256];
	char *tmp = len < sizeof small ? small : malloc(len + 1);
	if (!tmp) {
		put(o, "?");
		return;
	}
	fmt_sanitize(tmp, len + 1, s, true);
	put(o, "%s", tmp);
	if (tmp != small)
		free(tmp);
}

static void put_field(struct out *o, const char *label, const char *value)
{
	put(o, "  %-12s ", label);
	put_text(o, value);
	put(o, "\n");
}

static void put_url(struct out *o, const char *label, const char *url)
{
	size_t len = strlen(url) + 1;
	char *masked = malloc(len);
	if (masked)
		mask_url(masked, len, url);
	put_field(o, label, masked ? masked : "?");
	free(masked);
}

static void put_seconds(struct out *o, const char *label, double s, const char *unset)
{
	if (s > 0)
		put(o, "  %-12s %g s\n", label, s);
	else
		put(o, "  %-12s %s\n", label, unset);
}

static const char *kind_name(enum metric_kind k)
{
	return k == MKIND_GAUGE ? "gauge" : k == MKIND_COUNTER ? "counter (made a rate)" : "kind auto";
}

static void put_map(struct out *o, const char *label, const struct metric_map *m, const char *preset,
                    const char *to)
{
	put(o, "  %-12s ", label);
	if (!m->metric) {
		if (preset) {
			put(o, "preset ");
			put_text(o, preset);
			put(o, "'s default, if it has one\n");
		} else {
			put(o, "not scraped\n");
		}
		return;
	}
	put_text(o, m->metric);
	if (m->matchers) {
		put(o, "{");
		put_text(o, m->matchers);
		put(o, "}");
	}
	put(o, "  (%s, scale %g to %s, %s of series", kind_name(m->kind), m->scale, to, m->mean ? "mean" : "sum");
	if (m->dedupe_label) {
		put(o, ", one per ");
		put_text(o, m->dedupe_label);
	}
	put(o, ")\n");
}

static void put_query(struct out *o, const char *label, const char *q, const struct metric_map *m,
                      const char *to)
{
	put(o, "  %-12s ", label);
	if (!q) {
		put(o, "not queried\n");
		return;
	}
	put_text(o, q);
	if (m->scale != 1)
		put(o, "  (scale %g to %s)", m->scale, to);
	put(o, "\n");
}

static void describe_dashboard(struct out *o, const struct dash_cfg *d)
{
	char num[64];
	if (isnan(d->interval) && isnan(d->window) && !d->theme && !d->region && isnan(d->sla_per_hour)
	    && isnan(d->work_units) && !d->baseline && !d->aws_profile && isnan(d->cw_usd_per_1000))
		return;
	put(o, "[dashboard]\n");
	if (!isnan(d->interval))
		put_seconds(o, "interval", d->interval, "");
	if (!isnan(d->window))
		put_seconds(o, "window", d->window, "");
	if (d->theme)
		put_field(o, "theme", d->theme);
	if (d->region)
		put_field(o, "region", d->region);
	if (!isnan(d->sla_per_hour)) {
		fmt_grouped(num, sizeof num, d->sla_per_hour, 0, 0);
		put(o, "  %-12s %s/h\n", "sla", num);
	}
	if (!isnan(d->work_units)) {
		fmt_grouped(num, sizeof num, d->work_units, 0, 0);
		put(o, "  %-12s %s units\n", "work", num);
	}
	if (d->baseline)
		put_field(o, "baseline", d->baseline);
	/* the profile's name only: its keys are in ~/.aws, never read here */
	if (d->aws_profile)
		put_field(o, "aws_profile", d->aws_profile);
	if (!isnan(d->cw_usd_per_1000))
		put(o, "  %-12s $%g per 1,000 metrics requested (cloudwatch_usd_per_1000_metrics)\n", "cloudwatch",
		    d->cw_usd_per_1000);
	put(o, "\n");
}

/* A dimension value, quoted when it could not be read back unquoted. */
static void put_dim_value(struct out *o, const char *v)
{
	if (*v && !strpbrk(v, ",{}=\"\\") && !isspace((unsigned char)v[0]) && !isspace((unsigned char)v[strlen(v) - 1])) {
		put_text(o, v);
		return;
	}
	char *q = malloc(2 * strlen(v) + 3), *w = q;
	if (!q) {
		put(o, "?");
		return;
	}
	*w++ = '"';
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			*w++ = '\\';
		*w++ = *p;
	}
	*w++ = '"';
	*w = '\0';
	put_text(o, q);
	free(q);
}

static void put_cw_fig(struct out *o, const char *label, const struct cw_fig *g, int k, const char *preset,
                       const char *to)
{
	put(o, "  %-12s ", label);
	if (g->expression) {
		put(o, "expression ");
		put_text(o, g->expression);
	} else if (g->metric) {
		put_text(o, g->ns);
		put(o, "/");
		put_text(o, g->metric);
		if (g->ndims) {
			put(o, "{");
			for (size_t i = 0; i < g->ndims; i++) {
				put(o, i ? ", " : "");
				put_text(o, g->dims[i].name);
				if (g->dims[i].value) {
					put(o, "=");
					put_dim_value(o, g->dims[i].value);
				}
			}
			put(o, "}");
		}
		const char *stat = g->stat ? g->stat : k == 0 ? "Sum" : "Average";
		put(o, " stat %s%s", stat, k == 0 && !strcmp(stat, "Sum") ? " (\xc3\xb7 period)" : "");
	} else if (preset) {
		/* what fetch/cloudwatch.c's presets read: keep in step */
		static const char *const says[3][3] = {
			/* cwagent-gpu */ { NULL, "CWAgent/nvidia_smi_power_draw stat Average, summed over each instance's GPUs",
			                    "CWAgent/nvidia_smi_utilization_gpu stat Average, mean over GPUs" },
			/* ec2 */         { NULL, "none in CloudWatch: estimated from utilization with the power model",
			                    "AWS/EC2/CPUUtilization stat Average" },
			/* neuron */      { "the completed-executions metric found in the namespace, Sum (\xc3\xb7 period)",
			                    "none published: estimated from utilization where the power model knows the type",
			                    "the NeuronCore utilization metric found in the namespace, Average" },
		};
		int pi = !strcmp(preset, "cwagent-gpu") ? 0 : !strcmp(preset, "ec2") ? 1 : !strcmp(preset, "neuron") ? 2 : -1;
		const char *what = pi >= 0 ? says[pi][k] : NULL;
		if (!what) {
			put(o, "not read\n");
			return;
		}
		put(o, "preset ");
		put_text(o, preset);
		put(o, ": %s", what);
		if (g->stat)
			put(o, ", stat %s", g->stat);
	} else {
		put(o, "not read\n");
		return;
	}
	if (g->scale != 1)
		put(o, "  (scale %g to %s)", g->scale, to);
	put(o, "\n");
}

static void describe_cloudwatch(struct out *o, const struct fleet_cfg *f)
{
	if (f->cw_select_name) {
		put(o, "  %-12s ", "select");
		put_text(o, f->cw_select_name);
		put(o, "=");
		put_dim_value(o, f->cw_select_value);
		put(o, "\n");
	} else if (f->instance_type) {
		put(o, "  %-12s InstanceType=", "select");
		put_text(o, f->instance_type);
		put(o, " (from type)\n");
	} else {
		put(o, "  %-12s %s\n", "select", "not set");
	}
	if (f->cw_namespace)
		put_field(o, "namespace", f->cw_namespace);
	put_cw_fig(o, "throughput", &f->cw[0], 0, f->preset, "units/s");
	put_cw_fig(o, "power", &f->cw[1], 1, f->preset, "W");
	put_cw_fig(o, "utilization", &f->cw[2], 2, f->preset, "%");
	if (f->cw_period)
		put(o, "  %-12s %d s\n", "period", f->cw_period);
	else
		put(o, "  %-12s %s\n", "period", "60 s (default)");
	if (isnan(f->cw_settle))
		put(o, "  %-12s %s\n", "settle", "60 s (default)");
	else
		put(o, "  %-12s %g s\n", "settle", f->cw_settle);
}

static void describe_local(struct out *o, const struct fleet_cfg *f)
{
	if (!f->sensors)
		put(o, "  %-12s %s\n", "sensors", "every one detected (rapl, hwmon, cpu, nvidia-smi, neuron)");
	else if (!f->sensors[0])
		put(o, "  %-12s %s\n", "sensors", "none (throughput only)");
	else
		put_field(o, "sensors", f->sensors);
	if (f->nvsmi_cmd)
		put_field(o, "nvidia-smi", f->nvsmi_cmd);
	if (f->neuron_cmd)
		put_field(o, "neuron", f->neuron_cmd);
	if (!isnan(f->neuron_max_w))
		put(o, "  %-12s %g W per Neuron device at 100 %% utilization\n", "neuron_max_w", f->neuron_max_w);
	static const char *const kinds[] = {
		"rate: the capture is units/s", "count: the capture is a running total, made a rate",
		"lines: each matching line is one unit",
	};
	int kind = f->follow_kind >= 0 && f->follow_kind <= 2 ? f->follow_kind : 0;
	if (f->follow_file) {
		put(o, "  %-12s ", "follow");
		put_text(o, f->follow_file);
		put(o, "  (followed like tail -F)\n");
	} else if (f->follow_cmd) {
		put(o, "  %-12s ", "follow_cmd");
		put_text(o, f->follow_cmd);
		put(o, "  (its output)\n");
	} else if (f->follow_counter) {
		put(o, "  %-12s ", "counter");
		put_text(o, f->follow_counter);
		put(o, "  (a running count, made a rate)\n");
	} else {
		put(o, "  %-12s %s\n", "throughput", "the sensors' own, if any (no follow)");
	}
	if (f->follow_file || f->follow_cmd) {
		put(o, "  %-12s ", "match");
		if (f->follow_match)
			put_text(o, f->follow_match);
		else
			put(o, "every non-empty line");
		put(o, "  (%s)\n", kinds[kind]);
	}
	if (f->cw[0].scale != 1)
		put(o, "  %-12s scale %g to units/s\n", "throughput", f->cw[0].scale);
}

static void describe_fleet(struct out *o, const struct fleet_cfg *f)
{
	put(o, "[fleet ");
	put_text(o, f->name ? f->name : "");
	put(o, "]  from ");
	put_text(o, f->origin);
	put(o, "\n");
	put_field(o, "type", f->instance_type ? f->instance_type : "unknown");
	if (f->instances)
		put(o, "  %-12s %zu\n", "instances", f->instances);
	else
		put(o, "  %-12s %s\n", "instances", f->source == FLEET_SRC_CLOUDWATCH ? "the instances that report"
		    : f->source == FLEET_SRC_LOCAL ? "1 (this machine)" : "the targets that answer");
	put_field(o, "unit", f->unit ? f->unit : "units");
	put(o, "  %-12s %s\n", "baseline", f->baseline ? "yes" : "no");
	put(o, "  %-12s %s\n", "source", source_name(f->source));
	if (f->preset)
		put_field(o, "preset", f->preset);
	for (size_t i = 0; i < f->ntargets; i++)
		put_url(o, i == 0 ? "targets" : "", f->targets[i]);
	if (f->file_sd) {
		put(o, "  %-12s ", "file_sd");
		put_text(o, f->file_sd);
		put(o, "  (re-read on change)\n");
	}
	if (f->source != FLEET_SRC_PROMQL && f->source != FLEET_SRC_CLOUDWATCH && f->source != FLEET_SRC_LOCAL
	    && (f->ntargets || f->file_sd || f->preset || f->thr.metric
	                                      || f->power.metric || f->util.metric)) {
		put_map(o, "throughput", &f->thr, f->preset, "units/s");
		put_map(o, "power", &f->power, f->preset, "W");
		put_map(o, "utilization", &f->util, f->preset, "%");
	}
	if (f->source == FLEET_SRC_PROMQL) {
		if (f->server)
			put_url(o, "server", f->server);
		put_query(o, "throughput", f->q_thr, &f->thr, "units/s");
		put_query(o, "power", f->q_power, &f->power, "W");
		put_query(o, "utilization", f->q_util, &f->util, "%");
	}
	if (f->source == FLEET_SRC_CLOUDWATCH)
		describe_cloudwatch(o, f);
	if (f->source == FLEET_SRC_LOCAL)
		describe_local(o, f);
	put_seconds(o, "interval", f->interval, f->source == FLEET_SRC_CLOUDWATCH ? "the period" : "the dashboard's");
	if (f->source != FLEET_SRC_LOCAL)
		put_seconds(o, "timeout", f->timeout, f->source == FLEET_SRC_CLOUDWATCH ? "20 s (default)" : "5 s (default)");
	/* the files are named, never read here: their contents are secrets */
	if (f->bearer_file) {
		put(o, "  %-12s bearer token from ", "auth");
		put_text(o, f->bearer_file);
		put(o, "\n");
	}
	if (f->basic_file) {
		put(o, "  %-12s basic auth (user:password) from ", f->bearer_file ? "" : "auth");
		put_text(o, f->basic_file);
		put(o, "\n");
	}
	if (f->ca_file)
		put_field(o, "ca_file", f->ca_file);
	if (f->insecure)
		put(o, "  %-12s %s\n", "tls", "certificates NOT verified (insecure_skip_verify)");
	if (isnan(f->usd_per_hour))
		put(o, "  %-12s %s\n", "price", "from the tables");
	else
		put(o, "  %-12s $%g/h per instance (usd_per_hour)\n", "price", f->usd_per_hour);
}

size_t dashcfg_describe(const struct dash_cfg *d, char *buf, size_t n)
{
	struct out o = { buf, n, 0 };
	if (n)
		buf[0] = '\0';
	describe_dashboard(&o, d);
	for (size_t i = 0; i < d->nfleets; i++) {
		if (i)
			put(&o, "\n");
		describe_fleet(&o, &d->fleet[i]);
	}
	return o.len;
}
