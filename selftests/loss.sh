#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Surviving a lossy one-way link: forward error correction recovers exactly
# the frames the link lost, also when a group needs all its parity or
# parity overtakes the frames it covers, corrupted parity never produces a
# packet, losses are counted exactly, repetition is suppressed, heartbeats
# drive the receiver's carrier, the pacer holds its rate, and Ethernet
# encapsulation works with no IP address on the link.
source "$(dirname "$0")/lib.sh"

diode_install_module || exit $KSFT_FAIL
sysctl -qw net.core.rmem_max=33554432

# Frame type bytes (version 1 in the high nibble): the first byte of the UDP
# payload, 64 bits into the transport header for nft.
TYPE_DATA=0x11 TYPE_PARITY=0x14
# The receiver's outer address in diode_link 4.
RX_OUT4=192.0.2.2

# link_for_loss: a link as diode_link 4 makes, without IPv6 on the sender's
# diode0, so that only the test's own datagrams become DATA frames (no
# neighbour discovery or MLD reports in between to skew frame counts).
link_for_loss() {
	diode_link 4
	ip netns exec "$TX" sysctl -qw net.ipv6.conf.diode0.disable_ipv6=1
}

# tx_set ARGS...: a diodectl command on the sender that starts a new session;
# waits until the receiver has it.
tx_set() {
	local sessions
	sessions=$(diode_stat "$RX" rx_sessions)
	ip netns exec "$TX" diodectl "$@"
	wait_rx_sessions $((sessions + 1))
}

# drop_frames NS CHAIN TYPE EXPR: an nft rule in NS that drops the frames of
# TYPE (a type byte) for which EXPR holds, and counts them.
drop_frames() {
	local ns=$1 hook=$2 type=$3
	shift 3
	ip netns exec "$ns" nft list table inet loss >/dev/null 2>&1 ||
		ip netns exec "$ns" nft -f - <<-EOF
		table inet loss {
			chain output { type filter hook output priority 0; }
			chain input { type filter hook input priority 0; }
		}
		EOF
	ip netns exec "$ns" nft add rule inet loss "$hook" udp dport "$DIODE_PORT" \
		@th,64,8 "$type" "$@" counter drop
}

# dropped NS: packets dropped by the rules of drop_frames in NS.
dropped() {
	ip netns exec "$1" nft list table inet loss |
		awk '{ for (i = 1; i < NF; i++) if ($i == "counter" && $(i + 1) == "packets") n += $(i + 2) }
			END { print n + 0 }'
}

# send_lossy COUNT: like stream 4 COUNT, for a link that may lose some.
send_lossy() {
	local ready=$KEYS/ready.$$
	rm -f "$ready"
	ip netns exec "$RX" "$UDPGEN" recv "$RX_IN4" 7000 \
		--count "$1" --max-size 1000 --ready "$ready" --idle 3 --timeout $((120 * DIODE_SLOWDOWN)) \
		>"$KEYS/recv.json" &
	local rpid=$!
	wait_for_file "$ready" "the receiver of the datagrams"
	ip netns exec "$TX" "$UDPGEN" send "$RX_IN4" 7000 \
		--count "$1" --max-size 1000
	wait "$rpid" || true
	echo "# $(cat "$KEYS/recv.json")"
}

# summary_field NAME: a field of the last udpgen receiver's summary.
summary_field() {
	sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" "$KEYS/recv.json"
}

# expect_fec_repairs LEAST FEC-WORDS -- RULE...: with the sender's FEC set by
# FEC-WORDS and the DATA frames matching RULE lost on the link (at least
# LEAST of them), every datagram arrives and every lost frame is recovered
# (besides any frame rebuilt because it came late, counted as a duplicate
# when it does come).
expect_fec_repairs() {
	local least=$1 words=()
	shift
	while [ "$1" != -- ]; do words+=("$1"); shift; done
	shift
	link_for_loss
	tx_set set diode0 "${words[@]}"
	drop_frames "$TX" output "$TYPE_DATA" "$@"
	local dup0 lost recovered late
	dup0=$(diode_stat "$RX" rx_duplicate)
	# From one CPU: a sender moving between CPUs sends from two queues, and
	# on a loaded host frames then overtake each other by more than the
	# receiver holds (fec_repairs_when_parity_comes_first covers overtaking).
	STREAM_CPU=0 stream 4 1000
	lost=$(dropped "$TX")
	recovered=$(diode_stat "$RX" rx_recovered)
	# A frame rebuilt because it was late, not lost, arrives once more.
	late=$(( $(diode_stat "$RX" rx_duplicate) - dup0 ))
	[ "$lost" -ge "$least" ] || fail "only $lost frames dropped on the link"
	expect_eq "frames recovered, less those that came late" "$lost" \
		"$(( recovered - late ))"
	expect_eq "frames counted lost" 0 "$(diode_stat "$RX" rx_lost)"
	echo "# $lost frames lost on the link, $recovered recovered ($late were late)"
}

test_fec_recovers_lost_frames() {
	# One DATA frame in ten never arrives: each group of 8 loses at most one.
	expect_fec_repairs 100 fec 8/2 interleave 1 -- numgen inc mod 10 == 0
}

test_fec_interleaving_spreads_bursts() {
	# Bursts of 4 consecutive DATA frames: more than 2 parities can repair
	# in one group, but interleaved over 4 groups each loses one.
	expect_fec_repairs 60 fec 8/2 interleave 4 -- numgen inc mod 64 "<" 4
}

test_fec_repairs_with_every_parity() {
	# Two DATA frames in eight never arrive: every group of 8 loses two and
	# needs both its parities, so the receiver keeps the first until the
	# second comes.
	expect_fec_repairs 200 fec 8/2 interleave 1 -- numgen inc mod 8 "<" 2
}

test_fec_repairs_when_parity_comes_first() {
	# DATA frames wait 20 ms on the sender's side of the link, PARITY frames
	# do not: at 200 frames a second a group's parity overtakes its last four
	# members. One DATA frame in ten never arrives; its group is repaired
	# once enough of the late members are in. A repair may rebuild a member
	# that was only late, which then arrives as a duplicate.
	link_for_loss
	tx_set set diode0 fec 8/2 interleave 1
	drop_frames "$TX" output "$TYPE_DATA" numgen inc mod 10 == 0
	tc -n "$TX" qdisc add dev vtx root handle 1: prio bands 2 \
		priomap 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
	tc -n "$TX" qdisc add dev vtx parent 1:1 handle 10: netem delay 20ms
	# The type byte: 28 bytes into an IPv4 packet with a 20-byte header.
	tc -n "$TX" filter add dev vtx parent 1: protocol ip u32 \
		match u8 "$TYPE_DATA" 0xff at 28 flowid 1:1
	local dup0
	dup0=$(diode_stat "$RX" rx_duplicate)
	STREAM_CPU=0 stream 4 300 200
	local lost delayed recovered late
	lost=$(dropped "$TX")
	delayed=$(tc -n "$TX" -s qdisc show dev vtx handle 10: | awk '$1 == "Sent" { print $4 }')
	[ "$lost" -ge 25 ] || fail "only $lost frames dropped on the link"
	[ "$delayed" -ge 250 ] || fail "only $delayed DATA frames went through the delay"
	recovered=$(diode_stat "$RX" rx_recovered)
	late=$(( $(diode_stat "$RX" rx_duplicate) - dup0 ))
	expect_eq "frames recovered, less those that came late" "$lost" \
		"$(( recovered - late ))"
	expect_eq "frames counted lost" 0 "$(diode_stat "$RX" rx_lost)"
	echo "# $lost frames lost, all recovered after their parity; $late late frames rebuilt too"
}

test_corrupted_parity_is_dropped() {
	link_for_loss
	# No heartbeat during the test: one would close a group early and add
	# parity frames of its own (seen on a loaded host).
	tx_set set diode0 fec 4/2 interleave 1 heartbeat-interval 60000
	# The receiver's side of the link loses every PARITY frame and the
	# second DATA frame of each group of 4; the capture, taken before
	# netfilter, keeps them all.
	drop_frames "$RX" input "$TYPE_PARITY"
	drop_frames "$RX" input "$TYPE_DATA" numgen inc mod 4 == 1
	local rx0
	rx0=$(diode_stat "$RX" rx_packets)
	capture_start vrx "$RX"
	# 7 small datagrams and 1 numbered one: 8 DATA frames, 2 groups.
	ip netns exec "$TX" "$UDPGEN" send "$RX_IN4" 7000 \
		--count 1 --max-size 100
	sleep 1
	capture_stop
	local delivered parity
	delivered=$(( $(diode_stat "$RX" rx_packets) - rx0 ))
	expect_eq "DATA frames dropped" 2 "$(ip netns exec "$RX" nft list chain inet loss input |
		awk '/numgen/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')"
	expect_eq "packets delivered without parity" 6 "$delivered"
	mapfile -t parity < <(python3 "$DIODE_TOP/selftests/wire.py" frames "$KEYS/cap.pcap" \
		--type parity | awk '{ print $4 }')
	expect_eq "parity frames captured" 4 "${#parity[@]}"

	ip netns exec "$RX" nft flush table inet loss
	local unauthentic sent
	unauthentic=$(diode_stat "$RX" rx_unauthentic)
	sent=$(ip netns exec "$TX" python3 "$DIODE_TOP/selftests/wire.py" send "$RX_OUT4" \
		"$DIODE_PORT" "${parity[@]}" --flip-bits)
	sleep 1
	expect_eq "packets delivered after corrupted parity" "$delivered" \
		"$(( $(diode_stat "$RX" rx_packets) - rx0 ))"
	expect_eq "frames recovered from corrupted parity" 0 "$(diode_stat "$RX" rx_recovered)"
	expect_eq "bad inner packets" 0 "$(diode_stat "$RX" rx_bad_inner)"
	[ "$(diode_stat "$RX" rx_unauthentic)" -gt "$unauthentic" ] ||
		fail "no corrupted parity frame counted unauthentic"
	echo "# $sent corrupted parity frames: none produced a packet"

	# The genuine parity still repairs both groups.
	ip netns exec "$TX" python3 "$DIODE_TOP/selftests/wire.py" send "$RX_OUT4" \
		"$DIODE_PORT" "${parity[@]}" >/dev/null
	sleep 1
	expect_eq "frames recovered from genuine parity" 2 "$(diode_stat "$RX" rx_recovered)"
	expect_eq "packets delivered in the end" 8 "$(( $(diode_stat "$RX" rx_packets) - rx0 ))"
}

# An attacker on the link sees each DATA frame's tag and counter in clear and
# answers every one with forged frames whose counters fall on the same places
# of the receiver's FEC store (2 (K + M) D = 40 frames, rounded up to 64,
# here). Forged frames must never take the place of authentic ones: one DATA
# frame in 33 is lost, and every one is still repaired.
test_forged_data_cannot_evict_fec_members() {
	link_for_loss
	tx_set set diode0 fec 16/4 interleave 1
	drop_frames "$TX" output "$TYPE_DATA" numgen inc mod 33 == 0
	ip netns exec "$RX" python3 "$DIODE_TOP/selftests/wire.py" shadow vrx "$RX_OUT4" \
		"$DIODE_PORT" --offset 64 128 --seconds 30 >"$KEYS/forged" &
	local shadow=$! unauth0 dup0
	unauth0=$(diode_stat "$RX" rx_unauthentic)
	dup0=$(diode_stat "$RX" rx_duplicate)
	sleep 1
	STREAM_CPU=0 stream 4 1000 200
	kill "$shadow" 2>/dev/null || true
	wait "$shadow" 2>/dev/null || true
	local lost recovered late forged
	lost=$(dropped "$TX")
	recovered=$(diode_stat "$RX" rx_recovered)
	late=$(( $(diode_stat "$RX" rx_duplicate) - dup0 ))
	forged=$(( $(diode_stat "$RX" rx_unauthentic) - unauth0 ))
	[ "$lost" -ge 25 ] || fail "only $lost frames dropped on the link"
	# Two forged frames answer each DATA frame, about 2 000 on an idle host; a
	# shadow starved by other guests sends fewer, and 500 still reach most of
	# the 63 FEC groups.
	[ "$forged" -ge 500 ] || fail "only $forged forged frames reached the receiver"
	# A forged frame that arrives after its counter was delivered is
	# refused as a duplicate before any decryption, so on a slow host the
	# duplicates hold more than the originals that came after their rebuild.
	[ "$recovered" -ge "$lost" ] || fail "$lost frames lost, only $recovered recovered"
	[ $((recovered - lost)) -le "$late" ] ||
		fail "$recovered recovered for $lost lost and $late late: rebuilt frames never sent"
	echo "# $forged forged frames on the live tag; $lost frames lost, all $recovered recovered"
}

# A sender's session replaced outside rekeying (reset-sessions, a change of
# keys or settings) gives the frames of its open FEC groups their parity, as
# a rekey does: no heartbeat of that session would.
test_fec_flushed_when_session_replaced() {
	link_for_loss
	tx_set set diode0 fec 8/2 interleave 1 heartbeat-interval 60000
	# 10 DATA frames (udpgen's 7 small datagrams first): the 9th is lost,
	# in a group that the 10th leaves open.
	drop_frames "$TX" output "$TYPE_DATA" numgen inc mod 1000 == 8
	local ready=$KEYS/ready.$$ rec0
	rec0=$(diode_stat "$RX" rx_recovered)
	ip netns exec "$RX" "$UDPGEN" recv "$RX_IN4" 7000 \
		--count 3 --max-size 200 --ready "$ready" --idle 15 >"$KEYS/recv.json" &
	local rpid=$!
	wait_for_file "$ready" "the receiver of the datagrams"
	ip netns exec "$TX" "$UDPGEN" send "$RX_IN4" 7000 \
		--count 3 --max-size 200
	sleep 0.5
	# The receiver waits 15 s for the last datagram: the checks below take
	# seconds on a loaded machine.
	expect_eq "DATA frames dropped" 1 "$(dropped "$TX")"
	tx_set reset-sessions diode0
	wait "$rpid" || fail "the lost frame was not repaired: $(cat "$KEYS/recv.json")"
	expect_eq "frames recovered" $((rec0 + 1)) "$(diode_stat "$RX" rx_recovered)"
}

test_lost_frames_counted_exactly() {
	link_for_loss
	# The window is a session's: the next one has the small window.
	ip netns exec "$RX" diodectl set diode0 replay-window 64
	local unknown0
	unknown0=$(diode_stat "$RX" rx_unknown_session)
	tx_set reset-sessions diode0
	drop_frames "$TX" output "$TYPE_DATA" numgen inc mod 10 == 3
	send_lossy 1000
	local lost missing
	lost=$(dropped "$TX")
	missing=$(summary_field missing)
	expect_eq "datagrams missing (= frames the link lost)" "$lost" "$missing"
	# Later frames push every counter of the stream out of the window.
	ip netns exec "$TX" nft flush table inet loss
	stream 4 100
	# Lost as well: a frame that came after its counter left the window (a
	# heartbeat sealed late, say), dropped as replayed; and the session's
	# first frames if they overtook its ANNOUNCE, which the receiver derives
	# keys for in a worker.
	local late early
	late=$(diode_stat "$RX" rx_replayed)
	early=$(( $(diode_stat "$RX" rx_unknown_session) - unknown0 ))
	expect_eq "frames counted lost (link losses + $late late + $early early)" \
		$((lost + late + early)) "$(diode_stat "$RX" rx_lost)"
	echo "# $lost frames lost on the link, $late late, $early early, $(diode_stat "$RX" rx_lost) counted lost"
}

test_repetition_suppressed() {
	link_for_loss
	tx_set set diode0 redundancy 3
	stream 4 300
	sleep 1.5
	# Every frame went out 3 times; every copy that arrived is suppressed.
	local dups repeats
	dups=$(diode_stat "$RX" rx_duplicate)
	repeats=$(diode_stat "$TX" tx_repeats)
	[ "$repeats" -ge $((2 * 307)) ] || fail "only $repeats copies sent for 307 frames"
	[ "$dups" -ge $((2 * 307)) ] || fail "only $dups duplicates suppressed for 307 frames"
	echo "# $repeats copies sent, $dups duplicates suppressed"
}

carrier_of() {
	ip netns exec "$1" cat /sys/class/net/diode0/carrier
}

# carrier_watch NS: in NS, wait for $KEYS/go, then print how many ms
# diode0's carrier took to go down after it, and then, after $KEYS/go2, to
# come back. One process polls the file, so that the times do not include
# starting commands on a slow machine.
carrier_watch() {
	ip netns exec "$1" python3 -c '
import os, sys, time
def carrier():
    with open("/sys/class/net/diode0/carrier") as f:
        return f.read().strip()
def wait(path, value, limit):
    while not os.path.exists(path):
        time.sleep(0.01)
    start = time.monotonic()
    while carrier() != value:
        if time.monotonic() - start > limit:
            print(-1, flush=True)
            return
        time.sleep(0.01)
    print(int((time.monotonic() - start) * 1000), flush=True)
wait(sys.argv[1] + "/go", "0", 30)
wait(sys.argv[1] + "/go2", "1", 30)' "$KEYS"
}

test_carrier_follows_heartbeats() {
	link_for_loss
	ip netns exec "$RX" diodectl monitor diode0 >"$KEYS/monitor.log" &
	local monitor=$! down up changes
	carrier_watch "$RX" >"$KEYS/carrier.log" &
	local watch=$!
	sleep 1
	expect_eq "receiver carrier while frames arrive" 1 "$(carrier_of "$RX")"
	changes=$(diode_stat "$RX" rx_carrier_changes)
	touch "$KEYS/go"
	ip -n "$TX" link set diode0 down
	while [ "$(wc -l <"$KEYS/carrier.log")" -lt 1 ]; do sleep 0.2; done
	ip -n "$RX" link show diode0 | grep -q NO-CARRIER || fail "ip link does not show NO-CARRIER"
	ip -n "$TX" link set diode0 up
	touch "$KEYS/go2"
	wait "$watch"
	down=$(sed -n 1p "$KEYS/carrier.log") up=$(sed -n 2p "$KEYS/carrier.log")
	# Heartbeats every second: carrier must go within 3.5 intervals.
	[ "$down" -ge 0 ] || fail "carrier still up 30 s after the sender stopped"
	[ "$down" -le 3500 ] || fail "carrier went down after $down ms, more than 3.5 intervals"
	[ "$up" -ge 0 ] || fail "carrier not back 30 s after the sender came back"
	expect_eq "carrier changes" $((changes + 2)) "$(diode_stat "$RX" rx_carrier_changes)"
	sleep 0.5
	kill "$monitor"
	wait "$monitor" || true
	expect_eq "monitor events" "diode0: carrier off|diode0: carrier on" \
		"$(paste -sd'|' "$KEYS/monitor.log")"
	echo "# carrier down ${down} ms after the sender stopped, up ${up} ms after it came back"
}

test_pacing_holds_rate() {
	link_for_loss
	ip netns exec "$TX" diodectl set diode0 rate 1mbit
	local bytes0 start elapsed bits
	bytes0=$(ip netns exec "$TX" cat /sys/class/net/vtx/statistics/tx_bytes)
	start=$(date +%s%N)
	stream 4 1000
	elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
	bits=$(( ($(ip netns exec "$TX" cat /sys/class/net/vtx/statistics/tx_bytes) - bytes0) * 8 ))
	# The pacer lets 64 KiB go at once; the rest takes its time at 1 Mbit/s
	# (Ethernet headers are not part of the rate, hence the 10 % margin).
	# Slowness of the machine only adds time: the bound cannot flake.
	local least=$(( (bits - 65536 * 8) * 9 / 10 / 1000 ))
	[ "$elapsed" -ge "$least" ] ||
		fail "$bits bits arrived in $elapsed ms: faster than 1 Mbit/s allows ($least ms)"
	expect_eq "frames dropped by the pacer" 0 "$(diode_stat "$TX" tx_pacing_dropped)"
	echo "# $bits bits in $elapsed ms (at least $least ms at 1 Mbit/s)"
}

# eth_link: TX and RX joined by a veth pair with no IP address at all, diode0
# on Ethernet encapsulation over it.
eth_link() {
	TX=$(netns_add tx) RX=$(netns_add rx)
	KEYS=$(mktemp -d)
	ip link add vtx netns "$TX" type veth peer name vrx netns "$RX"
	ip netns exec "$TX" sysctl -qw net.ipv6.conf.vtx.disable_ipv6=1
	ip netns exec "$RX" sysctl -qw net.ipv6.conf.vrx.disable_ipv6=1
	ip -n "$TX" link set vtx up
	ip -n "$RX" link set vrx up
	umask 077
	diodectl genkey >"$KEYS/tx.key"
	diodectl genkey >"$KEYS/rx.key"
	diodectl pubkey <"$KEYS/tx.key" >"$KEYS/tx.pub"
	diodectl pubkey <"$KEYS/rx.key" >"$KEYS/rx.pub"
	ip -n "$TX" link add diode0 type diode
	ip -n "$RX" link add diode0 type diode
	ip netns exec "$TX" diodectl set diode0 mode tx private-key "$KEYS/tx.key" \
		peer "$(cat "$KEYS/rx.pub")" encap eth lower vtx
	ip netns exec "$RX" diodectl set diode0 mode rx private-key "$KEYS/rx.key" \
		peer "$(cat "$KEYS/tx.pub")" encap eth lower vrx
	ip -n "$TX" addr add "$TX_IN4/24" dev diode0
	ip -n "$RX" addr add "$RX_IN4/24" dev diode0
	ip -n "$RX" link set diode0 up
	ip -n "$TX" link set diode0 up
	wait_rx_sessions 1
}

test_encap_eth_without_ip() {
	eth_link
	stream 4 1000
	expect_eq "addresses on the link" "" \
		"$(ip -n "$TX" -o addr show dev vtx; ip -n "$RX" -o addr show dev vrx)"
	expect_eq "neighbour entries" "" "$(ip -n "$TX" neigh show; ip -n "$RX" neigh show)"
	expect_eq "diode0 MTU on a 1500-byte link" 1472 "$(ip netns exec "$RX" cat /sys/class/net/diode0/mtu)"
	# diode0 follows its lower device's MTU.
	ip -n "$RX" link set vrx mtu 1400
	expect_eq "diode0 MTU on a 1400-byte link" 1372 "$(ip netns exec "$RX" cat /sys/class/net/diode0/mtu)"
	# And goes down with it when it disappears, without a crash.
	ip -n "$TX" link del vtx
	expect_eq "sender state without its lower device" DOWN \
		"$(ip -n "$TX" -br link show diode0 | awk '{ print $2 }')"
}

ktap_run fec_recovers_lost_frames fec_interleaving_spreads_bursts \
	fec_repairs_with_every_parity fec_repairs_when_parity_comes_first corrupted_parity_is_dropped \
	forged_data_cannot_evict_fec_members fec_flushed_when_session_replaced \
	lost_frames_counted_exactly repetition_suppressed carrier_follows_heartbeats pacing_holds_rate \
	encap_eth_without_ip
