#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The MQTT benchmark (docs/mqtt.md): COUNT numbered messages of 100 bytes,
# QoS 0 and QoS 1, published by mqttgen on an OT broker and counted by
# mqttgen on an IT broker (Debian's mosquitto both, no queue limit), through
#   1. the agent pair: OT broker -> tx agent -> veth (nothing goes back) ->
#      rx agent -> IT broker, the rx publishing with QoS = the QoS measured;
#   2. a mosquitto bridge: the OT broker bridging # out (QoS 1) to the IT
#      broker over a second veth, two-way;
# and, as the measuring tools' own ceiling, one broker alone (mqttgen pub
# and sub on the IT broker). Prints messages/s from the subscriber's first
# message to its last, what was lost or came twice, and the CPU time the
# brokers and agents took a message (mqttgen's own not counted). Then the
# carousel: N retained topics of 100 bytes on the OT broker, the tx at
# Rate = 10mbit; once the rx holds them, the rx stopped, its state file
# removed, started again under a fresh Prefix: the time until the IT broker
# holds all N again, and how long the tx's carousel takes a pass. Not a
# test: numbers depend on the machine.
#
#   bench_mqtt.sh [COUNT]   COUNT defaults to 200000; run as root
#   environment: CAROUSEL_PERIOD (10s), CAROUSEL_SHARE (10%), TOPICS (10000)
set -u
here=$(cd "$(dirname "$0")" && pwd)
agent=$here/diode-agent gen=$here/mqttgen
count=${1:-200000}
period=${CAROUSEL_PERIOD:-10s} share=${CAROUSEL_SHARE:-10%} ntopics=${TOPICS:-10000}
work=$(mktemp -d /tmp/diode-mqtt-bench.XXXXXX)
ns_tx=dmb-tx-$$ ns_rx=dmb-rx-$$

source "$here/ns_lib.sh"
trap 'ns_end "$ns_tx" "$ns_rx"; rm -rf "$work"' EXIT
die() { echo "bench: $*" >&2; tail -5 "$work"/*.log >&2 2>/dev/null; exit 1; }
wait_for() {	# wait_for SECONDS CONDITION
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do eval "$2" && return 0; sleep 0.05; done
	die "timed out: $2"
}
# stat FILE KEY: a number or string of an agent's status file (every second)
stat() {
	local v
	v=$(grep -o "\"$2\":[^,}]*" "$1" 2>/dev/null) || return 1
	v=${v#*:}; v=${v#\"}; echo "${v%\"}"
}

# The one-way link 10.78.0.1 -> 10.78.0.2 (everything going back dropped)
# and an ordinary two-way one, 10.79.0.1 <-> 10.79.0.2, for the bridge.
ns_link "$ns_tx" "$ns_rx" dmb 10.78.0 || exit 1
ip link add dmb2 netns "$ns_tx" type veth peer name dmb3 netns "$ns_rx"
ip -n "$ns_tx" addr add 10.79.0.1/24 dev dmb2; ip -n "$ns_rx" addr add 10.79.0.2/24 dev dmb3
ip -n "$ns_tx" link set dmb2 up; ip -n "$ns_rx" link set dmb3 up

# broker NS NAME [EXTRA]: mosquitto on 127.0.0.1:1883 without persistence
# or a queue limit (by default mosquitto drops QoS 1 messages beyond 1000
# queued for a client), EXTRA lines appended; NAME_pid is its pid.
broker() {
	printf 'listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n%s\n' \
		"${3:-}" >"$work/$2.conf"
	ip netns exec "$1" mosquitto -c "$work/$2.conf" 2>>"$work/$2.log" &
	eval "$2_pid=$!"
	wait_for 10 "ip netns exec $1 ss -ltn | grep -q 127.0.0.1:1883"
}
stop() {	# stop PID...: SIGTERM, and wait for them
	local p
	for p in "$@"; do kill "$p" 2>/dev/null; done
	for p in "$@"; do wait "$p" 2>/dev/null; done
}

# ticks PID...: the CPU time each has used, in clock ticks
ticks() {
	local p
	for p in "$@"; do awk '{ printf "%d ", $14 + $15 }' "/proc/$p/stat"; done
}
# measure NAME QOS PUB_NS PUB_TOPIC SUB_NS SUB_FILTER NAME=PID...: a row
# of results, with the CPU time the brokers and agents (PID...) took a
# message, each and in all
measure() {
	local name=$1 qos=$2 got ms dups missing c0 c1 hz=$(getconf CLK_TCK) i sum=0 each=
	local names=("${@:7}") pids=("${@:7}")
	names=("${names[@]%%=*}") pids=("${pids[@]##*=}")
	read -ra c0 < <(ticks "${pids[@]}")
	rm -f "$work/sub.err"
	ip netns exec "$5" "$gen" sub 127.0.0.1 1883 "$6" "$count" 3000 "$qos" \
		>"$work/sub.out" 2>"$work/sub.err" &
	local sub=$!
	wait_for 10 'grep -qs subscribed "$work/sub.err"'
	ip netns exec "$3" "$gen" pub 127.0.0.1 1883 "$4" "$count" 100 "$qos" >"$work/pub.out" ||
		echo "bench: $name QoS $qos: the publisher failed" >&2
	wait "$sub"
	read -ra c1 < <(ticks "${pids[@]}")
	read -r got ms dups missing <"$work/sub.out"
	local n=$((got - dups > 0 ? got - dups : 1))
	for i in "${!pids[@]}"; do
		sum=$((sum + c1[i] - c0[i]))
		each+=" ${names[i]} $(((c1[i] - c0[i]) * 1000000 / hz / n)),"
	done
	local rate=$((ms > 0 ? n * 1000 / ms : 0))
	echo "$name|$qos|$rate|$((got - dups))|$missing|$dups|$((sum * 1000000 / hz / n))" >>"$work/rows"
	echo "bench: $name QoS $qos: CPU us a message:${each%,}" >>"$work/cpu"
	echo "bench: $name QoS $qos: $(cat "$work/sub.out") (publisher: $(cat "$work/pub.out"))" >&2
}

conf_agents() {	# conf_agents QOS PREFIX RATE TOPIC
	cat >"$work/tx.conf" <<-EOF
	[Channel]
	Name = mtx
	Role = tx
	Protocol = mqtt
	Id = 1
	StateDir = $work/state-tx
	[Transport]
	Remote = 10.78.0.2:5140
	$3
	[MQTT]
	Broker = 127.0.0.1
	Topic = $4
	CarouselPeriod = $period
	CarouselShare = $share
	EOF
	cat >"$work/rx.conf" <<-EOF
	[Channel]
	Name = mrx
	Role = rx
	Protocol = mqtt
	Id = 1
	StateDir = $work/state-rx
	[Transport]
	Local = 10.78.0.2:5140
	[MQTT]
	Broker = 127.0.0.1
	Prefix = $2
	QoS = $1
	EOF
}
start_rx() {
	ip netns exec "$ns_rx" "$agent" run "$work/rx.conf" 2>>"$work/rx.log" &
	rx_pid=$!
	wait_for 10 '[ "$(stat "$work/state-rx/mrx.status" broker)" = connected ]'
}
start_tx() {
	ip netns exec "$ns_tx" "$agent" run "$work/tx.conf" 2>>"$work/tx.log" &
	tx_pid=$!
	wait_for 10 '[ "$(stat "$work/state-tx/mtx.status" broker)" = connected ]'
}

echo "bench: $count messages of 100 bytes, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$work/rows"; : >"$work/cpu"

# 0. one broker alone: what mqttgen and mosquitto do without a second hop
broker "$ns_rx" it
for q in 0 1; do
	measure "mosquitto alone" $q "$ns_rx" "alone/q$q" "$ns_rx" "alone/q$q" "broker=$it_pid"
done
stop "$it_pid"

# 1. the agent pair, the rx publishing at the QoS measured
broker "$ns_tx" ot; broker "$ns_rx" it
notes=
for q in 0 1; do
	rm -rf "$work"/state-*
	conf_agents $q ot/ "" "bench/#"
	start_rx; start_tx
	sleep 0.3	# the tx's SUBSCRIBE goes after its CONNACK
	measure "diode-agent pair (tx, rx)" $q "$ns_tx" "bench/q$q" "$ns_rx" "ot/bench/q$q" \
		"OT broker=$ot_pid" "tx=$tx_pid" "rx=$rx_pid" "IT broker=$it_pid"
	sleep 1.2
	stop "$tx_pid" "$rx_pid"
	rs=$work/state-rx/mrx.status ts=$work/state-tx/mtx.status
	notes+="bench: agents QoS $q: tx received $(stat "$ts" received), rx lost $(stat "$rs" lost)"
	notes+=", rx dropped (queue full) $(stat "$rs" dropped_queue_full)"
	notes+=", rx published $(stat "$rs" published)"$'\n'
done
stop "$ot_pid" "$it_pid"

# 2. the bridge: the OT broker's bridge is a client of the IT broker's
# second listener, on the two-way link
broker "$ns_rx" it "$(printf 'listener 1883 10.79.0.2\n')"
broker "$ns_tx" ot "$(printf '%s\n' 'connection it' 'address 10.79.0.2:1883' \
	'bridge_protocol_version mqttv50' 'cleansession true' 'topic # out 1')"
wait_for 10 'ip netns exec "$ns_rx" ss -tn | grep -q "10.79.0.2:1883 *10.79.0.1"'
sleep 0.5
for q in 0 1; do
	measure "mosquitto bridge" $q "$ns_tx" "bench/q$q" "$ns_rx" "bench/q$q" \
		"OT broker and bridge=$ot_pid" "IT broker=$it_pid"
done
stop "$ot_pid" "$it_pid"

# 3. the carousel: the tx at 10 Mbit/s, the IT broker's copy under c1/;
# the rx stopped, its state file removed, started under c2/
broker "$ns_tx" ot; broker "$ns_rx" it
rm -rf "$work"/state-*
ip netns exec "$ns_tx" "$gen" retain 127.0.0.1 1883 bench/r "$ntopics" 100 >/dev/null ||
	die "retained messages not published"
conf_agents 1 c1/ "Rate = 10mbit" "bench/r/#"
t0=$(date +%s%N)
start_rx; start_tx
wait_for 300 '[ "$(stat "$work/state-rx/mrx.status" topics)" = "$ntopics" ]'
t_first=$((($(date +%s%N) - t0) / 1000000))
stop "$rx_pid"
rm -f "$work/state-rx/mrx.state"
sed -i 's|^Prefix = c1/|Prefix = c2/|' "$work/rx.conf"
rm -f "$work/sub.err"
ip netns exec "$ns_rx" "$gen" topics 127.0.0.1 1883 "c2/bench/r/#" "$ntopics" 600000 \
	>"$work/topics.out" 2>"$work/sub.err" &
sub=$!
wait_for 10 'grep -qs subscribed "$work/sub.err"'
ip netns exec "$ns_rx" "$agent" run "$work/rx.conf" 2>>"$work/rx.log" &
rx_pid=$!
wait "$sub"
read -r c_topics c_ms c_span c_dups <"$work/topics.out"
held=$(ip netns exec "$ns_rx" "$gen" topics 127.0.0.1 1883 "c2/bench/r/#" "$ntopics" 1000 2>/dev/null |
	cut -d' ' -f1)
# the first pass began while the topics came in: the second is timed
wait_for 300 '[ "$(stat "$work/state-tx/mtx.status" carousel_passes)" -ge 3 ]'
passes=$(stat "$work/state-tx/mtx.status" carousel_passes)
last_pass=$(stat "$work/state-tx/mtx.status" carousel_last_pass_ms)
stop "$tx_pid" "$rx_pid" "$ot_pid" "$it_pid"

echo "bench: load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s' "$notes"
cat "$work/cpu"
printf '%-28s %4s %12s %10s %8s %10s %10s\n' \
	path QoS "messages/s" delivered lost duplicates "CPU us/msg"
while IFS='|' read -r n q r d l u c; do
	printf '%-28s %4s %12s %10s %8s %10s %10s\n' "$n" "$q" "$r" "$d" "$l" "$u" "$c"
done <"$work/rows"
echo "carousel: $ntopics retained topics of 100 bytes, Rate = 10mbit, CarouselPeriod = $period," \
	"CarouselShare = $share: first copy in $t_first ms; after an rx restart without its state" \
	"$c_topics topics in $c_ms ms ($c_dups duplicates), the IT broker holding $held;" \
	"the tx's last whole pass $last_pass ms ($passes passes)"
