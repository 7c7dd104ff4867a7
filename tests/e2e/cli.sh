#!/bin/sh
# End-to-end tests of the command line and the headless report (--once).
. "${TOP_SRCDIR:-.}/tests/e2e/lib.sh"
need python3

expect_status 0 "--help" "$PERWATT" --help
check "--help names the options" grep -q -- "--demo" "$E2E_TMP/out"
expect_status 0 "--version" "$PERWATT" --version
check "--version prints the version" grep -q "^perwatt [0-9]" "$E2E_TMP/out"

# bad usage: exit 2 with exactly one line on stderr naming the problem
bad() {
	expect_status 2 "rejects $*" "$PERWATT" "$@"
	lines=$(wc -l <"$E2E_TMP/err")
	if [ "$lines" -eq 1 ] && grep -q '^perwatt: ' "$E2E_TMP/err"; then
		ok "one clear line for $*: $(cat "$E2E_TMP/err")"
	else
		fail "message for $*: $(cat "$E2E_TMP/err")"
	fi
	[ ! -s "$E2E_TMP/out" ] || fail "nothing on stdout for $*"
}
bad --bogus
bad --format xml --once
bad --duration abc --once
bad --duration 0 --once
bad --interval 0
bad --interval 1000
bad --seed -1
bad --seed 12abc
bad --demo nope
bad --theme nope
bad --once extra
bad --format

json="$E2E_TMP/report.json"
"$PERWATT" --demo inference --once --format json >"$json" 2>"$E2E_TMP/err"
check "--once json exits 0" [ $? -eq 0 ]
check "--once json writes nothing on stderr" [ ! -s "$E2E_TMP/err" ]

# The documented schema, and the demo's numbers near the scenario's inputs.
python3 - "$json" <<'PY' && ok "json schema and values" || fail "json schema and values"
import json, math, sys
r = json.load(open(sys.argv[1]))
assert r["demo"] is True, r["demo"]
assert "published figures" in r["note"]
f = {x["name"]: x for x in r["fleets"]}
assert list(f) == ["gpu", "inferentia"], list(f)
for x in r["fleets"]:
    for key in ("name", "instance_type", "instances", "throughput", "power_w",
                "usd_per_hour", "joules_per_unit", "usd_per_million", "sources"):
        assert key in x, key
    for key in ("unit", "per_instance", "total", "provenance"):
        assert key in x["throughput"], key
    for key in ("per_instance", "total", "provenance"):
        assert key in x["power_w"], key
    assert x["throughput"]["provenance"] == "demo"
    assert x["sources"][0]["status"] == "ok"
g, i = f["gpu"], f["inferentia"]
assert g["instance_type"] == "g4dn.2xlarge" and g["instances"] == 33 and g["baseline"]
assert i["instance_type"] == "inf1.2xlarge" and i["instances"] == 6
assert g["throughput"]["unit"] == "inferences"
assert abs(g["throughput"]["per_instance"] / 8.6 - 1) < 0.01
assert abs(i["throughput"]["per_instance"] / 54.2 - 1) < 0.01
assert abs(g["throughput"]["total"] - 33 * g["throughput"]["per_instance"]) < 0.01 * g["throughput"]["total"]
assert abs(g["power_w"]["per_instance"] / 250 - 1) < 0.02
assert abs(g["usd_per_hour"] - 33 * 0.752) < 1e-6
# the derived figures agree with each other
assert abs(g["joules_per_unit"] - g["power_w"]["total"] / g["throughput"]["total"]) < 1e-3 * g["joules_per_unit"]
assert abs(g["usd_per_million"] - g["usd_per_hour"] / (g["throughput"]["total"] * 3600) * 1e6) < 1e-3 * g["usd_per_million"]
c = r["comparison"][0]
assert c["fleet"] == "inferentia" and c["baseline"] == "gpu"
assert abs(c["throughput_per_instance_x"] - 6.3) < 0.1, c
PY

csv="$E2E_TMP/report.csv"
"$PERWATT" --demo inference --once --format csv >"$csv"
check "csv has a header and one row per fleet" [ "$(wc -l <"$csv")" -eq 3 ]
check "csv header" grep -q '^fleet,instance_type,instances,baseline,unit,throughput_per_instance,' "$csv"
check "csv rows" grep -q '^inferentia,inf1.2xlarge,6,false,inferences,' "$csv"
check "csv: where the price came from, and not projected" python3 - "$csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["price_source"] for r in rows] == ["scenario", "scenario"], rows
assert [r["projected"] for r in rows] == ["false", "false"], rows
PY

"$PERWATT" --demo training --once --format text --duration 30 >"$E2E_TMP/text"
check "text report says DEMO" grep -q '^perwatt DEMO' "$E2E_TMP/text"
check "text report shows the training fleets" grep -q '^trainium  trn1.32xlarge x 16' "$E2E_TMP/text"
check "text report covers the duration" grep -q 'over the last 30 s' "$E2E_TMP/text"
check "text report shows utilization" grep -Eq '^  utilization   [0-9.]+ %$' "$E2E_TMP/text"

"$PERWATT" --demo training --once --seed 7 >"$E2E_TMP/a"
"$PERWATT" --demo training --once --seed 7 >"$E2E_TMP/b"
"$PERWATT" --demo training --once --seed 8 >"$E2E_TMP/c"
check "same seed, same report" cmp -s "$E2E_TMP/a" "$E2E_TMP/b"
differ() { ! cmp -s "$1" "$2"; }
check "another seed, another report" differ "$E2E_TMP/a" "$E2E_TMP/c"
"$PERWATT" --demo=training --once >"$E2E_TMP/d"
check "--demo=NAME works too" grep -q '"trainium"' "$E2E_TMP/d"

# --once in simulated time returns at once even for long durations
start=$(date +%s)
"$PERWATT" --demo --once --duration 6h >/dev/null
check "--once --duration 6h returns within 10 s" [ $(( $(date +%s) - start )) -lt 10 ]

# a closed stdout is an error, not a crash
"$PERWATT" --demo --once 2>"$E2E_TMP/err" >&-
rc=$?
closed_ok() { [ "$rc" -eq 1 ] && grep -q 'perwatt: writing the report' "$E2E_TMP/err"; }
check "closed stdout: exit 1 with a message (got $rc)" closed_ok

e2e_done
