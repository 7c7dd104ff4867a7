/* cli.c - command-line parsing for perwatt. */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/parse.h"
#include "core/scenario.h"
#include "themes/theme.h"
#include "views/report.h"

enum {
	OPT_DEMO = 0x100, OPT_ONCE, OPT_FORMAT, OPT_DURATION, OPT_INTERVAL, OPT_THEME,
	OPT_NO_COLOR, OPT_ASCII, OPT_SEED, OPT_WINDOW,
	OPT_SLA, OPT_WORK, OPT_HEADROOM, OPT_PUE, OPT_REGION, OPT_GRID, OPT_USD_KWH,
	OPT_INSTANCES, OPT_BASELINE, OPT_CHECK, OPT_CONFIG, OPT_FLEET, OPT_CHECK_CONFIG,
	OPT_PROFILE, OPT_UPDATE_PRICES, OPT_TYPE, OPT_COMPARE, OPT_FOLLOW, OPT_FOLLOW_CMD,
	OPT_FOLLOW_COUNTER, OPT_MATCH, OPT_MATCH_KIND, OPT_UNIT,
};

static const struct option long_opts[] = {
	{ "help",     no_argument,       NULL, 'h' },
	{ "version",  no_argument,       NULL, 'V' },
	{ "demo",     optional_argument, NULL, OPT_DEMO },
	{ "once",     no_argument,       NULL, OPT_ONCE },
	{ "format",   required_argument, NULL, OPT_FORMAT },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "window",   required_argument, NULL, OPT_WINDOW },
	{ "theme",    required_argument, NULL, OPT_THEME },
	{ "no-color", no_argument,       NULL, OPT_NO_COLOR },
	{ "ascii",    no_argument,       NULL, OPT_ASCII },
	{ "seed",     required_argument, NULL, OPT_SEED },
	{ "sla",      required_argument, NULL, OPT_SLA },
	{ "work",     required_argument, NULL, OPT_WORK },
	{ "headroom", required_argument, NULL, OPT_HEADROOM },
	{ "pue",      required_argument, NULL, OPT_PUE },
	{ "region",   required_argument, NULL, OPT_REGION },
	{ "grid-intensity", required_argument, NULL, OPT_GRID },
	{ "usd-per-kwh", required_argument, NULL, OPT_USD_KWH },
	{ "instances", required_argument, NULL, OPT_INSTANCES },
	{ "baseline", required_argument, NULL, OPT_BASELINE },
	{ "check",    required_argument, NULL, OPT_CHECK },
	{ "config",   required_argument, NULL, OPT_CONFIG },
	{ "fleet",    required_argument, NULL, OPT_FLEET },
	{ "check-config", no_argument,   NULL, OPT_CHECK_CONFIG },
	{ "profile",  required_argument, NULL, OPT_PROFILE },
	{ "update-prices", no_argument,  NULL, OPT_UPDATE_PRICES },
	{ "type",     required_argument, NULL, OPT_TYPE },
	{ "compare",  required_argument, NULL, OPT_COMPARE },
	{ "follow",   required_argument, NULL, OPT_FOLLOW },
	{ "follow-cmd", required_argument, NULL, OPT_FOLLOW_CMD },
	{ "follow-counter", required_argument, NULL, OPT_FOLLOW_COUNTER },
	{ "match",    required_argument, NULL, OPT_MATCH },
	{ "match-kind", required_argument, NULL, OPT_MATCH_KIND },
	{ "unit",     required_argument, NULL, OPT_UNIT },
	{ NULL, 0, NULL, 0 },
};

/* "dark, light, mono, ..." for messages. */
static const char *theme_list(void)
{
	static char list[256];
	if (!list[0])
		for (const char *const *n = theme_names; *n; n++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
			         n == theme_names ? "" : ", ", *n);
	return list;
}

void cli_usage(FILE *out)
{
	fprintf(out,
"Usage: perwatt [OPTION]...\n"
"Live throughput, power and cost of fleets side by side, and what migrating saves.\n"
"\n"
"With no options and no config file perwatt watches this machine: its power sensors\n"
"(RAPL, hwmon, nvidia-smi, neuron-monitor; else an estimate from CPU utilization)\n"
"and, with --follow, the benchmark's throughput.  --demo shows the built-in demo.\n"
"\n"
"Sources:\n"
"  --fleet SPEC         a fleet to watch (repeatable):\n"
"                         NAME=PRESET:URL[,URL...][;type=TYPE]   presets: dcgm, node,\n"
"                           neuron, scaphandre, kepler\n"
"                         NAME=scrape:URL[,URL...];throughput=METRIC{MATCHERS};\n"
"                           power=METRIC{MATCHERS}[;unit=inferences][;type=TYPE]\n"
"                         NAME=promql:SERVER_URL;throughput=EXPR;power=EXPR[;...]\n"
"                         NAME=cloudwatch[:PRESET][;select=DIM=VALUE][;throughput=\n"
"                           NAMESPACE/METRIC][;type=TYPE]   presets: cwagent-gpu, ec2,\n"
"                           neuron\n"
"                         NAME=local | NAME=nvidia-smi[:CMD] | NAME=neuron-monitor[:CMD]\n"
"                           | NAME=follow:FILE;match=REGEX  [;follow=FILE;match=REGEX]\n"
"  --config FILE        fleets and settings from an INI file (default:\n"
"                       $XDG_CONFIG_HOME/perwatt/perwatt.ini when it exists)\n"
"  --check-config       check the configuration, print the resolved fleets, exit\n"
"  --profile NAME       AWS profile for CloudWatch and prices (default: AWS_PROFILE,\n"
"                       else the AWS credential chain)\n"
"  --update-prices      fetch on-demand prices of the instance types in use from the\n"
"                       AWS Price List API (region: --region), cache them, exit\n"
"\n"
"This machine (local mode):\n"
"  --follow FILE        the benchmark's log, followed like tail -F\n"
"  --follow-cmd CMD     ...or a command's output, line by line\n"
"  --follow-counter F   ...or a file holding a running count\n"
"  --match REGEX        the line holding the value; its first (group) is it\n"
"  --match-kind KIND    rate (the value is units/s; default), count (a running\n"
"                       total) or lines (each matching line is one unit)\n"
"  --unit UNIT          what the benchmark counts: tokens, inferences...\n"
"  --type TYPE          this machine's instance type (default: from EC2 metadata,\n"
"                       else from neuron-monitor)\n"
"  --compare TYPE[=X]   add a projected fleet of TYPE: X times this machine's\n"
"                       throughput per instance (default: a published ratio)\n"
"\n"
"  --demo[=NAME]        the built-in demo scenario: inference (default) or training;\n"
"                       the name may also follow as the next word\n"
"  --seed N             seed of the demo's simulation (repeatable runs)\n"
"\n"
"Projected savings (against the baseline fleet):\n"
"  --sla RATE           a throughput target: 1000000/h, 300/s (default: the demo's\n"
"                       target, else what the baseline serves now)\n"
"  --work UNITS         a fixed amount of work instead: 450e6, 1.5M\n"
"  --instances N        with --work, the instance count of every fleet\n"
"  --headroom PCT       usable share of each instance's throughput (default 100)\n"
"  --baseline NAME      the fleet the others are compared to\n"
"  --pue X              data-centre overhead factor on energy (default 1.0)\n"
"  --region R           AWS region for prices and grid intensity (us-east-1)\n"
"  --grid-intensity G   gCO2e per kWh, instead of the region's\n"
"  --usd-per-kwh X      add electricity at this price to the cost\n"
"\n"
"Headless:\n"
"  --once               sample, print the figures once and exit (demo: in simulated\n"
"                       time, so it returns at once)\n"
"  --format FMT         json (default), csv or text\n"
"  --duration S         how long --once samples (demo: 60s of simulated time;\n"
"                       live sources: long enough for two polls, e.g. 3s)\n"
"  --check EXPR         fail (exit 1) unless a saving holds, e.g. 'energy_pct<=-50';\n"
"                       repeatable; implies --once\n"
"\n"
"Screen:\n"
"  --interval S         refresh interval (default 1s; 0.25s to 60s)\n"
"  --window S           seconds the shown figures average over (default 10s)\n"
"  --theme NAME         colour theme: %s\n"
"  --no-color           no colours (also when NO_COLOR is set)\n"
"  --ascii              ASCII only (automatic when the locale is not UTF-8)\n"
"\n"
"  -h, --help           this help\n"
"  -V, --version        the version\n"
"\n"
"Keys: q quit, ? help, Tab or 1-9 switch views, p pause, + - refresh interval,\n"
"t next theme.\n"
"\n"
"Exit status: 0 success, 1 a --check failed (or an error), 2 bad usage or\n"
"configuration, 3 with --once when every source of every fleet failed,\n"
"128+N after signal N.\n",
		theme_list());
}

static int bad(const char *fmt, const char *a, const char *b)
{
	fputs("perwatt: ", stderr);
	fprintf(stderr, fmt, a, b);
	fputs(" (see perwatt --help)\n", stderr);
	return 2;
}

static bool scenario_known(const char *name)
{
	for (const char *const *n = scenario_builtin_names; *n; n++)
		if (!strcmp(*n, name))
			return true;
	return false;
}

static int duration_in(const char *opt, const char *arg, double lo, double hi, double *out)
{
	double v;
	if (parse_duration(arg, &v) < 0 || v < lo || v > hi)
		return bad("%s: '%s' is not a duration in range (e.g. 1s, 500ms, 2m)", opt, arg);
	*out = v;
	return 0;
}

int cli_parse(struct cli *c, int argc, char **argv)
{
	memset(c, 0, sizeof *c);
	c->action = CLI_RUN;
	c->format = REPORT_JSON;
	c->duration = 60;
	c->interval = 1;
	c->match_kind = -1;
	c->window = 10;
	c->theme = "dark";
	c->seed = 1;
	c->sla_per_hour = c->work_units = c->headroom = c->pue = NAN;
	c->grid_g_per_kwh = c->usd_per_kwh = NAN;

	opterr = 0;
	optind = 1;
	int opt;
	while ((opt = getopt_long(argc, argv, ":hV", long_opts, NULL)) != -1) {
		const char *arg = optarg;
		switch (opt) {
		case 'h': c->action = CLI_HELP; return 0;
		case 'V': c->action = CLI_VERSION; return 0;
		case OPT_DEMO:
			/* "--demo training" as well as "--demo=training" */
			if (!arg && optind < argc && argv[optind][0] != '-')
				arg = argv[optind++];
			if (!arg)
				arg = "inference";
			if (!scenario_known(arg))
				return bad("--demo: unknown scenario '%s' (try: inference, training)%s", arg, "");
			c->demo = arg;
			break;
		case OPT_ONCE: c->once = true; break;
		case OPT_FORMAT:
			if ((c->format = report_format_parse(arg)) < 0)
				return bad("--format: '%s' is not json, csv or text%s", arg, "");
			break;
		case OPT_DURATION:
			if (duration_in("--duration", arg, 1, 48 * 3600, &c->duration))
				return 2;
			c->duration_set = true;
			break;
		case OPT_INTERVAL:
			if (duration_in("--interval", arg, 0.25, 60, &c->interval))
				return 2;
			c->interval_set = true;
			break;
		case OPT_WINDOW:
			if (duration_in("--window", arg, 1, 48 * 3600, &c->window))
				return 2;
			c->window_set = true;
			break;
		case OPT_THEME:
			if (theme_find(arg) < 0)
				return bad("--theme: unknown theme '%s' (try: %s)", arg, theme_list());
			c->theme = arg;
			c->theme_set = true;
			break;
		case OPT_NO_COLOR: c->no_color = true; break;
		case OPT_ASCII: c->ascii = true; break;
		case OPT_SEED:
			if (parse_u64(arg, &c->seed) < 0)
				return bad("--seed: '%s' is not a whole number >= 0%s", arg, "");
			c->seed_set = true;
			break;
		case OPT_SLA: {
			double ps, plain;
			if (parse_rate(arg, &ps) < 0) {
				if (parse_number(arg, &plain) == 0)
					return bad("--sla: '%s' needs a unit of time, e.g. %s/s", arg, arg);
				return bad("--sla: '%s' is not a rate such as 1000000/h or 300/s%s", arg, "");
			}
			if (!(ps > 0) || ps * 3600 > 1e18)
				return bad("--sla: '%s' must be more than 0 and at most 1e18/h%s", arg, "");
			c->sla_per_hour = ps * 3600;
			break;
		}
		case OPT_WORK:
			if (parse_number(arg, &c->work_units) < 0 || !(c->work_units > 0) || c->work_units > 1e21)
				return bad("--work: '%s' is not a number of units from 1 to 1e21 (e.g. 450e6)%s", arg, "");
			break;
		case OPT_HEADROOM: {
			char num[32];
			size_t len = strlen(arg);
			if (len && arg[len - 1] == '%')
				len--;
			if (len == 0 || len >= sizeof num)
				return bad("--headroom: '%s' is not a percentage from 1 to 100%s", arg, "");
			memcpy(num, arg, len);
			num[len] = '\0';
			double pct;
			if (parse_number(num, &pct) < 0 || !(pct > 0 && pct <= 100))
				return bad("--headroom: '%s' is not a percentage from 1 to 100%s", arg, "");
			c->headroom = pct / 100.0;
			break;
		}
		case OPT_PUE:
			if (parse_number(arg, &c->pue) < 0 || !(c->pue >= 1 && c->pue <= 10))
				return bad("--pue: '%s' is not a factor from 1.0 to 10%s", arg, "");
			break;
		case OPT_REGION:
			if (!*arg || strlen(arg) >= 24 || strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(arg))
				return bad("--region: '%s' is not a region name such as us-east-1%s", arg, "");
			c->region = arg;
			break;
		case OPT_GRID:
			if (parse_number(arg, &c->grid_g_per_kwh) < 0 || !(c->grid_g_per_kwh >= 0 && c->grid_g_per_kwh <= 5000))
				return bad("--grid-intensity: '%s' is not gCO2e/kWh from 0 to 5000%s", arg, "");
			break;
		case OPT_USD_KWH:
			if (parse_number(arg, &c->usd_per_kwh) < 0 || !(c->usd_per_kwh >= 0 && c->usd_per_kwh <= 100))
				return bad("--usd-per-kwh: '%s' is not a price from 0 to 100%s", arg, "");
			break;
		case OPT_INSTANCES:
			if (parse_u64(arg, &c->instances) < 0 || c->instances < 1 || c->instances > 1000000000)
				return bad("--instances: '%s' is not a whole number from 1 to 1e9%s", arg, "");
			break;
		case OPT_BASELINE:
			if (!*arg)
				return bad("--baseline: the fleet name is empty%s%s", "", "");
			c->baseline = arg;
			break;
		case OPT_CHECK: {
			const char **grown = realloc(c->checks, (c->nchecks + 1) * sizeof *grown);
			if (!grown)
				return bad("out of memory%s%s", "", "");
			c->checks = grown;
			c->checks[c->nchecks++] = arg;
			c->once = true;
			break;
		}
		case OPT_CONFIG:
			if (!*arg)
				return bad("--config: the file name is empty%s%s", "", "");
			c->config = arg;
			break;
		case OPT_FLEET: {
			const char **grown = realloc(c->fleets, (c->nfleets + 1) * sizeof *grown);
			if (!grown)
				return bad("out of memory%s%s", "", "");
			c->fleets = grown;
			c->fleets[c->nfleets++] = arg;
			break;
		}
		case OPT_CHECK_CONFIG:
			c->check_config = true;
			break;
		case OPT_PROFILE:
			if (!*arg)
				return bad("--profile: the profile name is empty%s%s", "", "");
			c->aws_profile = arg;
			break;
		case OPT_UPDATE_PRICES:
			c->update_prices = true;
			break;
		case OPT_TYPE:
			if (!*arg || strlen(arg) > 39 || strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789.-") != strlen(arg))
				return bad("--type: '%.40s' is not an instance type such as inf2.xlarge%s", arg, "");
			c->type = arg;
			break;
		case OPT_COMPARE: {
			const char **grown = realloc(c->compare, (c->ncompare + 1) * sizeof *grown);
			if (!grown)
				return bad("out of memory%s%s", "", "");
			c->compare = grown;
			c->compare[c->ncompare++] = arg;
			break;
		}
		case OPT_FOLLOW:
		case OPT_FOLLOW_CMD:
		case OPT_FOLLOW_COUNTER:
			if (!*arg)
				return bad("%s: empty%s", argv[optind - 1], "");
			if (c->follow || c->follow_cmd || c->follow_counter)
				return bad("--follow, --follow-cmd and --follow-counter: give one%s%s", "", "");
			if (opt == OPT_FOLLOW)
				c->follow = arg;
			else if (opt == OPT_FOLLOW_CMD)
				c->follow_cmd = arg;
			else
				c->follow_counter = arg;
			break;
		case OPT_MATCH:
			c->match = arg;
			break;
		case OPT_MATCH_KIND:
			if (!strcmp(arg, "rate"))
				c->match_kind = 0;
			else if (!strcmp(arg, "count"))
				c->match_kind = 1;
			else if (!strcmp(arg, "lines"))
				c->match_kind = 2;
			else
				return bad("--match-kind: '%.20s' is not rate, count or lines%s", arg, "");
			break;
		case OPT_UNIT:
			if (!*arg || strlen(arg) > 40)
				return bad("--unit: give a unit such as tokens or inferences%s%s", "", "");
			c->unit = arg;
			break;
		case ':':
			return bad("%s needs a value%s", argv[optind - 1], "");
		default:
			return bad("unknown option '%s'%s", argv[optind - 1], "");
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s'%s", argv[optind], "");
	if ((c->follow || c->follow_cmd) && !c->match && c->match_kind != 2)
		return bad("--follow and --follow-cmd need --match 'REGEX' (its first group is the value)%s%s", "", "");
	if (c->match && !(c->follow || c->follow_cmd))
		return bad("--match goes with --follow FILE or --follow-cmd CMD%s%s", "", "");
	if ((c->follow || c->follow_cmd || c->follow_counter || c->ncompare || c->type) && (c->config || c->nfleets || c->demo))
		return bad("--follow, --follow-cmd, --follow-counter, --type and --compare are for this machine (local mode): "
		           "with --fleet or --config use a local fleet's follow= and match= keys%s%s", "", "");
	if (c->demo && (c->config || c->nfleets))
		return bad("--demo and --fleet/--config: choose the demo or real fleets%s%s", "", "");
	if (!isnan(c->sla_per_hour) && !isnan(c->work_units))
		return bad("--sla and --work: choose one (a throughput target or a fixed amount of work)%s%s", "", "");
	return 0;
}

void cli_free(struct cli *c)
{
	free(c->checks);
	c->checks = NULL;
	c->nchecks = 0;
	free(c->fleets);
	c->fleets = NULL;
	c->nfleets = 0;
	free(c->compare);
	c->compare = NULL;
	c->ncompare = 0;
}
