/*
 * nvsmi.c - NVIDIA GPUs through nvidia-smi (nvsmi.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/format.h"
#include "fetch/nvsmi.h"

#define NOTE_KEEP 10.0          /* s a note stays on the health line */

/* ---- the line parser ------------------------------------------------------ */

/* [begin, end) without the spaces around it */
static void trim(const char **b, const char **e)
{
	while (*b < *e && isspace((unsigned char)**b))
		(*b)++;
	while (*e > *b && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

/* [b, e) into dst (n bytes), control characters replaced. */
static void copy_field(char *dst, size_t n, const char *b, const char *e)
{
	char raw[512];
	size_t len = (size_t)(e - b);
	if (len >= sizeof raw)
		len = sizeof raw - 1;
	memcpy(raw, b, len);
	raw[len] = '\0';
	fmt_sanitize(dst, n, raw, true);
}

/* A figure: NAN when missing ("", "[N/A]", "N/A", any bracketed marker);
 * false when it is there but not a number. */
static bool number(const char *b, const char *e, double *v)
{
	*v = NAN;
	trim(&b, &e);
	if (b == e || *b == '[' || (e - b == 3 && strncmp(b, "N/A", 3) == 0))
		return true;
	char tmp[64];
	size_t len = (size_t)(e - b);
	if (len >= sizeof tmp)
		return false;
	memcpy(tmp, b, len);
	tmp[len] = '\0';
	char *end;
	errno = 0;
	double x = strtod(tmp, &end);
	if (end == tmp || errno == ERANGE || !isfinite(x))
		return false;
	/* a unit left on (a query without nounits): "301.2 W", "100 %" */
	if (*end == ' ') {
		static const char *const units[] = { "W", "%", "MiB", "MHz", "C" };
		bool known = false;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
			if (strcmp(end + 1, units[i]) == 0)
				known = true;
		if (!known)
			return false;
	} else if (*end) {
		return false;
	}
	*v = x;
	return true;
}

static void note(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(char *err, size_t n, const char *fmt, ...)
{
	if (!n || err[0])
		return;         /* the first note wins */
	char raw[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	fmt_sanitize(err, n, raw, true);
}

/* A figure field into *v, noting what is wrong with it. */
static void figure(const char *b, const char *e, double lo, double hi, const char *field, const char *unit,
                   int index, double *v, char *err, size_t n)
{
	if (!number(b, e, v)) {
		char raw[40];
		trim(&b, &e);
		copy_field(raw, sizeof raw, b, e);
		note(err, n, "gpu%d: %s '%s' is not a number: ignored", index, field, raw);
		*v = NAN;
	} else if (!isnan(*v) && (*v < lo || *v > hi)) {
		note(err, n, "gpu%d: %s %g %s is out of range: ignored", index, field, *v, unit);
		*v = NAN;
	}
}

int nvsmi_parse_line(const char *line, struct nvsmi_sample *out, char *err, size_t n)
{
	if (n)
		err[0] = '\0';
	if (!line || !out)
		return -1;
	memset(out, 0, sizeof *out);
	const char *lb = line, *le = line + strlen(line);
	trim(&lb, &le);
	if (lb == le)
		return -1;

	/* the fields' bounds: index, name..., then six fixed fields */
	const char *fb[64], *fe[64];
	size_t nf = 0;
	for (const char *p = lb;;) {
		const char *c = memchr(p, ',', (size_t)(le - p));
		const char *end = c ? c : le;
		if (nf == 64)
			goto not_sample;
		fb[nf] = p;
		fe[nf] = end;
		nf++;
		if (!c)
			break;
		p = c + 1;
	}
	if (nf < NVSMI_FIELDS)
		goto not_sample;

	/* the index: the only field that tells a sample from any other text */
	{
		const char *b = fb[0], *e = fe[0];
		trim(&b, &e);
		if (b == e || e - b > 4)
			goto not_sample;
		int idx = 0;
		for (const char *p = b; p < e; p++) {
			if (!isdigit((unsigned char)*p))
				goto not_sample;
			idx = idx * 10 + (*p - '0');
		}
		out->index = idx;
	}
	/* a name with commas in it spans several fields */
	size_t last = nf - 6;           /* the uuid */
	{
		const char *b = fb[1], *e = fe[last - 1];
		trim(&b, &e);
		copy_field(out->name, sizeof out->name, b, e);
		b = fb[last];
		e = fe[last];
		trim(&b, &e);
		copy_field(out->uuid, sizeof out->uuid, b, e);
	}
	int i = out->index;
	figure(fb[last + 1], fe[last + 1], 0, NVSMI_MAX_W, "power.draw", "W", i, &out->power_w, err, n);
	figure(fb[last + 2], fe[last + 2], 0, NVSMI_MAX_W, "power.limit", "W", i, &out->power_limit_w, err, n);
	figure(fb[last + 3], fe[last + 3], 0, 100, "utilization.gpu", "%", i, &out->util_pct, err, n);
	figure(fb[last + 4], fe[last + 4], 0, 1e9, "memory.used", "MiB", i, &out->mem_used_mib, err, n);
	figure(fb[last + 5], fe[last + 5], 0, 1e9, "memory.total", "MiB", i, &out->mem_total_mib, err, n);
	return 0;

not_sample:
	if (n)
		copy_field(err, n, lb, le);
	return -1;
}

/* ---- the probe ------------------------------------------------------------ */

static bool executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int nvsmi_probe(const char *cmd, struct lb_probe *p)
{
	if (!p)
		return 0;
	p->found = false;
	p->what[0] = '\0';
	if (!cmd)
		cmd = "nvidia-smi";
	while (isspace((unsigned char)*cmd))
		cmd++;
	char word[512];
	size_t len = strcspn(cmd, " \t\n");
	if (len == 0 || len >= sizeof word) {
		snprintf(p->what, sizeof p->what, "no command to run for nvidia-smi");
		return 0;
	}
	memcpy(word, cmd, len);
	word[len] = '\0';
	char clean[160];
	fmt_sanitize(clean, sizeof clean, word, true);

	if (strchr(word, '/')) {
		if (executable(word)) {
			const char *base = strrchr(clean, '/') + 1;
			snprintf(p->what, sizeof p->what, "%.40s at %.150s", *base ? base : clean, clean);
			p->found = true;
		} else {
			snprintf(p->what, sizeof p->what, "%.150s: not found or not executable", clean);
		}
		return p->found;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/bin:/bin";
	char full[1024];
	for (const char *d = path;;) {
		size_t dl = strcspn(d, ":");
		/* an empty entry is the current directory, as for the shell */
		int k = dl ? snprintf(full, sizeof full, "%.*s/%s", (int)dl, d, word)
		           : snprintf(full, sizeof full, "./%s", word);
		if (k > 0 && (size_t)k < sizeof full && executable(full)) {
			char cf[160];
			fmt_sanitize(cf, sizeof cf, full, true);
			snprintf(p->what, sizeof p->what, "%.40s at %.150s", clean, cf);
			p->found = true;
			return 1;
		}
		if (!d[dl])
			break;
		d += dl + 1;
	}
	snprintf(p->what, sizeof p->what, "%.150s not found on PATH", clean);
	return 0;
}

/* ---- the source ----------------------------------------------------------- */

struct gpu {
	int index;
	char name[96];
	double t;                   /* last line's arrival */
	double power, util;         /* NAN when the last line had none */
};

struct nvsmi {
	struct source src;
	struct localbox *box;
	struct source_health *h;
	struct child *child;
	char *cmd;                  /* the user's, for messages */

	struct gpu gpu[NVSMI_MAX_GPUS];     /* sorted by index */
	size_t ngpu;
	char model[128];
	bool seen;                  /* any sample ever */

	bool down;                  /* ended since the last sample */
	char down_what[160];        /* "nvidia-smi exited with status 9" */
	char down_said[200];        /* what it printed last in that run, or "" */
	double down_delay;          /* s until the restart, NAN until known */
	char msg[200];              /* the last line that was not a sample */
	double msg_t;
	unsigned msg_run;           /* child_starts() when it came */
	char note[200];             /* the last note from the parser */
	double note_t;
	double last_sample;
	double next_refresh;
};

static bool fresh(const struct gpu *g, double now)
{
	return now - g->t <= LOCALBOX_FRESH;
}

/* The models of the GPUs in the table: one name, or the distinct ones
 * joined with " + ". */
static void update_model(struct nvsmi *ns)
{
	ns->model[0] = '\0';
	size_t o = 0;
	for (size_t i = 0; i < ns->ngpu; i++) {
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(ns->gpu[j].name, ns->gpu[i].name) == 0)
				dup = true;
		if (dup)
			continue;
		int k = snprintf(ns->model + o, sizeof ns->model - o, "%s%s", o ? " + " : "", ns->gpu[i].name);
		if (k < 0 || (size_t)k >= sizeof ns->model - o)
			break;
		o += (size_t)k;
	}
}

/* The target ("2x NVIDIA H200: 301 W + 298 W") and the status from what is
 * known at `now`. */
static void refresh(struct nvsmi *ns, double now)
{
	struct source_health *h = ns->h;
	if (!h)
		return;
	char t[sizeof h->target];
	size_t nfresh = 0, npower = 0;
	for (size_t i = 0; i < ns->ngpu; i++)
		if (fresh(&ns->gpu[i], now)) {
			nfresh++;
			if (!isnan(ns->gpu[i].power))
				npower++;
		}
	bool mixed = strstr(ns->model, " + ") != NULL;
	if (!ns->seen) {
		snprintf(t, sizeof t, "%s", ns->cmd);
	} else if (!nfresh) {
		snprintf(t, sizeof t, "%zux %s (nvidia-smi)", ns->ngpu, ns->model);
	} else {
		int o = mixed ? snprintf(t, sizeof t, "%zu GPUs: ", nfresh)
		              : snprintf(t, sizeof t, "%zux %s: ", nfresh, ns->model);
		size_t used = o > 0 ? (size_t)o : 0;
		bool first = true;
		for (size_t i = 0; i < ns->ngpu && used + 1 < sizeof t; i++) {
			const struct gpu *g = &ns->gpu[i];
			if (!fresh(g, now))
				continue;
			char w[32];
			if (isnan(g->power))
				snprintf(w, sizeof w, "n/a");
			else
				fmt_si(w, sizeof w, g->power, 0, "W", true);
			int k = snprintf(t + used, sizeof t - used, "%s%s%s%s", first ? "" : " + ",
			                 mixed ? g->name : "", mixed ? " " : "", w);
			if (k < 0)
				break;
			used += (size_t)k;
			first = false;
		}
	}
	fmt_sanitize(h->target, sizeof h->target, t, true);

	if (ns->down) {
		char delay[48] = "";
		if (!isnan(ns->down_delay))
			snprintf(delay, sizeof delay, "; restarting in %.0f s", ns->down_delay);
		health_set_error(h, HEALTH_FAILING, "%s%s%s%s", ns->down_what, delay,
		                 ns->down_said[0] ? ": " : "", ns->down_said);
	} else if (nfresh) {
		h->status = HEALTH_OK;
		h->latency_ms = -1;
		if (!npower)
			health_set_error(h, HEALTH_OK, "power.draw is [N/A] on this GPU/driver "
			                 "(no power figure from nvidia-smi; utilization still shown)");
		else if (ns->note[0] && now - ns->note_t <= NOTE_KEEP)
			health_set_error(h, HEALTH_OK, "%s", ns->note);
		else if (ns->msg[0] && now - ns->msg_t <= NOTE_KEEP)
			health_set_error(h, HEALTH_OK, "nvidia-smi said: %s", ns->msg);
		else
			h->error[0] = '\0';
	} else if (ns->msg[0]) {
		health_set_error(h, HEALTH_FAILING, "nvidia-smi: %s", ns->msg);
	} else if (ns->seen) {
		health_set_error(h, HEALTH_STALE, "no sample from nvidia-smi for %.0f s", now - ns->last_sample);
	}
}

static struct gpu *gpu_slot(struct nvsmi *ns, int index)
{
	size_t i = 0;
	while (i < ns->ngpu && ns->gpu[i].index < index)
		i++;
	if (i < ns->ngpu && ns->gpu[i].index == index)
		return &ns->gpu[i];
	if (ns->ngpu == NVSMI_MAX_GPUS)
		return NULL;
	memmove(&ns->gpu[i + 1], &ns->gpu[i], (ns->ngpu - i) * sizeof ns->gpu[0]);
	ns->ngpu++;
	memset(&ns->gpu[i], 0, sizeof ns->gpu[i]);
	ns->gpu[i].index = index;
	return &ns->gpu[i];
}

static void on_line(void *user, const char *line, size_t len, bool cut, double now)
{
	struct nvsmi *ns = user;
	(void)len;
	struct nvsmi_sample s;
	char err[200];
	if (cut) {
		snprintf(ns->msg, sizeof ns->msg, "a line longer than %d bytes: ignored", CHILD_LINE_MAX);
		ns->msg_t = now;
		ns->msg_run = child_starts(ns->child);
		return;
	}
	if (nvsmi_parse_line(line, &s, err, sizeof err) < 0) {
		if (!err[0])
			return;         /* a blank line */
		snprintf(ns->msg, sizeof ns->msg, "%s", err);
		ns->msg_t = now;
		ns->msg_run = child_starts(ns->child);
		if (!ns->down && !ns->ngpu)
			refresh(ns, now);
		return;
	}
	if (err[0]) {
		snprintf(ns->note, sizeof ns->note, "%s", err);
		ns->note_t = now;
	}
	struct gpu *g = gpu_slot(ns, s.index);
	if (!g) {
		snprintf(ns->note, sizeof ns->note, "more than %d GPUs: gpu%d left out", NVSMI_MAX_GPUS, s.index);
		ns->note_t = now;
		return;
	}
	bool renamed = strcmp(g->name, s.name) != 0;
	snprintf(g->name, sizeof g->name, "%s", s.name);
	g->t = now;
	g->power = s.power_w;
	g->util = s.util_pct;
	if (renamed)
		update_model(ns);

	char comp[24];
	snprintf(comp, sizeof comp, "gpu%d", s.index);
	if (!isnan(s.power_w))
		localbox_put(ns->box, comp, LB_GPU, MET_POWER, now, s.power_w, PROV_MEASURED);
	if (!isnan(s.util_pct))
		localbox_put(ns->box, comp, LB_GPU, MET_UTIL, now, s.util_pct, PROV_MEASURED);

	bool was_ok = ns->seen && !ns->down;
	ns->seen = true;
	ns->down = false;
	ns->last_sample = now;
	if (ns->h)
		ns->h->last_ok = now;
	if (!was_ok)
		refresh(ns, now);       /* at once, not at the next second */
}

static void on_exit_(void *user, const char *why, double now)
{
	struct nvsmi *ns = user;
	bool missing = strncmp(why, "not found", 9) == 0;
	if (missing)
		snprintf(ns->down_what, sizeof ns->down_what, "nvidia-smi not found or not executable");
	else    /* "printed nothing for 5 s: killed, to be started again": the
		 * restart is said after it */
		snprintf(ns->down_what, sizeof ns->down_what, "nvidia-smi %.*s", (int)strcspn(why, ","), why);
	/* what it said in this run, if anything: the driver's error; not the
	 * shell's "not found" */
	bool said = !missing && ns->msg[0] && ns->msg_run == child_starts(ns->child);
	snprintf(ns->down_said, sizeof ns->down_said, "%s", said ? ns->msg : "");
	ns->down = true;
	ns->down_delay = NAN;
	refresh(ns, now);
}

/* The delay before the restart, known once child.c has set it. */
static void finish_down(struct nvsmi *ns, double next, double now)
{
	if (!ns->down || !isnan(ns->down_delay) || child_running(ns->child) || !isfinite(next))
		return;
	ns->down_delay = fmax(0, next - now);
	refresh(ns, now);
}

static int ns_start(struct source *s, double now)
{
	struct nvsmi *ns = s->priv;
	ns->next_refresh = floor(now) + 1;
	if (child_start(ns->child, now) < 0) {
		finish_down(ns, child_tick(ns->child, now), now);
		return -1;
	}
	return 0;
}

static int ns_fds(struct source *s, struct pollfd *fds, int max)
{
	struct nvsmi *ns = s->priv;
	return child_fds(ns->child, fds, max);
}

static void ns_ready(struct source *s, const struct pollfd *fds, int nfds, double now)
{
	struct nvsmi *ns = s->priv;
	child_ready(ns->child, fds, nfds, now);
	if (ns->down && isnan(ns->down_delay))
		finish_down(ns, child_tick(ns->child, now), now);
}

static double ns_tick(struct source *s, double now)
{
	struct nvsmi *ns = s->priv;
	double next = child_tick(ns->child, now);
	finish_down(ns, next, now);
	if (now >= ns->next_refresh) {
		/* a GPU that stopped while others go on has gone (off the bus,
		 * unplugged); when none reports, the last list is kept */
		bool any = false;
		for (size_t i = 0; i < ns->ngpu; i++)
			if (fresh(&ns->gpu[i], now))
				any = true;
		if (any) {
			size_t o = 0;
			for (size_t i = 0; i < ns->ngpu; i++)
				if (fresh(&ns->gpu[i], now))
					ns->gpu[o++] = ns->gpu[i];
			if (o != ns->ngpu) {
				ns->ngpu = o;
				update_model(ns);
			}
		}
		refresh(ns, now);
		ns->next_refresh = floor(now) + 1;
	}
	return fmin(next, ns->next_refresh);
}

static void ns_stop(struct source *s)
{
	if (!s)
		return;
	struct nvsmi *ns = s->priv;
	child_free(ns->child);
	free(ns->cmd);
	free(ns);
}

static const struct source_ops nvsmi_ops = {
	.kind = "nvidia-smi", .start = ns_start, .fds = ns_fds, .ready = ns_ready, .tick = ns_tick,
	.stop = ns_stop,
};

struct source *nvsmi_source_new(struct model *m, struct localbox *b, const char *cmd, double interval,
                                char *err, size_t errlen)
{
	if (!m || !b || !localbox_fleet(b)) {
		fmt_msg(err, errlen, "nvidia-smi: no model or box to report into");
		return NULL;
	}
	if (!cmd || !*cmd)
		cmd = "nvidia-smi";
	if (interval == 0)
		interval = 1;
	if (!isfinite(interval) || interval < 0 || interval > 3600) {
		fmt_msg(err, errlen, "nvidia-smi: interval %g s is not in 0.1 .. 3600", interval);
		return NULL;
	}
	if (interval < 0.1)
		interval = 0.1;
	struct nvsmi *ns = calloc(1, sizeof *ns);
	if (!ns || !(ns->cmd = strdup(cmd))) {
		free(ns);
		fmt_msg(err, errlen, "out of memory");
		return NULL;
	}
	ns->src.priv = ns;      /* ns_stop() frees what is made from here on */
	ns->box = b;
	ns->last_sample = -INFINITY;
	ns->msg_t = ns->note_t = -INFINITY;
	ns->down_delay = NAN;

	size_t full_len = strlen(cmd) + sizeof NVSMI_QUERY + 96;
	char *full = malloc(full_len);
	if (!full) {
		ns_stop(&ns->src);
		fmt_msg(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(full, full_len, "%s --query-gpu=%s --format=csv,noheader,nounits -lms %ld", cmd, NVSMI_QUERY,
	         lround(interval * 1000));
	struct child_opts o = {
		.cmd = full,
		.stderr_too = true,         /* the driver's complaints, whichever stream */
		.restart = true,
		.quiet_timeout = fmax(5.0, 5 * interval),
		.on_line = on_line,
		.on_exit = on_exit_,
		.user = ns,
	};
	ns->child = child_new(&o);
	free(full);
	if (!ns->child) {
		ns_stop(&ns->src);
		fmt_msg(err, errlen, "out of memory");
		return NULL;
	}
	if (!(ns->h = fleet_add_source(localbox_fleet(b), "nvidia-smi", cmd))) {
		ns_stop(&ns->src);
		fmt_msg(err, errlen, "out of memory");
		return NULL;
	}
	ns->src.ops = &nvsmi_ops;
	ns->src.model = m;
	return &ns->src;
}

const char *nvsmi_gpu_model(const struct source *s)
{
	const struct nvsmi *ns = s && s->ops == &nvsmi_ops ? s->priv : NULL;
	return ns && ns->model[0] ? ns->model : NULL;
}

size_t nvsmi_gpu_count(const struct source *s)
{
	const struct nvsmi *ns = s && s->ops == &nvsmi_ops ? s->priv : NULL;
	return ns ? ns->ngpu : 0;
}

const struct child *nvsmi_child(const struct source *s)
{
	const struct nvsmi *ns = s && s->ops == &nvsmi_ops ? s->priv : NULL;
	return ns ? ns->child : NULL;
}
