#!/bin/sh
# End-to-end tests of the interactive dashboard: the real binary in a real
# terminal (tmux, on a private server socket), at 120x40, 80x24 and 20x6;
# resize, keys, q, SIGTERM, SIGHUP, a terminal that dies, and the ASCII
# promise (no byte >= 0x80 when the locale is not UTF-8).
. "${TOP_SRCDIR:-.}/tests/e2e/lib.sh"
need tmux

. "${TOP_SRCDIR:-.}/tests/e2e/tmux-lib.sh"

# the terminal after perwatt: normal screen, cursor visible
restored() {
	[ "$(tm display-message -p -t "$1" '#{alternate_on}')" = 0 ] &&
		[ "$(tm display-message -p -t "$1" '#{cursor_flag}')" = 1 ]
}

# nothing on the screen from a sanitizer or a crash after perwatt ended
no_report() {
	tm capture-pane -p -S -200 -t "$1" >"$SCREEN" 2>/dev/null
	! grep -Eq "Sanitizer|runtime error|Segmentation|Aborted|core dumped" "$SCREEN"
}

gone() {
	i=0
	while [ "$i" -lt 30 ]; do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

NUM='[0-9][0-9.]*[kMG]?'
MONEY='[$][0-9][0-9.,]*[kMG]?'

# ---- 120x40: the whole dashboard ---------------------------------------------
start big 120x40 "$UTF8" --demo inference
go big
# the demo's instances start within a few seconds: until then cost per unit
# and the ratios are unknown ("n/a"), so wait for a ratio first
if wait_for big "Throughput +$NUM inferences/s" 100 && wait_for big "inferentia +[0-9.]+x" 100; then
	ok "120x40: figures appear"
else
	fail "120x40: no figures; screen:"; cat "$SCREEN"
fi
check "120x40: DEMO badge" shows big "DEMO"
check "120x40: both fleets by name" shows big "gpu.*BASELINE.*inferentia"
check "120x40: instance type x count" shows big "g4dn\.2xlarge .* 33"
check "120x40: power and cost" shows big "Power +$NUM k?W"
check "120x40: cost per million" shows big "$MONEY per M inferences"
check "120x40: comparison strip" shows big "inferentia +[0-9.]+x"
check "120x40: the demo's note" shows big "published figures; per-instance inputs derived"
check "120x40: key hints" shows big "q quit"
check "120x40: wide panels (per instance beside totals)" shows big "per instance"
if [ "$UTF8" != C ]; then
	check "120x40: sparklines drawn" shows big "█"
fi

# ---- resize: re-laid out at once ---------------------------------------------
tm resize-window -t big -x 80 -y 24 >/dev/null 2>&1
if wait_for big "  per inst +$NUM" 30 && wait_gone big "per instance" 30; then
	ok "resize to 80x24 re-lays out (narrow panels)"
else
	fail "resize to 80x24; screen:"; cat "$SCREEN"
fi
check "80x24: both fleets still there" shows big "gpu.*inferentia"
check "80x24: comparison strip" wait_for big "inferentia +[0-9.]+x" 30
check "80x24: footer on the last row" sh -c "tail -n 1 '$SCREEN' | grep -q 'q quit'"
tm resize-window -t big -x 120 -y 40 >/dev/null 2>&1
check "resize back to 120x40" wait_for big "per instance" 30

# ---- keys --------------------------------------------------------------------
tm send-keys -t big '?'
check "? opens the help" wait_for big "perwatt help" 30
check "help lists the keys" shows big "next colour theme"
tm send-keys -t big Escape
check "Esc closes the help" wait_gone big "perwatt help" 30
tm send-keys -t big '?'
wait_for big "perwatt help" 30 >/dev/null
tm send-keys -t big q
check "q in the help closes only the help" wait_gone big "perwatt help" 30
tm send-keys -t big Tab
check "Tab goes to the next view (savings)" wait_for big "Projected savings" 30
tm send-keys -t big 1
check "1 goes back to the overview" wait_gone big "Projected savings" 30
tm send-keys -t big p
check "p pauses (PAUSED badge)" wait_for big "PAUSED" 30
tm send-keys -t big p
check "p again resumes" wait_gone big "PAUSED" 30
tm send-keys -t big +
check "+ lengthens the refresh interval" wait_for big "refresh 2s" 30
tm send-keys -t big - -
check "- shortens it" wait_for big "refresh 0.5s" 30
for i in 1 2 3 4 5 6; do tm send-keys -t big t; done
check "t cycles the themes" wait_for big "theme (dark|light|mono|high-contrast|colorblind)" 30
tm send-keys -t big C-l
check "still running after the keys" wait_for big "Throughput +$NUM" 30
tm send-keys -t big q
if wait_for big "^EXIT=0" 30; then ok "q exits with status 0"; else fail "q: screen:"; cat "$SCREEN"; fi
check "q restores the terminal (normal screen, cursor)" restored big
check "q: no sanitizer or crash report" no_report big

# ---- 80x24 from the start, the training demo ------------------------------------
start mid 80x24 "$UTF8" --demo training --theme light
go mid
check "80x24 training: figures" wait_for mid "Throughput +$NUM sequences/s"
check "80x24 training: the trainium fleet" shows mid "trainium"
check "80x24 training: DEMO badge" shows mid "DEMO"
pid=$(pw_pid mid)
if [ -n "$pid" ]; then
	kill -TERM "$pid"
	check "SIGTERM: exits with 128+15" wait_for mid "^EXIT=143" 30
	check "SIGTERM: no process left" gone "$pid"
	check "SIGTERM: terminal restored" restored mid
	check "SIGTERM: no sanitizer or crash report" no_report mid
else
	fail "80x24: could not find perwatt's pid"
fi

# ---- Ctrl-Z and fg, from an interactive shell with job control -------------------
if command -v bash >/dev/null 2>&1; then
	tm new-session -d -s job -x 80 -y 24 "env PS1='PROMPT$ ' HISTFILE=/dev/null bash --norc --noprofile -i"
	wait_for job "PROMPT" 50 >/dev/null
	tm send-keys -t job "env TERM=$TT LANG=$UTF8 LC_ALL=$UTF8 '$PERWATT' --demo inference" Enter
	wait_for job "Throughput +$NUM" 100 >/dev/null
	tm send-keys -t job C-z
	if wait_for job "Stopped" 30 && restored job; then
		ok "Ctrl-Z stops perwatt and gives the terminal back"
	else
		fail "Ctrl-Z; screen:"; cat "$SCREEN"
	fi
	tm send-keys -t job "fg" Enter
	if wait_for job "Throughput +$NUM" 30 &&
		[ "$(tm display-message -p -t job '#{alternate_on}')" = 1 ]; then
		ok "fg brings the dashboard back"
	else
		fail "fg; screen:"; cat "$SCREEN"
	fi
	tm send-keys -t job q
	wait_for job "PROMPT\\$ *$" 30 >/dev/null
	tm send-keys -t job 'echo EXIT=$?' Enter      # fg returns the job's status
	check "q after fg exits 0" wait_for job "^EXIT=0" 30
	check "q after fg restores the terminal" restored job
fi

# ---- 20x6: a compact summary, no crash -------------------------------------------
start tiny 20x6 "$UTF8" --demo inference
go tiny
check "20x6: fleets and numbers" wait_for tiny "inferentia +$NUM/s"
check "20x6: DEMO badge" shows tiny "DEMO"
tm resize-window -t tiny -x 10 -y 3 >/dev/null 2>&1
sleep 0.3
tm resize-window -t tiny -x 20 -y 6 >/dev/null 2>&1
check "20x6: survives a 10x3 squeeze" wait_for tiny "gpu +$NUM/s" 30
pid=$(pw_pid tiny)
if [ -n "$pid" ]; then
	kill -HUP "$pid"
	check "SIGHUP: exits with 128+1" wait_for tiny "^EXIT=129" 30
	check "SIGHUP: no process left" gone "$pid"
	check "SIGHUP: terminal restored" restored tiny
	check "SIGHUP: no sanitizer or crash report" no_report tiny
else
	fail "20x6: could not find perwatt's pid"
fi

# ---- ASCII: not one byte >= 0x80 reaches the terminal ---------------------------
# ascii_check NAME LOCALE DESCRIPTION ARGS...: everything perwatt sends, from
# its first byte, through the help and a theme change, to its exit.  (Its
# variables have names of their own: check() in lib.sh sets $desc.)
ascii_check() {
	an=$1 al=$2 ad=$3
	shift 3
	start "$an" 100x30 "$al" --demo inference "$@"
	tm pipe-pane -t "$an" -o "cat >'$E2E_TMP/$an.raw'"
	go "$an"
	check "$ad: figures" wait_for "$an" "Throughput +$NUM inferences/s" 100
	tm send-keys -t "$an" '?'
	wait_for "$an" "perwatt help" 30 >/dev/null
	tm send-keys -t "$an" Escape t p
	sleep 0.3
	tm send-keys -t "$an" q
	check "$ad: q exits 0" wait_for "$an" "^EXIT=0" 30
	check "$ad: no sanitizer or crash report" no_report "$an"
	tm pipe-pane -t "$an"
	high=$(LC_ALL=C tr -d '\000-\177' <"$E2E_TMP/$an.raw" | wc -c)
	bytes=$(wc -c <"$E2E_TMP/$an.raw")
	if [ "$bytes" -gt 1000 ] && [ "$high" -eq 0 ]; then
		ok "$ad: $bytes bytes sent, none >= 0x80"
	else
		fail "$ad: $high bytes >= 0x80 in $bytes"
	fi
}
ascii_check ascii C "C locale"
if [ "$UTF8" != C ]; then
	ascii_check forced "$UTF8" "--ascii in a UTF-8 locale" --ascii --no-color
fi

# ---- a terminal that dies (the SSH session killed) -------------------------------
# dead_tty NAME DESCRIPTION: kills the tmux session under a running perwatt
dead_tty() {
	start "$1" 80x24 "$UTF8" --demo inference
	go "$1"
	wait_for "$1" "Throughput +$NUM" >/dev/null
	pid=$(pw_pid "$1")
	tm kill-session -t "$1"
	if [ -n "$pid" ]; then
		check "$2: perwatt ends" gone "$pid"
	else
		fail "$2: could not find perwatt's pid"
	fi
}
dead_tty dead "killed terminal (SIGHUP)"
# In a session of its own the hang-up sends no signal: only EOF/EIO on the
# tty tell that it is gone; perwatt must end, not spin.
if command -v setsid >/dev/null 2>&1; then
	RUNNER=setsid
	dead_tty deadeof "killed terminal, no SIGHUP (EOF on the tty)"
	RUNNER=
fi

e2e_done
