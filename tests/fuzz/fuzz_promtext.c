/* fuzz_promtext.c - libFuzzer target for the exposition parser.
 *
 * Each input is parsed twice with the same settings: once whole, once cut
 * into two or three chunks at points derived from the input, sometimes
 * byte by byte. Both runs must agree exactly (return codes, error and
 * warning text, counters, every delivered sample), error text must be
 * printable ASCII, and the sanitizers watch every byte the callback reads.
 * The format and the selector set also follow from the input, so the seed
 * files (real exporter outputs) are used as they are. See README.md. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/promtext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	int rc;
	char err[400];
	char warn[400];
	struct promtext_stats st;
	uint64_t digest;        /* of everything delivered */
};

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

static int on_sample(int sel, const struct promtext_labels *L, double v, bool has_ts,
                     int64_t ts, void *user)
{
	struct outcome *o = user;
	uint64_t h = o->digest;
	size_t i;

	if (!L->metric || L->metric[L->metric_len] != '\0' || L->metric_len == 0 ||
	    !L->family || L->family[L->family_len] != '\0' || !L->unit)
		abort();
	h = mix(h, &sel, sizeof sel);
	h = mix(h, L->metric, L->metric_len + 1);
	h = mix(h, L->family, L->family_len + 1);
	h = mix(h, L->unit, strlen(L->unit) + 1);
	h = mix(h, &L->type, sizeof L->type);
	for (i = 0; i < L->n; i++) {
		const struct promtext_label *l = &L->label[i];
		if (l->name[l->name_len] != '\0' || l->value[l->value_len] != '\0' || l->name_len == 0)
			abort();
		h = mix(h, l->name, l->name_len + 1);
		h = mix(h, l->value, l->value_len + 1);
	}
	if (v == v)             /* NaN payloads may differ; NaN-ness may not */
		h = mix(h, &v, sizeof v);
	else
		h = mix(h, "nan", 3);
	h = mix(h, &has_ts, sizeof has_ts);
	h = mix(h, &ts, sizeof ts);
	o->digest = h;
	return 0;
}

static void check_text(const char *s)
{
	if (!s)
		return;
	if (strlen(s) >= 400)
		abort();
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			abort();
}

static const char *const sel_sets[3][5] = {
	/* what perwatt asks for: a few names, some matchers */
	{ "DCGM_FI_DEV_POWER_USAGE", "m{a=~\"x.*|\",b!=\"y\"}", "node_rapl_package_joules_total",
	  "{\"my.metric\", \"a.b\"!~\"c+\"}", NULL },
	/* everything */
	{ "{__name__=~\".*\"}", NULL },
	/* a selector that matches no metric but makes every line parse */
	{ "{__name__=~\"a\",nope=\"1\"}", "foo_total", NULL },
};

static void run(struct outcome *o, const uint8_t *data, size_t size,
                enum promtext_format fmt, int set, bool validate_all,
                const size_t *cuts, size_t ncuts, bool bytewise)
{
	struct promtext *p = promtext_new(fmt);
	size_t i, off = 0;

	memset(o, 0, sizeof *o);
	o->digest = 1469598103934665603ull;
	if (!p)
		abort();
	promtext_on_sample(p, on_sample, o);
	promtext_set_validate_all(p, validate_all);
	for (i = 0; sel_sets[set][i]; i++)
		if (promtext_add_selector_str(p, sel_sets[set][i]) != (int)i)
			abort();
	o->rc = 0;
	if (bytewise) {
		for (off = 0; off < size && o->rc == 0; off++)
			o->rc = promtext_feed(p, data + off, 1);
	} else {
		for (i = 0; i <= ncuts && o->rc == 0; i++) {
			size_t end = i < ncuts ? cuts[i] : size;
			o->rc = promtext_feed(p, data + off, end - off);
			off = end;
		}
	}
	if (o->rc == 0)
		o->rc = promtext_finish(p);
	else if (promtext_finish(p) != -1 || promtext_feed(p, "a 1\n", 4) != -1)
		abort();
	if (o->rc != 0 && !promtext_error(p))
		abort();
	check_text(promtext_error(p));
	check_text(promtext_warning(p));
	snprintf(o->err, sizeof o->err, "%s", promtext_error(p) ? promtext_error(p) : "");
	snprintf(o->warn, sizeof o->warn, "%s", promtext_warning(p) ? promtext_warning(p) : "");
	promtext_get_stats(p, &o->st);
	if (o->st.delivered < o->st.matched || o->st.matched > o->st.samples ||
	    o->st.samples > o->st.lines)
		abort();

	/* the same parser, reset, must give the same answer again */
	if (size < 4096) {
		struct outcome again;
		memset(&again, 0, sizeof again);
		again.digest = 1469598103934665603ull;
		promtext_reset(p, fmt);
		promtext_on_sample(p, on_sample, &again);
		again.rc = promtext_feed(p, data, size);
		if (again.rc == 0)
			again.rc = promtext_finish(p);
		promtext_get_stats(p, &again.st);
		if (again.rc != o->rc || again.digest != o->digest ||
		    memcmp(&again.st, &o->st, sizeof o->st) != 0)
			abort();
	}
	promtext_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t h = mix(1469598103934665603ull, data, size < 64 ? size : 64);
	enum promtext_format fmt;
	struct outcome whole, split;
	size_t cuts[2], ncuts;
	int set;
	bool va, bytewise;

	h = mix(h, &size, sizeof size);
	fmt = (h & 1) ? PROMTEXT_OPENMETRICS : PROMTEXT_0_0_4;
	set = (int)((h >> 1) % 3);
	va = (h >> 3) & 1;
	bytewise = ((h >> 4) & 7) == 0 && size <= 2048;
	ncuts = 1 + ((h >> 7) & 1);
	cuts[0] = size ? (size_t)((h >> 8) % (size + 1)) : 0;
	cuts[1] = size ? (size_t)((h >> 32) % (size + 1)) : 0;
	if (ncuts == 2 && cuts[1] < cuts[0]) {
		size_t t = cuts[0];
		cuts[0] = cuts[1];
		cuts[1] = t;
	}

	run(&whole, data, size, fmt, set, va, NULL, 0, false);
	run(&split, data, size, fmt, set, va, cuts, ncuts, bytewise);
	if (whole.rc != split.rc || strcmp(whole.err, split.err) != 0 ||
	    strcmp(whole.warn, split.warn) != 0 || whole.digest != split.digest ||
	    memcmp(&whole.st, &split.st, sizeof whole.st) != 0) {
		fprintf(stderr, "whole and split parses differ:\n rc %d/%d\n err \"%s\"/\"%s\"\n"
		        " warn \"%s\"/\"%s\"\n samples %llu/%llu delivered %llu/%llu\n",
		        whole.rc, split.rc, whole.err, split.err, whole.warn, split.warn,
		        (unsigned long long)whole.st.samples, (unsigned long long)split.st.samples,
		        (unsigned long long)whole.st.delivered, (unsigned long long)split.st.delivered);
		abort();
	}
	return 0;
}
