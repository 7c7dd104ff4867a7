/* promtext.c - streaming Prometheus text / OpenMetrics parser; see promtext.h.
 *
 * The body is cut into lines as it arrives. A line that lies whole inside
 * the chunk being fed is parsed where it is (no copy); only a line split
 * across chunks is assembled in the line buffer, which never grows past
 * PROMTEXT_MAX_LINE. Each line is parsed on its own: its metric name first,
 * and the rest only when a selector wants that name (or validate_all is on).
 * Unescaped names and values of one line go to a scratch buffer that is at
 * least as long as the line, so parsing never allocates per sample.
 *
 * The rules follow the reference (shared/reference/prometheus.md, sections 1,
 * 2 and 8), i.e. what Prometheus' expfmt and OpenMetrics parsers accept, with
 * the tolerances it recommends: CRLF, a missing final newline (a warning),
 * trailing blanks. */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/promtext.h"

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* Bytes of family names (and units) remembered per body, besides the count
 * limit PROMTEXT_MAX_FAMILIES: a hostile body cannot make us hold more. */
#define MAX_NAME_BYTES (8u << 20)

/* Room for one sanitized excerpt of the input in a message. */
#define SNIP_IN  40
#define SNIP_MAX (SNIP_IN * 4 + 8)

enum { F_HELP = 1, F_TYPE = 2, F_UNIT = 4, F_SAMPLES = 8 };

struct family {
	uint32_t name_off, name_len;    /* in names[], NUL-terminated */
	uint32_t unit_off, unit_len;    /* unit_len 0: no unit */
	uint32_t hash;
	uint8_t type;                   /* enum promtext_type */
	uint8_t flags;                  /* F_* */
};

struct matcher {
	char *label;
	size_t label_len;
	enum promtext_op op;
	char *value;
	size_t value_len;
	bool has_re;
	regex_t re;
};

struct selector {
	char *metric;           /* NULL: any metric */
	size_t metric_len;
	struct matcher *m;
	size_t n;
	int next;               /* next selector in the same chain, -1 at the end */
};

struct promtext {
	enum promtext_format fmt;
	promtext_sample_fn fn;
	void *user;
	bool validate_all;

	/* selectors, and name -> first selector of that name (chained by next) */
	struct selector *sel;
	size_t nsel, sel_cap;
	int *selhash;           /* slots hold index + 1, 0 = empty */
	size_t selhash_cap;
	int any_head;           /* chain of selectors without a metric name */

	/* body state */
	bool started, finished, failed, eof_seen;
	uint64_t lineno;
	struct promtext_stats st;
	char err[320];
	char warn[320];

	char *line;             /* a line split across chunks */
	size_t line_len, line_cap;
	char *scratch;          /* unescaped strings of the current line */
	size_t sp, scratch_cap;
	struct promtext_label *lab;
	size_t nlab, lab_cap;
	struct promtext_label *sorted;  /* copy for the duplicate check */
	size_t sorted_cap;
	char *num;              /* a number handed to strtod */
	size_t num_cap;

	/* metric families of this body */
	struct family *fam;
	size_t nfam, fam_cap;
	uint32_t *famhash;      /* slots hold index + 1, 0 = empty */
	size_t famhash_cap;
	char *names;
	size_t names_len, names_cap;

	/* the last sample name seen, and what it resolved to */
	char *cname;
	size_t cname_len, cname_cap;
	bool cvalid;
	uint32_t cfam;
	int chead;
};

/* ---- small helpers --------------------------------------------------------- */

/* Byte classes of the exposition grammar (ASCII only, never the locale's). */
enum { C_NAME0 = 1, C_NAME = 2, C_LABEL0 = 4, C_LABEL = 8, C_BLANK = 16 };
static const unsigned char cls[256] = {
	 0,  0,  0,  0,  0,  0,  0,  0,  0, 16,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	16,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	10, 10, 10, 10, 10, 10, 10, 10, 10, 10,  3,  0,  0,  0,  0,  0,
	 0, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
	15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,  0,  0,  0,  0, 15,
	 0, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
	15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
};

static bool is_blank(char c) { return cls[(unsigned char)c] & C_BLANK; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_name_start(char c) { return cls[(unsigned char)c] & C_NAME0; }
static bool is_name_char(char c) { return cls[(unsigned char)c] & C_NAME; }
static bool is_label_start(char c) { return cls[(unsigned char)c] & C_LABEL0; }
static bool is_label_char(char c) { return cls[(unsigned char)c] & C_LABEL; }

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* s[0..n) equals the lower-case word w, ignoring ASCII case (not locale case:
 * a Turkish locale must not change what "INF" means). */
static bool word_nocase(const char *s, size_t n, const char *w)
{
	size_t i;

	if (strlen(w) != n)
		return false;
	for (i = 0; i < n; i++)
		if (ascii_lower(s[i]) != w[i])
			return false;
	return true;
}

static bool word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

static const char *skip_blanks(const char *c, const char *e)
{
	while (c < e && is_blank(*c))
		c++;
	return c;
}

static const char *token_end(const char *c, const char *e)
{
	while (c < e && !is_blank(*c))
		c++;
	return c;
}

/* An excerpt of the input fit for a message and a terminal: printable ASCII
 * as is, anything else (control bytes, escape sequences, UTF-8, quotes) as
 * \xNN, at most SNIP_IN input bytes. */
static const char *snip(char out[SNIP_MAX], const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < n && i < SNIP_IN; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* A fast hash for the name tables, 8 bytes at a time. */
static uint32_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (n) {
		w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	}
	h ^= h >> 29;
	h *= 0x94d049bb133111ebull;
	return (uint32_t)(h ^ (h >> 32));
}

/* Grows *cap (in elements of size elem) to at least need; returns the new
 * block, or NULL (old block untouched) when out of memory. */
static void *grow_to(void *buf, size_t *cap, size_t need, size_t elem)
{
	size_t nc = *cap ? *cap : 16;
	void *nb;

	while (nc < need) {
		if (nc > SIZE_MAX / 2 / elem)
			return NULL;
		nc *= 2;
	}
	nb = realloc(buf, nc * elem);
	if (nb)
		*cap = nc;
	return nb;
}

/* ---- errors ------------------------------------------------------------------ */

PRINTF_LIKE(4, 0)
static void vmsg(char *buf, size_t size, uint64_t line, const char *fmt, va_list ap)
{
	int n = 0;

	if (line > 0)
		n = snprintf(buf, size, "line %llu: ", (unsigned long long)line);
	if (n < 0 || (size_t)n >= size)
		n = 0;
	if (vsnprintf(buf + n, size - (size_t)n, fmt, ap) < 0)
		buf[n] = '\0';
}

/* The body has an error at the current line: note it, deliver nothing more. */
PRINTF_LIKE(2, 3)
static int fail(struct promtext *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return -1;
	p->failed = true;
	va_start(ap, fmt);
	vmsg(p->err, sizeof p->err, p->lineno ? p->lineno : 1, fmt, ap);
	va_end(ap);
	return -1;
}

/* A call was wrong (selector, order of calls); the body is not affected. */
PRINTF_LIKE(2, 3)
static int setup_fail(struct promtext *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(p->err, sizeof p->err, 0, fmt, ap);
	va_end(ap);
	return -1;
}

PRINTF_LIKE(2, 3)
static void warn(struct promtext *p, const char *fmt, ...)
{
	va_list ap;

	p->st.warnings++;
	if (p->warn[0])
		return;
	va_start(ap, fmt);
	vmsg(p->warn, sizeof p->warn, p->lineno, fmt, ap);
	va_end(ap);
}

static int oom(struct promtext *p) { return fail(p, "out of memory"); }

/* ---- numbers ------------------------------------------------------------------ */

static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* strtod on a copy of s[0..n) (already checked to be a plain decimal),
 * with '.' replaced by the locale's decimal point: the program may run with
 * LC_NUMERIC set to a locale that writes "1,5". */
static int slow_float(struct promtext *p, const char *s, size_t n, double *out)
{
	const char *dp = localeconv()->decimal_point;
	size_t dpl = (dp && *dp) ? strlen(dp) : 1;
	size_t i, o = 0;
	char *end;
	double v;

	if (!dp || !*dp)
		dp = ".";
	if (n + dpl + 1 > p->num_cap) {
		char *nb = grow_to(p->num, &p->num_cap, n + dpl + 1, 1);
		if (!nb)
			return oom(p);
		p->num = nb;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			memcpy(p->num + o, dp, dpl);
			o += dpl;
		} else {
			p->num[o++] = s[i];
		}
	}
	p->num[o] = '\0';
	errno = 0;
	v = strtod(p->num, &end);
	if (end != p->num + o)
		return 1;
	if (errno == ERANGE && isinf(v))
		return 1;       /* Go's ParseFloat: out of range is an error */
	*out = v;
	return 0;
}

/* A value (or OpenMetrics timestamp) as Prometheus reads it: Go ParseFloat
 * syntax, i.e. [sign] digits [. digits] [e [sign] digits], or inf, infinity,
 * nan in any case; no hex, no underscores. A sign on NaN only in
 * OpenMetrics (its ABNF allows it, ParseFloat does not). Returns 0, 1 when
 * s is not a number, -1 when out of memory. */
static int parse_float(struct promtext *p, const char *s, size_t n, double *out)
{
	bool om = p->fmt == PROMTEXT_OPENMETRICS;
	bool neg = false, exact = true;
	uint64_t m = 0;
	size_t i = 0, digits = 0;
	long e10 = 0;
	double v;

	if (n == 0)
		return 1;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
	}
	if (i < n && !is_digit(s[i]) && s[i] != '.') {
		const char *t = s + i;
		size_t r = n - i;
		if (word_nocase(t, r, "inf") || word_nocase(t, r, "infinity")) {
			*out = neg ? -INFINITY : INFINITY;
			return 0;
		}
		if (word_nocase(t, r, "nan") && (i == 0 || om)) {
			*out = NAN;
			return 0;
		}
		return 1;
	}
	for (; i < n && is_digit(s[i]); i++, digits++) {
		if (m < 100000000000000000ull)
			m = m * 10 + (uint64_t)(s[i] - '0');
		else
			exact = false;
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && is_digit(s[i]); i++, digits++) {
			if (m < 100000000000000000ull) {
				m = m * 10 + (uint64_t)(s[i] - '0');
				e10--;
			} else {
				exact = false;
			}
		}
	}
	if (digits == 0)
		return 1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		bool eneg = false;
		long ex = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-')) {
			eneg = s[i] == '-';
			i++;
		}
		if (i >= n || !is_digit(s[i]))
			return 1;
		for (; i < n && is_digit(s[i]); i++)
			if (ex < 1000000)
				ex = ex * 10 + (s[i] - '0');
		e10 += eneg ? -ex : ex;
	}
	if (i != n)
		return 1;
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
	/* Exact mantissa and power of ten: one IEEE operation rounds correctly
	 * (Clinger's fast path), which covers what exporters print. */
	if (m == 0 && exact) {
		*out = neg ? -0.0 : 0.0;
		return 0;
	}
	if (exact && m <= (1ull << 53) && e10 >= -22 && e10 <= 22) {
		v = (double)m;
		v = e10 < 0 ? v / pow10_exact[-e10] : v * pow10_exact[e10];
		*out = neg ? -v : v;
		return 0;
	}
#else
	(void)pow10_exact;
	(void)exact;
#endif
	return slow_float(p, s, n, out);
}

/* 0.0.4 timestamp: Go ParseInt(s, 10, 64), milliseconds. */
static bool parse_int64(const char *s, size_t n, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0, lim;
	size_t i = 0;

	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned d;
		if (!is_digit(s[i]))
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return true;
}

/* A timestamp token: ms in 0.0.4, seconds (maybe fractional) in OpenMetrics,
 * returned in ms. Returns 0, 1 when invalid, -1 out of memory. */
static int parse_timestamp(struct promtext *p, const char *s, size_t n, int64_t *ms)
{
	double sec;
	int rc;

	if (p->fmt == PROMTEXT_0_0_4)
		return parse_int64(s, n, ms) ? 0 : 1;
	rc = parse_float(p, s, n, &sec);
	if (rc != 0)
		return rc;
	sec *= 1000.0;
	if (!isfinite(sec) || sec >= 9.2e18 || sec <= -9.2e18)
		return 1;
	/* nearest ms, without libm's llround */
	*ms = (int64_t)(sec < 0 ? sec - 0.5 : sec + 0.5);
	return 0;
}

/* ---- metric families --------------------------------------------------------- */

static bool fam_find(const struct promtext *p, const char *name, size_t n,
                     uint32_t h, uint32_t *idx)
{
	size_t mask, i;

	if (!p->famhash_cap)
		return false;
	mask = p->famhash_cap - 1;
	for (i = h & mask; p->famhash[i]; i = (i + 1) & mask) {
		const struct family *f = &p->fam[p->famhash[i] - 1];
		if (f->hash == h && f->name_len == n &&
		    memcmp(p->names + f->name_off, name, n) == 0) {
			*idx = p->famhash[i] - 1;
			return true;
		}
	}
	return false;
}

/* Copies s[0..n) and a NUL into names[]; returns its offset or -1. */
static long names_add(struct promtext *p, const char *s, size_t n)
{
	size_t off = p->names_len;

	if (p->names_len + n + 1 > MAX_NAME_BYTES) {
		fail(p, "too many metric names (more than %u bytes)", MAX_NAME_BYTES);
		return -1;
	}
	if (p->names_len + n + 1 > p->names_cap) {
		char *nb = grow_to(p->names, &p->names_cap, p->names_len + n + 1, 1);
		if (!nb) {
			oom(p);
			return -1;
		}
		p->names = nb;
	}
	memcpy(p->names + off, s, n);
	p->names[off + n] = '\0';
	p->names_len += n + 1;
	return (long)off;
}

static int fam_add(struct promtext *p, const char *name, size_t n, uint32_t h,
                   uint32_t *idx)
{
	struct family *f;
	long off;
	size_t i, mask;

	if (p->nfam >= PROMTEXT_MAX_FAMILIES)
		return fail(p, "too many metric families (more than %d)",
		            PROMTEXT_MAX_FAMILIES);
	if (p->nfam + 1 > p->fam_cap) {
		struct family *nb = grow_to(p->fam, &p->fam_cap, p->nfam + 1, sizeof *nb);
		if (!nb)
			return oom(p);
		p->fam = nb;
	}
	if ((p->nfam + 1) * 2 > p->famhash_cap) {
		size_t cap = p->famhash_cap ? p->famhash_cap * 2 : 64;
		uint32_t *t = calloc(cap, sizeof *t);
		if (!t)
			return oom(p);
		for (i = 0; i < p->nfam; i++) {
			size_t j = p->fam[i].hash & (cap - 1);
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = (uint32_t)i + 1;
		}
		free(p->famhash);
		p->famhash = t;
		p->famhash_cap = cap;
	}
	off = names_add(p, name, n);
	if (off < 0)
		return -1;
	f = &p->fam[p->nfam];
	memset(f, 0, sizeof *f);
	f->name_off = (uint32_t)off;
	f->name_len = (uint32_t)n;
	f->hash = h;
	f->type = PROMTEXT_TYPE_NONE;
	mask = p->famhash_cap - 1;
	for (i = h & mask; p->famhash[i]; i = (i + 1) & mask)
		;
	p->famhash[i] = (uint32_t)p->nfam + 1;
	*idx = (uint32_t)p->nfam++;
	p->st.families = p->nfam;
	return 0;
}

#define T(x) (1u << PROMTEXT_TYPE_##x)
struct suffix {
	const char *s;
	size_t len;
	unsigned types;         /* family types that own samples with this suffix */
};

static const struct suffix sfx_004[] = {
	{ "_bucket", 7, T(HISTOGRAM) },
	{ "_sum", 4, T(HISTOGRAM) | T(SUMMARY) },
	{ "_count", 6, T(HISTOGRAM) | T(SUMMARY) },
	{ NULL, 0, 0 }
};

static const struct suffix sfx_om[] = {
	{ "_total", 6, T(COUNTER) },
	{ "_created", 8, T(COUNTER) | T(HISTOGRAM) | T(SUMMARY) },
	{ "_bucket", 7, T(HISTOGRAM) | T(GAUGEHISTOGRAM) },
	{ "_sum", 4, T(HISTOGRAM) | T(SUMMARY) },
	{ "_count", 6, T(HISTOGRAM) | T(SUMMARY) },
	{ "_gsum", 5, T(GAUGEHISTOGRAM) },
	{ "_gcount", 7, T(GAUGEHISTOGRAM) },
	{ "_info", 5, T(INFO) },
	{ NULL, 0, 0 }
};
#undef T

/* The family a name belongs to, created when new: the family of that exact
 * name if there is one, else the family the name is a suffixed sample of
 * (x_bucket of histogram x, ...) when TYPE says so, else a new untyped one.
 * Same order as expfmt, so `fake_sum` without a summary `fake` is its own. */
static int fam_resolve(struct promtext *p, const char *name, size_t n, uint32_t h,
                       uint32_t *idx)
{
	const struct suffix *sx = p->fmt == PROMTEXT_OPENMETRICS ? sfx_om : sfx_004;

	if (fam_find(p, name, n, h, idx))
		return 0;
	for (; sx->s; sx++) {
		uint32_t bi;
		if (n <= sx->len || memcmp(name + n - sx->len, sx->s, sx->len) != 0)
			continue;
		if (fam_find(p, name, n - sx->len, hash_bytes(name, n - sx->len), &bi) &&
		    (sx->types & (1u << p->fam[bi].type))) {
			*idx = bi;
			return 0;
		}
		break;          /* a name ends with at most one of the suffixes */
	}
	return fam_add(p, name, n, h, idx);
}

/* ---- selectors ----------------------------------------------------------------- */

static int sel_head(const struct promtext *p, const char *name, size_t n, uint32_t h)
{
	size_t mask, i;

	if (!p->selhash_cap)
		return -1;
	mask = p->selhash_cap - 1;
	for (i = h & mask; p->selhash[i]; i = (i + 1) & mask) {
		const struct selector *s = &p->sel[p->selhash[i] - 1];
		if (s->metric_len == n && memcmp(s->metric, name, n) == 0)
			return p->selhash[i] - 1;
	}
	return -1;
}

/* Rebuilds name -> chain of selectors, chains in index order. */
static int sel_index(struct promtext *p)
{
	size_t cap = 16, i;
	int *t;

	while (cap < p->nsel * 2)
		cap *= 2;
	t = calloc(cap, sizeof *t);
	if (!t)
		return -1;
	free(p->selhash);
	p->selhash = t;
	p->selhash_cap = cap;
	p->any_head = -1;
	for (i = p->nsel; i-- > 0;) {
		struct selector *s = &p->sel[i];
		size_t j;
		if (!s->metric) {
			s->next = p->any_head;
			p->any_head = (int)i;
			continue;
		}
		for (j = hash_bytes(s->metric, s->metric_len) & (cap - 1); t[j]; j = (j + 1) & (cap - 1)) {
			const struct selector *o = &p->sel[t[j] - 1];
			if (o->metric_len == s->metric_len &&
			    memcmp(o->metric, s->metric, s->metric_len) == 0)
				break;
		}
		s->next = t[j] ? t[j] - 1 : -1;
		t[j] = (int)i + 1;
	}
	return 0;
}

static void sel_clear(struct selector *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->m[i].label);
		free(s->m[i].value);
		if (s->m[i].has_re)
			regfree(&s->m[i].re);
	}
	free(s->m);
	free(s->metric);
	memset(s, 0, sizeof *s);
}

static char *dup_str(const char *s, size_t *len)
{
	size_t n = strlen(s);
	char *d = malloc(n + 1);

	if (d)
		memcpy(d, s, n + 1);
	*len = n;
	return d;
}

int promtext_add_selector(struct promtext *p, const char *metric,
                          const struct promtext_matcher *m, size_t n)
{
	struct selector s;
	size_t i;
	int rc;

	if (p->started)
		return setup_fail(p, "selectors must be added before feeding a body");
	if (n > 0 && !m)
		return setup_fail(p, "selector: matchers missing");
	if (p->nsel >= 4096)
		return setup_fail(p, "too many selectors");
	/* `{__name__="x"}` is the selector for x: index it by name, or every
	 * sample would have to be parsed in full. */
	if (!metric || !*metric) {
		metric = NULL;
		for (i = 0; i < n; i++)
			if (m[i].label && strcmp(m[i].label, "__name__") == 0 &&
			    m[i].op == PROMTEXT_EQ && m[i].value)
				metric = m[i].value;
		if (metric && !*metric)
			metric = NULL;
	}
	memset(&s, 0, sizeof s);
	s.next = -1;
	if (metric && !(s.metric = dup_str(metric, &s.metric_len)))
		goto nomem;
	if (n > 0 && !(s.m = calloc(n, sizeof *s.m)))
		goto nomem;
	for (i = 0; i < n; i++) {
		struct matcher *d = &s.m[i];
		if (!m[i].label || !*m[i].label || !m[i].value) {
			sel_clear(&s);
			return setup_fail(p, "selector: matcher %zu has no label name or value", i + 1);
		}
		if (m[i].op != PROMTEXT_EQ && m[i].op != PROMTEXT_NE &&
		    m[i].op != PROMTEXT_RE && m[i].op != PROMTEXT_NRE) {
			sel_clear(&s);
			return setup_fail(p, "selector: matcher %zu has an unknown operator", i + 1);
		}
		s.n = i + 1;
		d->op = m[i].op;
		if (!(d->label = dup_str(m[i].label, &d->label_len)) ||
		    !(d->value = dup_str(m[i].value, &d->value_len)))
			goto nomem;
		if (d->op == PROMTEXT_RE || d->op == PROMTEXT_NRE) {
			/* No REG_NOSUB: the match extent tells whether the whole
			 * value matched (see value_matches). */
			rc = regcomp(&d->re, d->value, REG_EXTENDED);
			if (rc != 0) {
				char why[128], q[SNIP_MAX];
				regerror(rc, &d->re, why, sizeof why);
				snip(q, d->value, d->value_len);
				sel_clear(&s);
				return setup_fail(p, "selector: bad regex \"%s\": %s", q, why);
			}
			d->has_re = true;
		}
	}
	if (p->nsel + 1 > p->sel_cap) {
		struct selector *nb = grow_to(p->sel, &p->sel_cap, p->nsel + 1, sizeof *nb);
		if (!nb)
			goto nomem;
		p->sel = nb;
	}
	p->sel[p->nsel++] = s;
	if (sel_index(p) != 0) {
		sel_clear(&p->sel[--p->nsel]);
		return setup_fail(p, "out of memory");
	}
	p->cvalid = false;
	return (int)p->nsel - 1;
nomem:
	sel_clear(&s);
	return setup_fail(p, "out of memory");
}

/* A quoted string of selector text (PromQL: "...", '...' or `raw`) into a
 * new string. */
static char *sel_string(const char **sp, const char **why)
{
	const char *s = *sp;
	char q = *s++;
	size_t n = 0;
	char *out = malloc(strlen(s) + 1);

	if (!out) {
		*why = "out of memory";
		return NULL;
	}
	for (;;) {
		char c = *s++;
		if (c == '\0') {
			*why = "unterminated string";
			free(out);
			return NULL;
		}
		if (c == q)
			break;
		if (c == '\\' && q != '`') {
			c = *s++;
			switch (c) {
			case '\\': case '"': case '\'': break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			default:
				*why = "unsupported escape sequence in string";
				free(out);
				return NULL;
			}
		}
		out[n++] = c;
	}
	out[n] = '\0';
	*sp = s;
	return out;
}

static const char *sel_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

int promtext_add_selector_str(struct promtext *p, const char *text)
{
	const char *s = text, *why = NULL;
	char *name = NULL;
	struct promtext_matcher *m = NULL;
	size_t n = 0, cap = 0, i;
	int rc = -1;

	if (!text)
		return setup_fail(p, "selector: missing");
	s = sel_spaces(s);
	if (is_name_start(*s)) {
		const char *b = s;
		while (is_name_char(*s))
			s++;
		if (!(name = malloc((size_t)(s - b) + 1))) {
			why = "out of memory";
			goto out;
		}
		memcpy(name, b, (size_t)(s - b));
		name[s - b] = '\0';
		s = sel_spaces(s);
	}
	if (*s == '{') {
		s = sel_spaces(s + 1);
		while (*s != '}') {
			char *label = NULL, *value = NULL;
			enum promtext_op op;
			bool quoted = false;
			if (is_label_start(*s)) {
				const char *b = s;
				while (is_label_char(*s))
					s++;
				if (!(label = malloc((size_t)(s - b) + 1))) {
					why = "out of memory";
					goto out;
				}
				memcpy(label, b, (size_t)(s - b));
				label[s - b] = '\0';
			} else if (*s == '"' || *s == '\'' || *s == '`') {
				if (!(label = sel_string(&s, &why)))
					goto out;
				quoted = true;
			} else {
				why = "expected a label name";
				goto out;
			}
			s = sel_spaces(s);
			if (s[0] == '=' && s[1] == '~') { op = PROMTEXT_RE; s += 2; }
			else if (s[0] == '!' && s[1] == '~') { op = PROMTEXT_NRE; s += 2; }
			else if (s[0] == '!' && s[1] == '=') { op = PROMTEXT_NE; s += 2; }
			else if (s[0] == '=') { op = PROMTEXT_EQ; s += 1; }
			else if (quoted && !name && n == 0 && (*s == ',' || *s == '}')) {
				name = label;   /* {"my.metric", ...}: the quoted name */
				if (*s == ',')
					s = sel_spaces(s + 1);
				continue;
			} else {
				free(label);
				why = "expected =, !=, =~ or !~ after the label name";
				goto out;
			}
			s = sel_spaces(s);
			if (*s != '"' && *s != '\'' && *s != '`') {
				free(label);
				why = "expected a quoted label value";
				goto out;
			}
			if (!(value = sel_string(&s, &why))) {
				free(label);
				goto out;
			}
			if (n + 1 > cap) {
				struct promtext_matcher *nb = grow_to(m, &cap, n + 1, sizeof *nb);
				if (!nb) {
					free(label);
					free(value);
					why = "out of memory";
					goto out;
				}
				m = nb;
			}
			m[n].label = label;
			m[n].op = op;
			m[n].value = value;
			n++;
			s = sel_spaces(s);
			if (*s == ',')
				s = sel_spaces(s + 1);
			else if (*s != '}') {
				why = "expected ',' or '}'";
				goto out;
			}
		}
		s = sel_spaces(s + 1);
	}
	if (*s != '\0') {
		why = "unexpected text";
		goto out;
	}
	if (!name && n == 0) {
		why = "empty selector";
		goto out;
	}
	rc = promtext_add_selector(p, name, m, n);
out:
	if (why) {
		char q[SNIP_MAX];
		rc = setup_fail(p, "selector \"%s\": %s", snip(q, text, strlen(text)), why);
	}
	for (i = 0; i < n; i++) {
		free((char *)m[i].label);
		free((char *)m[i].value);
	}
	free(m);
	free(name);
	return rc;
}

/* The value of a label (length in *len), "" when absent; __name__ is the
 * metric name. */
static const char *label_get(const struct promtext_labels *L, const char *name,
                             size_t nlen, size_t *len)
{
	size_t i;

	if (nlen == 8 && memcmp(name, "__name__", 8) == 0) {
		*len = L->metric_len;
		return L->metric;
	}
	for (i = 0; i < L->n; i++) {
		if (L->label[i].name_len == nlen && memcmp(L->label[i].name, name, nlen) == 0) {
			*len = L->label[i].value_len;
			return L->label[i].value;
		}
	}
	*len = 0;
	return "";
}

/* Anchored like Prometheus: POSIX regexec finds the leftmost-longest match,
 * so the whole value matches iff that match spans it. A value with a NUL
 * byte inside cannot be given to regexec whole; it matches nothing. */
static bool value_matches(const regex_t *re, const char *v, size_t len)
{
	regmatch_t m[1];

	if (strlen(v) != len)
		return false;
	if (regexec(re, v, 1, m, 0) != 0)
		return false;
	return m[0].rm_so == 0 && (size_t)m[0].rm_eo == len;
}

static bool sel_match(const struct selector *s, const struct promtext_labels *L)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct matcher *m = &s->m[i];
		size_t len;
		const char *v = label_get(L, m->label, m->label_len, &len);
		bool ok;
		switch (m->op) {
		case PROMTEXT_EQ:
		case PROMTEXT_NE:
			ok = len == m->value_len && memcmp(v, m->value, len) == 0;
			break;
		default:
			ok = value_matches(&m->re, v, len);
			break;
		}
		if (m->op == PROMTEXT_NE || m->op == PROMTEXT_NRE)
			ok = !ok;
		if (!ok)
			return false;
	}
	return true;
}

/* ---- lines ---------------------------------------------------------------------- */

/* A "quoted string" starting at *cp (on the quote), unescaped into scratch.
 * 0.0.4 knows \\ \" \n and nothing else; OpenMetrics keeps any other
 * backslash pair as written, like Prometheus does. */
static int read_quoted(struct promtext *p, const char **cp, const char *e,
                       const char **out, size_t *outlen, const char *what)
{
	const char *c = *cp + 1;
	char *start = p->scratch + p->sp, *o = start;

	for (;;) {
		char ch;
		/* values are short: one pass that copies as it looks */
		while (c < e && *c != '"' && *c != '\\')
			*o++ = *c++;
		if (c >= e)
			return fail(p, "missing closing '\"' in %s", what);
		if (*c++ == '"')
			break;
		if (c >= e)
			return fail(p, "missing closing '\"' in %s", what);
		ch = *c++;
		switch (ch) {
		case '\\': *o++ = '\\'; break;
		case '"': *o++ = '"'; break;
		case 'n': *o++ = '\n'; break;
		default:
			if (p->fmt == PROMTEXT_OPENMETRICS) {
				*o++ = '\\';
				c--;    /* the next byte is read again as a plain one */
			} else {
				char q2[SNIP_MAX];
				return fail(p, "invalid escape sequence '\\%s' in %s",
				            snip(q2, &ch, 1), what);
			}
		}
	}
	*o = '\0';
	*out = start;
	*outlen = (size_t)(o - start);
	p->sp += (size_t)(o - start) + 1;
	*cp = c;
	return 0;
}

/* Copies an unquoted name into scratch so that it is NUL-terminated. */
static const char *scratch_copy(struct promtext *p, const char *s, size_t n)
{
	char *d = p->scratch + p->sp;

	memcpy(d, s, n);
	d[n] = '\0';
	p->sp += n + 1;
	return d;
}

static int push_label(struct promtext *p, const char *name, size_t nl,
                      const char *value, size_t vl)
{
	struct promtext_label *l;

	if (p->nlab + 1 > p->lab_cap) {
		struct promtext_label *nb = grow_to(p->lab, &p->lab_cap, p->nlab + 1, sizeof *nb);
		if (!nb)
			return oom(p);
		p->lab = nb;
	}
	l = &p->lab[p->nlab++];
	l->name = name;
	l->name_len = nl;
	l->value = value;
	l->value_len = vl;
	return 0;
}

/* Label pairs after the '{' at *cp, through the closing '}'. keep: record
 * them as the sample's labels (exemplar labels are only checked). */
static int parse_labels(struct promtext *p, const char **cp, const char *e, bool keep)
{
	const char *c = *cp;
	char q[SNIP_MAX];

	for (;;) {
		const char *name, *value;
		size_t nl, vl;

		c = skip_blanks(c, e);
		if (c >= e)
			return fail(p, "unexpected end of line in label set");
		if (*c == '}') {
			c++;
			break;
		}
		if (is_label_start(*c)) {
			const char *b = c;
			while (c < e && is_label_char(*c))
				c++;
			nl = (size_t)(c - b);
			name = scratch_copy(p, b, nl);
		} else if (*c == '"') {
			if (read_quoted(p, &c, e, &name, &nl, "label name") != 0)
				return -1;
			if (nl == 0)
				return fail(p, "empty label name");
		} else {
			return fail(p, "invalid label name starting with \"%s\"", snip(q, c, 1));
		}
		c = skip_blanks(c, e);
		if (c >= e || *c != '=')
			return fail(p, "expected '=' after label name \"%s\"", snip(q, name, nl));
		c = skip_blanks(c + 1, e);
		if (c >= e || *c != '"')
			return fail(p, "expected '\"' to start the value of label \"%s\"",
			            snip(q, name, nl));
		if (read_quoted(p, &c, e, &value, &vl, "label value") != 0)
			return -1;
		if (keep) {
			if (nl == 8 && memcmp(name, "__name__", 8) == 0)
				return fail(p, "label name \"__name__\" is reserved");
			if (push_label(p, name, nl, value, vl) != 0)
				return -1;
		}
		c = skip_blanks(c, e);
		if (c < e && *c == ',') {
			c++;
			continue;
		}
		if (c < e && *c == '}') {
			c++;
			break;
		}
		return fail(p, "expected ',' or '}' after the value of label \"%s\"",
		            snip(q, name, nl));
	}
	*cp = c;
	return 0;
}

static int cmp_label(const void *a, const void *b)
{
	const struct promtext_label *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int r = memcmp(x->name, y->name, n);

	if (r)
		return r;
	return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static int check_duplicates(struct promtext *p)
{
	const struct promtext_label *l = p->lab;
	size_t i, j;
	char q[SNIP_MAX];

	if (p->nlab <= 32) {
		for (i = 1; i < p->nlab; i++)
			for (j = 0; j < i; j++)
				if (l[i].name_len == l[j].name_len && l[i].name[0] == l[j].name[0] &&
				    memcmp(l[i].name, l[j].name, l[i].name_len) == 0)
					return fail(p, "duplicate label name \"%s\"",
					            snip(q, l[i].name, l[i].name_len));
		return 0;
	}
	/* many labels: sort a copy rather than compare every pair */
	if (p->nlab > p->sorted_cap) {
		struct promtext_label *nb = grow_to(p->sorted, &p->sorted_cap, p->nlab, sizeof *nb);
		if (!nb)
			return oom(p);
		p->sorted = nb;
	}
	memcpy(p->sorted, l, p->nlab * sizeof *l);
	qsort(p->sorted, p->nlab, sizeof *p->sorted, cmp_label);
	for (i = 1; i < p->nlab; i++)
		if (cmp_label(&p->sorted[i], &p->sorted[i - 1]) == 0)
			return fail(p, "duplicate label name \"%s\"",
			            snip(q, p->sorted[i].name, p->sorted[i].name_len));
	return 0;
}

/* le in a histogram family, quantile in a summary family: must be numbers,
 * on any sample of the family (like expfmt, which takes them apart). */
static int check_special_label(struct promtext *p, const struct family *f)
{
	const char *want, *v;
	size_t i, wl;
	double d;
	char q[SNIP_MAX];

	if (f->type == PROMTEXT_TYPE_HISTOGRAM || f->type == PROMTEXT_TYPE_GAUGEHISTOGRAM)
		want = "le";
	else if (f->type == PROMTEXT_TYPE_SUMMARY)
		want = "quantile";
	else
		return 0;
	wl = strlen(want);
	for (i = 0; i < p->nlab; i++) {
		int rc;
		if (p->lab[i].name_len != wl || memcmp(p->lab[i].name, want, wl) != 0)
			continue;
		v = p->lab[i].value;
		rc = parse_float(p, v, p->lab[i].value_len, &d);
		if (rc < 0)
			return -1;
		if (rc > 0)
			return fail(p, "expected a number as value of label \"%s\", got \"%s\"",
			            want, snip(q, v, p->lab[i].value_len));
	}
	return 0;
}

/* The family and selectors of a sample name, from the cache when the name
 * is the one of the previous sample (the usual case: families are grouped). */
static int lookup_name(struct promtext *p, const char *name, size_t n)
{
	uint32_t fi, h;

	if (p->cvalid && n == p->cname_len && memcmp(name, p->cname, n) == 0)
		return 0;
	p->cvalid = false;
	if (n + 1 > p->cname_cap) {
		char *nb = grow_to(p->cname, &p->cname_cap, n + 1, 1);
		if (!nb)
			return oom(p);
		p->cname = nb;
	}
	memcpy(p->cname, name, n);
	p->cname[n] = '\0';
	p->cname_len = n;
	h = hash_bytes(name, n);
	if (fam_resolve(p, p->cname, n, h, &fi) != 0)
		return -1;
	p->fam[fi].flags |= F_SAMPLES;
	p->cfam = fi;
	p->chead = sel_head(p, p->cname, n, h);
	p->cvalid = true;
	return 0;
}

static int deliver(struct promtext *p, double v, bool has_ts, int64_t ts)
{
	const struct family *f = &p->fam[p->cfam];
	struct promtext_labels L;
	int a = p->chead, b = p->any_head;
	bool any = false;

	L.metric = p->cname;
	L.metric_len = p->cname_len;
	L.family = p->names + f->name_off;
	L.family_len = f->name_len;
	L.type = (enum promtext_type)f->type;
	L.unit = f->unit_len ? p->names + f->unit_off : "";
	L.n = p->nlab;
	L.label = p->lab;
	while (a >= 0 || b >= 0) {
		int i;
		if (b < 0 || (a >= 0 && a < b)) {
			i = a;
			a = p->sel[a].next;
		} else {
			i = b;
			b = p->sel[b].next;
		}
		if (!sel_match(&p->sel[i], &L))
			continue;
		if (!any) {
			any = true;
			p->st.matched++;
		}
		p->st.delivered++;
		if (p->fn && p->fn(i, &L, v, has_ts, ts, p->user) != 0)
			return fail(p, "stopped by the caller");
	}
	return 0;
}

static int do_sample(struct promtext *p, const char *c, const char *e)
{
	bool om = p->fmt == PROMTEXT_OPENMETRICS;
	bool legacy, in_braces = false, has_ts = false;
	const char *name, *tok;
	size_t nlen;
	double v;
	int64_t ts = 0;
	int rc;
	char q[SNIP_MAX];

	p->st.samples++;
	if (is_name_start(*c)) {
		legacy = true;
		name = c;
		while (c < e && is_name_char(*c))
			c++;
		nlen = (size_t)(c - name);
		if (c >= e)
			return fail(p, "expected a value after metric name \"%s\"", snip(q, name, nlen));
		if (!is_blank(*c) && *c != '{') {
			char q2[SNIP_MAX];
			return fail(p, "unexpected \"%s\" after metric name \"%s\"",
			            snip(q, c, 1), snip(q2, name, nlen));
		}
	} else if (*c == '{') {
		/* Prometheus 3: {"quoted.name", labels...} */
		legacy = false;
		c = skip_blanks(c + 1, e);
		if (c >= e || *c != '"')
			return fail(p, "metric name missing");
		if (read_quoted(p, &c, e, &name, &nlen, "metric name") != 0)
			return -1;
		c = skip_blanks(c, e);
		if (c < e && *c == ',')
			in_braces = true;
		else if (c >= e || *c != '}')
			return fail(p, "metric name missing");
		c++;
		if (nlen == 0)
			return fail(p, "empty metric name");
	} else {
		return fail(p, "invalid metric name starting with \"%s\"", snip(q, c, 1));
	}

	if (lookup_name(p, name, nlen) != 0)
		return -1;
	if (p->chead < 0 && p->any_head < 0 && !p->validate_all)
		return 0;       /* nobody asked: skip the rest of the line */

	p->nlab = 0;
	if (legacy) {
		c = skip_blanks(c, e);
		if (c < e && *c == '{') {
			c++;
			if (parse_labels(p, &c, e, true) != 0)
				return -1;
		}
	} else if (in_braces) {
		if (parse_labels(p, &c, e, true) != 0)
			return -1;
	}

	c = skip_blanks(c, e);
	tok = c;
	c = token_end(c, e);
	if (tok == c)
		return fail(p, "expected a value after metric name \"%s\"",
		            snip(q, p->cname, p->cname_len));
	rc = parse_float(p, tok, (size_t)(c - tok), &v);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return fail(p, "expected a number as value, got \"%s\"", snip(q, tok, (size_t)(c - tok)));
	c = skip_blanks(c, e);
	if (c < e && !(om && *c == '#')) {
		tok = c;
		c = token_end(c, e);
		rc = parse_timestamp(p, tok, (size_t)(c - tok), &ts);
		if (rc < 0)
			return -1;
		if (rc > 0)
			return fail(p, om ? "expected a timestamp in seconds, got \"%s\""
			                  : "expected an integer timestamp in ms, got \"%s\"",
			            snip(q, tok, (size_t)(c - tok)));
		has_ts = true;
		c = skip_blanks(c, e);
	}
	if (c < e && om && *c == '#') {
		/* exemplar: # {labels} value [timestamp]; checked, not kept */
		double ev;
		int64_t ets;
		c = skip_blanks(c + 1, e);
		if (c >= e || *c != '{')
			return fail(p, "expected '{' to start the exemplar's labels");
		c++;
		if (parse_labels(p, &c, e, false) != 0)
			return -1;
		c = skip_blanks(c, e);
		tok = c;
		c = token_end(c, e);
		rc = parse_float(p, tok, (size_t)(c - tok), &ev);
		if (rc < 0)
			return -1;
		if (rc > 0)
			return fail(p, "expected a number as exemplar value, got \"%s\"",
			            snip(q, tok, (size_t)(c - tok)));
		c = skip_blanks(c, e);
		if (c < e) {
			tok = c;
			c = token_end(c, e);
			rc = parse_timestamp(p, tok, (size_t)(c - tok), &ets);
			if (rc < 0)
				return -1;
			if (rc > 0)
				return fail(p, "expected a timestamp in seconds in the exemplar, got \"%s\"",
				            snip(q, tok, (size_t)(c - tok)));
			c = skip_blanks(c, e);
		}
		if (c < e)
			return fail(p, "unexpected \"%s\" after the exemplar", snip(q, c, (size_t)(e - c)));
	}
	if (c < e)
		return fail(p, "unexpected \"%s\" after the %s", snip(q, c, (size_t)(e - c)),
		            has_ts ? "timestamp" : "value");

	if (check_duplicates(p) != 0 ||
	    check_special_label(p, &p->fam[p->cfam]) != 0)
		return -1;
	return deliver(p, v, has_ts, ts);
}

enum keyword { K_OTHER, K_HELP, K_TYPE, K_UNIT, K_EOF };

static const struct {
	const char *name;
	enum promtext_type type;
	bool in_004, in_om;
} types[] = {
	{ "counter", PROMTEXT_TYPE_COUNTER, true, true },
	{ "gauge", PROMTEXT_TYPE_GAUGE, true, true },
	{ "histogram", PROMTEXT_TYPE_HISTOGRAM, true, true },
	{ "summary", PROMTEXT_TYPE_SUMMARY, true, true },
	{ "untyped", PROMTEXT_TYPE_UNTYPED, true, false },
	{ "unknown", PROMTEXT_TYPE_UNKNOWN, false, true },
	{ "info", PROMTEXT_TYPE_INFO, false, true },
	{ "stateset", PROMTEXT_TYPE_STATESET, false, true },
	{ "gaugehistogram", PROMTEXT_TYPE_GAUGEHISTOGRAM, false, true },
};

static int do_comment(struct promtext *p, const char *c, const char *e)
{
	bool om = p->fmt == PROMTEXT_OPENMETRICS;
	enum keyword k = K_OTHER;
	const char *kw, *name;
	size_t kwl, nlen, i, rl;
	struct family *f;
	uint32_t fi;
	char q[SNIP_MAX], q2[SNIP_MAX];

	c = skip_blanks(c + 1, e);
	kw = c;
	c = token_end(c, e);
	kwl = (size_t)(c - kw);
	if (word_is(kw, kwl, "HELP"))
		k = K_HELP;
	else if (word_is(kw, kwl, "TYPE"))
		k = K_TYPE;
	else if (om && word_is(kw, kwl, "UNIT"))
		k = K_UNIT;
	else if (om && word_is(kw, kwl, "EOF"))
		k = K_EOF;
	if (k == K_OTHER) {
		if (om)
			return fail(p, "only # HELP, # TYPE, # UNIT and # EOF comments are "
			               "allowed in OpenMetrics");
		return 0;       /* a plain comment */
	}
	c = skip_blanks(c, e);
	if (k == K_EOF) {
		if (c < e)
			return fail(p, "unexpected text after # EOF");
		p->eof_seen = true;
		return 0;
	}
	if (c >= e)
		return 0;       /* "# HELP" alone: ignored, like expfmt */
	if (is_name_start(*c)) {
		name = c;
		while (c < e && is_name_char(*c))
			c++;
		nlen = (size_t)(c - name);
	} else if (*c == '"') {
		if (read_quoted(p, &c, e, &name, &nlen, "metric name") != 0)
			return -1;
		if (nlen == 0)
			return fail(p, "empty metric name in comment");
	} else {
		return fail(p, "invalid metric name in comment");
	}
	if (c < e && !is_blank(*c))
		return fail(p, "invalid metric name in comment");
	c = skip_blanks(c, e);
	if (c >= e)
		return 0;       /* no text or type: ignored, like expfmt */
	rl = (size_t)(e - c);
	p->cvalid = false;      /* TYPE may change what names resolve to */
	if (fam_resolve(p, name, nlen, hash_bytes(name, nlen), &fi) != 0)
		return -1;
	f = &p->fam[fi];
	switch (k) {
	case K_HELP:
		if (f->flags & F_HELP)
			return fail(p, "second HELP line for metric name \"%s\"", snip(q, name, nlen));
		f->flags |= F_HELP;
		return 0;
	case K_TYPE:
		for (i = 0; i < sizeof types / sizeof types[0]; i++)
			if (om ? (types[i].in_om && word_is(c, rl, types[i].name))
			       : (types[i].in_004 && word_nocase(c, rl, types[i].name)))
				break;
		if (i == sizeof types / sizeof types[0])
			return fail(p, "unknown metric type \"%s\"", snip(q, c, rl));
		if (f->flags & (F_TYPE | F_SAMPLES))
			return fail(p, "second TYPE line for metric name \"%s\", or TYPE "
			               "reported after samples", snip(q, name, nlen));
		f->type = (uint8_t)types[i].type;
		f->flags |= F_TYPE;
		return 0;
	case K_UNIT: {
		long off;
		if (f->flags & F_UNIT)
			return fail(p, "second UNIT line for metric name \"%s\"", snip(q, name, nlen));
		if (token_end(c, e) != e)
			return fail(p, "invalid unit \"%s\"", snip(q, c, rl));
		if (!(nlen > rl + 1 && name[nlen - rl - 1] == '_' &&
		      memcmp(name + nlen - rl, c, rl) == 0))
			return fail(p, "unit \"%s\" is not a suffix of metric name \"%s\"",
			            snip(q, c, rl), snip(q2, name, nlen));
		off = names_add(p, c, rl);
		if (off < 0)
			return -1;
		f = &p->fam[fi];
		f->unit_off = (uint32_t)off;
		f->unit_len = (uint32_t)rl;
		f->flags |= F_UNIT;
		return 0;
	}
	default:
		return 0;
	}
}

/* One line without its '\n'. */
static int process_line(struct promtext *p, const char *s, size_t len)
{
	const char *c = s, *e;

	p->lineno++;
	p->st.lines++;
	if (p->eof_seen)
		return fail(p, "unexpected data after # EOF");
	if (len > 0 && s[len - 1] == '\r')
		len--;          /* CRLF */
	e = s + len;
	while (e > c && is_blank(e[-1]))
		e--;            /* trailing blanks: tolerated (never emitted) */
	c = skip_blanks(c, e);
	if (c == e)
		return 0;
	/* Scratch holds the unescaped strings of this line, never longer than
	 * the line itself plus their NULs. */
	p->sp = 0;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	/* exactly that size, so that AddressSanitizer sees any write past it */
	free(p->scratch);
	p->scratch_cap = 0;
	if (!(p->scratch = malloc(len + 16)))
		return oom(p);
	p->scratch_cap = len + 16;
#else
	if (len + 16 > p->scratch_cap) {
		char *nb = grow_to(p->scratch, &p->scratch_cap, len + 16, 1);
		if (!nb)
			return oom(p);
		p->scratch = nb;
	}
#endif
	if (*c == '#')
		return do_comment(p, c, e);
	return do_sample(p, c, e);
}

static int line_append(struct promtext *p, const char *s, size_t n)
{
	if (n > PROMTEXT_MAX_LINE - p->line_len) {
		p->lineno++;
		return fail(p, "line longer than %d bytes", PROMTEXT_MAX_LINE);
	}
	if (p->line_len + n > p->line_cap) {
		size_t need = p->line_len + n < 4096 ? 4096 : p->line_len + n;
		char *nb = grow_to(p->line, &p->line_cap, need, 1);
		if (!nb)
			return oom(p);
		p->line = nb;
	}
	memcpy(p->line + p->line_len, s, n);
	p->line_len += n;
	return 0;
}

/* ---- public ---------------------------------------------------------------------- */

struct promtext *promtext_new(enum promtext_format format)
{
	struct promtext *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->fmt = format == PROMTEXT_OPENMETRICS ? PROMTEXT_OPENMETRICS : PROMTEXT_0_0_4;
	p->any_head = -1;
	p->chead = -1;
	return p;
}

void promtext_free(struct promtext *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nsel; i++)
		sel_clear(&p->sel[i]);
	free(p->sel);
	free(p->selhash);
	free(p->line);
	free(p->scratch);
	free(p->lab);
	free(p->sorted);
	free(p->num);
	free(p->fam);
	free(p->famhash);
	free(p->names);
	free(p->cname);
	free(p);
}

void promtext_reset(struct promtext *p, enum promtext_format format)
{
	p->fmt = format == PROMTEXT_OPENMETRICS ? PROMTEXT_OPENMETRICS : PROMTEXT_0_0_4;
	p->started = p->finished = p->failed = p->eof_seen = false;
	p->lineno = 0;
	memset(&p->st, 0, sizeof p->st);
	p->err[0] = p->warn[0] = '\0';
	p->line_len = 0;
	p->nfam = 0;
	p->names_len = 0;
	if (p->famhash)
		memset(p->famhash, 0, p->famhash_cap * sizeof *p->famhash);
	p->cvalid = false;
}

void promtext_on_sample(struct promtext *p, promtext_sample_fn fn, void *user)
{
	p->fn = fn;
	p->user = user;
}

void promtext_set_validate_all(struct promtext *p, bool on)
{
	p->validate_all = on;
}

int promtext_feed(struct promtext *p, const void *buf, size_t len)
{
	const char *s = buf, *end;

	if (p->failed)
		return -1;
	if (p->finished)
		return fail(p, "data fed after promtext_finish");
	p->started = true;
	if (len == 0)
		return 0;
	if (!buf)
		return fail(p, "no buffer");
	end = s + len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n;
		int rc;

		if (!nl)
			return line_append(p, s, (size_t)(end - s));
		n = (size_t)(nl - s);
		if (p->line_len) {
			if (line_append(p, s, n) != 0)
				return -1;
			rc = process_line(p, p->line, p->line_len);
			p->line_len = 0;
		} else if (n > PROMTEXT_MAX_LINE) {
			p->lineno++;
			return fail(p, "line longer than %d bytes", PROMTEXT_MAX_LINE);
		} else {
			rc = process_line(p, s, n);
		}
		if (rc != 0)
			return -1;
		s = nl + 1;
	}
	return 0;
}

int promtext_finish(struct promtext *p)
{
	if (p->failed)
		return -1;
	if (p->finished)
		return 0;
	p->started = true;
	p->finished = true;
	if (p->line_len > 0) {
		bool was_eof = p->eof_seen;
		size_t n = p->line_len;
		p->line_len = 0;
		if (process_line(p, p->line, n) != 0)
			return -1;
		/* OpenMetrics: "# EOF" may end without a newline. */
		if (p->fmt == PROMTEXT_0_0_4 || was_eof == p->eof_seen)
			warn(p, "missing final newline");
	}
	if (p->fmt == PROMTEXT_OPENMETRICS && !p->eof_seen) {
		if (p->lineno == 0)
			p->lineno = 1;
		return fail(p, "missing \"# EOF\" at the end of an OpenMetrics body");
	}
	return 0;
}

const char *promtext_error(const struct promtext *p)
{
	return p->err[0] ? p->err : NULL;
}

const char *promtext_warning(const struct promtext *p)
{
	return p->warn[0] ? p->warn : NULL;
}

void promtext_get_stats(const struct promtext *p, struct promtext_stats *out)
{
	*out = p->st;
}

enum promtext_format promtext_format_from_content_type(const char *ct)
{
	static const char om[] = "application/openmetrics-text";
	const char *e;

	if (!ct)
		return PROMTEXT_0_0_4;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	for (e = ct; *e && *e != ';' && *e != ' ' && *e != '\t'; e++)
		;
	if (word_nocase(ct, (size_t)(e - ct), om))
		return PROMTEXT_OPENMETRICS;
	return PROMTEXT_0_0_4;
}

const char *promtext_type_name(enum promtext_type t)
{
	size_t i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].type == t)
			return types[i].name;
	return "";
}

const char *promtext_label_value(const struct promtext_labels *labels, const char *name)
{
	size_t i, n = strlen(name);

	if (n == 8 && memcmp(name, "__name__", 8) == 0)
		return labels->metric;
	for (i = 0; i < labels->n; i++)
		if (labels->label[i].name_len == n && memcmp(labels->label[i].name, name, n) == 0)
			return labels->label[i].value;
	return NULL;
}
