/*
 * help.h - the help overlay: the keys (from views/keys.c), the views, what
 * the marks on screen mean.
 */
#ifndef PERWATT_HELP_H
#define PERWATT_HELP_H

#include "views/view.h"

extern const struct view_ops help_view;

#endif
