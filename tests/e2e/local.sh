#!/bin/sh
# End-to-end: perwatt on the benchmark's own machine (local mode), with the
# machine faked: a sysfs/procfs tree (PERWATT_SYSFS_ROOT) whose RAPL and CPU
# counters a loop advances (40 W package, 5 W DRAM, 50% CPU), stand-ins for
# nvidia-smi and neuron-monitor first on PATH replaying real captures, and a
# fake benchmark writing (and rotating) its log.  Headless figures, the
# sensors listed, --compare, --follow through rotation, nothing found
# (exit 3, the hint, d for the demo), and the dashboard in tmux.
. "${TOP_SRCDIR:-.}/tests/e2e/lib.sh"
. "${TOP_SRCDIR:-.}/tests/e2e/tmux-lib.sh"
need python3 tmux curl

STANDINS="$TOP_SRCDIR/tests/standins"
ROOT=$E2E_TMP/root
cp -r "$TOP_SRCDIR/tests/fixtures/sysfs" "$ROOT"
chmod -R u+w "$ROOT"
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; tm kill-server 2>/dev/null; rm -rf "$E2E_TMP"' EXIT

# the machine: counters advanced every 0.5 s by what 40 W, 5 W and 50% CPU
# would add (energy in µJ; /proc/stat in USER_HZ ticks, 2 CPUs)
python3 - "$ROOT" <<'EOF' &
import os, sys, time
root = sys.argv[1]
pkg = os.path.join(root, "sys/class/powercap/intel-rapl:0/energy_uj")
dram = os.path.join(root, "sys/class/powercap/intel-rapl:0:0/energy_uj")
stat = os.path.join(root, "proc/stat")
def rd(p):
    return int(open(p).read().split()[0])
def wr(p, text):
    tmp = p + ".tmp"
    open(tmp, "w").write(text)
    os.rename(tmp, p)
t0 = time.time()
e0, d0 = rd(pkg), rd(dram)
lines = open(stat).read().splitlines()
cpu = [int(x) for x in lines[0].split()[1:]]
end = t0 + 240
while time.time() < end:
    dt = time.time() - t0
    wr(pkg, "%d\n" % (e0 + int(40e6 * dt)))
    wr(dram, "%d\n" % (d0 + int(5e6 * dt)))
    ticks = int(200 * dt)          # 2 CPUs x 100 Hz
    c = list(cpu)
    c[0] += ticks // 2             # user: half busy
    c[3] += ticks - ticks // 2     # idle
    wr(stat, "\n".join(["cpu  " + " ".join(map(str, c))] + lines[1:]) + "\n")
    time.sleep(0.5)
EOF
PIDS="$PIDS $!"

LOG=$E2E_TMP/bench.log
: >"$LOG"
sh "$STANDINS/bench-log.sh" "$LOG" 6 >/dev/null 2>&1 &
PIDS="$PIDS $!"
sleep 1

# run OUT ARGS...: perwatt --once with the fake machine and the stand-ins
run() {
	out=$1
	shift
	env PATH="$STANDINS:$PATH" PERWATT_SYSFS_ROOT="$ROOT" AWS_EC2_METADATA_DISABLED=true \
		timeout 60 "$PERWATT" --once --format json "$@" >"$E2E_TMP/$out.json" 2>"$E2E_TMP/$out.err"
	echo $? >"$E2E_TMP/$out.rc"
}
# expect OUT PYTHON-EXPR DESCRIPTION: r is the report, f the fleets by name,
# me the first fleet (this machine)
expect() {
	if python3 - "$E2E_TMP/$1.json" "$2" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
f = {x["name"]: x for x in r["fleets"]}
me = r["fleets"][0]
near = lambda a, b, tol=0.05: a is not None and abs(a - b) <= tol * max(abs(b), 1e-9)
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
	then ok "$3"
	else fail "$3: $(head -c 1500 "$E2E_TMP/$1.json" | tr '\n\t' '  ') $(head -c 300 "$E2E_TMP/$1.err")"
	fi
}

# ---- every sensor: RAPL + nvidia-smi (+ neuron-monitor), the benchmark followed
run all --duration 5 --type g5.xlarge --follow "$LOG" --match 'throughput: ([0-9.]+)' --unit inferences \
	--compare inf2.xlarge=2.5
check "local mode --once exits 0 (rc $(cat "$E2E_TMP/all.rc"))" [ "$(cat "$E2E_TMP/all.rc")" = 0 ]
expect all 'me["instance_type"] == "g5.xlarge" and me["instances"] == 1' "this machine is a fleet of one, of the type given"
expect all 'all(s in me["note"] for s in ("rapl", "nvidia-smi", "cpu"))' "the note lists the sensors found"
expect all 'near(me["throughput"]["total"], 812.0)' "the benchmark's throughput from its log (812/s), the log rotated every 3 s meanwhile"
expect all 'me["power_w"]["provenance"] == "measured" and me["power_w"]["total"] > 45' \
	"power measured: RAPL package + DRAM + the GPUs"
expect all 'any(x["projected"] and x["name"] == "inf2.xlarge" for x in r["fleets"])' \
	"--compare adds a fleet marked projected"
expect all 'near(f["inf2.xlarge"]["throughput"]["total"], 2.5 * 812.0)' "the projected fleet does 2.5x the throughput"
expect all 'f["inf2.xlarge"]["throughput"]["provenance"] == "estimated"' "projected figures are marked estimated"

# ---- --compare with the published ratio; and without a type or a ratio
run pub --duration 4 --type g4dn.2xlarge --follow "$LOG" --match 'throughput: ([0-9.]+)' --compare inf1.2xlarge
expect pub 'near(f["inf1.2xlarge"]["throughput"]["total"], 6.3 * 812.0) and f["inf1.2xlarge"]["projected"]' \
	"--compare inf1.2xlarge from g4dn.2xlarge: the published 6.3x (data/ratios.csv)"
expect pub 'f["inf1.2xlarge"]["power_w"]["provenance"] == "estimated" and f["inf1.2xlarge"]["power_w"]["total"] > 0' \
	"the projected fleet's power comes from its power model, marked estimated"
env PATH="$STANDINS:$PATH" PERWATT_SYSFS_ROOT="$ROOT" AWS_EC2_METADATA_DISABLED=true \
	"$PERWATT" --once --compare inf2.xlarge >/dev/null 2>"$E2E_TMP/cmp.err"
rc=$?
check "--compare with no type and no ratio: exit 2 (got $rc)" [ "$rc" = 2 ]
check "--compare with no type and no ratio: says to give --type or a ratio" grep -q -- "--type" "$E2E_TMP/cmp.err"

# ---- RAPL alone: the watts the counters imply
run rapl --duration 4 --follow "$LOG" --match 'throughput: ([0-9.]+)'
env PATH="$STANDINS:$PATH" PERWATT_SYSFS_ROOT="$ROOT" AWS_EC2_METADATA_DISABLED=true timeout 60 \
	"$PERWATT" --once --format json --duration 4 --fleet 'box=local;sensors=rapl,cpu' >"$E2E_TMP/rapl.json" 2>"$E2E_TMP/rapl.err"
expect rapl 'near(me["power_w"]["total"], 45, 0.1)' "RAPL: 40 W package + 5 W DRAM from the energy counters"
expect rapl 'near(me["utilization_pct"], 50, 0.1)' "CPU utilization from /proc/stat: 50%"

# ---- an EC2 VM with no power sensor: the type from IMDS, the power estimated
# from CPU utilization with that type's power model.  The VM is the same
# /proc/stat (50% busy) with the DMI vendor EC2 writes and no powercap;
# IMDSv2 is the stand-in in tests/servers/imds.py, answering m7g.xlarge.
python3 "$TOP_SRCDIR/tests/servers/imds.py" --ignore-stdin --max-seconds 200 >"$E2E_TMP/imds.port" 2>"$E2E_TMP/imds.log" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$E2E_TMP/imds.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
IMDS="http://127.0.0.1:$(head -n 1 "$E2E_TMP/imds.port")"
VM=$E2E_TMP/vm
mkdir -p "$VM/sys/devices/virtual/dmi/id"
ln -s "$ROOT/proc" "$VM/proc"
echo "Amazon EC2" >"$VM/sys/devices/virtual/dmi/id/sys_vendor"
# vm OUT IMDS-PREFIX ROOT ARGS...: perwatt --once on the VM, IMDS at the prefix
vm() {
	out=$1 pre=$2 root=$3
	shift 3
	env PATH=/usr/bin:/bin PERWATT_SYSFS_ROOT="$root" AWS_EC2_METADATA_SERVICE_ENDPOINT="$IMDS/m/$pre" \
		timeout 60 "$PERWATT" --once --format json --duration 4 "$@" >"$E2E_TMP/$out.json" 2>"$E2E_TMP/$out.err"
}
imds_puts() { curl -s "$IMDS/m/$1/_stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["puts"])'; }
vm ec2 type=m7g.xlarge "$VM"
expect ec2 'me["instance_type"] == "m7g.xlarge"' "on EC2 with no --type: the instance type from IMDSv2"
check "on EC2: IMDSv2 asked (a token PUT)" [ "$(imds_puts type=m7g.xlarge)" -ge 1 ]
expect ec2 'me["power_w"]["provenance"] == "estimated" and near(me["power_w"]["total"], 8.2 + (13.0 - 8.2) * 0.5, 0.1)' \
	"no sensor: power estimated from 50% CPU with m7g.xlarge's power model (data/power.csv)"
expect ec2 'near(me["usd_per_hour"], 0.1632, 0.001)' "and priced as an m7g.xlarge"
vm given type=m7g.xlarge,given "$VM" --type c7g.xlarge
expect given 'me["instance_type"] == "c7g.xlarge"' "--type wins over IMDS"
check "--type given: IMDS not asked" [ "$(imds_puts type=m7g.xlarge,given)" = 0 ]
vm notec2 type=m7g.xlarge,notec2 "$ROOT"
check "not on EC2 (no DMI vendor): IMDS not asked" [ "$(imds_puts type=m7g.xlarge,notec2)" = 0 ]
vm hang hang "$VM"
expect hang 'me["instance_type"] is None and near(me["utilization_pct"], 50, 0.1)' \
	"IMDS that never answers: no type, the rest still measured, no hang"
expect hang '"instance metadata service did not say the instance type" in me["note"] and "--type" in me["note"]' \
	"and the note says why the power is unknown and what to do"

# ---- the type from neuron-monitor when neither --type nor IMDS gives it
# (IMDS off, as in a container behind a hop limit of 1)
env PATH="$STANDINS:/usr/bin:/bin" PERWATT_SYSFS_ROOT="$VM" AWS_EC2_METADATA_DISABLED=true \
	timeout 60 "$PERWATT" --once --format json --duration 4 >"$E2E_TMP/ntype.json" 2>"$E2E_TMP/ntype.err"
expect ntype 'me["instance_type"] == "trn1.2xlarge" and near(me["usd_per_hour"], 1.34375, 0.001)' \
	"no --type, no IMDS: the instance type (and so the price) from neuron-monitor's report"
expect ntype '"instance type from neuron-monitor" in me["note"] and "--type" not in me["note"]' \
	"and the note says where the type came from"

# ---- nothing found
EMPTY=$E2E_TMP/empty
mkdir -p "$EMPTY"
env PATH="/usr/bin:/bin" PERWATT_SYSFS_ROOT="$EMPTY" AWS_EC2_METADATA_DISABLED=true timeout 30 \
	"$PERWATT" --once --format json --duration 2 >"$E2E_TMP/none.json" 2>"$E2E_TMP/none.err"
rc=$?
check "nothing to measure: exit 3 (got $rc)" [ "$rc" = 3 ]
check "nothing to measure: the message says what to try" grep -q -- "--follow" "$E2E_TMP/none.err"
expect none '"no sensor found" in me["note"] and "powercap" in me["note"]' "the note says what was looked for and why it was not found"

# ---- in a real terminal: no arguments, the stand-ins on PATH
RUNNER="env PATH=$STANDINS:$PATH PERWATT_SYSFS_ROOT=$ROOT AWS_EC2_METADATA_DISABLED=true"
start live 120x40 "$UTF8"
go live
wait_for live "nvidia-smi" 150
check "no arguments: this machine's panel" shows live "$(hostname | cut -c1-10)"
check "no arguments: its power (W)" wait_for live "Power .*[0-9] W" 80
check "no arguments: the throughput neuron-monitor counts" wait_for live "Throughput +[0-9]" 80
check "no arguments: the instance type neuron-monitor names, and its price" wait_for live "trn1\.2xlarge .*[$]1\.34/h" 80
tm send-keys -t live q
RUNNER="env PATH=/usr/bin:/bin PERWATT_SYSFS_ROOT=$EMPTY AWS_EC2_METADATA_DISABLED=true"
start none 100x30 "$UTF8"
go none
wait_for none "d: the built-in demo" 100
check "nothing found: the hint says what to try" shows none "follow"
tm send-keys -t none d
check "d: the built-in demo, one key away" wait_for none "inferentia" 100
tm send-keys -t none q

e2e_done
