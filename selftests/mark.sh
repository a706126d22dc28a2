#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Promise 2 across restarts of the receiver: a recording of an ANNOUNCE and
# its DATA frames, played back after the receiver was re-created with its
# saved mark (by diodectl or by diode-quick) or after reset-sessions, delivers
# nothing; without a mark, the default max-session-age keeps out a recording
# older than it; a mark raised above the sessions held ends them.
source "$(dirname "$0")/lib.sh"

diode_install_module || exit $KSFT_FAIL
PATH=$DIODE_TOP/tools:$PATH

RX_OUT4=192.0.2.2

rx() { ip netns exec "$RX" diodectl "$@"; }
wire() { python3 "$DIODE_TOP/selftests/wire.py" "$@"; }

# rx_device [WORD VALUE...]: a new diode0 in $RX, a receiver of the link
# diode_link built, with these words of diodectl set too, up.
rx_device() {
	ip -n "$RX" link add diode0 type diode
	rx set diode0 mode rx private-key "$KEYS/rx.key" peer "$(cat "$KEYS/tx.pub")" \
		local "$LINK_REMOTE:$DIODE_PORT" "$@"
	ip -n "$RX" addr add "$RX_IN4/24" dev diode0
	ip -n "$RX" link set diode0 up
}

# record COUNT: COUNT datagrams through the link, recorded: the session's
# ANNOUNCE (sent again every heartbeat) in $OLD_ANNOUNCE, its DATA frames in
# $OLD_DATA, their number in $OLD_N.
record() {
	capture_start vtx "$TX"
	stream 4 "$1"
	sleep 1.5
	capture_stop
	local frames
	frames=$(wire frames "$KEYS/cap.pcap")
	OLD_ANNOUNCE=$(awk '$1 == "announce" { print $4; exit }' <<<"$frames")
	OLD_DATA=$(awk '$1 == "data" { print $4 }' <<<"$frames")
	if [ -z "$OLD_ANNOUNCE" ] || [ -z "$OLD_DATA" ]; then
		fail "nothing recorded"
	fi
	OLD_N=$(echo "$OLD_DATA" | wc -l)
}

# replay: the recording sent to the receiver as the sender sent it: the
# ANNOUNCE, time for its derivation, the DATA frames.
replay() {
	# shellcheck disable=SC2086 # one frame a word
	ip netns exec "$TX" python3 "$DIODE_TOP/selftests/wire.py" send "$RX_OUT4" \
		"$DIODE_PORT" "$OLD_ANNOUNCE" >/dev/null
	sleep 1
	# shellcheck disable=SC2086
	ip netns exec "$TX" python3 "$DIODE_TOP/selftests/wire.py" send "$RX_OUT4" \
		"$DIODE_PORT" $OLD_DATA >/dev/null
	sleep 1
}

# expect_replay_refused PACKETS0 REFUSED0: the recording delivered nothing,
# and each of its DATA frames was counted as a duplicate or a replay.
expect_replay_refused() {
	expect_eq "packets delivered" "$1" "$(diode_stat "$RX" rx_packets)"
	expect_eq "DATA frames refused as seen before" $(($2 + OLD_N)) \
		$(($(diode_stat "$RX" rx_duplicate) + $(diode_stat "$RX" rx_replayed)))
}

refused_count() {
	echo $(($(diode_stat "$RX" rx_duplicate) + $(diode_stat "$RX" rx_replayed)))
}

# The receiver deleted and created again with the mark it had, through
# diodectl: the recording of its last session is refused, and the sender's
# next session is taken.
test_new_device_with_saved_mark() {
	diode_link 4
	record 20
	ip -n "$TX" link set diode0 down
	local mark
	ip -n "$RX" link set diode0 down
	mark=$(rx show diode0 rx-mark)
	echo "# saved mark $mark, $OLD_N DATA frames recorded"
	ip -n "$RX" link del diode0
	rx_device rx-mark "$mark"
	expect_eq "restored mark" "$mark" "$(rx show diode0 rx-mark)"
	replay
	expect_replay_refused 0 0
	ip -n "$TX" link set diode0 up
	wait_rx_sessions 2
	stream 4 20
	# Without its mark, a new receiver (and no age limit) takes the same
	# recording whole: what the mark keeps out.
	ip -n "$TX" link set diode0 down
	ip -n "$RX" link del diode0
	rx_device max-session-age 0
	replay
	expect_eq "packets delivered without the mark" "$OLD_N" "$(diode_stat "$RX" rx_packets)"
}

# reset-sessions forgets the sessions, not what they delivered.
test_reset_sessions_keeps_mark() {
	diode_link 4
	record 20
	ip -n "$TX" link set diode0 down
	local mark packets0 refused0
	mark=$(rx show diode0 rx-mark)
	rx reset-sessions diode0
	if rx show diode0 | grep -q '^  session'; then
		fail "sessions left after reset-sessions"
	fi
	expect_eq "mark after reset-sessions" "$mark" "$(rx show diode0 rx-mark)"
	packets0=$(diode_stat "$RX" rx_packets) refused0=$(refused_count)
	replay
	expect_replay_refused "$packets0" "$refused0"
	# The recording's session was learnt again, above the mark; then the
	# sender's next one.
	ip -n "$TX" link set diode0 up
	wait_rx_sessions 3
	stream 4 20
}

# diode-quick down saves the mark of a receiver, up restores it; a file that
# is not a mark stops up.
test_diode_quick_keeps_mark() {
	diode_link 4
	local dir
	dir=$(mktemp -d)
	mkdir "$dir/etc"
	cat >"$dir/etc/diode0.conf" <<-EOC
		[Interface]
		Mode = rx
		PrivateKey = $(cat "$KEYS/rx.key")
		Local = $LINK_REMOTE:$DIODE_PORT
		Address = $RX_IN4/24

		[Peer]
		PublicKey = $(cat "$KEYS/tx.pub")
	EOC
	quick() {
		ip netns exec "$RX" env DIODE_CONFIG_DIR="$dir/etc" \
			DIODE_STATE_DIR="$dir/state" diode-quick "$@"
	}
	record 20
	ip -n "$TX" link set diode0 down
	local mark
	mark=$(rx show diode0 rx-mark)
	quick down diode0
	expect_fail ip -n "$RX" link show diode0
	expect_eq "saved mark" "$mark" "$(cat "$dir/state/diode0.mark")"
	[ "$(ls -A "$dir/state")" = diode0.mark ] || fail "left behind: $(ls -A "$dir/state")"
	quick up diode0
	expect_eq "restored mark" "$mark" "$(rx show diode0 rx-mark)"
	replay
	expect_replay_refused 0 0
	# save while up, then a corrupt file: up refuses it, leaving no device.
	quick save diode0
	expect_eq "saved again" "$mark" "$(cat "$dir/state/diode0.mark")"
	quick down diode0
	echo "not a mark" >"$dir/state/diode0.mark"
	local out
	if out=$(quick up diode0 2>&1); then fail "up took a corrupt mark"; fi
	echo "$out" | sed 's/^/# /'
	[[ $out == *"$dir/state/diode0.mark is not a mark"* ]] || fail "no clear message"
	expect_fail ip -n "$RX" link show diode0
	# The receiver comes back with its mark, and takes the sender's next
	# session.
	echo "$mark" >"$dir/state/diode0.mark"
	quick up diode0
	ip -n "$TX" link set diode0 up
	wait_rx_sessions 1
	stream 4 20
	rm -rf "$dir"
}

# clock_shift SECONDS: moves this machine's wall clock (a disposable guest).
clock_shift() {
	date -u -s "@$(($(date +%s) + $1))" >/dev/null
}

# No mark at all (a new device, the state file lost): the default
# max-session-age keeps out a recording older than it, and only that.
test_old_recording_refused_without_mark() {
	diode_link 4
	expect_eq "max session age of a new device" 86400 \
		"$(rx show diode0 --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["max_session_age"])')"
	ip -n "$TX" link set diode0 down
	ip -n "$RX" link del diode0
	# A session of two days ago, recorded then.
	trap 'clock_shift $((2 * 86400))' EXIT
	clock_shift $((-2 * 86400))
	rx_device
	ip -n "$TX" link set diode0 up
	wait_rx_sessions 1
	record 20
	ip -n "$TX" link set diode0 down
	clock_shift $((2 * 86400))
	trap - EXIT
	# Today, a receiver without a mark.
	ip -n "$RX" link del diode0
	rx_device
	replay
	expect_eq "packets delivered" 0 "$(diode_stat "$RX" rx_packets)"
	expect_eq "stale sessions" 1 "$(diode_stat "$RX" rx_stale_session)"
	expect_eq "DATA frames of no session" "$OLD_N" "$(diode_stat "$RX" rx_unknown_session)"
	# With no limit, the same recording is delivered.
	ip -n "$RX" link del diode0
	rx_device max-session-age 0
	replay
	expect_eq "packets delivered with no limit" "$OLD_N" "$(diode_stat "$RX" rx_packets)"
}

# A mark raised above the sessions held ends them: the sender's current
# session is then refused as older than the mark, its next one taken.
test_raised_mark_ends_older_sessions() {
	diode_link 4
	stream 4 20
	local mark created stale0
	mark=$(rx show diode0 rx-mark)
	created=${mark%%:*}
	rx set diode0 rx-mark "$((created + 1)):0"
	expect_eq "raised mark" "$((created + 1)):0" "$(rx show diode0 rx-mark)"
	if rx show diode0 | grep -q '^  session'; then
		fail "sessions left below the mark"
	fi
	stale0=$(diode_stat "$RX" rx_stale_session)
	sleep 2.5
	[ "$(diode_stat "$RX" rx_stale_session)" -gt "$stale0" ] ||
		fail "the sender's ANNOUNCE was not refused as stale"
	expect_eq "sessions" 1 "$(diode_stat "$RX" rx_sessions)"
	ip -n "$TX" link set diode0 down
	ip -n "$TX" link set diode0 up
	wait_rx_sessions 2
	stream 4 20
}

ktap_run new_device_with_saved_mark reset_sessions_keeps_mark diode_quick_keeps_mark \
	old_recording_refused_without_mark raised_mark_ends_older_sessions
