/* ui.c - the interactive dashboard: wires the model and the sources into
 * the terminal's event loop, dispatches keys, composes frames; see ui.h. */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fetch/source.h"
#include "themes/theme.h"
#include "tui/loop.h"
#include "tui/term.h"
#include "views/frame.h"
#include "views/help.h"
#include "views/keys.h"
#include "views/ui.h"
#include "views/view.h"

#define UI_MSG_SECONDS 3.0      /* a message in the footer ("refresh 2s") */
#define UI_HINT_SECONDS 15.0    /* the start-up hint, unless a key comes first */
#define UI_MAX_VIEWS 16
#define UI_DEFAULT_WINDOW 10.0

/* The refresh intervals + and - step through. */
static const double ui_intervals[] = { 0.25, 0.5, 1, 2, 5, 10, 30, 60 };
#define UI_NINTERVALS ((int)(sizeof ui_intervals / sizeof ui_intervals[0]))

struct ui {
	struct model *m;
	struct source_set *src;
	struct term term;
	struct loop loop;
	struct frame frame;
	void *state[UI_MAX_VIEWS];
	int nviews;
	int view, base;             /* the view shown; the last one that is not an overlay */
	double interval, window;
	bool paused;
	double last_tick;           /* time of the newest model_tick() */
	double shown_at;            /* the time the figures on screen are taken at */
	double next_tick;
	char msg[96];
	double msg_until;
	const char *hint;
	double hint_until;
	bool demo_key;
	struct savings_config *cfg;
	struct savings sv;
	char region[24];            /* the region the table prices were taken for */
	unsigned types_learned;     /* m->types_learned when they were taken */
};

/* ---- loop hooks: sources and model ----------------------------------------- */

static double ui_clock(void)
{
	return clock_now();
}

static int ui_fds(void *ctx, struct pollfd *fds, int max)
{
	struct ui *u = ctx;
	return source_set_fds(u->src, fds, max);
}

static void ui_ready(void *ctx, const struct pollfd *fds, int nfds, double now)
{
	struct ui *u = ctx;
	source_set_ready(u->src, fds, nfds, now);
}

static double ui_tick(void *ctx, double now)
{
	struct ui *u = ctx;
	double next = source_set_tick(u->src, now);
	if (now >= u->next_tick) {
		/* totals once a second, after the sources had their say */
		model_tick(u->m, now);
		u->last_tick = now;
		if (!u->paused)
			u->shown_at = now;
		u->next_tick += 1;
		if (u->next_tick <= now)
			u->next_tick = now + 1;
	}
	if (u->next_tick < next)
		next = u->next_tick;

	/* messages that time out change the footer: one more frame */
	if (u->msg[0] && now >= u->msg_until) {
		u->msg[0] = '\0';
		loop_redraw(&u->loop, false);
	}
	if (u->hint && now >= u->hint_until) {
		u->hint = NULL;
		loop_redraw(&u->loop, false);
	}
	if (u->msg[0] && u->msg_until < next)
		next = u->msg_until;
	if (u->hint && u->hint_until < next)
		next = u->hint_until;
	return next;
}

/* ---- keys ------------------------------------------------------------------- */

static void say(struct ui *u, double now, const char *text)
{
	snprintf(u->msg, sizeof u->msg, "%s", text);
	u->msg_until = now + UI_MSG_SECONDS;
}

static void show_view(struct ui *u, int v)
{
	if (v < 0 || v >= u->nviews)
		return;
	u->view = v;
	if (!view_table[v]->overlay)
		u->base = v;
}

static int view_index(const struct view_ops *ops)
{
	for (int i = 0; i < view_count; i++)
		if (view_table[i] == ops)
			return i;
	return -1;
}

static void step_interval(struct ui *u, int dir, double now)
{
	double next = u->interval;
	if (dir > 0) {
		for (int i = 0; i < UI_NINTERVALS; i++)
			if (ui_intervals[i] > u->interval + 1e-9) {
				next = ui_intervals[i];
				break;
			}
	} else {
		for (int i = UI_NINTERVALS - 1; i >= 0; i--)
			if (ui_intervals[i] < u->interval - 1e-9) {
				next = ui_intervals[i];
				break;
			}
	}
	char text[48];
	if (next == u->interval)
		snprintf(text, sizeof text, "refresh %gs: the %s", next, dir > 0 ? "longest" : "shortest");
	else
		snprintf(text, sizeof text, "refresh every %gs", next);
	u->interval = next;
	loop_set_interval(&u->loop, next, now);
	say(u, now, text);
}

static void ui_key(void *ctx, int key, double now)
{
	struct ui *u = ctx;
	const struct view_ops *cur = view_table[u->view];
	u->hint = NULL;
	loop_redraw(&u->loop, false);
	if (cur->key && cur->key(u->state[u->view], key))
		return;

	int arg = 0;
	enum keys_action act = keys_lookup(key, &arg);
	if (cur->overlay && (act == KEYS_QUIT || act == KEYS_HELP || act == KEYS_CLOSE ||
	                     key == '\n' || key == '\r' || key == KEY_ENTER)) {
		show_view(u, u->base);
		return;
	}
	switch (act) {
	case KEYS_QUIT:
		loop_quit(&u->loop, 0);
		break;
	case KEYS_HELP:
		show_view(u, view_index(&help_view));
		break;
	case KEYS_NEXT_VIEW:
		show_view(u, (u->view + 1) % u->nviews);
		break;
	case KEYS_VIEW:
		show_view(u, arg);
		break;
	case KEYS_PAUSE:
		u->paused = !u->paused;
		if (!u->paused)
			u->shown_at = u->last_tick;
		loop_set_frames(&u->loop, !u->paused, now);
		say(u, now, u->paused ? "paused: sources keep polling" : "resumed");
		break;
	case KEYS_SLOWER:
		step_interval(u, +1, now);
		break;
	case KEYS_FASTER:
		step_interval(u, -1, now);
		break;
	case KEYS_THEME: {
		char text[64];
		term_set_theme(&u->term, (u->term.theme + 1) % theme_count);
		snprintf(text, sizeof text, "theme %s%s", theme_get(u->term.theme)->name,
		         u->term.depth ? "" : " (no colours here)");
		say(u, now, text);
		loop_redraw(&u->loop, true);
		break;
	}
	case KEYS_REDRAW:
		loop_redraw(&u->loop, true);
		break;
	case KEYS_CLOSE:
	case KEYS_NONE:
		if (u->demo_key && (key == 'd' || key == 'D'))
			loop_quit(&u->loop, UI_DEMO_REQUESTED);
		break;
	}
}

/* ---- frames ----------------------------------------------------------------- */

static void ui_resize(void *ctx)
{
	/* nothing to do ahead: every frame lays itself out from LINES x COLS */
	(void)ctx;
}

static void ui_draw(void *ctx, double now, bool full)
{
	struct ui *u = ctx;
	(void)now;
	term_frame_begin(&u->term, full);
	if (u->cfg) {
		/* the savings view may have changed the region, or a source
		 * learned an instance type: prices and power models follow */
		if ((strcmp(u->region, u->cfg->region) != 0 || u->types_learned != u->m->types_learned) &&
		    u->cfg->tables) {
			model_apply_tables(u->m, u->cfg->tables, u->cfg->region);
			snprintf(u->region, sizeof u->region, "%s", u->cfg->region);
			u->types_learned = u->m->types_learned;
		}
		savings_compute(&u->sv, u->m, u->cfg, u->shown_at, u->window);
	}

	struct view_ctx c = {
		.m = u->m,
		.t = &u->term,
		.now = u->shown_at,
		.window = u->window,
		.full = full,
		.cols = COLS,
		.rows = LINES,
		.body = frame_body(LINES, COLS),
		.sv = u->cfg ? &u->sv : NULL,
		.cfg = u->cfg,
	};
	view_table[u->base]->draw(u->state[u->base], &c);
	if (u->view != u->base)
		view_table[u->view]->draw(u->state[u->view], &c);

	char status[128] = "";
	const struct view_ops *base = view_table[u->base];
	if (base->status)
		base->status(u->state[u->base], status, sizeof status);
	struct frame_info fi = {
		.title = u->m->title,
		.demo = u->m->demo,
		.paused = u->paused,
		.interval = u->interval,
		.hint = u->hint,
		.right = u->msg[0] ? u->msg : status[0] ? status : NULL,
	};
	frame_draw(&u->frame, &u->term, &fi, LINES, COLS, full);
	term_frame_end(&u->term);
}

/* ---- entry ------------------------------------------------------------------ */

int ui_run(struct model *m, struct source_set *sources, const struct ui_options *opt)
{
	struct ui u;
	memset(&u, 0, sizeof u);
	u.m = m;
	u.src = sources;
	u.interval = opt->interval >= 0.25 && opt->interval <= 60 ? opt->interval : 1;
	u.window = opt->window > 0 ? opt->window : UI_DEFAULT_WINDOW;
	u.nviews = view_count < UI_MAX_VIEWS ? view_count : UI_MAX_VIEWS;
	if (opt->savings) {
		if (savings_alloc(&u.sv, m->nfleets) < 0) {
			fprintf(stderr, "perwatt: out of memory\n");
			return 1;
		}
		u.cfg = opt->savings;
		snprintf(u.region, sizeof u.region, "%s", u.cfg->region);
	}

	/* Figures are formatted with printf: keep the decimal point a point
	 * whatever LC_NUMERIC the user has (a comma would read as thousands). */
	setlocale(LC_NUMERIC, "C");

	struct loop_hooks hooks = {
		.ctx = &u,
		.clock = ui_clock,
		.fds = ui_fds,
		.ready = ui_ready,
		.tick = ui_tick,
		.key = ui_key,
		.resize = ui_resize,
		.draw = ui_draw,
		.child = NULL,
	};
	if (loop_init(&u.loop, &u.term, &hooks, u.interval) < 0) {
		perror("perwatt: signals");
		savings_free(&u.sv);
		return 1;
	}
	int theme = theme_find(opt->theme ? opt->theme : "dark");
	struct term_options to = { .ascii = opt->ascii, .no_color = opt->no_color, .theme = theme < 0 ? 0 : theme };
	char err[256];
	if (term_open(&u.term, &to, err, sizeof err) < 0) {
		loop_fini(&u.loop);
		savings_free(&u.sv);
		fprintf(stderr, "perwatt: %s\n", err);
		return 1;
	}

	int rc = 0;
	for (int i = 0; i < u.nviews; i++)
		if (!(u.state[i] = view_table[i]->open())) {
			rc = -1;
			break;
		}
	double now = clock_now();
	u.next_tick = u.last_tick = u.shown_at = now;
	u.demo_key = opt->demo_key;
	if (opt->hint && *opt->hint) {
		u.hint = opt->hint;
		u.hint_until = now + UI_HINT_SECONDS;
	}
	if (rc == 0)
		rc = loop_run(&u.loop);

	for (int i = 0; i < u.nviews; i++)
		if (u.state[i])
			view_table[i]->close(u.state[i]);
	frame_free(&u.frame);
	term_close(&u.term);
	savings_free(&u.sv);
	loop_fini(&u.loop);
	if (rc < 0) {
		fprintf(stderr, "perwatt: out of memory\n");
		rc = 1;
	}
	return rc;
}
