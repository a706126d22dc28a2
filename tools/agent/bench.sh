#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The gateway benchmark (docs/agents.md): COUNT syslog messages of 200
# bytes from loadgen over one TCP connection, octet counted, through
#   1. the agent pair: tx agent -> veth (nothing goes back) -> rx agent ->
#      a TCP collector (loadgen sink);
#   2. rsyslog forwarding over UDP on the same path: rsyslogd (imtcp,
#      omfwd udp) -> veth -> rsyslogd (imudp, omfwd tcp octet counted) ->
#      the same sink.
# Prints messages/s from the sink's first message to its last, and what was
# lost. Not a test: numbers depend on the machine.
#
#   bench.sh [COUNT]      COUNT defaults to 500000; run as root
set -u
here=$(cd "$(dirname "$0")" && pwd)
agent=$here/diode-agent lg=$here/loadgen
count=${1:-500000}
work=$(mktemp -d /tmp/diode-agent-bench.XXXXXX)
ns_tx=dab-tx-$$ ns_rx=dab-rx-$$

source "$here/ns_lib.sh"
trap 'ns_end "$ns_tx" "$ns_rx"; rm -rf "$work"' EXIT
wait_for() {
	local i
	for i in $(seq 200); do eval "$1" && return 0; sleep 0.05; done
	echo "bench: timed out: $1" >&2; exit 1
}
listening() { ip netns exec "$1" ss -ltn | grep -q "$2"; }

ns_link "$ns_tx" "$ns_rx" dab 10.78.0 || exit 1

# sink_run: the sink's "count ms" after loadgen sent COUNT into 127.0.0.1:1514
sink_run() {
	ip netns exec "$ns_rx" "$lg" sink 10514 "$count" 3000 >"$work/sink" &
	local sink=$!
	wait_for 'listening "$ns_rx" 127.0.0.1:10514'
	"$@"
	wait_for 'listening "$ns_tx" 127.0.0.1:1514'
	ip netns exec "$ns_tx" "$lg" send 127.0.0.1 1514 "$count" 200
	wait "$sink"
	cat "$work/sink"
}

start_agents() {
	mkdir -p "$work/state"
	cat >"$work/tx.conf" <<-EOF
	[Channel]
	Name = btx
	Role = tx
	Protocol = syslog
	Id = 1
	StateDir = $work/state
	[Transport]
	Remote = 10.78.0.2:5140
	[Syslog]
	ListenTCP = 127.0.0.1:1514
	EOF
	cat >"$work/rx.conf" <<-EOF
	[Channel]
	Name = brx
	Role = rx
	Protocol = syslog
	Id = 1
	StateDir = $work/state
	[Transport]
	Local = 10.78.0.2:5140
	[Syslog]
	Collector = tcp:127.0.0.1:10514
	EOF
	ip netns exec "$ns_rx" "$agent" run "$work/rx.conf" 2>>"$work/agent.log" &
	ip netns exec "$ns_tx" "$agent" run "$work/tx.conf" 2>>"$work/agent.log" &
}

start_rsyslog() {
	mkdir -p "$work/rs-tx" "$work/rs-rx"
	cat >"$work/rs-tx/rsyslog.conf" <<-EOF
	global(workDirectory="$work/rs-tx")
	module(load="imtcp")
	input(type="imtcp" address="127.0.0.1" port="1514")
	action(type="omfwd" target="10.78.0.2" port="5140" protocol="udp")
	EOF
	cat >"$work/rs-rx/rsyslog.conf" <<-EOF
	global(workDirectory="$work/rs-rx")
	module(load="imudp")
	input(type="imudp" address="10.78.0.2" port="5140")
	action(type="omfwd" target="127.0.0.1" port="10514" protocol="tcp" TCP_Framing="octet-counted")
	EOF
	ip netns exec "$ns_rx" rsyslogd -n -f "$work/rs-rx/rsyslog.conf" -i "$work/rs-rx/pid" 2>>"$work/rsyslog.log" &
	ip netns exec "$ns_tx" rsyslogd -n -f "$work/rs-tx/rsyslog.conf" -i "$work/rs-tx/pid" 2>>"$work/rsyslog.log" &
	wait_for 'ip netns exec "$ns_rx" ss -lun | grep -q 10.78.0.2:5140'
}

stop_ns() {
	local ns=$1 p
	for p in $(ip netns pids "$ns"); do kill "$p" 2>/dev/null; done
	for p in $(ip netns pids "$ns"); do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
}

echo "bench: $count messages of 200 bytes, one TCP sender, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
read -r a_got a_ms < <(sink_run start_agents)
stop_ns "$ns_tx"; stop_ns "$ns_rx"
lost=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lost"])' "$work/state/brx.status")
read -r r_got r_ms < <(sink_run start_rsyslog)
stop_ns "$ns_tx"; stop_ns "$ns_rx"
rate() { [ "$2" -gt 0 ] && echo $(($1 * 1000 / $2)) || echo 0; }
printf '%-28s %12s %10s %10s\n' path "messages/s" delivered missing
printf '%-28s %12s %10s %10s\n' "diode-agent pair (tx, rx)" "$(rate "$a_got" "$a_ms")" "$a_got" "$((count - a_got))"
printf '%-28s %12s %10s %10s\n' "rsyslog, omfwd udp" "$(rate "$r_got" "$r_ms")" "$r_got" "$((count - r_got))"
echo "bench: the rx agent counted $lost lost; the sink counts loadgen's messages only"
