# tmux-lib.sh - tmux helpers for the end-to-end tests that drive the real
# binary in a real terminal (sourced after lib.sh, not run).  A private tmux
# server (its own socket) is killed when the test exits.
need tmux

SOCK=perwatt-test-$$
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
SOCK_PATH=${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK
trap 'tm kill-server >/dev/null 2>&1; rm -f "$SOCK_PATH"; rm -rf "$E2E_TMP"' EXIT
trap 'exit 1' INT TERM HUP

# A terminal type that certainly exists here: tmux's own when installed.
TT=screen
for t in tmux-256color screen-256color xterm-256color; do
	if infocmp "$t" >/dev/null 2>&1; then TT=$t; break; fi
done
# A UTF-8 locale (Debian always has C.UTF-8); without one the checks that
# need UTF-8 are skipped and the rest run in the C locale.
UTF8=$(locale -a 2>/dev/null | grep -Ei '^c\.utf-?8$' | head -n 1)
[ -n "$UTF8" ] || UTF8=$(locale -a 2>/dev/null | grep -Ei 'utf-?8$' | head -n 1)
[ -n "$UTF8" ] || UTF8=C

SCREEN=$E2E_TMP/screen

# start NAME WxH LOCALE ARGS...: a session running perwatt, then a line
# "EXIT=<status>" once it ends (the pane stays, so the line can be read).
# The program starts only once $E2E_TMP/go-NAME exists, so that a pipe-pane
# can be attached before its first byte.
start() {
	name=$1 size=$2 loc=$3
	shift 3
	w=${size%x*} h=${size#*x}
	rm -f "$E2E_TMP/go-$name"
	tm new-session -d -s "$name" -x "$w" -y "$h" \
		"while [ ! -e '$E2E_TMP/go-$name' ]; do sleep 0.05; done; \
		 $RUNNER env TERM=$TT LANG=$loc LC_ALL=$loc '$PERWATT' $*; echo EXIT=\$?; exec sleep 120"
}
RUNNER=
go() { : >"$E2E_TMP/go-$1"; }

# wait_for NAME PATTERN [TENTHS]: polls the pane until grep -E finds PATTERN.
wait_for() {
	i=0
	while [ "$i" -lt "${3:-60}" ]; do
		tm capture-pane -p -t "$1" >"$SCREEN" 2>/dev/null
		grep -Eq -- "$2" "$SCREEN" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# shows NAME PATTERN: PATTERN is on the screen now or within 3 s. A capture
# can catch a frame half-drawn (tmux is still reading perwatt's output), so
# checks poll the pane instead of grepping one earlier capture.
shows() { wait_for "$1" "$2" 30; }

# wait_gone NAME PATTERN [TENTHS]: polls until PATTERN is no longer shown.
wait_gone() {
	i=0
	while [ "$i" -lt "${3:-40}" ]; do
		tm capture-pane -p -t "$1" >"$SCREEN" 2>/dev/null
		grep -Eq -- "$2" "$SCREEN" || return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# pid of perwatt in the pane of session NAME (a child of the pane's shell)
pw_pid() {
	sh_pid=$(tm display-message -p -t "$1" '#{pane_pid}')
	if command -v pgrep >/dev/null 2>&1; then
		pgrep -P "$sh_pid" -x perwatt | head -n 1
	else
		# no procps: /proc/PID/stat is "pid (comm) state ppid ..."
		for st in /proc/[0-9]*/stat; do
			read -r p c _ pp _ <"$st" 2>/dev/null || continue
			if [ "$c" = "(perwatt)" ] && [ "$pp" = "$sh_pid" ]; then echo "$p"; break; fi
		done
	fi
}
