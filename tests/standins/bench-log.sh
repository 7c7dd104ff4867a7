#!/bin/sh
# bench-log.sh - a fake benchmark for perwatt's --follow: appends
#
#   step 1200 | throughput: 812.0 inferences/s
#
# to FILE every INTERVAL seconds (default 0.5) until killed, and, when
# ROTATE is given and not 0, rotates FILE every ROTATE lines the way
# logrotate's default does: FILE is renamed to FILE.1 and a new FILE started.
#
# usage: bench-log.sh FILE [ROTATE [INTERVAL]]
# The throughput alternates 812.0 / 812.5 so a test can see it move.
set -u
file=${1:?usage: bench-log.sh FILE [ROTATE [INTERVAL]]}
rotate=${2:-0}
interval=${3:-0.5}
step=0
n=0
while :; do
	step=$((step + 100))
	if [ $((step / 100 % 2)) -eq 0 ]; then thr=812.0; else thr=812.5; fi
	printf 'step %d | throughput: %s inferences/s\n' "$step" "$thr" >> "$file" || exit 1
	n=$((n + 1))
	if [ "$rotate" -gt 0 ] && [ "$n" -ge "$rotate" ]; then
		mv -f "$file" "$file.1" || exit 1
		: > "$file"
		n=0
	fi
	sleep "$interval"
done
