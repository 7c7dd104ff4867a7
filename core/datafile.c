/* datafile.c - lookup of the data files embedded at build time. */
#include "config.h"

#include <string.h>

#include "data/embedded.h"

const char *embedded_find(const char *name)
{
	for (const struct embedded_file *f = embedded_files; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f->text;
	return NULL;
}
