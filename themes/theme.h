/*
 * theme.h - colour schemes as data.
 *
 * A theme gives every screen role (a value, a label, a good or bad figure,
 * the DEMO badge...) one style per colour depth a terminal may offer: 256
 * colours, 16, 8, and none at all (attributes only).  Nothing here knows
 * about curses: tui/term.c turns a style into a curses attribute, so this
 * folder includes nothing but this header.
 *
 * Colours are palette indexes (0..255 for the 256-colour table, 0..15 for
 * the 16-colour one, 0..7 for the 8-colour one) or THEME_DEFAULT for the
 * terminal's own colour.  A role whose background is THEME_DEFAULT takes the
 * background of THEME_NORMAL, so a theme with a painted background (light,
 * high contrast) only says it once.
 *
 * Ownership: every table is static and constant; nothing to allocate or free.
 */
#ifndef PERWATT_THEME_H
#define PERWATT_THEME_H

#define THEME_DEFAULT (-1)

/* Attribute bits (mapped to A_BOLD, A_DIM... by the terminal code). */
#define THEME_A_BOLD      0x01u
#define THEME_A_DIM       0x02u
#define THEME_A_REVERSE   0x04u
#define THEME_A_UNDERLINE 0x08u

enum theme_role {
	THEME_NORMAL = 0,   /* plain text; its background paints every window */
	THEME_BAR,          /* header and footer bar */
	THEME_BAR_TITLE,    /* the program name on the bar */
	THEME_BAR_KEY,      /* key names in the footer hints */
	THEME_BADGE_DEMO,   /* the DEMO badge: simulated figures */
	THEME_BADGE_PAUSED, /* the PAUSED badge */
	THEME_BORDER,       /* panel frames */
	THEME_PANEL_TITLE,  /* a fleet's name on its frame */
	THEME_BASELINE,     /* the BASELINE tag */
	THEME_LABEL,        /* "Throughput", "Power"... */
	THEME_VALUE,        /* the figures themselves */
	THEME_UNIT,         /* units after a figure */
	THEME_GOOD,         /* better than the baseline, source ok */
	THEME_BAD,          /* worse than the baseline, source failing */
	THEME_WARN,         /* stale source, estimated value, notes */
	THEME_DIM,          /* unknown or old values, secondary text */
	THEME_SPARK_THR,    /* throughput sparkline */
	THEME_SPARK_PWR,    /* power sparkline */
	THEME_METER,        /* filled part of a horizontal bar */
	THEME_KEY,          /* key names on a plain background (help) */
	THEME_ROLE__COUNT
};

struct theme_style {
	short fg, bg;           /* palette index or THEME_DEFAULT */
	unsigned char attr;     /* THEME_A_BOLD | ... */
};

struct theme_role_style {
	struct theme_style c256, c16, c8;
	unsigned char mono;     /* attributes when there is no colour at all */
};

struct theme {
	const char *name;       /* what --theme and the status line say */
	const char *desc;       /* one line for --help and the help screen */
	struct theme_role_style role[THEME_ROLE__COUNT];
};

/* The themes, in the order `t` cycles through them; index 0 is the default. */
extern const struct theme theme_table[];
extern const int theme_count;

/* The theme names, NULL-terminated, in theme_table order (for cli.c's
 * validation and --help). */
extern const char *const theme_names[];

/* Index of the theme called `name` (a few aliases are accepted, e.g.
 * "monochrome" for "mono"; case matters not), or -1 when there is none. */
int theme_find(const char *name);

/* The theme at `idx`, or the default one when idx is out of range. */
const struct theme *theme_get(int idx);

#endif
