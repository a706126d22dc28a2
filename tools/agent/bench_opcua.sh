#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The OPC UA benchmark (docs/opcua.md): opcua_testsrv with VARIABLES
# variables in the tx's namespace, the tx agent its client, the link a
# veth (nothing goes back) at the channel's Rate = 10mbit, the rx agent's
# mirror in the rx's namespace.
#   1. cold start: no state on either side, the source's values still
#      (-r 0); the time from the agents' start until the rx has every node
#      the tx browsed and a value for every variable (the rx's status file,
#      written every second: to a second); then the mirror checked against
#      the source by opcua_check, node for node, and for variables waiting.
#   2. value changes: for each rate of RATES, the source changing that many
#      values a second (opcua_testsrv -r, the variables in turn), the
#      agents started again on it; once the mirror is whole, WINDOW seconds
#      measured: the changes the tx's subscription delivered a second, the
#      records it sent a second (numbered: the changes, once the model is
#      across), the values the rx applied a second, what the rx counted
#      lost, what the tx dropped (its queue full), and the records in the
#      tx's queue at the window's start and end. The window begins once
#      the tx's queue is below 1 000 records (the start's backlog sent),
#      or after 60 s (the link short of the rate).
# For each phase, the CPU time of both agents (% of one CPU over the
# phase) and their largest resident set (VmHWM). Not a test: numbers
# depend on the machine.
#
#   bench_opcua.sh [VARIABLES]   VARIABLES defaults to 10000; run as root
#   environment: RATES ("1000 2000 5000 10000 20000"), WINDOW (20 s),
#   RATE (the channel's, 10mbit)
set -u
here=$(cd "$(dirname "$0")" && pwd)
agent=$here/diode-agent srv=$here/opcua_testsrv check=$here/opcua_check
nvars=${1:-10000}
rates=${RATES:-1000 2000 5000 10000 20000} window=${WINDOW:-20} rate=${RATE:-10mbit}
work=$(mktemp -d /tmp/diode-opcua-bench.XXXXXX)
ns_tx=dob-tx-$$ ns_rx=dob-rx-$$
src=opc.tcp://127.0.0.1:4840 mir=opc.tcp://127.0.0.1:4841

source "$here/ns_lib.sh"
trap 'ns_end "$ns_tx" "$ns_rx"; rm -rf "$work"' EXIT
die() { echo "bench: $*" >&2; tail -5 "$work"/*.log >&2 2>/dev/null; exit 1; }
until_s() {	# until_s SECONDS CONDITION: 1 when it timed out
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do eval "$2" && return 0; sleep 0.05; done
	return 1
}
wait_for() { until_s "$@" || die "timed out: $2"; }
# stat ROLE KEY: a number or string of an agent's status file (every second)
stat() {
	local v
	v=$(grep -o "\"$2\":[^,}]*" "$work/state-$1/$1.status" 2>/dev/null) || { echo 0; return 1; }
	v=${v#*:}; v=${v#\"}; echo "${v%\"}"
}
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
# fresh ROLE: once the agent has written its status again, the time it did
# (ms): the counters read then are of that moment
fresh() {
	local f=$work/state-$1/$1.status m
	m=$(date -r "$f" +%s%3N)
	wait_for 30 '[ "$(date -r "$f" +%s%3N)" != "$m" ]'
	sleep 0.05	# written whole, then renamed: read after the rename
	date -r "$f" +%s%3N
}
# ticks PID: the CPU time it has used, in clock ticks
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# hwm PID: its largest resident set, in MiB
hwm() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)

# The one-way link 10.80.0.1 -> 10.80.0.2, everything going back dropped.
ns_link "$ns_tx" "$ns_rx" dob 10.80.0 || exit 1

cat >"$work/tx.conf" <<EOF
[Channel]
Name = tx
Role = tx
Protocol = opcua
Id = 1
StateDir = $work/state-tx
[Transport]
Remote = 10.80.0.2:5140
Rate = $rate
[OPCUA]
Endpoint = $src
EOF
cat >"$work/rx.conf" <<EOF
[Channel]
Name = rx
Role = rx
Protocol = opcua
Id = 1
StateDir = $work/state-rx
[Transport]
Local = 10.80.0.2:5140
[OPCUA]
Port = 4841
EOF

# source RATE: opcua_testsrv changing RATE values a second
source() {
	ip netns exec "$ns_tx" "$srv" -r "$1" 4840 "$nvars" >>"$work/src.log" 2>&1 &
	src_pid=$!
	wait_for 60 'ip netns exec "$ns_tx" ss -ltn | grep -q ":4840 "'
}
# agents: both started, no state, the rx first; t0 when the tx starts
agents() {
	rm -rf "$work"/state-*
	ip netns exec "$ns_rx" "$agent" run "$work/rx.conf" 2>>"$work/rx.log" &
	rx_pid=$!
	wait_for 10 'ip netns exec "$ns_rx" ss -lun | grep -q 10.80.0.2:5140'
	t0=$(now_ms)
	ip netns exec "$ns_tx" "$agent" run "$work/tx.conf" 2>>"$work/tx.log" &
	tx_pid=$!
	c0_tx=$(ticks "$tx_pid") c0_rx=$(ticks "$rx_pid")
}
# whole [VALUES]: the rx has every node the tx browsed, and applied as
# many values as the tx sent (the source still: one for each variable),
# or VALUES
whole() {
	local n; n=$(stat tx nodes)
	[ "$n" -gt 0 ] && [ "$(stat rx nodes)" = "$n" ] && [ "$(stat tx values)" -gt 0 ] &&
		[ "$(stat rx values)" -ge "${1:-$(stat tx values)}" ] && [ "$(stat rx nodes_waiting)" = 0 ]
}
# cpu PID C0 MS: % of one CPU since C0 ticks, over MS
cpu() { awk -v t=$(($(ticks "$1") - $2)) -v hz="$hz" -v ms="$3" 'BEGIN { printf "%.1f", t * 100000 / hz / ms }'; }
stop_all() {
	local p
	for p in "$@"; do kill "$p" 2>/dev/null; done
	for p in "$@"; do wait "$p" 2>/dev/null; done
}

echo "bench: $nvars variables, Rate = $rate, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. cold start, the values still
source 0
agents
wait_for 600 whole
t_cold=$(($(now_ms) - t0))
ms=$(($(now_ms) - t0))
cold_cpu="tx $(cpu "$tx_pid" "$c0_tx" "$ms") %, rx $(cpu "$rx_pid" "$c0_rx" "$ms") %"
cold_rss="tx $(hwm "$tx_pid") MiB, rx $(hwm "$rx_pid") MiB"
nodes=$(stat tx nodes)
ip netns exec "$ns_tx" "$check" dump $src >"$work/src.dump" || die "source dump"
ip netns exec "$ns_rx" "$check" dump $mir >"$work/mir.dump" || die "mirror dump"
cmp -s "$work/src.dump" "$work/mir.dump" && same=equal || same="DIFFERENT"
waiting=$(ip netns exec "$ns_rx" "$check" values $mir)
echo "bench: cold start: $nodes nodes whole on the mirror in $t_cold ms (to a second);" \
	"dumps $same ($(wc -l <"$work/mir.dump") lines), $waiting; CPU over it $cold_cpu;" \
	"max RSS $cold_rss" >&2
stop_all "$tx_pid" "$rx_pid" "$src_pid"

# 2. value changes a second
: >"$work/rows"
for r in $rates; do
	source "$r"
	agents
	# values lost beyond the link's rate do not stop the measure
	until_s 300 "whole $nvars" || echo "bench: -r $r: the mirror not whole after 300 s" >&2
	# the backlog of the start (the model, every first value) sent: a
	# steady state, if the link carries the rate
	until_s 60 '[ "$(stat tx queued)" -lt 1000 ]' ||
		echo "bench: -r $r: the tx's queue still $(stat tx queued) records after 60 s" >&2
	sleep 2
	c1_tx=$(ticks "$tx_pid") c1_rx=$(ticks "$rx_pid") t1=$(now_ms)
	ta=$(fresh tx); a_tx=$(stat tx values) a_drop=$(stat tx dropped_queue_full)
	a_sent=$(stat tx sent_messages) a_q=$(stat tx queued)
	ra=$(fresh rx); a_rx=$(stat rx values) a_lost=$(stat rx lost)
	sleep "$window"
	tb=$(fresh tx); b_tx=$(stat tx values) b_drop=$(stat tx dropped_queue_full)
	b_sent=$(stat tx sent_messages) b_q=$(stat tx queued)
	rb=$(fresh rx); b_rx=$(stat rx values) b_lost=$(stat rx lost)
	ms=$(($(now_ms) - t1))
	echo "$r|$(((b_tx - a_tx) * 1000 / (tb - ta)))|$(((b_sent - a_sent) * 1000 / (tb - ta)))|$(((b_rx - a_rx) * 1000 / (rb - ra)))|$((b_lost - a_lost))|$((b_drop - a_drop))|$a_q>$b_q|$(cpu "$tx_pid" "$c1_tx" "$ms")|$(cpu "$rx_pid" "$c1_rx" "$ms")|$(hwm "$tx_pid")|$(hwm "$rx_pid")" >>"$work/rows"
	echo "bench: -r $r: done ($(stat tx sent_bytes) bytes sent by the tx)" >&2
	stop_all "$tx_pid" "$rx_pid" "$src_pid"
done

echo "bench: load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cold start: $nodes nodes, $nvars variables: the mirror whole in $t_cold ms; CPU $cold_cpu;" \
	"max RSS $cold_rss; the mirror's dump $same to the source's"
printf '%8s %8s %8s %8s %6s %8s %12s %6s %6s %7s %7s\n' "source/s" "tx in/s" "tx sent/s" \
	"rx applied/s" lost dropped "tx queue" "tx CPU%" "rx CPU%" "tx MiB" "rx MiB"
while IFS='|' read -r r s n a l d q ct cr mt mr; do
	printf '%8s %8s %8s %8s %6s %8s %12s %6s %6s %7s %7s\n' "$r" "$s" "$n" "$a" "$l" "$d" "$q" \
		"$ct" "$cr" "$mt" "$mr"
done <"$work/rows"
