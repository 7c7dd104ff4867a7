# shellcheck shell=sh disable=SC2154 # $here is the sourcing script's
# bench/lib.sh - shared by the benchmarks that measure the perwatt binary
# (sourced, POSIX sh).  Needs $here (bench/) and the working directory at
# the repository root.
#
#   bench_perwatt    sets PERWATT to an absolute path of an unsanitised
#                    perwatt: $PERWATT if set, else ./perwatt when it is not a
#                    sanitizer build, else a private optimised build in
#                    bench/.build (the same one run.sh makes and reuses).
#
# The build is the one bench/README.md describes under "Which perwatt": a
# copy of the working tree in bench/.build/src, configured with
# --disable-tests CFLAGS='-O2 -g', so that a benchmark never reconfigures
# (or races) the build others use in the tree.  The copy keeps file times,
# so make stays incremental across runs.

bench_say() { printf '%s: %s\n' "${bench_name:-bench}" "$*" >&2; }

bench_sanitized() {
	# ASan/UBSan inflate CPU time and RSS many times over: never measure them.
	ldd "$1" 2>/dev/null | grep -Eq 'lib(asan|ubsan|tsan)' ||
		grep -aq '__asan_init\|__ubsan_handle' "$1"
}

bench_private_build() {
	_b=$here/.build
	bench_say "building an optimised perwatt (CFLAGS='-O2 -g', no sanitizers) in bench/.build"
	mkdir -p "$_b/src"
	git ls-files -z --cached --others --exclude-standard |
		tr '\0' '\n' | while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done |
		tar -cf - -T - | tar -xpf - -C "$_b/src"
	(
		cd "$_b/src"
		if [ ! -f config.status ]; then
			./autogen.sh >"$_b/autogen.log" 2>&1 || { tail -20 "$_b/autogen.log" >&2; exit 1; }
			./configure -q --disable-tests CFLAGS='-O2 -g' >"$_b/configure.log" 2>&1 ||
				{ tail -20 "$_b/configure.log" >&2; exit 1; }
		fi
		make -j"$(nproc 2>/dev/null || echo 2)" perwatt >"$_b/make.log" 2>&1 ||
			{ tail -30 "$_b/make.log" >&2; exit 1; }
	) || return 1
	PERWATT=$_b/src/perwatt
}

bench_perwatt() {
	if [ -z "${PERWATT:-}" ]; then
		if [ -x ./perwatt ] && ! bench_sanitized ./perwatt; then
			PERWATT=./perwatt
		else
			[ -x ./perwatt ] && bench_say "./perwatt is a sanitizer build: not measuring it"
			bench_private_build || return 1
		fi
	fi
	if bench_sanitized "$PERWATT"; then
		bench_say "$PERWATT is a sanitizer build; its CPU and RSS would mean nothing"
		return 1
	fi
	PERWATT=$(cd "$(dirname "$PERWATT")" && pwd)/$(basename "$PERWATT")
}
