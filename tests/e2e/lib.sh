# lib.sh - shared helpers for the end-to-end tests (sourced, not run).
# Each test prints one line per check and exits 0 (all passed), 1 (some
# failed) or 77 (skipped: a tool it needs is missing).

PERWATT=${PERWATT:-./perwatt}
TOP_SRCDIR=${TOP_SRCDIR:-.}
e2e_failed=0
e2e_count=0

ok()   { e2e_count=$((e2e_count + 1)); printf 'ok   %s\n' "$*"; }
fail() { e2e_count=$((e2e_count + 1)); e2e_failed=$((e2e_failed + 1)); printf 'FAIL %s\n' "$*"; }

# check DESCRIPTION COMMAND...: passes when the command succeeds
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}

# expect_status WANT DESCRIPTION COMMAND...: runs the command, compares $?
expect_status() {
	want=$1 desc=$2
	shift 2
	"$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$desc (exit $got)"
	else
		fail "$desc: exit $got, want $want; stderr: $(head -c 300 "$E2E_TMP/err")"
	fi
}

need() {
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "SKIP: $tool is not installed"
			exit 77
		fi
	done
}

e2e_done() {
	echo "$((e2e_count - e2e_failed)) of $e2e_count checks passed"
	[ "$e2e_failed" -eq 0 ]
}

E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/perwatt-e2e.XXXXXX")
trap 'rm -rf "$E2E_TMP"' EXIT
