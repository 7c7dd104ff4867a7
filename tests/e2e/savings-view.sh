#!/bin/sh
# End-to-end tests of the savings view in a real terminal: it shows the
# published comparison live, and its keys change the projection as it runs.
. "${TOP_SRCDIR:-.}/tests/e2e/lib.sh"
. "${TOP_SRCDIR:-.}/tests/e2e/tmux-lib.sh"

# a short window, so that the figures settle soon after the demo's warm-up
start sv 120x40 "$UTF8" --demo inference --window 3
go sv
check "overview shows the projection on the comparison strip" \
	wait_for sv 'at 1\.00M/h: 6 vs 33 instances, energy -9[0-9]%, cost -91%' 400
tm send-keys -t sv 2
check "2 opens the savings view" wait_for sv 'Projected savings'
check "the SLA target of the scenario" wait_for sv 'SLA 1,000,000 inferences/h \(given\)'
check "33 GPU instances" wait_for sv '^│ gpu +[0-9.]+ +33 '
check "6 Inferentia instances" wait_for sv '^│ inferentia +[0-9.]+ +6 '
check "bars with the saving" wait_for sv 'inferentia .*-8[12]%'
check "energy saving near the published -92%" wait_for sv 'Energy/h .*|inferentia .* -9[1-3]%'
check "the grid intensity of us-east-1" wait_for sv 'us-east-1 379 gCO2e/kWh'

tm send-keys -t sv ']'
check "] keeps the headroom at most 100%" wait_for sv 'headroom 100%'
tm send-keys -t sv '[' '[' '[' '['
check "[ lowers the headroom" wait_for sv 'headroom 80%'
check "which needs 7 Inferentia (1e6/(54.2 x 0.8 x 3600) = 6.4)" wait_for sv '^│ inferentia +[0-9.]+ +7 '
tm send-keys -t sv '>'
check "> raises the target" wait_for sv 'SLA 1,500,000 inferences/h'
tm send-keys -t sv a
check "a takes the target from the baseline" wait_for sv 'what the baseline serves now'
tm send-keys -t sv r
check "r moves to the next region" wait_for sv 'us-east-2 411 gCO2e/kWh'
tm send-keys -t sv b
check "b makes the next fleet the baseline" wait_for sv 'baseline: inferentia'
check "and the GPUs now cost more" wait_for sv 'gpu .*\+[0-9]+%'
tm send-keys -t sv m
check "m switches to fixed work" wait_for sv 'fixed work: 1\.00M inferences'
check "with the time to finish" wait_for sv 'Time '

tm resize-window -t sv -x 80 -y 24
check "80x24 still shows the savings" wait_for sv 'Projected savings'
tm resize-window -t sv -x 20 -y 6
sleep 0.5
tm resize-window -t sv -x 120 -y 40
check "back at 120x40 after 20x6" wait_for sv 'Projected savings'
tm send-keys -t sv q
check "q exits 0" wait_for sv 'EXIT=0'

e2e_done
