/*
 * testlib.c - the helper server and the loop the live unit tests share
 * (see testlib.h).
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define MAX_ARGS 32
#define LOOP_FDS 256

/* ---- the server ------------------------------------------------------------ */

static bool find_exe(const char *name, char *out, size_t n)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		if (len > 0 && (size_t)snprintf(out, n, "%.*s/%s", (int)len, path, name) < n &&
		    access(out, X_OK) == 0)
			return true;
		path += len;
		if (*path == ':')
			path++;
	}
	return false;
}

/* The first line the server prints: its port (0 when it never came). */
static int read_port(int fd)
{
	char line[32];
	size_t n = 0;
	/* python can take seconds to start on a loaded machine */
	struct pollfd p = { .fd = fd, .events = POLLIN };
	double give_up = clock_now() + 60;
	while (n + 1 < sizeof line && poll(&p, 1, (int)((give_up - clock_now()) * 1000) + 1) > 0) {
		ssize_t r = read(fd, line + n, 1);
		if (r <= 0 || line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	return atoi(line);
}

int testlib_server_start(const char *who, const char *script, const char *const *args,
                         struct testlib_server *out)
{
	memset(out, 0, sizeof *out);
	out->pid = -1;
	out->in = -1;
	char py[PATH_MAX], file[PATH_MAX];
	if (!find_exe("python3", py, sizeof py)) {
		fprintf(stderr, "%s: python3 not found, skipping the server tests\n", who);
		return 0;
	}
	/* everything the child needs is made before the fork */
	snprintf(file, sizeof file, "%s/tests/servers/%s", TOP_SRCDIR, script);
	const char *argv[MAX_ARGS + 3] = { py, file };
	size_t argc = 2;
	for (size_t i = 0; args && args[i]; i++) {
		if (i == MAX_ARGS) {
			fprintf(stderr, "%s: too many arguments for %s\n", who, script);
			return -1;
		}
		argv[argc++] = args[i];
	}
	argv[argc] = NULL;

	int outp[2], inp[2];
	if (pipe2(outp, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(inp, O_CLOEXEC) < 0) {
		close(outp[0]);
		close(outp[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(outp[0]);
		close(outp[1]);
		close(inp[0]);
		close(inp[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(inp[0], STDIN_FILENO);
		dup2(outp[1], STDOUT_FILENO);
		execv(py, (char *const *)argv);
		_exit(127);
	}
	close(inp[0]);
	close(outp[1]);
	out->pid = pid;
	out->in = inp[1];

	int port = read_port(outp[0]);
	close(outp[0]);
	if (port <= 0) {
		fprintf(stderr, "%s: %s did not start\n", who, script);
		testlib_server_stop(out);
		return -1;
	}
	out->port = port;
	snprintf(out->base, sizeof out->base, "http://127.0.0.1:%d", port);
	return 0;
}

void testlib_server_stop(struct testlib_server *srv)
{
	if (srv->pid > 0) {
		kill(srv->pid, SIGTERM);
		close(srv->in);
		waitpid(srv->pid, NULL, 0);
	}
	srv->pid = -1;
	srv->in = -1;
}

/* ---- the loop --------------------------------------------------------------- */

static void note(double *longest, double t0)
{
	double d = clock_now() - t0;
	if (d > *longest)
		*longest = d;
}

void testlib_run(struct testlib_loop *l, double seconds)
{
	struct pollfd fds[LOOP_FDS];
	double end = clock_now() + seconds;
	for (;;) {
		double now = clock_now();
		if (now >= end)
			return;
		double deadline = source_set_tick(l->set, now);
		note(&l->longest, now);
		double wake = fmin(deadline, end);
		if (l->model) {
			double t = clock_now();
			if (t >= l->next_model_tick) {
				model_tick(l->model, t);
				l->next_model_tick = floor(t) + 1;
			}
			wake = fmin(wake, l->next_model_tick);
		}
		if (l->hook) {
			l->hook(l->ctx, now);
			wake = fmin(wake, now + 0.01);
		}
		if (l->done && l->done(l->ctx))
			return;
		int n = source_set_fds(l->set, fds, LOOP_FDS);
		double wait = wake - clock_now();
		int ms = wait <= 0 ? 0 : (int)ceil(wait * 1000);
		int got = poll(fds, (nfds_t)n, ms);
		if (got > 0) {
			double t = clock_now();
			source_set_ready(l->set, fds, n, t);
			note(&l->longest, t);
		} else if (ms == 0 && deadline <= now) {
			l->spins++;
		}
	}
}

/* ---- checks ------------------------------------------------------------------- */

bool testlib_clean_text(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

char *testlib_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t k = fread(buf + n, 1, cap - n, f);
		if (k == 0)
			break;
		n += k;
	}
	fclose(f);
	char *exact = malloc(n ? n : 1);
	assert_non_null(exact);
	memcpy(exact, buf, n);
	free(buf);
	*len = n;
	return exact;
}

char *testlib_temp_file(const char *who, const char *content)
{
	size_t size = strlen("/tmp/perwatt-test--XXXXXX") + strlen(who) + 1;
	char *path = malloc(size);
	assert_non_null(path);
	snprintf(path, size, "/tmp/perwatt-test-%s-XXXXXX", who);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t n = strlen(content);
	assert_int_equal(write(fd, content, n), (ssize_t)n);
	close(fd);
	return path;
}
