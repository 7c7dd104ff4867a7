#!/bin/sh
# tests/fuzz/run.sh SECONDS - build the promtext fuzzer with clang's libFuzzer
# and run it for SECONDS (default 60) on the exposition fixtures.
#
# Exit status: 0 nothing found, 77 skipped (no clang or no libFuzzer
# runtime), anything else: the build failed or libFuzzer found a crash, leak,
# timeout or a whole/split disagreement (the input is kept in the work dir).
#
# FUZZ_CC       compiler (default clang)
# FUZZ_WORKDIR  where the binary, new corpus entries and crashes go
#               (default: a new temporary directory, printed at the end)
# FUZZ_JOBS     parallel fuzzing processes (default 1)
set -u
secs=${1:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
cc=${FUZZ_CC:-clang}
jobs=${FUZZ_JOBS:-1}

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "SKIP: $cc not found"
	exit 77
fi
work=${FUZZ_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/fuzz_promtext.XXXXXX")}
mkdir -p "$work/corpus" || exit 1

# Is libFuzzer's runtime there? (Debian: libclang-rt-NN-dev or clang itself)
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$work/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$work/probe.c" -o "$work/probe" >/dev/null 2>&1; then
	echo "SKIP: $cc cannot link -fsanitize=fuzzer (install libclang-rt-dev)"
	exit 77
fi

# The parser needs nothing from the configured config.h but the system
# extensions; a minimal one keeps this independent of the build directory.
printf '#define _GNU_SOURCE 1\n' >"$work/config.h"
"$cc" -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
	-Wall -Wextra -Werror -I"$work" -I"$top" -include "$work/config.h" \
	"$top/fetch/promtext.c" "$top/tests/fuzz/fuzz_promtext.c" -o "$work/fuzz_promtext" || exit 1

echo "fuzzing for ${secs}s in $work"
par=
# -jobs=N runs N processes, each for the whole time, logging to fuzz-N.log
[ "$jobs" -gt 1 ] && par="-jobs=$jobs -workers=$jobs"
(cd "$work" && ./fuzz_promtext -max_len=65536 -max_total_time="$secs" -timeout=10 \
	-rss_limit_mb=2048 $par -dict="$top/tests/fuzz/promtext.dict" -artifact_prefix="$work/" \
	-print_final_stats=1 corpus "$top/tests/fixtures/exposition") >"$work/fuzz.log" 2>&1
rc=$?
logs="$work/fuzz.log"
[ "$jobs" -gt 1 ] && logs=$(ls "$work"/fuzz-*.log)
# shellcheck disable=SC2086
grep -hE 'stat::number_of_executed_units|stat::peak_rss|Done [0-9]|ERROR|SUMMARY|differ|Test unit written' $logs | tail -n 20
echo "corpus: $(ls "$work/corpus" | wc -l) files; work dir: $work"
exit $rc
