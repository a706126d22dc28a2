#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Routing traffic into a diode: the DIODE xtables target (xt_DIODE.ko and
# its iptables extension) under iptables-legacy and iptables-nft, and every
# nftables and iproute2 recipe of docs/routing.md, run as the doc writes it.
source "$(dirname "$0")/lib.sh"

diode_install_module || exit $KSFT_FAIL
sysctl -qw net.core.rmem_max=33554432
if ! cmp -s "$DIODE_TOP/build/$(uname -r)/kmod/xt_DIODE.ko" \
	"/lib/modules/$(uname -r)/updates/xt_DIODE.ko"; then
	echo "# xt_DIODE.ko is not staged: run make modules-all" >&2
	exit $KSFT_FAIL
fi
EXT_DIR=$DIODE_TOP/tools/xtables
if [ ! -e "$EXT_DIR/libxt_DIODE.so" ]; then
	echo "# $EXT_DIR/libxt_DIODE.so is missing: run make tools" >&2
	exit $KSFT_FAIL
fi
export XTABLES_LIBDIR=$EXT_DIR:/usr/lib/x86_64-linux-gnu/xtables
DOC=$DIODE_TOP/docs/routing.md

# The gateway's OT side, and a collector address on the far side.
OT_GW4=10.9.0.1 OT_HOST4=10.9.0.2
OT_GW6=2001:db8:9::1 OT_HOST6=2001:db8:9::2
COLLECTOR4=203.0.113.10 COLLECTOR6=2001:db8:203::10
SYSLOG=514
COUNT=300
SIZE=400
PPS=3000

# gateway OUTER: diode_link OUTER, with $TX as the gateway and a namespace
# $OT behind it on ot0, as in docs/routing.md. The receiver accepts packets
# for the gateway's OT address and the collector's, as the doc suggests.
gateway() {
	diode_link "$1"
	OT=$(netns_add ot)
	# A fixed address whose first octet reads as no IP version: the netdev
	# recipe that wrongly sends Ethernet frames into the diode must fail
	# the same way every time.
	ip link add ot0 netns "$TX" address 02:00:00:00:09:01 type veth peer name eth0 netns "$OT"
	ip -n "$TX" addr add "$OT_GW4/24" dev ot0
	ip -n "$TX" addr add "$OT_GW6/64" dev ot0 nodad
	ip -n "$OT" addr add "$OT_HOST4/24" dev eth0
	ip -n "$OT" addr add "$OT_HOST6/64" dev eth0 nodad
	ip -n "$TX" link set ot0 up
	ip -n "$OT" link set eth0 up
	ip -n "$OT" route add default via "$OT_GW4"
	ip -n "$OT" -6 route add default via "$OT_GW6"
	# Datagrams sent while the gateway's address is being resolved would
	# wait in a short queue, and overflow it on a slow machine.
	ip -n "$OT" neigh replace "$OT_GW4" lladdr 02:00:00:00:09:01 dev eth0 nud permanent
	ip -n "$OT" neigh replace "$OT_GW6" lladdr 02:00:00:00:09:01 dev eth0 nud permanent
	ip -n "$RX" addr add "$OT_GW4/32" dev lo
	ip -n "$RX" addr add "$COLLECTOR4/32" dev lo
	ip -n "$RX" addr add "$OT_GW6/128" dev lo nodad
	ip -n "$RX" addr add "$COLLECTOR6/128" dev lo nodad
	# The inner packets come from an address the receiver has no route to.
	ip netns exec "$RX" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.diode0.rp_filter=0
}

# use_iptables legacy|nft: `iptables` and `ip6tables` are that variant from
# now on, in this test and the recipes it runs.
use_iptables() {
	local bin=$KEYS/bin name
	mkdir -p "$bin"
	for name in iptables ip6tables iptables-save ip6tables-save iptables-restore ip6tables-restore; do
		ln -sf "/usr/sbin/xtables-$1-multi" "$bin/$name"
	done
	PATH=$bin:$PATH
	IPTABLES_VARIANT=$1
}

# recipe NAME: run the block of docs/routing.md that starts with
# `# recipe: NAME` on the gateway, as a script.
recipe() {
	local script
	script=$(awk -v name="$1" '
		/^```/ { if (inside) exit; fenced = !fenced; first = fenced; next }
		first && $0 == "# recipe: " name { inside = 1 }
		{ first = 0 }
		inside' "$DOC")
	[ -n "$script" ] || fail "no recipe $1 in $DOC"
	echo "# recipe $1 (${IPTABLES_VARIANT:-no iptables})"
	ip netns exec "$TX" bash -e -c "$script" || fail "recipe $1 failed"
}

gw_addr() { if [ "$1" = 4 ]; then echo "$OT_GW4"; else echo "$OT_GW6"; fi; }
collector() { if [ "$1" = 4 ]; then echo "$COLLECTOR4"; else echo "$COLLECTOR6"; fi; }
cmd46() { if [ "$1" = 4 ]; then echo iptables; else echo ip6tables; fi; }

# recv_start NAME NS ADDR [PORT] [udpgen options]: numbered datagrams are
# expected exactly once at ADDR in NS; recv_wait NAME tells whether they were.
recv_start() {
	local name=$1 ns=$2 addr=$3 port=${4:-$SYSLOG} i
	shift 4 2>/dev/null || shift $#
	rm -f "$KEYS/$name.ready"
	ip netns exec "$ns" python3 "$DIODE_TOP/selftests/udpgen.py" recv "$addr" "$port" \
		--count "$COUNT" --max-size "$SIZE" --idle 5 --timeout 60 \
		--ready "$KEYS/$name.ready" "$@" >"$KEYS/$name.json" &
	echo $! >"$KEYS/$name.pid"
	for i in $(seq 100); do [ -e "$KEYS/$name.ready" ] && return 0; sleep 0.1; done
	fail "receiver $name did not start"
}

recv_wait() {
	wait "$(cat "$KEYS/$1.pid")" ||
		fail "$1: datagrams not delivered exactly once: $(cat "$KEYS/$1.json")"
	echo "# $1: $(cat "$KEYS/$1.json")"
}

# count_start NAME NS ADDR [PORT]: count the datagrams that reach ADDR in NS
# until count_stop NAME, which prints the count.
count_start() {
	local name=$1 ns=$2 addr=$3 port=${4:-$SYSLOG} i
	rm -f "$KEYS/$name.ready" "$KEYS/$name.count"
	ip netns exec "$ns" python3 -c '
import signal, socket, sys
addr, port, out, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
n = 0
def stop(*_):
    with open(out, "w") as f:
        f.write(str(n))
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
open(ready, "w").close()
while True:
    s.recv(65536)
    n += 1' "$addr" "$port" "$KEYS/$name.count" "$KEYS/$name.ready" &
	echo $! >"$KEYS/$name.pid"
	for i in $(seq 100); do [ -e "$KEYS/$name.ready" ] && return 0; sleep 0.1; done
	fail "counter $name did not start"
}

count_stop() {
	local pid; pid=$(cat "$KEYS/$1.pid")
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	cat "$KEYS/$1.count"
}

# send FAMILY DST [PORT]: the numbered datagrams, from the OT namespace.
send() {
	ip netns exec "$OT" python3 "$DIODE_TOP/selftests/udpgen.py" send "$2" "${3:-$SYSLOG}" \
		--count "$COUNT" --max-size "$SIZE" --pps "$PPS"
}

# Datagrams udpgen sends for one stream: 7 small ones and $COUNT numbered.
stream_len() { echo $((COUNT + 7)); }

# rule_packets FAMILY CHAIN: packets the DIODE rules of CHAIN (mangle) matched.
rule_packets() {
	ip netns exec "$TX" "$(cmd46 "$1")" -t mangle -L "$2" -v -x -n |
		awk '/DIODE/ { n += $1 } END { print n + 0 }'
}

# wait_rule_packets FAMILY N: until the PREROUTING DIODE rules matched N
# packets in all (20 s), so that every packet sent has met its verdict.
wait_rule_packets() {
	local i
	for i in $(seq 200); do
		[ "$(rule_packets "$1" PREROUTING)" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "the DIODE rule matched $(rule_packets "$1" PREROUTING) packets, not $2"
}

# steered FAMILY: a stream sent to the gateway's port arrives on the far side
# and not on the gateway.
steered() {
	local dst; dst=$(gw_addr "$1")
	count_start local "$TX" "$dst"
	recv_start far "$RX" "$dst"
	send "$1" "$dst"
	recv_wait far
	expect_eq "IPv$1 datagrams delivered on the gateway" 0 "$(count_stop local)"
}

# not_steered FAMILY: a stream sent to the gateway's port arrives there and
# not on the far side.
not_steered() {
	local dst; dst=$(gw_addr "$1")
	count_start far "$RX" "$dst"
	recv_start local "$TX" "$dst"
	send "$1" "$dst"
	recv_wait local
	expect_eq "IPv$1 datagrams delivered on the far side" 0 "$(count_stop far)"
}

# dropped FAMILY: a stream sent to the gateway's port arrives nowhere: the
# DIODE rule (which must have matched BEFORE packets already) fails closed.
dropped() {
	local dst; dst=$(gw_addr "$1")
	count_start local "$TX" "$dst"
	count_start far "$RX" "$dst"
	send "$1" "$dst"
	wait_rule_packets "$1" $(($2 + $(stream_len)))
	# A later stream to another port of the gateway arrives after them.
	recv_start marker "$TX" "$dst" 515
	send "$1" "$dst" 515
	recv_wait marker
	expect_eq "IPv$1 datagrams delivered on the gateway" 0 "$(count_stop local)"
	expect_eq "IPv$1 datagrams delivered on the far side" 0 "$(count_stop far)"
}

# iptables-steer and iptables-copy, in both families.
steer() {
	gateway 4
	use_iptables "$1"
	recipe iptables-steer
	steered 4
	steered 6
}

test_steer_legacy() { steer legacy; }
test_steer_nft() { steer nft; }

# Both the original and the copy arrive, and the rules survive a round trip
# through iptables-save and iptables-restore.
copy() {
	local fam dst saved
	gateway 4
	use_iptables "$1"
	recipe iptables-copy
	for fam in 4 6; do
		dst=$(gw_addr "$fam")
		recv_start local "$TX" "$dst"
		recv_start far "$RX" "$dst"
		send "$fam" "$dst"
		recv_wait local
		recv_wait far
	done
	for fam in 4 6; do
		ip netns exec "$TX" "$(cmd46 $fam)" -t mangle -S PREROUTING | grep -qxF -- \
			"-A PREROUTING -i ot0 -p udp -m udp --dport 514 -j DIODE --dev diode0 --copy" ||
			fail "$(cmd46 $fam) -S: $(ip netns exec "$TX" "$(cmd46 $fam)" -t mangle -S PREROUTING)"
		# Chain counters move (the gateway sends packets): rules only.
		saved=$(ip netns exec "$TX" "$(cmd46 $fam)-save" -t mangle)
		ip netns exec "$TX" "$(cmd46 $fam)" -t mangle -F PREROUTING
		ip netns exec "$TX" "$(cmd46 $fam)-restore" <<<"$saved"
		expect_eq "$(cmd46 $fam)-save after a restore" "$(grep '^-A' <<<"$saved")" \
			"$(ip netns exec "$TX" "$(cmd46 $fam)-save" -t mangle | grep '^-A')"
	done
}

test_copy_legacy() { copy legacy; }
test_copy_nft() { copy nft; }

rule_removed() {
	local fam
	gateway 4
	use_iptables "$1"
	recipe iptables-steer
	steered 4
	for fam in 4 6; do
		ip netns exec "$TX" "$(cmd46 $fam)" -t mangle -D PREROUTING -i ot0 -p udp \
			--dport 514 -j DIODE --dev diode0
	done
	not_steered 4
	not_steered 6
}

test_rule_removed_legacy() { rule_removed legacy; }
test_rule_removed_nft() { rule_removed nft; }

# diode0 is deleted while a rule names it and traffic flows, then created
# again: absent and down, the rule drops; up, it steers again.
device_recreated() {
	local before
	gateway 4
	use_iptables "$1"
	recipe iptables-steer
	steered 4
	ip netns exec "$OT" python3 "$DIODE_TOP/selftests/udpgen.py" send "$OT_GW4" "$SYSLOG" \
		--count 2000 --max-size "$SIZE" --pps 1000 &
	local sender=$!
	sleep 0.5
	ip -n "$TX" link del diode0
	wait "$sender"
	before=$(rule_packets 4 PREROUTING)
	dropped 4 "$before"

	ip -n "$TX" link add diode0 type diode
	ip netns exec "$TX" diodectl set diode0 mode tx private-key "$KEYS/tx.key" \
		peer "$(cat "$KEYS/rx.pub")" remote "$LINK_REMOTE:$DIODE_PORT"
	ip -n "$TX" addr add "$TX_IN4/24" dev diode0
	before=$(rule_packets 4 PREROUTING)
	dropped 4 "$before"

	ip -n "$TX" link set diode0 up
	wait_rx_sessions 2
	steered 4
}

test_device_recreated_legacy() { device_recreated legacy; }
test_device_recreated_nft() { device_recreated nft; }

# Rules in OUTPUT that match the diode's own frames, steering and copying:
# the frames still leave once, unchanged, and each inner packet is delivered
# exactly once (a recaptured frame would be sealed again and, delivered on
# the far side to the receiver's own port, opened twice).
recursion_guard() {
	local fam=$1 ipt
	gateway "$fam"
	use_iptables "$2"
	ipt=$(cmd46 "$fam")
	recipe iptables-steer
	ip netns exec "$TX" "$ipt" -t mangle -A OUTPUT -p udp --dport "$DIODE_PORT" \
		-j DIODE --dev diode0 --copy
	ip netns exec "$TX" "$ipt" -t mangle -A OUTPUT -p udp --dport "$DIODE_PORT" \
		-j DIODE --dev diode0
	recv_start far "$RX" "$OT_GW4" "$SYSLOG" --drain
	send 4 "$OT_GW4"
	recv_wait far
	[ "$(rule_packets "$fam" OUTPUT)" -ge $((2 * $(stream_len))) ] ||
		fail "the OUTPUT rules matched only $(rule_packets "$fam" OUTPUT) frames"
}

test_recursion_guard_legacy() { recursion_guard 4 legacy; }
test_recursion_guard_nft() { recursion_guard 6 nft; }

# rejected MESSAGE CMD...: iptables refuses, saying MESSAGE.
rejected() {
	local message=$1 out
	shift
	if out=$(ip netns exec "$TX" "$@" 2>&1); then
		fail "accepted: $*"
	fi
	grep -qF -- "$message" <<<"$out" || fail "$*: said '$out', not '$message'"
}

# kernel_rejected MESSAGE CMD...: the kernel refuses the rule and says why.
kernel_rejected() {
	local message=$1 lines
	shift
	lines=$(dmesg | wc -l)
	if ip netns exec "$TX" "$@" 2>/dev/null; then
		fail "accepted: $*"
	fi
	dmesg | tail -n +$((lines + 1)) | grep -qF -- "$message" ||
		fail "$*: no '$message' in the kernel log"
}

bad_options() {
	local ipt
	gateway 4
	use_iptables "$1"
	for ipt in iptables ip6tables; do
		rejected 'option "--dev" must be specified' $ipt -t mangle -A PREROUTING -j DIODE
		rejected 'option "--dev" must be specified' $ipt -t mangle -A PREROUTING -j DIODE --copy
		rejected '--dev needs a device name' $ipt -t mangle -A PREROUTING -j DIODE --dev ''
		rejected 'is longer than 15 characters' $ipt -t mangle -A PREROUTING -j DIODE \
			--dev 0123456789abcdef
		rejected "contains '/'" $ipt -t mangle -A PREROUTING -j DIODE --dev a/b
		rejected 'option "--dev" can only be used once' $ipt -t mangle -A PREROUTING \
			-j DIODE --dev a --dev b
		rejected 'unknown option "--bogus"' $ipt -t mangle -A PREROUTING -j DIODE \
			--dev a --bogus
		kernel_rejected 'xt_DIODE: only valid in the mangle and raw tables, not filter' \
			$ipt -t filter -A FORWARD -j DIODE --dev diode0
		kernel_rejected 'DIODE target: used from hooks POSTROUTING' \
			$ipt -t mangle -A POSTROUTING -j DIODE --dev diode0
		# The longest valid name is accepted, although no such device exists.
		ip netns exec "$TX" $ipt -t raw -A PREROUTING -j DIODE --dev 0123456789abcde
	done
}

test_bad_options_legacy() { bad_options legacy; }
test_bad_options_nft() { bad_options nft; }

# ordinary_route: the gateway's default route, which traffic for the diode
# must not take when diode0 is gone.
ordinary_route() {
	ip -n "$TX" route add default dev vtx
	ip -n "$TX" -6 route add default dev vtx
}

# fails_closed [ip route get options]: with diode0 deleted, the gateway has
# no route for the collector (rather than its default route).
fails_closed() {
	local fam out
	ip -n "$TX" link del diode0
	for fam in 4 6; do
		if out=$(ip -n "$TX" -"$fam" route get "$(collector "$fam")" "$@" 2>&1); then
			fail "IPv$fam route without diode0: $out"
		fi
		grep -q 'No route to host' <<<"$out" || fail "IPv$fam: $out"
	done
}

test_recipe_plain_route() {
	local fam dst
	gateway 4
	ordinary_route
	recipe plain-route
	for fam in 4 6; do
		dst=$(collector "$fam")
		recv_start far "$RX" "$dst"
		send "$fam" "$dst"
		recv_wait far
	done
	fails_closed
}

# Only the marked port crosses: a stream to another port, sent first, does
# not arrive.
test_recipe_policy_routing() {
	local fam dst
	gateway 4
	ordinary_route
	recipe policy-routing
	for fam in 4 6; do
		dst=$(collector "$fam")
		count_start other "$RX" "$dst" 515
		recv_start far "$RX" "$dst"
		send "$fam" "$dst" 515
		send "$fam" "$dst"
		recv_wait far
		expect_eq "IPv$fam datagrams to port 515 delivered" 0 "$(count_stop other)"
	done
	fails_closed mark 0x514
}

test_recipe_netdev_fwd() {
	gateway 4
	recipe netdev-fwd
	steered 4
	steered 6
}

# The frame goes into the diode with its Ethernet header: the receiver drops
# every one as a bad inner packet and delivers none.
test_recipe_netdev_dup_broken() {
	local bad0 i
	gateway 4
	recipe netdev-dup-broken
	bad0=$(diode_stat "$RX" rx_bad_inner)
	count_start far "$RX" "$OT_GW4"
	recv_start local "$TX" "$OT_GW4"
	send 4 "$OT_GW4"
	recv_wait local
	for i in $(seq 200); do
		[ $(( $(diode_stat "$RX" rx_bad_inner) - bad0 )) -ge "$(stream_len)" ] && break
		sleep 0.1
	done
	expect_eq "bad inner packets counted" "$(stream_len)" \
		$(( $(diode_stat "$RX" rx_bad_inner) - bad0 ))
	expect_eq "datagrams delivered on the far side" 0 "$(count_stop far)"
}

test_recipe_nft_dup() {
	local fam dst
	gateway 4
	recipe nft-dup
	for fam in 4 6; do
		dst=$(gw_addr "$fam")
		recv_start local "$TX" "$dst"
		recv_start far "$RX" "$dst"
		send "$fam" "$dst"
		recv_wait local
		recv_wait far
	done
}

# Every recipe of the doc is run by some test here.
test_doc_recipes_tested() {
	local name names
	names=$(sed -n 's/^# recipe: //p' "$DOC")
	[ -n "$names" ] || fail "no recipes in $DOC"
	for name in $names; do
		grep -qE "^[[:space:]]*recipe $name\$" "$DIODE_TOP/selftests/routing.sh" ||
			fail "recipe $name of $DOC is run by no test"
	done
}

ktap_run doc_recipes_tested steer_legacy steer_nft copy_legacy copy_nft \
	rule_removed_legacy rule_removed_nft \
	device_recreated_legacy device_recreated_nft \
	recursion_guard_legacy recursion_guard_nft \
	bad_options_legacy bad_options_nft \
	recipe_plain_route recipe_policy_routing recipe_netdev_fwd \
	recipe_netdev_dup_broken recipe_nft_dup
