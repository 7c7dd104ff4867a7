#!/usr/bin/env python3
"""targets.py - N loopback Prometheus exporters, for bench/scrape.sh.

Listens on N ports of 127.0.0.1 (free ports the kernel picks, or a
contiguous run from --base-port) and serves on each, at /metrics, what a
small exporter built on client_golang serves: go_* and process_* metrics,
promhttp's own counters, a request-duration histogram, and the two figures
perwatt maps -- a throughput counter that grows with time
(app_inferences_total) and a power gauge (app_power_watts).  About 50
samples (110 lines with HELP and TYPE), about 5.5 KB a body.  HTTP/1.1 with keep-alive (HTTP/1.0 and
"Connection: close" are honoured); no gzip, whatever the client accepts.

    targets.py --count 1000 --ports-file ports.txt [--control-file ctl.txt]
               [--base-port P] [--max-seconds S]

The ports file gets one "127.0.0.1:PORT" a line, written (atomically) once
every port listens.  The control file gets the address of one more port,
whose /stats answers JSON: requests served (by /metrics, in all), bytes,
open and accepted connections, and this process's own CPU seconds, so a
harness can show that the target server is not the bottleneck.

It raises its soft open-files limit to the hard limit (N listeners plus a
connection per target per client need more than 1,024 fds at N = 1,000).
Exits on SIGTERM or SIGINT, or after --max-seconds; prints its totals on
standard error.  Python 3 standard library only.
"""

import argparse
import asyncio
import json
import math
import os
import random
import resource
import signal
import sys
import time

HOST = "127.0.0.1"
CTYPE = b"text/plain; version=0.0.4; charset=utf-8"
MAX_HEAD = 65536


class Stats:
    requests = 0        # /metrics answered
    other = 0           # anything else answered (404, /stats)
    bytes = 0
    conns_open = 0
    conns_total = 0


def cpu_seconds():
    t = os.times()
    return t.user + t.system


class Target:
    """One exporter: the static bulk of its body, made once, and the
    figures that move, made per request."""

    def __init__(self, idx, port, t0):
        rnd = random.Random(idx)
        self.idx = idx
        self.port = port
        self.t0 = t0
        self.rate = 50.0 + (idx % 10)             # inferences/s
        self.watts = 200.0 + 5.0 * (idx % 10)
        self.phase = rnd.uniform(0, 2 * math.pi)
        self.served = 0
        heap = rnd.randint(4, 64) << 20
        lines = [
            "# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.",
            "# TYPE go_gc_duration_seconds summary",
        ]
        for q, v in (("0", 2.1e-05), ("0.25", 3.4e-05), ("0.5", 4.8e-05), ("0.75", 7.9e-05), ("1", 0.00131)):
            lines.append('go_gc_duration_seconds{quantile="%s"} %.6g' % (q, v * rnd.uniform(0.8, 1.2)))
        gcs = rnd.randint(100, 5000)
        lines += [
            "go_gc_duration_seconds_sum %.6g" % (gcs * 5.5e-05),
            "go_gc_duration_seconds_count %d" % gcs,
            "# HELP go_goroutines Number of goroutines that currently exist.",
            "# TYPE go_goroutines gauge",
            "go_goroutines %d" % rnd.randint(8, 40),
            "# HELP go_info Information about the Go environment.",
            "# TYPE go_info gauge",
            'go_info{version="go1.19.8"} 1',
        ]
        mem = [
            ("alloc_bytes", "gauge", "Number of bytes allocated and still in use.", heap),
            ("alloc_bytes_total", "counter", "Total number of bytes allocated, even if freed.", heap * 40),
            ("frees_total", "counter", "Total number of frees.", gcs * 9100),
            ("heap_alloc_bytes", "gauge", "Number of heap bytes allocated and still in use.", heap),
            ("heap_idle_bytes", "gauge", "Number of heap bytes waiting to be used.", heap // 2),
            ("heap_inuse_bytes", "gauge", "Number of heap bytes that are in use.", heap + 4096),
            ("heap_objects", "gauge", "Number of allocated objects.", heap // 96),
            ("heap_released_bytes", "gauge", "Number of heap bytes released to OS.", heap // 4),
            ("heap_sys_bytes", "gauge", "Number of heap bytes obtained from system.", heap * 2),
            ("last_gc_time_seconds", "gauge", "Number of seconds since 1970 of last garbage collection.", t0 - 3.2),
            ("mallocs_total", "counter", "Total number of mallocs.", gcs * 9400),
            ("next_gc_bytes", "gauge", "Number of heap bytes when next garbage collection will take place.", heap * 2),
            ("stack_inuse_bytes", "gauge", "Number of bytes in use by the stack allocator.", 884736),
            ("sys_bytes", "gauge", "Number of bytes obtained from system.", heap * 3),
        ]
        for name, kind, text, v in mem:
            lines += ["# HELP go_memstats_%s %s" % (name, text),
                      "# TYPE go_memstats_%s %s" % (name, kind),
                      "go_memstats_%s %.10g" % (name, v)]
        lines += [
            "# HELP go_threads Number of OS threads created.",
            "# TYPE go_threads gauge",
            "go_threads %d" % rnd.randint(6, 14),
            "# HELP app_request_duration_seconds Time to serve one inference request.",
            "# TYPE app_request_duration_seconds histogram",
        ]
        count = rnd.randint(10000, 1000000)
        acc = 0
        for le, share in (("0.005", 0.02), ("0.01", 0.1), ("0.025", 0.35), ("0.05", 0.3),
                          ("0.1", 0.15), ("0.25", 0.06), ("0.5", 0.015), ("1", 0.005)):
            acc += int(count * share)
            lines.append('app_request_duration_seconds_bucket{model="layoutlm",le="%s"} %d' % (le, acc))
        lines += [
            'app_request_duration_seconds_bucket{model="layoutlm",le="+Inf"} %d' % count,
            'app_request_duration_seconds_sum{model="layoutlm"} %.6g' % (count * 0.041),
            'app_request_duration_seconds_count{model="layoutlm"} %d' % count,
            "# HELP process_max_fds Maximum number of open file descriptors.",
            "# TYPE process_max_fds gauge",
            "process_max_fds 1.048576e+06",
            "# HELP process_open_fds Number of open file descriptors.",
            "# TYPE process_open_fds gauge",
            "process_open_fds %d" % rnd.randint(9, 30),
            "# HELP process_resident_memory_bytes Resident memory size in bytes.",
            "# TYPE process_resident_memory_bytes gauge",
            "process_resident_memory_bytes %.10g" % (heap * 2.5),
            "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.",
            "# TYPE process_start_time_seconds gauge",
            "process_start_time_seconds %.2f" % t0,
            "# HELP process_virtual_memory_bytes Virtual memory size in bytes.",
            "# TYPE process_virtual_memory_bytes gauge",
            "process_virtual_memory_bytes %.10g" % (heap * 30),
            "# HELP process_virtual_memory_max_bytes Maximum amount of virtual memory available in bytes.",
            "# TYPE process_virtual_memory_max_bytes gauge",
            "process_virtual_memory_max_bytes 1.8446744073709552e+19",
            "# HELP promhttp_metric_handler_requests_in_flight Current number of scrapes being served.",
            "# TYPE promhttp_metric_handler_requests_in_flight gauge",
            "promhttp_metric_handler_requests_in_flight 1",
            "# HELP promhttp_metric_handler_requests_total Total number of scrapes by HTTP status code.",
            "# TYPE promhttp_metric_handler_requests_total counter",
        ]
        self.head = ("\n".join(lines) + "\n").encode()

    def body(self, now):
        """The whole exposition at time now (seconds since the epoch)."""
        up = now - self.t0
        dyn = (
            'promhttp_metric_handler_requests_total{code="200"} %d\n'
            'promhttp_metric_handler_requests_total{code="500"} 0\n'
            'promhttp_metric_handler_requests_total{code="503"} 0\n'
            "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
            "# TYPE process_cpu_seconds_total counter\n"
            "process_cpu_seconds_total %.2f\n"
            "# HELP app_inferences_total Inferences completed.\n"
            "# TYPE app_inferences_total counter\n"
            'app_inferences_total{model="layoutlm"} %.0f\n'
            "# HELP app_power_watts Power drawn by the instance, in watts.\n"
            "# TYPE app_power_watts gauge\n"
            "app_power_watts %.1f\n"
        ) % (self.served, 0.01 * up, self.rate * up,
             self.watts + 10.0 * math.sin(up / 10.0 + self.phase))
        return self.head + dyn.encode()


class Conn(asyncio.Protocol):
    """One client connection to one target (or to the control port when
    target is None)."""

    def __init__(self, target, app):
        self.target = target
        self.app = app
        self.tr = None
        self.buf = b""

    def connection_made(self, transport):
        self.tr = transport
        if self.target is not None:
            Stats.conns_open += 1
            Stats.conns_total += 1

    def connection_lost(self, exc):
        if self.target is not None:
            Stats.conns_open -= 1

    def data_received(self, data):
        buf = self.buf + data if self.buf else data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head, buf = buf[:end], buf[end + 4:]
            if not self.answer(head):
                self.tr.close()
                return
        if len(buf) > MAX_HEAD:
            self.tr.close()
            return
        self.buf = buf

    def answer(self, head):
        """Writes the response to one request; False: close afterwards."""
        line, _, rest = head.partition(b"\r\n")
        parts = line.split()
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            self.tr.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return False
        rest = rest.lower()
        keep = (b"connection: close" not in rest if parts[2] == b"HTTP/1.1"
                else b"connection: keep-alive" in rest)
        path = parts[1].split(b"?", 1)[0]
        if parts[0] not in (b"GET", b"HEAD"):
            status, ctype, body = b"405 Method Not Allowed", b"text/plain", b"GET only\n"
        elif self.target is not None and path == b"/metrics":
            self.target.served += 1
            Stats.requests += 1
            status, ctype, body = b"200 OK", CTYPE, self.target.body(time.time())
        elif self.target is None and path == b"/stats":
            Stats.other += 1
            status, ctype, body = b"200 OK", b"application/json", self.app.stats_json()
        else:
            Stats.other += 1
            status, ctype, body = b"404 Not Found", b"text/plain", b"not found\n"
        hdr = b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n" % (
            status, ctype, len(body), b"" if keep else b"Connection: close\r\n")
        out = hdr if parts[0] == b"HEAD" else hdr + body
        Stats.bytes += len(out)
        self.tr.write(out)
        return keep


class App:
    def __init__(self, args):
        self.args = args
        self.t0 = time.time()
        self.servers = []
        self.targets = []
        self.done = None

    def stats_json(self):
        return json.dumps({
            "targets": len(self.targets),
            "uptime_s": round(time.time() - self.t0, 3),
            "requests": Stats.requests,
            "other_requests": Stats.other,
            "bytes": Stats.bytes,
            "connections_open": Stats.conns_open,
            "connections_accepted": Stats.conns_total,
            "cpu_s": round(cpu_seconds(), 3),
            "body_bytes": len(self.targets[0].body(time.time())) if self.targets else 0,
        }).encode() + b"\n"

    async def listen(self, port, target):
        srv = await asyncio.get_running_loop().create_server(
            lambda: Conn(target, self), HOST, port, backlog=1024)
        self.servers.append(srv)
        return srv.sockets[0].getsockname()[1]

    async def run(self):
        loop = asyncio.get_running_loop()
        self.done = loop.create_future()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda s=sig: self.done.done() or self.done.set_result(s))
        a = self.args
        for i in range(a.count):
            t = Target(i, 0, self.t0)
            t.port = await self.listen(a.base_port + i if a.base_port else 0, t)
            self.targets.append(t)
        ctl = await self.listen(0, None)
        write_atomic(a.ports_file, "".join("%s:%d\n" % (HOST, t.port) for t in self.targets))
        if a.control_file:
            write_atomic(a.control_file, "%s:%d\n" % (HOST, ctl))
        ports = sorted(t.port for t in self.targets)
        print("targets.py: %d targets on %s, ports %d..%d (list in %s), %d-byte bodies; stats at http://%s:%d/stats"
              % (a.count, HOST, ports[0], ports[-1], a.ports_file, len(self.targets[0].body(time.time())),
                 HOST, ctl), file=sys.stderr, flush=True)
        try:
            await asyncio.wait_for(asyncio.shield(self.done), a.max_seconds)
            why = "signal %d" % self.done.result()
        except asyncio.TimeoutError:
            why = "--max-seconds"
        for s in self.servers:
            s.close()
        up = time.time() - self.t0
        cpu = cpu_seconds()
        print("targets.py: stopping (%s) after %.0f s: %d scrapes served, %.1f MB, %d connections accepted, "
              "own CPU %.2f s (%.1f%% of a core)"
              % (why, up, Stats.requests, Stats.bytes / 1e6, Stats.conns_total, cpu, 100.0 * cpu / max(up, 1e-9)),
              file=sys.stderr, flush=True)


def write_atomic(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        print("targets.py: raised the open-files soft limit from %d to %s" % (soft, hard), file=sys.stderr)
        soft = hard
    if soft != resource.RLIM_INFINITY and soft < need:
        print("targets.py: warning: %d open files allowed, %d targets may need up to %d"
              % (soft, need // 3, need), file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, required=True, help="targets (ports) to serve")
    p.add_argument("--ports-file", required=True, help='file to write "127.0.0.1:PORT" lines to')
    p.add_argument("--control-file", help="file to write the /stats address to")
    p.add_argument("--base-port", type=int, default=0,
                   help="listen on BASE..BASE+N-1 (default: free ports the kernel picks)")
    p.add_argument("--max-seconds", type=float, default=3600.0, help="exit after this long (default 3600)")
    a = p.parse_args()
    if a.count < 1:
        p.error("--count must be at least 1")
    # N listeners, and per target one connection from the client being
    # measured, plus one still closing from the one before.
    raise_nofile(3 * a.count + 64)
    try:
        asyncio.run(App(a).run())
    except OSError as e:
        print("targets.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
