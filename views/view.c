/* view.c - the table of views and the window helper; see view.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "views/help.h"
#include "views/overview.h"
#include "views/savings.h"
#include "views/view.h"

/* The order here is the order of Tab and of the digit keys. */
const struct view_ops *const view_table[] = {
	&overview_view,
	&savings_view,
	&help_view,
};
const int view_count = (int)(sizeof view_table / sizeof view_table[0]);

bool view_win_place(struct view_win *vw, const struct layout_rect *r)
{
	if (r->h <= 0 || r->w <= 0) {
		view_win_free(vw);
		return false;
	}
	if (vw->w && vw->r.y == r->y && vw->r.x == r->x && vw->r.h == r->h && vw->r.w == r->w)
		return false;
	view_win_free(vw);
	vw->w = newwin(r->h, r->w, r->y, r->x);
	if (!vw->w)
		return false;
	vw->r = *r;
	/* a window's last cell is drawn like any other: no scrolling, ever */
	scrollok(vw->w, FALSE);
	leaveok(vw->w, TRUE);
	return true;
}

void view_win_free(struct view_win *vw)
{
	if (vw->w)
		delwin(vw->w);
	vw->w = NULL;
	vw->r = (struct layout_rect){ 0, 0, 0, 0 };
}

void view_unit_one(char *buf, size_t n, const char *plural)
{
	if (!plural || !*plural)
		plural = "units";
	size_t len = strlen(plural);
	if (len > 3 && strcmp(plural + len - 3, "ies") == 0)
		snprintf(buf, n, "%.*sy", (int)(len - 3), plural);
	else if (len > 1 && plural[len - 1] == 's' && plural[len - 2] != 's')
		snprintf(buf, n, "%.*s", (int)(len - 1), plural);
	else
		snprintf(buf, n, "%s", plural);
}
