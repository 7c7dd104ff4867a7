/* parse.c - strict number, duration and rate parsing; see parse.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/parse.h"

/* strtod, but only for plain decimal notation: strtod also takes "nan",
 * "inf" and hex floats, which no one means on a command line. */
static int number_prefix(const char *s, double *out, const char **end)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')))
		return -1;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		return -1;
	errno = 0;
	char *e;
	double v = strtod(s, &e);
	if (e == s || errno == ERANGE || !isfinite(v))
		return -1;
	*out = v;
	*end = e;
	return 0;
}

int parse_number(const char *s, double *out)
{
	double v;
	const char *e;
	if (!s || number_prefix(s, &v, &e) < 0)
		return -1;
	double mult = 1;
	switch (*e) {
	case 'k': case 'K': mult = 1e3; e++; break;
	case 'M': mult = 1e6; e++; break;
	case 'G': mult = 1e9; e++; break;
	case 'T': mult = 1e12; e++; break;
	default: break;
	}
	if (*e)
		return -1;
	v *= mult;
	if (!isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* Seconds in a unit of time, or 0 when the text names none. */
static double time_unit(const char *u)
{
	static const struct { const char *name; double s; } units[] = {
		{ "ms", 1e-3 }, { "s", 1 }, { "sec", 1 }, { "m", 60 }, { "min", 60 },
		{ "h", 3600 }, { "hr", 3600 }, { "hour", 3600 }, { "d", 86400 }, { "day", 86400 },
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(u, units[i].name) == 0)
			return units[i].s;
	return 0;
}

int parse_duration(const char *s, double *seconds)
{
	double v;
	const char *e;
	if (!s || number_prefix(s, &v, &e) < 0 || v < 0)
		return -1;
	double unit = *e ? time_unit(e) : 1;
	if (unit == 0)
		return -1;
	*seconds = v * unit;
	return 0;
}

int parse_rate(const char *s, double *per_second)
{
	if (!s)
		return -1;
	const char *slash = strchr(s, '/');
	if (!slash || slash == s)
		return -1;
	char num[64];
	size_t len = (size_t)(slash - s);
	if (len >= sizeof num)
		return -1;
	memcpy(num, s, len);
	num[len] = '\0';
	double v;
	if (parse_number(num, &v) < 0)
		return -1;
	double unit = time_unit(slash + 1);
	if (unit == 0)
		return -1;
	*per_second = v / unit;
	return 0;
}

int parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	char *e;
	unsigned long long v = strtoull(s, &e, 0);
	if (*e || errno == ERANGE)
		return -1;
	*out = v;
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };
	if (!s)
		return -1;
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}
