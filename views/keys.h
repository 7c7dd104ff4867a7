/*
 * keys.h - the key bindings, in one table that the dispatcher (ui.c), the
 * footer hints (frame.c) and the help screen (help.c) all read, so that
 * what the screen says always matches what the keys do.
 */
#ifndef PERWATT_KEYS_H
#define PERWATT_KEYS_H

enum keys_action {
	KEYS_NONE = 0,
	KEYS_QUIT,
	KEYS_HELP,          /* open or close the help overlay */
	KEYS_CLOSE,         /* leave an overlay (Esc) */
	KEYS_NEXT_VIEW,
	KEYS_VIEW,          /* digits: the view numbered arg */
	KEYS_PAUSE,
	KEYS_SLOWER,        /* longer refresh interval */
	KEYS_FASTER,        /* shorter refresh interval */
	KEYS_THEME,
	KEYS_REDRAW,
};

struct keys_binding {
	enum keys_action act;
	int key[4];             /* curses key codes; 0 ends the list */
	const char *names;      /* how help names the keys: "q", "Tab" */
	const char *help;       /* what help says they do */
};

extern const struct keys_binding keys_table[];
extern const int keys_count;

/* The footer's short hints, in order of importance (dropped from the end
 * when the screen is narrow). */
struct keys_hint {
	const char *keys, *what;
};
extern const struct keys_hint keys_hints[];
extern const int keys_nhints;

/* The action bound to `key`; for KEYS_VIEW, *arg is the view index. */
enum keys_action keys_lookup(int key, int *arg);

#endif
