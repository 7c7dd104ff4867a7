#!/usr/bin/env python3
"""promapi.py - a fake Prometheus HTTP API server for perwatt's PromQL tests.

Binds 127.0.0.1 only.  Prints the port it listens on (one line) on stdout,
then serves until its stdin closes (the test that started it ended or died),
until --max-seconds have passed (default 120), or until SIGTERM.  Python 3
standard library only.

Answers /api/v1/query and /api/v1/query_range, by GET or by POST
(application/x-www-form-urlencoded), like Prometheus 2.x/3.x does: the JSON
envelope, HTTP 400 with errorType bad_data for bad parameters (missing step,
end before start, more than 11,000 points per series), "404 page not found"
for any other path.  What an answer holds is chosen by words in the query
text (PromQL comments are a good place for them: `up # v=3,4 warn`):

  v=A,B,...   one series per value, instance "host-1:9100", "host-2:9100"...
              (default v=1); query_range answers A/2, B/2... at every step,
              so that backfilled points can be told from live ones
  dup         two series (cpu 0 and 1) per instance, with the same value
  nolabel     series without an instance label: {job="x",zone="zN"}
  slow=S      sleeps S seconds first (slow alone: 3 s)
  error       400 bad_data (a PromQL parse error, as Prometheus 2.42 words it)
  warn        success with a "warnings" list (and an "infos" one)
  matrix      an instant query answers a matrix (as for up[5s])
  scalar      a scalar with the first value (query_range: one series, no labels)
  string      a string result
  empty       an empty result
  nan         values NaN and +Inf
  escape      label values with ESC [2J, BEL and invalid UTF-8
  notjson     200 with an HTML page
  norange     query_range answers 503 unavailable

--log FILE appends one JSON line per API request: method, path, Content-Type
and the decoded parameters (the first value of each).
"""
import argparse
import json
import math
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import servercommon

STOP = threading.Event()
LOCK = threading.Lock()
OPTS = None


def fmt_value(v):
    """A sample value as Go's strconv.FormatFloat(v, 'f', -1, 64) writes it."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def fmt_time(t):
    """Timestamps are JSON numbers, integral ones without a fraction."""
    t = round(t, 3)
    return int(t) if t == int(t) else t


def parse_duration(s):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)?", s or "")
    if not m:
        raise ValueError(s)
    mult = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]
    return float(m.group(1)) * mult


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "promapi/1"
    timeout = 60
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # noqa: A003 - quiet unless asked
        if OPTS.verbose:
            sys.stderr.write("promapi: " + (fmt % args) + "\n")

    def reply(self, status, body, ctype="application/json"):
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogateescape")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reply_json(self, status, obj):
        # ensure_ascii=False so that the "escape" answer carries raw bytes
        self.reply(status, json.dumps(obj, ensure_ascii=False, separators=(",", ":")))

    def bad_data(self, msg):
        self.reply_json(400, {"status": "error", "errorType": "bad_data", "error": msg})

    def do_GET(self):  # noqa: N802
        try:
            self.dispatch()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_POST = do_GET

    def dispatch(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        url = urlsplit(self.path)
        params = parse_qs(url.query, keep_blank_values=True)
        ctype = self.headers.get("Content-Type", "")
        if self.command == "POST" and ctype.startswith("application/x-www-form-urlencoded"):
            for k, v in parse_qs(body.decode("utf-8", "surrogateescape"), keep_blank_values=True).items():
                params.setdefault(k, []).extend(v)
        p = {k: v[0] for k, v in params.items()}
        if url.path not in ("/api/v1/query", "/api/v1/query_range"):
            self.reply(404, "404 page not found\n", "text/plain; charset=utf-8")
            return
        if OPTS.log:
            line = json.dumps({"t": time.time(), "method": self.command, "path": url.path,
                               "ctype": ctype, "params": p}, ensure_ascii=True)
            with LOCK, open(OPTS.log, "a", encoding="utf-8") as f:
                f.write(line + "\n")
        if "query" not in p or p["query"] == "":
            self.bad_data('invalid parameter "query": unknown position: parse error: no expression found in input')
            return
        q = p["query"]
        m = re.search(r"slow(?:=(\d+(?:\.\d+)?))?", q)
        if m:
            STOP.wait(float(m.group(1) or 3))
        if "error" in q:
            self.bad_data('invalid parameter "query": 1:8: parse error: unclosed left parenthesis')
            return
        if url.path == "/api/v1/query":
            self.instant(q, p)
        else:
            self.range(q, p)

    # ---- answers --------------------------------------------------------
    def series_labels(self, q):
        m = re.search(r"v=([-+0-9.eE,]+)", q)
        vals = [float(x) for x in m.group(1).split(",") if x] if m else [1.0]
        out = []
        for i, v in enumerate(vals):
            copies = 2 if "dup" in q else 1
            for c in range(copies):
                if "nolabel" in q:
                    labels = {"job": "x", "zone": f"z{i + 1}"}
                elif "escape" in q:
                    labels = {"instance": "\x1b[2Jevil\x07" if i == 0 else "bad\udcff\udcfeutf8"}
                else:
                    labels = {"instance": f"host-{i + 1}:9100", "job": "node"}
                if copies > 1:
                    labels["cpu"] = str(c)
                out.append((labels, v))
        return out

    def envelope(self, q, rtype, result):
        out = {"status": "success", "data": {"resultType": rtype, "result": result}}
        if "warn" in q:
            out["warnings"] = ["PromQL warning: encountered a mix of histograms and floats for aggregation"]
            out["infos"] = ["PromQL info: metric might not be a counter"]
        return out

    def instant(self, q, p):
        try:
            t = float(p["time"]) if "time" in p else time.time()
        except ValueError:
            self.bad_data(f'invalid parameter "time": Invalid time value for \'time\': cannot parse "{p["time"]}" to a valid timestamp')
            return
        if "notjson" in q:
            self.reply(200, "<html><body>proxy login</body></html>\n", "text/html")
            return
        series = self.series_labels(q)
        if "empty" in q:
            res = self.envelope(q, "vector", [])
        elif "string" in q:
            res = self.envelope(q, "string", [fmt_time(t), "hello"])
        elif "scalar" in q:
            res = self.envelope(q, "scalar", [fmt_time(t), fmt_value(series[0][1])])
        elif "matrix" in q:
            res = self.envelope(q, "matrix", [
                {"metric": lb, "values": [[fmt_time(t - 1), fmt_value(v)], [fmt_time(t), fmt_value(v)]]}
                for lb, v in series])
        else:
            vals = [float("nan"), float("inf")] if "nan" in q else None
            res = self.envelope(q, "vector", [
                {"metric": lb, "value": [fmt_time(t), fmt_value(vals[k % 2] if vals else v)]}
                for k, (lb, v) in enumerate(series)])
        self.reply_json(200, res)

    def range(self, q, p):
        if "step" not in p:
            self.bad_data('invalid parameter "step": cannot parse "" to a valid duration')
            return
        try:
            start, end = float(p.get("start", "")), float(p.get("end", ""))
            step = parse_duration(p["step"])
        except ValueError:
            self.bad_data('invalid parameter "start": cannot parse the times')
            return
        if end < start:
            self.bad_data('invalid parameter "end": end timestamp must not be before start time')
            return
        if step <= 0:
            self.bad_data("zero or negative query resolution step widths are not accepted. Try a positive integer")
            return
        if (end - start) // step > 11000:
            self.bad_data("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
            return
        if "norange" in q:
            self.reply_json(503, {"status": "error", "errorType": "unavailable", "error": "too many queries"})
            return
        series = [] if "empty" in q else self.series_labels(q)
        if "scalar" in q:
            series = [({}, series[0][1])]     # a scalar's range is one series without labels
        npts = int((end - start) // step) + 1
        res = self.envelope(q, "matrix", [
            {"metric": lb, "values": [[fmt_time(start + k * step), fmt_value(v / 2)] for k in range(npts)]}
            for lb, v in series])
        self.reply_json(200, res)


def main():
    global OPTS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    servercommon.add_args(ap, max_seconds=120, watch_stdin=True)
    ap.add_argument("--log", help="append one JSON line per API request to this file")
    ap.add_argument("--verbose", action="store_true", help="log requests on stderr")
    OPTS = ap.parse_args()
    # clients that time out and hang up are part of the tests: their errors only with --verbose
    servercommon.serve(Handler, "promapi", OPTS, queue=64, show_errors=OPTS.verbose)


if __name__ == "__main__":
    main()
