#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Key lifecycle without feedback: make-before-break rekeying by time and by
# frame count, the preshared key, anti-rollback, forged ANNOUNCE floods and
# resetting a receiver's sessions.
source "$(dirname "$0")/lib.sh"

diode_install_module || exit $KSFT_FAIL
sysctl -qw net.core.rmem_max=33554432

tx_set() { ip netns exec "$TX" diodectl set diode0 "$@"; }
rx_set() { ip netns exec "$RX" diodectl set diode0 "$@"; }

# Steady traffic for 60 s with a new session every 2 s: every datagram
# arrives exactly once, and no frame ever reaches the receiver before the
# session it belongs to (which would be loss caused by rekeying).
test_rekey_every_2s_for_60s() {
	diode_link 4
	tx_set rekey-after-time 2
	local sessions0 unknown0
	sessions0=$(diode_stat "$TX" tx_sessions) unknown0=$(diode_stat "$RX" rx_unknown_session)
	stream 4 12000 200
	local sessions=$(( $(diode_stat "$TX" tx_sessions) - sessions0 ))
	local unknown=$(( $(diode_stat "$RX" rx_unknown_session) - unknown0 ))
	echo "# $sessions sessions in 60 s, $unknown frames lost to rekeying"
	[ "$sessions" -ge 25 ] || fail "only $sessions new sessions in 60 s"
	expect_eq "frames of sessions not yet known" 0 "$unknown"
	[ $(( $(diode_stat "$RX" rx_sessions) )) -ge "$sessions" ] ||
		fail "the receiver accepted fewer sessions than were started"
}

test_rekey_after_frames() {
	diode_link 4
	tx_set rekey-after-frames 1024
	local sessions0 unknown0
	sessions0=$(diode_stat "$TX" tx_sessions) unknown0=$(diode_stat "$RX" rx_unknown_session)
	stream 4 6000 1000
	local sessions=$(( $(diode_stat "$TX" tx_sessions) - sessions0 ))
	echo "# $sessions new sessions for 6000 frames"
	[ "$sessions" -ge 4 ] || fail "only $sessions new sessions after 6000 frames"
	expect_eq "frames of sessions not yet known" 0 \
		$(( $(diode_stat "$RX" rx_unknown_session) - unknown0 ))
}

test_preshared_key() {
	diode_link 4
	diodectl genpsk >"$KEYS/psk"
	tx_set preshared-key "$KEYS/psk"
	rx_set preshared-key "$KEYS/psk"
	ip -n "$TX" link set diode0 down
	ip -n "$TX" link set diode0 up
	wait_rx_sessions 2
	stream 4 500
	# A different PSK on the receiver: nothing gets through.
	diodectl genpsk >"$KEYS/other.psk"
	rx_set preshared-key "$KEYS/other.psk"
	ip -n "$TX" link set diode0 down
	ip -n "$TX" link set diode0 up
	sleep 2.5
	local rx0; rx0=$(diode_stat "$RX" rx_packets)
	ip netns exec "$TX" "$UDPGEN" send "$RX_IN4" 7000 \
		--count 100 --max-size 500
	sleep 1
	expect_eq "packets delivered with a PSK mismatch" "$rx0" "$(diode_stat "$RX" rx_packets)"
	[ "$(diode_stat "$RX" rx_unauthentic)" -gt 0 ] || fail "no unauthentic ANNOUNCE counted"
}

# forge_announces N: N ANNOUNCE frames with random ephemeral keys, tags and
# times, as fast as one process sends them; prints the seconds it took.
forge_announces() {
	ip netns exec "$TX" python3 -c '
import os, socket, struct, sys, time
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
start = time.monotonic()
now = time.time_ns()
for i in range(n):
    tag = (i % 65535) + 1
    frame = struct.pack(">BBHQ", 0x12, 0, tag, 0) + os.urandom(32) + \
        struct.pack(">Q", now + i) + os.urandom(24)
    s.sendto(frame, ("192.0.2.2", 51555))
print("%.1f" % (time.monotonic() - start))' "$1"
}

test_forged_announce_flood() {
	diode_link 4
	# No session of the sender's own during the flood, which lasts beyond
	# the default 120 s on a debug kernel: its ANNOUNCE would be refused
	# as rate limited too, and counted with the forged ones.
	tx_set rekey-after-time 3600
	local limited0 unauth0 busy0 busy1 t sessions0
	limited0=$(diode_stat "$RX" rx_rate_limited) unauth0=$(diode_stat "$RX" rx_unauthentic)
	sessions0=$(diode_stat "$TX" tx_sessions)
	ip netns exec "$RX" "$UDPGEN" recv "$RX_IN4" 7000 \
		--count 3000 --max-size 1000 --idle 10 --timeout $((300 * DIODE_SLOWDOWN)) >"$KEYS/recv.json" &
	local rpid=$!
	sleep 1
	ip netns exec "$TX" "$UDPGEN" send "$RX_IN4" 7000 \
		--count 3000 --max-size 1000 --pps 100 &
	local spid=$!
	busy0=$(awk '/^cpu / { print $2 + $3 + $4 + $6 + $7 + $8 }' /proc/stat)
	t=$(forge_announces 100000)
	busy1=$(awk '/^cpu / { print $2 + $3 + $4 + $6 + $7 + $8 }' /proc/stat)
	wait "$spid"
	wait "$rpid" || fail "data stopped during the flood: $(cat "$KEYS/recv.json")"
	local limited=$(( $(diode_stat "$RX" rx_rate_limited) - limited0 ))
	local derived=$(( $(diode_stat "$RX" rx_unauthentic) - unauth0 ))
	echo "# 100000 forged ANNOUNCE in ${t}s: $derived key derivations, $limited rate limited," \
		"$(( busy1 - busy0 )) jiffies of CPU in all (sender process included)"
	expect_eq "sender sessions begun during the flood" 0 $(( $(diode_stat "$TX" tx_sessions) - sessions0 ))
	expect_eq "forged frames all accounted for" 100000 $((limited + derived))
	# 8 at once, then 10 a second.
	local bound; bound=$(python3 -c "import math; print(8 + 10 * math.ceil($t + 2))")
	[ "$derived" -le "$bound" ] || fail "$derived derivations in ${t}s, more than $bound"
}

test_reset_sessions_and_max_age() {
	diode_link 4
	capture_start vtx "$TX"
	sleep 1.5
	capture_stop
	local old_announce
	old_announce=$(python3 "$DIODE_TOP/selftests/wire.py" frames "$KEYS/cap.pcap" --type announce | awk 'NR == 1 { print $4 }')
	[ -n "$old_announce" ] || fail "no ANNOUNCE captured"
	# The receiver forgets its sessions but not its mark, which names the
	# recorded session: it would learn it again, above what it delivered
	# of it, were it not older than the maximum age.
	ip -n "$TX" link set diode0 down
	rx_set max-session-age 1
	sleep 2
	ip netns exec "$RX" diodectl reset-sessions diode0
	if ip netns exec "$RX" diodectl show diode0 | grep -q '^  session'; then
		fail "sessions left after reset-sessions"
	fi
	local stale0; stale0=$(diode_stat "$RX" rx_stale_session)
	ip netns exec "$TX" python3 "$DIODE_TOP/selftests/wire.py" send 192.0.2.2 \
		"$DIODE_PORT" "$old_announce" >/dev/null
	sleep 1
	expect_eq "sessions refused for their age" $((stale0 + 1)) "$(diode_stat "$RX" rx_stale_session)"
	if ip netns exec "$RX" diodectl show diode0 | grep -q '^  session'; then
		fail "an old session was accepted"
	fi
	# A fresh session is accepted and carries traffic.
	ip -n "$TX" link set diode0 up
	wait_rx_sessions 2
	stream 4 200
}

ktap_run rekey_every_2s_for_60s rekey_after_frames preshared_key forged_announce_flood \
	reset_sessions_and_max_age
