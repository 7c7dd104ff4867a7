/* series.c - tiered ring buffers; see series.h for the memory layout. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/series.h"

const struct series_layout SERIES_LAYOUT_FULL = {
	3, { { 1, 900 }, { 10, 2160 }, { 60, 2880 } }
};
const struct series_layout SERIES_LAYOUT_SHORT = {
	2, { { 1, 900 }, { 10, 2160 }, { 0, 0 } }
};

#define FLAG_PROV 0x07

const char *prov_name(enum provenance p)
{
	switch (p) {
	case PROV_MEASURED:  return "measured";
	case PROV_ESTIMATED: return "estimated";
	case PROV_DEMO:      return "demo";
	case PROV_NONE:      break;
	}
	return "none";
}

/* The provenance a mix of two keeps: the least measured one. */
static enum provenance prov_merge(enum provenance a, enum provenance b)
{
	return a > b ? a : b;
}

size_t series_bytes(const struct series_layout *layout)
{
	size_t bytes = 0;
	for (unsigned i = 0; i < layout->ntiers; i++)
		bytes += (size_t)layout->tier[i].slots * (sizeof(float) + sizeof(uint8_t));
	return bytes;
}

int series_init(struct series *s, const struct series_layout *layout)
{
	memset(s, 0, sizeof *s);
	s->last_t = -1;
	s->last_v = NAN;
	if (layout->ntiers > SERIES_MAX_TIERS)
		return -1;
	for (unsigned i = 0; i < layout->ntiers; i++) {
		struct series_tier *t = &s->tier[i];
		t->step = layout->tier[i].step ? layout->tier[i].step : 1;
		t->slots = layout->tier[i].slots < 2 ? 2 : layout->tier[i].slots;
		t->head = INT64_MIN;
		t->val = calloc(t->slots, sizeof *t->val);
		t->flag = calloc(t->slots, sizeof *t->flag);
		s->ntiers = i + 1;
		if (!t->val || !t->flag) {
			series_free(s);
			return -1;
		}
	}
	return 0;
}

void series_free(struct series *s)
{
	for (unsigned i = 0; i < s->ntiers; i++) {
		free(s->tier[i].val);
		free(s->tier[i].flag);
	}
	memset(s, 0, sizeof *s);
	s->last_t = -1;
	s->last_v = NAN;
}

void series_clear(struct series *s)
{
	for (unsigned i = 0; i < s->ntiers; i++) {
		struct series_tier *t = &s->tier[i];
		memset(t->flag, 0, t->slots);
		t->head = INT64_MIN;
		t->acc_n = 0;
		t->acc_sum = 0;
	}
	s->last_t = -1;
	s->last_v = NAN;
	s->last_prov = PROV_NONE;
}

static size_t slot_of(const struct series_tier *t, int64_t bucket)
{
	int64_t r = bucket % (int64_t)t->slots;
	return (size_t)(r < 0 ? r + t->slots : r);
}

static void tier_push(struct series_tier *t, double time, double v, enum provenance p)
{
	int64_t b = (int64_t)floor(time / t->step);
	size_t k;

	if (t->head == INT64_MIN || b > t->head) {
		/* Advance: the slots skipped over become empty (a gap, not a zero). */
		if (t->head != INT64_MIN) {
			int64_t gap = b - t->head - 1;
			if (gap >= (int64_t)t->slots)
				memset(t->flag, 0, t->slots);
			else
				for (int64_t g = t->head + 1; g < b; g++)
					t->flag[slot_of(t, g)] = 0;
		}
		t->head = b;
		t->acc_sum = v;
		t->acc_n = 1;
		k = slot_of(t, b);
		t->val[k] = (float)v;
		t->flag[k] = (uint8_t)p;
		return;
	}
	if (b == t->head) {
		t->acc_sum += v;
		t->acc_n++;
		k = slot_of(t, b);
		t->val[k] = (float)(t->acc_sum / t->acc_n);
		t->flag[k] = (uint8_t)prov_merge((enum provenance)(t->flag[k] & FLAG_PROV), p);
		return;
	}
	/* A late sample: merge it into its slot if the ring still holds it.  The
	 * slot's sample count is unknown, so it is averaged in with weight 1/2. */
	if (t->head - b < (int64_t)t->slots) {
		k = slot_of(t, b);
		if (t->flag[k] & FLAG_PROV) {
			t->val[k] = (float)((t->val[k] + v) / 2);
			t->flag[k] = (uint8_t)prov_merge((enum provenance)(t->flag[k] & FLAG_PROV), p);
		} else {
			t->val[k] = (float)v;
			t->flag[k] = (uint8_t)p;
		}
	}
}

int series_push(struct series *s, double t, double v, enum provenance p)
{
	if (!isfinite(v) || !isfinite(t) || p == PROV_NONE)
		return -1;
	for (unsigned i = 0; i < s->ntiers; i++)
		tier_push(&s->tier[i], t, v, p);
	if (t >= s->last_t) {
		s->last_t = t;
		s->last_v = v;
		s->last_prov = p;
	}
	return 0;
}

double series_age(const struct series *s, double now)
{
	if (s->last_t < 0)
		return INFINITY;
	return now - s->last_t;
}

/* The finest tier whose ring spans `window` seconds (else the coarsest). */
static const struct series_tier *tier_for(const struct series *s, double window)
{
	if (s->ntiers == 0)
		return NULL;
	for (unsigned i = 0; i < s->ntiers; i++)
		if ((double)s->tier[i].step * s->tier[i].slots >= window)
			return &s->tier[i];
	return &s->tier[s->ntiers - 1];
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

size_t series_stats(const struct series *s, double now, double window, struct series_stats *out)
{
	memset(out, 0, sizeof *out);
	out->last = out->min = out->max = out->mean = out->p10 = out->p90 = NAN;
	const struct series_tier *t = tier_for(s, window);
	if (!t || t->head == INT64_MIN)
		return 0;

	int64_t end = (int64_t)floor(now / t->step);
	int64_t nb = (int64_t)ceil(window / t->step);
	if (nb < 1)
		nb = 1;
	if (nb > (int64_t)t->slots)
		nb = t->slots;
	if (end > t->head)
		end = t->head;          /* nothing newer exists */
	int64_t start = (int64_t)floor(now / t->step) - nb + 1;
	if (t->head - start >= (int64_t)t->slots)
		start = t->head - t->slots + 1;

	float *vals = malloc(sizeof(float) * (size_t)nb);
	if (!vals)
		return 0;
	size_t n = 0;
	double sum = 0;
	enum provenance prov = PROV_NONE;
	for (int64_t b = start; b <= end; b++) {
		size_t k = slot_of(t, b);
		if (!(t->flag[k] & FLAG_PROV))
			continue;
		float v = t->val[k];
		if (n == 0) {
			out->min = out->max = v;
		} else {
			if (v < out->min) out->min = v;
			if (v > out->max) out->max = v;
		}
		out->last = v;
		vals[n++] = v;
		sum += v;
		prov = prov_merge(prov, (enum provenance)(t->flag[k] & FLAG_PROV));
	}
	if (n) {
		out->n = n;
		out->mean = sum / (double)n;
		out->prov = prov;
		qsort(vals, n, sizeof *vals, cmp_float);
		/* nearest rank: ceil(p * n), 1-based */
		size_t r10 = (size_t)ceil(0.10 * (double)n), r90 = (size_t)ceil(0.90 * (double)n);
		out->p10 = vals[(r10 ? r10 : 1) - 1];
		out->p90 = vals[(r90 ? r90 : 1) - 1];
	}
	free(vals);
	return n;
}

size_t series_points(const struct series *s, double now, uint32_t step, float *out, size_t n)
{
	if (s->ntiers == 0 || n == 0)
		return 0;
	const struct series_tier *t = &s->tier[s->ntiers - 1];
	for (unsigned i = 0; i < s->ntiers; i++)
		if (s->tier[i].step >= step) {
			t = &s->tier[i];
			break;
		}
	int64_t end = (int64_t)floor(now / t->step);
	for (size_t j = 0; j < n; j++) {
		int64_t b = end - (int64_t)(n - 1 - j);
		out[j] = NAN;
		if (t->head == INT64_MIN || b > t->head || t->head - b >= (int64_t)t->slots)
			continue;
		size_t k = slot_of(t, b);
		if (t->flag[k] & FLAG_PROV)
			out[j] = t->val[k];
	}
	return n;
}
