#!/usr/bin/env python3
"""hostile.py - an HTTP server that misbehaves on purpose, for perwatt's tests.

Binds 127.0.0.1 only.  Prints the port it listens on (one line) on stdout,
then serves until SIGTERM, until --max-seconds have passed (default 600: it
can never outlive a test run), or, with --watch-stdin, until its stdin
closes (the test that started it died).  Python 3 standard library only.

Paths (GET unless said; every path reads a request body it is sent):
  /ok            Prometheus text: counter test_inferences_total, gauge
                 test_power_watts.  ?inferences=N&watts=W override the values
                 for this response; /control?inferences=N&watts=W sets them.
  /control       sets the values /ok serves (see above); answers "ok"
  /slow?delay=S  waits S seconds (default 2), then answers like /ok
  /hang          reads the request and never answers
  /drip          sends headers, then one byte a second forever
  /reset         reads the request, then closes with a TCP RST (SO_LINGER 0)
  /500           status 500 with a hostile first line (ESC [ 2 J, BEL)
  /status?code=N status N with a one-line text body
  /big?mb=N      N MiB (default 8) with Content-Length; &chunked=1 streams it
                 without a length (chunked transfer encoding)
  /gzip          a gzip-encoded exposition (Content-Encoding: gzip)
  /escape        exposition whose labels hold ESC [ 2 J, BEL, invalid UTF-8
  /empty         closes the connection without any response
  /auth          401 unless "Authorization: Bearer <--token>" or Basic with
                 <--basic> ("user:password"); the 401 body echoes the
                 Authorization it got, to test that clients redact it
  /headers       JSON: method, path, request headers, body_len, body_sum
                 (sum of the body's bytes), body (when short text); answers
                 with the header "X-Amzn-Query-Error: Test.Error;Sender"
  /redirect?to=P 302 to P (default /ok)
  /stats         JSON: connections accepted and requests served so far
"""
import argparse
import base64
import gzip
import io
import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import servercommon

STATE = {"inferences": 1234.0, "watts": 350.5}
STATS = {"connections": 0, "requests": 0}
LOCK = threading.Lock()
STOP = threading.Event()
OPTS = None


def exposition(inferences, watts, extra=""):
    return (
        "# HELP test_inferences_total Inferences served.\n"
        "# TYPE test_inferences_total counter\n"
        f'test_inferences_total{{model="m1"}} {inferences}\n'
        "# HELP test_power_watts Power draw.\n"
        "# TYPE test_power_watts gauge\n"
        f'test_power_watts{{gpu="0"}} {watts}\n' + extra
    )


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"     # keep-alive unless a path closes
    server_version = "hostile/1"
    timeout = 60                      # idle keep-alive connections end
    # headers and body go out in two writes: without this, Nagle and the
    # client's delayed ACK add 40 ms to every answer on a reused connection
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        with LOCK:
            STATS["connections"] += 1

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass  # /reset closed the socket under us

    def log_message(self, fmt, *args):  # noqa: A003 - quiet unless asked
        if OPTS.verbose:
            sys.stderr.write("hostile: " + (fmt % args) + "\n")

    # ---- helpers -------------------------------------------------------
    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        data = b""
        while len(data) < n:
            chunk = self.rfile.read(n - len(data))
            if not chunk:
                break
            data += chunk
        return data

    def reply(self, status, body, ctype="text/plain; charset=utf-8", headers=()):
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogateescape")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def param(self, q, name, default, conv=float):
        try:
            return conv(q[name][0])
        except (KeyError, ValueError, IndexError):
            return default

    def sleep(self, seconds):
        """Sleeps, but wakes at shutdown."""
        STOP.wait(seconds)

    # ---- dispatch ------------------------------------------------------
    def do_GET(self):  # noqa: N802
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET

    def dispatch(self):
        with LOCK:
            STATS["requests"] += 1
        body = self.read_body()
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        name = "path_" + url.path.strip("/").replace("-", "_")
        fn = getattr(self, name, None) if url.path.strip("/") else None
        if fn is None:
            self.reply(404, "no such path\n")
            return
        try:
            fn(q, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # ---- paths -----------------------------------------------------------
    def path_ok(self, q, body):
        with LOCK:
            inf = self.param(q, "inferences", STATE["inferences"])
            w = self.param(q, "watts", STATE["watts"])
        self.reply(200, exposition(inf, w), "text/plain; version=0.0.4; charset=utf-8")

    def path_control(self, q, body):
        with LOCK:
            for k in ("inferences", "watts"):
                STATE[k] = self.param(q, k, STATE[k])
        self.reply(200, "ok\n")

    def path_slow(self, q, body):
        self.sleep(self.param(q, "delay", 2.0))
        self.path_ok(q, body)

    def path_hang(self, q, body):
        self.sleep(OPTS.max_seconds)
        self.close_connection = True

    def path_drip(self, q, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        while not STOP.is_set():
            self.wfile.write(b"#")
            self.wfile.flush()
            self.sleep(1.0)

    def path_reset(self, q, body):
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # the descriptor closes only with its last file object: close them all
        self.rfile.close()
        self.wfile.close()
        self.connection.close()
        self.rfile, self.wfile = io.BytesIO(), io.BytesIO()

    def path_500(self, q, body):
        self.reply(500, "boom: \x1b[2J\x07 the backend failed\nsecond line\n")

    def path_status(self, q, body):
        code = self.param(q, "code", 500, int)
        self.reply(code, f"status {code} as asked\n")

    def path_big(self, q, body):
        size = int(self.param(q, "mb", 8.0) * 1024 * 1024)
        block = (b"x" * 1023 + b"\n") * 64        # 64 KiB
        if self.param(q, "chunked", 0, int):
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            left = size
            while left > 0:
                part = block[:left]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                left -= len(part)
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        left = size
        while left > 0:
            part = block[:left]
            self.wfile.write(part)
            left -= len(part)

    def path_gzip(self, q, body):
        data = gzip.compress(exposition(42, 99.5).encode())
        self.reply(200, data, "text/plain; version=0.0.4", [("Content-Encoding", "gzip")])

    def path_escape(self, q, body):
        extra = (
            'test_power_watts{gpu="\x1b[2J\x07evil"} 1\n'
            'test_power_watts{gpu="bad\udcff\udcfeutf8"} 2\n'
        )
        self.reply(200, exposition(1, 2, extra), "text/plain; version=0.0.4")

    def path_empty(self, q, body):
        self.close_connection = True

    def path_auth(self, q, body):
        got = self.headers.get("Authorization", "")
        good = ["Bearer " + OPTS.token,
                "Basic " + base64.b64encode(OPTS.basic.encode()).decode()]
        if got in good:
            self.reply(200, "welcome\n")
        else:
            # hostile on purpose: echo the credentials back in the first line
            cred = got.split(" ", 1)[1] if " " in got else got
            try:
                plain = base64.b64decode(cred, validate=True).decode()
            except ValueError:
                plain = cred
            self.reply(401, f"unauthorized: you sent '{got}' ({plain})\n",
                       headers=[("WWW-Authenticate", 'Bearer realm="test"')])

    def path_headers(self, q, body):
        out = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body_len": len(body),
            "body_sum": sum(body),
        }
        if len(body) <= 4096:
            out["body"] = body.decode("utf-8", "replace")
        self.reply(200, json.dumps(out, sort_keys=True) + "\n", "application/json",
                   [("X-Amzn-Query-Error", "Test.Error;Sender")])

    def path_redirect(self, q, body):
        to = q.get("to", ["/ok"])[0]
        self.reply(302, "moved\n", headers=[("Location", to)])

    def path_stats(self, q, body):
        with LOCK:
            out = dict(STATS)
        self.reply(200, json.dumps(out) + "\n", "application/json")


def main():
    global OPTS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    servercommon.add_args(ap, max_seconds=600, watch_stdin=False)
    ap.add_argument("--token", default="s3cr3t-t0ken-for-tests", help="bearer token /auth accepts")
    ap.add_argument("--basic", default="perwatt:hunter2-pass", help="user:password /auth accepts")
    ap.add_argument("--verbose", action="store_true", help="log requests on stderr")
    OPTS = ap.parse_args()
    # clients that hang up mid-answer are the point of this server: their errors only with --verbose
    servercommon.serve(Handler, "hostile", OPTS, queue=128, show_errors=OPTS.verbose)


if __name__ == "__main__":
    main()
