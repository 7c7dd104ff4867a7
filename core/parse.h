/*
 * parse.h - strict parsing of the numbers people type on a command line or
 * in a config file.  Every function returns 0 on success and -1 on error,
 * leaving the output untouched; nothing accepts trailing garbage, NaN or
 * infinity.
 */
#ifndef PERWATT_PARSE_H
#define PERWATT_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* A finite decimal number, optionally with e-notation or an SI suffix
 * (k, M, G, T): "450e6", "1.5M", "0.25". */
int parse_number(const char *s, double *out);

/* A duration in seconds: "90", "90s", "1.5m", "2h", "1d", "250ms". */
int parse_duration(const char *s, double *seconds);

/* A rate in units per second: "300/s", "1000000/h", "1M/h", "50/min", "2/ms";
 * a bare number is refused (the unit of time must be said). */
int parse_rate(const char *s, double *per_second);

/* A boolean: true/yes/on/1 or false/no/off/0 (case does not matter). */
int parse_bool(const char *s, bool *out);

/* An unsigned 64-bit integer (decimal or 0x hex). */
int parse_u64(const char *s, uint64_t *out);

#endif
