#!/usr/bin/env python3
"""imds.py - a fake EC2 instance metadata service (IMDS) and ECS/EKS container
credentials endpoint for perwatt's AWS credential tests.

Binds 127.0.0.1 only.  Prints the port it listens on (one line) on stdout,
then serves until its stdin closes (the test that started it ended or died;
--ignore-stdin turns that off), until --max-seconds have passed (default
120), or until SIGTERM (servercommon.py).  Python 3 standard library only.

IMDS, as EC2 answers (EC2 User Guide, "Use the Instance Metadata Service"):

  PUT /latest/api/token        needs X-aws-ec2-metadata-token-ttl-seconds
                               (1..21600, else 400); answers a session token
  GET /latest/meta-data/...    needs X-aws-ec2-metadata-token with a token it
                               issued (401 otherwise, as with HttpTokens=required)
      iam/security-credentials/         the role name
      iam/security-credentials/ROLE     {Code, LastUpdated, Type, AccessKeyId,
                                         SecretAccessKey, Token, Expiration}:
                                         new keys at every fetch
      placement/region, instance-type, instance-id

Container credentials: GET /container/ANYTHING answers {AccessKeyId,
SecretAccessKey, Token, Expiration, AccountId}; with --container-token T the
Authorization header must be exactly T (401 otherwise).

Behaviour is chosen per request by an optional path prefix /m/MODES/ (so one
server serves every test: point AWS_EC2_METADATA_SERVICE_ENDPOINT at
http://127.0.0.1:PORT/m/v1,expire=4), or for requests without it by --mode.
MODES is a comma-separated list of:

  v1            PUT answers 403; GETs need no token (IMDSv1 only)
  put400        PUT answers 400
  puthang       PUT never answers; GETs need no token (a hop limit of 1)
  hang          nothing answers (the connection is held until exit)
  badjson       the credentials are not JSON
  nosecret      the credentials lack SecretAccessKey
  norole        no IAM role: 404 for the role list
  noregion      404 for placement/region
  expire=S      credentials expire S seconds after they are issued
                (default 21600); container ones too
  fail_after=N  credentials answer 500 after N successful fetches
  type=T        instance-type answers T (default inf2.xlarge)

Every prefix (and the bare paths) keeps its own counters, shown as JSON by
GET [/m/MODES]/_stats: puts, put_ttl (the last TTL header), gets_with_token,
gets_without_token, creds (credentials fetched), container,
container_auth_bad.  Secrets it hands out contain S3KR1T (secret keys) or
T0K3N (session and IMDS tokens), so that tests can look for leaks.
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

import servercommon

STOP = threading.Event()
LOCK = threading.Lock()
OPTS = None
STATE = {}          # prefix -> counters and issued tokens
ROLE = "perwatt-test-role"


def state(prefix):
    with LOCK:
        st = STATE.get(prefix)
        if st is None:
            st = STATE[prefix] = {
                "puts": 0, "put_ttl": None, "gets_with_token": 0, "gets_without_token": 0,
                "creds": 0, "container": 0, "container_auth_bad": 0, "tokens": set(),
            }
        return st


def parse_modes(text):
    modes = {}
    for item in filter(None, (text or "").split(",")):
        k, _, v = item.partition("=")
        modes[k] = v if v else True
    return modes


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EC2ws"

    def log_message(self, fmt, *args):
        if OPTS.verbose:
            sys.stderr.write("imds: " + (fmt % args) + "\n")

    def send(self, status, body, ctype="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self):
        """(prefix, modes, path) for this request."""
        path = self.path.split("?", 1)[0]
        if path.startswith("/m/"):
            rest = path[3:]
            modes_text, _, tail = rest.partition("/")
            return "/m/" + modes_text, parse_modes(modes_text), "/" + tail
        return "", parse_modes(OPTS.mode), path

    def hang(self):
        STOP.wait(OPTS.max_seconds)
        self.close_connection = True

    def do_PUT(self):
        prefix, modes, path = self.route()
        st = state(prefix)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if modes.get("hang") or modes.get("puthang"):
            return self.hang()
        if path != "/latest/api/token":
            return self.send(404, "Not Found")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        with LOCK:
            st["puts"] += 1
            st["put_ttl"] = ttl
        if modes.get("v1"):
            return self.send(403, "Forbidden")
        if modes.get("put400"):
            return self.send(400, "Bad Request")
        try:
            ttl_n = int(ttl)
        except (TypeError, ValueError):
            return self.send(400, "Missing or invalid TTL header")
        if not 1 <= ttl_n <= 21600:
            return self.send(400, "Invalid TTL")
        with LOCK:
            token = "AQAEAIMDST0K3N-%d-%s==" % (st["puts"], os.urandom(6).hex())
            st["tokens"].add(token)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("X-aws-ec2-metadata-token-ttl-seconds", str(ttl_n))
        self.send_header("Content-Length", str(len(token)))
        self.end_headers()
        self.wfile.write(token.encode())

    def do_GET(self):
        prefix, modes, path = self.route()
        st = state(prefix)
        if path == "/_stats":
            with LOCK:
                out = {k: v for k, v in st.items() if k != "tokens"}
            return self.send(200, json.dumps(out), "application/json")
        if modes.get("hang"):
            return self.hang()
        if path.startswith("/container/"):
            return self.container(st, modes)
        token = self.headers.get("X-aws-ec2-metadata-token")
        with LOCK:
            st["gets_with_token" if token else "gets_without_token"] += 1
            known = token in st["tokens"]
        need_token = not (modes.get("v1") or modes.get("puthang"))
        if (need_token or token) and not known:
            return self.send(401, "Unauthorized")
        md = "/latest/meta-data/"
        if path == md + "iam/security-credentials/":
            if modes.get("norole"):
                return self.send(404, "Not Found")
            return self.send(200, ROLE)
        if path == md + "iam/security-credentials/" + ROLE:
            if modes.get("norole"):
                return self.send(404, "Not Found")
            return self.creds(st, modes)
        if path == md + "placement/region":
            if modes.get("noregion"):
                return self.send(404, "Not Found")
            return self.send(200, "eu-west-3")
        if path == md + "instance-type":
            return self.send(200, modes.get("type") or "inf2.xlarge")
        if path == md + "instance-id":
            return self.send(200, "i-0123456789abcdef0")
        return self.send(404, "Not Found")

    def keys(self, st, kind, n, modes):
        expire = float(modes.get("expire") or 21600)
        return {
            "AccessKeyId": "ASIA%sTEST%04d" % (kind, n),
            "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/S3KR1T%s%04d" % (kind, n),
            "Token": "IQoJb3JpZ2luX2VjT0K3N%s%04d" % (kind, n) + "A" * 600,
            "Expiration": rfc3339(time.time() + expire),
        }

    def creds(self, st, modes):
        fail_after = modes.get("fail_after")
        with LOCK:
            failing = fail_after is not None and st["creds"] >= int(fail_after)
            if not failing:
                st["creds"] += 1
            n = st["creds"]
        if failing:
            return self.send(500, "Internal Server Error")
        if modes.get("badjson"):
            return self.send(200, '{"Code": "Success", "AccessKeyId": "ASIABAD", ')
        doc = {"Code": "Success", "LastUpdated": rfc3339(time.time()), "Type": "AWS-HMAC"}
        doc.update(self.keys(st, "IMDS", n, modes))
        if modes.get("nosecret"):
            del doc["SecretAccessKey"]
        self.send(200, json.dumps(doc, indent=2))

    def container(self, st, modes):
        auth = self.headers.get("Authorization")
        if OPTS.container_token is not None and auth != OPTS.container_token:
            with LOCK:
                st["container_auth_bad"] += 1
            return self.send(401, json.dumps({"code": "AccessDenied",
                                              "message": "bad Authorization header"}),
                             "application/json")
        fail_after = modes.get("fail_after")
        with LOCK:
            failing = fail_after is not None and st["container"] >= int(fail_after)
            if not failing:
                st["container"] += 1
            n = st["container"]
        if failing:
            return self.send(500, "Internal Server Error")
        if modes.get("badjson"):
            return self.send(200, "<html>not json</html>", "text/html")
        doc = self.keys(st, "CONT", n, modes)
        doc["AccountId"] = "123456789012"
        self.send(200, json.dumps(doc), "application/json")


def main():
    global OPTS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    servercommon.add_args(ap, max_seconds=120, watch_stdin=True)
    ap.add_argument("--mode", default="", help="modes for paths without a /m/MODES/ prefix")
    ap.add_argument("--container-token", help="the Authorization value the container endpoint wants")
    ap.add_argument("--verbose", action="store_true", help="log requests on stderr")
    OPTS = ap.parse_args()
    # clients that time out on "hang" are part of the tests: no tracebacks
    servercommon.serve(Handler, "imds", OPTS, queue=32, show_errors=OPTS.verbose)


if __name__ == "__main__":
    main()
