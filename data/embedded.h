/*
 * embedded.h - data files compiled into the binary (see data/embed.sh).
 * Names are relative to data/: "scenarios/inference.ini".
 */
#ifndef PERWATT_EMBEDDED_H
#define PERWATT_EMBEDDED_H

struct embedded_file {
	const char *name;
	const char *text;
};

extern const struct embedded_file embedded_files[];  /* ends with { NULL, NULL } */

/* The text of an embedded file, or NULL. */
const char *embedded_find(const char *name);

#endif
