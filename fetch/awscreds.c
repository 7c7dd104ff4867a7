/*
 * awscreds.c - the AWS credential, region and endpoint chain (see
 * awscreds.h for what is looked up where, and in which order).
 *
 * Two halves: resolve() does everything that needs no network, once, in
 * awscreds_new(); the container and IMDS providers then run as small state
 * machines on the shared HTTP driver, started by awscreds_start() and
 * awscreds_tick() and moved on by the driver's done() callbacks.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/format.h"
#include "fetch/awscreds.h"
#include "fetch/http.h"
#include "fetch/source.h"

#define IMDS_V4            "http://169.254.169.254"
#define IMDS_V6            "http://[fd00:ec2::254]"
#define ECS_HOST           "http://169.254.170.2"
#define IMDS_TTL_HEADER    "X-aws-ec2-metadata-token-ttl-seconds: 21600"
#define IMDS_TOKEN_HEADER  "X-aws-ec2-metadata-token: "
#define IMDS_CREDS_PATH    "/latest/meta-data/iam/security-credentials/"
#define IMDS_TIMEOUT       1.0      /* s, each IMDS request, as the SDKs */
#define IMDS_FALLBACK_TIMEOUT 0.25  /* s, v1 requests after a PUT that got no answer */
#define IMDS_TOKEN_MAX     1024
#define CONTAINER_TIMEOUT  2.0      /* s */
#define CONTAINER_AUTH_MAX 16384
#define REPLY_MAX          (64u << 10)  /* bytes, any credentials or metadata reply */
#define FILE_MAX           (1u << 20)   /* bytes, a shared config/credentials file */
#define REFRESH_AHEAD      300.0    /* s before expiry (at most half the lifetime) */
#define RETRY_BASE         15.0     /* s, http_backoff base for failed fetches */
#define MAX_LISTENERS      8
#define NAME_MAX_LEN       256      /* profile and section names, with NUL */

enum provider { CP_NONE, CP_ENV, CP_PROFILE, CP_CONTAINER, CP_IMDS };
enum slot { S_CONTAINER, S_TOKEN, S_ROLES, S_CREDS, S_REGION, S_ITYPE, S_IID, S_COUNT };
enum svc { SVC_CW, SVC_PRICING, SVC_COUNT };

static const struct {
	const char *name;       /* awscreds_endpoint()'s argument and config sub-section */
	const char *env;        /* AWS_ENDPOINT_URL_<service id> */
	const char *signing;    /* SigV4 service name */
} services[SVC_COUNT] = {
	{ "cloudwatch", "AWS_ENDPOINT_URL_CLOUDWATCH", "monitoring" },
	{ "pricing", "AWS_ENDPOINT_URL_PRICING", "pricing" },
};

struct reqslot {
	struct awscreds *c;
	int kind;
	int id;                 /* > 0 while in flight */
};

struct awscreds {
	struct http *h;
	enum provider prov;
	enum awscreds_state state;
	bool started, in_start;

	struct awscreds_value cur;
	bool have;
	double expires_mono;    /* when cur expires (clock_now()); INFINITY: never */
	double next_fetch;      /* next container/IMDS fetch; INFINITY: none due */
	struct http_backoff bo;
	char error[AWSCREDS_ERROR_MAX];
	double expired;         /* when the last credentials expired (wall); 0: they did not */

	char profile[NAME_MAX_LEN];
	char region[64];
	char region_src[NAME_MAX_LEN + 16];
	char itype[64], iid[64];
	char ep[SVC_COUNT][AWSCREDS_URL_MAX];       /* "": the default */
	char ep_src[SVC_COUNT][NAME_MAX_LEN + 64];

	/* container provider */
	char cont_url[AWSCREDS_URL_MAX];
	char cont_auth[CONTAINER_AUTH_MAX];         /* token sent; wiped in done() */

	/* IMDS */
	char imds[AWSCREDS_URL_MAX];                /* base, no trailing '/' */
	bool imds_off, v1_off, v1_sticky;
	bool want_region, want_meta;                /* still to ask IMDS for */
	bool meta_tried;                            /* a region/instance lookup ended */
	char meta_err[AWSCREDS_ERROR_MAX];
	bool cyc_creds, cyc_meta, cyc_v1, cyc_got;  /* the IMDS round in flight */
	double cyc_timeout;
	char cyc_err[AWSCREDS_ERROR_MAX];
	char put_err[HTTP_ERROR_MAX];
	char imds_token[IMDS_TOKEN_MAX];
	char role[128];

	struct reqslot slot[S_COUNT];
	struct {
		awscreds_notify_fn fn;
		void *user;
	} ls[MAX_LISTENERS];
	size_t nls;
};

/* ---- small helpers ------------------------------------------------------- */

/* memset that the compiler may not drop as a dead store */
static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
}

static void wipe_free(char *s)
{
	if (s) {
		wipe(s, strlen(s));
		free(s);
	}
}

/* Control characters would reach the terminal: replace them. */
static void sanitize(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}


/* Overwrites every occurrence of `secret` in buf with '*'. */
static void mask(char *buf, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	if (n < 4)
		return;
	for (char *p = strstr(buf, secret); p; p = strstr(p + n, secret))
		memset(p, '*', n);
}

/* No secret this object holds may survive in a text it hands out. */
static void redact(const struct awscreds *c, char *buf)
{
	mask(buf, c->cur.secret);
	mask(buf, c->cur.token);
	mask(buf, c->cur.akid);
	mask(buf, c->imds_token);
	mask(buf, c->cont_auth);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* 1: "true", 0: anything else, -1: unset (any case, surrounding blanks ok) */
static int bool_value(const char *v)
{
	if (!v)
		return -1;
	while (isspace((unsigned char)*v))
		v++;
	size_t n = strlen(v);
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	return n == 4 && strncasecmp(v, "true", 4) == 0;
}

bool awscreds_imds_disabled(void)
{
	return bool_value(env("AWS_EC2_METADATA_DISABLED")) == 1;
}

static bool copy_str(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);
	if (len >= n)
		return false;
	memcpy(dst, src, len + 1);
	return true;
}

/* What a key id, secret or token may hold: they end up in HTTP headers. */
static bool cred_chars_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

static bool set_cred(char *dst, size_t n, const char *src, const char *what, char *err, size_t errn)
{
	if (!*src || !cred_chars_ok(src)) {
		fmt_msg(err, errn, "%s is empty or holds characters a credential cannot have", what);
		return false;
	}
	if (!copy_str(dst, n, src)) {
		fmt_msg(err, errn, "%s is too long (over %zu bytes)", what, n - 1);
		return false;
	}
	return true;
}

static bool region_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= 64 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return false;
	return true;
}

/* instance type "inf2.xlarge", instance id "i-0abc...": short and plain */
static bool meta_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n >= max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

/* IAM role names: [\w+=,.@-]{1,64} */
static bool role_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || strchr("_+=,.@-", s[i])))
			return false;
	return true;
}

/* ---- RFC 3339 times -------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* "2026-11-20T12:34:56Z", fractions and +HH:MM offsets allowed. */
static bool parse_rfc3339(const char *s, double *out)
{
	const char *p = s;
	int Y, M, D, h, m, sec;
	if (!digits(&p, 4, &Y) || *p++ != '-' || !digits(&p, 2, &M) || *p++ != '-' ||
	    !digits(&p, 2, &D))
		return false;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return false;
	p++;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &m) || *p++ != ':' ||
	    !digits(&p, 2, &sec))
		return false;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return false;
	double frac = 0;
	if (*p == '.') {
		double scale = 0.1;
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p)) {
			frac += (*p++ - '0') * scale;
			scale /= 10;
		}
	}
	int off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;
		if (!digits(&p, 2, &oh))
			return false;
		if (*p == ':')
			p++;
		if (!digits(&p, 2, &om) || oh > 23 || om > 59)
			return false;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return false;
	}
	if (*p)
		return false;
	int64_t t = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec - off;
	*out = (double)t + frac;
	return true;
}

/* "12:34:56 UTC" (today) or "2026-11-20 12:34 UTC" */
static void fmt_time(char *buf, size_t n, double t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm)) {
		snprintf(buf, n, "?");
		return;
	}
	strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void fmt_span(char *buf, size_t n, double s)
{
	if (s < 120)
		snprintf(buf, n, "%.0f s", s < 0 ? 0 : s);
	else if (s < 7200)
		snprintf(buf, n, "%.0f min", floor(s / 60));
	else
		snprintf(buf, n, "%.0f h %.0f min", floor(s / 3600), floor(fmod(s, 3600) / 60));
}

/* ---- URLs ------------------------------------------------------------------ */

/* An http(s) URL with a host and nothing a header or a terminal could choke
 * on, copied to out (with "/" appended when it has no path; or with any
 * trailing "/" removed when strip_slash).  The URL is never quoted in the
 * message: it might carry a password. */
static bool check_url(const char *what, const char *url, bool strip_slash, char *out, size_t n,
                      char *err, size_t errn)
{
	size_t skip = strncasecmp(url, "http://", 7) == 0 ? 7 : strncasecmp(url, "https://", 8) == 0 ? 8 : 0;
	if (skip == 0) {
		fmt_msg(err, errn, "%s is not an http:// or https:// URL", what);
		return false;
	}
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p == 0x7f) {
			fmt_msg(err, errn, "%s holds spaces or control characters", what);
			return false;
		}
	const char *host = url + skip;
	if (!*host || *host == '/' || *host == '?' || *host == '#' || *host == ':') {
		fmt_msg(err, errn, "%s has no host", what);
		return false;
	}
	size_t len = strlen(url);
	bool has_path = strpbrk(host, "/?#") != NULL;
	if (len + 2 > n) {
		fmt_msg(err, errn, "%s is too long", what);
		return false;
	}
	memcpy(out, url, len + 1);
	if (strip_slash) {
		while (len > skip && out[len - 1] == '/')
			out[--len] = '\0';
	} else if (!has_path) {
		out[len] = '/';
		out[len + 1] = '\0';
	}
	return true;
}

/* AWS_CONTAINER_CREDENTIALS_FULL_URI: https anywhere; plain http only to
 * the hosts the SDKs allow (loopback, the ECS and EKS agents). */
static bool container_host_ok(const char *url)
{
	if (strncasecmp(url, "https://", 8) == 0)
		return true;
	const char *a = url + 7;
	size_t alen = strcspn(a, "/?#");
	if (memchr(a, '@', alen))
		return false;
	char host[128];
	size_t hlen;
	if (a[0] == '[') {
		const char *close = memchr(a, ']', alen);
		if (!close)
			return false;
		hlen = (size_t)(close - a) + 1;
	} else {
		hlen = strcspn(a, ":/?#");
	}
	if (hlen == 0 || hlen >= sizeof host)
		return false;
	memcpy(host, a, hlen);
	host[hlen] = '\0';
	static const char *const allowed[] = {
		"localhost", "169.254.170.2", "169.254.170.23", "[::1]", "[fd00:ec2::23]",
	};
	for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
		if (strcasecmp(host, allowed[i]) == 0)
			return true;
	struct in_addr in;
	if (inet_pton(AF_INET, host, &in) == 1)
		return (ntohl(in.s_addr) >> 24) == 127;
	return false;
}

/* ---- the shared config and credentials files ------------------------------- */

enum ini_file { F_CONFIG, F_CREDS };
enum ini_kind { K_PROFILE, K_SERVICES, K_OTHER, K_IGNORED };

struct ini_ent {
	char *name;             /* profile or services name */
	char *key;              /* "key" or "sub.key"; NULL for the [header] */
	char *val;              /* wiped when freed: may be a secret */
	unsigned char kind, file;
};

struct ini {
	struct ini_ent *e;
	size_t n, cap;
	char path[2][PATH_MAX];
};

static void ini_free(struct ini *ini)
{
	for (size_t i = 0; i < ini->n; i++) {
		free(ini->e[i].name);
		free(ini->e[i].key);
		wipe_free(ini->e[i].val);
	}
	free(ini->e);
	ini->e = NULL;
	ini->n = ini->cap = 0;
}

static int ini_add(struct ini *ini, int kind, int file, const char *name, const char *key,
                   const char *val)
{
	if (ini->n == ini->cap) {
		size_t cap = ini->cap ? ini->cap * 2 : 32;
		struct ini_ent *e = realloc(ini->e, cap * sizeof *e);
		if (!e)
			return -1;
		ini->e = e;
		ini->cap = cap;
	}
	struct ini_ent *e = &ini->e[ini->n];
	e->kind = (unsigned char)kind;
	e->file = (unsigned char)file;
	e->name = strdup(name);
	e->key = key ? strdup(key) : NULL;
	e->val = val ? strdup(val) : NULL;
	if (!e->name || (key && !e->key) || (val && !e->val)) {
		free(e->name);
		free(e->key);
		wipe_free(e->val);
		return -1;
	}
	ini->n++;
	return 0;
}

/* A key's value: the credentials file beats the config file, and within a
 * file the last one wins (entries are added config first, in file order). */
static const char *ini_get(const struct ini *ini, int kind, const char *name, const char *key)
{
	const struct ini_ent *best = NULL;
	for (size_t i = 0; i < ini->n; i++) {
		const struct ini_ent *e = &ini->e[i];
		if (e->kind == kind && e->key && strcasecmp(e->key, key) == 0 &&
		    strcmp(e->name, name) == 0 && (!best || e->file >= best->file))
			best = e;
	}
	return best ? best->val : NULL;
}

static bool ini_has(const struct ini *ini, int kind, int file, const char *name)
{
	for (size_t i = 0; i < ini->n; i++)
		if (ini->e[i].kind == kind && (file < 0 || ini->e[i].file == file) &&
		    strcmp(ini->e[i].name, name) == 0)
			return true;
	return false;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\f' || *s == '\v')
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* "profile  name" -> "name" when s starts with the word `prefix` */
static const char *after_word(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(s, prefix, n) != 0 || (s[n] != ' ' && s[n] != '\t'))
		return NULL;
	s += n;
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static void unquote(char *s)
{
	size_t n = strlen(s);
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
}

/* Parses one file's text (modified in place) into ini. */
static int ini_parse(struct ini *ini, int file, const char *path, char *text, size_t len,
                     char *err, size_t errn)
{
	char *p = text, *end = text + len;
	int lineno = 0, kind = K_IGNORED;
	bool in_section = false;
	char name[NAME_MAX_LEN] = "", sub[128] = "", key[384];
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;                 /* a UTF-8 byte order mark, as Notepad writes */
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;
		lineno++;
		if (memchr(p, '\0', (size_t)(le - p))) {
			fmt_msg(err, errn, "%s:%d: a NUL byte (not a text file?)", path, lineno);
			return -1;
		}
		if (nl)
			*nl = '\0';
		char *line = p;
		p = nl ? nl + 1 : end;
		bool indented = line[0] == ' ' || line[0] == '\t';
		/* a comment starts at the line's start or after white space */
		for (char *q = line; *q; q++)
			if ((*q == '#' || *q == ';') && (q == line || isspace((unsigned char)q[-1]))) {
				*q = '\0';
				break;
			}
		char *t = trim(line);
		if (!*t)
			continue;
		if (*t == '[') {
			size_t tl = strlen(t);
			if (t[tl - 1] != ']') {
				fmt_msg(err, errn, "%s:%d: a section header without its closing ']'", path, lineno);
				return -1;
			}
			t[tl - 1] = '\0';
			char *s = trim(t + 1);
			const char *rest;
			kind = K_IGNORED;
			if (file == F_CREDS) {
				kind = K_PROFILE;
				rest = s;
			} else if (strcmp(s, "default") == 0) {
				kind = K_PROFILE;
				rest = s;
			} else if ((rest = after_word(s, "profile"))) {
				kind = K_PROFILE;
			} else if ((rest = after_word(s, "services"))) {
				kind = K_SERVICES;
			} else if ((rest = after_word(s, "sso-session"))) {
				kind = K_OTHER;
			} else {
				rest = s;
			}
			if (!copy_str(name, sizeof name, rest)) {
				fmt_msg(err, errn, "%s:%d: section name too long", path, lineno);
				return -1;
			}
			unquote(name);
			if (!*name) {
				fmt_msg(err, errn, "%s:%d: a section without a name", path, lineno);
				return -1;
			}
			if (ini_add(ini, kind, file, name, NULL, NULL) < 0)
				goto oom;
			in_section = true;
			sub[0] = '\0';
			continue;
		}
		char *eq = strchr(t, '=');
		if (!eq) {
			fmt_msg(err, errn, "%s:%d: expected 'key = value' or a [section]", path, lineno);
			return -1;
		}
		if (eq == t) {
			fmt_msg(err, errn, "%s:%d: '=' without a key before it", path, lineno);
			return -1;
		}
		if (!in_section) {
			fmt_msg(err, errn, "%s:%d: a setting before any [section]", path, lineno);
			return -1;
		}
		*eq = '\0';
		char *k = trim(t), *v = trim(eq + 1);
		if (!*v) {                      /* opens a sub-section */
			if (!copy_str(sub, sizeof sub, k)) {
				fmt_msg(err, errn, "%s:%d: key too long", path, lineno);
				return -1;
			}
			continue;
		}
		if (sub[0] && !indented)
			sub[0] = '\0';
		int kl = sub[0] ? snprintf(key, sizeof key, "%s.%s", sub, k) : snprintf(key, sizeof key, "%s", k);
		if (kl < 0 || (size_t)kl >= sizeof key) {
			fmt_msg(err, errn, "%s:%d: key too long", path, lineno);
			return -1;
		}
		if ((kind == K_PROFILE || kind == K_SERVICES) && ini_add(ini, kind, file, name, key, v) < 0)
			goto oom;
	}
	return 0;
oom:
	fmt_msg(err, errn, "out of memory reading %s", path);
	return -1;
}

/* Reads a small local file whole (NUL-terminated); 1, 0 when it does not
 * exist, -1 on error.  O_NONBLOCK: a FIFO without a writer reads as empty
 * instead of hanging the loop. */
static int read_small(const char *path, size_t max, char **out, size_t *len, char *err, size_t errn)
{
	*out = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		fmt_msg(err, errn, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		fmt_msg(err, errn, "out of memory reading %s", path);
		return -1;
	}
	for (;;) {
		if (n + 1 >= cap) {
			if (cap > max) {
				fmt_msg(err, errn, "%s is larger than %zu bytes", path, max);
				goto fail;
			}
			char *b = malloc(cap * 2);
			if (!b) {
				fmt_msg(err, errn, "out of memory reading %s", path);
				goto fail;
			}
			memcpy(b, buf, n);
			wipe(buf, n);
			free(buf);
			buf = b;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fmt_msg(err, errn, "cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > max) {
		fmt_msg(err, errn, "%s is larger than %zu bytes", path, max);
		wipe(buf, n);
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 1;
fail:
	close(fd);
	wipe(buf, n);
	free(buf);
	return -1;
}

static int ini_load(struct ini *ini, int file, char *err, size_t errn)
{
	const char *path = ini->path[file];
	if (!*path)
		return 0;
	char *text;
	size_t len;
	int rc = read_small(path, FILE_MAX, &text, &len, err, errn);
	if (rc <= 0)
		return rc;
	rc = ini_parse(ini, file, path, text, len, err, errn);
	wipe(text, len);                /* the credentials file holds secrets */
	free(text);
	return rc;
}

/* The file named by `var`, else ~/.aws/<leaf>; "" when neither can be had. */
static bool aws_file(char *out, size_t n, const char *var, const char *leaf, char *err, size_t errn)
{
	const char *v = env(var), *home = env("HOME");
	int len;
	out[0] = '\0';
	if (v && v[0] == '~' && v[1] == '/') {
		if (!home) {
			fmt_msg(err, errn, "%s starts with ~/ but HOME is not set", var);
			return false;
		}
		len = snprintf(out, n, "%s/%s", home, v + 2);
	} else if (v) {
		len = snprintf(out, n, "%s", v);
	} else if (home) {
		len = snprintf(out, n, "%s/.aws/%s", home, leaf);
	} else {
		return true;
	}
	if (len < 0 || (size_t)len >= n) {
		fmt_msg(err, errn, "%s: path too long", v ? var : "HOME");
		return false;
	}
	return true;
}

/* ---- the synchronous half ------------------------------------------------- */

static void unsupported(char *err, size_t errn, const char *who, const char *what, const char *profile)
{
	char opt[NAME_MAX_LEN + 16] = "";
	if (profile && strcmp(profile, "default") != 0)
		snprintf(opt, sizeof opt, " --profile %s", profile);
	fmt_msg(err, errn, "%s uses %s, which perwatt does not support: export keys instead, e.g. "
	    "eval \"$(aws configure export-credentials%s --format env)\", or set "
	    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or put them in ~/.aws/credentials)",
	    who, what, opt);
}

static int resolve(struct awscreds *c, const struct awscreds_options *o, struct ini *ini,
                   char *err, size_t errn)
{
	bool opt_profile = o && o->profile && *o->profile;
	const char *pname = opt_profile ? o->profile : env("AWS_PROFILE");
	bool explicit_profile = pname != NULL;
	if (!pname)
		pname = "default";
	if (!copy_str(c->profile, sizeof c->profile, pname)) {
		fmt_msg(err, errn, "profile name too long");
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)pname; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			fmt_msg(err, errn, "the profile name holds control characters");
			return -1;
		}

	/* the two files */
	if (!aws_file(ini->path[F_CONFIG], sizeof ini->path[F_CONFIG], "AWS_CONFIG_FILE", "config", err, errn) ||
	    !aws_file(ini->path[F_CREDS], sizeof ini->path[F_CREDS], "AWS_SHARED_CREDENTIALS_FILE",
	              "credentials", err, errn))
		return -1;
	if (ini_load(ini, F_CONFIG, err, errn) < 0 || ini_load(ini, F_CREDS, err, errn) < 0)
		return -1;
	bool have_profile = ini_has(ini, K_PROFILE, -1, pname);
	if (explicit_profile && !have_profile) {
		char hint[NAME_MAX_LEN + 64] = "";
		if (strcmp(pname, "default") != 0 && ini_has(ini, K_IGNORED, F_CONFIG, pname))
			snprintf(hint, sizeof hint, " (the config file has [%s]: write [profile %s])", pname, pname);
		fmt_msg(err, errn, "profile '%s' (%s) not found in %s or %s%s", pname,
		    opt_profile ? "--profile" : "AWS_PROFILE",
		    *ini->path[F_CONFIG] ? ini->path[F_CONFIG] : "(no config file)",
		    *ini->path[F_CREDS] ? ini->path[F_CREDS] : "(no credentials file)", hint);
		return -1;
	}
#define P(key) (have_profile ? ini_get(ini, K_PROFILE, pname, (key)) : NULL)
	char who[NAME_MAX_LEN + 16];
	snprintf(who, sizeof who, "profile '%s'", pname);
	sanitize(who);

	/* IMDS settings: wanted for the credentials or the region */
	c->imds_off = awscreds_imds_disabled();
	int v1 = bool_value(env("AWS_EC2_METADATA_V1_DISABLED"));
	c->v1_off = v1 >= 0 ? v1 == 1 : bool_value(P("ec2_metadata_v1_disabled")) == 1;
	const char *ie = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *ie_what = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
	if (!ie && (ie = P("ec2_metadata_service_endpoint")))
		ie_what = "ec2_metadata_service_endpoint";
	if (ie) {
		if (!check_url(ie_what, ie, true, c->imds, sizeof c->imds, err, errn))
			return -1;
	} else {
		const char *mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
		if (!mode)
			mode = P("ec2_metadata_service_endpoint_mode");
		if (!mode || strcasecmp(mode, "IPv4") == 0) {
			snprintf(c->imds, sizeof c->imds, "%s", IMDS_V4);
		} else if (strcasecmp(mode, "IPv6") == 0) {
			snprintf(c->imds, sizeof c->imds, "%s", IMDS_V6);
		} else {
			fmt_msg(err, errn, "the instance metadata endpoint mode must be IPv4 or IPv6");
			return -1;
		}
	}

	/* 1. the environment (unless --profile) */
	const char *ak = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
	if (!opt_profile && (ak || sk)) {
		if (!ak || !sk) {
			fmt_msg(err, errn, "%s is set but %s is not", ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			    ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
			return -1;
		}
		const char *tok = env("AWS_SESSION_TOKEN"), *exp = env("AWS_CREDENTIAL_EXPIRATION");
		if (!set_cred(c->cur.akid, sizeof c->cur.akid, ak, "AWS_ACCESS_KEY_ID", err, errn) ||
		    !set_cred(c->cur.secret, sizeof c->cur.secret, sk, "AWS_SECRET_ACCESS_KEY", err, errn) ||
		    (tok && !set_cred(c->cur.token, sizeof c->cur.token, tok, "AWS_SESSION_TOKEN", err, errn)))
			return -1;
		if (exp) {
			if (!parse_rfc3339(exp, &c->cur.expires)) {
				fmt_msg(err, errn, "AWS_CREDENTIAL_EXPIRATION is not an RFC 3339 time "
				    "(like 2026-11-20T12:00:00Z)");
				return -1;
			}
			double left = c->cur.expires - clock_wall();
			if (left <= 0) {
				char when[64];
				fmt_time(when, sizeof when, c->cur.expires);
				fmt_msg(err, errn, "the credentials in the environment expired at %s "
				    "(AWS_CREDENTIAL_EXPIRATION): export fresh ones", when);
				return -1;
			}
			c->expires_mono = clock_now() + left;
		}
		snprintf(c->cur.source, sizeof c->cur.source, "env");
		c->prov = CP_ENV;
	}

	/* 2. the profile */
	if (c->prov == CP_NONE && have_profile) {
		const char *pak = P("aws_access_key_id"), *psk = P("aws_secret_access_key");
		if (P("sso_session") || P("sso_start_url")) {
			unsupported(err, errn, who, "AWS IAM Identity Center (sso_session/sso_start_url)", pname);
			return -1;
		}
		if (P("role_arn")) {
			unsupported(err, errn, who, "an assumed role (role_arn)", pname);
			return -1;
		}
		if (P("web_identity_token_file")) {
			unsupported(err, errn, who, "web identity (web_identity_token_file)", pname);
			return -1;
		}
		if (!pak && !psk && P("credential_process")) {
			unsupported(err, errn, who, "credential_process", pname);
			return -1;
		}
		if (pak || psk) {
			char what[NAME_MAX_LEN + 64];
			if (!pak || !psk) {
				fmt_msg(err, errn, "%s has %s but no %s", who,
				    pak ? "aws_access_key_id" : "aws_secret_access_key",
				    pak ? "aws_secret_access_key" : "aws_access_key_id");
				return -1;
			}
			const char *ptok = P("aws_session_token");
			snprintf(what, sizeof what, "%s: aws_access_key_id", who);
			if (!set_cred(c->cur.akid, sizeof c->cur.akid, pak, what, err, errn))
				return -1;
			snprintf(what, sizeof what, "%s: aws_secret_access_key", who);
			if (!set_cred(c->cur.secret, sizeof c->cur.secret, psk, what, err, errn))
				return -1;
			snprintf(what, sizeof what, "%s: aws_session_token", who);
			if (ptok && !set_cred(c->cur.token, sizeof c->cur.token, ptok, what, err, errn))
				return -1;
			snprintf(c->cur.source, sizeof c->cur.source, "profile %s", pname);
			sanitize(c->cur.source);
			c->prov = CP_PROFILE;
		}
	}

	/* 3. container, 4. IMDS */
	if (c->prov == CP_NONE) {
		const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
		const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
		if (env("AWS_WEB_IDENTITY_TOKEN_FILE")) {
			unsupported(err, errn, "the environment (AWS_WEB_IDENTITY_TOKEN_FILE)",
			            "web identity (AWS_ROLE_ARN)", NULL);
			return -1;
		}
		if (rel) {
			char url[AWSCREDS_URL_MAX];
			if (rel[0] != '/' || (size_t)snprintf(url, sizeof url, "%s%s", ECS_HOST, rel) >= sizeof url) {
				fmt_msg(err, errn, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path starting with /");
				return -1;
			}
			if (!check_url("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", url, false, c->cont_url,
			               sizeof c->cont_url, err, errn))
				return -1;
			c->prov = CP_CONTAINER;
		} else if (full) {
			if (!check_url("AWS_CONTAINER_CREDENTIALS_FULL_URI", full, false, c->cont_url,
			               sizeof c->cont_url, err, errn))
				return -1;
			if (!container_host_ok(c->cont_url)) {
				fmt_msg(err, errn, "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http is allowed only to "
				    "a loopback address, 169.254.170.2, 169.254.170.23 or [fd00:ec2::23]; "
				    "use https");
				return -1;
			}
			c->prov = CP_CONTAINER;
		} else if (!c->imds_off) {
			c->prov = CP_IMDS;
		} else {
			fmt_msg(err, errn, "no AWS credentials found: none in the environment, %s%s, no container "
			    "credentials, and instance metadata is disabled (AWS_EC2_METADATA_DISABLED). "
			    "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, put them in ~/.aws/credentials, "
			    "or run eval \"$(aws configure export-credentials --format env)\"",
			    who, have_profile ? " has no keys" : " does not exist");
			return -1;
		}
	}

	/* region */
	const char *r = NULL, *rsrc = NULL;
	if (o && o->region && *o->region) {
		r = o->region;
		rsrc = "--region";
	} else if ((r = env("AWS_REGION"))) {
		rsrc = "AWS_REGION";
	} else if ((r = env("AWS_DEFAULT_REGION"))) {
		rsrc = "AWS_DEFAULT_REGION";
	} else if ((r = P("region"))) {
		rsrc = who;
	}
	if (r) {
		if (!region_ok(r)) {
			fmt_msg(err, errn, "the region from %s is not a region name (like us-east-1)", rsrc);
			return -1;
		}
		snprintf(c->region, sizeof c->region, "%s", r);
		snprintf(c->region_src, sizeof c->region_src, "%s", rsrc);
	}
	c->want_region = !r && !c->imds_off;
	c->want_meta = !c->imds_off && (c->prov == CP_IMDS || (o && o->want_instance));

	/* endpoints */
	int ign = bool_value(env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"));
	if (ign < 0)
		ign = bool_value(P("ignore_configured_endpoint_urls")) == 1;
	const char *svcs = P("services");
	for (int s = 0; s < SVC_COUNT; s++) {
		const char *u = NULL;
		char src[sizeof c->ep_src[0]], key[64];
		snprintf(src, sizeof src, "default");
		snprintf(key, sizeof key, "%s.endpoint_url", services[s].name);
		if (ign != 1) {
			if ((u = env(services[s].env))) {
				snprintf(src, sizeof src, "%s", services[s].env);
			} else if ((u = env("AWS_ENDPOINT_URL"))) {
				snprintf(src, sizeof src, "AWS_ENDPOINT_URL");
			} else if (svcs && (u = ini_get(ini, K_SERVICES, svcs, key))) {
				snprintf(src, sizeof src, "%s, [services %s] %s", who, svcs, services[s].name);
			} else if ((u = P("endpoint_url"))) {
				snprintf(src, sizeof src, "%s endpoint_url", who);
			}
		}
		sanitize(src);
		snprintf(c->ep_src[s], sizeof c->ep_src[s], "%s", src);
		if (u && !check_url(src, u, false, c->ep[s], sizeof c->ep[s], err, errn))
			return -1;
	}
#undef P
	return 0;
}

/* ---- the asynchronous half -------------------------------------------------- */

static void notify(struct awscreds *c)
{
	if (c->in_start)
		return;
	size_t n = c->nls;
	for (size_t i = 0; i < n && i < c->nls; i++)
		c->ls[i].fn(c->ls[i].user, c);
}

static bool imds_busy(const struct awscreds *c)
{
	for (int k = S_TOKEN; k < S_COUNT; k++)
		if (c->slot[k].id > 0)
			return true;
	return false;
}

static bool fetch_busy(const struct awscreds *c)
{
	return c->slot[S_CONTAINER].id > 0 || c->cyc_creds;
}

static void set_error(struct awscreds *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct awscreds *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof c->error, fmt, ap);
	va_end(ap);
	sanitize(c->error);
	redact(c, c->error);
}

/* A credentials fetch failed: keep what we have, try again later. */
static void fetch_failed(struct awscreds *c, double now, const char *msg)
{
	double next = http_backoff_next(&c->bo, true, now, RETRY_BASE);
	if (c->have && isfinite(c->expires_mono)) {
		/* close to expiry, try more often than the backoff would */
		double half = (c->expires_mono - now) / 2;
		if (half > 0 && now + fmax(1.0, half) < next)
			next = now + fmax(1.0, half);
	}
	c->next_fetch = next;
	if (c->have) {
		set_error(c, "refresh failed: %s", msg);
	} else if (c->expired > 0) {
		char when[64];
		fmt_time(when, sizeof when, c->expired);
		c->state = AWSCREDS_FAILED;
		set_error(c, "the credentials expired at %s; refresh failed: %s", when, msg);
	} else if (c->prov == CP_IMDS) {
		/* IMDS was the last resort: say what else would have worked */
		c->state = AWSCREDS_FAILED;
		set_error(c, "%s; and no keys in the environment or profile '%s': set "
		          "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run "
		          "eval \"$(aws configure export-credentials --format env)\"", msg, c->profile);
	} else {
		c->state = AWSCREDS_FAILED;
		set_error(c, "%s", msg);
	}
}

/* New credentials arrived: v is wiped. */
static void install(struct awscreds *c, double now, struct awscreds_value *v)
{
	double wall = clock_wall();
	if (v->expires > 0 && v->expires <= wall) {
		char when[64], msg[AWSCREDS_SOURCE_MAX + 160];
		fmt_time(when, sizeof when, v->expires);
		snprintf(msg, sizeof msg, "the credentials from %s had expired on arrival (%s): "
		         "is the clock right?", v->source, when);
		wipe(v, sizeof *v);
		fetch_failed(c, now, msg);
		return;
	}
	wipe(&c->cur, sizeof c->cur);
	memcpy(&c->cur, v, sizeof c->cur);
	wipe(v, sizeof *v);
	c->have = true;
	c->expired = 0;
	c->state = AWSCREDS_READY;
	c->error[0] = '\0';
	http_backoff_next(&c->bo, false, now, RETRY_BASE);
	if (c->cur.expires > 0) {
		double life = c->cur.expires - wall;
		c->expires_mono = now + life;
		c->next_fetch = now + fmax(1.0, life - fmin(REFRESH_AHEAD, life / 2));
	} else {
		c->expires_mono = INFINITY;
		c->next_fetch = INFINITY;
	}
}

/* Before cJSON frees its strings: some are secrets. */
static void wipe_json(cJSON *j)
{
	for (; j; j = j->next) {
		if (j->valuestring)
			wipe(j->valuestring, strlen(j->valuestring));
		wipe_json(j->child);
	}
}

/* {AccessKeyId, SecretAccessKey, Token, Expiration}, as IMDS and the
 * container endpoints send them.  Never quotes a value. */
static int parse_creds(const char *body, size_t len, const char *from, bool strict,
                       struct awscreds_value *v, char *err, size_t errn)
{
	memset(v, 0, sizeof *v);
	cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
	int rc = -1;
	char what[96];
	if (!cJSON_IsObject(j)) {
		fmt_msg(err, errn, "malformed credentials from %s: not a JSON object", from);
		goto out;
	}
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "Code");
	if (cJSON_IsString(code) && code->valuestring && strcmp(code->valuestring, "Success") != 0) {
		char cs[64];
		snprintf(cs, sizeof cs, "%s", code->valuestring);
		fmt_msg(err, errn, "%s answered Code \"%s\" instead of credentials", from, cs);
		goto out;
	}
	static const char *const names[] = { "AccessKeyId", "SecretAccessKey", "Token", "Expiration" };
	char *dst[] = { v->akid, v->secret, v->token, NULL };
	size_t cap[] = { sizeof v->akid, sizeof v->secret, sizeof v->token, 0 };
	for (int i = 0; i < 4; i++) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(j, names[i]);
		bool required = i < 2 || strict;
		if (!f || cJSON_IsNull(f)) {
			if (required) {
				fmt_msg(err, errn, "malformed credentials from %s: no %s", from, names[i]);
				goto out;
			}
			continue;
		}
		if (!cJSON_IsString(f) || !f->valuestring) {
			fmt_msg(err, errn, "malformed credentials from %s: %s is not a string", from, names[i]);
			goto out;
		}
		snprintf(what, sizeof what, "%s from %s", names[i], from);
		if (i == 3) {
			if (!parse_rfc3339(f->valuestring, &v->expires)) {
				fmt_msg(err, errn, "malformed credentials from %s: Expiration is not an RFC 3339 time", from);
				goto out;
			}
		} else if (!set_cred(dst[i], cap[i], f->valuestring, what, err, errn)) {
			goto out;
		}
	}
	rc = 0;
out:
	if (j) {
		wipe_json(j);
		cJSON_Delete(j);
	}
	if (rc < 0)
		wipe(v, sizeof *v);
	return rc;
}

static void on_done(void *user, const struct http_resp *r);

/* ---- container provider ---- */

static void container_done(struct awscreds *c, const struct http_resp *r, double now)
{
	char msg[AWSCREDS_ERROR_MAX];
	if (r->error) {
		fmt_msg(msg, sizeof msg, "container credentials endpoint: %s", r->error);
		redact(c, msg);                 /* an endpoint could echo the token */
		wipe(c->cont_auth, sizeof c->cont_auth);
		fetch_failed(c, now, msg);
	} else {
		wipe(c->cont_auth, sizeof c->cont_auth);
		struct awscreds_value v;
		if (parse_creds(r->body, r->body_len, "the container credentials endpoint", false, &v,
		                msg, sizeof msg) < 0) {
			fetch_failed(c, now, msg);
		} else {
			snprintf(v.source, sizeof v.source, "container");
			install(c, now, &v);
		}
	}
	notify(c);
}

static void container_fetch(struct awscreds *c, double now)
{
	char msg[AWSCREDS_ERROR_MAX];
	const char *file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tok = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char *buf = NULL, hdr[CONTAINER_AUTH_MAX + 32];
	size_t len = 0;
	c->cont_auth[0] = '\0';
	if (file) {
		int rc = read_small(file, CONTAINER_AUTH_MAX - 1, &buf, &len, msg, sizeof msg);
		if (rc == 0)
			fmt_msg(msg, sizeof msg, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s does not exist", file);
		if (rc <= 0) {
			fetch_failed(c, now, msg);
			notify(c);
			return;
		}
		/* one trailing newline is what `echo` leaves: drop it */
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
		tok = buf;
	}
	if (tok && (strpbrk(tok, "\r\n") || strlen(tok) >= sizeof c->cont_auth)) {
		fmt_msg(msg, sizeof msg, "%s: the authorization token holds a line break or is too long",
		    file ? "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" : "AWS_CONTAINER_AUTHORIZATION_TOKEN");
		if (buf) {
			wipe(buf, len);
			free(buf);
		}
		fetch_failed(c, now, msg);
		notify(c);
		return;
	}
	const char *hdrs[3] = { "Accept: application/json", NULL, NULL };
	if (tok && *tok) {
		snprintf(c->cont_auth, sizeof c->cont_auth, "%s", tok);
		snprintf(hdr, sizeof hdr, "Authorization: %s", tok);
		hdrs[1] = hdr;
	}
	if (buf) {
		wipe(buf, len);
		free(buf);
	}
	struct http_req req = {
		.url = c->cont_url, .headers = hdrs, .connect_timeout = CONTAINER_TIMEOUT,
		.timeout = CONTAINER_TIMEOUT, .max_bytes = REPLY_MAX, .sensitive = true, .no_proxy = true,
	};
	int id = http_request(c->h, &req, on_done, &c->slot[S_CONTAINER]);
	wipe(hdr, sizeof hdr);
	if (id < 0) {
		wipe(c->cont_auth, sizeof c->cont_auth);
		fetch_failed(c, now, "out of memory starting the container credentials request");
		notify(c);
		return;
	}
	c->slot[S_CONTAINER].id = id;
}

/* ---- IMDS provider ---- */

static void imds_fail(struct awscreds *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void imds_fail(struct awscreds *c, const char *fmt, ...)
{
	char msg[AWSCREDS_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sanitize(msg);
	redact(c, msg);
	if (c->cyc_creds && !c->cyc_err[0])
		snprintf(c->cyc_err, sizeof c->cyc_err, "%s", msg);
	if (c->cyc_meta && !c->meta_err[0])
		snprintf(c->meta_err, sizeof c->meta_err, "%s", msg);
}

static int imds_get(struct awscreds *c, int kind, const char *path, const char *path2)
{
	char url[AWSCREDS_URL_MAX + 256], hdr[sizeof IMDS_TOKEN_HEADER + IMDS_TOKEN_MAX];
	const char *hdrs[2] = { NULL, NULL };
	snprintf(url, sizeof url, "%s%s%s", c->imds, path, path2 ? path2 : "");
	if (!c->cyc_v1) {
		snprintf(hdr, sizeof hdr, "%s%s", IMDS_TOKEN_HEADER, c->imds_token);
		hdrs[0] = hdr;
	}
	struct http_req req = {
		.url = url, .headers = hdrs, .connect_timeout = c->cyc_timeout,
		.timeout = c->cyc_timeout, .max_bytes = REPLY_MAX, .sensitive = true, .no_proxy = true,
	};
	int id = http_request(c->h, &req, on_done, &c->slot[kind]);
	wipe(hdr, sizeof hdr);
	if (id < 0) {
		imds_fail(c, "out of memory starting an instance metadata request");
		return -1;
	}
	c->slot[kind].id = id;
	return 0;
}

static void imds_after_token(struct awscreds *c)
{
	if (c->cyc_creds)
		imds_get(c, S_ROLES, IMDS_CREDS_PATH, NULL);
	if (c->cyc_meta) {
		if (c->want_region)
			imds_get(c, S_REGION, "/latest/meta-data/placement/region", NULL);
		if (c->want_meta) {
			imds_get(c, S_ITYPE, "/latest/meta-data/instance-type", NULL);
			imds_get(c, S_IID, "/latest/meta-data/instance-id", NULL);
		}
	}
}

/* Everything of this round has ended. */
static void imds_end(struct awscreds *c, double now)
{
	wipe(c->imds_token, sizeof c->imds_token);
	if (c->cyc_creds && !c->cyc_got)
		fetch_failed(c, now, c->cyc_err[0] ? c->cyc_err : "instance metadata gave no credentials");
	if (c->cyc_meta) {
		c->meta_tried = true;
		if (c->cyc_creds) {
			/* IMDS is the credentials provider: ask again with the
			 * next credentials round what is still missing */
			c->want_region = !c->region[0];
			c->want_meta = !c->itype[0] || !c->iid[0];
		} else {
			c->want_region = c->want_meta = false;   /* asked once */
		}
	}
	c->cyc_creds = c->cyc_meta = false;
	notify(c);
}

static void imds_begin(struct awscreds *c, double now, bool creds, bool meta)
{
	c->cyc_creds = creds;
	c->cyc_meta = meta;
	c->cyc_got = false;
	c->cyc_err[0] = c->put_err[0] = '\0';
	if (meta)
		c->meta_err[0] = '\0';
	c->cyc_v1 = c->v1_sticky;
	c->cyc_timeout = IMDS_TIMEOUT;
	if (c->cyc_v1) {
		imds_after_token(c);
	} else {
		static const char *const hdrs[] = { IMDS_TTL_HEADER, NULL };
		char url[AWSCREDS_URL_MAX + 32];
		snprintf(url, sizeof url, "%s/latest/api/token", c->imds);
		struct http_req req = {
			.url = url, .method = "PUT", .headers = hdrs, .connect_timeout = IMDS_TIMEOUT,
			.timeout = IMDS_TIMEOUT, .max_bytes = IMDS_TOKEN_MAX, .sensitive = true,
			.no_proxy = true,
		};
		int id = http_request(c->h, &req, on_done, &c->slot[S_TOKEN]);
		if (id < 0)
			imds_fail(c, "out of memory starting an instance metadata request");
		else
			c->slot[S_TOKEN].id = id;
	}
	if (!imds_busy(c))
		imds_end(c, now);
}

static void token_done(struct awscreds *c, const struct http_resp *r)
{
	if (!r->error) {
		size_t n = r->body_len;
		while (n > 0 && isspace((unsigned char)r->body[n - 1]))
			n--;
		bool ok = n > 0 && n < sizeof c->imds_token && !memchr(r->body, '\0', n);
		if (ok) {
			memcpy(c->imds_token, r->body, n);
			c->imds_token[n] = '\0';
			ok = cred_chars_ok(c->imds_token);
		}
		if (!ok) {
			wipe(c->imds_token, sizeof c->imds_token);
			imds_fail(c, "instance metadata (%s) sent an unusable session token", c->imds);
			return;
		}
		imds_after_token(c);
		return;
	}
	if (r->status == 400) {
		imds_fail(c, "instance metadata (%s) refused the session token request: %s", c->imds, r->error);
		return;
	}
	bool fallback = r->status == 0 || r->status == 403 || r->status == 404 || r->status == 405;
	if (!fallback) {
		imds_fail(c, "instance metadata (%s): %s", c->imds, r->error);
		return;
	}
	if (c->v1_off) {
		imds_fail(c, "instance metadata (%s): the IMDSv2 token request failed (%s) and IMDSv1 is "
		          "disabled (AWS_EC2_METADATA_V1_DISABLED)", c->imds, r->error);
		return;
	}
	/* IMDSv1: the SDKs' fallback; after no answer at all, only briefly */
	snprintf(c->put_err, sizeof c->put_err, "%s", r->error);
	c->cyc_v1 = true;
	if (r->status == 0)
		c->cyc_timeout = IMDS_FALLBACK_TIMEOUT;
	imds_after_token(c);
}

/* "instance metadata (URL): v1 error (after the token request: ...)" */
static void imds_req_fail(struct awscreds *c, const char *what, const struct http_resp *r)
{
	if (c->put_err[0])
		imds_fail(c, "instance metadata (%s): %s%s (IMDSv1, after the IMDSv2 token request: %s)",
		          c->imds, what, r->error, c->put_err);
	else
		imds_fail(c, "instance metadata (%s): %s%s", c->imds, what, r->error);
}

/* The body's first line, trimmed, into out (false when empty or too long). */
static bool first_line(const struct http_resp *r, char *out, size_t n)
{
	if (!r->body)
		return false;
	size_t len = strcspn(r->body, "\r\n");
	while (len > 0 && isspace((unsigned char)r->body[len - 1]))
		len--;
	const char *b = r->body;
	while (len > 0 && isspace((unsigned char)*b)) {
		b++;
		len--;
	}
	if (len == 0 || len >= n)
		return false;
	memcpy(out, b, len);
	out[len] = '\0';
	return true;
}

static void roles_done(struct awscreds *c, const struct http_resp *r)
{
	if (r->error) {
		if (r->status == 404)
			imds_fail(c, "no IAM role is attached to this EC2 instance (instance metadata at %s "
			          "has no security credentials)", c->imds);
		else
			imds_req_fail(c, "", r);
		return;
	}
	if (c->cyc_v1)
		c->v1_sticky = true;
	if (!first_line(r, c->role, sizeof c->role) || !role_ok(c->role)) {
		c->role[0] = '\0';
		imds_fail(c, "instance metadata (%s) sent no usable IAM role name", c->imds);
		return;
	}
	imds_get(c, S_CREDS, IMDS_CREDS_PATH, c->role);
}

static void creds_done(struct awscreds *c, const struct http_resp *r, double now)
{
	if (r->error) {
		imds_req_fail(c, "the role's credentials: ", r);
		return;
	}
	char msg[AWSCREDS_ERROR_MAX], from[AWSCREDS_URL_MAX + 32];
	snprintf(from, sizeof from, "instance metadata (%s)", c->imds);
	struct awscreds_value v;
	if (parse_creds(r->body, r->body_len, from, true, &v, msg, sizeof msg) < 0) {
		imds_fail(c, "%s", msg);
		return;
	}
	snprintf(v.source, sizeof v.source, "instance role %.64s", c->role);   /* role_ok(): <= 64 */
	c->cyc_got = true;
	install(c, now, &v);
}

static void meta_done(struct awscreds *c, int kind, const struct http_resp *r)
{
	static const char *const what[] = { [S_REGION] = "placement/region", [S_ITYPE] = "instance-type",
	                                    [S_IID] = "instance-id" };
	char val[64];
	if (r->error) {
		if (!c->meta_err[0]) {
			fmt_msg(c->meta_err, sizeof c->meta_err, "instance metadata (%s) %s: %s", c->imds,
			    what[kind], r->error);
			redact(c, c->meta_err);
		}
		return;
	}
	if (c->cyc_v1)
		c->v1_sticky = true;
	bool ok = first_line(r, val, sizeof val);
	if (kind == S_REGION && ok && region_ok(val)) {
		snprintf(c->region, sizeof c->region, "%s", val);
		snprintf(c->region_src, sizeof c->region_src, "instance metadata");
	} else if (kind == S_ITYPE && ok && meta_ok(val, sizeof c->itype)) {
		snprintf(c->itype, sizeof c->itype, "%s", val);
	} else if (kind == S_IID && ok && meta_ok(val, sizeof c->iid)) {
		snprintf(c->iid, sizeof c->iid, "%s", val);
	} else if (!c->meta_err[0]) {
		fmt_msg(c->meta_err, sizeof c->meta_err, "instance metadata (%s) sent an unusable %s",
		    c->imds, what[kind]);
	}
}

static void on_done(void *user, const struct http_resp *r)
{
	struct reqslot *s = user;
	struct awscreds *c = s->c;
	double now = clock_now();
	s->id = 0;
	switch (s->kind) {
	case S_CONTAINER:
		container_done(c, r, now);
		return;
	case S_TOKEN:
		token_done(c, r);
		break;
	case S_ROLES:
		roles_done(c, r);
		break;
	case S_CREDS:
		creds_done(c, r, now);
		break;
	default:
		meta_done(c, s->kind, r);
		break;
	}
	if (!imds_busy(c))
		imds_end(c, now);
}

/* Starts a credentials fetch from the container or IMDS provider. */
static void fetch(struct awscreds *c, double now)
{
	c->next_fetch = INFINITY;
	if (c->state == AWSCREDS_FAILED && !c->have)
		c->state = AWSCREDS_RESOLVING;
	if (c->prov == CP_CONTAINER)
		container_fetch(c, now);
	else
		imds_begin(c, now, true, c->want_region || c->want_meta);
}

/* ---- public ---------------------------------------------------------------- */

struct awscreds *awscreds_new(struct http *h, const struct awscreds_options *o, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	struct awscreds *c = calloc(1, sizeof *c);
	if (!c) {
		fmt_msg(err, errlen, "out of memory");
		return NULL;
	}
	c->h = h;
	c->state = AWSCREDS_RESOLVING;
	c->expires_mono = INFINITY;
	c->next_fetch = INFINITY;
	for (int k = 0; k < S_COUNT; k++) {
		c->slot[k].c = c;
		c->slot[k].kind = k;
	}
	http_backoff_init(&c->bo, "awscreds");
	struct ini *ini = calloc(1, sizeof *ini);
	char e[AWSCREDS_ERROR_MAX] = "";
	int rc = ini ? resolve(c, o, ini, e, sizeof e) : -1;
	if (!ini)
		fmt_msg(e, sizeof e, "out of memory");
	if (ini) {
		ini_free(ini);
		free(ini);
	}
	if (rc < 0) {
		redact(c, e);
		fmt_msg(err, errlen, "%s", e);
		awscreds_free(c);
		return NULL;
	}
	if (c->prov == CP_ENV || c->prov == CP_PROFILE) {
		c->have = true;
		c->state = AWSCREDS_READY;
	}
	return c;
}

int awscreds_start(struct awscreds *c, double now)
{
	if (c->started)
		return c->state == AWSCREDS_FAILED ? -1 : 0;
	c->started = true;
	bool async = c->prov == CP_CONTAINER || c->prov == CP_IMDS;
	bool meta = c->want_region || c->want_meta;
	if ((async || meta) && !c->h) {
		c->want_region = c->want_meta = false;
		if (!async)
			return 0;
		c->state = AWSCREDS_FAILED;
		set_error(c, "no HTTP driver to fetch %s credentials with",
		          c->prov == CP_CONTAINER ? "container" : "instance");
		return -1;
	}
	c->in_start = true;
	if (async)
		fetch(c, now);
	else if (meta)
		imds_begin(c, now, false, true);
	c->in_start = false;
	return c->state == AWSCREDS_FAILED ? -1 : 0;
}

double awscreds_tick(struct awscreds *c, double now)
{
	if (c->have && now >= c->expires_mono) {
		char when[64], prev[AWSCREDS_ERROR_MAX];
		fmt_time(when, sizeof when, c->cur.expires);
		snprintf(prev, sizeof prev, "%s", c->error);
		bool env_creds = c->prov == CP_ENV;
		c->expired = c->cur.expires;
		wipe(&c->cur, sizeof c->cur);
		c->have = false;
		c->expires_mono = INFINITY;
		c->state = fetch_busy(c) ? AWSCREDS_RESOLVING : AWSCREDS_FAILED;
		set_error(c, "the credentials expired at %s%s%s", when,
		          env_creds ? " (AWS_CREDENTIAL_EXPIRATION): export fresh ones and restart" : "",
		          prev[0] ? "; " : "");
		if (prev[0])
			snprintf(c->error + strlen(c->error), sizeof c->error - strlen(c->error), "%s", prev);
		notify(c);
	}
	if (c->started && c->h && (c->prov == CP_CONTAINER || c->prov == CP_IMDS) &&
	    now >= c->next_fetch && !fetch_busy(c))
		fetch(c, now);
	double next = c->next_fetch;
	if (c->have && c->expires_mono < next)
		next = c->expires_mono;
	return next;
}

void awscreds_free(struct awscreds *c)
{
	if (!c)
		return;
	for (int k = 0; k < S_COUNT; k++)
		if (c->slot[k].id > 0 && c->h)
			http_cancel(c->h, c->slot[k].id);
	wipe(c, sizeof *c);
	free(c);
}

int awscreds_listen(struct awscreds *c, awscreds_notify_fn fn, void *user)
{
	if (!fn || c->nls >= MAX_LISTENERS)
		return -1;
	c->ls[c->nls].fn = fn;
	c->ls[c->nls].user = user;
	c->nls++;
	return 0;
}

void awscreds_unlisten(struct awscreds *c, awscreds_notify_fn fn, void *user)
{
	for (size_t i = 0; i < c->nls; i++)
		if (c->ls[i].fn == fn && c->ls[i].user == user) {
			memmove(&c->ls[i], &c->ls[i + 1], (c->nls - i - 1) * sizeof c->ls[0]);
			c->nls--;
			return;
		}
}

const struct awscreds_value *awscreds_get(const struct awscreds *c)
{
	if (!c->have || (c->cur.expires > 0 && clock_wall() >= c->cur.expires))
		return NULL;
	return &c->cur;
}

enum awscreds_state awscreds_state(const struct awscreds *c)
{
	return c->state;
}

bool awscreds_pending(const struct awscreds *c)
{
	return c->slot[S_CONTAINER].id > 0 || imds_busy(c);
}

const char *awscreds_error(const struct awscreds *c)
{
	return c->error[0] ? c->error : NULL;
}

const char *awscreds_status(const struct awscreds *c, char *buf, size_t n)
{
	if (!buf || n == 0)
		return buf;
	char part[AWSCREDS_ERROR_MAX * 2], reg[AWSCREDS_ERROR_MAX + 128], span[48];
	double now = clock_now();
	const struct awscreds_value *v = awscreds_get(c);
	if (v) {
		size_t kl = strlen(v->akid);
		int len = snprintf(part, sizeof part, "%s, key ...%s", v->source, v->akid + (kl > 4 ? kl - 4 : kl));
		if (v->expires > 0 && len > 0 && (size_t)len < sizeof part) {
			fmt_span(span, sizeof span, v->expires - clock_wall());
			len += snprintf(part + len, sizeof part - (size_t)len, ", expires in %s", span);
		}
		if (c->error[0] && len > 0 && (size_t)len < sizeof part)
			snprintf(part + len, sizeof part - (size_t)len, "; %s", c->error);
	} else if (c->state == AWSCREDS_FAILED || (c->error[0] && !fetch_busy(c))) {
		int len = snprintf(part, sizeof part, "no credentials: %s", c->error[0] ? c->error : "unknown error");
		if (isfinite(c->next_fetch) && len > 0 && (size_t)len < sizeof part) {
			fmt_span(span, sizeof span, c->next_fetch - now);
			snprintf(part + len, sizeof part - (size_t)len, " (retrying in %s)", span);
		}
	} else if (c->prov == CP_CONTAINER) {
		snprintf(part, sizeof part, "resolving: container credentials");
	} else if (c->prov == CP_IMDS) {
		snprintf(part, sizeof part, "resolving: instance metadata (%s)", c->imds);
	} else {
		snprintf(part, sizeof part, "resolving");
	}
	if (c->region[0])
		snprintf(reg, sizeof reg, "region %s (%s)", c->region, c->region_src);
	else if (c->want_region && (c->cyc_meta || !c->started))
		snprintf(reg, sizeof reg, "region: asking instance metadata");
	else if (c->meta_tried && c->meta_err[0])
		snprintf(reg, sizeof reg, "no region (%s): set AWS_REGION or --region", c->meta_err);
	else
		snprintf(reg, sizeof reg, "no region: set AWS_REGION or --region");
	/* redacted whole, before it is cut to fit: no partial secret survives */
	char out[sizeof part + sizeof reg + 4];
	snprintf(out, sizeof out, "%s; %s", part, reg);
	sanitize(out);
	redact(c, out);
	snprintf(buf, n, "%s", out);
	return buf;
}

const char *awscreds_region(const struct awscreds *c)
{
	return c->region[0] ? c->region : NULL;
}

const char *awscreds_region_source(const struct awscreds *c)
{
	return c->region[0] ? c->region_src : NULL;
}

const char *awscreds_instance_type(const struct awscreds *c)
{
	return c->itype[0] ? c->itype : NULL;
}

const char *awscreds_instance_id(const struct awscreds *c)
{
	return c->iid[0] ? c->iid : NULL;
}

static int find_service(const char *service)
{
	for (int s = 0; s < SVC_COUNT; s++)
		if (service && strcmp(service, services[s].name) == 0)
			return s;
	return -1;
}

int awscreds_endpoint(const struct awscreds *c, const char *service, char *buf, size_t n)
{
	int s = find_service(service);
	int len;
	if (s < 0) {
		fmt_msg(buf, n, "unknown AWS service (cloudwatch or pricing)");
		return -1;
	}
	if (c->ep[s][0]) {
		len = snprintf(buf, n, "%s", c->ep[s]);
	} else if (s == SVC_PRICING) {
		len = snprintf(buf, n, "https://api.pricing.us-east-1.amazonaws.com/");
	} else if (!c->region[0]) {
		fmt_msg(buf, n, "no AWS region: set AWS_REGION, a profile's region, or --region");
		return -1;
	} else {
		len = snprintf(buf, n, "https://monitoring.%s.amazonaws.com%s/", c->region,
		               strncmp(c->region, "cn-", 3) == 0 ? ".cn" : "");
	}
	if (len < 0 || (size_t)len >= n) {
		fmt_msg(buf, n, "endpoint URL too long");
		return -1;
	}
	return 0;
}

const char *awscreds_endpoint_source(const struct awscreds *c, const char *service)
{
	int s = find_service(service);
	return s < 0 ? NULL : c->ep_src[s];
}

int awscreds_sigv4(const struct awscreds *c, const char *service, char *buf, size_t n)
{
	int s = find_service(service);
	if (s < 0) {
		fmt_msg(buf, n, "unknown AWS service (cloudwatch or pricing)");
		return -1;
	}
	const char *region = s == SVC_PRICING ? "us-east-1" : c->region;
	if (!region[0]) {
		fmt_msg(buf, n, "no AWS region: set AWS_REGION, a profile's region, or --region");
		return -1;
	}
	int len = snprintf(buf, n, "aws:amz:%s:%s", region, services[s].signing);
	if (len < 0 || (size_t)len >= n) {
		fmt_msg(buf, n, "buffer too small");
		return -1;
	}
	return 0;
}
