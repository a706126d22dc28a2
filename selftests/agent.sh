#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The syslog gateway agents (tools/agent, docs/agents.md) across a real
# diode0 pair: a fiber that loses DATA and PARITY frames at random, FEC on
# the sender, nothing going back. Every message must reach the collector
# byte-exact and exactly once, with FEC, not luck, doing the repairs, and
# the tx agent must size its datagrams to diode0's MTU as FEC lowered it.
source "$(dirname "$0")/lib.sh"

diode_install_module || exit $KSFT_FAIL

AGENT=$DIODE_TOP/tools/agent/diode-agent
SYSLOGTOOL=$DIODE_TOP/tools/agent/syslogtool.py
[ -x "$AGENT" ] || { echo "# no $AGENT: run make tools" >&2; exit $KSFT_FAIL; }
# loadgen (built by make unit) sends and collects as syslogtool.py does,
# without the seconds a python process costs in a loaded TCG guest.
LOADGEN=$DIODE_TOP/tools/agent/loadgen
if [ -x "$LOADGEN" ]; then
	SEND=("$LOADGEN" msgs) COLLECT=("$LOADGEN" collect)
else
	SEND=(python3 "$SYSLOGTOOL" send) COLLECT=(python3 "$SYSLOGTOOL" collect)
fi

# FEC 16/8 against 2 % random loss of DATA and PARITY frames: a group of 24
# frames fails only when it loses 9, about once in 10^9 groups, so the test
# cannot flake; with FEC 16/4 one group in 26 000 would fail, too often for
# the few thousand groups of a run.
FEC_K=16 FEC_M=8 LOSS_PERCENT=2
SMALL=20000 BIG=300 BIG_SIZE=3000
# A debug kernel (make check-debug) runs some 15 times slower: a tenth of
# the messages, and a loss that still drops frames among so few (a group
# then fails about once in 10^6).
if [ "$DIODE_SLOWDOWN" -gt 1 ]; then
	SMALL=2000 BIG=30 LOSS_PERCENT=5
fi
TYPE_DATA=0x11 TYPE_PARITY=0x14

# fiber_loss: the receiver's side of the link drops the share LOSS_PERCENT
# of the DATA and PARITY frames before anything else sees them, each kind
# under a counter of its own; ANNOUNCE and HEARTBEAT frames pass.
fiber_loss() {
	ip netns exec "$RX" nft -f - <<-EOF
	table inet fiber {
		counter data {}
		counter parity {}
		chain in {
			type filter hook prerouting priority -300;
			iifname "vrx" udp dport $DIODE_PORT @th,64,8 $TYPE_DATA numgen random mod 100 < $LOSS_PERCENT counter name data drop
			iifname "vrx" udp dport $DIODE_PORT @th,64,8 $TYPE_PARITY numgen random mod 100 < $LOSS_PERCENT counter name parity drop
		}
	}
	EOF
}

fiber_dropped() {
	ip netns exec "$RX" nft list counter inet fiber "$1" | awk '$1 == "packets" { print $2 }'
}

# agent_conf ROLE: the channel's file for ROLE (tx or rx), both bound to
# diode0, so that the tx reads its path MTU from it and the rx takes only
# what diode0 authenticated.
agent_conf() {
	local conf=$KEYS/$1.conf
	printf '[Channel]\nRole = %s\nProtocol = syslog\nId = 1\nStateDir = %s\n' "$1" "$KEYS/state" >"$conf"
	printf '[Transport]\nDevice = diode0\nHeartbeatInterval = 200ms\n' >>"$conf"
	if [ "$1" = tx ]; then
		printf 'Remote = %s:5140\n[Syslog]\nListenTCP = 127.0.0.1:1514\n' "$RX_IN4" >>"$conf"
	else
		# Not a message counted lost before FEC had its chance to rebuild
		# it: a group's parity, or the heartbeat that closes it, comes
		# within 250 ms, later when the guest is held back.
		printf 'Local = %s:5140\nReorderWait = 2s\n[Syslog]\nCollector = tcp:127.0.0.1:10514\n' "$RX_IN4" >>"$conf"
	fi
	echo "$conf"
}

# agent_stat ROLE KEY: a number of the agent's status file (one line of
# JSON, written every second and at exit). In bash alone: in a loaded TCG
# guest every program started costs most of a second.
agent_stat() {
	local line
	read -r line <"$KEYS/state/$1.status"
	[[ $line =~ \"$2\":([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# snapshot N: diode0's counters at both ends, as `diodectl show` prints
# them, into $KEYS/tx.N and $KEYS/rx.N (one read each, without diode_stat's
# python).
snapshot() {
	ip netns exec "$TX" diodectl show diode0 >"$KEYS/tx.$1"
	ip netns exec "$RX" diodectl show diode0 >"$KEYS/rx.$1"
}

# grown END NAME: how much counter NAME (as diode_stat names it) of END (tx
# or rx) grew from snapshot 0 to snapshot 1.
grown() {
	awk -v k="    ${2//_/ }:" 'index($0, k) == 1 { v[FILENAME] = $NF }
		END { print v[ARGV[1]] - v[ARGV[2]] }' "$KEYS/$1.1" "$KEYS/$1.0"
}

# wait_listening NS PROTO ADDR [LOG]: until a socket of NS listens on ADDR
# (10 s); on failure LOG tells why. ADDR%DEV:PORT matches ADDR:PORT too:
# without the kernel's UDP socket diagnostics (the debug kernel) ss reads
# /proc/net/udp, which does not name the device.
wait_listening() {
	local plain=${3/\%*:/:}
	for _ in $(seq $((100 * DIODE_SLOWDOWN))); do
		ip netns exec "$1" ss -ln "--$2" | grep -qF -e " $3 " -e " $plain " && return 0
		sleep 0.1
	done
	[ -n "${4:-}" ] && sed 's/^/# /' "$4" >&2
	fail "nothing listens on $3 ($2) in $1"
}

# wait_settled COUNT: until the rx agent has delivered or counted lost
# COUNT sequence numbers (60 s: the collector then shows what is missing).
wait_settled() {
	for _ in $(seq 600); do
		[ -e "$KEYS/state/rx.status" ] &&
			[ $(( $(agent_stat rx delivered) + $(agent_stat rx lost) )) -ge "$1" ] && return 0
		sleep 0.1
	done
}

test_syslog_through_lossy_fec_link() {
	diode_link 4
	# Nothing but the agents' datagrams on diode0, so that its counters
	# can be matched to theirs.
	ip netns exec "$TX" sysctl -qw net.ipv6.conf.diode0.disable_ipv6=1
	# A PARITY frame is 44 + 2K bytes larger than its largest member
	# (docs/protocol.md): diode0's MTU must leave that room on the fiber.
	local mtu
	mtu=$(( $(mtu_of) - 44 - 2 * FEC_K ))
	# Every heartbeat closes the FEC groups still open, so a frame lost at a
	# pause in traffic is rebuilt within one interval.
	ip netns exec "$TX" diodectl set diode0 fec "$FEC_K/$FEC_M" heartbeat-interval 250
	wait_rx_sessions 2
	expect_eq "diode0 MTU with FEC $FEC_K/$FEC_M" "$mtu" "$(mtu_of)"
	fiber_loss

	snapshot 0

	mkdir -m 700 "$KEYS/state"
	ip netns exec "$RX" "${COLLECT[@]}" tcp 10514 "$KEYS/out" &
	ip netns exec "$RX" "$AGENT" run "$(agent_conf rx)" 2>"$KEYS/rx.log" &
	local rx_pid=$!
	# From one CPU, so that frames leave in order and FEC groups are not
	# torn apart by a sender moving between queues.
	ip netns exec "$TX" taskset -c 0 "$AGENT" run "$(agent_conf tx)" 2>"$KEYS/tx.log" &
	local tx_pid=$!
	wait_listening "$RX" tcp 127.0.0.1:10514
	wait_listening "$RX" udp "$RX_IN4%diode0:5140" "$KEYS/rx.log"
	wait_listening "$TX" tcp 127.0.0.1:1514 "$KEYS/tx.log"
	# where a slow (debug) kernel spends the test's time
	echo "# agents listening after $SECONDS s"

	local t0=$SECONDS
	ip netns exec "$TX" "${SEND[@]}" tcp 127.0.0.1 1514 small "$SMALL"
	echo "# $SMALL small messages sent after $SECONDS s"
	ip netns exec "$TX" "${SEND[@]}" tcp 127.0.0.1 1514 big "$BIG" "$BIG_SIZE"
	wait_settled $((SMALL + BIG))
	local secs=$((SECONDS - t0))
	echo "# settled after $SECONDS s"
	# The tx's last heartbeat tells the rx where the stream ended; then
	# both write their final counters as they stop.
	sleep 0.5
	kill "$tx_pid"
	wait "$tx_pid" || fail "the tx agent exited $?: $(tail -3 "$KEYS/tx.log")"
	sleep 0.5
	kill "$rx_pid"
	wait "$rx_pid" || fail "the rx agent exited $?: $(tail -3 "$KEYS/rx.log")"
	snapshot 1

	expect_eq "collector: total once missing twice gaps gapsum other" \
		"$((SMALL + BIG)) $((SMALL + BIG)) 0 0 0 0 0" \
		"$(python3 "$SYSLOGTOOL" check "$KEYS/out" "small:$SMALL" "big:$BIG:$BIG_SIZE")"
	expect_eq "rx agent lost" 0 "$(agent_stat rx lost)"
	expect_eq "rx agent delivered" $((SMALL + BIG)) "$(agent_stat rx delivered)"
	expect_eq "rx agent duplicates" 0 "$(agent_stat rx duplicates)"

	# The tx sized its datagrams to diode0 as FEC left it, and the largest
	# fragments, inner packets of exactly that MTU, went through (send
	# errors are no sign of a wrong size: a loaded guest refuses sends
	# with ENOBUFS, which the tx retries).
	expect_eq "tx agent datagram (diode0 MTU - 28)" $((mtu - 28)) "$(agent_stat tx datagram)"

	# Every datagram of the agents was one packet through diode0, sealed
	# once and delivered once, none lost in between.
	local sent
	sent=$(agent_stat tx sent_datagrams)
	expect_eq "diode0 packets sealed = tx agent datagrams" "$sent" "$(grown tx tx_packets)"
	expect_eq "diode0 packets delivered = tx agent datagrams" "$sent" "$(grown rx rx_packets)"
	expect_eq "rx agent datagrams = tx agent datagrams" "$sent" "$(agent_stat rx datagrams)"

	# FEC rebuilt exactly the DATA frames the fiber dropped (a member
	# rebuilt because it was late, not lost, arrives again as a duplicate),
	# and every PARITY frame either arrived authentic or was dropped.
	local data_lost parity_lost recovered late
	data_lost=$(fiber_dropped data) parity_lost=$(fiber_dropped parity)
	recovered=$(grown rx rx_recovered) late=$(grown rx rx_duplicate)
	[ "$data_lost" -gt 0 ] || fail "the fiber dropped no DATA frame"
	expect_eq "DATA frames rebuilt by FEC, less those that came late" "$data_lost" $((recovered - late))
	expect_eq "PARITY frames sent = arrived + dropped on the fiber" \
		"$(grown tx tx_parity)" $(( $(grown rx rx_parity) + parity_lost ))
	echo "# $((SMALL + BIG)) messages in $sent datagrams of up to $(agent_stat tx datagram) bytes in ${secs} s;" \
		"the fiber dropped $data_lost DATA and $parity_lost PARITY frames, FEC rebuilt $recovered ($late late)"
}

# files_conf ROLE: a files channel's file for ROLE, both ends bound to
# diode0; the tx at a Rate the guest's rx keeps up with.
files_conf() {
	local conf=$KEYS/f$1.conf
	printf '[Channel]\nName = f%s\nRole = %s\nProtocol = files\nId = 2\nStateDir = %s\n' \
		"$1" "$1" "$KEYS/state" >"$conf"
	printf '[Transport]\nDevice = diode0\nHeartbeatInterval = 200ms\n' >>"$conf"
	if [ "$1" = tx ]; then
		printf 'Remote = %s:5141\nRate = 40mbit\n[Files]\nOutbox = %s\nSent = %s\nSettle = 200ms\nPassDelay = 1s\n' \
			"$RX_IN4" "$KEYS/outbox" "$KEYS/sent" >>"$conf"
	else
		printf 'Local = %s:5141\n[Files]\nInbox = %s\n' "$RX_IN4" "$KEYS/inbox" >>"$conf"
	fi
	echo "$conf"
}

# The files channel (docs/files.md) through the same lossy link with FEC:
# a set of files around the chunk size, in folders, each delivered under
# its name with its SHA-256, in the first pass (FEC repairs the fiber),
# the second pass's chunks all duplicates; chunks sized to diode0's MTU.
test_files_through_lossy_fec_link() {
	diode_link 4
	ip netns exec "$TX" sysctl -qw net.ipv6.conf.diode0.disable_ipv6=1
	ip netns exec "$TX" diodectl set diode0 fec "$FEC_K/$FEC_M" heartbeat-interval 250
	wait_rx_sessions 2
	fiber_loss
	local mtu chunk n=0 s big=$((4 << 20))
	[ "$DIODE_SLOWDOWN" -gt 1 ] && big=$((256 << 10))
	mtu=$(mtu_of)
	chunk=$((mtu - 28 - 36 - 2 - 13))
	mkdir -m 700 "$KEYS/state"
	mkdir -p "$KEYS/stage/d/ü d" "$KEYS/outbox" "$KEYS/sent" "$KEYS/inbox"
	for s in 0 1 $((chunk - 1)) $chunk $((chunk + 1)) $((2 * chunk + 1)) 100000 "$big"; do
		n=$((n + 1))
		head -c "$s" /dev/urandom >"$KEYS/stage/d/ü d/f $n.bin"
		head -c "$s" /dev/urandom >"$KEYS/stage/top$n"
		n=$((n + 1))
	done
	(cd "$KEYS/stage" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$KEYS/expected"
	ip netns exec "$RX" "$AGENT" run "$(files_conf rx)" 2>"$KEYS/frx.log" &
	local rx_pid=$!
	ip netns exec "$TX" taskset -c 0 "$AGENT" run "$(files_conf tx)" 2>"$KEYS/ftx.log" &
	local tx_pid=$!
	wait_listening "$RX" udp "$RX_IN4%diode0:5141" "$KEYS/frx.log"
	local t0=$SECONDS
	mv "$KEYS/stage"/* "$KEYS/outbox/"
	for _ in $(seq $((600 * DIODE_SLOWDOWN))); do
		[ -e "$KEYS/state/ftx.status" ] && [ "$(agent_stat ftx files_sent)" = "$n" ] &&
			[ "$(agent_stat frx files_delivered)" = "$n" ] && break
		sleep 0.1
	done
	sleep 1
	kill "$tx_pid"; wait "$tx_pid" || fail "the tx agent exited $?: $(tail -3 "$KEYS/ftx.log")"
	kill "$rx_pid"; wait "$rx_pid" || fail "the rx agent exited $?: $(tail -3 "$KEYS/frx.log")"
	expect_eq "rx files delivered" "$n" "$(agent_stat frx files_delivered)"
	expect_eq "inbox (name, sha256)" "$(cat "$KEYS/expected")" \
		"$(cd "$KEYS/inbox" && find . -name '.diode-*' -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)"
	expect_eq "tx chunk size (diode0 MTU - 28 - 51)" "$chunk" "$(agent_stat ftx chunk_size)"
	expect_eq "rx files failed" 0 "$(agent_stat frx files_failed)"
	expect_eq "rx chunks written in the first pass, the second's duplicates" \
		"$(agent_stat ftx chunks)" $(( 2 * $(agent_stat frx chunks) ))
	echo "# $n files in $((SECONDS - t0)) s; the fiber dropped $(fiber_dropped data) DATA frames"
}

ktap_run syslog_through_lossy_fec_link files_through_lossy_fec_link
