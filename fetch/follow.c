/*
 * follow.c - a benchmark's throughput from its log, its output or a counter
 * file (follow.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/format.h"
#include "core/rate.h"
#include "fetch/child.h"
#include "fetch/follow.h"

#define READ_CHUNK 65536
#define READS_PER_POLL 16       /* 1 MiB a poll at most: a huge backlog cannot starve the loop */
#define COUNTER_MAX 4096        /* bytes of a counter file looked at */
#define COMPONENT "bench"
#define FOLLOW_JITTER 0.05     /* s a 1 s poll or print may come early */

enum follow_from { FROM_FILE, FROM_CMD, FROM_COUNTER };

struct follow {
	struct source src;
	struct localbox *box;
	struct source_health *h;
	enum follow_from from;
	char *path;                 /* the file or counter file */
	char *cmd;
	char *regex;                /* its text, for the health line; NULL: none */
	regex_t re;
	bool have_re;
	enum follow_kind kind;
	double scale, interval;
	double hold;                /* s a value is reported again after it came */

	/* a followed file */
	int fd;                     /* -1: none open */
	dev_t dev;
	ino_t ino;
	off_t off;                  /* bytes of it read */
	bool regular;
	bool missing;               /* the path names nothing now */
	int open_errno;             /* the last open's failure other than ENOENT, 0: none */
	double next_poll;
	char *line;                 /* the line being assembled */
	size_t len;
	bool skipping, cut;

	/* a command */
	struct child *child;
	char exit_why[160];
	bool exited;                /* it ended and nothing has matched since */

	/* a counter file */
	double next_read;
	char read_err[180];         /* why the last read gave nothing, "" when it did */
	enum health_status read_st;
	double count, count_changed;

	/* what was seen */
	unsigned long lines, matches, bad;
	char bad_text[48];
	double last_match;          /* -INFINITY: none yet */
	double value, value_t;      /* the latest value reported (RATE, COUNT); value_t -INFINITY: none */
	struct rate_state rs;       /* COUNT */
	uint64_t bucket[FOLLOW_WINDOW + 1];    /* LINES: matches per second, a ring */
	int64_t bucket_sec[FOLLOW_WINDOW + 1];
	double started;
	double next_second;
};

/* ---- numbers ---------------------------------------------------------------- */

/* strtod() as in the C locale whatever setlocale() the program made. */
static double strtod_c(const char *s)
{
	static locale_t c_num;
	static bool tried;
	if (!tried) {
		tried = true;
		c_num = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	}
	if (c_num == (locale_t)0)
		return strtod(s, NULL);        /* no memory for a locale: the program's own */
	locale_t old = uselocale(c_num);
	double v = strtod(s, NULL);
	uselocale(old);
	return v;
}

static bool digit_at(const char *s, size_t len, size_t i)
{
	return i < len && isdigit((unsigned char)s[i]);
}

int follow_parse_value(const char *s, size_t len, double *v)
{
	char num[96];
	size_t o = 0, i = 0, ndig = 0;
	if (!s)
		return -1;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		num[o++] = s[i++];
	/* the integer part, commas allowed between groups of three digits */
	size_t group = 0;
	bool grouped = false;
	while (i < len) {
		if (isdigit((unsigned char)s[i])) {
			if (o >= sizeof num - 16)
				return -1;
			num[o++] = s[i++];
			ndig++;
			group++;
		} else if (s[i] == ',' && ndig && digit_at(s, len, i + 1)) {
			/* "1,234": a thousands separator; "1,5" or "1234,567": not
			 * one, and guessing would be wrong by a factor of 1000 */
			if (!(digit_at(s, len, i + 2) && digit_at(s, len, i + 3) && !digit_at(s, len, i + 4)))
				return -1;
			if (!grouped && group > 3)
				return -1;
			grouped = true;
			group = 0;
			i++;
		} else {
			break;
		}
	}
	if (i < len && s[i] == '.' && (ndig || digit_at(s, len, i + 1))) {
		num[o++] = '.';
		i++;
		while (i < len && isdigit((unsigned char)s[i])) {
			if (o >= sizeof num - 8)
				return -1;
			num[o++] = s[i++];
			ndig++;
		}
		/* "12.3.4", "1.234,5": a version or another locale's number */
		if (i < len && (s[i] == '.' || s[i] == ',') && digit_at(s, len, i + 1))
			return -1;
	}
	if (!ndig)
		return -1;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1;
		if (j < len && (s[j] == '+' || s[j] == '-'))
			j++;
		if (digit_at(s, len, j)) {
			num[o++] = 'e';
			if (s[i + 1] == '-')
				num[o++] = '-';
			i = j;
			size_t e = 0;
			while (i < len && isdigit((unsigned char)s[i])) {
				if (++e > 4)
					return -1;
				num[o++] = s[i++];
			}
		}
	}
	double mult = 1;
	if (i < len && !(i + 1 < len && isalpha((unsigned char)s[i + 1]))) {
		switch (s[i]) {
		case 'k': case 'K': mult = 1e3; break;
		case 'M': mult = 1e6; break;
		case 'G': mult = 1e9; break;
		case 'T': mult = 1e12; break;
		default: break;
		}
	}
	num[o] = '\0';
	double x = strtod_c(num) * mult;
	if (!isfinite(x))
		return -1;
	*v = x;
	return 0;
}

/* ---- regexes ---------------------------------------------------------------- */

static int compile(regex_t *re, const char *regex, enum follow_kind kind, char *err, size_t errlen)
{
	int rc = regcomp(re, regex, REG_EXTENDED | REG_NEWLINE);
	if (rc != 0) {
		char why[160];
		regerror(rc, re, why, sizeof why);
		fmt_msg(err, errlen, "bad regex '%.100s': %s", regex, why);
		return -1;
	}
	if (kind != FOLLOW_LINES && re->re_nsub < 1) {
		regfree(re);
		fmt_msg(err, errlen,
		        "regex '%.100s' has no capture group: put the number in ( ), "
		        "as in 'throughput: ([0-9.]+)'", regex);
		return -1;
	}
	return 0;
}

int follow_regex_check(const char *regex, enum follow_kind kind, char *err, size_t errlen)
{
	if (!regex || !*regex) {
		if (kind == FOLLOW_LINES)
			return 0;
		fmt_msg(err, errlen, "a regex is needed: its first capture group is the value, "
		        "as in 'throughput: ([0-9.]+)'");
		return -1;
	}
	regex_t re;
	if (compile(&re, regex, kind, err, errlen) < 0)
		return -1;
	regfree(&re);
	return 0;
}

/* ---- reporting -------------------------------------------------------------- */

static void report(struct follow *f, double v, double t)
{
	f->value = v;
	f->value_t = t;
	localbox_put(f->box, COMPONENT, LB_BENCH, MET_THROUGHPUT, t, v, PROV_MEASURED);
}

static void update_health(struct follow *f, double now)
{
	struct source_health *h = f->h;
	const char *what = f->from == FROM_CMD ? f->cmd : f->path;
	if (f->from == FROM_FILE && f->missing) {
		health_set_error(h, HEALTH_STALE, "waiting for %.150s to appear", what);
	} else if (f->from == FROM_FILE && f->fd < 0 && f->open_errno) {
		health_set_error(h, HEALTH_FAILING, "cannot open %.120s: %s", what, strerror(f->open_errno));
	} else if (f->from == FROM_CMD && f->exited) {
		unsigned n = child_starts(f->child);
		health_set_error(h, HEALTH_FAILING, "%s; restarting (%u start%s so far)", f->exit_why, n,
		                 n == 1 ? "" : "s");
	} else if (f->from == FROM_COUNTER && f->read_err[0]) {
		health_set_error(h, f->read_st, "%s", f->read_err);
	} else if (f->last_match == -INFINITY) {
		if (f->bad)
			health_set_error(h, HEALTH_STALE, "%lu match%s of '%.60s' held no number (last: '%s')",
			                 f->bad, f->bad == 1 ? "" : "es", f->regex ? f->regex : "", f->bad_text);
		else if (f->regex)
			health_set_error(h, HEALTH_STALE, "no line has matched '%.100s' yet (%lu lines read)",
			                 f->regex, f->lines);
		else
			health_set_error(h, HEALTH_STALE, "no line read yet");
	} else if (f->from == FROM_COUNTER && now - f->count_changed > f->hold) {
		health_set_error(h, HEALTH_STALE, "count unchanged for %.0f s", now - f->count_changed);
	} else if (f->from != FROM_COUNTER && now - f->last_match > f->hold) {
		health_set_error(h, HEALTH_STALE, "last match %.0f s ago", now - f->last_match);
	} else {
		health_set_ok(h, f->last_match, -1);
	}
}

/* A running total at t: its rate over at least FOLLOW_MIN_DT. */
static void feed_count(struct follow *f, double t, double v)
{
	/* readings closer than that to the last one used are skipped: the
	 * next reading far enough away covers their increase */
	if (f->rs.have && t >= f->rs.t && t - f->rs.t < FOLLOW_MIN_DT - FOLLOW_JITTER)
		return;
	double r;
	if (rate_update(&f->rs, t, v, &r) == 1)
		report(f, r * f->scale, t);
}

static void count_line(struct follow *f, double now)
{
	int64_t sec = (int64_t)floor(now);
	size_t k = (size_t)(((sec % (FOLLOW_WINDOW + 1)) + FOLLOW_WINDOW + 1) % (FOLLOW_WINDOW + 1));
	if (f->bucket_sec[k] != sec) {
		f->bucket_sec[k] = sec;
		f->bucket[k] = 0;
	}
	f->bucket[k]++;
}

static void note_bad(struct follow *f, const char *s, size_t n)
{
	f->bad++;
	char raw[sizeof f->bad_text];
	snprintf(raw, sizeof raw, "%.*s", (int)(n < sizeof raw - 1 ? n : sizeof raw - 1), s);
	fmt_sanitize(f->bad_text, sizeof f->bad_text, raw, true);
}

static void matched(struct follow *f, double now)
{
	f->matches++;
	f->last_match = now;
	f->exited = false;
	if (f->h->status != HEALTH_OK)      /* at once, not at the next second */
		update_health(f, now);
}

/* One line of the file or the command's output. */
static void on_line(struct follow *f, const char *line, size_t len, double now)
{
	f->lines++;
	if (!f->have_re) {              /* LINES without a regex: every non-empty line */
		if (len) {
			count_line(f, now);
			matched(f, now);
		}
		return;
	}
	regmatch_t pm[2];
	if (regexec(&f->re, line, 2, pm, 0) != 0)
		return;
	if (f->kind == FOLLOW_LINES) {
		count_line(f, now);
		matched(f, now);
		return;
	}
	if (pm[1].rm_so < 0) {
		note_bad(f, "", 0);
		return;
	}
	const char *cap = line + pm[1].rm_so;
	size_t caplen = (size_t)(pm[1].rm_eo - pm[1].rm_so);
	double v;
	if (follow_parse_value(cap, caplen, &v) < 0 || v < 0) {
		note_bad(f, cap, caplen);
		return;
	}
	matched(f, now);
	if (f->kind == FOLLOW_RATE)
		report(f, v * f->scale, now);
	else
		feed_count(f, now, v);
}

static void each_second(struct follow *f, double now)
{
	if (f->kind == FOLLOW_LINES && f->from != FROM_COUNTER) {
		if (f->last_match != -INFINITY && now - f->last_match <= f->hold) {
			int64_t sec = (int64_t)floor(now);
			uint64_t n = 0;
			for (size_t k = 0; k <= FOLLOW_WINDOW; k++)
				if (f->bucket_sec[k] >= sec - FOLLOW_WINDOW && f->bucket_sec[k] < sec)
					n += f->bucket[k];
			/* the window is shorter while the source is young */
			double span = fmin(FOLLOW_WINDOW, fmax(1.0, (double)sec - f->started));
			report(f, (double)n / span * f->scale, now);
		}
	} else if (f->value_t != -INFINITY && now - f->value_t <= f->hold) {
		/* again, at now: the box forgets a part after LOCALBOX_FRESH */
		localbox_put(f->box, COMPONENT, LB_BENCH, MET_THROUGHPUT, now, f->value, PROV_MEASURED);
	}
	update_health(f, now);
}

/* ---- a followed file -------------------------------------------------------- */

static void deliver(struct follow *f, double now)
{
	size_t n = f->len;
	if (n && f->line[n - 1] == '\r')
		n--;
	f->line[n] = '\0';
	on_line(f, f->line, n, now);
	f->len = 0;
	f->cut = false;
}

static void feed(struct follow *f, const char *d, size_t n, double now)
{
	for (size_t i = 0; i < n; i++) {
		char ch = d[i];
		if (ch == '\n') {
			if (f->skipping)
				f->skipping = false;
			else
				deliver(f, now);
			continue;
		}
		/* NULs: what a writer without O_APPEND leaves after a copytruncate */
		if (f->skipping || ch == '\0')
			continue;
		if (f->len == FOLLOW_LINE_MAX) {
			/* the line so far is delivered at its newline; the rest is dropped */
			f->cut = true;
			continue;
		}
		f->line[f->len++] = ch;
	}
}

static void reset_line(struct follow *f)
{
	f->len = 0;
	f->skipping = f->cut = false;
}

/* Opens the path: at its end (the lines already there are history) unless
 * from_start.  0, or -1 with missing/open_errno set. */
static int file_open(struct follow *f, bool from_start)
{
	int fd = open(f->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		f->missing = errno == ENOENT || errno == ENOTDIR;
		f->open_errno = f->missing ? 0 : errno;
		return -1;
	}
	struct stat st;
	int bad = fstat(fd, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
	if (bad) {
		f->open_errno = bad;
		f->missing = false;
		close(fd);
		return -1;
	}
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->regular = S_ISREG(st.st_mode);
	f->missing = false;
	f->open_errno = 0;
	f->off = 0;
	reset_line(f);
	if (!from_start && f->regular && st.st_size > 0) {
		f->off = lseek(fd, 0, SEEK_END);
		if (f->off < 0)
			f->off = 0;
		/* starting inside a line: its end is not a line of its own */
		char last;
		if (f->off > 0 && pread(fd, &last, 1, f->off - 1) == 1 && last != '\n')
			f->skipping = true;
	}
	return 0;
}

static void file_close(struct follow *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/* Reads what is there: 1 at the end of it, 0 when there is more than a
 * poll's share, -1 on a read error (the file is closed). */
static int file_drain(struct follow *f, double now)
{
	static char chunk[READ_CHUNK];
	for (int k = 0; k < READS_PER_POLL; k++) {
		ssize_t n = read(f->fd, chunk, sizeof chunk);
		if (n > 0) {
			f->off += n;
			feed(f, chunk, (size_t)n, now);
			continue;
		}
		if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
			return 1;
		if (errno == EINTR)
			continue;
		f->open_errno = errno;
		file_close(f);
		return -1;
	}
	return 0;
}

/* One look at the file; true when there is more to read right away. */
static bool file_poll(struct follow *f, double now)
{
	if (f->fd < 0 && file_open(f, true) < 0)
		return false;
	struct stat st;
	if (f->regular && fstat(f->fd, &st) == 0 && st.st_size < f->off) {
		/* truncated in place (copytruncate, `> file`): from its start */
		if (lseek(f->fd, 0, SEEK_SET) == 0)
			f->off = 0;
		reset_line(f);
	}
	int r = file_drain(f, now);
	if (r <= 0)
		return r == 0;
	struct stat ps;
	if (stat(f->path, &ps) < 0) {
		/* deleted, or renamed with no new file yet: the old one is kept,
		 * its writer may still append to it */
		f->missing = true;
		return false;
	}
	f->missing = false;
	if (ps.st_dev == f->dev && ps.st_ino == f->ino)
		return false;
	/* rotated: the old file's last bytes first, then the new one */
	if ((r = file_drain(f, now)) == 0)
		return true;
	if (r > 0 && f->len)
		deliver(f, now);        /* its last line, without a newline */
	file_close(f);
	if (file_open(f, true) < 0)
		return false;
	return file_drain(f, now) == 0;
}

/* ---- a counter file ------------------------------------------------------- */

static void counter_read(struct follow *f, double now)
{
	char buf[COUNTER_MAX + 1];
	int fd = open(f->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			f->read_st = HEALTH_STALE;
			snprintf(f->read_err, sizeof f->read_err, "waiting for %.120s to appear", f->path);
		} else {
			f->read_st = HEALTH_FAILING;
			snprintf(f->read_err, sizeof f->read_err, "cannot read %.100s: %s", f->path,
			         strerror(errno));
		}
		return;
	}
	size_t n = 0;
	while (n < COUNTER_MAX) {
		ssize_t k = read(fd, buf + n, COUNTER_MAX - n);
		if (k > 0)
			n += (size_t)k;
		else if (k < 0 && errno == EINTR)
			continue;
		else
			break;
	}
	close(fd);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	const char *num = NULL;
	size_t numlen = 0;
	if (f->have_re) {
		regmatch_t pm[2];
		if (regexec(&f->re, buf, 2, pm, 0) == 0 && pm[1].rm_so >= 0) {
			num = buf + pm[1].rm_so;
			numlen = (size_t)(pm[1].rm_eo - pm[1].rm_so);
		}
	} else {
		for (size_t i = 0; i < n && !num; i++)
			if (isdigit((unsigned char)buf[i])) {
				num = buf + i;
				numlen = n - i;
			}
	}
	double v;
	if (!num || follow_parse_value(num, numlen, &v) < 0 || v < 0) {
		f->read_st = HEALTH_STALE;
		if (n == 0)
			snprintf(f->read_err, sizeof f->read_err, "%.120s is empty", f->path);
		else
			snprintf(f->read_err, sizeof f->read_err, "no count in %.120s", f->path);
		return;
	}
	f->read_err[0] = '\0';
	if (f->last_match == -INFINITY || v != f->count)
		f->count_changed = now;
	f->count = v;
	matched(f, now);
	feed_count(f, now, v);
}

/* ---- the source -------------------------------------------------------------- */

static void child_line(void *user, const char *line, size_t len, bool cut, double now)
{
	(void)cut;
	on_line(user, line, len, now);
}

static void child_exit(void *user, const char *why, double now)
{
	struct follow *f = user;
	snprintf(f->exit_why, sizeof f->exit_why, "%s", why);
	f->exited = true;
	update_health(f, now);
}

static int fl_start(struct source *s, double now)
{
	struct follow *f = s->priv;
	int rc = 0;
	f->started = now;
	f->next_second = floor(now) + 1;
	switch (f->from) {
	case FROM_FILE:
		/* a file that is there has history; one that appears later
		 * (or replaces it) is read from its start */
		file_open(f, false);
		f->next_poll = now;
		break;
	case FROM_CMD:
		rc = child_start(f->child, now);
		break;
	case FROM_COUNTER:
		counter_read(f, now);
		f->next_read = now + f->interval;
		break;
	}
	update_health(f, now);
	return rc;
}

static int fl_fds(struct source *s, struct pollfd *fds, int max)
{
	struct follow *f = s->priv;
	return f->from == FROM_CMD ? child_fds(f->child, fds, max) : 0;
}

static void fl_ready(struct source *s, const struct pollfd *fds, int nfds, double now)
{
	struct follow *f = s->priv;
	if (f->from == FROM_CMD)
		child_ready(f->child, fds, nfds, now);
}

static double fl_tick(struct source *s, double now)
{
	struct follow *f = s->priv;
	double next = INFINITY;
	switch (f->from) {
	case FROM_FILE:
		if (now >= f->next_poll) {
			bool was_missing = f->missing;
			f->next_poll = file_poll(f, now) ? now : now + FOLLOW_POLL;
			if (f->missing != was_missing)
				update_health(f, now);  /* "waiting for" at once */
		}
		next = f->next_poll;
		break;
	case FROM_CMD:
		next = child_tick(f->child, now);
		break;
	case FROM_COUNTER:
		if (now >= f->next_read) {
			counter_read(f, now);
			f->next_read += f->interval;
			if (f->next_read <= now)
				f->next_read = now + f->interval;
		}
		next = f->next_read;
		break;
	}
	if (now >= f->next_second) {
		each_second(f, now);
		f->next_second = floor(now) + 1;
	}
	return fmin(next, f->next_second);
}

static void follow_free(struct follow *f)
{
	if (!f)
		return;
	child_free(f->child);
	file_close(f);
	if (f->have_re)
		regfree(&f->re);
	free(f->line);
	free(f->path);
	free(f->cmd);
	free(f->regex);
	free(f);
}

static void fl_stop(struct source *s)
{
	if (s)
		follow_free(s->priv);
}

static const struct source_ops follow_ops = {
	.kind = "follow", .start = fl_start, .fds = fl_fds, .ready = fl_ready, .tick = fl_tick,
	.stop = fl_stop,
};

struct source *follow_source_new(struct model *m, struct localbox *b, const struct follow_cfg *c,
                                 char *err, size_t errlen)
{
	if (!m || !b || !c) {
		fmt_msg(err, errlen, "follow: no model, box or configuration");
		return NULL;
	}
	int given = !!c->file + !!c->cmd + !!c->counter;
	if (given != 1) {
		fmt_msg(err, errlen, "follow %s: a log file, a command or a counter file, exactly one",
		        given ? "what" : "nothing");
		return NULL;
	}
	const char *what = c->file ? c->file : c->cmd ? c->cmd : c->counter;
	if (!*what) {
		fmt_msg(err, errlen, "follow: the %s is empty",
		        c->file ? "file name" : c->cmd ? "command" : "counter file name");
		return NULL;
	}
	if (!(c->scale >= 0) || !isfinite(c->scale) || !(c->interval >= 0) || !isfinite(c->interval)) {
		fmt_msg(err, errlen, "follow: the scale and the interval must be finite and not negative");
		return NULL;
	}
	if (c->kind != FOLLOW_RATE && c->kind != FOLLOW_COUNT && c->kind != FOLLOW_LINES) {
		fmt_msg(err, errlen, "follow: unknown kind %d", (int)c->kind);
		return NULL;
	}
	/* a counter file is a count whatever kind says (follow.h) */
	enum follow_kind kind = c->counter ? FOLLOW_COUNT : c->kind;
	bool want_re = c->regex && *c->regex;
	if (!c->counter && !want_re && follow_regex_check(c->regex, kind, err, errlen) < 0)
		return NULL;

	struct follow *f = calloc(1, sizeof *f);
	if (!f) {
		fmt_msg(err, errlen, "out of memory");
		return NULL;
	}
	f->fd = -1;
	f->box = b;
	f->kind = kind;
	f->scale = c->scale > 0 ? c->scale : 1;
	f->interval = c->interval > 0 ? c->interval : 1;
	f->hold = c->counter ? fmax(FOLLOW_HOLD, 2 * f->interval) : FOLLOW_HOLD;
	f->last_match = f->value_t = -INFINITY;
	f->count_changed = -INFINITY;
	for (size_t k = 0; k <= FOLLOW_WINDOW; k++)
		f->bucket_sec[k] = INT64_MIN;
	f->from = c->file ? FROM_FILE : c->cmd ? FROM_CMD : FROM_COUNTER;
	if (want_re) {
		if (compile(&f->re, c->regex, kind, err, errlen) < 0) {
			free(f);
			return NULL;
		}
		f->have_re = true;
		if (!(f->regex = strdup(c->regex)))
			goto oom;
	}
	if (f->from == FROM_CMD) {
		if (!(f->cmd = strdup(c->cmd)))
			goto oom;
		struct child_opts o = {
			.cmd = c->cmd, .stderr_too = true, .restart = true, .quiet_timeout = 0,
			.on_line = child_line, .on_exit = child_exit, .user = f,
		};
		if (!(f->child = child_new(&o)))
			goto oom;
	} else {
		if (!(f->path = strdup(f->from == FROM_FILE ? c->file : c->counter)))
			goto oom;
		if (f->from == FROM_FILE && !(f->line = malloc(FOLLOW_LINE_MAX + 1)))
			goto oom;
	}
	/* last: nothing can fail after it, so no orphan health record */
	if (!(f->h = fleet_add_source(localbox_fleet(b), "follow", what)))
		goto oom;
	f->src.ops = &follow_ops;
	f->src.model = m;
	f->src.priv = f;
	return &f->src;
oom:
	fmt_msg(err, errlen, "out of memory");
	follow_free(f);
	return NULL;
}
