/*
 * check.h - the CI gate: conditions on the projected savings that a script
 * can fail a migration on (--check 'energy_pct<=-50').
 *
 *   EXPR   := [FLEET ':'] KEY OP NUMBER
 *   KEY    := instances_pct | energy_pct | cost_pct | co2_pct | time_pct
 *             (percent change against the baseline; add _lo or _hi for the
 *             ends of the range, e.g. energy_pct_hi<=-50 holds only when even
 *             the least favourable reading saves half)
 *           | instances | hours | energy_kwh | usd | usd_per_million | co2_kg
 *             (the candidate's own projected figures)
 *   OP     := <= | < | >= | > | == | !=
 *
 * Without FLEET a check applies to every fleet but the baseline.  An unknown
 * value (a missing price, say) fails the check: a gate must not pass on
 * what it cannot see.
 */
#ifndef PERWATT_CHECK_H
#define PERWATT_CHECK_H

#include <stddef.h>

#include "core/model.h"
#include "core/savings.h"

enum check_op { CHK_LE, CHK_LT, CHK_GE, CHK_GT, CHK_EQ, CHK_NE };

struct check {
	char fleet[64];         /* empty: every candidate */
	char key[24];
	enum check_op op;
	double value;
	char text[160];         /* the expression as written, for messages */
};

/* 0, or -1 with a one-line reason in err. */
int check_parse(const char *expr, struct check *out, char *err, size_t errlen);

/* Evaluates one check over the savings; returns the number of fleets on
 * which it failed (0: it holds) and appends one line per fleet it looked at
 * to `report` ("check ok: inferentia energy_pct<=-50: -92" or
 * "check FAILED: inferentia energy_pct<=-95: -92, off by 3"). */
int check_eval(const struct check *c, const struct model *m, const struct savings *s,
               char *report, size_t reportlen);

#endif
