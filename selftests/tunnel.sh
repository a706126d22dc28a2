#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The encrypted one-way tunnel end to end: delivery exactly once in every
# address family combination, tampering, replays, duplication, reordering,
# wrong keys and sender restarts.
source "$(dirname "$0")/lib.sh"

diode_install_module || exit $KSFT_FAIL
sysctl -qw net.core.rmem_max=33554432

# Counters the receiver drops a frame under; each dropped frame is one of them.
RX_DROPS="rx_malformed rx_unknown_session rx_unauthentic rx_replayed rx_duplicate rx_bad_inner rx_stale_session rx_dropped"

rx_drops() {
	local name sum=0
	for name in $RX_DROPS; do
		sum=$((sum + $(diode_stat "$RX" "$name")))
	done
	echo "$sum"
}

expect_no_reverse_traffic() {
	expect_eq "packets the receiver sent on the link" 0 "$(link_reverse_packets)"
}

# No (session, counter) pair appears twice in the capture.
expect_unique_pairs() {
	local summary
	summary=$(python3 "$DIODE_TOP/selftests/wire.py" unique "$KEYS/cap.pcap") ||
		fail "a (session, counter) pair was sent twice: $summary"
	echo "# $summary"
}

test_stream_ipv4_in_ipv6() {
	diode_link 6
	stream 4 10000
	expect_no_reverse_traffic
}

test_stream_ipv6_in_ipv4() {
	diode_link 4
	stream 6 10000
	expect_no_reverse_traffic
}

std_counter() {
	ip netns exec "$1" cat "/sys/class/net/diode0/statistics/$2"
}

# tx frames as diode counts them: every frame sent, of every type.
tx_frames() {
	ip netns exec "$TX" diodectl show diode0 statistics |
		awk '$1 ~ /^tx_(packets|announces|heartbeats|parity|repeats)$/ { n += $2; found++ }
			END { if (found != 5) exit 1; print n }'
}

# GRO is off by default; turned on, delivery goes through the GRO cells.
test_stream_with_gro_on() {
	diode_link 4
	ip netns exec "$RX" ethtool -K diode0 gro on
	stream 4 2000
	expect_no_reverse_traffic
}

test_stream_ipv4_in_ipv4() {
	diode_link 4
	stream 4 2000
	expect_no_reverse_traffic
	# The standard counters (ip -s link) agree with diode's own: a receiver
	# counts inner packets, a sender the frames it sent (DATA and ANNOUNCE).
	# The sender's own packets (ANNOUNCE every second, IPv6 neighbour
	# discovery) keep flowing: each diode count must lie between two
	# readings of the standard counter taken around it.
	local before count after
	before=$(std_counter "$RX" rx_packets) count=$(diode_stat "$RX" rx_packets)
	after=$(std_counter "$RX" rx_packets)
	[ "$before" -le "$count" ] && [ "$count" -le "$after" ] ||
		fail "rx_packets: diode counts $count, ip -s link went from $before to $after"
	before=$(std_counter "$TX" tx_packets) count=$(tx_frames)
	after=$(std_counter "$TX" tx_packets)
	[ "$before" -le "$count" ] && [ "$count" -le "$after" ] ||
		fail "tx_packets: diode counts $count frames, ip -s link went from $before to $after"
	[ "$(diode_stat "$RX" rx_packets)" -ge 2007 ] || fail "fewer packets counted than delivered"
}

test_stream_ipv6_in_ipv6() {
	diode_link 6
	stream 6 2000
	expect_no_reverse_traffic
}

# listen_for_datagrams, then expect_no_datagram: no UDP datagram reached the
# test port of the receiver's namespace in between. The listener counts until
# told to stop and only then writes its count, so that a slow guest cannot
# leave the count unwritten.
listen_for_datagrams() {
	rm -f "$KEYS/listening" "$KEYS/heard" "$KEYS/stop-listening"
	ip netns exec "$RX" python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 7000)); s.settimeout(0.2)
open(sys.argv[2], "w").close()
n = 0
while not os.path.exists(sys.argv[4]):
    try:
        s.recv(65536); n += 1
    except socket.timeout:
        pass
with open(sys.argv[3], "w") as f: f.write(str(n))' \
		"$RX_IN4" "$KEYS/listening" "$KEYS/heard" "$KEYS/stop-listening" &
	LISTENER=$!
	wait_for_file "$KEYS/listening" "the listener"
}

expect_no_datagram() {
	sleep 0.6
	touch "$KEYS/stop-listening"
	wait "$LISTENER" || fail "the listener failed"
	expect_eq "datagrams delivered to the application" 0 "$(cat "$KEYS/heard")"
}

test_bit_flips() {
	diode_link 4
	capture_start vtx "$TX"
	stream 4 20
	capture_stop
	local frame drops0 sent
	frame=$(python3 "$DIODE_TOP/selftests/wire.py" frames "$KEYS/cap.pcap" --type data |
		sort -k4 | awk '{ print length($4), $4 }' | sort -n | awk 'NR == 1 { print $2 }')
	[ -n "$frame" ] || fail "no data frame captured"
	drops0=$(rx_drops)
	listen_for_datagrams
	sent=$(ip netns exec "$TX" python3 "$DIODE_TOP/selftests/wire.py" send 192.0.2.2 \
		"$DIODE_PORT" "$frame" --flip-bits)
	sleep 1
	expect_no_datagram
	expect_eq "frames dropped and counted" "$sent" $(( $(rx_drops) - drops0 ))
	echo "# $sent frames with one bit flipped: all dropped"
}

test_replayed_frames() {
	diode_link 4
	capture_start vtx "$TX"
	stream 4 50
	capture_stop
	local frames dup0 n
	frames=$(python3 "$DIODE_TOP/selftests/wire.py" frames "$KEYS/cap.pcap" --type data | awk '{ print $4 }')
	n=$(echo "$frames" | wc -l)
	# tcpdump may miss some under load; every frame it kept is replayed.
	[ "$n" -ge 20 ] || fail "captured only $n data frames"
	dup0=$(diode_stat "$RX" rx_duplicate)
	listen_for_datagrams
	ip netns exec "$TX" python3 "$DIODE_TOP/selftests/wire.py" send 192.0.2.2 \
		"$DIODE_PORT" $frames --times 2 >/dev/null
	# a slow guest may still be authenticating them
	local i
	for i in $(seq $((10 * DIODE_SLOWDOWN))); do
		[ $(( $(diode_stat "$RX" rx_duplicate) - dup0 )) -ge $((2 * n)) ] && break
		sleep 0.1
	done
	sleep 0.5
	expect_no_datagram
	expect_eq "replays counted as duplicates" $((2 * n)) $(( $(diode_stat "$RX" rx_duplicate) - dup0 ))
}

test_link_duplication() {
	diode_link 4
	tc -n "$TX" qdisc add dev vtx root netem duplicate 50%
	local dup0; dup0=$(diode_stat "$RX" rx_duplicate)
	stream 4 2000 2000
	local dups=$(( $(diode_stat "$RX" rx_duplicate) - dup0 ))
	[ "$dups" -ge 500 ] || fail "only $dups duplicates counted with 50% duplication"
	echo "# $dups link duplicates suppressed"
}

test_reordering() {
	diode_link 4
	tc -n "$TX" qdisc add dev vtx root netem delay 5ms reorder 50% 50%
	capture_start vrx "$RX"
	stream 4 2000 1000
	capture_stop
	local reordered
	reordered=$(python3 "$DIODE_TOP/selftests/wire.py" frames "$KEYS/cap.pcap" --type data |
		awk '$3 < last { n++ } { last = $3 } END { print n + 0 }')
	[ "$reordered" -gt 0 ] || fail "netem reordered nothing"
	echo "# $reordered frames arrived out of order, all delivered"
}

# expect_nothing_delivered: a stream sent now does not arrive at all.
expect_nothing_delivered() {
	local rx0; rx0=$(diode_stat "$RX" rx_packets)
	ip netns exec "$RX" "$UDPGEN" recv "$RX_IN4" 7000 \
		--count 100 --max-size 1000 --idle 3 --timeout $((8 * DIODE_SLOWDOWN)) >"$KEYS/recv.json" &
	local rpid=$!
	sleep 0.5
	ip netns exec "$TX" "$UDPGEN" send "$RX_IN4" 7000 \
		--count 100 --max-size 1000
	wait "$rpid" || true
	expect_eq "datagrams received" 0 "$(sed -n 's/.*"unique": \([0-9]*\).*/\1/p' "$KEYS/recv.json")"
	expect_eq "packets delivered" "$rx0" "$(diode_stat "$RX" rx_packets)"
}

# restart_sender: a new session, which the receiver must try to accept.
restart_sender() {
	ip -n "$TX" link set diode0 down
	ip -n "$TX" link set diode0 up
	sleep 2.5
}

test_wrong_peer_key_on_receiver() {
	diode_link 4
	ip netns exec "$RX" diodectl set diode0 peer "$(diodectl genkey | diodectl pubkey)"
	restart_sender
	expect_nothing_delivered
	[ "$(diode_stat "$RX" rx_unauthentic)" -gt 0 ] || fail "no unauthentic frame counted"
	[ "$(diode_stat "$RX" rx_unknown_session)" -gt 0 ] || fail "no unknown-session frame counted"
}

test_wrong_private_key_on_receiver() {
	diode_link 4
	diodectl genkey >"$KEYS/other.key"
	ip netns exec "$RX" diodectl set diode0 private-key "$KEYS/other.key"
	restart_sender
	expect_nothing_delivered
	[ "$(diode_stat "$RX" rx_unauthentic)" -gt 0 ] || fail "no unauthentic frame counted"
}

test_wrong_peer_key_on_sender() {
	diode_link 4
	ip netns exec "$TX" diodectl set diode0 peer "$(diodectl genkey | diodectl pubkey)"
	sleep 2.5
	expect_nothing_delivered
	[ "$(diode_stat "$RX" rx_unauthentic)" -gt 0 ] || fail "no unauthentic frame counted"
}

test_wrong_private_key_on_sender() {
	diode_link 4
	diodectl genkey >"$KEYS/other.key"
	ip netns exec "$TX" diodectl set diode0 private-key "$KEYS/other.key"
	sleep 2.5
	expect_nothing_delivered
	[ "$(diode_stat "$RX" rx_unauthentic)" -gt 0 ] || fail "no unauthentic frame counted"
}

test_sender_restart() {
	diode_link 4
	capture_start vtx "$TX"
	stream 4 300
	ip -n "$TX" link set diode0 down
	ip -n "$TX" link set diode0 up
	wait_rx_sessions 2
	stream 4 300
	ip -n "$TX" link set diode0 down
	ip -n "$TX" link set diode0 up
	wait_rx_sessions 3
	stream 4 300
	capture_stop
	expect_eq "sessions started" 3 "$(diode_stat "$TX" tx_sessions)"
	expect_unique_pairs
}

# The receiver only accepts sessions newer than the newest it accepted: an
# ANNOUNCE recorded before two restarts, played back after them with its data
# frames, is refused and delivers nothing.
test_old_session_refused() {
	diode_link 4
	capture_start vtx "$TX"
	stream 4 20
	sleep 1.5
	capture_stop
	local old_announce old_data
	old_announce=$(python3 "$DIODE_TOP/selftests/wire.py" frames "$KEYS/cap.pcap" --type announce | awk 'NR == 1 { print $4 }')
	old_data=$(python3 "$DIODE_TOP/selftests/wire.py" frames "$KEYS/cap.pcap" --type data | awk '{ print $4 }')
	[ -n "$old_announce" ] && [ -n "$old_data" ] || fail "nothing captured"
	restart_sender
	stream 4 20
	restart_sender
	stream 4 20
	local stale0 drops0 n
	n=$(echo "$old_data" | wc -l)
	stale0=$(diode_stat "$RX" rx_stale_session) drops0=$(rx_drops)
	listen_for_datagrams
	ip netns exec "$TX" python3 "$DIODE_TOP/selftests/wire.py" send 192.0.2.2 \
		"$DIODE_PORT" "$old_announce" >/dev/null
	sleep 1
	ip netns exec "$TX" python3 "$DIODE_TOP/selftests/wire.py" send 192.0.2.2 \
		"$DIODE_PORT" $old_data >/dev/null
	sleep 1
	expect_no_datagram
	expect_eq "stale sessions refused" $((stale0 + 1)) "$(diode_stat "$RX" rx_stale_session)"
	expect_eq "old frames dropped and counted" $((n + 1)) $(( $(rx_drops) - drops0 ))
}

test_module_reload_restart() {
	diode_link 4
	capture_start vtx "$TX"
	stream 4 200
	modprobe -r diode
	diode_devices
	stream 4 200
	capture_stop
	expect_unique_pairs
}

# flood: datagrams as fast as the sender can, ignoring send errors, until killed.
flood() {
	ip netns exec "$TX" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    try:
        s.sendto(b"x" * 1200, (sys.argv[1], 7000))
    except OSError:
        pass' "$RX_IN4" &
	FLOOD=$!
	sleep 1
}

test_teardown_under_traffic() {
	diode_link 4
	flood
	ip -n "$RX" link del diode0
	ip -n "$TX" link del diode0
	kill "$FLOOD"; wait "$FLOOD" 2>/dev/null || true
	ktap_cleanup

	diode_link 4
	flood
	ip netns del "$RX"
	ip netns del "$TX"
	kill "$FLOOD" 2>/dev/null; wait "$FLOOD" 2>/dev/null || true
	ktap_cleanup

	diode_link 4
	flood
	modprobe -r diode
	kill "$FLOOD"; wait "$FLOOD" 2>/dev/null || true
	if grep -q '^diode ' /proc/modules; then fail "module still loaded"; fi
}

# One send of a UDP GSO super-packet: diode0 segments it before sealing.
test_gso_segmentation() {
	diode_link 4
	local rx0; rx0=$(diode_stat "$RX" rx_packets)
	rm -f "$KEYS/gso-ready"
	ip netns exec "$RX" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 7001)); s.settimeout(int(sys.argv[3]))
open(sys.argv[2], "w").close()
got = []
try:
    while len(got) < 10:
        got.append(s.recv(65536))
except socket.timeout:
    pass
ok = len(got) == 10 and all(g == bytes([i]) * 1000 for i, g in enumerate(got))
print("# received", len(got), "segments, intact:", ok)
sys.exit(0 if ok else 1)' "$RX_IN4" "$KEYS/gso-ready" $((5 * DIODE_SLOWDOWN)) &
	local rpid=$!
	wait_for_file "$KEYS/gso-ready" "the receiver of the segments"
	ip netns exec "$TX" python3 -c '
import socket, sys
UDP_SEGMENT = 103
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, 1000)
s.sendto(b"".join(bytes([i]) * 1000 for i in range(10)), (sys.argv[1], 7001))' "$RX_IN4"
	wait "$rpid" || fail "the GSO segments did not all arrive intact"
	[ $(( $(diode_stat "$RX" rx_packets) - rx0 )) -ge 10 ] || fail "fewer than 10 packets delivered"
}

# beyond_receiver: a namespace $SINK behind the receiver, which forwards to
# it (203.0.113.2 and 2001:db8:203::2) on a veth that checksums in software,
# as a NIC without offload would. $SINK answers $TX over a plain veth, so
# that TCP can run one way through the diode.
SINK_IN4=203.0.113.2 SINK_IN6=2001:db8:203::2
beyond_receiver() {
	SINK=$(netns_add sink)
	ip link add rsink netns "$RX" type veth peer name sink0 netns "$SINK"
	ip -n "$RX" addr add 203.0.113.1/24 dev rsink
	ip -n "$RX" addr add 2001:db8:203::1/64 dev rsink nodad
	ip -n "$SINK" addr add "$SINK_IN4/24" dev sink0
	ip -n "$SINK" addr add "$SINK_IN6/64" dev sink0 nodad
	ip netns exec "$RX" ethtool -K rsink tx off >/dev/null
	ip -n "$RX" link set rsink up
	ip -n "$SINK" link set sink0 up
	ip netns exec "$RX" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$TX" route add 203.0.113.0/24 dev diode0
	ip -n "$TX" route add 2001:db8:203::/64 dev diode0

	ip link add sback netns "$SINK" type veth peer name tback netns "$TX"
	ip -n "$SINK" link set sback up
	ip -n "$TX" link set tback up
	ip -n "$SINK" route add "$TX_IN4/32" dev sback src "$SINK_IN4"
	ip -n "$SINK" neigh replace "$TX_IN4" dev sback nud permanent \
		lladdr "$(ip -n "$TX" -br link show tback | awk '{ print $3 }')"
	# Replies come in on tback from an address routed via diode0.
	ip netns exec "$TX" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.tback.rp_filter=0
}

# tcp_to_sink BYTES: a TCP stream of BYTES random bytes from $TX to the sink
# (beyond_receiver) arrives whole: the sink answers its SHA-256.
tcp_to_sink() {
	local ready=$KEYS/tcp-ready sent got
	rm -f "$ready"
	ip netns exec "$SINK" python3 -c '
import hashlib, socket, sys
s = socket.socket(); s.bind((sys.argv[1], 7002)); s.listen(1); s.settimeout(60)
open(sys.argv[2], "w").close()
c, _ = s.accept(); c.settimeout(60)
h = hashlib.sha256()
while (d := c.recv(65536)):
    h.update(d)
c.sendall(h.hexdigest().encode())' "$SINK_IN4" "$ready" &
	local spid=$!
	wait_for_file "$ready" "the sink's TCP listener"
	sent=$(head -c "$1" /dev/urandom | tee "$KEYS/tcp.bin" | sha256sum | cut -d" " -f1)
	got=$(ip netns exec "$TX" python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 7002), timeout=60)
s.sendall(open(sys.argv[2], "rb").read()); s.shutdown(socket.SHUT_WR)
print(s.recv(100).decode())' "$SINK_IN4" "$KEYS/tcp.bin")
	wait "$spid" || fail "the sink's TCP listener failed"
	expect_eq "SHA-256 of the TCP stream at the sink" "$sent" "$got"
}

# What the receiver forwards beyond itself carries right checksums: it marks
# the authenticated inner packets as checksummed, so those must be right as
# the sender sent them. UDP in both families, and a TCP stream that the
# sender segments from GSO super-packets.
test_checksums_right_beyond_receiver() {
	diode_link 4
	beyond_receiver
	capture_start sink0 "$SINK" "$KEYS/sink.pcap" "dst host $SINK_IN4 or dst host $SINK_IN6"

	local ready=$KEYS/sink-ready family dst
	for family in 4 6; do
		[ "$family" = 4 ] && dst=$SINK_IN4 || dst=$SINK_IN6
		rm -f "$ready"
		ip netns exec "$SINK" "$UDPGEN" recv "$dst" 7000 \
			--count 200 --max-size 1300 --ready "$ready" --idle 4 >"$KEYS/recv.json" &
		local rpid=$!
		wait_for_file "$ready" "the sink's receiver"
		ip netns exec "$TX" "$UDPGEN" send "$dst" 7000 \
			--count 200 --max-size 1300
		wait "$rpid" || fail "IPv$family datagrams not all delivered to the sink: $(cat "$KEYS/recv.json")"
	done

	tcp_to_sink 2000000
	capture_stop

	local summary
	summary=$(python3 "$DIODE_TOP/selftests/wire.py" checksums "$KEYS/sink.pcap") ||
		fail "a wrong checksum reached the sink: $summary"
	echo "# at the sink: $summary"
	# A slow guest may lose some of the capture, never a wrong checksum.
	python3 - "$summary" <<-'PY' || fail "too few packets checked: $summary"
		import re, sys
		tcp, udp = map(int, re.match(r"tcp (\d+) right, udp (\d+) right", sys.argv[1]).groups())
		sys.exit(0 if tcp >= 500 and udp >= 200 else 1)
	PY
}

# A frame that is only a diode version byte: malformed for any receiver that
# looks at it.
JUNK_FRAME=01

# send_junk FROM_PORT: one junk frame from the sender's namespace to the
# receiver's diode port, from FROM_PORT.
send_junk() {
	ip netns exec "$TX" python3 -c '
import socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.bind(("", int(sys.argv[3])))
s.sendto(bytes.fromhex(sys.argv[4]), (sys.argv[1], int(sys.argv[2])))' \
		"$1" "$DIODE_PORT" "$2" "$JUNK_FRAME"
}

# receiver_knows_sender OUTER TX_ADDR: with remote on the receiver naming the
# sender's address and port, the receiver's socket is connected to the
# sender, the sender's traffic arrives exactly once, and frames from any
# other port never reach diode, until remote none.
receiver_knows_sender() {
	local outer=$1 tx_addr=$2 rx_addr malformed
	diode_link "$outer"
	rx_addr=${LINK_REMOTE#[}; rx_addr=${rx_addr%]}
	# Before: the receiver looks at a frame from anywhere.
	malformed=$(diode_stat "$RX" rx_malformed)
	send_junk "$rx_addr" 40000
	sleep 0.3
	expect_eq "junk frames counted by a receiver without remote" $((malformed + 1)) \
		"$(diode_stat "$RX" rx_malformed)"

	ip -n "$TX" link set diode0 down
	ip -n "$RX" link set diode0 down
	ip netns exec "$TX" diodectl set diode0 local "$tx_addr:51556"
	ip netns exec "$RX" diodectl set diode0 remote "$tx_addr:51556"
	ip -n "$RX" link set diode0 up
	ip -n "$TX" link set diode0 up
	wait_rx_sessions 2
	local peer
	peer=$(ip netns exec "$RX" ss -Hun state established "sport = :$DIODE_PORT" |
		awk '{ print $NF }')
	expect_eq "peer of the receiver's socket" "$tx_addr:51556" "$peer"
	# IPv4 inside: taking the devices down removed their IPv6 addresses.
	stream 4 1000

	malformed=$(diode_stat "$RX" rx_malformed)
	send_junk "$rx_addr" 40000
	sleep 0.3
	expect_eq "junk frames counted by a receiver with remote" "$malformed" \
		"$(diode_stat "$RX" rx_malformed)"

	# remote none: the receiver takes frames from anywhere again.
	ip -n "$RX" link set diode0 down
	ip netns exec "$RX" diodectl set diode0 remote none
	ip -n "$RX" link set diode0 up
	send_junk "$rx_addr" 40000
	sleep 0.3
	expect_eq "junk frames counted after remote none" $((malformed + 1)) \
		"$(diode_stat "$RX" rx_malformed)"
}

test_receiver_knows_sender_ipv4() {
	receiver_knows_sender 4 192.0.2.1
}

test_receiver_knows_sender_ipv6() {
	receiver_knows_sender 6 "[2001:db8:1::1]"
}

# NAT on the sender's inner flow must not follow the sealed frame onto the
# outer path: the frame is a packet of its own, with no conntrack entry.
inner_nat() {
	diode_link "$1"
	ip netns exec "$TX" nft -f - <<-EOF
	table inet nat {
		chain postrouting {
			type nat hook postrouting priority srcnat;
			oifname "diode0" masquerade
		}
	}
	EOF
	stream "$2" 1000
}

# TCP keeps a clone of every segment it sends until it is acknowledged and
# sends that clone again when the segment was lost. Sealing works in place:
# a sender that sealed data it shares with such a clone would retransmit
# ciphertext, which the receiver delivers as authentic. With one outer frame
# in 25 lost on the link, the stream must still arrive intact.
test_tcp_retransmissions_intact() {
	diode_link 4
	beyond_receiver
	ip netns exec "$TX" nft -f - <<-EOF
	table inet loss {
		chain out {
			type filter hook output priority 0;
			oifname "vtx" numgen inc mod 25 == 0 counter drop
		}
	}
	EOF
	tcp_to_sink 1000000
	local lost retrans
	lost=$(ip netns exec "$TX" nft -j list table inet loss |
		python3 -c 'import json, sys; print(next(e["counter"]["packets"] for r in json.load(sys.stdin)["nftables"] if "rule" in r for e in r["rule"]["expr"] if "counter" in e))')
	retrans=$(ip netns exec "$TX" nstat -asz TcpRetransSegs | awk '$1 == "TcpRetransSegs" { print $2 }')
	echo "# frames lost on the link $lost, TCP segments retransmitted $retrans"
	[ "$retrans" -gt 0 ] || fail "no TCP segment was retransmitted"
	expect_eq "frames the receiver found unauthentic" 0 "$(diode_stat "$RX" rx_unauthentic)"
	expect_eq "inner packets the receiver refused" 0 "$(diode_stat "$RX" rx_bad_inner)"
}

test_inner_nat_ipv6_in_ipv6() {
	inner_nat 6 6
}

test_inner_nat_ipv4_in_ipv6() {
	inner_nat 6 4
}

test_inner_nat_ipv4_in_ipv4() {
	inner_nat 4 4
}

ktap_run stream_ipv4_in_ipv6 stream_ipv6_in_ipv4 stream_ipv4_in_ipv4 stream_ipv6_in_ipv6 \
	stream_with_gro_on \
	gso_segmentation checksums_right_beyond_receiver tcp_retransmissions_intact \
	bit_flips replayed_frames link_duplication reordering \
	wrong_peer_key_on_receiver wrong_private_key_on_receiver \
	wrong_peer_key_on_sender wrong_private_key_on_sender \
	sender_restart old_session_refused module_reload_restart teardown_under_traffic \
	receiver_knows_sender_ipv4 receiver_knows_sender_ipv6 \
	inner_nat_ipv6_in_ipv6 inner_nat_ipv4_in_ipv6 inner_nat_ipv4_in_ipv4
