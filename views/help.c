/* help.c - the help overlay; see help.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/widgets.h"
#include "views/help.h"
#include "views/keys.h"

#define HELP_MAX_W 76
#define KEYS_W 10

struct help {
	struct view_win win;
};

/* What the marks on the screen mean. */
static const char *const legend[][2] = {
	{ "DEMO", "the figures are simulated by the demo source" },
	{ "~", "an estimate (power from utilization, a price from a table)" },
	{ "n/a", "not known (yet): no source reports it" },
	{ "graphs", "one column per 5 seconds, scaled to the range they show" },
	{ "ratios", "candidate / baseline; coloured and worded better or worse" },
};

static void *help_open(void)
{
	return calloc(1, sizeof(struct help));
}

static void help_close(void *st)
{
	struct help *h = st;
	if (!h)
		return;
	view_win_free(&h->win);
	free(h);
}

static int section(const struct term *t, WINDOW *w, int y, const char *title)
{
	widget_text(t, w, y, 2, -1, term_attr(t, THEME_PANEL_TITLE), title);
	return y + 1;
}

static int entry(const struct term *t, WINDOW *w, int y, int wd, const char *keys, const char *what)
{
	const struct widget_cell cells[] = {
		{ keys, term_attr(t, THEME_KEY), KEYS_W - 1, WIDGET_LEFT },
		{ what, term_attr(t, THEME_NORMAL), wd - 4 - KEYS_W, WIDGET_LEFT },
	};
	widget_row(t, w, y, 3, wd - 4, 1, cells, 2);
	return y + 1;
}

static void help_draw(void *st, const struct view_ctx *c)
{
	struct help *h = st;
	const struct term *t = c->t;
	int nlegend = (int)(sizeof legend / sizeof legend[0]);
	int want_h = 2 + 1 + keys_count + 1 + 2 + 1 + 1 + nlegend;
	int wd = c->body.w - 4 < HELP_MAX_W ? c->body.w - 4 : HELP_MAX_W;
	int ht = c->body.h < want_h ? c->body.h : want_h;
	if (wd < 12)
		wd = c->body.w;
	struct layout_rect r = { c->body.y + (c->body.h - ht) / 2, c->body.x + (c->body.w - wd) / 2, ht, wd };
	view_win_place(&h->win, &r);
	WINDOW *w = h->win.w;
	if (!w)
		return;

	widget_clear(w, term_attr(t, THEME_NORMAL));
	widget_box(t, w, term_attr(t, THEME_BORDER), "perwatt help", term_attr(t, THEME_PANEL_TITLE),
	           "q, Esc or ? closes", term_attr(t, THEME_DIM));
	int y = section(t, w, 1, "Keys");
	for (int i = 0; i < keys_count && y < ht - 1; i++)
		y = entry(t, w, y, wd, keys_table[i].names, keys_table[i].help);

	if (y + 2 < ht - 1) {
		char views[256] = "";
		size_t o = 0;
		for (int i = 0; i < view_count && o < sizeof views; i++)
			o += (size_t)snprintf(views + o, sizeof views - o, "%s%d %s", i ? "   " : "", i + 1,
			                      view_table[i]->name);
		y = section(t, w, y + 1, "Views");
		y = entry(t, w, y, wd, "", views);
	}
	if (y + 2 < ht - 1) {
		y = section(t, w, y + 1, "On screen");
		for (int i = 0; i < nlegend && y < ht - 1; i++)
			y = entry(t, w, y, wd, legend[i][0], legend[i][1]);
	}
	/* drawn over the view below: copy all of it every frame */
	touchwin(w);
	wnoutrefresh(w);
}

const struct view_ops help_view = {
	.name = "help",
	.overlay = true,
	.open = help_open,
	.close = help_close,
	.draw = help_draw,
	.key = NULL,
	.status = NULL,
};
