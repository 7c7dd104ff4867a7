#!/bin/sh
# End-to-end tests of the live sources with real components on loopback:
# Debian's prometheus and prometheus-node-exporter, a test exporter with
# known values, and hostile targets.  perwatt scrapes the exporters directly
# and, separately, queries the Prometheus server; its rates must agree with
# PromQL's rate() within 5%.
. "${TOP_SRCDIR:-.}/tests/e2e/lib.sh"
need python3 prometheus prometheus-node-exporter curl

SERVERS=$TOP_SRCDIR/tests/servers
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$E2E_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_py NAME SCRIPT ARGS...: a helper server (it prints its port); the port in $PORT
start_py() {
	name=$1 script=$2
	shift 2
	python3 "$SERVERS/$script" --max-seconds 300 "$@" >"$E2E_TMP/$name.port" 2>"$E2E_TMP/$name.log" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$E2E_TMP/$name.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	PORT=$(head -n 1 "$E2E_TMP/$name.port")
}

# json FILE EXPR: evaluates a Python expression over the report r
json() {
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); f={x["name"]: x for x in r["fleets"]}; print(eval(sys.argv[2]))' "$@"
}
near() {    # near VALUE WANT TOLERANCE(fraction)
	python3 -c 'import sys; v,w,t=map(float,sys.argv[1:]); sys.exit(0 if abs(v-w)<=t*abs(w) else 1)' "$@"
}

start_py expa testexporter.py --rate 50 --watts 250 --util 0.9;  PA=$PORT
start_py expb testexporter.py --rate 300 --watts 110 --util 0.5; PB=$PORT
start_py hostile hostile.py;                                     PH=$PORT
check "test exporters and the hostile server are up" [ -n "$PA" ] && [ -n "$PB" ] && [ -n "$PH" ]

# node_exporter serving fake DCGM metrics through its textfile collector:
# two GPUs, one of them split in two MIG instances repeating its power
mkdir -p "$E2E_TMP/tf"
cat >"$E2E_TMP/tf/dcgm.prom" <<'PROM'
# TYPE DCGM_FI_DEV_POWER_USAGE gauge
DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-aaaa",modelName="NVIDIA A10G"} 212.5
DCGM_FI_DEV_POWER_USAGE{gpu="1",UUID="GPU-bbbb",modelName="NVIDIA A10G",GPU_I_ID="1"} 187.5
DCGM_FI_DEV_POWER_USAGE{gpu="1",UUID="GPU-bbbb",modelName="NVIDIA A10G",GPU_I_ID="2"} 187.5
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-aaaa"} 80
DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-bbbb"} 60
PROM
PN=$(free_port)
prometheus-node-exporter --web.listen-address=127.0.0.1:$PN --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$E2E_TMP/tf" >"$E2E_TMP/ne.log" 2>&1 &
PIDS="$PIDS $!"

PP=$(free_port)
cat >"$E2E_TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: a
    static_configs: [{targets: ['127.0.0.1:$PA']}]
  - job_name: b
    static_configs: [{targets: ['127.0.0.1:$PB']}]
YML
prometheus --config.file="$E2E_TMP/prometheus.yml" --storage.tsdb.path="$E2E_TMP/data" \
	--web.listen-address=127.0.0.1:$PP >"$E2E_TMP/prom.log" 2>&1 &
PIDS="$PIDS $!"

# ---- scraping exporters directly ---------------------------------------------
out=$E2E_TMP/scrape.json
"$PERWATT" --once --duration 4 \
	--fleet "a=scrape:http://127.0.0.1:$PA/metrics;throughput=test_inferences_total;power=test_power_watts;utilization=test_utilization_ratio;utilization_unit=ratio;unit=inferences;type=g4dn.2xlarge" \
	--fleet "b=scrape:http://127.0.0.1:$PB/metrics;throughput=test_inferences_total;power=test_energy_millijoules_total;power_unit=mJ;type=inf1.2xlarge" \
	>"$out" 2>"$E2E_TMP/err"
check "scrape --once exits 0" [ $? -eq 0 ]
check "scrape: counter rate 50/s" near "$(json "$out" 'f["a"]["throughput"]["per_instance"]')" 50 0.05
check "scrape: power gauge 250 W" near "$(json "$out" 'f["a"]["power_w"]["per_instance"]')" 250 0.001
check "scrape: utilization ratio as percent" near "$(json "$out" 'f["a"]["utilization_pct"]')" 90 0.001
check "scrape: counter rate 300/s" near "$(json "$out" 'f["b"]["throughput"]["per_instance"]')" 300 0.05
check "scrape: energy counter in mJ becomes 110 W" near "$(json "$out" 'f["b"]["power_w"]["per_instance"]')" 110 0.05
check "scrape: measured, not demo" [ "$(json "$out" 'r["demo"]')" = False ]
check "scrape: provenance measured" [ "$(json "$out" 'f["a"]["power_w"]["provenance"]')" = measured ]
check "scrape: table price for the type" near "$(json "$out" 'f["a"]["usd_per_hour"]')" 0.752 0.0001
check "scrape: source ok with latency" [ "$(json "$out" 'f["a"]["sources"][0]["status"]')" = ok ]

# ---- the same through Prometheus ---------------------------------------------
i=0
until curl -sf "http://127.0.0.1:$PP/api/v1/query?query=rate(test_inferences_total%5B5s%5D)" | grep -q '"value"'; do
	i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.2
done
check "prometheus scrapes the exporters" [ $i -lt 300 ]
# rate() over [5s] extrapolates from what it has: wait until it has a full
# window of samples (it then reads within a few percent of 50)
prom_rate() {
	curl -s "http://127.0.0.1:$PP/api/v1/query?query=rate(test_inferences_total%7Bjob%3D%22a%22%7D%5B5s%5D)" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])'
}
i=0
while prom_rate=$(prom_rate) && ! near "$prom_rate" 50 0.1 && [ $i -lt 60 ]; do i=$((i + 1)); sleep 0.5; done
check "perwatt's scraped rate agrees with PromQL's rate() ($prom_rate)" \
	near "$(json "$out" 'f["a"]["throughput"]["per_instance"]')" "$prom_rate" 0.05

pq=$E2E_TMP/promql.json
"$PERWATT" --once --duration 3 \
	--fleet "a=promql:http://127.0.0.1:$PP;throughput=sum by (instance) (rate(test_inferences_total{job=\"a\"}[5s]));power=sum by (instance) (test_power_watts{job=\"a\"});unit=inferences" \
	--fleet "b=promql:http://127.0.0.1:$PP;throughput=sum by (instance) (rate(test_inferences_total{job=\"b\"}[5s]));power=sum by (instance) (rate(test_energy_millijoules_total{job=\"b\"}[5s])) / 1000" \
	>"$pq" 2>"$E2E_TMP/err"
check "promql --once exits 0" [ $? -eq 0 ]
check "promql: rate 50/s" near "$(json "$pq" 'f["a"]["throughput"]["per_instance"]')" 50 0.05
check "promql: power 250 W" near "$(json "$pq" 'f["a"]["power_w"]["per_instance"]')" 250 0.001
check "promql: rate 300/s" near "$(json "$pq" 'f["b"]["throughput"]["per_instance"]')" 300 0.05
check "promql: energy rate 110 W" near "$(json "$pq" 'f["b"]["power_w"]["per_instance"]')" 110 0.05
check "promql and scrape agree" near "$(json "$pq" 'f["a"]["throughput"]["per_instance"]')" \
	"$(json "$out" 'f["a"]["throughput"]["per_instance"]')" 0.05
"$PERWATT" --once --duration 2 --fleet "x=promql:http://127.0.0.1:$PP;power=sum(rate(nonsense))" >"$E2E_TMP/bad.json" 2>&1
check "a PromQL error reaches the fleet's health" grep -q 'bad_data' "$E2E_TMP/bad.json"

# ---- a preset, through a real node_exporter ----------------------------------
dc=$E2E_TMP/dcgm.json
"$PERWATT" --once --duration 2 --fleet "gpu=dcgm:http://127.0.0.1:$PN/metrics;type=g5.12xlarge" >"$dc" 2>"$E2E_TMP/err"
check "dcgm preset: GPU power summed, MIG rows counted once (400 W)" \
	near "$(json "$dc" 'f["gpu"]["power_w"]["per_instance"]')" 400 0.001
check "dcgm preset: utilization averaged (70%)" near "$(json "$dc" 'f["gpu"]["utilization_pct"]')" 70 0.001

# ---- a config file -------------------------------------------------------------
cat >"$E2E_TMP/perwatt.ini" <<INI
[dashboard]
sla = 100000/h

[fleet gpu]
type = g4dn.2xlarge
unit = inferences
baseline = true
targets = http://127.0.0.1:$PA/metrics
throughput = test_inferences_total
power = test_power_watts

[fleet inf]
type = inf1.2xlarge
unit = inferences
targets = http://127.0.0.1:$PB/metrics
throughput = test_inferences_total
power = test_energy_millijoules_total
power_unit = mJ
INI
"$PERWATT" --config "$E2E_TMP/perwatt.ini" --check-config >"$E2E_TMP/cc" 2>&1
check "--check-config accepts the file" grep -q 'configuration ok: 2 fleets' "$E2E_TMP/cc"
"$PERWATT" --config "$E2E_TMP/perwatt.ini" --once --duration 3 >"$E2E_TMP/cfg.json" 2>"$E2E_TMP/err"
check "config --once exits 0" [ $? -eq 0 ]
check "config: the projection uses the file's SLA" [ "$(json "$E2E_TMP/cfg.json" 'r["projection"]["target_per_hour"]')" = 100000 ]
# 100,000/h on 50/s instances (180,000/h) -> 1; on 300/s -> 1
check "config: instances needed" [ "$(json "$E2E_TMP/cfg.json" '[x["instances_needed"] for x in r["projection"]["fleets"]]')" = "[1, 1]" ]
printf '[fleet x]\ntargets = http://127.0.0.1:1/metrics\npower_unit = kW\n' >"$E2E_TMP/bad.ini"
expect_status 2 "a bad config file" "$PERWATT" --config "$E2E_TMP/bad.ini" --check-config
check "names file, line and key" grep -q 'bad.ini:3: \[fleet x\] power_unit' "$E2E_TMP/err"

# ---- hostile targets -----------------------------------------------------------
H=http://127.0.0.1:$PH
start=$(date +%s)
"$PERWATT" --once --duration 3 \
	--fleet "h=scrape:$H/ok,$H/hang,$H/drip,$H/reset,$H/500,$H/big?mb=100,$H/escape,$H/empty;throughput=test_inferences_total;power=test_power_watts;timeout=2s" \
	>"$E2E_TMP/h.json" 2>"$E2E_TMP/err"
rc=$?
took=$(( $(date +%s) - start ))
check "hostile targets: exit 0 while one target works (got $rc)" [ "$rc" -eq 0 ]
check "hostile targets: no delay past --duration ($took s)" [ "$took" -le 6 ]
check "hostile targets: the good one is ok" [ "$(json "$E2E_TMP/h.json" '[s["status"] for s in f["h"]["sources"] if s["target"].endswith("/ok")][0]')" = ok ]
check "hostile targets: six fail" [ "$(json "$E2E_TMP/h.json" 'sum(s["status"] != "ok" for s in f["h"]["sources"])')" = 6 ]
check "hostile targets: escape sequences in labels are data, not errors" [ "$(json "$E2E_TMP/h.json" '[s["status"] for s in f["h"]["sources"] if s["target"].endswith("/escape")][0]')" = ok ]
check "hostile targets: each says why" [ "$(json "$E2E_TMP/h.json" 'all(s["error"] for s in f["h"]["sources"] if s["status"] != "ok")')" = True ]
check "hostile targets: 100 MB body refused" grep -q 'larger than' "$E2E_TMP/h.json"
no_esc() { ! LC_ALL=C grep -q "$(printf '\033')" "$1"; }
check "hostile targets: no escape byte in the report" no_esc "$E2E_TMP/h.json"
"$PERWATT" --once --duration 2 --fleet "dead=scrape:http://127.0.0.1:1/metrics,$H/500;power=test_power_watts" >/dev/null 2>"$E2E_TMP/err"
check "every source failed: exit 3" [ $? -eq 3 ]
check "and says so" grep -q 'every source of every fleet failed' "$E2E_TMP/err"

e2e_done
