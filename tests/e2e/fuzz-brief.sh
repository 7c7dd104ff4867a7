#!/bin/sh
# A brief libFuzzer run of the exposition parser (tests/fuzz/run.sh) as part
# of the suite: 20 seconds on the seed corpus.  Skipped (77) without clang's
# libFuzzer.
. "${TOP_SRCDIR:-.}/tests/e2e/lib.sh"
sh "$TOP_SRCDIR/tests/fuzz/run.sh" "${FUZZ_SECONDS:-20}" >"$E2E_TMP/fuzz.log" 2>&1
rc=$?
[ "$rc" -eq 77 ] && { cat "$E2E_TMP/fuzz.log"; exit 77; }
tail -n 3 "$E2E_TMP/fuzz.log"
check "fuzzing the exposition parser for ${FUZZ_SECONDS:-20} s finds nothing (exit $rc)" [ "$rc" -eq 0 ]
e2e_done
