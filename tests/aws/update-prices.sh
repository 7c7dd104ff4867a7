#!/bin/sh
# update-prices.sh PORT: `perwatt --update-prices` end to end against
# server.mjs (run by run.sh; it checks every SigV4 signature with the AWS
# SDK's own signer and serves GetProducts from tests/fixtures/cloudwatch):
# the prices of the fleets' instance types are fetched, printed beside the
# shipped table's and cached in $HOME/.cache/perwatt/prices.csv; --once then
# reports them as "AWS Price List DATE REGION"; NextToken pages are
# followed, a throttled request is retried, a wrong secret fails clearly
# without printing a secret, a malformed cache is ignored with a warning.
#
# The binary: $PERWATT (make check sets it), else $PERWATT_BIN, else
# perwatt at the top of the source tree (an in-tree build).  Prints
# ok/FAIL/skip lines; exits 1 when any check failed.
set -u
PORT=${1:?usage: update-prices.sh PORT}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=${PERWATT_TOP:-$(cd "$HERE/../.." && pwd)}
BIN=${PERWATT:-${PERWATT_BIN:-$TOP/perwatt}}
URL="http://127.0.0.1:$PORT"
FAILED=0

ok()   { echo "ok - update-prices: $1"; }
fail() { echo "FAIL - update-prices: $1"; FAILED=1; }

if [ ! -x "$BIN" ]; then
	echo "skip - update-prices: no perwatt binary at $BIN (build it, or set PERWATT_BIN)"
	exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/perwatt-update-prices.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

# The server's test keys, from the one place that lists them.
eval "$(cd "$HERE" && node --input-type=module -e "
import { DEFAULT_CREDENTIALS as c } from './testkeys.mjs';
console.log('LONG_ID=' + c[0].akid + ' LONG_SECRET=' + c[0].secret);
console.log('TEMP_ID=' + c[1].akid + ' TEMP_SECRET=' + c[1].secret + ' TEMP_TOKEN=' + c[1].token);
")"
WRONG_SECRET='wrongWRONGwrongWRONGwrongWRONGwrong12345'

# homes: good keys (and a profile with a session token), a wrong secret, none
mkdir -p "$TMP/home/.aws" "$TMP/bad/.aws" "$TMP/none"
cat >"$TMP/home/.aws/credentials" <<EOF
[default]
aws_access_key_id = $LONG_ID
aws_secret_access_key = $LONG_SECRET

[temp]
aws_access_key_id = $TEMP_ID
aws_secret_access_key = $TEMP_SECRET
aws_session_token = $TEMP_TOKEN
EOF
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$LONG_ID" "$WRONG_SECRET" \
	>"$TMP/bad/.aws/credentials"
CACHE=$TMP/home/.cache/perwatt/prices.csv

if command -v timeout >/dev/null 2>&1; then T="timeout 90"; else T=; fi
# pw HOME ARGS...: perwatt with only the AWS settings of the test; output
# in $TMP/out and $TMP/err, exit status in $RC
pw() {
	h=$1
	shift
	(
		for v in $(env | sed -n 's/^\(AWS_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
		unset XDG_CACHE_HOME XDG_CONFIG_HOME
		HOME=$h AWS_ENDPOINT_URL_PRICING=$URL AWS_EC2_METADATA_DISABLED=true exec $T "$BIN" "$@"
	) >"$TMP/out" 2>"$TMP/err"
	RC=$?
}
ctl() { curl -sS -o /dev/null --max-time 10 -X POST --data "$1" "$URL/__perwatt/control"; }
# state EXPR: EXPR over the server's state `s` (last: its latest request)
state() {
	curl -sS --max-time 10 "$URL/__perwatt/state" >"$TMP/state" 2>/dev/null
	node -e '
		const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		const last = s.recent[s.recent.length - 1];
		process.exit(eval(process.argv[2]) ? 0 : 1);
	' "$TMP/state" "$1" 2>/dev/null
}
# json EXPR: EXPR over the report in $TMP/out (`r`, `fleet(name)`)
json() {
	node -e '
		const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		const fleet = (n) => r.fleets.find(f => f.name === n);
		process.exit(eval(process.argv[2]) ? 0 : 1);
	' "$TMP/out" "$1" 2>/dev/null
}
show() { printf '%s' "$(head -c 600 "$TMP/out") / $(head -c 600 "$TMP/err")" | tr '\n' '|'; }

INF="inf=neuron:http://127.0.0.1:9/metrics;type=inf2.xlarge"
GPU="gpu=dcgm:http://127.0.0.1:9/metrics;type=g5.xlarge"
DAY='20[0-9][0-9]-[01][0-9]-[0-3][0-9]'

# ---- the fleets' prices, fetched, printed, cached
ctl '{"reset":true}'
pw "$TMP/home" --update-prices --fleet "$INF" --fleet "$GPU"
if [ $RC = 0 ] &&
	grep -qx 'inf2.xlarge  us-east-1  USD 0.7582/h  (shipped table: USD 0.7582/h)' "$TMP/out" &&
	grep -qx 'g5.xlarge    us-east-1  USD 1.006/h   (shipped table: USD 1.006/h)' "$TMP/out" &&
	grep -qx "cached 2 prices in $CACHE" "$TMP/out"; then
	ok "two fleets' types priced beside the shipped table, exit 0"
else
	fail "two fleets' types: exit $RC: $(show)"
fi
if [ -f "$CACHE" ] &&
	grep -q "^inf2.xlarge,us-east-1,0.7582,aws-price-list,$DAY\$" "$CACHE" &&
	grep -q "^g5.xlarge,us-east-1,1.006,aws-price-list,$DAY\$" "$CACHE" &&
	grep -q '^instance_type,region,usd_per_hour,source,date$' "$CACHE" &&
	grep -q "^# fetched ${DAY}T[0-9:]*Z from $URL/\$" "$CACHE"; then
	ok "the cache holds both rows with their date, and when and where they came from"
else
	fail "cache content: $(cat "$CACHE" 2>/dev/null | tr '\n' '|')"
fi
case $(ls -l "$CACHE" 2>/dev/null) in
-rw-r--r--*) ok "the cache file is mode 0644" ;;
*) fail "cache mode: $(ls -l "$CACHE" 2>&1)" ;;
esac
if [ "$(ls -A "$(dirname "$CACHE")")" = prices.csv ]; then
	ok "no temporary file is left beside the cache"
else
	fail "the cache directory holds: $(ls -A "$(dirname "$CACHE")" | tr '\n' ' ')"
fi
if state 's.recent.slice(-2).filter(x => x.target === "AWSPriceListService.GetProducts" && x.status === 200 &&
		x.signedHeaders === "content-type;host;x-amz-date;x-amz-target").length === 2'; then
	ok "two GetProducts requests, signed (content-type, host, x-amz-date, x-amz-target), both accepted"
else
	fail "server state: $(head -c 600 "$TMP/state")"
fi

# ---- the dashboard's report says where each price comes from
pw "$TMP/home" --once --format json --duration 1 --fleet "$INF" --fleet "$GPU;usd_per_hour=2"
if json 'fleet("inf").price_source === "AWS Price List " + new Date().toISOString().slice(0, 10) + " us-east-1" &&
		fleet("inf").price_provenance === "estimated" && fleet("gpu").price_source === "config"' ||
	json '/^AWS Price List \d{4}-\d\d-\d\d us-east-1$/.test(fleet("inf").price_source) &&
		fleet("gpu").price_source === "config"'; then
	ok "--once reports the cached price as 'AWS Price List DATE us-east-1', a fleet's own as 'config'"
else
	fail "--once price_source: exit $RC: $(show)"
fi
pw "$TMP/home" --once --format text --duration 1 --fleet "$INF"
if grep -q '^  price         \$0\.758/h per instance (AWS Price List .* us-east-1)$' "$TMP/out"; then
	ok "the text report names the price's source"
else
	fail "text report: $(show)"
fi

# ---- NextToken: one product a page, the price only on the second; other rows kept
ctl '{"reset":true,"productsPageSize":1}'
BEFORE=$(curl -sS --max-time 10 "$URL/__perwatt/state" | node -e 'let t = ""; process.stdin.on("data", d => t += d);
	process.stdin.on("end", () => console.log(JSON.parse(t).counters.requests))')
pw "$TMP/home" --update-prices --region us-west-2 --fleet "$INF"
if [ $RC = 0 ] && grep -qx 'inf2.xlarge  us-west-2  USD 0.99/h  (shipped table: none)' "$TMP/out" &&
	state 's.counters.requests === '"$BEFORE"' + 2 && s.recent.slice(-2).every(x => x.status === 200)'; then
	ok "two pages followed (NextToken), the capacity-block product left out"
else
	fail "paging: exit $RC: $(show); $(head -c 400 "$TMP/state")"
fi
if grep -q "^inf2.xlarge,us-west-2,0.99,aws-price-list,$DAY\$" "$CACHE" &&
	grep -q '^inf2.xlarge,us-east-1,0.7582,' "$CACHE" && grep -q '^g5.xlarge,us-east-1,1.006,' "$CACHE"; then
	ok "merged into the cache: the other region's and type's rows kept"
else
	fail "merge: $(cat "$CACHE" | tr '\n' '|')"
fi

# ---- throttled once: retried after a backoff
ctl '{"reset":true,"throttle":1}'
pw "$TMP/home" --update-prices --fleet "$GPU"
if [ $RC = 0 ] && grep -q '^g5.xlarge  us-east-1  USD 1.006/h' "$TMP/out" &&
	state 's.recent.slice(-2).map(x => x.status + " " + (x.code || "")).join(",") === "400 Throttling,200 "'; then
	ok "a throttled request is retried"
else
	fail "throttling: exit $RC: $(show)"
fi

# ---- an answer cut short, then garbage: both retried
ctl '{"reset":true,"malformed":{"mode":"cut","count":1}}'
pw "$TMP/home" --update-prices --fleet "$GPU"
cut_rc=$RC
ctl '{"reset":true,"malformed":{"mode":"garbage","count":1}}'
pw "$TMP/home" --update-prices --fleet "$GPU"
if [ $cut_rc = 0 ] && [ $RC = 0 ] && grep -q '^g5.xlarge  us-east-1  USD 1.006/h' "$TMP/out"; then
	ok "a cut answer and a garbled one are retried"
else
	fail "malformed answers: exit $cut_rc, $RC: $(show)"
fi

# ---- a profile with a session token (--profile), signed X-Amz-Security-Token
ctl '{"reset":true}'
pw "$TMP/home" --update-prices --profile temp --fleet "$GPU"
if [ $RC = 0 ] && state 'last.status === 200 && last.akid === "'"$TEMP_ID"'" && /x-amz-security-token/.test(last.signedHeaders)'; then
	ok "--profile with a session token"
else
	fail "--profile temp: exit $RC: $(show)"
fi

# ---- a wrong secret: a clear error, exit 1, no secret anywhere, no cache
pw "$TMP/bad" --update-prices --fleet "$INF"
if [ $RC = 1 ] && grep -q '^inf2.xlarge  us-east-1  error: request signature rejected' "$TMP/out" &&
	grep -q 'check the secret access key' "$TMP/out" && [ ! -e "$TMP/bad/.cache" ]; then
	ok "a wrong secret: 'request signature rejected', exit 1, nothing cached"
else
	fail "wrong secret: exit $RC: $(show)"
fi
if grep -qF -e "$WRONG_SECRET" -e "$LONG_SECRET" "$TMP/out" "$TMP/err"; then
	fail "a secret was printed"
else
	ok "no secret in the output"
fi

# ---- no credentials at all: a configuration error
pw "$TMP/none" --update-prices --fleet "$INF"
if [ $RC = 2 ] && grep -q '^perwatt: AWS credentials: ' "$TMP/err"; then
	ok "no credentials: exit 2 with one line saying so"
else
	fail "no credentials: exit $RC: $(show)"
fi

# ---- no fleets: the demo scenarios' types (not in the test catalogue)
pw "$TMP/home" --update-prices --demo inference
if [ $RC = 1 ] && grep -q 'demo scenario' "$TMP/err" &&
	grep -q '^inf1.2xlarge  *us-east-1  not found' "$TMP/out" && grep -q '^g4dn.2xlarge ' "$TMP/out"; then
	ok "without fleets: the demo scenario's types, 'not found' for those the Price List lacks, exit 1"
else
	fail "demo types: exit $RC: $(show)"
fi

# ---- a malformed cache: one warning naming the file and line, then ignored
printf 'instance_type,region,usd_per_hour,source,date\ninf2.xlarge,us-east-1,cheap,x,2026-01-01\n' >"$CACHE"
pw "$TMP/home" --once --format json --duration 1 --fleet "$INF"
if [ "$(grep -c 'price cache' "$TMP/err")" = 1 ] && grep -q "$CACHE:2: usd_per_hour" "$TMP/err" &&
	json 'fleet("inf").price_source === "table price-list-2026-09 us-east-1"'; then
	ok "a malformed cache: one warning with its file and line, the shipped table used"
else
	fail "malformed cache: exit $RC: $(show)"
fi

exit $FAILED
