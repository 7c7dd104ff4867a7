#!/usr/bin/env python3
"""termbytes - bytes a full-screen terminal program writes per second, side by side.

Runs each given command in a real pseudo-terminal of a fixed size, reads all it
writes (never letting it block), throws away a warm-up period, then counts the
bytes written during a measured period together with the program's CPU time
(utime+stime from /proc/PID/stat) and its peak RSS (VmHWM from
/proc/PID/status, read just before it is stopped).  It then stops the program
politely (quit key, then SIGTERM, then SIGKILL) and prints a markdown table,
one row per command, plus the exact command line that produced it.

Python 3 standard library only (Debian 12's python3 is 3.11).

Each COMMAND is one argument, split like a shell would (shlex), and may start
with:
  label::          a name for the row (default: the command itself)
  VAR=value ...    environment settings for that command only (e.g. LANG=C)

Example:
  bench/termbytes.py --seconds 30 --warmup 5 --size 120x40 \\
      'htop -d 10' 'top -d 1' 'ascii::LANG=C ./perwatt --demo inference'
"""

import argparse
import errno
import fcntl
import os
import pty
import re
import select
import shlex
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time

CHUNK = 1 << 16          # read in large chunks: keeps the harness's own CPU low
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

KEYS = {
    "q": b"q",
    "F10": b"\x1b[21~",
    "none": b"",
}

# Terminal queries a program might wait on, and what an xterm would answer.
# ncurses, htop and top do not normally ask anything; this is a safety net so
# that a program that does ask is not measured while stuck waiting.
QUERY_RE = re.compile(
    rb"\x1b\[(?:6n|\?6n|5n|0?c|>0?c|>0?q|18t|14t|\?u)"
    rb"|\x1b\][0-9]{1,3};\?(?:\x07|\x1b\\)"
    rb"|\x1bP\+q[0-9a-fA-F;]*\x1b\\"
)


class Query:
    """Answers to terminal queries; the size is needed for some."""

    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.count = 0

    def answer(self, q):
        self.count += 1
        if q.endswith(b"6n"):
            # Cursor position: not tracked; the bottom-right corner is what
            # size-probing code (move far, then ask) expects.
            return b"\x1b[%d;%dR" % (self.rows, self.cols) if not q.startswith(b"\x1b[?") \
                else b"\x1b[?%d;%dR" % (self.rows, self.cols)
        if q.endswith(b"5n"):
            return b"\x1b[0n"
        if q.startswith(b"\x1b[>") and q.endswith(b"c"):
            return b"\x1b[>41;379;0c"
        if q.endswith(b"c"):
            return b"\x1b[?62;22c"
        if q.endswith(b"q") and q.startswith(b"\x1b[>"):
            return b"\x1bP>|xterm(379)\x1b\\"
        if q.endswith(b"18t"):
            return b"\x1b[8;%d;%dt" % (self.rows, self.cols)
        if q.endswith(b"14t"):
            return b"\x1b[4;%d;%dt" % (self.rows * 16, self.cols * 8)
        if q.endswith(b"?u"):
            return b"\x1b[?0u"
        if q.startswith(b"\x1b]"):
            num = q[2:q.index(b";")]
            return b"\x1b]" + num + b";rgb:0000/0000/0000\x1b\\"
        if q.startswith(b"\x1bP+q"):
            return b"\x1bP0+r\x1b\\"
        return b""


class Anatomy:
    """Rough breakdown of the measured output by kind of control sequence."""

    CSI_RE = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]")
    HIGH = bytes(range(0x80, 0x100))

    def __init__(self):
        self.total = 0
        self.csi = 0
        self.csi_bytes = 0
        self.sgr = 0
        self.sgr_bytes = 0
        self.cup = 0             # CUP / HVP: absolute cursor moves
        self.erase_display = 0   # ED (any J): a whole-screen clear is ESC [ 2 J
        self.clear_screen = 0
        self.erase_line = 0      # EL (K)
        self.utf8 = 0            # bytes >= 0x80 (line drawing, blocks, sparklines)
        self.writes = 0          # read() chunks: roughly frames or bursts

    def feed(self, data):
        self.total += len(data)
        self.writes += 1
        for m in self.CSI_RE.finditer(data):
            s = m.group()
            self.csi += 1
            self.csi_bytes += len(s)
            final = s[-1]
            if final == 0x6D:            # m
                self.sgr += 1
                self.sgr_bytes += len(s)
            elif final in (0x48, 0x66):  # H f
                self.cup += 1
            elif final == 0x4A:          # J
                self.erase_display += 1
                if s == b"\x1b[2J":
                    self.clear_screen += 1
            elif final == 0x4B:          # K
                self.erase_line += 1
        self.utf8 += len(data) - len(data.translate(None, self.HIGH))


def parse_command(text):
    label = None
    m = re.match(r"^([^\s:=]+)::", text)
    if m:
        label, text = m.group(1), text[m.end():]
    words = shlex.split(text)
    env = {}
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        k, v = words.pop(0).split("=", 1)
        env[k] = v
    if not words:
        raise SystemExit("termbytes: empty command: %r" % text)
    shown = "`%s`" % text.strip()
    if label:
        shown = "%s: %s" % (label, shown)
    return shown, env, words


def default_quit_key(argv):
    return "q"


def read_stat(pid):
    """utime+stime of pid, in clock ticks (all its threads), or None."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(b")") + 2:].split()
    # fields[0] is field 3 (state); utime is field 14, stime field 15
    return int(fields[11]) + int(fields[12])


def read_syscw(pid):
    """write()-family system calls the process has made (/proc/PID/io), or None."""
    try:
        with open("/proc/%d/io" % pid, "rb") as f:
            for line in f:
                if line.startswith(b"syscw:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def read_hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid, "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reap(pid, timeout):
    """Wait up to timeout s for pid to exit; return its status or None."""
    end = time.monotonic() + timeout
    while True:
        try:
            p, st = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return 0
        if p == pid:
            return st
        if time.monotonic() >= end:
            return None
        time.sleep(0.02)


def drain(fd, seconds):
    """Keep reading fd for up to seconds so a quitting child never blocks."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        r, _, _ = select.select([fd], [], [], min(left, 0.05))
        if r:
            try:
                if not os.read(fd, CHUNK):
                    return
            except OSError:
                return


def measure(label, env_extra, argv, opts, home):
    rows, cols = opts.rows, opts.cols
    env = dict(os.environ)
    for k in ("LINES", "COLUMNS", "TMUX", "STY", "TERMCAP"):
        env.pop(k, None)
    env["TERM"] = opts.term
    env["LANG"] = opts.lang
    env.pop("LC_ALL", None)
    if home is not None:
        env["HOME"] = home
        env["XDG_CONFIG_HOME"] = os.path.join(home, ".config")
    env.update(env_extra)

    pid, fd = pty.fork()
    if pid == 0:
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.execvpe(argv[0], argv, env)
        except BaseException as e:  # noqa: BLE001 - must never return into the harness
            os.write(2, ("termbytes: exec %s: %s\n" % (argv[0], e)).encode())
        os._exit(127)

    q = Query(rows, cols)
    anat = Anatomy()
    tail = b""
    last = b""               # the latest output, to say why a program died
    dump = None
    if opts.dump:
        safe = re.sub(r"[^\w.-]+", "_", label)[:60]
        dump = open(os.path.join(opts.dump, "%s.run%d.bin" % (safe, opts._run)), "wb")

    t_start = time.monotonic()
    t0 = t_start + opts.warmup
    t1 = t0 + opts.seconds
    counting = False
    nbytes = 0
    buckets = [0] * (int(opts.seconds) + 1)
    cpu0 = cpu1 = None
    sysw0 = sysw1 = None
    hwm = None
    harness0 = None
    died = None
    now = t_start

    while True:
        now = time.monotonic()
        if not counting and now >= t0:
            counting = True
            cpu0 = read_stat(pid)
            sysw0 = read_syscw(pid)
            harness0 = os.times()
            t0 = now
            t1 = t0 + opts.seconds
        if counting and now >= t1:
            break
        deadline = t0 if not counting else t1
        try:
            r, _, _ = select.select([fd], [], [], max(0.0, deadline - now))
        except InterruptedError:
            continue
        if not r:
            continue
        try:
            data = os.read(fd, CHUNK)
        except OSError as e:
            if e.errno == errno.EIO:      # slave closed: the child has gone
                data = b""
            else:
                raise
        if not data:
            said = re.sub(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|.)|[\x00-\x1f\x7f]+", b" ",
                          last).decode("utf-8", "replace").split()
            died = "exited after %.1f s" % (time.monotonic() - t_start)
            if said:
                died += " (last output: %s)" % " ".join(said)[-160:]
            break
        last = (last + data)[-400:]
        if counting:
            nbytes += len(data)
            buckets[min(int(time.monotonic() - t0), len(buckets) - 1)] += len(data)
            if opts.anatomy:
                anat.feed(data)
            if dump:
                dump.write(data)
        # Answer queries (look across the chunk boundary too).
        if b"\x1b" in data or tail:
            buf = tail + data
            for m in QUERY_RE.finditer(buf):
                if m.end() > len(tail):
                    ans = q.answer(m.group())
                    if ans:
                        os.write(fd, ans)
            tail = buf[-16:] if b"\x1b" in buf[-16:] else b""

    t_end = time.monotonic()
    if died is None:
        cpu1 = read_stat(pid)
        sysw1 = read_syscw(pid)
        hwm = read_hwm_kib(pid)
    harness1 = os.times()
    if dump:
        dump.close()

    # Stop it: quit key, then SIGTERM, then SIGKILL.
    how = None
    if died is None:
        key = KEYS.get(opts._quit_key(argv), b"q")
        if key:
            try:
                os.write(fd, key)
            except OSError:
                pass
        drain(fd, 0.0)
        st = None
        end = time.monotonic() + opts.stop_timeout
        while time.monotonic() < end:
            drain(fd, 0.1)
            st = reap(pid, 0)
            if st is not None:
                how = "quit key"
                break
        if st is None:
            os.kill(pid, signal.SIGTERM)
            drain(fd, 0.2)
            st = reap(pid, opts.stop_timeout)
            how = "SIGTERM"
        if st is None:
            os.kill(pid, signal.SIGKILL)
            st = reap(pid, opts.stop_timeout)
            how = "SIGKILL"
    else:
        reap(pid, opts.stop_timeout)
    try:
        os.close(fd)
    except OSError:
        pass

    if died is not None or cpu0 is None or cpu1 is None:
        return {"label": label, "error": died or "could not read /proc/%d" % pid}

    span = t_end - t0
    cpu_s = (cpu1 - cpu0) / TICK
    hcpu = (harness1.user + harness1.system) - (harness0.user + harness0.system)
    full = buckets[: int(span)] or buckets
    return {
        "label": label,
        "bytes": nbytes,
        "span": span,
        "bps": nbytes / span,
        "sec_min": min(full),
        "sec_max": max(full),
        "cpu_s": cpu_s,
        "cpu_pct": 100.0 * cpu_s / span,
        "cpu_min": 60.0 * cpu_s / span,
        "hwm_mib": (hwm or 0) / 1024.0,
        "writes_ps": (sysw1 - sysw0) / span if sysw0 is not None and sysw1 is not None
                     else float("nan"),
        "queries": q.count,
        "stopped_by": how,
        "harness_pct": 100.0 * hcpu / span,
        "anatomy": anat if opts.anatomy else None,
        "buckets": full,
    }


def median_row(runs):
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[-1]
    # The anatomy shown is the run whose bytes/s is the median one.
    out = dict(sorted(ok, key=lambda r: r["bps"])[len(ok) // 2])
    for k in ("bytes", "span", "bps", "sec_min", "sec_max", "cpu_s", "cpu_pct",
              "cpu_min", "hwm_mib", "harness_pct", "writes_ps"):
        out[k] = statistics.median(r[k] for r in ok)
    out["n"] = len(ok)
    out["all_bps"] = [r["bps"] for r in ok]
    out["failed"] = len(runs) - len(ok)
    return out


def fmt_int(x):
    return "{:,}".format(int(round(x)))


def table(rows, opts):
    ref = None
    if opts.versus:
        for r in rows:
            if "error" not in r and opts.versus in r["label"]:
                ref = r["bps"]
                break
    head = ["program", "bytes/s", "min–max B in 1 s", "write() calls/s", "CPU s/min",
            "CPU % core", "peak RSS MiB"]
    if ref:
        head.append("bytes/s vs %s" % opts.versus)
    if opts.repeat > 1:
        head.append("bytes/s per run")
    lines = ["| " + " | ".join(head) + " |",
             "| " + " | ".join(["---"] + ["---:"] * (len(head) - 1)) + " |"]
    for r in rows:
        if "error" in r:
            cells = [r["label"], "—", "—", "—", "—", "—", "—"]
            if ref:
                cells.append("—")
            if opts.repeat > 1:
                cells.append("failed: " + r["error"].replace("|", "\\|"))
            else:
                cells[1] = "failed: " + r["error"].replace("|", "\\|")
        else:
            cells = [r["label"], fmt_int(r["bps"]),
                     "%s–%s" % (fmt_int(r["sec_min"]), fmt_int(r["sec_max"])),
                     "%.1f" % r["writes_ps"],
                     "%.2f" % r["cpu_min"], "%.2f" % r["cpu_pct"], "%.1f" % r["hwm_mib"]]
            if ref:
                cells.append("%.2f×" % (r["bps"] / ref))
            if opts.repeat > 1:
                cells.append(" / ".join(fmt_int(b) for b in r["all_bps"]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def anatomy_table(rows):
    head = ["program", "bytes", "reads/s", "CSI seqs", "CSI bytes %", "SGR seqs",
            "SGR bytes %", "cursor moves", "erase line", "erase display", "of which 2J", "bytes ≥0x80 %"]
    lines = ["| " + " | ".join(head) + " |",
             "| " + " | ".join(["---"] + ["---:"] * (len(head) - 1)) + " |"]
    for r in rows:
        a = r.get("anatomy")
        if "error" in r or a is None or a.total == 0:
            continue
        s = r["span"]
        lines.append("| " + " | ".join([
            r["label"], fmt_int(a.total), "%.1f" % (a.writes / s),
            fmt_int(a.csi), "%.0f" % (100.0 * a.csi_bytes / a.total),
            fmt_int(a.sgr), "%.0f" % (100.0 * a.sgr_bytes / a.total),
            fmt_int(a.cup), fmt_int(a.erase_line), fmt_int(a.erase_display), fmt_int(a.clear_screen),
            "%.0f" % (100.0 * a.utf8 / a.total)]) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("commands", nargs="+", metavar="COMMAND")
    ap.add_argument("--seconds", type=float, default=30.0, help="measured period (default 30)")
    ap.add_argument("--warmup", type=float, default=5.0, help="discarded start (default 5)")
    ap.add_argument("--size", default="120x40", help="COLSxROWS (default 120x40)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per command; the median is shown")
    ap.add_argument("--term", default="xterm-256color", help="TERM (default xterm-256color)")
    ap.add_argument("--lang", default="C.UTF-8", help="LANG (default C.UTF-8)")
    ap.add_argument("--quit-key", choices=sorted(KEYS), default=None,
                    help="key sent to stop each program (default q)")
    ap.add_argument("--stop-timeout", type=float, default=3.0,
                    help="seconds between quit key, SIGTERM and SIGKILL (default 3)")
    ap.add_argument("--versus", metavar="TEXT",
                    help="add a column relative to the first row whose label contains TEXT")
    ap.add_argument("--anatomy", action="store_true",
                    help="also break the measured bytes down by control sequence")
    ap.add_argument("--per-second", action="store_true",
                    help="print each run's bytes in every second of the measured period "
                         "on stderr (to see when a program reaches its steady state)")
    ap.add_argument("--dump", metavar="DIR", help="save each run's measured bytes under DIR")
    ap.add_argument("--keep-home", action="store_true",
                    help="use the real HOME (default: an empty temporary HOME, so no rc "
                         "file changes the programs' defaults and none is written)")
    opts = ap.parse_args()

    try:
        c, r = opts.size.lower().split("x")
        opts.cols, opts.rows = int(c), int(r)
    except ValueError:
        ap.error("--size must look like 120x40")
    if opts.dump:
        os.makedirs(opts.dump, exist_ok=True)
    opts._quit_key = (lambda argv: opts.quit_key) if opts.quit_key else default_quit_key

    cmds = [parse_command(c) for c in opts.commands]
    results = {i: [] for i in range(len(cmds))}
    home_dir = None if opts.keep_home else tempfile.mkdtemp(prefix="termbytes-home-")
    total = opts.repeat * len(cmds) * (opts.warmup + opts.seconds)
    print("termbytes: %d command(s) x %d run(s), about %.0f s" %
          (len(cmds), opts.repeat, total), file=sys.stderr)
    # Round-robin, so slow drift in the machine's load spreads over all rows.
    for run in range(opts.repeat):
        opts._run = run
        for i, (label, env, argv) in enumerate(cmds):
            res = measure(label, env, argv, opts, home_dir)
            results[i].append(res)
            if "error" in res:
                print("termbytes: %s: %s" % (label, res["error"]), file=sys.stderr)
            else:
                print("termbytes: %-40s %9.0f B/s  cpu %5.2f%%  rss %6.1f MiB  "
                      "(stopped by %s; harness cpu %.2f%%)" %
                      (label, res["bps"], res["cpu_pct"], res["hwm_mib"],
                       res["stopped_by"], res["harness_pct"]), file=sys.stderr)
                if opts.per_second:
                    print("termbytes:   bytes per second: " +
                          " ".join(str(b) for b in res["buckets"]), file=sys.stderr)
    if home_dir:
        import shutil
        shutil.rmtree(home_dir, ignore_errors=True)

    rows = [median_row(results[i]) for i in range(len(cmds))]
    sys.stderr.flush()
    print("Terminal %dx%d, TERM=%s, LANG=%s; %g s warm-up discarded, %g s measured%s." %
          (opts.cols, opts.rows, opts.term, opts.lang, opts.warmup, opts.seconds,
           ", median of %d runs" % opts.repeat if opts.repeat > 1 else ""))
    print()
    print(table(rows, opts))
    if opts.anatomy:
        print()
        print("Where the bytes go (%s):" % ("median run" if opts.repeat > 1 else "measured period"))
        print()
        print(anatomy_table(rows))
    print()
    print("Command:")
    print()
    print("    " + " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0])] + sys.argv[1:]))
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
