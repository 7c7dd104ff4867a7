/* inifile.c - inih over text in memory, with line numbers; see inifile.h. */
#include "config.h"

#include <ctype.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/inifile.h"

/* What ini_parse_stream reads from: the text, and what inifile knows of
 * the line inih is handling (inih asks for line N+1 only after it has
 * made every handler call for line N). */
struct feed {
	const struct inifile_cb *cb;
	void *user;
	struct inifile_error *e;
	const char *next;       /* the text not yet handed to inih */
	int lineno;             /* lines handed so far: the line being handled */
	bool have_key;          /* inih's prev_name: a key since the last header */
	bool continued;         /* the line being handled continues the value above */
	char *section;          /* the current section, whole and trimmed */
};

static char *stop(struct feed *f, enum inifile_status status, const char *msg)
{
	if (f->e->status == INIFILE_OK) {
		f->e->status = status;
		f->e->line = f->lineno;
		snprintf(f->e->msg, sizeof f->e->msg, "%s", msg);
	}
	return NULL;
}

/* inih's own rule for where a value (or a section name) ends: at one of
 * `chars`, or at an inline comment (';' after a blank). */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
	int was_space = 0;
	while (*s && (!chars || !strchr(chars, *s)) && !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

/* Classifies the line the way inih will (a continuation, a header, a key,
 * or a comment), so that the key callback knows which it got and the
 * section callback hears of every header.  NULL when parsing must end. */
static char *classify(struct feed *f, char *line)
{
	const char *start = line;
	if (f->lineno == 1 && (unsigned char)start[0] == 0xEF && (unsigned char)start[1] == 0xBB
	    && (unsigned char)start[2] == 0xBF)
		start += 3;
	while (isspace((unsigned char)*start))
		start++;
	size_t len = strlen(start);
	while (len > 0 && isspace((unsigned char)start[len - 1]))
		len--;
	f->continued = false;
	if (len == 0 || *start == ';' || *start == '#')
		return line;
	if (f->have_key && start > line) {
		f->continued = true;
		return line;
	}
	if (*start == '[') {
		const char *end = find_chars_or_comment(start + 1, "]");
		if (*end != ']')
			return stop(f, INIFILE_MALFORMED, "a '[' without its ']'");
		const char *name = start + 1;
		while (name < end && isspace((unsigned char)*name))
			name++;
		while (end > name && isspace((unsigned char)end[-1]))
			end--;
		char *copy = malloc((size_t)(end - name) + 1);
		if (!copy)
			return stop(f, INIFILE_MALFORMED, "out of memory");
		memcpy(copy, name, (size_t)(end - name));
		copy[end - name] = '\0';
		free(f->section);
		f->section = copy;
		f->have_key = false;
		if (f->cb->section && !f->cb->section(f->user, copy, f->lineno))
			return stop(f, INIFILE_STOPPED, "");
		return line;
	}
	const char *sep = find_chars_or_comment(start, "=:");
	if (*sep != '=' && *sep != ':')
		return stop(f, INIFILE_MALFORMED, "not key = value, a [section] or a comment");
	f->have_key = true;
	return line;
}

/* inih's reader: one line at a time, newline included as fgets would, so
 * that a build of inih that grows its buffer does not join two lines. */
static char *feed_line(char *str, int num, void *stream)
{
	struct feed *f = stream;
	if (f->e->status != INIFILE_OK || !*f->next || num < 3)
		return NULL;
	size_t len = strcspn(f->next, "\n");
	bool nl = f->next[len] == '\n';
	f->lineno++;
	if (len + 1 > (size_t)num - 1) {
		char msg[96];
		snprintf(msg, sizeof msg, "line longer than %d bytes (an indented line continues a value)", num - 2);
		return stop(f, INIFILE_TOO_LONG, msg);
	}
	memcpy(str, f->next, len);
	if (nl)
		str[len++] = '\n';
	str[len] = '\0';
	f->next += len;
	return classify(f, str);
}

static int on_pair(void *user, const char *section, const char *key, const char *value)
{
	struct feed *f = user;
	(void)section;  /* inih's copy may be cut short; f->section is whole */
	if (f->e->status != INIFILE_OK)
		return 0;
	if (!f->cb->key(f->user, f->section ? f->section : "", key, value, f->lineno, f->continued)) {
		stop(f, INIFILE_STOPPED, "");
		return 0;
	}
	return 1;
}

int inifile_parse(const char *text, const struct inifile_cb *cb, void *user, struct inifile_error *e)
{
	struct feed f = { cb, user, e, text ? text : "", 0, false, false, NULL };
	memset(e, 0, sizeof *e);
	int r = ini_parse_stream(feed_line, &f, on_pair, &f);
	free(f.section);
	if (e->status != INIFILE_OK)
		return -1;
	if (r != 0) {
		/* Not expected: classify() finds inih's errors first. */
		e->status = INIFILE_MALFORMED;
		e->line = r > 0 ? r : 0;
		snprintf(e->msg, sizeof e->msg, "%s", r > 0 ? "malformed line" : "out of memory");
		return -1;
	}
	return 0;
}
