#!/bin/sh
# tests/aws/run.sh: the CloudWatch / Price List protocol checked against a
# loopback server that verifies SigV4 with the AWS SDK's own signer:
#   1. sdk-roundtrip.mjs - the official AWS SDK for JavaScript talks to
#      server.mjs: the server speaks the real protocol;
#   2. curl-sigv4.sh - curl's --aws-sigv4 (libcurl 7.88, as perwatt signs)
#      sends core/cwproto's bodies: they pass the SDK's verifier;
#   3. update-prices.sh - perwatt --update-prices end to end (skipped when
#      there is no perwatt binary);
#   4. perwatt-cloudwatch.sh - perwatt's CloudWatch fleets end to end: the
#      figures, the cost of watching, wrong secret and region, session
#      tokens, paging, throttling, IMDSv2 credentials and their refresh, the
#      screen in tmux.
# Installs the pinned node modules (npm ci, from package-lock.json) when they
# are missing, into this folder or, when it is read-only (make distcheck),
# into a copy.  Prints ok/FAIL lines; exits 0 when all passed, 1 when any
# failed, 77 (skipped) without node >= 20, npm or curl, or when npm ci cannot
# reach the registry.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
FIX=$TOP/tests/fixtures/cloudwatch

for tool in node npm curl; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed"
		exit 77
	fi
done
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
	echo "SKIP: node $(node -v) is too old (the AWS SDK needs 20 or later)"
	exit 77
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/perwatt-aws.XXXXXX") || exit 1
SERVER_PID=
cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Whether node_modules holds exactly the versions package.json pins.
modules_ok() {
	(cd "$1" && node -e '
		const fs = require("fs"), pin = require("./package.json").dependencies;
		for (const [name, version] of Object.entries(pin)) {
			const f = "node_modules/" + name + "/package.json";
			if (!fs.existsSync(f) || JSON.parse(fs.readFileSync(f, "utf8")).version !== version) process.exit(1);
		}' 2>/dev/null)
}

WORK=$HERE
if ! modules_ok "$WORK"; then
	if [ ! -w "$HERE" ]; then
		WORK=$TMP/aws
		mkdir -p "$WORK"
		cp "$HERE"/*.mjs "$HERE"/*.sh "$HERE"/*.c "$HERE"/package.json "$HERE"/package-lock.json "$WORK"/
	fi
	echo "# npm ci in $WORK"
	if ! (cd "$WORK" && npm ci --no-audit --no-fund --loglevel=error) >"$TMP/npm.log" 2>&1; then
		sed 's/^/# /' "$TMP/npm.log" | tail -n 20
		echo "SKIP: npm ci failed (no registry?)"
		exit 77
	fi
fi

# start the server, seeded for the golden bodies; it prints its port
node "$WORK/server.mjs" --max-seconds 300 --ignore-stdin --fixtures "$FIX" --seed "$FIX/seed.json" \
	>"$TMP/port" 2>"$TMP/server.log" &
SERVER_PID=$!
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
PORT=$(head -n 1 "$TMP/port")
case $PORT in
''|*[!0-9]*)
	echo "FAIL - the test server did not start"
	sed 's/^/# /' "$TMP/server.log"
	exit 1
	;;
esac
echo "# server.mjs on 127.0.0.1:$PORT"

if command -v timeout >/dev/null 2>&1; then T="timeout 180"; else T=; fi
status=0
# NODE_NO_WARNINGS: the SDK warns about its future node requirement
NODE_NO_WARNINGS=1 $T node "$WORK/sdk-roundtrip.mjs" "$PORT" || status=1
PERWATT_TOP=$TOP CW_FIXTURES=$FIX $T sh "$WORK/curl-sigv4.sh" "$PORT" || status=1
# perwatt --update-prices itself: $PERWATT from make check, else PERWATT_BIN,
# else the in-tree build
PERWATT_TOP=$TOP $T sh "$WORK/update-prices.sh" "$PORT" || status=1
# perwatt's CloudWatch source against servers of its own (seeded, throttling...)
TOP_SRCDIR=$TOP timeout 300 sh "$WORK/perwatt-cloudwatch.sh" "$WORK" || status=1

if [ -s "$TMP/server.log" ]; then
	sed 's/^/# server: /' "$TMP/server.log"
fi
if [ $status = 0 ]; then echo "ok - tests/aws: all checks passed"; else echo "FAIL - tests/aws"; fi
exit $status
