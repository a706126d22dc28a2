#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fuzzing the receiver (docs/testing.md, "Fuzzing the receiver"): forged
# frames, random and mutated from frames captured on the live link (every
# type, field and length), sent by tools/fuzz/rxfuzz into a receiver while
# real numbered datagrams flow through it. No forged content is delivered,
# the real traffic arrives whole, every frame is counted under one reason,
# the kernel's CPU time per forged frame stays bounded, the kernel log stays
# clean. The first test runs the fuzzer; the others judge what it left.
#
# FUZZ_SECONDS (default 35) or FUZZ_FRAMES (a number of frames instead, for
# make fuzz), FUZZ_SEED (default: from the clock; printed), FUZZ_PPS (real
# datagrams per second, 200), FUZZ_LOSS (one real DATA frame in this many
# lost on the link, 50; 0 for none), FUZZ_ENCAP (udp, or eth: the frames as
# Ethernet payloads on the veth pair), FUZZ_CPU_FACTOR (the bound, below),
# FUZZ_OUT (where the corpus and the results go; default
# $VM_OUT/fuzz-KERNEL[-eth], or a temporary folder).
source "$(dirname "$0")/lib.sh"

diode_install_module || exit $KSFT_FAIL
sysctl -qw net.core.rmem_max=33554432

RX_OUT4=192.0.2.2
FUZZ_SPORT=40404
FUZZ_SECONDS=${FUZZ_SECONDS:-35}
FUZZ_FRAMES=${FUZZ_FRAMES:-0}
FUZZ_SEED=${FUZZ_SEED:-$(date +%s)}
FUZZ_PPS=${FUZZ_PPS:-200}
FUZZ_LOSS=${FUZZ_LOSS:-50}
FUZZ_ENCAP=${FUZZ_ENCAP:-udp}
FUZZ_MAC=02:00:00:00:66:7a
ETHERTYPE=0x88b5
if [ "$FUZZ_ENCAP" = eth ]; then
	NFT_FAMILY=netdev CAPTURE_FILTER="ether proto $ETHERTYPE"
else
	NFT_FAMILY=inet CAPTURE_FILTER="udp port $DIODE_PORT"
fi
# The kernel's CPU time per forged frame of each class may be at most this
# many times that of a frame of its size refused at the first check
# (version 0); 1.5 to 3 times it in our runs. A frame costs 10 to 50 us
# under TCG, a key derivation 0.5 to 3 ms: a derivation or an FEC repair
# for each forged frame of a class, done as the frame arrives, goes 10 to
# 100 times over it (docs/testing.md).
FUZZ_CPU_FACTOR=${FUZZ_CPU_FACTOR:-8}
SUFFIX=; [ "$FUZZ_ENCAP" = eth ] && SUFFIX=-eth
FUZZ_OUT=${FUZZ_OUT:-${VM_OUT:-$(mktemp -d)}/fuzz-$(uname -r)$SUFFIX}
RESULT=$FUZZ_OUT/result.json
mkdir -p "$FUZZ_OUT"
rm -f "$RESULT" "$FUZZ_OUT"/*.json "$FUZZ_OUT"/*.txt
KLINES=$(dmesg | wc -l)
# The forger on CPU 0, the real traffic on CPU 1, when there are two.
PIN_FUZZ=() PIN_REAL=()
if [ "$(nproc)" -ge 2 ]; then
	PIN_FUZZ=(taskset -c 0) PIN_REAL=(taskset -c 1)
fi

# The fuzzer: the one `make tools` built, or built here (slow under TCG).
rxfuzz_binary() {
	local src=$DIODE_TOP/tools/fuzz/rxfuzz.c bin=$DIODE_TOP/tools/fuzz/rxfuzz
	if [ -x "$bin" ] && [ "$bin" -nt "$src" ]; then
		echo "$bin"
		return
	fi
	bin=/tmp/rxfuzz.$$
	gcc -O2 -std=gnu11 -Wall -Wextra -o "$bin" "$src" >&2 || return 1
	echo "$bin"
}

# Count the link's frames: in the receiver's namespace, before anything
# else sees them, the forger's whole datagrams (the fragmented ones are
# counted once reassembled, IpReasmOKs) and the sender's, ANNOUNCE and
# HEARTBEAT frames apart, which it sends all the time; in the sender's,
# what its diode0 puts on the link. The forger's frames are those from its
# port, or with encap eth from its own MAC address.
link_counters() {
	[ "$FUZZ_ENCAP" = eth ] && { link_counters_eth; return; }
	local real="ip protocol udp udp sport != $FUZZ_SPORT udp dport $DIODE_PORT"
	ip netns exec "$RX" nft -f - <<-EOF
	table inet fuzz {
		chain pre {
			type filter hook prerouting priority -500;
			ip protocol udp ip frag-off & 0x3fff == 0 udp sport $FUZZ_SPORT udp dport $DIODE_PORT counter comment "forged"
			ip frag-off & 0x3fff == 0 $real @th,64,8 0x12 counter comment "real_announce"
			ip frag-off & 0x3fff == 0 $real @th,64,8 0x13 counter comment "real_heartbeat"
			ip frag-off & 0x3fff == 0 $real @th,64,8 != { 0x12, 0x13 } counter comment "real_other"
		}
	}
	EOF
	ip netns exec "$TX" nft -f - <<-EOF
	table inet fuzz {
		chain out {
			type filter hook output priority 0;
			$real @th,64,8 0x12 counter comment "real_announce"
			$real @th,64,8 0x13 counter comment "real_heartbeat"
			$real @th,64,8 != { 0x12, 0x13 } counter comment "real_other"
		}
	}
	EOF
	LOSS_RULE="$real @th,64,8 0x11"
}

link_counters_eth() {
	local real="ether type $ETHERTYPE ether saddr != $FUZZ_MAC"
	ip netns exec "$RX" nft -f - <<-EOF
	table netdev fuzz {
		chain in {
			type filter hook ingress device vrx priority -500;
			ether type $ETHERTYPE ether saddr $FUZZ_MAC counter comment "forged"
			$real @ll,112,8 0x12 counter comment "real_announce"
			$real @ll,112,8 0x13 counter comment "real_heartbeat"
			$real @ll,112,8 != { 0x12, 0x13 } counter comment "real_other"
		}
	}
	EOF
	ip netns exec "$TX" nft -f - <<-EOF
	table netdev fuzz {
		chain out {
			type filter hook egress device vtx priority 0;
			$real @ll,112,8 0x12 counter comment "real_announce"
			$real @ll,112,8 0x13 counter comment "real_heartbeat"
			$real @ll,112,8 != { 0x12, 0x13 } counter comment "real_other"
		}
	}
	EOF
	LOSS_RULE="$real @ll,112,8 0x11"
}

# eth_link: diode0 on both ends of diode_link's veth pair moved to encap
# eth, once the receiver holds the sender's new session.
eth_link() {
	local s
	s=$(diode_stat "$RX" rx_sessions)
	ip -n "$TX" link set diode0 down
	ip -n "$RX" link set diode0 down
	ip netns exec "$TX" diodectl set diode0 encap eth lower vtx
	ip netns exec "$RX" diodectl set diode0 encap eth lower vrx
	ip -n "$RX" link set diode0 up
	ip -n "$TX" link set diode0 up
	wait_rx_sessions $((s + 1))
}

# link_frames PCAP: the diode frames of a capture of vtx, as wire.py frames
# prints them (type tag counter hex).
link_frames() {
	if [ "$FUZZ_ENCAP" != eth ]; then
		python3 "$DIODE_TOP/selftests/wire.py" frames "$1"
		return
	fi
	python3 - "$1" "$ETHERTYPE" <<-'EOF'
	import struct, sys
	data = open(sys.argv[1], "rb").read()
	endian = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
	off, types = 24, {1: "data", 2: "announce", 3: "heartbeat", 4: "parity"}
	while off + 16 <= len(data):
	    caplen = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
	    pkt = data[off + 16:off + 16 + caplen]
	    off += 16 + caplen
	    frame = pkt[14:]
	    if struct.unpack(">H", pkt[12:14])[0] == int(sys.argv[2], 0) and len(frame) >= 12:
	        vt, _, tag, counter = struct.unpack(">BBHQ", frame[:12])
	        print(types.get(vt & 15, "unknown"), tag, counter, frame.hex())
	EOF
}

# snapshot NAME: the counters of both ends, raw, into $KEYS/NAME.*; the
# check reads them.
snapshot() {
	ip netns exec "$RX" diodectl show diode0 --json >"$KEYS/$1.rx"
	ip netns exec "$TX" diodectl show diode0 --json >"$KEYS/$1.tx"
	ip netns exec "$RX" nft -j list table "$NFT_FAMILY" fuzz >"$KEYS/$1.rx_nft"
	ip netns exec "$TX" nft -j list table "$NFT_FAMILY" fuzz >"$KEYS/$1.tx_nft"
	ip netns exec "$RX" cat /proc/net/snmp >"$KEYS/$1.rx_snmp"
	cat /proc/net/softnet_stat >"$KEYS/$1.softnet"
	now >"$KEYS/$1.time"
}

# send_sizes: datagrams of many sizes up to the MTU through the link, to
# a port nobody listens on: DATA frames of every size for the corpus.
send_sizes() {
	ip netns exec "$TX" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
top = int(sys.argv[2])
for n in list(range(0, top, 23)) + [top] * 3:
    s.sendto(bytes(n), (sys.argv[1], 7001))' "$RX_IN4" $(( $(mtu_of) - 28 ))
}

now() { date +%s.%N; }

# real_traffic COUNT STOPFILE: batches of COUNT numbered datagrams from $TX
# to $RX, each checked by udpgen, until STOPFILE exists; one JSON line
# per batch in $FUZZ_OUT/real.txt.
real_traffic() {
	local count=$1 stop=$2 max ready rpid b=0 t0 t1
	max=$(( $(mtu_of) - 28 ))
	set +e
	# The receiver ends 15 s after the last datagram; its timeout only
	# bounds a batch that never ends, and a debug kernel on a loaded host
	# has sent at a fifth of FUZZ_PPS.
	while [ ! -e "$stop" ]; do
		b=$((b + 1))
		ready=$KEYS/ready.$b
		ip netns exec "$RX" "${PIN_REAL[@]}" "$UDPGEN" recv \
			"$RX_IN4" 7000 --count "$count" --max-size "$max" --ready "$ready" \
			--idle 15 --timeout $((count / FUZZ_PPS * 10 + 60)) >"$KEYS/batch.$b" &
		rpid=$!
		wait_for_file "$ready" "the receiver of batch $b"
		t0=$(now)
		ip netns exec "$TX" "${PIN_REAL[@]}" "$UDPGEN" send \
			"$RX_IN4" 7000 --count "$count" --max-size "$max" --pps "$FUZZ_PPS"
		t1=$(now)
		wait "$rpid"
		echo "{\"batch\": $b, \"sent\": $((count + 7)), \"from\": $t0, \"to\": $t1," \
			"\"summary\": $(cat "$KEYS/batch.$b")}" >>"$FUZZ_OUT/real.txt"
	done
}

test_fuzz_run() {
	local bin corpus=$FUZZ_OUT/corpus.txt run=() to batch s t stop realpid
	local t_start=$SECONDS
	bin=$(rxfuzz_binary) || fail "cannot build the fuzzer"
	diode_link 4
	# Only the test's datagrams become DATA frames: no neighbour discovery
	# or MLD on either diode0.
	ip netns exec "$TX" sysctl -qw net.ipv6.conf.diode0.disable_ipv6=1
	ip netns exec "$RX" sysctl -qw net.ipv6.conf.diode0.disable_ipv6=1
	[ "$FUZZ_ENCAP" = eth ] && eth_link
	link_counters

	# The corpus: frames of three sessions (none lost), the last two with
	# FEC (4/2 interleaved, 16/4), DATA frames of every size, HEARTBEAT,
	# PARITY and ANNOUNCE frames. The last session is live throughout the
	# run: no rekeying.
	capture_start vtx "$TX" "$KEYS/cap.pcap" "$CAPTURE_FILTER"
	s=$(diode_stat "$RX" rx_sessions)
	ip netns exec "$TX" diodectl set diode0 fec 4/2 interleave 2 heartbeat-interval 250 \
		rekey-after-time 604800
	wait_rx_sessions $((s + 1))
	send_sizes
	sleep 0.3
	ip netns exec "$TX" diodectl set diode0 fec 16/4 interleave 1
	wait_rx_sessions $((s + 2))
	send_sizes
	sleep 0.6
	capture_stop
	link_frames "$KEYS/cap.pcap" >"$corpus"
	echo "# corpus: $(wc -l <"$corpus") frames: $(awk '{ print $1 }' "$corpus" | sort | uniq -c | xargs)"
	for t in data announce heartbeat parity; do
		grep -q "^$t " "$corpus" || fail "no $t frame captured"
	done

	if [ "$FUZZ_ENCAP" = eth ]; then
		to=(--eth vtx --ethertype "$ETHERTYPE")
	else
		to=(--sport "$FUZZ_SPORT" "$RX_OUT4" "$DIODE_PORT")
	fi
	if [ "$FUZZ_FRAMES" -gt 0 ]; then
		run=(--frames "$FUZZ_FRAMES" --progress 60)
		batch=$((FUZZ_PPS * 30))
	else
		run=(--seconds "$FUZZ_SECONDS")
		batch=$((FUZZ_PPS * (FUZZ_SECONDS + 3)))
	fi
	# The previous session is retired 2 s after the live one took over.
	sleep 2
	# From now on the link loses one real DATA frame in $FUZZ_LOSS: FEC
	# rebuilds them, forged frames or not.
	[ "$FUZZ_LOSS" -gt 0 ] && ip netns exec "$TX" nft insert rule "$NFT_FAMILY" fuzz out \
		$LOSS_RULE numgen inc mod "$FUZZ_LOSS" == 0 counter drop comment '"lost"'
	stop=$KEYS/stop
	: >"$FUZZ_OUT/real.txt"
	snapshot before
	real_traffic "$batch" "$stop" &
	realpid=$!
	wait_for_file "$KEYS/ready.1" "the real traffic"
	sleep 1
	echo "# rxfuzz --seed $FUZZ_SEED ${run[*]} ${to[*]} (corpus and results in $FUZZ_OUT)"
	ip netns exec "$TX" "${PIN_FUZZ[@]}" "$bin" --corpus "$corpus" --seed "$FUZZ_SEED" \
		"${run[@]}" --json "$FUZZ_OUT/rxfuzz.json" "${to[@]}" || fail "rxfuzz failed"
	touch "$stop"
	wait "$realpid" || fail "the real traffic did not run"
	# Frames waiting for the worker, a derivation or a decryption are done.
	sleep 2
	snapshot after
	python3 - "$KEYS" "$FUZZ_OUT" "$FUZZ_CPU_FACTOR" "$FUZZ_ENCAP" >"$RESULT" <<-'EOF' ||
	import json, sys

	keys, out_dir, factor, encap = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]

	def nft(path):
	    counts = {}
	    for item in json.load(open(path))["nftables"]:
	        rule = item.get("rule")
	        if rule and "comment" in rule:
	            counts[rule["comment"]] = sum(e["counter"]["packets"]
	                                          for e in rule["expr"] if "counter" in e)
	    return counts

	def snmp(path):
	    lines = open(path).read().split("\n")
	    counts = {}
	    for head, vals in zip(lines[::2], lines[1::2]):
	        proto = head.split(":")[0]
	        for k, v in zip(head.split()[1:], vals.split()[1:]):
	            counts[proto + k] = int(v)
	    return counts

	def snapshot(name):
	    p = keys + "/" + name + "."
	    return {"rx": json.load(open(p + "rx"))[0]["stats"],
	            "tx": json.load(open(p + "tx"))[0]["stats"],
	            "rx_nft": nft(p + "rx_nft"), "tx_nft": nft(p + "tx_nft"),
	            "rx_snmp": snmp(p + "rx_snmp"),
	            "softnet": {"drops": sum(int(l.split()[1], 16) for l in open(p + "softnet"))},
	            "time": {"s": float(open(p + "time").read())}}

	before, after = snapshot("before"), snapshot("after")
	d = {g: {k: after[g][k] - before[g].get(k, 0) for k in after[g]} for g in after}
	rx, tx = d["rx"], d["tx"]
	fz = json.load(open(out_dir + "/rxfuzz.json"))
	real = [json.loads(l) for l in open(out_dir + "/real.txt") if l.strip()]
	# The share of the forger's time during which real datagrams were sent.
	overlap = sum(max(0, min(b["to"], fz["to"]) - max(b["from"], fz["from"])) for b in real)
	res = {"kernel": open("/proc/sys/kernel/osrelease").read().strip(), "encap": encap,
	       "seed": fz["seed"], "frames": fz["frames"], "seconds": fz["seconds"],
	       "frames_per_s": fz["frames_per_s"], "sweep": fz["sweep"],
	       "fragmented": fz["fragmented"], "send_errors": fz["send_errors"],
	       "checks": {}}
	checks = res["checks"]

	def verdict(name, conditions):
	    """The check NAME: the conditions (what failing means, holds) that fail."""
	    checks[name] = [what for what, holds in conditions if not holds]

	# 1. Forged content: every datagram udpgen got was one the sender
	# sent, byte for byte, once; diode0 delivered exactly as many packets
	# as the sender sent datagrams (its only packets), so that nothing else
	# came out of it; no session was accepted.
	real_sent = sum(b["sent"] for b in real)
	corrupt = sum(b["summary"]["corrupt"] for b in real)
	dups = sum(b["summary"]["duplicates"] for b in real)
	res["delivered"] = {"datagrams_sent": real_sent, "tx_packets": tx["tx_packets"],
	                    "rx_packets": rx["rx_packets"], "udpgen_corrupt": corrupt,
	                    "udpgen_duplicates": dups, "rx_sessions": rx["rx_sessions"],
	                    "rx_announces": rx["rx_announces"]}
	verdict("no_forged_delivery", [
	    ("datagrams not as sent", corrupt == 0),
	    ("datagrams delivered twice", dups == 0),
	    ("more packets delivered than sent", rx["rx_packets"] <= tx["tx_packets"]),
	    ("the sender sent other packets", tx["tx_packets"] == real_sent),
	    ("sessions accepted", rx["rx_sessions"] == 0),
	    ("ANNOUNCE frames authenticated", rx["rx_announces"] == 0)])

	# 2. Real traffic: every datagram of every batch arrived; every DATA
	# and PARITY frame the sender put on the link reached the receiver (they
	# flow only with the datagrams: the counts are exact) but those the test
	# dropped, and FEC rebuilt at least those; no counter of the live
	# session was lost, HEARTBEAT frames included.
	missing = sum(b["summary"]["missing"] for b in real)
	lost = d["tx_nft"].get("lost", 0)
	res["real"] = {"batches": len(real), "datagrams": real_sent, "missing": missing,
	               "share_of_fuzzing_time": round(overlap / max(fz["to"] - fz["from"], 1e-9), 3),
	               "frames_dropped_by_the_test": lost,
	               "frames_sent": d["tx_nft"]["real_other"],
	               "frames_arrived": d["rx_nft"]["real_other"],
	               "heartbeats_sent": d["tx_nft"]["real_heartbeat"],
	               "announces_sent": d["tx_nft"]["real_announce"],
	               "rx_lost": rx["rx_lost"], "tx_dropped": tx["tx_dropped"],
	               "rx_dropped": rx["rx_dropped"], "rx_recovered": rx["rx_recovered"],
	               "udp_rcvbuf_errors": d["rx_snmp"]["UdpRcvbufErrors"],
	               "softnet_drops": d["softnet"]["drops"]}
	verdict("real_traffic_intact", [
	    ("no datagram sent", len(real) > 0),
	    ("datagrams missing", missing == 0),
	    ("counters lost (rx_lost)", rx["rx_lost"] == 0),
	    # With encap eth, the sender sees the test's drops (in tx_dropped).
	    ("packets dropped by the sender", tx["tx_dropped"] == (lost if encap == "eth" else 0)),
	    ("frames lost on the link", d["tx_nft"]["real_other"] == d["rx_nft"]["real_other"]),
	    ("fewer frames rebuilt than lost", rx["rx_recovered"] >= lost),
	    ("packets delivered other than sent", rx["rx_packets"] == tx["tx_packets"] == real_sent)])

	# 3. Every frame counted once: frames in (forged whole datagrams and
	# reassembled ones, the sender's DATA and PARITY frames, and frames FEC
	# rebuilt) less the forged frames of the live session's ANNOUNCE's
	# length, tag and E (a comparison, counted nowhere, by design) equal
	# the frames counted under a reason, or delivered. The sender's ANNOUNCE
	# repeats (that same comparison) and HEARTBEAT frames (rx_heartbeats)
	# keep coming while the counters are read, and are left out.
	reasons = ["rx_malformed", "rx_unknown_session", "rx_unauthentic", "rx_replayed",
	           "rx_duplicate", "rx_bad_inner", "rx_stale_session", "rx_dropped",
	           "rx_rate_limited"]
	counted = sum(rx[r] for r in reasons) + rx["rx_packets"] + rx["rx_parity"]
	forged_in = d["rx_nft"]["forged"] + d["rx_snmp"]["IpReasmOKs"]
	frames_in = (forged_in - fz["silent_announces"] + d["rx_nft"]["real_other"] +
	             rx["rx_recovered"])
	res["accounting"] = {"forged_sent": fz["frames"], "forged_arrived": forged_in,
	                     "silent_announces": fz["silent_announces"],
	                     "reassembly_failures": d["rx_snmp"]["IpReasmFails"],
	                     "frames_in": frames_in, "counted": counted,
	                     "by_reason": {r[3:]: rx[r] for r in reasons}}
	verdict("every_frame_counted", [
	    ("forged frames lost on the link", forged_in == fz["frames"]),
	    ("frames in other than frames counted", frames_in == counted)])

	# 4. Key derivations: each ANNOUNCE the receiver queued for its worker
	# (the forger knows which) was refused as rate limited or stale, or
	# cost a derivation; at most 8 at once and then 10 a second, from the
	# forger's first frame to the last reading.
	derived = (fz["derivable_announces"] - rx["rx_rate_limited"] - rx["rx_stale_session"] -
	           rx["rx_dropped"])
	span = after["time"]["s"] - fz["from"]
	res["derivations"] = {"announces_queued": fz["derivable_announces"],
	                      "derivations": derived, "seconds": round(span, 1),
	                      "bound": 8 + int(10 * span) + 1}
	verdict("derivations_rate_limited", [
	    ("more derivations than the limit allows", derived <= res["derivations"]["bound"])])

	# 5. CPU per forged frame: the kernel's time (all CPUs) per frame of
	# each class, against FACTOR times that of frames refused at the first
	# check, of the same average size (short and MTU-sized yardsticks,
	# interpolated; frames larger than the MTU against their own).
	cls = fz["classes"]
	cost = {c: v["kernel_us_per_frame"] for c, v in cls.items()}
	size = {c: v["bytes"] / v["frames"] for c, v in cls.items()}

	def yardstick(c):
	    if c.startswith("base_"):
	        return cost[c]
	    if c == "big":
	        return cost["base_big"]
	    s0, s1 = size["base_short"], size["base_mtu"]
	    w = min(max((size[c] - s0) / (s1 - s0), 0), 1)
	    return cost["base_short"] + w * (cost["base_mtu"] - cost["base_short"])

	have = all(k in cost for k in ("base_short", "base_mtu")) and (
	    "big" not in cost or "base_big" in cost)
	res["cpu"] = {c: {"us_per_frame": cost[c], "bytes": round(size[c]),
	                  "bound": round(factor * yardstick(c), 1) if have else None,
	                  "frames": cls[c]["frames"]} for c in cls}
	verdict("cpu_per_frame_bounded", [("no yardstick", have)] + [
	    ("%s over its bound" % c, not have or cost[c] <= factor * yardstick(c)) for c in cls])
	print(json.dumps(res, indent=1))
	EOF
		fail "checking the run failed"
	echo "# $(python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))
print(r["frames"], "frames in", r["seconds"], "s,", r["frames_per_s"], "frames/s, seed", r["seed"])' "$RESULT");" \
		"the test took $((SECONDS - t_start)) s"
}

# check NAME KEY...: the verdict NAME of the run, with the figures of KEYs.
check() {
	[ -s "$RESULT" ] || fail "no result: the run failed"
	python3 - "$RESULT" "$@" <<-'EOF'
	import json, sys
	r = json.load(open(sys.argv[1]))
	for key in sys.argv[3:]:
	    print("# %s: %s" % (key, json.dumps(r[key])))
	for what in r["checks"][sys.argv[2]]:
	    print("# FAIL: %s" % what)
	sys.exit(1 if r["checks"][sys.argv[2]] else 0)
	EOF
}

test_no_forged_delivery() {
	check no_forged_delivery delivered
}

test_real_traffic_intact() {
	check real_traffic_intact real
}

test_every_frame_counted() {
	check every_frame_counted accounting
}

test_derivations_rate_limited() {
	check derivations_rate_limited derivations
}

test_cpu_per_frame_bounded() {
	check cpu_per_frame_bounded cpu
}

# selftests/run checks the log too; make fuzz runs this script alone.
test_kernel_log_clean() {
	source "$DIODE_TOP/scripts/kernel-log-failures"
	if dmesg | tail -n +$((KLINES + 1)) | grep -E "$KERNEL_LOG_FAILURES" >"$FUZZ_OUT/kernel-log.txt"; then
		sed 's/^/# /' "$FUZZ_OUT/kernel-log.txt"
		fail "the kernel log shows a failure"
	fi
}

ktap_run fuzz_run no_forged_delivery real_traffic_intact every_frame_counted \
	derivations_rate_limited cpu_per_frame_bounded kernel_log_clean
