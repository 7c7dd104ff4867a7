/*
 * follow.h - a benchmark's throughput from its own output (--follow).
 *
 * The figure comes from one of three places:
 *
 *   file     a log file followed like `tail -F`: polled every
 *            FOLLOW_POLL seconds, never blocking.  It starts at the end of
 *            a file that exists when the source starts (old lines are not
 *            counted, and a partial last line there is skipped); a file
 *            that appears later is read from its start.  Rotation (the path
 *            now names another file: the old one's remaining bytes are read
 *            first, a partial last line of it counts as a line, then the new
 *            one is read from its start), truncation (the size drops below
 *            the offset: read again from 0) and a missing file (waited for,
 *            the health says so) are all handled.  A truncation followed by
 *            more writes than were read before, within one poll, is not seen
 *            (as with tail).
 *   cmd      a command run through fetch/child.h, stdout and stderr both
 *            (benchmarks often log to stderr), started again with backoff
 *            when it ends.
 *   counter  a small file holding a running count, read whole every
 *            `interval` seconds; the first number in it is the count (or,
 *            when a regex is given, its first capture).  A counter file is
 *            always a count: `kind` is not used for it.
 *
 * Lines (file, cmd) are matched with a POSIX extended regex; its first
 * capture group is the value, read without regard to the locale: "1234.5",
 * "1,234,567.8" (commas between groups of three digits), "1.5e3", with an
 * optional k/M/G/T suffix ("1.2k", "3.4M").  With kind:
 *
 *   FOLLOW_RATE    the value is units/s.  Each match is reported; the latest
 *                  is also reported again every second for up to FOLLOW_HOLD
 *                  seconds, so a benchmark that prints every 5 s does not
 *                  blink out of the box (LOCALBOX_FRESH is shorter).
 *   FOLLOW_COUNT   the value is a running total; the rate is its increase
 *                  over at least FOLLOW_MIN_DT seconds (less 50 ms for a
 *                  print or poll that comes early; core/rate.h: a count
 *                  that goes down is a restart from 0).  Held like RATE.
 *   FOLLOW_LINES   every matching line is one unit (the regex may then be
 *                  NULL: every non-empty line counts); reported every second
 *                  as the matches of the last FOLLOW_WINDOW whole seconds
 *                  over that window, until FOLLOW_HOLD seconds after the
 *                  last match.
 *
 * Every value is multiplied by `scale` and reported to the box as component
 * "bench", LB_BENCH, MET_THROUGHPUT, PROV_MEASURED.
 *
 * Health: one record, kind "follow", target the file, command or counter
 * file, brought up to date every second (and at once on the first match,
 * and when a file goes or comes back): ok while matches come; stale
 * "waiting for FILE to appear", "no line has matched 'REGEX' yet (N lines
 * read)", "2 matches of 'REGEX' held no number (last: 'n/a')", "last match
 * 42 s ago" (after FOLLOW_HOLD s), "count unchanged for 42 s", "no count
 * in FILE"; failing "cannot open FILE: Permission denied", "exited with
 * status 1; restarting (3 starts so far)" (until a line matches again).
 *
 * Ownership: follow_source_new() copies the config; the source belongs to
 * the set it is added to (stop() frees it, kills the command and closes the
 * file).  It keeps the box pointer: add it to the set before the box's
 * source (localbox.h).
 */
#ifndef PERWATT_FOLLOW_H
#define PERWATT_FOLLOW_H

#include <stddef.h>

#include "core/model.h"
#include "fetch/localbox.h"
#include "fetch/source.h"

#define FOLLOW_POLL      0.25        /* s between looks at a followed file */
#define FOLLOW_HOLD      10.0        /* s a value is reported again after its match */
#define FOLLOW_WINDOW    5           /* s of the LINES sliding window */
#define FOLLOW_MIN_DT    1.0         /* s: the shortest span a COUNT rate is taken over */
#define FOLLOW_LINE_MAX  65536       /* longer lines are cut */

enum follow_kind { FOLLOW_RATE, FOLLOW_COUNT, FOLLOW_LINES };

struct follow_cfg {
	const char *file;       /* a log file followed like tail -F, or NULL */
	const char *cmd;        /* a command whose output is read line by line, or NULL */
	const char *counter;    /* a file holding a running count (re-read each interval), or NULL */
	const char *regex;      /* POSIX extended regex; its first capture group is the value; NULL for counter */
	enum follow_kind kind;  /* RATE: the capture is units/s; COUNT: a running total (rate = Δ/Δt,
	                         * resets handled); LINES: each matching line is one unit */
	double scale;           /* multiply (0: 1) */
	double interval;        /* counter file poll period (0: 1 s) */
};

/* The source, kind "follow", reporting into box `b`; it registers its health
 * record in localbox_fleet(b).  NULL with a reason in err (exactly one of
 * file, cmd, counter; a regex that does not compile, with regerror's text;
 * no capture group; out of memory). */
struct source *follow_source_new(struct model *m, struct localbox *b, const struct follow_cfg *c,
                                 char *err, size_t errlen);

/* For CLI and config validation: 0 when `regex` compiles as a POSIX extended
 * regex and has a capture group (not needed for FOLLOW_LINES, where NULL is
 * fine too); -1 with the reason (regerror's text) in err. */
int follow_regex_check(const char *regex, enum follow_kind kind, char *err, size_t errlen);

/* A number as the captures are read (see above): the first `len` bytes of s,
 * leading blanks skipped, text after the number ignored unless it makes the
 * number ambiguous ("1,5", "12.3.4").  0 and *v, or -1. */
int follow_parse_value(const char *s, size_t len, double *v);

#endif
