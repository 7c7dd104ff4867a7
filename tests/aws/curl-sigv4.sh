#!/bin/sh
# curl-sigv4.sh PORT: libcurl's SigV4 signing, through the curl command line
# (--aws-sigv4 "aws:amz:us-east-1:monitoring" --user AKID:SECRET, the code
# path perwatt's CURLOPT_AWS_SIGV4 takes), against server.mjs, which checks
# every signature with the AWS SDK's own @smithy/signature-v4.
#
# The bodies are core/cwproto's: the golden files in tests/fixtures/cloudwatch
# (test_cwproto checks that the builders produce them byte for byte) and, when
# a C compiler and cJSON are at hand, bodies built on the spot by cwbody.c for
# data that curl itself has just put.  Checked: a long-term key, a temporary
# key with its X-Amz-Security-Token signed, and that a wrong secret, a missing
# token and a wrong credential scope are refused with the service's error
# shapes.  Prints ok/FAIL/skip lines; exits 1 when any check failed.
set -u
PORT=${1:?usage: curl-sigv4.sh PORT}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=${PERWATT_TOP:-$(cd "$HERE/../.." && pwd)}   # the source tree (run.sh may run us from a copy)
FIX=${CW_FIXTURES:-$TOP/tests/fixtures/cloudwatch}
URL="http://127.0.0.1:$PORT/"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/perwatt-curl-sigv4.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
FAILED=0

ok()   { echo "ok - curl: $1"; }
fail() { echo "FAIL - curl: $1"; FAILED=1; }

# The server's test keys, from the one place that lists them.
eval "$(cd "$HERE" && node --input-type=module -e "
import { DEFAULT_CREDENTIALS as c } from './testkeys.mjs';
console.log('LONG_ID=' + c[0].akid + ' LONG_SECRET=' + c[0].secret);
console.log('TEMP_ID=' + c[1].akid + ' TEMP_SECRET=' + c[1].secret + ' TEMP_TOKEN=' + c[1].token);
")"

# call SERVICE TARGET BODYFILE USER:SECRET [TOKEN]: POSTs the body signed by
# curl; the status in $STATUS, the answer in $TMP/out, its headers in $TMP/hdr
call() {
	svc=$1 target=$2 body=$3 user=$4 token=${5:-}
	if [ "$svc" = pricing ]; then ctype=application/x-amz-json-1.1; else ctype=application/x-amz-json-1.0; fi
	set -- -sS -o "$TMP/out" -D "$TMP/hdr" -w '%{http_code}' --max-time 20 \
		--aws-sigv4 "aws:amz:us-east-1:$svc" --user "$user" \
		-H "Content-Type: $ctype" -H "X-Amz-Target: $target"
	[ "$svc" = monitoring ] && set -- "$@" -H 'x-amzn-query-mode: true'
	[ -n "$token" ] && set -- "$@" -H "X-Amz-Security-Token: $token"
	STATUS=$(curl "$@" --data-binary "@$body" "$URL") || STATUS=000
}

# js EXPR: evaluates EXPR over the answer `r` (and the server's state `s`)
js() {
	curl -sS "http://127.0.0.1:$PORT/__perwatt/state" > "$TMP/state" 2>/dev/null
	node -e '
		const fs = require("fs");
		const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
		const s = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
		const last = s.recent[s.recent.length - 1];
		process.exit(eval(process.argv[3]) ? 0 : 1);
	' "$TMP/out" "$TMP/state" "$1" 2>/dev/null
}
qerr() { tr -d '\r' < "$TMP/hdr" | grep -i '^x-amzn-query-error:' | sed 's/^[^:]*: *//'; }

GMD=GraniteServiceVersion20100801.GetMetricData
LM=GraniteServiceVersion20100801.ListMetrics
PUT=GraniteServiceVersion20100801.PutMetricData
GP=AWSPriceListService.GetProducts

ctl() { curl -sS -o /dev/null --max-time 10 -X POST --data "$1" "http://127.0.0.1:${PORT}/__perwatt/control"; }

# ---- the golden bodies (server seeded with tests/fixtures/cloudwatch/seed.json)
# The golden window is 2026-01-01 at a 60 s period: today that is past the 15
# days CloudWatch keeps 60 s data, and it answers nothing, without an error.
call monitoring $GMD "$FIX/golden-gmd.json" "$LONG_ID:$LONG_SECRET"
if [ "$STATUS" = 200 ] && js 'Date.now() / 1000 - 1767225600 < 15 * 86400 ||
	r.MetricDataResults.every(x => x.StatusCode === "Complete" && x.Values.length === 0)'; then
	ok "golden GetMetricData body: a 60 s period far in the past answers no data, as CloudWatch does"
else
	fail "golden GetMetricData body, retention: HTTP $STATUS $(head -c 300 "$TMP/out")"
fi
# ... so the store is told it is 2026-01-01 01:01 for the golden requests
ctl '{"dataNow":1767229260}'
call monitoring $GMD "$FIX/golden-gmd.json" "$LONG_ID:$LONG_SECRET"
if [ "$STATUS" = 200 ] && js 'JSON.stringify(r.MetricDataResults.map(x => [x.Id, x.Label, x.StatusCode, x.Timestamps, x.Values])) ===
	JSON.stringify([["pwr","nvidia_smi_power_draw","Complete",[1767229140,1767225660,1767225600],[80,70.5,61]],
	                ["e1","double","Complete",[1767229140,1767225660,1767225600],[160,141,122]]])
	&& last.signedHeaders === "content-type;host;x-amz-date;x-amz-target;x-amzn-query-mode"'; then
	ok "golden GetMetricData body, long-term key: signature verified, seeded values back"
else
	fail "golden GetMetricData body, long-term key: HTTP $STATUS $(head -c 300 "$TMP/out")"
fi

call monitoring $GMD "$FIX/golden-gmd.json" "$TEMP_ID:$TEMP_SECRET" "$TEMP_TOKEN"
if [ "$STATUS" = 200 ] && K=$TEMP_ID js 'r.MetricDataResults.length === 2 &&
	last.akid === process.env.K && last.signedHeaders.split(";").includes("x-amz-security-token")'; then
	ok "temporary key: X-Amz-Security-Token signed by curl and accepted"
else
	fail "temporary key with session token: HTTP $STATUS $(head -c 300 "$TMP/out")"
fi

call monitoring $GMD "$FIX/golden-gmd.json" "$LONG_ID:${LONG_SECRET}x"
if [ "$STATUS" = 403 ] && [ "$(qerr)" = "SignatureDoesNotMatch;Sender" ] &&
	js 'r.__type === "com.amazon.coral.service#InvalidSignatureException"'; then
	ok "wrong secret refused: 403 InvalidSignatureException, x-amzn-query-error SignatureDoesNotMatch;Sender"
else
	fail "wrong secret: HTTP $STATUS, x-amzn-query-error '$(qerr)'"
fi

call monitoring $GMD "$FIX/golden-gmd.json" "$TEMP_ID:$TEMP_SECRET"
if [ "$STATUS" = 403 ] && [ "$(qerr)" = "InvalidClientTokenId;Sender" ] &&
	js 'r.__type === "com.amazon.coral.service#UnrecognizedClientException"'; then
	ok "temporary key without its token refused: 403 UnrecognizedClientException"
else
	fail "temporary key without token: HTTP $STATUS, x-amzn-query-error '$(qerr)'"
fi

call monitoring $GMD "$FIX/golden-gmd.json" "AKIDUNKNOWN00000000:$LONG_SECRET"
if [ "$STATUS" = 403 ] && [ "$(qerr)" = "InvalidClientTokenId;Sender" ]; then
	ok "unknown key id refused: 403 InvalidClientTokenId"
else
	fail "unknown key id: HTTP $STATUS"
fi

call monitoring $LM "$FIX/golden-lm.json" "$LONG_ID:$LONG_SECRET"
if [ "$STATUS" = 200 ] && js 'r.Metrics.length === 2 && r.Metrics.every(m => m.Namespace === "AWS/EC2" && m.MetricName === "CPUUtilization")'; then
	ok "golden ListMetrics body (RecentlyActive PT3H, dimension filter without value)"
else
	fail "golden ListMetrics body: HTTP $STATUS $(head -c 300 "$TMP/out")"
fi

call pricing $GP "$FIX/golden-getproducts.json" "$TEMP_ID:$TEMP_SECRET" "$TEMP_TOKEN"
if [ "$STATUS" = 200 ] && js 'r.PriceList.length === 1 && (() => { const d = JSON.parse(r.PriceList[0]);
	const t = Object.values(d.terms.OnDemand)[0]; const p = Object.values(t.priceDimensions)[0];
	return p.unit === "Hrs" && +p.pricePerUnit.USD === 0.7582; })()'; then
	ok "golden GetProducts body, service pricing (JSON 1.1): inf2.xlarge at USD 0.7582/h"
else
	fail "golden GetProducts body: HTTP $STATUS $(head -c 300 "$TMP/out")"
fi

ctl '{"dataNow":null}'

# a Price List body signed for CloudWatch's scope is refused
STATUS=$(curl -sS -o "$TMP/out" -w '%{http_code}' --max-time 20 --aws-sigv4 "aws:amz:us-east-1:monitoring" \
	--user "$LONG_ID:$LONG_SECRET" -H "Content-Type: application/x-amz-json-1.1" -H "X-Amz-Target: $GP" \
	--data-binary "@$FIX/golden-getproducts.json" "$URL") || STATUS=000
if [ "$STATUS" = 403 ] && js 'r.message.includes("correct service")'; then
	ok "credential scope checked: a pricing call signed for monitoring is refused"
else
	fail "wrong credential scope: HTTP $STATUS"
fi

# ---- bodies built now by cwproto, for data curl puts now
CC=${CC:-cc}
if command -v "$CC" >/dev/null 2>&1 && : > "$TMP/config.h" &&
	$CC -std=c11 -D_GNU_SOURCE -I"$TMP" -I"$TOP" "$HERE/cwbody.c" "$TOP/core/cwproto.c" "$TOP/core/format.c" \
		$(pkg-config --cflags --libs libcjson 2>/dev/null || echo -lcjson) -lm -o "$TMP/cwbody" 2>"$TMP/cc.log"; then
	now=$(date +%s)
	t0=$(( now / 60 * 60 - 300 ))
	cat > "$TMP/put.json" <<EOF
{"Namespace":"Perwatt/CurlTest","MetricData":[
 {"MetricName":"Inferences","Dimensions":[{"Name":"InstanceId","Value":"i-0abc"}],"Timestamp":$t0,"Value":600,"Unit":"Count"},
 {"MetricName":"Inferences","Dimensions":[{"Name":"InstanceId","Value":"i-0abc"}],"Timestamp":$((t0 + 30)),"Value":1200,"Unit":"Count"},
 {"MetricName":"Inferences","Dimensions":[{"Name":"InstanceId","Value":"i-0abc"}],"Timestamp":$((t0 + 60)),"Value":3000,"Unit":"Count"}]}
EOF
	call monitoring $PUT "$TMP/put.json" "$TEMP_ID:$TEMP_SECRET" "$TEMP_TOKEN"
	[ "$STATUS" = 200 ] || fail "PutMetricData: HTTP $STATUS $(head -c 300 "$TMP/out")"
	"$TMP/cwbody" gmd "$t0" "$((t0 + 300))" Perwatt/CurlTest Inferences InstanceId=i-0abc Sum 60 > "$TMP/gmd.json"
	call monitoring $GMD "$TMP/gmd.json" "$TEMP_ID:$TEMP_SECRET" "$TEMP_TOKEN"
	if [ "$STATUS" = 200 ] && T0=$t0 js 'const [m, rate] = r.MetricDataResults;
		m.Id === "qInferences_0" && JSON.stringify(m.Timestamps) === JSON.stringify([+process.env.T0, +process.env.T0 + 60]) &&
		JSON.stringify(m.Values) === "[1800,3000]" && JSON.stringify(rate.Values) === "[30,50]"'; then
		ok "cw_gmd_build body for data put by curl: Sum and Sum / period read back"
	else
		fail "cw_gmd_build body: HTTP $STATUS $(head -c 300 "$TMP/out")"
	fi
	"$TMP/cwbody" lm Perwatt/CurlTest > "$TMP/lm.json"
	call monitoring $LM "$TMP/lm.json" "$LONG_ID:$LONG_SECRET"
	if [ "$STATUS" = 200 ] && js 'r.Metrics.length === 1 && r.Metrics[0].Dimensions[0].Value === "i-0abc"'; then
		ok "cw_lm_build body: the metric curl put is listed"
	else
		fail "cw_lm_build body: HTTP $STATUS $(head -c 300 "$TMP/out")"
	fi
	"$TMP/cwbody" price g5.xlarge us-east-1 > "$TMP/price.json"
	call pricing $GP "$TMP/price.json" "$LONG_ID:$LONG_SECRET"
	if [ "$STATUS" = 200 ] && js 'r.PriceList.length === 1 && r.PriceList[0].includes("\"USD\":\"1.0060000000\"")'; then
		ok "cw_products_build body: g5.xlarge at USD 1.006/h"
	else
		fail "cw_products_build body: HTTP $STATUS $(head -c 300 "$TMP/out")"
	fi
else
	echo "skip - curl: no C compiler or cJSON to build cwbody.c ($(head -c 200 "$TMP/cc.log" 2>/dev/null))"
fi

exit $FAILED
