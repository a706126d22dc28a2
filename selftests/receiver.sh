#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The receiver's sessions and what they cost: a receiver taken down and up,
# or moved to another address or lower device, goes on with its sender's
# current session at once; the first frames of a session, which overtake the
# derivation of its ANNOUNCE, are delivered; ANNOUNCE frames that cannot be
# accepted spend no key derivation.
source "$(dirname "$0")/lib.sh"

diode_install_module || exit $KSFT_FAIL

RX_OUT4=192.0.2.2

# expect_rx_clean: nothing the receiver saw was of an unknown or stale session.
expect_rx_clean() {
	expect_eq "frames of unknown sessions" 0 "$(diode_stat "$RX" rx_unknown_session)"
	expect_eq "stale sessions" 0 "$(diode_stat "$RX" rx_stale_session)"
}

test_down_up_keeps_session() {
	diode_link 4
	stream 4 200
	ip -n "$RX" link set diode0 down
	ip -n "$RX" link set diode0 up
	stream 4 200
	ip -n "$RX" link set diode0 down
	sleep 2
	ip -n "$RX" link set diode0 up
	stream 4 200
	expect_eq "sessions accepted" 1 "$(diode_stat "$RX" rx_sessions)"
	expect_rx_clean
}

# Changing local (or remote, encap, lower) needs the device down: the
# sessions stay, and so does what they delivered.
test_new_local_keeps_session() {
	diode_link 4
	stream 4 200
	ip -n "$RX" link set diode0 down
	ip netns exec "$RX" diodectl set diode0 local "0.0.0.0:$DIODE_PORT"
	ip -n "$RX" link set diode0 up
	stream 4 200
	expect_eq "sessions accepted" 1 "$(diode_stat "$RX" rx_sessions)"
	expect_rx_clean
}

# New keys or another mode end the sessions: they mean nothing any more.
test_new_keys_end_sessions() {
	diode_link 4
	stream 4 50
	ip -n "$RX" link set diode0 down
	ip netns exec "$RX" diodectl set diode0 mode tx
	ip netns exec "$RX" diodectl set diode0 mode rx
	if ip netns exec "$RX" diodectl show diode0 | grep -q '^  session'; then
		fail "sessions kept across a change of mode"
	fi
	ip -n "$RX" link set diode0 up
	# The sender's session is accepted again, as new.
	wait_rx_sessions 2
	stream 4 50
}

# The sender comes up and sends at once: its ANNOUNCE goes first, but the
# receiver derives its keys in a worker while the next frames arrive.
test_first_frames_of_session_delivered() {
	diode_link 4
	ip -n "$TX" link set diode0 down
	local ready=$KEYS/ready.$$ rx0
	rx0=$(diode_stat "$RX" rx_packets)
	ip netns exec "$RX" "$UDPGEN" recv "$RX_IN4" 7000 \
		--count 40 --max-size 1000 --ready "$ready" --idle 4 >"$KEYS/recv.json" &
	local rpid=$!
	wait_for_file "$ready" "the receiver of the datagrams"
	ip netns exec "$TX" sh -c "ip link set diode0 up && exec \
		'$UDPGEN' send '$RX_IN4' 7000 --count 40 --max-size 1000"
	wait "$rpid" || fail "first datagrams lost: $(cat "$KEYS/recv.json")"
	expect_eq "sessions accepted" 2 "$(diode_stat "$RX" rx_sessions)"
	expect_eq "frames of unknown sessions" 0 "$(diode_stat "$RX" rx_unknown_session)"
	echo "# $(( $(diode_stat "$RX" rx_packets) - rx0 )) packets delivered, the sender's own included"
}

# link_recorded: diode_link 4, with the first ANNOUNCE of its session
# recorded in $ANNOUNCE.
link_recorded() {
	diode_link 4
	capture_start vtx "$TX"
	sleep 1.5
	capture_stop
	ANNOUNCE=$(python3 "$DIODE_TOP/selftests/wire.py" frames "$KEYS/cap.pcap" \
		--type announce | awk 'NR == 1 { print $4 }')
	[ -n "$ANNOUNCE" ] || fail "no ANNOUNCE captured"
}

test_announce_of_wrong_length_costs_nothing() {
	link_recorded
	# An ANNOUNCE of a session the receiver does not hold, one byte longer
	# or shorter: only the length tells them from a real one before a
	# derivation would.
	ip -n "$TX" link set diode0 down
	ip netns exec "$RX" diodectl reset-sessions diode0
	local malformed0 unauth0 limited0
	malformed0=$(diode_stat "$RX" rx_malformed)
	unauth0=$(diode_stat "$RX" rx_unauthentic)
	limited0=$(diode_stat "$RX" rx_rate_limited)
	ip netns exec "$TX" python3 "$DIODE_TOP/selftests/wire.py" send "$RX_OUT4" \
		"$DIODE_PORT" "${ANNOUNCE}00" "${ANNOUNCE:0:-2}" --times 20 >/dev/null
	sleep 1
	expect_eq "malformed" $((malformed0 + 40)) "$(diode_stat "$RX" rx_malformed)"
	expect_eq "derivations that failed" "$unauth0" "$(diode_stat "$RX" rx_unauthentic)"
	expect_eq "derivations refused" "$limited0" "$(diode_stat "$RX" rx_rate_limited)"
}

test_announce_older_than_mark_costs_nothing() {
	link_recorded
	ip -n "$TX" link set diode0 down
	ip -n "$TX" link set diode0 up
	wait_rx_sessions 2
	stream 4 20
	# Once the first session is retired, its ANNOUNCE is older than the
	# receiver's mark: refused without a derivation, so more of them than
	# a burst of derivations allows are all counted stale.
	sleep 2.5
	local stale0 limited0
	stale0=$(diode_stat "$RX" rx_stale_session)
	limited0=$(diode_stat "$RX" rx_rate_limited)
	ip netns exec "$TX" python3 "$DIODE_TOP/selftests/wire.py" send "$RX_OUT4" \
		"$DIODE_PORT" "$ANNOUNCE" --times 12 >/dev/null
	sleep 2
	expect_eq "stale sessions" $((stale0 + 12)) "$(diode_stat "$RX" rx_stale_session)"
	expect_eq "derivations refused" "$limited0" "$(diode_stat "$RX" rx_rate_limited)"
	stream 4 20
}

ktap_run down_up_keeps_session new_local_keeps_session new_keys_end_sessions \
	first_frames_of_session_delivered announce_of_wrong_length_costs_nothing \
	announce_older_than_mark_costs_nothing
