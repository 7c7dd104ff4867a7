#!/bin/sh
# tests/aws/perwatt-cloudwatch.sh: perwatt's CloudWatch source against the
# loopback server (server.mjs, which checks every signature with the AWS
# SDK's own signer), as a user on AWS would run it: a profile in
# ~/.aws/credentials, a config naming CloudWatch metrics, the endpoint moved
# with AWS_ENDPOINT_URL_CLOUDWATCH.  The server is seeded with the last 20
# minutes of three fleets, in the shapes AWS publishes them:
#   gpu   g5.xlarge, 2 instances x 2 GPUs: CWAgent nvidia_smi_power_draw and
#         nvidia_smi_utilization_gpu with InstanceId, InstanceType, index,
#         name and host (the agent's append_dimensions), plus the app's
#         Perwatt/App Inferences (Sum per minute)
#   inf2  inf2.xlarge, 1 instance: what neuron-monitor-cloudwatch.py
#         publishes in namespace neuron_mon, plus Inferences
#   arm   c7g.xlarge, 1 instance: AWS/EC2 CPUUtilization (InstanceId only,
#         as EC2 publishes it), plus Inferences
# Then: the figures match, the health line carries the cost of watching,
# a wrong secret, a wrong region, session tokens, paging, throttling,
# IMDSv2 instance-role credentials and their refresh, and the dashboard in a
# real terminal.
#
#   sh perwatt-cloudwatch.sh NODE_WORK_DIR
# with PERWATT (the binary) and TOP_SRCDIR in the environment.  Prints
# ok/FAIL lines; exits 0 when all passed, 1 otherwise.
set -u
WORK=$1
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=${TOP_SRCDIR:-$(cd "$HERE/../.." && pwd)}
PERWATT=${PERWATT:-$TOP/perwatt}
if [ ! -x "$PERWATT" ]; then
	echo "ok - cloudwatch: # SKIP no perwatt binary at $PERWATT"
	exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/perwatt-cw.XXXXXX") || exit 1
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	tmux -L "perwatt-cw-$$" kill-server 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap "for p in \$PIDS; do kill \$p; done" EXIT
trap 'exit 1' INT TERM HUP

failed=0
ok() { echo "ok - cloudwatch: $*"; }
fail() { echo "FAIL - cloudwatch: $*"; failed=$((failed + 1)); }

# ---- the seed: 20 minutes of datapoints, one a minute, ending now ---------------
python3 - "$T/seed.json" <<'EOF'
import json, sys, time
now = int(time.time()) // 60 * 60
puts = []
def put(ns, name, dims, value, unit="None", step=60):
    data = [{"MetricName": name, "Unit": unit, "Value": value, "Timestamp": t,
             "Dimensions": [{"Name": k, "Value": v} for k, v in dims]}
            for t in range(now - 20 * 60, now + 5 * 60, step)]
    if step < 60:
        for d in data:
            d["StorageResolution"] = 1
    puts.append({"Namespace": ns, "MetricData": data})
for i, host in (("i-0aaa000000000gpu1", "ip-10-0-0-1"), ("i-0aaa000000000gpu2", "ip-10-0-0-2")):
    for gpu in ("0", "1"):
        dims = [("InstanceId", i), ("InstanceType", "g5.xlarge"), ("index", gpu),
                ("name", "NVIDIA A10G"), ("host", host)]
        put("CWAgent", "nvidia_smi_power_draw", dims, 75.0)
        put("CWAgent", "nvidia_smi_utilization_gpu", dims, 80.0)
    put("Perwatt/App", "Inferences", [("InstanceId", i), ("InstanceType", "g5.xlarge")], 6000.0, "Count")
for core in ("0", "1"):
    put("neuron_mon", "neuroncore_utilization",
        [("InstanceId", "i-0bbb00000000inf21"), ("InstanceType", "inf2.xlarge"), ("NeuronCore", core)], 60.0, "Percent")
put("neuron_mon", "neuroncore_memory_usage_total",
    [("InstanceId", "i-0bbb00000000inf21"), ("InstanceType", "inf2.xlarge")], 1e9, "Bytes")
put("Perwatt/App", "Inferences", [("InstanceId", "i-0bbb00000000inf21"), ("InstanceType", "inf2.xlarge")], 30000.0, "Count")
# EC2's own: per instance with InstanceId only, and the per-type aggregate
put("AWS/EC2", "CPUUtilization", [("InstanceId", "i-0ccc000000000arm1")], 50.0, "Percent")
put("AWS/EC2", "CPUUtilization", [("InstanceType", "c7g.xlarge")], 50.0, "Percent")
put("Perwatt/App", "Inferences", [("InstanceId", "i-0ccc000000000arm1"), ("InstanceType", "c7g.xlarge")], 1200.0, "Count")
# a high-resolution metric (10 s), for a fleet polled every 10 s
put("Perwatt/App", "HiResInferences", [("InstanceId", "i-0eee0000000hires1"), ("Cluster", "hires")], 100.0, "Count", 10)
# another fleet's instance that must not be picked up
put("Perwatt/App", "Inferences", [("InstanceId", "i-0ddd00000000other"), ("InstanceType", "m5.large")], 999.0, "Count")
json.dump(puts, open(sys.argv[1], "w"))
EOF

# ---- servers -------------------------------------------------------------------------
# start_server NAME ARGS...: server.mjs, its port in $PORT
start_server() {
	name=$1
	shift
	node "$WORK/server.mjs" --max-seconds 240 --ignore-stdin --seed "$T/seed.json" \
		--credentials AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY \
		--credentials ASIAEXAMPLETEMPKEY01:tEmPsEcReT/EXAMPLE+Key0123456789abcdefgh:IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJGMEQCIEXAMPLETOKEN== \
		$IMDS_KEYS "$@" >"$T/$name.port" 2>"$T/$name.log" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/$name.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	PORT=$(head -n 1 "$T/$name.port")
}

# the keys imds.py hands out (kind IMDS, numbered from 1)
IMDS_KEYS=
n=1
while [ $n -le 9 ]; do
	IMDS_KEYS="$IMDS_KEYS --credentials ASIAIMDSTEST000$n:wJalrXUtnFEMI/K7MDENG/S3KR1TIMDS000$n:IQoJb3JpZ2luX2VjT0K3NIMDS000$n$(printf 'A%.0s' $(seq 600))"
	n=$((n + 1))
done

start_server main
MAIN=$PORT
case $MAIN in ''|*[!0-9]*) fail "the test server did not start: $(head -c 300 "$T/main.log")"; exit 1 ;; esac

# a user's home: a profile with the long-term key, the region in config
H=$T/home
mkdir -p "$H/.aws"
cat >"$H/.aws/credentials" <<'EOF'
[default]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY

[wrong]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEY00

[temp]
aws_access_key_id = ASIAEXAMPLETEMPKEY01
aws_secret_access_key = tEmPsEcReT/EXAMPLE+Key0123456789abcdefgh
aws_session_token = IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJGMEQCIEXAMPLETOKEN==
EOF
cat >"$H/.aws/config" <<'EOF'
[default]
region = us-east-1

[profile wrong]
region = us-east-1

[profile temp]
region = us-east-1
EOF

cat >"$T/cw.ini" <<'EOF'
[dashboard]
baseline = gpu

[fleet gpu]
source = cloudwatch
type = g5.xlarge
preset = cwagent-gpu
throughput = Perwatt/App/Inferences
unit = inferences
settle = 0s

[fleet inf2]
source = cloudwatch
type = inf2.xlarge
preset = neuron
namespace = neuron_mon
throughput = Perwatt/App/Inferences
unit = inferences
settle = 0s

[fleet arm]
source = cloudwatch
type = c7g.xlarge
preset = ec2
throughput = Perwatt/App/Inferences
unit = inferences
settle = 0s
EOF

# the same and a high-resolution fleet that polls every 10 s
cp "$T/cw.ini" "$T/imds.ini"
cat >>"$T/imds.ini" <<'EOF'

[fleet hires]
source = cloudwatch
select = Cluster=hires
throughput = Perwatt/App/HiResInferences
period = 10s
settle = 0s
unit = inferences
EOF

# a fleet from one SEARCH expression: each series it finds is an instance
cat >"$T/search.ini" <<'EOF'
[fleet everyone]
source = cloudwatch
throughput_expression = SEARCH('{Perwatt/App,InstanceId,InstanceType} MetricName="Inferences"', 'Sum', 60)
throughput_scale = 0.0166666666667
unit = inferences
settle = 0s
EOF

# run_pw OUT ARGS...: perwatt --once as that user, against server $PORT
run_pw() {
	out=$1
	shift
	env -i PATH="$PATH" HOME="$H" LANG=C.UTF-8 AWS_EC2_METADATA_DISABLED=true \
		AWS_ENDPOINT_URL_CLOUDWATCH="http://127.0.0.1:$PORT" $EXTRA_ENV \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" LSAN_OPTIONS="${LSAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
		timeout 60 "$PERWATT" --once --format json "$@" >"$T/$out.json" 2>"$T/$out.err"
	echo $? >"$T/$out.rc"
}

# jq-less checks: python over the report
# expect OUT 'python expression over r (the report) and f (fleets by name)' DESCRIPTION
expect() {
	if python3 - "$T/$1.json" "$2" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
f = {x["name"]: x for x in r["fleets"]}
src = {n: x["sources"][0] for n, x in f.items()}
near = lambda a, b, tol=0.02: a is not None and abs(a - b) <= tol * max(abs(b), 1e-9)
ok = eval(sys.argv[2])
sys.exit(0 if ok else 1)
EOF
	then ok "$3"
	else fail "$3: $(head -c 1500 "$T/$1.json" | tr '\n\t' '  ') $(head -c 300 "$T/$1.err")"
	fi
}

PORT=$MAIN EXTRA_ENV= run_pw live --config "$T/cw.ini" --duration 4
if [ "$(cat "$T/live.rc")" = 0 ]; then ok "perwatt --once over three CloudWatch fleets exits 0"
else fail "perwatt --once exited $(cat "$T/live.rc"): $(head -c 600 "$T/live.err")"; fi
expect live 'near(f["gpu"]["throughput"]["total"], 200) and f["gpu"]["reporting"] == 2' \
	"gpu: Inferences Sum 6000 per minute on 2 instances = 200/s"
expect live 'near(f["gpu"]["power_w"]["total"], 300) and f["gpu"]["power_w"]["provenance"] == "measured"' \
	"gpu: 2 GPUs x 75 W on 2 instances = 300 W, measured (nvidia_smi_power_draw, summed per instance)"
expect live 'near(f["gpu"]["utilization_pct"], 80)' "gpu: nvidia_smi_utilization_gpu 80% (mean over GPUs)"
expect live 'near(f["inf2"]["throughput"]["total"], 500) and near(f["inf2"]["utilization_pct"], 60)' \
	"inf2: neuron preset finds neuroncore_utilization in its namespace (60%); 500/s"
expect live 'f["inf2"]["power_w"]["total"] is None and f["inf2"]["power_w"]["provenance"] == "none"' \
	"inf2: no power metric, and no public power model for inf2.xlarge: power unknown, not invented"
expect live 'f["arm"]["power_w"]["provenance"] == "estimated" and 5.0 < f["arm"]["power_w"]["total"] < 9.9' \
	"arm: no power metric in CloudWatch: estimated from CPUUtilization with the c7g.xlarge power model, marked so"
expect live 'near(f["arm"]["throughput"]["total"], 20) and near(f["arm"]["utilization_pct"], 50) and f["arm"]["reporting"] == 1' \
	"arm: AWS/EC2 CPUUtilization found by the InstanceId the app metric carries (the per-type aggregate left out)"
expect live 'all(s["kind"] == "cloudwatch" and s["status"] == "ok" for s in src.values())' \
	"every fleet's health: cloudwatch ok"
expect live '"10 metrics/poll every 60 s = $0.006/h" in src["gpu"]["target"] and "us-east-1" in src["gpu"]["target"]' \
	"the cost of watching: gpu asks 10 metrics a poll, once a minute = USD 0.006/h"
expect live '"3 metrics/poll" in src["inf2"]["target"] and "2 metrics/poll" in src["arm"]["target"]' \
	"the cost of watching counts what each fleet asks (inf2 3, arm 2)"

curl -s "http://127.0.0.1:$MAIN/__perwatt/state" >"$T/state.json"
if python3 - "$T/state.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
reqs = s.get("recent") or []
ops = [r.get("target", "") for r in reqs]
bad = [r for r in reqs if r.get("status") != 200]
gmd = [o for o in ops if o.endswith("GetMetricData")]
lm = [o for o in ops if o.endswith("ListMetrics")]
sys.exit(0 if reqs and not bad and gmd and lm else 1)
EOF
then ok "every request perwatt sent passed the AWS SDK's SigV4 verifier (ListMetrics and GetMetricData)"
else fail "server state: $(head -c 1200 "$T/state.json")"; fi
if python3 - "$T/state.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
reqs = [r for r in (s.get("recent") or []) if r.get("target", "").endswith("GetMetricData")]
# one poll of all three fleets: 15 queries in one call, not one per fleet
sys.exit(0 if reqs and len(reqs) <= 2 else 1)
EOF
then ok "all fleets' queries batched into one GetMetricData call per poll"
else fail "batching: $(head -c 1200 "$T/state.json")"; fi

PORT=$MAIN EXTRA_ENV= run_pw search --config "$T/search.ini" --duration 4
expect search 'f["everyone"]["reporting"] == 5 and near(f["everyone"]["throughput"]["total"], (2 * 6000 + 30000 + 1200 + 999) / 60)' \
	"a SEARCH expression: each series it returns is an instance (5), values scaled by 1/60"
expect search '"5 metrics/poll" in src["everyone"]["target"]' \
	"the cost of a SEARCH counts the metrics it found"

# ---- a wrong secret, a wrong region -----------------------------------------------------
PORT=$MAIN EXTRA_ENV= run_pw wrong --config "$T/cw.ini" --duration 3 --profile wrong
expect wrong 'all(s["status"] == "failing" and "signature" in (s["error"] or "").lower() for s in src.values())' \
	"a wrong secret: rejected by the verifier, said in every fleet's health line"
if grep -q "WRONGKEY\|EXAMPLEKEY" "$T/wrong.json" "$T/wrong.err"; then fail "a secret leaked into the output"
else ok "no secret in the report or on stderr"; fi
if [ "$(cat "$T/wrong.rc")" = 3 ]; then ok "every source failing: exit 3"
else fail "wrong secret: exit $(cat "$T/wrong.rc"), want 3"; fi

PORT=$MAIN EXTRA_ENV= run_pw region --config "$T/cw.ini" --duration 3 --region eu-west-1
expect region 'all(s["status"] == "failing" for s in src.values()) and "eu-west-1" in src["gpu"]["target"]' \
	"a wrong region: signed for eu-west-1, refused, and the region shown"

# ---- session tokens ----------------------------------------------------------------------------
PORT=$MAIN EXTRA_ENV= run_pw temp --config "$T/cw.ini" --duration 3 --profile temp
expect temp 'near(f["gpu"]["throughput"]["total"], 200) and all(s["status"] == "ok" for s in src.values())' \
	"a temporary key with its session token (profile temp) works"
curl -s "http://127.0.0.1:$MAIN/__perwatt/state" >"$T/state2.json"
if grep -q "x-amz-security-token" "$T/state2.json"; then ok "the session token is sent and signed (in SignedHeaders)"
else fail "no signed x-amz-security-token: $(head -c 800 "$T/state2.json")"; fi

# ---- paging and throttling ------------------------------------------------------------------------
start_server paged --gmd-page-size 25 --lm-page-size 1
PORT=$PORT EXTRA_ENV= run_pw paged --config "$T/cw.ini" --duration 4
expect paged 'near(f["gpu"]["power_w"]["total"], 300) and near(f["arm"]["utilization_pct"], 50) and near(f["inf2"]["throughput"]["total"], 500)' \
	"NextToken paging (25 datapoints a page, 1 metric a ListMetrics page): the same figures"

start_server throttled --throttle 2
PORT=$PORT EXTRA_ENV= run_pw throttled --config "$T/cw.ini" --duration 25
expect throttled 'near(f["gpu"]["throughput"]["total"], 200) and src["gpu"]["status"] == "ok"' \
	"throttled twice: backs off, retries, recovers"

# ---- faults: a period CloudWatch has no data at, access denied, malformed answers -----
control() {
	curl -s -X POST --data "$2" "http://127.0.0.1:$1/__perwatt/control" >/dev/null
}
start_server faults
FAULTS=$PORT
sed 's/^settle = 0s$/settle = 0s\nperiod = 30s/' "$T/cw.ini" >"$T/p30.ini"
PORT=$FAULTS EXTRA_ENV= run_pw p30 --config "$T/p30.ini" --duration 4
expect p30 'src["gpu"]["status"] == "stale" and "StorageResolution 1" in src["gpu"]["error"] and "60s" in src["gpu"]["error"]' \
	"period 30 s on standard metrics: CloudWatch answers nothing, the health line says why"

control "$FAULTS" '{"accessDenied":["GetMetricData"]}'
PORT=$FAULTS EXTRA_ENV= run_pw denied --config "$T/cw.ini" --duration 4
expect denied 'all(s["status"] == "failing" and "cloudwatch:GetMetricData" in s["error"] for s in src.values())' \
	"access denied: the health line names the permission to add"
control "$FAULTS" '{"accessDenied":[]}'

for mode in truncate garbage html badshape cut; do
	control "$FAULTS" "{\"malformed\":{\"mode\":\"$mode\",\"count\":1}}"
	PORT=$FAULTS EXTRA_ENV= run_pw bad-$mode --config "$T/cw.ini" --duration 14
	expect bad-$mode 'near(f["gpu"]["throughput"]["total"], 200) and near(f["arm"]["utilization_pct"], 50) and all(s["status"] == "ok" for s in src.values())' \
		"a malformed answer ($mode) once: no crash, retried, the figures right"
done

# ---- an instance role through IMDSv2, refreshed ---------------------------------------------------
python3 "$TOP/tests/servers/imds.py" --ignore-stdin --max-seconds 120 >"$T/imds.port" 2>"$T/imds.log" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/imds.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
IMDS=$(head -n 1 "$T/imds.port")
mv "$H/.aws" "$H/aws.off"
env -i PATH="$PATH" HOME="$H" LANG=C.UTF-8 AWS_REGION=us-east-1 \
	AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$IMDS/m/expire=10" \
	AWS_ENDPOINT_URL_CLOUDWATCH="http://127.0.0.1:$MAIN" \
	ASAN_OPTIONS="${ASAN_OPTIONS:-}" LSAN_OPTIONS="${LSAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
	timeout 60 "$PERWATT" --once --format json --config "$T/imds.ini" --duration 20 >"$T/imds.json" 2>"$T/imds.err"
expect imds 'near(f["gpu"]["throughput"]["total"], 200) and all(s["status"] == "ok" for s in src.values())' \
	"instance-role credentials from IMDSv2 (token PUT, role, credentials) sign the calls"
expect imds 'near(f["hires"]["throughput"]["total"], 10) and "every 10 s" in src["hires"]["target"]' \
	"a 10 s high-resolution metric: polled every 10 s, Sum 100 per 10 s = 10/s"
st=$(curl -s "http://127.0.0.1:$IMDS/m/expire=10/_stats")
if echo "$st" | python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if s["creds"] >= 2 and s["puts"] >= 1 else 1)'
then ok "credentials that expire in 10 s are fetched again at half their life"
else fail "no refresh: $st"; fi
curl -s "http://127.0.0.1:$MAIN/__perwatt/state" >"$T/state3.json"
if python3 - "$T/state3.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
keys = [r.get("akid") for r in s.get("recent") or [] if (r.get("akid") or "").startswith("ASIAIMDS")]
ok = [r for r in s.get("recent") or [] if (r.get("akid") or "").startswith("ASIAIMDS") and r.get("status") == 200]
sys.exit(0 if len(set(keys)) >= 2 and len(ok) == len(keys) else 1)
EOF
then ok "after the refresh the calls are signed with the new key (and verify)"
else fail "refresh not used: $(head -c 1500 "$T/state3.json")"; fi
if grep -q "S3KR1T\|T0K3N" "$T/imds.json" "$T/imds.err"; then fail "an instance-role secret leaked"
else ok "no instance-role secret or token in the output"; fi
mv "$H/aws.off" "$H/.aws"

# ---- the dashboard in a real terminal -----------------------------------------------------------------
if command -v tmux >/dev/null 2>&1; then
	TM="tmux -L perwatt-cw-$$"
	$TM -f /dev/null new-session -d -x 140 -y 45 \
		"env HOME='$H' LANG=C.UTF-8 AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_CLOUDWATCH=http://127.0.0.1:$MAIN '$PERWATT' --config '$T/cw.ini'; sleep 5"
	# poll until everything checked below is on one capture (a capture can
	# catch a frame that tmux has only partly read)
	screen=
	i=0
	while [ $i -lt 120 ]; do
		sleep 0.25
		screen=$($TM capture-pane -p 2>/dev/null)
		case $screen in *"cloudwatch ok"*"cloudwatch ok"*) ;; *) i=$((i + 1)); continue ;; esac
		case $screen in *gpu*) ;; *) i=$((i + 1)); continue ;; esac
		case $screen in *arm*) ;; *) i=$((i + 1)); continue ;; esac
		case $screen in *'10 metrics/poll every 60 s = $0.006/h'*) break ;; esac
		i=$((i + 1))
	done
	echo "$screen" >"$T/screen.txt"
	if grep -q "gpu" "$T/screen.txt" && grep -q "arm" "$T/screen.txt" && grep -q "cloudwatch ok" "$T/screen.txt"
	then ok "in tmux: the three fleets with their CloudWatch health lines"
	else fail "in tmux: $(head -c 2000 "$T/screen.txt")"; fi
	if grep -q '10 metrics/poll every 60 s = \$0.006/h' "$T/screen.txt"
	then ok "in tmux: the cost of watching is on the screen, under the health line"
	else fail "in tmux, no cost of watching: $(head -c 3000 "$T/screen.txt")"; fi
	$TM send-keys q 2>/dev/null
else
	ok "# SKIP tmux is not installed"
fi

[ $failed = 0 ]
