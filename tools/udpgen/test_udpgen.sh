#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_udpgen.sh [UDPGEN]: host tests of udpgen, the selftests' numbered
# datagrams, over loopback: whole streams (IPv4, IPv6, --fixed-size), the
# summary and exit status when a datagram is missing, comes twice or comes
# corrupt, the waiting rules of recv, the pacing of send and bad arguments.
# Runs in a network namespace of its own when unshare lets it (so that no
# other program's port is in the way), else on the host's loopback.
# Prints KTAP; exits 1 when any test fails.

# The tests are called through the table at the end.
# shellcheck disable=SC2317,SC2015

UDPGEN=$(realpath "${1:-./udpgen}")

if [ -z "$UDPGEN_TEST_NETNS" ] && command -v unshare >/dev/null &&
	command -v ip >/dev/null &&
	unshare -rn sh -c 'ip link set lo up' 2>/dev/null; then
	# shellcheck disable=SC2016
	UDPGEN_TEST_NETNS=1 exec unshare -rn bash -c \
		'ip link set lo up && exec bash "$0" "$1"' "$0" "$UDPGEN"
fi
if [ -n "$UDPGEN_TEST_NETNS" ]; then
	PORT=7000
else
	PORT=$((20000 + RANDOM % 20000))
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail() {
	echo "# FAIL: $*"
	exit 1
}

ms() {
	echo $(($(date +%s%N) / 1000000))
}

# start_recv ARGS...: udpgen recv ADDR PORT ARGS in the background, its
# output in $TMP/out and $TMP/err; returns once it is bound.
start_recv() {
	local addr=$1 i
	shift
	rm -f "$TMP/ready"
	"$UDPGEN" recv "$addr" "$PORT" "$@" --ready "$TMP/ready" \
		>"$TMP/out" 2>"$TMP/err" &
	RECV=$!
	for i in $(seq 200); do
		[ -e "$TMP/ready" ] && return 0
		kill -0 "$RECV" 2>/dev/null ||
			fail "recv $addr $*: exited: $(cat "$TMP/err")"
		sleep 0.05
	done
	kill "$RECV"
	fail "recv $addr $*: not ready after 10 s"
}

# send ADDR ARGS...: udpgen send ADDR PORT ARGS, which must succeed.
send() {
	local addr=$1
	shift
	"$UDPGEN" send "$addr" "$PORT" "$@" || fail "send $addr $*: exit status $?"
}

# summary STATUS JSON: recv exits with STATUS, printing exactly JSON.
summary() {
	local rc
	wait "$RECV"
	rc=$?
	[ "$(cat "$TMP/out")" = "$2" ] ||
		fail "summary: '$(cat "$TMP/out")', not '$2' ($(cat "$TMP/err"))"
	[ "$rc" = "$1" ] || fail "recv: exit status $rc, not $1"
	[ ! -s "$TMP/err" ] || fail "recv wrote to stderr: $(cat "$TMP/err")"
	echo "# $2"
}

# json EXPECTED UNIQUE DUPLICATES CORRUPT MISSING: the summary line.
json() {
	printf '{"expected": %d, "unique": %d, "duplicates": %d, "corrupt": %d, "missing": %d}' \
		"$@"
}

# A whole stream; recv stops as soon as it has everything, not after
# --idle.
test_full_stream() {
	local start
	start=$(ms)
	start_recv 127.0.0.1 --count 2000 --max-size 1500 --idle 30
	send 127.0.0.1 --count 2000 --max-size 1500
	summary 0 "$(json 2007 2007 0 0 0)"
	(($(ms) - start < 30000)) || fail "recv waited for --idle"
	# The defaults: 10000 datagrams.
	start_recv 127.0.0.1 --max-size 100
	send 127.0.0.1 --max-size 100
	summary 0 "$(json 10007 10007 0 0 0)"
}

test_ipv6() {
	[ -n "$(ip -6 addr show dev lo 2>/dev/null)" ] || exit 4
	start_recv ::1 --count 300 --max-size 65507 --idle 10
	send ::1 --count 300 --max-size 65507
	summary 0 "$(json 307 307 0 0 0)"
}

test_fixed_size() {
	start_recv 127.0.0.1 --count 500 --max-size 9000 --fixed-size --idle 10
	send 127.0.0.1 --count 500 --max-size 9000 --fixed-size
	summary 0 "$(json 507 507 0 0 0)"
	# Without it on one side, only the numbers whose size cycles to the
	# maximum (s % 93 = 92: 92 and 185) are right.
	start_recv 127.0.0.1 --count 200 --max-size 100 --fixed-size --idle 0.5
	send 127.0.0.1 --count 200 --max-size 100
	summary 1 "$(json 207 9 0 198 198)"
}

test_missing() {
	start_recv 127.0.0.1 --count 50 --max-size 1000 --idle 0.5
	send 127.0.0.1 --count 40 --max-size 1000
	summary 1 "$(json 57 47 0 0 10)"
}

# A stream sent twice: without --drain, recv stops at the end of the first
# (before it reads any of the second, queued behind it).
test_duplicates() {
	start_recv 127.0.0.1 --count 50 --max-size 1000 --idle 0.5 --drain
	send 127.0.0.1 --count 50 --max-size 1000
	send 127.0.0.1 --count 50 --max-size 1000
	summary 1 "$(json 57 57 57 0 0)"
	start_recv 127.0.0.1 --count 50 --max-size 1000 --idle 0.5
	send 127.0.0.1 --count 50 --max-size 1000
	send 127.0.0.1 --count 50 --max-size 1000
	summary 0 "$(json 57 57 0 0 0)"
}

# Crafted datagrams before a whole stream: a small one of the wrong bytes,
# numbers out of range, a number of the wrong length, a real datagram with
# one byte changed and an empty one.
test_corrupt() {
	start_recv 127.0.0.1 --count 5 --max-size 64 --idle 0.5
	printf '\x03\x03\x04' >"/dev/udp/127.0.0.1/$PORT" || fail "/dev/udp"
	printf '\0\0\0\0\0\0\0\x05abcde' >"/dev/udp/127.0.0.1/$PORT"
	printf 'zzzzzzzzzzzz' >"/dev/udp/127.0.0.1/$PORT"
	printf '\0\0\0\0\0\0\0\x01xy' >"/dev/udp/127.0.0.1/$PORT"
	if command -v python3 >/dev/null; then
		# Number 3 as udpgen sends it (after 7 small ones and 0 to 2),
		# its last byte changed.
		python3 -c '
import socket, subprocess, sys
udpgen, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(5)
subprocess.run([udpgen, "send", "127.0.0.1", str(s.getsockname()[1]),
                "--count", "4", "--max-size", "64"], check=True)
data = [s.recv(65536) for _ in range(11)][-1]
assert data[:8] == (3).to_bytes(8, "big") and len(data) == 11, data
s.sendto(data[:-1] + bytes([data[-1] ^ 1]), ("127.0.0.1", port))
s.sendto(b"", ("127.0.0.1", port))
' "$UDPGEN" "$PORT" || fail "python3 could not craft the datagrams"
		corrupt=6
	else
		echo "# no python3: no changed byte nor empty datagram"
		corrupt=4
	fi
	send 127.0.0.1 --count 5 --max-size 64
	summary 1 "$(json 12 12 0 "$corrupt" 0)"
}

# Nothing at first: recv waits past --idle until the first datagram, up to
# --timeout; then --idle ends it.
test_waiting() {
	local start
	start=$(ms)
	start_recv 127.0.0.1 --count 20 --max-size 100 --idle 0.2 --timeout 0.7
	summary 1 "$(json 27 0 0 0 27)"
	(($(ms) - start >= 700)) || fail "recv gave up before --timeout"
	start_recv 127.0.0.1 --count 20 --max-size 100 --idle 0.2 --timeout 30
	sleep 1
	send 127.0.0.1 --count 20 --max-size 100
	summary 0 "$(json 27 27 0 0 0)"
	start=$(ms)
	start_recv 127.0.0.1 --count 20 --max-size 100 --idle 0.2 --timeout 30
	send 127.0.0.1 --count 10 --max-size 100
	summary 1 "$(json 27 17 0 0 10)"
	(($(ms) - start < 30000)) || fail "recv waited for --timeout"
}

# 50 datagrams at 100 a second take at least 0.45 s, and all arrive.
test_pps() {
	local start elapsed
	start_recv 127.0.0.1 --count 50 --max-size 1000 --idle 5
	start=$(ms)
	send 127.0.0.1 --count 50 --max-size 1000 --pps 100
	elapsed=$(($(ms) - start))
	summary 0 "$(json 57 57 0 0 0)"
	((elapsed >= 450)) || fail "50 datagrams at 100 pps in $elapsed ms"
	echo "# 50 datagrams at 100 pps: $elapsed ms"
	start=$(ms)
	send 127.0.0.1 --count 5 --max-size 100 --pps=12.5
	elapsed=$(($(ms) - start))
	((elapsed >= 350)) || fail "5 datagrams at 12.5 pps in $elapsed ms"
}

# refused ARGS...: udpgen ARGS exits 2 with a message and no output.
refused() {
	local rc
	"$UDPGEN" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	[ "$rc" = 2 ] || fail "udpgen $*: exit status $rc, not 2"
	[ ! -s "$TMP/out" ] || fail "udpgen $*: wrote to stdout"
	grep -q '^udpgen: ' "$TMP/err" || fail "udpgen $*: no message: $(cat "$TMP/err")"
	echo "# udpgen $*: $(grep '^udpgen: ' "$TMP/err")"
}

test_bad_arguments() {
	local cmd
	refused
	refused frob 127.0.0.1 7000 --max-size 100
	for cmd in send recv; do
		refused "$cmd" 127.0.0.1 "$PORT"
		refused "$cmd" 127.0.0.1 --max-size 100
		refused "$cmd" --max-size 100
		refused "$cmd" 127.0.0.1 "$PORT" 9 --max-size 100
		refused "$cmd" 127.0.0.1 "$PORT" --max-size 7
		refused "$cmd" 127.0.0.1 "$PORT" --max-size 65508
		refused "$cmd" 127.0.0.1 "$PORT" --max-size 1k
		refused "$cmd" 127.0.0.1 "$PORT" --max-size
		refused "$cmd" 127.0.0.1 "$PORT" --max-size 100 --count ten
		refused "$cmd" 127.0.0.1 "$PORT" --max-size 100 --count -1
		refused "$cmd" 127.0.0.1 "$PORT" --max-size 100 --count 99999999999999999999
		refused "$cmd" 127.0.0.1 "$PORT" --max-size 100 --count ""
		refused "$cmd" 127.0.0.1 70000 --max-size 100
		refused "$cmd" 127.0.0.1 port --max-size 100
		refused "$cmd" 127.0.0.1 -1 --max-size 100
		refused "$cmd" 127.0.0.1 "$PORT" --max-size 100 --fixed-size=yes
		refused "$cmd" 127.0.0.1 "$PORT" --max-size 100 --frob
		refused "$cmd" 127.0.0.1 "$PORT" --max-size 100 -x
	done
	refused send 127.0.0.1 "$PORT" --max-size 100 --pps fast
	refused send 127.0.0.1 "$PORT" --max-size 100 --pps -1
	refused send 127.0.0.1 "$PORT" --max-size 100 --pps inf
	refused send 127.0.0.1 "$PORT" --max-size 100 --idle 1
	refused send 127.0.0.1 "$PORT" --max-size 100 --drain
	refused recv 127.0.0.1 "$PORT" --max-size 100 --pps 10
	refused recv 127.0.0.1 "$PORT" --max-size 100 --idle 0
	refused recv 127.0.0.1 "$PORT" --max-size 100 --idle nan
	refused recv 127.0.0.1 "$PORT" --max-size 100 --idle 1s
	refused recv 127.0.0.1 "$PORT" --max-size 100 --timeout -1
	refused recv 127.0.0.1 "$PORT" --max-size 100 --ready
	# Help is no error; argparse's spellings of options work.
	for cmd in -h --help "send -h" "recv --help"; do
		# shellcheck disable=SC2086
		"$UDPGEN" $cmd >"$TMP/out" || fail "udpgen $cmd: exit status $?"
		grep -q '^usage: udpgen send' "$TMP/out" || fail "udpgen $cmd: no usage"
	done
	start_recv 127.0.0.1 --count=3 --max=100 --fix --id 0.5 --time 10.5
	send 127.0.0.1 --max-size=100 --c 3 --fixed
	summary 0 "$(json 10 10 0 0 0)"
}

tests=(
	test_full_stream test_ipv6 test_fixed_size test_missing test_duplicates
	test_corrupt test_waiting test_pps test_bad_arguments
)

[ -n "$UDPGEN_TEST_NETNS" ] && echo "# in a network namespace of its own" ||
	echo "# on the host's loopback, port $PORT"
source "$(dirname "$0")/../ktap.sh"
ktap_main "${tests[@]}"
