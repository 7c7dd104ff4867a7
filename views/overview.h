/*
 * overview.h - the main screen: every fleet side by side, with sparklines,
 * and a comparison strip against the baseline fleet.
 */
#ifndef PERWATT_OVERVIEW_H
#define PERWATT_OVERVIEW_H

#include "views/view.h"

extern const struct view_ops overview_view;

#endif
