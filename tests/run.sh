#!/bin/sh
# tests/run.sh - the whole test suite, from a fresh Debian 12 machine.
#
# Installs what the tests need (when missing), builds perwatt out of tree
# with AddressSanitizer, UndefinedBehaviorSanitizer and -Werror, runs every
# unit and end-to-end test, checks `make distcheck`, and ends with the line
# "N passed, N failed".  Exit status 0 only when nothing failed.
#
#   sh tests/run.sh            # everything
#   QUICK=1 sh tests/run.sh    # skip make distcheck
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# ---- dependencies ---------------------------------------------------------
PKGS="build-essential autoconf automake pkg-config libncurses-dev libcurl4-openssl-dev
      libcjson-dev libinih-dev libcmocka-dev tmux python3 procps curl
      prometheus prometheus-node-exporter clang libclang-rt-14-dev"
missing=
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "== installing:$missing"
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null ||
		{ echo "could not install:$missing"; echo "0 passed, 1 failed"; exit 1; }
fi

# ---- build ------------------------------------------------------------------
build=${BUILD_DIR:-$top/_build/check}
log=$build/run.log
mkdir -p "$build"
: >"$log"
step() {
	echo "== $1"
	shift
	if ! "$@" >>"$log" 2>&1; then
		tail -n 40 "$log"
		echo "build step failed: see $log"
		echo "0 passed, 1 failed"
		exit 1
	fi
}
# The suite builds out of tree.  A source tree that was configured in place
# (the quick start's ./configure && make) cannot host another build, so the
# suite then builds from a copy of the checkout's files instead.
src=$top
if [ -f "$top/config.status" ] && git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	src=$build/src
	rm -rf "$src"
	mkdir -p "$src"
	git -C "$top" ls-files -z -c -o --exclude-standard | (cd "$top" && xargs -0 tar cf -) | tar xf - -C "$src"
	echo "== testing a copy of the working tree (the tree itself is configured in place)"
fi
obj=$build/obj
mkdir -p "$obj"
step "autogen" "$src/autogen.sh"
step "configure (sanitizers, -Werror)" sh -c "cd '$obj' && '$src/configure' --enable-sanitizers --enable-werror --enable-tests=yes"
step "make" make -C "$obj" -j2

# ---- tests ------------------------------------------------------------------
echo "== make check"
# LeakSanitizer: ncurses keeps some allocations for the life of the process
# by design; the suppressions file names only those.
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/tests/lsan.supp:print_suppressions=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
make -C "$obj" -j2 check >>"$log" 2>&1
check_rc=$?

# Count the checks inside each test: cmocka's "[       OK ]"/"[  FAILED  ]"
# lines and the end-to-end scripts' "ok"/"FAIL" lines.  A test that failed
# without saying which check (a crash, a sanitizer report) counts as one.
passed=0 failed=0 skipped=0
for trs in $(find "$obj/tests" -name '*.trs' | sort); do
	tlog=${trs%.trs}.log
	name=${trs#"$obj"/}
	name=${name%.trs}
	result=$(sed -n 's/^:test-result: //p' "$trs")
	p=$(grep -c -e '^\[       OK \]' -e '^ok ' "$tlog")
	# cmocka lists each failed test twice (as it fails, and in its summary)
	f=$(grep -e '^\[  FAILED  \] [a-z_]' -e '^FAIL ' "$tlog" | sort -u | wc -l)
	case $result in
	SKIP) skipped=$((skipped + 1)); echo "SKIP $name: $(grep -m1 SKIP "$tlog")" ;;
	PASS) passed=$((passed + p)); echo "PASS $name ($p checks)" ;;
	*)
		[ "$f" -gt 0 ] || f=1
		passed=$((passed + p))
		failed=$((failed + f))
		echo "FAIL $name ($f failed):"
		grep -e '^FAIL ' -e 'FAILED' -e 'ERROR' -e 'runtime error' -e 'Sanitizer' "$tlog" | head -n 20 | sed 's/^/    /'
		;;
	esac
done
if [ "$check_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
	echo "FAIL make check exited $check_rc:"
	tail -n 20 "$log" | sed 's/^/    /'
fi

if [ "${QUICK:-0}" != 1 ]; then
	echo "== make distcheck"
	if make -C "$obj" -j2 distcheck >>"$log" 2>&1; then
		passed=$((passed + 1)); echo "PASS make distcheck"
	else
		failed=$((failed + 1)); echo "FAIL make distcheck:"; tail -n 30 "$log" | sed 's/^/    /'
	fi
fi

echo
[ "$skipped" -eq 0 ] || echo "($skipped test programs skipped)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
