/*
 * neuron.c - neuron-monitor's reports and the Neuron driver's power file
 * into the machine's box (neuron.h).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/format.h"
#include "fetch/child.h"
#include "fetch/neuron.h"

#define POWER_EVERY   1.0       /* s between reads of the power files */
#define RESCAN_EVERY  60.0      /* s between looks for power files when there are none */
#define UNTIMED_MAX   60.0      /* s: a longer gap between reports is no period */

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* ---- small helpers ---------------------------------------------------------- */

/* Copies src into dst of n bytes, cut to fit. */
static void copy(char *dst, size_t n, const char *src)
{
	if (!n)
		return;
	size_t k = src ? strlen(src) : 0;
	if (k >= n)
		k = n - 1;
	if (k)
		memcpy(dst, src, k);
	dst[k] = '\0';
}

/* snprintf for messages, where cutting a long one short is fine */
static void say(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
}

/* The command's first word (its program), unquoted in the simple cases. */
static void first_word(const char *cmd, char *out, size_t n)
{
	size_t o = 0;
	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	char q = 0;
	if (*cmd == '\'' || *cmd == '"')
		q = *cmd++;
	for (; *cmd && o + 1 < n; cmd++) {
		if (q ? *cmd == q : (*cmd == ' ' || *cmd == '\t' || strchr(";|&<>()$`\\\"'", *cmd)))
			break;
		out[o++] = *cmd;
	}
	out[o] = '\0';
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* PATH lookup the way the shell does it; the full path into out. */
static bool find_program(const char *prog, char *out, size_t n)
{
	if (!*prog)
		return false;
	if (strchr(prog, '/')) {
		copy(out, n, prog);
		struct stat st;
		return access(prog, X_OK) == 0 && stat(prog, &st) == 0 && S_ISREG(st.st_mode);
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		struct stat st;
		if ((size_t)snprintf(out, n, "%.*s/%s", (int)(len ? len : 1), len ? path : ".", prog) < n &&
		    access(out, X_OK) == 0 && stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return true;
		path += len;
		if (*path == ':')
			path++;
	}
	return false;
}

/* The Neuron device numbers under ROOT/sys/devices/virtual/neuron_device,
 * ascending; how many (up to max), -1 when the folder is not there. */
static int list_devices(const char *root, int *idx, int max)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s%s", root, NEURON_SYSFS_DIR);
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		const char *s = e->d_name;
		if (strncmp(s, "neuron", 6) != 0 || !isdigit((unsigned char)s[6]))
			continue;
		char *end;
		long v = strtol(s + 6, &end, 10);
		if (*end || v < 0 || v > 100000)
			continue;
		int k = n++;
		while (k > 0 && idx[k - 1] > v) {      /* insertion sort: a handful */
			idx[k] = idx[k - 1];
			k--;
		}
		idx[k] = (int)v;
	}
	closedir(d);
	return n;
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Device `index`'s power file: stats/power/utilization, else one directory
 * below stats/power/ (the lowest name), else power/utilization.  The driver
 * reorganised its sysfs in 2.31; all three are cheap to look for. */
static bool find_power_file(const char *root, int index, char *out, size_t n)
{
	char dev[PATH_MAX];
	snprintf(dev, sizeof dev, "%s%s/neuron%d", root, NEURON_SYSFS_DIR, index);
	if ((size_t)snprintf(out, n, "%s/stats/power/utilization", dev) < n && is_file(out))
		return true;
	char pdir[PATH_MAX];
	if ((size_t)snprintf(pdir, sizeof pdir, "%s/stats/power", dev) >= sizeof pdir)
		return false;
	DIR *d = opendir(pdir);
	bool found = false;
	if (d) {
		char best[NAME_MAX + 1] = "";
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char cand[PATH_MAX];
			if ((size_t)snprintf(cand, sizeof cand, "%s/%s/utilization", pdir, e->d_name) >= sizeof cand ||
			    !is_file(cand))
				continue;
			if (!best[0] || strcmp(e->d_name, best) < 0)
				copy(best, sizeof best, e->d_name);
		}
		closedir(d);
		if (best[0] && (size_t)snprintf(out, n, "%s/%s/utilization", pdir, best) < n)
			found = true;
	}
	if (!found && (size_t)snprintf(out, n, "%s/power/utilization", dev) < n && is_file(out))
		found = true;
	return found;
}

/* ---- the report parser ------------------------------------------------------ */

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : NAN;
}

/* A group's or runtime's "error" string, NULL when empty or absent. */
static const char *error_of(const cJSON *o)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
	return cJSON_IsString(e) && e->valuestring && e->valuestring[0] ? e->valuestring : NULL;
}

static void note_error(struct neuron_report *r, const char *fmt_who, const char *who, const char *what)
{
	if (r->error[0])
		return;
	char raw[sizeof r->error];
	snprintf(raw, sizeof raw, fmt_who, who);
	size_t o = strlen(raw);
	snprintf(raw + o, sizeof raw - o, "%s", what);
	fmt_sanitize(r->error, sizeof r->error, raw, true);
}

static void runtime_name(const cJSON *rt, int i, char *out, size_t n)
{
	const cJSON *tag = cJSON_GetObjectItemCaseSensitive(rt, "neuron_runtime_tag");
	double pid = num(rt, "pid");
	if (cJSON_IsString(tag) && tag->valuestring && tag->valuestring[0])
		snprintf(out, n, "%.40s", tag->valuestring);
	else if (isfinite(pid))
		snprintf(out, n, "%.0f", pid);
	else
		snprintf(out, n, "#%d", i);
}

static void parse_runtime(const cJSON *rt, int i, struct neuron_report *r)
{
	char name[48];
	runtime_name(rt, i, name, sizeof name);
	const char *e = error_of(rt);
	if (e) {
		note_error(r, "runtime %s: ", name, e);
		return;
	}
	const cJSON *rep = cJSON_GetObjectItemCaseSensitive(rt, "report");
	if (!cJSON_IsObject(rep)) {
		note_error(r, "runtime %s: ", name, "no report");
		return;
	}
	r->runtimes_ok++;

	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(rep, "execution_stats");
	if (cJSON_IsObject(ex)) {
		if ((e = error_of(ex))) {
			note_error(r, "runtime %s execution_stats: ", name, e);
		} else {
			const cJSON *sum = cJSON_GetObjectItemCaseSensitive(ex, "execution_summary");
			double done = num(sum, "completed");
			double period = num(ex, "period");
			if (isfinite(done) && done >= 0) {
				r->has_exec = true;
				r->completed += done;
				if (isfinite(period) && period > 0)
					r->completed_rate += done / period;
				else
					r->completed_untimed += done;
			}
		}
	}

	const cJSON *nc = cJSON_GetObjectItemCaseSensitive(rep, "neuroncore_counters");
	if (cJSON_IsObject(nc)) {
		if ((e = error_of(nc))) {
			note_error(r, "runtime %s neuroncore_counters: ", name, e);
		} else {
			const cJSON *cores = cJSON_GetObjectItemCaseSensitive(nc, "neuroncores_in_use");
			if (cJSON_IsObject(cores)) {
				r->has_util = true;
				const cJSON *core;
				cJSON_ArrayForEach(core, cores) {
					double u = num(core, "neuroncore_utilization");
					if (!isfinite(u) || u < 0)
						continue;
					r->util_sum += u > 100 ? 100 : u;
					r->cores_reported++;
				}
			}
		}
	}
}

int neuron_parse_report(const char *json, size_t len, struct neuron_report *out, char *err, size_t n)
{
	memset(out, 0, sizeof *out);
	out->util = NAN;
	out->device_count = out->cores_per_device = -1;
	copy(err, n, "");
	if (!json || !len) {
		copy(err, n, "an empty line");
		return -1;
	}
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!root) {
		copy(err, n, json[0] == '{' ? "a report that is not valid JSON (cut short?)"
		                            : "a line that is not JSON");
		return -1;
	}
	const cJSON *rts = cJSON_GetObjectItemCaseSensitive(root, "neuron_runtime_data");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(rts)) {
		copy(err, n, "JSON that is not a neuron-monitor report (no neuron_runtime_data)");
		cJSON_Delete(root);
		return -1;
	}
	const cJSON *rt;
	int i = 0;
	cJSON_ArrayForEach(rt, rts) {
		out->runtimes++;
		if (cJSON_IsObject(rt))
			parse_runtime(rt, i, out);
		else
			note_error(out, "%s", "", "a runtime entry that is not an object");
		i++;
	}

	const cJSON *hw = cJSON_GetObjectItemCaseSensitive(root, "neuron_hardware_info");
	if (cJSON_IsObject(hw)) {
		const char *e = error_of(hw);
		if (e)
			note_error(out, "%s", "neuron_hardware_info: ", e);
		double dc = num(hw, "neuron_device_count"), cpd = num(hw, "neuroncore_per_device_count");
		if (isfinite(dc) && dc >= 0 && dc <= 100000)
			out->device_count = (int)dc;
		if (isfinite(cpd) && cpd >= 0 && cpd <= 100000)
			out->cores_per_device = (int)cpd;
	}
	const cJSON *ii = cJSON_GetObjectItemCaseSensitive(root, "instance_info");
	if (cJSON_IsObject(ii)) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(ii, "instance_type");
		if (cJSON_IsString(t) && t->valuestring) {
			size_t o = 0;
			for (const char *s = t->valuestring; *s && o + 1 < sizeof out->instance_type; s++)
				if (isalnum((unsigned char)*s) || *s == '.' || *s == '-' || *s == '_')
					out->instance_type[o++] = *s;
			out->instance_type[o] = '\0';
		}
		const char *e = error_of(ii);
		if (e)
			note_error(out, "%s", "instance_info: ", e);
	}

	/* utilization: the machine's NeuronCores are the denominator when known
	 * (neuron-monitor lists only the cores in use); an idle machine (no
	 * application at all) is 0 % */
	long total = out->device_count > 0 && out->cores_per_device > 0
	             ? (long)out->device_count * out->cores_per_device : 0;
	if (out->cores_reported > 0)
		out->util = total >= out->cores_reported ? out->util_sum / (double)total
		                                         : out->util_sum / out->cores_reported;
	else if (out->has_util || (out->runtimes == 0 && total > 0))
		out->util = 0;

	if (out->runtimes_ok > 0 && !out->has_exec && !out->has_util && !out->error[0])
		copy(out->error, sizeof out->error,
		     "the report has neither execution_stats nor neuroncore_counters");
	cJSON_Delete(root);
	return 0;
}

/* ---- the power file parser -------------------------------------------------- */

static const char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static bool field_num(const char *s, double *v)
{
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(x))
		return false;
	*v = x;
	return true;
}

int neuron_parse_power(const char *text, size_t len, struct neuron_power *out)
{
	out->status = NEURON_POWER_INVALID;
	out->epoch = out->min_pct = out->max_pct = out->avg_pct = NAN;
	char buf[256];
	if (!text || len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (strlen(buf) != len)
		return -1;              /* a NUL inside */
	char *nl = strchr(buf, '\n');
	if (nl && nl[strspn(nl, " \t\r\n")])
		return -1;              /* more than one line */
	char *field[6];
	int nf = 0;
	char *s = buf;
	while (nf < 6) {
		field[nf++] = s;
		char *c = strchr(s, ',');
		if (!c)
			break;
		*c = '\0';
		s = c + 1;
	}
	if (nf > 5)
		return -1;
	const char *st = trim(field[0]);
	if (strncmp(st, "POWER_STATUS_", 13) == 0)
		st += 13;
	if (strcmp(st, "VALID") == 0)
		out->status = NEURON_POWER_VALID;
	else if (strcmp(st, "NO_DATA") == 0)
		out->status = NEURON_POWER_NO_DATA;
	else if (strcmp(st, "INVALID") == 0)
		out->status = NEURON_POWER_INVALID;
	else
		return -1;
	double ep;
	if (nf > 1 && field_num(trim(field[1]), &ep) && ep >= 0)
		out->epoch = ep;
	if (out->status != NEURON_POWER_VALID)
		return 0;
	double pct[3];
	if (nf != 5)
		return -1;
	for (int i = 0; i < 3; i++)
		if (!field_num(trim(field[2 + i]), &pct[i]) || pct[i] < 0 || pct[i] > 100)
			return -1;
	out->min_pct = pct[0];
	out->max_pct = pct[1];
	out->avg_pct = pct[2];
	return 0;
}

/* ---- the source ------------------------------------------------------------- */

struct ndev {
	int index;
	char path[PATH_MAX];
	char component[16];         /* "neuron<N>" */
};

struct neuron_src {
	struct source src;
	struct localbox *box;
	struct source_health *health;
	struct child *child;
	char *run;                  /* the command line run */
	char prog[64];              /* "neuron-monitor", for messages */
	char word[128];             /* the command's program as given, for "not found" */
	char conf[PATH_MAX];        /* the generated config file, "" when none */
	char root[PATH_MAX];
	double max_w;
	double period;              /* s between reports expected */
	double quiet;

	struct ndev dev[NEURON_MAX_DEVICES];
	int ndev;                   /* devices with a power file */
	int ndirs;                  /* devices found, -1: no sysfs folder */
	double next_power, next_scan;

	/* what the health line is made of */
	double last_report;         /* -INFINITY: none yet */
	bool reported_since_exit;
	char child_problem[200];
	enum health_status child_status;
	char line_problem[200];
	char report_error[160];
	bool report_figures;        /* the last report gave a figure */
	char instance_type[48];
	int cores;
	int pw_valid, pw_nodata, pw_invalid, pw_bad;
	double pw_avg_sum;
};

static const struct source_ops neuron_ops;

/* The health line from what the source knows now.  last_ok is the last
 * report's time, not now: the power files being readable is no sign that
 * neuron-monitor still reports. */
static void update_health(struct neuron_src *ns)
{
	struct source_health *h = ns->health;
	if (ns->child_problem[0] && !ns->reported_since_exit) {
		health_set_error(h, ns->child_status, "%s", ns->child_problem);
		return;
	}
	if (ns->line_problem[0]) {
		health_set_error(h, ns->report_figures ? HEALTH_OK : HEALTH_STALE, "%s", ns->line_problem);
		return;
	}
	if (!isfinite(ns->last_report)) {
		health_set_error(h, HEALTH_STALE, "waiting for %s's first report", ns->prog);
		return;
	}
	if (ns->report_error[0]) {
		if (ns->report_figures)
			health_set_ok(h, ns->last_report, -1);
		health_set_error(h, ns->report_figures ? HEALTH_OK : HEALTH_STALE, "%s: %s", ns->prog,
		                 ns->report_error);
		return;
	}
	health_set_ok(h, ns->last_report, -1);
	if (ns->pw_valid && !isfinite(ns->max_w)) {
		double avg = ns->pw_avg_sum / ns->pw_valid;
		if (ns->pw_valid > 1)
			health_set_error(h, HEALTH_OK, "Neuron power: avg %.0f%% of max over %d devices "
			                 "(set neuron_max_w to show watts)", avg, ns->pw_valid);
		else
			health_set_error(h, HEALTH_OK, "Neuron power: avg %.0f%% of max "
			                 "(set neuron_max_w to show watts)", avg);
	} else if (!ns->pw_valid && ns->pw_bad) {
		health_set_error(h, HEALTH_OK, "Neuron power: the driver's power file is unreadable or "
		                 "not \"<status>,<epoch>,<min>,<max>,<avg>\"");
	} else if (!ns->pw_valid && ns->pw_invalid) {
		health_set_error(h, HEALTH_OK, "Neuron power: the driver says POWER_STATUS_INVALID");
	} else if (!ns->pw_valid && ns->pw_nodata) {
		health_set_error(h, HEALTH_OK, "Neuron power: no data yet (the driver averages over a minute)");
	} else if (ns->ndev == 0 && ns->ndirs > 0) {
		health_set_error(h, HEALTH_OK, "Neuron power: no power file under %s (Neuron driver 2.21+)",
		                 NEURON_SYSFS_DIR);
	}
}

static void set_target(struct neuron_src *ns)
{
	char t[sizeof ns->health->target];
	if (ns->instance_type[0] && ns->cores > 0)
		snprintf(t, sizeof t, "%s, %d NeuronCore%s (%s)", ns->instance_type, ns->cores,
		         ns->cores == 1 ? "" : "s", ns->prog);
	else if (ns->cores > 0)
		snprintf(t, sizeof t, "%d NeuronCore%s (%s)", ns->cores, ns->cores == 1 ? "" : "s", ns->prog);
	else if (ns->instance_type[0])
		snprintf(t, sizeof t, "%s (%s)", ns->instance_type, ns->prog);
	else
		return;
	fmt_sanitize(ns->health->target, sizeof ns->health->target, t, true);
}

static void on_line(void *user, const char *line, size_t len, bool cut, double now)
{
	struct neuron_src *ns = user;
	while (len && isspace((unsigned char)*line)) {
		line++;
		len--;
	}
	if (!len)
		return;
	if (cut) {
		say(ns->line_problem, sizeof ns->line_problem,
		    "%s printed a report longer than %d KiB: skipped (ask for fewer metric groups with -c)",
		    ns->prog, CHILD_LINE_MAX / 1024);
		update_health(ns);
		return;
	}
	if (line[0] != '{') {
		/* stderr comes here too: show what it says */
		say(ns->line_problem, sizeof ns->line_problem, "%s says: %.*s", ns->prog,
		    (int)(len < 120 ? len : 120), line);
		update_health(ns);
		return;
	}
	struct neuron_report r;
	char err[128];
	if (neuron_parse_report(line, len, &r, err, sizeof err) < 0) {
		say(ns->line_problem, sizeof ns->line_problem, "%s printed %s", ns->prog, err);
		update_health(ns);
		return;
	}

	double dt = isfinite(ns->last_report) ? now - ns->last_report : NAN;
	ns->last_report = now;
	ns->reported_since_exit = true;
	ns->line_problem[0] = '\0';
	copy(ns->report_error, sizeof ns->report_error, r.error);
	ns->report_figures = false;

	double thr = NAN;
	if (r.has_exec) {
		thr = r.completed_rate;
		if (r.completed_untimed > 0) {
			if (isfinite(dt) && dt > 0 && dt <= UNTIMED_MAX)
				thr += r.completed_untimed / dt;
			else
				thr = NAN;      /* the first report: no period to divide by yet */
		}
	} else if (r.runtimes == 0) {
		thr = 0;                /* nothing running on the Neuron devices */
	}
	if (isfinite(thr)) {
		localbox_put(ns->box, "neuron", LB_ACCEL, MET_THROUGHPUT, now, thr, PROV_MEASURED);
		ns->report_figures = true;
	}
	if (isfinite(r.util)) {
		localbox_put(ns->box, "neuron", LB_ACCEL, MET_UTIL, now, r.util, PROV_MEASURED);
		ns->report_figures = true;
	}
	if (r.instance_type[0]) {
		copy(ns->instance_type, sizeof ns->instance_type, r.instance_type);
		localbox_learn_type(ns->box, ns->instance_type, "neuron-monitor");  /* none given */
	}
	if (r.device_count > 0 && r.cores_per_device > 0)
		ns->cores = r.device_count * r.cores_per_device;
	else if (r.cores_reported > ns->cores)
		ns->cores = r.cores_reported;
	set_target(ns);
	update_health(ns);
}

static void on_exit_cb(void *user, const char *why, double now)
{
	struct neuron_src *ns = user;
	(void)now;
	if (strstr(why, "(exit 127)")) {
		say(ns->child_problem, sizeof ns->child_problem, "%s not found: %.80s (exit 127); install "
		    "aws-neuronx-tools or add /opt/aws/neuron/bin to PATH", ns->prog, ns->word);
	} else if (strstr(why, "printed nothing")) {
		say(ns->child_problem, sizeof ns->child_problem, "%s hung: %s", ns->prog, why);
	} else {
		say(ns->child_problem, sizeof ns->child_problem, "%s %s: restarting with backoff",
		    ns->prog, why);
	}
	ns->child_status = HEALTH_FAILING;
	ns->reported_since_exit = false;
	update_health(ns);
}

static void scan_power(struct neuron_src *ns)
{
	int idx[NEURON_MAX_DEVICES];
	ns->ndirs = list_devices(ns->root, idx, NEURON_MAX_DEVICES);
	ns->ndev = 0;
	for (int i = 0; i < ns->ndirs; i++) {
		struct ndev *d = &ns->dev[ns->ndev];
		if (!find_power_file(ns->root, idx[i], d->path, sizeof d->path))
			continue;
		d->index = idx[i];
		snprintf(d->component, sizeof d->component, "neuron%d", idx[i]);
		ns->ndev++;
	}
}

/* Reads the small sysfs file; -1 when it cannot. sysfs reads do not block
 * on anything but the driver. */
static ssize_t read_small(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, n);
	close(fd);
	return r;
}

static void read_power(struct neuron_src *ns, double now)
{
	ns->pw_valid = ns->pw_nodata = ns->pw_invalid = ns->pw_bad = 0;
	ns->pw_avg_sum = 0;
	for (int i = 0; i < ns->ndev; i++) {
		char buf[256];
		ssize_t r = read_small(ns->dev[i].path, buf, sizeof buf - 1);
		struct neuron_power p;
		if (r <= 0 || neuron_parse_power(buf, (size_t)r, &p) < 0) {
			ns->pw_bad++;
			continue;
		}
		if (p.status == NEURON_POWER_NO_DATA) {
			ns->pw_nodata++;
			continue;
		}
		if (p.status == NEURON_POWER_INVALID) {
			ns->pw_invalid++;
			continue;
		}
		ns->pw_valid++;
		ns->pw_avg_sum += p.avg_pct;
		if (isfinite(ns->max_w))
			localbox_put(ns->box, ns->dev[i].component, LB_ACCEL, MET_POWER, now,
			             p.avg_pct / 100.0 * ns->max_w, PROV_ESTIMATED);
	}
}

static int ns_start(struct source *s, double now)
{
	struct neuron_src *ns = s->priv;
	scan_power(ns);
	ns->next_scan = now + RESCAN_EVERY;
	ns->next_power = now;
	update_health(ns);
	if (child_start(ns->child, now) < 0) {
		update_health(ns);
		return -1;
	}
	return 0;
}

static int ns_fds(struct source *s, struct pollfd *fds, int max)
{
	struct neuron_src *ns = s->priv;
	return child_fds(ns->child, fds, max);
}

static void ns_ready(struct source *s, const struct pollfd *fds, int nfds, double now)
{
	struct neuron_src *ns = s->priv;
	child_ready(ns->child, fds, nfds, now);
}

static double ns_tick(struct source *s, double now)
{
	struct neuron_src *ns = s->priv;
	double next = child_tick(ns->child, now);
	if (ns->ndev == 0 && now >= ns->next_scan) {
		scan_power(ns);
		ns->next_scan = now + RESCAN_EVERY;
	}
	if (now >= ns->next_power) {
		read_power(ns, now);
		update_health(ns);
		ns->next_power = now + POWER_EVERY;
	}
	next = fmin(next, ns->next_power);
	if (ns->ndev == 0)
		next = fmin(next, ns->next_scan);
	return next;
}

static void ns_free(struct neuron_src *ns)
{
	if (!ns)
		return;
	child_free(ns->child);
	if (ns->conf[0])
		unlink(ns->conf);
	free(ns->run);
	free(ns);
}

static void ns_stop(struct source *s)
{
	if (s)
		ns_free(s->priv);
}

static const struct source_ops neuron_ops = {
	.kind = "neuron-monitor", .start = ns_start, .fds = ns_fds, .ready = ns_ready,
	.tick = ns_tick, .stop = ns_stop,
};

/* A user's command gets the generated config only when it is neuron-monitor
 * itself, alone, without a config of its own: a pipeline or a wrapper
 * ("ssh host neuron-monitor") is run as given. */
static bool wants_config(const char *cmd, const char *prog)
{
	if (strcmp(base_name(prog), "neuron-monitor") != 0)
		return false;
	if (strpbrk(cmd, ";|&<>()$`\n"))
		return false;
	if (strstr(cmd, " -c") || strstr(cmd, "--config"))
		return false;
	return true;
}

static int write_config(struct neuron_src *ns, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp || tmp[0] != '/')
		tmp = "/tmp";
	snprintf(ns->conf, sizeof ns->conf, "%s/perwatt-neuron-XXXXXX", tmp);
	int fd = mkstemp(ns->conf);
	if (fd < 0) {
		snprintf(err, errlen, "cannot make neuron-monitor's config file in %s: %s", tmp, strerror(errno));
		ns->conf[0] = '\0';
		return -1;
	}
	char text[512];
	int k = snprintf(text, sizeof text,
	                 "{\n"
	                 "  \"period\": \"%.0fs\",\n"
	                 "  \"neuron_runtimes\": [\n"
	                 "    { \"tag_filter\": \".*\",\n"
	                 "      \"metrics\": [ { \"type\": \"neuroncore_counters\" }, { \"type\": \"execution_stats\" } ] }\n"
	                 "  ],\n"
	                 "  \"system_metrics\": [ { \"type\": \"memory_info\" } ]\n"
	                 "}\n", NEURON_PERIOD);
	bool ok = k > 0 && (size_t)k < sizeof text && write(fd, text, (size_t)k) == (ssize_t)k;
	if (close(fd) < 0)
		ok = false;
	if (!ok) {
		snprintf(err, errlen, "cannot write neuron-monitor's config file %s", ns->conf);
		unlink(ns->conf);
		ns->conf[0] = '\0';
		return -1;
	}
	return 0;
}

/* cmd + " -c '<conf>'", the path quoted for sh */
static char *with_config(const char *cmd, const char *conf)
{
	size_t n = strlen(cmd) + 8 + 4 * strlen(conf) + 1;
	char *s = malloc(n);
	if (!s)
		return NULL;
	size_t o = (size_t)snprintf(s, n, "%s -c '", cmd);
	for (const char *p = conf; *p; p++) {
		if (*p == '\'') {
			memcpy(s + o, "'\\''", 4);
			o += 4;
		} else {
			s[o++] = *p;
		}
	}
	s[o++] = '\'';
	s[o] = '\0';
	return s;
}

struct source *neuron_source_new(struct model *m, struct localbox *b, const char *cmd,
                                 const char *root, double device_max_w, char *err, size_t errlen)
{
	copy(err, errlen, "");
	if (!m || !b || !localbox_fleet(b)) {
		copy(err, errlen, "neuron: no model or box");
		return NULL;
	}
	if (cmd && !*cmd)
		cmd = NULL;
	struct neuron_src *ns = calloc(1, sizeof *ns);
	if (!ns) {
		copy(err, errlen, "out of memory");
		return NULL;
	}
	ns->box = b;
	ns->max_w = isfinite(device_max_w) && device_max_w > 0 ? device_max_w : NAN;
	ns->last_report = -INFINITY;
	ns->ndirs = -1;
	copy(ns->root, sizeof ns->root, root);
	const char *given = cmd ? cmd : NEURON_DEFAULT_CMD;
	char word[PATH_MAX];
	first_word(given, word, sizeof word);
	/* messages say neuron-monitor even when it runs through a wrapper */
	copy(ns->prog, sizeof ns->prog, NEURON_DEFAULT_CMD);
	copy(ns->word, sizeof ns->word, word[0] ? word : given);

	ns->period = NEURON_PERIOD_DEFAULT;
	if (wants_config(given, word)) {
		if (write_config(ns, err, errlen) < 0) {
			ns_free(ns);
			return NULL;
		}
		ns->run = with_config(given, ns->conf);
		ns->period = NEURON_PERIOD;
	} else {
		ns->run = strdup(given);
	}
	if (!ns->run) {
		copy(err, errlen, "out of memory");
		ns_free(ns);
		return NULL;
	}
	ns->quiet = 3 * ns->period + 5;

	struct child_opts o = {
		.cmd = ns->run, .stderr_too = true, .restart = true, .quiet_timeout = ns->quiet,
		.on_line = on_line, .on_exit = on_exit_cb, .user = ns,
	};
	if (!(ns->child = child_new(&o)) ||
	    !(ns->health = fleet_add_source(localbox_fleet(b), "neuron-monitor", given))) {
		copy(err, errlen, "out of memory");
		ns_free(ns);
		return NULL;
	}
	health_set_error(ns->health, HEALTH_STALE, "starting %s", ns->prog);
	ns->src.ops = &neuron_ops;
	ns->src.model = m;
	ns->src.priv = ns;
	return &ns->src;
}

void neuron_source_set_quiet_timeout(struct source *s, double seconds)
{
	if (!s || s->ops != &neuron_ops || !(seconds > 0))
		return;
	struct neuron_src *ns = s->priv;
	struct child_opts o = {
		.cmd = ns->run, .stderr_too = true, .restart = true, .quiet_timeout = seconds,
		.on_line = on_line, .on_exit = on_exit_cb, .user = ns,
	};
	struct child *c = child_new(&o);
	if (!c || child_running(ns->child)) {
		child_free(c);
		return;
	}
	child_free(ns->child);
	ns->child = c;
	ns->quiet = seconds;
}

const char *neuron_instance_type(const struct source *s)
{
	if (!s || s->ops != &neuron_ops)
		return NULL;
	const struct neuron_src *ns = s->priv;
	return ns->instance_type[0] ? ns->instance_type : NULL;
}

/* ---- the probe -------------------------------------------------------------- */

int neuron_probe(const char *cmd, const char *root, struct lb_probe *p)
{
	if (!root)
		root = "";
	const char *given = cmd && *cmd ? cmd : NEURON_DEFAULT_CMD;
	char word[PATH_MAX], full[PATH_MAX];
	first_word(given, word, sizeof word);
	bool found = find_program(word, full, sizeof full);

	int idx[NEURON_MAX_DEVICES];
	int nd = list_devices(root, idx, NEURON_MAX_DEVICES);
	int npower = 0;
	for (int i = 0; i < nd; i++) {
		char path[PATH_MAX];
		if (find_power_file(root, idx[i], path, sizeof path))
			npower++;
	}
	char devs[96];
	if (nd <= 0)
		snprintf(devs, sizeof devs, "no Neuron devices under %s%s", root, NEURON_SYSFS_DIR);
	else
		snprintf(devs, sizeof devs, "%d Neuron device%s, %d with a power file", nd, nd == 1 ? "" : "s",
		         npower);

	p->found = found;
	p->no_watts = npower == 0;      /* local.c adds: or no neuron_max_w */
	if (found) {
		say(p->what, sizeof p->what, "neuron-monitor: %.90s; %.95s", full, devs);
	} else if (!cmd && find_program("/opt/aws/neuron/bin/neuron-monitor", full, sizeof full)) {
		say(p->what, sizeof p->what, "neuron-monitor is in /opt/aws/neuron/bin, not on the PATH: "
		    "add it to PATH or set its path; %s", devs);
	} else {
		say(p->what, sizeof p->what, "%.60s not found%s; %s", word[0] ? word : given,
		    strchr(word, '/') ? "" : " on the PATH", devs);
	}
	return found ? 1 : 0;
}
