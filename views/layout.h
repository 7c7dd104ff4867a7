/*
 * layout.h - where everything goes on the overview screen: pure arithmetic
 * from the terminal size and the number of fleets to rectangles and to the
 * rows each fleet panel has room for.  No curses, so it is unit-tested over
 * a matrix of sizes (tests/unit/test_layout.c).
 *
 *   row 0           header bar
 *   row 1           note line (demo data), when asked for and there is room
 *   rows ...        fleet panels, 1 to 4 columns side by side; in one column
 *                   (stacked) when the terminal is narrow; more fleets than
 *                   fit are left out and counted in `hidden`
 *   rows ...        comparison strip: a row per candidate fleet, a column
 *                   per compared figure (candidate / baseline)
 *   last row        footer bar
 *
 * When not even one panel fits, the mode is LAYOUT_COMPACT: one summary
 * line per fleet between header and footer.  Below that, LAYOUT_TINY: just
 * a "too small" message.
 *
 * Everything is plain values in struct layout, filled by layout_compute();
 * nothing to free.
 */
#ifndef PERWATT_LAYOUT_H
#define PERWATT_LAYOUT_H

#include <stdbool.h>

#define LAYOUT_MAX_COLUMNS 4
#define LAYOUT_MAX_PANELS 32

/* A panel is at least this big (border included), and columns are only
 * made when each can be LAYOUT_COL_WIDTH wide. */
#define LAYOUT_PANEL_MIN_W 24
#define LAYOUT_PANEL_MIN_H 4
#define LAYOUT_COL_WIDTH 34
/* The tallest a sparkline grows, in rows. */
#define LAYOUT_SPARK_MAX_H 12
/* The comparison strip: border, a heading row, one row per candidate. */
#define LAYOUT_COMPARE_MIN_H 4
/* Compact mode needs this many columns; below it the screen is TINY. */
#define LAYOUT_COMPACT_MIN_W 12

enum layout_mode { LAYOUT_TINY = 0, LAYOUT_COMPACT, LAYOUT_PANELS };

struct layout_rect {
	int y, x, h, w;         /* h == 0: not shown */
};

/* The rows a panel may show, top to bottom.  In a wide panel the
 * per-instance figures and the hourly cost share rows with others, so
 * LAYOUT_ROW_THR_PI, LAYOUT_ROW_PWR_PI and LAYOUT_ROW_COST_H are never shown there. */
enum layout_row {
	LAYOUT_ROW_TYPE = 0,      /* instance type x count (wide: + fleet USD/h) */
	LAYOUT_ROW_THR,           /* fleet throughput (wide: + per instance) */
	LAYOUT_ROW_THR_PI,        /* throughput per instance */
	LAYOUT_ROW_THR_SPARK,     /* spark_h rows */
	LAYOUT_ROW_PWR,           /* fleet power (wide: + per instance) */
	LAYOUT_ROW_PWR_PI,        /* power per instance */
	LAYOUT_ROW_PWR_SPARK,     /* spark_h rows */
	LAYOUT_ROW_ENERGY,        /* joules per unit */
	LAYOUT_ROW_COST_H,        /* USD per hour */
	LAYOUT_ROW_COST_M,        /* USD per million units (wide: + USD/h per instance) */
	LAYOUT_ROW_UTIL,          /* utilization bar */
	LAYOUT_ROW_HEALTH,        /* sources: ok / stale / failing, latency */
	LAYOUT_ROW_ERROR,         /* the last error, or that there is none */
	LAYOUT_ROW__COUNT
};

struct layout_panel_plan {
	bool wide;              /* per-instance figures beside the totals */
	int row[LAYOUT_ROW__COUNT];   /* y inside the panel window (border is row 0), -1: hidden */
	int spark_h;            /* height of each sparkline, rows */
	int rows_used;          /* inner rows taken, gaps included */
};

struct layout_in {
	int cols, rows;         /* terminal size */
	int nfleets;
	int unit_len;           /* columns of the longest "unit/s" text, e.g. 12 */
	bool note;              /* a note line is wanted (demo data) */
};

struct layout {
	enum layout_mode mode;
	int cols, rows;
	struct layout_rect header, note, footer;
	/* LAYOUT_PANELS */
	int columns;            /* 1..4 */
	int grid_rows;
	int shown;              /* panels drawn: fleets 0 .. shown-1 */
	int hidden;             /* fleets left out for lack of room */
	struct layout_rect panel[LAYOUT_MAX_PANELS];
	struct layout_panel_plan plan;      /* the same for every panel */
	struct layout_rect compare;         /* h == 0: no comparison strip */
	int compare_rows;       /* candidates listed in it (nfleets - 1 when all fit) */
	/* LAYOUT_COMPACT: one line per fleet, from body.y */
	struct layout_rect body;
	int compact_lines;      /* fleets listed (hidden counts the rest) */
};

/* Fills *out for the given input; always succeeds (a screen of any size
 * gets some layout, at worst LAYOUT_TINY). */
void layout_compute(struct layout *out, const struct layout_in *in);

/* The plan for one panel of w x h (border included): pure, used by
 * layout_compute() and by the tests. */
void layout_plan_panel(struct layout_panel_plan *p, int w, int h, int unit_len);

/* Height a panel of width w wants to show everything at full sparkline height. */
int layout_panel_full_height(int w, int unit_len);

#endif
