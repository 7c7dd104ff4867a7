/* Tests of the price cache that perwatt --update-prices writes (core/pricecache.c). */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <cmocka.h>

#include "core/model.h"
#include "core/pricecache.h"
#include "core/tables.h"

#define WHEN 1795782896     /* 2026-11-27T12:34:56Z */

static void setenv_or_unset(const char *name, const char *value)
{
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

static void path_follows_xdg_then_home(void **state)
{
	(void)state;
	char *old_xdg = getenv("XDG_CACHE_HOME") ? strdup(getenv("XDG_CACHE_HOME")) : NULL;
	char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	char buf[256];

	setenv("XDG_CACHE_HOME", "/var/cache/me", 1);
	setenv("HOME", "/home/me", 1);
	assert_int_equal(pricecache_path(buf, sizeof buf), 0);
	assert_string_equal(buf, "/var/cache/me/perwatt/prices.csv");
	/* a relative XDG_CACHE_HOME is invalid: ignored */
	setenv("XDG_CACHE_HOME", "cache", 1);
	assert_int_equal(pricecache_path(buf, sizeof buf), 0);
	assert_string_equal(buf, "/home/me/.cache/perwatt/prices.csv");
	unsetenv("XDG_CACHE_HOME");
	assert_int_equal(pricecache_path(buf, sizeof buf), 0);
	assert_string_equal(buf, "/home/me/.cache/perwatt/prices.csv");
	/* too small a buffer, or nowhere at all */
	assert_int_equal(pricecache_path(buf, 10), -1);
	assert_string_equal(buf, "");
	unsetenv("HOME");
	assert_int_equal(pricecache_path(buf, sizeof buf), -1);
	assert_string_equal(buf, "");

	setenv_or_unset("XDG_CACHE_HOME", old_xdg);
	setenv_or_unset("HOME", old_home);
	free(old_xdg);
	free(old_home);
}

static void rows_are_checked(void **state)
{
	(void)state;
	struct price_row r;
	char why[96];
	assert_int_equal(pricecache_row(&r, "inf2.xlarge", "us-east-1", 0.7582, WHEN), 0);
	assert_string_equal(r.instance_type, "inf2.xlarge");
	assert_string_equal(r.region, "us-east-1");
	assert_string_equal(r.source, PRICECACHE_SOURCE);
	assert_string_equal(r.date, "2026-11-27");
	assert_float_equal(r.usd_per_hour, 0.7582, 0);
	assert_int_equal(pricecache_row_ok(&r, why, sizeof why), 1);

	/* nothing that would not read back as the same row */
	assert_int_equal(pricecache_row(&r, "inf2,xlarge", "us-east-1", 1, WHEN), -1);
	assert_int_equal(pricecache_row(&r, "inf2.xlarge", "us east 1", 1, WHEN), -1);
	assert_int_equal(pricecache_row(&r, "inf2\n.xlarge", "us-east-1", 1, WHEN), -1);
	assert_int_equal(pricecache_row(&r, "#inf2", "us-east-1", 1, WHEN), -1);
	assert_int_equal(pricecache_row(&r, "", "us-east-1", 1, WHEN), -1);
	assert_int_equal(pricecache_row(&r, "a-type-name-that-is-much-too-long-for-the-table", "us-east-1", 1, WHEN), -1);
	assert_int_equal(pricecache_row(&r, "inf2.xlarge", "us-east-1", NAN, WHEN), -1);
	assert_int_equal(pricecache_row(&r, "inf2.xlarge", "us-east-1", -1, WHEN), -1);
	assert_int_equal(pricecache_row(&r, "inf2.xlarge", "us-east-1", 20000, WHEN), -1);
	assert_int_equal(pricecache_row(&r, NULL, "us-east-1", 1, WHEN), -1);
	assert_int_equal(pricecache_row(&r, "inf2.xlarge", "us-east-1", 0, WHEN), 0);   /* free is a price */

	memset(&r, 0, sizeof r);
	assert_int_equal(pricecache_row_ok(&r, why, sizeof why), 0);
	assert_non_null(strstr(why, "instance_type is empty"));
	assert_int_equal(pricecache_row_ok(&r, NULL, 0), 0);
}

static void merge_replaces_the_same_type_and_region(void **state)
{
	(void)state;
	struct tables t;
	struct price_row r[3];
	char err[160];
	tables_init(&t);
	assert_int_equal(pricecache_row(&r[0], "inf2.xlarge", "us-east-1", 0.7582, WHEN), 0);
	assert_int_equal(pricecache_row(&r[1], "g5.xlarge", "us-east-1", 1.006, WHEN), 0);
	assert_int_equal(pricecache_row(&r[2], "inf2.xlarge", "eu-west-1", 0.83, WHEN), 0);
	assert_int_equal(pricecache_merge(&t, r, 3, err, sizeof err), 0);
	assert_int_equal(t.nprice, 3);

	struct price_row newer;
	assert_int_equal(pricecache_row(&newer, "inf2.xlarge", "us-east-1", 0.70, WHEN + 86400), 0);
	assert_int_equal(pricecache_merge(&t, &newer, 1, err, sizeof err), 0);
	assert_int_equal(t.nprice, 3);
	assert_float_equal(tables_price(&t, "inf2.xlarge", "us-east-1")->usd_per_hour, 0.70, 0);
	assert_string_equal(tables_price(&t, "inf2.xlarge", "us-east-1")->date, "2026-11-28");
	assert_float_equal(tables_price(&t, "inf2.xlarge", "eu-west-1")->usd_per_hour, 0.83, 0);

	/* a bad row: refused, with what came before it kept */
	struct price_row bad[2] = { newer, newer };
	snprintf(bad[0].instance_type, sizeof bad[0].instance_type, "c7g.xlarge");
	snprintf(bad[1].region, sizeof bad[1].region, "a,b");
	assert_int_equal(pricecache_merge(&t, bad, 2, err, sizeof err), -1);
	assert_non_null(strstr(err, "price row 2: region"));
	assert_int_equal(t.nprice, 4);
	tables_free(&t);
}

static void render_reads_back_as_an_override(void **state)
{
	(void)state;
	struct tables t, back;
	struct price_row r[4];
	char err[160];
	tables_init(&t);
	tables_init(&back);
	assert_int_equal(pricecache_row(&r[0], "inf2.xlarge", "us-east-1", 0.7582, WHEN), 0);
	assert_int_equal(pricecache_row(&r[1], "g5.xlarge", "us-east-1", 1.006, WHEN), 0);
	assert_int_equal(pricecache_row(&r[2], "p4d.24xlarge", "us-east-1", 21.957642, WHEN), 0);
	assert_int_equal(pricecache_row(&r[3], "t4g.nano", "eu-west-1", 0.00001, WHEN), 0);
	assert_int_equal(pricecache_merge(&t, r, 4, err, sizeof err), 0);

	char *text = pricecache_render(&t, WHEN, "https://AKIDEXAMPLE:s3cr3t@api.pricing.us-east-1.amazonaws.com/\n",
	                               err, sizeof err);
	assert_non_null(text);
	/* when and from where, with no user:password and no line break */
	assert_non_null(strstr(text, "\n# fetched 2026-11-27T12:34:56Z from "
	                             "https://***@api.pricing.us-east-1.amazonaws.com/\n"));
	assert_null(strstr(text, "s3cr3t"));
	assert_null(strstr(text, "AKIDEXAMPLE"));
	/* sorted by type, prices in plain decimals */
	const char *rows = strstr(text, "instance_type,region,usd_per_hour,source,date\n");
	assert_non_null(rows);
	assert_string_equal(rows,
		"instance_type,region,usd_per_hour,source,date\n"
		"g5.xlarge,us-east-1,1.006,aws-price-list,2026-11-27\n"
		"inf2.xlarge,us-east-1,0.7582,aws-price-list,2026-11-27\n"
		"p4d.24xlarge,us-east-1,21.957642,aws-price-list,2026-11-27\n"
		"t4g.nano,eu-west-1,0.00001,aws-price-list,2026-11-27\n");
	/* every line before the header is a comment */
	for (const char *p = text; p < rows; p = strchr(p, '\n') + 1)
		assert_int_equal(*p, '#');

	/* the shipped table's reader takes it as an override */
	assert_int_equal(tables_load_builtin(&back, err, sizeof err), 0);
	size_t shipped = back.nprice;
	assert_int_equal(tables_parse_prices(&back, text, "prices.csv", err, sizeof err), 0);
	assert_int_equal(back.nprice, shipped + 1);      /* only t4g.nano is new */
	const struct price_row *p = tables_price(&back, "inf2.xlarge", "us-east-1");
	assert_float_equal(p->usd_per_hour, 0.7582, 0);
	assert_string_equal(p->source, PRICECACHE_SOURCE);
	assert_string_equal(p->date, "2026-11-27");
	assert_float_equal(tables_price(&back, "t4g.nano", "eu-west-1")->usd_per_hour, 0.00001, 0);
	free(text);

	/* an empty cache is still a valid file; a bad row is refused */
	struct tables none;
	tables_init(&none);
	text = pricecache_render(&none, WHEN, NULL, err, sizeof err);
	assert_non_null(text);
	assert_int_equal(tables_parse_prices(&none, text, "empty.csv", err, sizeof err), 0);
	assert_int_equal(none.nprice, 0);
	free(text);
	snprintf(t.price[0].source, sizeof t.price[0].source, "a source");
	assert_null(pricecache_render(&t, WHEN, NULL, err, sizeof err));
	assert_non_null(strstr(err, "source"));

	tables_free(&none);
	tables_free(&back);
	tables_free(&t);
}

static void model_names_the_price_list_and_its_date(void **state)
{
	(void)state;
	struct tables t;
	char err[256];
	tables_init(&t);
	assert_int_equal(tables_load_builtin(&t, err, sizeof err), 0);
	struct model *m = model_new();
	struct fleet *a = model_add_fleet(m, "inf2");
	struct fleet *b = model_add_fleet(m, "gpu");
	fleet_set_str(&a->instance_type, "inf2.xlarge");
	fleet_set_str(&b->instance_type, "g5.xlarge");
	model_apply_tables(m, &t, "us-east-1");
	assert_string_equal(a->price_source, "table price-list-2026-09 us-east-1");

	struct price_row r;
	assert_int_equal(pricecache_row(&r, "inf2.xlarge", "us-east-1", 0.70, WHEN), 0);
	assert_int_equal(pricecache_merge(&t, &r, 1, err, sizeof err), 0);
	model_apply_tables(m, &t, "us-east-1");
	assert_string_equal(a->price_source, "AWS Price List 2026-11-27 us-east-1");
	assert_float_equal(a->usd_per_hour, 0.70, 0);
	assert_int_equal(a->price_prov, PROV_ESTIMATED);
	assert_string_equal(b->price_source, "table price-list-2026-09 us-east-1");
	assert_float_equal(b->usd_per_hour, 1.006, 0);
	/* a fleet's own price wins over the cache */
	struct fleet *c = model_add_fleet(m, "own");
	fleet_set_str(&c->instance_type, "inf2.xlarge");
	c->usd_per_hour = 0.5;
	snprintf(c->price_source, sizeof c->price_source, "config");
	model_apply_tables(m, &t, "us-east-1");
	assert_float_equal(c->usd_per_hour, 0.5, 0);
	assert_string_equal(c->price_source, "config");
	model_free(m);
	tables_free(&t);
}

/* A fresh scratch directory under TMPDIR. */
static void scratch_dir(char *buf, size_t n)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(buf, n, "%s/perwatt-pricecache.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(buf));
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	static char buf[65536];
	size_t len = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	return buf;
}

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void write_then_read(void **state)
{
	(void)state;
	char dir[256], path[400], sub[300], err[512];
	scratch_dir(dir, sizeof dir);
	snprintf(sub, sizeof sub, "%s/cache/perwatt", dir);
	snprintf(path, sizeof path, "%s/prices.csv", sub);
	mode_t old = umask(022);

	/* no cache yet: nothing loaded, not an error */
	struct tables t;
	tables_init(&t);
	assert_int_equal(pricecache_read(&t, path, err, sizeof err), 0);

	/* written with its directories, readable by all, no temporary left */
	struct price_row r[2];
	assert_int_equal(pricecache_row(&r[0], "inf2.xlarge", "us-east-1", 0.7582, WHEN), 0);
	assert_int_equal(pricecache_row(&r[1], "g5.xlarge", "eu-west-1", 1.2, WHEN), 0);
	assert_int_equal(pricecache_merge(&t, r, 2, err, sizeof err), 0);
	char *text = pricecache_render(&t, WHEN, "http://127.0.0.1:1/", err, sizeof err);
	assert_non_null(text);
	assert_int_equal(pricecache_write(path, text, err, sizeof err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	assert_string_equal(slurp(path), text);
	assert_int_equal(entries(sub), 1);
	free(text);
	tables_free(&t);

	/* read back over the shipped table: the cache's rows win */
	assert_int_equal(tables_load_builtin(&t, err, sizeof err), 0);
	size_t shipped = t.nprice;
	assert_int_equal(pricecache_read(&t, path, err, sizeof err), 1);
	assert_int_equal(t.nprice, shipped + 1);
	assert_string_equal(tables_price(&t, "inf2.xlarge", "us-east-1")->source, PRICECACHE_SOURCE);
	assert_float_equal(tables_price(&t, "g5.xlarge", "eu-west-1")->usd_per_hour, 1.2, 0);
	tables_free(&t);

	/* a malformed cache: its file and line named, nothing of it taken */
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("# perwatt price cache\ninstance_type,region,usd_per_hour,source,date\n"
	      "inf2.xlarge,us-east-1,0.5,aws-price-list,2026-11-27\n"
	      "g5.xlarge,us-east-1,cheap,aws-price-list,2026-11-27\n", fp);
	fclose(fp);
	assert_int_equal(tables_load_builtin(&t, err, sizeof err), 0);
	assert_int_equal(pricecache_read(&t, path, err, sizeof err), -1);
	char want[700];
	snprintf(want, sizeof want, "%s:4: usd_per_hour", path);
	assert_non_null(strstr(err, want));
	assert_int_equal(t.nprice, shipped);
	assert_float_equal(tables_price(&t, "inf2.xlarge", "us-east-1")->usd_per_hour, 0.7582, 0);
	assert_string_equal(tables_price(&t, "inf2.xlarge", "us-east-1")->source, "price-list-2026-09");
	/* ... and so is one that is no CSV at all, or binary */
	fp = fopen(path, "w");
	fputs("<html>proxy</html>\n", fp);
	fclose(fp);
	assert_int_equal(pricecache_read(&t, path, err, sizeof err), -1);
	assert_non_null(strstr(err, ":1: the header must be"));
	fp = fopen(path, "wb");
	fwrite("a\0b", 1, 3, fp);
	fclose(fp);
	assert_int_equal(pricecache_read(&t, path, err, sizeof err), -1);
	assert_non_null(strstr(err, "NUL byte"));
	assert_int_equal(t.nprice, shipped);
	tables_free(&t);

	/* overwritten atomically */
	assert_int_equal(pricecache_write(path, "# new\n", err, sizeof err), 0);
	assert_string_equal(slurp(path), "# new\n");
	assert_int_equal(entries(sub), 1);

	/* a directory that cannot be made: an error naming it, nothing left */
	char blocked[600];
	snprintf(blocked, sizeof blocked, "%s/prices.csv/x/prices.csv", sub);
	assert_int_equal(pricecache_write(blocked, "x\n", err, sizeof err), -1);
	assert_non_null(strstr(err, "prices.csv"));
	assert_int_equal(entries(sub), 1);

	umask(old);
	unlink(path);
	rmdir(sub);
	snprintf(sub, sizeof sub, "%s/cache", dir);
	rmdir(sub);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(path_follows_xdg_then_home),
		cmocka_unit_test(rows_are_checked),
		cmocka_unit_test(merge_replaces_the_same_type_and_region),
		cmocka_unit_test(render_reads_back_as_an_override),
		cmocka_unit_test(model_names_the_price_list_and_its_date),
		cmocka_unit_test(write_then_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
