/* pricecache.c - the cache of prices from the AWS Price List; see pricecache.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/format.h"
#include "core/pricecache.h"

#define CSV_HEADER "instance_type,region,usd_per_hour,source,date"


int pricecache_path(char *buf, size_t n)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int len = -1;
	/* a relative XDG_CACHE_HOME is invalid (XDG base directory spec) */
	if (xdg && xdg[0] == '/')
		len = snprintf(buf, n, "%s/perwatt/prices.csv", xdg);
	else if (home && *home)
		len = snprintf(buf, n, "%s/.cache/perwatt/prices.csv", home);
	if (len < 0 || (size_t)len >= n) {
		if (n)
			buf[0] = '\0';
		return -1;
	}
	return 0;
}

/* A cell that reads back as itself: printable ASCII, none of the
 * characters the CSV reader or a comment would take apart, fits. */
static int cell_ok(const char *s, size_t size, const char *what, char *why, size_t whylen)
{
	size_t len = strnlen(s, size);
	if (len == 0 || len >= size) {
		fmt_msg(why, whylen, "%s is %s", what, len ? "too long" : "empty");
		return 0;
	}
	for (const char *c = s; *c; c++)
		if (*c <= ' ' || *c > '~' || *c == ',' || *c == '"' || *c == '#') {
			fmt_msg(why, whylen, "%s has a character a CSV cell cannot hold", what);
			return 0;
		}
	return 1;
}

int pricecache_row_ok(const struct price_row *r, char *why, size_t whylen)
{
	if (!cell_ok(r->instance_type, sizeof r->instance_type, "instance_type", why, whylen) ||
	    !cell_ok(r->region, sizeof r->region, "region", why, whylen) ||
	    !cell_ok(r->source, sizeof r->source, "source", why, whylen) ||
	    !cell_ok(r->date, sizeof r->date, "date", why, whylen))
		return 0;
	if (!isfinite(r->usd_per_hour) || r->usd_per_hour < 0 || r->usd_per_hour > 10000) {
		fmt_msg(why, whylen, "usd_per_hour is not a number from 0 to 10000");
		return 0;
	}
	return 1;
}

int pricecache_row(struct price_row *r, const char *instance_type, const char *region,
                   double usd_per_hour, time_t when)
{
	struct tm tm;
	memset(r, 0, sizeof *r);
	if (!instance_type || !region || strlen(instance_type) >= sizeof r->instance_type ||
	    strlen(region) >= sizeof r->region || !gmtime_r(&when, &tm) ||
	    strftime(r->date, sizeof r->date, "%Y-%m-%d", &tm) == 0)
		return -1;
	memcpy(r->instance_type, instance_type, strlen(instance_type) + 1);
	memcpy(r->region, region, strlen(region) + 1);
	snprintf(r->source, sizeof r->source, "%s", PRICECACHE_SOURCE);
	r->usd_per_hour = usd_per_hour;
	return pricecache_row_ok(r, NULL, 0) ? 0 : -1;
}

int pricecache_merge(struct tables *t, const struct price_row *rows, size_t n, char *err, size_t errlen)
{
	for (size_t k = 0; k < n; k++) {
		char why[96];
		if (!pricecache_row_ok(&rows[k], why, sizeof why)) {
			fmt_msg(err, errlen, "price row %zu: %s", k + 1, why);
			return -1;
		}
		size_t i;
		for (i = 0; i < t->nprice; i++)
			if (!strcmp(t->price[i].instance_type, rows[k].instance_type) &&
			    !strcmp(t->price[i].region, rows[k].region))
				break;
		if (i == t->nprice) {
			struct price_row *grown = realloc(t->price, (t->nprice + 1) * sizeof *grown);
			if (!grown) {
				fmt_msg(err, errlen, "out of memory");
				return -1;
			}
			t->price = grown;
			t->nprice++;
		}
		t->price[i] = rows[k];
	}
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct price_row *x = a, *y = b;
	int c = strcmp(x->instance_type, y->instance_type);
	return c ? c : strcmp(x->region, y->region);
}

/* The endpoint as it may be shown: printable, user:password masked. */
static void clean_url(char *out, size_t n, const char *url)
{
	size_t o = 0;
	const char *start = url ? url : "";
	const char *scheme = strstr(start, "://");
	const char *host = scheme ? scheme + 3 : start;
	const char *at = NULL;
	for (const char *c = host; *c && *c != '/' && *c != '?' && *c != '#'; c++)
		if (*c == '@')
			at = c;
	for (const char *c = start; *c && o + 1 < n; c++) {
		if (at && c == host) {
			for (const char *m = "***"; *m && o + 1 < n; m++)
				out[o++] = *m;
			c = at;     /* the '@' itself is copied next */
		}
		unsigned char u = (unsigned char)*c;
		if (u >= ' ' && u <= '~')
			out[o++] = *c;
	}
	if (n)
		out[o < n ? o : n - 1] = '\0';
}

/* A price in plain decimals (the reader takes no "1e-05"), trailing zeros cut. */
static void fmt_price(char *buf, size_t n, double v)
{
	snprintf(buf, n, "%.10f", v);
	char *dot = strchr(buf, '.');
	if (!dot)
		return;
	char *end = buf + strlen(buf);
	while (end > dot + 1 && end[-1] == '0')
		*--end = '\0';
	if (end == dot + 1)
		*dot = '\0';
}

char *pricecache_render(const struct tables *t, time_t when, const char *from, char *err, size_t errlen)
{
	struct tm tm;
	char stamp[32] = "an unknown time", url[512];
	if (gmtime_r(&when, &tm))
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	clean_url(url, sizeof url, from);

	struct price_row *rows = malloc((t->nprice ? t->nprice : 1) * sizeof *rows);
	if (!rows) {
		fmt_msg(err, errlen, "out of memory");
		return NULL;
	}
	if (t->nprice)
		memcpy(rows, t->price, t->nprice * sizeof *rows);
	qsort(rows, t->nprice, sizeof *rows, row_cmp);

	size_t cap = 1024 + t->nprice * (sizeof(struct price_row) + 40);
	char *out = malloc(cap);
	if (!out) {
		free(rows);
		fmt_msg(err, errlen, "out of memory");
		return NULL;
	}
	size_t len = (size_t)snprintf(out, cap,
		"# perwatt price cache: on-demand prices, USD per instance-hour, Linux, shared\n"
		"# tenancy, from the AWS Price List Query API (GetProducts), written by\n"
		"# `perwatt --update-prices`.  Its rows replace the shipped table's (a fleet's own\n"
		"# usd_per_hour wins over both); delete this file to go back to the shipped table.\n"
		"# fetched %s from %s\n"
		CSV_HEADER "\n", stamp, url[0] ? url : "(unknown)");
	for (size_t i = 0; i < t->nprice && len < cap; i++) {
		char why[96], price[48];
		if (!pricecache_row_ok(&rows[i], why, sizeof why)) {
			fmt_msg(err, errlen, "price of %.40s: %s", rows[i].instance_type, why);
			free(rows);
			free(out);
			return NULL;
		}
		fmt_price(price, sizeof price, rows[i].usd_per_hour);
		len += (size_t)snprintf(out + len, cap - len, "%s,%s,%s,%s,%s\n", rows[i].instance_type,
		                        rows[i].region, price, rows[i].source, rows[i].date);
	}
	free(rows);
	if (len >= cap) {       /* cannot happen with the sizes above; never write half */
		free(out);
		fmt_msg(err, errlen, "price cache text too long");
		return NULL;
	}
	return out;
}

int pricecache_read(struct tables *t, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		if (errno == ENOENT)
			return 0;
		fmt_msg(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *text = malloc(PRICECACHE_MAX_SIZE + 1);
	size_t len = text ? fread(text, 1, PRICECACHE_MAX_SIZE + 1, fp) : 0;
	int rerr = ferror(fp);
	fclose(fp);
	const char *why = !text ? "out of memory"
	                : rerr ? "cannot be read"
	                : len > PRICECACHE_MAX_SIZE ? "larger than 1 MiB: is it a price cache?"
	                : memchr(text, '\0', len) ? "has a NUL byte: is it a text file?" : NULL;
	if (why) {
		fmt_msg(err, errlen, "%s: %s", path, why);
		free(text);
		return -1;
	}
	text[len] = '\0';
	/* parsed apart first: a malformed file changes nothing */
	struct tables scratch;
	tables_init(&scratch);
	int rc = tables_parse_prices(&scratch, text, path, err, errlen);
	free(text);
	if (rc == 0)
		rc = pricecache_merge(t, scratch.price, scratch.nprice, err, errlen);
	tables_free(&scratch);
	return rc < 0 ? -1 : 1;
}

/* mkdir -p with mode 0755 for every directory above `path`'s last '/'. */
static int make_parents(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0;
	size_t len = (size_t)(slash - path);
	if (len >= sizeof dir) {
		fmt_msg(err, errlen, "%s: path too long", path);
		return -1;
	}
	memcpy(dir, path, len);
	dir[len] = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
				fmt_msg(err, errlen, "cannot create %s: %s", dir, strerror(errno));
				return -1;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fmt_msg(err, errlen, "%s is not a directory", dir);
		return -1;
	}
	return 0;
}

int pricecache_write(const char *path, const char *text, char *err, size_t errlen)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
		fmt_msg(err, errlen, "%s: path too long", path);
		return -1;
	}
	if (make_parents(path, err, errlen) < 0)
		return -1;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		fmt_msg(err, errlen, "cannot create a file beside %s: %s", path, strerror(errno));
		return -1;
	}
	size_t len = strlen(text), off = 0;
	int saved = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			saved = w < 0 ? errno : EIO;
			break;
		}
		off += (size_t)w;
	}
	/* mkstemp made it 0600: a cache of public prices is for every reader */
	if (!saved && fchmod(fd, 0644) < 0)
		saved = errno;
	if (!saved && fsync(fd) < 0)
		saved = errno;
	if (close(fd) < 0 && !saved)
		saved = errno;
	if (!saved && rename(tmp, path) < 0)
		saved = errno;
	if (saved) {
		unlink(tmp);
		fmt_msg(err, errlen, "cannot write %s: %s", path, strerror(saved));
		return -1;
	}
	return 0;
}
