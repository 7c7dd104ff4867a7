/* format.c - numbers for people; see format.h. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/format.h"

/* Writes s right-aligned in `width` columns (or as is when width <= 0 or the
 * text is wider).  Column count is the byte count except for the micro sign. */
static size_t emit(char *buf, size_t n, const char *s, int width)
{
	if (n == 0)
		return 0;
	size_t len = strlen(s);
	size_t cols = len;
	for (const char *p = s; *p; p++)
		if (((unsigned char)*p & 0xC0) == 0x80)
			cols--;                 /* continuation byte: no column of its own */
	size_t pad = (width > 0 && (size_t)width > cols) ? (size_t)width - cols : 0;
	if (pad + len >= n)
		pad = 0;
	memset(buf, ' ', pad);
	snprintf(buf + pad, n - pad, "%s", s);
	return strlen(buf);
}

static size_t emit_unknown(char *buf, size_t n, int width)
{
	return emit(buf, n, "n/a", width);
}

size_t fmt_si(char *buf, size_t n, double v, int width, const char *unit, bool utf8)
{
	static const char *const up[] = { "", "k", "M", "G", "T", "P", "E" };
	static const char *const down_ascii[] = { "", "m", "u", "n", "p" };
	static const char *const down_utf8[] = { "", "m", "\xC2\xB5", "n", "p" };
	char tmp[96];
	if (!isfinite(v))
		return emit_unknown(buf, n, width);

	const char *prefix = "";
	double a = fabs(v);
	if (a >= 0.0095 && a < 0.9995) {
		/* 0.703 reads better than 703m; the milli prefix starts below 0.01 */
		snprintf(tmp, sizeof tmp, unit && *unit ? "%.*f %s" : "%.*f%s", a < 0.09995 ? 4 : 3, v,
		         unit && *unit ? unit : "");
		return emit(buf, n, tmp, width);
	}
	if (a != 0) {
		int e3 = (int)floor(log10(a) / 3.0);
		if (e3 > 6 || e3 < -4) {
			/* beyond the prefixes: scientific notation beats 20 digits */
			if (unit && *unit)
				snprintf(tmp, sizeof tmp, "%.2e %s", v, unit);
			else
				snprintf(tmp, sizeof tmp, "%.2e", v);
			return emit(buf, n, tmp, width);
		}
		double scaled = v / pow(1000.0, e3);
		/* rounding to 3 significant digits can carry into the next prefix */
		if (fabs(scaled) >= 999.5 && e3 < 6) {
			e3++;
			scaled /= 1000.0;
		}
		v = scaled;
		a = fabs(v);
		prefix = e3 >= 0 ? up[e3] : (utf8 ? down_utf8 : down_ascii)[-e3];
	}
	int decimals = a == 0 ? 0 : a < 9.995 ? 2 : a < 99.95 ? 1 : 0;
	if (unit && *unit)
		snprintf(tmp, sizeof tmp, "%.*f %s%s", decimals, v, prefix, unit);
	else
		snprintf(tmp, sizeof tmp, "%.*f%s", decimals, v, prefix);
	return emit(buf, n, tmp, width);
}

/* Integer part with thousands separators into out. */
static void grouped(char *out, size_t n, double v, int decimals)
{
	char digits[64];
	snprintf(digits, sizeof digits, "%.*f", decimals, fabs(v));
	char *dot = strchr(digits, '.');
	size_t intlen = dot ? (size_t)(dot - digits) : strlen(digits);
	size_t o = 0;
	if (v < 0 && strspn(digits, "0.") != strlen(digits) && o + 1 < n)
		out[o++] = '-';
	for (size_t i = 0; i < intlen && o + 1 < n; i++) {
		if (i && (intlen - i) % 3 == 0 && o + 1 < n)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	for (const char *p = dot; p && *p && o + 1 < n; p++)
		out[o++] = *p;
	out[o] = '\0';
}

size_t fmt_grouped(char *buf, size_t n, double v, int decimals, int width)
{
	char tmp[80];
	if (!isfinite(v) || fabs(v) >= 1e18)
		return emit_unknown(buf, n, width);
	grouped(tmp, sizeof tmp, v, decimals < 0 ? 0 : decimals > 6 ? 6 : decimals);
	return emit(buf, n, tmp, width);
}

size_t fmt_usd(char *buf, size_t n, double usd, int width)
{
	char num[80], tmp[96];
	if (!isfinite(usd))
		return emit_unknown(buf, n, width);
	double a = fabs(usd);
	const char *sign = usd < 0 ? "-" : "";
	if (a < 1)
		snprintf(num, sizeof num, "%.3f", a);
	else if (a < 100)
		snprintf(num, sizeof num, "%.2f", a);
	else if (a < 1e6)
		grouped(num, sizeof num, a, 0);
	else {
		char si[32];
		fmt_si(si, sizeof si, a, 0, NULL, false);
		snprintf(num, sizeof num, "%s", si);
	}
	snprintf(tmp, sizeof tmp, "%s$%s", sign, num);
	return emit(buf, n, tmp, width);
}

size_t fmt_duration(char *buf, size_t n, double s, int width)
{
	char tmp[64];
	if (!isfinite(s) || s < 0)
		return emit_unknown(buf, n, width);
	if (s < 60)
		snprintf(tmp, sizeof tmp, "%.0f s", s);
	else if (s < 3600)
		snprintf(tmp, sizeof tmp, "%.0f min", s / 60);
	else if (s < 86400 * 2)
		snprintf(tmp, sizeof tmp, "%.2f h", s / 3600);
	else if (s < 86400 * 1e6)
		snprintf(tmp, sizeof tmp, "%.1f d", s / 86400);
	else
		return emit(buf, n, ">1M d", width);
	return emit(buf, n, tmp, width);
}

size_t fmt_ratio(char *buf, size_t n, double x, int width)
{
	char tmp[64];
	if (!isfinite(x))
		return emit_unknown(buf, n, width);
	double a = fabs(x);
	if (a >= 1e6)
		return emit(buf, n, x < 0 ? "<-1Mx" : ">1Mx", width);
	snprintf(tmp, sizeof tmp, "%.*fx", a < 0.995 ? 3 : a < 99.5 ? 2 : 0, x);
	return emit(buf, n, tmp, width);
}

size_t fmt_pct(char *buf, size_t n, double pct, int width)
{
	char tmp[64];
	if (!isfinite(pct))
		return emit_unknown(buf, n, width);
	double a = fabs(pct);
	if (a >= 1e6)
		return emit(buf, n, pct < 0 ? "<-1M%" : ">+1M%", width);
	int dec = a < 9.95 ? 1 : 0;
	/* never "+0%" / "-0%" for something that rounds to zero */
	if (a < (dec ? 0.05 : 0.5))
		snprintf(tmp, sizeof tmp, "0%%");
	else
		snprintf(tmp, sizeof tmp, "%+.*f%%", dec, pct);
	return emit(buf, n, tmp, width);
}

/* Length of a valid UTF-8 sequence at p (1..4), or 0 when invalid.  Overlong
 * forms, surrogates and code points past U+10FFFF are invalid; so are the C1
 * controls U+0080..U+009F, which some terminals obey. */
static size_t utf8_valid(const unsigned char *p)
{
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned cp;
	if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
	else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
	else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
	else return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp <= 0x9F))
		return 0;
	return len;
}

size_t fmt_sanitize(char *buf, size_t n, const char *src, bool utf8)
{
	if (n == 0)
		return 0;
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)(src ? src : "");
	while (*p && o + 1 < n) {
		if (*p < 0x20 || *p == 0x7F) {
			buf[o++] = *p == '\t' ? ' ' : '?';
			p++;
			continue;
		}
		size_t len = utf8 ? utf8_valid(p) : (*p < 0x80);
		if (len == 0) {
			buf[o++] = '?';
			p++;
			continue;
		}
		if (o + len >= n)
			break;
		memcpy(buf + o, p, len);
		o += len;
		p += len;
	}
	buf[o] = '\0';
	return o;
}

void fmt_msg(char *buf, size_t n, const char *fmt, ...)
{
	if (!buf || !n)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
}
