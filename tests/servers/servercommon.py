"""servercommon.py - what perwatt's test servers share: the arguments, the
server and its lifetime.

A test server binds 127.0.0.1 only, prints the port it listens on (one line)
on stdout, then serves until SIGTERM (or SIGINT), until --max-seconds have
passed, or, when it watches its stdin, until that closes: the test that
started it ended or died, so no server outlives its test however that ends.

    ap = argparse.ArgumentParser()
    servercommon.add_args(ap, max_seconds=600, watch_stdin=False)
    opts = ap.parse_args()
    servercommon.serve(Handler, "name", opts)

Python 3 standard library only.  The servers import it as a sibling module
(python3 puts the script's folder first on sys.path).
"""
import os
import signal
import sys
import threading
import time
from http.server import ThreadingHTTPServer


def add_args(ap, max_seconds, watch_stdin):
    """Adds --port, --max-seconds (default `max_seconds`) and the stdin
    switch: --watch-stdin where watching is off by default, --ignore-stdin
    where it is on; either way the answer is in opts.watch_stdin."""
    ap.add_argument("--port", type=int, default=0, help="port (0: any free one)")
    ap.add_argument("--max-seconds", type=float, default=max_seconds, help="exit after this long")
    if watch_stdin:
        ap.add_argument("--ignore-stdin", dest="watch_stdin", action="store_false",
                        help="do not exit when stdin closes (for running it by hand)")
    else:
        ap.add_argument("--watch-stdin", action="store_true", help="exit when stdin closes")


class Server(ThreadingHTTPServer):
    """A threading HTTP server on 127.0.0.1.  Clients that hang up mid-answer
    are part of the tests: their tracebacks show only with show_errors."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, handler, queue=5, show_errors=True):
        self.request_queue_size = queue     # listen()'s backlog, used by __init__
        self.show_errors = show_errors
        super().__init__(("127.0.0.1", port), handler)

    def handle_error(self, request, client_address):
        if self.show_errors:
            super().handle_error(request, client_address)


def serve(handler, name, opts, queue=5, show_errors=True):
    """Serves `handler` on opts.port, prints the port, and serves until the
    server's time is up (see above); never returns.  `name` starts the line
    that says so when --max-seconds ends it."""
    def bye(*_):
        os._exit(0)

    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGINT, bye)

    srv = Server(opts.port, handler, queue, show_errors)

    def lifetime():
        time.sleep(opts.max_seconds)
        sys.stderr.write(f"{name}: --max-seconds reached, exiting\n")
        sys.stderr.flush()
        os._exit(0)

    threading.Thread(target=lifetime, daemon=True).start()
    if opts.watch_stdin:
        def watch():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except OSError:
                pass
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()

    print(srv.server_address[1], flush=True)
    srv.serve_forever(poll_interval=0.2)
