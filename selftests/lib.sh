# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the selftests: KTAP output, namespaces, assertions.
# A test script sources this, defines test_* functions and calls ktap_run.

DIODE_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DIODE_TOP
PATH=$DIODE_TOP/tools/diodectl:$PATH
# Numbered datagrams, checked byte for byte (make tools builds it).
UDPGEN=$DIODE_TOP/tools/udpgen/udpgen

# A debug kernel (make check-debug: KASAN, lockdep) runs 5 to 15 times
# slower under TCG: timeouts that bound a wait, never a measure, scale by
# DIODE_SLOWDOWN.
DIODE_SLOWDOWN=1
[[ $(uname -r) == *-debug ]] && DIODE_SLOWDOWN=10

KSFT_PASS=0 KSFT_FAIL=1 KSFT_SKIP=4
ktap_index=0 ktap_failed=0 ktap_skipped=0

# netns_add NAME: create a namespace for the current test and print its full
# name. Names carry the script's pid, so that tests never touch each other's
# state; all are removed after each test and when the script exits.
netns_add() {
	local name="$1-$$"
	ip netns add "$name" || return 1
	ip -n "$name" link set lo up
	echo "$name"
}

ktap_cleanup() {
	local ns
	for ns in $(ip netns list | awk '{ print $1 }' | grep -- "-$$\$"); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}
trap 'ktap_cleanup; rm -rf "$LINK_KEYS"' EXIT

# fail MESSAGE: the current test fails with MESSAGE (call it as `fail ...`
# inside a test function; tests run under `set -e` in a subshell).
fail() {
	echo "# FAIL: $*" >&2
	exit 1
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# expect_fail CMD...: the command must fail.
expect_fail() {
	if "$@" >/dev/null 2>&1; then fail "expected failure: $*"; fi
}

# The module built for the running kernel must be the one `make modules-all`
# staged into the guest's module tree, so that modprobe and rtnetlink
# autoloading find it.
diode_install_module() {
	local ko=$DIODE_TOP/build/$(uname -r)/kmod/diode.ko
	local staged=/lib/modules/$(uname -r)/updates/diode.ko
	if ! cmp -s "$ko" "$staged"; then
		echo "# $staged is not $ko: run make modules-all" >&2
		return 1
	fi
}

# ktap_run NAME...: run test_NAME for each NAME, each in its own subshell
# under `set -e`, and report KTAP lines.
ktap_run() {
	local name rc
	# DIODE_TESTS="a b" runs only those tests (for development).
	if [ -n "${DIODE_TESTS:-}" ]; then
		set -- $(for name in "$@"; do
			[[ " $DIODE_TESTS " == *" $name "* ]] && echo "$name"; done)
	fi
	echo "TAP version 13"
	echo "1..$#"
	for name in "$@"; do
		ktap_index=$((ktap_index + 1))
		local started=$SECONDS
		(set -e; "test_$name")
		rc=$?
		ktap_cleanup
		echo "# $name took $((SECONDS - started)) s"
		if [ $rc = 0 ]; then
			echo "ok $ktap_index $name"
		elif [ $rc = $KSFT_SKIP ]; then
			echo "ok $ktap_index $name # SKIP"
			ktap_skipped=$((ktap_skipped + 1))
		else
			echo "not ok $ktap_index $name"
			ktap_failed=$((ktap_failed + 1))
		fi
	done
	[ $ktap_failed = 0 ] || exit $KSFT_FAIL
	[ $ktap_skipped -lt $# ] || exit $KSFT_SKIP
	exit $KSFT_PASS
}

# ---- A diode link between two namespaces -------------------------------
#
# diode_link OUTER [INNER_MTU]: namespaces $TX and $RX joined by a veth pair
# (vtx <-> vrx) whose outer addresses are of family OUTER (4 or 6), with
# diode0 in tx mode in $TX and in rx mode in $RX, on fresh keys in $KEYS.
# Inner addresses: $TX_IN4/$RX_IN4 and $TX_IN6/$RX_IN6. As on a real data
# diode, the sender has a permanent neighbour entry for the receiver and
# everything the receiver sends on the link is dropped and counted (see
# link_reverse_packets).
TX_IN4=198.51.100.1 RX_IN4=198.51.100.2
TX_IN6=2001:db8:100::1 RX_IN6=2001:db8:100::2
DIODE_PORT=51555

# A process start costs a test the most in a TCG guest: the link is built
# with batches of ip and tc commands, and with key pairs made once per
# script (each test gets its own copy).
LINK_KEYS=/tmp/diode-keys-$$

diode_link() {
	local outer=$1 tx_out rx_out remote prefix mac
	TX=$(netns_add tx) RX=$(netns_add rx)
	KEYS=$(mktemp -d)
	ip link add vtx netns "$TX" type veth peer name vrx netns "$RX"
	if [ "$outer" = 4 ]; then
		tx_out=192.0.2.1 rx_out=192.0.2.2 prefix=24 remote=192.0.2.2
	else
		tx_out=2001:db8:1::1 rx_out=2001:db8:1::2 prefix=64 remote="[2001:db8:1::2]"
	fi
	local nodad=; [ "$outer" = 6 ] && nodad=nodad
	ip -n "$RX" -b - <<-EOF
		addr add $rx_out/$prefix dev vrx $nodad
		link set vrx arp off
		link set vrx up
	EOF
	mac=$(ip -n "$RX" -br link show vrx | awk '{ print $3 }')
	ip -n "$TX" -b - <<-EOF
		addr add $tx_out/$prefix dev vtx $nodad
		link set vtx up
		neigh replace $rx_out lladdr $mac dev vtx nud permanent
	EOF
	tc -n "$RX" -b - <<-EOF
		qdisc add dev vrx clsact
		filter add dev vrx egress pref 1 protocol ipv6 flower ip_proto icmpv6 action drop
		filter add dev vrx egress pref 2 matchall action drop
	EOF

	umask 077
	if [ ! -e "$LINK_KEYS/rx.pub" ]; then
		mkdir -p "$LINK_KEYS.new"
		diodectl genkey >"$LINK_KEYS.new/tx.key"
		diodectl genkey >"$LINK_KEYS.new/rx.key"
		diodectl pubkey <"$LINK_KEYS.new/tx.key" >"$LINK_KEYS.new/tx.pub"
		diodectl pubkey <"$LINK_KEYS.new/rx.key" >"$LINK_KEYS.new/rx.pub"
		mv "$LINK_KEYS.new" "$LINK_KEYS"
	fi
	cp "$LINK_KEYS"/* "$KEYS/"

	LINK_REMOTE=$remote
	diode_devices
}

# diode_devices: diode0 on both ends of the link diode_link built, configured
# with its keys, addressed and up, once the receiver holds a session.
diode_devices() {
	ip -n "$TX" -b - <<-EOF
		link add diode0 type diode
		addr add $TX_IN4/24 dev diode0
		addr add $TX_IN6/64 dev diode0 nodad
	EOF
	ip -n "$RX" -b - <<-EOF
		link add diode0 type diode
		addr add $RX_IN4/24 dev diode0
		addr add $RX_IN6/64 dev diode0 nodad
	EOF
	ip netns exec "$TX" diodectl set diode0 mode tx private-key "$KEYS/tx.key" \
		peer "$(cat "$KEYS/rx.pub")" remote "$LINK_REMOTE:$DIODE_PORT"
	ip netns exec "$RX" diodectl set diode0 mode rx private-key "$KEYS/rx.key" \
		peer "$(cat "$KEYS/tx.pub")" local "$LINK_REMOTE:$DIODE_PORT"
	ip -n "$RX" link set diode0 up
	ip -n "$TX" link set diode0 up
	wait_rx_sessions 1
}

# diode_stat NS NAME: a counter of diode0 in NS, as `diodectl show` names it.
diode_stat() {
	ip netns exec "$1" diodectl show diode0 statistics |
		awk -v name="$2" '$1 == name { print $2; found = 1 } END { exit !found }'
}

# diode_config NS: the configuration part of `diodectl show diode0` in NS,
# what comes before the sessions and the counters.
diode_config() {
	ip netns exec "$1" diodectl show diode0 | awk '/^  (session|statistics)/ { exit } { print }'
}

# Frames of any kind that the receiver's namespace tried to send on the link.
link_reverse_packets() {
	tc -n "$RX" -s -j filter show dev vrx egress pref 2 |
		python3 -c 'import json, sys
for f in json.load(sys.stdin):
    if "options" in f:
        print(f["options"]["actions"][0]["stats"]["packets"]); break'
}

# wait_rx_sessions N: until the receiver has accepted N sessions in all (5 s).
wait_rx_sessions() {
	local i
	for i in $(seq $((50 * DIODE_SLOWDOWN))); do
		[ "$(diode_stat "$RX" rx_sessions)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "the receiver accepted no session $1 within $((5 * DIODE_SLOWDOWN)) s"
}

# stream SIZE_FAMILY COUNT [PPS]: numbered datagrams from $TX to $RX through
# diode0 (inner family 4 or 6); fails unless each arrives exactly once. With
# STREAM_CPU set the sender runs on that CPU only, so that its frames leave
# from one queue, in order.
stream() {
	local family=$1 count=$2 pps=${3:-0} dst max ready pin=()
	[ -n "${STREAM_CPU:-}" ] && pin=(taskset -c "$STREAM_CPU")
	if [ "$family" = 4 ]; then dst=$RX_IN4; max=$(( $(mtu_of) - 28 )); else dst=$RX_IN6; max=$(( $(mtu_of) - 48 )); fi
	ready=$KEYS/ready.$$
	rm -f "$ready"
	# the receiver waits for the whole stream: its nominal length and a
	# minute, stretched as a debug kernel stretches the sender
	ip netns exec "$RX" "$UDPGEN" recv "$dst" 7000 \
		--count "$count" --max-size "$max" --ready "$ready" --idle $((4 * DIODE_SLOWDOWN)) \
		--timeout $(( (pps > 0 ? count / pps + 60 : 120) * DIODE_SLOWDOWN )) \
		>"$KEYS/recv.json" &
	local rpid=$!
	wait_for_file "$ready" "the receiver of the stream"
	ip netns exec "$TX" "${pin[@]}" "$UDPGEN" send "$dst" 7000 \
		--count "$count" --max-size "$max" --pps "$pps"
	if ! wait "$rpid"; then
		stream_counters
		fail "datagrams not delivered exactly once: $(cat "$KEYS/recv.json")"
	fi
	echo "# $(cat "$KEYS/recv.json")"
}

# Where a stream's datagrams went: each end's nonzero counters and the
# receiving namespace's UDP errors (a receiver too slow to read).
stream_counters() {
	local ns
	for ns in "$TX" "$RX"; do
		echo "# $ns: $(ip netns exec "$ns" diodectl show diode0 --json | python3 -c '
import json, sys
stats = json.load(sys.stdin)[0]["stats"]
print(" ".join(f"{k}={v}" for k, v in stats.items() if v))')"
	done
	echo "# $RX: $(ip netns exec "$RX" nstat -az UdpRcvbufErrors UdpInErrors Udp6RcvbufErrors Udp6InErrors |
		awk 'NR > 1 { printf "%s=%s ", $1, $2 }')"
}

# wait_for_file FILE WHO: until FILE exists, which WHO creates once it is
# ready (10 s, for a slow guest); the test fails if it never does.
wait_for_file() {
	local i
	for i in $(seq $((100 * DIODE_SLOWDOWN))); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	fail "$2 was not ready within $((10 * DIODE_SLOWDOWN)) s ($1 missing)"
}

mtu_of() {
	ip netns exec "$TX" cat /sys/class/net/diode0/mtu
}

# capture_start IFACE NS [PCAP [FILTER]]: record IFACE in NS into PCAP
# (default $KEYS/cap.pcap), only what FILTER passes (default: the link's
# frames); capture_stop ends every capture started.
CAPTURES=()
capture_start() {
	local pcap=${3:-$KEYS/cap.pcap} i
	ip netns exec "$2" tcpdump -i "$1" --immediate-mode -U -B 16384 -s 0 -w "$pcap" \
		"${4:-udp port $DIODE_PORT}" 2>"$pcap.log" &
	CAPTURES+=($!)
	for i in $(seq $((100 * DIODE_SLOWDOWN))); do
		grep -q "listening on" "$pcap.log" && return 0
		sleep 0.1
	done
	fail "tcpdump did not start on $1"
}

capture_stop() {
	local pid
	sleep 0.5
	for pid in "${CAPTURES[@]}"; do
		kill "$pid"
		wait "$pid" 2>/dev/null || true
	done
	CAPTURES=()
}
