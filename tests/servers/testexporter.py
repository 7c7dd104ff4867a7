#!/usr/bin/env python3
"""testexporter.py - a Prometheus exporter with known values, for perwatt's
end-to-end tests: a throughput counter growing at exactly --rate units per
second (from the wall clock, so any two scrapes give that rate), a power
gauge of --watts W, and an energy counter in millijoules growing at --watts.

Binds 127.0.0.1 only; prints its port on stdout; exits on SIGTERM, when its
stdin closes (with --watch-stdin), or after --max-seconds (default 600).
Python 3 standard library only.
"""
import argparse
import sys
import time
from http.server import BaseHTTPRequestHandler

import servercommon

OPTS = None
T0 = time.time()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):  # noqa: N802
        if self.path.split("?")[0] != "/metrics":
            self.send_error(404)
            return
        t = time.time() - T0
        body = (
            "# HELP test_inferences_total Inferences served.\n"
            "# TYPE test_inferences_total counter\n"
            f'test_inferences_total{{model="m1"}} {OPTS.start + OPTS.rate * t:.3f}\n'
            "# HELP test_power_watts Power draw.\n"
            "# TYPE test_power_watts gauge\n"
            f'test_power_watts{{gpu="0"}} {OPTS.watts}\n'
            "# HELP test_energy_millijoules_total Energy used.\n"
            "# TYPE test_energy_millijoules_total counter\n"
            f"test_energy_millijoules_total {OPTS.watts * 1000 * t:.1f}\n"
            "# HELP test_utilization_ratio Busy share.\n"
            "# TYPE test_utilization_ratio gauge\n"
            f"test_utilization_ratio {OPTS.util}\n"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    global OPTS
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--start", type=float, default=1000.0)
    ap.add_argument("--watts", type=float, default=250.0)
    ap.add_argument("--util", type=float, default=0.9)
    servercommon.add_args(ap, max_seconds=600, watch_stdin=False)
    OPTS = ap.parse_args()
    servercommon.serve(Handler, "testexporter", OPTS)


if __name__ == "__main__":
    sys.exit(main())
