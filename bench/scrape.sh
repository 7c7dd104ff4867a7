#!/bin/sh
# bench/scrape.sh - the scrape benchmark: CPU time and peak RSS of perwatt
# scraping N loopback targets every second, against a Prometheus server
# scraping the same targets every second, side by side in one run.
#
#   bench/scrape.sh [N...]       # default: 100 1000; about 2.5 min per N
#
# Starts bench/targets.py (max N exporters on 127.0.0.1, ~5.5 KB bodies,
# keep-alive), then for each N, one program at a time:
#   perwatt     perwatt --once --duration 60 --config <one fleet: the N
#               targets, throughput = app_inferences_total, power =
#               app_power_watts, interval 1s, timeout 1s>; CPU (user+sys)
#               and peak RSS from /usr/bin/time, targets ok from its JSON.
#   prometheus  prometheus with scrape_interval 1s, scrape_timeout 1s, the
#               same N targets; once it is ready and has scraped every
#               target once, 60 s measured: utime+stime from /proc/PID/stat
#               at both ends, VmHWM, and from its API sum(up) and the
#               scrapes that succeeded in the 60 s.
# and the target server's own CPU and the scrapes it served in each period.
#
# Environment:
#   BENCH_SECONDS  measured period per program (default 60)
#   BENCH_QUIET    before each program, wait up to this many seconds (default
#                  20) for the machine to be quiet: under 0.3 cores busy over 2 s
#   PERWATT        the perwatt binary (default: as bench/run.sh, see lib.sh)
# Needs python3, curl, prometheus (Debian: apt-get install prometheus).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
cd "$top"
# shellcheck disable=SC2034 # lib.sh's messages say who speaks
bench_name=scrape.sh
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

seconds=${BENCH_SECONDS:-60}
quiet=${BENCH_QUIET:-20}
ns=${*:-100 1000}
say() { bench_say "$@"; }

py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
for c in curl prometheus /usr/bin/time; do
	command -v "$c" >/dev/null 2>&1 || { say "needs $c"; exit 1; }
done
user_perwatt=${PERWATT:-}
bench_perwatt

maxn=0
for n in $ns; do
	case $n in '' | *[!0-9]*) say "not a count: $n"; exit 2 ;; esac
	[ "$n" -gt "$maxn" ] && maxn=$n
done

# --- open files -------------------------------------------------------------
# Each process needs about one fd per target and the target server about
# three (a listener, the connection being scraped, one still closing), so
# 1,000 targets need more than the usual soft limit of 1,024.
# (ulimit -S and -H: not POSIX, but dash and bash both have them)
# shellcheck disable=SC3045
soft=$(ulimit -S -n)
# shellcheck disable=SC3045
hard=$(ulimit -H -n)
[ "$hard" = unlimited ] && hard=$(cat /proc/sys/fs/nr_open)
nofile_note="open files: soft limit $soft, hard $hard"
if [ "$soft" != unlimited ] && [ "$soft" -lt "$hard" ]; then
	# shellcheck disable=SC3045
	ulimit -S -n "$hard"
	nofile_note="open files: soft limit raised from $soft to the hard limit $hard"
	soft=$hard
fi
say "$nofile_note"

work=$(mktemp -d "${TMPDIR:-/tmp}/scrape_bench.XXXXXX")
tpid=
ppid_=
cleanup() {
	[ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null && wait "$ppid_" 2>/dev/null
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers ----------------------------------------------------------------
hz=$(getconf CLK_TCK)
# utime+stime of a process in seconds (fields 14 and 15 of /proc/PID/stat,
# counted after the command name, which may hold spaces)
cpu_of() { sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$hz" '{ printf "%.2f", ($12 + $13) / hz }'; }
# bytes a process has caused to be written to storage (/proc/PID/io)
wbytes_of() { awk '/^write_bytes:/ { print $2 }' "/proc/$1/io" 2>/dev/null || echo 0; }
hwm_of() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }   # kB
load() { cut -d' ' -f1-3 /proc/loadavg; }
# all CPUs' jiffies from /proc/stat: "busy total"
jiffies() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }
# other_load "BUSY0 TOTAL0" "BUSY1 TOTAL1" WALL MEASURED_CPU TARGETS_CPU: what
# else the machine did in a period, in cores (busy cores minus ours)
other_load() {
	echo "$1 $2" | awk -v w="$3" -v a="$4" -v b="$5" -v n="$(nproc)" '{
		busy = ($3 - $1) / ($4 - $2) * n
		printf "machine busy %.2f of %d cores in the period, of which the measured program %.2f, targets.py %.2f, everything else %.2f", busy, n, a / w, b / w, busy - (a + b) / w }'
}
now() { date +%s.%N; }
# quiet: waits up to $quiet s for 2 s in which the machine is under 0.3
# cores busy (this script's targets are idle then); says how it went
quiet() {
	_w=0
	while :; do
		_j0=$(jiffies)
		sleep 2
		_b=$(echo "$_j0 $(jiffies)" | awk -v n="$(nproc)" '{ printf "%.2f", ($3 - $1) / ($4 - $2) * n }')
		if awk "BEGIN { exit !($_b < 0.3) }"; then
			echo "quiet after ${_w} s of waiting ($_b cores busy)"
			return
		fi
		_w=$((_w + 2))
		[ "$_w" -ge "$quiet" ] && { echo "not quiet after ${_w} s of waiting ($_b cores busy): measured anyway"; return; }
	done
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# a key of the target server's /stats (one-line JSON, numbers only)
tstats() { curl -s "http://$ctl/stats"; }
tkey() { printf '%s' "$1" | sed -n "s/.*\"$2\": \\([0-9.]*\\).*/\\1/p"; }
# first value of an instant query at time $2 (default: now), or empty
promq() {
	curl -s -G --max-time 10 "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" \
		${2:+--data-urlencode "time=$2"} |
		"$py" -c 'import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception:
    print("")'
}
free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- the machine --------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr), $(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release)"
echo "Programs: $("$PERWATT" --version | head -1) ($PERWATT), $(prometheus --version 2>&1 | head -1 | cut -d' ' -f1-3), $($py --version)"
echo "perwatt source: commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git status --porcelain 2>/dev/null | grep -qv '^?? bench/' && echo ' plus uncommitted changes')"
echo "$nofile_note; load average at start: $(load)"
echo

# --- the targets ------------------------------------------------------------
"$py" "$here/targets.py" --count "$maxn" --ports-file "$work/ports" --control-file "$work/ctl" \
	--max-seconds 3600 2>"$work/targets.log" &
tpid=$!
i=0
until [ -s "$work/ctl" ]; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 "$tpid" 2>/dev/null; then
		cat "$work/targets.log" >&2
		say "the targets did not start"
		exit 1
	fi
	sleep 0.1
done
ctl=$(cat "$work/ctl")
say "$(head -1 "$work/targets.log")"
body=$(tkey "$(tstats)" body_bytes)

rows=$work/rows
: >"$rows"
notes=$work/notes
: >"$notes"
# row PROGRAM N CPU WALL RSS_KB OK SERVED TCPU
row() {
	pct=$(calc '%.1f' "100 * $3 / $4")
	cpm=$(calc '%.2f' "$3 * 60 / $4")
	per=$( [ "$7" -gt 0 ] && calc '%.0f' "1e6 * $3 / $7" || echo n/a)
	tpct=$(calc '%.1f' "100 * $8 / $4")
	printf '| %s | %s | %s | %s | %s%% | %s | %s | %s | %s | %s%% |\n' \
		"$1" "$2" "$cpm" "$3 / $(calc '%.1f' "$4")" "$pct" "$per" "$(calc '%.1f' "$5 / 1024")" \
		"$6" "$7" "$tpct" >>"$rows"
}

for n in $ns; do
	if [ "$soft" -lt $((3 * n + 64)) ]; then
		echo "N=$n: skipped, $((3 * n + 64)) open files needed, the limit is $soft" | tee -a "$notes" >&2
		continue
	fi
	head -n "$n" "$work/ports" >"$work/ports.$n"

	# ---- (a) perwatt ----
	ini=$work/perwatt.$n.ini
	{
		printf '; bench/scrape.sh: %s loopback targets\n[fleet bench]\n' "$n"
		printf 'unit = inferences\nsource = scrape\ninterval = 1s\ntimeout = 1s\n'
		printf 'throughput = app_inferences_total\npower = app_power_watts\npower_unit = W\n'
		# inih reads at most 198 bytes a line: one URL a line, indented
		# lines continue the value
		printf 'targets = '
		sed -e 's|.*|http://&/metrics,|' -e '2,$s/^/    /' -e '$s/,$//' "$work/ports.$n"
	} >"$ini"
	q=$(quiet)
	say "N=$n: perwatt --once --duration $seconds (load average $(load); $q)"
	echo "N=$n perwatt: load average before $(load); $q" >>"$notes"
	s0=$(tstats)
	j0=$(jiffies)
	rc=0
	/usr/bin/time -f '%e %U %S %M' -o "$work/pw.$n.time" \
		timeout $((seconds + 120)) "$PERWATT" --once --duration "$seconds" --config "$ini" \
		>"$work/pw.$n.json" 2>"$work/pw.$n.err" || rc=$?
	s1=$(tstats)
	j1=$(jiffies)
	# /usr/bin/time measures timeout(1), which waits for perwatt: its
	# rusage covers perwatt (the child) plus timeout's own few ms.
	# shellcheck disable=SC2046 # four numbers, split on purpose
	set -- $(tail -1 "$work/pw.$n.time")
	wall=$1 pcpu=$(calc '%.2f' "$2 + $3") prss=$4
	ok=$("$py" -c 'import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    print("no JSON"); sys.exit()
src = [s for f in d.get("fleets", []) for s in f.get("sources", [])]
ok = sum(1 for s in src if s.get("status") == "ok")
print("%d/%d" % (ok, len(src)))
errs = {}
for s in src:
    if s.get("status") != "ok":
        k = "%s: %s" % (s.get("status"), s.get("error"))
        errs[k] = errs.get(k, 0) + 1
for k, v in sorted(errs.items(), key=lambda kv: -kv[1]):
    print("  %d sources %s" % (v, k), file=sys.stderr)' "$work/pw.$n.json" 2>"$work/pw.$n.errs")
	served=$(( $(tkey "$s1" requests) - $(tkey "$s0" requests) ))
	tcpu=$(calc '%.2f' "$(tkey "$s1" cpu_s) - $(tkey "$s0" cpu_s)")
	row perwatt "$n" "$pcpu" "$wall" "$prss" "$ok" "$served" "$tcpu"
	{
		echo "N=$n perwatt: exit status $rc, $pcpu s CPU ($2 user, $3 sys) in $wall s, targets ok $ok," \
			"$served scrapes served, $(( $(tkey "$s1" connections_accepted) - $(tkey "$s0" connections_accepted) )) connections accepted"
		echo "  $(other_load "$j0" "$j1" "$wall" "$pcpu" "$tcpu")"
		cat "$work/pw.$n.errs"
		if [ -s "$work/pw.$n.err" ]; then sed 's/^/  stderr: /' "$work/pw.$n.err" | head -5; fi
	} >>"$notes"

	# ---- (b) prometheus ----
	pdir=$work/prom.$n
	mkdir -p "$pdir"
	{
		printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n'
		printf 'scrape_configs:\n  - job_name: bench\n    static_configs:\n      - targets:\n'
		sed "s/.*/          - '&'/" "$work/ports.$n"
	} >"$pdir/prometheus.yml"
	pport=$(free_port)
	q=$(quiet)
	say "N=$n: prometheus on 127.0.0.1:$pport (load average $(load); $q)"
	echo "N=$n prometheus: load average before $(load); $q" >>"$notes"
	t_start=$(now)
	prometheus --config.file="$pdir/prometheus.yml" --storage.tsdb.path="$pdir/data" \
		--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$pdir/log" 2>&1 &
	ppid_=$!
	i=0
	until curl -sf -o /dev/null "http://127.0.0.1:$pport/-/ready"; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$ppid_" 2>/dev/null; then
			tail -5 "$pdir/log" >&2
			say "prometheus did not get ready"
			exit 1
		fi
		sleep 0.1
	done
	t_ready=$(now)
	# The scrape manager waits ~5 s for its first target sync; measure from
	# when every target has been scraped once, so the 60 s are steady state.
	i=0
	while [ "$(promq 'count(up)')" != "$n" ]; do
		i=$((i + 1))
		[ $i -gt 120 ] && { say "prometheus did not scrape all $n targets in 60 s"; break; }
		sleep 0.5
	done
	t0=$(now)
	c0=$(cpu_of "$ppid_")
	w0=$(wbytes_of "$ppid_")
	s0=$(tstats)
	j0=$(jiffies)
	sleep "$seconds"
	c1=$(cpu_of "$ppid_")
	s1=$(tstats)
	j1=$(jiffies)
	t1=$(now)
	rss=$(hwm_of "$ppid_")
	w1=$(wbytes_of "$ppid_")
	# what its TSDB holds and took in, from its own /metrics
	tsdb=$(curl -s --max-time 10 "http://127.0.0.1:$pport/metrics" | awk '
		/^prometheus_tsdb_head_series / { printf "%d head series, ", $2 }
		/^prometheus_tsdb_head_samples_appended_total/ { n += $2 }
		/^go_memstats_heap_inuse_bytes / { h = $2 }
		END { printf "%d samples appended since start, Go heap in use %.0f MiB", n, h / 1048576 }')
	# both counts over the same range: the scrapes in the measured period
	upn=$(promq 'sum(up)' "$t1")
	good=$(promq "sum(sum_over_time(up[${seconds}s]))" "$t1")
	tried=$(promq "sum(count_over_time(up[${seconds}s]))" "$t1")
	kill "$ppid_"
	wait "$ppid_" || true
	ppid_=
	mcpu=$(calc '%.2f' "$c1 - $c0")
	wall=$(calc '%.2f' "$t1 - $t0")
	served=$(( $(tkey "$s1" requests) - $(tkey "$s0" requests) ))
	tcpu=$(calc '%.2f' "$(tkey "$s1" cpu_s) - $(tkey "$s0" cpu_s)")
	row prometheus "$n" "$mcpu" "$wall" "$rss" "${upn:-?}/$n" "$served" "$tcpu"
	{
		echo "N=$n prometheus: ready after $(calc '%.2f' "$t_ready - $t_start") s, all targets scraped after" \
			"$(calc '%.1f' "$t0 - $t_start") s; CPU from start to end $c1 s over $(calc '%.1f' "$t1 - $t_start") s;" \
			"in the measured ${seconds} s: $mcpu s CPU, scrapes with up=1 ${good:-?} of ${tried:-?} (Prometheus's count)," \
			"$served served (the targets' count), $(( $(tkey "$s1" connections_accepted) - $(tkey "$s0" connections_accepted) )) connections accepted"
		echo "  TSDB: $tsdb; $(calc '%.1f' "($w1 - $w0) / 1048576") MiB written to storage in the measured period"
		echo "  $(other_load "$j0" "$j1" "$wall" "$mcpu" "$tcpu")"
		grep -v 'level=info\|SIGTERM' "$pdir/log" | head -5 | sed 's/^/  log: /'
	} >>"$notes"
	rm -rf "$pdir/data"
done

# --- the report ---------------------------------------------------------------
echo "Each target: ~${body:-?}-byte exposition, ~50 samples; 1 s interval, 1 s timeout; one program at a time."
echo
echo "| program | N targets | CPU s per 60 s | CPU s / wall s | % of a core | CPU µs per scrape | peak RSS MiB | targets ok | scrapes served | targets.py CPU |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
cat "$rows"
echo
cat "$notes"
echo "load average at end: $(load)"
kill "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null
tpid=
sed 's/^/target server: /' "$work/targets.log" | tail -n +2
echo
echo "Produced by: ${user_perwatt:+PERWATT=$user_perwatt }BENCH_SECONDS=$seconds BENCH_QUIET=$quiet bench/scrape.sh $ns"
