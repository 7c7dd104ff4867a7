#!/bin/sh
# run.sh - the terminal-bytes benchmark (issue "perwatt 1/4"), in one command.
#
# Measures, side by side in one run, the bytes per second perwatt writes to a
# 120x40 terminal in steady state at a 1 s refresh, with its CPU time and peak
# RSS, against htop -d 10 and top -d 1 at the same size.  See bench/README.md.
#
# Usage: bench/run.sh            (from anywhere; about 11 min per repeat)
# Environment:
#   BENCH_SECONDS  measured period per program   (default 60)
#   BENCH_WARMUP   discarded start per program   (default 75)
#   BENCH_REPEAT   runs per program, median shown (default 3)
#   BENCH_SIZE     terminal size COLSxROWS        (default 120x40)
#   BENCH_DUMP     a folder to save the raw measured bytes in (default: none)
#   PERWATT        the perwatt binary to measure  (default: ./perwatt if it is an
#                  unsanitised build, else an optimised private build, see below)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
cd "$top"

seconds=${BENCH_SECONDS:-60}
# perwatt's demo ramps up over its first ~25 s and its sparklines keep that
# ramp on screen for about a minute, redrawing more while they do: steady
# state starts after ~65 s (see bench/README.md), so every program gets 75 s.
warmup=${BENCH_WARMUP:-75}
repeat=${BENCH_REPEAT:-3}
size=${BENCH_SIZE:-120x40}

say() { printf 'run.sh: %s\n' "$*" >&2; }

# --- (a) the reference programs -------------------------------------------
if ! command -v htop >/dev/null 2>&1 || ! command -v top >/dev/null 2>&1; then
	say "installing htop and procps"
	if [ "$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq htop procps >/dev/null
fi

# Debian 12's own python3 (stdlib only) when there is one.
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3

# --- (b) perwatt, an optimised build without sanitizers --------------------
sanitized() {
	# ASan/UBSan inflate CPU time and RSS many times over: never measure them.
	ldd "$1" 2>/dev/null | grep -Eq 'lib(asan|ubsan|tsan)' ||
		grep -aq '__asan_init\|__ubsan_handle' "$1"
}

private_build() {
	# Built from a copy of the working tree under bench/.build, so that the
	# benchmark never reconfigures (or races) the build others use in the
	# tree.  The copy keeps file times, so make stays incremental across runs.
	b=$here/.build
	say "building an optimised perwatt (CFLAGS='-O2 -g', no sanitizers) in bench/.build"
	mkdir -p "$b/src"
	git ls-files -z --cached --others --exclude-standard |
		tr '\0' '\n' | while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done |
		tar -cf - -T - | tar -xpf - -C "$b/src"
	(
		cd "$b/src"
		if [ ! -f config.status ]; then
			./autogen.sh >"$b/autogen.log" 2>&1 || { tail -20 "$b/autogen.log" >&2; exit 1; }
			./configure -q --disable-tests CFLAGS='-O2 -g' >"$b/configure.log" 2>&1 ||
				{ tail -20 "$b/configure.log" >&2; exit 1; }
		fi
		make -j2 perwatt >"$b/make.log" 2>&1 || { tail -30 "$b/make.log" >&2; exit 1; }
	)
	PERWATT=bench/.build/src/perwatt
}

if [ -z "${PERWATT:-}" ]; then
	if [ -x ./perwatt ] && ! sanitized ./perwatt; then
		PERWATT=./perwatt
	else
		[ -x ./perwatt ] && say "./perwatt is a sanitizer build: not measuring it"
		private_build
	fi
fi
if sanitized "$PERWATT"; then
	say "$PERWATT is a sanitizer build; its CPU and RSS would mean nothing"
	exit 1
fi
case $PERWATT in */*) ;; *) PERWATT=./$PERWATT ;; esac
# The rows run plain "perwatt", found first on PATH, so that the table shows
# the command a user types whichever binary is measured.
pwdir=$(cd "$(dirname "$PERWATT")" && pwd)
PERWATT=$pwdir/$(basename "$PERWATT")
PATH=$pwdir:$PATH
export PATH

# --- (c) the measurement, all programs in one run --------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr), $(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release)"
echo "Programs: $("$PERWATT" --version 2>/dev/null | head -1 || echo perwatt) ($PERWATT)," \
	"$(htop --version | head -1), top from $(dpkg-query -W -f='procps ${Version}' procps 2>/dev/null || echo procps)"
echo "perwatt source: commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git status --porcelain 2>/dev/null | grep -qv '^?? bench/' && echo ' plus uncommitted changes')"
echo "Processes on the machine (htop and top list them): $(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)"
echo

dump=
[ -n "${BENCH_DUMP:-}" ] && dump="--dump $BENCH_DUMP"

status=0
# shellcheck disable=SC2086 # $dump is meant to split
"$py" "$here/termbytes.py" --seconds "$seconds" --warmup "$warmup" \
	--repeat "$repeat" --size "$size" --versus htop --anatomy $dump \
	"perwatt --demo inference --interval 1" \
	"perwatt --demo training --interval 1" \
	"htop -d 10" \
	"top -d 1" \
	"ASCII::LANG=C perwatt --demo inference --interval 1" || status=$?
echo
echo "Produced by: ${BENCH_DUMP:+BENCH_DUMP=$BENCH_DUMP }BENCH_SECONDS=$seconds BENCH_WARMUP=$warmup BENCH_REPEAT=$repeat BENCH_SIZE=$size bench/run.sh"
exit $status
