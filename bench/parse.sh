#!/bin/sh
# bench/parse.sh - exposition parsing throughput: perwatt's streaming parser
# (fetch/promtext.c) against `promtool check metrics`, on the real exporter
# outputs in tests/fixtures/exposition. Prints a Markdown table.
#
#   bench/parse.sh [MB] [RUNS]     # body size per input (default 50), best of RUNS (3)
#
# Needs a C compiler (CC, default cc) and promtool (Debian: apt-get install
# prometheus; installed here when missing and we are root). Without promtool
# its column says n/a.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
mb=${1:-50}
runs=${2:-3}
cc=${CC:-cc}
work=$(mktemp -d "${TMPDIR:-/tmp}/parse_bench.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

if ! command -v promtool >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing promtool (Debian package prometheus)" >&2
	before=$(pgrep -x prometheus || true)
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null 2>&1 ||
		echo "could not install prometheus" >&2
	# The package may start its server; stop only a process it started (by
	# PID), never a Prometheus that was already running here.
	for pid in $(pgrep -x prometheus || true); do
		case " $before " in *" $pid "*) ;; *) kill "$pid" 2>/dev/null ;; esac
	done
fi
pt=-P
command -v promtool >/dev/null 2>&1 && pt="-p promtool"

# promtext.c needs only the system extensions from config.h
printf '#define _GNU_SOURCE 1\n' >"$work/config.h"
"$cc" -std=c11 -O2 -I"$work" -I"$top" "$top/fetch/promtext.c" "$top/bench/parse_bench.c" \
	-o "$work/parse_bench" || exit 1

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sm), ${cpu:-unknown CPU}, $(nproc 2>/dev/null || echo ?) CPUs, $("$cc" --version | head -n 1)"
[ "$pt" != "-P" ] && echo "$(promtool --version 2>&1 | head -n 1)"
echo
f=$top/tests/fixtures/exposition
# shellcheck disable=SC2086
"$work/parse_bench" -m "$mb" -r "$runs" $pt \
	"$f/node_exporter-e2e-output.txt" node_rapl_package_joules_total \
	"$f/dcgm-exporter-datadog-fixture.txt" DCGM_FI_DEV_POWER_USAGE \
	"$f/nvidia_gpu_exporter-h100-load.metrics" nvidia_smi_power_draw_watts \
	"$f/nvidia_gpu_exporter-h100-idle.metrics" nvidia_smi_power_draw_watts \
	"$f/prometheus-common-expfmt-testdata-text.txt" 'http_request_duration_microseconds{handler="prometheus"}'
