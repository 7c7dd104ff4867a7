/*
 * format.h - numbers for people: SI prefixes, money, durations, at fixed widths.
 *
 * Every function writes a NUL-terminated string of at most n-1 bytes and
 * returns its length.  A value that is unknown (NAN) is written as "n/a"; no
 * function ever prints "nan" or "inf".  With `width` > 0 the result is
 * right-aligned in exactly `width` columns (all output is ASCII unless
 * `utf8` asks for the micro sign), so figures don't jump as they change.
 */
#ifndef PERWATT_FORMAT_H
#define PERWATT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

/* Three significant digits and an SI prefix: 0.00123 -> "1.23m", 195120 -> "195k",
 * 8.6 -> "8.60", 0.703 -> "0.703", 0.0123 -> "0.0123", 0 -> "0".  `unit` (may be NULL or "") is appended after a space
 * (the prefix joins it: "12.3 kW").  Negative values keep their sign. */
size_t fmt_si(char *buf, size_t n, double v, int width, const char *unit, bool utf8);

/* Money: "$0.752", "$24.82", "$791", "$2,091", "$1.23M". */
size_t fmt_usd(char *buf, size_t n, double usd, int width);

/* An error message into a caller's buffer: vsnprintf when n > 0, nothing
 * when the caller gave no room (n == 0). */
void fmt_msg(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Durations: "12 s", "45 min", "2.30 h", "3.1 d". */
size_t fmt_duration(char *buf, size_t n, double seconds, int width);

/* Ratios and percentages: "6.30x", "0.080x"; "-92%", "+4.1%". */
size_t fmt_ratio(char *buf, size_t n, double x, int width);
size_t fmt_pct(char *buf, size_t n, double pct, int width);

/* Plain number with thousands separators and `decimals` decimals: "1,000,000". */
size_t fmt_grouped(char *buf, size_t n, double v, int decimals, int width);

/* Copies src into buf replacing control characters (C0, DEL, C1, and any
 * invalid UTF-8 when utf8 is set; every non-ASCII byte when it is not) by '?',
 * so remote text can never drive the terminal. */
size_t fmt_sanitize(char *buf, size_t n, const char *src, bool utf8);

#endif
