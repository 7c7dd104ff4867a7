#!/bin/sh
# End-to-end: the dashboard on live sources in a real terminal.  A fleet
# scraped from a test exporter with known values next to a dead target: the
# figures appear, the health line names the failure, the screen stays live.
. "${TOP_SRCDIR:-.}/tests/e2e/lib.sh"
. "${TOP_SRCDIR:-.}/tests/e2e/tmux-lib.sh"
need python3

python3 "$TOP_SRCDIR/tests/servers/testexporter.py" --max-seconds 120 --rate 40 --watts 300 \
	>"$E2E_TMP/port" 2>/dev/null &
EXP=$!
trap 'kill $EXP 2>/dev/null; tm kill-server >/dev/null 2>&1; rm -f "$SOCK_PATH"; rm -rf "$E2E_TMP"' EXIT
i=0
while [ ! -s "$E2E_TMP/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
P=$(cat "$E2E_TMP/port")

start live 120x40 "$UTF8" --fleet "\"gpu=scrape:http://127.0.0.1:$P/metrics,http://127.0.0.1:1/metrics;throughput=test_inferences_total;power=test_power_watts;unit=inferences;type=g4dn.2xlarge\""
go live
check "the fleet's panel appears" wait_for live '─ gpu ─'
check "no DEMO badge on live data" wait_gone live 'DEMO' 20
check "power from the live exporter (300 W per instance)" wait_for live '300 W' 80
check "throughput rate from the counter (40 per instance)" wait_for live '(39\.[5-9]|40\.[0-4]) per instance' 80
check "the health line counts the failing target" wait_for live '2 sources: 1 ok, 0 stale, 1 failing|1 failing' 80
check "and says why" wait_for live 'refused|connect' 40
tm send-keys -t live 2
check "the savings view works with one fleet" wait_for live 'Projected savings'
tm send-keys -t live q
check "q exits 0" wait_for live 'EXIT=0'
e2e_done
