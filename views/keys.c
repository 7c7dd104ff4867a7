/* keys.c - the key bindings; see keys.h. */
#include "config.h"

#include <curses.h>

#include "views/keys.h"

#define CTRL(c) ((c) & 0x1f)
#define KEY_ESC 27

const struct keys_binding keys_table[] = {
	{ KEYS_QUIT,      { 'q', 'Q' },              "q",       "quit (in help: close help)" },
	{ KEYS_HELP,      { '?', 'h', KEY_F(1) },    "?",       "show or close this help" },
	{ KEYS_CLOSE,     { KEY_ESC },               "Esc",     "close help" },
	{ KEYS_NEXT_VIEW, { '\t' },                  "Tab",     "next view" },
	{ KEYS_VIEW,      { 0 },                     "1-9",     "go to view number N" },
	{ KEYS_PAUSE,     { 'p', 'P', ' ' },         "p",       "pause the display (sources keep polling)" },
	{ KEYS_SLOWER,    { '+', '=' },              "+",       "longer refresh interval (up to 60 s)" },
	{ KEYS_FASTER,    { '-', '_' },              "-",       "shorter refresh interval (down to 0.25 s)" },
	{ KEYS_THEME,     { 't', 'T' },              "t",       "next colour theme" },
	{ KEYS_REDRAW,    { CTRL('l') },             "Ctrl-L",  "redraw the whole screen" },
};
const int keys_count = (int)(sizeof keys_table / sizeof keys_table[0]);

const struct keys_hint keys_hints[] = {
	{ "q", "quit" },
	{ "?", "help" },
	{ "p", "pause" },
	{ "+/-", "refresh" },
	{ "t", "theme" },
	{ "Tab", "view" },
};
const int keys_nhints = (int)(sizeof keys_hints / sizeof keys_hints[0]);

enum keys_action keys_lookup(int key, int *arg)
{
	if (key >= '1' && key <= '9') {
		*arg = key - '1';
		return KEYS_VIEW;
	}
	for (int i = 0; i < keys_count; i++)
		for (int k = 0; k < 4 && keys_table[i].key[k]; k++)
			if (keys_table[i].key[k] == key)
				return keys_table[i].act;
	return KEYS_NONE;
}
