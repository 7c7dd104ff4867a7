/* parse_bench.c - exposition parsing throughput: promtext against promtool.
 *
 *   parse_bench [-m MB] [-r RUNS] [-p PROMTOOL|-P] FILE SELECTOR [FILE SELECTOR ...]
 *
 * For each FILE: the file is repeated in memory to about MB megabytes (50 by
 * default) as ONE valid exposition: the first copy whole, the next copies
 * without their comment lines (a second # HELP/# TYPE for a name is an
 * error, repeated series are not). That body is
 *   - parsed by promtext fed in 64 KiB chunks, with the one SELECTOR given
 *     (what perwatt does), and again with validate_all (every line checked);
 *   - parsed by promtext as separate scrapes of the original file (reset
 *     between copies, comments included), the realistic case;
 *   - written to a temporary file and checked by `PROMTOOL check metrics <
 *     file` (wall time of the whole process, output discarded; exit status
 *     1 means it failed to parse, which is reported).
 * Each figure is the best of RUNS (default 3). Output: a Markdown table. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fetch/promtext.h"

#define CHUNK 65536

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t got;
		if (n + 65536 > cap) {
			char *nb = realloc(buf, cap = (cap ? cap * 2 : 1 << 20));
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* The first copy whole (plus a final newline if missing), then copies
 * without comment lines, until target bytes. */
static char *expand(const char *src, size_t len, size_t target, size_t *out_len,
                    size_t *copies)
{
	size_t cap = target + 2 * len + 2, n = 0;
	char *out = malloc(cap);
	const char *s, *e = src + len;

	if (!out)
		return NULL;
	memcpy(out, src, len);
	n = len;
	if (len && src[len - 1] != '\n')
		out[n++] = '\n';
	*copies = 1;
	while (n < target) {
		for (s = src; s < e;) {
			const char *nl = memchr(s, '\n', (size_t)(e - s));
			const char *end = nl ? nl + 1 : e;
			const char *c = s;
			while (c < end && (*c == ' ' || *c == '\t'))
				c++;
			if (c < end && *c != '#') {
				memcpy(out + n, s, (size_t)(end - s));
				n += (size_t)(end - s);
				if (!nl)
					out[n++] = '\n';
			}
			s = end;
		}
		(*copies)++;
	}
	*out_len = n;
	return out;
}

static int count_cb(int sel, const struct promtext_labels *L, double v, bool has_ts,
                    int64_t ts, void *user)
{
	volatile double *sink = user;

	(void)sel;
	(void)L;
	(void)has_ts;
	(void)ts;
	*sink += v;
	return 0;
}

struct pt_result {
	double secs;
	struct promtext_stats st;
	const char *err;
};

/* One body in 64 KiB chunks; returns seconds, or -1 with the error. */
static double parse_once(struct promtext *p, const char *buf, size_t len, bool validate_all,
                         struct promtext_stats *st, char *err, size_t errlen)
{
	double t0, t1;
	size_t off;
	int rc = 0;

	promtext_reset(p, PROMTEXT_0_0_4);
	promtext_set_validate_all(p, validate_all);
	t0 = now();
	for (off = 0; off < len && rc == 0; off += CHUNK)
		rc = promtext_feed(p, buf + off, len - off < CHUNK ? len - off : CHUNK);
	if (rc == 0)
		rc = promtext_finish(p);
	t1 = now();
	promtext_get_stats(p, st);
	if (rc != 0) {
		snprintf(err, errlen, "%s", promtext_error(p));
		return -1;
	}
	return t1 - t0;
}

/* The original file as `copies` separate scrapes. */
static double parse_scrapes(struct promtext *p, const char *buf, size_t len, size_t copies)
{
	double t0 = now();
	size_t k, off;

	promtext_set_validate_all(p, false);
	for (k = 0; k < copies; k++) {
		int rc = 0;
		promtext_reset(p, PROMTEXT_0_0_4);
		for (off = 0; off < len && rc == 0; off += CHUNK)
			rc = promtext_feed(p, buf + off, len - off < CHUNK ? len - off : CHUNK);
		if (rc == 0)
			rc = promtext_finish(p);
		if (rc != 0) {
			fprintf(stderr, "scrape parse failed: %s\n", promtext_error(p));
			return -1;
		}
	}
	return now() - t0;
}

/* Wall time of `promtool check metrics < path`; -1 if it could not run,
 * -2 if it reported a parse error (exit 1). */
static double run_promtool(const char *promtool, const char *path)
{
	double t0 = now(), t1;
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = open(path, O_RDONLY), null = open("/dev/null", O_WRONLY);
		if (in < 0 || null < 0)
			_exit(126);
		dup2(in, 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp(promtool, promtool, "check", "metrics", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	t1 = now();
	if (!WIFEXITED(status) || WEXITSTATUS(status) >= 126)
		return -1;
	if (WEXITSTATUS(status) == 1)
		return -2;
	return t1 - t0;
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int main(int argc, char **argv)
{
	size_t target = 50u << 20;
	int runs = 3, i, opt;
	const char *promtool = "promtool";
	volatile double sink = 0;

	while ((opt = getopt(argc, argv, "m:r:p:P")) != -1) {
		switch (opt) {
		case 'm': target = (size_t)strtoul(optarg, NULL, 10) << 20; break;
		case 'r': runs = atoi(optarg); break;
		case 'p': promtool = optarg; break;
		case 'P': promtool = NULL; break;
		default:
			fprintf(stderr, "usage: %s [-m MB] [-r RUNS] [-p PROMTOOL|-P] FILE SELECTOR...\n", argv[0]);
			return 2;
		}
	}
	if (optind >= argc || (argc - optind) % 2 != 0 || runs < 1) {
		fprintf(stderr, "usage: %s [-m MB] [-r RUNS] [-p PROMTOOL|-P] FILE SELECTOR...\n", argv[0]);
		return 2;
	}
	printf("| input | body | samples | matched | perwatt, 1 selector | perwatt, validate all | "
	       "perwatt, as scrapes | promtool check metrics | faster than promtool (1 selector / all) |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	fflush(stdout);
	for (i = optind; i < argc; i += 2) {
		const char *path = argv[i], *sel = argv[i + 1];
		size_t len, blen, copies;
		char *src = read_file(path, &len), *body;
		struct promtext *p;
		struct promtext_stats st;
		double best_sel = 1e30, best_all = 1e30, best_scr = 1e30, best_pt = 1e30;
		char err[400] = "", tmp[] = "/tmp/parse_bench.XXXXXX", ptcol[64], ratio[64];
		double mb;
		int r, fd;

		if (!src) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			return 1;
		}
		body = expand(src, len, target, &blen, &copies);
		p = promtext_new(PROMTEXT_0_0_4);
		if (!body || !p) {
			fprintf(stderr, "out of memory\n");
			return 1;
		}
		promtext_on_sample(p, count_cb, (void *)&sink);
		if (promtext_add_selector_str(p, sel) < 0) {
			fprintf(stderr, "%s\n", promtext_error(p));
			return 1;
		}
		mb = (double)blen / 1e6;
		for (r = 0; r < runs; r++) {
			double t = parse_once(p, body, blen, false, &st, err, sizeof err);
			if (t < 0) {
				fprintf(stderr, "%s: %s\n", path, err);
				return 1;
			}
			if (t < best_sel)
				best_sel = t;
		}
		{
			struct promtext_stats st2;
			for (r = 0; r < runs; r++) {
				double t = parse_once(p, body, blen, true, &st2, err, sizeof err);
				if (t < 0) {
					fprintf(stderr, "%s (validate all): %s\n", path, err);
					return 1;
				}
				if (t < best_all)
					best_all = t;
			}
		}
		for (r = 0; r < runs; r++) {
			double t = parse_scrapes(p, src, len, copies);
			if (t < 0)
				return 1;
			if (t < best_scr)
				best_scr = t;
		}
		snprintf(ptcol, sizeof ptcol, "n/a");
		snprintf(ratio, sizeof ratio, "n/a");
		if (promtool) {
			fd = mkstemp(tmp);
			if (fd < 0 || write(fd, body, blen) != (ssize_t)blen || close(fd) != 0) {
				fprintf(stderr, "cannot write %s\n", tmp);
				return 1;
			}
			for (r = 0; r < runs; r++) {
				double t = run_promtool(promtool, tmp);
				if (t == -1) {
					snprintf(ptcol, sizeof ptcol, "not run");
					break;
				}
				if (t == -2) {
					snprintf(ptcol, sizeof ptcol, "parse error");
					break;
				}
				if (t < best_pt)
					best_pt = t;
			}
			unlink(tmp);
			if (best_pt < 1e30) {
				snprintf(ptcol, sizeof ptcol, "%.1f MB/s", mb / best_pt);
				snprintf(ratio, sizeof ratio, "%.0fx / %.0fx",
				         best_pt / best_sel, best_pt / best_all);
			}
		}
		printf("| %s | %.1f MB (%zu copies) | %llu | %llu | %.0f MB/s | %.0f MB/s | %.0f MB/s | %s | %s |\n",
		       base(path), mb, copies, (unsigned long long)st.samples,
		       (unsigned long long)st.matched, mb / best_sel, mb / best_all,
		       (double)len * (double)copies / 1e6 / best_scr, ptcol, ratio);
		fflush(stdout);
		promtext_free(p);
		free(body);
		free(src);
	}
	return 0;
}
