/*
 * testlib.h - what the unit tests that talk to a live server share: a
 * helper server from tests/servers/ run as a child on a free port, and the
 * program's poll() loop over a source set, with the hooks the tests need.
 *
 * Include it after <cmocka.h>'s prerequisites, or let it include them.
 */
#ifndef PERWATT_TESTLIB_H
#define PERWATT_TESTLIB_H

#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/model.h"
#include "fetch/source.h"

/* ---- a helper server ------------------------------------------------------ */

struct testlib_server {
	pid_t pid;              /* <= 0: none running */
	int in;                 /* the write end of its stdin: closing it ends it */
	int port;               /* 0: not started (no python3): the tests that need it skip */
	char base[64];          /* "http://127.0.0.1:PORT" */
};

/*
 * Starts python3 tests/servers/<script> args... as a child, its stdin a pipe
 * this process holds (so that a server started with --watch-stdin, or
 * promapi.py, ends when the test dies however it dies), and reads the port it
 * prints (waiting up to 60 s: python can be slow to start on a loaded
 * machine).  `args` ends with NULL; `who` names the test in messages.
 *
 * 0: started, or python3 is not on the PATH (out->port is 0, and it says so on
 * stderr; TESTLIB_NEED_SERVER skips the tests that need it); -1: it did not
 * start (nothing is left running).  For a cmocka group setup.
 */
int testlib_server_start(const char *who, const char *script, const char *const *args,
                         struct testlib_server *out);

/* SIGTERM, closes its stdin and waits for it; nothing when none runs. */
void testlib_server_stop(struct testlib_server *srv);

/* cmocka's skip() when the group's server is not there (no python3). */
#define TESTLIB_NEED_SERVER(srv) do { if ((srv)->port <= 0) skip(); } while (0)

/* ---- the program's loop ---------------------------------------------------- */

struct testlib_loop {
	struct source_set *set;
	/* when set: model_tick() once a second, as fetch/drive.c does */
	struct model *model;
	double next_model_tick;
	/* when set: called every pass with the pass's start time; the loop then
	 * wakes at least every 10 ms */
	void (*hook)(void *ctx, double now);
	/* when set: checked after every tick; true ends the run */
	bool (*done)(void *ctx);
	void *ctx;
	/* kept across runs */
	double longest;         /* the slowest single tick or ready pass, seconds */
	int spins;              /* passes that neither slept nor had I/O although due */
};

/*
 * Drives l->set like fetch/drive.c does (tick, fds, poll, ready) for
 * `seconds`, or until l->done(l->ctx) holds after a tick.
 */
void testlib_run(struct testlib_loop *l, double seconds);

/* ---- files ----------------------------------------------------------------- */

/* The file's bytes in a malloc'ed buffer of exactly that size (no NUL after
 * them), so that the sanitizers catch any read past the end; fails the test
 * when the file cannot be read.  The caller frees it. */
char *testlib_slurp(const char *path, size_t *len);

/* A new file /tmp/perwatt-test-<who>-XXXXXX holding `content`; its path in a
 * malloc'ed string (the caller unlinks the file and frees the path); fails
 * the test when the file cannot be written. */
char *testlib_temp_file(const char *who, const char *content);

/* ---- checks ---------------------------------------------------------------- */

/* No control characters: nothing a terminal could act on. */
bool testlib_clean_text(const char *s);

/* strstr checks that show the text when they fail */
#define assert_has(hay, needle) do { \
	const char *hay_ = (hay); \
	if (!hay_ || !strstr(hay_, (needle))) \
		fail_msg("\"%s\" does not contain \"%s\"", hay_ ? hay_ : "(null)", (needle)); \
} while (0)
#define assert_lacks(hay, needle) do { \
	const char *hay_ = (hay); \
	if (hay_ && strstr(hay_, (needle))) \
		fail_msg("\"%s\" contains \"%s\"", hay_, (needle)); \
} while (0)

#endif
