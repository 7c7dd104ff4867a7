/* theme.c - the built-in colour schemes; see theme.h.
 *
 * Each role lists its 256-colour style, then the 16- and 8-colour fallbacks,
 * then the attributes used when there is no colour.  Palette numbers for 256
 * colours are xterm's (16..231 the 6x6x6 cube, 232..255 the grey ramp).  The
 * 8-colour fallbacks only use colours that stay readable on both a black and
 * a white terminal, since a default background can be either. */
#include "config.h"

#include "themes/theme.h"

#define D THEME_DEFAULT
#define B THEME_A_BOLD
#define DIM THEME_A_DIM
#define REV THEME_A_REVERSE
#define U THEME_A_UNDERLINE

#define S(f, b, a) { (f), (b), (a) }
#define R(c256, c16, c8, mono) { c256, c16, c8, (mono) }
/* the same attributes at every depth, default colours: the monochrome look */
#define M(a) R(S(D, D, a), S(D, D, a), S(D, D, a), a)

const struct theme theme_table[] = {
	{
		"dark", "light text on the terminal's own (dark) background",
		{
			[THEME_NORMAL]       = R(S(D, D, 0),      S(D, D, 0),     S(D, D, 0),     0),
			[THEME_BAR]          = R(S(252, 236, 0),  S(15, 4, 0),    S(7, 4, 0),     REV),
			[THEME_BAR_TITLE]    = R(S(117, 236, B),  S(14, 4, B),    S(6, 4, B),     REV | B),
			[THEME_BAR_KEY]      = R(S(222, 236, B),  S(11, 4, B),    S(3, 4, B),     REV | B),
			[THEME_BADGE_DEMO]   = R(S(16, 214, B),   S(0, 11, B),    S(0, 3, B),     B),
			[THEME_BADGE_PAUSED] = R(S(231, 161, B),  S(15, 5, B),    S(7, 5, B),     B | U),
			[THEME_BORDER]       = R(S(239, D, 0),    S(8, D, 0),     S(4, D, 0),     0),
			[THEME_PANEL_TITLE]  = R(S(117, D, B),    S(14, D, B),    S(6, D, B),     B),
			[THEME_BASELINE]     = R(S(180, D, B),    S(11, D, 0),    S(3, D, 0),     U),
			[THEME_LABEL]        = R(S(248, D, 0),    S(7, D, 0),     S(7, D, 0),     0),
			[THEME_VALUE]        = R(S(231, D, B),    S(15, D, B),    S(7, D, B),     B),
			[THEME_UNIT]         = R(S(244, D, 0),    S(7, D, 0),     S(7, D, 0),     0),
			[THEME_GOOD]         = R(S(114, D, 0),    S(10, D, 0),    S(2, D, B),     B),
			[THEME_BAD]          = R(S(203, D, 0),    S(9, D, 0),     S(1, D, B),     B | U),
			[THEME_WARN]         = R(S(221, D, 0),    S(11, D, 0),    S(3, D, 0),     U),
			[THEME_DIM]          = R(S(242, D, 0),    S(8, D, 0),     S(7, D, DIM),   DIM),
			[THEME_SPARK_THR]    = R(S(75, D, 0),     S(12, D, 0),    S(6, D, 0),     0),
			[THEME_SPARK_PWR]    = R(S(215, D, 0),    S(11, D, 0),    S(3, D, 0),     0),
			[THEME_METER]        = R(S(79, D, 0),     S(6, D, 0),     S(6, D, 0),     0),
			[THEME_KEY]          = R(S(222, D, B),    S(11, D, B),    S(3, D, B),     B),
		},
	},
	{
		"light", "dark text on a painted light background",
		{
			[THEME_NORMAL]       = R(S(235, 255, 0),  S(0, 15, 0),    S(0, 7, 0),     0),
			[THEME_BAR]          = R(S(255, 25, 0),   S(15, 4, 0),    S(7, 4, 0),     REV),
			[THEME_BAR_TITLE]    = R(S(228, 25, B),   S(11, 4, B),    S(3, 4, B),     REV | B),
			[THEME_BAR_KEY]      = R(S(195, 25, B),   S(14, 4, B),    S(6, 4, B),     REV | B),
			[THEME_BADGE_DEMO]   = R(S(231, 166, B),  S(15, 1, B),    S(7, 1, B),     B),
			[THEME_BADGE_PAUSED] = R(S(231, 91, B),   S(15, 5, B),    S(7, 5, B),     B | U),
			[THEME_BORDER]       = R(S(248, D, 0),    S(8, D, 0),     S(4, D, 0),     0),
			[THEME_PANEL_TITLE]  = R(S(25, D, B),     S(4, D, B),     S(4, D, B),     B),
			[THEME_BASELINE]     = R(S(130, D, B),    S(5, D, B),     S(5, D, 0),     U),
			[THEME_LABEL]        = R(S(240, D, 0),    S(8, D, 0),     S(0, D, 0),     0),
			[THEME_VALUE]        = R(S(232, D, B),    S(0, D, B),     S(0, D, B),     B),
			[THEME_UNIT]         = R(S(242, D, 0),    S(8, D, 0),     S(0, D, 0),     0),
			[THEME_GOOD]         = R(S(28, D, B),     S(2, D, 0),     S(2, D, 0),     B),
			[THEME_BAD]          = R(S(160, D, B),    S(1, D, 0),     S(1, D, 0),     B | U),
			[THEME_WARN]         = R(S(130, D, 0),    S(5, D, 0),     S(5, D, 0),     U),
			[THEME_DIM]          = R(S(246, D, 0),    S(8, D, 0),     S(0, D, DIM),   DIM),
			[THEME_SPARK_THR]    = R(S(31, D, 0),     S(4, D, 0),     S(4, D, 0),     0),
			[THEME_SPARK_PWR]    = R(S(166, D, 0),    S(5, D, 0),     S(5, D, 0),     0),
			[THEME_METER]        = R(S(30, D, 0),     S(6, D, 0),     S(6, D, 0),     0),
			[THEME_KEY]          = R(S(25, D, B),     S(4, D, B),     S(4, D, B),     B),
		},
	},
	{
		"mono", "no colour: bold, underline and reverse only",
		{
			[THEME_NORMAL]       = M(0),
			[THEME_BAR]          = M(REV),
			[THEME_BAR_TITLE]    = M(REV | B),
			[THEME_BAR_KEY]      = M(REV | B),
			[THEME_BADGE_DEMO]   = M(B),
			[THEME_BADGE_PAUSED] = M(B | U),
			[THEME_BORDER]       = M(0),
			[THEME_PANEL_TITLE]  = M(B),
			[THEME_BASELINE]     = M(U),
			[THEME_LABEL]        = M(0),
			[THEME_VALUE]        = M(B),
			[THEME_UNIT]         = M(0),
			[THEME_GOOD]         = M(B),
			[THEME_BAD]          = M(B | U),
			[THEME_WARN]         = M(U),
			[THEME_DIM]          = M(DIM),
			[THEME_SPARK_THR]    = M(0),
			[THEME_SPARK_PWR]    = M(0),
			[THEME_METER]        = M(0),
			[THEME_KEY]          = M(B),
		},
	},
	{
		"high-contrast", "bright text on black, nothing dimmed",
		{
			[THEME_NORMAL]       = R(S(231, 16, 0),   S(15, 0, 0),    S(7, 0, 0),     0),
			[THEME_BAR]          = R(S(16, 231, B),   S(0, 15, B),    S(0, 7, 0),     REV | B),
			[THEME_BAR_TITLE]    = R(S(16, 231, B),   S(0, 15, B),    S(0, 7, B),     REV | B),
			[THEME_BAR_KEY]      = R(S(19, 231, B),   S(4, 15, B),    S(4, 7, B),     REV | B | U),
			[THEME_BADGE_DEMO]   = R(S(16, 226, B),   S(0, 11, B),    S(0, 3, B),     B | U),
			[THEME_BADGE_PAUSED] = R(S(231, 196, B),  S(15, 9, B),    S(7, 1, B),     B | U),
			[THEME_BORDER]       = R(S(231, D, 0),    S(15, D, 0),    S(7, D, 0),     0),
			[THEME_PANEL_TITLE]  = R(S(226, D, B),    S(11, D, B),    S(3, D, B),     B | U),
			[THEME_BASELINE]     = R(S(51, D, B),     S(14, D, B),    S(6, D, B),     B | U),
			[THEME_LABEL]        = R(S(231, D, 0),    S(15, D, 0),    S(7, D, 0),     0),
			[THEME_VALUE]        = R(S(231, D, B),    S(15, D, B),    S(7, D, B),     B),
			[THEME_UNIT]         = R(S(253, D, 0),    S(15, D, 0),    S(7, D, 0),     0),
			[THEME_GOOD]         = R(S(46, D, B),     S(10, D, B),    S(2, D, B),     B),
			[THEME_BAD]          = R(S(196, D, B),    S(9, D, B),     S(1, D, B),     B | U),
			[THEME_WARN]         = R(S(226, D, B),    S(11, D, B),    S(3, D, B),     U),
			[THEME_DIM]          = R(S(250, D, 0),    S(7, D, 0),     S(7, D, 0),     0),
			[THEME_SPARK_THR]    = R(S(51, D, B),     S(14, D, 0),    S(6, D, B),     0),
			[THEME_SPARK_PWR]    = R(S(226, D, 0),    S(11, D, 0),    S(3, D, B),     0),
			[THEME_METER]        = R(S(51, D, 0),     S(14, D, 0),    S(6, D, B),     0),
			[THEME_KEY]          = R(S(226, D, B),    S(11, D, B),    S(3, D, B),     B),
		},
	},
	{
		/* Okabe-Ito palette: good is blue and bad is orange/yellow, never
		 * red against green; bad also carries an underline, a cue that
		 * needs no colour vision at all. */
		"colorblind", "blue/orange palette safe for red-green colour blindness",
		{
			[THEME_NORMAL]       = R(S(D, D, 0),      S(D, D, 0),     S(D, D, 0),     0),
			[THEME_BAR]          = R(S(231, 24, 0),   S(15, 4, 0),    S(7, 4, 0),     REV),
			[THEME_BAR_TITLE]    = R(S(117, 24, B),   S(14, 4, B),    S(6, 4, B),     REV | B),
			[THEME_BAR_KEY]      = R(S(227, 24, B),   S(11, 4, B),    S(3, 4, B),     REV | B),
			[THEME_BADGE_DEMO]   = R(S(16, 214, B),   S(0, 11, B),    S(0, 3, B),     B),
			[THEME_BADGE_PAUSED] = R(S(16, 175, B),   S(0, 13, B),    S(0, 5, B),     B | U),
			[THEME_BORDER]       = R(S(240, D, 0),    S(8, D, 0),     S(4, D, 0),     0),
			[THEME_PANEL_TITLE]  = R(S(74, D, B),     S(14, D, B),    S(6, D, B),     B),
			[THEME_BASELINE]     = R(S(227, D, B),    S(11, D, 0),    S(3, D, 0),     U),
			[THEME_LABEL]        = R(S(250, D, 0),    S(7, D, 0),     S(7, D, 0),     0),
			[THEME_VALUE]        = R(S(231, D, B),    S(15, D, B),    S(7, D, B),     B),
			[THEME_UNIT]         = R(S(245, D, 0),    S(7, D, 0),     S(7, D, 0),     0),
			[THEME_GOOD]         = R(S(39, D, B),     S(12, D, B),    S(6, D, B),     B),
			[THEME_BAD]          = R(S(208, D, B | U), S(11, D, B | U), S(3, D, B | U), B | U),
			[THEME_WARN]         = R(S(175, D, 0),    S(13, D, 0),    S(5, D, 0),     U),
			[THEME_DIM]          = R(S(243, D, 0),    S(8, D, 0),     S(7, D, DIM),   DIM),
			[THEME_SPARK_THR]    = R(S(74, D, 0),     S(14, D, 0),    S(6, D, 0),     0),
			[THEME_SPARK_PWR]    = R(S(214, D, 0),    S(11, D, 0),    S(3, D, 0),     0),
			[THEME_METER]        = R(S(36, D, 0),     S(6, D, 0),     S(6, D, 0),     0),
			[THEME_KEY]          = R(S(227, D, B),    S(11, D, B),    S(3, D, B),     B),
		},
	},
};

const int theme_count = (int)(sizeof theme_table / sizeof theme_table[0]);

const char *const theme_names[] = {
	"dark", "light", "mono", "high-contrast", "colorblind", 0
};

/* Other spellings people type; each maps onto a name above. */
static const struct {
	const char *alias, *name;
} aliases[] = {
	{ "default", "dark" },
	{ "monochrome", "mono" },
	{ "none", "mono" },
	{ "contrast", "high-contrast" },
	{ "hc", "high-contrast" },
	{ "highcontrast", "high-contrast" },
	{ "colourblind", "colorblind" },
	{ "color-blind", "colorblind" },
	{ "colour-blind", "colorblind" },
	{ "cb", "colorblind" },
	{ "cvd", "colorblind" },
};

/* ASCII case-insensitive equality; <string.h>/<strings.h> stay out of this
 * folder so that themes remain plain data with no dependencies. */
static int same(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a, y = *b;
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
		if (x == '\0')
			return 1;
	}
}

int theme_find(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < theme_count; i++)
		if (same(name, theme_table[i].name))
			return i;
	for (unsigned i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (same(name, aliases[i].alias))
			return theme_find(aliases[i].name);
	return -1;
}

const struct theme *theme_get(int idx)
{
	if (idx < 0 || idx >= theme_count)
		idx = 0;
	return &theme_table[idx];
}
