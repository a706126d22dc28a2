#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The files benchmark (docs/files.md): one file of MB MiB at 0 % loss across
# a veth pair with everything going back dropped, in one run:
#   1. plain UDP on the same path, the ceiling: udpflood (tools/bench) sends
#      as many 1472-byte datagrams as the file has bytes, at the path's rate,
#      to udpflood recv;
#   2. the files agent pair with Passes = 1, then Passes = 2, the tx's Rate
#      the path's rate: the file moved into the outbox, timed until the rx
#      renamed it into the inbox.
# A diode is a link of a fixed rate that nothing may overrun (nothing tells
# the sender to slow down), so both are paced at it; with the rate "none"
# both send as fast as they can and the figure is the CPU's, not a link's.
# Goodput is the file's bytes over the time (UDP: received bytes over the
# time from the first datagram to the last). CPU is what the agents'
# processes used (user + system), per GiB of the file. Not a test: the
# numbers depend on the machine.
#
#   bench_files.sh [MB]      MB defaults to 1024; run as root
#   BENCH_FILES_RATE=RATE    the path's rate (default 800mbit, or none)
set -u
here=$(cd "$(dirname "$0")" && pwd)
agent=$here/diode-agent flood=$here/../bench/udpflood
mb=${1:-1024}
work=$(mktemp -d /tmp/diode-agent-bench-files.XXXXXX)
ns_tx=dbf-tx-$$ ns_rx=dbf-rx-$$

[ -x "$flood" ] || { echo "bench: no $flood: make -C tools bench/udpflood" >&2; exit 1; }
source "$here/ns_lib.sh"
trap 'ns_end "$ns_tx" "$ns_rx"; rm -rf "$work"' EXIT

ns_link "$ns_tx" "$ns_rx" dbf 10.79.0 || exit 1

json() { grep -o "\"$2\": [0-9.]*" "$1" | awk '{ print $2 }'; }	# json FILE KEY
# cpu PID: its user + system time so far, in clock ticks
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
statv() { grep -o "\"$2\":[0-9]*" "$work/st/$1.status" | cut -d: -f2; }

rate=${BENCH_FILES_RATE-800mbit}
[ "$rate" = none ] && rate=
pps=
if [ -n "$rate" ]; then
	# udpflood paces datagrams: a 1472-byte one is 1500 bytes on the wire,
	# as the tx's Rate counts it
	pps=$(awk -v r="$rate" 'BEGIN {
		n = r + 0; u = tolower(substr(r, length(n "") + 1))
		m = u ~ /^k/ ? 1e3 : u ~ /^m/ ? 1e6 : u ~ /^g/ ? 1e9 : 1
		if (n <= 0 || u !~ /^[kmg]?bit$/) exit 1
		printf "%d", n * m / 8 / 1500 }') ||
		{ echo "bench: BENCH_FILES_RATE: $rate is not a rate (as 800mbit, or none)" >&2; exit 1; }
fi
bytes=$((mb << 20))
count=$(( (bytes + 1471) / 1472 ))
ip netns exec "$ns_rx" "$flood" recv 10.79.0.2 5300 --idle 2 >"$work/udp.recv" &
rcv=$!
sleep 0.5
ip netns exec "$ns_tx" "$flood" send 10.79.0.2 5300 --size 1472 --count "$count" ${pps:+--rate "$pps"} \
	>"$work/udp.send"
wait "$rcv"
udp_bytes=$(json "$work/udp.recv" bytes) udp_span=$(json "$work/udp.recv" span)
udp_rate=$(awk -v b="$udp_bytes" -v s="$udp_span" 'BEGIN { printf "%.1f", (s > 0 ? b / s / 1e6 : 0) }')

head -c "$bytes" /dev/urandom >"$work/file"
results=()
for passes in 1 2; do
	rm -rf "$work/st" "$work/out" "$work/sent" "$work/in"
	mkdir -p "$work/st" "$work/out" "$work/sent" "$work/in"
	printf '[Channel]\nName = tx\nRole = tx\nProtocol = files\nId = 5\nStateDir = %s\n[Transport]\nRemote = 10.79.0.2:5301\n%b[Files]\nOutbox = %s\nSent = %s\nPasses = %d\nPassDelay = 0\nSettle = 0\n' \
		"$work/st" "${rate:+Rate = $rate\n}" "$work/out" "$work/sent" \
		"$passes" >"$work/tx.conf"
	printf '[Channel]\nName = rx\nRole = rx\nProtocol = files\nId = 5\nStateDir = %s\n[Transport]\nLocal = 10.79.0.2:5301\n[Files]\nInbox = %s\nDeadline = 20s\n' \
		"$work/st" "$work/in" >"$work/rx.conf"
	ip netns exec "$ns_rx" "$agent" run "$work/rx.conf" 2>"$work/rx.log" &
	rxp=$!
	ip netns exec "$ns_tx" "$agent" run "$work/tx.conf" 2>"$work/tx.log" &
	txp=$!
	sleep 1
	kill -0 "$rxp" "$txp" || { tail -n 3 "$work/tx.log" "$work/rx.log" >&2; exit 1; }
	c0=$(( $(cpu "$rxp") + $(cpu "$txp") ))
	cp "$work/file" "$work/copy"
	mv "$work/copy" "$work/out/file"
	t0=$(date +%s.%N)
	delivered=
	# the rename into the inbox, seen within 10 ms (the status file is
	# written once a second)
	for _ in $(seq 6000); do
		[ -f "$work/in/file" ] && { delivered=$(date +%s.%N); break; }
		[ -f "$work/st/rx.status" ] && [ "$(statv rx files_failed)" = 1 ] && break
		sleep 0.01
	done
	for _ in $(seq 3000); do
		[ "$(statv tx files_sent)" = 1 ] && break
		sleep 0.02
	done
	t1=$(date +%s.%N)
	c1=$(( $(cpu "$rxp") + $(cpu "$txp") ))
	if [ -n "$delivered" ]; then
		ok=$(cmp -s "$work/file" "$work/in/file" && echo byte-exact || echo DIFFERENT)
		results+=("$(awk -v b="$bytes" -v a="$t0" -v d="$delivered" -v e="$t1" -v c=$((c1 - c0)) \
			-v hz="$(getconf CLK_TCK)" -v p="$passes" -v u="$udp_rate" -v ok="$ok" 'BEGIN {
			g = b / (d - a) / 1e6
			printf "files agents, %d pass%s  %10.1f %9.0f %%  %8.1f %6.2f  %s", p, (p > 1 ? "es" : "  "),
				g, 100 * g / u, b / (e - a) / 1e6, c / hz / (b / 2^30), ok }')")
	else
		results+=("files agents, $passes pass(es): not delivered ($(statv rx in_progress_percent) % of it;" \
			"$(statv rx socket_drops) datagrams dropped at the rx's full socket buffer)")
		tail -n 3 "$work/tx.log" "$work/rx.log" >&2
	fi
	kill "$txp" "$rxp"; wait "$txp" "$rxp" 2>/dev/null
done

echo "bench: one file of $mb MiB, 0 % loss, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)," \
	"rate ${rate:-none}"
echo "path                    goodput MB/s  of UDP  all passes MB/s  CPU s/GiB"
printf 'plain UDP, 1472 bytes    %10.1f %9s    (%s of %s bytes received)\n' "$udp_rate" "100 %" "$udp_bytes" \
	"$(json "$work/udp.send" bytes)"
printf '%s\n' "${results[@]}"
