/*
 * inifile.h - inih over text in memory, with line numbers.
 *
 * Debian's libinih is built without line numbers in its handler and cuts
 * section names at 49 bytes.  inifile_parse() feeds inih one line at a
 * time through ini_parse_stream(), so every callback learns the line it
 * comes from, gets the section name whole (trimmed), and hears about
 * sections that have no keys at all.  The dialect is inih's: ';' or '#'
 * starts a comment line, " ;" an inline comment, "key = value" or
 * "key: value", and an indented line continues the value above (the key
 * callback is called again for it with `continued` set; Python's
 * configparser rule).  A line longer than inih's buffer (199 bytes in
 * Debian's build) is an error rather than being cut in two.
 *
 * The callbacks return nonzero to go on, 0 to stop (having written their
 * own message somewhere; inifile does not know where).
 */
#ifndef PERWATT_INIFILE_H
#define PERWATT_INIFILE_H

#include <stdbool.h>

struct inifile_cb {
	/* "[name]": every header, in order, before the keys under it.  May be NULL. */
	int (*section)(void *user, const char *name, int line);
	/* "key = value" under `section` ("" before the first header). */
	int (*key)(void *user, const char *section, const char *key, const char *value,
	           int line, bool continued);
};

enum inifile_status {
	INIFILE_OK = 0,
	INIFILE_MALFORMED,      /* neither a comment, a [section] nor key = value */
	INIFILE_TOO_LONG,       /* longer than inih's line buffer */
	INIFILE_STOPPED,        /* a callback returned 0 */
};

struct inifile_error {
	enum inifile_status status;
	int line;               /* 1-based; 0 when status is INIFILE_OK */
	char msg[96];           /* for MALFORMED and TOO_LONG: what is wrong, without the line */
};

/* Parses NUL-terminated text.  0, or -1 with *e saying where and why
 * (parsing ends at the first problem). */
int inifile_parse(const char *text, const struct inifile_cb *cb, void *user, struct inifile_error *e);

#endif
